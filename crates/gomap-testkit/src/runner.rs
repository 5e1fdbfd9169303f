//! The differential runner: a `GoMap` and a std `HashMap` driven in lockstep.

use std::any::Any;
use std::cell::Cell;
use std::collections::{HashMap as StdHashMap, HashSet as StdHashSet};
use std::fmt::Debug;
use std::fmt::Display;
use std::hash::BuildHasher;

use gomap::{DefaultHashBuilder, Entry, GoMap, MapStats, MapStructure, SlotState};

use crate::map::TestMap;

/// std's `HashMap` with a fast hasher: the model (SipHash made the model
/// cost more than the map under test).
pub type HashMap<K, V> = StdHashMap<K, V, DefaultHashBuilder>;
type HashSet<K> = StdHashSet<K, DefaultHashBuilder>;

use crate::keys::{TestKey, TestValue};
use crate::op::{CursorStep, EntryOp, Key, Op, Val, KEY_SPACE, MAX_RANGE};

/// Go's `overLoadFactor(count, B)`.
fn over_load_factor(count: usize, b: u8) -> bool {
    count > 8 && (count as u128) > 13 * ((1u128 << b) / 2)
}

/// `capacity()` for an array of `2^b` buckets: the largest count with
/// `!overLoadFactor(count, b)` (8 for `b = 0`, `13 * 2^(b-1)` above).
pub fn capacity_for_b(b: u8) -> usize {
    if b == 0 {
        8
    } else {
        13usize << (b - 1)
    }
}

/// The `capacity()` of `with_capacity(hint)`: the smallest `B` with
/// `!overLoadFactor(hint, B)`, and 0 when that `B` is 0 (no array allocated).
pub fn capacity_for_hint(hint: usize) -> usize {
    let mut b = 0u8;
    while over_load_factor(hint, b) {
        b += 1;
    }
    if b == 0 {
        0
    } else {
        capacity_for_b(b)
    }
}

/// Bounds that keep one run's cost in check.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Key numbers are taken modulo this (at most [`KEY_SPACE`]).
    pub key_space: u16,
    /// Total keys all range ops of one run may touch.
    pub range_budget: u32,
    /// Most `next()` calls a finishing cursor run may make.
    pub cursor_budget: u32,
    /// Full check every this many ops (and at the end).
    pub full_check_every: usize,
    /// Contents (through `iter()`) after a whole-map op (range ops,
    /// `retain`, cursor runs, ...) unless checked fewer than this many ops
    /// ago (1: after every such op); what is skipped the next full check sees.
    pub contents_check_every: usize,
    /// While the map has at most this many buckets, `stats()` is checked
    /// after every op and `structure()` every `structure_every` ops (above
    /// it, both only in full checks).
    pub cheap_stats_buckets: usize,
    /// See `cheap_stats_buckets` (1: after every op).
    pub structure_every: usize,
    /// Full checks also `locate()` every key while the map has at most this many.
    pub locate_max_len: usize,
    /// [`Differential::run`] applies at most this many ops of a list.
    pub max_ops: usize,
    /// [`Differential::finish`] inserts, then removes, this many keys to
    /// show the map still works after the run (a growth left half done
    /// must carry on correctly).
    pub final_round: u16,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            key_space: KEY_SPACE,
            range_budget: 12_000,
            cursor_budget: 20_000,
            full_check_every: 16,
            contents_check_every: 1,
            cheap_stats_buckets: 16,
            structure_every: 1,
            locate_max_len: 2048,
            max_ops: usize::MAX,
            final_round: 40,
        }
    }
}

impl Limits {
    /// For colliding hashers: lookups cost O(chain), so keep maps smaller.
    pub fn adversarial() -> Self {
        Limits {
            key_space: 2048,
            range_budget: 4_000,
            cursor_budget: 6_000,
            full_check_every: 16,
            contents_check_every: 1,
            cheap_stats_buckets: 16,
            structure_every: 1,
            locate_max_len: 2048,
            max_ops: usize::MAX,
            final_round: 40,
        }
    }

    /// For fuzzing, where the point is many short runs a second (each
    /// input tries a new interleaving of growth, deletes and iteration).
    /// Every check still runs in every run; the whole-map ones are sampled:
    /// every op compares its results, `len` and the header; `stats()` after
    /// each op while the map has at most 4 buckets, `structure()` every 8th
    /// of those ops; contents through `iter()` after a whole-map op unless
    /// checked in the last 4 ops; a full check (contents through every read
    /// path, structure, the location of every key) every 32 ops and at the
    /// end. Runs are capped: at most 48 ops, range ops touch at most 128
    /// keys in all (enough for B = 5, with pre-allocated overflow buckets).
    /// Big maps are the property tests' job.
    pub fn fuzz() -> Self {
        Limits {
            range_budget: 128,
            cursor_budget: 4_000,
            full_check_every: 32,
            contents_check_every: 4,
            cheap_stats_buckets: 4,
            structure_every: 8,
            locate_max_len: 4096,
            max_ops: 48,
            final_round: 8,
            ..Limits::default()
        }
    }

    /// For `InlineGoMap`: 16 keys, so that the map keeps crossing 8
    /// entries both ways; everything checked after every op.
    pub fn inline() -> Self {
        Limits {
            key_space: 16,
            full_check_every: 8,
            final_round: 12,
            ..Limits::default()
        }
    }

    /// [`Limits::fuzz`] for `InlineGoMap`: 24 keys (ranges stay within
    /// them), so runs cross 8 entries both ways; the final round goes past
    /// 8 and back.
    pub fn fuzz_inline() -> Self {
        Limits {
            key_space: 24,
            range_budget: 96,
            final_round: 12,
            ..Limits::fuzz()
        }
    }

    /// [`Limits::fuzz`] for colliding hashers: keys below 1024, range ops
    /// 96 keys in all (colliding lookups cost O(chain)).
    pub fn fuzz_adversarial() -> Self {
        Limits {
            key_space: 1024,
            range_budget: 96,
            ..Limits::fuzz()
        }
    }
}

/// A map under test (a [`GoMap`] unless `M` says otherwise, e.g. an
/// [`gomap::InlineGoMap`]) and a std `HashMap` model driven by the same ops.
pub struct Differential<K, V, S, M = GoMap<K, V, S>> {
    /// The map under test.
    pub map: M,
    /// For an `InlineGoMap`: whether it must be inline now, i.e. it has not
    /// spilled since it was made or last shrunk back.
    expect_inline: Option<bool>,
    /// The largest `len` reached during the current op (a cursor run may
    /// spill the map, then remove back down to 8 or fewer).
    op_peak_len: usize,
    /// The model.
    pub model: HashMap<K, V>,
    hasher: S,
    limits: Limits,
    range_left: u32,
    step: usize,
    current_op: Option<Op>,
    /// The step after which the last sampled full check ran.
    last_full_check: Option<usize>,
    /// The step after which contents were last checked.
    last_contents_check: Option<usize>,
    stats: Cell<RunStats>,
}

