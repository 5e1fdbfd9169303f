//! Reusing the latency harness outside the `gomap` command, as a
//! criterion-independent bench binary would:
//!
//! ```text
//! cargo run --release -p gomap-cli --example harness -- 2000000
//! ```
//!
//! Runs every registered contender (see `gomap_cli::harness::contenders`)
//! on N u64 keys and prints the insert tail and the slowest insert.

use gomap_cli::harness::{contenders, BenchConfig};
use indicatif::ProgressBar;

fn main() {
    let n: u64 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 1_000_000,
        Some(Ok(n)) if n > 0 => n,
        _ => {
            eprintln!("usage: harness [N > 0]");
            std::process::exit(2);
        }
    };
    let cfg = BenchConfig {
        n,
        heap_probe: None,
    };
    for run in contenders::<u64>() {
        let r = run(&cfg, &ProgressBar::hidden());
        println!(
            "{:<12} p50 {:>6} ns  p99.99 {:>8} ns  max {:>10} ns at insert {}",
            r.name, r.insert.p50_ns, r.insert.p99_99_ns, r.insert.max_ns, r.insert.max_at
        );
    }
}
