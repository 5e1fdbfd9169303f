//! Helpers shared by the behavioural tests: drop-counted values, a hasher
//! that gives the test full control over bucket index and tophash, and a key
//! whose `Hash`, `Eq` or `Drop` panics on demand.
//!
//! Every helper keeps its state in a per-test `Arc`, never in a global, so
//! tests running in parallel do not see each other's counts.
#![allow(dead_code)]

use std::collections::HashMap as StdMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------
// Go's rules, written out independently of the library.
// ---------------------------------------------------------------------------

/// Go's `overLoadFactor(count, B)`: `count > 8 && count > 13 * (2^B / 2)`.
pub fn over_load_factor(count: usize, b: u8) -> bool {
    count > 8 && (count as u128) > 13 * ((1u128 << b) / 2)
}

/// Smallest B with `!overLoadFactor(hint, B)` (Go's `makemap`).
pub fn b_for_hint(hint: usize) -> u8 {
    let mut b = 0u8;
    while over_load_factor(hint, b) {
        b += 1;
    }
    b
}

/// Largest count with `!overLoadFactor(count, B)`.
pub fn capacity_for_b(b: u8) -> usize {
    if b == 0 {
        8
    } else {
        13 << (b - 1)
    }
}

/// Go's `tooManyOverflowBuckets(noverflow, B)` for B < 16.
pub fn too_many_overflow(noverflow: usize, b: u8) -> bool {
    noverflow >= 1usize << b.min(15)
}

/// Pre-allocated overflow buckets of a fresh array of 2^B buckets.
pub fn prealloc_for_b(b: u8) -> usize {
    if b >= 4 {
        1 << (b - 4)
    } else {
        0
    }
}

// ---------------------------------------------------------------------------
// Identity hasher: the hash of a u64 is the u64 itself.
// ---------------------------------------------------------------------------

/// A `BuildHasher` whose hash of a `u64` is that `u64`, so a test decides the
/// bucket index (low B bits) and tophash (top 8 bits) of every key.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHash;

#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by the u64 keys of these tests; fold anything else.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// A key (and hash, under [`IdHash`]) whose low 16 bits are `bucket`, so for
/// any B <= 16 it lands in bucket `bucket & (2^B - 1)`; bits 16..56 hold `j`
/// (so keys are distinct), and the top byte is a scrambled function of `j`
/// (so tophashes vary). Many keys share the low bits and differ in the high.
pub fn crowd_key(bucket: u16, j: u64) -> u64 {
    assert!(j < 1 << 40);
    let top = (j.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) << 56;
    top | (j << 16) | u64::from(bucket)
}

/// Go's tophash of a hash: top 8 bits, values below minTopHash (5) raised by 5.
pub fn go_tophash(hash: u64) -> u8 {
    let top = (hash >> 56) as u8;
    if top < 5 {
        top + 5
    } else {
        top
    }
}

// ---------------------------------------------------------------------------
// Drop tracking.
// ---------------------------------------------------------------------------

/// Counts creations and drops of [`Dv`] values: per id (what a test asks
/// about) and per instance (to catch a double drop even when several values
/// share an id, as a lookup key and the stored key do).
#[derive(Default)]
pub struct Tracker {
    drops_by_id: Mutex<StdMap<u64, usize>>,
    drops_by_serial: Mutex<StdMap<u64, usize>>,
    next_serial: AtomicU64,
    created: AtomicUsize,
    dropped: AtomicUsize,
}

impl Tracker {
    pub fn new() -> Arc<Tracker> {
        Arc::new(Tracker::default())
    }

    fn new_serial(&self) -> u64 {
        self.created.fetch_add(1, Ordering::SeqCst);
        self.next_serial.fetch_add(1, Ordering::SeqCst)
    }

    /// A new tracked value with this id.
    pub fn value(self: &Arc<Self>, id: u64) -> Dv {
        Dv {
            id,
            serial: self.new_serial(),
            tracker: Arc::clone(self),
            panic_on_drop: false,
        }
    }

    /// A tracked value whose `Drop` panics (after recording the drop).
    pub fn bomb(self: &Arc<Self>, id: u64) -> Dv {
        let mut v = self.value(id);
        v.panic_on_drop = true;
        v
    }

    fn record_drop(&self, id: u64, serial: u64) {
        *lock(&self.drops_by_id).entry(id).or_insert(0) += 1;
        *lock(&self.drops_by_serial).entry(serial).or_insert(0) += 1;
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }

