//! One error type for the whole tool: a single line for the user, never a panic.

use std::fmt;
use std::io;

/// An error the `gomap` command reports as one line on stderr before exiting
/// non-zero.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or an impossible request, already phrased for the user.
    Msg(String),
    /// Standard output was closed (e.g. piped into `head`): stop quietly.
    BrokenPipe,
}

impl CliError {
    /// An error with this message.
    pub fn msg(m: impl Into<String>) -> CliError {
        CliError::Msg(m.into())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Msg(m) => f.write_str(m),
            CliError::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> CliError {
        if e.kind() == io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::Msg(format!("I/O error: {e}"))
        }
    }
}

/// Result with [`CliError`].
pub type Result<T, E = CliError> = std::result::Result<T, E>;
