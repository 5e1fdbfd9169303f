//! Throughput against std's HashMap, hashbrown and griddle, all with
//! foldhash (`foldhash::fast::RandomState`), same keys in the same order.
//!
//! Keys: `u64` (SplitMix64 of 0..n: random), `u64seq` (the integers 0..n
//! themselves: ids, counters; misses are n..2n) and `String` (16 hex digits
//! of SplitMix64 of 0..n).
//! Sizes: 1e3, 1e5, 1e6 (and 1e7 for the u64 sets with `GOMAP_BENCH_LARGE=1`).
//! Workloads, per element: insert into an empty map, insert into a presized
//! map, lookup hit, lookup miss, remove (every key of a full map), iterate,
//! churn (insert one new key and remove the oldest, a sliding window).
//!
//! Beside the maps, the `u64` lookup groups carry the **memory floor** of Go's
//! layout (contenders `floor` and `floor_pf`): only the memory accesses of a
//! lookup, in a bucket array of the size gomap allocates for n entries
//! (`2^B` buckets of 144 bytes), at random buckets, no hashing, no compares:
//! - `lookup_miss/floor`: the tophash word only (a miss in a bucket that has
//!   room stops there);
//! - `lookup_hit/floor`: the tophash word, then the key and the value of a
//!   slot chosen by the loaded tophash (so the key's and value's lines are
//!   requested only after the tophash line arrives, as in a real hit);
//! - `lookup_hit/floor_pf`: the same, but the bucket's three cache lines are
//!   requested at once first (what a lookup that prefetches its bucket pays).
//!
//! So `gomap / floor` says how much of a lookup is the layout's memory cost
//! and how much is instructions and branches.
//!
//! And the **least code** for the layout (contender `layout`, `u64` groups
//! except `insert_empty`): a `u64 -> u64` table in Go's layout written as
//! plainly as it can be (`benches/support/go_layout.rs`: a `Vec` of 144-byte
//! buckets, overflow buckets appended to it, Go's tophash, the 8-byte SWAR
//! match, sized once for n, so no growth), with the same keys, hasher type
//! and loops as the maps. `gomap / layout` is what gomap's own code costs
//! beyond the layout's.
//!
//! Last, `gomap_huge` (`u64` keys, 1e6 and 1e7): gomap with
//! `set_huge_pages(true)`, its arrays backed by 2 MiB pages where the
//! kernel gives them.
//!
//! ```text
//! cargo bench -p gomap --bench throughput                          # all but 1e7
//! GOMAP_BENCH_LARGE=1 cargo bench -p gomap --bench throughput -- 'u64(seq)?/'
//! cargo bench -p gomap --bench throughput -- 'u64/lookup_hit/'     # a filter
//! GOMAP_BENCH_QUICK=1 cargo bench -p gomap --bench throughput      # 1e3 only, short (checks the pipeline)
//! ```
//!
//! Results land in `target/criterion/<key>/<workload>/<map>/<n>/`;
//! `scripts/bench_plot.py` turns them into BENCHMARKS.md's tables and plots.

