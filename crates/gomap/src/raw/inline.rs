//! The storage behind `InlineGoMap`: Go's non-escaping map, the header and
//! one bucket in the map value itself (Go's `makemap_small` with `h` and
//! `bucket` on the stack).
//!
//! A Rust value moves by copying its bytes, so no pointer to the inline
//! bucket may outlive a move. While the map is inline (flag [`INLINE`]), the
//! header's `buckets` is therefore not trusted: every `&mut` operation first
//! points it at the bucket where the value lies now ([`InlineStorage::map_mut`])
//! and then runs the ordinary `GoMap` code; every `&self` operation reads
//! through a *view*, a fresh header with the live counts and the bucket's
//! current address that owns nothing and is never dropped. References and
//! iterators obtained from a view borrow only the inline bucket (raw walks
//! hold pointers, not borrows of the header), so they are handed out for
//! the lifetime of `&self` ([`outlive_view`]). The hot operations of a
//! small map (`insert`, `get`, `get_mut`) skip both while the map is inline
//! and its slots are direct: one bucket with no overflow and no growth
//! under way is read and written as the typed fields of [`InlineBucket`],
//! leaving exactly the tophash bytes and slots `GoMap`'s code would.
//!
//! The raw table's free paths leave the inline bucket alone: it is not the
//! allocator's (see the `INLINE` checks in `free_all_no_drop`, `heap_bytes`,
//! `finish_growth` and the evacuation undo guard). The ninth new key starts
//! Go's `hashGrow` from B = 0: the inline bucket becomes the old array (one
//! old bucket), is evacuated by that same insert's growth work, and the map
//! is a heap map from then on. If a user `Hash` panics during that
//! evacuation, the undo guard puts everything back inline
//! ([`RawTable::undo_inline_spill`]), so no half-finished spill (an old
//! array pointer into the value) survives any call.

use core::hash::BuildHasherDefault;
use core::mem::{align_of, size_of, ManuallyDrop, MaybeUninit};
use core::ptr::{self, NonNull};
use std::collections::hash_map::DefaultHasher;

use super::access::{OwnedIter, RandIter, RefIter};
use super::alloc;
use super::bucket::Bucket;
use super::iter::Hiter;
use super::layout::{LayoutOf, BUCKET_CNT};
use super::table::{RawTable, INLINE};
use super::tophash::{tophash, Group, EMPTY_ONE, EMPTY_REST, MIN_TOP_HASH};
use crate::map::GoMap;
use crate::walk::HeapObject;

/// One bucket's worth of storage: `tophash[8]`, 8 keys, 8 values, the
/// overflow pointer. For keys and values of at most 128 bytes this is
/// exactly `BucketLayout::of::<K, V>()` (same size, alignment and offsets;
/// checked at compile time). For a key or value over 128 bytes the bucket
/// stores a pointer in its slot while this struct reserves room for the
/// value itself, so the bucket lies at the start of a larger block (the
/// layout's offsets, within bytes that belong to fields).
#[repr(C)]
pub(crate) struct InlineBucket<K, V> {
    tophash: [u8; BUCKET_CNT],
    keys: [MaybeUninit<K>; BUCKET_CNT],
    values: [MaybeUninit<V>; BUCKET_CNT],
    overflow: *mut u8,
}

// SAFETY: the bucket owns its keys and values like an array would; the
// overflow pointer is always null (an inline bucket has no overflow chain).
unsafe impl<K: Send, V: Send> Send for InlineBucket<K, V> {}
// SAFETY: as above; shared access only reads.
unsafe impl<K: Sync, V: Sync> Sync for InlineBucket<K, V> {}

impl<K, V> InlineBucket<K, V> {
    /// Whether `(K, V)`'s bucket can live in this storage and survive moves:
    /// it fits (size and alignment), and every byte the layout uses lies in
    /// a field, never in padding (a typed copy need not preserve padding).
    /// Direct slots: the struct *is* the layout. Indirect slots with
    /// alignments up to 8: the struct has no padding at all. Otherwise (a
    /// key or value over 128 bytes aligned to more than 8) the map starts on
    /// the heap, as a `GoMap` would.
    pub(crate) const FITS: bool = {
        let l = LayoutOf::<K, V>::LAYOUT;
        let direct = !l.indirect_key && !l.indirect_value;
        (direct || (align_of::<K>() <= 8 && align_of::<V>() <= 8))
            && size_of::<Self>() >= l.bucket_size
            && align_of::<Self>() >= l.bucket_align
    };

