//! The `tiny` bench's round ("make a map, insert 8 keys, look each up, drop
//! it") in a loop, for instruction counts under callgrind, where timing is
//! not trustworthy (a shared machine):
//!
//! ```text
//! cargo build --release -p gomap --example tiny
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/tiny inline u64 100000
//! ```
//!
//! Per round = (count at N rounds - count at 0 rounds) / N.
//! Maps: `inline`, `std`, `gomap`, `smallmap`; keys: `u64`, `str`.

use std::hash::Hash;
use std::hint::black_box;

type Hasher = foldhash::fast::RandomState;

const STRS: [&str; 8] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
];

macro_rules! round {
    ($keys:expr, $new:expr) => {{
        let mut m = $new;
        for (i, &k) in $keys.iter().enumerate() {
            m.insert(k, i as u64);
        }
        let mut sum = 0u64;
        for k in $keys.iter() {
            sum += *m.get(k).expect("present");
        }
        sum
    }};
}

/// One map's rounds, in a function of its own: sharing one function among
/// the maps let one map's code change another's register allocation, and
/// so its count.
macro_rules! rounds_fn {
    ($name:ident, $new:expr) => {
        #[inline(never)]
        fn $name<K: Copy + Hash + Eq>(keys: &[K; 8], rounds: u64) -> u64 {
            let mut total = 0u64;
            for _ in 0..rounds {
                let keys = black_box(keys);
                total = total.wrapping_add(round!(keys, $new));
            }
            total
        }
    };
}

rounds_fn!(
    run_inline,
    gomap::InlineGoMap::<K, u64, Hasher>::with_hasher(Hasher::default())
);
rounds_fn!(
    run_std,
    std::collections::HashMap::<K, u64, Hasher>::with_hasher(Hasher::default())
);
rounds_fn!(
    run_gomap,
    gomap::GoMap::<K, u64, Hasher>::with_hasher(Hasher::default())
);
rounds_fn!(
    run_smallmap,
    small_map::SmallMap::<8, K, u64, Hasher>::with_hasher(Hasher::default())
);

fn run<K: Copy + Hash + Eq>(map: &str, keys: &[K; 8], rounds: u64) -> u64 {
    match map {
        "inline" => run_inline(keys, rounds),
        "std" => run_std(keys, rounds),
        "gomap" => run_gomap(keys, rounds),
        "smallmap" => run_smallmap(keys, rounds),
        other => {
            eprintln!("unknown map {other:?}: inline, std, gomap or smallmap");
            std::process::exit(2);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: tiny <inline|std|gomap|smallmap> <u64|str> <rounds>");
        std::process::exit(2);
    }
    let rounds: u64 = match args[3].parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("rounds: {e}");
            std::process::exit(2);
        }
    };
    let total = match args[2].as_str() {
        "u64" => {
            let keys: [u64; 8] =
                core::array::from_fn(|i| (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            run(&args[1], &keys, rounds)
        }
        "str" => run(&args[1], &STRS, rounds),
        other => {
            eprintln!("unknown key type {other:?}: u64 or str");
            std::process::exit(2);
        }
    };
    println!("{total}");
}