/// What one run did: how many ops, how big the map got, and how often each
/// kind of check ran (so tests can see that sampling still runs every check).
///
/// ```
/// use gomap_testkit::{run_ops, Key, Limits, Op, Val};
/// let ops = vec![Op::Insert(Key(1), Val(1)); 100];
/// let s = run_ops::<u64, u64, _>(gomap::DefaultHashBuilder::default(), Limits::fuzz(), &ops);
/// assert_eq!(s.skipped_ops, 100 - Limits::fuzz().max_ops);
/// assert!(s.full_checks > 0 && s.location_checks > 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Ops applied (including the final round of [`Differential::finish`]).
    pub ops: usize,
    /// Ops that [`Differential::run`] skipped because of [`Limits::max_ops`].
    pub skipped_ops: usize,
    /// Keys touched by range ops (inserts and removes of `*Range` ops and
    /// cursor `InsertRange` steps).
    pub range_keys: u64,
    /// The largest `len` seen after an op.
    pub max_len: usize,
    /// [`Differential::check_full`] runs.
    pub full_checks: usize,
    /// [`Differential::check_stats`] runs (including those in full and
    /// structure checks).
    pub stats_checks: usize,
    /// Walks of the whole `structure()` (in [`Differential::check_structure`]
    /// and in full checks).
    pub structure_checks: usize,
    /// [`Differential::check_contents`] runs.
    pub contents_checks: usize,
    /// Runs of the every-key location check (part of a full check on small maps).
    pub location_checks: usize,
}

