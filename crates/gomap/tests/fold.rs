//! `fold` (and so `for_each`, `sum`, `count`, ...) of every iterator walks
//! the storage as nested loops instead of calling `next()` per element; it
//! must yield exactly what `next()` would, in the same order, from any
//! point, in every state of the map (growing, after removals, with overflow
//! chains), and the owning iterators must drop each entry once even when the
//! folding closure panics.

mod common;

use common::*;
use gomap::GoMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Maps in the states a walk has to handle.
fn maps() -> Vec<(&'static str, GoMap<u64, u64>)> {
    let mut out = vec![
        ("empty", GoMap::new()),
        ("one", GoMap::from([(7, 70)])),
        ("small", (0..8).map(|i| (i, i * 10)).collect()),
        ("large", (0..5000).map(|i| (i, i * 10)).collect()),
    ];
    // Mid-growth: both arrays hold entries.
    let mut g = GoMap::new();
    let mut i = 0u64;
    while !(g.header().growing && g.stats().evacuated > 2) {
        g.insert(i, i * 10);
        i += 1;
    }
    assert!(g.header().growing);
    out.push(("growing", g));
    // Holes and emptyRest markers after removals.
    let mut r: GoMap<u64, u64> = (0..3000).map(|i| (i, i * 10)).collect();
    r.retain(|k, _| k % 3 == 0);
    out.push(("removed", r));
    // Long overflow chains: every key in one bucket.
    let mut c: GoMap<u64, u64, IdHash> = GoMap::with_hasher(IdHash);
    for j in 0..40 {
        c.insert(crowd_key(0, j), j);
    }
    out.push(("chains", c.into_iter().collect()));
    let mut c2: GoMap<u64, u64, IdHash> = GoMap::with_hasher(IdHash);
    for j in 0..40 {
        c2.insert(crowd_key(0, j), j);
    }
    assert!(c2.stats().max_chain > 4);
    let v: Vec<_> = c2.iter().map(|(k, v)| (*k, *v)).collect();
    let f = c2.iter().fold(Vec::new(), |mut a, (k, v)| {
        a.push((*k, *v));
        a
    });
    assert_eq!(v, f, "fold over a long chain");
    out
}

fn by_next<I: Iterator>(it: I) -> Vec<I::Item> {
    let mut v = Vec::new();
    for x in it {
        v.push(x);
    }
    v
}

fn by_fold<I: Iterator>(it: I) -> Vec<I::Item> {
    it.fold(Vec::new(), |mut v, x| {
        v.push(x);
        v
    })
}

#[test]
fn fold_yields_what_next_yields_in_order() {
    for (name, m) in maps() {
        assert_eq!(by_fold(m.iter()), by_next(m.iter()), "{name}: iter");
        assert_eq!(by_fold(m.keys()), by_next(m.keys()), "{name}: keys");
        assert_eq!(by_fold(m.values()), by_next(m.values()), "{name}: values");
        assert_eq!(by_fold(m.iter()).len(), m.len(), "{name}: len");
        let s: u64 = m.values().sum();
        assert_eq!(
            s,
            by_next(m.values()).into_iter().sum::<u64>(),
            "{name}: sum"
        );
        assert_eq!(m.iter().count(), m.len(), "{name}: count");
    }
}

#[test]
fn fold_after_partial_next_continues_where_next_left_off() {
    for (name, m) in maps() {
        for skip in [0, 1, 3, 7, 8, 9, 100] {
            let mut a = m.iter();
            let mut b = m.iter();
            for _ in 0..skip {
                assert_eq!(a.next(), b.next());
            }
            assert_eq!(by_fold(a), by_next(b), "{name}: iter after {skip}");
        }
    }
}