    /// How many values with this id were dropped.
    pub fn drops_of(&self, id: u64) -> usize {
        lock(&self.drops_by_id).get(&id).copied().unwrap_or(0)
    }

    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }

    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Values created and not yet dropped.
    pub fn live(&self) -> usize {
        self.created() - self.dropped()
    }

    /// Panics if any value was dropped more than once.
    pub fn assert_no_double_drop(&self) {
        let drops = lock(&self.drops_by_serial);
        let twice: Vec<_> = drops.iter().filter(|&(_, &n)| n > 1).collect();
        assert!(
            twice.is_empty(),
            "dropped more than once (serial, times): {twice:?}"
        );
        assert!(self.dropped() <= self.created());
    }

    /// Every created value dropped exactly once.
    pub fn assert_all_dropped_once(&self) {
        self.assert_no_double_drop();
        assert_eq!(
            self.live(),
            0,
            "values leaked: created {}, dropped {}",
            self.created(),
            self.dropped()
        );
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A drop-counted value, usable as a key too: `Hash`/`Eq` by id, and
/// `Borrow<u64>` so lookups can take `&id` without making a new value.
pub struct Dv {
    pub id: u64,
    serial: u64,
    tracker: Arc<Tracker>,
    panic_on_drop: bool,
}

impl Dv {
    pub fn defuse(&mut self) {
        self.panic_on_drop = false;
    }
}

impl Drop for Dv {
    fn drop(&mut self) {
        self.tracker.record_drop(self.id, self.serial);
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("Dv {} panics in drop (on purpose)", self.id);
        }
    }
}

impl Clone for Dv {
    /// A clone has the same id, a new instance serial, and never panics on drop.
    fn clone(&self) -> Dv {
        self.tracker.value(self.id)
    }
}

impl PartialEq for Dv {
    fn eq(&self, other: &Dv) -> bool {
        self.id == other.id
    }
}
impl Eq for Dv {}

impl Hash for Dv {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Same as u64's Hash, as Borrow<u64> requires.
        self.id.hash(state);
    }
}

impl std::borrow::Borrow<u64> for Dv {
    fn borrow(&self) -> &u64 {
        &self.id
    }
}

impl std::fmt::Debug for Dv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dv({})", self.id)
    }
}

// ---------------------------------------------------------------------------
// A key whose Hash, Eq or Drop panics on demand.
// ---------------------------------------------------------------------------

const NONE: u64 = u64::MAX;

/// Shared switches for [`PKey`]s, and drop counts of the keys.
pub struct PanicCtl {
    /// Id whose `Hash` panics once (then disarms); `NONE` when off.
    hash_panic_id: AtomicU64,
    /// Next `PKey == PKey` panics once (then disarms).
    eq_panic: AtomicBool,
    /// Id whose `Drop` panics once; `NONE` when off.
    drop_panic_id: AtomicU64,
    /// Times a `PKey`'s `Hash` ran.
    pub hash_calls: AtomicUsize,
    pub keys: Arc<Tracker>,
}

impl PanicCtl {
    pub fn new() -> Arc<PanicCtl> {
        Arc::new(PanicCtl {
            hash_panic_id: AtomicU64::new(NONE),
            eq_panic: AtomicBool::new(false),
            drop_panic_id: AtomicU64::new(NONE),
            hash_calls: AtomicUsize::new(0),
            keys: Tracker::new(),
        })
    }

    /// A key with this id whose hash (under [`IdHash`]) is `hash`.
    pub fn key(self: &Arc<Self>, id: u64, hash: u64) -> PKey {
        PKey {
            probe: Probe { id, hash },
            serial: self.keys.new_serial(),
            ctl: Arc::clone(self),
        }
    }

    /// The next `Hash` of the key with this id panics (once).
    pub fn arm_hash(&self, id: u64) {
        self.hash_panic_id.store(id, Ordering::SeqCst);
    }
    /// The next `PKey == PKey` panics (once).
    pub fn arm_eq(&self) {
        self.eq_panic.store(true, Ordering::SeqCst);
    }
    /// The next drop of the key with this id panics (once).
    pub fn arm_drop(&self, id: u64) {
        self.drop_panic_id.store(id, Ordering::SeqCst);
    }
    pub fn disarm(&self) {
        self.hash_panic_id.store(NONE, Ordering::SeqCst);
        self.eq_panic.store(false, Ordering::SeqCst);
        self.drop_panic_id.store(NONE, Ordering::SeqCst);
    }
    /// The armed hash panic has not fired yet.
    pub fn hash_armed(&self) -> bool {
        self.hash_panic_id.load(Ordering::SeqCst) != NONE
    }
}

