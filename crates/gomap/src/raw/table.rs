//! The map header (Go's `hmap` and `mapextra`), Go's growth rules, the
//! write entry points (assign, delete) and the table's lifecycle (clear,
//! drop, take / restore, resize). The other rooms of `raw/` add to
//! `RawTable` in their own files: the probe loop (`probe.rs`), growth and
//! evacuation (`grow.rs`), page release and retired arrays (`release.rs`),
//! a live cursor's tracking (`track.rs`), walks (`iter.rs`).
//!
//! Invariants relied on throughout (the prose is in the crate docs):
//! - `buckets` is `None` only while `count == 0` and nothing was allocated.
//! - While `oldbuckets` is `Some`, every old bucket below `nevacuate` is
//!   evacuated, and an old bucket is either wholly evacuated (every slot
//!   holds a marker 2..=4) or not at all (Go: "each bucket has either all or
//!   none of its entries in the evacuated states").
//! - A new bucket receives entries only from its own old bucket, and only
//!   after that old bucket is evacuated: inserts evacuate the key's old
//!   bucket first. So evacuation always writes into empty destination chains
//!   (all slots empty; one whose evacuation a panicking `Hash` interrupted
//!   may keep empty overflow buckets, which the retry fills).
//! - Every full slot owns its entry exactly once; evacuation copies bytes and
//!   then marks the source, so at no point do two full slots own one entry.

use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;
use core::ptr::NonNull;
use std::collections::HashMap;

use super::alloc::{self, bucket_shift, TryReserveError};
use super::bucket::Bucket;
use super::layout::BUCKET_CNT;
use super::rand::fastrand;
use super::tophash::*;

/// Set while a cursor may be walking the arrays (Go's `iterator`).
pub(crate) const ITERATOR: u8 = 1;
/// Set while a cursor may be walking the old array (Go's `oldIterator`).
pub(crate) const OLD_ITERATOR: u8 = 2;
/// The growth in progress keeps `B` (Go's `sameSizeGrow`).
pub(crate) const SAME_SIZE_GROW: u8 = 8;
/// The B = 0 array is an `InlineGoMap`'s own bucket, inside the map value:
/// not an allocation, never freed or counted as heap memory, and its
/// address is re-derived before every use (see `inline.rs`). Not Go's.
pub(crate) const INLINE: u8 = 16;
/// Writes have work to do first: a growth is under way (`oldbuckets`) or a
/// retired old array is being handed back (`Extra::retire`). One bit the
/// write path tests instead of a header field and a field in the box; kept
/// by `sync_pending`.
pub(crate) const WORK_PENDING: u8 = 32;
/// The map's arrays of 2 MiB and more are advised as transparent huge pages
/// (`GoMap::set_huge_pages`). A setting, not state: kept through `clear`,
/// `drain`, `shrink_to` and every growth, and copied by `clone`. Not Go's.
pub(crate) const HUGE_PAGES: u8 = 64;

/// Load factor 13/2 = 6.5 entries per bucket (Go's `loadFactorNum/Den`).
pub(crate) const LOAD_FACTOR_NUM: usize = 13;
pub(crate) const LOAD_FACTOR_DEN: usize = 2;
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

/// Rarely used bookkeeping (Go's `mapextra`), behind one box that is
/// allocated only when first needed: the first overflow bucket, a cursor,
/// page release of a large old array. Go's `h.extra` is lazy the same way;
/// it keeps the header at 56 bytes for `GoMap<u64, u64>` (hmap's 48 plus
/// the hasher). While the box is absent, the pool of pre-allocated overflow
/// buckets is untouched (its cursor is at the pool's start), no bucket was
/// allocated on its own, and nothing is tracked, released or retired.
pub(crate) struct Extra {
    /// Next free pre-allocated overflow bucket of the current array.
    pub(crate) next_overflow: *mut u8,
    /// End of the current array's allocation (end of the pre-allocated pool).
    pub(crate) overflow_end: *mut u8,
    /// Overflow buckets allocated on their own, in both arrays (for `heap_bytes`).
    pub(crate) heap_overflow: usize,
    /// State of a live cursor: forwarding of moved entries, retained arrays
    /// (see `track.rs`).
    pub(crate) iter: Option<Box<IterTrack>>,
    /// Bytes at the start of the old array already handed back to the OS
    /// (all below `nevacuate`; see `release.rs`).
    pub(crate) old_released: usize,
    /// A fully evacuated large old array whose pages are handed back a chunk
    /// per write before it is freed, so no single write pays for unmapping
    /// it (see `release.rs`).
    pub(crate) retire: Option<OldArray>,
    /// Writes (inserts, updates, removes) since the growth in progress
    /// started, for the `evacuation_done` event. Only with `tracing`, so the
    /// header and the write path are unchanged without it.
    #[cfg(feature = "tracing")]
    pub(crate) grow_writes: usize,
}

