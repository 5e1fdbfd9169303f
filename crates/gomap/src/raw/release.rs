//! Giving memory back: freeing overflow chains and whole arrays, handing
//! evacuated old-array pages back to the OS as evacuation passes them, and
//! retiring a large old array a chunk per write once its growth finished.
//!
//! While an old bucket array is evacuated, the pages wholly below `nevacuate`
//! hold nothing anyone reads again (readers test `index < nevacuate` before
//! touching an old bucket). Returning them with `madvise(MADV_DONTNEED)` as
//! evacuation passes keeps the resident set from holding both arrays whole,
//! and makes the final `free` of the old array cheap: unmapping pages that are
//! no longer resident costs almost nothing, where freeing ~150 MB of resident
//! pages in one call takes milliseconds.

use core::ptr::NonNull;

use super::alloc::{self, prealloc_overflow};
use super::bucket::Bucket;
use super::table::{OldArray, RawTable, OLD_ITERATOR, SAME_SIZE_GROW};

/// Arrays smaller than this are never released piecemeal: the syscalls would
/// cost more than they save, and small maps stay byte-for-byte inspectable.
pub(crate) const RELEASE_MIN_ARRAY: usize = 1 << 20;
/// Pages are handed back at most this many bytes per write (one `madvise`
/// each), while evacuation passes them and while an array retires. The
/// call's cost grows with its length; measured on a 2-core VM
/// (examples/tail_profile.rs), the write that made it took a median 36 us
/// on-CPU with 256 KiB (~1,200 such writes growing to 10 M: most of the
/// slowest 1,000), 14 us with 64 KiB and 7 us with 16 KiB (~19,500 writes,
/// below the slowest 10,000).
pub(crate) const RELEASE_CHUNK: usize = 16 << 10;

/// One release step: [`RELEASE_CHUNK`], or a page where pages are larger
/// (a step must hold a whole page to make progress).
fn release_step() -> usize {
    #[cfg(unix)]
    return RELEASE_CHUNK.max(page_size());
    #[cfg(not(unix))]
    return RELEASE_CHUNK;
}

#[cfg(unix)]
fn page_size() -> usize {
    use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    let p = PAGE.load(Relaxed);
    if p != 0 {
        return p;
    }
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let p = if p > 0 { p as usize } else { 4096 };
    PAGE.store(p, Relaxed);
    p
}

/// Gives the whole pages inside `[start, end)` back to the OS; their contents
/// read as zero afterwards (or are unspecified on platforms without
/// `MADV_DONTNEED` semantics, where this does nothing). Returns the address
/// up to which pages were released (`start` rounded up if nothing was).
///
/// # Safety
/// `[start, end)` lies inside one live allocation that the caller owns, and
/// nothing reads the released bytes expecting their old contents (the
/// allocation is still freed normally later).
#[cfg(unix)]
pub(crate) unsafe fn release_pages(start: usize, end: usize) -> usize {
    let page = page_size();
    let lo = (start + page - 1) & !(page - 1);
    let hi = end & !(page - 1);
    if hi <= lo {
        return start;
    }
    // SAFETY: `[lo, hi)` is page-aligned and inside the caller's allocation
    // (caller's promise); MADV_DONTNEED on private anonymous memory only
    // drops the pages' contents, the mapping stays valid. A failure (e.g. an
    // allocator using a mapping where it is not allowed) is harmless: the
    // pages simply stay resident.
    unsafe { libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_DONTNEED) };
    // The crate's own tests poison released pages: `MADV_DONTNEED` promises
    // zeroes only for private anonymous memory, which a custom global
    // allocator need not hand out, so nothing may read them (see
    // `Bucket::overflow`, which rejects the poison).
    #[cfg(test)]
    // SAFETY: `[lo, hi)` is inside the caller's live allocation, and nothing
    // reads it expecting its old contents (the caller's promise).
    unsafe {
        core::ptr::write_bytes(lo as *mut u8, POISON_BYTE, hi - lo)
    };
    hi
}

/// What released pages hold in the crate's tests.
#[cfg(all(test, unix))]
pub(crate) const POISON_BYTE: u8 = 0xA5;

