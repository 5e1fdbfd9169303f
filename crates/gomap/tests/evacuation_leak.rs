//! A `Hash` that panics mid-evacuation must not leak the overflow bucket the
//! evacuation had linked (issue 10, item 1).
//!
//! Thirteen keys share bucket 0 at B = 1 (multiples of 1024 under an
//! identity hasher: a head bucket and one overflow bucket). The 14th insert
//! doubles B to 2 and evacuates that chain; all thirteen go to X, so X's
//! head fills and a new overflow bucket is linked after it. A panic on the
//! k-th hash of that insert, for every k, must leave the map consistent with
//! what the allocator holds: `heap_bytes` equals the bytes allocated, after
//! the panic, after a successful retry, and nothing is left after the drop.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod common;
use common::IdHash;
use gomap::GoMap;

thread_local! {
    /// Bytes this thread holds from the allocator (tests run on several
    /// threads; each measures only its own).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// Hashes of `Key`s so far, and the one that panics (0: none).
    static HASHES: Cell<usize> = const { Cell::new(0) };
    static PANIC_AT: Cell<usize> = const { Cell::new(0) };
}

fn add_live(delta: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

struct Counting;

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add_live(layout.size() as isize);
        // SAFETY: the caller's obligations are System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add_live(layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add_live(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_live(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// A u64 key whose `Hash` panics when it is the `PANIC_AT`-th hash.
#[derive(PartialEq, Eq, Debug)]
struct Key(u64);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = HASHES.with(|h| {
            h.set(h.get() + 1);
            h.get()
        });
        if n == PANIC_AT.with(Cell::get) {
            panic!("hash #{n} panics");
        }
        state.write_u64(self.0);
    }
}

fn key(i: u64) -> Key {
    Key(i * 1024)
}

#[test]
fn panicking_hash_mid_evacuation_leaks_nothing_for_every_k() {
    // The default hook may allocate (and cache) while reporting a panic:
    // silence the planned ones, report the rest (a failed assertion).
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let planned = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m.starts_with("hash #"));
        if !planned {
            report(info);
        }
    }));
    // The first panic of a thread allocates what the runtime keeps for it
    // (the thread's handle): do that before counting.
    let warm = catch_unwind(|| panic!("{}", String::from("hash #0 (warm-up)")));
    drop(warm);
    let mut panicked_for = Vec::with_capacity(16); // no allocation in the loop
    for k in 1..=16 {
        let before = live();
        {
            let mut m: GoMap<Key, u64, IdHash> = GoMap::with_hasher(IdHash);
            for i in 0..13 {
                m.insert(key(i), i);
            }
            let s = m.stats();
            assert_eq!((s.b, s.growing, s.max_chain), (1, false, 2), "setup");
            assert_eq!(live() - before, s.heap_bytes as isize, "setup heap");
            HASHES.with(|h| h.set(0));
            PANIC_AT.with(|p| p.set(k));
            let r = catch_unwind(AssertUnwindSafe(|| m.insert(key(13), 13)));
            PANIC_AT.with(|p| p.set(0));
            let hashes = HASHES.with(Cell::get);
            if r.is_err() {
                panicked_for.push(k);
                drop(r);
                assert_eq!(
                    live() - before,
                    m.stats().heap_bytes as isize,
                    "k = {k}: heap_bytes after the panic"
                );
                assert_eq!(m.len(), 13, "k = {k}");
                // The retry evacuates again, now without a panic.
                assert_eq!(m.insert(key(13), 13), None, "k = {k}");
            } else {
                assert!(hashes < k, "k = {k}: no panic although {hashes} hashes ran");
            }
            assert_eq!(m.len(), 14, "k = {k}");
            for i in 0..14 {
                assert_eq!(m.get(&key(i)), Some(&i), "k = {k}: key {i}");
            }
            let s = m.stats();
            assert_eq!(
                live() - before,
                s.heap_bytes as isize,
                "k = {k}: heap_bytes after the retry ({s:?})"
            );
        }
        assert_eq!(live(), before, "k = {k}: bytes left after the drop");
    }
    // Hash #1 is the new key's own; #2..=#14 are the 13 evacuated keys.
    assert_eq!(panicked_for, (1..=14).collect::<Vec<_>>());
}