    /// For direct slots the storage has the layout's exact shape.
    const SAME_SHAPE: () = {
        let l = LayoutOf::<K, V>::LAYOUT;
        if !l.indirect_key && !l.indirect_value {
            assert!(size_of::<Self>() == l.bucket_size);
            assert!(align_of::<Self>() == l.bucket_align);
            assert!(core::mem::offset_of!(Self, keys) == l.keys_offset);
            assert!(core::mem::offset_of!(Self, values) == l.values_offset);
            assert!(core::mem::offset_of!(Self, overflow) == l.overflow_offset);
        }
    };

    /// Direct slots: the typed fields are the layout's slots (`SAME_SHAPE`),
    /// so the inline fast paths read and write them as fields.
    const DIRECT: bool = {
        let l = LayoutOf::<K, V>::LAYOUT;
        !l.indirect_key && !l.indirect_value
    };

    /// The key and value of full slot `i`, for reading.
    ///
    /// # Safety
    /// `i < 8`, slot `i` is full, and the slots are direct (`DIRECT`).
    #[inline(always)]
    unsafe fn slot(&self, i: usize) -> (&K, &V) {
        debug_assert!(i < BUCKET_CNT && Self::DIRECT);
        // SAFETY: `i < 8` and the slot is full, so both fields hold
        // initialised values (the caller's promises).
        unsafe {
            (
                self.keys.get_unchecked(i).assume_init_ref(),
                self.values.get_unchecked(i).assume_init_ref(),
            )
        }
    }

    /// The key and value of full slot `i`, the value mutably.
    ///
    /// # Safety
    /// As for [`InlineBucket::slot`].
    #[inline(always)]
    unsafe fn slot_mut(&mut self, i: usize) -> (&K, &mut V) {
        debug_assert!(i < BUCKET_CNT && Self::DIRECT);
        // SAFETY: as in `slot`; the two fields are disjoint.
        unsafe {
            (
                self.keys.get_unchecked(i).assume_init_ref(),
                self.values.get_unchecked_mut(i).assume_init_mut(),
            )
        }
    }

    /// Writes `key` and `value` into empty slot `i` (the tophash is the
    /// caller's to set).
    ///
    /// # Safety
    /// `i < 8`, slot `i` is empty (`EMPTY_ONE` or `EMPTY_REST`) and the
    /// slots are direct (`DIRECT`).
    #[inline(always)]
    unsafe fn put(&mut self, i: usize, key: K, value: V) {
        debug_assert!(i < BUCKET_CNT && Self::DIRECT && self.tophash[i] <= EMPTY_ONE);
        // SAFETY: `i < 8` (the caller's promise); an empty slot's old
        // contents were moved or dropped, so nothing that still needs a
        // drop is overwritten.
        unsafe {
            self.keys.get_unchecked_mut(i).write(key);
            self.values.get_unchecked_mut(i).write(value);
        }
    }

    /// An empty bucket: all tophash bytes `EMPTY_REST`, no overflow. With
    /// indirect slots the layout's overflow pointer lies inside the key or
    /// value storage, so that storage is zeroed too.
    pub(crate) const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SAME_SHAPE;
        let l = LayoutOf::<K, V>::LAYOUT;
        let zero = l.indirect_key || l.indirect_value;
        InlineBucket {
            tophash: [EMPTY_REST; BUCKET_CNT],
            keys: if zero {
                [const { MaybeUninit::zeroed() }; BUCKET_CNT]
            } else {
                [const { MaybeUninit::uninit() }; BUCKET_CNT]
            },
            values: if zero {
                [const { MaybeUninit::zeroed() }; BUCKET_CNT]
            } else {
                [const { MaybeUninit::uninit() }; BUCKET_CNT]
            },
            overflow: ptr::null_mut(),
        }
    }

    /// Address for reading (views: nothing is written through it).
    #[inline(always)]
    fn ptr(&self) -> NonNull<u8> {
        NonNull::from(self).cast()
    }

    /// Address for writing (the header of an exclusively borrowed map).
    #[inline(always)]
    fn ptr_mut(&mut self) -> NonNull<u8> {
        NonNull::from(self).cast()
    }

    /// Makes the bucket empty again (its previous contents were moved out
    /// or belong to nobody).
    fn reset(&mut self) {
        // SAFETY: the storage holds a bucket of this layout (`FITS`).
        let b = unsafe { Bucket::<K, V>::from_raw(self.ptr_mut()) };
        b.set_tophash_bytes([EMPTY_REST; BUCKET_CNT]);
        // SAFETY: exclusive access (`&mut self`); unlinking links nothing.
        unsafe { b.set_overflow(None) };
    }
}

