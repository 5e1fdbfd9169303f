//! Bytes -> `Vec<Op>` run on an `InlineGoMap` and on std's `HashMap`: with
//! 24 keys the map keeps spilling past 8 entries and shrinking back inline,
//! and is moved (through a `Box`, a `Vec`) and converted into a `GoMap`
//! (`gomap_testkit::fuzz` holds the body). The first byte picks `u64 ->
//! u64` or `String -> String` maps.
#![no_main]

use gomap_testkit::{fuzz, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (strings, ops) = input;
    fuzz::inline(strings, &ops);
});
