//! The operation language, with its `arbitrary` and `proptest` front ends.

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;

/// Key numbers below this are "hot": most generated keys fall here, so
/// lookups, removes and updates usually hit.
pub const HOT_KEYS: u16 = 64;
/// All key numbers lie below this.
pub const KEY_SPACE: u16 = 8192;
/// The largest `count` of an `InsertRange` / `RemoveRange`.
pub const MAX_RANGE: u16 = 2048;

/// A key number: most are hot (below [`HOT_KEYS`]), the rest below [`KEY_SPACE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub u16);

impl Key {
    fn from_raw(x: u16) -> Key {
        if x & 0x8000 == 0 {
            Key(x % HOT_KEYS)
        } else {
            Key(x % KEY_SPACE)
        }
    }
}

impl<'a> Arbitrary<'a> for Key {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Key::from_raw(u16::arbitrary(u)?))
    }
    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u16::size_hint(depth)
    }
}

/// A value number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Arbitrary)]
pub struct Val(pub u16);

/// One entry-API operation on the entry for a key.
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub enum EntryOp {
    /// `entry(k).or_insert(v)`.
    OrInsert(Val),
    /// `entry(k).or_insert_with(|| v)`.
    OrInsertWith(Val),
    /// `entry(k).or_default()`, then bump the value.
    OrDefault(u8),
    /// `entry(k).and_modify(bump).or_insert(v)`.
    AndModify(u8, Val),
    /// `Occupied(e) => e.remove()`.
    OccupiedRemove,
    /// `Occupied(e) => e.remove_entry()`.
    OccupiedRemoveEntry,
    /// `Occupied(e) => e.insert(v)` (returns the old value).
    OccupiedInsert(Val),
    /// `Occupied(e) => e.get_mut()` bumped, then `e.into_mut()` read.
    OccupiedGetMut(u8),
    /// `Vacant(e) => e.insert(v)`; an occupied entry is only read.
    VacantInsert(Val),
}

/// One step of a cursor run (Go's range with mutation).
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub enum CursorStep {
    /// `next()`; when it yields, bump the value through the `&mut V` by the
    /// given amount (0 leaves it alone).
    Next(u8),
    /// `remove_current()`.
    RemoveCurrent,
    /// `insert(k, v)` through the cursor (may start a growth mid-iteration).
    Insert(Key, Val),
    /// `remove(k)` through the cursor.
    Remove(Key),
    /// Insert `count` consecutive keys from `start` through the cursor:
    /// enough to start (and progress) a growth in the middle of the run.
    InsertRange(Key, u8),
}

