//! `GoMap::heap_walk`: every allocation the map owns, in Go's GC marking
//! order, checked against a recording allocator that knows every live
//! allocation this thread made.

mod common;

use common::{crowd_key, IdHash};
use gomap::{GoMap, HeapKind, HeapObject};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash};

/// Forwards to `System`; on threads that asked for it, records every live
/// allocation (address -> size). Per thread, so tests run in parallel.
struct Recording;

thread_local! {
    static BUSY: Cell<bool> = const { Cell::new(false) };
    static LIVE: RefCell<Option<BTreeMap<usize, usize>>> = const { RefCell::new(None) };
}

fn note(f: impl FnOnce(&mut BTreeMap<usize, usize>)) {
    // The map's own nodes are allocated through us too: do not record those.
    if BUSY.with(|b| b.replace(true)) {
        return;
    }
    LIVE.with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            if let Some(m) = l.as_mut() {
                f(m);
            }
        }
    });
    BUSY.with(|b| b.set(false));
}

// SAFETY: every method forwards to `System` with the caller's arguments;
// the bookkeeping never touches the allocations themselves.
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's obligations are System's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(|m| {
                m.insert(p as usize, layout.size());
            });
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(|m| {
                m.insert(p as usize, layout.size());
            });
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(|m| {
                if m.remove(&(ptr as usize)).is_some() {
                    m.insert(p as usize, new_size);
                }
            });
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(|m| {
            m.remove(&(ptr as usize));
        });
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Recording = Recording;

/// Runs `f` with recording on; returns what it left allocated (address ->
/// size) along with its result. Allocations made before are not seen.
fn recorded<R>(f: impl FnOnce() -> R) -> (R, BTreeMap<usize, usize>) {
    LIVE.with(|l| *l.borrow_mut() = Some(BTreeMap::new()));
    let r = f();
    let live = LIVE.with(|l| l.borrow_mut().take().unwrap());
    (r, live)
}

