use crate::RenderArgs;
use gomap_cli::{CliError, Result};

pub fn run(_args: &RenderArgs) -> Result<()> {
    Err(CliError::msg(
        "not wired up yet: waiting for gomap::GoMap to land",
    ))
}
