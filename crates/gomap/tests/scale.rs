//! Scale and soak tests, ignored by default; run in release:
//!
//! ```text
//! cargo test --release -p gomap --test scale -- --ignored --nocapture --test-threads=1
//! ```
//!
//! - `grow_to_100m`: grows a `GoMap<u64, u64>` to `GOMAP_SCALE_N` entries
//!   (default 100 000 000), checks every key, reports peak memory (VmHWM)
//!   and the slowest single insert, then removes everything.
//! - `soak_churn`: `GOMAP_SOAK_OPS` churn ops (default 100 000 000: remove
//!   the oldest key, insert a new one) at `GOMAP_SOAK_LIVE` live entries
//!   (default 1 000 000), checked against the sliding-window model at
//!   intervals; memory must stay bounded: `heap_bytes` at most 2x what it
//!   was after the first `GOMAP_SOAK_LIVE` churn ops (no leak), and the
//!   overflow bucket count at most 2x that baseline or, if more, no more
//!   than Go's same-size growth lets accumulate before compacting (about
//!   one per bucket; see `overflow_bound`).
//!
//! Timings are reported, never asserted.

use std::time::{Duration, Instant};

use gomap::GoMap;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(s) => s
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s:?} is not a number")),
        Err(_) => default,
    }
}

/// A field of /proc/self/status in kB (VmHWM, VmRSS), if available.
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn value_of(k: u64) -> u64 {
    k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555
}

#[test]
#[ignore = "scale test: run in release with --ignored (GOMAP_SCALE_N scales it down)"]
fn grow_to_100m() {
    let n = env_usize("GOMAP_SCALE_N", 100_000_000) as u64;
    let start = Instant::now();
    let mut m: GoMap<u64, u64> = GoMap::new();

    let mut max_latency = Duration::ZERO;
    let mut max_at = 0u64;
    // The inserts that start a doubling allocate the new array; the others
    // only evacuate two old buckets at most.
    let mut max_growth_start = Duration::ZERO;
    let mut max_other = Duration::ZERO;
    let mut over_1ms = 0u64;
    // Latency histogram in powers of two of nanoseconds.
    let mut hist = [0u64; 40];
    let mut growths = 0u32;
    let mut b = m.header().b;
    for k in 0..n {
        let t = Instant::now();
        let old = m.insert(k, value_of(k));
        let dt = t.elapsed();
        debug_assert!(old.is_none());
        let ns = dt.as_nanos().max(1) as u64;
        hist[(63 - ns.leading_zeros()) as usize] += 1;
        if dt > max_latency {
            max_latency = dt;
            max_at = k;
        }
        if dt > Duration::from_millis(1) {
            over_1ms += 1;
        }
        let h = m.header();
        if h.b != b {
            growths += 1;
            b = h.b;
            max_growth_start = max_growth_start.max(dt);
        } else {
            max_other = max_other.max(dt);
        }
    }
    let insert_time = start.elapsed();
    assert_eq!(m.len() as u64, n);
    let stats = m.stats();
    println!(
        "grow_to_100m: {n} inserts in {:.1?} ({:.1} ns/insert); {growths} doublings, final B = {}, buckets {}, overflow {}, heap {:.0} MiB",
        insert_time,
        insert_time.as_nanos() as f64 / n as f64,
        stats.b,
        stats.buckets,
        stats.overflow_buckets,
        mib(stats.heap_bytes as u64)
    );
    println!(
        "grow_to_100m: max single-insert latency {max_latency:.2?} (insert #{max_at}); growth-starting inserts max {max_growth_start:.2?}, all others max {max_other:.2?}; {over_1ms} inserts over 1 ms (on a shared machine, preemption shows up here too)"
    );
    let mut line =
        String::from("grow_to_100m: insert latency percentiles (upper bounds, powers of 2):");
    for (name, q) in [
        ("p50", 0.5),
        ("p99", 0.99),
        ("p99.9", 0.999),
        ("p99.99", 0.9999),
        ("p99.999", 0.99999),
    ] {
        let want = (q * n as f64).ceil() as u64;
        let mut acc = 0u64;
        if let Some(i) = hist.iter().position(|c| {
            acc += c;
            acc >= want
        }) {
            line += &format!(" {name} < {:?}", Duration::from_nanos(1u64 << (i + 1)));
        }
    }
    println!("{line}");
    // Growth is exactly Go's: the final B is the smallest with !overLoadFactor(n, B).
    let mut want_b = 0u8;
    while n > 8 && n > 13 * ((1u64 << want_b) / 2) {
        want_b += 1;
    }
    assert_eq!(stats.b, want_b, "final B for {n} entries");

    let t = Instant::now();
    for k in 0..n {
        assert_eq!(m.get(&k), Some(&value_of(k)), "key {k}");
    }
    assert_eq!(m.get(&n), None);
    println!("grow_to_100m: checked every key in {:.1?}", t.elapsed());
    if let Some(hwm) = proc_status_kb("VmHWM:") {
        println!(
            "grow_to_100m: peak memory (VmHWM) {:.0} MiB = {:.1} bytes/entry; map heap_bytes {:.0} MiB",
            hwm as f64 / 1024.0,
            hwm as f64 * 1024.0 / n as f64,
            mib(stats.heap_bytes as u64)
        );
    }

    let t = Instant::now();
    for k in 0..n {
        assert_eq!(m.remove(&k), Some(value_of(k)), "remove {k}");
    }
    assert!(m.is_empty());
    assert_eq!(m.iter().count(), 0);
    let after = m.stats();
    assert_eq!(after.len, 0);
    println!(
        "grow_to_100m: removed all in {:.1?}; heap still {:.0} MiB (the map never shrinks by itself)",
        t.elapsed(),
        mib(after.heap_bytes as u64)
    );
    m.shrink_to_fit();
    println!(
        "grow_to_100m: after shrink_to_fit heap {} bytes",
        m.stats().heap_bytes
    );
}

