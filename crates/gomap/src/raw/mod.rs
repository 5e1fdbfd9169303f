//! The unsafe core: bucket memory, the header and its algorithms. Nothing
//! outside this module touches raw pointers.

pub(crate) mod access;
pub(crate) mod alloc;
pub(crate) mod bucket;
pub(crate) mod inspect;
pub(crate) mod iter;
pub mod layout;
pub(crate) mod os;
pub(crate) mod rand;
pub(crate) mod table;
pub mod tophash;
