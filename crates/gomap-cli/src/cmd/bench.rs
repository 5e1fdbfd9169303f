use crate::BenchArgs;
use gomap_cli::{CliError, Result};

pub fn run(_args: &BenchArgs) -> Result<()> {
    Err(CliError::msg(
        "not wired up yet: waiting for gomap::GoMap to land",
    ))
}
