//! `InlineGoMap`'s inline fast paths (insert and lookup working on the
//! inline bucket itself) must leave exactly the bucket `GoMap` would: the
//! same slot for every key (Go's `mapassign` takes the first empty slot,
//! holes that removals left included) and the same tophash bytes, with
//! `emptyOne` / `emptyRest` as Go's `mapdelete` leaves them. Hashers here are
//! deterministic, so the same operations on a `GoMap` with the same hasher
//! give the reference bucket.

use foldhash::fast::FixedState;
use gomap::{GoMap, InlineGoMap};
use std::hash::BuildHasher;

mod common;

// The tests' identity hasher: a `u64` key is its own hash, so a test picks
// colliding tophashes, neighbours `top ^ 1` and top bytes below 5.
use common::IdHash as Identity;

/// The inline bucket's tophash bytes.
fn tops<K, V, S>(m: &InlineGoMap<K, V, S>) -> [u8; 8] {
    m.structure().current.expect("a bucket").chains[0].buckets[0].tophash
}

/// Every chain's tophash bytes, bucket by bucket (addresses differ). A
/// `GoMap` before its first insert has no bucket yet (Go's lazy
/// `makemap_small`): that reads as one all-`emptyRest` bucket, which is
/// what the inline map has then.
fn shape(s: gomap::MapStructure) -> Vec<Vec<[u8; 8]>> {
    s.current.map_or_else(
        || vec![vec![[0; 8]]],
        |a| {
            a.chains
                .iter()
                .map(|c| c.buckets.iter().map(|b| b.tophash).collect())
                .collect()
        },
    )
}

/// A small xorshift generator: reproducible sequences without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs the same random inserts, updates, removes and lookups on an
/// `InlineGoMap` and a `GoMap` with the same hasher, comparing after every
/// step the tophash bytes of every bucket, every key's slot, and the
/// results. `keys` maps a small index to a key.
fn same_bucket_as_gomap<S: BuildHasher + Clone>(hasher: S, keys: impl Fn(u64) -> u64, seed: u64) {
    let mut rng = Rng(seed);
    let mut inline: InlineGoMap<u64, u64, S> = InlineGoMap::with_hasher(hasher.clone());
    let mut go: GoMap<u64, u64, S> = GoMap::with_hasher(hasher);
    for step in 0..400u64 {
        let r = rng.next();
        // A key space of 11: the map keeps filling to 8, spilling and
        // (after `shrink_to_fit`) coming back inline.
        let k = keys(r % 11);
        match (r >> 8) % 8 {
            0..=3 => assert_eq!(inline.insert(k, step), go.insert(k, step), "insert {k:#x}"),
            4 | 5 => assert_eq!(inline.remove(&k), go.remove(&k), "remove {k:#x}"),
            6 if r & (1 << 20) == 0 => assert_eq!(inline.get(&k), go.get(&k), "get {k:#x}"),
            6 => {
                let (a, b) = (inline.get_mut(&k), go.get_mut(&k));
                assert_eq!(a, b, "get_mut {k:#x}");
                if let (Some(a), Some(b)) = (a, b) {
                    *a += 1000;
                    *b += 1000;
                }
            }
            _ => {
                if inline.len() <= 8 && !inline.is_inline() {
                    // Back inline: compare from a fresh GoMap built the way
                    // the bucket is laid out now (entries keep their slots).
                    inline.shrink_to_fit();
                    assert!(inline.is_inline());
                    go = GoMap::with_hasher(go.hasher().clone());
                    let mut slots: Vec<_> = inline
                        .iter()
                        .map(|(&k, &v)| (inline.locate(&k).unwrap().slot, k, v))
                        .collect();
                    slots.sort();
                    for (_, k, v) in slots {
                        go.insert(k, v);
                    }
                    // `shrink_to_fit` packs the entries into slots 0..len.
                    assert_eq!(shape(inline.structure()), shape(go.structure()));
                }
            }
        }
        assert_eq!(inline.len(), go.len());
        if inline.is_inline() && go.stats().b == 0 {
            assert_eq!(
                shape(inline.structure()),
                shape(go.structure()),
                "step {step}"
            );
            for (k, _) in go.iter() {
                let (a, b) = (inline.locate(k).unwrap(), go.locate(k).unwrap());
                assert_eq!((a.slot, a.overflow_depth), (b.slot, b.overflow_depth));
            }
        }
        for i in 0..11 {
            assert_eq!(inline.get(&keys(i)), go.get(&keys(i)));
        }
    }
}

#[test]
fn same_bucket_as_gomap_with_foldhash() {
    for seed in 1..20 {
        same_bucket_as_gomap(FixedState::with_seed(seed), |i| i * 0x9E37_79B9, seed);
    }
}