impl<K, V, S, M> Differential<K, V, S, M>
where
    K: TestKey,
    V: TestValue,
    S: BuildHasher + Clone + 'static,
    M: TestMap<K, V, S>,
{
    /// An empty map with `hasher` and default limits.
    pub fn new(hasher: S) -> Self {
        Self::with_limits(hasher, Limits::default())
    }

    /// An empty map with `hasher` and `limits`.
    pub fn with_limits(hasher: S, limits: Limits) -> Self {
        let map = M::with_hasher(hasher.clone());
        let expect_inline = map.is_inline();
        if expect_inline.is_some() {
            assert_eq!(
                (expect_inline, map.capacity(), map.stats().heap_bytes),
                (Some(true), 8, 0),
                "InlineGoMap::with_hasher starts inline, allocating nothing"
            );
        } else {
            assert_eq!(
                map.capacity(),
                0,
                "GoMap::with_hasher must allocate nothing"
            );
        }
        Differential {
            map,
            expect_inline,
            op_peak_len: 0,
            model: HashMap::default(),
            hasher,
            range_left: limits.range_budget,
            limits,
            step: 0,
            current_op: None,
            last_full_check: None,
            last_contents_check: None,
            stats: Cell::new(RunStats::default()),
        }
    }

    fn key(&self, k: Key) -> K {
        K::make((k.0 % self.limits.key_space.clamp(1, KEY_SPACE)) as u64)
    }

    fn val(v: Val) -> V {
        V::make(v.0 as u64)
    }

    fn range(&mut self, count: u16) -> u32 {
        let n = (count.min(MAX_RANGE) as u32).min(self.range_left);
        self.range_left -= n;
        self.count(|s| s.range_keys += n as u64);
        n
    }

    fn count(&self, f: impl FnOnce(&mut RunStats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    /// What this run has done so far.
    pub fn stats(&self) -> RunStats {
        self.stats.get()
    }

    /// The limits this run was made with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            step: self.step,
            op: self.current_op.as_ref(),
        }
    }

    /// Applies the first [`Limits::max_ops`] ops of `ops` (the rest are
    /// counted in [`RunStats::skipped_ops`]); call [`Differential::finish`] after.
    ///
    /// ```
    /// use gomap_testkit::{Differential, Key, Limits, Op, Val};
    /// let limits = Limits { max_ops: 2, ..Limits::default() };
    /// let mut d = Differential::<u64, u64, _>::with_limits(gomap::DefaultHashBuilder::default(), limits);
    /// d.run(&[Op::Insert(Key(1), Val(1)), Op::Insert(Key(2), Val(2)), Op::Insert(Key(3), Val(3))]);
    /// d.finish();
    /// assert_eq!((d.map.len(), d.stats().skipped_ops), (2, 1));
    /// ```
    pub fn run(&mut self, ops: &[Op]) {
        let n = ops.len().min(self.limits.max_ops);
        for op in &ops[..n] {
            self.apply(op);
        }
        self.count(|s| s.skipped_ops += ops.len() - n);
    }

    /// Applies one op to both maps and checks they agree.
    pub fn apply(&mut self, op: &Op) {
        self.step += 1;
        self.current_op = Some(op.clone());
        let len_before = self.model.len();
        self.op_peak_len = len_before;
        let whole_map = self.apply_inner(op);
        self.update_inline_expectation(op, len_before);
        self.check_cheap();
        let len = self.model.len();
        self.count(|s| {
            s.ops += 1;
            s.max_len = s.max_len.max(len);
        });
        let n_buckets = self.map.header().b;
        if self
            .step
            .is_multiple_of(self.limits.full_check_every.max(1))
        {
            self.check_full();
            self.last_full_check = Some(self.step);
            self.last_contents_check = Some(self.step);
        } else {
            let step = self.step;
            let every = self.limits.contents_check_every;
            if whole_map && self.last_contents_check.is_none_or(|l| step - l >= every) {
                self.check_contents();
                self.last_contents_check = Some(step);
            }
            if (1usize << n_buckets) <= self.limits.cheap_stats_buckets {
                if self.step.is_multiple_of(self.limits.structure_every.max(1)) {
                    self.check_structure();
                } else {
                    self.check_stats();
                }
            }
        }
    }

    /// The final check: full contents and structure, then the map must stay
    /// usable (a round of inserts and removes).
    pub fn finish(&mut self) {
        self.current_op = None;
        if self.last_full_check != Some(self.step) {
            self.check_full();
        }
        let n = self.limits.final_round;
        for i in 0..n {
            self.apply(&Op::Insert(Key(i.wrapping_mul(97)), Val(i)));
        }
        for i in 0..n {
            self.apply(&Op::Remove(Key(i.wrapping_mul(97))));
        }
        self.current_op = None;
        if self.last_full_check != Some(self.step) {
            self.check_full();
        }
    }

    /// Returns true for ops after which the full check should run.
    fn apply_inner(&mut self, op: &Op) -> bool {
        let ctx = Ctx {
            step: self.step,
            op: Some(op),
        };
        match op {
            Op::Insert(k, v) => {
                let (k, v) = (self.key(*k), Self::val(*v));
                let got = self.map.insert(k.clone(), v.clone());
                let want = self.model.insert(k, v);
                assert_eq!(got, want, "insert result, {ctx}");
                false
            }
            Op::InsertRange { start, count } => {
                let n = self.range(*count);
                for i in 0..n {
                    let id = (start.0 as u32 + i) % self.limits.key_space as u32;
                    let k = K::make(id as u64);
                    let v = V::make((id as u64) ^ (self.step as u64));
                    let got = self.map.insert(k.clone(), v.clone());
                    let want = self.model.insert(k, v);
                    assert_eq!(got, want, "insert of key {id} in range, {ctx}");
                    if i % 64 == 0 {
                        assert_eq!(self.map.len(), self.model.len(), "len in range, {ctx}");
                    }
                }
                n > 0
            }
            Op::Remove(k) => {
                let k = self.key(*k);
                assert_eq!(self.map.remove(&k), self.model.remove(&k), "remove, {ctx}");
                false
            }
            Op::RemoveRange { start, count } => {
                let n = self.range(*count);
                for i in 0..n {
                    let id = (start.0 as u32 + i) % self.limits.key_space as u32;
                    let k = K::make(id as u64);
                    assert_eq!(
                        self.map.remove(&k),
                        self.model.remove(&k),
                        "remove of key {id} in range, {ctx}"
                    );
                }
                n > 0
            }
            Op::RemoveEntry(k) => {
                let k = self.key(*k);
                let got = self.map.remove_entry(&k);
                assert_eq!(got, self.model.remove_entry(&k), "remove_entry, {ctx}");
                false
            }
            Op::Get(k) => {
                let k = self.key(*k);
                let want = self.model.get(&k);
                assert_eq!(self.map.get(&k), want, "get, {ctx}");
                assert_eq!(
                    K::get_borrowed::<V, S, M>(&self.map, &k),
                    want,
                    "borrowed get, {ctx}"
                );
                assert_eq!(
                    self.map.get_key_value(&k),
                    self.model.get_key_value(&k),
                    "get_key_value, {ctx}"
                );
                if let Some(w) = want {
                    assert_eq!(self.map.index(&k), w, "index, {ctx}");
                }
                false
            }
            Op::GetMut(k, d) => {
                let k = self.key(*k);
                let got = self.map.get_mut(&k).map(|v| {
                    v.bump(*d as u64);
                    v.clone()
                });
                let want = self.model.get_mut(&k).map(|v| {
                    v.bump(*d as u64);
                    v.clone()
                });
                assert_eq!(got, want, "get_mut, {ctx}");
                false
            }
            Op::ContainsKey(k) => {
                let k = self.key(*k);
                assert_eq!(
                    self.map.contains_key(&k),
                    self.model.contains_key(&k),
                    "contains_key, {ctx}"
                );
                false
            }
            Op::Entry(k, e) => {
                let k = self.key(*k);
                self.entry_op(k, e, &ctx);
                false
            }
            Op::Retain {
                modulus,
                residue,
                bump,
            } => {
                let m = *modulus as u64 + 1;
                let r = *residue as u64 % m;
                let d = *bump as u64;
                let mut visited = HashSet::default();
                self.map.retain(|k, v| {
                    assert!(visited.insert(k.id()), "retain visited {k:?} twice");
                    let keep = k.id() % m != r;
                    if keep {
                        v.bump(d);
                    }
                    keep
                });
                assert_eq!(
                    visited.len(),
                    self.model.len(),
                    "retain visited count, {ctx}"
                );
                self.model.retain(|k, v| {
                    let keep = k.id() % m != r;
                    if keep {
                        v.bump(d);
                    }
                    keep
                });
                true
            }
            Op::Clear => {
                let cap = self.map.capacity();
                self.map.clear();
                self.model.clear();
                assert!(self.map.is_empty(), "clear leaves the map empty, {ctx}");
                assert_eq!(
                    self.map.capacity(),
                    cap,
                    "clear keeps the bucket array, {ctx}"
                );
                true
            }
            Op::ShrinkToFit => {
                let before = self.map.capacity();
                self.map.shrink_to_fit();
                let after = self.map.capacity();
                let len = self.model.len();
                assert!(
                    after <= before,
                    "shrink_to_fit grew capacity {before} -> {after}, {ctx}"
                );
                if len == 0 {
                    assert!(
                        after == 0 || after == 8,
                        "shrink_to_fit of empty map: {after}, {ctx}"
                    );
                } else {
                    assert_eq!(
                        after,
                        capacity_for_hint(len).max(8),
                        "shrink_to_fit picks the smallest B for len {len}, {ctx}"
                    );
                }
                true
            }
            Op::ShrinkTo(n) => {
                let n = *n as usize;
                let before = self.map.capacity();
                self.map.shrink_to(n);
                let after = self.map.capacity();
                let len = self.model.len();
                assert!(
                    after <= before,
                    "shrink_to({n}) grew capacity {before} -> {after}, {ctx}"
                );
                assert!(
                    after >= len,
                    "shrink_to({n}) below len {len}: {after}, {ctx}"
                );
                assert!(
                    after >= n.min(before) || (after == 0 && len == 0 && n <= 8),
                    "shrink_to({n}) below the limit: {before} -> {after}, {ctx}"
                );
                true
            }
            Op::Reserve(n) => {
                let n = *n as usize;
                self.map.reserve(n);
                let cap = self.map.capacity();
                assert!(
                    reserve_ok(cap, self.model.len(), n),
                    "reserve({n}) at len {} gave capacity {cap}, {ctx}",
                    self.model.len()
                );
                false
            }
            Op::TryReserve { huge, n } => {
                let before = (self.map.capacity(), self.map.len());
                if *huge {
                    assert!(
                        self.map.try_reserve(usize::MAX).is_err(),
                        "try_reserve(usize::MAX) must fail, {ctx}"
                    );
                    assert!(
                        self.map.try_reserve(usize::MAX / 2).is_err(),
                        "try_reserve(usize::MAX / 2) must fail, {ctx}"
                    );
                    assert_eq!(
                        (self.map.capacity(), self.map.len()),
                        before,
                        "failed try_reserve changed the map, {ctx}"
                    );
                } else {
                    let n = *n as usize;
                    self.map
                        .try_reserve(n)
                        .unwrap_or_else(|e| panic!("try_reserve({n}) failed: {e:?}, {ctx}"));
                    assert!(
                        reserve_ok(self.map.capacity(), self.model.len(), n),
                        "try_reserve({n}), {ctx}"
                    );
                }
                false
            }
            Op::Extend { pairs, by_ref } => {
                let pairs: Vec<(K, V)> = pairs
                    .iter()
                    .map(|(k, v)| (self.key(*k), Self::val(*v)))
                    .collect();
                // `Extend<(&K, &V)>` needs `K: Copy, V: Copy` (as std's), so
                // it is only reachable for the `u64 -> u64` maps.
                let any_pairs: &dyn Any = &pairs;
                let copied = match (*by_ref, any_pairs.downcast_ref::<Vec<(u64, u64)>>()) {
                    (true, Some(copy_pairs)) => self.map.extend_by_ref_u64(copy_pairs),
                    _ => false,
                };
                if !copied {
                    self.map.extend_owned(pairs.iter().cloned());
                }
                self.model.extend(pairs);
                false
            }
            Op::Iterate => true,
            Op::Move(how) => {
                let map = std::mem::replace(&mut self.map, M::with_hasher(self.hasher.clone()));
                // Box and Vec free the memory the map was moved out of, so
                // a pointer left to the old inline bucket is a use after
                // free under ASan (and `check_cheap` sees the bucket address
                // outside the value without it).
                self.map = match how % 3 {
                    0 => moved(map),
                    1 => *std::hint::black_box(Box::new(map)),
                    _ => {
                        let mut v = vec![map];
                        v.reserve(16); // reallocates: the map moves again
                        std::hint::black_box(&mut v);
                        v.pop().expect("the map")
                    }
                };
                true
            }
            Op::IntoGoMap { consume } => {
                self.check_into_gomap(*consume, &ctx);
                true
            }
            Op::IterRandomized => {
                let mut seen: HashSet<&K> =
                    HashSet::with_capacity_and_hasher(self.model.len(), Default::default());
                for _ in 0..2 {
                    seen.clear();
                    for (k, v) in self.map.iter_randomized() {
                        assert_eq!(
                            self.model.get(k),
                            Some(v),
                            "iter_randomized yielded {k:?}, {ctx}"
                        );
                        assert!(seen.insert(k), "iter_randomized yielded {k:?} twice, {ctx}");
                    }
                    self.assert_all_seen(&seen, "iter_randomized", &ctx);
                }
                false
            }
            Op::IterMut { bump, values_only } => {
                let d = *bump as u64;
                let mut n = 0;
                if *values_only {
                    for v in self.map.values_mut() {
                        v.bump(d);
                        n += 1;
                    }
                } else {
                    let mut seen = HashSet::default();
                    for (k, v) in self.map.iter_mut() {
                        assert!(seen.insert(k.id()), "iter_mut yielded {k:?} twice, {ctx}");
                        v.bump(d);
                        n += 1;
                    }
                    for (k, v) in self.map.mut_into_iter() {
                        assert!(
                            seen.contains(&k.id()),
                            "&mut IntoIterator yielded unknown {k:?}"
                        );
                        v.bump(1);
                    }
                    for v in self.model.values_mut() {
                        v.bump(d);
                    }
                    for v in self.model.values_mut() {
                        v.bump(1);
                    }
                    assert_eq!(n, self.model.len(), "iter_mut count, {ctx}");
                    return true;
                }
                for v in self.model.values_mut() {
                    v.bump(d);
                }
                assert_eq!(n, self.model.len(), "values_mut count, {ctx}");
                true
            }
            Op::Cursor { steps, finish } => {
                self.cursor_run(steps, *finish, &ctx);
                true
            }
            Op::Clone { swap } => {
                let c = self.map.clone();
                assert_eq!(c.len(), self.model.len(), "clone len, {ctx}");
                assert!(c == self.map, "clone == original, {ctx}");
                let mut seen: HashSet<&K> =
                    HashSet::with_capacity_and_hasher(c.len(), Default::default());
                for (k, v) in c.iter() {
                    assert_eq!(self.model.get(k), Some(v), "clone yielded {k:?}, {ctx}");
                    assert!(seen.insert(k), "clone iter dup {k:?}");
                }
                self.assert_all_seen(&seen, "clone iter()", &ctx);
                if *swap {
                    let old = std::mem::replace(&mut self.map, c);
                    drop(old);
                }
                true
            }
            Op::Drain { take } => {
                let mut seen = HashMap::default();
                {
                    let mut d = self.map.drain();
                    check_size_hint(&d, self.model.len(), &ctx);
                    let limit = take.map_or(usize::MAX, |t| t as usize);
                    while seen.len() < limit {
                        match d.next() {
                            Some((k, v)) => {
                                assert_eq!(
                                    self.model.get(&k),
                                    Some(&v),
                                    "drain yielded {k:?}, {ctx}"
                                );
                                assert!(
                                    seen.insert(k, v).is_none(),
                                    "drain yielded a key twice, {ctx}"
                                );
                            }
                            None => break,
                        }
                    }
                    if take.is_none() {
                        assert!(d.next().is_none(), "drain continued after None, {ctx}");
                    }
                }
                if take.is_none() || take.is_some_and(|t| t as usize >= self.model.len()) {
                    assert_maps_eq(&seen, &self.model, format_args!("drain contents, {ctx}"));
                }
                assert!(self.map.is_empty(), "map not empty after drain, {ctx}");
                assert_eq!(self.map.len(), 0, "len after drain, {ctx}");
                self.model.clear();
                true
            }
            Op::IntoIter { take, kind } => {
                let map = std::mem::replace(&mut self.map, M::with_hasher(self.hasher.clone()));
                let limit = take.map_or(usize::MAX, |t| t as usize);
                let full = limit >= self.model.len();
                match kind % 3 {
                    0 => {
                        let mut it = map.into_iter();
                        check_size_hint(&it, self.model.len(), &ctx);
                        let mut seen = HashMap::default();
                        for (k, v) in it.by_ref().take(limit) {
                            assert_eq!(
                                self.model.get(&k),
                                Some(&v),
                                "into_iter yielded {k:?}, {ctx}"
                            );
                            assert!(seen.insert(k, v).is_none(), "into_iter dup, {ctx}");
                        }
                        if full {
                            assert!(it.next().is_none(), "into_iter after end, {ctx}");
                            assert_maps_eq(&seen, &self.model, format_args!("into_iter, {ctx}"));
                        }
                    }
                    1 => {
                        let mut seen = HashSet::default();
                        for k in map.into_keys().take(limit) {
                            assert!(
                                self.model.contains_key(&k),
                                "into_keys yielded {k:?}, {ctx}"
                            );
                            assert!(seen.insert(k), "into_keys dup, {ctx}");
                        }
                        if full {
                            assert_eq!(seen.len(), self.model.len(), "into_keys count, {ctx}");
                        }
                    }
                    _ => {
                        let mut n = 0;
                        for _v in map.into_values().take(limit) {
                            n += 1;
                        }
                        if full {
                            assert_eq!(n, self.model.len(), "into_values count, {ctx}");
                        }
                    }
                }
                self.model.clear();
                true
            }
        }
    }

    fn entry_op(&mut self, k: K, e: &EntryOp, ctx: &Ctx<'_>) {
        use std::collections::hash_map::Entry as StdEntry;
        match e {
            EntryOp::OrInsert(v) => {
                let v = Self::val(*v);
                let got = self.map.entry(k.clone()).or_insert(v.clone()).clone();
                let want = self.model.entry(k).or_insert(v).clone();
                assert_eq!(got, want, "entry().or_insert, {ctx}");
            }
            EntryOp::OrInsertWith(v) => {
                let v = Self::val(*v);
                let got = self
                    .map
                    .entry(k.clone())
                    .or_insert_with(|| v.clone())
                    .clone();
                let want = self.model.entry(k).or_insert_with(|| v).clone();
                assert_eq!(got, want, "entry().or_insert_with, {ctx}");
            }
            EntryOp::OrDefault(d) => {
                let got = {
                    let r = self.map.entry(k.clone()).or_default();
                    r.bump(*d as u64);
                    r.clone()
                };
                let r = self.model.entry(k).or_default();
                r.bump(*d as u64);
                assert_eq!(&got, r, "entry().or_default, {ctx}");
            }
            EntryOp::AndModify(d, v) => {
                let v = Self::val(*v);
                let d = *d as u64;
                let got = self
                    .map
                    .entry(k.clone())
                    .and_modify(|x| x.bump(d))
                    .or_insert(v.clone())
                    .clone();
                let want = self
                    .model
                    .entry(k)
                    .and_modify(|x| x.bump(d))
                    .or_insert(v)
                    .clone();
                assert_eq!(got, want, "entry().and_modify().or_insert, {ctx}");
            }
            EntryOp::OccupiedRemove => {
                let got = match self.map.entry(k.clone()) {
                    Entry::Occupied(o) => {
                        assert_eq!(o.key(), &k, "OccupiedEntry::key, {ctx}");
                        Some(o.remove())
                    }
                    Entry::Vacant(v) => {
                        assert_eq!(v.key(), &k, "VacantEntry::key, {ctx}");
                        None
                    }
                };
                let want = match self.model.entry(k) {
                    StdEntry::Occupied(o) => Some(o.remove()),
                    StdEntry::Vacant(_) => None,
                };
                assert_eq!(got, want, "OccupiedEntry::remove, {ctx}");
            }
            EntryOp::OccupiedRemoveEntry => {
                let got = match self.map.entry(k.clone()) {
                    Entry::Occupied(o) => Some(o.remove_entry()),
                    Entry::Vacant(_) => None,
                };
                let want = match self.model.entry(k) {
                    StdEntry::Occupied(o) => Some(o.remove_entry()),
                    StdEntry::Vacant(_) => None,
                };
                assert_eq!(got, want, "OccupiedEntry::remove_entry, {ctx}");
            }
            EntryOp::OccupiedInsert(v) => {
                let v = Self::val(*v);
                let got = match self.map.entry(k.clone()) {
                    Entry::Occupied(mut o) => Some(o.insert(v.clone())),
                    Entry::Vacant(_) => None,
                };
                let want = match self.model.entry(k) {
                    StdEntry::Occupied(mut o) => Some(o.insert(v)),
                    StdEntry::Vacant(_) => None,
                };
                assert_eq!(got, want, "OccupiedEntry::insert, {ctx}");
            }
            EntryOp::OccupiedGetMut(d) => {
                let d = *d as u64;
                let got = match self.map.entry(k.clone()) {
                    Entry::Occupied(mut o) => {
                        o.get_mut().bump(d);
                        let g = o.get().clone();
                        let m = o.into_mut();
                        assert_eq!(&g, m, "into_mut after get_mut, {ctx}");
                        Some(g)
                    }
                    Entry::Vacant(_) => None,
                };
                let want = match self.model.entry(k) {
                    StdEntry::Occupied(mut o) => {
                        o.get_mut().bump(d);
                        Some(o.get().clone())
                    }
                    StdEntry::Vacant(_) => None,
                };
                assert_eq!(got, want, "OccupiedEntry::get_mut, {ctx}");
            }
            EntryOp::VacantInsert(v) => {
                let v = Self::val(*v);
                let got = match self.map.entry(k.clone()) {
                    Entry::Vacant(e) => {
                        assert_eq!(e.key(), &k, "VacantEntry::key, {ctx}");
                        Ok(e.insert(v.clone()).clone())
                    }
                    Entry::Occupied(o) => Err(o.get().clone()),
                };
                let want = match self.model.entry(k) {
                    StdEntry::Vacant(e) => Ok(e.insert(v).clone()),
                    StdEntry::Occupied(o) => Err(o.get().clone()),
                };
                assert_eq!(got, want, "VacantEntry::insert, {ctx}");
            }
        }
    }

    /// A cursor run, checked against Go's range-with-mutation guarantees.
    fn cursor_run(&mut self, steps: &[CursorStep], finish: bool, ctx: &Ctx<'_>) {
        // The sets hold key numbers (`TestKey::id`), not keys: no clone of
        // a `String` key per entry.
        // Keys present when the run starts.
        let start: HashSet<u64> = self.model.keys().map(K::id).collect();
        // Keys removed at any time during the run (their guarantee is void).
        let mut removed: HashSet<u64> = HashSet::default();
        // Keys yielded since they were last inserted / present: a second
        // yield of one of these is a bug.
        let mut yielded: HashSet<u64> = HashSet::default();
        // Every key yielded in this run.
        let mut ever: HashSet<u64> = HashSet::default();
        // What `remove_current` would remove.
        let mut current = Current::None;
        let mut ended = false;
        let mut budget = self.limits.cursor_budget;
        // Cursor `InsertRange` steps draw on the run's range budget too, at
        // most 1024 keys a cursor run.
        let range_start = self.range_left.min(1024);
        let mut range_left = range_start;

        let key_space = self.limits.key_space.clamp(1, KEY_SPACE);
        let mk = |k: Key| K::make((k.0 % key_space) as u64);
        let model = &mut self.model;
        let mut peak = model.len();
        let mut cur = self.map.cursor();

        let do_next = |cur: &mut gomap::Cursor<'_, K, V, S>,
                       model: &mut HashMap<K, V>,
                       yielded: &mut HashSet<u64>,
                       ever: &mut HashSet<u64>,
                       current: &mut Current<K>,
                       ended: &mut bool,
                       d: u8|
         -> bool {
            match cur.next() {
                Some((k, v)) => {
                    let k = k.clone();
                    match model.get_mut(&k) {
                        Some(mv) => {
                            assert_eq!(&*v, &*mv, "cursor yielded {k:?} with a stale value, {ctx}")
                        }
                        None => panic!("cursor yielded {k:?}, which is not in the map, {ctx}"),
                    }
                    let id = k.id();
                    assert!(yielded.insert(id), "cursor yielded {k:?} twice, {ctx}");
                    if d != 0 {
                        v.bump(d as u64);
                        model.get_mut(&k).unwrap().bump(d as u64);
                    }
                    ever.insert(id);
                    *current = Current::Live(k);
                    true
                }
                None => {
                    *ended = true;
                    // At the end nothing is current (issue 10 item 2).
                    *current = Current::None;
                    false
                }
            }
        };

        for step in steps {
            match step {
                CursorStep::Next(d) => {
                    if !ended {
                        do_next(
                            &mut cur,
                            model,
                            &mut yielded,
                            &mut ever,
                            &mut current,
                            &mut ended,
                            *d,
                        );
                    }
                }
                CursorStep::RemoveCurrent => {
                    let got = cur.remove_current();
                    match std::mem::replace(&mut current, Current::None) {
                        Current::Live(k) => {
                            let want = model.remove(&k).map(|v| (k.clone(), v));
                            assert_eq!(got, want, "cursor remove_current, {ctx}");
                            removed.insert(k.id());
                            yielded.remove(&k.id());
                            current = Current::Removed(k);
                        }
                        Current::Reinserted(k) if got.is_some() => {
                            let want = model.remove(&k).map(|v| (k.clone(), v));
                            assert_eq!(
                                got, want,
                                "remove_current of a re-inserted current key, {ctx}"
                            );
                            yielded.remove(&k.id());
                            current = Current::Removed(k);
                        }
                        state => {
                            assert_eq!(
                                got, None,
                                "remove_current with no current entry ({state:?}), {ctx}"
                            );
                            current = state;
                        }
                    }
                }
                CursorStep::Insert(k, v) => {
                    let (k, v) = (mk(*k), Self::val(*v));
                    let got = cur.insert(k.clone(), v.clone());
                    current.inserted(&k);
                    assert_eq!(got, model.insert(k, v), "cursor insert, {ctx}");
                    peak = peak.max(model.len());
                }
                CursorStep::InsertRange(k, n) => {
                    let n = (*n as u32).min(range_left);
                    range_left -= n;
                    for i in 0..n {
                        let id = (k.0 as u32 + i) % key_space as u32;
                        let (k, v) = (K::make(id as u64), V::make(id as u64 + 1));
                        let got = cur.insert(k.clone(), v.clone());
                        current.inserted(&k);
                        assert_eq!(
                            got,
                            model.insert(k, v),
                            "cursor insert of {id} in range, {ctx}"
                        );
                        peak = peak.max(model.len());
                    }
                }
                CursorStep::Remove(k) => {
                    let k = mk(*k);
                    let got = cur.remove(&k);
                    let want = model.remove(&k);
                    assert_eq!(got, want, "cursor remove, {ctx}");
                    if want.is_some() {
                        removed.insert(k.id());
                        yielded.remove(&k.id());
                        current.removed(&k);
                    }
                }
            }
        }
        if finish {
            while !ended {
                assert!(
                    budget > 0,
                    "cursor did not end after {} next() calls, {ctx}",
                    self.limits.cursor_budget
                );
                budget -= 1;
                do_next(
                    &mut cur,
                    model,
                    &mut yielded,
                    &mut ever,
                    &mut current,
                    &mut ended,
                    0,
                );
            }
        }
        drop(cur);
        self.op_peak_len = self.op_peak_len.max(peak);
        let used = range_start - range_left;
        self.range_left -= used;
        self.count(|s| s.range_keys += used as u64);
        if ended {
            let mut missed: Vec<u64> = start
                .into_iter()
                .filter(|k| !removed.contains(k) && !ever.contains(k))
                .collect();
            missed.sort();
            missed.truncate(10);
            let missed: Vec<K> = missed.into_iter().map(K::make).collect();
            assert!(
                missed.is_empty(),
                "cursor run ended without yielding keys present throughout (first few: {missed:?}), {ctx}"
            );
        }
    }

    /// What `is_inline()` must be after `op` (for an `InlineGoMap`): it
    /// spills when it needs room for a ninth entry (a ninth key at any
    /// point of the op, or a reservation past 8) and comes back only
    /// through `shrink_to_fit` / `shrink_to(n <= 8)` with at most 8 entries,
    /// or as a new map.
    fn update_inline_expectation(&mut self, op: &Op, len_before: usize) {
        let Some(was) = self.expect_inline else {
            return;
        };
        let len = self.model.len();
        let peak = self.op_peak_len.max(len_before).max(len);
        self.expect_inline = Some(match op {
            Op::ShrinkToFit => len <= 8,
            Op::ShrinkTo(n) => was || len.max(*n as usize) <= 8,
            Op::Reserve(n) | Op::TryReserve { huge: false, n } => was && len + *n as usize <= 8,
            // Rebuilt as a new map from the entries.
            Op::IntoIter { .. } | Op::IntoGoMap { consume: true } => len <= 8,
            _ => was && peak <= 8,
        });
    }

    /// `Op::IntoGoMap`: the map (or a clone) into a `GoMap`, which is then
    /// checked in full against the model as a `GoMap` runner would; a clone
    /// is also grown and shrunk (`Differential::finish`). A consumed map is
    /// rebuilt from the `GoMap`'s entries.
    fn check_into_gomap(&mut self, consume: bool, ctx: &Ctx<'_>) {
        let was_inline = self.map.is_inline();
        let src = if consume {
            std::mem::replace(&mut self.map, M::with_hasher(self.hasher.clone()))
        } else {
            self.map.clone()
        };
        let before = src.stats();
        let g: GoMap<K, V, S> = src.into_gomap();
        let s = g.stats();
        if was_inline == Some(true) {
            assert_eq!(
                (s.len, s.b, s.buckets, s.growing),
                (before.len, 0, 1, false),
                "an inline map becomes a GoMap with one heap bucket, {ctx}"
            );
            assert!(
                s.heap_bytes >= GoMap::<K, V, S>::layout().bucket_size,
                "the GoMap's bucket is on the heap, {ctx}"
            );
        } else {
            assert_eq!(
                (s.len, s.b, s.buckets, s.growing, s.evacuated),
                (
                    before.len,
                    before.b,
                    before.buckets,
                    before.growing,
                    before.evacuated
                ),
                "a heap map keeps its array (and growth) as a GoMap, {ctx}"
            );
        }
        let mut d = Differential::<K, V, S, GoMap<K, V, S>>::with_limits(
            self.hasher.clone(),
            Limits {
                final_round: 12,
                ..self.limits
            },
        );
        d.map = g;
        d.model = self.model.clone();
        d.step = self.step;
        d.current_op = self.current_op.clone();
        d.check_full();
        if consume {
            let mut m = M::with_hasher(self.hasher.clone());
            m.extend_owned(IntoIterator::into_iter(d.map));
            self.map = m;
        } else {
            d.finish();
        }
    }

    /// O(1) checks after every op.
    pub fn check_cheap(&self) {
        let ctx = self.ctx();
        let len = self.model.len();
        assert_eq!(self.map.len(), len, "len, {ctx}");
        assert_eq!(self.map.is_empty(), len == 0, "is_empty, {ctx}");
        let h = self.map.header();
        assert_eq!(h.count, len, "header count, {ctx}");
        let cap = self.map.capacity();
        let want_cap = if h.buckets == 0 {
            0
        } else {
            capacity_for_b(h.b)
        };
        assert_eq!(cap, want_cap, "capacity() for B = {} ({:?}), {ctx}", h.b, h);
        assert!(len <= cap, "len {len} over capacity {cap}, {ctx}");
        assert_eq!(h.growing, h.oldbuckets != 0, "growing iff old array, {ctx}");
        if !h.growing {
            assert!(!h.same_size_grow, "same_size_grow while not growing, {ctx}");
        }
        if let Some(inline) = self.map.is_inline() {
            assert_eq!(
                Some(inline),
                self.expect_inline,
                "is_inline() (len {len}; it must be inline iff it has not spilled since it was made or last shrunk back), {ctx}"
            );
            let at = &self.map as *const M as usize;
            let inside = (at..at + std::mem::size_of::<M>()).contains(&h.buckets);
            assert_eq!(
                inside,
                inline,
                "bucket address {:#x} inside the value ({at:#x}, {} bytes) iff inline, {ctx}",
                h.buckets,
                std::mem::size_of::<M>()
            );
            if inline {
                assert_eq!(
                    (h.b, h.growing, cap),
                    (0, false, 8),
                    "an inline map has B = 0, no growth, capacity 8, {ctx}"
                );
            }
        }
    }

    /// `stats()` and `structure()` against Go's invariants (O(buckets)).
    pub fn check_structure(&self) {
        let s = self.check_stats();
        let st = self.map.structure();
        self.check_structure_view(&s, &st);
    }

    /// `stats()` against the header and Go's invariants: O(buckets), and no
    /// allocation (cheap enough for every op on a small map); returns it.
    pub fn check_stats(&self) -> MapStats {
        self.count(|s| s.stats_checks += 1);
        let ctx = self.ctx();
        let s = self.map.stats();
        let h = self.map.header();
        let len = self.model.len();
        assert_eq!(s.len, len, "stats.len, {ctx}");
        assert_eq!(s.capacity, self.map.capacity(), "stats.capacity, {ctx}");
        assert_eq!(
            (s.b, s.growing, s.same_size_grow),
            (h.b, h.growing, h.same_size_grow),
            "stats vs header, {ctx}"
        );
        assert_eq!(s.noverflow, h.noverflow, "stats.noverflow vs header, {ctx}");
        assert_eq!(
            (s.buckets_addr, s.old_buckets_addr),
            (h.buckets, h.oldbuckets),
            "addresses, {ctx}"
        );
        assert_eq!(
            s.evacuated, h.nevacuate,
            "stats.evacuated vs nevacuate, {ctx}"
        );
        let has = s.buckets_addr != 0;
        assert_eq!(
            s.buckets,
            if has { 1usize << s.b } else { 0 },
            "stats.buckets, {ctx}"
        );
        let prealloc = if has && s.b >= 4 {
            1usize << (s.b - 4)
        } else {
            0
        };
        assert_eq!(
            s.preallocated_overflow, prealloc,
            "pre-allocated overflow buckets, {ctx}"
        );
        assert!(
            s.free_preallocated_overflow <= prealloc,
            "free pre-allocated overflow, {ctx}"
        );
        if s.growing {
            let want_old = if s.same_size_grow {
                s.buckets
            } else {
                s.buckets / 2
            };
            assert_eq!(s.old_buckets, want_old, "old bucket count, {ctx}");
            assert!(
                s.evacuated < s.old_buckets,
                "nevacuate {} reached the end while growing, {ctx}",
                s.evacuated
            );
            assert!(
                s.noverflow as usize <= s.overflow_buckets,
                "noverflow vs overflow buckets, {ctx}"
            );
        } else {
            // (`nevacuate` keeps its last value until the next growth, as in Go.)
            assert_eq!(
                (s.old_buckets, s.old_buckets_addr),
                (0, 0),
                "old array after growth, {ctx}"
            );
            if s.b < 16 && s.overflow_buckets < u16::MAX as usize {
                assert_eq!(
                    s.noverflow as usize, s.overflow_buckets,
                    "noverflow is exact for B < 16, {ctx}"
                );
            }
        }
        let layout = M::layout();
        if self.map.is_inline() == Some(true) {
            // (u64 and String keys and values are stored unboxed.)
            assert_eq!(
                (s.heap_bytes, s.b, s.buckets, s.overflow_buckets, s.growing),
                (0, 0, 1, 0, false),
                "inline map: no heap bytes, one bucket, B = 0, {ctx}"
            );
        } else if has {
            assert!(s.max_chain >= 1, "max_chain, {ctx}");
            assert!(
                s.max_chain - 1 <= s.overflow_buckets,
                "max_chain vs overflow, {ctx}"
            );
            let arrays = (s.buckets + prealloc) + if s.growing { s.old_buckets } else { 0 };
            assert!(
                s.heap_bytes >= arrays * layout.bucket_size,
                "heap_bytes {} below the bucket arrays ({arrays} buckets), {ctx}",
                s.heap_bytes
            );
        } else {
            assert_eq!(
                (s.max_chain, s.overflow_buckets, s.b, len),
                (0, 0, 0, 0),
                "no array, {ctx}"
            );
        }

        s
    }

    /// `structure()` (every tophash byte of both arrays) against `stats()`
    /// and Go's rules: no evacuated marks in the current array, no full slot
    /// after `emptyRest`, old buckets below `nevacuate` evacuated, full slots
    /// counting to `len`.
    fn check_structure_view(&self, s: &MapStats, st: &MapStructure) {
        self.count(|s| s.structure_checks += 1);
        let ctx = self.ctx();
        let len = self.model.len();
        let has = s.buckets_addr != 0;
        assert_eq!(&st.stats, s, "structure().stats vs stats(), {ctx}");
        let mut full = 0usize;
        let mut overflow = 0usize;
        let mut max_chain = 0usize;
        if let Some(cur) = &st.current {
            assert_eq!(
                (cur.addr, cur.b),
                (s.buckets_addr, s.b),
                "current array view, {ctx}"
            );
            assert_eq!(
                cur.chains.len(),
                s.buckets,
                "chains in current array, {ctx}"
            );
            for (i, chain) in cur.chains.iter().enumerate() {
                assert_eq!(chain.index, i, "chain index, {ctx}");
                assert!(!chain.buckets.is_empty(), "chain without head, {ctx}");
                overflow += chain.buckets.len() - 1;
                max_chain = max_chain.max(chain.buckets.len());
                let mut rest = false;
                for b in &chain.buckets {
                    for &t in &b.tophash {
                        let state = SlotState::from_tophash(t);
                        assert!(
                            !matches!(
                                state,
                                SlotState::EvacuatedX
                                    | SlotState::EvacuatedY
                                    | SlotState::EvacuatedEmpty
                            ),
                            "evacuated mark {t} in the current array (bucket {i}), {ctx}"
                        );
                        if rest {
                            assert!(
                                !state.is_full(),
                                "full slot after emptyRest in chain {i}, {ctx}"
                            );
                        }
                        if state == SlotState::EmptyRest {
                            rest = true;
                        }
                        if state.is_full() {
                            full += 1;
                        }
                    }
                }
            }
        } else {
            assert!(!has, "stats has an array but structure() has none, {ctx}");
        }
        if let Some(old) = &st.old {
            assert!(s.growing, "old array view while not growing, {ctx}");
            assert_eq!(old.addr, s.old_buckets_addr, "old array address, {ctx}");
            assert_eq!(
                old.chains.len(),
                s.old_buckets,
                "chains in old array, {ctx}"
            );
            for (i, chain) in old.chains.iter().enumerate() {
                overflow += chain.buckets.len() - 1;
                let evacuated = chain.buckets[0].tophash[0] > 1 && chain.buckets[0].tophash[0] < 5;
                if i < s.evacuated {
                    assert!(
                        evacuated,
                        "old bucket {i} below nevacuate not evacuated, {ctx}"
                    );
                }
                if !evacuated {
                    for b in &chain.buckets {
                        full += b
                            .tophash
                            .iter()
                            .filter(|&&t| SlotState::from_tophash(t).is_full())
                            .count();
                    }
                }
            }
        } else {
            assert!(
                !s.growing,
                "growing but structure() has no old array, {ctx}"
            );
        }
        assert_eq!(
            full, len,
            "full slots (current + unevacuated old) vs len, {ctx}"
        );
        assert_eq!(
            overflow, s.overflow_buckets,
            "overflow buckets counted from structure, {ctx}"
        );
        if !s.growing {
            assert_eq!(max_chain, s.max_chain, "max_chain from structure, {ctx}");
        }
    }

    /// The contents through `iter()` in one pass: every entry yielded once,
    /// each with the model's value, and nothing missing.
    pub fn check_contents(&self) {
        self.count(|s| s.contents_checks += 1);
        let ctx = self.ctx();
        let len = self.model.len();
        let mut seen: HashSet<&K> = HashSet::with_capacity_and_hasher(len, Default::default());
        for (k, v) in self.map.iter() {
            match self.model.get(k) {
                Some(want) => assert_eq!(v, want, "iter() value of {k:?}, {ctx}"),
                None => panic!("iter() yielded {k:?}, which the model does not have, {ctx}"),
            }
            assert!(seen.insert(k), "iter() yielded {k:?} twice, {ctx}");
        }
        self.assert_all_seen(&seen, "iter()", &ctx);
    }

    /// Full contents through every read path, then the structure, then the
    /// location of every key (when the map is small enough).
    pub fn check_full(&self) {
        self.count(|s| s.full_checks += 1);
        let ctx = self.ctx();
        self.check_cheap();
        let len = self.model.len();

        // iter(): every entry once, with the model's value, none missing.
        // (Keys are compared by reference: no clones, so the check costs
        // little more than the iteration.)
        let it = self.map.iter();
        check_size_hint(&it, len, &ctx);
        let mut seen: HashSet<&K> = HashSet::with_capacity_and_hasher(len, Default::default());
        let mut order: Vec<&K> = Vec::with_capacity(len);
        for (k, v) in it {
            match self.model.get(k) {
                Some(want) => assert_eq!(v, want, "iter() value of {k:?}, {ctx}"),
                None => panic!("iter() yielded {k:?}, which the model does not have, {ctx}"),
            }
            assert!(seen.insert(k), "iter yielded {k:?} twice, {ctx}");
            order.push(k);
        }
        self.assert_all_seen(&seen, "iter()", &ctx);
        // An unchanged map iterates in the same order every time, so keys()
        // and values() correspond to iter().
        assert!(
            self.map.keys().eq(order.iter().copied()),
            "keys() order differs from iter(), {ctx}"
        );
        assert!(
            self.map
                .ref_into_iter()
                .map(|(k, _)| k)
                .eq(order.iter().copied()),
            "second iteration order differs, {ctx}"
        );
        let mut values = 0;
        for (v, k) in self.map.values().zip(order.iter()) {
            assert_eq!(
                Some(v),
                self.model.get(*k),
                "values() does not follow keys(), {ctx}"
            );
            values += 1;
        }
        assert_eq!(values, len, "values() count, {ctx}");
        assert_eq!(self.map.values().count(), len, "values() count, {ctx}");
        for (k, v) in &self.model {
            assert_eq!(self.map.get(k), Some(v), "get({k:?}), {ctx}");
        }

        seen.clear();
        for (k, v) in self.map.iter_randomized() {
            assert_eq!(
                self.model.get(k),
                Some(v),
                "iter_randomized yielded {k:?}, {ctx}"
            );
            assert!(seen.insert(k), "iter_randomized yielded {k:?} twice, {ctx}");
        }
        assert_eq!(seen.len(), len, "iter_randomized count, {ctx}");

        let s = self.check_stats();
        let st = self.map.structure();
        self.check_structure_view(&s, &st);
        if len <= self.limits.locate_max_len {
            self.check_locations(&st);
        }
    }

    /// Panics naming a few model keys missing from `seen` unless it holds
    /// as many keys as the model (it holds only model keys).
    fn assert_all_seen(&self, seen: &HashSet<&K>, what: &str, ctx: &Ctx<'_>) {
        let len = self.model.len();
        if seen.len() != len {
            let mut missing: Vec<&K> = self.model.keys().filter(|k| !seen.contains(k)).collect();
            missing.sort_by_key(|k| k.id());
            missing.truncate(10);
            panic!(
                "{what} yielded {} of {len} entries; missing {missing:?}, {ctx}",
                seen.len()
            );
        }
    }

    /// Every key lies in the bucket its hash names, under its tophash.
    fn check_locations(&self, st: &MapStructure) {
        self.count(|s| s.location_checks += 1);
        let ctx = self.ctx();
        let b = st.stats.b;
        let hasher = self.map.hasher();
        for k in self.model.keys() {
            let hash = hasher.hash_one(k);
            let loc = self
                .map
                .locate(k)
                .unwrap_or_else(|| panic!("locate({k:?}) found nothing, {ctx}"));
            let (array, bits) = if loc.in_old {
                let old_b = if st.stats.same_size_grow { b } else { b - 1 };
                (st.old.as_ref().expect("in_old without old array"), old_b)
            } else {
                (st.current.as_ref().expect("located without array"), b)
            };
            let index = (hash & ((1u64 << bits) - 1)) as usize;
            assert_eq!(
                loc.bucket_index, index,
                "{k:?} (hash {hash:#x}) in the wrong bucket (in_old {}), {ctx}",
                loc.in_old
            );
            let chain = &array.chains[index];
            let bucket = chain.buckets.get(loc.overflow_depth).unwrap_or_else(|| {
                panic!(
                    "{k:?} located at depth {} past the chain, {ctx}",
                    loc.overflow_depth
                )
            });
            assert_eq!(bucket.addr, loc.bucket_addr, "{k:?} bucket address, {ctx}");
            let mut top = (hash >> 56) as u8;
            if top < 5 {
                top += 5;
            }
            assert_eq!(bucket.tophash[loc.slot], top, "{k:?} tophash, {ctx}");
        }
    }
}

