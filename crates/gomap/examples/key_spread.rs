//! How evenly a hasher spreads keys over Go's buckets: sequential `u64` keys
//! (0..n: ids, counters) against random ones, for `foldhash::fast` (gomap's
//! default) and `foldhash::quality` (fast plus a finishing multiply), over
//! many per-map seeds.
//!
//! Go's bucket index is the low B bits of the hash, unmixed, so a hasher
//! whose low bits follow a pattern for sequential keys shows it directly as
//! empty head buckets and overflow chains. For each configuration the map is
//! presized for n (the B a map grown to n ends with, no growth in progress)
//! and measured with `GoMap::structure()`:
//!
//! - `empty %`: head buckets whose chain holds no entry (a uniform hash
//!   leaves `e^-λ` of them, λ = n / 2^B);
//! - `ovf/head %`: overflow buckets per head bucket (`stats().overflow_buckets`);
//! - `max chain`: the longest chain, in buckets;
//! - `hit reads`, `miss reads`: buckets a lookup reads, averaged over the
//!   entries (hit) and over the head buckets (miss: the chain up to its first
//!   bucket with an empty slot).
//!
//! Each cell is `mean [min, max]` over the seeds.
//!
//! ```text
//! cargo run --release -p gomap --example key_spread            # 16 seeds
//! cargo run --release -p gomap --example key_spread -- 64      # 64 seeds
//! cargo run --release -p gomap --example key_spread -- 8 sweep # 40 sizes, seq keys
//! ```
//!
//! `sweep` compares sequential keys under fast and quality at 40 sizes from
//! 1e3 to 4e6 (log-spaced), where the load λ runs through its whole range.

use foldhash::SharedSeed;
use gomap::GoMap;
use std::hash::BuildHasher;

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One map's spread.
#[derive(Clone, Copy, Default)]
struct Spread {
    empty_pct: f64,
    ovf_pct: f64,
    max_chain: f64,
    hit_reads: f64,
    miss_reads: f64,
}

fn spread<S: BuildHasher>(keys: &[u64], s: S) -> (Spread, u8) {
    let mut m: GoMap<u64, u64, S> = GoMap::with_capacity_and_hasher(keys.len(), s);
    for &k in keys {
        m.insert(k, k);
    }
    let st = m.structure();
    assert!(st.old.is_none(), "presized: no growth in progress");
    let a = st.current.expect("an array");
    let heads = a.chains.len() as f64;
    let (mut empty, mut hit, mut miss) = (0usize, 0usize, 0usize);
    for c in &a.chains {
        let mut entries = 0;
        for (d, b) in c.buckets.iter().enumerate() {
            let full = b.tophash.iter().filter(|&&t| t >= 5).count();
            entries += full;
            hit += full * (d + 1);
        }
        empty += (entries == 0) as usize;
        miss += c
            .buckets
            .iter()
            .position(|b| b.tophash.iter().any(|&t| t < 5))
            .map_or(c.buckets.len(), |p| p + 1);
    }
    let stats = m.stats();
    (
        Spread {
            empty_pct: 100.0 * empty as f64 / heads,
            ovf_pct: 100.0 * stats.overflow_buckets as f64 / heads,
            max_chain: stats.max_chain as f64,
            hit_reads: hit as f64 / keys.len() as f64,
            miss_reads: miss as f64 / heads,
        },
        stats.b,
    )
}

fn cell(v: &[f64], prec: usize) -> String {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{mean:.prec$} [{min:.prec$}, {max:.prec$}]")
}

/// Poisson(λ): P(X = 0) and P(X > 8) (a head that needs an overflow bucket).
fn poisson(lambda: f64) -> (f64, f64) {
    let mut p = (-lambda).exp();
    let p0 = p;
    let mut le8 = p;
    for k in 1..=8 {
        p *= lambda / k as f64;
        le8 += p;
    }
    (p0, 1.0 - le8)
}

fn mean(v: &[Spread], f: fn(&Spread) -> f64) -> f64 {
    v.iter().map(f).sum::<f64>() / v.len() as f64
}

