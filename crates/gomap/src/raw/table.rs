//! The map header (Go's `hmap`) and everything that reads or changes the
//! bucket arrays: lookup, assign, delete, grow, evacuate, clear, resize.
//!
//! Invariants relied on throughout (the prose is in the crate docs):
//! - `buckets` is `None` only while `count == 0` and nothing was allocated.
//! - While `oldbuckets` is `Some`, every old bucket below `nevacuate` is
//!   evacuated, and an old bucket is either wholly evacuated (every slot
//!   holds a marker 2..=4) or not at all (Go: "each bucket has either all or
//!   none of its entries in the evacuated states").
//! - A new bucket receives entries only from its own old bucket, and only
//!   after that old bucket is evacuated: inserts evacuate the key's old
//!   bucket first. So evacuation always writes into empty destination chains.
//! - Every full slot owns its entry exactly once; evacuation copies bytes and
//!   then marks the source, so at no point do two full slots own one entry.

use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;
use core::ptr::NonNull;

use super::alloc::{self, bucket_shift, prealloc_overflow, TryReserveError};
use super::bucket::Bucket;
use super::iter::{IterTrack, RawIter};
use super::layout::BUCKET_CNT;
use super::os;
use super::rand::fastrand;
use super::tophash::*;

/// Set while a cursor may be walking the arrays (Go's `iterator`).
pub(crate) const ITERATOR: u8 = 1;
/// Set while a cursor may be walking the old array (Go's `oldIterator`).
pub(crate) const OLD_ITERATOR: u8 = 2;
/// The growth in progress keeps `B` (Go's `sameSizeGrow`).
pub(crate) const SAME_SIZE_GROW: u8 = 8;

/// Load factor 13/2 = 6.5 entries per bucket (Go's `loadFactorNum/Den`).
pub(crate) const LOAD_FACTOR_NUM: usize = 13;
pub(crate) const LOAD_FACTOR_DEN: usize = 2;
/// `nevacuate` skips at most this many already-evacuated buckets per step,
/// bounding the work of one write.
const EVACUATE_SCAN_LIMIT: usize = 1024;

/// Go's `overLoadFactor`: would `count` entries in `2^b` buckets exceed 6.5 a bucket?
#[inline]
pub(crate) fn over_load_factor(count: usize, b: u8) -> bool {
    count > BUCKET_CNT
        && match bucket_shift(b) {
            Some(n) => {
                (count as u128) > (LOAD_FACTOR_NUM as u128) * ((n / LOAD_FACTOR_DEN) as u128)
            }
            None => false,
        }
}

/// Go's `tooManyOverflowBuckets`: about as many overflow buckets as buckets.
#[inline]
pub(crate) fn too_many_overflow_buckets(noverflow: u16, b: u8) -> bool {
    let b = b.min(15);
    noverflow >= (1u16 << b)
}

/// Go's `makemap` choice of `B` for a size hint: the smallest `B` that holds
/// `hint` entries without exceeding the load factor.
pub(crate) fn b_for_hint<K, V>(hint: usize) -> Result<u8, TryReserveError> {
    let mut b = 0u8;
    while over_load_factor(hint, b) {
        b += 1;
    }
    // Reject sizes whose array cannot be described, before anyone allocates.
    alloc::array_layout::<K, V>(b).map(|_| b)
}

/// The largest count `2^b` buckets hold without exceeding the load factor.
pub(crate) fn capacity_for(b: u8) -> usize {
    if b == 0 {
        BUCKET_CNT
    } else {
        LOAD_FACTOR_NUM * ((1usize << b) / LOAD_FACTOR_DEN)
    }
}

/// Overflow bookkeeping (Go's `mapextra`), kept inline in the header.
pub(crate) struct Extra {
    /// Next free pre-allocated overflow bucket of the current array.
    pub(crate) next_overflow: *mut u8,
    /// End of the current array's allocation (end of the pre-allocated pool).
    pub(crate) overflow_end: *mut u8,
    /// Overflow buckets allocated on their own, in both arrays (for `heap_bytes`).
    pub(crate) heap_overflow: usize,
    /// State of a live cursor: forwarding of moved entries, retained arrays.
    pub(crate) iter: Option<Box<IterTrack>>,
    /// Bytes at the start of the old array already handed back to the OS
    /// (all below `nevacuate`; see `os.rs`).
    pub(crate) old_released: usize,
    /// A fully evacuated large old array whose pages are handed back a chunk
    /// per write before it is freed, so no single write pays for unmapping
    /// it: (array, its B, bytes released so far).
    pub(crate) retire: Option<(NonNull<u8>, u8, usize)>,
    /// Writes (inserts, updates, removes) since the growth in progress
    /// started, for the `evacuation_done` event. Only with `tracing`, so the
    /// header and the write path are unchanged without it.
    #[cfg(feature = "tracing")]
    pub(crate) grow_writes: usize,
}

/// The map header. `#[repr(C)]` keeps Go's field order so the layout report
/// reads like Go's `hmap`.
#[repr(C)]
pub struct RawTable<K, V, S> {
    /// Live entries (Go's `count`; must stay first, as in Go, for `len()`).
    pub(crate) count: usize,
    /// `ITERATOR`, `OLD_ITERATOR`, `SAME_SIZE_GROW`.
    pub(crate) flags: u8,
    /// log2 of the number of head buckets.
    pub(crate) b: u8,
    /// Approximate number of overflow buckets (exact below B = 16).
    pub(crate) noverflow: u16,
    /// The per-map hash seed: the `BuildHasher` (Go's `hash0`).
    pub(crate) hash0: S,
    /// `2^B` head buckets, then `2^(B-4)` pre-allocated overflow buckets.
    pub(crate) buckets: Option<NonNull<u8>>,
    /// The previous array, half the size (or equal for same-size growth),
    /// while it is being evacuated.
    pub(crate) oldbuckets: Option<NonNull<u8>>,
    /// Old buckets below this index are evacuated.
    pub(crate) nevacuate: usize,
    pub(crate) extra: Extra,
    marker: PhantomData<(K, V)>,
}

