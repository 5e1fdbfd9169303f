//! Introspection: plain data read out of a live map, for tests, the CLI and
//! anyone diagnosing a map. Nothing here borrows the map.

/// A snapshot of a map's structure and memory, from [`GoMap::stats`](crate::GoMap::stats).
///
/// `stats()` walks every bucket chain (O(buckets)); for the O(1) header
/// fields use [`GoMap::header`](crate::GoMap::header).
///
/// ```
/// let m: gomap::GoMap<u64, u64> = (0..1000).map(|i| (i, i)).collect();
/// let s: gomap::MapStats = m.stats();
/// assert_eq!((s.len, s.b, s.buckets), (1000, 8, 256));
/// assert_eq!(s.capacity, m.capacity());
/// assert!(s.max_chain >= 1 && s.heap_bytes >= 256 * 144);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MapStats {
    /// Number of entries (Go's `count`).
    pub len: usize,
    /// log2 of the number of buckets in the current array (Go's `B`).
    pub b: u8,
    /// Buckets in the current array: `2^b`, or 0 while no array is allocated.
    pub buckets: usize,
    /// Overflow buckets linked into chains, in both arrays (exact).
    pub overflow_buckets: usize,
    /// Go's approximate overflow counter, which triggers same-size growth.
    pub noverflow: u16,
    /// An evacuation is in progress (an old array exists).
    pub growing: bool,
    /// The growth in progress keeps the bucket count (compacts overflow chains).
    pub same_size_grow: bool,
    /// Buckets in the old array (0 when not growing).
    pub old_buckets: usize,
    /// Go's `nevacuate`: old buckets below this index are all evacuated.
    pub evacuated: usize,
    /// Bytes the map has allocated now: bucket arrays (with pre-allocated
    /// overflow buckets), separately allocated overflow buckets, indirect
    /// keys and values, and iteration bookkeeping.
    pub heap_bytes: usize,
    /// Longest bucket chain (head plus overflow buckets); 0 with no array.
    pub max_chain: usize,
    /// Address of the current bucket array (0 when absent).
    pub buckets_addr: usize,
    /// Address of the old bucket array (0 when absent).
    pub old_buckets_addr: usize,
    /// Pre-allocated overflow buckets at the tail of the current array (`2^(b-4)` for `b >= 4`).
    pub preallocated_overflow: usize,
    /// Pre-allocated overflow buckets not yet handed out.
    pub free_preallocated_overflow: usize,
    /// Entries that fit before the next doubling (same as `capacity()`).
    pub capacity: usize,
    /// Bytes of the current array's allocation (head buckets and
    /// pre-allocated overflow buckets); 0 with no array, and for an
    /// [`InlineGoMap`](crate::InlineGoMap)'s bucket inside the map value.
    pub array_bytes: usize,
    /// Bytes of the old array still allocated: the one being evacuated, or
    /// a large one whose growth finished and which is being handed back to
    /// the OS a chunk per write before it is freed.
    pub old_array_bytes: usize,
    /// Bytes of overflow buckets allocated on their own, both arrays.
    pub overflow_bytes: usize,
    /// Bytes of the old array already handed back to the OS
    /// (`madvise(MADV_DONTNEED)`): still allocated, so counted in
    /// `old_array_bytes` and `heap_bytes`, but no longer resident.
    pub released_bytes: usize,
}