/// What lookups use: same hash as the [`PKey`], never panics, no drop count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub id: u64,
    pub hash: u64,
}

impl Hash for Probe {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

pub struct PKey {
    pub probe: Probe,
    serial: u64,
    ctl: Arc<PanicCtl>,
}

impl PKey {
    pub fn id(&self) -> u64 {
        self.probe.id
    }
}

impl Hash for PKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ctl.hash_calls.fetch_add(1, Ordering::SeqCst);
        if self
            .ctl
            .hash_panic_id
            .compare_exchange(self.probe.id, NONE, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            panic!("PKey {} panics in Hash (on purpose)", self.probe.id);
        }
        state.write_u64(self.probe.hash);
    }
}

impl PartialEq for PKey {
    fn eq(&self, other: &PKey) -> bool {
        if self.ctl.eq_panic.swap(false, Ordering::SeqCst) {
            panic!("PKey == PKey panics (on purpose)");
        }
        self.probe.id == other.probe.id
    }
}
impl Eq for PKey {}

impl std::borrow::Borrow<Probe> for PKey {
    fn borrow(&self) -> &Probe {
        &self.probe
    }
}

impl Drop for PKey {
    fn drop(&mut self) {
        self.ctl.keys.record_drop(self.probe.id, self.serial);
        let armed = self
            .ctl
            .drop_panic_id
            .compare_exchange(self.probe.id, NONE, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if armed && !std::thread::panicking() {
            panic!("PKey {} panics in drop (on purpose)", self.probe.id);
        }
    }
}

impl std::fmt::Debug for PKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PKey({})", self.probe.id)
    }
}

// ---------------------------------------------------------------------------
// Misc.
// ---------------------------------------------------------------------------

/// Runs `f`, expecting it to panic; returns the panic message.
pub fn expect_panic<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => panic_message(&payload),
    }
}

pub fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::new()
    }
}

/// Silences the default panic hook's message for intentional panics, once
/// per test binary, but keeps it for everything else.
pub fn quiet_intentional_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                String::new()
            };
            if !msg.contains("(on purpose)") {
                default(info);
            }
        }));
    });
}

/// Repeats `write` until no growth is in progress. Go's growWork evacuates at
/// least one old bucket per write, so this must take at most (old bucket
/// count) writes; a map that never finishes fails here instead of hanging.
pub fn finish_growth<K, V, S>(
    m: &mut gomap::GoMap<K, V, S>,
    mut write: impl FnMut(&mut gomap::GoMap<K, V, S>),
) where
    K: Hash + Eq,
    S: BuildHasher,
{
    let bound = m.stats().old_buckets;
    let mut writes = 0;
    while m.header().growing {
        write(m);
        writes += 1;
        assert!(
            writes <= bound,
            "growth out of {bound} old buckets not finished after {writes} writes"
        );
    }
}

/// Bytes of the bookkeeping box (Go's mapextra) when the map needed one, as
/// the walk lists it (the heap_walk tests check the listing against the
/// allocator).
#[allow(dead_code)]
pub fn extra_bytes<K, V, S>(m: &gomap::GoMap<K, V, S>) -> usize {
    m.heap_walk()
        .iter()
        .filter(|o| o.kind == gomap::HeapKind::Extra)
        .map(|o| o.size)
        .sum()
}

/// Bytes a map of inline keys and values must have allocated when it is not
/// growing and no cursor is alive: its array (with its pre-allocated
/// overflow buckets) plus each overflow bucket allocated on its own.
/// and the bookkeeping box.
pub fn expected_heap<K, V, S>(m: &gomap::GoMap<K, V, S>) -> usize
where
    K: Hash + Eq,
    S: BuildHasher,
{
    let s = m.stats();
    assert!(!s.growing, "expected_heap is for a map that is not growing");
    let size = gomap::GoMap::<K, V, S>::layout().bucket_size;
    let extra = extra_bytes(m);
    if s.buckets == 0 {
        assert_eq!(s.overflow_buckets, 0);
        return extra;
    }
    let used_prealloc = s.preallocated_overflow - s.free_preallocated_overflow;
    let own_overflow = s.overflow_buckets - used_prealloc;
    (s.buckets + s.preallocated_overflow + own_overflow) * size + extra
}
