//! The hasher itself comes from the fuzz input (a colliding mode and a
//! seed: constant hashes, few low bits, blocks of keys sharing a hash, ...),
//! so the fuzzer drives long overflow chains, same-size growth and
//! evacuation of crowded buckets, all checked against std's `HashMap`.
#![no_main]

use gomap_testkit::{run_ops, AdversarialState, Limits, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (AdversarialState, bool, Vec<Op>)| {
    let (state, strings, ops) = input;
    if strings {
        run_ops::<String, String, _>(state, Limits::fuzz_adversarial(), &ops);
    } else {
        run_ops::<u64, u64, _>(state, Limits::fuzz_adversarial(), &ops);
    }
});
