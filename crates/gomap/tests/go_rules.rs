//! Go's documented map rules (DESIGN.md, "Rules that must match Go"), checked
//! through the introspection API: hint -> B, pre-allocated overflow buckets,
//! TestMapBuckets, when growth starts, how long evacuation takes, what reads
//! may not do, same-size growth, capacity, clear, emptyRest, shrinking and
//! capacity overflow.

mod common;

use common::*;
use gomap::GoMap;
use std::hash::{BuildHasher, Hash};

type M = GoMap<u64, u64>;
type IdMap = GoMap<u64, u64, IdHash>;

fn bucket_size() -> usize {
    M::layout().bucket_size
}

/// An old bucket is evacuated when its first tophash is evacuatedX, evacuatedY
/// or evacuatedEmpty (Go's `evacuated(b)`).
fn is_evacuated(tophash: &[u8; 8]) -> bool {
    (2..=4).contains(&tophash[0])
}

/// Old buckets evacuated so far, counted from the live structure.
fn evacuated_count<K: Hash + Eq, V, S: BuildHasher>(m: &GoMap<K, V, S>) -> usize {
    match m.structure().old {
        None => 0,
        Some(old) => old
            .chains
            .iter()
            .filter(|c| is_evacuated(&c.buckets[0].tophash))
            .count(),
    }
}

/// splitmix64: distinct, well-spread u64s for IdHash maps.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------
// with_capacity: hint -> B
// ---------------------------------------------------------------------------

#[test]
fn hints_up_to_8_allocate_nothing() {
    for hint in 0..=8 {
        let m = M::with_capacity(hint);
        let s = m.stats();
        assert_eq!(s.b, 0, "hint {hint}");
        assert_eq!(s.buckets, 0, "hint {hint}");
        assert_eq!(s.buckets_addr, 0, "hint {hint}");
        assert_eq!(s.heap_bytes, 0, "hint {hint}");
        assert_eq!(m.header().buckets, 0, "hint {hint}");
        assert_eq!(m.capacity(), 0, "hint {hint}: no buckets means capacity 0");
    }
}

#[test]
fn hint_table_from_design() {
    for (hints, b) in [(9..=13, 1u8), (14..=26, 2), (27..=52, 3)] {
        for hint in hints {
            let m = M::with_capacity(hint);
            let s = m.stats();
            assert_eq!(s.b, b, "hint {hint}");
            assert_eq!(s.buckets, 1 << b, "hint {hint}");
            assert_ne!(s.buckets_addr, 0, "hint {hint}");
            assert_eq!(s.preallocated_overflow, 0, "hint {hint}: B < 4");
            assert_eq!(s.overflow_buckets, 0);
            assert_eq!(s.heap_bytes, (1 << b) * bucket_size(), "hint {hint}");
            assert_eq!(m.capacity(), capacity_for_b(b), "hint {hint}");
            assert!(m.capacity() >= hint);
        }
    }
    // The boundary the other way: 53 needs B = 4.
    assert_eq!(M::with_capacity(53).header().b, 4);
}

#[test]
fn hint_rule_is_smallest_b_not_over_load_factor() {
    let mut hints: Vec<usize> = (0..=3000).collect();
    for b in 1..=17u8 {
        let c = capacity_for_b(b);
        hints.extend([c - 1, c, c + 1]);
    }
    hints.extend([
        10_000, 99_999, 100_000, 123_457, 500_000, 999_999, 1_000_000,
    ]);
    for hint in hints {
        let want = b_for_hint(hint);
        // Independent restatement: B is the smallest with !overLoadFactor.
        assert!(!over_load_factor(hint, want));
        assert!(want == 0 || over_load_factor(hint, want - 1));
        let m = M::with_capacity(hint);
        let h = m.header();
        assert_eq!(h.b, want, "hint {hint}");
        assert_eq!(
            h.buckets != 0,
            want > 0,
            "hint {hint}: buckets only when B > 0"
        );
        assert_eq!(h.count, 0);
        assert!(!h.growing);
        let want_cap = if want == 0 { 0 } else { capacity_for_b(want) };
        assert_eq!(m.capacity(), want_cap, "hint {hint}");
    }
}

#[test]
fn preallocated_overflow_is_exactly_2_pow_b_minus_4() {
    for b in 0..=12u8 {
        let m = M::with_capacity(capacity_for_b(b));
        let s = m.stats();
        if b == 0 {
            assert_eq!(s.buckets, 0);
            assert_eq!(s.preallocated_overflow, 0);
            continue;
        }
        assert_eq!(s.b, b);
        assert_eq!(s.preallocated_overflow, prealloc_for_b(b), "B = {b}");
        assert_eq!(
            s.free_preallocated_overflow,
            prealloc_for_b(b),
            "B = {b}: none handed out yet"
        );
        assert_eq!(
            s.overflow_buckets, 0,
            "B = {b}: pre-allocated buckets are not linked yet"
        );
        assert_eq!(
            s.heap_bytes,
            ((1 << b) + prealloc_for_b(b)) * bucket_size(),
            "B = {b}"
        );
    }
}

