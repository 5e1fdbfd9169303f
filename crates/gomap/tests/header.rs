//! The header stays small (DESIGN.md, round 2): `GoMap<u64, u64>` is at most
//! 56 bytes (Go's hmap is 48, plus the 8-byte hasher), because the rarely
//! used bookkeeping lives behind one box allocated only when first needed,
//! and `new()` still allocates nothing.

use gomap::GoMap;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; only counts this
// thread's allocations.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

#[test]
fn header_is_at_most_56_bytes() {
    assert!(
        std::mem::size_of::<GoMap<u64, u64>>() <= 56,
        "GoMap<u64, u64> is {} bytes",
        std::mem::size_of::<GoMap<u64, u64>>()
    );
    // The header fields the layout report lists all lie inside it.
    let size = std::mem::size_of::<GoMap<u64, u64>>();
    for f in GoMap::<u64, u64>::header_fields() {
        assert!(f.offset + f.size <= size, "{f:?}");
    }
}

#[test]
fn new_allocates_nothing_and_the_box_only_when_needed() {
    // The default hasher seeds itself once per process (that may allocate).
    drop(GoMap::<u64, u64>::new());
    let before = allocs();
    let m: GoMap<u64, u64> = GoMap::new();
    assert_eq!(allocs(), before, "new() allocated");
    drop(m);
    // A presized map with no overflow bucket in use: the array only.
    let before = allocs();
    let mut m: GoMap<u64, u64, foldhash::fast::FixedState> =
        GoMap::with_capacity_and_hasher(52, foldhash::fast::FixedState::with_seed(1));
    assert_eq!(allocs() - before, 1, "with_capacity: one array");
    let mut k = 0u64;
    while m.stats().overflow_buckets == 0 && m.len() < 52 {
        let before = allocs();
        m.insert(k, k);
        if m.stats().overflow_buckets == 0 {
            assert_eq!(allocs(), before, "insert {k} without overflow allocated");
        }
        k += 1;
    }
    // The first overflow bucket (from the pre-allocated pool or not) needs
    // the bookkeeping box; the map keeps working either way.
    for i in 0..1000u64 {
        m.insert(i, i + 1);
    }
    assert!((0..1000u64).all(|i| m.get(&i) == Some(&(i + 1))));
}
