//! One throughput workload, once, for instruction counting (callgrind) and
//! profiling; criterion's repeated timing is the wrong tool for those.
//!
//! ```text
//! cargo build --release -p gomap --example workload
//! valgrind --tool=callgrind target/release/examples/workload lookup_hit 100000
//! ```
//!
//! Usage: `workload <name> <n> [seq|rand]`, names as in benches/throughput.rs:
//! `insert` (growing from empty), `insert_presized`, `lookup_hit`,
//! `lookup_miss`, `remove`, `iterate`, `churn`. Keys are `u64`: SplitMix64 of
//! `0..n` (`rand`, the default) or `0..n` itself (`seq`). The hasher is
//! foldhash with a fixed seed so that two runs execute the same instructions.
//! The setup (filling the map for lookups, removes, iteration) is counted
//! too; subtract the `insert_presized` count to isolate the measured part.
//! A checksum is printed so that nothing is optimised away.

use gomap::GoMap;
use std::hint::black_box;
use std::process::ExitCode;

type Hasher = foldhash::fast::FixedState;
type Map = GoMap<u64, u64, Hasher>;

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hasher() -> Hasher {
    Hasher::with_seed(0x5eed)
}

fn filled(keys: &[u64]) -> Map {
    let mut m = Map::with_capacity_and_hasher(keys.len(), hasher());
    for (i, &k) in keys.iter().enumerate() {
        m.insert(k, i as u64);
    }
    m
}

fn run(name: &str, keys: &[u64], key: impl Fn(u64) -> u64) -> Option<u64> {
    let n = keys.len() as u64;
    let mut sum = 0u64;
    match name {
        "insert" => {
            let mut m = Map::with_hasher(hasher());
            for (i, &k) in keys.iter().enumerate() {
                m.insert(black_box(k), i as u64);
            }
            sum = m.len() as u64;
        }
        "insert_presized" => sum = filled(keys).len() as u64,
        "lookup_hit" => {
            let m = filled(keys);
            for &k in keys {
                sum = sum.wrapping_add(*m.get(black_box(&k)).unwrap_or(&0));
            }
        }
        "lookup_miss" => {
            let m = filled(keys);
            for i in n..2 * n {
                sum = sum.wrapping_add(u64::from(m.get(black_box(&key(i))).is_some()));
            }
        }
        "remove" => {
            let mut m = filled(keys);
            for &k in keys {
                sum = sum.wrapping_add(m.remove(black_box(&k)).unwrap_or(0));
            }
        }
        "iterate" => {
            let m = filled(keys);
            for (k, v) in black_box(&m) {
                sum = sum.wrapping_add(k ^ v);
            }
        }
        "churn" => {
            // A sliding window of n keys: insert key i + n, remove key i.
            let mut m = filled(keys);
            for i in 0..n {
                m.insert(black_box(key(i + n)), i);
                sum = sum.wrapping_add(m.remove(black_box(&key(i))).unwrap_or(0));
            }
        }
        _ => return None,
    }
    Some(sum)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: workload <insert|insert_presized|lookup_hit|lookup_miss|remove|iterate|churn> <n> [seq|rand]";
    let (Some(name), Some(n)) = (args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<u64>() else {
        eprintln!("workload: <n> must be a non-negative integer, got {n:?}\n{usage}");
        return ExitCode::from(2);
    };
    let key: fn(u64) -> u64 = match args.get(3).map(String::as_str) {
        None | Some("rand") => splitmix64,
        Some("seq") => |i| i,
        Some(other) => {
            eprintln!("workload: key order must be seq or rand, got {other:?}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let keys: Vec<u64> = (0..n).map(key).collect();
    match run(name, &keys, key) {
        Some(sum) => {
            println!("{name} n={n} checksum={sum}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("workload: unknown workload {name:?}\n{usage}");
            ExitCode::from(2)
        }
    }
}
