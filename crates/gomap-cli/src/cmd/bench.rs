//! `gomap bench`: per-insert latency of gomap against std's HashMap.

use crate::{BenchArgs, BenchKeyName, TextOrJson};
use gomap_cli::harness::{contenders, BenchConfig, BenchKey, ContenderReport, PHASES};
use gomap_cli::output::{human_bytes, human_ns};
use gomap_cli::types::check_memory;
use gomap_cli::{alloc, output, plot, CliError, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Columns the latency plot is bucketed into.
pub const PLOT_COLUMNS: usize = 2000;

/// Rough peak bytes per entry of one bench run (the biggest contender mid-resize,
/// plus every contender's latency record).
fn bytes_per_entry(key: BenchKeyName) -> u64 {
    match key {
        BenchKeyName::U64 => 160,
        BenchKeyName::String => 320,
    }
}

/// Runs every contender on `n` keys of type `K`.
pub fn run_bench<K: BenchKey>(n: u64, show_progress: bool) -> Vec<ContenderReport> {
    let list = contenders::<K>();
    let pb = if show_progress {
        let pb = ProgressBar::new(n * PHASES * list.len() as u64);
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg:<24} [{bar:40}] {percent:>3}% ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        pb
    } else {
        ProgressBar::hidden()
    };
    let cfg = BenchConfig {
        n,
        heap_probe: if alloc::is_installed() {
            Some(alloc::live_bytes)
        } else {
            None
        },
    };
    let reports = list.iter().map(|f| f(&cfg, &pb)).collect();
    pb.finish_and_clear();
    reports
}

#[derive(Serialize)]
struct BenchJson<'a> {
    n: u64,
    key: &'static str,
    hasher: &'static str,
    contenders: &'a [ContenderReport],
}

pub fn validate(a: &BenchArgs) -> Result<()> {
    if a.tiny {
        return tiny::validate(a);
    }
    check_memory("--n", a.n, bytes_per_entry(a.key))?;
    if a.n > u32::MAX as u64 {
        return Err(CliError::msg(format!(
            "--n = {} is too large (at most {})",
            a.n,
            u32::MAX
        )));
    }
    if let Some(p) = &a.plot {
        output::check_writable(p)?;
    }
    Ok(())
}

pub fn run(a: &BenchArgs) -> Result<()> {
    validate(a)?;
    if a.tiny {
        return tiny::run(a);
    }
    let reports = match a.key {
        BenchKeyName::U64 => run_bench::<u64>(a.n, true),
        BenchKeyName::String => run_bench::<String>(a.n, true),
    };
    let mut o = std::io::stdout().lock();
    match a.format {
        TextOrJson::Text => write_text(&mut o, &reports)?,
        TextOrJson::Json => {
            let j = BenchJson {
                n: a.n,
                key: reports.first().map_or("", |r| r.key),
                hasher: "foldhash::fast::RandomState",
                contenders: &reports,
            };
            gomap_cli::output::write_json(&mut o, &j)?;
        }
    }
    if let Some(p) = &a.plot {
        write_plot(p, &reports)?;
        if matches!(a.format, TextOrJson::Text) {
            writeln!(o, "plot: {}", p.display())?;
        }
    }
    o.flush()?;
    Ok(())
}

pub fn write_plot(p: &Path, reports: &[ContenderReport]) -> Result<()> {
    let svg = plot::latency_svg(reports, PLOT_COLUMNS)?;
    output::write_atomic(p, svg.as_bytes())
}

