//! Go's `fastrand`: a per-thread wyrand generator, seeded from std's
//! randomly keyed `RandomState`. Used for iteration start points and the
//! sampled `noverflow` counter; never shared between threads.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

thread_local! {
    static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0x9e37_79b9_7f4a_7c15u64) | 1);
}

/// A pseudo-random `u64` (wyrand).
pub(crate) fn fastrand() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
        s.set(x);
        let t = (x as u128).wrapping_mul((x ^ 0xe703_7ed1_a0b4_28db) as u128);
        (t as u64) ^ ((t >> 64) as u64)
    })
}