/// The header fields (Go's `hmap`), read in O(1) by [`GoMap::header`](crate::GoMap::header).
///
/// ```
/// let m: gomap::GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
/// let h: gomap::HeaderView = m.header();
/// assert_eq!((h.count, h.b), (100, 4));
/// assert_eq!(h.buckets, m.stats().buckets_addr);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HeaderView {
    /// Go's `count`.
    pub count: usize,
    /// Go's `flags`: 1 `iterator`, 2 `oldIterator`, 8 `sameSizeGrow`. Go's
    /// 4, `hashWriting`, is never set: Rust rejects concurrent writes at
    /// compile time (see the [crate docs](crate#the-four-flag-bits)).
    /// gomap's own bits, not Go's: 16 the bucket is an
    /// [`InlineGoMap`](crate::InlineGoMap)'s, 32 growth or retire work is
    /// pending for the next write, 64 huge pages are asked for
    /// ([`GoMap::set_huge_pages`](crate::GoMap::set_huge_pages)).
    pub flags: u8,
    /// Go's `B`.
    pub b: u8,
    /// Go's `noverflow`.
    pub noverflow: u16,
    /// Address of the current bucket array (Go's `buckets`), 0 when absent.
    pub buckets: usize,
    /// Address of the old bucket array (Go's `oldbuckets`), 0 when absent.
    pub oldbuckets: usize,
    /// Go's `nevacuate`.
    pub nevacuate: usize,
    /// An evacuation is in progress.
    pub growing: bool,
    /// The growth in progress is a same-size grow.
    pub same_size_grow: bool,
    /// Bytes of a large old array whose growth has finished but which is
    /// still allocated, handed back to the OS a chunk per write (arrays of
    /// 1 MiB and more); 0 when there is none. It is freed when this drops
    /// to 0.
    pub retiring_bytes: usize,
    /// Bytes of the old (or retiring) array already handed back to the OS.
    pub released_bytes: usize,
}

/// One field of the map header as it lies in memory, from
/// [`GoMap::header_fields`](crate::GoMap::header_fields).
///
/// ```
/// let fields: Vec<gomap::HeaderField> = gomap::GoMap::<u64, u64>::header_fields();
/// let b = fields.iter().find(|f| f.name == "B").unwrap();
/// assert_eq!(b.size, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HeaderField {
    /// Go's name for the field (`count`, `flags`, `B`, ...).
    pub name: &'static str,
    /// Byte offset from the start of the `GoMap` value.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
}

/// What a tophash byte says about its slot.
///
/// ```
/// let m = gomap::GoMap::from([(1u64, 1u64)]);
/// let s = m.structure();
/// let head = &s.current.unwrap().chains[0].buckets[0];
/// let states: Vec<_> = head.tophash.iter().map(|&t| gomap::SlotState::from_tophash(t)).collect();
/// assert!(states[0].is_full());
/// assert_eq!(states[1], gomap::SlotState::EmptyRest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotState {
    /// `emptyRest` (0): empty, and so is every later slot of the chain.
    EmptyRest,
    /// `emptyOne` (1): empty.
    EmptyOne,
    /// `evacuatedX` (2): the entry moved to the new bucket at the same index.
    EvacuatedX,
    /// `evacuatedY` (3): the entry moved to the new bucket at index + old count.
    EvacuatedY,
    /// `evacuatedEmpty` (4): the slot was empty when its bucket was evacuated.
    EvacuatedEmpty,
    /// Holds an entry whose hash has this top byte (5..=255).
    Full(u8),
}

impl SlotState {
    /// Decodes a tophash byte.
    ///
    /// ```
    /// use gomap::SlotState;
    /// assert_eq!(SlotState::from_tophash(0), SlotState::EmptyRest);
    /// assert_eq!(SlotState::from_tophash(200), SlotState::Full(200));
    /// ```
    pub fn from_tophash(top: u8) -> SlotState {
        match top {
            0 => SlotState::EmptyRest,
            1 => SlotState::EmptyOne,
            2 => SlotState::EvacuatedX,
            3 => SlotState::EvacuatedY,
            4 => SlotState::EvacuatedEmpty,
            t => SlotState::Full(t),
        }
    }

    /// The slot holds an entry.
    ///
    /// ```
    /// assert!(gomap::SlotState::Full(9).is_full());
    /// assert!(!gomap::SlotState::EvacuatedX.is_full());
    /// ```
    pub fn is_full(self) -> bool {
        matches!(self, SlotState::Full(_))
    }
}

