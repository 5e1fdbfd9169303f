//! gomap: Go's classic runtime map (hmap/bmap) in Rust. (Core in progress.)
mod raw {
    pub mod layout;
}
mod stats;

pub use raw::layout::BucketLayout;
pub use stats::{
    ArrayView, BucketView, ChainView, HeaderField, HeaderView, MapStats, MapStructure, SlotLocation,
    SlotState,
};
