//! `gomap walk`: the GC marking chain of a live map.

use crate::{WalkArgs, WalkFormat};
use gomap::GoMap;
use gomap_cli::types::{check_memory, map_bytes_per_entry};
use gomap_cli::walk::{self, WalkReport};
use gomap_cli::{output, with_type, CliError, Result};
use std::io::Write;

/// Largest `--n`: the walk lists every allocation.
pub const MAX_WALK_N: u64 = 10_000_000;

pub fn run(a: &WalkArgs) -> Result<()> {
    if a.n > MAX_WALK_N {
        return Err(CliError::msg(format!(
            "--n = {} is too large to walk (at most {MAX_WALK_N})",
            a.n
        )));
    }
    let bucket =
        with_type!(a.key, K => with_type!(a.value, V => GoMap::<K, V>::layout().bucket_size));
    // --n 0 is allowed: GoMap::new() owns nothing, and the walk shows it.
    if a.n > 0 {
        check_memory("--n", a.n, map_bytes_per_entry(a.key, a.value, bucket) * 2)?;
    }
    a.key.check_distinct(a.n, "--n")?;
    if let Some(p) = &a.output {
        output::check_writable(p)?;
    }
    let r: WalkReport =
        with_type!(a.key, K => with_type!(a.value, V => walk::build::<K, V>(a.n, a.mid_growth)))?;
    let ext = a
        .output
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str());
    let format = a.format.unwrap_or(match ext {
        Some("svg") => WalkFormat::Svg,
        Some("json") => WalkFormat::Json,
        Some("mmd" | "mermaid") => WalkFormat::Mermaid,
        _ => WalkFormat::Text,
    });
    let text = match format {
        // Exactly heap_walk()'s objects, nothing added.
        WalkFormat::Json => {
            serde_json::to_string_pretty(&r.objects)
                .map_err(|e| CliError::msg(format!("cannot write JSON: {e}")))?
                + "\n"
        }
        WalkFormat::Text => walk::text(&r),
        WalkFormat::Mermaid => walk::mermaid(&r),
        WalkFormat::Svg => walk::svg(&r),
    };
    let mut o = std::io::stdout().lock();
    match &a.output {
        Some(p) => {
            output::write_atomic(p, text.as_bytes())?;
            writeln!(
                o,
                "wrote {} ({} with {} entries: {} objects)",
                p.display(),
                r.type_name(),
                r.len,
                r.objects.len()
            )?;
        }
        None => o.write_all(text.as_bytes())?,
    }
    o.flush()?;
    Ok(())
}
