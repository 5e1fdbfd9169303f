//! One module per subcommand.

pub mod bench;
pub mod explore;
pub mod layout;
pub mod range;
pub mod render;
pub mod tour;
pub mod tour_escape;
pub mod trace;
pub mod walk;