/// One operation on the map (and on the model).
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub enum Op {
    /// `insert(k, v)`.
    Insert(Key, Val),
    /// `insert` of `count` consecutive key numbers from `start` (wrapping in
    /// [`KEY_SPACE`]); counts are capped by [`MAX_RANGE`] and the run's budget.
    InsertRange { start: Key, count: u16 },
    /// `remove(k)`.
    Remove(Key),
    /// `remove` of `count` consecutive key numbers from `start`.
    RemoveRange { start: Key, count: u16 },
    /// `remove_entry(k)`.
    RemoveEntry(Key),
    /// `get`, `get_key_value`, borrowed `get`, and `map[&k]` when present.
    Get(Key),
    /// `get_mut(k)`, bumping the value when present.
    GetMut(Key, u8),
    /// `contains_key(k)`.
    ContainsKey(Key),
    /// An entry-API operation.
    Entry(Key, EntryOp),
    /// `retain(|k, v| ...)` keeping keys with `k % (modulus + 1) != residue % (modulus + 1)`,
    /// bumping kept values by `bump`.
    Retain { modulus: u8, residue: u8, bump: u8 },
    /// `clear()`.
    Clear,
    /// `shrink_to_fit()`.
    ShrinkToFit,
    /// `shrink_to(n)`.
    ShrinkTo(u16),
    /// `reserve(n)`.
    Reserve(u8),
    /// `try_reserve(usize::MAX)` (must fail, leaving the map alone) or
    /// `try_reserve(n)` (must succeed).
    TryReserve { huge: bool, n: u8 },
    /// `extend` with these pairs (owned pairs or `(&K, &V)` pairs).
    Extend {
        pairs: Vec<(Key, Val)>,
        by_ref: bool,
    },
    /// `iter()` / `keys()` / `values()` compared with the model in full.
    Iterate,
    /// `iter_randomized()` compared with the model as a set.
    IterRandomized,
    /// `iter_mut()` (or `values_mut()`) bumping every value.
    IterMut { bump: u8, values_only: bool },
    /// A cursor run: the steps, then (when `finish`) `next()` until it ends.
    Cursor {
        steps: Vec<CursorStep>,
        finish: bool,
    },
    /// `clone()`, compared with the model; `swap` continues with the clone.
    Clone { swap: bool },
    /// `drain()`: all of it, or `Some(n)` items then drop the rest.
    Drain { take: Option<u16> },
    /// The map by value through `into_iter()` (all or `Some(n)` items then
    /// drop), or `into_keys()` / `into_values()`; continues with a new map.
    IntoIter { take: Option<u16>, kind: u8 },
    /// Moves the map (`how % 3`): through a function's argument and return
    /// value, into a `Box` and out, or into a `Vec` that then reallocates
    /// and out. An `InlineGoMap`'s bucket moves with it.
    Move(u8),
    /// The map into a `GoMap` (`From<InlineGoMap>`), checked as a `GoMap`:
    /// `consume` converts the map itself and continues with a map rebuilt
    /// from the `GoMap`'s entries; else a clone is converted, checked and
    /// grown.
    IntoGoMap { consume: bool },
}

/// Relative weights of the op kinds in [`op_strategy`].
#[derive(Clone, Copy, Debug)]
pub struct OpWeights {
    /// Weight of `InsertRange` / `RemoveRange` (what makes maps big).
    pub ranges: u32,
    /// Largest range count generated.
    pub max_range: u16,
    /// Weight of the whole-map ops (clone, drain, iterate, shrink, ...).
    pub whole_map: u32,
    /// Weight of `Move` (half of it for `IntoGoMap`).
    pub moves: u32,
}

impl Default for OpWeights {
    fn default() -> Self {
        OpWeights {
            ranges: 3,
            max_range: 600,
            whole_map: 2,
            moves: 1,
        }
    }
}

impl OpWeights {
    /// For `InlineGoMap`: small ranges (with a key space of a few dozen
    /// keys the map keeps crossing 8 entries both ways), frequent shrinks
    /// and moves.
    ///
    /// ```
    /// let w = gomap_testkit::OpWeights::inline();
    /// assert!(w.max_range <= 16 && w.moves > gomap_testkit::OpWeights::default().moves);
    /// ```
    pub fn inline() -> Self {
        OpWeights {
            ranges: 3,
            max_range: 12,
            whole_map: 3,
            moves: 4,
        }
    }
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        4 => (0..HOT_KEYS).prop_map(Key),
        1 => (0..KEY_SPACE).prop_map(Key),
    ]
}

fn val() -> impl Strategy<Value = Val> {
    any::<u16>().prop_map(Val)
}

fn entry_op() -> impl Strategy<Value = EntryOp> {
    prop_oneof![
        val().prop_map(EntryOp::OrInsert),
        val().prop_map(EntryOp::OrInsertWith),
        any::<u8>().prop_map(EntryOp::OrDefault),
        (any::<u8>(), val()).prop_map(|(d, v)| EntryOp::AndModify(d, v)),
        Just(EntryOp::OccupiedRemove),
        Just(EntryOp::OccupiedRemoveEntry),
        val().prop_map(EntryOp::OccupiedInsert),
        any::<u8>().prop_map(EntryOp::OccupiedGetMut),
        val().prop_map(EntryOp::VacantInsert),
    ]
}

