//! Growth: Go's `hashGrow` (start a doubling or a same-size growth),
//! `growWork` (the evacuation each write does), `evacuate` (split one old
//! bucket into X and Y) and `advanceEvacuationMark` (finish the growth).

use core::hash::{BuildHasher, Hash};

use super::alloc;
use super::bucket::Bucket;
use super::layout::BUCKET_CNT;
use super::probe::PREFETCH_MIN_B;
use super::release::{RELEASE_CHUNK, RELEASE_MIN_ARRAY};
use super::table::{
    over_load_factor, OldArray, RawTable, INLINE, ITERATOR, OLD_ITERATOR, SAME_SIZE_GROW,
};
use super::tophash::*;

/// `nevacuate` skips at most this many already-evacuated buckets per step,
/// bounding the work of one write.
const EVACUATE_SCAN_LIMIT: usize = 1024;

impl<K, V, S> RawTable<K, V, S> {
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
        b.evacuated()
    }
}

impl<K: Hash, V, S: BuildHasher> RawTable<K, V, S> {
    /// Go's `growWork`: evacuate the old bucket this write maps to, then one
    /// more at `nevacuate` to make progress.
    pub(crate) fn grow_work(&mut self, bucket: usize) {
        let oldmask = self.noldbuckets() - 1;
        let own = bucket & oldmask;
        if self.b >= PREFETCH_MIN_B && own >= self.nevacuate {
            // The write's own old bucket is at a random place, and so are
            // its two destinations: request their nine lines at once rather
            // than one dependent miss after another.
            // SAFETY: `own` is below the old head count, `own + newbit`
            // below the new one (doubling), `own` below it too.
            unsafe {
                Bucket::<K, V>::at(self.oldbuckets.unwrap_unchecked(), own).prefetch_all();
                let newbit = if self.same_size_grow() {
                    0
                } else {
                    oldmask + 1
                };
                self.new_head(own).prefetch_all();
                self.new_head(own + newbit).prefetch_all();
            }
        }
        self.evacuate(own);
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
    pub(crate) fn hash_grow(&mut self) {
        // The previous old array is normally long gone (a chunk per write);
        // free whatever is left before the next one takes its place.
        self.free_retired();
        if let Some(e) = self.extra.as_deref_mut() {
            e.old_released = 0;
        }
        let bigger = over_load_factor(self.count + 1, self.b);
        let new_b = if bigger { self.b + 1 } else { self.b };
        let array = match self.new_array(new_b) {
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
        self.refresh_grow_at();
        self.sync_pending();
        #[cfg(feature = "tracing")]
        {
            self.ex_mut().grow_writes = 0;
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
        let src_head = unsafe { Bucket::<K, V>::at(old, oldbucket) };
        let newbit = self.noldbuckets();
        if !src_head.evacuated() {
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
                src: src_head,
                x,
                y,
                armed: true,
            };
            // Per destination (X, Y): the bucket being filled and its next slot.
            let mut dst = [(x, 0usize), (y, 0usize)];
            // Whether a cursor must hear of each move, tested once here
            // rather than through the bookkeeping box per moved entry.
            let tracking = undo.table.flags & ITERATOR != 0;
            let mut src = src_head;
            loop {
                let full = src.group().match_full();
                // Hash the bucket's entries before moving any of them: a
                // panicking `Hash` then finds this bucket untouched. The Y
                // slots are collected without a branch (a hash bit is a
                // coin toss for the branch predictor).
                let mut to_y = BitMask::EMPTY;
                if !same {
                    for i in full {
                        // SAFETY: slot `i` is full.
                        let hash = undo.table.hash0.hash_one(unsafe { &*src.key(i) });
                        to_y = to_y.with_if(i, hash as usize & newbit != 0);
                    }
                }
                // Then the moves: first every X entry, then every Y entry,
                // so each destination still receives its entries in Go's
                // order (slot order along the chain), each run with its
                // cursor in registers. The source's markers are written
                // once per bucket, after its moves.
                let tops = src.group();
                let (xs, ys) = full.partition(to_y);
                for (d, slots) in [(0, xs), (1, ys)] {
                    let (mut db, mut di) = dst[d];
                    for i in slots {
                        if di == BUCKET_CNT {
                            // An evacuation interrupted by a panic may have
                            // linked an (emptied) overflow bucket here
                            // already: reuse it, since linking a new one
                            // would lose it.
                            db = match db.overflow() {
                                Some(next) => next,
                                None => undo.table.new_overflow(db),
                            };
                            di = 0;
                        }
                        // SAFETY: `i < 8` (a match) and `di < 8` (reset to 0
                        // at 8); the destination slot is empty (destinations
                        // start empty and fill in order); the source slot
                        // stays full (unmarked) until the markers below, and
                        // an unmarked slot is still the source's to the
                        // undo guard. The table is borrowed mutably through
                        // `undo`.
                        unsafe {
                            src.move_to(i, db, di);
                            db.set_top(di, tops.byte(i));
                        }
                        if tracking {
                            if let Some(track) = undo.table.track_mut() {
                                track.on_move(src, i, db, di);
                            }
                        }
                        di += 1;
                    }
                    dst[d] = (db, di);
                }
                src.set_tophash_bytes(tops.with_evacuated(xs, ys));
                match src.overflow() {
                    Some(next) => src = next,
                    None => break,
                }
            }
            undo.armed = false;
            drop(undo);
            if tracking {
                if let Some(track) = self.track_mut() {
                    track.commit_moves();
                }
            }
            // Every slot now holds a marker, so `is_evacuated` sees it from slot 0.
            let mut next = Some(src_head);
            while let Some(c) = next {
                c.set_tophash_bytes(c.group().with_empty_evacuated());
                next = c.overflow();
            }
            if self.flags & OLD_ITERATOR == 0 {
                // No cursor can still read this chain: free it now rather
                // than all at once when the old array goes.
                let old_b = self.old_b();
                self.free_chain(src_head, old, old_b);
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
            && unsafe { Bucket::<K, V>::at(old, self.nevacuate) }.evacuated()
        {
            self.nevacuate += 1;
        }
        if self.nevacuate == newbit {
            self.finish_growth();
        } else if self.flags & OLD_ITERATOR == 0 {
            let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
            let done = self.nevacuate * bsize;
            if newbit * bsize >= RELEASE_MIN_ARRAY && done - self.old_released() >= RELEASE_CHUNK {
                self.release_evacuated(old, done);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn finish_growth(&mut self) {
        let old = self.oldbuckets.take().expect("growing");
        let old_b = self.old_b();
        #[cfg(feature = "tracing")]
        let freed = alloc::array_layout::<K, V>(old_b).map_or(0, |l| l.size());
        #[cfg(feature = "tracing")]
        let retained = self.flags & OLD_ITERATOR != 0;
        #[cfg(feature = "tracing")]
        let freed = if self.flags & INLINE != 0 { 0 } else { freed };
        // A large array is retired (freed a few writes later, by
        // `free_retired`, which reports it), not freed here.
        #[cfg(feature = "tracing")]
        let retiring = !retained && freed >= RELEASE_MIN_ARRAY;
        if self.flags & INLINE != 0 {
            // The bucket of an `InlineGoMap` that just spilled: not an
            // allocation, and valid while the map is borrowed (so a cursor
            // may keep walking it).
            self.flags &= !INLINE;
        } else if self.flags & OLD_ITERATOR != 0 {
            // A cursor may still walk it (Go's GC would keep it alive).
            let released = self.old_released();
            self.track_mut()
                .expect("cursor state while OLD_ITERATOR")
                .retained
                .push(OldArray {
                    array: old,
                    array_b: old_b,
                    released,
                });
        } else if alloc::array_layout::<K, V>(old_b).map_or(0, |l| l.size()) >= RELEASE_MIN_ARRAY {
            // Large: hand the rest of its pages back a chunk per write, then
            // free it (see `retire_step`): unmapping ~10-150 MB of resident
            // pages in one call would take milliseconds.
            self.free_retired();
            let released = self.old_released();
            self.ex_mut().retire = Some(OldArray {
                array: old,
                array_b: old_b,
                released,
            });
        } else {
            // Each chain was freed as its bucket was evacuated (no cursor was
            // watching), so this is one deallocation, not a walk.
            // SAFETY: the old array came from `alloc_array(old_b)`; nothing
            // refers to it any more.
            unsafe { alloc::free_array::<K, V>(old, old_b) };
        }
        if let Some(e) = self.extra.as_deref_mut() {
            e.old_released = 0;
        }
        self.flags &= !(SAME_SIZE_GROW | OLD_ITERATOR);
        self.refresh_grow_at();
        self.sync_pending();
        #[cfg(feature = "tracing")]
        tracing::debug!(
            target: "gomap",
            event = "evacuation_done",
            len = self.count,
            b = self.b,
            old_buckets = 1usize << old_b,
            writes = self.ex().map_or(0, |e| e.grow_writes),
            // The old array's allocation (its overflow chains were freed as
            // their buckets were evacuated). With a live cursor it is kept
            // until the cursor ends: 0 bytes freed now, `retained` true.
            bytes_freed = if retained || retiring { 0 } else { freed },
            retained,
            retiring,
            "gomap: evacuation finished"
        );
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
        let mut next = Some(self.src);
        while let Some(c) = next {
            for i in 0..BUCKET_CNT {
                // SAFETY: `i < 8`.
                let top = unsafe { c.top(i) };
                if top == EVACUATED_X || top == EVACUATED_Y {
                    let which = (top - EVACUATED_X) as usize;
                    let (mut db, mut di) = dst[which];
                    if di == BUCKET_CNT {
                        db = db.overflow().expect("destination chain was extended");
                        di = 0;
                    }
                    // SAFETY: `i < 8` and `di < 8` (reset to 0 at 8); the
                    // table is borrowed mutably by the guard.
                    unsafe { c.set_top(i, db.top(di)) };
                    dst[which] = (db, di + 1);
                }
            }
            next = c.overflow();
        }
        // The destinations were empty before this evacuation: empty them
        // again (their bytes are copies the source still owns). Overflow
        // buckets linked meanwhile stay linked, empty, and the retry fills
        // them (see the loop above); they are counted in `heap_bytes`.
        for head in [self.x, self.y] {
            let mut b = Some(head);
            while let Some(c) = b {
                c.set_tophash_bytes([EMPTY_REST; 8]);
                b = c.overflow();
            }
        }
        if let Some(track) = self.table.track_mut() {
            track.discard_moves();
        }
        if self.table.flags & INLINE != 0 {
            // The spill of an inline bucket: back inline, as before the insert.
            self.table.undo_inline_spill();
        }
    }
}
