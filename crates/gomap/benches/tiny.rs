//! Tiny maps: "make a map, insert 8 keys, look each up, drop it", the case
//! Go's escape analysis serves with a stack-allocated header and bucket.
//!
//! Contenders, all with foldhash where they hash: `InlineGoMap`, std's
//! `HashMap`, `GoMap`, and the `small-map` crate's `SmallMap<8, K, V>`
//! (inline up to 8, linear search at that size). Keys: `u64` and `&str`
//! (no allocation per key, so each map's own cost shows).
//!
//! ```text
//! cargo bench -p gomap --bench tiny
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use std::hash::Hash;
use std::hint::black_box;
use std::time::Duration;

type Hasher = foldhash::fast::RandomState;

const STRS: [&str; 8] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
];

fn u64_keys() -> [u64; 8] {
    core::array::from_fn(|i| (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The operations every contender offers.
trait Tiny<K> {
    const NAME: &'static str;
    fn new() -> Self;
    fn insert(&mut self, k: K, v: u64);
    fn get(&self, k: &K) -> Option<&u64>;
}

macro_rules! contender {
    ($name:literal, $t:ty, $new:expr) => {
        impl<K: Hash + Eq> Tiny<K> for $t {
            const NAME: &'static str = $name;
            #[inline]
            fn new() -> Self {
                $new
            }
            #[inline]
            fn insert(&mut self, k: K, v: u64) {
                <$t>::insert(self, k, v);
            }
            #[inline]
            fn get(&self, k: &K) -> Option<&u64> {
                <$t>::get(self, k)
            }
        }
    };
}

contender!(
    "InlineGoMap",
    gomap::InlineGoMap<K, u64, Hasher>,
    gomap::InlineGoMap::with_hasher(Hasher::default())
);
contender!(
    "std",
    std::collections::HashMap<K, u64, Hasher>,
    std::collections::HashMap::with_hasher(Hasher::default())
);
contender!(
    "GoMap",
    gomap::GoMap<K, u64, Hasher>,
    gomap::GoMap::with_hasher(Hasher::default())
);
contender!(
    "SmallMap",
    small_map::SmallMap<8, K, u64, Hasher>,
    small_map::SmallMap::with_hasher(Hasher::default())
);

/// One round: a fresh map, 8 inserts, 8 lookups, dropped.
#[inline(never)]
fn round<K: Copy, M: Tiny<K>>(keys: &[K; 8]) -> u64 {
    let mut m = M::new();
    for (i, &k) in keys.iter().enumerate() {
        m.insert(k, i as u64);
    }
    let mut sum = 0;
    for k in keys {
        sum += *m.get(k).expect("present");
    }
    sum
}

fn group<K: Copy + Hash + Eq>(c: &mut Criterion, name: &str, keys: [K; 8]) {
    let mut g = c.benchmark_group(format!("tiny/{name}"));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    fn one<K: Copy, M: Tiny<K>>(
        g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
        keys: &[K; 8],
    ) {
        g.bench_function(M::NAME, |b| b.iter(|| round::<K, M>(black_box(keys))));
    }
    one::<K, gomap::InlineGoMap<K, u64, Hasher>>(&mut g, &keys);
    one::<K, std::collections::HashMap<K, u64, Hasher>>(&mut g, &keys);
    one::<K, gomap::GoMap<K, u64, Hasher>>(&mut g, &keys);
    one::<K, small_map::SmallMap<8, K, u64, Hasher>>(&mut g, &keys);
    g.finish();
}

fn tiny(c: &mut Criterion) {
    group(c, "u64", u64_keys());
    group(c, "str", STRS);
}

criterion_group!(benches, tiny);
criterion_main!(benches);