/// Every invariant of the walk, on one map.
fn check<K: Hash + Eq, V, S: BuildHasher>(m: &GoMap<K, V, S>, keys: &[K]) -> Vec<HeapObject> {
    let header = m.header();
    let stats = m.stats();
    let walk = m.heap_walk();
    // Reading never moves anything.
    assert_eq!(m.header(), header);
    assert_eq!(m.stats(), stats);
    assert_eq!(m.heap_walk(), walk, "two walks of an unchanged map differ");

    assert_eq!(walk[0].kind, HeapKind::Map);
    assert_eq!(walk[0].addr, m as *const _ as usize);
    assert_eq!(walk[0].size, std::mem::size_of::<GoMap<K, V, S>>());
    assert_eq!(walk[0].parent, None);
    for (i, o) in walk.iter().enumerate().skip(1) {
        let p = o.parent.expect("only the root has no parent");
        assert!(p < i, "object {i} ({o:?}) comes before its parent {p}");
        let expected_parent = match o.kind {
            HeapKind::Buckets | HeapKind::OldBuckets | HeapKind::Extra => &[HeapKind::Map][..],
            HeapKind::Overflow | HeapKind::IndirectKey | HeapKind::IndirectValue => {
                &[HeapKind::Buckets, HeapKind::OldBuckets, HeapKind::Overflow][..]
            }
            HeapKind::Map => panic!("a second Map object"),
        };
        assert!(
            expected_parent.contains(&walk[p].kind),
            "{o:?} under {:?}",
            walk[p]
        );
    }
    // Level order: the arrays right after the root, in hmap's field order.
    let arrays: Vec<HeapKind> = walk[1..]
        .iter()
        .take_while(|o| matches!(o.kind, HeapKind::Buckets | HeapKind::OldBuckets))
        .map(|o| o.kind)
        .collect();
    let n_arrays = walk
        .iter()
        .filter(|o| matches!(o.kind, HeapKind::Buckets | HeapKind::OldBuckets))
        .count();
    assert_eq!(arrays.len(), n_arrays, "arrays are listed first");
    // Then hmap's third pointer field: the bookkeeping box, at most one.
    let extras: Vec<usize> = (0..walk.len())
        .filter(|&i| walk[i].kind == HeapKind::Extra)
        .collect();
    assert!(extras.len() <= 1, "one bookkeeping box at most: {extras:?}");
    if let Some(&i) = extras.first() {
        assert_eq!(i, 1 + n_arrays, "the box comes right after the arrays");
    }
    if stats.buckets > 0 {
        assert_eq!(walk[1].kind, HeapKind::Buckets);
        assert_eq!(walk[1].addr, stats.buckets_addr);
        assert_eq!(walk[1].size, stats.array_bytes);
    }
    if stats.growing {
        assert_eq!(walk[2].kind, HeapKind::OldBuckets);
        assert_eq!(walk[2].addr, stats.old_buckets_addr);
    }
    // Sizes add up to heap_bytes, and the pieces to the new stats fields.
    let total: usize = walk[1..].iter().map(|o| o.size).sum();
    assert_eq!(total, stats.heap_bytes);
    let of = |k: HeapKind| {
        walk.iter()
            .filter(|o| o.kind == k)
            .map(|o| o.size)
            .sum::<usize>()
    };
    assert_eq!(of(HeapKind::Buckets), stats.array_bytes);
    assert_eq!(of(HeapKind::OldBuckets), stats.old_array_bytes);
    assert_eq!(of(HeapKind::Overflow), stats.overflow_bytes);
    // No overlaps (the root is wherever the caller put the map: included).
    let mut spans: Vec<(usize, usize)> = walk.iter().map(|o| (o.addr, o.addr + o.size)).collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "objects overlap: {w:?}");
    }
    // Every entry's slot lies inside a walked bucket object.
    let bucket_size = GoMap::<K, V, S>::layout().bucket_size;
    for k in keys {
        let loc = m.locate(k).expect("key present");
        let holder = walk
            .iter()
            .find(|o| o.addr <= loc.bucket_addr && loc.bucket_addr + bucket_size <= o.addr + o.size)
            .expect("entry's bucket is walked");
        assert!(
            matches!(
                holder.kind,
                HeapKind::Buckets | HeapKind::OldBuckets | HeapKind::Overflow
            ),
            "bucket inside {holder:?}"
        );
        if holder.kind == HeapKind::OldBuckets {
            assert!(loc.in_old);
        }
        if holder.kind == HeapKind::Buckets {
            assert!(!loc.in_old);
        }
        assert!(holder.addr <= loc.key_addr && loc.value_addr < holder.addr + holder.size);
    }
    walk
}

/// The walk after the root is exactly what the allocator holds for the map.
fn matches_allocator(walk: &[HeapObject], live: &BTreeMap<usize, usize>) {
    let walked: BTreeMap<usize, usize> = walk[1..].iter().map(|o| (o.addr, o.size)).collect();
    assert_eq!(walked.len(), walk.len() - 1, "an address is listed twice");
    assert_eq!(&walked, live, "walk and allocator disagree");
}

#[test]
fn at_rest_the_walk_is_every_allocation() {
    for n in [0u64, 1, 8, 9, 13, 14, 100, 1000, 5000] {
        let (m, live) = recorded(|| (0..n).map(|i| (i, i)).collect::<GoMap<u64, u64>>());
        let keys: Vec<u64> = (0..n).collect();
        let walk = check(&m, &keys);
        matches_allocator(&walk, &live);
        assert!(!m.header().growing, "n = {n}");
        if n == 0 {
            assert_eq!(walk.len(), 1, "an empty map owns nothing");
        }
        drop(m);
    }
}

