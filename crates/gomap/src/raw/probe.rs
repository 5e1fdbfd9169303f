//! The probe loop: one walk along a chain that looks for a key, a free slot,
//! or both (Go's `mapaccess` and the search half of `mapassign`).

use super::bucket::Bucket;
use super::table::{InsertSlot, RawTable};
use super::tophash::*;

/// The smallest B whose array (2^B buckets, 1.2 MiB for `u64 -> u64` at
/// B = 13) no longer fits a typical L2 cache, from which `find` prefetches.
pub(crate) const PREFETCH_MIN_B: u8 = 13;

impl<K, V, S> RawTable<K, V, S> {
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
            if oi >= self.nevacuate && !oldb.evacuated() {
                b = oldb;
            }
        }
        Some(b)
    }

    /// Past the L2 cache a lookup's two dependent memory reads (tophash,
    /// then key and value) cost two round trips; prefetching the rest of the
    /// head bucket as soon as its address is known overlaps them. Smaller
    /// arrays are cached already, and the test is cheaper than the hint.
    #[inline(always)]
    pub(crate) fn prefetch(&self, head: Bucket<K, V>) {
        if self.b >= PREFETCH_MIN_B {
            head.prefetch_rest();
        }
    }

    /// Finds the slot whose key satisfies `eq`. Never moves anything.
    #[inline]
    pub(crate) fn find(
        &self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(Bucket<K, V>, usize)> {
        let head = self.read_bucket(hash)?;
        self.prefetch(head);
        Self::probe::<true, false>(head, tophash(hash), eq).ok()
    }

    /// Walks from `head` looking for the key and, on the way, the first free slot.
    #[inline]
    pub(crate) fn search_chain(
        head: Bucket<K, V>,
        top: u8,
        eq: impl FnMut(&K) -> bool,
    ) -> Result<(Bucket<K, V>, usize), InsertSlot<K, V>> {
        Self::probe::<true, true>(head, top, eq)
    }

    /// The slot on `head`'s chain whose key satisfies `eq`, without looking
    /// for a free slot on the way (for removals).
    #[inline]
    pub(crate) fn find_in_chain(
        head: Bucket<K, V>,
        top: u8,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(Bucket<K, V>, usize)> {
        Self::probe::<true, false>(head, top, eq).ok()
    }

    /// The first free slot on `head`'s chain, for a key known to be absent.
    #[inline]
    pub(crate) fn free_slot(head: Bucket<K, V>) -> InsertSlot<K, V> {
        match Self::probe::<false, true>(head, 0, |_| false) {
            Err(slot) => slot,
            Ok(_) => unreachable!("a free-slot probe matches no key"),
        }
    }

    /// A free slot for `hash` in a table that is not growing (building a
    /// fresh array: resize, clone), linking an overflow bucket if needed.
    pub(crate) fn free_slot_no_grow(&mut self, hash: u64) -> (Bucket<K, V>, usize) {
        debug_assert!(!self.growing());
        // SAFETY: the array is allocated (callers install one first) and the
        // index is masked to the head count.
        let head = unsafe {
            Bucket::at(
                self.buckets.expect("array"),
                hash as usize & self.bucket_mask(),
            )
        };
        let slot = Self::free_slot(head);
        match slot.free {
            Some(free) => free,
            None => (self.new_overflow(slot.last), 0),
        }
    }

    /// The one probe loop. With `FIND`, returns the slot whose tophash is
    /// `top` and whose key satisfies `eq`; with `FREE`, records the first
    /// empty slot on the way (and, without `FIND`, stops there). Stops at an
    /// `emptyRest` slot or the end of the chain; `Err` says where a new entry
    /// would go. Both flags are constants, so each use compiles to its own
    /// loop with nothing of the other.
    #[inline(always)]
    fn probe<const FIND: bool, const FREE: bool>(
        head: Bucket<K, V>,
        top: u8,
        mut eq: impl FnMut(&K) -> bool,
    ) -> Result<(Bucket<K, V>, usize), InsertSlot<K, V>> {
        let mut b = head;
        let mut free = None;
        loop {
            let g = b.group();
            if FIND {
                // The next candidate is taken only after a compare failed,
                // so a hit on the first one does not clear its bit.
                let mut m = g.match_byte(top);
                while let Some(i) = m.lowest() {
                    // SAFETY: a slot whose tophash is >= MIN_TOP_HASH is full.
                    if eq(unsafe { &*b.key(i) }) {
                        return Ok((b, i));
                    }
                    m.next();
                }
            }
            if FREE && free.is_none() {
                free = g.match_empty().lowest().map(|i| (b, i));
                if !FIND && free.is_some() {
                    return Err(InsertSlot { free, last: b });
                }
            }
            // The chain's end is tested first: it is where most walks stop
            // (a chain is one bucket for ~80% of keys at Go's load), so the
            // branch is well predicted, where testing `emptyRest` first is
            // a coin toss for the ~25% of head buckets that filled up.
            // `emptyRest` is then tested only in buckets with a successor.
            match b.overflow() {
                Some(next) if !g.any_empty_rest() => b = next,
                _ => return Err(InsertSlot { free, last: b }),
            }
        }
    }
}
