//! The std-compatible surface behaves like `std::collections::HashMap`: every
//! method and trait of API.md at least once, plus the Go-specific extras
//! (iteration order rules, `iter_randomized`, `cursor`, `header_fields`).

mod common;

use common::*;
use gomap::{Entry, GoMap};
use std::collections::{BTreeMap, HashMap as StdMap, HashSet};

type M = GoMap<u64, u64>;

fn sorted<K: Ord + Clone, V: Clone>(it: impl IntoIterator<Item = (K, V)>) -> Vec<(K, V)> {
    let mut v: Vec<(K, V)> = it.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn constructors_and_hasher() {
    let m = M::new();
    assert!(m.is_empty());
    assert_eq!(m.len(), 0);
    let d: M = Default::default();
    assert!(d.is_empty());
    let h = IdHash;
    let m: GoMap<u64, u64, IdHash> = GoMap::with_hasher(h);
    let _: &IdHash = m.hasher();
    let mut m: GoMap<u64, u64, IdHash> = GoMap::with_capacity_and_hasher(100, IdHash);
    assert!(m.capacity() >= 100);
    m.insert(1, 2);
    assert_eq!(m.get(&1), Some(&2));
    let m = M::with_capacity(1000);
    assert!(m.capacity() >= 1000);
    assert!(m.is_empty());
    // The default hasher is foldhash's RandomState.
    let _: &gomap::DefaultHashBuilder = M::new().hasher();
    let _: foldhash::fast::RandomState = gomap::DefaultHashBuilder::default();
}

#[test]
fn insert_get_remove_like_std() {
    let mut m = M::new();
    let mut s = StdMap::new();
    for i in 0..500u64 {
        assert_eq!(m.insert(i % 300, i), s.insert(i % 300, i));
        assert_eq!(m.len(), s.len());
    }
    for i in 0..400u64 {
        assert_eq!(m.get(&i), s.get(&i));
        assert_eq!(m.contains_key(&i), s.contains_key(&i));
        assert_eq!(m.get_key_value(&i), s.get_key_value(&i));
    }
    if let Some(v) = m.get_mut(&10) {
        *v = 1234;
    }
    assert_eq!(m[&10], 1234);
    assert_eq!(m.get_mut(&999), None);
    *s.get_mut(&10).unwrap() = 1234;
    for i in (0..400u64).step_by(3) {
        assert_eq!(m.remove(&i), s.remove(&i));
    }
    for i in (1..400u64).step_by(3) {
        assert_eq!(m.remove_entry(&i), s.remove_entry(&i));
    }
    assert_eq!(m.len(), s.len());
    assert_eq!(
        sorted(m.iter().map(|(k, v)| (*k, *v))),
        sorted(s.iter().map(|(k, v)| (*k, *v)))
    );
    assert!(!m.is_empty());
}

#[test]
fn borrowed_lookups_with_string_keys() {
    let mut m: GoMap<String, usize> = GoMap::new();
    for (i, w) in ["alpha", "beta", "gamma", "delta"].iter().enumerate() {
        m.insert(w.to_string(), i);
    }
    assert_eq!(m.get("beta"), Some(&1));
    assert_eq!(m["gamma"], 2);
    assert!(m.contains_key("delta"));
    assert!(!m.contains_key("epsilon"));
    assert_eq!(m.get_key_value("alpha"), Some((&"alpha".to_string(), &0)));
    *m.get_mut("alpha").unwrap() += 10;
    assert_eq!(m["alpha"], 10);
    assert_eq!(m.remove("beta"), Some(1));
    assert_eq!(m.remove_entry("gamma"), Some(("gamma".to_string(), 2)));
    assert_eq!(m.remove("gamma"), None);
    // Owned String lookups work too.
    assert_eq!(m.get(&"delta".to_string()), Some(&3));
    let key = String::from("zeta");
    *m.entry(key).or_insert(0) += 5;
    assert_eq!(m["zeta"], 5);
    assert_eq!(m.len(), 3);
    // Many strings through growth.
    for i in 0..2000 {
        m.insert(format!("k{i}"), i);
    }
    for i in 0..2000 {
        assert_eq!(m[format!("k{i}").as_str()], i);
    }
}

#[test]
fn index_panics_on_missing_key() {
    quiet_intentional_panics();
    let mut m = M::new();
    m.insert(1, 1);
    let msg = expect_panic(|| m[&2]);
    assert!(!msg.is_empty());
    let empty = M::new();
    let _ = expect_panic(|| empty[&0]);
    let s: GoMap<String, u8> = GoMap::new();
    let _ = expect_panic(|| s["nope"]);
}

#[test]
fn entry_api_all_variants() {
    let mut m: GoMap<String, i32> = GoMap::new();
    // or_insert / or_insert_with / or_insert_with_key / or_default
    assert_eq!(*m.entry("a".into()).or_insert(1), 1);
    assert_eq!(*m.entry("a".into()).or_insert(2), 1);
    assert_eq!(*m.entry("b".into()).or_insert_with(|| 3), 3);
    assert_eq!(*m.entry("b".into()).or_insert_with(|| unreachable!()), 3);
    assert_eq!(
        *m.entry("ccc".into()).or_insert_with_key(|k| k.len() as i32),
        3
    );
    assert_eq!(*m.entry("d".into()).or_default(), 0);
    // and_modify
    m.entry("a".into()).and_modify(|v| *v += 100).or_insert(0);
    assert_eq!(m["a"], 101);
    m.entry("e".into()).and_modify(|v| *v += 100).or_insert(7);
    assert_eq!(m["e"], 7);
    // Entry::key
    assert_eq!(m.entry("a".into()).key(), "a");
    assert_eq!(m.entry("zz".into()).key(), "zz");
    assert!(!m.contains_key("zz"), "a vacant entry inserts nothing");
    // Occupied: key, get, get_mut, into_mut, insert, remove, remove_entry
    match m.entry("a".into()) {
        Entry::Occupied(mut o) => {
            assert_eq!(o.key(), "a");
            assert_eq!(*o.get(), 101);
            *o.get_mut() += 1;
            assert_eq!(o.insert(50), 102);
            let r = o.into_mut();
            *r += 1;
        }
        Entry::Vacant(_) => panic!("a is present"),
    }
    assert_eq!(m["a"], 51);
    match m.entry("b".into()) {
        Entry::Occupied(o) => assert_eq!(o.remove(), 3),
        Entry::Vacant(_) => panic!(),
    }
    match m.entry("ccc".into()) {
        Entry::Occupied(o) => assert_eq!(o.remove_entry(), ("ccc".to_string(), 3)),
        Entry::Vacant(_) => panic!(),
    }
    // Vacant: key, insert, into_key
    match m.entry("f".into()) {
        Entry::Vacant(v) => {
            assert_eq!(v.key(), "f");
            let r = v.insert(9);
            *r += 1;
        }
        Entry::Occupied(_) => panic!(),
    }
    assert_eq!(m["f"], 10);
    match m.entry("g".into()) {
        Entry::Vacant(v) => assert_eq!(v.into_key(), "g"),
        Entry::Occupied(_) => panic!(),
    }
    assert!(!m.contains_key("g"));
    let mut keys: Vec<&str> = m.keys().map(|s| s.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "d", "e", "f"]);
    // Entry counting through growth agrees with std.
    let mut g = M::new();
    let mut s = StdMap::new();
    for i in 0..5000u64 {
        *g.entry(i % 777).or_insert(0) += i;
        *s.entry(i % 777).or_insert(0) += i;
    }
    assert_eq!(sorted(g.into_iter()), sorted(s.into_iter()));
}

