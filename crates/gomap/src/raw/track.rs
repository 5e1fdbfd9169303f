//! What a live cursor needs: the log of entries moved under it (so it can
//! follow them), the old arrays kept alive for it, and its registration
//! with the table (Go's `iterator` / `oldIterator` flags).

use core::ptr::NonNull;

use super::bucket::Bucket;
use super::layout::BUCKET_CNT;
use super::table::{IterTrack, RawTable, SlotId, ITERATOR, OLD_ITERATOR};

#[inline]
fn slot_id<K, V>(b: Bucket<K, V>, i: usize) -> SlotId {
    debug_assert!(i < BUCKET_CNT);
    SlotId {
        bucket: b.addr(),
        slot: i as u8,
    }
}

#[inline]
fn from_slot_id<K, V>(id: SlotId) -> (Bucket<K, V>, usize) {
    // SAFETY: ids are made by `slot_id` from live buckets (non-null), which
    // stay allocated while the cursor that tracks them lives.
    let b = unsafe { Bucket::from_raw(NonNull::new_unchecked(id.bucket as *mut u8)) };
    (b, usize::from(id.slot))
}

impl IterTrack {
    pub(crate) fn on_move<K, V>(
        &mut self,
        src: Bucket<K, V>,
        i: usize,
        dst: Bucket<K, V>,
        j: usize,
    ) {
        self.pending.push((slot_id(src, i), slot_id(dst, j)));
    }

    pub(crate) fn commit_moves(&mut self) {
        for (src, dst) in core::mem::take(&mut self.pending) {
            let id = match self.id_at.remove(&src) {
                Some(id) => id,
                None => {
                    self.next_id += 1;
                    self.next_id
                }
            };
            self.left.insert(src, id);
            self.at.insert(id, dst);
            self.id_at.insert(dst, id);
            if self.current == Some(src) {
                self.current = Some(dst);
            }
        }
    }

    pub(crate) fn discard_moves(&mut self) {
        self.pending.clear();
    }

    pub(crate) fn on_remove<K, V>(&mut self, b: Bucket<K, V>, i: usize) {
        let slot = slot_id(b, i);
        if let Some(id) = self.id_at.remove(&slot) {
            self.at.remove(&id);
        }
        if self.current == Some(slot) {
            self.current = None;
        }
    }

    /// Where the entry that left slot `(b, i)` lives now, if it still does.
    pub(crate) fn live<K, V>(&self, b: Bucket<K, V>, i: usize) -> Option<(Bucket<K, V>, usize)> {
        let id = self.left.get(&slot_id(b, i))?;
        self.at.get(id).map(|&slot| from_slot_id(slot))
    }

    pub(crate) fn set_current<K, V>(&mut self, b: Bucket<K, V>, i: usize) {
        self.current = Some(slot_id(b, i));
    }

    pub(crate) fn current<K, V>(&self) -> Option<(Bucket<K, V>, usize)> {
        self.current.map(from_slot_id)
    }

    pub(crate) fn heap_bytes<K, V>(&self) -> usize {
        let arrays: usize = self
            .retained
            .iter()
            .map(|old| super::alloc::array_layout::<K, V>(old.array_b).map_or(0, |l| l.size()))
            .sum();
        let entries = self.left.capacity() + self.at.capacity() + self.id_at.capacity();
        arrays + entries * core::mem::size_of::<(SlotId, usize)>() + core::mem::size_of::<Self>()
    }
}

impl<K, V, S> RawTable<K, V, S> {
    /// Marks the table as having a cursor (Go sets `iterator|oldIterator` in
    /// `mapiterinit`): from now on nothing that the walk may read is freed.
    pub(crate) fn register_cursor(&mut self) {
        self.release_retained();
        self.flags |= ITERATOR | OLD_ITERATOR;
        self.ex_mut().iter = Some(Box::default());
    }

    /// Frees what a cursor kept alive and clears its flags; called when the
    /// cursor ends.
    pub(crate) fn unregister_cursor(&mut self) {
        self.release_retained();
        // Chains of old buckets evacuated while the cursor watched were kept;
        // free them now, since the end of the growth frees only the array.
        if let Some(old) = self.oldbuckets {
            let old_b = self.old_b();
            // Buckets that start below `old_released` were evacuated and had
            // their chains freed before any cursor watched (pages are released
            // only while none does), and their memory may be gone: skip them.
            let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
            let first = self.old_released().div_ceil(bsize);
            for i in first..self.noldbuckets() {
                // SAFETY: `i` is below the old head count.
                let head = unsafe { Bucket::<K, V>::at(old, i) };
                if head.evacuated() {
                    self.free_chain(head, old, old_b);
                }
            }
        }
        self.drop_idle_extra();
    }

    /// Frees arrays a cursor kept alive, and forgets the cursor's tracking.
    pub(crate) fn release_retained(&mut self) {
        if let Some(track) = self.extra.as_deref_mut().and_then(|e| e.iter.take()) {
            for old in &track.retained {
                self.free_array_and_chains(old.array, old.array_b, old.released);
            }
        }
        self.flags &= !(ITERATOR | OLD_ITERATOR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slot identities stay distinct for buckets only 4 (or 1) bytes apart,
    /// as with `u32 -> u32` on a 32-bit target (`addr | i` made slot 4 of one
    /// bucket and slot 0 of a bucket 4 bytes on the same id). No memory is
    /// read: the handles are only turned into ids and back.
    #[test]
    fn slot_ids_are_distinct_whatever_the_alignment() {
        let base = 0x1000usize;
        let mut seen = std::collections::HashSet::new();
        for offset in 0..16 {
            // SAFETY: a handle that is never dereferenced (ids only).
            let b: Bucket<u32, u32> =
                unsafe { Bucket::from_raw(NonNull::new((base + offset) as *mut u8).unwrap()) };
            for i in 0..BUCKET_CNT {
                let id = slot_id(b, i);
                assert!(
                    seen.insert(id),
                    "bucket +{offset} slot {i}: id {id:?} taken"
                );
                let (b2, i2) = from_slot_id::<u32, u32>(id);
                assert_eq!((b2, i2), (b, i));
            }
        }
    }
}
