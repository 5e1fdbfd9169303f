//! `extract_if` (std 1.88) and `get_disjoint_mut` (std 1.86) as GoMap's own
//! methods (issue 10, item 8), checked against a model, mid-growth, with
//! early drops and panicking predicates.

mod common;
use common::IdHash;
use gomap::{ExtractIf, GoMap};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn contents<S: std::hash::BuildHasher>(m: &GoMap<u64, u64, S>) -> BTreeMap<u64, u64> {
    m.iter().map(|(k, v)| (*k, *v)).collect()
}

/// A map in the middle of a doubling (some old buckets not yet evacuated).
fn mid_growth() -> GoMap<u64, u64, IdHash> {
    let mut m = GoMap::with_hasher(IdHash);
    let mut i = 0u64;
    loop {
        m.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
        i += 1;
        let h = m.header();
        if h.growing && h.nevacuate > 0 && h.b >= 6 {
            return m;
        }
    }
}

fn header_tuple<S>(m: &GoMap<u64, u64, S>) -> (u8, bool, usize, usize, usize) {
    let h = m.header();
    (h.b, h.growing, h.nevacuate, h.buckets, h.oldbuckets)
}

#[test]
fn extract_if_removes_exactly_what_the_predicate_accepts() {
    for maker in [0, 1, 2] {
        let mut m = match maker {
            0 => (0..1000u64)
                .map(|i| (i * 7919, i))
                .collect::<GoMap<u64, u64, IdHash>>(),
            1 => mid_growth(),
            _ => {
                // A map that had a cursor (its tracking released since).
                let mut m = mid_growth();
                let mut c = m.cursor();
                while c.next().is_some() {}
                drop(c);
                m
            }
        };
        let before = contents(&m);
        let shape = header_tuple(&m);
        let mut got: Vec<(u64, u64)> = m
            .extract_if(|k, v| {
                *v += 1; // the predicate may change what it keeps
                k % 3 == 0
            })
            .collect();
        got.sort();
        let want: Vec<(u64, u64)> = before
            .iter()
            .filter(|(k, _)| *k % 3 == 0)
            .map(|(k, v)| (*k, v + 1))
            .collect();
        assert_eq!(got, want, "maker {maker}");
        let kept: BTreeMap<u64, u64> = before
            .iter()
            .filter(|(k, _)| *k % 3 != 0)
            .map(|(k, v)| (*k, v + 1))
            .collect();
        assert_eq!(contents(&m), kept, "maker {maker}");
        assert_eq!(m.len(), kept.len());
        for (k, v) in &kept {
            assert_eq!(m.get(k), Some(v), "maker {maker}: lookup of {k}");
        }
        assert_eq!(header_tuple(&m), shape, "maker {maker}: no growth work");
        // Still a working map: inserts finish the growth, lookups hold.
        for i in 0..2000u64 {
            m.insert(u64::MAX - i, i);
        }
        for (k, v) in &kept {
            assert_eq!(m.get(k), Some(v));
        }
    }
}

#[test]
fn extract_if_dropped_early_keeps_what_it_did_not_yield() {
    let mut m = mid_growth();
    let before = contents(&m);
    let taken: Vec<(u64, u64)> = {
        let mut it: ExtractIf<'_, u64, u64, _, _> = m.extract_if(|_, _| true);
        let (lo, hi) = it.size_hint();
        assert_eq!((lo, hi), (0, Some(before.len())));
        it.by_ref().take(10).collect()
        // `it` is dropped here, early.
    };
    assert_eq!(taken.len(), 10);
    assert_eq!(m.len(), before.len() - 10);
    let mut rest = contents(&m);
    for (k, v) in &taken {
        assert_eq!(before.get(k), Some(v));
        assert_eq!(rest.insert(*k, *v), None, "taken entries are gone");
    }
    assert_eq!(rest, before);
    // Nothing accepted: nothing removed, and the iterator is fused.
    {
        let mut none = m.extract_if(|_, _| false);
        assert_eq!(none.next(), None);
        assert_eq!(none.next(), None);
    }
    assert_eq!(m.len(), before.len() - 10);
}

