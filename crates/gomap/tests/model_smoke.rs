use gomap::GoMap;
use std::collections::{HashMap, HashSet};

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn differential_smoke() {
    let mut s = 0x1234_5678_9abc_def1u64;
    for round in 0..20 {
        let mut g: GoMap<u64, String> = GoMap::new();
        let mut h: HashMap<u64, String> = HashMap::new();
        let range = 10 + round * 500;
        for _ in 0..20000 {
            let k = rng(&mut s) % range;
            match rng(&mut s) % 10 {
                0..=4 => assert_eq!(g.insert(k, k.to_string()), h.insert(k, k.to_string())),
                5..=6 => assert_eq!(g.remove(&k), h.remove(&k)),
                7 => assert_eq!(g.get(&k), h.get(&k)),
                8 => {
                    *g.entry(k).or_default() += "x";
                    *h.entry(k).or_default() += "x";
                }
                _ => {
                    if rng(&mut s) % 200 == 0 {
                        g.retain(|k, _| k % 3 != 0);
                        h.retain(|k, _| k % 3 != 0);
                    }
                }
            }
            assert_eq!(g.len(), h.len());
        }
        let gm: HashMap<u64, String> = g.iter().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(gm, h);
        let r: HashMap<u64, String> = g.iter_randomized().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(r, h);
        let c = g.clone();
        assert_eq!(c, g);
        let d: HashMap<u64, String> = g.drain().collect();
        assert_eq!(d, h);
        assert!(g.is_empty());
    }
}

#[test]
fn cursor_guarantees_across_growth() {
    let mut s = 99u64;
    for round in 0..300 {
        let n = rng(&mut s) % 3000;
        let mut g: GoMap<u64, u64> = GoMap::new();
        for i in 0..n {
            g.insert(i, i);
        }
        let initial: HashSet<u64> = (0..n).collect();
        let mut removed_early = HashSet::new();
        let mut touched = HashSet::new(); // removed or inserted during the run
        let mut yielded = HashSet::new();
        let mut model: HashMap<u64, u64> = (0..n).map(|i| (i, i)).collect();
        let mut next_new = 1_000_000u64 + round * 100_000;
        let mut c = g.cursor();
        while let Some((&k, v)) = c.next() {
            assert!(
                yielded.insert(k) || touched.contains(&k),
                "yielded twice: {k}"
            );
            assert!(!removed_early.contains(&k), "yielded after removal: {k}");
            *v += 1;
            *model.get_mut(&k).unwrap() += 1;
            let opc = rng(&mut s) % 6;
            match opc {
                0 => {
                    let (rk, _) = c.remove_current().unwrap();
                    assert_eq!(rk, k);
                    model.remove(&k);
                }
                1 | 2 => {
                    for _ in 0..3 {
                        c.insert(next_new, 0);
                        model.insert(next_new, 0);
                        touched.insert(next_new);
                        next_new += 1;
                    }
                }
                3 => {
                    let victim = rng(&mut s) % n.max(1);
                    let was = model.remove(&victim);
                    assert_eq!(c.remove(&victim).is_some(), was.is_some());
                    if !yielded.contains(&victim) {
                        removed_early.insert(victim);
                    }
                    touched.insert(victim);
                }
                4 => {
                    // remove after insert: current may have moved
                    c.insert(next_new, 0);
                    model.insert(next_new, 0);
                    touched.insert(next_new);
                    next_new += 1;
                    let (rk, _) = c.remove_current().unwrap();
                    assert_eq!(rk, k);
                    model.remove(&k);
                }
                _ => {}
            }
        }
        drop(c);
        for k in &initial {
            if !touched.contains(k) && !removed_early.contains(k) {
                assert!(
                    yielded.contains(k),
                    "entry present throughout not yielded: {k} (round {round}, n {n})"
                );
            }
        }
        let gm: HashMap<u64, u64> = g.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(gm, model);
    }
}