#[test]
fn arrays_made_by_growth_carry_preallocated_overflow_too() {
    let mut m = M::new();
    let mut i = 0u64;
    for b in 1..=9u8 {
        while m.header().b < b {
            m.insert(i, i);
            i += 1;
        }
        let s = m.stats();
        assert_eq!(s.b, b);
        assert_eq!(s.preallocated_overflow, prealloc_for_b(b), "B = {b}");
    }
}

// ---------------------------------------------------------------------------
// new(), TestMapBuckets, growth trigger
// ---------------------------------------------------------------------------

#[test]
fn new_allocates_nothing_first_insert_allocates_one_bucket() {
    for m in [M::new(), M::default(), M::with_hasher(Default::default())] {
        let mut m = m;
        let s = m.stats();
        assert_eq!(s.heap_bytes, 0);
        assert_eq!(s.buckets_addr, 0);
        assert_eq!(s.buckets, 0);
        assert_eq!(s.b, 0);
        assert_eq!(m.capacity(), 0);
        assert_eq!(m.header().buckets, 0);
        // Reads, removes and clears on the empty map allocate nothing either.
        assert_eq!(m.get(&1), None);
        assert_eq!(m.remove(&1), None);
        m.clear();
        m.retain(|_, _| true);
        assert_eq!(m.iter().count(), 0);
        assert_eq!(m.stats().heap_bytes, 0);

        m.insert(1, 10);
        let s = m.stats();
        assert_eq!(s.b, 0);
        assert_eq!(s.buckets, 1);
        assert_ne!(s.buckets_addr, 0);
        assert_eq!(s.heap_bytes, bucket_size());
        assert_eq!(s.preallocated_overflow, 0);
        assert_eq!(m.capacity(), 8);
    }
}

#[test]
fn go_test_map_buckets() {
    // Go's TestMapBuckets: bucket counts after n inserts.
    let table = [
        (8, 1),
        (9, 2),
        (12, 2),
        (14, 4),
        (24, 4),
        (27, 8),
        (48, 8),
        (53, 16),
    ];
    for (n, want) in table {
        let starts: [(&str, M); 4] = [
            ("new", M::new()),
            ("with_capacity(0)", M::with_capacity(0)),
            ("with_capacity(8)", M::with_capacity(8)),
            ("with_capacity(n)", M::with_capacity(n)),
        ];
        for (name, mut m) in starts {
            for i in 0..n as u64 {
                m.insert(i, i);
            }
            assert_eq!(m.stats().buckets, want, "{name}, {n} inserts");
            assert_eq!(m.len(), n);
        }
    }
}

#[test]
fn b_after_n_inserts_follows_over_load_factor() {
    let mut m = M::new();
    let mut prev_b = 0;
    for n in 1..=100_000u64 {
        m.insert(n.wrapping_mul(0x9E37_79B9_7F4A_7C15), n);
        let h = m.header();
        let want = b_for_hint(n as usize);
        assert_eq!(h.b, want, "after {n} inserts");
        assert_eq!(h.count, n as usize);
        if h.b != prev_b {
            assert_eq!(h.b, prev_b + 1, "one doubling at a time");
            // The insert that made the count over the load factor started it.
            assert!(over_load_factor(n as usize, prev_b));
            assert!(!over_load_factor(n as usize - 1, prev_b));
            prev_b = h.b;
        }
        assert_eq!(h.growing, h.oldbuckets != 0);
        assert_eq!(m.capacity(), capacity_for_b(h.b), "after {n} inserts");
    }
}

#[test]
fn growth_starts_only_on_a_new_key() {
    for b in 1..=6u8 {
        let cap = capacity_for_b(b);
        let mut m = M::with_capacity(cap);
        for k in 0..cap as u64 {
            m.insert(k, k);
        }
        let h0 = m.header();
        assert_eq!(h0.b, b);
        assert!(!h0.growing);
        // Updates of existing keys at the threshold never grow, whatever the path.
        for round in 0..3u64 {
            for k in 0..cap as u64 {
                assert_eq!(
                    m.insert(k, round + 100),
                    Some(if round == 0 { k } else { round + 99 })
                );
            }
        }
        *m.entry(0).or_insert(0) += 1;
        m.entry(1).and_modify(|v| *v += 1).or_insert(0);
        *m.get_mut(&2).unwrap() += 1;
        let h1 = m.header();
        assert_eq!(h1, h0, "B = {b}: updates must not start a growth");
        // Removing and re-inserting a key keeps the count at or below the threshold.
        m.remove(&3);
        m.insert(3, 3);
        assert_eq!(m.header().b, b);
        assert!(!m.header().growing);

        // The (cap + 1)th key starts a doubling at once.
        m.insert(cap as u64, 0);
        let h2 = m.header();
        assert_eq!(h2.b, b + 1, "B = {b}: B changes the moment growth starts");
        assert_eq!(m.stats().buckets, 2 << b);
        assert_eq!(m.len(), cap + 1);
        if b >= 2 {
            // At most two old buckets are evacuated by one write.
            assert!(
                h2.growing,
                "B = {b}: {} old buckets cannot all be evacuated by one insert",
                1 << b
            );
            assert_eq!(
                h2.oldbuckets, h0.buckets,
                "the old array is the array before the growth"
            );
        }
    }
}

