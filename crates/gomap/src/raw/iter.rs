//! Raw iteration: the plain walk behind `iter()`, and Go's `hiter` walk
//! behind `iter_randomized()` and the cursor (which follows entries moved
//! under it through the log kept in `track.rs`).

use core::hash::{BuildHasher, Hash};
use core::ptr::NonNull;

use super::bucket::Bucket;
use super::layout::BUCKET_CNT;
use super::probe::PREFETCH_MIN_B;
use super::table::RawTable;
use super::tophash::*;

/// How many head buckets ahead a walk starts loading a chain's overflow
/// bucket: about a cache miss's time in walking at 6.5 entries per head.
const CHAIN_PREFETCH_AHEAD: usize = 8;

/// Whether a walk over heads up to `heads` (an array's head count, or a
/// split's end) prefetches chains: only past the L2 cache (as for lookups,
/// `PREFETCH_MIN_B`), where a chain hop misses; below it the hint is pure
/// cost.
#[inline(always)]
fn prefetch_chains(heads: usize) -> bool {
    heads >= 1 << PREFETCH_MIN_B
}

/// The head whose chain to prefetch while at head `h` (of `end` heads).
#[inline(always)]
fn chain_ahead(h: usize, end: usize) -> usize {
    (h + CHAIN_PREFETCH_AHEAD).min(end - 1)
}

/// Visits every full slot once: old buckets not yet evacuated, then the
/// current array. Holds raw pointers, not borrows: the safe iterators tie it
/// to the map's lifetime.
pub(crate) struct RawIter<K, V> {
    /// (array, head count): the old array, then the current one.
    arrays: [(Option<NonNull<u8>>, usize); 2],
    which: usize,
    next_head: usize,
    end_head: usize,
    bucket: Option<Bucket<K, V>>,
    head: Option<Bucket<K, V>>,
    mask: BitMask,
    remaining: usize,
}

impl<K, V> Clone for RawIter<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for RawIter<K, V> {}

impl<K, V> RawIter<K, V> {
    pub(crate) fn new<S>(t: &RawTable<K, V, S>) -> Self {
        let old = (t.oldbuckets, if t.growing() { t.noldbuckets() } else { 0 });
        let old_done = if t.growing() { t.nevacuate } else { 0 };
        let cur = (
            t.buckets,
            if t.buckets.is_some() {
                1usize << t.b
            } else {
                0
            },
        );
        RawIter {
            arrays: [old, cur],
            which: 0,
            // Old buckets below `nevacuate` are evacuated (and may have been
            // handed back to the OS): start after them.
            next_head: old_done,
            end_head: old.1,
            bucket: None,
            head: None,
            mask: BitMask::EMPTY,
            remaining: t.count,
        }
    }

    /// A walk that yields nothing (what an iterator is left with after `fold`).
    pub(crate) fn done() -> Self {
        RawIter {
            arrays: [(None, 0), (None, 0)],
            which: 2,
            next_head: 0,
            end_head: 0,
            bucket: None,
            head: None,
            mask: BitMask::EMPTY,
            remaining: 0,
        }
    }

    /// Array `which` (0 old, 1 current). Selected with constant indices, not
    /// `arrays[which]`: a dynamic index would keep the whole walk state in
    /// memory and cost `next()` two stores per element.
    #[inline(always)]
    fn array(&self, which: usize) -> Option<NonNull<u8>> {
        if which == 0 {
            self.arrays[0].0
        } else {
            self.arrays[1].0
        }
    }

    /// Entries not yet yielded.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    /// The head of the chain holding the last yielded slot.
    pub(crate) fn head(&self) -> Bucket<K, V> {
        self.head.expect("called after next() yielded")
    }

    /// Splits off the second half of the head buckets still ahead (for
    /// parallel iteration); `None` when too little is left to split. The
    /// halves' `remaining` counts become upper bounds.
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    pub(crate) fn split(&mut self) -> Option<RawIter<K, V>> {
        // Move to a fresh chain boundary only: never split mid-chain.
        if self.bucket.is_some() || self.remaining == 0 {
            return None;
        }
        if self.which == 0 && self.end_head - self.next_head < 2 {
            // Split the old array's rest from the whole current array.
            if self.arrays[1].1 == 0 {
                return None;
            }
            let mut other = *self;
            other.which = 1;
            other.next_head = 0;
            other.end_head = self.arrays[1].1;
            self.arrays[1] = (None, 0);
            return Some(other);
        }
        let left = self.end_head - self.next_head;
        if left < 2 {
            return None;
        }
        let mid = self.next_head + left / 2;
        let mut other = *self;
        other.next_head = mid;
        self.end_head = mid;
        if self.which == 0 {
            // `other` carries the rest of the old array and the current array.
            self.arrays[1] = (None, 0);
        }
        Some(other)
    }