/// One bucket as it lies in memory.
///
/// ```
/// let m: gomap::GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
/// let s = m.structure();
/// let head: &gomap::BucketView = &s.current.unwrap().chains[3].buckets[0];
/// assert!(head.in_array);
/// assert_eq!(head.addr, s.stats.buckets_addr + 3 * 144);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketView {
    /// Address of the bucket.
    pub addr: usize,
    /// Its eight tophash bytes.
    pub tophash: [u8; 8],
    /// The bucket lies inside its array's allocation (a head bucket or a
    /// pre-allocated overflow bucket) rather than in an allocation of its own.
    pub in_array: bool,
}

/// One bucket chain: the head bucket of the array, then its overflow buckets.
///
/// ```
/// let m: gomap::GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
/// let s = m.structure();
/// let chains: &[gomap::ChainView] = &s.current.as_ref().unwrap().chains;
/// let entries: usize = chains
///     .iter()
///     .flat_map(|c| &c.buckets)
///     .map(|b| b.tophash.iter().filter(|&&t| t >= 5).count())
///     .sum();
/// assert_eq!(entries, 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainView {
    /// Index of the head bucket in its array.
    pub index: usize,
    /// `buckets[0]` is the head; the rest follow the overflow pointers.
    pub buckets: Vec<BucketView>,
}

/// A whole bucket array.
///
/// ```
/// let m: gomap::GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
/// let a: gomap::ArrayView = m.structure().current.unwrap();
/// assert_eq!((a.b, a.chains.len()), (4, 16));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayView {
    /// Address of the array.
    pub addr: usize,
    /// log2 of its bucket count.
    pub b: u8,
    /// One chain per head bucket, in index order. For an old array, chains of
    /// evacuated buckets hold only the head (its overflow buckets are freed).
    pub chains: Vec<ChainView>,
}

/// The live structure of a map, from [`GoMap::structure`](crate::GoMap::structure):
/// what a picture of the map needs.
///
/// ```
/// let mut m: gomap::GoMap<u64, u64> = gomap::GoMap::new();
/// let mut i = 0;
/// while !m.header().growing {
///     m.insert(i, i);
///     i += 1;
/// }
/// let s: gomap::MapStructure = m.structure();
/// // Mid-growth: both arrays, the old one half the size.
/// assert_eq!(s.old.unwrap().chains.len() * 2, s.current.unwrap().chains.len());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapStructure {
    /// The summary numbers.
    pub stats: MapStats,
    /// Header fields.
    pub header: HeaderView,
    /// The current array (`None` while no array is allocated).
    pub current: Option<ArrayView>,
    /// The old array while a growth is in progress.
    pub old: Option<ArrayView>,
}

/// Where one entry lies in memory, from [`GoMap::locate`](crate::GoMap::locate).
///
/// ```
/// let m = gomap::GoMap::from([(7u64, 8u64)]);
/// let loc: gomap::SlotLocation = m.locate(&7).unwrap();
/// assert_eq!((loc.bucket_index, loc.overflow_depth, loc.in_old), (0, 0, false));
/// let layout = gomap::GoMap::<u64, u64>::layout();
/// assert_eq!(loc.value_addr - loc.bucket_addr, layout.values_offset + 8 * loc.slot);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotLocation {
    /// Address of the bucket holding the entry (a head or an overflow bucket).
    pub bucket_addr: usize,
    /// Index of the chain's head bucket in its array.
    pub bucket_index: usize,
    /// 0 for the head bucket, 1 for its first overflow bucket, ...
    pub overflow_depth: usize,
    /// Slot within the bucket (0..8).
    pub slot: usize,
    /// Address of the key slot (for an indirect key, the slot holding the pointer).
    pub key_addr: usize,
    /// Address of the value slot (for an indirect value, the slot holding the pointer).
    pub value_addr: usize,
    /// The entry is still in the old array (its bucket is not yet evacuated).
    pub in_old: bool,
}
