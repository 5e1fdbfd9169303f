//! The latency harness behind `gomap bench`, reusable by other binaries.
//!
//! A map under test implements [`MapUnderTest`]; [`run_contender`] grows one
//! to `n` entries timing every insert, then measures lookup-hit, lookup-miss,
//! iterate and remove throughput. To add a contender (hashbrown, griddle),
//! implement the trait for it and add one line to [`contenders`].

use indicatif::ProgressBar;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;
use std::hint::black_box;
use std::time::Instant;

/// The hasher every contender uses, so they differ only in their tables:
/// gomap's default, `foldhash::fast::RandomState`.
pub type BenchHasher = foldhash::fast::RandomState;

/// A key type the bench can generate.
pub trait BenchKey: Hash + Eq + Clone + 'static {
    /// Name shown in reports.
    const NAME: &'static str;
    /// The `i`-th key: distinct for distinct `i`, spread over the key space.
    fn make(i: u64) -> Self;
}

/// SplitMix64's finaliser: a bijection on u64, so distinct inputs give
/// distinct, well-spread keys.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl BenchKey for u64 {
    const NAME: &'static str = "u64";
    fn make(i: u64) -> u64 {
        splitmix64(i)
    }
}

impl BenchKey for String {
    const NAME: &'static str = "String";
    fn make(i: u64) -> String {
        format!("{:016x}", splitmix64(i))
    }
}

/// A map under test, with `u64` values.
pub trait MapUnderTest<K>: Sized {
    /// Name shown in reports and plots.
    const NAME: &'static str;
    /// An empty map with the bench hasher and no capacity.
    fn new_empty() -> Self;
    /// Inserts or replaces.
    fn insert(&mut self, k: K, v: u64);
    /// Looks up.
    fn get(&self, k: &K) -> Option<u64>;
    /// Removes.
    fn remove(&mut self, k: &K) -> Option<u64>;
    /// Visits every entry; returns (entries visited, sum of values).
    fn visit_all(&self) -> (usize, u64);
    /// Number of entries.
    fn len(&self) -> usize;
    /// No entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: BenchKey> MapUnderTest<K> for HashMap<K, u64, BenchHasher> {
    const NAME: &'static str = "std HashMap";
    fn new_empty() -> Self {
        HashMap::with_hasher(BenchHasher::default())
    }
    fn insert(&mut self, k: K, v: u64) {
        HashMap::insert(self, k, v);
    }
    fn get(&self, k: &K) -> Option<u64> {
        HashMap::get(self, k).copied()
    }
    fn remove(&mut self, k: &K) -> Option<u64> {
        HashMap::remove(self, k)
    }
    fn visit_all(&self) -> (usize, u64) {
        self.iter()
            .fold((0, 0u64), |(n, s), (_, v)| (n + 1, s.wrapping_add(*v)))
    }
    fn len(&self) -> usize {
        HashMap::len(self)
    }
}

impl<K: BenchKey> MapUnderTest<K> for gomap::GoMap<K, u64, BenchHasher> {
    const NAME: &'static str = "gomap";
    fn new_empty() -> Self {
        gomap::GoMap::with_hasher(BenchHasher::default())
    }
    fn insert(&mut self, k: K, v: u64) {
        gomap::GoMap::insert(self, k, v);
    }
    fn get(&self, k: &K) -> Option<u64> {
        gomap::GoMap::get(self, k).copied()
    }
    fn remove(&mut self, k: &K) -> Option<u64> {
        gomap::GoMap::remove(self, k)
    }
    fn visit_all(&self) -> (usize, u64) {
        self.iter()
            .fold((0, 0u64), |(n, s), (_, v)| (n + 1, s.wrapping_add(*v)))
    }
    fn len(&self) -> usize {
        gomap::GoMap::len(self)
    }
}

/// Runs one contender; the function type stored in [`contenders`].
pub type ContenderFn = fn(&BenchConfig, &ProgressBar) -> ContenderReport;

/// Every contender, in report order. Add hashbrown or griddle here.
pub fn contenders<K: BenchKey>() -> Vec<ContenderFn> {
    vec![
        run_contender::<K, gomap::GoMap<K, u64, BenchHasher>>,
        run_contender::<K, HashMap<K, u64, BenchHasher>>,
    ]
}

/// How to run.
#[derive(Debug, Clone, Copy)]
pub struct BenchConfig {
    /// Entries to grow each map to.
    pub n: u64,
    /// Reads bytes live on the heap now, when a counting allocator is
    /// installed (see [`crate::alloc`]).
    pub heap_probe: Option<fn() -> usize>,
}

/// Steps each contender reports to the progress bar per entry: insert,
/// lookup hit, lookup miss, iterate, remove.
pub const PHASES: u64 = 5;

