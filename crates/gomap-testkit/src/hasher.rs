//! A hasher built from test input that makes collisions, long overflow
//! chains and same-size growth likely.
//!
//! The hasher first recovers the key *number* (a `u64` key is the number;
//! a `String` key `"key-123"` has its decimal digits parsed), so `u64` and
//! `String` keys with the same number hash alike, and a mode can group
//! neighbouring numbers: `InsertRange` of a block then fills one bucket chain.

use std::hash::{BuildHasher, Hasher};

use arbitrary::Arbitrary;

/// How the hash is derived from the key number `x` (`mix` is splitmix64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum HashMode {
    /// `mix(x ^ seed)`: well spread, the baseline.
    Full,
    /// Every key hashes to `seed`: one bucket chain, one tophash.
    Constant,
    /// Only the low `n % 8` bits survive: at most 128 distinct hashes, all
    /// with tophash 0 (raised to `minTopHash`), chains in the low buckets.
    LowBits(u8),
    /// Only the top `1 + n % 8` bits survive: every key in bucket 0 (one
    /// chain) while distinct tophash bytes keep lookups cheap.
    HighBits(u8),
    /// Blocks of `2^(n % 8)` consecutive key numbers share a hash: inserting
    /// a block makes a long chain in one bucket; removing it leaves the
    /// overflow buckets behind, which is how same-size growth comes about.
    Block(u8),
    /// `mix((x % (m + 1)) ^ seed)`: only `m + 1` distinct hashes.
    FewValues(u8),
    /// `mix(x ^ seed)` with only the bits set in `mask` kept (mask spread over
    /// the low byte and the top byte): bucket and tophash both poorly spread.
    Masked(u16),
}

/// A `BuildHasher` made from fuzz input or a proptest value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub struct AdversarialState {
    /// How keys become hashes.
    pub mode: HashMode,
    /// Mixed into every hash (or the hash itself for `Constant`).
    pub seed: u64,
}

impl AdversarialState {
    /// A state from a mode and a seed.
    pub fn new(mode: HashMode, seed: u64) -> Self {
        AdversarialState { mode, seed }
    }

    /// The hash of key number `x` (what `hash_one` gives for `u64` key `x`
    /// and for `String` key `"key-x"`).
    pub fn hash_number(&self, x: u64) -> u64 {
        let s = self.seed;
        match self.mode {
            HashMode::Full => mix(x ^ s),
            HashMode::Constant => s,
            HashMode::LowBits(n) => mix(x ^ s) & ((1u64 << (n % 8)) - 1),
            HashMode::HighBits(n) => mix(x ^ s) & !(u64::MAX >> (1 + n % 8)),
            HashMode::Block(n) => mix((x >> (n % 8)) ^ s),
            HashMode::FewValues(m) => mix((x % (m as u64 + 1)) ^ s),
            HashMode::Masked(mask) => {
                let m = (mask as u64 & 0xff) | ((mask as u64 >> 8) << 56);
                mix(x ^ s) & m
            }
        }
    }
}

impl BuildHasher for AdversarialState {
    type Hasher = AdversarialHasher;
    fn build_hasher(&self) -> AdversarialHasher {
        AdversarialHasher {
            state: *self,
            number: 0,
            fnv: 0xcbf2_9ce4_8422_2325,
            digits: false,
        }
    }
}

/// The hasher of [`AdversarialState`].
#[derive(Clone, Debug)]
pub struct AdversarialHasher {
    state: AdversarialState,
    number: u64,
    fnv: u64,
    digits: bool,
}

impl Hasher for AdversarialHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.fnv = (self.fnv ^ b as u64).wrapping_mul(0x100_0000_01b3);
            if b.is_ascii_digit() {
                self.number = self.number.wrapping_mul(10).wrapping_add((b - b'0') as u64);
                self.digits = true;
            }
        }
    }
    fn write_u8(&mut self, b: u8) {
        // `str`'s Hash writes a 0xff terminator; ignore it so "key-12" hashes as 12.
        if b != 0xff {
            self.write(&[b]);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.number = x;
        self.digits = true;
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        let x = if self.digits { self.number } else { self.fnv };
        self.state.hash_number(x)
    }
}

/// splitmix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_and_string_keys_hash_alike() {
        for mode in [HashMode::Full, HashMode::Block(3), HashMode::LowBits(2)] {
            let s = AdversarialState::new(mode, 77);
            for x in [0u64, 5, 123, 8191] {
                assert_eq!(s.hash_one(x), s.hash_one(format!("key-{x}")));
                assert_eq!(s.hash_one(x), s.hash_number(x));
            }
        }
    }

    #[test]
    fn modes_collide_as_documented() {
        let c = AdversarialState::new(HashMode::Constant, 9);
        assert_eq!(c.hash_one(1u64), c.hash_one(2u64));
        let b = AdversarialState::new(HashMode::Block(4), 9);
        assert_eq!(b.hash_one(16u64), b.hash_one(31u64));
        assert_ne!(b.hash_one(15u64), b.hash_one(16u64));
        let l = AdversarialState::new(HashMode::LowBits(3), 9);
        assert!((0..1000u64).all(|x| l.hash_one(x) < 8));
        let h = AdversarialState::new(HashMode::HighBits(2), 9);
        assert!((0..1000u64).all(|x| h.hash_one(x) & (u64::MAX >> 3) == 0));
    }
}
