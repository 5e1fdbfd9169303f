//! Porting Go's delete-and-insert-while-ranging loop:
//!
//! ```go
//! for k, v := range m {
//!     if bad(v) {
//!         delete(m, k)
//!     } else if split(v) {
//!         m[k2] = v2
//!     }
//! }
//! ```
//!
//! Here `m` maps job ids to sizes; a bad job (size divisible by 7) is
//! dropped; a job too large (over 1000) is split: it keeps half and a new
//! job `k + 1_000_000` takes the other half. Go's rules, which `cursor()`
//! keeps even when its inserts start a growth mid-loop: every entry present
//! throughout is visited exactly once, a deleted one is not visited, and an
//! inserted one is visited at most once (here: maybe, depending on where it
//! lands relative to the walk; that is Go's behaviour too).
//!
//! ```sh
//! cargo run --release -p gomap --example range_delete
//! ```

use std::collections::HashSet;

use gomap::GoMap;

fn bad(v: u32) -> bool {
    v % 7 == 0
}

fn split(v: u32) -> bool {
    v > 1000
}

const NEW_JOB: u32 = 1_000_000;

fn main() {
    // Job sizes from a small deterministic generator.
    let mut x = 12_345u32;
    let mut m: GoMap<u32, u32> = (0..6_000)
        .map(|k| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (k, x % 2_000)
        })
        .collect();
    let total_before: u64 = m.values().map(|&v| u64::from(v)).sum();
    let bad_before: u64 = m.values().filter(|&&v| bad(v)).map(|&v| u64::from(v)).sum();
    let before = m.stats();
    println!(
        "before: {} jobs, total size {total_before}; B = {}, capacity {}",
        m.len(),
        before.b,
        m.capacity()
    );

    let mut visited = HashSet::new();
    let mut split_keys = HashSet::new();
    let (mut deleted, mut deleted_size, mut splits, mut new_visited) = (0, 0u64, 0, 0);
    let mut c = m.cursor();
    while let Some((&k, v)) = c.next() {
        assert!(visited.insert(k), "job {k} visited twice");
        if k >= NEW_JOB {
            new_visited += 1;
        }
        if bad(*v) {
            deleted_size += u64::from(*v);
            c.remove_current(); // delete(m, k)
            deleted += 1;
        } else if split(*v) {
            let half = *v / 2;
            let rest = *v - half;
            *v = half;
            // m[k2] = v2; a split job's half can be split again if it is
            // visited, so new ids keep growing.
            let len_before = c.len();
            let prev = c.insert(k + NEW_JOB, rest);
            assert!(prev.is_none() && c.len() == len_before + 1);
            splits += 1;
            split_keys.insert(k);
        }
    }
    drop(c);
    let after = m.stats();
    let growths_started = after.b - before.b;

    let total_after: u64 = m.values().map(|&v| u64::from(v)).sum();
    println!(
        "ranged over {} jobs: deleted {deleted} bad ones (size {deleted_size}), split {splits}; \
         {new_visited} of the {splits} new jobs were visited (Go: maybe)",
        visited.len()
    );
    println!(
        "after:  {} jobs, total size {total_after}; B = {} ({} doubling(s) started inside the loop), \
         capacity {}",
        m.len(),
        after.b,
        growths_started,
        m.capacity()
    );

    // What Go's rules let us check.
    // Every job present at the start and not bad was visited (exactly once,
    // checked above). A bad job is left only where the loop did not judge
    // its size: a split-off job the walk did not reach, or the half a split
    // job kept.
    assert!((0..6_000).all(|k| visited.contains(&k)));
    assert!(m
        .iter()
        .all(|(k, &v)| !bad(v) || !visited.contains(k) || split_keys.contains(k)));
    // Splitting conserves size; only deletes remove it.
    assert_eq!(total_after, total_before - deleted_size);
    assert!(deleted_size >= bad_before);
    println!("checks passed: each original job visited once, size conserved by splits");
}
