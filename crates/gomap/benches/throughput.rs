//! Throughput against std's HashMap, hashbrown and griddle, all with
//! foldhash (`foldhash::fast::RandomState`), same keys in the same order.
//!
//! Keys: `u64` (SplitMix64 of 0..n) and `String` (16 hex digits of the same).
//! Sizes: 1e3, 1e5, 1e6 (and 1e7 for u64 with `GOMAP_BENCH_LARGE=1`).
//! Workloads, per element: insert into an empty map, insert into a presized
//! map, lookup hit, lookup miss, remove (every key of a full map), iterate,
//! churn (insert one new key and remove the oldest, a sliding window).
//!
//! ```text
//! cargo bench -p gomap --bench throughput                          # all but 1e7
//! GOMAP_BENCH_LARGE=1 cargo bench -p gomap --bench throughput -- u64/
//! cargo bench -p gomap --bench throughput -- 'u64/lookup_hit/'     # a filter
//! ```
//!
//! Results land in `target/criterion/<key>/<workload>/<map>/<n>/`;
//! `scripts/bench_plot.py` turns them into BENCHMARKS.md's tables and plots.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::hash::Hash;
use std::hint::black_box;
use std::time::Duration;

type Hasher = foldhash::fast::RandomState;

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

trait Key: Hash + Eq + Clone {
    const NAME: &'static str;
    fn make(i: u64) -> Self;
}
impl Key for u64 {
    const NAME: &'static str = "u64";
    fn make(i: u64) -> u64 {
        splitmix64(i)
    }
}
impl Key for String {
    const NAME: &'static str = "string16";
    fn make(i: u64) -> String {
        format!("{:016x}", splitmix64(i))
    }
}

/// The operations every contender offers, monomorphised per map.
trait Map<K>: Clone {
    const NAME: &'static str;
    fn new() -> Self;
    fn with_capacity(n: usize) -> Self;
    fn insert(&mut self, k: K, v: u64);
    fn get(&self, k: &K) -> Option<&u64>;
    fn remove(&mut self, k: &K) -> Option<u64>;
    fn sum(&self) -> u64;
}

macro_rules! contender {
    ($name:literal, $t:ident) => {
        impl<K: Key> Map<K> for $t<K, u64, Hasher> {
            const NAME: &'static str = $name;
            fn new() -> Self {
                <$t<K, u64, Hasher>>::with_hasher(Hasher::default())
            }
            fn with_capacity(n: usize) -> Self {
                <$t<K, u64, Hasher>>::with_capacity_and_hasher(n, Hasher::default())
            }
            #[inline]
            fn insert(&mut self, k: K, v: u64) {
                <$t<K, u64, Hasher>>::insert(self, k, v);
            }
            #[inline]
            fn get(&self, k: &K) -> Option<&u64> {
                <$t<K, u64, Hasher>>::get(self, k)
            }
            #[inline]
            fn remove(&mut self, k: &K) -> Option<u64> {
                <$t<K, u64, Hasher>>::remove(self, k)
            }
            fn sum(&self) -> u64 {
                self.iter().fold(0u64, |a, (_, v)| a.wrapping_add(*v))
            }
        }
    };
}

use griddle::HashMap as Griddle;
use hashbrown::HashMap as Hashbrown;
use std::collections::HashMap as StdMap;
type GoMap<K, V, S> = gomap::GoMap<K, V, S>;
contender!("gomap", GoMap);
contender!("std", StdMap);
contender!("hashbrown", Hashbrown);
contender!("griddle", Griddle);

struct Data<K> {
    keys: Vec<K>,
    /// Keys that are never inserted.
    misses: Vec<K>,
}

fn data<K: Key>(n: usize) -> Data<K> {
    Data {
        keys: (0..n as u64).map(K::make).collect(),
        misses: (n as u64..2 * n as u64).map(K::make).collect(),
    }
}

fn filled<K: Key, M: Map<K>>(keys: &[K]) -> M {
    let mut m = M::new();
    for (i, k) in keys.iter().enumerate() {
        m.insert(k.clone(), i as u64);
    }
    m
}