/// The overflow bucket count under churn: at most 2x the baseline, or up to
/// the point where Go's rule compacts the chains with a same-size growth
/// (`noverflow >= 2^min(B, 15)`; above B = 15 `noverflow` counts 1 in
/// `2^(B-15)` overflow buckets, so that point is about `2^B` real ones, 5%
/// slack for the random counting).
fn overflow_bound(base: &gomap::MapStats, now: &gomap::MapStats) -> usize {
    let go_trigger = now.buckets + now.buckets / 20 + 1;
    (2 * base.overflow_buckets).max(go_trigger)
}

#[test]
#[ignore = "soak test: run in release with --ignored (GOMAP_SOAK_OPS / GOMAP_SOAK_LIVE scale it down)"]
fn soak_churn() {
    let live = env_usize("GOMAP_SOAK_LIVE", 1_000_000) as u64;
    let ops = env_usize("GOMAP_SOAK_OPS", 100_000_000) as u64;
    assert!(
        live > 0 && ops >= live,
        "need GOMAP_SOAK_OPS >= GOMAP_SOAK_LIVE > 0"
    );
    let checks = 20u64;
    let start = Instant::now();
    let mut m: GoMap<u64, u64> = GoMap::new();
    for k in 0..live {
        m.insert(k, value_of(k));
    }

    // Model: after op i (0-based), the live keys are exactly i+1 ..= i+live.
    let check = |m: &GoMap<u64, u64>, done: u64, full: bool| {
        assert_eq!(m.len() as u64, live, "len after {done} churn ops");
        let (lo, hi) = (done, done + live); // live window [lo, hi)
        if full {
            for k in lo..hi {
                assert_eq!(m.get(&k), Some(&value_of(k)), "key {k} after {done} ops");
            }
            let mut count = 0u64;
            for (k, v) in m.iter() {
                assert!((lo..hi).contains(k), "stale key {k} after {done} ops");
                assert_eq!(*v, value_of(*k));
                count += 1;
            }
            assert_eq!(count, live);
        } else {
            for k in (lo..hi).step_by(97) {
                assert_eq!(m.get(&k), Some(&value_of(k)), "key {k} after {done} ops");
            }
        }
        for k in lo.saturating_sub(1000)..lo {
            assert_eq!(
                m.get(&k),
                None,
                "removed key {k} still present after {done} ops"
            );
        }
    };
    check(&m, 0, true);

    // Heap and overflow are compared only between states with no growth in
    // progress (a growth holds two arrays for a while, by design).
    let mut baseline: Option<gomap::MapStats> = None;
    let mut same_size_grows = 0u64;
    let mut doublings = 0u64;
    let mut prev = m.header();
    let mut i = 0u64;
    let mut extra = 0u64;
    loop {
        let done = i;
        if done >= ops && !m.header().growing {
            break;
        }
        if done >= ops {
            extra += 1;
        }
        assert_eq!(m.remove(&i), Some(value_of(i)), "remove oldest {i}");
        let k = i + live;
        assert_eq!(m.insert(k, value_of(k)), None, "insert new {k}");
        i += 1;
        let done = i;
        let h = m.header();
        if h.growing && !prev.growing {
            if h.same_size_grow {
                same_size_grows += 1;
            } else {
                doublings += 1;
            }
        }
        prev = h;
        if baseline.is_none() && done >= live && !h.growing {
            let s = m.stats();
            println!(
                "soak_churn: after {done} ops: heap {:.1} MiB, B = {}, overflow buckets {}, VmRSS {:?} kB",
                mib(s.heap_bytes as u64),
                s.b,
                s.overflow_buckets,
                proc_status_kb("VmRSS:")
            );
            baseline = Some(s);
        }
        if done % (ops / checks).max(1) == 0 {
            check(&m, done, done % (ops / 4).max(1) == 0);
            if let (Some(base), false) = (baseline, h.growing) {
                let s = m.stats();
                assert!(
                    s.heap_bytes <= 2 * base.heap_bytes,
                    "heap grew from {} to {} bytes after {done} ops",
                    base.heap_bytes,
                    s.heap_bytes
                );
                assert!(
                    s.overflow_buckets <= overflow_bound(&base, &s),
                    "overflow buckets grew from {} to {} after {done} ops ({s:?})",
                    base.overflow_buckets,
                    s.overflow_buckets
                );
            }
        }
    }
    check(&m, i, true);
    if extra > 0 {
        println!("soak_churn: {extra} extra churn ops to finish the growth in progress at the end");
    }
    let s = m.stats();
    let base = baseline.expect("baseline taken");
    println!(
        "soak_churn: {ops} churn ops at {live} live entries in {:.1?}; {doublings} doublings, {same_size_grows} same-size grows",
        start.elapsed()
    );
    println!(
        "soak_churn: heap {:.1} MiB -> {:.1} MiB, overflow buckets {} -> {}, B {} -> {}, max chain {}, VmRSS {:?} kB, VmHWM {:?} kB",
        mib(base.heap_bytes as u64),
        mib(s.heap_bytes as u64),
        base.overflow_buckets,
        s.overflow_buckets,
        base.b,
        s.b,
        s.max_chain,
        proc_status_kb("VmRSS:"),
        proc_status_kb("VmHWM:")
    );
    assert!(s.heap_bytes <= 2 * base.heap_bytes, "heap not bounded");
    assert!(
        s.overflow_buckets <= overflow_bound(&base, &s),
        "overflow buckets not bounded: {s:?}"
    );
}
