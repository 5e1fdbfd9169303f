//! Go's iteration rules: randomized range order, every entry exactly once
//! while a growth is in progress, and the cursor's guarantees when it starts
//! before, during or without a growth.

use gomap::GoMap;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

/// A map of `n` entries that is in the middle of a doubling.
fn growing_map(min: u64) -> GoMap<u64, u64> {
    let mut m = GoMap::new();
    let mut i = 0;
    while i < min || !m.header().growing {
        m.insert(i, i * 10);
        i += 1;
    }
    assert!(m.header().growing && m.header().nevacuate < m.stats().old_buckets);
    m
}

#[test]
fn randomized_order_differs_between_calls() {
    // Go's TestMapIterOrder: for small and larger maps, some pair of
    // iterations must disagree on order.
    for n in [3u64, 7, 9, 10, 11, 100, 1000] {
        let m: GoMap<u64, ()> = (0..n).map(|i| (i, ())).collect();
        let first: Vec<u64> = m.iter_randomized().map(|(k, _)| *k).collect();
        let differs =
            (0..100).any(|_| m.iter_randomized().map(|(k, _)| *k).collect::<Vec<_>>() != first);
        assert!(differs, "iteration order never changed for {n} entries");
    }
}

#[test]
fn plain_iteration_order_is_stable() {
    let m: GoMap<u64, u64> = (0..500).map(|i| (i, i)).collect();
    let a: Vec<_> = m.iter().collect();
    for _ in 0..10 {
        assert_eq!(m.iter().collect::<Vec<_>>(), a);
    }
    let keys: Vec<_> = m.keys().copied().collect();
    let values: Vec<_> = m.values().copied().collect();
    assert_eq!(keys, values, "keys() and values() correspond");
}

#[test]
fn iteration_mid_growth_yields_each_entry_once() {
    for min in [9u64, 14, 100, 1000, 10_000] {
        let m = growing_map(min);
        let want: HashSet<u64> = (0..m.len() as u64).collect();
        for it in 0..20 {
            let got: Vec<u64> = if it == 0 {
                m.iter().map(|(k, _)| *k).collect()
            } else {
                m.iter_randomized().map(|(k, _)| *k).collect()
            };
            assert_eq!(got.len(), want.len(), "count, iteration {it}");
            assert_eq!(got.iter().copied().collect::<HashSet<_>>(), want);
        }
        assert!(m.header().growing, "reads never advance the evacuation");
    }
}

#[test]
fn cursor_started_mid_growth_without_mutation_yields_each_once() {
    let mut m = growing_map(5000);
    let n = m.len();
    let mut seen = HashSet::new();
    let mut c = m.cursor();
    while let Some((&k, v)) = c.next() {
        assert_eq!(*v, k * 10);
        assert!(seen.insert(k));
    }
    drop(c);
    assert_eq!(seen.len(), n);
}

#[derive(Debug, Clone)]
enum Step {
    Next,
    RemoveCurrent,
    Insert(u64),
    Remove(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Next),
        2 => Just(Step::RemoveCurrent),
        3 => (0u64..6000).prop_map(Step::Insert),
        2 => (0u64..6000).prop_map(Step::Remove),
    ]
}

/// Runs a cursor over a map and checks Go's guarantees against a model:
/// entries present throughout are yielded exactly once, entries removed
/// before being reached are not yielded, nothing is yielded twice (unless
/// removed and inserted again), and the map ends equal to the model.
fn check_cursor(mut m: GoMap<u64, u64>, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut model: HashMap<u64, u64> = m.iter().map(|(k, v)| (*k, *v)).collect();
    let initial: HashSet<u64> = model.keys().copied().collect();
    let mut touched = HashSet::new();
    let mut yielded = HashSet::new();
    let mut removed_unreached = HashSet::new();
    let mut c = m.cursor();
    let mut current = None;
    let mut finished = false;
    let mut steps = steps.iter().cycle().take(steps.len() * 4 + 20_000);
    while !finished {
        let s = steps.next().unwrap_or(&Step::Next);
        match s {
            Step::Next => match c.next() {
                Some((&k, v)) => {
                    prop_assert!(
                        yielded.insert(k) || touched.contains(&k),
                        "{k} yielded twice"
                    );
                    prop_assert!(!removed_unreached.contains(&k), "{k} yielded after removal");
                    prop_assert_eq!(Some(&*v), model.get(&k));
                    current = Some(k);
                }
                None => finished = true,
            },
            Step::RemoveCurrent => {
                let got = c.remove_current().map(|(k, _)| k);
                // The current entry is gone once removed, even if its key is
                // inserted again (that is a new entry).
                let want = current.take();
                prop_assert_eq!(got, want);
                if let Some(k) = want {
                    model.remove(&k);
                    touched.insert(k);
                }
            }
            Step::Insert(k) => {
                let k = *k;
                prop_assert_eq!(c.insert(k, k + 1), model.insert(k, k + 1));
                touched.insert(k);
                // A new entry under a removed key may be yielded.
                removed_unreached.remove(&k);
            }
            Step::Remove(k) => {
                let k = *k;
                prop_assert_eq!(c.remove(&k), model.remove(&k));
                if current == Some(k) {
                    current = None;
                }
                if !yielded.contains(&k) {
                    removed_unreached.insert(k);
                }
                touched.insert(k);
            }
        }
    }
    drop(c);
    for k in initial.difference(&touched) {
        prop_assert!(
            yielded.contains(k),
            "{} present throughout but not yielded",
            k
        );
    }
    let end: HashMap<u64, u64> = m.iter().map(|(k, v)| (*k, *v)).collect();
    prop_assert_eq!(end, model);
    // The map stays fully usable after the cursor (arrays it kept are freed).
    for k in 10_000..10_500 {
        m.insert(k, k);
    }
    prop_assert!(m.iter().count() == m.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    /// Growth not under way when the cursor starts (it may start one).
    #[test]
    fn cursor_starting_before_growth(n in 0u64..3000, steps in prop::collection::vec(step(), 1..200)) {
        let mut m = GoMap::with_capacity(n as usize);
        for i in 0..n { m.insert(i, i + 1); }
        check_cursor(m, &steps)?;
    }

    /// The cursor starts while old buckets are still being evacuated.
    #[test]
    fn cursor_starting_during_growth(n in 9u64..3000, steps in prop::collection::vec(step(), 1..200)) {
        let m = {
            let mut m = growing_map(n);
            for v in m.values_mut() { *v /= 10; }
            for (k, v) in m.iter_mut() { *v = k + 1; }
            m
        };
        prop_assert!(m.header().growing);
        check_cursor(m, &steps)?;
    }

    /// Only inserts: growth after growth under one cursor.
    #[test]
    fn cursor_across_several_growths(n in 0u64..200, extra in 100u64..3000) {
        let mut m = GoMap::new();
        for i in 0..n { m.insert(i, i + 1); }
        let mut steps = vec![Step::Next];
        steps.extend((0..extra).map(|i| Step::Insert(100_000 + i)));
        check_cursor(m, &steps)?;
    }
}
