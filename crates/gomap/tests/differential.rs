//! Differential property tests: random op lists (gomap-testkit's operation
//! language) run on a `GoMap` and on std's `HashMap`, compared after every op.
//!
//! `PROPTEST_CASES` sets the case count of the main tests (default 256); the
//! big-map and adversarial-hash tests run a fraction of it.

use gomap_testkit::{
    adversarial_strategy, ops_strategy, run_ops, run_ops_adversarial, run_ops_adversarial_string,
    run_ops_string, run_ops_u64, AdversarialState, CursorStep, HashMode, Key, Limits, Op,
    OpWeights, Val,
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

/// Small maps, every op kind, keys mostly hot (hits everywhere).
fn small() -> OpWeights {
    OpWeights {
        ranges: 1,
        max_range: 120,
        whole_map: 2,
        ..OpWeights::default()
    }
}

/// Big maps: ranges of up to 2048 keys, so a case reaches ~5000 keys and
/// crosses B = 0 .. 10 with whole-map ops in between.
fn big() -> OpWeights {
    OpWeights {
        ranges: 8,
        max_range: 2048,
        whole_map: 1,
        ..OpWeights::default()
    }
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn u64_keys(ops in ops_strategy(small(), 128)) {
        run_ops_u64(&ops);
    }
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn string_keys(ops in ops_strategy(small(), 120)) {
        run_ops_string(&ops);
    }

    #[test]
    fn u64_keys_medium(ops in ops_strategy(OpWeights { ranges: 4, max_range: 400, whole_map: 2, ..OpWeights::default() }, 80)) {
        run_ops_u64(&ops);
    }
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn u64_keys_big(ops in ops_strategy(big(), 40)) {
        run_ops_u64(&ops);
    }

    #[test]
    fn string_keys_big(ops in ops_strategy(big(), 24)) {
        run_ops_string(&ops);
    }

    #[test]
    fn adversarial_hash_u64(state in adversarial_strategy(), ops in ops_strategy(OpWeights { ranges: 3, max_range: 300, whole_map: 2, ..OpWeights::default() }, 80)) {
        run_ops_adversarial(state, &ops);
    }

    #[test]
    fn adversarial_hash_string(state in adversarial_strategy(), ops in ops_strategy(small(), 60)) {
        run_ops_adversarial_string(state, &ops);
    }
}

// Fixed scenarios the random search may take long to reach.

fn k(x: u16) -> Key {
    Key(x)
}

/// A cursor that inserts enough keys to double the map twice mid-run, and
/// removes keys ahead of itself, must still yield every surviving key once.
#[test]
fn cursor_across_two_doublings() {
    let mut steps = vec![CursorStep::Next(1); 10];
    steps.push(CursorStep::InsertRange(k(1000), 255));
    steps.extend([
        CursorStep::Next(0),
        CursorStep::RemoveCurrent,
        CursorStep::Remove(k(5)),
    ]);
    steps.push(CursorStep::InsertRange(k(1300), 255));
    steps.extend(vec![CursorStep::Next(2); 30]);
    steps.push(CursorStep::InsertRange(k(1600), 255));
    let ops = vec![
        Op::InsertRange {
            start: k(0),
            count: 100,
        },
        Op::Cursor {
            steps,
            finish: true,
        },
        Op::Iterate,
    ];
    run_ops_u64(&ops);
    run_ops_string(&ops);
}

/// A cursor started while a growth is under way (the first insert past the
/// load factor starts it; nothing else evacuates before the run).
#[test]
fn cursor_started_mid_growth() {
    for n in [9u16, 14, 27, 53, 105, 209, 417, 833] {
        let mut steps = Vec::new();
        for i in 0..40u16 {
            steps.push(CursorStep::Next(0));
            if i % 3 == 0 {
                steps.push(CursorStep::Insert(k(4000 + i), Val(i)));
            }
            if i % 5 == 0 {
                steps.push(CursorStep::Remove(k(i * 7 % n)));
            }
            if i % 7 == 0 {
                steps.push(CursorStep::RemoveCurrent);
            }
        }
        let ops = vec![
            Op::InsertRange {
                start: k(0),
                count: n,
            },
            Op::Cursor {
                steps,
                finish: true,
            },
        ];
        run_ops_u64(&ops);
    }
}

/// Every colliding-hash mode through growth, shrink, cursor and drain.
#[test]
fn adversarial_modes_fixed() {
    let modes = [
        HashMode::Full,
        HashMode::Constant,
        HashMode::LowBits(0),
        HashMode::LowBits(3),
        HashMode::HighBits(0),
        HashMode::HighBits(7),
        HashMode::Block(3),
        HashMode::Block(6),
        HashMode::FewValues(2),
        HashMode::Masked(0x0101),
    ];
    for (i, mode) in modes.into_iter().enumerate() {
        let state = AdversarialState::new(mode, 0x9e37_79b9 * i as u64);
        let ops = vec![
            Op::InsertRange {
                start: k(0),
                count: 300,
            },
            Op::RemoveRange {
                start: k(0),
                count: 200,
            },
            Op::InsertRange {
                start: k(500),
                count: 300,
            },
            Op::Cursor {
                steps: vec![
                    CursorStep::Next(1),
                    CursorStep::InsertRange(k(900), 200),
                    CursorStep::Next(0),
                    CursorStep::RemoveCurrent,
                ],
                finish: true,
            },
            Op::ShrinkToFit,
            Op::Clone { swap: true },
            Op::Retain {
                modulus: 2,
                residue: 0,
                bump: 3,
            },
            Op::Drain { take: Some(10) },
            Op::InsertRange {
                start: k(0),
                count: 100,
            },
        ];
        run_ops_adversarial(state, &ops);
        run_ops_adversarial_string(state, &ops);
    }
}

/// Blocks of 64 keys sharing one hash, inserted and removed block after
/// block, pile up overflow buckets in many chains while the count stays
/// low: that is the road to a same-size growth. The runner checks the
/// structure after every op; this test checks one happened.
#[test]
fn same_size_growth_happens_and_is_correct() {
    let state = AdversarialState::new(HashMode::Block(6), 12345);
    let mut d = gomap_testkit::Differential::<u64, u64, _>::with_limits(
        state,
        Limits {
            range_budget: u32::MAX,
            ..Limits::adversarial()
        },
    );
    d.apply(&Op::InsertRange {
        start: k(0),
        count: 100,
    });
    let mut saw_same_size = false;
    for round in 0..30u16 {
        let start = 128 + round * 64;
        // One key at a time: a same-size growth of 32 buckets starts and
        // finishes within a few inserts, so look after each one.
        for i in 0..64 {
            d.apply(&Op::Insert(k(start + i), Val(round)));
            saw_same_size |= d.map.header().same_size_grow;
        }
        d.apply(&Op::RemoveRange {
            start: k(start),
            count: 64,
        });
    }
    d.finish();
    assert!(saw_same_size, "no same-size growth: {:?}", d.map.stats());
}

/// The with_capacity rule and the shrink family at the exact Go boundaries.
#[test]
fn growth_boundaries() {
    let mut ops = Vec::new();
    for n in [8u16, 9, 13, 14, 26, 27, 52, 53, 104, 105, 208, 209] {
        ops.push(Op::Clear);
        ops.push(Op::ShrinkToFit);
        ops.push(Op::InsertRange {
            start: k(0),
            count: n,
        });
        ops.push(Op::Iterate);
        ops.push(Op::ShrinkTo(0));
        ops.push(Op::Reserve(n as u8));
    }
    run_ops_u64(&ops);
    // run_ops with a generous budget, String keys.
    run_ops::<String, String, _>(
        gomap::DefaultHashBuilder::default(),
        Limits::default(),
        &ops,
    );
}
