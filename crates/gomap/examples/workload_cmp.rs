//! One throughput workload on gomap or on std's `HashMap`, for comparing
//! instruction counts under callgrind. The measured part of each workload is
//! its own never-inlined function whose name starts with `measured_`, so
//!
//! ```text
//! cargo build --release -p gomap --example workload_cmp
//! valgrind --tool=callgrind --toggle-collect='*measured_*' \
//!     target/release/examples/workload_cmp gomap lookup_hit 100000 rand
//! ```
//!
//! counts exactly the workload's own instructions (the setup, filling the
//! map, is not collected); divide by n for a per-operation figure.
//!
//! Usage: `workload_cmp <map> <name> <n> [seq|rand]`:
//! - map: `gomap`, `std` (both foldhash::fast with a fixed seed), or
//!   `gomap_quality`, `std_quality` (foldhash::quality, fixed seed), or
//!   `layout`: Go's layout with the least code (benches/support/go_layout.rs;
//!   sized for n up front, so not for `insert`);
//! - name: `insert` (growing from empty), `insert_presized`, `lookup_hit`,
//!   `lookup_miss`, `remove`, `iterate` (`fold`), `churn`, as in
//!   benches/throughput.rs, and `iterate_next` (a `for` loop: `next()`);
//! - keys: SplitMix64 of 0..n (`rand`, default) or 0..n itself (`seq`);
//!   misses are keys n..2n.
//!
//! A checksum is printed so that nothing is optimised away.
//!
//! `workload_cmp time <name> <n> [seq|rand] [rounds]` times the workload
//! instead, on gomap and std in turn (their order alternating), `rounds`
//! times (default 21), and prints each map's median ns per operation and
//! the median of the rounds' gomap / std ratios. On a machine whose speed
//! drifts (a VM with neighbours), the ratio within a round is steadier than
//! either time across runs; it is for quick A/B checks of a change, and
//! criterion (benches/throughput.rs) remains the measurement of record.
//! This mode has one more workload, `insert_refill`: presized inserts into
//! a map emptied by `clear`, whose array is already resident.

use std::hint::black_box;
use std::process::ExitCode;

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

trait Map: Sized {
    fn new() -> Self;
    fn with_capacity(n: usize) -> Self;
    fn insert(&mut self, k: u64, v: u64);
    fn get(&self, k: &u64) -> Option<&u64>;
    fn remove(&mut self, k: &u64) -> Option<u64>;
    fn clear(&mut self);
    fn sum(&self) -> u64;
    fn sum_next(&self) -> u64;
}

macro_rules! map_impl {
    ($t:ident, $s:ty) => {
        impl Map for $t<u64, u64, $s> {
            fn new() -> Self {
                $t::with_hasher(<$s>::with_seed(0x5eed))
            }
            fn with_capacity(n: usize) -> Self {
                $t::with_capacity_and_hasher(n, <$s>::with_seed(0x5eed))
            }
            #[inline]
            fn insert(&mut self, k: u64, v: u64) {
                $t::insert(self, k, v);
            }
            #[inline]
            fn get(&self, k: &u64) -> Option<&u64> {
                $t::get(self, k)
            }
            #[inline]
            fn remove(&mut self, k: &u64) -> Option<u64> {
                $t::remove(self, k)
            }
            fn clear(&mut self) {
                $t::clear(self)
            }
            #[inline]
            fn sum(&self) -> u64 {
                self.iter().fold(0, |a, (k, v)| a.wrapping_add(k ^ v))
            }
            #[inline]
            fn sum_next(&self) -> u64 {
                let mut a = 0u64;
                for (k, v) in self {
                    a = a.wrapping_add(k ^ v);
                }
                a
            }
        }
    };
}

#[path = "../benches/support/go_layout.rs"]
mod go_layout;

use go_layout::Layout;
use gomap::GoMap;
use std::collections::HashMap as StdMap;
type Fast = foldhash::fast::FixedState;
type Quality = foldhash::quality::FixedState;
map_impl!(GoMap, Fast);
map_impl!(StdMap, Fast);
map_impl!(GoMap, Quality);
map_impl!(StdMap, Quality);

