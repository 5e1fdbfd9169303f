//! Tail latency of growth: grow each map from empty to N (10 M by default)
//! u64 -> u64 entries with foldhash, timing every insert with `Instant`.
//!
//! For every contender (gomap, std HashMap, hashbrown, griddle) the bench
//! re-runs itself in a child process, so each map is measured in a fresh
//! process whose peak memory is its own:
//!
//! - a latency run: every insert timed; p50 / p99 / p99.9 / p99.99 / max and
//!   the insert index of the max; total time; peak bytes allocated by the map
//!   (a counting global allocator; the timing buffer is excluded);
//! - a resident run: only grows the map, then reads `VmHWM` (peak resident
//!   set) from `/proc/self/status`, minus the process's `VmRSS` before.
//!
//! Each latency run is repeated `LAT_RUNS` times (default 3); the report takes
//! the median of each statistic. Output: a table on stdout and
//! `target/bench-results/latency.json` (summaries, plus per-map series of the
//! max latency in each window of inserts, for the plots).
//!
//! Keys: `LAT_KEYS` lists the key sets, each measured in full and written to
//! its own file: `rand` (SplitMix64 of 0..n, `latency.json`) and `seq` (the
//! integers 0..n in order: ids, counters; `latency_seq.json`). Default: both.
//!
//! ```text
//! cargo bench -p gomap --bench latency                      # 10 M, 3 runs, rand and seq
//! LAT_N=1000000 LAT_RUNS=1 cargo bench -p gomap --bench latency
//! LAT_MAPS=gomap,std LAT_KEYS=seq cargo bench -p gomap --bench latency
//! LAT_MAPS=gomap,gomap_huge,std LAT_KEYS=rand cargo bench -p gomap --bench latency
//! ```
//!
//! `gomap_huge` (only when `LAT_MAPS` names it) is gomap with
//! `set_huge_pages(true)`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hash::BuildHasher;
use std::hint::black_box;
use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

type Hasher = foldhash::fast::RandomState;

