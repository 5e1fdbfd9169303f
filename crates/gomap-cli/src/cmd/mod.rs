//! One module per subcommand.

pub mod bench;
pub mod layout;
pub mod range;
pub mod render;
pub mod tour;
pub mod trace;
pub mod walk;
