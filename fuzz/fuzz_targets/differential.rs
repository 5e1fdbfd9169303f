//! Bytes -> `Vec<Op>` (gomap-testkit's operation language), run on a
//! `GoMap` and on std's `HashMap`, compared after every op. The first byte
//! picks `u64 -> u64` or `String -> String` maps.
#![no_main]

use gomap_testkit::{run_ops_string, run_ops_u64, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (strings, ops) = input;
    if strings {
        run_ops_string(&ops);
    } else {
        run_ops_u64(&ops);
    }
});
