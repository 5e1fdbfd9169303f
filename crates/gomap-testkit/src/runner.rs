//! The differential runner: a `GoMap` and a std `HashMap` driven in lockstep.

use std::any::Any;
use std::collections::{HashMap as StdHashMap, HashSet as StdHashSet};
use std::fmt::Debug;
use std::fmt::Display;
use std::hash::BuildHasher;

use gomap::{DefaultHashBuilder, Entry, GoMap, SlotState};

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
    /// Full content check every this many ops (and after whole-map ops).
    pub full_check_every: usize,
    /// `stats()` / `structure()` checks every op while the map has at most
    /// this many buckets, and every `full_check_every` ops above.
    pub cheap_stats_buckets: usize,
    /// Full checks also `locate()` every key while the map has at most this many.
    pub locate_max_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            key_space: KEY_SPACE,
            range_budget: 12_000,
            cursor_budget: 20_000,
            full_check_every: 16,
            cheap_stats_buckets: 16,
            locate_max_len: 2048,
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
            cheap_stats_buckets: 16,
            locate_max_len: 2048,
        }
    }

    /// For fuzzing: the same checks, run less often, so more inputs run per
    /// second (every op still compares results and `len`; structure and full
    /// contents every 32 ops, after whole-map ops and at the end).
    pub fn fuzz() -> Self {
        Limits {
            range_budget: 6_000,
            full_check_every: 32,
            cheap_stats_buckets: 8,
            locate_max_len: 512,
            ..Limits::default()
        }
    }

    /// [`Limits::fuzz`] for colliding hashers.
    pub fn fuzz_adversarial() -> Self {
        Limits {
            key_space: 1024,
            range_budget: 1_500,
            cursor_budget: 3_000,
            ..Limits::fuzz()
        }
    }
}

/// A `GoMap` and a std `HashMap` model driven by the same ops.
pub struct Differential<K, V, S> {
    /// The map under test.
    pub map: GoMap<K, V, S>,
    /// The model.
    pub model: HashMap<K, V>,
    hasher: S,
    limits: Limits,
    range_left: u32,
    step: usize,
    current_op: Option<Op>,
}