/// Per-insert latency, from one `Instant` pair around each insert.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p99_9_ns: u64,
    /// 99.99th percentile.
    pub p99_99_ns: u64,
    /// The slowest insert.
    pub max_ns: u64,
    /// Index (0-based) of the slowest insert; the map held this many entries before it.
    pub max_at: u64,
    /// Mean.
    pub mean_ns: f64,
    /// Sum of all insert latencies.
    pub total_ns: u64,
}

impl LatencySummary {
    /// Summarises latencies in nanoseconds, one per insert, in insert order.
    pub fn from_latencies(lat: &[u32]) -> LatencySummary {
        if lat.is_empty() {
            return LatencySummary::default();
        }
        let (max_at, &max) = lat
            .iter()
            .enumerate()
            .max_by_key(|&(i, v)| (*v, std::cmp::Reverse(i)))
            .expect("non-empty");
        let total: u64 = lat.iter().map(|&v| v as u64).sum();
        let mut sorted = lat.to_vec();
        sorted.sort_unstable();
        let q = |p: f64| -> u64 {
            let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
            sorted[idx] as u64
        };
        LatencySummary {
            p50_ns: q(0.5),
            p99_ns: q(0.99),
            p99_9_ns: q(0.999),
            p99_99_ns: q(0.9999),
            max_ns: max as u64,
            max_at: max_at as u64,
            mean_ns: total as f64 / lat.len() as f64,
            total_ns: total,
        }
    }
}

/// Operations per second over a timed span.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Throughput {
    /// Operations timed.
    pub ops: u64,
    /// Time they took.
    pub ns: u64,
    /// Millions of operations per second.
    pub mops: f64,
}

impl Throughput {
    fn new(ops: u64, ns: u64) -> Throughput {
        Throughput {
            ops,
            ns,
            mops: if ns == 0 {
                0.0
            } else {
                ops as f64 * 1e3 / ns as f64
            },
        }
    }
}

/// What one contender did.
#[derive(Debug, Clone, Serialize)]
pub struct ContenderReport {
    /// The contender's name.
    pub name: &'static str,
    /// Key type.
    pub key: &'static str,
    /// Entries inserted.
    pub n: u64,
    /// Per-insert latency.
    pub insert: LatencySummary,
    /// Wall time of the whole insert loop (includes key generation and timing overhead).
    pub insert_wall_ns: u64,
    /// Heap bytes the map held after the last insert (with a counting allocator).
    pub heap_bytes: Option<usize>,
    /// Looking up every inserted key.
    pub lookup_hit: Throughput,
    /// Looking up `n` keys that are absent.
    pub lookup_miss: Throughput,
    /// Iterating over all entries.
    pub iterate: Throughput,
    /// Removing every key.
    pub remove: Throughput,
    /// Every insert's latency in nanoseconds, in insert order (saturating at u32::MAX).
    #[serde(skip)]
    pub latencies: Vec<u32>,
}

const CHUNK: u64 = 1 << 16;

/// Times `op` over all keys `make(first..first+count)`, generating the keys
/// chunk by chunk outside the timed spans. Returns nanoseconds.
fn timed_over_keys<K: BenchKey>(
    first: u64,
    count: u64,
    pb: &ProgressBar,
    mut op: impl FnMut(&K),
) -> u64 {
    let mut ns = 0u64;
    let mut keys: Vec<K> = Vec::with_capacity(CHUNK.min(count) as usize);
    let mut i = 0;
    while i < count {
        let c = CHUNK.min(count - i);
        keys.clear();
        keys.extend((first + i..first + i + c).map(K::make));
        let t = Instant::now();
        for k in &keys {
            op(k);
        }
        ns += t.elapsed().as_nanos() as u64;
        pb.inc(c);
        i += c;
    }
    ns
}

