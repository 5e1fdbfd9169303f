//! The `rayon` feature: every parallel iterator gives the sequential result,
//! on maps at rest and in the middle of a growth, in pools large enough to
//! split the walk many times.
#![cfg(feature = "rayon")]

use std::collections::BTreeMap;

use gomap::GoMap;
use rayon::prelude::*;

/// Runs `f` in a pool of `threads` threads (rayon splits an unindexed walk
/// about once per thread, so more threads means more, smaller parts).
fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Maps of several sizes, at rest and mid-growth (an evacuation in progress).
fn maps() -> Vec<(String, GoMap<u64, u64>)> {
    let mut out = Vec::new();
    for n in [0u64, 1, 8, 9, 100, 20_000] {
        out.push((
            format!("at rest, {n}"),
            (0..n).map(|i| (i, i * 7)).collect(),
        ));
    }
    for min in [9usize, 200, 20_000] {
        // Inserts with some removes (which do growth work too), stopping at
        // the first moment an evacuation is in progress.
        let mut m = GoMap::new();
        let mut i = 0u64;
        let growing = |m: &GoMap<u64, u64>| m.len() >= min && m.stats().growing;
        loop {
            m.insert(i, i * 7);
            if growing(&m) {
                break;
            }
            if i % 3 == 0 {
                m.remove(&(i / 3));
                if growing(&m) {
                    break;
                }
            }
            i += 1;
        }
        out.push((format!("mid-growth, {}", m.len()), m));
    }
    out
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v
}

#[test]
fn par_iter_and_projections_match_sequential() {
    for threads in [1, 2, 8] {
        for (name, m) in maps() {
            in_pool(threads, || {
                let seq: Vec<(u64, u64)> = sorted(m.iter().map(|(k, v)| (*k, *v)).collect());
                let par: Vec<(u64, u64)> = sorted(m.par_iter().map(|(k, v)| (*k, *v)).collect());
                assert_eq!(par, seq, "{name}, {threads} threads");
                let via_ref: Vec<(u64, u64)> =
                    sorted((&m).into_par_iter().map(|(k, v)| (*k, *v)).collect());
                assert_eq!(via_ref, seq, "{name}");
                let keys = sorted(m.par_keys().copied().collect::<Vec<_>>());
                assert_eq!(
                    keys,
                    sorted(m.keys().copied().collect::<Vec<_>>()),
                    "{name}"
                );
                let values = sorted(m.par_values().copied().collect::<Vec<_>>());
                assert_eq!(
                    values,
                    sorted(m.values().copied().collect::<Vec<_>>()),
                    "{name}"
                );
                assert_eq!(m.par_iter().count(), m.len(), "{name}");
            });
        }
    }
}

#[test]
fn the_walk_is_split_into_parts() {
    let m: GoMap<u64, u64> = (0..20_000).map(|i| (i, i)).collect();
    // `fold` starts one accumulator per part the walk was split into.
    let parts = in_pool(8, || {
        m.par_iter()
            .fold(|| 0usize, |n, _| n + 1)
            .collect::<Vec<_>>()
    });
    assert!(parts.len() >= 8, "{} parts", parts.len());
    assert_eq!(parts.iter().sum::<usize>(), 20_000);
}

#[test]
fn par_iter_mut_and_par_values_mut_match_sequential() {
    for (name, mut m) in maps() {
        let mut expect = m.clone();
        expect
            .iter_mut()
            .for_each(|(k, v)| *v = v.wrapping_mul(3) ^ k);
        in_pool(8, || {
            m.par_iter_mut()
                .for_each(|(k, v)| *v = v.wrapping_mul(3) ^ k)
        });
        assert_eq!(m, expect, "{name}");
        in_pool(8, || m.par_values_mut().for_each(|v| *v += 1));
        (&mut m).into_par_iter().for_each(|(_, v)| *v += 1);
        expect.values_mut().for_each(|v| *v += 2);
        assert_eq!(m, expect, "{name}");
    }
}

#[test]
fn into_par_iter_and_par_drain_match_sequential() {
    for (name, m) in maps() {
        let seq: BTreeMap<u64, u64> = m.iter().map(|(k, v)| (*k, *v)).collect();
        let owned: BTreeMap<u64, u64> = in_pool(8, || m.clone().into_par_iter().collect());
        assert_eq!(owned, seq, "{name}");

        let mut d = m.clone();
        let cap = d.capacity();
        let drained: BTreeMap<u64, u64> = in_pool(8, || d.par_drain().collect());
        assert_eq!(drained, seq, "{name}");
        assert!(d.is_empty());
        assert_eq!(d.capacity(), cap, "{name}: par_drain keeps the array");
        // Still a working map.
        d.insert(1, 2);
        assert_eq!(d[&1], 2);
    }
}

#[test]
fn collect_and_par_extend_match_sequential() {
    let items: Vec<(u64, String)> = (0..30_000).map(|i| (i % 25_000, i.to_string())).collect();
    let seq: GoMap<u64, String> = items.iter().cloned().collect();
    let par: GoMap<u64, String> = in_pool(8, || items.par_iter().cloned().collect());
    // Duplicate keys: which value wins depends on order, as for std's
    // HashMap; compare keys, and values where the key is unique.
    assert_eq!(par.len(), seq.len());
    for (k, v) in &seq {
        if *k >= 5_000 {
            assert_eq!(&par[k], v);
        } else {
            assert!(par.contains_key(k));
        }
    }

    let mut m: GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
    in_pool(8, || {
        m.par_extend((100..50_000u64).into_par_iter().map(|i| (i, i)))
    });
    let expect: GoMap<u64, u64> = (0..50_000).map(|i| (i, i)).collect();
    assert_eq!(m, expect);

    let src: GoMap<u64, u64> = (50_000..60_000).map(|i| (i, i)).collect();
    m.par_extend(src.par_iter());
    assert_eq!(m.len(), 60_000);
    assert_eq!(m[&59_999], 59_999);
}

#[test]
fn works_with_owned_heap_types() {
    let m: GoMap<String, Vec<u8>> = (0..5000)
        .map(|i| (format!("k{i}"), vec![i as u8; i % 7]))
        .collect();
    let total: usize = m.par_values().map(Vec::len).sum();
    assert_eq!(total, m.values().map(Vec::len).sum());
    let longest = m.par_keys().map(String::len).max();
    assert_eq!(longest, Some(5));
}
