//! `gomap`: see inside Go's classic map, rebuilt in Rust.

use clap::{Args, Parser, Subcommand, ValueEnum};
use gomap_cli::types::TypeName;
use gomap_cli::{CliError, Result};
use std::path::PathBuf;
use std::process::ExitCode;

mod cmd;

#[global_allocator]
static ALLOC: gomap_cli::alloc::CountingAlloc = gomap_cli::alloc::CountingAlloc;

#[derive(Debug, Parser)]
#[command(
    name = "gomap",
    version,
    about = "See inside Go's classic map (hmap/bmap) as rebuilt in Rust: layout, growth, structure, latency",
    long_about = "See inside Go's classic map (hmap/bmap) as rebuilt in Rust.\n\n\
        Start with `gomap tour`: it walks through the header, the bucket layout, \
        allocation, the hint table, growth and memory, with measurements from this \
        machine, and writes pictures to ./gomap-out/."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Walk through every topic with real measurements from this machine (start here)
    Tour(TourArgs),
    /// Show the bucket layout for a key and value type, checked against a live map
    Layout(LayoutArgs),
    /// Print one line per growth while filling a map: B, addresses, memory, when the old array is freed
    Trace(TraceArgs),
    /// Draw the live structure of a map: header, buckets, tophash bytes, overflow chains
    Render(RenderArgs),
    /// Time every insert of gomap and std's HashMap growing to N entries
    Bench(BenchArgs),
    /// Follow Go's GC marking chain through a live map: header, arrays, overflow buckets, data
    Walk(WalkArgs),
    /// Range over a map: stable iter(), Go's random start per range, deleting and inserting mid-range
    Range(RangeArgs),
}

#[derive(Debug, Args)]
pub struct TourArgs {
    /// Directory for the pictures (created if missing)
    #[arg(long, value_name = "DIR", default_value = "gomap-out")]
    pub out: PathBuf,
    /// Entries per map in the latency picture (smaller for quick tests)
    #[arg(long, hide = true, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1000..=100_000_000))]
    pub latency_n: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LayoutFormat {
    /// Aligned text
    Table,
    /// JSON object
    Json,
    /// Markdown table
    Markdown,
}

#[derive(Debug, Args)]
pub struct LayoutArgs {
    /// Key type
    #[arg(long, value_name = "TYPE")]
    pub key: TypeName,
    /// Value type
    #[arg(long, value_name = "TYPE")]
    pub value: TypeName,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: LayoutFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TextOrJson {
    /// Lines for people
    Text,
    /// JSON for programs
    Json,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Entries to insert
    #[arg(long, default_value_t = 1000)]
    pub n: u64,
    /// Capacity hint for the map (GoMap::with_capacity)
    #[arg(long, default_value_t = 0)]
    pub hint: u64,
    /// After filling, run this many remove+insert pairs. A same-size growth happens when Go's
    /// noverflow (overflow buckets made) reaches 2^min(B, 15) before a doubling is due: churn
    /// at full load keeps making overflow buckets, e.g. --n 832 --churn 100000 shows one
    #[arg(long, value_name = "OPS", default_value_t = 0)]
    pub churn: u64,
    /// Key type (values are u64)
    #[arg(long, value_name = "TYPE", default_value = "u64")]
    pub key: TypeName,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextOrJson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RenderFormat {
    /// Standalone SVG picture
    Svg,
    /// Graphviz dot (render with `dot -Tsvg`)
    Dot,
    /// Mermaid flowchart
    Mermaid,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Entries to insert
    #[arg(long, default_value_t = 40)]
    pub n: u64,
    /// Key type (values are u64)
    #[arg(long, value_name = "TYPE", default_value = "u64")]
    pub key: TypeName,
    /// Keep inserting past N until a growth is in progress, then draw it
    #[arg(long)]
    pub mid_growth: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "svg")]
    pub format: RenderFormat,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchKeyName {
    /// Pseudo-random u64 keys
    U64,
    /// 16-character String keys
    String,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Entries to grow each map to
    #[arg(long, default_value_t = 10_000_000)]
    pub n: u64,
    /// Key type
    #[arg(long, value_enum, default_value = "u64")]
    pub key: BenchKeyName,
    /// Draw per-insert latency against insert index to this SVG file
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextOrJson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WalkFormat {
    /// An indented tree for people
    Text,
    /// Exactly GoMap::heap_walk()'s objects
    Json,
    /// Mermaid flowchart
    Mermaid,
    /// Standalone SVG picture
    Svg,
}

#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Entries to insert (scattered keys)
    #[arg(long, default_value_t = 20)]
    pub n: u64,
    /// Key type (string: each key's own buffer is the chain's last link)
    #[arg(long, value_name = "TYPE", default_value = "u64")]
    pub key: TypeName,
    /// Value type (big: stored behind a pointer, one object each)
    #[arg(long, value_name = "TYPE", default_value = "u64")]
    pub value: TypeName,
    /// Keep inserting past N until a growth is in progress (both arrays)
    #[arg(long)]
    pub mid_growth: bool,
    /// Output format [default: from the -o file's extension (.svg, .json, .mmd), else text]
    #[arg(long, value_enum)]
    pub format: Option<WalkFormat>,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// Entries in the map (keys 0..N)
    #[arg(long, default_value_t = 12)]
    pub n: u64,
    /// Key type (values are u64)
    #[arg(long, value_name = "TYPE", default_value = "u64")]
    pub key: TypeName,
    /// Lines shown of each listing (text format)
    #[arg(long, default_value_t = 16)]
    pub rows: usize,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextOrJson,
}

/// Turns clap's multi-line usage errors into the tool's one-line form.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .collect();
    parts.join(" ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind::*;
            match e.kind() {
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
                _ => {
                    eprintln!("gomap: {}", one_line(&e).trim_start_matches("error: "));
                    return ExitCode::from(2);
                }
            }
        }
    };
    let result: Result<()> = match cli.cmd {
        Cmd::Tour(a) => cmd::tour::run(&a),
        Cmd::Layout(a) => cmd::layout::run(&a),
        Cmd::Trace(a) => cmd::trace::run(&a),
        Cmd::Render(a) => cmd::render::run(&a),
        Cmd::Bench(a) => cmd::bench::run(&a),
        Cmd::Walk(a) => cmd::walk::run(&a),
        Cmd::Range(a) => cmd::range::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gomap: error: {e}");
            ExitCode::FAILURE
        }
    }
}