#[test]
fn same_bucket_as_gomap_with_colliding_tophashes() {
    // Tophash 7 for every key, or 6 and 7 (`top ^ 1` neighbours), or top
    // bytes 0..4 (raised by 5, colliding with keys whose top byte is 5..9).
    let all_seven = |i: u64| (7 << 56) | i;
    let neighbours = |i: u64| ((6 + (i & 1)) << 56) | i;
    let raised = |i: u64| ((i % 10) << 56) | i;
    for seed in 1..20 {
        same_bucket_as_gomap(Identity, all_seven, seed);
        same_bucket_as_gomap(Identity, neighbours, seed);
        same_bucket_as_gomap(Identity, raised, seed);
    }
}

#[test]
fn insert_after_removals_fills_the_first_hole() {
    let top = |t: u64, i: u64| (t << 56) | i;
    let mut m: InlineGoMap<u64, u64, Identity> = InlineGoMap::with_hasher(Identity);
    for i in 0..8 {
        m.insert(top(10 + i, i), i);
    }
    assert_eq!(tops(&m), [10, 11, 12, 13, 14, 15, 16, 17]);
    m.remove(&top(15, 5));
    m.remove(&top(12, 2));
    // Holes are emptyOne (a full slot follows each).
    assert_eq!(tops(&m), [10, 11, 1, 13, 14, 1, 16, 17]);
    m.insert(top(40, 40), 40);
    assert_eq!(m.locate(&top(40, 40)).unwrap().slot, 2);
    m.insert(top(41, 41), 41);
    assert_eq!(m.locate(&top(41, 41)).unwrap().slot, 5);
    assert_eq!(tops(&m), [10, 11, 40, 13, 14, 41, 16, 17]);
    // Removing the tail turns it into emptyRest (Go's mapdelete), and a
    // hole below it still comes first.
    m.remove(&top(17, 7));
    m.remove(&top(16, 6));
    m.remove(&top(11, 1));
    assert_eq!(tops(&m), [10, 1, 40, 13, 14, 41, 0, 0]);
    m.insert(top(3, 50), 50); // top byte 3 is raised to 8
    assert_eq!(m.locate(&top(3, 50)).unwrap().slot, 1);
    m.insert(top(42, 51), 51);
    assert_eq!(tops(&m), [10, 8, 40, 13, 14, 41, 42, 0]);
    assert_eq!(m.len(), 7);
    // Emptied completely, every slot is emptyRest again and the next key
    // goes to slot 0.
    for k in [
        top(10, 0),
        top(3, 50),
        top(40, 40),
        top(13, 3),
        top(14, 4),
        top(41, 41),
        top(42, 51),
    ] {
        assert!(m.remove(&k).is_some());
    }
    assert_eq!(tops(&m), [0; 8]);
    m.insert(top(9, 9), 9);
    assert_eq!((tops(&m)[0], m.locate(&top(9, 9)).unwrap().slot), (9, 0));
    assert!(m.is_inline());
}

#[test]
fn colliding_tophashes_find_the_right_key() {
    // Eight keys with one tophash: every lookup has eight candidates.
    let mut m: InlineGoMap<u64, u64, Identity> = InlineGoMap::with_hasher(Identity);
    for i in 0..8 {
        assert_eq!(m.insert((200 << 56) | i, i), None);
    }
    for i in 0..8 {
        assert_eq!(m.get(&((200 << 56) | i)), Some(&i));
        assert_eq!(m.insert((200 << 56) | i, i + 100), Some(i));
    }
    // Absent keys: same tophash, and the neighbouring tophash 201.
    assert_eq!(m.get(&((200 << 56) | 8)), None);
    assert_eq!(m.get(&((201 << 56) | 1)), None);
    assert!(m.is_inline());
    assert_eq!(m.stats().heap_bytes, 0);
    // A ninth key with that tophash spills (Go's hashGrow from B = 0).
    assert_eq!(m.insert((200 << 56) | 8, 8), None);
    assert!(!m.is_inline());
    for i in 0..9 {
        assert!(m.contains_key(&((200 << 56) | i)));
    }
}

#[test]
fn updates_of_a_full_bucket_never_spill() {
    let mut m: InlineGoMap<String, u64> = InlineGoMap::new();
    for i in 0..8 {
        m.insert(i.to_string(), i);
    }
    let before = tops(&m);
    for round in 0..3 {
        for i in 0..8 {
            assert_eq!(
                m.insert(i.to_string(), i + round * 10 + 10),
                Some(i + round * 10)
            );
        }
    }
    assert!(m.is_inline());
    assert_eq!(tops(&m), before);
    assert_eq!(m.get("3"), Some(&33));
    assert_eq!(
        m.get_key_value("7").map(|(k, v)| (k.as_str(), *v)),
        Some(("7", 37))
    );
}