/// Counts live bytes and their peak.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn add(n: usize) {
    let now = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: forwards every call to `System` unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        add(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        add(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if n >= l.size() {
            add(n - l.size());
        } else {
            LIVE.fetch_sub(l.size() - n, Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The `i`-th key of a key set: `seq` keys are `i` itself, `rand` keys are
/// SplitMix64 of `i`.
fn key(seq: bool, i: u64) -> u64 {
    if seq {
        i
    } else {
        splitmix64(i)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

trait Grow {
    fn new() -> Self;
    fn put(&mut self, k: u64, v: u64);
    fn size(&self) -> usize;
}

macro_rules! grow_impl {
    ($t:ty, $new:expr) => {
        impl Grow for $t {
            fn new() -> Self {
                $new
            }
            #[inline]
            fn put(&mut self, k: u64, v: u64) {
                self.insert(k, v);
            }
            fn size(&self) -> usize {
                self.len()
            }
        }
    };
}

grow_impl!(
    gomap::GoMap<u64, u64, Hasher>,
    gomap::GoMap::with_hasher(Hasher::default())
);
/// gomap with its arrays advised as huge pages (`LAT_MAPS=gomap_huge`; not
/// in the default set, see BENCHMARKS.md's "Huge pages").
struct HugeGoMap(gomap::GoMap<u64, u64, Hasher>);
impl Grow for HugeGoMap {
    fn new() -> Self {
        let mut m = gomap::GoMap::with_hasher(Hasher::default());
        m.set_huge_pages(true);
        HugeGoMap(m)
    }
    #[inline]
    fn put(&mut self, k: u64, v: u64) {
        self.0.insert(k, v);
    }
    fn size(&self) -> usize {
        self.0.len()
    }
}
grow_impl!(
    std::collections::HashMap<u64, u64, Hasher>,
    std::collections::HashMap::with_hasher(Hasher::default())
);
grow_impl!(
    hashbrown::HashMap<u64, u64, Hasher>,
    hashbrown::HashMap::with_hasher(Hasher::default())
);
grow_impl!(
    griddle::HashMap<u64, u64, Hasher>,
    griddle::HashMap::with_hasher(Hasher::default())
);

const MAPS: [&str; 4] = ["gomap", "std", "hashbrown", "griddle"];
/// Inserts per point of the plotted series.
const WINDOW: usize = 10_000;

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// This thread's CPU time in ns (`CLOCK_THREAD_CPUTIME_ID`): time spent
/// running, kernel work for it (page faults, munmap) included, time
/// preempted by other processes excluded. A syscall (~0.5 us), so it is used
/// only in the `cpu` mode, for the tail.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Child, latency mode: prints one JSON object. With `cpu`, each insert is
/// timed in thread CPU time instead of wall time (immune to preemption by
/// other processes on a shared machine, at ~1 us overhead per insert).
fn latency_run<M: Grow>(n: usize, cpu: bool, seq: bool) {
    let mut lat: Vec<u32> = vec![0; n];
    // Touch the buffer so its page faults are not charged to the map.
    for (i, x) in lat.iter_mut().enumerate() {
        *x = i as u32;
    }
    let keys: Vec<u64> = (0..n as u64).map(|i| key(seq, i)).collect();
    let base_live = LIVE.load(Relaxed);
    PEAK.store(base_live, Relaxed);
    let mut m = M::new();
    let t0 = Instant::now();
    if cpu {
        for (i, &k) in keys.iter().enumerate() {
            let s = thread_cpu_ns();
            m.put(k, i as u64);
            let d = thread_cpu_ns() - s;
            lat[i] = d.min(u32::MAX as u64) as u32;
        }
    } else {
        for (i, &k) in keys.iter().enumerate() {
            let s = Instant::now();
            m.put(k, i as u64);
            let d = s.elapsed().as_nanos();
            lat[i] = d.min(u32::MAX as u128) as u32;
        }
    }
    let total = t0.elapsed().as_nanos();
    let peak_alloc = PEAK.load(Relaxed) - base_live;
    assert_eq!(black_box(&m).size(), n);
    let series: Vec<u32> = lat
        .chunks(WINDOW)
        .map(|c| *c.iter().max().unwrap())
        .collect();
    let (max_i, &max) = lat.iter().enumerate().max_by_key(|&(_, &v)| v).unwrap();
    let mean = lat.iter().map(|&x| x as u64).sum::<u64>() as f64 / n as f64;
    // The ten slowest inserts, for diagnosis: (index, ns).
    let mut top: Vec<(usize, u32)> = lat.iter().copied().enumerate().collect();
    top.select_nth_unstable_by_key(n.min(10) - 1, |&(_, v)| std::cmp::Reverse(v));
    top.truncate(10);
    top.sort_by_key(|&(_, v)| std::cmp::Reverse(v));
    eprintln!("slowest: {top:?}");
    lat.sort_unstable();
    let q = |p: f64| lat[((n as f64 * p) as usize).min(n - 1)];
    // Drop timed separately: std frees its last table here, gomap its array.
    let td = Instant::now();
    drop(m);
    let drop_ns = td.elapsed().as_nanos();
    println!(
        "{{\"total_ns\":{total},\"mean_ns\":{mean:.1},\"p50\":{},\"p99\":{},\"p999\":{},\"p9999\":{},\"max\":{max},\"max_index\":{max_i},\"peak_alloc\":{peak_alloc},\"drop_ns\":{drop_ns},\"series\":{:?}}}",
        q(0.5),
        q(0.99),
        q(0.999),
        q(0.9999),
        series
    );
}

/// Child, resident mode: only grows the map; prints VmHWM and the baseline.
fn resident_run<M: Grow>(n: usize, seq: bool) {
    let base = status_kib("VmRSS:");
    let mut m = M::new();
    for i in 0..n as u64 {
        m.put(key(seq, i), i);
    }
    assert_eq!(black_box(&m).size(), n);
    let hwm = status_kib("VmHWM:");
    println!("{{\"hwm_kib\":{hwm},\"base_kib\":{base}}}");
}

fn child(map: &str, mode: &str, n: usize, seq: bool) {
    macro_rules! go {
        ($t:ty) => {
            if mode == "latency" || mode == "cpu" {
                latency_run::<$t>(n, mode == "cpu", seq)
            } else {
                resident_run::<$t>(n, seq)
            }
        };
    }
    match map {
        "gomap" => go!(gomap::GoMap<u64, u64, Hasher>),
        "gomap_huge" => go!(HugeGoMap),
        "std" => go!(std::collections::HashMap<u64, u64, Hasher>),
        "hashbrown" => go!(hashbrown::HashMap<u64, u64, Hasher>),
        "griddle" => go!(griddle::HashMap<u64, u64, Hasher>),
        other => panic!("unknown map {other}"),
    }
}

fn field(json: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\":");
    let at = json.find(&pat).unwrap_or_else(|| panic!("{key} in {json}")) + pat.len();
    let rest = &json[at..];
    let end = rest.find([',', '}']).unwrap();
    rest[..end].parse().unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn spawn(map: &str, mode: &str, n: usize, keys: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .env("LAT_CHILD", format!("{map}:{mode}:{n}:{keys}"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run child");
    assert!(out.status.success(), "{map} {mode} failed: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

fn main() {
    // Keep the hasher type in use for the children (and clippy quiet).
    let _ = Hasher::default().hash_one(0u64);
    if let Ok(spec) = std::env::var("LAT_CHILD") {
        let mut it = spec.split(':');
        let (map, mode) = (it.next().unwrap(), it.next().unwrap());
        let n = it.next().unwrap().parse().unwrap();
        let seq = it.next() == Some("seq");
        child(map, mode, n, seq);
        return;
    }
    let sets = std::env::var("LAT_KEYS").unwrap_or_else(|_| "rand,seq".into());
    for keys in sets.split(',') {
        assert!(
            keys == "rand" || keys == "seq",
            "LAT_KEYS: rand and/or seq, not {keys:?}"
        );
        measure(keys);
    }
}

/// Measures every map on one key set and writes its JSON file.
fn measure(keys_set: &str) {
    // `cargo bench` passes `--bench`; a filter argument selects maps.
    let n: usize = std::env::var("LAT_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let runs: usize = std::env::var("LAT_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let maps: Vec<String> = std::env::var("LAT_MAPS")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_else(|_| MAPS.iter().map(|s| s.to_string()).collect());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "latency: n = {n}, {keys_set} keys, runs = {runs}, loadavg before: {}",
        load.trim()
    );
    println!(
        "\n{keys_set} keys ({}):",
        if keys_set == "seq" {
            "0..n in order"
        } else {
            "SplitMix64 of 0..n"
        }
    );

    let keys = [
        "total_ns",
        "mean_ns",
        "p50",
        "p99",
        "p999",
        "p9999",
        "max",
        "peak_alloc",
        "drop_ns",
    ];
    let mut json = format!(
        "{{\"n\":{n},\"keys\":\"{keys_set}\",\"runs\":{runs},\"window\":{WINDOW},\"loadavg\":\"{}\",\"maps\":{{",
        load.trim()
    );
    println!(
        "{:<10} {:>9} {:>7} {:>7} {:>8} {:>9} {:>10} {:>11} {:>10} {:>10} {:>9}",
        "map",
        "total ms",
        "mean ns",
        "p50 ns",
        "p99 ns",
        "p99.9 ns",
        "p99.99 ns",
        "max ns",
        "max at",
        "alloc MiB",
        "RSS MiB"
    );
    let cpu_runs: usize = std::env::var("LAT_CPU_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut cpu_table = String::new();
    for (mi, map) in maps.iter().enumerate() {
        let outs: Vec<String> = (0..runs)
            .map(|_| spawn(map, "latency", n, keys_set))
            .collect();
        let med = |k: &str| median(outs.iter().map(|o| field(o, k)).collect());
        // The run whose max is the median max: its index and series are shown.
        let maxes: Vec<f64> = outs.iter().map(|o| field(o, "max")).collect();
        let mmax = median(maxes.clone());
        let pick = &outs[maxes.iter().position(|&x| x == mmax).unwrap()];
        let res: Vec<String> = (0..runs)
            .map(|_| spawn(map, "resident", n, keys_set))
            .collect();
        let hwm = median(res.iter().map(|o| field(o, "hwm_kib")).collect());
        let base = median(res.iter().map(|o| field(o, "base_kib")).collect());
        let rss_mib = (hwm - base) / 1024.0;
        println!(
            "{:<10} {:>9.0} {:>7.0} {:>7.0} {:>8.0} {:>9.0} {:>10.0} {:>11.0} {:>10.0} {:>10.1} {:>9.1}",
            map,
            med("total_ns") / 1e6,
            med("mean_ns"),
            med("p50"),
            med("p99"),
            med("p999"),
            med("p9999"),
            mmax,
            field(pick, "max_index"),
            med("peak_alloc") / 1048576.0,
            rss_mib
        );
        let _ = std::io::stdout().flush();
        if mi > 0 {
            json.push(',');
        }
        json.push_str(&format!("\"{map}\":{{"));
        for k in keys {
            json.push_str(&format!("\"{k}\":{},", med(k)));
        }
        let all_max: Vec<String> = maxes.iter().map(|m| format!("{m}")).collect();
        json.push_str(&format!(
            "\"max_median\":{mmax},\"max_runs\":[{}],\"max_index\":{},\"vmhwm_kib\":{hwm},\"base_rss_kib\":{base},\"resident_peak_mib\":{rss_mib:.1},",
            all_max.join(","),
            field(pick, "max_index")
        ));
        if cpu_runs > 0 {
            let c: Vec<String> = (0..cpu_runs)
                .map(|_| spawn(map, "cpu", n, keys_set))
                .collect();
            let cm = |k: &str| median(c.iter().map(|o| field(o, k)).collect());
            let cmax: Vec<f64> = c.iter().map(|o| field(o, "max")).collect();
            let cmm = median(cmax.clone());
            let cpick = &c[cmax.iter().position(|&x| x == cmm).unwrap()];
            cpu_table.push_str(&format!(
                "{:<10} {:>9.0} {:>7.0} {:>8.0} {:>9.0} {:>10.0} {:>11.0} {:>10.0}\n",
                map,
                cm("total_ns") / 1e6,
                cm("p50"),
                cm("p99"),
                cm("p999"),
                cm("p9999"),
                cmm,
                field(cpick, "max_index"),
            ));
            json.push_str(&format!(
                "\"cpu\":{{\"total_ns\":{},\"p50\":{},\"p99\":{},\"p999\":{},\"p9999\":{},\"max\":{cmm},\"max_index\":{},",
                cm("total_ns"),
                cm("p50"),
                cm("p99"),
                cm("p999"),
                cm("p9999"),
                field(cpick, "max_index")
            ));
            let s = cpick.find("\"series\":").unwrap();
            json.push_str(&cpick[s..]);
            json.push(',');
        }
        let s = pick.find("\"series\":").unwrap();
        json.push_str(&pick[s..pick.len() - 1]);
        json.push('}');
    }
    if cpu_runs > 0 {
        println!(
            "\non-CPU time per insert (CLOCK_THREAD_CPUTIME_ID, ~1 us clock overhead included; preemption excluded)"
        );
        println!(
            "{:<10} {:>9} {:>7} {:>8} {:>9} {:>10} {:>11} {:>10}",
            "map", "total ms", "p50 ns", "p99 ns", "p99.9 ns", "p99.99 ns", "max ns", "max at"
        );
        print!("{cpu_table}");
    }
    json.push_str("}}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!("loadavg after: {}", load.trim());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::env::var("LAT_OUT").unwrap_or_else(|_| "latency".into());
    let file = if keys_set == "seq" {
        format!("{file}_seq.json")
    } else {
        format!("{file}.json")
    };
    std::fs::write(dir.join(&file), json).unwrap();
    eprintln!("wrote {}", dir.join(file).display());
}