/// The hasher type of a view: a view never hashes (callers hash with the
/// map's own hasher), it only needs some `BuildHasher` for the shared code.
pub(crate) type ViewHasher = BuildHasherDefault<DefaultHasher>;

/// Hands a value obtained from a view out for the lifetime of the map.
///
/// # Safety
/// `T` and `U` are the same type up to lifetimes, and everything `t`
/// borrows lies in the inline bucket or in memory the map owns (never in
/// the view itself), with the map borrowed for all of `U`'s lifetimes.
#[inline(always)]
unsafe fn outlive_view<T, U>(t: T) -> U {
    debug_assert_eq!(size_of::<T>(), size_of::<U>());
    let t = ManuallyDrop::new(t);
    // SAFETY: same type up to lifetimes (the caller's promise), so the same
    // layout; `t` is forgotten, so ownership moves to the result.
    unsafe { core::mem::transmute_copy::<T, U>(&*t) }
}

/// The header and the inline bucket (`InlineGoMap`'s insides).
#[repr(C)]
pub(crate) struct InlineStorage<K, V, S> {
    /// Dropped by `InlineStorage`'s own `Drop`, which can skip it.
    map: ManuallyDrop<GoMap<K, V, S>>,
    bucket: InlineBucket<K, V>,
}

impl<K, V, S> Drop for InlineStorage<K, V, S> {
    fn drop(&mut self) {
        let l = LayoutOf::<K, V>::LAYOUT;
        // Inline with no cursor state (flags exactly INLINE) and nothing to
        // drop: the header owns no memory and there is no user code to run.
        if self.map.raw.flags == INLINE
            && !core::mem::needs_drop::<K>()
            && !core::mem::needs_drop::<V>()
            && !core::mem::needs_drop::<S>()
            && !l.indirect_key
            && !l.indirect_value
        {
            return;
        }
        // Point the header at the bucket where it is now; the header's own
        // drop then drops the entries in place and frees only heap memory.
        self.attach();
        // SAFETY: dropped exactly once, here; `self` is not used again.
        unsafe { ManuallyDrop::drop(&mut self.map) }
    }
}

impl<K, V, S> InlineStorage<K, V, S> {
    /// An empty inline map (no allocation).
    pub(crate) const fn with_hasher(hash0: S) -> Self {
        let mut map = GoMap::with_hasher(hash0);
        if InlineBucket::<K, V>::FITS {
            map.raw.flags = INLINE;
            // Re-derived before every use; only `is_some()` (capacity) reads
            // it as it is.
            map.raw.buckets = Some(NonNull::dangling());
        }
        InlineStorage {
            map: ManuallyDrop::new(map),
            bucket: InlineBucket::new(),
        }
    }

    /// A map that starts on the heap (a hint over 8, or a spilled clone).
    pub(crate) fn from_map(map: GoMap<K, V, S>) -> Self {
        InlineStorage {
            map: ManuallyDrop::new(map),
            bucket: InlineBucket::new(),
        }
    }

    #[inline(always)]
    pub(crate) fn is_inline(&self) -> bool {
        self.map.raw.flags & INLINE != 0
    }

    /// The header, for what reads no bucket (`len`, `capacity`, `hasher`)
    /// and for every read of a map that is not inline.
    #[inline(always)]
    pub(crate) fn map(&self) -> &GoMap<K, V, S> {
        &self.map
    }

    #[inline(always)]
    fn attach(&mut self) {
        if self.map.raw.flags & INLINE != 0 {
            self.map.raw.buckets = Some(self.bucket.ptr_mut());
        }
    }

    /// The map, with its header pointing at the inline bucket where it is
    /// now, for the ordinary `GoMap` code.
    #[inline(always)]
    pub(crate) fn map_mut(&mut self) -> &mut GoMap<K, V, S> {
        self.attach();
        &mut self.map
    }

