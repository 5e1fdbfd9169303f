//! gomap: Go's classic runtime map (`hmap`/`bmap`, Go 1.19–1.23) in Rust.
//!
//! [`GoMap`] is a hash map with the surface of std's `HashMap` and the
//! insides of Go's map before Swiss tables: 8-slot buckets with tophash
//! bytes, overflow chains, load factor 6.5, and growth by incremental
//! evacuation, so that no single insert moves the whole table.
//!
//! ```
//! use gomap::GoMap;
//!
//! let mut m: GoMap<String, u64> = GoMap::new(); // allocates nothing yet
//! for w in "the quick brown fox jumps over the lazy dog".split(' ') {
//!     *m.entry(w.to_string()).or_insert(0) += 1;
//! }
//! assert_eq!(m["the"], 2);
//! let s = m.stats(); // the structure, read from live memory
//! assert_eq!((s.len, s.b, s.buckets), (8, 0, 1));
//! ```
//!
//! # The design
//!
//! This follows the prose header of Go's `runtime/map.go`.
//!
//! A map is a hash table. The data is arranged into an array of buckets.
//! Each bucket contains up to 8 key/value pairs. The low-order bits of the
//! hash (`S::hash_one(key)`, with the map's own seeded `BuildHasher`: Go's
//! `hash0`) select a bucket. Each bucket contains a few high-order bits of
//! each hash, the *tophash* byte, to distinguish the entries within a single
//! bucket: a lookup compares the 8 tophash bytes at once (one 64-bit word)
//! and compares keys only where the byte matches. Tophash values 0 to 4 are
//! slot markers (`emptyRest`, `emptyOne`, `evacuatedX`, `evacuatedY`,
//! `evacuatedEmpty`); a hash whose top byte is below 5 is raised by 5.
//!
//! A bucket is laid out as `tophash: [u8; 8]`, then the 8 keys, then the 8
//! values, then the overflow pointer; keys and values are grouped so that
//! padding is paid once (a `u64 -> u64` bucket is 144 bytes). Keys or values
//! larger than 128 bytes are stored behind a pointer. The layout is a
//! constant per `(K, V)`: [`GoMap::layout`].
//!
//! If more than 8 keys hash to a bucket, we chain on extra buckets (overflow
//! buckets). Arrays of 16 buckets or more come with `2^(B-4)` overflow
//! buckets allocated at their tail, handed out before any is allocated on
//! its own. Removing an entry marks its slot `emptyOne`, and turns a run of
//! empty slots at the end of a chain into `emptyRest`, where lookups stop.
//!
//! When the hash table grows, we allocate a new array of buckets twice as
//! big. Buckets are incrementally copied from the old bucket array to the
//! new bucket array (see [Growth](#growth-and-evacuation)).
//!
//! The [`GoMap`] value *is* the header (Go's `hmap`): count, flags, `B`
//! (log2 of the bucket count), the overflow counter, the hasher, the two
//! array pointers, `nevacuate` and the overflow bookkeeping, inline where you
//! put the map, with no extra box ([`GoMap::header_fields`] lists them).
//! `GoMap::new()` allocates nothing; the first insert allocates one bucket.
//!
//! ## Picking the load factor
//!
//! The load factor is the average number of entries a bucket holds before
//! the table doubles. Too large and we have lots of overflow buckets, too
//! small and we waste a lot of space. Go chose 6.5 from a table of
//! measurements; here is the same table measured for gomap: a simulation of
//! this bucket placement (8-slot buckets, overflow chains, foldhash, 400
//! random tables of 2^10 buckets per row), for maximally loaded tables, i.e.
//! just before the table grows. Typical tables will be somewhat less loaded.
//!
//! ```text
//! loadFactor  %overflow  bytes/entry  hitprobe  missprobe  miss cmp
//!       4.00       2.12        20.76      3.00       4.00     0.016
//!       4.50       4.00        17.28      3.25       4.50     0.018
//!       5.00       6.82        14.76      3.50       5.00     0.020
//!       5.50      10.58        12.95      3.75       5.50     0.022
//!       6.00      15.26        11.67      4.00       6.00     0.024
//!       6.50      20.86        10.79      4.25       6.50     0.026
//!       7.00      27.07        10.16      4.50       7.00     0.028
//!       7.50      33.80         9.73      4.75       7.50     0.030
//!       8.00      40.78         9.41      5.00       8.00     0.032
//!
//! real GoMap<u64, u64> at 6.5 (20 maps, B = 10): %overflow 20.65, bytes/entry 10.74
//! ```
//!
//! Produced by `cargo run --release -p gomap --example load_factor`
//! (`crates/gomap/examples/load_factor.rs`), which ends by checking the 6.5
//! row against real maps.
//!
//! - `%overflow`: percentage of buckets which have an overflow bucket;
//! - `bytes/entry`: overhead bytes per `u64 -> u64` pair (all bucket memory
//!   divided by the entries, minus the 16 bytes of the pair);
//! - `hitprobe`: entries to check when looking up a present key;
//! - `missprobe`: entries to check when looking up an absent key;
//! - `miss cmp`: keys actually compared for an absent key: the tophash byte
//!   filters out all but about 1 in 250.
//!
//! The numbers agree with Go's own table to within 0.4 points: the layout
//! and the placement are the same, and foldhash spreads keys as uniformly
//! as Go's hash. At 6.5 a fifth of the buckets have an overflow bucket and
//! a pair costs about 11 bytes beyond its own 16.
//!
//! # Growth and evacuation
//!
//! A growth starts when a *new* key is inserted, no growth is under way, and
//! either the map would exceed the load factor (`count > 8 && count > 6.5 *
//! 2^B`: the new array has twice the buckets) or there are about as many
//! overflow buckets as buckets (`noverflow >= 2^min(B, 15)`: a *same-size*
//! growth, which compacts chains that removes left sparse). Starting a
//! growth only allocates the new array; `B` changes at once.
//!
//! Then, while the old array exists, every write (insert of a new key,
//! update, remove, `entry`) first evacuates the old bucket its key maps to,
//! then the old bucket at `nevacuate`, so a growth of `2^B` old buckets ends
//! within `2^B` writes, each moving at most two chains. Evacuation splits an
//! old bucket's entries between the new bucket at the same index (X) and the
//! one at index + old count (Y) by the next hash bit, and marks the old slots
//! `evacuatedX` / `evacuatedY`. Lookups during a growth read the old bucket
//! while it is not evacuated; reads never do growth work. When `nevacuate`
//! reaches the old count, the old array is freed.
//!
//! The cost of a doubling is thus spread over the writes that follow it: the
//! growth-starting insert pays for an allocation, not for moving the table.
//! `examples/latency_cache.rs` fills a `GoMap` and a std `HashMap` with 2.5
//! million entries and reports the worst insert of each. On the busy, shared
//! 2-core machine this was written on, std's worst insert was always the one
//! that moves its table from 2^21 to 2^22 buckets, 45–85 ms; gomap's worst
//! was 4–12 ms, at inserts far from any growth start and mostly near multiples
//! of the 4 ms scheduler tick (preemption, which hits both maps), while its 19
//! growth-starting inserts took at most 0.15 ms. Run it on a quiet machine
//! for numbers of your own.
//!
//! [`GoMap::reserve`] and [`GoMap::shrink_to`] are the exceptions:
//! they move everything at once, by request.
//!
//! # Iteration
//!
//! - [`GoMap::iter`] (and `keys`, `values`, `iter_mut`, `into_iter`,
//!   `drain`): storage order, old buckets not yet evacuated then the current
//!   array. An unchanged map yields the same order every time, so `keys()`
//!   and `values()` correspond. The borrow checker forbids changes while it
//!   runs.
//! - [`GoMap::iter_randomized`]: Go's `range` order, a random start bucket
//!   and a random start slot on every call (Go's `mapiterinit`), walking
//!   growths the way Go's `hiter` does. Use it where code must not come to
//!   depend on an order.
//! - [`GoMap::cursor`]: Go's range *with mutation*. A [`Cursor`] walks like
//!   `iter_randomized` and may remove the current entry, remove any key, or
//!   insert, with the Go specification's guarantees, also when its inserts
//!   start a growth mid-walk: every entry present for the whole walk is
//!   yielded exactly once, an entry removed before it is reached is not
//!   yielded, an entry inserted during the walk is yielded at most once.
//!   Like Go's iterator, it keeps an old array it still walks alive until
//!   it is dropped.
//!
//! # Memory over time
//!
//! - Empty: nothing allocated. First insert: one bucket (144 bytes for
//!   `u64 -> u64`). At `B >= 4` the array carries `2^(B-4)` overflow buckets.
//! - During a doubling the old and the new array coexist (1 + 2 = 3 times
//!   the old array). As each old bucket is evacuated, its separately
//!   allocated overflow buckets are freed; the old array goes when the last
//!   bucket is evacuated (or, with a live cursor, when the cursor ends).
//! - At rest: about 11 bytes of overhead per `u64 -> u64` pair at full load
//!   (the table above), up to twice the bucket memory per entry just after a
//!   doubling.
//! - The map never shrinks by itself (neither does Go's nor std's): removes
//!   leave empty slots, and [`GoMap::clear`] keeps the array.
//!   [`GoMap::shrink_to_fit`] moves the entries into the smallest array that
//!   holds them, at once.
//! - [`GoMap::stats`] reports all of it (`heap_bytes`, `buckets`,
//!   `overflow_buckets`, `old_buckets`, `evacuated`, ...), and
//!   [`GoMap::structure`] every bucket's tophash bytes and chain. See
//!   `examples/inspect.rs`.
//!
//! # When to choose gomap over std's `HashMap`
//!
//! Choose gomap when:
//! - the worst-case latency of an insert matters more than the average:
//!   services that grow maps to millions of entries while serving, where
//!   std's whole-table resize is a pause of tens of milliseconds;
//! - you port Go code that deletes or inserts while ranging over a map
//!   (`examples/go_port.rs`, `examples/range_delete.rs`);
//! - you want to learn, teach or diagnose Go's map: the same layout, growth
//!   points and iteration rules, observable from live memory.
//!
//! Choose [`InlineGoMap`] for many small, short-lived maps: Go's
//! non-escaping map, with the header and one bucket inside the value, so up
//! to 8 entries it allocates nothing (and a move keeps it inline).
//!
//! Choose std's `HashMap` (hashbrown) when throughput and memory at rest
//! matter most and a rare resize pause does not: its SIMD-probed open
//! addressing is faster on average, uses about 1 byte of metadata per slot
//! instead of chains and overflow pointers, and supports more of the
//! ecosystem (`raw_entry`, allocator parameters). `latency_cache` prints the
//! total fill time of both maps next to their worst inserts.
//!
//! # Optional features
//!
//! All are off by default.
//!
//! - `serde`: `Serialize` / `Deserialize` as a map. Deserialization pre-sizes
//!   from the announced length only up to 1 MiB of buckets, so a hostile
//!   length prefix cannot allocate unbounded memory; beyond that the map
//!   grows as entries arrive.
//! - `rayon`: `par_iter`, `par_iter_mut`, `par_keys`, `par_values`,
//!   `par_values_mut`, `par_drain`, `into_par_iter`, `ParallelExtend` and
//!   `FromParallelIterator`. The borrowing iterators split at bucket-chain
//!   boundaries over both arrays, so they are correct mid-growth; the owning
//!   ones go through a `Vec`.
//! - `tracing`: growth events at debug level on target `gomap`:
//!   `event = "grow_start"` with `kind` (`"doubling"` or `"same_size"`),
//!   `len` (the count before the insert that starts it), `old_b`, `new_b`,
//!   `old_buckets_addr`, `buckets_addr`; and `event = "evacuation_done"` with
//!   `len`, `b`, `old_buckets`, `writes` (writes since the growth started,
//!   including the one that started it), `bytes_freed` and `retained` (a
//!   cursor keeps the old array alive). Without the feature nothing is
//!   compiled in.
#![warn(missing_docs)]

mod cursor;
mod entry;
mod inline;
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
pub use inline::InlineGoMap;
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
