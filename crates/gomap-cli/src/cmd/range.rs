//! `gomap range`: iteration order and ranging with mutation.

use crate::{RangeArgs, TextOrJson};
use gomap_cli::{range, with_type, CliError, Result};
use std::io::Write;

/// Largest `--n` (the report lists every entry three times).
pub const MAX_RANGE_N: u64 = 100_000;

pub fn run(a: &RangeArgs) -> Result<()> {
    if a.n == 0 || a.n > MAX_RANGE_N {
        return Err(CliError::msg(format!(
            "--n = {} is out of range (1 to {MAX_RANGE_N})",
            a.n
        )));
    }
    a.key
        .check_distinct(3 * a.n + 8, "--n (plus the keys the range inserts)")?;
    let r = with_type!(a.key, K => range::run::<K>(a.n));
    let mut o = std::io::stdout().lock();
    match a.format {
        TextOrJson::Json => gomap_cli::output::write_json(&mut o, &r)?,
        TextOrJson::Text => o.write_all(range::text(&r, a.rows).as_bytes())?,
    }
    o.flush()?;
    if !r.cursor.passed {
        return Err(CliError::msg(
            "a Go range guarantee did not hold (see above)",
        ));
    }
    Ok(())
}
