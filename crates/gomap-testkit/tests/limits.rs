//! What `Limits::fuzz` promises: runs are capped, and sampling still runs
//! every kind of check in every run.

use gomap::DefaultHashBuilder;
use gomap_testkit::{run_ops, CursorStep, Differential, Key, Limits, Op, Val};

fn fuzz_run(ops: &[Op]) -> Differential<u64, u64, DefaultHashBuilder> {
    let mut d = Differential::with_limits(DefaultHashBuilder::default(), Limits::fuzz());
    d.run(ops);
    d.finish();
    d
}

#[test]
fn fuzz_runs_apply_at_most_max_ops() {
    let max = Limits::fuzz().max_ops;
    // Keys from 1000 up: the final round's keys (multiples of 97 below
    // 8 * 97) stay apart, so the map keeps exactly the applied inserts.
    let ops: Vec<Op> = (0..max as u16 + 30)
        .map(|i| Op::Insert(Key(1000 + i), Val(i)))
        .collect();
    let d = fuzz_run(&ops);
    let s = d.stats();
    assert_eq!(s.skipped_ops, 30);
    assert_eq!(s.ops, max + 2 * Limits::fuzz().final_round as usize);
    assert_eq!(d.map.len(), max);
    assert_eq!(d.model.len(), max);
}

#[test]
fn default_limits_apply_every_op() {
    let ops: Vec<Op> = (0..300u16).map(|i| Op::Insert(Key(i), Val(i))).collect();
    let s = run_ops::<u64, u64, _>(DefaultHashBuilder::default(), Limits::default(), &ops);
    assert_eq!((s.skipped_ops, s.ops), (0, 300 + 80));
}

#[test]
fn every_kind_of_check_runs_in_a_one_op_fuzz_run() {
    let s = fuzz_run(&[Op::Insert(Key(1), Val(1))]).stats();
    assert!(s.stats_checks > 0, "{s:?}");
    assert!(s.structure_checks > 0, "{s:?}");
    assert!(s.location_checks > 0, "{s:?}");
    assert!(s.full_checks > 0, "{s:?}");
    let s = fuzz_run(&[Op::InsertRange {
        start: Key(0),
        count: 100,
    }])
    .stats();
    assert!(s.contents_checks > 0, "{s:?}");
}

#[test]
fn whole_map_checks_are_sampled_but_never_skipped_at_the_end() {
    let mut ops = vec![Op::InsertRange {
        start: Key(0),
        count: 100,
    }];
    ops.extend(std::iter::repeat_n(Op::Iterate, 40));
    let limits = Limits::fuzz();
    let s = fuzz_run(&ops).stats();
    // One contents check per `contents_check_every` ops at most, and the
    // full checks: every `full_check_every` ops plus the two at the end.
    assert!(s.contents_checks >= 1, "{s:?}");
    assert!(
        s.contents_checks <= ops.len().div_ceil(limits.contents_check_every),
        "{s:?}"
    );
    assert_eq!(
        s.full_checks,
        ops.len() / limits.full_check_every + 2,
        "{s:?}"
    );
    // With the default limits, every whole-map op is followed by a
    // contents check, or by a full check on the steps that have one.
    let limits = Limits::default();
    let s = run_ops::<u64, u64, _>(DefaultHashBuilder::default(), limits, &ops);
    assert_eq!(
        s.contents_checks + ops.len() / limits.full_check_every,
        ops.len(),
        "default limits check contents after every whole-map op: {s:?}"
    );
}

#[test]
fn cursor_insert_ranges_draw_on_the_run_budget() {
    let budget = Limits::fuzz().range_budget;
    let ops = [
        Op::Cursor {
            steps: vec![
                CursorStep::InsertRange(Key(2000), 255),
                CursorStep::InsertRange(Key(3000), 255),
            ],
            finish: false,
        },
        Op::InsertRange {
            start: Key(4000),
            count: 2048,
        },
    ];
    let d = fuzz_run(&ops);
    let s = d.stats();
    assert_eq!(s.range_keys, budget as u64, "{s:?}");
    assert_eq!(d.map.len(), budget as usize, "{s:?}");
}