    /// Whether the inline fast paths apply: the map is inline and its
    /// slots are direct. While inline the map is exactly one bucket, with
    /// no overflow and no growth under way, holding only full slots,
    /// `EMPTY_ONE` and `EMPTY_REST` (no evacuation marker), so reads and
    /// writes work on `self.bucket` itself: no header to point at it, no
    /// chain to walk.
    #[inline(always)]
    fn fast(&self) -> bool {
        InlineBucket::<K, V>::DIRECT && self.is_inline()
    }

    /// `insert`. While inline a new key goes into the first empty slot
    /// (Go's `mapassign` takes the first `isEmpty` slot of the chain) while
    /// fewer than 8 are full: Go's growth check cannot fire below the ninth
    /// key (`overLoadFactor(count + 1, 0)` needs `count + 1 > 8`). The
    /// ninth new key takes `GoMap`'s path: `hashGrow`.
    #[inline]
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V>
    where
        K: Eq + core::hash::Hash,
        S: core::hash::BuildHasher,
    {
        if !self.fast() {
            return self.insert_slow(key, value);
        }
        let hash = self.map.raw.hash(&key);
        let top = tophash(hash);
        let tops = self.bucket.tophash;
        let g = Group::load(tops);
        let mut m = g.match_byte(top);
        // The next candidate is taken only after a compare failed (see `find`).
        while let Some(i) = m.lowest() {
            // SAFETY: `i < 8`; a candidate's tophash is `top` or `top ^ 1`,
            // both >= 4, and an inline bucket holds no evacuation marker, so
            // the slot is full; the slots are direct (`fast`).
            let (k, v) = unsafe { self.bucket.slot_mut(i) };
            if *k == key {
                let old = core::mem::replace(v, value);
                // `old` is a named local: a panicking K::drop must not leak it.
                drop(key);
                return Some(old);
            }
            m.next();
        }
        // The tophash word is written back whole: the next operation's
        // 8-byte load is then forwarded from this store (a byte store
        // followed by a wider load stalls store forwarding).
        let word = u64::from_le_bytes(tops);
        let count = self.map.raw.count;
        debug_assert!(count <= BUCKET_CNT);
        // Tophash byte `count % 8`, read from the bucket (a byte load inside
        // the last 8-byte store still forwards, and costs no variable
        // shift); with a full bucket (`count == 8`) that is slot 0, full
        // then, so one compare also says "not full", with no count check.
        if self.bucket.tophash[count % BUCKET_CNT] == EMPTY_REST {
            // Slot `count` and all after it are empty (emptyRest), so the
            // `count` full slots fill 0..count: `count` is the first empty
            // slot, the one Go's `mapassign` takes.
            debug_assert!(count < BUCKET_CNT);
            // SAFETY: `count < 8` (slot 0 of a full bucket is not empty), an
            // empty slot; direct slots (`fast`).
            unsafe { self.bucket.put(count, key, value) };
            let shift = 8 * count;
            self.bucket.tophash = (word | u64::from(top) << shift).to_le_bytes();
            self.map.raw.count = count + 1;
            return None;
        }
        // A hole a removal left (emptyOne) lies below: the first one. None
        // in a full bucket.
        if let Some(i) = g.match_empty().lowest() {
            // SAFETY: `i < 8` is an empty slot of the word just read;
            // direct slots (`fast`).
            unsafe { self.bucket.put(i, key, value) };
            let shift = 8 * i;
            let word = (word & !(0xff << shift)) | u64::from(top) << shift;
            self.bucket.tophash = word.to_le_bytes();
            self.map.raw.count = count + 1;
            return None;
        }
        self.insert_full(hash, key, value)
    }

    /// A new key for a full inline bucket: Go's `hashGrow` from B = 0.
    #[cold]
    #[inline(never)]
    fn insert_full(&mut self, hash: u64, key: K, value: V) -> Option<V>
    where
        K: Eq + core::hash::Hash,
        S: core::hash::BuildHasher,
    {
        self.attach();
        self.map.raw.insert(hash, key, value)
    }

    /// `insert` off the fast path: a heap map, or an inline map with
    /// indirect slots (through the shared lookup and no-growth insert).
    #[inline]
    fn insert_slow(&mut self, key: K, value: V) -> Option<V>
    where
        K: Eq + core::hash::Hash,
        S: core::hash::BuildHasher,
    {
        if !self.is_inline() {
            return self.map.insert(key, value);
        }
        self.attach();
        let raw = &mut self.map.raw;
        let hash = raw.hash(&key);
        if let Some((b, i)) = raw.find(hash, |k| *k == key) {
            // SAFETY: a full slot, exclusively borrowed.
            let old = core::mem::replace(unsafe { &mut *b.value(i) }, value);
            // `old` is a named local: a panicking K::drop must not leak it.
            drop(key);
            return Some(old);
        }
        if raw.count < BUCKET_CNT {
            raw.insert_no_grow(hash, key, value);
            None
        } else {
            raw.insert(hash, key, value)
        }
    }

