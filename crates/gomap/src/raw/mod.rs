//! The unsafe core: bucket memory, the header and its algorithms. Nothing
//! outside this module touches raw pointers.
//!
//! One room per concern, and imports only point down this list (no two
//! modules import each other):
//!
//! - leaves: `layout` (per-(K, V) bucket layout), `tophash` (slot states,
//!   8-way matching), `bucket` (one bucket's memory), `alloc` (arrays and
//!   overflow buckets), `rand`.
//! - `table`: the header (`RawTable`, Go's `hmap`, with `Extra`, Go's
//!   `mapextra`, and every type stored in it), Go's growth rules, the write
//!   entry points (assign, delete) and the lifecycle (clear, drop, resize).
//!   It imports only the leaves.
//! - rooms that add `impl RawTable` blocks in their own file, each importing
//!   `table` and the leaves, never each other: `probe` (the one probe loop),
//!   `grow` (hashGrow, growWork, evacuate; it uses `release`'s constants),
//!   `release` (freeing chains and arrays, handing pages back to the OS),
//!   `track` (a live cursor's move log and retained arrays), `iter` (raw
//!   walks), `inspect` (introspection).
//! - `access`: the safe, lifetime-carrying layer over all of the above
//!   (imports `table` and `iter`).
//!
//! Methods defined in one room are called from another without an import
//! (they are methods of `RawTable`), so `table`'s entry points can call
//! `grow_work` or `retire_step` while the files keep this one direction.

pub(crate) mod access;
pub(crate) mod alloc;
pub(crate) mod bucket;
pub(crate) mod grow;
pub(crate) mod inspect;
pub(crate) mod iter;
pub mod layout;
pub(crate) mod probe;
pub(crate) mod rand;
pub(crate) mod release;
pub(crate) mod table;
pub mod tophash;
pub(crate) mod track;
