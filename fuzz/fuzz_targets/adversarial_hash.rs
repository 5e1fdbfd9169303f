//! The hasher itself comes from the fuzz input (a colliding mode and a
//! seed: constant hashes, few low bits, blocks of keys sharing a hash, ...),
//! so the fuzzer drives long overflow chains, same-size growth and
//! evacuation of crowded buckets, all checked against std's `HashMap`
//! (`gomap_testkit::fuzz` holds the body).
#![no_main]

use gomap_testkit::{fuzz, AdversarialState, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (AdversarialState, bool, Vec<Op>)| {
    let (state, strings, ops) = input;
    fuzz::adversarial_hash(state, strings, &ops);
});
