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
//! - From 1 MiB, the old array's evacuated pages are handed back to the OS
//!   (`madvise`) as evacuation passes, and the rest over the few writes after
//!   it finishes; only then is the array freed, so no single write pays for
//!   unmapping it. Until then it is still allocated: `stats().old_array_bytes`
//!   and `heap_bytes` count it, `released_bytes` says how much of it is no
//!   longer resident, and [`GoMap::heap_walk`] lists it as `OldBuckets`.
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
//! # The header side by side with Go's `hmap`
//!
//! In Go a map variable is one pointer (`unsafe.Sizeof(m) == 8` on a
//! 64-bit machine) to an `hmap` that `makemap` allocates; the `hmap` never
//! moves. A `GoMap` value *is* the header: it lives where its owner puts it
//! (a local, a field, a `Box`), and Rust moves it like any value, which is
//! safe because nothing points back into it. Go's `hmap` on a 64-bit
//! machine (`runtime/map.go`, `type hmap struct`):
//!
//! ```text
//! offset size field       Go type         GoMap's counterpart and why it differs
//!      0    8 count       int             count: usize, first as in Go (len() reads it)
//!      8    1 flags       uint8           flags: u8 (3 of Go's 4 bits; see below)
//!      9    1 B           uint8           b: u8
//!     10    2 noverflow   uint16          noverflow: u16, counted as Go counts it
//!     12    4 hash0       uint32          hash0: S, the whole BuildHasher (its size is S's)
//!     16    8 buckets     unsafe.Pointer  buckets: Option<NonNull<u8>> (None = nil)
//!     24    8 oldbuckets  unsafe.Pointer  oldbuckets: Option<NonNull<u8>>
//!     32    8 nevacuate   uintptr         nevacuate: usize
//!     40    8 extra       *mapextra       extra: overflow pool, page-release and cursor state
//!     48      (size)
//! ```
//!
//! GoMap's own offsets and sizes depend on `S` and on the build, so they are
//! not written here: [`GoMap::header_fields`] reads them from the compiled
//! type and `gomap layout` prints them next to Go's. The order is Go's
//! (`#[repr(C)]`):
//!
//! ```
//! let f = gomap::GoMap::<u64, u64>::header_fields();
//! let names: Vec<&str> = f.iter().map(|f| f.name).collect();
//! assert_eq!(names[..8], ["count", "flags", "B", "noverflow", "hash0", "buckets", "oldbuckets", "nevacuate"]);
//! assert_eq!((f[0].offset, f[0].size), (0, 8)); // count: an 8-byte int at offset 0, as in Go
//! assert!(f.windows(2).all(|w| w[0].offset + w[0].size <= w[1].offset));
//! ```
//!
//! # The four flag bits
//!
//! Go's `hmap.flags` has four bits: `iterator = 1` (there may be an
//! iterator using buckets), `oldIterator = 2` (there may be an iterator
//! using oldbuckets), `hashWriting = 4` (a goroutine is writing to the
//! map), `sameSizeGrow = 8` (the current growth is to a map of the same
//! size). gomap keeps 1, 2 and 8 with Go's meanings and values
//! ([`HeaderView::flags`]): a live [`Cursor`] sets `iterator` and
//! `oldIterator`, which keep an old array it still walks from being freed.
//!
//! `hashWriting` exists because Go cannot stop two goroutines from writing
//! to one map; it sets the bit on entry to every write and checks it, and a
//! second writer dies with `fatal error: concurrent map writes` at run
//! time, when it happens to be caught. In Rust every write takes `&mut
//! self`, so two threads writing to one `GoMap` without a lock do not
//! compile, and the bit has nothing to detect:
//!
//! ```compile_fail,E0499
//! let mut m: gomap::GoMap<u64, u64> = gomap::GoMap::new();
//! std::thread::scope(|s| {
//!     s.spawn(|| m.insert(1, 1)); // Go: fatal error: concurrent map writes
//!     s.spawn(|| m.insert(2, 2)); // Rust: error[E0499], two mutable borrows
//! });
//! ```
//!
//! With a lock it compiles and runs (Go's answer is the same `sync.Mutex`):
//!
//! ```
//! let m = std::sync::Mutex::new(gomap::GoMap::<u64, u64>::new());
//! std::thread::scope(|s| {
//!     s.spawn(|| m.lock().unwrap().insert(1, 1));
//!     s.spawn(|| m.lock().unwrap().insert(2, 2));
//! });
//! assert_eq!(m.lock().unwrap().len(), 2);
//! ```
//!
//! # The GC marking chain
//!
//! Go's garbage collector finds a map's memory by following pointers: the
//! map variable (on the stack or in an object: one pointer) → the `hmap` →
//! its pointer fields in order, `buckets`, `oldbuckets`, `extra` → from
//! each bucket the keys' and elems' pointers (a string's bytes, an
//! indirect key or elem over 128 bytes) and the bucket's `overflow`
//! pointer. Two details of Go's runtime decide what is reached from where:
//!
//! - When neither the key nor the elem type holds a pointer, Go allocates
//!   the buckets `noscan`: the GC never looks inside them, so an overflow
//!   bucket could not be found through the overflow pointer. Go keeps each
//!   one alive through `hmap.extra.overflow` (current array) and
//!   `extra.oldoverflow` (old array) instead (`makeBucketArray`,
//!   `newoverflow`, `createOverflow` in `runtime/map.go`).
//! - Otherwise the GC reaches every overflow bucket through the overflow
//!   pointer of the bucket before it.
//!
//! gomap has no GC, but [`GoMap::heap_walk`] lists what the map owns in that
//! order, each object with the one pointing to it: the map value, `buckets`
//! (one allocation with its pre-allocated overflow tail), `oldbuckets`, then
//! separately allocated overflow buckets (parent: the bucket naming them,
//! in both cases above) and indirect keys and values (parent: the bucket
//! holding the pointer). `gomap walk` draws it, with each `String` key's
//! own buffer as the last link, which the walk does not list: the buffer
//! belongs to the key, not to the map.
//!
//! ```
//! use gomap::{GoMap, HeapKind};
//! let mut m: GoMap<u64, u64> = GoMap::new();
//! let mut i = 0;
//! while !m.header().growing { m.insert(i, i); i += 1; }
//! let walk = m.heap_walk();
//! let kinds: Vec<HeapKind> = walk.iter().take(3).map(|o| o.kind).collect();
//! assert_eq!(kinds, [HeapKind::Map, HeapKind::Buckets, HeapKind::OldBuckets]);
//! assert_eq!(walk[1..].iter().map(|o| o.size).sum::<usize>(), m.stats().heap_bytes);
//! ```
//!
//! # Common misconceptions
//!
//! Articles about Go's map repeat a few errors. Each correction below comes
//! with the line of Go's runtime (1.19–1.23) that settles it, or with what
//! gomap measures (`gomap tour` prints the measurements live).
//!
//! - *"The GC moves the map's memory around."* Go's GC never moves heap
//!   objects: `runtime/mgc.go` opens with "It is a concurrent mark and
//!   sweep that uses a write barrier. It is non-generational and
//!   non-compacting." The `hmap` stays where `makemap` put it for its whole
//!   life; what changes on growth is the `buckets` pointer, to a new array
//!   (`hashGrow`: `h.oldbuckets = oldbuckets; h.buckets = newbuckets`).
//!   gomap: `stats().buckets_addr` changes at each growth; the header does
//!   not move unless its owner moves it.
//! - *"Go's GC is conservative."* It is precise: the same comment in
//!   `mgc.go` says it "is type accurate (aka precise)". It knows from each
//!   bucket's type which words are pointers, and skips `noscan` buckets
//!   entirely (see [the marking chain](#the-gc-marking-chain)).
//! - *"You cannot take `&m`."* `&m` is legal Go (a `*map[K]V`); what the
//!   spec forbids is taking the address of a map *element*, `&m[k]`
//!   (index expressions on maps are not addressable), because growth moves
//!   elements to a new array.
//! - *"A map grows when its 8-slot bucket fills (at the 7th insert, at 6.5
//!   average)."* It grows at the 9th insert: `mapassign` tests
//!   `overLoadFactor(h.count+1, h.B)`, which is `count > bucketCnt &&
//!   uintptr(count) > loadFactorNum*(bucketShift(B)/loadFactorDen)`; with
//!   B = 0 that is first true for count = 9. gomap: 8 inserts leave
//!   `stats().b == 0`, the 9th makes it 1 (Go's own `TestMapBuckets`).
//! - *"`count` is a 32-bit field somewhere in the header."* It is an `int`
//!   (8 bytes on 64-bit) at offset 0: `count int // # live cells == size of
//!   map. Must be first (used by len() builtin)`.
//! - *"`buckets` is an array of pointers to buckets (`**bmap`)."* It is one
//!   contiguous array of buckets: `buckets unsafe.Pointer // array of 2^B
//!   Buckets`, indexed by `add(h.buckets, bucket*uintptr(t.bucketsize))`.
//!   gomap: head bucket `i` is at `buckets_addr + i * bucket_size`.
//! - *"The bucket index is the hash shifted right by something."* It is the
//!   low B bits, a mask: `bucket := hash & bucketMask(h.B)`; the *top* 8
//!   bits are the tophash (`top := uint8(hash >> (goarch.PtrSize*8 - 8))`).
//! - *"The flags are 0, 1, 2, 3."* They are bits: `iterator = 1`,
//!   `oldIterator = 2`, `hashWriting = 4`, `sameSizeGrow = 8` (see [the four
//!   flag bits](#the-four-flag-bits)).
//! - *"Deleting entries shrinks the map."* Maps never shrink in Go
//!   1.19–1.23: `mapdelete` only clears slots, `mapclear` keeps the bucket
//!   array, and there is no code path that allocates a smaller one (Go
//!   issue 20135). gomap: after removing every entry `stats().heap_bytes`
//!   is unchanged; only [`GoMap::shrink_to_fit`] gives memory back, on request.
//! - *"Small maps live on the stack."* Only a map that does not escape and
//!   whose size hint is at most 8 gets its `hmap` and one bucket on the stack:
//!   `walkMakeMap` in `cmd/compile/internal/walk/builtin.go` allocates the
//!   bucket on the stack only when `n.Esc() == ir.EscNone` and the hint is
//!   `<= BUCKETSIZE` (8); any other map, and any bucket allocated when it
//!   grows, is on the heap.
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
//! For large maps that are filled before they serve, or mostly read,
//! [`GoMap::set_huge_pages`] backs the bucket arrays with 2 MiB pages:
//! fewer TLB misses and page faults, at the price of a first write to each
//! huge page that takes milliseconds (so it is off by default).
//!
//! Choose std's `HashMap` (hashbrown) when throughput and memory at rest
//! matter most and a rare resize pause does not: its SIMD-probed open
//! addressing is faster on average, uses about 1 byte of metadata per slot
//! instead of chains and overflow pointers, and supports more of the
//! ecosystem (`raw_entry`, allocator parameters). By how much, on the 2-core
//! Intel Xeon of the repository's `BENCHMARKS.md` (`u64` keys, 1e3 to 1e6
//! entries, gomap's time over std's with the same hasher): 1.0-1.5x for
//! lookup hits, 1.1-2.3x for misses, 1.1-1.8x for iteration, 1.1-1.7x for
//! removes, 0.9-2.2x for inserts growing from empty and 1.2-2.0x for inserts
//! into a presized map whose memory is resident (up to 3.7x at 1e6 into a
//! freshly allocated one, whose pages each fault twice); growing to 10 M
//! entries takes gomap 1.07-1.38x std's total time, while its worst insert
//! takes 1/340 to 1/2000 of std's (0.1-0.7 ms against 180-260 ms).
//! `latency_cache` prints the total fill time of both maps next to their
//! worst inserts.
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
mod walk;

pub use cursor::Cursor;
pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use inline::InlineGoMap;
pub use iter::{
    Drain, ExtractIf, IntoIter, IntoKeys, IntoValues, Iter, IterMut, IterRandomized, Keys, Values,
    ValuesMut,
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
pub use walk::{HeapKind, HeapObject};