/// An old array after its growth finished, kept until it can be freed: on
/// its way back to the OS (`Extra::retire`) or alive for a cursor
/// (`IterTrack::retained`).
#[derive(Clone, Copy)]
pub(crate) struct OldArray {
    pub(crate) array: NonNull<u8>,
    /// `B` of the array (it holds `2^array_b` head buckets).
    pub(crate) array_b: u8,
    /// Bytes from the array's start already handed back to the OS: never
    /// read again (see `RawTable::free_array_and_chains`).
    pub(crate) released: usize,
}

/// A slot's identity while a cursor is alive: its bucket's address and its
/// index, side by side, so two slots can never share one whatever the
/// buckets' alignment (packing the index into the address's low bits would
/// need 8-aligned buckets; a `u32 -> u32` bucket on a 32-bit target is
/// 4-aligned). Nothing is freed while a cursor lives, so an identity is never
/// reused for another bucket.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SlotId {
    pub(crate) bucket: usize,
    pub(crate) slot: u8,
}

/// What a live cursor needs the table to remember (kept in `Extra`; the
/// logic is in `track.rs`).
///
/// Go's iterator finds an entry that evacuation moved by looking its key up
/// again, reading the key from the evacuated slot; Go's GC keeps that copy
/// valid. In Rust the copy may belong to an entry removed since, so instead
/// every move made while a cursor lives is recorded. Each moved entry gets an
/// identity; every slot it has left maps to that identity (`left`), and the
/// identity maps to where the entry lives now (`at`). An entry can move more
/// than once (two growths in one walk) and the cursor may reach it through
/// any slot it left, so all of them must lead to it.
#[derive(Default)]
pub(crate) struct IterTrack {
    pub(crate) left: HashMap<SlotId, usize>,
    pub(crate) at: HashMap<usize, SlotId>,
    pub(crate) id_at: HashMap<SlotId, usize>,
    pub(crate) next_id: usize,
    /// Moves of the evacuation in progress, applied when it completes.
    pub(crate) pending: Vec<(SlotId, SlotId)>,
    /// Where the entry last yielded by the cursor lives now.
    pub(crate) current: Option<SlotId>,
    /// Old arrays kept alive for the cursor.
    pub(crate) retained: Vec<OldArray>,
}

/// The map header. `#[repr(C)]` keeps Go's field order so the layout report
/// reads like Go's `hmap`.
#[repr(C)]
pub struct RawTable<K, V, S> {
    /// Live entries (Go's `count`; must stay first, as in Go, for `len()`).
    pub(crate) count: usize,
    /// `ITERATOR`, `OLD_ITERATOR`, `SAME_SIZE_GROW`, and gomap's own
    /// `INLINE`, `WORK_PENDING`, `HUGE_PAGES`.
    pub(crate) flags: u8,
    /// log2 of the number of head buckets.
    pub(crate) b: u8,
    /// Approximate number of overflow buckets (exact below B = 16).
    pub(crate) noverflow: u16,
    /// The count at which an insert must evaluate Go's growth trigger
    /// (`overLoadFactor(count + 1, B) || tooManyOverflowBuckets`): below it
    /// the trigger is known false, so a new key costs one compare instead of
    /// the trigger's arithmetic. `u32::MAX` while growing (no growth can
    /// start) and as the cap for huge tables (the slow path decides exactly);
    /// 0 once too many overflow buckets exist. Kept by `refresh_grow_at`
    /// wherever `B`, `noverflow` or the growth state change. Lives in the
    /// header's padding after `noverflow`, so costs no space.
    pub(crate) grow_at: u32,
    /// The per-map hash seed: the `BuildHasher` (Go's `hash0`).
    pub(crate) hash0: S,
    /// `2^B` head buckets, then `2^(B-4)` pre-allocated overflow buckets.
    pub(crate) buckets: Option<NonNull<u8>>,
    /// The previous array, half the size (or equal for same-size growth),
    /// while it is being evacuated.
    pub(crate) oldbuckets: Option<NonNull<u8>>,
    /// Old buckets below this index are evacuated.
    pub(crate) nevacuate: usize,
    /// See `Extra`; `None` until first needed.
    pub(crate) extra: Option<Box<Extra>>,
    marker: PhantomData<(K, V)>,
}