    /// A header for reading an inline map where it lies now. It owns
    /// nothing: it must never be dropped.
    #[inline(always)]
    fn view(&self) -> ManuallyDrop<RawTable<K, V, ViewHasher>> {
        debug_assert!(self.is_inline() && !self.map.raw.growing());
        let mut v = RawTable::new(ViewHasher::default());
        v.count = self.map.raw.count;
        v.flags = self.map.raw.flags;
        v.buckets = Some(self.bucket.ptr());
        ManuallyDrop::new(v)
    }

    /// Runs `f` on the table as it is now (a view while inline); for
    /// results that borrow nothing (stats, header, locations).
    pub(crate) fn read<R>(
        &self,
        inline: impl FnOnce(&RawTable<K, V, ViewHasher>) -> R,
        heap: impl FnOnce(&GoMap<K, V, S>) -> R,
    ) -> R {
        if self.is_inline() {
            inline(&self.view())
        } else {
            heap(&self.map)
        }
    }

    /// [`RawTable::heap_walk_from`] for the map as it is now: an inline
    /// bucket lies inside the root object (the `InlineGoMap` value), so it
    /// is part of the root, and what its slots point to hangs off the root.
    pub(crate) fn heap_walk_from(&self, out: &mut Vec<HeapObject>, root: usize) {
        if self.is_inline() {
            self.view().heap_walk_from(out, root)
        } else {
            self.map.raw.heap_walk_from(out, root)
        }
    }

