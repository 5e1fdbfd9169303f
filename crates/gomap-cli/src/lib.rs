//! The machinery behind the `gomap` command, as a library so other binaries
//! (a criterion-independent bench runner, for one) can reuse it:
//!
//! - [`harness`]: the per-insert latency harness and the [`harness::MapUnderTest`] trait;
//! - [`render`]: SVG, Graphviz and Mermaid pictures of a live map's structure;
//! - [`plot`]: latency and growth charts;
//! - [`alloc`]: a counting global allocator;
//! - [`types`]: the menu of key and value types;
//! - [`walk`]: the GC marking chain of a live map;
//! - [`range`]: Go's iteration rules, shown and checked on a live map.

pub mod alloc;
pub mod error;
pub mod harness;
pub mod layout;
pub mod output;
pub mod plot;
pub mod range;
pub mod render;
pub mod trace;
pub mod types;
pub mod walk;

pub use error::{CliError, Result};