    /// The next full slot. The common case (more slots in the bucket at
    /// hand) touches only `mask` and `remaining`; moving to the next bucket
    /// is `advance`.
    ///
    /// Always inlined, with `advance`: out of line, the walk's state lives
    /// in memory and a `for` loop costs about twice the instructions per
    /// element (45 against 22 at 1e3; LLVM stops inlining a plain
    /// `#[inline]` once a program iterates in a few places).
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Option<(Bucket<K, V>, usize)> {
        loop {
            if let Some(i) = self.mask.next() {
                self.remaining -= 1;
                // SAFETY: `mask` is non-empty only while `bucket` is set
                // (both are set together in `advance`).
                return Some((unsafe { self.bucket.unwrap_unchecked() }, i));
            }
            if !self.advance() {
                return None;
            }
        }
    }

    /// Loads the next bucket of the walk into `bucket` and `mask` (its
    /// chain's next overflow bucket, else the next head bucket, moving on to
    /// the next array at the end); `false` once nothing is left.
    #[inline(always)]
    fn advance(&mut self) -> bool {
        if self.remaining == 0 {
            return false;
        }
        if let Some(next) = self.bucket.and_then(|b| b.overflow()) {
            self.bucket = Some(next);
            self.mask = next.group().match_full();
            return true;
        }
        while self.next_head == self.end_head {
            self.which += 1;
            if self.which == 2 {
                self.remaining = 0;
                return false;
            }
            self.next_head = 0;
            self.end_head = self.arrays[1].1;
        }
        let Some(array) = self.array(self.which) else {
            return false;
        };
        // SAFETY: `next_head` is below the array's head count.
        let head = unsafe { Bucket::at(array, self.next_head) };
        if prefetch_chains(self.end_head) {
            // SAFETY: `chain_ahead` is below the array's head count.
            unsafe { Bucket::<K, V>::at(array, chain_ahead(self.next_head, self.end_head)) }
                .prefetch_overflow();
        }
        self.next_head += 1;
        if self.which == 0 && head.evacuated() {
            self.bucket = None;
            self.mask = BitMask::EMPTY;
            return true;
        }
        self.head = Some(head);
        self.bucket = Some(head);
        self.mask = head.group().match_full();
        true
    }
}

impl<K, V> RawIter<K, V> {
    /// Visits every slot `next()` would still yield, in the same order, as
    /// nested loops (arrays, head buckets, chain, full-slot bits) with the
    /// walk's state in locals rather than written back per element (what
    /// hashbrown's `RawIterRange::fold_impl` does). `f` also gets the head of
    /// the slot's chain (for `retain`, which removes through it).
    #[inline]
    pub(crate) fn fold_with_head<B>(
        self,
        init: B,
        mut f: impl FnMut(B, Bucket<K, V>, Bucket<K, V>, usize) -> B,
    ) -> B {
        let mut acc = init;
        if self.remaining == 0 {
            return acc;
        }
        // The rest of a chain `next()` is in the middle of.
        if let Some(mut b) = self.bucket {
            let head = self.head.unwrap_or(b);
            let mut mask = self.mask;
            loop {
                for i in mask {
                    acc = f(acc, head, b, i);
                }
                match b.overflow() {
                    Some(n) => {
                        b = n;
                        mask = n.group().match_full();
                    }
                    None => break,
                }
            }
        }
        let (mut which, mut next_head, mut end_head) = (self.which, self.next_head, self.end_head);
        while which < 2 {
            if let Some(array) = self.array(which) {
                let prefetch = prefetch_chains(end_head);
                for h in next_head..end_head {
                    if prefetch {
                        // SAFETY: `chain_ahead` is below the head count.
                        unsafe { Bucket::<K, V>::at(array, chain_ahead(h, end_head)) }
                            .prefetch_overflow();
                    }
                    // SAFETY: `h` is below the array's head count.
                    let head = unsafe { Bucket::<K, V>::at(array, h) };
                    let mut g = head.group();
                    // Old buckets evacuated since the walk began hold markers only.
                    if which == 0 && head.evacuated() {
                        continue;
                    }
                    let mut b = head;
                    loop {
                        for i in g.match_full() {
                            acc = f(acc, head, b, i);
                        }
                        match b.overflow() {
                            Some(n) => {
                                b = n;
                                g = n.group();
                            }
                            None => break,
                        }
                    }
                }
            }
            which += 1;
            next_head = 0;
            end_head = self.arrays[1].1;
        }
        acc
    }

    /// `fold` over the slots (see `fold_with_head`).
    #[inline]
    pub(crate) fn fold<B>(self, init: B, mut f: impl FnMut(B, Bucket<K, V>, usize) -> B) -> B {
        self.fold_with_head(init, |acc, _, b, i| f(acc, b, i))
    }
}

