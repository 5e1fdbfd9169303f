//! gomap: Go's classic runtime map (`hmap`/`bmap`, Go 1.19-1.23) in Rust.
#![warn(missing_docs)]

mod cursor;
mod entry;
mod iter;
mod map;
mod raw;
#[cfg(feature = "rayon")]
mod rayon_impl;
#[cfg(feature = "serde")]
mod serde_impl;
mod stats;

pub use cursor::Cursor;
pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use iter::{
    Drain, IntoIter, IntoKeys, IntoValues, Iter, IterMut, IterRandomized, Keys, Values, ValuesMut,
};
pub use map::{DefaultHashBuilder, GoMap};
pub use raw::alloc::TryReserveError;
pub use raw::layout::BucketLayout;
#[cfg(feature = "rayon")]
pub use rayon_impl::{
    IntoParIter, ParDrain, ParIter, ParIterMut, ParKeys, ParValues, ParValuesMut,
};
pub use stats::{
    ArrayView, BucketView, ChainView, HeaderField, HeaderView, MapStats, MapStructure,
    SlotLocation, SlotState,
};
