//! A counting global allocator: how the tour shows what `new()` and the first
//! insert allocate, and when an old bucket array is freed.
//!
//! The library only defines [`CountingAlloc`]; a binary opts in with
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: gomap_cli::alloc::CountingAlloc = gomap_cli::alloc::CountingAlloc;
//! ```
//!
//! Counters are process-wide, so measurements are taken where no other
//! thread allocates (progress bars are not ticking in the measured spans).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting calls and live bytes.
pub struct CountingAlloc;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);
static BYTES_ALLOCATED: AtomicU64 = AtomicU64::new(0);
static BYTES_FREED: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn on_alloc(size: usize) {
    ALLOCS.fetch_add(1, Relaxed);
    BYTES_ALLOCATED.fetch_add(size as u64, Relaxed);
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
}

fn on_free(size: usize) {
    FREES.fetch_add(1, Relaxed);
    BYTES_FREED.fetch_add(size as u64, Relaxed);
    LIVE.fetch_sub(size, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the counters are atomics
// and never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            on_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            on_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (that is, by `System`)
        // with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) };
        on_free(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            on_free(layout.size());
            on_alloc(new_size);
        }
        p
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllocSnapshot {
    /// Allocation calls so far (a `realloc` counts as one free and one allocation).
    pub allocs: u64,
    /// Deallocation calls so far.
    pub frees: u64,
    /// Bytes requested so far, in total.
    pub bytes_allocated: u64,
    /// Bytes freed so far, in total.
    pub bytes_freed: u64,
    /// Bytes allocated and not yet freed.
    pub live: usize,
    /// Highest `live` seen so far.
    pub peak: usize,
}

impl AllocSnapshot {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &AllocSnapshot) -> AllocDelta {
        AllocDelta {
            allocs: self.allocs - earlier.allocs,
            frees: self.frees - earlier.frees,
            bytes_allocated: self.bytes_allocated - earlier.bytes_allocated,
            bytes_freed: self.bytes_freed - earlier.bytes_freed,
            live_change: self.live as i64 - earlier.live as i64,
        }
    }
}

/// The difference between two snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllocDelta {
    /// Allocation calls in between.
    pub allocs: u64,
    /// Deallocation calls in between.
    pub frees: u64,
    /// Bytes requested in between.
    pub bytes_allocated: u64,
    /// Bytes freed in between.
    pub bytes_freed: u64,
    /// Change in live bytes.
    pub live_change: i64,
}

/// Reads the counters.
pub fn snapshot() -> AllocSnapshot {
    AllocSnapshot {
        allocs: ALLOCS.load(Relaxed),
        frees: FREES.load(Relaxed),
        bytes_allocated: BYTES_ALLOCATED.load(Relaxed),
        bytes_freed: BYTES_FREED.load(Relaxed),
        live: LIVE.load(Relaxed),
        peak: PEAK.load(Relaxed),
    }
}

/// Live bytes now (0 forever when [`CountingAlloc`] is not the global allocator).
pub fn live_bytes() -> usize {
    LIVE.load(Relaxed)
}

/// Resets the peak to the current live bytes.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

/// Whether [`CountingAlloc`] is this process's global allocator.
pub fn is_installed() -> bool {
    let before = ALLOCS.load(Relaxed);
    let b = std::hint::black_box(Box::new(0u64));
    drop(b);
    ALLOCS.load(Relaxed) != before
}
