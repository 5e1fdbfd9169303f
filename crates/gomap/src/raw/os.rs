//! Handing memory back to the operating system without freeing it.
//!
//! While an old bucket array is evacuated, the pages wholly below `nevacuate`
//! hold nothing anyone reads again (readers test `index < nevacuate` before
//! touching an old bucket). Returning them with `madvise(MADV_DONTNEED)` as
//! evacuation passes keeps the resident set from holding both arrays whole,
//! and makes the final `free` of the old array cheap: unmapping pages that are
//! no longer resident costs almost nothing, where freeing ~150 MB of resident
//! pages in one call takes milliseconds.

/// Arrays smaller than this are never released piecemeal: the syscalls would
/// cost more than they save, and small maps stay byte-for-byte inspectable.
pub(crate) const RELEASE_MIN_ARRAY: usize = 1 << 20;
/// Release in steps of at least this many bytes (one syscall each), and at
/// most about twice this per write once an array is retired.
pub(crate) const RELEASE_CHUNK: usize = 256 << 10;

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
pub(crate) unsafe fn release(start: usize, end: usize) -> usize {
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
    hi
}

#[cfg(not(unix))]
pub(crate) unsafe fn release(start: usize, _end: usize) -> usize {
    start
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
}