#[test]
fn extract_if_with_a_panicking_predicate_leaves_the_map_consistent() {
    let mut m = mid_growth();
    let before = contents(&m);
    let mut calls = 0;
    let mut removed = Vec::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        for e in m.extract_if(|k, _| {
            calls += 1;
            if calls == 50 {
                panic!("predicate panics");
            }
            k % 2 == 0
        }) {
            removed.push(e);
        }
    }));
    assert!(r.is_err());
    assert_eq!(m.len(), before.len() - removed.len());
    let mut all = contents(&m);
    for (k, v) in &removed {
        assert_eq!(all.insert(*k, *v), None);
    }
    assert_eq!(all, before, "nothing lost, nothing duplicated");
    for (k, v) in contents(&m) {
        assert_eq!(m.get(&k), Some(&v));
    }
    // Usable afterwards.
    let n = m.extract_if(|_, _| true).count();
    assert_eq!(n, before.len() - removed.len());
    assert!(m.is_empty());
}

#[test]
fn extract_if_drops_only_what_the_caller_drops() {
    use std::rc::Rc;
    let tokens: Vec<Rc<()>> = (0..100).map(|_| Rc::new(())).collect();
    let mut m: GoMap<u32, Rc<()>> = (0..100)
        .map(|i| (i, Rc::clone(&tokens[i as usize])))
        .collect();
    let out: Vec<(u32, Rc<()>)> = m.extract_if(|k, _| *k < 30).collect();
    assert_eq!(out.len(), 30);
    assert!(
        tokens.iter().all(|t| Rc::strong_count(t) == 2),
        "each entry owned once"
    );
    drop(out);
    drop(m);
    assert!(
        tokens.iter().all(|t| Rc::strong_count(t) == 1),
        "nothing leaked"
    );
}

#[test]
fn get_disjoint_mut_returns_each_value_once() {
    let mut m: GoMap<String, u32> = (0..20).map(|i| (format!("k{i}"), i)).collect();
    let [a, b, c, d] = m.get_disjoint_mut(["k1", "k2", "nope", "k19"]);
    assert_eq!(
        (a.as_deref(), b.as_deref(), c, d.as_deref()),
        (Some(&1), Some(&2), None, Some(&19))
    );
    let [a, b] = m.get_disjoint_mut(["k1", "k2"]);
    std::mem::swap(a.unwrap(), b.unwrap());
    assert_eq!((m["k1"], m["k2"]), (2, 1));
    // Absent keys may repeat (std panics only for overlapping entries).
    let [x, y] = m.get_disjoint_mut(["gone", "gone"]);
    assert!(x.is_none() && y.is_none());
    let [] = m.get_disjoint_mut::<str, 0>([]);
}

#[test]
fn get_disjoint_mut_mid_growth_does_no_growth_work() {
    let mut m = mid_growth();
    let shape = header_tuple(&m);
    let keys: Vec<u64> = contents(&m).keys().copied().collect();
    // Keys spread over old (not yet evacuated) and new buckets.
    let picks = [
        keys[0],
        keys[keys.len() / 3],
        keys[keys.len() / 2],
        keys[keys.len() - 1],
    ];
    let refs = picks.each_ref();
    let vals = m.get_disjoint_mut(refs);
    for v in vals {
        *v.expect("present") += 1_000_000;
    }
    assert_eq!(header_tuple(&m), shape);
    for k in picks {
        assert!(m[&k] >= 1_000_000);
    }
}

#[test]
#[should_panic(expected = "get_disjoint_mut")]
fn get_disjoint_mut_panics_on_equal_present_keys() {
    let mut m: GoMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
    let _ = m.get_disjoint_mut([&1, &2, &1]);
}