/// The least-code Go layout (`benches/support/go_layout.rs`), for `time`
/// mode's third column. It is sized once and never grows, so it takes no
/// part in `insert` (growing from empty).
impl Map for Layout<Fast> {
    fn new() -> Self {
        Layout::with_capacity(0, Fast::with_seed(0x5eed))
    }
    fn with_capacity(n: usize) -> Self {
        Layout::with_capacity(n, Fast::with_seed(0x5eed))
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
    fn clear(&mut self) {
        Layout::clear(self)
    }
    #[inline]
    fn sum(&self) -> u64 {
        self.fold(0, |a, k, v| a.wrapping_add(k ^ v))
    }
    #[inline]
    fn sum_next(&self) -> u64 {
        self.sum()
    }
}

fn filled<M: Map>(keys: &[u64]) -> M {
    let mut m = M::with_capacity(keys.len());
    for (i, &k) in keys.iter().enumerate() {
        m.insert(k, i as u64);
    }
    m
}

#[inline(never)]
fn measured_insert<M: Map>(keys: &[u64]) -> M {
    let mut m = M::new();
    for (i, &k) in keys.iter().enumerate() {
        m.insert(black_box(k), i as u64);
    }
    m
}

#[inline(never)]
fn measured_insert_presized<M: Map>(keys: &[u64], mut m: M) -> M {
    for (i, &k) in keys.iter().enumerate() {
        m.insert(black_box(k), i as u64);
    }
    m
}

#[inline(never)]
fn measured_lookup<M: Map>(m: &M, keys: &[u64]) -> u64 {
    let mut s = 0u64;
    for k in keys {
        s = s.wrapping_add(m.get(black_box(k)).map_or(1, |v| *v));
    }
    s
}

#[inline(never)]
fn measured_remove<M: Map>(m: &mut M, keys: &[u64]) -> u64 {
    let mut s = 0u64;
    for k in keys {
        s = s.wrapping_add(m.remove(black_box(k)).unwrap_or(0));
    }
    s
}

#[inline(never)]
fn measured_iterate<M: Map>(m: &M) -> u64 {
    black_box(m).sum()
}

#[inline(never)]
fn measured_iterate_next<M: Map>(m: &M) -> u64 {
    black_box(m).sum_next()
}

#[inline(never)]
fn measured_churn<M: Map>(m: &mut M, add: &[u64], del: &[u64]) -> u64 {
    let mut s = 0u64;
    for (i, (a, r)) in add.iter().zip(del).enumerate() {
        m.insert(black_box(*a), i as u64);
        s = s.wrapping_add(m.remove(black_box(r)).unwrap_or(0));
    }
    s
}

fn run<M: Map>(name: &str, keys: &[u64], misses: &[u64]) -> Option<u64> {
    let sum = match name {
        "insert" => measured_insert::<M>(keys).sum(),
        "insert_presized" => measured_insert_presized(keys, M::with_capacity(keys.len())).sum(),
        "lookup_hit" => measured_lookup(&filled::<M>(keys), keys),
        "lookup_miss" => measured_lookup(&filled::<M>(keys), misses),
        "remove" => measured_remove(&mut filled::<M>(keys), keys),
        "iterate" => measured_iterate(&filled::<M>(keys)),
        "iterate_next" => measured_iterate_next(&filled::<M>(keys)),
        "churn" => measured_churn(&mut filled::<M>(keys), misses, keys),
        _ => return None,
    };
    Some(sum)
}

/// One timed run of `name` on `M`, in ns per operation, plus a checksum.
/// The setup (filling or cloning the map) is outside the timing.
fn timed<M: Map + Clone>(
    name: &str,
    keys: &[u64],
    misses: &[u64],
    full: &M,
) -> Option<(f64, u64, u64)> {
    use std::time::Instant;
    let n = keys.len().max(1) as f64;
    let faults = minor_faults();
    let (t, sum) = match name {
        "insert" => {
            let t = Instant::now();
            let m = measured_insert::<M>(keys);
            let t = t.elapsed();
            (t, m.sum())
        }
        "insert_presized" => {
            let m = M::with_capacity(keys.len());
            let t = Instant::now();
            let m = measured_insert_presized(keys, m);
            let t = t.elapsed();
            (t, m.sum())
        }
        "insert_refill" => {
            // A presized insert without the allocation: the map's own
            // array, emptied, already resident and cached as far as it
            // fits. `insert_presized` gets a fresh array per round, and
            // the allocator decides whether it is warm: std's table came
            // back from the heap warm, gomap's larger array was a fresh
            // mmap whose every page faulted (twice: read, then write).
            let mut m = full.clone();
            m.clear();
            let t = Instant::now();
            let m = measured_insert_presized(keys, m);
            let t = t.elapsed();
            (t, m.sum())
        }
        "lookup_hit" | "lookup_miss" => {
            let probe = if name == "lookup_hit" { keys } else { misses };
            let t = Instant::now();
            let s = measured_lookup(full, probe);
            (t.elapsed(), s)
        }
        "remove" => {
            let mut m = full.clone();
            let t = Instant::now();
            let s = measured_remove(&mut m, keys);
            (t.elapsed(), s)
        }
        "iterate" | "iterate_next" => {
            let t = Instant::now();
            let s = if name == "iterate" {
                measured_iterate(full)
            } else {
                measured_iterate_next(full)
            };
            (t.elapsed(), s)
        }
        "churn" => {
            // Steady state, as the criterion bench's churn (one map churned
            // on and on): two untimed passes first. The first pass on a
            // fresh clone is not typical: std's table fills with tombstones
            // and rehashes in place during it (std 1.8x slower at 1e5).
            let mut m = full.clone();
            measured_churn(&mut m, misses, keys);
            measured_churn(&mut m, keys, misses);
            let t = Instant::now();
            let s = measured_churn(&mut m, misses, keys);
            (t.elapsed(), s)
        }
        _ => return None,
    };
    // Counted around the setup too: the clones of `remove`, `churn` and
    // `insert_refill` fault in their copies there. `insert_presized`'s
    // `with_capacity` faults nothing itself; its pages are touched (and so
    // faulted) by the timed inserts.
    let faults = minor_faults().saturating_sub(faults);
    Some((t.as_nanos() as f64 / n, sum, faults))
}

/// This process's minor page faults so far (Linux; 0 elsewhere).
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Field 10 (minflt), counted after the parenthesised command name.
            let rest = s.rsplit_once(')')?.1;
            rest.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `time` mode: gomap and std in turn, `rounds` times (see the top).
fn time_both(name: &str, keys: &[u64], misses: &[u64], rounds: usize) -> ExitCode {
    type G = GoMap<u64, u64, Fast>;
    type H = StdMap<u64, u64, Fast>;
    // Grown from empty, as the criterion bench's maps are.
    let (g_full, h_full) = (measured_insert::<G>(keys), measured_insert::<H>(keys));
    // The layout table is sized for n up front (it cannot grow).
    let layout = (name != "insert").then(|| filled::<Layout<Fast>>(keys));
    let (mut gt, mut ht, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    let (mut gf, mut hf) = (Vec::new(), Vec::new());
    let (mut lt, mut lratio, mut lf) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        let (g, h) = if r % 2 == 0 {
            let g = timed(name, keys, misses, &g_full);
            (g, timed(name, keys, misses, &h_full))
        } else {
            let h = timed(name, keys, misses, &h_full);
            (timed(name, keys, misses, &g_full), h)
        };
        let (Some((g, gs, gflt)), Some((h, hs, hflt))) = (g, h) else {
            eprintln!("workload_cmp: unknown workload {name:?}");
            return ExitCode::from(2);
        };
        if gs != hs {
            eprintln!("workload_cmp: gomap's checksum {gs} differs from std's {hs}");
            return ExitCode::FAILURE;
        }
        if let Some(l) = &layout {
            let Some((lns, ls, lflt)) = timed(name, keys, misses, l) else {
                unreachable!("the workload was timed above");
            };
            if ls != gs {
                eprintln!(
                    "workload_cmp: the layout table's checksum {ls} differs from gomap's {gs}"
                );
                return ExitCode::FAILURE;
            }
            lt.push(lns);
            lf.push(lflt as f64);
            lratio.push(g / lns);
        }
        gf.push(gflt as f64);
        hf.push(hflt as f64);
        gt.push(g);
        ht.push(h);
        ratio.push(g / h);
    }
    println!(
        "{name} n={}: gomap {:.2} ns/op, std {:.2} ns/op, gomap/std {:.3}; page faults {} / {} (medians of {rounds} rounds)",
        keys.len(),
        median(&mut gt),
        median(&mut ht),
        median(&mut ratio),
        median(&mut gf),
        median(&mut hf),
    );
    if layout.is_some() {
        println!(
            "  least-code Go layout {:.2} ns/op, gomap/layout {:.3}; page faults {}",
            median(&mut lt),
            median(&mut lratio),
            median(&mut lf)
        );
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: workload_cmp <gomap|std|gomap_quality|std_quality|layout> \
                 <insert|insert_presized|lookup_hit|lookup_miss|remove|iterate|iterate_next|churn> <n> [seq|rand]\n   \
                 or: workload_cmp time <workload> <n> [seq|rand] [rounds]";
    let (Some(map), Some(name), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<u64>() else {
        eprintln!("workload_cmp: <n> must be a non-negative integer, got {n:?}\n{usage}");
        return ExitCode::from(2);
    };
    let key: fn(u64) -> u64 = match args.get(4).map(String::as_str) {
        None | Some("rand") => splitmix64,
        Some("seq") => |i| i,
        Some(other) => {
            eprintln!("workload_cmp: keys must be seq or rand, got {other:?}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let keys: Vec<u64> = (0..n).map(key).collect();
    let misses: Vec<u64> = (n..2 * n).map(key).collect();
    if map == "time" {
        let rounds = match args.get(5).map(|r| r.parse::<usize>()) {
            None => 21,
            Some(Ok(r)) if r > 0 => r,
            Some(_) => {
                eprintln!("workload_cmp: [rounds] must be a positive integer\n{usage}");
                return ExitCode::from(2);
            }
        };
        return time_both(name, &keys, &misses, rounds);
    }
    let sum = match map.as_str() {
        "gomap" => run::<GoMap<u64, u64, Fast>>(name, &keys, &misses),
        "std" => run::<StdMap<u64, u64, Fast>>(name, &keys, &misses),
        "gomap_quality" => run::<GoMap<u64, u64, Quality>>(name, &keys, &misses),
        "std_quality" => run::<StdMap<u64, u64, Quality>>(name, &keys, &misses),
        "layout" if name != "insert" => run::<Layout<Fast>>(name, &keys, &misses),
        other => {
            eprintln!("workload_cmp: unknown map {other:?}\n{usage}");
            return ExitCode::from(2);
        }
    };
    match sum {
        Some(sum) => {
            println!("{map} {name} n={n} checksum={sum}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("workload_cmp: unknown workload {name:?}\n{usage}");
            ExitCode::from(2)
        }
    }
}
