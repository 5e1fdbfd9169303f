//! Bucket array and overflow bucket allocation, and the crate's error type.

use core::alloc::Layout;
use core::fmt;
use core::ptr::NonNull;
use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error};

use super::bucket::Bucket;

/// The error `try_reserve` and the `try_` constructors return.
///
/// ```
/// let mut m = gomap::GoMap::<u64, u64>::new();
/// let e: gomap::TryReserveError = m.try_reserve(usize::MAX).unwrap_err();
/// assert_eq!(e, gomap::TryReserveError::CapacityOverflow);
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TryReserveError {
    /// The requested size overflows `usize` or exceeds `isize::MAX` bytes.
    CapacityOverflow,
    /// The allocator could not provide this allocation.
    AllocError {
        /// The layout that was asked for.
        layout: Layout,
    },
}

impl fmt::Display for TryReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryReserveError::CapacityOverflow => {
                f.write_str("capacity overflow: the requested map size does not fit in memory")
            }
            TryReserveError::AllocError { layout } => {
                write!(
                    f,
                    "memory allocation of {} bytes for a bucket array failed",
                    layout.size()
                )
            }
        }
    }
}

impl std::error::Error for TryReserveError {}

impl TryReserveError {
    /// Panics (capacity overflow) or aborts (allocation failure) the way
    /// std's collections do for their infallible calls.
    #[cold]
    #[inline(never)]
    pub(crate) fn fail(self) -> ! {
        match self {
            TryReserveError::CapacityOverflow => panic!("gomap: capacity overflow"),
            TryReserveError::AllocError { layout } => handle_alloc_error(layout),
        }
    }
}

/// Number of head buckets for a given `B`, or `None` if `2^B` overflows.
#[inline]
pub(crate) fn bucket_shift(b: u8) -> Option<usize> {
    1usize.checked_shl(b as u32)
}

/// Pre-allocated overflow buckets at the tail of an array: `2^(B-4)` for `B >= 4`.
#[inline]
pub(crate) fn prealloc_overflow(b: u8) -> usize {
    if b >= 4 {
        1usize << (b - 4)
    } else {
        0
    }
}

/// A freshly allocated, zeroed bucket array (all slots `EMPTY_REST`, no overflow).
pub(crate) struct Array {
    pub(crate) ptr: NonNull<u8>,
    /// Start of the pre-allocated overflow buckets.
    pub(crate) pool: *mut u8,
    /// One past the end of the allocation.
    pub(crate) end: *mut u8,
}

pub(crate) fn array_layout<K, V>(b: u8) -> Result<Layout, TryReserveError> {
    let l = Bucket::<K, V>::LAYOUT;
    let heads = bucket_shift(b).ok_or(TryReserveError::CapacityOverflow)?;
    let total = heads
        .checked_add(prealloc_overflow(b))
        .ok_or(TryReserveError::CapacityOverflow)?;
    let size = total
        .checked_mul(l.bucket_size)
        .ok_or(TryReserveError::CapacityOverflow)?;
    Layout::from_size_align(size, l.bucket_align).map_err(|_| TryReserveError::CapacityOverflow)
}

/// Go's `makeBucketArray`: `2^B` buckets plus the pre-allocated overflow
/// buckets, zeroed. Zeroed memory comes lazily from the OS for large arrays,
/// so pages become resident only as they are written. With `huge`, the
/// array's whole 2 MiB pages are advised as huge pages before any is
/// touched (see [`advise_huge_pages`]).
pub(crate) fn alloc_array<K, V>(b: u8, huge: bool) -> Result<Array, TryReserveError> {
    let layout = array_layout::<K, V>(b)?;
    // SAFETY: the layout has non-zero size (a bucket holds at least the
    // tophash bytes and the overflow pointer).
    let p = unsafe { alloc_zeroed(layout) };
    let ptr = NonNull::new(p).ok_or(TryReserveError::AllocError { layout })?;
    if huge {
        advise_huge_pages(p as usize, layout.size());
    }
    let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
    // SAFETY: both offsets are within (or one past the end of) the allocation.
    let (pool, end) = unsafe { (p.add((1usize << b) * bsize), p.add(layout.size())) };
    Ok(Array { ptr, pool, end })
}

/// The size of a transparent huge page on x86-64 and most arm64 kernels.
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the whole 2 MiB-aligned pages inside
/// `[start, start + len)` with transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`). Only the part that holds a whole huge page is
/// advised, so arrays under 2 MiB (and the unaligned ends of larger ones)
/// keep 4 KiB pages. The advice changes no byte: where the kernel has no
/// transparent huge pages, or they are off, it fails or does nothing, and
/// the map simply keeps small pages.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn advise_huge_pages(start: usize, len: usize) {
    let lo = start.next_multiple_of(HUGE_PAGE);
    let hi = (start + len) & !(HUGE_PAGE - 1);
    if hi <= lo {
        return;
    }
    // SAFETY: `[lo, hi)` lies inside an allocation the caller holds, and
    // MADV_HUGEPAGE changes only how its pages are backed, never what they
    // hold (the kernel copies them when it collapses small pages into a
    // huge one), so it is sound on any mapped memory, whoever allocated it.
    unsafe { libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE) };
}

/// Without Linux's transparent huge pages there is nothing to ask for.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn advise_huge_pages(_start: usize, _len: usize) {}

/// Frees a bucket array allocated by [`alloc_array`] with the same `b`.
///
/// # Safety
/// `ptr` came from `alloc_array::<K, V>(b)` and is not used afterwards.
pub(crate) unsafe fn free_array<K, V>(ptr: NonNull<u8>, b: u8) {
    let layout = array_layout::<K, V>(b).expect("layout was valid when allocated");
    // SAFETY: same pointer and layout as the allocation (caller's promise).
    unsafe { dealloc(ptr.as_ptr(), layout) }
}

fn bucket_layout<K, V>() -> Layout {
    let l = Bucket::<K, V>::LAYOUT;
    // A single bucket's layout is valid: its size is small and its
    // alignment a power of two.
    Layout::from_size_align(l.bucket_size, l.bucket_align).expect("bucket layout")
}

/// Allocates one zeroed overflow bucket on its own (Go's `newobject(t.bucket)`).
pub(crate) fn alloc_bucket<K, V>() -> Bucket<K, V> {
    let layout = bucket_layout::<K, V>();
    // SAFETY: non-zero size, as for arrays.
    let p = unsafe { alloc_zeroed(layout) };
    match NonNull::new(p) {
        // SAFETY: a fresh zeroed allocation of one bucket is a valid empty bucket.
        Some(p) => unsafe { Bucket::from_raw(p) },
        None => handle_alloc_error(layout),
    }
}

/// Frees an overflow bucket from [`alloc_bucket`].
///
/// # Safety
/// `b` came from `alloc_bucket::<K, V>()` and is not used afterwards.
pub(crate) unsafe fn free_bucket<K, V>(b: Bucket<K, V>) {
    // SAFETY: same pointer and layout as the allocation (caller's promise).
    unsafe { dealloc(b.as_ptr(), bucket_layout::<K, V>()) }
}