#[path = "support/go_layout.rs"]
mod go_layout;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use go_layout::{go_buckets, Layout};
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
/// A sequential key: hashes exactly like the `u64` inside it (derived `Hash`
/// forwards to `u64::hash`), but the bench makes it `i` itself, not a
/// scrambled `i`.
#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct Seq(u64);
impl Key for Seq {
    const NAME: &'static str = "u64seq";
    fn make(i: u64) -> Seq {
        Seq(i)
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
    /// False for the `layout` table, which is sized once: it skips
    /// `insert_empty` and is filled presized.
    const GROWS: bool = true;
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

/// gomap with `set_huge_pages(true)` (contender `gomap_huge`): run for `u64`
/// keys from 1e6 up, where its arrays hold whole 2 MiB pages.
#[derive(Clone)]
struct HugeGoMap(GoMap<u64, u64, Hasher>);
impl Map<u64> for HugeGoMap {
    const NAME: &'static str = "gomap_huge";
    fn new() -> Self {
        let mut m = GoMap::with_hasher(Hasher::default());
        m.set_huge_pages(true);
        HugeGoMap(m)
    }
    fn with_capacity(n: usize) -> Self {
        let mut m = GoMap::with_capacity_and_hasher(n, Hasher::default());
        m.set_huge_pages(true);
        HugeGoMap(m)
    }
    #[inline]
    fn insert(&mut self, k: u64, v: u64) {
        self.0.insert(k, v);
    }
    #[inline]
    fn get(&self, k: &u64) -> Option<&u64> {
        self.0.get(k)
    }
    #[inline]
    fn remove(&mut self, k: &u64) -> Option<u64> {
        self.0.remove(k)
    }
    fn sum(&self) -> u64 {
        self.0.iter().fold(0u64, |a, (_, v)| a.wrapping_add(*v))
    }
}

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
    let mut m = if M::GROWS {
        M::new()
    } else {
        M::with_capacity(keys.len())
    };
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
    if M::GROWS {
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
    }

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
    if quick() {
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(50));
        g.measurement_time(Duration::from_millis(100));
        return g;
    }
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

/// `GOMAP_BENCH_QUICK=1`: 1e3 only, 0.1 s per benchmark; for checking that
/// the pipeline (bench -> tables -> plots) works, not for numbers.
fn quick() -> bool {
    std::env::var_os("GOMAP_BENCH_QUICK").is_some_and(|v| v != "0")
}

fn sizes(max: usize) -> Vec<usize> {
    let large = std::env::var_os("GOMAP_BENCH_LARGE").is_some();
    let quick = quick();
    [1_000, 100_000, 1_000_000, 10_000_000]
        .into_iter()
        .filter(|&n| n <= max && (n < 10_000_000 || large) && (n == 1_000 || !quick))
        .collect()
}

/// Bytes of one `u64 -> u64` bucket: tophash[8], 8 keys, 8 values, overflow.
const BUCKET: usize = 144;

/// The memory floor of Go's layout (see the module docs): an array of
/// `go_buckets(n)` buckets of 144 bytes filled with random bytes, and the
/// random bucket each of the n lookups visits.
struct Floor {
    /// The array, as words so every bucket (144 = 18 words) is 8-aligned like
    /// gomap's.
    words: Vec<u64>,
    /// Word index of each lookup's bucket.
    at: Vec<u32>,
}

fn floor_data(n: usize) -> Floor {
    let nb = go_buckets(n);
    let words = (0..nb * BUCKET / 8)
        .map(|i| splitmix64(i as u64 ^ 0x5555))
        .collect();
    let at = (0..n as u64)
        .map(|i| ((splitmix64(i) as usize & (nb - 1)) * BUCKET / 8) as u32)
        .collect();
    Floor { words, at }
}

/// One hit: the tophash word, then key and value of the slot its low bits pick.
#[inline(always)]
fn floor_hit(w: &[u64], b: usize) -> u64 {
    let slot = (w[b] & 7) as usize;
    w[b + 1 + slot] ^ w[b + 9 + slot]
}

/// The `layout` contender (see the module docs), run by `bench_map` with the
/// maps' own loops, for every workload but growing from empty.
impl Map<u64> for Layout<Hasher> {
    const NAME: &'static str = "layout";
    const GROWS: bool = false;
    fn new() -> Self {
        Layout::with_capacity(0, Hasher::default())
    }
    fn with_capacity(n: usize) -> Self {
        Layout::with_capacity(n, Hasher::default())
    }
    #[inline]
    fn insert(&mut self, k: u64, v: u64) {
        Layout::insert(self, k, v);
    }
    #[inline]
    fn get(&self, k: &u64) -> Option<&u64> {
        Layout::get(self, k)
    }
    #[inline]
    fn remove(&mut self, k: &u64) -> Option<u64> {
        Layout::remove(self, k)
    }
    fn sum(&self) -> u64 {
        self.fold(0u64, |a, _, v| a.wrapping_add(v))
    }
}

fn bench_floor(c: &mut Criterion, n: usize) {
    let f = floor_data(n);
    let (w, at) = (&f.words[..], &f.at[..]);
    let mut g = group(c, n, "u64", "lookup_miss");
    g.bench_function(BenchmarkId::new("floor", n), |b| {
        b.iter(|| {
            let mut s = 0u64;
            for &i in at {
                s = s.wrapping_add(w[black_box(i) as usize]);
            }
            s
        })
    });
    g.finish();
    let mut g = group(c, n, "u64", "lookup_hit");
    g.bench_function(BenchmarkId::new("floor", n), |b| {
        b.iter(|| {
            let mut s = 0u64;
            for &i in at {
                s = s.wrapping_add(floor_hit(w, black_box(i) as usize));
            }
            s
        })
    });
    g.bench_function(BenchmarkId::new("floor_pf", n), |b| {
        b.iter(|| {
            let mut s = 0u64;
            for &i in at {
                let i = black_box(i) as usize;
                // Request the bucket's three lines at once (words 0, 8 and
                // 16 are in its first, middle and last 64 bytes), then hit.
                let pf = w[i] ^ w[i + 8] ^ w[i + 16];
                s = s
                    .wrapping_add(floor_hit(w, i))
                    .wrapping_add(black_box(pf) & 1);
            }
            s
        })
    });
    g.finish();
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
    all::<Seq>(c, 10_000_000);
    all::<String>(c, 1_000_000);
    for n in sizes(10_000_000) {
        bench_floor(c, n);
        bench_map::<u64, Layout<Hasher>>(c, &data::<u64>(n));
        if n >= 1_000_000 {
            bench_map::<u64, HugeGoMap>(c, &data::<u64>(n));
        }
    }
}

criterion_group!(throughput, benches);
criterion_main!(throughput);