/// Sequential keys, fast against quality, at many sizes: means over seeds.
fn sweep(seeds: u64) {
    let shared = SharedSeed::global_fixed();
    println!("| n | λ | empty % fast | empty % quality | ovf/head % fast | ovf/head % quality | hit reads fast | quality | miss reads fast | quality |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut worst: (f64, usize) = (0.0, 0);
    for i in 0..40 {
        let n = (1000.0 * 10f64.powf(i as f64 * 3.6 / 39.0)) as usize;
        let keys: Vec<u64> = (0..n as u64).collect();
        let (mut f, mut q) = (Vec::new(), Vec::new());
        let mut b = 0;
        for s in 0..seeds {
            let seed = splitmix64(s ^ 0xfeed);
            let (x, bb) = spread(
                &keys,
                foldhash::fast::SeedableRandomState::with_seed(seed, shared),
            );
            f.push(x);
            b = bb;
            q.push(
                spread(
                    &keys,
                    foldhash::quality::SeedableRandomState::with_seed(seed, shared),
                )
                .0,
            );
        }
        let rel = mean(&f, |s| s.miss_reads) / mean(&q, |s| s.miss_reads);
        if rel > worst.0 {
            worst = (rel, n);
        }
        println!(
            "| {n} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} |",
            n as f64 / (1u64 << b) as f64,
            mean(&f, |s| s.empty_pct),
            mean(&q, |s| s.empty_pct),
            mean(&f, |s| s.ovf_pct),
            mean(&q, |s| s.ovf_pct),
            mean(&f, |s| s.hit_reads),
            mean(&q, |s| s.hit_reads),
            mean(&f, |s| s.miss_reads),
            mean(&q, |s| s.miss_reads),
        );
    }
    println!(
        "\nworst: miss reads fast / quality = {:.3} at n = {}",
        worst.0, worst.1
    );
}

fn main() {
    if std::env::args().nth(2).as_deref() == Some("sweep") {
        let seeds = std::env::args()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .filter(|&s| s > 0)
            .unwrap_or(8);
        sweep(seeds);
        return;
    }
    let seeds: u64 = match std::env::args().nth(1) {
        None => 16,
        Some(s) => match s.parse() {
            Ok(v) if v > 0 => v,
            _ => {
                eprintln!("usage: key_spread [seeds > 0], got {s:?}");
                std::process::exit(2);
            }
        },
    };
    let shared = SharedSeed::global_fixed();
    println!(
        "{seeds} seeds per row; cells: mean [min, max]. Uniform: a Poisson spread at the same load.\n"
    );
    println!(
        "| n | B | λ | hasher | keys | empty % | ovf/head % | max chain | hit reads | miss reads |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // 1e3, 1e5, 1e6, and 6.5 * 2^17 (a full array: the most overflow).
    for n in [1_000usize, 100_000, 851_968, 1_000_000] {
        let seq: Vec<u64> = (0..n as u64).collect();
        let rand: Vec<u64> = (0..n as u64).map(splitmix64).collect();
        let mut b_seen = 0;
        for (hname, quality) in [("fast", false), ("quality", true)] {
            for (kname, keys) in [("seq", &seq), ("rand", &rand)] {
                let mut rows: Vec<Spread> = Vec::new();
                for s in 0..seeds {
                    let seed = splitmix64(s ^ 0xfeed);
                    let (sp, b) = if quality {
                        spread(
                            keys,
                            foldhash::quality::SeedableRandomState::with_seed(seed, shared),
                        )
                    } else {
                        spread(
                            keys,
                            foldhash::fast::SeedableRandomState::with_seed(seed, shared),
                        )
                    };
                    b_seen = b;
                    rows.push(sp);
                }
                let col = |f: fn(&Spread) -> f64| rows.iter().map(f).collect::<Vec<_>>();
                println!(
                    "| {n} | {b_seen} | {:.2} | {hname} | {kname} | {} | {} | {} | {} | {} |",
                    n as f64 / (1u64 << b_seen) as f64,
                    cell(&col(|s| s.empty_pct), 2),
                    cell(&col(|s| s.ovf_pct), 1),
                    cell(&col(|s| s.max_chain), 0),
                    cell(&col(|s| s.hit_reads), 3),
                    cell(&col(|s| s.miss_reads), 3),
                );
            }
        }
        let lambda = n as f64 / (1u64 << b_seen) as f64;
        let (p0, p9) = poisson(lambda);
        println!(
            "| {n} | {b_seen} | {lambda:.2} | uniform | - | {:.2} | >= {:.1} | - | - | - |",
            100.0 * p0,
            100.0 * p9
        );
    }
}