    /// Finds the entry `eq` accepts; `hash` is the key's hash under the
    /// map's hasher.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(&K) -> bool) -> Option<(&K, &V)> {
        if self.fast() {
            let mut m = Group::load(self.bucket.tophash).match_byte(tophash(hash));
            // The next candidate is taken only after a compare failed, so a
            // hit (the usual first candidate) does not pay for it.
            while let Some(i) = m.lowest() {
                // SAFETY: as in `insert`: a candidate slot of an inline
                // bucket is full, `i < 8`, the slots are direct.
                let (k, v) = unsafe { self.bucket.slot(i) };
                if eq(k) {
                    return Some((k, v));
                }
                m.next();
            }
            return None;
        }
        self.find_slow(hash, eq)
    }

    /// `find` off the fast path: a heap map (`GoMap`'s lookup), or an
    /// inline map with indirect slots (through a view). Out of line, so
    /// the heap path's setup (bucket mask, growth state) does not weigh
    /// on the inline path's callers.
    #[inline(never)]
    fn find_slow(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&K, &V)> {
        if !self.is_inline() {
            return self.map.raw.get(hash, eq);
        }
        let (b, i) = self.view().find(hash, eq)?;
        // SAFETY: `find` returns a full slot of the inline bucket, which
        // `&self` keeps in place (and unchanged) for the returned lifetime.
        Some(unsafe { (&*b.key(i), &*b.value(i)) })
    }

    /// `find` for a mutable value (`get_mut`): the same inline fast path.
    #[inline]
    pub(crate) fn find_mut(&mut self, hash: u64, mut eq: impl FnMut(&K) -> bool) -> Option<&mut V> {
        if self.fast() {
            let mut m = Group::load(self.bucket.tophash).match_byte(tophash(hash));
            while let Some(i) = m.lowest() {
                // SAFETY: as in `find`.
                if eq(unsafe { self.bucket.slot(i) }.0) {
                    // SAFETY: as in `find`; `&mut self` makes it unique.
                    return Some(unsafe { self.bucket.slot_mut(i) }.1);
                }
                m.next();
            }
            return None;
        }
        self.find_mut_slow(hash, eq)
    }

    /// `find_mut` off the fast path, out of line as `find_slow`.
    #[inline(never)]
    fn find_mut_slow(&mut self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<&mut V> {
        self.map_mut().raw.get_mut(hash, eq).map(|(_, v)| v)
    }

    /// Storage-order walk (`iter()`).
    #[inline]
    pub(crate) fn iter(&self) -> RefIter<'_, K, V> {
        if !self.is_inline() {
            return RefIter::new(&self.map.raw);
        }
        let view = self.view();
        let it = RefIter::new(&*view);
        // SAFETY: a `RefIter` holds a raw walk over bucket memory (here the
        // inline bucket), not a borrow of the header it was made from.
        unsafe { outlive_view::<RefIter<'_, K, V>, RefIter<'_, K, V>>(it) }
    }

    /// Go's randomized walk (`iter_randomized()`).
    pub(crate) fn iter_randomized(&self) -> RandIter<'_, K, V, S> {
        if !self.is_inline() {
            return RandIter::new(&self.map.raw);
        }
        // The walk's start and array come from the view; while stepping it
        // reads only the header's growth state (none while inline) and
        // hasher, which the real header has right.
        let hiter = Hiter::new(&*self.view(), super::rand::fastrand());
        RandIter::from_parts(&self.map.raw, hiter)
    }

    /// `shrink_to(min_capacity)`: with at most 8 entries and a request of at
    /// most 8, back into the inline bucket; otherwise `GoMap`'s.
    pub(crate) fn shrink_to(&mut self, min_capacity: usize)
    where
        K: Eq + core::hash::Hash,
        S: core::hash::BuildHasher,
    {
        if InlineBucket::<K, V>::FITS
            && self.map.raw.count <= BUCKET_CNT
            && min_capacity <= BUCKET_CNT
        {
            if !self.is_inline() {
                self.move_inline();
            }
        } else {
            self.map_mut().shrink_to(min_capacity);
        }
    }

    /// Moves every entry (at most 8) of a heap map into the inline bucket
    /// and frees all heap memory. B = 0 needs no hashing (every key belongs
    /// to bucket 0) and each entry keeps its tophash byte, so no user code
    /// runs and nothing can panic half-way.
    #[cold]
    #[inline(never)]
    fn move_inline(&mut self) {
        debug_assert!(!self.is_inline() && self.map.raw.count <= BUCKET_CNT);
        self.bucket.reset();
        // SAFETY: the storage holds an empty bucket of this layout (`FITS`,
        // just reset), exclusively borrowed.
        let dst = unsafe { Bucket::<K, V>::from_raw(self.bucket.ptr_mut()) };
        let mut heap = self.map.raw.take_storage();
        let mut it = heap.raw_iter();
        let mut j = 0;
        while let Some((b, i)) = it.next() {
            // SAFETY: a full slot (`i < 8`) moves to an empty inline slot
            // (`j < 8`: there are at most 8 entries), both exclusively ours;
            // the source is marked empty right after, so exactly one slot
            // owns the entry.
            unsafe {
                let top = b.top(i);
                b.move_to(i, dst, j);
                dst.set_top(j, top);
                b.set_top(i, EMPTY_ONE);
            }
            heap.count -= 1;
            j += 1;
        }
        // No entries left in it: dropping it frees every array, overflow
        // bucket and cursor record, and drops nothing.
        drop(heap);
        let bucket = self.bucket.ptr_mut();
        let raw = &mut self.map.raw;
        raw.count = j;
        raw.b = 0;
        raw.flags = INLINE;
        raw.buckets = Some(bucket);
    }

    /// A copy of an inline map, inline too, with the same slots. Each key is
    /// hashed again with the cloned hasher (a clone need not hash alike); at
    /// B = 0 only its tophash byte depends on it. A panicking `clone` or
    /// `Hash` leaves a partial copy that drops what it holds.
    pub(crate) fn clone_inline(&self) -> Self
    where
        K: Clone + core::hash::Hash,
        V: Clone,
        S: Clone + core::hash::BuildHasher,
    {
        debug_assert!(self.is_inline());
        let mut new = InlineStorage::with_hasher(self.map.raw.hash0.clone());
        // SAFETY: both storages hold buckets of this layout (`FITS`, since
        // `self` is inline); `src` is only read, `dst` is `new`'s own.
        let (src, dst) = unsafe {
            (
                Bucket::<K, V>::from_raw(self.bucket.ptr()),
                Bucket::<K, V>::from_raw(new.bucket.ptr_mut()),
            )
        };
        let tops = src.tophash_bytes();
        for (i, &top) in tops.iter().enumerate() {
            if top < MIN_TOP_HASH {
                // SAFETY: `i < 8`; `new` is ours alone.
                unsafe { dst.set_top(i, top) };
            }
        }
        for (i, &top) in tops.iter().enumerate() {
            if top >= MIN_TOP_HASH {
                // SAFETY: a full slot of `self`, borrowed shared.
                let (k, v) = unsafe { ((*src.key(i)).clone(), (*src.value(i)).clone()) };
                let top = tophash(new.map.raw.hash(&k));
                // SAFETY: the same slot (`i < 8`) of `new` is empty, and
                // `new` is ours alone.
                unsafe {
                    dst.write(i, k, v);
                    dst.set_top(i, top);
                }
                new.map.raw.count += 1;
            }
        }
        new
    }

    /// The `GoMap` holding the same entries: an inline map's bucket is
    /// copied into one heap bucket (its B = 0 array), a heap map's header is
    /// moved as it is.
    pub(crate) fn into_map(self) -> GoMap<K, V, S> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the header moves
        // out exactly once; the bucket storage has no drop of its own.
        let mut map = ManuallyDrop::into_inner(unsafe { ptr::read(&this.map) });
        if map.raw.flags & INLINE != 0 {
            let array = map.raw.new_array(0).unwrap_or_else(|e| e.fail());
            let size = LayoutOf::<K, V>::LAYOUT.bucket_size;
            // SAFETY: `FITS` puts a whole bucket at the start of the storage;
            // the new array is one bucket of the same layout. The entries'
            // bytes move; the inline copies are never used again.
            unsafe {
                ptr::copy_nonoverlapping(this.bucket.ptr_mut().as_ptr(), array.ptr.as_ptr(), size)
            };
            map.raw.flags &= !INLINE;
            map.raw.install_array(0, array);
        }
        map
    }
}

