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
//!   `gomap_quality`, `std_quality` (foldhash::quality, fixed seed);
//! - name: `insert` (growing from empty), `insert_presized`, `lookup_hit`,
//!   `lookup_miss`, `remove`, `iterate` (`fold`), `churn`, as in
//!   benches/throughput.rs, and `iterate_next` (a `for` loop: `next()`);
//! - keys: SplitMix64 of 0..n (`rand`, default) or 0..n itself (`seq`);
//!   misses are keys n..2n.
//!
//! A checksum is printed so that nothing is optimised away.

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

use gomap::GoMap;
use std::collections::HashMap as StdMap;
type Fast = foldhash::fast::FixedState;
type Quality = foldhash::quality::FixedState;
map_impl!(GoMap, Fast);
map_impl!(StdMap, Fast);
map_impl!(GoMap, Quality);
map_impl!(StdMap, Quality);

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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: workload_cmp <gomap|std|gomap_quality|std_quality> \
                 <insert|insert_presized|lookup_hit|lookup_miss|remove|iterate|iterate_next|churn> <n> [seq|rand]";
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
    let sum = match map.as_str() {
        "gomap" => run::<GoMap<u64, u64, Fast>>(name, &keys, &misses),
        "std" => run::<StdMap<u64, u64, Fast>>(name, &keys, &misses),
        "gomap_quality" => run::<GoMap<u64, u64, Quality>>(name, &keys, &misses),
        "std_quality" => run::<StdMap<u64, u64, Quality>>(name, &keys, &misses),
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
