//! Bytes -> `Vec<Op>` (gomap-testkit's operation language), run on a
//! `GoMap` and on std's `HashMap`, compared after every op. The first byte
//! picks `u64 -> u64` or `String -> String` maps.
#![no_main]

use gomap::DefaultHashBuilder;
use gomap_testkit::{run_ops, Limits, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (strings, ops) = input;
    if strings {
        run_ops::<String, String, _>(DefaultHashBuilder::default(), Limits::fuzz(), &ops);
    } else {
        run_ops::<u64, u64, _>(DefaultHashBuilder::default(), Limits::fuzz(), &ops);
    }
});