impl<K: TestKey, V: TestValue, S: BuildHasher + Clone + 'static> Differential<K, V, S> {
    /// An empty map with `hasher` and default limits.
    pub fn new(hasher: S) -> Self {
        Self::with_limits(hasher, Limits::default())
    }

    /// An empty map with `hasher` and `limits`.
    pub fn with_limits(hasher: S, limits: Limits) -> Self {
        let map = GoMap::with_hasher(hasher.clone());
        assert_eq!(
            map.capacity(),
            0,
            "GoMap::with_hasher must allocate nothing"
        );
        Differential {
            map,
            model: HashMap::default(),
            hasher,
            range_left: limits.range_budget,
            limits,
            step: 0,
            current_op: None,
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
        n
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            step: self.step,
            op: self.current_op.as_ref(),
        }
    }

    /// Applies one op to both maps and checks they agree.
    pub fn apply(&mut self, op: &Op) {
        self.step += 1;
        self.current_op = Some(op.clone());
        let whole_map = self.apply_inner(op);
        self.check_cheap();
        let n_buckets = self.map.header().b;
        if self
            .step
            .is_multiple_of(self.limits.full_check_every.max(1))
        {
            self.check_full();
        } else {
            if whole_map {
                self.check_contents();
            }
            if (1usize << n_buckets) <= self.limits.cheap_stats_buckets {
                self.check_structure();
            }
        }
    }

    /// The final check: full contents and structure, then the map must stay
    /// usable (a round of inserts and removes).
    pub fn finish(&mut self) {
        self.current_op = None;
        self.check_full();
        for i in 0..40u16 {
            self.apply(&Op::Insert(Key(i.wrapping_mul(97)), Val(i)));
        }
        for i in 0..40u16 {
            self.apply(&Op::Remove(Key(i.wrapping_mul(97))));
        }
        self.check_full();
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
                assert_eq!(K::get_borrowed(&self.map, &k), want, "borrowed get, {ctx}");
                assert_eq!(
                    self.map.get_key_value(&k),
                    self.model.get_key_value(&k),
                    "get_key_value, {ctx}"
                );
                if let Some(w) = want {
                    assert_eq!(&self.map[&k], w, "index, {ctx}");
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
                    assert!(visited.insert(k.clone()), "retain visited {k:?} twice");
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
                let any: &mut dyn Any = &mut self.map;
                if let (true, Some(map)) = (*by_ref, any.downcast_mut::<GoMap<u64, u64, S>>()) {
                    let any_pairs: &dyn Any = &pairs;
                    let copy_pairs = any_pairs
                        .downcast_ref::<Vec<(u64, u64)>>()
                        .expect("u64 pairs");
                    map.extend(copy_pairs.iter().map(|(k, v)| (k, v)));
                } else {
                    self.map.extend(pairs.iter().cloned());
                }
                self.model.extend(pairs);
                false
            }
            Op::Iterate => true,
            Op::IterRandomized => {
                for _ in 0..2 {
                    let mut seen =
                        HashMap::with_capacity_and_hasher(self.model.len(), Default::default());
                    for (k, v) in self.map.iter_randomized() {
                        assert!(
                            seen.insert(k.clone(), v.clone()).is_none(),
                            "iter_randomized yielded {k:?} twice, {ctx}"
                        );
                    }
                    assert_maps_eq(&seen, &self.model, format_args!("iter_randomized, {ctx}"));
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
                        assert!(
                            seen.insert(k.clone()),
                            "iter_mut yielded {k:?} twice, {ctx}"
                        );
                        v.bump(d);
                        n += 1;
                    }
                    for (k, v) in &mut self.map {
                        assert!(seen.contains(k), "&mut IntoIterator yielded unknown {k:?}");
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
                let mut seen = HashMap::default();
                for (k, v) in c.iter() {
                    assert!(
                        seen.insert(k.clone(), v.clone()).is_none(),
                        "clone iter dup {k:?}"
                    );
                }
                assert_maps_eq(&seen, &self.model, format_args!("clone contents, {ctx}"));
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
                let map = std::mem::replace(&mut self.map, GoMap::with_hasher(self.hasher.clone()));
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
        // Keys present when the run starts.
        let start: HashSet<K> = self.model.keys().cloned().collect();
        // Keys removed at any time during the run (their guarantee is void).
        let mut removed: HashSet<K> = HashSet::default();
        // Keys yielded since they were last inserted / present: a second
        // yield of one of these is a bug.
        let mut yielded: HashSet<K> = HashSet::default();
        // Every key yielded in this run.
        let mut ever: HashSet<K> = HashSet::default();
        // What `remove_current` would remove.
        let mut current = Current::None;
        let mut ended = false;
        let mut budget = self.limits.cursor_budget;
        let mut range_left = self.range_left.min(1024);

        let key_space = self.limits.key_space.clamp(1, KEY_SPACE);
        let mk = |k: Key| K::make((k.0 % key_space) as u64);
        let model = &mut self.model;
        let mut cur = self.map.cursor();

        let do_next = |cur: &mut gomap::Cursor<'_, K, V, S>,
                       model: &mut HashMap<K, V>,
                       yielded: &mut HashSet<K>,
                       ever: &mut HashSet<K>,
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
                    assert!(
                        yielded.insert(k.clone()),
                        "cursor yielded {k:?} twice, {ctx}"
                    );
                    if d != 0 {
                        v.bump(d as u64);
                        model.get_mut(&k).unwrap().bump(d as u64);
                    }
                    ever.insert(k.clone());
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
                            removed.insert(k.clone());
                            yielded.remove(&k);
                            current = Current::Removed(k);
                        }
                        Current::Reinserted(k) if got.is_some() => {
                            let want = model.remove(&k).map(|v| (k.clone(), v));
                            assert_eq!(
                                got, want,
                                "remove_current of a re-inserted current key, {ctx}"
                            );
                            yielded.remove(&k);
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
                    }
                }
                CursorStep::Remove(k) => {
                    let k = mk(*k);
                    let got = cur.remove(&k);
                    let want = model.remove(&k);
                    assert_eq!(got, want, "cursor remove, {ctx}");
                    if want.is_some() {
                        removed.insert(k.clone());
                        yielded.remove(&k);
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
        if ended {
            let mut missed: Vec<&K> = start
                .iter()
                .filter(|k| !removed.contains(*k) && !ever.contains(*k))
                .collect();
            missed.sort_by_key(|k| k.id());
            missed.truncate(10);
            assert!(
                missed.is_empty(),
                "cursor run ended without yielding keys present throughout (first few: {missed:?}), {ctx}"
            );
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
    }

    /// `stats()` and `structure()` against Go's invariants (O(buckets)).
    pub fn check_structure(&self) {
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
        let layout = GoMap::<K, V, S>::layout();
        if has {
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

        let st = self.map.structure();
        assert_eq!(st.stats, s, "structure().stats vs stats(), {ctx}");
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
        if seen.len() != len {
            let mut missing: Vec<&K> = self.model.keys().filter(|k| !seen.contains(k)).collect();
            missing.sort_by_key(|k| k.id());
            missing.truncate(10);
            panic!(
                "iter() yielded {} of {len} entries; missing {missing:?}, {ctx}",
                seen.len()
            );
        }
    }

    /// Full contents through every read path, then the structure, then the
    /// location of every key (when the map is small enough).
    pub fn check_full(&self) {
        let ctx = self.ctx();
        self.check_cheap();
        let len = self.model.len();

        let it = self.map.iter();
        check_size_hint(&it, len, &ctx);
        let mut seen: HashMap<K, V> = HashMap::with_capacity_and_hasher(len, Default::default());
        let mut order: Vec<&K> = Vec::with_capacity(len);
        for (k, v) in it {
            assert!(
                seen.insert(k.clone(), v.clone()).is_none(),
                "iter yielded {k:?} twice, {ctx}"
            );
            order.push(k);
        }
        assert_maps_eq(&seen, &self.model, format_args!("iter, {ctx}"));
        // An unchanged map iterates in the same order every time, so keys()
        // and values() correspond to iter().
        let keys: Vec<&K> = self.map.keys().collect();
        assert!(keys == order, "keys() order differs from iter(), {ctx}");
        let again: Vec<&K> = (&self.map).into_iter().map(|(k, _)| k).collect();
        assert!(again == order, "second iteration order differs, {ctx}");
        for (v, k) in self.map.values().zip(order.iter()) {
            assert_eq!(
                Some(v),
                self.model.get(*k),
                "values() does not follow keys(), {ctx}"
            );
        }
        assert_eq!(self.map.values().count(), len, "values() count, {ctx}");
        for (k, v) in &self.model {
            assert_eq!(self.map.get(k), Some(v), "get({k:?}), {ctx}");
        }

        let mut rset = HashSet::with_capacity_and_hasher(len, Default::default());
        for (k, v) in self.map.iter_randomized() {
            assert_eq!(
                self.model.get(k),
                Some(v),
                "iter_randomized yielded {k:?}, {ctx}"
            );
            assert!(rset.insert(k), "iter_randomized yielded {k:?} twice, {ctx}");
        }
        assert_eq!(rset.len(), len, "iter_randomized count, {ctx}");

        self.check_structure();

        if len <= self.limits.locate_max_len {
            self.check_locations();
        }
    }

    /// Every key lies in the bucket its hash names, under its tophash.
    fn check_locations(&self) {
        let ctx = self.ctx();
        let st = self.map.structure();
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

impl<K, V, S> Debug for Differential<K, V, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Differential")
            .field("step", &self.step)
            .field("op", &self.current_op)
            .field("model_len", &self.model.len())
            .finish()
    }
}
