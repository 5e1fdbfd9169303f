//! `InlineGoMap`: no allocation up to 8 entries, Go's `hashGrow` from B = 0
//! on the ninth key, back inline on `shrink_to_fit`, correct after every
//! kind of move, and panic-safe across the inline/heap boundary.

mod common;

use common::*;
use gomap::{GoMap, HeapKind, InlineGoMap};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap as StdMap;
use std::mem::size_of;
use std::panic::{catch_unwind, AssertUnwindSafe};

// ---------------------------------------------------------------------------
// A counting allocator, per thread (tests run in parallel).
// ---------------------------------------------------------------------------

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static LAST_SIZE: Cell<usize> = const { Cell::new(0) };
}

fn note(allocs: usize, bytes: isize, size: usize) {
    // `try_with`: the thread's TLS may be gone while it exits.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + allocs));
    let _ = LIVE.try_with(|c| c.set(c.get() + bytes));
    if allocs > 0 {
        let _ = LAST_SIZE.try_with(|c| c.set(size));
    }
}

// SAFETY: forwards to the system allocator; the counters are thread-local
// `Cell`s with const initialisers (no allocation, no destructor).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(1, l.size() as isize, l.size());
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(1, l.size() as isize, l.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        note(0, -(l.size() as isize), 0);
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        note(1, n as isize - l.size() as isize, n);
        // SAFETY: as above.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, net bytes) made by this thread while `f` runs.
fn counted<R>(f: impl FnOnce() -> R) -> (R, usize, isize) {
    let a0 = ALLOCS.with(Cell::get);
    let l0 = LIVE.with(Cell::get);
    let r = f();
    (r, ALLOCS.with(Cell::get) - a0, LIVE.with(Cell::get) - l0)
}

fn inside<T>(v: &T, addr: usize) -> bool {
    let at = v as *const T as usize;
    (at..at + size_of::<T>()).contains(&addr)
}

fn assert_inline<K, V, S>(m: &InlineGoMap<K, V, S>) {
    let s = m.stats();
    assert!(m.is_inline());
    assert_eq!((s.b, s.buckets, s.heap_bytes, s.growing), (0, 1, 0, false));
    assert_eq!(m.capacity(), 8);
    assert!(inside(m, s.buckets_addr), "bucket not inside the value");
    assert!(inside(m, m.header().buckets));
}

// ---------------------------------------------------------------------------
// Layout and size.
// ---------------------------------------------------------------------------

#[test]
fn size_is_header_plus_one_bucket() {
    assert_eq!(
        size_of::<InlineGoMap<u64, u64>>(),
        size_of::<GoMap<u64, u64>>() + 144
    );
    assert_eq!(
        size_of::<InlineGoMap<u8, u8>>(),
        size_of::<GoMap<u8, u8>>() + GoMap::<u8, u8>::layout().bucket_size
    );
    assert_eq!(
        InlineGoMap::<u64, u64>::layout(),
        GoMap::<u64, u64>::layout()
    );
}

#[test]
fn slots_lie_at_the_layout_offsets_inside_the_value() {
    let mut m: InlineGoMap<u32, u16> = InlineGoMap::new();
    for i in 0..8 {
        m.insert(i, i as u16);
    }
    let l = InlineGoMap::<u32, u16>::layout();
    let base = m.stats().buckets_addr;
    for i in 0..8 {
        let loc = m.locate(&i).unwrap();
        assert_eq!(loc.bucket_addr, base);
        assert_eq!(loc.key_addr, base + l.keys_offset + 4 * loc.slot);
        assert_eq!(loc.value_addr, base + l.values_offset + 2 * loc.slot);
        assert!(inside(&m, loc.value_addr));
    }
}

// ---------------------------------------------------------------------------
// No allocation up to 8; the ninth key.
// ---------------------------------------------------------------------------

#[test]
fn eight_entries_allocate_nothing() {
    let ((), allocs, _) = counted(|| {
        let mut m: InlineGoMap<u64, u64> = InlineGoMap::new();
        for i in 0..8 {
            assert_eq!(m.insert(i, i * 10), None);
        }
        for i in 0..8 {
            assert_eq!(m.get(&i), Some(&(i * 10)));
            *m.get_mut(&i).unwrap() += 1;
        }
        assert_eq!(m.insert(3, 0), Some(31));
        assert_inline(&m);
        assert_eq!(m.iter().count(), 8);
        assert_eq!(m.iter_randomized().count(), 8);
        m.retain(|k, _| k % 2 == 0);
        assert_eq!(m.drain().count(), 4);
        *m.entry(7).or_insert(1) += 1;
        m.clear();
        let mut c = m.clone();
        c.insert(1, 1);
        assert_eq!(m.remove(&1), None);
        assert_eq!(c.remove(&1), Some(1));
        m.shrink_to_fit();
        m.reserve(8);
        let m: InlineGoMap<u64, u64> = (0..8).map(|i| (i, i)).collect();
        let mut owned: Vec<(u64, u64)> = Vec::with_capacity(8);
        let ((), n, _) = counted(|| owned.extend(m));
        assert_eq!(n, 0, "into_iter of an inline map allocates nothing");
        owned.sort();
        assert!(owned.into_iter().eq((0..8).map(|i| (i, i))));
    });
    assert_eq!(allocs, 1); // the Vec above
    let ((), allocs, _) = counted(|| {
        let m: InlineGoMap<&str, u8> = [("a", 1), ("b", 2)].into_iter().collect();
        assert_eq!(m["b"], 2);
        assert_eq!(
            InlineGoMap::from([(1u8, 2u8)]),
            InlineGoMap::from([(1u8, 2u8)])
        );
    });
    assert_eq!(allocs, 0);
}

#[test]
fn ninth_key_is_hash_grow_from_b0_finished_in_the_same_insert() {
    let mut m: InlineGoMap<u64, u64> = InlineGoMap::new();
    for i in 0..8 {
        m.insert(i, i);
    }
    // Updating a present key of a full inline bucket never spills.
    let (_, allocs, _) = counted(|| m.insert(5, 55));
    assert_eq!(allocs, 0);
    assert!(m.is_inline());
    let (_, allocs, bytes) = counted(|| m.insert(8, 8));
    let s = m.stats();
    assert!(!m.is_inline());
    assert_eq!(
        (s.len, s.b, s.buckets, s.growing, s.old_buckets),
        (9, 1, 2, false, 0)
    );
    // One allocation: the 2-bucket array (plus an overflow bucket only if
    // all nine keys share a bucket).
    let two = 2 * 144;
    // The bookkeeping box (Go's `mapextra`) is allocated too when the
    // growth's write count needs it (the `tracing` feature) or when an
    // overflow bucket is linked (its counters live there, as Go's overflow
    // list does); otherwise nothing but the array.
    let extra: usize = m
        .heap_walk()
        .iter()
        .filter(|o| o.kind == HeapKind::Extra)
        .map(|o| o.size)
        .sum();
    assert_eq!(
        extra > 0,
        cfg!(feature = "tracing") || s.overflow_buckets > 0
    );
    let (extra_allocs, extra) = (usize::from(extra > 0), extra as isize);
    if s.overflow_buckets == 0 {
        assert_eq!((allocs, bytes), (1 + extra_allocs, two as isize + extra));
    } else {
        assert_eq!(
            (allocs, bytes),
            (2 + extra_allocs, two as isize + 144 + extra)
        );
    }
    assert_eq!(s.heap_bytes, bytes as usize);
    assert!(!inside(&m, s.buckets_addr));
    for i in 0..9 {
        assert_eq!(m[&i], if i == 5 { 55 } else { i });
    }
    // From here on it is a GoMap: Go's bucket counts.
    for i in 9..53 {
        m.insert(i, i);
    }
    assert_eq!(m.stats().buckets, 16);
}

#[test]
fn nine_keys_in_one_bucket_take_an_overflow_bucket() {
    let mut m: InlineGoMap<u64, u64, IdHash> = InlineGoMap::with_hasher(IdHash);
    for i in 0..8 {
        m.insert(i << 8, i); // all even: bucket 0 of B = 1
    }
    let (_, allocs, bytes) = counted(|| m.insert(8 << 8, 8));
    // The first overflow bucket needs the bookkeeping box (Go's mapextra,
    // listed by heap_walk) too: the array, the bucket and the box.
    let extra: usize = m
        .heap_walk()
        .iter()
        .filter(|o| o.kind == HeapKind::Extra)
        .map(|o| o.size)
        .sum();
    assert!(extra > 0);
    assert_eq!((allocs, bytes), (3, (3 * 144 + extra) as isize));
    let s = m.stats();
    assert_eq!(s.heap_bytes, bytes as usize);
    assert_eq!((s.buckets, s.overflow_buckets, s.growing), (2, 1, false));
}

#[test]
fn with_capacity_hint() {
    let m: InlineGoMap<u64, u64> = InlineGoMap::with_capacity(8);
    assert_inline(&m);
    let m: InlineGoMap<u64, u64> = InlineGoMap::with_capacity(9);
    assert!(!m.is_inline());
    assert_eq!((m.stats().b, m.stats().buckets), (1, 2));
    let m: InlineGoMap<u64, u64> = InlineGoMap::default();
    assert_inline(&m);
}

// ---------------------------------------------------------------------------
// Back inline.
// ---------------------------------------------------------------------------

#[test]
fn spilled_map_stays_on_the_heap_until_shrink_to_fit() {
    let (_, _, net) = counted(|| {
        let mut m: InlineGoMap<u64, String> = InlineGoMap::new();
        for i in 0..100 {
            m.insert(i, i.to_string());
        }
        for i in 8..100 {
            assert_eq!(m.remove(&i), Some(i.to_string()));
        }
        assert!(!m.is_inline()); // Go never shrinks
        let (_, allocs, freed) = counted(|| m.shrink_to_fit());
        assert_eq!(allocs, 0);
        assert!(freed < 0);
        assert_inline(&m);
        for i in 0..8 {
            assert_eq!(m[&i], i.to_string());
        }
        // And out again, and back.
        for i in 8..20 {
            m.insert(i, i.to_string());
        }
        m.retain(|&k, _| k >= 14);
        m.shrink_to(8);
        assert_inline(&m);
        assert_eq!(m.len(), 6);
        m.shrink_to(9); // a request over 8 does not move it anywhere
        assert_inline(&m);
    });
    assert_eq!(net, 0, "every heap byte freed");
    // Tracked values: each dropped once across both moves.
    let t = Tracker::new();
    let mut m: InlineGoMap<u64, Dv> = (0..40).map(|i| (i, t.value(i))).collect();
    m.retain(|&k, _| k < 3);
    m.shrink_to_fit();
    assert_inline(&m);
    assert_eq!(t.live(), 3);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn shrink_back_mid_growth_and_empty() {
    let mut m: InlineGoMap<u64, u64> = InlineGoMap::new();
    for i in 0..53 {
        m.insert(i, i); // the 53rd starts a doubling to B = 4
    }
    assert!(m.stats().growing);
    m.retain(|&k, _| k % 10 == 0); // 6 left, old and new arrays both in use
    m.shrink_to_fit();
    assert_inline(&m);
    let mut keys: Vec<_> = m.keys().copied().collect();
    keys.sort();
    assert_eq!(keys, [0, 10, 20, 30, 40, 50]);
    m.clear();
    let mut g: InlineGoMap<u64, u64> = (0..50).map(|i| (i, i)).collect();
    g.clear();
    g.shrink_to_fit();
    assert_inline(&g);
    assert!(g.is_empty());
}

#[test]
fn reserve_spills_and_stays_usable() {
    let mut m: InlineGoMap<String, u32> = InlineGoMap::new();
    m.insert("a".into(), 1);
    m.reserve(7);
    assert!(m.is_inline());
    m.reserve(100);
    assert!(!m.is_inline());
    assert!(m.capacity() >= 101);
    assert_eq!(m["a"], 1);
    let mut e: InlineGoMap<u64, u64> = InlineGoMap::new();
    e.reserve(20); // empty: straight to a heap array
    assert!(!e.is_inline() && e.capacity() >= 20);
    e.shrink_to_fit();
    assert_inline(&e);
}

// ---------------------------------------------------------------------------
// Moves.
// ---------------------------------------------------------------------------

fn build(n: u64) -> InlineGoMap<u64, String> {
    let mut m = InlineGoMap::new();
    for i in 0..n {
        m.insert(i, format!("v{i}"));
    }
    m
}

fn check(m: &mut InlineGoMap<u64, String>, n: u64) {
    assert_eq!(m.len() as u64, n);
    for i in 0..n {
        assert_eq!(
            m.get(&i).map(String::as_str),
            Some(format!("v{i}").as_str())
        );
    }
    assert_eq!(m.iter().count() as u64, n);
    assert_eq!(m.iter_randomized().count() as u64, n);
    assert_eq!(m.values().count() as u64, n);
    if n > 0 {
        assert!(m.locate(&0).is_some());
    }
    if m.is_inline() {
        assert_inline(m);
    }
    // A write, undone.
    m.insert(1000, "x".into());
    assert_eq!(m.remove(&1000).as_deref(), Some("x"));
    m.shrink_to_fit();
}

/// Overwrites freed memory of the sizes an old location had, so a stale
/// pointer into it would read garbage (and ASan reports it outright).
fn scribble() {
    let junk: Vec<Vec<u8>> = (0..64).map(|_| vec![0xA5; 256]).collect();
    drop(junk);
}

#[test]
fn correct_after_every_move() {
    for n in [0, 1, 5, 8, 9, 30] {
        let mut m = build(n);
        check(&mut m, n);
        let mut v = Vec::with_capacity(1);
        v.push(m);
        check(&mut v[0], n);
        for _ in 0..5 {
            v.push(build(n)); // reallocates: v[0] moves
            scribble();
        }
        check(&mut v[0], n);
        let mut b = Box::new(v.swap_remove(0));
        scribble();
        check(&mut b, n);
        let b2 = Box::new(b); // the box moves, not the map
        let mut m = **b2; // out of the box: the box is freed
        scribble();
        check(&mut m, n);
        let mut slot = [build(0), build(0)];
        slot[1] = m;
        check(&mut slot[1], n);
    }
}

#[test]
fn shared_reads_after_a_move_see_the_new_place() {
    let m = build(6);
    let b = Box::new(m);
    let m2 = *b; // no &mut call since the move
    scribble();
    assert_eq!(m2.get(&3).map(String::as_str), Some("v3"));
    let mut keys: Vec<u64> = m2.iter_randomized().map(|(k, _)| *k).collect();
    keys.sort();
    assert_eq!(keys, (0..6).collect::<Vec<_>>());
    assert!(inside(&m2, m2.stats().buckets_addr));
    assert!(inside(&m2, m2.structure().current.unwrap().addr));
    assert_eq!(format!("{:?}", m2.get_key_value(&2)), "Some((2, \"v2\"))");
    let c = m2.clone();
    assert!(c.is_inline() && c == m2);
}

// ---------------------------------------------------------------------------
// The rest of the surface, across the boundary.
// ---------------------------------------------------------------------------

#[test]
fn into_gomap() {
    let m = build(5);
    let g: GoMap<u64, String> = m.into();
    assert_eq!(g.len(), 5);
    assert_eq!(g.stats().buckets, 1);
    assert_eq!(
        g.stats().heap_bytes,
        GoMap::<u64, String>::layout().bucket_size
    );
    assert_eq!(g[&4], "v4");
    let g: GoMap<u64, String> = build(20).into();
    assert_eq!((g.len(), g[&19].as_str()), (20, "v19"));
    let mut g: GoMap<u64, String> = build(0).into();
    g.insert(1, "a".into());
    assert_eq!(g.len(), 1);
}

#[test]
fn owned_and_borrowed_iteration() {
    for n in [3, 12] {
        let mut m = build(n);
        for (_, v) in &mut m {
            v.push('!');
        }
        let mut seen: Vec<(u64, String)> = (&m).into_iter().map(|(k, v)| (*k, v.clone())).collect();
        seen.sort();
        let mut owned: Vec<(u64, String)> = m.into_iter().collect();
        owned.sort();
        assert_eq!(seen, owned);
        assert!(owned.iter().all(|(_, v)| v.ends_with('!')));
    }
}

#[test]
fn cursor_insert_spills_mid_walk() {
    let mut m: InlineGoMap<u64, u64> = (0..8).map(|i| (i, i)).collect();
    let mut seen = Vec::new();
    let mut c = m.cursor();
    let mut added = 100;
    while let Some((&k, _)) = c.next() {
        seen.push(k);
        if added < 104 {
            c.insert(added, 0); // the first one spills the map
            added += 1;
        }
        if k == 3 {
            c.remove_current();
        }
    }
    drop(c);
    let mut original: Vec<u64> = seen.iter().copied().filter(|&k| k < 8).collect();
    original.sort();
    assert_eq!(original, (0..8).collect::<Vec<_>>(), "each yielded once");
    assert!(!m.is_inline());
    assert_eq!(m.len(), 8 + 4 - 1);
    m.retain(|&k, _| k < 8);
    m.shrink_to_fit();
    assert_inline(&m);
    assert_eq!(m.len(), 7);
}

#[test]
fn zero_sized_and_large_slots() {
    let mut z: InlineGoMap<(), ()> = InlineGoMap::new();
    assert_eq!(z.insert((), ()), None);
    assert_eq!(z.insert((), ()), Some(()));
    assert_inline(&z);
    let mut u: InlineGoMap<u8, ()> = (0..8).map(|i| (i, ())).collect();
    assert_inline(&u);
    u.insert(8, ());
    assert!(!u.is_inline());
    // Values over 128 bytes are boxed, as in Go; the bucket stays inline.
    let t = Tracker::new();
    let mut big: InlineGoMap<u64, ([u64; 20], Dv)> = InlineGoMap::new();
    let (_, allocs, _) = counted(|| {
        for i in 0..8 {
            big.insert(i, ([i; 20], t.value(i)));
        }
    });
    assert_eq!(allocs, 8);
    assert!(big.is_inline());
    let s = big.stats();
    assert_eq!(s.heap_bytes, 8 * size_of::<([u64; 20], Dv)>());
    assert_eq!(big[&7].0[19], 7);
    big.insert(8, ([8; 20], t.value(8)));
    assert!(!big.is_inline());
    big.remove(&8);
    big.shrink_to_fit();
    assert!(big.is_inline());
    let g: GoMap<_, _> = big.into();
    assert_eq!(g[&2].0[0], 2);
    drop(g);
    t.assert_all_dropped_once();
    // Over 128 bytes and aligned to more than 8: kept on the heap.
    let mut h: InlineGoMap<u8, [u128; 10]> = InlineGoMap::new();
    assert!(!h.is_inline());
    h.insert(1, [1; 10]);
    assert_eq!(h[&1][9], 1);
    h.shrink_to_fit();
    assert_eq!(h.len(), 1);
}

#[test]
fn differential_against_std_across_the_boundary() {
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut m: InlineGoMap<u64, u64> = InlineGoMap::new();
    let mut model = StdMap::new();
    let mut crossings = (0, 0);
    for step in 0..20_000 {
        let r = next();
        let k = r % 24;
        let was_inline = m.is_inline();
        match (r >> 8) % 10 {
            0..=3 => assert_eq!(m.insert(k, step), model.insert(k, step)),
            4..=6 => assert_eq!(m.remove(&k), model.remove(&k)),
            7 => m.shrink_to_fit(),
            8 => {
                let moved = Box::new(m);
                scribble();
                m = *moved;
            }
            _ => {
                m.retain(|k, _| k % 3 != r % 3);
                model.retain(|k, _| k % 3 != r % 3);
            }
        }
        match (was_inline, m.is_inline()) {
            (true, false) => crossings.0 += 1,
            (false, true) => crossings.1 += 1,
            _ => {}
        }
        assert_eq!(m.len(), model.len());
        assert_eq!(m.get(&k), model.get(&k));
        if m.is_inline() {
            assert!(m.len() <= 8);
            assert_eq!(m.stats().heap_bytes, 0);
        }
    }
    let mut all: Vec<_> = m.iter().map(|(&k, &v)| (k, v)).collect();
    all.sort();
    let mut want: Vec<_> = model.into_iter().collect();
    want.sort();
    assert_eq!(all, want);
    assert!(crossings.0 > 10 && crossings.1 > 10, "{crossings:?}");
}

// ---------------------------------------------------------------------------
// Panics.
// ---------------------------------------------------------------------------

type PMap = InlineGoMap<PKey, Dv, IdHash>;

fn full(ctl: &std::sync::Arc<PanicCtl>, vals: &std::sync::Arc<Tracker>) -> PMap {
    let mut m = PMap::with_hasher(IdHash);
    for id in 0..8 {
        // Hashes spread over both halves of B = 1.
        m.insert(
            ctl.key(id, id.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            vals.value(id),
        );
    }
    m
}

fn probe(id: u64) -> Probe {
    Probe {
        id,
        hash: id.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    }
}

#[test]
fn panicking_hash_during_the_spill_leaves_the_map_inline() {
    quiet_intentional_panics();
    let ctl = PanicCtl::new();
    let vals = Tracker::new();
    let mut m = full(&ctl, &vals);
    ctl.arm_hash(5); // an old key, rehashed by the evacuation
    let k8 = ctl.key(8, probe(8).hash);
    let v8 = vals.value(8);
    let r = catch_unwind(AssertUnwindSafe(|| m.insert(k8, v8)));
    assert!(r.is_err());
    assert!(!ctl.hash_armed());
    // The 2-bucket array was freed again (the ASan run checks for leaks).
    assert_inline(&m);
    assert_eq!(m.len(), 8);
    for id in 0..8 {
        assert_eq!(m.get(&probe(id)).map(|v| v.id), Some(id));
    }
    assert_eq!((ctl.keys.drops_of(8), vals.drops_of(8)), (1, 1));
    // Moved and retried: the spill goes through.
    let mut b = Box::new(m);
    scribble();
    b.insert(ctl.key(8, probe(8).hash), vals.value(8));
    assert!(!b.is_inline());
    assert_eq!(b.len(), 9);
    for id in 0..9 {
        assert_eq!(b[&probe(id)].id, id);
    }
    drop(b);
    ctl.keys.assert_all_dropped_once();
    vals.assert_all_dropped_once();
}

#[test]
fn panicking_hash_in_entry_and_cursor_spills() {
    quiet_intentional_panics();
    let ctl = PanicCtl::new();
    let vals = Tracker::new();
    let mut m = full(&ctl, &vals);
    ctl.arm_hash(2);
    let k = ctl.key(8, probe(8).hash);
    let v = vals.value(8);
    let r = catch_unwind(AssertUnwindSafe(|| {
        m.entry(k).or_insert(v);
    }));
    assert!(r.is_err());
    let m2 = m; // a move right after the failed spill
    scribble();
    assert_inline(&m2);
    assert_eq!(m2.iter_randomized().count(), 8);
    let mut m = m2;
    ctl.arm_hash(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut c = m.cursor();
        c.next();
        c.insert(ctl.key(9, probe(9).hash), vals.value(9));
    }));
    assert!(r.is_err());
    assert_inline(&m);
    assert_eq!(m.len(), 8);
    drop(m);
    ctl.keys.assert_all_dropped_once();
    vals.assert_all_dropped_once();
}

#[test]
fn panicking_reserve_keeps_the_map_inline() {
    quiet_intentional_panics();
    let ctl = PanicCtl::new();
    let vals = Tracker::new();
    let mut m = full(&ctl, &vals);
    ctl.arm_hash(7);
    let r = catch_unwind(AssertUnwindSafe(|| m.reserve(50)));
    assert!(r.is_err());
    assert_inline(&m);
    assert_eq!(m.len(), 8);
    drop(m);
    ctl.keys.assert_all_dropped_once();
    vals.assert_all_dropped_once();
}

#[test]
fn shrink_back_runs_no_user_code() {
    quiet_intentional_panics();
    let ctl = PanicCtl::new();
    let vals = Tracker::new();
    let mut m = full(&ctl, &vals);
    for id in 8..40 {
        m.insert(ctl.key(id, probe(id).hash), vals.value(id));
    }
    for id in 8..40 {
        m.remove(&probe(id));
    }
    let calls = ctl.hash_calls.load(std::sync::atomic::Ordering::SeqCst);
    ctl.arm_hash(3); // would panic if shrinking hashed
    ctl.arm_eq();
    m.shrink_to_fit();
    assert_eq!(
        ctl.hash_calls.load(std::sync::atomic::Ordering::SeqCst),
        calls
    );
    ctl.disarm();
    assert_inline(&m);
    for id in 0..8 {
        assert_eq!(m[&probe(id)].id, id);
    }
    drop(m);
    ctl.keys.assert_all_dropped_once();
    vals.assert_all_dropped_once();
}

#[test]
fn panicking_eq_and_drop_inline() {
    quiet_intentional_panics();
    let ctl = PanicCtl::new();
    let vals = Tracker::new();
    let mut m = full(&ctl, &vals);
    ctl.arm_eq();
    let r = catch_unwind(AssertUnwindSafe(|| {
        m.insert(ctl.key(3, probe(3).hash), vals.value(99))
    }));
    assert!(r.is_err());
    assert_eq!(m.len(), 8);
    assert_eq!(m[&probe(3)].id, 3);
    ctl.arm_drop(4);
    let r = catch_unwind(AssertUnwindSafe(|| m.remove(&probe(4))));
    assert!(r.is_err());
    assert_eq!(m.len(), 7);
    assert!(m.get(&probe(4)).is_none());
    // A value whose drop panics, in clear and in the map's own drop.
    m.insert(ctl.key(20, probe(20).hash), vals.bomb(20));
    let r = catch_unwind(AssertUnwindSafe(|| m.clear()));
    assert!(r.is_err());
    assert!(m.is_empty());
    assert_inline(&m);
    m.insert(ctl.key(21, probe(21).hash), vals.bomb(21));
    m.insert(ctl.key(22, probe(22).hash), vals.value(22));
    let r = catch_unwind(AssertUnwindSafe(move || drop(m)));
    assert!(r.is_err());
    ctl.keys.assert_all_dropped_once();
    vals.assert_all_dropped_once();
}

#[test]
fn into_iter_of_an_inline_map_drops_the_rest_once() {
    quiet_intentional_panics();
    let t = Tracker::new();
    let mut m: InlineGoMap<u64, Dv> = InlineGoMap::new();
    for i in 0..8 {
        m.insert(i, if i == 5 { t.bomb(i) } else { t.value(i) });
    }
    m.remove(&2); // a hole the walk must skip
    let mut it = m.into_iter();
    assert_eq!(it.len(), 7);
    let first = it.next().unwrap();
    assert_eq!(it.len(), 6);
    let moved = Box::new(it); // the bucket moves with the iterator
    scribble();
    let r = catch_unwind(AssertUnwindSafe(move || drop(moved)));
    assert!(r.is_err(), "value 5's drop panicked");
    drop(first);
    t.assert_all_dropped_once();
    let keys: Vec<u64> = InlineGoMap::from([(3u64, 'c')]).into_keys().collect();
    assert_eq!(keys, [3]);
}

#[test]
fn panicking_clone_drops_the_partial_copy() {
    quiet_intentional_panics();
    struct Fussy(u64, Dv);
    impl Clone for Fussy {
        fn clone(&self) -> Fussy {
            if self.0 == 5 {
                panic!("clone panics (on purpose)");
            }
            Fussy(self.0, self.1.clone())
        }
    }
    let t = Tracker::new();
    let mut m: InlineGoMap<u64, Fussy> = InlineGoMap::new();
    for i in 0..8 {
        m.insert(i, Fussy(i, t.value(i)));
    }
    let r = catch_unwind(AssertUnwindSafe(|| m.clone()));
    assert!(r.is_err());
    assert_eq!(m.len(), 8);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn drops_exactly_once_inline_and_spilled() {
    let keys = Tracker::new();
    let vals = Tracker::new();
    for n in [0, 3, 8, 9, 40] {
        let mut m: InlineGoMap<Dv, Dv> = InlineGoMap::new();
        for i in 0..n {
            m.insert(keys.value(i), vals.value(i));
        }
        let m = Box::new(m);
        let mut m = *m;
        if n > 2 {
            m.remove(&1);
            let mut d = m.drain();
            d.next();
            drop(d);
            for i in 0..n {
                m.insert(keys.value(i), vals.value(i));
            }
        }
        let it = m.into_iter().take(2);
        drop(it);
    }
    keys.assert_all_dropped_once();
    vals.assert_all_dropped_once();
}

#[test]
fn send_and_sync_as_gomap() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<InlineGoMap<u64, String>>();
}

#[test]
fn go_bucket_counts_after_n_inserts() {
    // Go's TestMapBuckets, from an inline start.
    for (n, buckets) in [
        (8, 1),
        (9, 2),
        (12, 2),
        (14, 4),
        (24, 4),
        (27, 8),
        (48, 8),
        (53, 16),
    ] {
        let mut m: InlineGoMap<u64, u64> = InlineGoMap::new();
        for i in 0..n {
            m.insert(i, i);
        }
        assert_eq!(m.stats().buckets, buckets, "after {n} inserts");
        assert_eq!(m.is_inline(), n <= 8);
    }
    for (hint, b) in [
        (0, 0),
        (8, 0),
        (9, 1),
        (13, 1),
        (14, 2),
        (26, 2),
        (27, 3),
        (52, 3),
    ] {
        let m: InlineGoMap<u64, u64> = InlineGoMap::with_capacity(hint);
        assert_eq!((m.stats().b, m.is_inline()), (b, b == 0), "hint {hint}");
    }
}

#[test]
fn iter_randomized_starts_anywhere_while_inline() {
    let m: InlineGoMap<u64, u64> = (0..8).map(|i| (i, i)).collect();
    let firsts: std::collections::HashSet<u64> = (0..200)
        .map(|_| *m.iter_randomized().next().unwrap().0)
        .collect();
    assert!(firsts.len() >= 4, "{firsts:?}");
    // `iter()` is the same order every time.
    let a: Vec<_> = m.iter().collect();
    assert!((0..20).all(|_| m.iter().collect::<Vec<_>>() == a));
    assert!(m.keys().zip(m.values()).all(|(k, v)| k == v));
}

#[test]
fn heap_walk_roots_at_the_value_and_sums_to_heap_bytes() {
    use gomap::HeapKind;
    let mut m: InlineGoMap<u64, [u64; 20]> = InlineGoMap::new();
    for i in 0..8 {
        m.insert(i, [i; 20]);
    }
    let check = |m: &InlineGoMap<u64, [u64; 20]>| {
        let walk = m.heap_walk();
        assert_eq!(walk[0].kind, HeapKind::Map);
        assert_eq!(walk[0].addr, m as *const _ as usize);
        assert_eq!(walk[0].size, size_of::<InlineGoMap<u64, [u64; 20]>>());
        let sum: usize = walk[1..].iter().map(|o| o.size).sum();
        assert_eq!(sum, m.stats().heap_bytes);
        for (i, o) in walk.iter().enumerate().skip(1) {
            assert!(o.parent.unwrap() < i, "parents first");
        }
        walk
    };
    let walk = check(&m);
    assert_eq!(walk.len(), 1 + 8);
    assert!(walk[1..]
        .iter()
        .all(|o| o.kind == HeapKind::IndirectValue && o.parent == Some(0)));
    let b = Box::new(m); // moved: the walk follows
    scribble();
    check(&b);
    let mut m = *b;
    m.insert(8, [8; 20]);
    let walk = check(&m);
    assert_eq!(walk[1].kind, HeapKind::Buckets);
    assert_eq!(
        m.stats().array_bytes,
        2 * InlineGoMap::<u64, [u64; 20]>::layout().bucket_size
    );
    m.remove(&8);
    m.shrink_to_fit();
    assert_eq!(m.stats().array_bytes, 0);
    assert_eq!(check(&m).len(), 1 + 8);
    let small: InlineGoMap<u8, u8> = InlineGoMap::from([(1, 1)]);
    assert_eq!(small.heap_walk().len(), 1, "nothing on the heap");
}

#[test]
fn clone_rehashes_with_the_cloned_hasher() {
    /// A hasher whose clone hashes differently (legal: only one instance
    /// must be consistent with itself).
    #[derive(Default)]
    struct Reseed(u64);
    impl Clone for Reseed {
        fn clone(&self) -> Reseed {
            Reseed(self.0 + 1)
        }
    }
    impl std::hash::BuildHasher for Reseed {
        type Hasher = foldhash::fast::FoldHasher<'static>;
        fn build_hasher(&self) -> Self::Hasher {
            foldhash::fast::FixedState::with_seed(self.0).build_hasher()
        }
    }
    let mut m = InlineGoMap::with_hasher(Reseed(1));
    for i in 0..8u64 {
        m.insert(i, i);
    }
    let c = m.clone();
    assert!(c.is_inline());
    for i in 0..8 {
        assert_eq!(c.get(&i), Some(&i));
    }
    let mut big = InlineGoMap::with_hasher(Reseed(1));
    for i in 0..30u64 {
        big.insert(i, i);
    }
    let c = big.clone();
    assert!((0..30).all(|i| c.get(&i) == Some(&i)));
}