impl<K, V, S> InlineStorage<K, V, S> {
    /// The entries by value (`into_iter`): an inline map's bucket moves into
    /// the iterator (no allocation), a heap map's storage as for `GoMap`.
    pub(crate) fn into_entries(self) -> IntoEntries<K, V> {
        if !self.is_inline() {
            let this = ManuallyDrop::new(self);
            // SAFETY: `this` is never used or dropped again, so the header
            // moves out exactly once; the bucket storage has no drop of its own.
            let mut map = ManuallyDrop::into_inner(unsafe { ptr::read(&this.map) });
            return IntoEntries::Table(OwnedIter::new(&mut map.raw));
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: as above; the bucket's bytes (its entries) move into the
        // iterator, and the header, emptied below, is dropped on its own.
        let (mut map, bucket) = unsafe {
            (
                ManuallyDrop::into_inner(ptr::read(&this.map)),
                ptr::read(&this.bucket),
            )
        };
        let remaining = map.raw.count;
        // The header no longer holds entries or a bucket: its drop only
        // drops the hasher (and a leaked cursor's records, if any).
        map.raw.count = 0;
        map.raw.buckets = None;
        map.raw.flags &= !INLINE;
        drop(map);
        IntoEntries::Inline(InlineEntries {
            bucket,
            next: 0,
            remaining,
        })
    }
}

/// An inline map's bucket, owned by its `into_iter`.
pub(crate) struct InlineEntries<K, V> {
    bucket: InlineBucket<K, V>,
    /// Next slot to look at.
    next: usize,
    remaining: usize,
}

impl<K, V> Iterator for InlineEntries<K, V> {
    type Item = (K, V);
    fn next(&mut self) -> Option<(K, V)> {
        // Re-derived on every call: the iterator may have moved.
        // SAFETY: the storage holds a bucket of this layout (the map it came
        // from was inline, so `FITS`).
        let b = unsafe { Bucket::<K, V>::from_raw(self.bucket.ptr_mut()) };
        while self.next < BUCKET_CNT {
            let i = self.next;
            self.next += 1;
            // SAFETY: `i < 8`; the bucket is owned by the iterator.
            if unsafe { b.top(i) } >= MIN_TOP_HASH {
                self.remaining -= 1;
                // SAFETY: a full slot, marked empty first (if a later drop
                // panics, `Drop` skips it); its entry moves out once.
                return Some(unsafe {
                    b.set_top(i, EMPTY_ONE);
                    b.take(i)
                });
            }
        }
        None
    }
}

impl<K, V> Drop for InlineEntries<K, V> {
    fn drop(&mut self) {
        struct Continue<'a, K, V>(&'a mut InlineEntries<K, V>);
        impl<K, V> Drop for Continue<'_, K, V> {
            fn drop(&mut self) {
                // Only reached while unwinding from a panicking drop.
                self.0.for_each(drop);
            }
        }
        let guard = Continue(self);
        guard.0.for_each(drop);
        core::mem::forget(guard);
    }
}