#[test]
fn reserve_shrink_clear_retain_drain() {
    let mut m = M::new();
    m.reserve(100);
    assert!(m.capacity() >= 100);
    assert!(m.try_reserve(200).is_ok());
    assert!(m.capacity() >= 200);
    for i in 0..100 {
        m.insert(i, i);
    }
    m.reserve(0);
    // shrink_to keeps at least max(len, n) (when it had that much).
    m.shrink_to(150);
    assert!(m.capacity() >= 150);
    m.shrink_to_fit();
    assert!(m.capacity() >= 100);
    m.retain(|k, v| {
        *v += 1;
        k % 2 == 0
    });
    assert_eq!(m.len(), 50);
    assert!(m.iter().all(|(k, v)| k % 2 == 0 && *v == k + 1));
    let cap = m.capacity();
    let drained = sorted(m.drain());
    assert_eq!(drained.len(), 50);
    assert_eq!(drained[0], (0, 1));
    assert!(m.is_empty());
    assert_eq!(m.capacity(), cap, "drain keeps the capacity");
    for i in 0..10 {
        m.insert(i, i);
    }
    let cap = m.capacity();
    m.clear();
    assert!(m.is_empty());
    assert_eq!(m.capacity(), cap, "clear keeps the capacity");
    assert_eq!(m.iter().next(), None);
}