// SAFETY: the table owns its entries (K, V) and hasher S like a Box would;
// the raw pointers are to memory it owns exclusively. Sending it sends them.
unsafe impl<K: Send, V: Send, S: Send> Send for RawTable<K, V, S> {}
// SAFETY: shared access only reads (lookups and iteration never write, and
// the per-call randomness of `iter_randomized` is thread-local).
unsafe impl<K: Sync, V: Sync, S: Sync> Sync for RawTable<K, V, S> {}

/// Where a new entry goes: the first free slot seen on the chain, or a new
/// overflow bucket after `last`.
#[derive(Clone, Copy)]
pub(crate) struct InsertSlot<K, V> {
    pub(crate) free: Option<(Bucket<K, V>, usize)>,
    pub(crate) last: Bucket<K, V>,
}

impl<K, V, S> RawTable<K, V, S> {
    pub(crate) const fn new(hash0: S) -> Self {
        RawTable {
            count: 0,
            flags: 0,
            b: 0,
            noverflow: 0,
            hash0,
            buckets: None,
            oldbuckets: None,
            nevacuate: 0,
            extra: Extra {
                next_overflow: core::ptr::null_mut(),
                overflow_end: core::ptr::null_mut(),
                heap_overflow: 0,
                iter: None,
                old_released: 0,
                retire: None,
                #[cfg(feature = "tracing")]
                grow_writes: 0,
            },
            marker: PhantomData,
        }
    }

    /// Go's `makemap`: `B` from the hint; the array is allocated only for `B > 0`.
    pub(crate) fn with_capacity(hash0: S, hint: usize) -> Result<Self, TryReserveError> {
        let mut t = RawTable::new(hash0);
        let b = b_for_hint::<K, V>(hint)?;
        if b > 0 {
            t.install_array(b, alloc::alloc_array::<K, V>(b)?);
        }
        Ok(t)
    }

    fn install_array(&mut self, b: u8, a: alloc::Array) {
        self.b = b;
        self.buckets = Some(a.ptr);
        self.extra.next_overflow = if a.pool == a.end {
            core::ptr::null_mut()
        } else {
            a.pool
        };
        self.extra.overflow_end = a.end;
    }

    #[inline]
    pub(crate) fn growing(&self) -> bool {
        self.oldbuckets.is_some()
    }

    #[inline]
    pub(crate) fn same_size_grow(&self) -> bool {
        self.flags & SAME_SIZE_GROW != 0
    }

    /// Number of old buckets (Go's `noldbuckets`).
    #[inline]
    pub(crate) fn noldbuckets(&self) -> usize {
        let mut ob = self.b;
        if !self.same_size_grow() {
            ob -= 1;
        }
        1usize << ob
    }

    /// Is old bucket `i` evacuated? Buckets below `nevacuate` are, and
    /// their memory may have been handed back to the OS, so they are not read.
    ///
    /// # Safety
    /// A growth is in progress and `i` is below the old head count.
    #[inline]
    pub(crate) unsafe fn old_evacuated(&self, i: usize) -> bool {
        if i < self.nevacuate {
            return true;
        }
        // SAFETY: the caller's promise: the old array exists and holds `i`.
        let b = unsafe { Bucket::<K, V>::at(self.oldbuckets.unwrap_unchecked(), i) };
        is_evacuated(b.top(0))
    }

    /// `B` of the old array.
    #[inline]
    pub(crate) fn old_b(&self) -> u8 {
        if self.same_size_grow() {
            self.b
        } else {
            self.b - 1
        }
    }

    #[inline]
    pub(crate) fn bucket_mask(&self) -> usize {
        (1usize << self.b) - 1
    }

    pub(crate) fn capacity(&self) -> usize {
        if self.buckets.is_none() {
            0
        } else {
            capacity_for(self.b)
        }
    }

    /// The bucket whose chain holds `hash` for readers: the old bucket while
    /// it is not evacuated, else the new one (Go's `mapaccess` prologue).
    #[inline(always)]
    pub(crate) fn read_bucket(&self, hash: u64) -> Option<Bucket<K, V>> {
        let buckets = self.buckets?;
        let m = self.bucket_mask();
        // SAFETY: `hash & m < 2^B`, the number of head buckets in `buckets`.
        let mut b = unsafe { Bucket::at(buckets, hash as usize & m) };
        if let Some(old) = self.oldbuckets {
            let om = if self.same_size_grow() { m } else { m >> 1 };
            let oi = hash as usize & om;
            // SAFETY: `oi` is below the old array's head count.
            let oldb = unsafe { Bucket::at(old, oi) };
            // Below `nevacuate` the bucket is evacuated and its page may have
            // been handed back to the OS: do not read it.
            if oi >= self.nevacuate && !is_evacuated(oldb.top(0)) {
                b = oldb;
            }
        }
        Some(b)
    }

    /// Finds the slot whose key satisfies `eq`. Never moves anything.
    #[inline]
    pub(crate) fn find(
        &self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
    ) -> Option<(Bucket<K, V>, usize)> {
        let mut b = self.read_bucket(hash)?;
        let top = tophash(hash);
        loop {
            let g = b.group();
            for i in g.match_byte(top) {
                // SAFETY: a slot whose tophash is >= MIN_TOP_HASH is full.
                if eq(unsafe { &*b.key(i) }) {
                    return Some((b, i));
                }
            }
            if g.any_empty_rest() {
                return None;
            }
            b = b.overflow()?;
        }
    }

