//! `gomap explore`: serve the explorer page and its JSON API on 127.0.0.1.

use clap::Args;
use gomap_cli::explore::{api::App, server};
use gomap_cli::types::TypeName;
use gomap_cli::{CliError, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const API_HELP: &str = "\
Serves one live GoMap on http://127.0.0.1:PORT/ (never another interface) and prints that URL as the \
first line on stdout. Open it in a browser: step through inserts, growth and evacuation one write at a \
time. Ctrl-C stops the server. The page is embedded: no network needed.

JSON API (errors are {\"error\": \"...\"} with a 4xx status):
  GET  /api/state[?from=F&to=T]   header (Go's field names: count, flags, B, noverflow, nevacuate,
                                  buckets, oldbuckets), Go's and our header offsets, the bucket layout,
                                  stats(), the current and (while growing) old array: buckets F..T
                                  (default 0..256, at most 1024) slot by slot with tophash, key, value,
                                  overflow chains and in_array (pre-allocated overflow pool), plus a
                                  heat summary of every bucket; range_order (one iter_randomized()
                                  pass, maps up to 4096 entries); history (heap bytes per write, with
                                  growth starts and old-array frees); heap_walk (null until the
                                  library has GoMap::heap_walk).
  POST /api/op[?from=F&to=T]      body, one of:
         {\"op\":\"insert\",\"key\":K,\"value\":V}   value optional
         {\"op\":\"insert_next\"}                  the next generated key
         {\"op\":\"remove\",\"key\":K}   {\"op\":\"get\",\"key\":K}   (get does no growth work)
         {\"op\":\"fill\",\"n\":N,\"until\":\"growth\"}    N <= 1000000; until optional
         {\"op\":\"churn\",\"n\":N,\"until\":\"same_size_growth\"}   N remove+insert pairs
         {\"op\":\"clear\"}   {\"op\":\"reset\",\"key\":\"u64|string\",\"value\":\"u64|string|big\"}
         {\"op\":\"range\",\"remove_every\":2,\"insert\":0}   Go's range with deletes, via cursor()
       answers {\"did\": ..., \"state\": ...}. For insert and remove, did holds the key's hash (hex
       and binary), B, bucket (low B bits), tophash (top 8 bits, raised by 5 when below 5), the slot
       it landed in or was removed from, whether a growth started or finished, nevacuate before and
       after, the old buckets this write evacuated with each entry's X or Y destination, and the
       overflow buckets it added, each with from_pool (pre-allocated) or not. How: a growth started
       when a new bucket array appeared (B up: doubling, else same-size) and finished when the old one
       went; an old bucket was evacuated by this write when its first tophash turned evacuated (2-4),
       its entries located (locate()) before and after: same index is X, index + old count is Y; an
       overflow bucket is from the pool when it lies inside the array's allocation (in_array).
  GET  /api/layout?key=T&value=T  the bucket's byte layout for any menu type (the layout lab).
Keys are JSON numbers for u64 maps and JSON strings for string maps; a body over 64 KiB, malformed
JSON, an unknown op, a key of the wrong type, n over the cap or an unknown path is a 4xx error.";

#[derive(Debug, Args)]
#[command(after_long_help = API_HELP)]
pub struct ExploreArgs {
    /// Port on 127.0.0.1 (0: pick a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Key type: u64 or string
    #[arg(long, value_name = "TYPE", default_value = "u64", value_parser = key_type)]
    pub key: TypeName,
    /// Value type: u64, string, or big ([u8; 200], stored indirectly)
    #[arg(long, value_name = "TYPE", default_value = "u64", value_parser = value_type)]
    pub value: TypeName,
}

fn key_type(s: &str) -> std::result::Result<TypeName, String> {
    match s {
        "u64" => Ok(TypeName::U64),
        "string" => Ok(TypeName::String),
        _ => Err("the explorer serves u64 or string keys".into()),
    }
}

fn value_type(s: &str) -> std::result::Result<TypeName, String> {
    match s {
        "big" => Ok(TypeName::Big),
        _ => key_type(s).map_err(|_| "the explorer serves u64, string or big values".into()),
    }
}

pub fn run(a: &ExploreArgs) -> Result<()> {
    let app = App::new(a.key, a.value).map_err(|e| CliError::msg(e.message))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| CliError::msg(format!("cannot handle Ctrl-C: {e}")))?;
    server::serve(a.port, app, stop)
}