// SAFETY: the table owns its entries (K, V) and hasher S like a Box would;
// the raw pointers are to memory it owns exclusively. Sending it sends them.
unsafe impl<K: Send, V: Send, S: Send> Send for RawTable<K, V, S> {}
// SAFETY: shared access only reads (lookups and iteration never write, and
// the per-call randomness of `iter_randomized` is thread-local).
unsafe impl<K: Sync, V: Sync, S: Sync> Sync for RawTable<K, V, S> {}

/// Where a new entry goes: the first free slot seen on the chain, or a new
/// overflow bucket after `last` (see `probe.rs`).
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
            // `capacity_for(0)`: 8 entries fit in the first bucket.
            grow_at: BUCKET_CNT as u32,
            hash0,
            buckets: None,
            oldbuckets: None,
            nevacuate: 0,
            extra: None,
            marker: PhantomData,
        }
    }

    /// Go's `makemap`: `B` from the hint; the array is allocated only for `B > 0`.
    pub(crate) fn with_capacity(hash0: S, hint: usize) -> Result<Self, TryReserveError> {
        let mut t = RawTable::new(hash0);
        let b = b_for_hint::<K, V>(hint)?;
        if b > 0 {
            t.install_array(b, t.new_array(b)?);
        }
        Ok(t)
    }

    /// A new array of `2^b` buckets for this map (advised as huge pages if
    /// the map asks for them).
    pub(crate) fn new_array(&self, b: u8) -> Result<alloc::Array, TryReserveError> {
        alloc::alloc_array::<K, V>(b, self.huge_pages())
    }

    /// `GoMap::set_huge_pages`: records the setting for the arrays to come
    /// and, when turning it on, advises the arrays the map holds now, so a
    /// map made `with_capacity` and then asked gets huge pages for the array
    /// it has not yet touched.
    pub(crate) fn set_huge_pages(&mut self, on: bool) {
        if !on {
            self.flags &= !HUGE_PAGES;
            return;
        }
        self.flags |= HUGE_PAGES;
        let advise = |p: NonNull<u8>, b: u8| {
            let size = alloc::array_layout::<K, V>(b).map_or(0, |l| l.size());
            alloc::advise_huge_pages(p.as_ptr() as usize, size);
        };
        if let Some(p) = self.buckets.filter(|_| self.flags & INLINE == 0) {
            advise(p, self.b);
        }
        if let Some(p) = self.oldbuckets {
            advise(p, self.old_b());
        }
    }

    /// Whether the map asks for huge pages (`HUGE_PAGES`).
    pub(crate) fn huge_pages(&self) -> bool {
        self.flags & HUGE_PAGES != 0
    }

    /// Sets `WORK_PENDING` from the growth and retire state.
    pub(crate) fn sync_pending(&mut self) {
        if self.oldbuckets.is_some() || self.retired().is_some() {
            self.flags |= WORK_PENDING;
        } else {
            self.flags &= !WORK_PENDING;
        }
    }

    /// Recomputes `grow_at` from `B`, `noverflow` and the growth state.
    pub(crate) fn refresh_grow_at(&mut self) {
        self.grow_at = if self.growing() {
            u32::MAX
        } else if too_many_overflow_buckets(self.noverflow, self.b) {
            0
        } else if self.b >= 32 {
            u32::MAX
        } else {
            capacity_for(self.b).min(u32::MAX as usize) as u32
        };
    }

    pub(crate) fn install_array(&mut self, b: u8, a: alloc::Array) {
        self.b = b;
        self.buckets = Some(a.ptr);
        // Without the box the pool cursor is implied (at the pool's start).
        if let Some(e) = self.extra.as_deref_mut() {
            e.next_overflow = if a.pool == a.end {
                core::ptr::null_mut()
            } else {
                a.pool
            };
            e.overflow_end = a.end;
        }
        self.refresh_grow_at();
    }

    /// The current array's pool of pre-allocated overflow buckets, untouched:
    /// (first bucket or null when there is none, end of the allocation).
    pub(crate) fn fresh_pool(&self) -> (*mut u8, *mut u8) {
        let Some(buckets) = self.buckets else {
            return (core::ptr::null_mut(), core::ptr::null_mut());
        };
        let size = alloc::array_layout::<K, V>(self.b).map_or(0, |l| l.size());
        let pool = buckets
            .as_ptr()
            .wrapping_add((1usize << self.b) * Bucket::<K, V>::LAYOUT.bucket_size);
        let end = buckets.as_ptr().wrapping_add(size);
        (
            if pool == end {
                core::ptr::null_mut()
            } else {
                pool
            },
            end,
        )
    }

    /// The bookkeeping box, if it was needed yet.
    #[inline]
    pub(crate) fn ex(&self) -> Option<&Extra> {
        self.extra.as_deref()
    }

    /// The bookkeeping box, allocated on first use (with the pool cursor
    /// where the absent box implied it).
    pub(crate) fn ex_mut(&mut self) -> &mut Extra {
        if self.extra.is_none() {
            let (next_overflow, overflow_end) = self.fresh_pool();
            self.extra = Some(Box::new(Extra {
                next_overflow,
                overflow_end,
                heap_overflow: 0,
                iter: None,
                old_released: 0,
                retire: None,
                #[cfg(feature = "tracing")]
                grow_writes: 0,
            }));
        }
        match self.extra.as_deref_mut() {
            Some(e) => e,
            None => unreachable!("allocated above"),
        }
    }

    /// Frees the bookkeeping box when it holds nothing its absence does not
    /// imply (after a cursor ends on a map that never needed it otherwise),
    /// so the box is not kept for the map's whole life.
    pub(crate) fn drop_idle_extra(&mut self) {
        let Some(e) = self.ex() else { return };
        let idle = e.iter.is_none()
            && e.heap_overflow == 0
            && e.old_released == 0
            && e.retire.is_none()
            // The end needs no check: equal cursors lie in the same array
            // (or both say "no pool left"), and an inline bucket that moved
            // has no pool.
            && e.next_overflow == self.fresh_pool().0;
        if idle {
            self.extra = None;
        }
    }

    /// A live cursor's tracking state.
    #[inline]
    pub(crate) fn track(&self) -> Option<&IterTrack> {
        self.ex()?.iter.as_deref()
    }

    #[inline]
    pub(crate) fn track_mut(&mut self) -> Option<&mut IterTrack> {
        self.extra.as_deref_mut()?.iter.as_deref_mut()
    }

    /// Overflow buckets allocated on their own (both arrays).
    #[inline]
    pub(crate) fn heap_overflow(&self) -> usize {
        self.ex().map_or(0, |e| e.heap_overflow)
    }

    /// Bytes of the old array already handed back to the OS.
    #[inline]
    pub(crate) fn old_released(&self) -> usize {
        self.ex().map_or(0, |e| e.old_released)
    }

    /// The old array being handed back a chunk per write, if any.
    #[inline]
    pub(crate) fn retired(&self) -> Option<OldArray> {
        self.ex()?.retire
    }

    /// (next free pool bucket or null, end of the current allocation).
    pub(crate) fn pool_cursor(&self) -> (*mut u8, *mut u8) {
        match self.ex() {
            Some(e) => (e.next_overflow, e.overflow_end),
            None => self.fresh_pool(),
        }
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

    /// Go's `newoverflow`: a pre-allocated bucket while the pool lasts, else
    /// a fresh allocation; linked after `b`.
    #[cold]
    #[inline(never)]
    pub(crate) fn new_overflow(&mut self, b: Bucket<K, V>) -> Bucket<K, V> {
        let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
        let e = self.ex_mut();
        let ovf = if !e.next_overflow.is_null() {
            let p = e.next_overflow;
            // SAFETY: `p` is a pool bucket inside the live current array.
            let next = unsafe { p.add(bsize) };
            e.next_overflow = if next == e.overflow_end {
                core::ptr::null_mut()
            } else {
                next
            };
            // SAFETY: pool buckets are zeroed at allocation (and by `clear`),
            // and each is handed out once.
            unsafe { Bucket::from_raw(NonNull::new_unchecked(p)) }
        } else {
            e.heap_overflow += 1;
            alloc::alloc_bucket::<K, V>()
        };
        self.incr_noverflow();
        // SAFETY: `ovf` is a fresh, empty bucket of this layout that lives as
        // long as its array (pool) or until `free_chain` (own allocation);
        // `b` ends its chain (callers pass the last bucket), so nothing is
        // unlinked and no cycle forms.
        unsafe { b.set_overflow(Some(ovf)) };
        ovf
    }

    /// Go's `incrnoverflow`: exact below B = 16, then sampled 1 in 2^(B-15)
    /// so the counter reaches 2^15 at about as many overflow buckets as buckets.
    fn incr_noverflow(&mut self) {
        if self.b < 16 {
            self.noverflow = self.noverflow.wrapping_add(1);
        } else {
            let mask = (1u64 << (self.b - 15)) - 1;
            if fastrand() & mask == 0 {
                self.noverflow = self.noverflow.wrapping_add(1);
            }
        }
        if !self.growing() && too_many_overflow_buckets(self.noverflow, self.b) {
            self.grow_at = 0;
        }
    }

    /// Takes the entry out of slot `i` of `b` (in the chain starting at
    /// `head`) and keeps the emptyRest markers right (Go's `mapdelete` tail).
    ///
    /// # Safety
    /// `i < 8`, slot `i` of `b` is full and `b` is on `head`'s chain.
    pub(crate) unsafe fn take_at(
        &mut self,
        head: Bucket<K, V>,
        b: Bucket<K, V>,
        i: usize,
    ) -> (K, V) {
        // SAFETY: the caller guarantees the slot is full; it is marked empty
        // right below, before any user code can run.
        let entry = unsafe { b.take(i) };
        // SAFETY: `i < 8` and `b` is on `head`'s chain (the caller's promise).
        unsafe { self.mark_empty(head, b, i) };
        self.count -= 1;
        if self.flags & ITERATOR != 0 {
            if let Some(track) = self.track_mut() {
                track.on_remove(b, i);
            }
        }
        entry
    }

    /// Marks slot `i` empty; if nothing full follows it in the chain, turns
    /// it and the empty slots before it into `EMPTY_REST` so lookups stop early.
    ///
    /// # Safety
    /// `i < 8`, and `b` is on `head`'s chain.
    unsafe fn mark_empty(&mut self, head: Bucket<K, V>, mut b: Bucket<K, V>, mut i: usize) {
        debug_assert!(i < BUCKET_CNT);
        // SAFETY (every `top` / `set_top` below): `i < 8` on entry (the
        // caller's promise), and it only moves down from there or restarts at
        // 7; `self` is borrowed mutably.
        unsafe { b.set_top(i, EMPTY_ONE) };
        let next_is_rest = if i == BUCKET_CNT - 1 {
            b.overflow().is_none_or(|n| n.first_top() == EMPTY_REST)
        } else {
            // SAFETY: `i + 1 < 8` in this branch.
            (unsafe { b.top(i + 1) }) == EMPTY_REST
        };
        if !next_is_rest {
            return;
        }
        loop {
            // SAFETY: see above.
            unsafe { b.set_top(i, EMPTY_REST) };
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
            // SAFETY: see above.
            if unsafe { b.top(i) } != EMPTY_ONE {
                break;
            }
        }
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
            // SAFETY: the walk yields slots `i < 8`; `self` is borrowed mutably.
            unsafe { b.set_top(i, EMPTY_ONE) };
            self.count -= 1;
            // SAFETY: the slot was full; it is now marked empty and dropped once.
            unsafe { b.drop_entry(i) };
        }
    }

    /// Go's `mapclear` after the entries are gone: keep the current array,
    /// zeroed; free its separate overflow buckets and the old array.
    fn reset_keep_array(&mut self) {
        self.release_old();
        if let Some(buckets) = self.buckets {
            let b = self.b;
            if self.heap_overflow() > 0 {
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
            let (pool, _) = self.fresh_pool();
            if let Some(e) = self.extra.as_deref_mut() {
                e.next_overflow = pool;
            }
        }
        self.count = 0;
        self.noverflow = 0;
        self.refresh_grow_at();
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
            // An inline bucket is not the allocator's.
            if self.flags & INLINE == 0 {
                let b = self.b;
                self.free_array_and_chains(buckets, b, 0);
            }
        }
        self.flags &= !INLINE;
        self.b = 0;
        self.noverflow = 0;
        self.count = 0;
        self.refresh_grow_at();
        debug_assert_eq!(self.heap_overflow(), 0);
        // Nothing is tracked, released, retired or allocated on its own now.
        self.extra = None;
    }

    /// Moves every entry out of `self` into a new value with the same
    /// storage, leaving `self` empty with no allocation (hasher kept).
    pub(crate) fn take_storage(&mut self) -> RawTable<K, V, ()> {
        let t = RawTable {
            count: self.count,
            flags: self.flags,
            b: self.b,
            noverflow: self.noverflow,
            grow_at: self.grow_at,
            hash0: (),
            buckets: self.buckets.take(),
            oldbuckets: self.oldbuckets.take(),
            nevacuate: self.nevacuate,
            extra: self.extra.take(),
            marker: PhantomData,
        };
        self.count = 0;
        // The emptied map keeps its settings; the moved storage keeps its state.
        self.flags &= HUGE_PAGES;
        self.b = 0;
        self.noverflow = 0;
        self.nevacuate = 0;
        self.refresh_grow_at();
        t
    }

    /// Puts storage taken by `take_storage` (or built by `resize`) back,
    /// with its state; the map's settings (`HUGE_PAGES`) stay its own.
    pub(crate) fn restore_storage(&mut self, mut s: RawTable<K, V, ()>) {
        debug_assert!(self.buckets.is_none() && self.count == 0);
        self.count = core::mem::take(&mut s.count);
        self.flags = (s.flags & !HUGE_PAGES) | (self.flags & HUGE_PAGES);
        self.b = s.b;
        self.noverflow = s.noverflow;
        self.grow_at = s.grow_at;
        self.buckets = s.buckets.take();
        self.oldbuckets = s.oldbuckets.take();
        self.nevacuate = s.nevacuate;
        debug_assert!(self.extra.is_none());
        self.extra = s.extra.take();
    }

    /// Bytes allocated now.
    pub(crate) fn heap_bytes(&self) -> usize {
        let l = Bucket::<K, V>::LAYOUT;
        let mut n = 0;
        if self.buckets.is_some() && self.flags & INLINE == 0 {
            n += alloc::array_layout::<K, V>(self.b).map_or(0, |l| l.size());
        }
        if self.oldbuckets.is_some() {
            n += alloc::array_layout::<K, V>(self.old_b()).map_or(0, |l| l.size());
        }
        if let Some(r) = self.retired() {
            n += alloc::array_layout::<K, V>(r.array_b).map_or(0, |l| l.size());
        }
        n += self.heap_overflow() * l.bucket_size;
        if l.indirect_key {
            n += self.count * core::mem::size_of::<K>();
        }
        if l.indirect_value {
            n += self.count * core::mem::size_of::<V>();
        }
        if let Some(track) = self.track() {
            n += track.heap_bytes::<K, V>();
        }
        if self.extra.is_some() {
            // The bookkeeping box itself (Go's `mapextra`, its own object).
            n += core::mem::size_of::<Extra>();
        }
        n
    }

    /// Writes an entry known to be absent into a table that is not growing.
    pub(crate) fn insert_no_grow(&mut self, hash: u64, key: K, value: V) {
        let (b, i) = self.free_slot_no_grow(hash);
        // SAFETY: the slot (`i < 8`) is empty; `self` is borrowed mutably.
        unsafe {
            b.write(i, key, value);
            b.set_top(i, tophash(hash));
        }
        self.count += 1;
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
        // SAFETY: `bucket < 2^B` and the array is allocated; growth work
        // moves entries, never the array.
        let head = unsafe { Bucket::at(self.buckets.unwrap_unchecked(), bucket) };
        self.prefetch(head);
        if self.flags & WORK_PENDING != 0 {
            self.pending_work(bucket);
        }
        head
    }

    /// A write's growth work (Go's `growWork`) or, after a growth, the next
    /// chunk of the retired old array.
    #[inline(never)]
    fn pending_work(&mut self, bucket: usize) {
        if self.growing() {
            #[cfg(feature = "tracing")]
            {
                self.ex_mut().grow_writes += 1;
            }
            self.grow_work(bucket);
        } else {
            self.retire_step();
        }
    }

    /// Go's lazy first bucket (`makemap_small` maps allocate on first write).
    #[cold]
    #[inline(never)]
    fn alloc_first_bucket(&mut self) {
        match self.new_array(self.b) {
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
        // Go's trigger, evaluated only once `count` reaches `grow_at`.
        if self.count >= self.grow_at as usize && self.start_growth_if_due() {
            slot = self.find_free_slot(hash);
        }
        debug_assert!(
            self.growing()
                || !(over_load_factor(self.count + 1, self.b)
                    || too_many_overflow_buckets(self.noverflow, self.b)),
            "grow_at {} let a due growth pass (count {}, B {}, noverflow {})",
            self.grow_at,
            self.count,
            self.b,
            self.noverflow
        );
        let (b, i) = match slot.free {
            Some(free) => free,
            None => (self.new_overflow(slot.last), 0),
        };
        // SAFETY: the slot (`i < 8`) is empty (free slot or fresh overflow
        // bucket); `self` is borrowed mutably.
        unsafe {
            b.write(i, key, value);
            b.set_top(i, tophash(hash));
        }
        self.count += 1;
        (b, i)
    }

    /// Go's growth trigger for a new key: starts a growth (and says so) when
    /// none is under way and the map is over its load factor or has too many
    /// overflow buckets; otherwise refreshes `grow_at`.
    #[cold]
    #[inline(never)]
    fn start_growth_if_due(&mut self) -> bool {
        if !self.growing()
            && (over_load_factor(self.count + 1, self.b)
                || too_many_overflow_buckets(self.noverflow, self.b))
        {
            self.hash_grow();
            true
        } else {
            self.refresh_grow_at();
            false
        }
    }

    /// The free slot for `hash` after `hash_grow` moved the key's bucket.
    #[cold]
    fn find_free_slot(&mut self, hash: u64) -> InsertSlot<K, V> {
        let head = self.write_bucket(hash);
        Self::free_slot(head)
    }

    /// Go's `mapdelete`: growth work for the key's bucket, then remove.
    #[inline]
    pub(crate) fn remove(&mut self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(K, V)> {
        if self.count == 0 {
            return None;
        }
        let head = self.write_bucket(hash);
        // A removal needs no free slot: the plain find loop.
        let (b, i) = Self::find_in_chain(head, tophash(hash), eq)?;
        // SAFETY: the slot is full and on `head`'s chain.
        Some(unsafe { self.take_at(head, b, i) })
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
                Some(self.new_array(new_b)?)
            } else {
                None
            };
            self.free_all_no_drop();
            self.b = new_b;
            self.refresh_grow_at();
            if let Some(a) = array {
                self.install_array(new_b, a);
            }
            return Ok(());
        }
        let array = self.new_array(new_b)?;
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
            // SAFETY: moving a full slot into an empty one (both indices
            // below 8); the source array is freed below without dropping
            // anything; `fresh` is ours.
            unsafe {
                b.move_to(i, slot.0, slot.1);
                slot.0.set_top(slot.1, tophash(hash));
            }
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
