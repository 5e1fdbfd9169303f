//! The operation language shared by gomap's property tests and fuzz targets.
//!
//! One [`Op`] enum describes everything a user can do to a map: inserts and
//! removes (one key or a whole range, so short op lists cross many growths),
//! lookups, the entry API, `retain`, `clear`, the shrink / reserve family,
//! every kind of iteration, Go-style cursor runs (range with mutation),
//! `clone`, `drain` and `into_iter`. The same `Vec<Op>` comes from proptest
//! ([`ops_strategy`]) and from a fuzzer's bytes (`arbitrary::Arbitrary`).
//!
//! [`Differential`] applies each op to a [`gomap::GoMap`] and to
//! `std::collections::HashMap` (the model) and panics at the first
//! difference: a returned value, `len`, the full contents, the iteration
//! rules, or the structure read back through `stats()`, `header()` and
//! `structure()` (Go's rules: capacity, bucket counts, overflow bookkeeping,
//! `emptyRest` runs, every key in the bucket its hash names).
//!
//! The same runner drives a [`gomap::InlineGoMap`] ([`run_ops_inline`],
//! [`run_ops_on`]): then it also checks, after every op, that the map is
//! inline exactly when it has not spilled since it was made or last shrunk
//! back, that an inline map has its bucket inside the value and no heap
//! bytes, and the `Move` and `IntoGoMap` ops carry it across moves and
//! into a `GoMap`.
//!
//! Entry points: [`run_ops_u64`], [`run_ops_string`], and
//! [`run_ops_adversarial`], which uses an [`AdversarialState`] hasher made
//! to produce collisions, long overflow chains and same-size growth.

pub mod fuzz;
mod hasher;
mod keys;
mod map;
mod op;
mod runner;

pub use hasher::{AdversarialHasher, AdversarialState, HashMode};
pub use keys::{TestKey, TestValue};
pub use map::TestMap;
pub use op::{
    adversarial_strategy, cursor_step_strategy, op_strategy, ops_strategy, CursorStep, EntryOp,
    Key, Op, OpWeights, Val, HOT_KEYS, KEY_SPACE, MAX_RANGE,
};
pub use runner::{capacity_for_b, capacity_for_hint, Differential, Limits, RunStats};

use gomap::{DefaultHashBuilder, GoMap, InlineGoMap};

/// Runs `ops` on a `GoMap<u64, u64>` (default hasher) against std's `HashMap`.
pub fn run_ops_u64(ops: &[Op]) {
    run_ops::<u64, u64, _>(DefaultHashBuilder::default(), Limits::default(), ops);
}

/// Runs `ops` on a `GoMap<String, String>` (default hasher) against std's `HashMap`.
pub fn run_ops_string(ops: &[Op]) {
    run_ops::<String, String, _>(DefaultHashBuilder::default(), Limits::default(), ops);
}

/// Runs `ops` on a `GoMap<u64, u64>` whose hasher is `hasher` (built from
/// fuzz input or a proptest value) with limits suited to colliding hashes.
pub fn run_ops_adversarial(hasher: AdversarialState, ops: &[Op]) {
    run_ops::<u64, u64, _>(hasher, Limits::adversarial(), ops);
}

/// Same as [`run_ops_adversarial`] with `String` keys and values.
pub fn run_ops_adversarial_string(hasher: AdversarialState, ops: &[Op]) {
    run_ops::<String, String, _>(hasher, Limits::adversarial(), ops);
}

/// Runs `ops` (at most `limits.max_ops` of them) with any key / value types
/// and hasher, then does a final full check; returns what the run did.
pub fn run_ops<K, V, S>(hasher: S, limits: Limits, ops: &[Op]) -> RunStats
where
    K: TestKey,
    V: TestValue,
    S: std::hash::BuildHasher + Clone + 'static,
{
    run_ops_on::<GoMap<K, V, S>, K, V, S>(hasher, limits, ops)
}

/// [`run_ops`] on an `InlineGoMap<K, V, S>`.
///
/// ```
/// use gomap_testkit::{run_ops_inline, Key, Limits, Op, Val};
/// // Nine keys spill it; shrink_to_fit after removing two moves it back.
/// let mut ops: Vec<Op> = (0..9).map(|i| Op::Insert(Key(i), Val(i))).collect();
/// ops.extend([Op::Remove(Key(0)), Op::Remove(Key(1)), Op::ShrinkToFit, Op::Move(1)]);
/// let s = run_ops_inline::<u64, u64, _>(gomap::DefaultHashBuilder::default(), Limits::inline(), &ops);
/// assert!(s.max_len >= 9 && s.full_checks > 0);
/// ```
pub fn run_ops_inline<K, V, S>(hasher: S, limits: Limits, ops: &[Op]) -> RunStats
where
    K: TestKey,
    V: TestValue,
    S: std::hash::BuildHasher + Clone + 'static,
{
    run_ops_on::<InlineGoMap<K, V, S>, K, V, S>(hasher, limits, ops)
}

/// [`run_ops`] on any [`TestMap`] type `M`.
pub fn run_ops_on<M, K, V, S>(hasher: S, limits: Limits, ops: &[Op]) -> RunStats
where
    M: TestMap<K, V, S>,
    K: TestKey,
    V: TestValue,
    S: std::hash::BuildHasher + Clone + 'static,
{
    let mut d = Differential::<K, V, S, M>::with_limits(hasher, limits);
    d.run(ops);
    d.finish();
    d.stats()
}