/// Grows a `M` to `cfg.n` entries timing every insert, then measures the
/// other operations.
pub fn run_contender<K: BenchKey, M: MapUnderTest<K>>(
    cfg: &BenchConfig,
    pb: &ProgressBar,
) -> ContenderReport {
    let n = cfg.n;
    pb.set_message(format!("{}: insert", M::NAME));
    let mut latencies: Vec<u32> = Vec::with_capacity(n as usize);
    let heap0 = cfg.heap_probe.map(|f| f());
    let mut map = M::new_empty();
    let wall = Instant::now();
    for i in 0..n {
        let k = K::make(i);
        let t = Instant::now();
        map.insert(k, i);
        let dt = t.elapsed().as_nanos();
        latencies.push(dt.min(u32::MAX as u128) as u32);
        if i % CHUNK == CHUNK - 1 {
            pb.inc(CHUNK);
        }
    }
    let insert_wall_ns = wall.elapsed().as_nanos() as u64;
    pb.inc(n % CHUNK);
    let heap_bytes = match (cfg.heap_probe, heap0) {
        (Some(f), Some(h0)) => Some(f().saturating_sub(h0)),
        _ => None,
    };
    assert_eq!(map.len() as u64, n, "{} lost entries", M::NAME);

    pb.set_message(format!("{}: lookup hit", M::NAME));
    let mut found = 0u64;
    let hit_ns = timed_over_keys::<K>(0, n, pb, |k| {
        found += black_box(map.get(k)).is_some() as u64;
    });
    assert_eq!(found, n, "{} missed inserted keys", M::NAME);

    pb.set_message(format!("{}: lookup miss", M::NAME));
    let mut wrong = 0u64;
    let miss_ns = timed_over_keys::<K>(n, n, pb, |k| {
        wrong += black_box(map.get(k)).is_some() as u64;
    });
    assert_eq!(wrong, 0, "{} found absent keys", M::NAME);

    pb.set_message(format!("{}: iterate", M::NAME));
    let t = Instant::now();
    let (visited, sum) = black_box(map.visit_all());
    let iter_ns = t.elapsed().as_nanos() as u64;
    black_box(sum);
    assert_eq!(visited as u64, n, "{} iterated wrongly", M::NAME);
    pb.inc(n);

    pb.set_message(format!("{}: remove", M::NAME));
    let mut removed = 0u64;
    let remove_ns = timed_over_keys::<K>(0, n, pb, |k| {
        removed += black_box(map.remove(k)).is_some() as u64;
    });
    assert_eq!(removed, n, "{} failed to remove", M::NAME);
    drop(map);

    ContenderReport {
        name: M::NAME,
        key: K::NAME,
        n,
        insert: LatencySummary::from_latencies(&latencies),
        insert_wall_ns,
        heap_bytes,
        lookup_hit: Throughput::new(n, hit_ns),
        lookup_miss: Throughput::new(n, miss_ns),
        iterate: Throughput::new(n, iter_ns),
        remove: Throughput::new(n, remove_ns),
        latencies,
    }
}

/// One column of a latency plot: the inserts `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// First insert index in the column.
    pub start: u64,
    /// One past the last.
    pub end: u64,
    /// Slowest insert in the column.
    pub max: u32,
    /// Median insert in the column.
    pub median: u32,
}

/// Buckets latencies into at most `cols` columns of consecutive inserts,
/// keeping each column's max and median, so a plot of 10 M inserts stays small.
pub fn columns(lat: &[u32], cols: usize) -> Vec<Column> {
    let n = lat.len();
    if n == 0 || cols == 0 {
        return Vec::new();
    }
    let cols = cols.min(n);
    let mut out = Vec::with_capacity(cols);
    let mut scratch = Vec::new();
    for c in 0..cols {
        let start = c * n / cols;
        let end = (c + 1) * n / cols;
        let slice = &lat[start..end];
        scratch.clear();
        scratch.extend_from_slice(slice);
        let mid = scratch.len() / 2;
        let (_, median, _) = scratch.select_nth_unstable(mid);
        out.push(Column {
            start: start as u64,
            end: end as u64,
            max: slice.iter().copied().max().unwrap_or(0),
            median: *median,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_percentiles() {
        let mut lat: Vec<u32> = (1..=10_000).collect();
        lat[1234] = 1_000_000;
        let s = LatencySummary::from_latencies(&lat);
        assert_eq!(s.max_ns, 1_000_000);
        assert_eq!(s.max_at, 1234);
        // 1235 was replaced by the spike, so ranks above it shift by one.
        assert_eq!(s.p50_ns, 5001);
        assert_eq!(s.p99_ns, 9901);
        assert_eq!(s.p99_9_ns, 9991);
    }

    #[test]
    fn columns_keep_spikes() {
        let mut lat = vec![10u32; 1_000_000];
        lat[777_777] = 50_000;
        let cols = columns(&lat, 2000);
        assert_eq!(cols.len(), 2000);
        assert_eq!(cols.iter().map(|c| c.max).max(), Some(50_000));
        assert!(cols.iter().all(|c| c.median == 10));
        assert_eq!(cols.last().unwrap().end, 1_000_000);
        assert_eq!(columns(&lat[..10], 2000).len(), 10);
    }

    #[test]
    fn std_contender_runs() {
        let cfg = BenchConfig {
            n: 5000,
            heap_probe: None,
        };
        let r = run_contender::<u64, HashMap<u64, u64, BenchHasher>>(&cfg, &ProgressBar::hidden());
        assert_eq!(r.latencies.len(), 5000);
        assert_eq!(r.lookup_hit.ops, 5000);
        let r = run_contender::<String, HashMap<String, u64, BenchHasher>>(
            &cfg,
            &ProgressBar::hidden(),
        );
        assert_eq!(r.key, "String");
    }
}