fn with_commas(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn write_text(o: &mut impl Write, reports: &[ContenderReport]) -> std::io::Result<()> {
    let Some(first) = reports.first() else {
        return Ok(());
    };
    writeln!(
        o,
        "grow to {} {} keys, timing every insert; same hasher (foldhash::fast::RandomState) for all",
        with_commas(first.n),
        first.key
    )?;
    let w = 16;
    write!(o, "  {:<24}", "")?;
    for r in reports {
        write!(o, "{:>w$}", r.name)?;
    }
    writeln!(o)?;
    let row = |o: &mut dyn Write, label: &str, f: &dyn Fn(&ContenderReport) -> String| {
        write!(o, "  {label:<24}")?;
        for r in reports {
            write!(o, "{:>w$}", f(r))?;
        }
        writeln!(o)
    };
    row(o, "insert p50", &|r| human_ns(r.insert.p50_ns as f64))?;
    row(o, "insert p99", &|r| human_ns(r.insert.p99_ns as f64))?;
    row(o, "insert p99.9", &|r| human_ns(r.insert.p99_9_ns as f64))?;
    row(o, "insert p99.99", &|r| human_ns(r.insert.p99_99_ns as f64))?;
    row(o, "insert max", &|r| human_ns(r.insert.max_ns as f64))?;
    row(o, "  ... at insert no.", &|r| with_commas(r.insert.max_at))?;
    row(o, "insert total (sum)", &|r| {
        human_ns(r.insert.total_ns as f64)
    })?;
    row(o, "insert loop wall time", &|r| {
        human_ns(r.insert_wall_ns as f64)
    })?;
    row(o, "heap held (map + keys)", &|r| {
        r.heap_bytes.map_or("-".to_string(), human_bytes)
    })?;
    row(o, "lookup hit", &|r| {
        format!("{:.1} M/s", r.lookup_hit.mops)
    })?;
    row(o, "lookup miss", &|r| {
        format!("{:.1} M/s", r.lookup_miss.mops)
    })?;
    row(o, "iterate", &|r| format!("{:.1} M/s", r.iterate.mops))?;
    row(o, "remove", &|r| format!("{:.1} M/s", r.remove.mops))?;
    Ok(())
}

/// `gomap bench --tiny`: "make a map, insert 8 keys, look each up, drop it",
/// the case Go serves with a stack-allocated header and bucket.
pub mod tiny {
    use crate::{BenchArgs, TextOrJson};
    use gomap::{GoMap, InlineGoMap};
    use gomap_cli::{CliError, Result};
    use serde::Serialize;
    use std::collections::HashMap;
    use std::hash::Hash;
    use std::hint::black_box;
    use std::io::Write;
    use std::time::Instant;

    type Hasher = foldhash::fast::RandomState;

    /// Timed batches per contender; the fastest counts (a shared machine
    /// preempts, and preemption only ever adds time).
    const BATCHES: u64 = 5;

    const STRS: [&str; 8] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    ];

    #[derive(Serialize)]
    struct Row {
        key: &'static str,
        map: &'static str,
        ns_per_round: f64,
    }

    #[derive(Serialize)]
    struct TinyJson {
        mode: &'static str,
        rounds: u64,
        hasher: &'static str,
        results: Vec<Row>,
    }

    pub fn validate(a: &BenchArgs) -> Result<()> {
        if a.plot.is_some() {
            return Err(CliError::msg("--plot is not available with --tiny"));
        }
        if a.n < BATCHES || a.n > 1_000_000_000 {
            return Err(CliError::msg(format!(
                "--n = {} rounds is out of range for --tiny ({BATCHES} to 1000000000)",
                a.n
            )));
        }
        Ok(())
    }

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

    /// Best nanoseconds per round of `f` over `BATCHES` batches.
    fn time(rounds: u64, mut f: impl FnMut() -> u64) -> f64 {
        let per = (rounds / BATCHES).max(1);
        let mut best = f64::MAX;
        let mut sink = 0u64;
        for _ in 0..BATCHES {
            let t = Instant::now();
            for _ in 0..per {
                sink = sink.wrapping_add(f());
            }
            best = best.min(t.elapsed().as_nanos() as f64 / per as f64);
        }
        black_box(sink);
        best
    }

    fn rows<K: Copy + Hash + Eq>(key: &'static str, keys: [K; 8], rounds: u64) -> Vec<Row> {
        let k = &keys;
        vec![
            Row {
                key,
                map: "InlineGoMap",
                ns_per_round: time(rounds, || {
                    round!(
                        black_box(k),
                        InlineGoMap::<K, u64, Hasher>::with_hasher(Hasher::default())
                    )
                }),
            },
            Row {
                key,
                map: "std HashMap",
                ns_per_round: time(rounds, || {
                    round!(
                        black_box(k),
                        HashMap::<K, u64, Hasher>::with_hasher(Hasher::default())
                    )
                }),
            },
            Row {
                key,
                map: "GoMap",
                ns_per_round: time(rounds, || {
                    round!(
                        black_box(k),
                        GoMap::<K, u64, Hasher>::with_hasher(Hasher::default())
                    )
                }),
            },
        ]
    }

    pub fn run(a: &BenchArgs) -> Result<()> {
        let u64_keys: [u64; 8] =
            core::array::from_fn(|i| (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut results = rows("u64", u64_keys, a.n);
        results.extend(rows("&str", STRS, a.n));
        let mut o = std::io::stdout().lock();
        match a.format {
            TextOrJson::Json => gomap_cli::output::write_json(
                &mut o,
                &TinyJson {
                    mode: "tiny",
                    rounds: a.n,
                    hasher: "foldhash::fast::RandomState",
                    results,
                },
            )?,
            TextOrJson::Text => {
                writeln!(
                    o,
                    "tiny maps: make a map, insert 8 keys, look each up, drop it ({} rounds, best of {BATCHES} batches; foldhash for all)",
                    a.n
                )?;
                writeln!(
                    o,
                    "  {:<6}{:>14}{:>14}{:>14}{:>20}",
                    "key", "InlineGoMap", "std HashMap", "GoMap", "InlineGoMap / std"
                )?;
                for chunk in results.chunks(3) {
                    writeln!(
                        o,
                        "  {:<6}{:>11.1} ns{:>11.1} ns{:>11.1} ns{:>20.2}",
                        chunk[0].key,
                        chunk[0].ns_per_round,
                        chunk[1].ns_per_round,
                        chunk[2].ns_per_round,
                        chunk[0].ns_per_round / chunk[1].ns_per_round
                    )?;
                }
                writeln!(
                    o,
                    "  InlineGoMap allocates nothing for 8 entries; std's HashMap allocates and regrows its table on the way to 8,\n  GoMap allocates its one bucket. Timings on a busy machine vary; the criterion bench is `cargo bench -p gomap --bench tiny`."
                )?;
            }
        }
        o.flush()?;
        Ok(())
    }
}
