//! Why the load factor is 6.5: Go's measured table (map.go's header),
//! re-measured for gomap.
//!
//! Simulates Go's bucket placement at load factors 4.0 to 8.0: `2^B` head
//! buckets of 8 slots, each entry in bucket `hash & (2^B - 1)` (foldhash, a
//! fresh seed a trial), filling slots in order and chaining an overflow
//! bucket when a bucket is full. Tables are maximally loaded (`count =
//! loadFactor * 2^B`, the moment before a doubling), as in Go's table.
//! Then checks the 6.5 row against a real `GoMap<u64, u64>`.
//!
//! ```sh
//! cargo run --release -p gomap --example load_factor
//! ```
//!
//! Columns (Go's, plus one):
//! - `%overflow`: percentage of head buckets with at least one overflow bucket;
//! - `bytes/entry`: overhead bytes per `u64 -> u64` entry: all bucket memory
//!   (144-byte buckets, head plus overflow) divided by entries, minus the 16
//!   bytes of the entry itself;
//! - `hitprobe`: entries in the chain up to and including the one looked up
//!   (mean over present keys);
//! - `missprobe`: entries in the chain of an absent key (all of them);
//! - `miss cmp`: keys actually compared for an absent key: only slots whose
//!   tophash byte equals the key's (false positives of the 8-bit filter).

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use gomap::GoMap;

const B: u32 = 10;
const TRIALS: u64 = 400;
const MISSES_PER_TRIAL: usize = 4096;
const BUCKET_BYTES: f64 = 144.0;
const ENTRY_BYTES: f64 = 16.0;

/// splitmix64: a small deterministic key stream, so the table is reproducible.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Go's tophash: the top byte, raised past the 0..=4 marker values.
fn tophash(hash: u64) -> u8 {
    let top = (hash >> 56) as u8;
    if top < 5 {
        top + 5
    } else {
        top
    }
}

#[derive(Default)]
struct Sums {
    buckets: f64,
    with_overflow: f64,
    overflow_buckets: f64,
    entries: f64,
    hit_probes: f64,
    misses: f64,
    miss_probes: f64,
    miss_compares: f64,
}

fn simulate(load_factor: f64) -> Sums {
    let nbuckets = 1usize << B;
    let mask = (nbuckets - 1) as u64;
    let count = (load_factor * nbuckets as f64).round() as usize;
    let mut sums = Sums::default();
    // The tophash bytes of each chain, in slot order.
    let mut chains: Vec<Vec<u8>> = vec![Vec::new(); nbuckets];
    for trial in 0..TRIALS {
        let mut rng = trial.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ (load_factor * 1000.0) as u64;
        let hasher = FixedState::with_seed(splitmix(&mut rng));
        chains.iter_mut().for_each(Vec::clear);
        for _ in 0..count {
            let h = hasher.hash_one(splitmix(&mut rng));
            let chain = &mut chains[(h & mask) as usize];
            chain.push(tophash(h));
            // Its position in the chain is how many entries a hit checks.
            sums.hit_probes += chain.len() as f64;
        }
        for chain in &chains {
            let overflow = chain.len().saturating_sub(1) / 8;
            sums.overflow_buckets += overflow as f64;
            sums.with_overflow += (overflow > 0) as u8 as f64;
        }
        // Absent keys: fresh random keys (a 64-bit collision is negligible).
        for _ in 0..MISSES_PER_TRIAL {
            let h = hasher.hash_one(splitmix(&mut rng) ^ 0xdead_beef);
            let chain = &chains[(h & mask) as usize];
            let top = tophash(h);
            sums.miss_probes += chain.len() as f64;
            sums.miss_compares += chain.iter().filter(|&&t| t == top).count() as f64;
        }
        sums.buckets += nbuckets as f64;
        sums.entries += count as f64;
        sums.misses += MISSES_PER_TRIAL as f64;
    }
    sums
}

/// The same numbers read from real maps at 6.5 (B = 10, 6656 entries, the
/// most it holds before doubling), averaged over `maps` maps.
fn real_map(maps: u64) -> (f64, f64, f64) {
    let (mut with_overflow, mut buckets, mut heads, mut bytes, mut entries) = (0, 0, 0, 0, 0);
    for seed in 0..maps {
        let mut rng = seed ^ 0x5eed;
        let mut m: GoMap<u64, u64> = GoMap::with_capacity(6656);
        assert_eq!(m.stats().b, B as u8);
        while m.len() < 6656 {
            m.insert(splitmix(&mut rng), 0);
        }
        let s = m.structure();
        assert_eq!(s.stats.b, B as u8, "no doubling at 6.5 * 2^B");
        let chains = &s.current.expect("allocated").chains;
        with_overflow += chains.iter().filter(|c| c.buckets.len() > 1).count();
        buckets += chains.iter().map(|c| c.buckets.len()).sum::<usize>();
        heads += chains.len();
        bytes += s.stats.heap_bytes;
        entries += m.len();
    }
    let pct = 100.0 * with_overflow as f64 / heads as f64;
    let used = buckets as f64 * BUCKET_BYTES / entries as f64 - ENTRY_BYTES;
    let allocated = bytes as f64 / entries as f64 - ENTRY_BYTES;
    (pct, used, allocated)
}

fn main() {
    println!(
        "{} trials of 2^{B} buckets per row; {} absent-key lookups per trial\n",
        TRIALS, MISSES_PER_TRIAL
    );
    println!("loadFactor  %overflow  bytes/entry  hitprobe  missprobe  miss cmp");
    for step in 0..=8 {
        let lf = 4.0 + 0.5 * step as f64;
        let s = simulate(lf);
        let pct = 100.0 * s.with_overflow / s.buckets;
        let bytes = (s.buckets + s.overflow_buckets) * BUCKET_BYTES / s.entries - ENTRY_BYTES;
        println!(
            "{lf:>10.2}  {pct:>9.2}  {bytes:>11.2}  {:>8.2}  {:>9.2}  {:>8.3}",
            s.hit_probes / s.entries,
            s.miss_probes / s.misses,
            s.miss_compares / s.misses,
        );
    }
    let (pct, used, allocated) = real_map(20);
    println!(
        "\nreal GoMap<u64, u64> at 6.5 (20 maps, B = {B}): %overflow {pct:.2}, \
         bytes/entry {used:.2} (head + overflow buckets in use), \
         {allocated:.2} (all allocated: with the 2^(B-4) pre-allocated overflow buckets)"
    );
}