    /// Walks from `head` looking for the key and, on the way, the first free slot.
    #[inline]
    fn search_chain(
        head: Bucket<K, V>,
        top: u8,
        mut eq: impl FnMut(&K) -> bool,
    ) -> Result<(Bucket<K, V>, usize), InsertSlot<K, V>> {
        let mut b = head;
        let mut free = None;
        loop {
            let g = b.group();
            for i in g.match_byte(top) {
                // SAFETY: matched slots are full.
                if eq(unsafe { &*b.key(i) }) {
                    return Ok((b, i));
                }
            }
            if free.is_none() {
                free = g.match_empty().lowest().map(|i| (b, i));
            }
            if g.any_empty_rest() {
                return Err(InsertSlot { free, last: b });
            }
            match b.overflow() {
                Some(next) => b = next,
                None => return Err(InsertSlot { free, last: b }),
            }
        }
    }

    /// Go's `newoverflow`: a pre-allocated bucket while the pool lasts, else
    /// a fresh allocation; linked after `b`.
    #[cold]
    #[inline(never)]
    fn new_overflow(&mut self, b: Bucket<K, V>) -> Bucket<K, V> {
        let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
        let ovf = if !self.extra.next_overflow.is_null() {
            let p = self.extra.next_overflow;
            // SAFETY: `p` is a pool bucket inside the live current array.
            let next = unsafe { p.add(bsize) };
            self.extra.next_overflow = if next == self.extra.overflow_end {
                core::ptr::null_mut()
            } else {
                next
            };
            // SAFETY: pool buckets are zeroed at allocation (and by `clear`),
            // and each is handed out once.
            unsafe { Bucket::from_raw(NonNull::new_unchecked(p)) }
        } else {
            self.extra.heap_overflow += 1;
            alloc::alloc_bucket::<K, V>()
        };
        self.incr_noverflow();
        b.set_overflow(Some(ovf));
        ovf
    }

    /// Go's `incrnoverflow`: exact below B = 16, then sampled 1 in 2^(B-15)
    /// so the counter reaches 2^15 at about as many overflow buckets as buckets.
    fn incr_noverflow(&mut self) {
        if self.b < 16 {
            self.noverflow = self.noverflow.wrapping_add(1);
            return;
        }
        let mask = (1u64 << (self.b - 15)) - 1;
        if fastrand() & mask == 0 {
            self.noverflow = self.noverflow.wrapping_add(1);
        }
    }

    /// Is `b` inside the allocation of the array `array` (head or pool bucket)?
    fn in_array(b: Bucket<K, V>, array: NonNull<u8>, array_b: u8) -> bool {
        let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
        let start = array.as_ptr() as usize;
        let len = ((1usize << array_b) + prealloc_overflow(array_b)) * bsize;
        (start..start + len).contains(&b.addr())
    }

    /// Frees the separately allocated overflow buckets of one chain and
    /// unlinks them from the head. Entries are not dropped.
    pub(crate) fn free_chain(&mut self, head: Bucket<K, V>, array: NonNull<u8>, array_b: u8) {
        let mut next = head.overflow();
        if next.is_none() {
            // Nothing to unlink; do not write (the head's page may have been
            // handed back to the OS, and writing would fault it back in).
            return;
        }
        head.set_overflow(None);
        while let Some(b) = next {
            next = b.overflow();
            if !Self::in_array(b, array, array_b) {
                // SAFETY: an overflow bucket outside its array's allocation
                // came from `alloc_bucket`, and this chain was its only link.
                unsafe { alloc::free_bucket(b) };
                self.extra.heap_overflow -= 1;
            }
        }
    }

    /// Frees a whole array and its chains' own allocations (no drops).
    fn free_array_and_chains(&mut self, array: NonNull<u8>, array_b: u8) {
        if self.extra.heap_overflow > 0 {
            for i in 0..1usize << array_b {
                // SAFETY: `i` is below the array's head count.
                let head = unsafe { Bucket::at(array, i) };
                self.free_chain(head, array, array_b);
            }
        }
        // SAFETY: the array came from `alloc_array(array_b)`; nothing refers to it now.
        unsafe { alloc::free_array::<K, V>(array, array_b) };
    }

    /// Takes the entry out of slot `i` of `b` (in the chain starting at
    /// `head`) and keeps the emptyRest markers right (Go's `mapdelete` tail).
    ///
    /// # Safety
    /// Slot `i` of `b` is full and `b` is on `head`'s chain.
    pub(crate) unsafe fn take_at(
        &mut self,
        head: Bucket<K, V>,
        b: Bucket<K, V>,
        i: usize,
    ) -> (K, V) {
        // SAFETY: the caller guarantees the slot is full; it is marked empty
        // right below, before any user code can run.
        let entry = unsafe { b.take(i) };
        self.mark_empty(head, b, i);
        self.count -= 1;
        if let Some(track) = self.extra.iter.as_deref_mut() {
            track.on_remove(b, i);
        }
        entry
    }

    /// Marks slot `i` empty; if nothing full follows it in the chain, turns
    /// it and the empty slots before it into `EMPTY_REST` so lookups stop early.
    fn mark_empty(&mut self, head: Bucket<K, V>, mut b: Bucket<K, V>, mut i: usize) {
        b.set_top(i, EMPTY_ONE);
        let next_is_rest = if i == BUCKET_CNT - 1 {
            b.overflow().is_none_or(|n| n.top(0) == EMPTY_REST)
        } else {
            b.top(i + 1) == EMPTY_REST
        };
        if !next_is_rest {
            return;
        }
        loop {
            b.set_top(i, EMPTY_REST);
            if i == 0 {
                if b == head {
                    break;
                }
                // Find the previous bucket and continue at its last slot.
                let c = b;
                b = head;
                while b.overflow() != Some(c) {
                    b = b.overflow().expect("bucket is on its head's chain");
                }
                i = BUCKET_CNT - 1;
            } else {
                i -= 1;
            }
            if b.top(i) != EMPTY_ONE {
                break;
            }
        }
    }

