//! `gomap render`: a picture of a live map.

use crate::{RenderArgs, RenderFormat};
use gomap::{GoMap, MapStructure};
use gomap_cli::render::{dot, mermaid, svg, RenderInput};
use gomap_cli::types::{check_memory, map_bytes_per_entry, MenuType, TypeName};
use gomap_cli::{output, with_type, CliError, Result};
use std::io::Write;

/// Largest `--n` render accepts: the structure snapshot holds every bucket.
pub const MAX_RENDER_N: u64 = 50_000_000;

/// Fills a `GoMap<K, u64>` with `n` keys; with `mid_growth`, keeps inserting
/// until a write leaves a growth in progress. Returns the structure and the
/// number of entries inserted.
pub fn build<K: MenuType>(n: u64, mid_growth: bool) -> Result<(MapStructure, u64)> {
    let mut m: GoMap<K, u64> = GoMap::new();
    for i in 0..n {
        m.insert(K::scattered(i), i);
    }
    let mut i = n;
    if mid_growth {
        while !m.header().growing {
            if i >= K::DISTINCT || i > n.saturating_mul(4) + 64 {
                return Err(CliError::msg(format!(
                    "could not catch a growth in progress after {i} {} keys",
                    K::RUST_NAME
                )));
            }
            m.insert(K::scattered(i), i);
            i += 1;
        }
    }
    Ok((m.structure(), i))
}

pub fn render_text(format: RenderFormat, input: &RenderInput<'_>) -> String {
    match format {
        RenderFormat::Svg => svg::render(input),
        RenderFormat::Dot => dot::render(input),
        RenderFormat::Mermaid => mermaid::render(input),
    }
}

pub fn run(a: &RenderArgs) -> Result<()> {
    let bucket = with_type!(a.key, K => GoMap::<K, u64>::layout().bucket_size);
    check_memory(
        "--n",
        a.n,
        map_bytes_per_entry(a.key, TypeName::U64, bucket) * 3,
    )?;
    if a.n > MAX_RENDER_N {
        return Err(CliError::msg(format!(
            "--n = {} is too large to render (at most {MAX_RENDER_N})",
            a.n
        )));
    }
    a.key.check_distinct(a.n, "--n")?;
    if let Some(p) = &a.output {
        output::check_writable(p)?;
    }
    let (structure, inserted) = with_type!(a.key, K => build::<K>(a.n, a.mid_growth))?;
    let layout = with_type!(a.key, K => GoMap::<K, u64>::layout());
    let input = RenderInput {
        structure: &structure,
        key_type: a.key.rust_name(),
        value_type: "u64",
        layout,
    };
    let text = render_text(a.format, &input);
    match &a.output {
        Some(p) => {
            output::write_atomic(p, text.as_bytes())?;
            let mut o = std::io::stdout().lock();
            writeln!(o, "wrote {} ({})", p.display(), input.headline())?;
            if inserted != a.n {
                writeln!(
                    o,
                    "  (inserted {inserted} keys to catch a growth in progress)"
                )?;
            }
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())?;
            o.flush()?;
        }
    }
    Ok(())
}