/// What `IntoIter` walks: a table's storage, or an inline bucket.
pub(crate) enum IntoEntries<K, V> {
    Table(OwnedIter<K, V>),
    Inline(InlineEntries<K, V>),
}

impl<K, V> IntoEntries<K, V> {
    pub(crate) fn len(&self) -> usize {
        match self {
            IntoEntries::Table(t) => t.len(),
            IntoEntries::Inline(i) => i.remaining,
        }
    }
}

impl<K, V> Iterator for IntoEntries<K, V> {
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        match self {
            IntoEntries::Table(t) => t.next(),
            IntoEntries::Inline(i) => i.next(),
        }
    }
}

impl<K, V, S> RawTable<K, V, S> {
    /// Undoes the start of a spill whose evacuation a panicking `Hash`
    /// interrupted (called by the evacuation's undo guard after it restored
    /// the inline bucket): the new array is empty again, so it is freed and
    /// the inline bucket is the current array once more, as before the insert.
    #[cold]
    #[inline(never)]
    pub(crate) fn undo_inline_spill(&mut self) {
        debug_assert!(self.flags & INLINE != 0 && self.growing() && self.b == 1);
        if let Some(new) = self.buckets.take() {
            // SAFETY: the 2-bucket array `hash_grow` just allocated; its two
            // chains were emptied by the undo guard and, holding at most 8
            // entries each, never had an overflow bucket.
            unsafe { alloc::free_array::<K, V>(new, self.b) };
        }
        self.buckets = self.oldbuckets.take();
        self.b = 0;
        self.nevacuate = 0;
        self.noverflow = 0;
        // No pool at B = 0: a box (if a cursor made one) says so too.
        let (next_overflow, overflow_end) = self.fresh_pool();
        if let Some(e) = self.extra.as_deref_mut() {
            e.next_overflow = next_overflow;
            e.overflow_end = overflow_end;
        }
        self.sync_pending();
        // Back at B = 0 and not growing: the cached trigger must say so.
        self.refresh_grow_at();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BucketLayout;

    fn check<K, V>() {
        let l = BucketLayout::of::<K, V>();
        type B<K, V> = InlineBucket<K, V>;
        assert!(B::<K, V>::FITS || l.indirect_key || l.indirect_value);
        if !l.indirect_key && !l.indirect_value {
            assert_eq!(size_of::<B<K, V>>(), l.bucket_size);
            assert_eq!(align_of::<B<K, V>>(), l.bucket_align);
            assert_eq!(core::mem::offset_of!(B<K, V>, keys), l.keys_offset);
            assert_eq!(core::mem::offset_of!(B<K, V>, values), l.values_offset);
            assert_eq!(core::mem::offset_of!(B<K, V>, overflow), l.overflow_offset);
        } else if B::<K, V>::FITS {
            assert!(size_of::<B<K, V>>() >= l.bucket_size);
        }
    }

    #[test]
    fn storage_matches_bucket_layout() {
        check::<u64, u64>();
        check::<u8, u64>();
        check::<u64, u8>();
        check::<u32, u8>();
        check::<u16, u8>();
        check::<u8, u8>();
        check::<u128, u8>();
        check::<(), ()>();
        check::<(), u64>();
        check::<u64, ()>();
        check::<String, Vec<u8>>();
        check::<&'static str, usize>();
        check::<[u8; 128], [u8; 128]>();
        check::<[u8; 129], u64>();
        check::<u16, [u64; 20]>();
        check::<[u128; 10], u8>();
        check::<u16, [u128; 10]>();
        check::<(u8, u32, u16), [u16; 3]>();
    }

    #[test]
    fn over_aligned_large_slots_stay_off_the_stack() {
        // A typed move need not keep padding bytes; the layout's pointer
        // slots would fall in the storage's padding here.
        let fits = [
            InlineBucket::<[u128; 10], u8>::FITS,
            InlineBucket::<u16, [u128; 10]>::FITS,
            InlineBucket::<[u8; 200], [u64; 30]>::FITS,
        ];
        assert_eq!(fits, [false, false, true]);
    }
}