    /// Walks every entry: old buckets not yet evacuated, then the current array.
    pub(crate) fn raw_iter(&self) -> RawIter<K, V> {
        RawIter::new(self)
    }

    /// Drops every entry, in place. If a `Drop` panics, the remaining
    /// entries are still dropped (a second panic aborts, as in std).
    fn drop_entries(&mut self) {
        let l = Bucket::<K, V>::LAYOUT;
        // Indirect slots own a heap box even when K and V have no drop glue.
        if !core::mem::needs_drop::<K>()
            && !core::mem::needs_drop::<V>()
            && !l.indirect_key
            && !l.indirect_value
        {
            self.count = 0;
            return;
        }
        struct Continue<'a, K, V, S>(&'a mut RawTable<K, V, S>);
        impl<K, V, S> Drop for Continue<'_, K, V, S> {
            fn drop(&mut self) {
                // Only reached by unwinding: finish the job.
                self.0.drop_entries_once();
            }
        }
        let guard = Continue(self);
        guard.0.drop_entries_once();
        core::mem::forget(guard);
    }

    fn drop_entries_once(&mut self) {
        let mut it = self.raw_iter();
        while let Some((b, i)) = it.next() {
            // Mark first, so a re-run after a panic skips this slot.
            b.set_top(i, EMPTY_ONE);
            self.count -= 1;
            // SAFETY: the slot was full; it is now marked empty and dropped once.
            unsafe { b.drop_entry(i) };
        }
    }

    /// Releases the old array and any cursor-retained arrays (no drops: the
    /// caller has dropped or moved every entry).
    fn release_old(&mut self) {
        if let Some(old) = self.oldbuckets.take() {
            let ob = self.old_b();
            self.free_array_and_chains(old, ob);
        }
        self.extra.old_released = 0;
        self.free_retired();
        self.flags &= !(SAME_SIZE_GROW | OLD_ITERATOR);
        self.nevacuate = 0;
        self.release_retained();
    }

    /// Frees a retired old array now (see `retire_step`).
    pub(crate) fn free_retired(&mut self) {
        if let Some((array, b, _)) = self.extra.retire.take() {
            // SAFETY: the array came from `alloc_array(b)`; its chains were
            // freed as its buckets were evacuated and nothing refers to it.
            unsafe { alloc::free_array::<K, V>(array, b) };
        }
    }

    /// Frees arrays a cursor kept alive, and forgets the cursor's tracking.
    pub(crate) fn release_retained(&mut self) {
        if let Some(track) = self.extra.iter.take() {
            for &(array, b) in &track.retained {
                self.free_array_and_chains(array, b);
            }
        }
        self.flags &= !(ITERATOR | OLD_ITERATOR);
    }

    /// Go's `mapclear` after the entries are gone: keep the current array,
    /// zeroed; free its separate overflow buckets and the old array.
    fn reset_keep_array(&mut self) {
        self.release_old();
        if let Some(buckets) = self.buckets {
            let b = self.b;
            if self.extra.heap_overflow > 0 {
                for i in 0..1usize << b {
                    // SAFETY: `i` is below the head count.
                    let head = unsafe { Bucket::at(buckets, i) };
                    self.free_chain(head, buckets, b);
                }
            }
            let size = alloc::array_layout::<K, V>(b)
                .expect("valid when allocated")
                .size();
            // SAFETY: the whole allocation is ours and holds no entries now;
            // all-zero is the empty state of every bucket, pool included.
            unsafe { core::ptr::write_bytes(buckets.as_ptr(), 0, size) };
            let pool_start = buckets
                .as_ptr()
                .wrapping_add((1usize << b) * Bucket::<K, V>::LAYOUT.bucket_size);
            self.extra.next_overflow = if pool_start == self.extra.overflow_end {
                core::ptr::null_mut()
            } else {
                pool_start
            };
        }
        self.count = 0;
        self.noverflow = 0;
    }

    /// Removes every entry, keeping the bucket array (Go's `mapclear`).
    pub(crate) fn clear(&mut self) {
        struct Reset<'a, K, V, S>(&'a mut RawTable<K, V, S>);
        impl<K, V, S> Drop for Reset<'_, K, V, S> {
            fn drop(&mut self) {
                self.0.reset_keep_array();
            }
        }
        let guard = Reset(self);
        guard.0.drop_entries();
    }

    /// Frees everything and returns to the state of `new()` (no drops).
    fn free_all_no_drop(&mut self) {
        self.release_old();
        if let Some(buckets) = self.buckets.take() {
            let b = self.b;
            self.free_array_and_chains(buckets, b);
        }
        self.b = 0;
        self.noverflow = 0;
        self.count = 0;
        self.extra.next_overflow = core::ptr::null_mut();
        self.extra.overflow_end = core::ptr::null_mut();
        debug_assert_eq!(self.extra.heap_overflow, 0);
    }

    /// Moves every entry out of `self` into a new value with the same
    /// storage, leaving `self` empty with no allocation (hasher kept).
    pub(crate) fn take_storage(&mut self) -> RawTable<K, V, ()> {
        let t = RawTable {
            count: self.count,
            flags: self.flags,
            b: self.b,
            noverflow: self.noverflow,
            hash0: (),
            buckets: self.buckets.take(),
            oldbuckets: self.oldbuckets.take(),
            nevacuate: self.nevacuate,
            extra: Extra {
                next_overflow: core::mem::replace(
                    &mut self.extra.next_overflow,
                    core::ptr::null_mut(),
                ),
                overflow_end: core::mem::replace(
                    &mut self.extra.overflow_end,
                    core::ptr::null_mut(),
                ),
                heap_overflow: core::mem::take(&mut self.extra.heap_overflow),
                iter: self.extra.iter.take(),
                old_released: core::mem::take(&mut self.extra.old_released),
                retire: self.extra.retire.take(),
                #[cfg(feature = "tracing")]
                grow_writes: 0,
            },
            marker: PhantomData,
        };
        self.count = 0;
        self.flags = 0;
        self.b = 0;
        self.noverflow = 0;
        self.nevacuate = 0;
        t
    }

    /// Puts storage taken by `take_storage` back (after emptying it).
    pub(crate) fn restore_storage(&mut self, mut s: RawTable<K, V, ()>) {
        debug_assert!(self.buckets.is_none() && self.count == 0);
        self.count = core::mem::take(&mut s.count);
        self.flags = s.flags;
        self.b = s.b;
        self.noverflow = s.noverflow;
        self.buckets = s.buckets.take();
        self.oldbuckets = s.oldbuckets.take();
        self.nevacuate = s.nevacuate;
        self.extra.next_overflow = s.extra.next_overflow;
        self.extra.overflow_end = s.extra.overflow_end;
        self.extra.heap_overflow = core::mem::take(&mut s.extra.heap_overflow);
        self.extra.iter = s.extra.iter.take();
        self.extra.old_released = core::mem::take(&mut s.extra.old_released);
        self.extra.retire = s.extra.retire.take();
    }

    /// Bytes allocated now.
    pub(crate) fn heap_bytes(&self) -> usize {
        let l = Bucket::<K, V>::LAYOUT;
        let mut n = 0;
        if self.buckets.is_some() {
            n += alloc::array_layout::<K, V>(self.b).map_or(0, |l| l.size());
        }
        if self.oldbuckets.is_some() {
            n += alloc::array_layout::<K, V>(self.old_b()).map_or(0, |l| l.size());
        }
        if let Some((_, b, _)) = self.extra.retire {
            n += alloc::array_layout::<K, V>(b).map_or(0, |l| l.size());
        }
        n += self.extra.heap_overflow * l.bucket_size;
        if l.indirect_key {
            n += self.count * core::mem::size_of::<K>();
        }
        if l.indirect_value {
            n += self.count * core::mem::size_of::<V>();
        }
        if let Some(track) = self.extra.iter.as_deref() {
            n += track.heap_bytes::<K, V>();
        }
        n
    }
}