/// A move through a function call (not inlined away).
#[inline(never)]
fn moved<T>(t: T) -> T {
    std::hint::black_box(t)
}

/// Where a failure happened: the op number and the op, formatted only when
/// a check fails.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    step: usize,
    op: Option<&'a Op>,
}

impl Display for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op {
            None => write!(f, "at the final check after {} ops", self.step),
            Some(op) => {
                let mut s = format!("{op:?}");
                if s.len() > 300 {
                    let mut cut = 300;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    s.truncate(cut);
                    s.push_str("...");
                }
                write!(f, "after op #{} {s}", self.step)
            }
        }
    }
}

/// `reserve(n)` at `len` left capacity `cap`: room for `len + n`, except
/// that, as Go's `makemap` with a hint up to 8, an empty map may be left
/// with no array (capacity 0) until its first insert (`shrink_to` likewise).
fn reserve_ok(cap: usize, len: usize, n: usize) -> bool {
    cap >= len + n || (cap == 0 && len == 0 && n <= 8)
}

/// What `Cursor::remove_current` would remove: the entry `next` yielded
/// last (still so after `next` returned `None`), unless removed since.
#[derive(Debug)]
enum Current<K> {
    None,
    Live(K),
    Removed(K),
    /// Removed, then inserted again: `remove_current` may remove the new
    /// entry or return `None`.
    Reinserted(K),
}