/// Go's `hiter`: a walk over the array that was current when it started,
/// from a start bucket and slot offset, that stays correct while the map
/// grows under it (see the crate docs, "Iteration").
pub(crate) struct Hiter<K, V> {
    /// `B` when the walk started (Go's `it.B`).
    it_b: u8,
    /// The array walked (Go's `it.buckets`).
    buckets: Option<NonNull<u8>>,
    start_bucket: usize,
    offset: usize,
    wrapped: bool,
    /// Next head index to visit.
    bucket: usize,
    /// Chain position (Go's `it.bptr`), `None` between chains.
    bptr: Option<Bucket<K, V>>,
    /// Next slot counter in `bptr` (0..8, rotated by `offset`).
    i: usize,
    /// While walking an old chain during a doubling: the new bucket whose
    /// entries are wanted (Go's `checkBucket`).
    check_bucket: Option<usize>,
}

impl<K, V> Hiter<K, V> {
    /// Go's `mapiterinit` with random bits `r`.
    pub(crate) fn new<S>(t: &RawTable<K, V, S>, r: u64) -> Self {
        let buckets = if t.count == 0 { None } else { t.buckets };
        let mask = (1usize << t.b) - 1;
        Hiter {
            it_b: t.b,
            buckets,
            start_bucket: r as usize & mask,
            offset: ((r >> t.b) & (BUCKET_CNT as u64 - 1)) as usize,
            wrapped: false,
            bucket: r as usize & mask,
            bptr: None,
            i: 0,
            check_bucket: None,
        }
    }

    /// Go's `mapiternext`. `None` at the end.
    pub(crate) fn next<S: BuildHasher>(
        &mut self,
        t: &RawTable<K, V, S>,
    ) -> Option<(Bucket<K, V>, usize)>
    where
        K: Hash,
    {
        let buckets = self.buckets?;
        loop {
            let b = match self.bptr {
                Some(b) => b,
                None => {
                    if self.bucket == self.start_bucket && self.wrapped {
                        self.buckets = None;
                        return None;
                    }
                    let bucket = self.bucket;
                    let b = match t.oldbuckets {
                        Some(old) if self.it_b == t.b => {
                            // Started during this growth (or a same-size grow
                            // began since): read the old bucket while it is
                            // not evacuated, keeping only what belongs here.
                            let oldbucket = bucket & (t.noldbuckets() - 1);
                            // SAFETY: masked to the old head count.
                            let ob = unsafe { Bucket::at(old, oldbucket) };
                            // SAFETY: growing, and `oldbucket` is masked.
                            if !unsafe { t.old_evacuated(oldbucket) } {
                                self.check_bucket = Some(bucket);
                                ob
                            } else {
                                self.check_bucket = None;
                                // SAFETY: `bucket < 2^it_b`, the walked array's head count.
                                unsafe { Bucket::at(buckets, bucket) }
                            }
                        }
                        _ => {
                            self.check_bucket = None;
                            // SAFETY: as above.
                            unsafe { Bucket::at(buckets, bucket) }
                        }
                    };
                    self.bucket += 1;
                    if self.bucket == 1usize << self.it_b {
                        self.bucket = 0;
                        self.wrapped = true;
                    }
                    self.i = 0;
                    self.bptr = Some(b);
                    b
                }
            };
            while self.i < BUCKET_CNT {
                let offi = (self.i + self.offset) & (BUCKET_CNT - 1);
                self.i += 1;
                // SAFETY: `offi` is masked to 0..8.
                let top = unsafe { b.top(offi) };
                if is_empty(top) || top == EVACUATED_EMPTY {
                    continue;
                }
                let (lb, li) = if top >= MIN_TOP_HASH {
                    (b, offi)
                } else {
                    // Evacuated since the walk reached it: follow the entry.
                    match t.track().and_then(|tr| tr.live(b, offi)) {
                        Some(live) => live,
                        None => continue,
                    }
                };
                if let Some(check) = self.check_bucket {
                    if !t.same_size_grow() {
                        // SAFETY: `(lb, li)` is a full slot.
                        let hash = t.hash0.hash_one(unsafe { &*lb.key(li) });
                        if hash as usize & ((1usize << self.it_b) - 1) != check {
                            continue;
                        }
                    }
                }
                return Some((lb, li));
            }
            self.bptr = b.overflow();
            self.i = 0;
        }
    }
}

impl<K, V, S> RawTable<K, V, S> {
    /// Walks every entry: old buckets not yet evacuated, then the current array.
    pub(crate) fn raw_iter(&self) -> RawIter<K, V> {
        RawIter::new(self)
    }
}