impl<K: Hash, V, S: BuildHasher> RawTable<K, V, S> {
    #[inline(always)]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hash0.hash_one(key)
    }

    /// Go's `mapassign` up to the write: allocate the first bucket if needed,
    /// do growth work for the key's bucket, then search its chain.
    /// `Ok` is the slot holding the key; `Err` says where it would go.
    #[inline]
    pub(crate) fn find_for_insert(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Result<(Bucket<K, V>, usize), InsertSlot<K, V>> {
        let head = self.write_bucket(hash);
        Self::search_chain(head, tophash(hash), eq)
    }

    /// The head bucket a write of `hash` goes to, after its growth work.
    #[inline]
    pub(crate) fn write_bucket(&mut self, hash: u64) -> Bucket<K, V> {
        if self.buckets.is_none() {
            self.alloc_first_bucket();
        }
        let bucket = hash as usize & self.bucket_mask();
        if self.growing() {
            #[cfg(feature = "tracing")]
            {
                self.extra.grow_writes += 1;
            }
            self.grow_work(bucket);
        } else if self.extra.retire.is_some() {
            self.retire_step();
        }
        // SAFETY: `bucket < 2^B` and the array is allocated.
        unsafe { Bucket::at(self.buckets.unwrap_unchecked(), bucket) }
    }

    /// Go's lazy first bucket (`makemap_small` maps allocate on first write).
    #[cold]
    #[inline(never)]
    fn alloc_first_bucket(&mut self) {
        match alloc::alloc_array::<K, V>(self.b) {
            Ok(a) => {
                let b = self.b;
                self.install_array(b, a)
            }
            Err(e) => e.fail(),
        }
    }

    /// Inserts a key known to be absent, at `slot` from `find_for_insert`.
    /// Starts a growth first when Go would, then re-finds the slot (Go's
    /// `goto again`: the growth work for this key's bucket is done too).
    #[inline]
    pub(crate) fn insert_new(
        &mut self,
        hash: u64,
        mut slot: InsertSlot<K, V>,
        key: K,
        value: V,
    ) -> (Bucket<K, V>, usize) {
        if !self.growing()
            && (over_load_factor(self.count + 1, self.b)
                || too_many_overflow_buckets(self.noverflow, self.b))
        {
            self.hash_grow();
            slot = self.find_free_slot(hash);
        }
        let (b, i) = match slot.free {
            Some(free) => free,
            None => (self.new_overflow(slot.last), 0),
        };
        // SAFETY: the slot is empty (free slot or fresh overflow bucket).
        unsafe { b.write(i, key, value) };
        b.set_top(i, tophash(hash));
        self.count += 1;
        (b, i)
    }

    #[cold]
    fn find_free_slot(&mut self, hash: u64) -> InsertSlot<K, V> {
        let mut b = self.write_bucket(hash);
        loop {
            if let Some(i) = b.group().match_empty().lowest() {
                return InsertSlot {
                    free: Some((b, i)),
                    last: b,
                };
            }
            match b.overflow() {
                Some(next) => b = next,
                None => {
                    return InsertSlot {
                        free: None,
                        last: b,
                    }
                }
            }
        }
    }

    /// Go's `mapdelete`: growth work for the key's bucket, then remove.
    #[inline]
    pub(crate) fn remove(&mut self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(K, V)> {
        if self.count == 0 {
            return None;
        }
        let head = self.write_bucket(hash);
        let (b, i) = Self::search_chain(head, tophash(hash), eq).ok()?;
        // SAFETY: the slot is full and on `head`'s chain.
        Some(unsafe { self.take_at(head, b, i) })
    }

    /// Go's `growWork`: evacuate the old bucket this write maps to, then one
    /// more at `nevacuate` to make progress.
    fn grow_work(&mut self, bucket: usize) {
        let oldmask = self.noldbuckets() - 1;
        self.evacuate(bucket & oldmask);
        if self.growing() {
            self.evacuate(self.nevacuate);
        }
    }

    /// The head bucket an old bucket's entries go to: `X` (same index) or `Y`
    /// (index + old count).
    ///
    /// # Safety
    /// A growth is in progress and `index` is below the new head count.
    unsafe fn new_head(&self, index: usize) -> Bucket<K, V> {
        // SAFETY: as the caller promises.
        unsafe { Bucket::at(self.buckets.unwrap_unchecked(), index) }
    }

    /// Go's `hashGrow`: double (or keep, for same-size growth) and start
    /// evacuating. Only allocates; the moving happens in `grow_work`.
    #[cold]
    #[inline(never)]
    fn hash_grow(&mut self) {
        // The previous old array is normally long gone (a chunk per write);
        // free whatever is left before the next one takes its place.
        self.free_retired();
        self.extra.old_released = 0;
        let bigger = over_load_factor(self.count + 1, self.b);
        let new_b = if bigger { self.b + 1 } else { self.b };
        let array = match alloc::alloc_array::<K, V>(new_b) {
            Ok(a) => a,
            Err(e) => e.fail(),
        };
        #[cfg(feature = "tracing")]
        let old_b = self.b;
        if !bigger {
            self.flags |= SAME_SIZE_GROW;
        }
        if self.flags & ITERATOR != 0 {
            self.flags |= OLD_ITERATOR;
        }
        self.oldbuckets = self.buckets;
        self.install_array(new_b, array);
        self.nevacuate = 0;
        self.noverflow = 0;
        #[cfg(feature = "tracing")]
        {
            self.extra.grow_writes = 0;
        }
        // `len` is the count before the insert that starts the growth (Go's
        // `hashGrow` runs before `count++`): the 9th insert reports len 8.
        #[cfg(feature = "tracing")]
        tracing::debug!(
            target: "gomap",
            event = "grow_start",
            kind = if bigger { "doubling" } else { "same_size" },
            len = self.count,
            old_b,
            new_b,
            old_buckets_addr = self.oldbuckets.map_or(0, |p| p.as_ptr() as usize),
            buckets_addr = self.buckets.map_or(0, |p| p.as_ptr() as usize),
            "gomap: growth started"
        );
    }

    /// Go's `evacuate`: move every entry of old bucket `oldbucket` to its X
    /// or Y destination, then mark the old slots.
    ///
    /// A user `Hash` may panic while the destination of an entry is being
    /// decided. Entries are copied before their source slots are marked, and
    /// an undo guard restores the source markers and empties the
    /// destinations, so a panic leaves the bucket un-evacuated and whole.
    fn evacuate(&mut self, oldbucket: usize) {
        let Some(old) = self.oldbuckets else { return };
        if oldbucket < self.nevacuate {
            // Evacuated, and its page may have been handed back: not read.
            return;
        }
        // SAFETY: `oldbucket` is below the old head count (masked by callers
        // or `nevacuate < noldbuckets` while growing).
        let b = unsafe { Bucket::<K, V>::at(old, oldbucket) };
        let newbit = self.noldbuckets();
        if !is_evacuated(b.top(0)) {
            let same = self.same_size_grow();
            // SAFETY: growing; both indices are below the new head count
            // (`oldbucket + newbit < 2 * newbit = 2^B` when doubling).
            let x = unsafe { self.new_head(oldbucket) };
            let y = if same {
                x
            } else {
                unsafe { self.new_head(oldbucket + newbit) }
            };
            let mut undo = Undo {
                table: self,
                src: b,
                x,
                y,
                armed: true,
            };
            let mut dst = [(x, 0usize), (y, 0usize)];
            let mut ob = b;
            loop {
                for i in ob.group().match_full() {
                    let top = ob.top(i);
                    let use_y = if same {
                        0
                    } else {
                        // SAFETY: slot `i` is full.
                        let hash = undo.table.hash0.hash_one(unsafe { &*ob.key(i) });
                        (hash as usize & newbit != 0) as usize
                    };
                    let (mut db, mut di) = dst[use_y];
                    if di == BUCKET_CNT {
                        db = undo.table.new_overflow(db);
                        di = 0;
                    }
                    // SAFETY: the destination slot is empty (destinations
                    // start empty and fill in order); the source stays full
                    // only until it is marked just below.
                    unsafe { ob.move_to(i, db, di) };
                    db.set_top(di, top);
                    ob.set_top(i, EVACUATED_X + use_y as u8);
                    if let Some(track) = undo.table.extra.iter.as_deref_mut() {
                        track.on_move(ob, i, db, di);
                    }
                    dst[use_y] = (db, di + 1);
                }
                match ob.overflow() {
                    Some(next) => ob = next,
                    None => break,
                }
            }
            undo.armed = false;
            drop(undo);
            if let Some(track) = self.extra.iter.as_deref_mut() {
                track.commit_moves();
            }
            // Every slot now holds a marker, so `is_evacuated` sees it from slot 0.
            let mut ob = Some(b);
            while let Some(c) = ob {
                for i in c.group().match_empty() {
                    c.set_top(i, EVACUATED_EMPTY);
                }
                ob = c.overflow();
            }
            if self.flags & OLD_ITERATOR == 0 {
                // No cursor can still read this chain: free it now rather
                // than all at once when the old array goes.
                let ob = self.old_b();
                self.free_chain(b, old, ob);
            }
        }
        if oldbucket == self.nevacuate {
            self.advance_evacuation_mark(newbit);
        }
    }

    /// Go's `advanceEvacuationMark`; frees the old array when all is moved.
    fn advance_evacuation_mark(&mut self, newbit: usize) {
        let old = self.oldbuckets.expect("growing");
        self.nevacuate += 1;
        let stop = (self.nevacuate + EVACUATE_SCAN_LIMIT).min(newbit);
        // SAFETY: `nevacuate < stop <= newbit`, the old head count.
        while self.nevacuate != stop
            && is_evacuated(unsafe { Bucket::<K, V>::at(old, self.nevacuate) }.top(0))
        {
            self.nevacuate += 1;
        }
        if self.nevacuate == newbit {
            self.finish_growth();
        } else if self.flags & OLD_ITERATOR == 0 {
            let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
            let done = self.nevacuate * bsize;
            if done - self.extra.old_released >= os::RELEASE_CHUNK
                && newbit * bsize >= os::RELEASE_MIN_ARRAY
            {
                self.release_evacuated(old, done);
            }
        }
    }

    /// Hands the old array's pages below byte offset `done` back to the OS.
    #[cold]
    #[inline(never)]
    fn release_evacuated(&mut self, old: NonNull<u8>, done: usize) {
        let start = old.as_ptr() as usize;
        // SAFETY: `[start + old_released, start + done)` is inside the old
        // array's head buckets, all below `nevacuate`: evacuated, their
        // chains unlinked, and never read again (every reader tests
        // `nevacuate` first); no cursor watches the old array (OLD_ITERATOR
        // is clear). The array is freed normally later.
        let upto = unsafe { os::release(start + self.extra.old_released, start + done) };
        self.extra.old_released = upto - start;
    }

    /// Hands the next chunk of a retired old array back to the OS, freeing
    /// the array once all of it is (so the `free` itself unmaps nothing
    /// resident).
    #[cold]
    #[inline(never)]
    fn retire_step(&mut self) {
        let Some((array, b, done)) = self.extra.retire else {
            return;
        };
        let size = alloc::array_layout::<K, V>(b).map_or(0, |l| l.size());
        if done >= size {
            self.free_retired();
            return;
        }
        let start = array.as_ptr() as usize;
        let end = (done + os::RELEASE_CHUNK).min(size);
        // SAFETY: inside the retired array, which nothing refers to any more
        // (evacuation finished, no cursor retained it).
        unsafe { os::release(start + done, start + end) };
        self.extra.retire = Some((array, b, end));
    }

    #[cold]
    #[inline(never)]
    fn finish_growth(&mut self) {
        let old = self.oldbuckets.take().expect("growing");
        let ob = self.old_b();
        #[cfg(feature = "tracing")]
        let freed = alloc::array_layout::<K, V>(ob).map_or(0, |l| l.size());
        #[cfg(feature = "tracing")]
        let retained = self.flags & OLD_ITERATOR != 0;
        if self.flags & OLD_ITERATOR != 0 {
            // A cursor may still walk it (Go's GC would keep it alive).
            self.extra
                .iter
                .as_deref_mut()
                .expect("cursor state while OLD_ITERATOR")
                .retained
                .push((old, ob));
        } else if alloc::array_layout::<K, V>(ob).map_or(0, |l| l.size()) >= os::RELEASE_MIN_ARRAY {
            // Large: hand the rest of its pages back a chunk per write, then
            // free it (see `retire_step`): unmapping ~10-150 MB of resident
            // pages in one call would take milliseconds.
            self.free_retired();
            self.extra.retire = Some((old, ob, self.extra.old_released));
        } else {
            // Each chain was freed as its bucket was evacuated (no cursor was
            // watching), so this is one deallocation, not a walk.
            // SAFETY: the old array came from `alloc_array(ob)`; nothing
            // refers to it any more.
            unsafe { alloc::free_array::<K, V>(old, ob) };
        }
        self.extra.old_released = 0;
        self.flags &= !(SAME_SIZE_GROW | OLD_ITERATOR);
        #[cfg(feature = "tracing")]
        tracing::debug!(
            target: "gomap",
            event = "evacuation_done",
            len = self.count,
            b = self.b,
            old_buckets = 1usize << ob,
            writes = self.extra.grow_writes,
            // The old array's allocation (its overflow chains were freed as
            // their buckets were evacuated). With a live cursor it is kept
            // until the cursor ends: 0 bytes freed now, `retained` true.
            bytes_freed = if retained { 0 } else { freed },
            retained,
            "gomap: evacuation finished"
        );
    }

    /// Moves everything into a fresh array of `2^new_b` buckets at once
    /// (`reserve`, `shrink_to`): the one operation that is not incremental.
    /// Hashes are computed before anything moves, so a panicking `Hash`
    /// leaves the map as it was.
    ///
    /// With no entries, `keep` says whether to hold an array at all (a
    /// request for room for 0 entries frees everything, like `new()`).
    pub(crate) fn resize(&mut self, new_b: u8, keep: bool) -> Result<(), TryReserveError> {
        if self.count == 0 {
            let array = if new_b > 0 || keep {
                Some(alloc::alloc_array::<K, V>(new_b)?)
            } else {
                None
            };
            self.free_all_no_drop();
            self.b = new_b;
            if let Some(a) = array {
                self.install_array(new_b, a);
            }
            return Ok(());
        }
        let array = alloc::alloc_array::<K, V>(new_b)?;
        let mut hashes: Vec<u64> = Vec::new();
        if hashes.try_reserve_exact(self.count).is_err() {
            // SAFETY: `array` came from `alloc_array(new_b)` and is unused.
            unsafe { alloc::free_array::<K, V>(array.ptr, new_b) };
            return Err(TryReserveError::CapacityOverflow);
        }
        {
            struct FreeOnPanic(NonNull<u8>, u8, fn(NonNull<u8>, u8));
            impl Drop for FreeOnPanic {
                fn drop(&mut self) {
                    (self.2)(self.0, self.1)
                }
            }
            fn free<K, V>(p: NonNull<u8>, b: u8) {
                // SAFETY: the unused new array, from `alloc_array(b)`.
                unsafe { alloc::free_array::<K, V>(p, b) }
            }
            let guard = FreeOnPanic(array.ptr, new_b, free::<K, V>);
            let mut it = self.raw_iter();
            while let Some((b, i)) = it.next() {
                // SAFETY: the iterator yields full slots.
                hashes.push(self.hash0.hash_one(unsafe { &*b.key(i) }));
            }
            core::mem::forget(guard);
        }
        // No user code from here on.
        let mut fresh: RawTable<K, V, ()> = RawTable::new(());
        fresh.install_array(new_b, array);
        let mut it = self.raw_iter();
        let mut hashes = hashes.into_iter();
        while let Some((b, i)) = it.next() {
            let hash = hashes.next().expect("one hash per entry");
            let slot = fresh.free_slot_no_grow(hash);
            // SAFETY: moving a full slot into an empty one; the source array
            // is freed below without dropping anything.
            unsafe { b.move_to(i, slot.0, slot.1) };
            slot.0.set_top(slot.1, tophash(hash));
            fresh.count += 1;
        }
        self.count = 0;
        let count = fresh.count;
        self.free_all_no_drop();
        self.restore_storage(fresh);
        self.count = count;
        Ok(())
    }
}

impl<K, V, S> RawTable<K, V, S> {
    /// A free slot for `hash` in a table that is not growing (building a
    /// fresh array: resize, clone).
    pub(crate) fn free_slot_no_grow(&mut self, hash: u64) -> (Bucket<K, V>, usize) {
        debug_assert!(!self.growing());
        // SAFETY: the array is allocated (callers install one first) and the
        // index is masked to the head count.
        let mut b = unsafe {
            Bucket::at(
                self.buckets.expect("array"),
                hash as usize & self.bucket_mask(),
            )
        };
        loop {
            if let Some(i) = b.group().match_empty().lowest() {
                return (b, i);
            }
            match b.overflow() {
                Some(next) => b = next,
                None => return (self.new_overflow(b), 0),
            }
        }
    }

    /// Writes an entry known to be absent into a table that is not growing.
    pub(crate) fn insert_no_grow(&mut self, hash: u64, key: K, value: V) {
        let (b, i) = self.free_slot_no_grow(hash);
        // SAFETY: the slot is empty.
        unsafe { b.write(i, key, value) };
        b.set_top(i, tophash(hash));
        self.count += 1;
    }

    /// An empty table with an allocated array of `2^b` buckets (used by clone).
    pub(crate) fn with_b(hash0: S, b: u8) -> Result<Self, TryReserveError> {
        let mut t = RawTable::new(hash0);
        let a = alloc::alloc_array::<K, V>(b)?;
        t.install_array(b, a);
        Ok(t)
    }
}

/// Restores an old bucket whose evacuation was interrupted by a panic.
struct Undo<'a, K, V, S> {
    table: &'a mut RawTable<K, V, S>,
    src: Bucket<K, V>,
    x: Bucket<K, V>,
    y: Bucket<K, V>,
    armed: bool,
}

