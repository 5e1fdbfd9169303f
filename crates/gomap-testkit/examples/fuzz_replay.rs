//! Replays fuzz inputs through the fuzz targets' bodies without libFuzzer,
//! printing what each run did and how long it took: for profiling a target
//! (`perf record`, `valgrind --tool=callgrind`) and for finding the inputs
//! that make a target slow.
//!
//! `FUZZ_REPLAY_PRINT=1` prints the decoded inputs instead of running them.
//!
//! ```text
//! cargo run --release -p gomap-testkit --example fuzz_replay -- differential fuzz/corpus/differential
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gomap_testkit::fuzz::Target;

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            files(&p, out);
        }
    } else {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fuzz_replay differential|adversarial_hash FILE_OR_DIR...";
    let target = args
        .next()
        .and_then(|t| Target::from_name(&t))
        .expect(usage);
    let mut inputs = Vec::new();
    for a in args {
        files(Path::new(&a), &mut inputs);
    }
    if inputs.is_empty() {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    // FUZZ_REPLAY_REPEAT=N runs each input N times (for profilers; times
    // are per run).
    let repeat: u32 = std::env::var("FUZZ_REPLAY_REPEAT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    if std::env::var_os("FUZZ_REPLAY_PRINT").is_some() {
        for p in &inputs {
            let data = std::fs::read(p).expect("readable input");
            println!(
                "{}: {}",
                p.display(),
                target.format_input(&data).unwrap_or_default()
            );
        }
        return;
    }
    let mut runs: Vec<(Duration, PathBuf, gomap_testkit::RunStats)> = Vec::new();
    let mut undecoded = 0;
    for p in &inputs {
        let data = std::fs::read(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
        let t = Instant::now();
        let mut result = None;
        for _ in 0..repeat {
            result = target.replay(&data);
        }
        match result {
            Some(stats) => runs.push((t.elapsed() / repeat, p.clone(), stats)),
            None => undecoded += 1,
        }
    }
    let total: Duration = runs.iter().map(|r| r.0).sum();
    let n = runs.len().max(1) as u32;
    println!(
        "{} inputs ({undecoded} not decodable), {:.3} s in all, {:.1} us an input, {:.0} inputs/s",
        runs.len(),
        total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / n as f64,
        n as f64 / total.as_secs_f64().max(1e-9)
    );
    let sum = |f: fn(&gomap_testkit::RunStats) -> u64| runs.iter().map(|r| f(&r.2)).sum::<u64>();
    println!(
        "mean: ops {:.1}, skipped {:.1}, range keys {:.1}, max len {:.1}, full checks {:.2}, structure {:.2}, contents {:.2}, locations {:.2}",
        sum(|s| s.ops as u64) as f64 / n as f64,
        sum(|s| s.skipped_ops as u64) as f64 / n as f64,
        sum(|s| s.range_keys) as f64 / n as f64,
        sum(|s| s.max_len as u64) as f64 / n as f64,
        sum(|s| s.full_checks as u64) as f64 / n as f64,
        sum(|s| s.structure_checks as u64) as f64 / n as f64,
        sum(|s| s.contents_checks as u64) as f64 / n as f64,
        sum(|s| s.location_checks as u64) as f64 / n as f64,
    );
    runs.sort_by_key(|r| std::cmp::Reverse(r.0));
    println!("slowest:");
    for (d, p, s) in runs.iter().take(8) {
        println!(
            "  {:>9.1} us  {}  {s:?}",
            d.as_secs_f64() * 1e6,
            p.display()
        );
    }
}
