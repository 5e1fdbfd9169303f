//! One module per subcommand.

pub mod bench;
pub mod explore;
pub mod layout;
pub mod render;
pub mod tour;
pub mod trace;