#[test]
fn mid_growth_after_every_write() {
    // Through two doublings, checking after every single write: the old
    // array is listed after the new one, its evacuated buckets are skipped.
    let mut m = GoMap::<u64, u64>::new();
    let mut keys = Vec::new();
    let mut seen_growing = 0;
    for i in 0..300u64 {
        m.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
        keys.push(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let walk = check(&m, &keys);
        if m.header().growing {
            seen_growing += 1;
            assert!(walk.iter().any(|o| o.kind == HeapKind::OldBuckets));
            // Old buckets not yet evacuated still hold entries.
            assert!(keys.iter().any(|k| m.locate(k).unwrap().in_old));
        }
    }
    assert!(seen_growing > 10, "the run must spend writes mid-growth");
    let walk = m.heap_walk();
    assert_eq!(
        walk[1..].iter().map(|o| o.size).sum::<usize>(),
        m.stats().heap_bytes
    );
}

#[test]
fn mid_growth_walk_matches_allocator() {
    // One recorded span covering the whole life of the map, stopped mid-growth.
    for stop_after in [1usize, 2, 5, 17] {
        let (m, live) = recorded(|| {
            let mut m = GoMap::<u64, u64>::new();
            let mut i = 0u64;
            while !m.header().growing || m.stats().old_buckets < 64 {
                m.insert(i, i);
                i += 1;
            }
            for _ in 0..stop_after {
                m.insert(i, i);
                i += 1;
            }
            assert!(m.header().growing);
            m
        });
        let keys: Vec<u64> = (0..m.len() as u64).collect();
        let walk = check(&m, &keys);
        matches_allocator(&walk, &live);
        assert_eq!(walk[2].kind, HeapKind::OldBuckets);
        assert_eq!(walk[2].size, m.stats().old_array_bytes);
    }
}

#[test]
fn overflow_chains_are_walked_link_by_link() {
    // 16 buckets (one pre-allocated overflow bucket) and 30 keys in bucket 0:
    // a chain of four, the first overflow bucket from the array's pool, the
    // next two allocated on their own.
    let (m, live) = recorded(|| {
        let mut m: GoMap<u64, u64, IdHash> = GoMap::with_capacity_and_hasher(100, IdHash);
        for j in 0..30 {
            m.insert(crowd_key(0, j), j);
        }
        for j in 0..20 {
            m.insert(crowd_key(5, j), j);
        }
        m
    });
    assert_eq!(m.stats().b, 4);
    assert!(!m.header().growing);
    let keys: Vec<u64> = (0..30)
        .map(|j| crowd_key(0, j))
        .chain((0..20).map(|j| crowd_key(5, j)))
        .collect();
    let walk = check(&m, &keys);
    matches_allocator(&walk, &live);
    let ovf: Vec<(usize, &HeapObject)> = walk
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind == HeapKind::Overflow)
        .collect();
    // Bucket 0: 8 + 8 (pool) + 8 + 6 -> 2 own overflow buckets; bucket 5:
    // 8 + 8 + 4 -> 2 own (the pool's only bucket went to bucket 0).
    assert_eq!(ovf.len(), 4);
    // The first own overflow bucket of each chain hangs off the array (the
    // pool bucket pointing to it is part of the array); the second off the first.
    assert_eq!(ovf[0].1.parent, Some(1));
    assert_eq!(ovf[1].1.parent, Some(ovf[0].0));
    assert_eq!(ovf[2].1.parent, Some(1));
    assert_eq!(ovf[3].1.parent, Some(ovf[2].0));
    assert_eq!(
        m.stats().overflow_bytes,
        4 * GoMap::<u64, u64, IdHash>::layout().bucket_size
    );
}

#[test]
fn indirect_keys_and_values_hang_off_their_buckets() {
    type K = [u8; 136];
    type V = [u64; 20];
    let key = |i: u64| {
        let mut k = [0u8; 136];
        k[..8].copy_from_slice(&i.to_le_bytes());
        k
    };
    let l = GoMap::<K, V>::layout();
    assert!(l.indirect_key && l.indirect_value);
    for n in [1u64, 8, 9, 40, 200] {
        let (m, live) = recorded(|| (0..n).map(|i| (key(i), [i; 20])).collect::<GoMap<K, V>>());
        let keys: Vec<K> = (0..n).map(key).collect();
        let walk = check(&m, &keys);
        matches_allocator(&walk, &live);
        let ik: Vec<&HeapObject> = walk
            .iter()
            .filter(|o| o.kind == HeapKind::IndirectKey)
            .collect();
        let iv: Vec<&HeapObject> = walk
            .iter()
            .filter(|o| o.kind == HeapKind::IndirectValue)
            .collect();
        assert_eq!((ik.len(), iv.len()), (n as usize, n as usize));
        assert!(ik.iter().all(|o| o.size == 136) && iv.iter().all(|o| o.size == 160));
        // The key's box is where the map's key reference points.
        for k in &keys {
            let (kr, vr) = m.get_key_value(k).unwrap();
            assert!(ik.iter().any(|o| o.addr == kr as *const K as usize));
            assert!(iv.iter().any(|o| o.addr == vr as *const V as usize));
        }
    }
    // Mid-growth too.
    let (m, live) = recorded(|| {
        let mut m: GoMap<K, V> = GoMap::new();
        let mut i = 0;
        while !m.header().growing || m.stats().old_buckets < 4 {
            m.insert(key(i), [i; 20]);
            i += 1;
        }
        m
    });
    let keys: Vec<K> = (0..m.len() as u64).map(key).collect();
    matches_allocator(&check(&m, &keys), &live);
}