#[test]
fn iterators_agree_and_are_stable() {
    let mut m = M::new();
    for i in 0..1000u64 {
        m.insert(i * 3, i);
    }
    let pairs: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(pairs.len(), 1000);
    // Stable for an unchanged map, and keys()/values() follow iter() order.
    for _ in 0..3 {
        assert_eq!(m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(), pairs);
    }
    assert_eq!(
        m.keys().copied().collect::<Vec<_>>(),
        pairs.iter().map(|p| p.0).collect::<Vec<_>>()
    );
    assert_eq!(
        m.values().copied().collect::<Vec<_>>(),
        pairs.iter().map(|p| p.1).collect::<Vec<_>>()
    );
    assert_eq!(
        (&m).into_iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
        pairs
    );
    // Exact sizes.
    assert_eq!(m.iter().len(), 1000);
    assert_eq!(m.keys().len(), 1000);
    assert_eq!(m.values().len(), 1000);
    let mut it = m.iter();
    it.next();
    assert_eq!(it.size_hint(), (999, Some(999)));
    // Every entry exactly once.
    let set: HashSet<u64> = m.keys().copied().collect();
    assert_eq!(set.len(), 1000);
    // iter_mut / values_mut / &mut IntoIterator modify in place, same order.
    for (k, v) in m.iter_mut() {
        *v = *k + 1;
    }
    for v in m.values_mut() {
        *v *= 2;
    }
    for (_, v) in &mut m {
        *v += 1;
    }
    for (k, v) in &m {
        assert_eq!(*v, (k + 1) * 2 + 1);
    }
    assert_eq!(m.iter_mut().len(), 1000);
    assert_eq!(m.values_mut().len(), 1000);
    assert_eq!(
        m.keys().copied().collect::<Vec<_>>(),
        pairs.iter().map(|p| p.0).collect::<Vec<_>>()
    );
    // Owned forms.
    let keys: Vec<u64> = m.clone().into_keys().collect();
    let values: Vec<u64> = m.clone().into_values().collect();
    assert_eq!(
        sorted(keys.iter().map(|k| (*k, ()))),
        sorted(pairs.iter().map(|p| (p.0, ())))
    );
    let mut vs = values;
    vs.sort_unstable();
    let mut want: Vec<u64> = pairs.iter().map(|p| (p.0 + 1) * 2 + 1).collect();
    want.sort_unstable();
    assert_eq!(vs, want);
    let it = m.clone().into_iter();
    assert_eq!(it.len(), 1000);
    let owned = sorted(m);
    assert_eq!(owned.len(), 1000);
}

#[test]
fn iteration_during_growth_yields_each_entry_once() {
    let mut m = M::with_capacity(208);
    for i in 0..=208u64 {
        m.insert(i, i);
    }
    assert!(m.header().growing);
    let keys: Vec<u64> = m.keys().copied().collect();
    let set: HashSet<u64> = keys.iter().copied().collect();
    assert_eq!(keys.len(), 209);
    assert_eq!(set, (0..=208).collect());
    assert_eq!(m.iter_randomized().count(), 209);
    assert_eq!(m.iter_mut().count(), 209);
    assert_eq!(m.values_mut().count(), 209);
    assert_eq!(m.clone().into_iter().count(), 209);
    assert_eq!(m.clone().drain().count(), 209);
}

#[test]
fn iteration_order_differs_between_instances() {
    let orders: HashSet<Vec<u64>> = (0..20)
        .map(|_| {
            let mut m = M::new();
            for i in 0..100 {
                m.insert(i, i);
            }
            m.keys().copied().collect()
        })
        .collect();
    assert!(
        orders.len() > 1,
        "20 maps with per-instance seeds iterated identically"
    );
}

#[test]
fn iter_randomized_varies_but_yields_everything() {
    let mut m = M::new();
    for i in 0..500u64 {
        m.insert(i, i);
    }
    let mut firsts = HashSet::new();
    for _ in 0..50 {
        let v: Vec<(u64, u64)> = m.iter_randomized().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(v.len(), 500);
        firsts.insert(v[0].0);
        assert_eq!(sorted(v), sorted(m.iter().map(|(k, v)| (*k, *v))));
    }
    assert!(firsts.len() > 1, "Go's random start bucket and slot");
    // Small map (one bucket): the random start slot still varies.
    let mut s = M::new();
    for i in 0..8 {
        s.insert(i, i);
    }
    let firsts: HashSet<u64> = (0..100)
        .map(|_| *s.iter_randomized().next().unwrap().0)
        .collect();
    assert!(firsts.len() > 1);
}

