//! A cache filled to 2.5 million entries, timing every insert: the worst
//! insert into a `GoMap` against the worst into std's `HashMap` (same hasher,
//! foldhash). std's map moves its whole table inside the insert that finds it
//! full; gomap spreads that move over the following writes.
//!
//! ```sh
//! cargo run --release -p gomap --example latency_cache
//! ```
//!
//! Timings on a busy machine include preemption: each fill runs three
//! times and the table shows every run's worst insert; the growth-starting
//! inserts of gomap are reported on their own.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use gomap::GoMap;

const ENTRIES: usize = 2_500_000;
const RUNS: usize = 3;

/// What the cache stores for a key.
#[derive(Clone, Copy)]
#[allow(dead_code)] // Written, never read: the example times inserts only.
struct Entry {
    expires_at: u32,
    size: u32,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Fill {
    /// Every insert's latency, in nanoseconds, in insert order.
    nanos: Vec<u32>,
    total: Duration,
}

impl Fill {
    fn worst(&self) -> (u32, usize) {
        let (i, &ns) = self
            .nanos
            .iter()
            .enumerate()
            .max_by_key(|&(_, ns)| *ns)
            .expect("non-empty");
        (ns, i + 1)
    }
    fn percentile(&self, p: f64) -> u32 {
        let mut v = self.nanos.clone();
        v.sort_unstable();
        v[((v.len() - 1) as f64 * p) as usize]
    }
}

/// Inserts `ENTRIES` random keys through `insert`, timing each call.
fn fill(mut insert: impl FnMut(u64, Entry), seed: u64) -> Fill {
    let mut nanos = Vec::with_capacity(ENTRIES);
    let mut rng = seed;
    let start = Instant::now();
    for i in 0..ENTRIES {
        let key = splitmix(&mut rng);
        let e = Entry {
            expires_at: i as u32,
            size: (key % 4096) as u32,
        };
        let t = Instant::now();
        insert(key, e);
        nanos.push(t.elapsed().as_nanos().min(u32::MAX as u128) as u32);
    }
    Fill {
        nanos,
        total: start.elapsed(),
    }
}

fn ms(ns: u32) -> f64 {
    f64::from(ns) / 1e6
}

fn main() {
    let hasher = foldhash::fast::RandomState::default();
    println!("{ENTRIES} inserts of u64 -> 8-byte entries, foldhash for both maps\n");
    println!(
        "{:<28} {:>13} {:>10} {:>10} {:>10} {:>9}",
        "map, run", "worst insert", "at insert", "p99.99", "p99.9999", "total"
    );
    let mut worst = [0u32; 2];
    for run in 0..RUNS {
        let seed = 0x1234 + run as u64;

        let mut go: GoMap<u64, Entry, _> = GoMap::with_hasher(hasher.clone());
        let mut growth_starts = Vec::new();
        let mut growth_worst = 0u32;
        let f = {
            let mut b = go.header().b;
            let mut nanos_at_growth = Vec::new();
            let f = fill(
                |k, v| {
                    go.insert(k, v);
                    let nb = go.header().b;
                    if nb != b {
                        b = nb;
                        nanos_at_growth.push(go.len());
                    }
                },
                seed,
            );
            growth_starts.extend(nanos_at_growth);
            f
        };
        for &at in &growth_starts {
            growth_worst = growth_worst.max(f.nanos[at - 1]);
        }
        report(&format!("gomap::GoMap, run {}", run + 1), &f);
        println!(
            "{:<28} {:>10.3} ms   (worst of the {} inserts that started a doubling)",
            "",
            ms(growth_worst),
            growth_starts.len()
        );
        worst[0] = worst[0].max(f.worst().0);
        assert_eq!(go.len(), ENTRIES);
        let s = go.stats();
        drop(go);

        let mut std: HashMap<u64, Entry, _> = HashMap::with_hasher(hasher.clone());
        let f = fill(
            |k, v| {
                std.insert(k, v);
            },
            seed,
        );
        report(&format!("std HashMap, run {}", run + 1), &f);
        worst[1] = worst[1].max(f.worst().0);
        assert_eq!(std.len(), ENTRIES);
        assert_eq!(std.hasher().hash_one(1u64), hasher.hash_one(1u64));
        drop(std);
        if run == 0 {
            println!(
                "{:<28} gomap ended at B = {}, {} buckets + {} overflow, {:.1} MiB",
                "",
                s.b,
                s.buckets,
                s.overflow_buckets,
                s.heap_bytes as f64 / (1 << 20) as f64
            );
        }
    }
    println!(
        "\nworst insert over {RUNS} runs: gomap {:.3} ms, std HashMap {:.3} ms",
        ms(worst[0]),
        ms(worst[1])
    );
}

fn report(name: &str, f: &Fill) {
    let (ns, at) = f.worst();
    println!(
        "{name:<28} {:>10.3} ms {:>10} {:>7.1} us {:>7.1} us {:>7.0} ms",
        ms(ns),
        at,
        f64::from(f.percentile(0.9999)) / 1e3,
        f64::from(f.percentile(0.999999)) / 1e3,
        f.total.as_secs_f64() * 1e3
    );
}
