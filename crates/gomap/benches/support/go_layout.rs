//! Go's map layout with the least code: a `u64 -> u64` table of 144-byte
//! buckets (tophash word, 8 keys, 8 values, overflow index) in one `Vec`,
//! overflow buckets appended to it, Go's tophash and the 8-byte SWAR match,
//! sized once for its entries (no growth, no evacuation state, no
//! `emptyRest`: a removed slot's byte goes back to 0 and walks run to the
//! chain's end). It does exactly the memory accesses of Go's layout and as
//! little else as a plain implementation can, so `gomap / layout` is what
//! gomap's own code costs beyond the layout's.
//!
//! Shared by `benches/throughput.rs` (the `layout` contender) and
//! `examples/workload_cmp.rs` (its `time` mode), through `#[path]`.

use std::hash::BuildHasher;

const ONES: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
/// Words of a bucket: tophash, 8 keys, 8 values, overflow index.
const WORDS: usize = 18;
const KEYS: usize = 1;
const VALUES: usize = 9;
const OVERFLOW: usize = 17;

/// Go's bucket count for `n` entries: the smallest `2^B` with
/// `n <= 6.5 * 2^B` (one bucket up to 8), as `GoMap::with_capacity(n)`
/// and a map grown to `n` both have.
pub fn go_buckets(n: usize) -> usize {
    let mut b = 1usize;
    while n > 8 && n > 13 * (b / 2).max(1) {
        b *= 2;
    }
    b
}

#[derive(Clone)]
pub struct Layout<S> {
    /// Head buckets, then room for overflow buckets (`used` of them taken),
    /// `WORDS` words each. Flat words rather than `[u64; 18]` elements so
    /// `vec![0; n]` allocates zeroed memory (see `with_capacity`).
    words: Vec<u64>,
    used: usize,
    mask: usize,
    hasher: S,
}

/// Bytes equal to zero, as the high bit of each. Exact here: every byte is
/// 0 or a tophash of at least 5, so the borrow out of a zero byte cannot set
/// its neighbour's high bit.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HI
}

impl<S: BuildHasher> Layout<S> {
    fn tophash(h: u64) -> u64 {
        let t = h >> 56;
        if t < 5 {
            t + 5
        } else {
            t
        }
    }

    /// An empty table with Go's bucket count for `n` entries, plus room for
    /// overflow buckets. Zeroed memory, as gomap's and Go's arrays are: for
    /// a large table the pages come from the OS untouched and are faulted
    /// in by the first accesses, as gomap's are.
    pub fn with_capacity(n: usize, hasher: S) -> Self {
        let nb = go_buckets(n);
        Layout {
            words: vec![0u64; WORDS * (nb + nb / 2)],
            used: nb,
            mask: nb - 1,
            hasher,
        }
    }

    /// Empties the table and keeps its memory (as Go's `mapclear` and
    /// gomap's and std's `clear` do).
    #[allow(dead_code)] // used by workload_cmp, not by the throughput bench
    pub fn clear(&mut self) {
        self.words.fill(0);
        self.used = self.mask + 1;
    }

    #[inline(always)]
    fn bucket(&self, b: usize) -> &[u64; WORDS] {
        self.words[b * WORDS..][..WORDS].try_into().unwrap()
    }

    #[inline(always)]
    fn bucket_mut(&mut self, b: usize) -> &mut [u64; WORDS] {
        (&mut self.words[b * WORDS..][..WORDS]).try_into().unwrap()
    }

    /// A fresh overflow bucket linked after bucket `b`: its index.
    #[cold]
    fn new_overflow(&mut self, b: usize) -> usize {
        if self.used * WORDS == self.words.len() {
            self.words.extend([0; WORDS]);
        }
        let n = self.used;
        self.used += 1;
        self.bucket_mut(b)[OVERFLOW] = n as u64;
        n
    }

    /// Inserts or updates, in Go's slot order (the first free slot of the
    /// chain, else a new overflow bucket).
    #[inline]
    pub fn insert(&mut self, k: u64, v: u64) {
        let h = self.hasher.hash_one(k);
        let t = Self::tophash(h);
        let mut b = h as usize & self.mask;
        let mut free = None;
        loop {
            let bk = self.bucket(b);
            let mut m = zero_bytes(bk[0] ^ (t * ONES));
            while m != 0 {
                let i = (m.trailing_zeros() / 8) as usize;
                if bk[KEYS + i] == k {
                    self.bucket_mut(b)[VALUES + i] = v;
                    return;
                }
                m &= m - 1;
            }
            if free.is_none() {
                let e = zero_bytes(bk[0]);
                if e != 0 {
                    free = Some((b, (e.trailing_zeros() / 8) as usize));
                }
            }
            if bk[OVERFLOW] == 0 {
                break;
            }
            b = bk[OVERFLOW] as usize;
        }
        let (b, i) = match free {
            Some(slot) => slot,
            None => (self.new_overflow(b), 0),
        };
        let bk = self.bucket_mut(b);
        bk[0] |= t << (8 * i);
        bk[KEYS + i] = k;
        bk[VALUES + i] = v;
    }

    /// The slot holding `k`: (bucket index, slot).
    #[inline(always)]
    fn find(&self, k: u64) -> Option<(usize, usize)> {
        let h = self.hasher.hash_one(k);
        let t = Self::tophash(h) * ONES;
        let mut b = h as usize & self.mask;
        loop {
            let bk = self.bucket(b);
            let mut m = zero_bytes(bk[0] ^ t);
            while m != 0 {
                let i = (m.trailing_zeros() / 8) as usize;
                if bk[KEYS + i] == k {
                    return Some((b, i));
                }
                m &= m - 1;
            }
            // Without `emptyRest` a removal may leave a hole before entries
            // further down the chain: walk to its end (for a bucket that
            // has room, as good as stopping, since chains form only once
            // a bucket is full).
            if bk[OVERFLOW] == 0 {
                return None;
            }
            b = bk[OVERFLOW] as usize;
        }
    }

    #[inline]
    pub fn get(&self, k: &u64) -> Option<&u64> {
        let (b, i) = self.find(*k)?;
        Some(&self.bucket(b)[VALUES + i])
    }

    /// Removes `k`: its tophash byte goes back to 0 (no `emptyRest`).
    #[inline]
    pub fn remove(&mut self, k: &u64) -> Option<u64> {
        let (b, i) = self.find(*k)?;
        let bk = self.bucket_mut(b);
        bk[0] &= !(0xff << (8 * i));
        Some(bk[VALUES + i])
    }

    /// Folds over every entry in Go's order: each head bucket, then its chain.
    #[inline]
    pub fn fold<A>(&self, init: A, mut f: impl FnMut(A, u64, u64) -> A) -> A {
        let mut acc = init;
        for head in 0..=self.mask {
            let mut b = head;
            loop {
                let bk = self.bucket(b);
                let mut m = !zero_bytes(bk[0]) & HI;
                while m != 0 {
                    let i = (m.trailing_zeros() / 8) as usize;
                    acc = f(acc, bk[KEYS + i], bk[VALUES + i]);
                    m &= m - 1;
                }
                if bk[OVERFLOW] == 0 {
                    break;
                }
                b = bk[OVERFLOW] as usize;
            }
        }
        acc
    }
}