#[test]
fn traits_from_collect_extend_eq_clone_debug() {
    let a: M = GoMap::from([(1, 10), (2, 20), (3, 30)]);
    let b: M = [(3, 30), (2, 20), (1, 10)].into_iter().collect();
    assert_eq!(a, b, "PartialEq ignores order");
    let mut c = b.clone();
    c.insert(4, 40);
    assert_ne!(a, c, "different len");
    c.remove(&4);
    assert_eq!(a, c);
    c.insert(3, 31);
    assert_ne!(a, c, "different value");
    assert_eq!(b.len(), 3, "clone is independent");
    assert_eq!(b[&3], 30);
    // Eq is implemented.
    fn is_eq<T: Eq>(_: &T) {}
    is_eq(&a);

    let mut e = M::new();
    e.extend([(1, 1), (2, 2)]);
    e.extend(vec![(2, 3)]);
    let src: M = GoMap::from([(5, 5), (6, 6)]);
    e.extend(src.iter());
    e.extend(&[(7u64, 7u64)].into_iter().collect::<StdMap<_, _>>());
    assert_eq!(
        sorted(e.iter().map(|(k, v)| (*k, *v))),
        vec![(1, 1), (2, 3), (5, 5), (6, 6), (7, 7)]
    );

    // Debug matches std's map formatting, in iteration order.
    struct Expect<'a>(&'a GoMap<u64, String>);
    impl std::fmt::Debug for Expect<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_map().entries(self.0.iter()).finish()
        }
    }
    let d: GoMap<u64, String> = (0..5).map(|i| (i, format!("v{i}"))).collect();
    assert_eq!(format!("{d:?}"), format!("{:?}", Expect(&d)));
    assert_eq!(format!("{d:#?}"), format!("{:#?}", Expect(&d)));
    let one: GoMap<u64, u64> = GoMap::from([(1, 2)]);
    assert_eq!(format!("{one:?}"), "{1: 2}");
    assert_eq!(format!("{:?}", M::new()), "{}");

    // Clone of a big map, through growth, is deep and independent.
    let mut big = M::new();
    for i in 0..3000 {
        big.insert(i, i);
    }
    let mut cl = big.clone();
    assert_eq!(cl, big);
    for i in 0..3000 {
        cl.insert(i, i + 1);
    }
    assert!(big.iter().all(|(k, v)| k == v));
    cl.clear();
    assert_eq!(big.len(), 3000);
    // clone_from.
    let mut target = M::new();
    target.clone_from(&big);
    assert_eq!(target, big);
}

#[test]
fn behaves_like_std_under_a_random_workload() {
    let mut m: GoMap<u32, u32> = GoMap::new();
    let mut s: StdMap<u32, u32> = StdMap::new();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for step in 0..30_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = (x % 3000) as u32;
        match (x >> 40) % 8 {
            0..=2 => assert_eq!(m.insert(k, step), s.insert(k, step)),
            3..=4 => assert_eq!(m.remove(&k), s.remove(&k)),
            5 => assert_eq!(m.get(&k), s.get(&k)),
            6 => {
                *m.entry(k).or_insert(0) += 1;
                *s.entry(k).or_insert(0) += 1;
            }
            _ => assert_eq!(m.remove_entry(&k), s.remove_entry(&k)),
        }
        assert_eq!(m.len(), s.len());
    }
    let a: BTreeMap<u32, u32> = m.iter().map(|(k, v)| (*k, *v)).collect();
    let b: BTreeMap<u32, u32> = s.into_iter().collect();
    assert_eq!(a, b);
}

