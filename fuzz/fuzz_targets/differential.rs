//! Bytes -> `Vec<Op>` (gomap-testkit's operation language), run on a
//! `GoMap` and on std's `HashMap` and compared (`gomap_testkit::fuzz`
//! holds the body, so inputs replay without libFuzzer too). The first byte
//! picks `u64 -> u64` or `String -> String` maps.
#![no_main]

use gomap_testkit::{fuzz, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (strings, ops) = input;
    fuzz::differential(strings, &ops);
});