impl<K, V, S> Drop for Undo<'_, K, V, S> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Entries were moved in chain order, so walking the source chain with
        // one cursor per destination recovers each moved slot's tophash.
        let mut dst = [(self.x, 0usize), (self.y, 0usize)];
        let mut ob = Some(self.src);
        while let Some(c) = ob {
            for i in 0..BUCKET_CNT {
                let top = c.top(i);
                if top == EVACUATED_X || top == EVACUATED_Y {
                    let which = (top - EVACUATED_X) as usize;
                    let (mut db, mut di) = dst[which];
                    if di == BUCKET_CNT {
                        db = db.overflow().expect("destination chain was extended");
                        di = 0;
                    }
                    c.set_top(i, db.top(di));
                    dst[which] = (db, di + 1);
                }
            }
            ob = c.overflow();
        }
        // The destinations were empty before this evacuation: empty them
        // again (their bytes are copies the source still owns).
        for head in [self.x, self.y] {
            let mut b = Some(head);
            while let Some(c) = b {
                c.set_tophash_bytes([EMPTY_REST; 8]);
                b = c.overflow();
            }
        }
        if let Some(track) = self.table.extra.iter.as_deref_mut() {
            track.discard_moves();
        }
    }
}

impl<K, V, S> Drop for RawTable<K, V, S> {
    fn drop(&mut self) {
        struct Free<'a, K, V, S>(&'a mut RawTable<K, V, S>);
        impl<K, V, S> Drop for Free<'_, K, V, S> {
            fn drop(&mut self) {
                self.0.free_all_no_drop();
            }
        }
        let guard = Free(self);
        guard.0.drop_entries();
    }
}