fn bench_map<K: Key, M: Map<K>>(c: &mut Criterion, d: &Data<K>) {
    let n = d.keys.len();
    let id = BenchmarkId::new(M::NAME, n);
    let big = if n >= 1_000_000 {
        BatchSize::PerIteration
    } else {
        BatchSize::LargeInput
    };
    let mut g = group(c, n, K::NAME, "insert_empty");
    g.bench_function(id.clone(), |b| {
        b.iter_batched(
            || d.keys.clone(),
            |keys| {
                let mut m = M::new();
                for (i, k) in keys.into_iter().enumerate() {
                    m.insert(k, i as u64);
                }
                m
            },
            big,
        )
    });
    g.finish();

    let mut g = group(c, n, K::NAME, "insert_presized");
    g.bench_function(id.clone(), |b| {
        b.iter_batched(
            || (d.keys.clone(), M::with_capacity(n)),
            |(keys, mut m)| {
                for (i, k) in keys.into_iter().enumerate() {
                    m.insert(k, i as u64);
                }
                m
            },
            big,
        )
    });
    g.finish();

    let full: M = filled(&d.keys);
    let mut g = group(c, n, K::NAME, "lookup_hit");
    g.bench_function(id.clone(), |b| {
        b.iter(|| {
            let mut s = 0u64;
            for k in &d.keys {
                s = s.wrapping_add(*full.get(black_box(k)).unwrap());
            }
            s
        })
    });
    g.finish();

    let mut g = group(c, n, K::NAME, "lookup_miss");
    g.bench_function(id.clone(), |b| {
        b.iter(|| {
            let mut s = 0usize;
            for k in &d.misses {
                s += full.get(black_box(k)).is_some() as usize;
            }
            s
        })
    });
    g.finish();

    let mut g = group(c, n, K::NAME, "iterate");
    g.bench_function(id.clone(), |b| b.iter(|| black_box(&full).sum()));
    g.finish();

    let mut g = group(c, n, K::NAME, "remove");
    g.bench_function(id.clone(), |b| {
        b.iter_batched(
            || full.clone(),
            |mut m| {
                let mut s = 0u64;
                for k in &d.keys {
                    s = s.wrapping_add(m.remove(black_box(k)).unwrap());
                }
                (m, s)
            },
            big,
        )
    });
    g.finish();

    // Churn: a sliding window of n live keys; each step inserts the key n
    // ahead and removes the oldest. Iterations alternate between the two key
    // sets, so the map is back where it started every second iteration.
    let mut g = group(c, n, K::NAME, "churn");
    let mut m = full.clone();
    let mut flip = false;
    g.bench_function(id, |b| {
        b.iter(|| {
            let (add, del) = if flip {
                (&d.keys, &d.misses)
            } else {
                (&d.misses, &d.keys)
            };
            flip = !flip;
            for (i, (a, r)) in add.iter().zip(del).enumerate() {
                m.insert(a.clone(), i as u64);
                black_box(m.remove(r));
            }
        })
    });
    g.finish();
}

fn group<'a>(
    c: &'a mut Criterion,
    n: usize,
    key: &str,
    w: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(format!("{key}/{w}"));
    g.throughput(Throughput::Elements(n as u64));
    g.warm_up_time(Duration::from_millis(300));
    if n >= 1_000_000 {
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(if n >= 10_000_000 { 20 } else { 4 }));
    } else {
        g.sample_size(20);
        g.measurement_time(Duration::from_secs(1));
    }
    g
}

fn sizes(max: usize) -> Vec<usize> {
    let large = std::env::var_os("GOMAP_BENCH_LARGE").is_some();
    [1_000, 100_000, 1_000_000, 10_000_000]
        .into_iter()
        .filter(|&n| n <= max && (n < 10_000_000 || large))
        .collect()
}

fn all<K: Key>(c: &mut Criterion, max: usize) {
    for n in sizes(max) {
        let d = data::<K>(n);
        bench_map::<K, GoMap<K, u64, Hasher>>(c, &d);
        bench_map::<K, StdMap<K, u64, Hasher>>(c, &d);
        bench_map::<K, Hashbrown<K, u64, Hasher>>(c, &d);
        bench_map::<K, Griddle<K, u64, Hasher>>(c, &d);
    }
}

fn benches(c: &mut Criterion) {
    all::<u64>(c, 10_000_000);
    all::<String>(c, 1_000_000);
}

criterion_group!(throughput, benches);
criterion_main!(throughput);
