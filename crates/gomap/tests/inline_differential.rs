//! Differential property tests for `InlineGoMap`: random op lists
//! (gomap-testkit's operation language) run on an `InlineGoMap` and on
//! std's `HashMap`, compared after every op. With a key space of a few
//! dozen keys and small ranges the map keeps crossing 8 entries both ways:
//! the ninth key spills it to the heap, `shrink_to_fit` / `shrink_to`
//! bring it back; `Move` carries it through a function, a `Box` and a
//! `Vec`, and `IntoGoMap` converts it. After every op the runner checks
//! that it is inline exactly when it has not spilled since it was made or
//! last shrunk back, and that an inline map's bucket lies inside the value
//! with no heap bytes.
//!
//! `PROPTEST_CASES` sets the case count (default 256).

use gomap_testkit::{
    ops_strategy, run_ops_inline, Differential, Key, Limits, Op, OpWeights, RunStats, Val,
};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

fn config(divisor: u32) -> ProptestConfig {
    ProptestConfig {
        cases: (cases() / divisor).max(1),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

fn limits(key_space: u16) -> Limits {
    Limits {
        key_space,
        ..Limits::inline()
    }
}

fn h() -> gomap::DefaultHashBuilder {
    gomap::DefaultHashBuilder::default()
}

proptest! {
    #![proptest_config(config(1))]

    /// Key spaces of 9 to 40 keys: most cases cross 8 entries many times.
    #[test]
    fn inline_u64(key_space in 9u16..40, ops in ops_strategy(OpWeights::inline(), 96)) {
        run_ops_inline::<u64, u64, _>(h(), limits(key_space), &ops);
    }
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn inline_string(key_space in 9u16..40, ops in ops_strategy(OpWeights::inline(), 96)) {
        run_ops_inline::<String, String, _>(h(), limits(key_space), &ops);
    }

    /// Bigger maps too (the default weights, 256 keys): a spilled map
    /// grows through several B and comes back only by shrinking.
    #[test]
    fn inline_u64_wide(ops in ops_strategy(OpWeights::default(), 64)) {
        run_ops_inline::<u64, u64, _>(h(), limits(256), &ops);
    }
}

/// What the op lists above do: most runs must cross the boundary both
/// ways, or the tests prove little.
#[test]
fn generated_runs_cross_the_boundary_both_ways() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = ops_strategy(OpWeights::inline(), 96);
    let (mut spilled, mut came_back) = (0, 0);
    for _ in 0..100 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut d =
            Differential::<u64, u64, _, gomap::InlineGoMap<u64, u64>>::with_limits(h(), limits(24));
        let (mut was_heap, mut spill, mut back) = (false, false, false);
        for op in &ops {
            d.apply(op);
            let inline = d.map.is_inline();
            spill |= !inline;
            back |= was_heap && inline;
            was_heap = !inline;
        }
        spilled += spill as u32;
        came_back += back as u32;
    }
    assert!(
        spilled >= 60 && came_back >= 30,
        "of 100 runs {spilled} spilled and {came_back} came back inline"
    );
}

fn run(ops: &[Op]) -> RunStats {
    run_ops_inline::<u64, u64, _>(h(), limits(16), ops)
}

fn inserts(range: std::ops::Range<u16>) -> impl Iterator<Item = Op> {
    range.map(|i| Op::Insert(Key(i), Val(i)))
}

/// Spill, shrink back, and move in each way while inline and while spilled.
#[test]
fn spill_shrink_back_and_move() {
    let mut ops: Vec<Op> = inserts(0..8).collect();
    for how in 0..3 {
        ops.push(Op::Move(how));
    }
    ops.push(Op::Insert(Key(8), Val(8))); // the ninth key: spill
    for how in 0..3 {
        ops.push(Op::Move(how));
    }
    ops.push(Op::Remove(Key(0)));
    ops.push(Op::ShrinkToFit); // 8 entries: back inline
    ops.push(Op::Move(2));
    ops.push(Op::IntoGoMap { consume: false });
    ops.extend(inserts(9..12));
    ops.push(Op::IntoGoMap { consume: false }); // a spilled map converts too
    ops.push(Op::RemoveRange {
        start: Key(0),
        count: 8,
    });
    ops.push(Op::ShrinkTo(8)); // 4 entries, limit 8: inline
    ops.push(Op::IntoGoMap { consume: true });
    let s = run(&ops);
    assert!(s.max_len >= 11 && s.full_checks > 0, "{s:?}");
}

/// A cursor run that spills the map and removes back below 9 leaves it on
/// the heap (the runner's expectation follows the peak, not the end).
#[test]
fn cursor_spill_then_remove_stays_spilled() {
    use gomap_testkit::CursorStep;
    let mut ops: Vec<Op> = inserts(0..8).collect();
    ops.push(Op::Cursor {
        steps: vec![
            CursorStep::Insert(Key(8), Val(8)),
            CursorStep::Remove(Key(8)),
            CursorStep::Remove(Key(0)),
        ],
        finish: true,
    });
    let mut d =
        Differential::<u64, u64, _, gomap::InlineGoMap<u64, u64>>::with_limits(h(), limits(16));
    d.run(&ops);
    assert!(!d.map.is_inline() && d.map.len() == 7);
    d.apply(&Op::ShrinkToFit);
    assert!(d.map.is_inline());
    d.finish();
}
