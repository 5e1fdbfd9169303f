//! The `serde` feature: round trips through serde_json (text) and postcard
//! (binary), and a hostile length prefix that must not allocate unbounded
//! memory.
#![cfg(feature = "serde")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use gomap::GoMap;

/// Records the largest single allocation made while `ARMED`.
struct Largest;
static ARMED: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: the caller's obligations are System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Largest = Largest;

/// The allocation measurement is process-wide: tests here run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn largest_allocation_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
    let r = f();
    ARMED.store(false, Ordering::Relaxed);
    (r, LARGEST.load(Ordering::Relaxed))
}

fn sample(n: u64) -> GoMap<String, Vec<u32>> {
    (0..n)
        .map(|i| (format!("key-{i}"), (0..(i % 5) as u32).collect()))
        .collect()
}

fn as_std<K: std::hash::Hash + Eq + Clone, V: Clone, S>(m: &GoMap<K, V, S>) -> HashMap<K, V> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn json_round_trip() {
    let _g = serial();
    for n in [0, 1, 8, 9, 100, 5000] {
        let m = sample(n);
        let text = serde_json::to_string(&m).unwrap();
        // It is a JSON object with one member per entry, and std's HashMap
        // reads it as the same map.
        let std_view: HashMap<String, Vec<u32>> = serde_json::from_str(&text).unwrap();
        assert_eq!(std_view, as_std(&m));
        let back: GoMap<String, Vec<u32>> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }
}

#[test]
fn json_integer_keys_and_custom_hasher() {
    let _g = serial();
    let m: GoMap<u64, i8, foldhash::fast::FixedState> =
        (0..300).map(|i| (i, (i % 7) as i8)).collect();
    let text = serde_json::to_string(&m).unwrap();
    let back: GoMap<u64, i8, foldhash::fast::FixedState> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, m);
}

#[test]
fn json_duplicate_keys_keep_the_last_value_like_std() {
    let _g = serial();
    let m: GoMap<String, u8> = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    let s: HashMap<String, u8> = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(as_std(&m), s);
    assert_eq!(m.len(), 2);
}

#[test]
fn json_rejects_what_is_not_a_map() {
    let _g = serial();
    assert!(serde_json::from_str::<GoMap<String, u8>>("[1,2]").is_err());
    assert!(serde_json::from_str::<GoMap<String, u8>>(r#"{"a":"x"}"#).is_err());
}

#[test]
fn postcard_round_trip() {
    let _g = serial();
    for n in [0, 1, 13, 14, 1000, 20_000] {
        let m = sample(n);
        let bytes = postcard::to_allocvec(&m).unwrap();
        let back: GoMap<String, Vec<u32>> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        // The binary form is the same as std's HashMap's for the same entries
        // in the same order: a length, then key/value pairs.
        let via_std: GoMap<String, Vec<u32>> =
            postcard::from_bytes(&postcard::to_allocvec(&as_std(&m)).unwrap()).unwrap();
        assert_eq!(via_std, m);
    }
}

#[test]
fn a_map_in_the_middle_of_a_growth_round_trips() {
    let _g = serial();
    let mut m: GoMap<u64, u64> = GoMap::new();
    let mut i = 0;
    while !(m.len() > 1000 && m.stats().growing) {
        m.insert(i, i * 3);
        i += 1;
    }
    let bytes = postcard::to_allocvec(&m).unwrap();
    let back: GoMap<u64, u64> = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    assert!(!back.stats().growing);
}

#[test]
fn an_empty_map_deserializes_without_allocating() {
    let _g = serial();
    let m: GoMap<String, u8> = serde_json::from_str("{}").unwrap();
    assert_eq!(m.stats().heap_bytes, 0);
    let m: GoMap<u32, u8> = postcard::from_bytes(&[0]).unwrap();
    assert_eq!(m.stats().heap_bytes, 0);
}

/// postcard's varint encoding of a length.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn a_hostile_length_prefix_does_not_allocate_unbounded_memory() {
    let _g = serial();
    for claimed in [1u64 << 20, 1 << 32, u64::from(u32::MAX), u64::MAX] {
        // Claims `claimed` entries, delivers two, then ends.
        let mut bytes = varint(claimed);
        bytes.extend([1, 10, 2, 20]);
        let (r, largest) =
            largest_allocation_during(|| postcard::from_bytes::<GoMap<u8, u8>>(&bytes));
        assert!(r.is_err(), "claimed {claimed}");
        assert!(
            largest <= 1 << 20,
            "claimed {claimed}: an allocation of {largest} bytes"
        );
        let (r, largest) =
            largest_allocation_during(|| postcard::from_bytes::<GoMap<u64, [u64; 16]>>(&bytes));
        assert!(r.is_err());
        assert!(largest <= 1 << 20, "an allocation of {largest} bytes");
    }
}

#[test]
fn an_honest_large_length_still_round_trips_and_grows_past_the_cap() {
    let _g = serial();
    let m: GoMap<u64, u64> = (0..200_000).map(|i| (i, !i)).collect();
    let bytes = postcard::to_allocvec(&m).unwrap();
    let back: GoMap<u64, u64> = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    assert!(back.capacity() >= 200_000);
}