/// A strategy for one cursor step.
pub fn cursor_step_strategy() -> impl Strategy<Value = CursorStep> {
    prop_oneof![
        8 => any::<u8>().prop_map(CursorStep::Next),
        3 => Just(CursorStep::RemoveCurrent),
        2 => (key(), val()).prop_map(|(k, v)| CursorStep::Insert(k, v)),
        2 => key().prop_map(CursorStep::Remove),
        1 => (key(), any::<u8>()).prop_map(|(k, n)| CursorStep::InsertRange(k, n)),
    ]
}

/// A strategy for one op with the given weights.
pub fn op_strategy(w: OpWeights) -> impl Strategy<Value = Op> {
    let max_range = w.max_range.max(1);
    prop_oneof![
        10 => (key(), val()).prop_map(|(k, v)| Op::Insert(k, v)),
        w.ranges.max(1) => (key(), 0..=max_range)
            .prop_map(|(start, count)| Op::InsertRange { start, count }),
        w.ranges.div_ceil(2).max(1) => (key(), 0..=max_range)
            .prop_map(|(start, count)| Op::RemoveRange { start, count }),
        6 => key().prop_map(Op::Remove),
        2 => key().prop_map(Op::RemoveEntry),
        4 => key().prop_map(Op::Get),
        2 => (key(), any::<u8>()).prop_map(|(k, d)| Op::GetMut(k, d)),
        2 => key().prop_map(Op::ContainsKey),
        5 => (key(), entry_op()).prop_map(|(k, e)| Op::Entry(k, e)),
        w.whole_map.max(1) => (0..8u8, any::<u8>(), any::<u8>())
            .prop_map(|(modulus, residue, bump)| Op::Retain { modulus, residue, bump }),
        w.whole_map.div_ceil(2).max(1) => Just(Op::Clear),
        w.whole_map.max(1) => Just(Op::ShrinkToFit),
        w.whole_map.max(1) => (0..2000u16).prop_map(Op::ShrinkTo),
        w.whole_map.max(1) => any::<u8>().prop_map(Op::Reserve),
        1 => (any::<bool>(), any::<u8>()).prop_map(|(huge, n)| Op::TryReserve { huge, n }),
        2 => (prop::collection::vec((key(), val()), 0..20), any::<bool>())
            .prop_map(|(pairs, by_ref)| Op::Extend { pairs, by_ref }),
        w.whole_map.max(1) => Just(Op::Iterate),
        w.whole_map.max(1) => Just(Op::IterRandomized),
        w.whole_map.max(1) => (any::<u8>(), any::<bool>())
            .prop_map(|(bump, values_only)| Op::IterMut { bump, values_only }),
        3 * w.whole_map.max(1) => (prop::collection::vec(cursor_step_strategy(), 0..48), any::<bool>())
            .prop_map(|(steps, finish)| Op::Cursor { steps, finish }),
        w.whole_map.max(1) => any::<bool>().prop_map(|swap| Op::Clone { swap }),
        w.whole_map.div_ceil(2).max(1) => prop::option::of(0..400u16).prop_map(|take| Op::Drain { take }),
        w.whole_map.div_ceil(2).max(1) => (prop::option::of(0..400u16), 0..3u8)
            .prop_map(|(take, kind)| Op::IntoIter { take, kind }),
        w.moves => any::<u8>().prop_map(Op::Move),
        w.moves.div_ceil(2) => any::<bool>().prop_map(|consume| Op::IntoGoMap { consume }),
    ]
}

/// A strategy for an op list of up to `max_ops` ops with the given weights.
pub fn ops_strategy(w: OpWeights, max_ops: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op_strategy(w), 0..=max_ops)
}

/// A strategy for an adversarial hasher state.
pub fn adversarial_strategy() -> impl Strategy<Value = crate::AdversarialState> {
    use crate::HashMode::*;
    let mode = prop_oneof![
        Just(Full),
        Just(Constant),
        any::<u8>().prop_map(LowBits),
        any::<u8>().prop_map(HighBits),
        any::<u8>().prop_map(Block),
        any::<u8>().prop_map(FewValues),
        any::<u16>().prop_map(Masked),
    ];
    (mode, any::<u64>()).prop_map(|(mode, seed)| crate::AdversarialState { mode, seed })
}