/// Without `madvise` nothing is handed back: returns `start` (no pages
/// released), so callers keep their released mark where it was.
///
/// # Safety
/// As for the unix version: `[start, end)` lies inside one live allocation
/// that the caller owns, and nothing reads the released bytes expecting
/// their old contents. (This version touches nothing, but callers must not
/// rely on that.)
#[cfg(not(unix))]
pub(crate) unsafe fn release_pages(start: usize, _end: usize) -> usize {
    start
}

impl<K, V, S> RawTable<K, V, S> {
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
        // SAFETY: ending the chain at its head; the buckets after it are
        // freed below (or belong to the array), and `self` is borrowed mutably.
        unsafe { head.set_overflow(None) };
        while let Some(b) = next {
            next = b.overflow();
            if !Self::in_array(b, array, array_b) {
                // SAFETY: an overflow bucket outside its array's allocation
                // came from `alloc_bucket`, and this chain was its only link.
                unsafe { alloc::free_bucket(b) };
                self.ex_mut().heap_overflow -= 1;
            }
        }
    }

    /// Frees a whole array and its chains' own allocations (no drops).
    ///
    /// The first `released` bytes were handed back to the OS: those heads
    /// are not read. What they read as is not promised (zeroes for private
    /// anonymous memory, anything under a custom global allocator), and
    /// there is nothing to free behind them: pages are released only below
    /// `nevacuate` while no cursor watches, so those heads were evacuated
    /// and their chains freed then.
    pub(crate) fn free_array_and_chains(
        &mut self,
        array: NonNull<u8>,
        array_b: u8,
        released: usize,
    ) {
        if self.heap_overflow() > 0 {
            let first = released.div_ceil(Bucket::<K, V>::LAYOUT.bucket_size);
            for i in first..1usize << array_b {
                // SAFETY: `i` is below the array's head count.
                let head = unsafe { Bucket::at(array, i) };
                self.free_chain(head, array, array_b);
            }
        }
        // SAFETY: the array came from `alloc_array(array_b)`; nothing refers to it now.
        unsafe { alloc::free_array::<K, V>(array, array_b) };
    }

    /// Releases the old array and any cursor-retained arrays (no drops: the
    /// caller has dropped or moved every entry).
    pub(crate) fn release_old(&mut self) {
        if let Some(old) = self.oldbuckets.take() {
            let old_b = self.old_b();
            let released = self.old_released();
            self.free_array_and_chains(old, old_b, released);
        }
        if let Some(e) = self.extra.as_deref_mut() {
            e.old_released = 0;
        }
        self.free_retired();
        self.flags &= !(SAME_SIZE_GROW | OLD_ITERATOR);
        self.nevacuate = 0;
        self.release_retained();
        self.refresh_grow_at();
        self.sync_pending();
    }

    /// Frees a retired old array now (see `retire_step`).
    pub(crate) fn free_retired(&mut self) {
        if let Some(OldArray { array, array_b, .. }) =
            self.extra.as_deref_mut().and_then(|e| e.retire.take())
        {
            // SAFETY: the array came from `alloc_array(array_b)`; its chains
            // were freed as its buckets were evacuated and nothing refers to it.
            unsafe { alloc::free_array::<K, V>(array, array_b) };
            #[cfg(feature = "tracing")]
            tracing::debug!(
                target: "gomap",
                event = "old_array_freed",
                len = self.count,
                bytes_freed = alloc::array_layout::<K, V>(array_b).map_or(0, |l| l.size()),
                "gomap: retired old array freed"
            );
        }
        self.sync_pending();
    }

    /// Hands the old array's pages below byte offset `done` back to the OS.
    #[cold]
    #[inline(never)]
    pub(crate) fn release_evacuated(&mut self, old: NonNull<u8>, done: usize) {
        let start = old.as_ptr() as usize;
        let from = self.old_released();
        // One chunk per write at most, however far `nevacuate` jumped: the
        // syscall's cost grows with its length, and later writes catch up.
        let to = done.min(from + release_step());
        // SAFETY: `[start + from, start + to)` is inside the old array's head
        // buckets, all below `nevacuate`: evacuated, their chains unlinked,
        // and never read again (every reader tests `nevacuate` first); no
        // cursor watches the old array (OLD_ITERATOR is clear). The array is
        // freed normally later.
        let upto = unsafe { release_pages(start + from, start + to) };
        self.ex_mut().old_released = upto - start;
    }

    /// Hands the next chunk of a retired old array back to the OS, freeing
    /// the array once all of it is (so the `free` itself unmaps nothing
    /// resident).
    #[cold]
    #[inline(never)]
    pub(crate) fn retire_step(&mut self) {
        let Some(OldArray {
            array,
            array_b,
            released: done,
        }) = self.retired()
        else {
            return;
        };
        let size = alloc::array_layout::<K, V>(array_b).map_or(0, |l| l.size());
        if done >= size {
            self.free_retired();
            return;
        }
        let start = array.as_ptr() as usize;
        let end = (done + release_step()).min(size);
        // SAFETY: inside the retired array, which nothing refers to any more
        // (evacuation finished, no cursor retained it).
        unsafe { release_pages(start + done, start + end) };
        self.ex_mut().retire = Some(OldArray {
            array,
            array_b,
            released: end,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::GoMap;

    /// Grows through several growths whose old arrays are large enough to be
    /// released piecemeal, checking every reader mid-growth: lookups, the
    /// plain walk, a cursor started mid-growth (after pages were released)
    /// and stats.
    #[test]
    fn reads_stay_right_while_old_pages_are_released() {
        let mut m: GoMap<u64, u64> = GoMap::new();
        let n = 120_000u64;
        let mut checked_mid_growth = 0;
        for i in 0..n {
            m.insert(i, i * 3);
            // header() is O(1); stats() would walk every chain per insert.
            let h = m.header();
            let old_buckets = if h.same_size_grow {
                1usize << h.b
            } else {
                1usize << h.b.saturating_sub(1)
            };
            if h.growing && h.nevacuate > 0 && old_buckets * 144 >= super::RELEASE_MIN_ARRAY {
                if i % 997 == 0 {
                    // Every key so far is found, through released old pages.
                    for k in (0..=i).step_by(7) {
                        assert_eq!(m.get(&k), Some(&(k * 3)), "key {k} at len {}", i + 1);
                    }
                    assert_eq!(m.get(&(n + i)), None);
                    assert_eq!(m.iter().count() as u64, i + 1);
                    assert_eq!(m.iter().map(|(_, v)| *v).sum::<u64>(), 3 * i * (i + 1) / 2);
                    checked_mid_growth += 1;
                }
                if i % 20_011 == 0 {
                    // A cursor that starts after pages were released sees
                    // every entry exactly once, and inserts under it.
                    let mut seen = 0u64;
                    let mut c = m.cursor();
                    while let Some((_, _)) = c.next() {
                        seen += 1;
                    }
                    drop(c);
                    assert_eq!(seen, i + 1);
                }
            }
        }
        assert!(checked_mid_growth > 5, "the test must reach large growths");
        for k in 0..n {
            assert_eq!(m.remove(&k), Some(k * 3));
        }
        assert!(m.is_empty());
    }

    /// Each write hands back at most one release step, while evacuation
    /// passes the old array and while it retires: one long `madvise` made
    /// the slowest writes of a growth to 10 M.
    #[test]
    fn each_write_releases_at_most_one_step() {
        const {
            assert!(
                super::RELEASE_CHUNK <= 16 << 10,
                "a 256 KiB step cost the writing insert ~36 us on-CPU"
            )
        };
        let step = super::release_step();
        let mut m: GoMap<u64, u64> = GoMap::new();
        let mut h0 = m.header();
        let (mut releases, mut retired_in_full) = (0, 0);
        for i in 0..240_000u64 {
            m.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
            let h1 = m.header();
            if h1.b == h0.b && h1.released_bytes > h0.released_bytes {
                let d = h1.released_bytes - h0.released_bytes;
                assert!(d <= step, "insert {i} released {d} bytes in one write");
                releases += 1;
            }
            if h0.retiring_bytes > 0 && h1.retiring_bytes == 0 {
                // Freed only once every byte of it was handed back.
                assert!(h0.released_bytes + step >= h0.retiring_bytes);
                retired_in_full += 1;
            }
            h0 = h1;
        }
        assert!(releases > 100, "only {releases} writes released pages");
        assert!(retired_in_full >= 2, "{retired_in_full} arrays retired");
    }

    /// When `nevacuate` jumps over a long run of buckets that writes had
    /// evacuated out of order, the release falls behind and catches up one
    /// step per write rather than in one long call.
    #[test]
    fn a_release_backlog_is_paid_one_step_per_write() {
        use core::hash::BuildHasher;
        let step = super::release_step();
        let bsize = 144;
        let mut m: GoMap<u64, u64> = GoMap::new();
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut n = 0u64;
        // Into the doubling from B = 13: an old array of 1.2 MB.
        while !(m.header().growing && m.header().b == 14) {
            m.insert(key(n), n);
            n += 1;
        }
        let old_mask = (1usize << 13) - 1;
        let bucket_of = |m: &GoMap<u64, u64>, k: u64| m.hasher().hash_one(k) as usize & old_mask;
        let mut one_key = vec![None; old_mask + 1];
        for i in 0..n {
            one_key[bucket_of(&m, key(i))] = Some(key(i));
        }
        // Updates evacuate a run of 600 buckets well ahead of `nevacuate`.
        // (A bucket with no key is never evacuated out of order: the run
        // must not hold one.)
        let mut start = m.header().nevacuate + 2000;
        while let Some(empty) = (start..start + 600).rfind(|&b| one_key[b].is_none()) {
            start = empty + 1;
        }
        let run = start..start + 600;
        for b in run.clone() {
            m.insert(one_key[b].expect("checked above"), 0);
        }
        assert!(m.header().nevacuate < run.start);
        // Then writes to an evacuated bucket: each moves `nevacuate` on by
        // one, until it jumps the run (86 KB) in one write.
        let k0 = one_key[0].expect("bucket 0 holds keys");
        let (mut h0, mut max_behind, mut caught_up_after) = (m.header(), 0, None);
        for w in 0..5000 {
            m.insert(k0, w);
            let h1 = m.header();
            assert!(h1.growing, "the growth lasts past the run");
            let d = h1.released_bytes - h0.released_bytes;
            assert!(d <= step, "write {w} released {d} bytes");
            let behind = h1.nevacuate * bsize - h1.released_bytes;
            max_behind = max_behind.max(behind);
            if max_behind > 4 * step && behind <= step + 4096 {
                caught_up_after = Some(w);
                break;
            }
            h0 = h1;
        }
        assert!(max_behind > 4 * step, "the run was never jumped");
        assert!(caught_up_after.is_some(), "the release never caught up");
        // Nothing released is read: every key is still found.
        for i in 0..n {
            assert!(m.contains_key(&key(i)));
        }
    }

    /// The map's old array (B = 13, 1.2 MB) after part of it was handed
    /// back to the OS, and separately allocated overflow buckets still
    /// around, so that freeing walks chains.
    fn growing_with_released_pages() -> GoMap<u64, u64> {
        let mut m: GoMap<u64, u64> = GoMap::new();
        let mut i = 0u64;
        while !(m.raw.growing() && m.raw.old_released() > 0) {
            m.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
            i += 1;
            assert!(i < 1_000_000, "no release happened");
        }
        assert_eq!(m.raw.b, 14);
        assert!(m.raw.heap_overflow() > 0, "chains to free exist");
        m
    }

    /// Dropping (and clearing) a map mid-growth frees the old array without
    /// reading the heads whose pages were handed back (they read as poison
    /// here; with a custom global allocator they could hold anything).
    #[test]
    fn freeing_the_old_array_skips_released_heads() {
        let m = growing_with_released_pages();
        drop(m);
        let mut m = growing_with_released_pages();
        let len = m.len();
        m.clear();
        assert!(m.is_empty() && len > 0);
        // `shrink_to_fit` and `reserve` rebuild from a map mid-growth too.
        let mut m = growing_with_released_pages();
        let len = m.len();
        m.reserve(len * 4);
        assert_eq!(m.len(), len);
    }

    /// A cursor that starts after pages were released keeps the old array
    /// alive past the end of the growth; when it ends, the array is freed
    /// without reading its released heads.
    #[test]
    fn a_retained_old_array_is_freed_without_reading_released_heads() {
        let mut m = growing_with_released_pages();
        let start = m.len() as u64;
        let mut c = m.cursor();
        let mut i = 0;
        // Inserts through the cursor finish the growth while it lives.
        while c.next().is_some() {
            c.insert(u64::MAX - i, i);
            i += 1;
        }
        drop(c);
        assert!(!m.raw.growing(), "the growth finished under the cursor");
        assert_eq!(m.len() as u64, start + i);
        drop(m);
    }
}