#[test]
fn an_insert_through_the_entry_api_also_starts_growth() {
    let mut m = M::with_capacity(26);
    for k in 0..26 {
        m.insert(k, k);
    }
    assert_eq!(m.header().b, 2);
    m.entry(1000).or_insert(1);
    assert_eq!(m.header().b, 3);
    assert!(m.header().growing);
}

// ---------------------------------------------------------------------------
// Incremental evacuation
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Write {
    InsertNew,
    Update,
    Remove,
}

/// Fills a map to its threshold at B = `b`, starts a doubling with one more
/// key, then does writes of `kind` until the growth finishes. Checks Go's
/// growWork bounds after every write.
fn doubling_finishes_within_old_count_writes(b: u8, kind: Write) {
    let cap = capacity_for_b(b);
    let mut m = M::with_capacity(cap);
    let mut model = std::collections::HashMap::new();
    for k in 0..cap as u64 {
        m.insert(k, k);
        model.insert(k, k);
    }
    let old_count = 1usize << b;
    let heap_before_growth = m.stats().heap_bytes;
    m.insert(cap as u64, cap as u64);
    model.insert(cap as u64, cap as u64);
    let mut writes = 1;
    assert_eq!(m.header().b, b + 1);
    let mut evacuated = evacuated_count(&m);
    if m.header().growing {
        assert!(
            (1..=2).contains(&evacuated),
            "the starting insert evacuates 1 or 2 old buckets, got {evacuated}"
        );
    }
    let mut next_new = 1_000_000u64;
    let mut next_update = 0u64;
    let mut next_remove = 0u64;
    while m.header().growing {
        let heap_before = m.stats().heap_bytes;
        match kind {
            Write::InsertNew => {
                m.insert(next_new, next_new);
                model.insert(next_new, next_new);
                next_new += 1;
            }
            Write::Update => {
                let k = next_update % (cap as u64);
                m.insert(k, k + 7);
                model.insert(k, k + 7);
                next_update += 1;
            }
            Write::Remove => {
                assert_eq!(m.remove(&next_remove), model.remove(&next_remove));
                next_remove += 1;
            }
        }
        writes += 1;
        assert!(
            writes <= old_count,
            "B {b} -> {}: {kind:?} growth still going after {writes} writes",
            b + 1
        );
        let h = m.header();
        if h.growing {
            let now = evacuated_count(&m);
            assert!(
                (evacuated + 1..=evacuated + 2).contains(&now),
                "a write evacuates one or two old buckets: {evacuated} -> {now}"
            );
            evacuated = now;
            assert!(h.nevacuate <= now);
        } else {
            // The old array is released the moment evacuation finishes.
            let s = m.stats();
            assert_eq!(s.old_buckets_addr, 0);
            assert_eq!(h.oldbuckets, 0);
            assert_eq!(s.old_buckets, 0);
            assert!(
                s.heap_bytes < heap_before,
                "heap must drop when the old array is freed: {heap_before} -> {}",
                s.heap_bytes
            );
            assert_eq!(s.heap_bytes, expected_heap(&m));
        }
        // Every key is found during the whole growth.
        assert_eq!(m.len(), model.len());
        for (k, v) in &model {
            assert_eq!(m.get(k), Some(v), "key {k} lost during growth");
        }
    }
    assert!(m.stats().heap_bytes > heap_before_growth);
    let mut got: Vec<_> = m.iter().map(|(k, v)| (*k, *v)).collect();
    let mut want: Vec<_> = model.into_iter().collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn doubling_finishes_within_old_count_inserts() {
    for b in 1..=7 {
        doubling_finishes_within_old_count_writes(b, Write::InsertNew);
    }
}

#[test]
fn doubling_finishes_within_old_count_updates() {
    for b in 1..=7 {
        doubling_finishes_within_old_count_writes(b, Write::Update);
    }
}

#[test]
fn doubling_finishes_within_old_count_removes() {
    for b in 1..=7 {
        doubling_finishes_within_old_count_writes(b, Write::Remove);
    }
}

/// A map of B = 5 (old count 32) that has just started doubling.
fn map_mid_growth() -> M {
    let cap = capacity_for_b(5);
    let mut m = M::with_capacity(cap);
    for k in 0..=cap as u64 {
        m.insert(k, k * 3);
    }
    assert!(m.header().growing);
    assert_eq!(m.header().b, 6);
    m
}

#[test]
fn reads_never_advance_evacuation() {
    let m = map_mid_growth();
    let header = m.header();
    let structure = m.structure();
    for _ in 0..20 {
        for k in 0..=300u64 {
            let _ = m.get(&k);
            let _ = m.contains_key(&k);
            let _ = m.get_key_value(&k);
            let _ = m.locate(&k);
        }
        assert_eq!(m.iter().count(), m.len());
        assert_eq!(m.keys().count(), m.len());
        assert_eq!(m.values().count(), m.len());
        assert_eq!(m.iter_randomized().count(), m.len());
        let _ = m.stats();
        let _ = format!("{m:?}");
        let _ = m.clone();
    }
    assert_eq!(m.header(), header, "reads changed the header");
    assert_eq!(m.header().nevacuate, header.nevacuate);
    assert_eq!(m.structure(), structure, "reads changed the structure");
}

#[test]
fn lookups_during_growth_read_the_old_buckets() {
    let m = map_mid_growth();
    let mut in_old = 0;
    for k in 0..=capacity_for_b(5) as u64 {
        assert_eq!(m.get(&k), Some(&(k * 3)), "key {k}");
        assert!(m.contains_key(&k));
        let loc = m.locate(&k).expect("located");
        let hash = m.hasher().hash_one(k);
        if loc.in_old {
            in_old += 1;
            assert_eq!(
                loc.bucket_index as u64,
                hash & 31,
                "old bucket index is hash & oldmask"
            );
        } else {
            assert_eq!(
                loc.bucket_index as u64,
                hash & 63,
                "new bucket index is hash & newmask"
            );
        }
    }
    assert!(
        in_old > 100,
        "most entries are still in the old array ({in_old})"
    );
    assert_eq!(m.get(&999_999), None);
}

#[test]
fn bucket_index_is_low_b_bits_and_tophash_is_top_byte() {
    // Under the default hasher.
    let mut m = M::new();
    for k in 0..2000u64 {
        m.insert(k, k);
    }
    finish_growth(&mut m, |m| {
        m.insert(0, 0);
    });
    let st = m.structure();
    let cur = st.current.as_ref().unwrap();
    let mask = (1u64 << st.header.b) - 1;
    for k in 0..2000u64 {
        let hash = m.hasher().hash_one(k);
        let loc = m.locate(&k).unwrap();
        assert!(!loc.in_old);
        assert_eq!(loc.bucket_index as u64, hash & mask);
        let bucket = &cur.chains[loc.bucket_index].buckets[loc.overflow_depth];
        assert_eq!(bucket.addr, loc.bucket_addr);
        assert_eq!(bucket.tophash[loc.slot], go_tophash(hash), "key {k}");
    }
}

#[test]
fn tophash_below_min_top_hash_is_raised_by_5() {
    let mut m = IdMap::with_hasher(IdHash);
    // Eight keys: a ninth would start a growth out of B = 0.
    for top in [0u64, 1, 2, 3, 4, 5, 200, 255] {
        let key = (top << 56) | top;
        m.insert(key, top);
        let loc = m.locate(&key).unwrap();
        let st = m.structure();
        let th = st.current.as_ref().unwrap().chains[0].buckets[0].tophash[loc.slot];
        let want = if top < 5 { top as u8 + 5 } else { top as u8 };
        assert_eq!(th, want, "hash top byte {top}");
        assert_eq!(
            gomap::SlotState::from_tophash(th),
            gomap::SlotState::Full(want)
        );
    }
    assert_eq!(m.header().b, 0);
}

#[test]
fn evacuation_splits_by_the_hash_bit_into_x_and_y() {
    // IdHash: the key is its hash, so X/Y is bit 3 of the key at B 3 -> 4.
    let mut m = IdMap::with_capacity_and_hasher(52, IdHash);
    let keys: Vec<u64> = (0..52).map(mix).collect();
    for &k in &keys {
        m.insert(k, k);
    }
    assert_eq!(m.header().b, 3);
    let before: Vec<_> = keys.iter().map(|k| (*k, m.locate(k).unwrap())).collect();
    m.insert(mix(1000), 0);
    assert_eq!(m.header().b, 4);
    let mut checked_evacuated = 0;
    loop {
        let st = m.structure();
        if let Some(old) = &st.old {
            for chain in &old.chains {
                let head = &chain.buckets[0];
                if !is_evacuated(&head.tophash) {
                    // Not evacuated: its keys are still there, in the old array.
                    for (k, loc0) in &before {
                        if loc0.bucket_index == chain.index {
                            let loc = m.locate(k).unwrap();
                            assert!(loc.in_old, "key {k:#x} of an unevacuated bucket");
                            assert_eq!(
                                (loc.bucket_index, loc.overflow_depth, loc.slot),
                                (loc0.bucket_index, loc0.overflow_depth, loc0.slot)
                            );
                        }
                    }
                    continue;
                }
                checked_evacuated += 1;
                for slot in 0..8 {
                    let was = before.iter().find(|(_, l)| {
                        l.bucket_index == chain.index && l.overflow_depth == 0 && l.slot == slot
                    });
                    // evacuatedX (2) / evacuatedY (3) by the hash bit of the old
                    // B; an empty slot becomes evacuatedEmpty (4).
                    let want = match was {
                        Some((k, _)) => 2 + ((k >> 3) & 1) as u8,
                        None => 4,
                    };
                    assert_eq!(
                        head.tophash[slot], want,
                        "old bucket {} slot {slot}",
                        chain.index
                    );
                }
            }
        }
        for (k, _) in &before {
            let loc = m.locate(k).unwrap();
            if !loc.in_old {
                assert_eq!(loc.bucket_index as u64, k & 15, "X/Y destination of {k:#x}");
            }
        }
        if !m.header().growing {
            break;
        }
        m.insert(keys[0], 1); // an update: one more growWork step
    }
    assert!(checked_evacuated > 0);
}

// ---------------------------------------------------------------------------
// Same-size growth
// ---------------------------------------------------------------------------

/// With B = `b`, give each of the 2^B buckets one overflow bucket by putting 9
/// keys in it and removing 8 (insert/remove churn), and check that the
/// same-size grow starts exactly when noverflow reaches 2^min(B, 15).
fn same_size_grow_at(b: u8) {
    let nb = 1usize << b;
    let threshold = 1usize << b.min(15);
    let mut m = IdMap::with_capacity_and_hasher(capacity_for_b(b), IdHash);
    assert_eq!(m.header().b, b);
    let mut live: Vec<u64> = Vec::new();
    let mut j = 0u64;
    for bucket in 0..nb {
        let ks: Vec<u64> = (0..9)
            .map(|_| {
                j += 1;
                crowd_key(bucket as u16, j)
            })
            .collect();
        for &k in &ks {
            assert_eq!(m.locate(&k), None);
            m.insert(k, k);
            assert_eq!(m.locate(&k).unwrap().bucket_index, bucket);
        }
        assert_eq!(
            m.locate(&ks[8]).unwrap().overflow_depth,
            1,
            "the 9th key of a bucket overflows"
        );
        for k in &ks[..8] {
            assert_eq!(m.remove(k), Some(*k));
        }
        live.push(ks[8]);
        let h = m.header();
        assert_eq!(
            h.noverflow as usize,
            bucket + 1,
            "noverflow counts each overflow bucket (B < 16)"
        );
        assert_eq!(m.stats().overflow_buckets, bucket + 1);
        assert!(!h.growing, "removes never start a growth");
        assert_eq!(h.b, b);
        assert_eq!(too_many_overflow(bucket + 1, b), bucket + 1 >= threshold);
        if bucket + 1 < threshold {
            // Below the threshold a new key (landing in a hole of bucket 0's
            // chain, so no new overflow) does not start a growth.
            j += 1;
            let probe = crowd_key(0, j);
            m.insert(probe, 0);
            assert!(
                !m.header().growing,
                "B = {b}: grew with noverflow {} < {threshold}",
                bucket + 1
            );
            assert_eq!(m.header().noverflow as usize, bucket + 1);
            m.remove(&probe);
        }
    }
    assert_eq!(m.header().noverflow as usize, threshold);
    // An update at the threshold does not start it either.
    m.insert(live[0], 42);
    assert!(!m.header().growing);
    let overflow_before = m.stats().overflow_buckets;
    let addr_before = m.header().buckets;

    // The next new key does.
    j += 1;
    let trigger = crowd_key(0, j);
    m.insert(trigger, trigger);
    live.push(trigger);
    let h = m.header();
    let s = m.stats();
    assert_eq!(h.b, b, "same-size grow keeps B");
    assert_ne!(
        h.buckets, addr_before,
        "B = {b}: a new array was expected (same-size grow)"
    );
    if nb > 2 {
        // (With 2 old buckets the starting insert evacuates both at once.)
        assert!(
            h.growing && h.same_size_grow,
            "B = {b}: same-size grow expected"
        );
        assert!(s.growing && s.same_size_grow);
        assert_eq!(s.buckets, nb);
        assert_eq!(s.old_buckets, nb);
        assert_eq!(h.oldbuckets, addr_before);
    }
    let mut writes = 1;
    let mut i = 0;
    while m.header().growing {
        assert!(m.header().same_size_grow);
        m.insert(live[i % live.len()], 7);
        i += 1;
        writes += 1;
        assert!(
            writes <= nb,
            "same-size grow of {nb} buckets took more than {nb} writes"
        );
    }
    let s = m.stats();
    assert_eq!(s.b, b);
    assert!(!s.same_size_grow);
    assert_eq!(s.old_buckets_addr, 0);
    assert_eq!(
        m.header().noverflow,
        0,
        "evacuation into a compacted array makes no overflow"
    );
    assert!(
        s.overflow_buckets < overflow_before,
        "compaction: {overflow_before} -> {}",
        s.overflow_buckets
    );
    // Every bucket holds at most 2 live entries now, so no overflow at all.
    assert_eq!(s.overflow_buckets, 0);
    assert_eq!(s.heap_bytes, expected_heap(&m));
    assert_eq!(m.len(), live.len());
    for k in &live {
        assert!(m.contains_key(k), "key {k:#x} lost by same-size grow");
    }
}

#[test]
fn same_size_grow_triggers_at_too_many_overflow_buckets() {
    for b in 1..=6 {
        same_size_grow_at(b);
    }
}

#[test]
fn no_same_size_grow_below_threshold_even_with_long_chains() {
    // One crowded bucket at B = 3: 48 keys in bucket 5 make a chain of 6
    // buckets (5 overflow < 8), and no growth of any kind happens.
    let mut m = IdMap::with_capacity_and_hasher(52, IdHash);
    for j in 0..48 {
        m.insert(crowd_key(5, j), j);
    }
    let h = m.header();
    assert_eq!(h.b, 3);
    assert!(!h.growing);
    assert_eq!(h.noverflow, 5);
    let s = m.stats();
    assert_eq!(s.max_chain, 6);
    assert_eq!(s.overflow_buckets, 5);
    for j in 0..48 {
        assert_eq!(m.get(&crowd_key(5, j)), Some(&j));
        assert_eq!(
            m.locate(&crowd_key(5, j)).unwrap().overflow_depth,
            j as usize / 8
        );
    }
}

// ---------------------------------------------------------------------------
// capacity(), clear(), shrinking
// ---------------------------------------------------------------------------

#[test]
fn capacity_is_largest_count_before_doubling() {
    let mut m = M::new();
    assert_eq!(m.capacity(), 0);
    m.insert(0, 0);
    assert_eq!(m.capacity(), 8);
    for hint in [9, 13, 14, 26, 27, 52, 53, 100, 1000, 5000, 20_000] {
        let mut m = M::with_capacity(hint);
        let cap = m.capacity();
        let b = m.header().b;
        assert_eq!(cap, capacity_for_b(b));
        assert!(cap >= hint);
        assert!(!over_load_factor(cap, b) && over_load_factor(cap + 1, b));
        let addr = m.header().buckets;
        for k in 0..cap as u64 {
            m.insert(k, k);
            assert!(!m.header().growing);
        }
        assert_eq!(m.header().b, b, "hint {hint}: {cap} inserts grew the map");
        assert_eq!(m.header().buckets, addr);
        assert_eq!(m.capacity(), cap);
        m.insert(cap as u64, 0);
        assert_eq!(m.header().b, b + 1, "hint {hint}: one more key doubles");
        assert_eq!(m.capacity(), capacity_for_b(b + 1));
    }
}

#[test]
fn clear_keeps_the_bucket_array() {
    let mut m = M::new();
    for k in 0..1000u64 {
        m.insert(k, k);
    }
    finish_growth(&mut m, |m| {
        m.insert(0, 0);
    });
    let before = m.stats();
    let header = m.header();
    m.clear();
    let s = m.stats();
    assert_eq!(m.len(), 0);
    assert!(m.is_empty());
    assert_eq!(s.buckets_addr, before.buckets_addr);
    assert_eq!(s.b, before.b);
    assert_eq!(m.capacity(), before.capacity);
    assert!(s.heap_bytes <= before.heap_bytes);
    assert!(s.heap_bytes >= (s.buckets + s.preallocated_overflow) * bucket_size());
    assert_eq!(m.iter().count(), 0);
    assert_eq!(m.get(&5), None);
    assert_eq!(s.heap_bytes, expected_heap(&m));
    // Every slot of the array reads empty.
    let st = m.structure();
    for chain in &st.current.as_ref().unwrap().chains {
        for bucket in &chain.buckets {
            assert!(
                bucket.tophash.iter().all(|&t| t <= 1),
                "slot not empty after clear: {:?}",
                bucket.tophash
            );
        }
    }
    // Refill to the same length: same array, no growth, no more memory than before.
    for k in 0..1000u64 {
        m.insert(k, k + 1);
    }
    let after = m.stats();
    assert_eq!(after.buckets_addr, header.buckets);
    assert_eq!(after.b, before.b);
    assert!(!after.growing);
    assert!(
        after.heap_bytes <= before.heap_bytes,
        "{} -> {}",
        before.heap_bytes,
        after.heap_bytes
    );
    assert_eq!(m.get(&999), Some(&1000));
}

#[test]
fn clear_accounts_for_overflow_buckets_exactly() {
    // Crowded chains make overflow buckets for sure: B = 1 (none
    // pre-allocated) and B = 4 (one pre-allocated, the rest allocated alone).
    for (hint, n) in [(12usize, 12u64), (100, 30)] {
        let mut m = IdMap::with_capacity_and_hasher(hint, IdHash);
        for j in 0..n {
            m.insert(crowd_key(0, j), j);
        }
        let full = m.stats();
        assert_eq!(full.overflow_buckets, (n as usize - 1) / 8);
        assert_eq!(full.heap_bytes, expected_heap(&m));
        m.clear();
        let s = m.stats();
        assert_eq!(s.buckets_addr, full.buckets_addr);
        assert_eq!(
            s.heap_bytes,
            expected_heap(&m),
            "heap_bytes after clear vs the chains"
        );
        for j in 0..n {
            m.insert(crowd_key(0, j), j);
        }
        let again = m.stats();
        assert_eq!(again.overflow_buckets, full.overflow_buckets);
        assert_eq!(
            again.heap_bytes, full.heap_bytes,
            "refill after clear: same memory as before"
        );
        assert_eq!(again.heap_bytes, expected_heap(&m));
    }
}

#[test]
fn clear_while_growing_keeps_the_new_array_and_frees_the_old() {
    let mut m = map_mid_growth();
    let h = m.header();
    m.clear();
    let s = m.stats();
    assert_eq!(m.len(), 0);
    assert!(!s.growing);
    assert_eq!(s.old_buckets_addr, 0);
    assert_eq!(s.buckets_addr, h.buckets);
    assert_eq!(s.b, h.b);
    assert_eq!(s.heap_bytes, expected_heap(&m));
    for k in 0..100 {
        m.insert(k, k);
    }
    assert_eq!(m.len(), 100);
    assert_eq!(m.header().buckets, h.buckets);
}

#[test]
fn removal_turns_trailing_empty_one_into_empty_rest() {
    // B = 1; 12 keys in bucket 0: the head holds a0..a7, one overflow bucket a8..a11.
    let mut m = IdMap::with_capacity_and_hasher(12, IdHash);
    assert_eq!(m.header().b, 1);
    let a: Vec<u64> = (0..12).map(|j| crowd_key(0, j)).collect();
    for &k in &a {
        m.insert(k, k);
    }
    for (i, k) in a.iter().enumerate() {
        let loc = m.locate(k).unwrap();
        assert_eq!(
            (loc.bucket_index, loc.overflow_depth, loc.slot),
            (0, i / 8, i % 8),
            "a{i}"
        );
    }
    let full = |i: usize| go_tophash(a[i]);
    let chain = |m: &IdMap| -> (Vec<[u8; 8]>, [u8; 8]) {
        let st = m.structure();
        let cur = st.current.unwrap();
        assert_eq!(cur.chains[1].buckets.len(), 1);
        let other = cur.chains[1].buckets[0].tophash;
        (
            cur.chains[0].buckets.iter().map(|b| b.tophash).collect(),
            other,
        )
    };
    let (c, other) = chain(&m);
    assert_eq!(other, [0; 8], "bucket 1 never used: all emptyRest");
    assert_eq!(c.len(), 2);
    assert_eq!(c[0], std::array::from_fn(full));
    assert_eq!(c[1], [full(8), full(9), full(10), full(11), 0, 0, 0, 0]);

    let (f, h) = (full, 0u8);
    // Last entry of the chain: becomes emptyRest at once.
    m.remove(&a[11]);
    assert_eq!(chain(&m).0[1], [f(8), f(9), f(10), h, h, h, h, h]);
    // A slot before a full one: emptyOne.
    m.remove(&a[9]);
    assert_eq!(chain(&m).0[1], [f(8), 1, f(10), h, h, h, h, h]);
    // Removing a10 makes a trailing run: a10's and a9's slots become emptyRest.
    m.remove(&a[10]);
    assert_eq!(chain(&m).0[1], [f(8), h, h, h, h, h, h, h]);
    // In the head, before full slots: emptyOne.
    m.remove(&a[5]);
    assert_eq!(
        chain(&m).0[0],
        [f(0), f(1), f(2), f(3), f(4), 1, f(6), f(7)]
    );
    // Emptying the overflow bucket: the whole overflow bucket is emptyRest;
    // the head's last slot is still full, so the walk back stops there.
    m.remove(&a[8]);
    let c = chain(&m).0;
    assert_eq!(
        c.len(),
        2,
        "the overflow bucket stays linked (no shrinking)"
    );
    assert_eq!(c[1], [0; 8]);
    assert_eq!(c[0], [f(0), f(1), f(2), f(3), f(4), 1, f(6), f(7)]);
    // The head's last slot, followed by an all-emptyRest overflow bucket.
    m.remove(&a[7]);
    assert_eq!(chain(&m).0[0], [f(0), f(1), f(2), f(3), f(4), 1, f(6), h]);
    // a6 makes the run a5..a7 trailing: all emptyRest.
    m.remove(&a[6]);
    assert_eq!(chain(&m).0[0], [f(0), f(1), f(2), f(3), f(4), h, h, h]);
    // Removing from the front keeps emptyOne while later slots are full.
    m.remove(&a[0]);
    assert_eq!(chain(&m).0[0], [1, f(1), f(2), f(3), f(4), h, h, h]);
    for i in [4, 3, 2] {
        m.remove(&a[i]);
    }
    assert_eq!(chain(&m).0[0], [1, f(1), h, h, h, h, h, h]);
    m.remove(&a[1]);
    assert_eq!(
        chain(&m).0[0],
        [0; 8],
        "the last entry: the whole chain is emptyRest"
    );
    assert!(m.is_empty());

    // Lookups and inserts still work on the emptied chain; a new key takes the
    // first free slot.
    m.insert(a[3], 3);
    assert_eq!(m.locate(&a[3]).unwrap().slot, 0);
    assert_eq!(m.get(&a[3]), Some(&3));
}

#[test]
fn emptied_slots_are_reused_before_new_overflow() {
    let mut m = IdMap::with_capacity_and_hasher(12, IdHash);
    let a: Vec<u64> = (0..12).map(|j| crowd_key(0, j)).collect();
    for &k in &a[..8] {
        m.insert(k, k);
    }
    m.remove(&a[2]);
    m.insert(a[8], 8);
    let loc = m.locate(&a[8]).unwrap();
    assert_eq!(
        (loc.overflow_depth, loc.slot),
        (0, 2),
        "first empty slot of the chain"
    );
    assert_eq!(m.stats().overflow_buckets, 0);
}

#[test]
fn never_shrinks_by_itself_but_shrink_to_fit_releases() {
    let mut m = M::new();
    for k in 0..10_000u64 {
        m.insert(k, k);
    }
    finish_growth(&mut m, |m| {
        m.insert(0, 0);
    });
    let full = m.stats();
    for k in 10..10_000u64 {
        m.remove(&k);
    }
    for k in 0..10u64 {
        for _ in 0..10 {
            m.insert(k, k);
            let _ = m.get(&k);
        }
    }
    let s = m.stats();
    assert_eq!(s.b, full.b, "the map shrank by itself");
    assert_eq!(s.buckets_addr, full.buckets_addr);
    assert_eq!(s.heap_bytes, full.heap_bytes);

    m.shrink_to_fit();
    let s = m.stats();
    assert!(s.b < full.b, "shrink_to_fit kept B = {}", s.b);
    assert!(s.heap_bytes < full.heap_bytes);
    assert!(!s.growing, "shrink_to_fit leaves no growth in progress");
    assert!(!over_load_factor(m.len(), s.b));
    assert!(m.capacity() >= m.len());
    assert_eq!(m.len(), 10);
    for k in 0..10u64 {
        assert_eq!(m.get(&k), Some(&k));
    }
    assert_eq!(m.get(&10), None);

    // An empty map shrinks to nothing allocated.
    let mut e = M::with_capacity(1000);
    e.shrink_to_fit();
    assert!(e.stats().heap_bytes < M::with_capacity(1000).stats().heap_bytes);
    e.insert(1, 1);
    assert_eq!(e.get(&1), Some(&1));
}

#[test]
fn shrink_to_keeps_at_least_the_requested_capacity() {
    let mut m = M::with_capacity(5000);
    for k in 0..100u64 {
        m.insert(k, k);
    }
    let before = m.stats();
    m.shrink_to(1000);
    assert!(m.capacity() >= 1000);
    assert!(m.stats().b <= before.b);
    m.shrink_to(0);
    assert!(m.capacity() >= 100);
    assert!(m.stats().heap_bytes < before.heap_bytes);
    for k in 0..100u64 {
        assert_eq!(m.get(&k), Some(&k));
    }
}

// ---------------------------------------------------------------------------
// Capacity overflow
// ---------------------------------------------------------------------------

#[test]
fn try_reserve_too_much_is_an_error_and_changes_nothing() {
    let mut m = M::new();
    assert!(m.try_reserve(usize::MAX).is_err());
    assert_eq!(m.stats().heap_bytes, 0);
    for k in 0..100 {
        m.insert(k, k);
    }
    let h = m.header();
    assert!(m.try_reserve(usize::MAX).is_err());
    assert!(m.try_reserve(usize::MAX - 50).is_err());
    assert!(m.try_reserve(usize::MAX / 2).is_err());
    assert_eq!(m.header(), h);
    assert_eq!(m.len(), 100);
    assert!(m.try_reserve(1000).is_ok());
    assert!(m.capacity() >= 1100);
    let e: gomap::TryReserveError = M::new().try_reserve(usize::MAX).unwrap_err();
    assert!(!format!("{e:?}").is_empty());
}

#[test]
fn try_with_capacity_too_much_is_an_error() {
    assert!(M::try_with_capacity(usize::MAX).is_err());
    assert!(M::try_with_capacity(usize::MAX / 2).is_err());
    assert!(M::try_with_capacity_and_hasher(usize::MAX, Default::default()).is_err());
    let m = M::try_with_capacity(100).expect("small hint");
    assert_eq!(m.header().b, b_for_hint(100));
}

#[test]
fn with_capacity_overflow_panics_with_a_message() {
    quiet_intentional_panics();
    for hint in [usize::MAX, usize::MAX / 2] {
        let msg = expect_panic(|| M::with_capacity(hint));
        assert!(
            msg.to_lowercase().contains("capacity"),
            "unclear panic message for hint {hint}: {msg:?}"
        );
    }
    let msg = expect_panic(|| {
        let mut m = M::new();
        m.insert(1, 1);
        m.reserve(usize::MAX);
    });
    assert!(
        msg.to_lowercase().contains("capacity"),
        "unclear panic message: {msg:?}"
    );
}