impl<K: PartialEq> Current<K> {
    fn inserted(&mut self, k: &K) {
        if let Current::Removed(c) = self {
            if c == k {
                let c = std::mem::replace(self, Current::None);
                if let Current::Removed(c) = c {
                    *self = Current::Reinserted(c);
                }
            }
        }
    }
    fn removed(&mut self, k: &K) {
        match self {
            Current::Live(c) | Current::Reinserted(c) if c == k => {
                let c = std::mem::replace(self, Current::None);
                if let Current::Live(c) | Current::Reinserted(c) = c {
                    *self = Current::Removed(c);
                }
            }
            _ => {}
        }
    }
}

fn check_size_hint<I: Iterator>(it: &I, n: usize, ctx: &Ctx<'_>) {
    let (lo, hi) = it.size_hint();
    assert!(
        lo <= n && hi.is_none_or(|h| h >= n),
        "size_hint {:?} for {n} items, {ctx}",
        (lo, hi)
    );
}

/// Asserts two maps are equal, naming a few differing keys if not.
fn assert_maps_eq<K: TestKey, V: TestValue>(
    got: &HashMap<K, V>,
    want: &HashMap<K, V>,
    what: std::fmt::Arguments<'_>,
) {
    if got == want {
        return;
    }
    let mut missing: Vec<_> = want
        .keys()
        .filter(|k| !got.contains_key(*k))
        .take(8)
        .collect();
    let mut extra: Vec<_> = got
        .keys()
        .filter(|k| !want.contains_key(*k))
        .take(8)
        .collect();
    let wrong: Vec<_> = want
        .iter()
        .filter_map(|(k, v)| got.get(k).filter(|g| *g != v).map(|g| (k, g, v)))
        .take(8)
        .collect();
    missing.sort_by_key(|k| k.id());
    extra.sort_by_key(|k| k.id());
    panic!(
        "{what}: contents differ (len {} vs model {}); missing {missing:?}, extra {extra:?}, wrong values (key, got, want) {wrong:?}",
        got.len(),
        want.len()
    );
}

impl<K, V, S, M> Debug for Differential<K, V, S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Differential")
            .field("step", &self.step)
            .field("op", &self.current_op)
            .field("model_len", &self.model.len())
            .finish()
    }
}