#[test]
fn a_large_old_array_is_listed_until_it_is_freed() {
    // 2^13 buckets of 144 bytes (1.2 MiB with the pool): after its doubling
    // finishes it is handed back to the OS a chunk per write, then freed.
    // Allocated before recording starts: only the map's memory is recorded.
    let mut keys: Vec<u64> = Vec::with_capacity(1 << 20);
    let ((mut m, keys, mut i, old_bytes), live) = recorded(move || {
        let mut m: GoMap<u64, u64> = GoMap::new();
        let mut i = 0u64;
        while m.stats().b < 14 {
            m.insert(i, i);
            i += 1;
        }
        let old_bytes = m.stats().old_array_bytes;
        assert!(old_bytes >= 1 << 20);
        keys.extend(0..i);
        let mut checked_mid = false;
        while m.header().growing {
            m.insert(i, i);
            keys.push(i);
            i += 1;
            if !checked_mid && m.header().released_bytes > 0 {
                // Pages below nevacuate were handed back: the walk skips them.
                check(&m, &keys);
                checked_mid = true;
            }
        }
        assert!(checked_mid, "pages are released during a growth this large");
        (m, keys, i, old_bytes)
    });
    let h = m.header();
    assert_eq!(h.retiring_bytes, old_bytes, "finished, but not freed yet");
    assert!(h.released_bytes > 0 && h.released_bytes < old_bytes);
    let walk = check(&m, &keys);
    matches_allocator(&walk, &live);
    let old: Vec<&HeapObject> = walk
        .iter()
        .filter(|o| o.kind == HeapKind::OldBuckets)
        .collect();
    assert_eq!(old.len(), 1);
    assert_eq!((old[0].size, old[0].parent), (old_bytes, Some(0)));
    let mut writes = 0;
    while m.header().retiring_bytes > 0 {
        m.insert(i, i);
        i += 1;
        writes += 1;
        assert!(writes < 100, "retiring must end");
    }
    assert!(m.heap_walk().iter().all(|o| o.kind != HeapKind::OldBuckets));
    assert_eq!(m.stats().old_array_bytes, 0);
}

#[test]
fn the_walk_follows_the_map_when_it_moves() {
    let m: GoMap<u64, u64> = (0..50).map(|i| (i, i)).collect();
    let a = m.heap_walk();
    let boxed = Box::new(m);
    let b = boxed.heap_walk();
    assert_eq!(b[0].addr, &*boxed as *const _ as usize);
    assert_ne!(a[0].addr, b[0].addr);
    assert_eq!(
        a[1..],
        b[1..],
        "moving the header moves nothing it points to"
    );
}

#[test]
fn same_size_growth_is_walked_too() {
    // Churn at full load (832 entries fill B = 7) makes overflow buckets
    // until noverflow reaches 2^7: a same-size growth, old and new arrays
    // of equal size.
    let (mut m, live) = recorded(|| (0..832u64).map(|i| (i, i)).collect::<GoMap<u64, u64>>());
    matches_allocator(&check(&m, &(0..832).collect::<Vec<_>>()), &live);
    let mut keys: Vec<u64> = (0..832).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut seen = 0;
    for (step, next) in (832u64..60_832).enumerate() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let victim = keys.swap_remove((x % keys.len() as u64) as usize);
        m.remove(&victim);
        m.insert(next, next);
        keys.push(next);
        if m.header().same_size_grow && (seen < 5 || step % 97 == 0) {
            seen += 1;
            let walk = check(&m, &keys);
            assert_eq!(walk[1].size, walk[2].size, "same-size: both arrays alike");
            assert_eq!(walk[2].kind, HeapKind::OldBuckets);
        }
    }
    assert!(seen > 0, "no same-size growth in 60 000 churn steps");
}