/// Go's range-with-mutation guarantees, through `cursor()`: entries present
/// for the whole iteration are yielded exactly once; removed before reached:
/// not yielded; inserted during it: at most once; nothing twice. The map
/// holds `start` keys (0..start) when the cursor starts (mid-growth when
/// `start` is just over a threshold), and `inserts` new keys go in during the
/// iteration (enough to start one or two growths).
fn cursor_scenario(start: u64, inserts: u64) {
    let mut m = M::new();
    for i in 0..start {
        m.insert(i, i);
    }
    let started_growing = m.header().growing;
    let b_before = m.header().b;
    let mut seen: Vec<u64> = Vec::new();
    let mut removed_ahead = HashSet::new();
    let mut inserted = HashSet::new();
    {
        let mut c = m.cursor();
        let mut n = 0u64;
        while let Some((k, v)) = c.next() {
            let k = *k;
            *v += 1000;
            seen.push(k);
            n += 1;
            if k % 5 == 0 {
                assert_eq!(c.remove_current(), Some((k, k + 1000)));
            }
            if n % 7 == 0 {
                // Remove some other original key (maybe not reached yet).
                let other = (k * 13 + 1) % start;
                if other % 5 != 0 && !seen.contains(&other) && c.remove(&other).is_some() {
                    removed_ahead.insert(other);
                }
            }
            if n <= inserts {
                let new = 1_000_000 + n;
                assert_eq!(c.insert(new, new), None);
                inserted.insert(new);
            }
        }
    }
    let mut counts: StdMap<u64, usize> = StdMap::new();
    for k in &seen {
        *counts.entry(*k).or_insert(0) += 1;
    }
    assert!(counts.values().all(|&n| n == 1), "no entry yielded twice");
    for k in 0..start {
        if removed_ahead.contains(&k) {
            assert!(
                !counts.contains_key(&k),
                "removed before reached, yet yielded: {k}"
            );
        } else {
            assert!(
                counts.contains_key(&k),
                "present throughout, never yielded: {k}"
            );
        }
    }
    for k in counts.keys() {
        assert!(
            *k < start || inserted.contains(k),
            "yielded a key never inserted: {k}"
        );
    }
    // The map is what the operations say.
    for k in 0..start {
        let want = if k % 5 == 0 || removed_ahead.contains(&k) {
            None
        } else {
            Some(k + 1000)
        };
        assert_eq!(m.get(&k).copied(), want, "key {k}");
    }
    for k in &inserted {
        // Inserted entries that were yielded got +1000, and multiples of 5
        // among them were removed as current.
        let yielded = counts.contains_key(k);
        let want = match (yielded, k % 5 == 0) {
            (true, true) => None,
            (true, false) => Some(k + 1000),
            (false, _) => Some(*k),
        };
        assert_eq!(m.get(k).copied(), want, "inserted key {k}");
    }
    let want_len = (0..start)
        .filter(|k| k % 5 != 0 && !removed_ahead.contains(k))
        .count()
        + inserted
            .iter()
            .filter(|k| !(counts.contains_key(k) && *k % 5 == 0))
            .count();
    assert_eq!(m.len(), want_len);
    assert_eq!(m.iter().count(), want_len);
    if inserts >= 50 {
        // (Enough new keys to pass the threshold whatever was removed.)
        assert!(
            started_growing || m.header().b > b_before,
            "the inserts grew the map mid-iteration"
        );
    }
    // Once the cursor is gone, growth finishes and every old array is freed.
    finish_growth(&mut m, |m| {
        m.insert(1, 1);
    });
    let s = m.stats();
    assert_eq!(s.old_buckets_addr, 0);
    assert_eq!(
        s.heap_bytes,
        expected_heap(&m),
        "an array retained for the cursor was not freed"
    );
}

#[test]
fn cursor_range_with_mutation() {
    cursor_scenario(200, 400);
}

#[test]
fn cursor_started_mid_growth() {
    // 209 keys: a doubling out of B = 5 has just started.
    cursor_scenario(209, 0);
    cursor_scenario(209, 50);
    cursor_scenario(209, 2000);
}

#[test]
fn cursor_without_mutation_and_edge_cases() {
    cursor_scenario(1, 0);
    cursor_scenario(8, 1);
    cursor_scenario(100, 0);
    // A cursor over an empty map, and one that stops early.
    let mut e = M::new();
    assert!(e.cursor().next().is_none());
    let mut m: M = (0..50).map(|i| (i, i)).collect();
    let mut c = m.cursor();
    let _ = c.next();
    drop(c);
    assert_eq!(m.len(), 50);
    // remove_current before any next() removes nothing.
    let mut c = m.cursor();
    assert_eq!(c.remove_current(), None);
    drop(c);
    assert_eq!(m.len(), 50);
}

#[test]
fn header_fields_describe_the_header() {
    let fields = M::header_fields();
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    for want in [
        "count",
        "flags",
        "B",
        "noverflow",
        "hash0",
        "buckets",
        "oldbuckets",
        "nevacuate",
    ] {
        assert!(
            names.contains(&want),
            "missing header field {want}: {names:?}"
        );
    }
    let size = std::mem::size_of::<M>();
    let mut spans: Vec<(usize, usize)> = fields
        .iter()
        .map(|f| (f.offset, f.offset + f.size))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "header fields overlap: {fields:?}");
    }
    for f in &fields {
        assert!(
            f.offset + f.size <= size,
            "{} lies outside the GoMap value",
            f.name
        );
    }
    let count = fields.iter().find(|f| f.name == "count").unwrap();
    assert_eq!(count.size, std::mem::size_of::<usize>());
    let b = fields.iter().find(|f| f.name == "B").unwrap();
    assert_eq!(b.size, 1);
}