#[test]
fn mutable_and_owning_folds_match_next() {
    for (name, m) in maps() {
        let order: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
        // iter_mut / values_mut: every value reached once.
        let mut a = m.clone();
        let mut seen = Vec::new();
        a.iter_mut().for_each(|(k, v)| {
            seen.push(*k);
            *v += 1;
        });
        let mut keys: Vec<u64> = order.iter().map(|e| e.0).collect();
        keys.sort_unstable();
        seen.sort_unstable();
        assert_eq!(seen, keys, "{name}: iter_mut");
        a.values_mut().for_each(|v| *v += 1);
        assert!(a.iter().all(|(k, v)| *v == m[k] + 2), "{name}: values_mut");
        // into_iter / into_keys / into_values / drain walk the same storage
        // order as iter() on the same map.
        let b = m.clone();
        let border: Vec<(u64, u64)> = b.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(by_fold(b.into_iter()), border, "{name}: into_iter");
        let c = m.clone();
        let corder: Vec<u64> = c.keys().copied().collect();
        assert_eq!(by_fold(c.into_keys()), corder, "{name}: into_keys");
        let d = m.clone();
        let dorder: Vec<u64> = d.values().copied().collect();
        assert_eq!(by_fold(d.into_values()), dorder, "{name}: into_values");
        let mut e = m.clone();
        let eorder: Vec<(u64, u64)> = e.iter().map(|(k, v)| (*k, *v)).collect();
        let cap = e.capacity();
        assert_eq!(by_fold(e.drain()), eorder, "{name}: drain");
        assert!(
            e.is_empty() && e.capacity() == cap,
            "{name}: drain keeps the array"
        );
        e.insert(1, 2);
        assert_eq!(e.get(&1), Some(&2), "{name}: usable after drain fold");
        // A partly consumed owning iterator folds the rest.
        let f = m.clone();
        let forder: Vec<(u64, u64)> = f.iter().map(|(k, v)| (*k, *v)).collect();
        let mut it = f.into_iter();
        let first: Vec<_> = it.by_ref().take(3).collect();
        let mut all = first;
        all.extend(by_fold(it));
        assert_eq!(all, forder, "{name}: into_iter after next");
    }
}

/// A map of tracked values, growing (old and new arrays both hold entries).
fn tracked(t: &std::sync::Arc<Tracker>, n: u64) -> GoMap<Dv, Dv> {
    let mut m = GoMap::new();
    for i in 0..n {
        m.insert(t.value(i), t.value(i));
    }
    m
}

#[test]
fn into_iter_fold_panicking_closure_drops_everything_once() {
    for n in [5u64, 200, 1000] {
        let t = Tracker::new();
        let m = tracked(&t, n);
        let stop = n / 2;
        let r = catch_unwind(AssertUnwindSafe(|| {
            m.into_iter().for_each(|(k, _v)| {
                if k.id == stop {
                    panic!("stop");
                }
            })
        }));
        assert!(r.is_err());
        t.assert_all_dropped_once();
    }
}

#[test]
fn drain_fold_panicking_closure_drops_everything_once_and_empties_the_map() {
    for n in [5u64, 200, 1000] {
        let t = Tracker::new();
        let mut m = tracked(&t, n);
        let stop = n / 3;
        let r = catch_unwind(AssertUnwindSafe(|| {
            m.drain().for_each(|(k, _v)| {
                if k.id == stop {
                    panic!("stop");
                }
            })
        }));
        assert!(r.is_err());
        assert!(m.is_empty());
        assert_eq!(t.live(), 0);
        m.insert(t.value(1), t.value(1));
        assert_eq!(m.len(), 1);
        drop(m);
        t.assert_all_dropped_once();
    }
}

#[test]
fn drain_fold_drops_each_entry_once() {
    let t = Tracker::new();
    let mut m = tracked(&t, 700);
    let mut n = 0;
    m.drain().for_each(|_| n += 1);
    assert_eq!(n, 700);
    assert_eq!(t.live(), 0);
    drop(m);
    t.assert_all_dropped_once();
}
