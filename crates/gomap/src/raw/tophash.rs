//! Tophash constants and 8-way SWAR matching.
//!
//! Each bucket starts with eight tophash bytes. A byte `>= MIN_TOP_HASH` is
//! the top 8 bits of a full slot's hash; smaller values are slot states.
//! The eight bytes are read as one `u64` ([`Group`]) so one comparison finds
//! every candidate slot, the way hashbrown's portable `generic.rs` does.

/// This slot, and every later slot of the chain (overflow buckets included), is empty.
pub const EMPTY_REST: u8 = 0;
/// This slot is empty.
pub const EMPTY_ONE: u8 = 1;
/// The entry was evacuated to the first half of the larger table.
pub const EVACUATED_X: u8 = 2;
/// The entry was evacuated to the second half of the larger table.
pub const EVACUATED_Y: u8 = 3;
/// The slot was empty when its bucket was evacuated.
pub const EVACUATED_EMPTY: u8 = 4;
/// Smallest tophash of a full slot; hashes whose top byte is below are raised by this.
pub const MIN_TOP_HASH: u8 = 5;

/// The tophash of a full hash: its top 8 bits, kept clear of the state markers.
#[inline(always)]
pub fn tophash(hash: u64) -> u8 {
    // In u64, so the compiler need not zero-extend a byte before the
    // broadcast multiply that usually follows.
    let top = hash >> 56;
    (if top < MIN_TOP_HASH as u64 {
        top + MIN_TOP_HASH as u64
    } else {
        top
    }) as u8
}

/// Go's `isEmpty`: the slot holds no entry and is not an evacuation marker.
#[inline(always)]
pub fn is_empty(top: u8) -> bool {
    top <= EMPTY_ONE
}

/// Go's `evacuated` test on a bucket's first tophash byte: every slot of an
/// evacuated bucket holds an evacuation marker, so slot 0 speaks for all.
#[inline(always)]
pub fn is_evacuated(top0: u8) -> bool {
    top0 > EMPTY_ONE && top0 < MIN_TOP_HASH
}

const HI: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// Flags (high bit) every zero byte of `x`, plus possibly a byte above a
/// zero byte that holds `0x01` (the borrow of `x - ONES` only runs upward).
/// So the lowest flag is always exact and "any flag" is exact; on a word
/// whose bytes are all even (no `0x01`) every flag is exact.
#[inline(always)]
fn zero_bytes_fast(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HI
}

/// The eight tophash bytes of one bucket, loaded as a little-endian `u64`
/// (slot `i` is byte `i`).
#[derive(Clone, Copy, Debug)]
pub struct Group(u64);

impl Group {
    /// Loads a group from a bucket's tophash array.
    #[inline(always)]
    pub fn load(bytes: [u8; 8]) -> Group {
        Group(u64::from_le_bytes(bytes))
    }

    /// Candidate slots for `top`: every slot whose tophash equals `top`,
    /// plus possibly a slot holding `top ^ 1` above a true match (see
    /// `zero_bytes_fast`). Callers confirm each candidate with a key compare,
    /// which a false one fails for any lawful `Eq` (its tophash differs, so
    /// its hash and key do). A false candidate's byte is `top ^ 1 >= 4`:
    /// a full slot, or `EVACUATED_EMPTY`, which only an evacuated bucket
    /// holds and lookups never probe one, so no key compare reads an
    /// empty slot.
    #[inline(always)]
    pub fn match_byte(self, top: u8) -> BitMask {
        BitMask(zero_bytes_fast(self.0 ^ (ONES.wrapping_mul(top as u64))))
    }

    /// Slots that are `EMPTY_REST` or `EMPTY_ONE` (free for an insert).
    ///
    /// Clearing bit 0 leaves exactly those bytes zero, and on bytes that are
    /// all even the short `zero_bytes_fast` is exact: its false positive
    /// needs a byte `0x01`.
    #[inline(always)]
    pub fn match_empty(self) -> BitMask {
        BitMask(zero_bytes_fast(self.0 & !ONES))
    }

    /// Slots that hold an entry (`>= MIN_TOP_HASH`).
    ///
    /// A byte with its high bit set is full. For the others, `(b | 0x80) - 5`
    /// keeps the high bit iff `b >= 5`, and never borrows from the next byte
    /// because every minuend byte is at least `0x80`.
    #[inline(always)]
    pub fn match_full(self) -> BitMask {
        let low = (self.0 | HI).wrapping_sub(ONES.wrapping_mul(MIN_TOP_HASH as u64)) & HI;
        BitMask(low | (self.0 & HI))
    }

    /// Some slot is `EMPTY_REST`: nothing lies beyond it in this chain.
    #[inline(always)]
    pub fn any_empty_rest(self) -> bool {
        zero_bytes_fast(self.0) != 0
    }

    /// Tophash byte `i` (`i < 8`).
    #[inline(always)]
    pub fn byte(self, i: usize) -> u8 {
        (self.0 >> (8 * i)) as u8
    }

    /// These bytes with the slots of `xs` set to `EVACUATED_X` and those of
    /// `ys` to `EVACUATED_Y` (disjoint sets), computed in a register: the
    /// evacuation writes the result as one word. Writing the markers byte
    /// by byte into a copy and loading it whole stalled on the failed store
    /// forward until every earlier store had drained, the destination
    /// writes included (40% of `evacuate`'s samples).
    #[inline(always)]
    pub fn with_evacuated(self, xs: BitMask, ys: BitMask) -> [u8; 8] {
        self.with_marker(xs, EVACUATED_X)
            .with_marker(ys, EVACUATED_Y)
            .0
            .to_le_bytes()
    }

    /// These bytes with every empty slot (`EMPTY_REST`, `EMPTY_ONE`) set to
    /// `EVACUATED_EMPTY`: the last step of evacuating a bucket, as one word
    /// instead of a store per empty slot.
    #[inline(always)]
    pub fn with_empty_evacuated(self) -> [u8; 8] {
        self.with_marker(self.match_empty(), EVACUATED_EMPTY)
            .0
            .to_le_bytes()
    }

    /// These bytes with every slot of `slots` set to `marker`.
    #[inline(always)]
    fn with_marker(self, slots: BitMask, marker: u8) -> Group {
        let m = slots.byte_mask();
        Group((self.0 & !m) | (m & ONES.wrapping_mul(marker as u64)))
    }
}

/// A set of slots: bit 7 of byte `i` stands for slot `i`. Iterates in slot order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitMask(u64);

impl BitMask {
    /// The empty set.
    pub const EMPTY: BitMask = BitMask(0);

    /// This set plus slot `i` when `cond` holds (without a branch: `cond`
    /// may be as unpredictable as a hash bit).
    #[inline(always)]
    pub fn with_if(self, i: usize, cond: bool) -> BitMask {
        BitMask(self.0 | ((cond as u64) << (i * 8 + 7)))
    }

    /// `(self without pick, self within pick)`.
    #[inline(always)]
    pub fn partition(self, pick: BitMask) -> (BitMask, BitMask) {
        (BitMask(self.0 & !pick.0), BitMask(self.0 & pick.0))
    }

    /// `0xff` in every byte whose slot is in the set, `0` elsewhere.
    #[inline(always)]
    fn byte_mask(self) -> u64 {
        // One bit per byte, moved to the byte's bit 0, times 0xff: no carry.
        (self.0 >> 7).wrapping_mul(0xff)
    }

    /// The lowest set slot.
    #[inline(always)]
    pub fn lowest(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as usize / 8)
        }
    }
}

impl Iterator for BitMask {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        let slot = self.lowest()?;
        self.0 &= self.0 - 1;
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: [u8; 8], pred: impl Fn(u8) -> bool) -> Vec<usize> {
        (0..8).filter(|&i| pred(bytes[i])).collect()
    }

    #[test]
    fn tophash_avoids_markers() {
        assert_eq!(tophash(0), 5);
        assert_eq!(tophash(4 << 56), 9);
        assert_eq!(tophash(5 << 56), 5);
        assert_eq!(tophash(u64::MAX), 255);
    }

    #[test]
    fn matching_is_exact_on_every_interesting_byte() {
        // Every combination of interesting bytes in two positions, the rest
        // filled with values that provoke borrows in the naive SWAR trick.
        let interesting = [
            0u8, 1, 2, 3, 4, 5, 6, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xfe, 0xff,
        ];
        for &a in &interesting {
            for &b in &interesting {
                for filler in [0u8, 1, 5, 0xff] {
                    let mut bytes = [filler; 8];
                    bytes[2] = a;
                    bytes[5] = b;
                    let g = Group::load(bytes);
                    for &t in &interesting {
                        if t >= MIN_TOP_HASH {
                            let got: Vec<_> = g.match_byte(t).collect();
                            let exact = naive(bytes, |x| x == t);
                            // Every true match, the lowest candidate exact,
                            // and a false one only `t ^ 1` above a match.
                            assert!(exact.iter().all(|i| got.contains(i)), "{bytes:?} {t}");
                            assert_eq!(got.first(), exact.first(), "{bytes:?} {t}");
                            for &i in &got {
                                assert!(
                                    bytes[i] == t
                                        || (bytes[i] == t ^ 1
                                            && bytes[i] > EVACUATED_Y
                                            && exact[0] < i),
                                    "{bytes:?} {t} {i}"
                                );
                            }
                        }
                    }
                    assert_eq!(g.match_empty().collect::<Vec<_>>(), naive(bytes, is_empty));
                    assert_eq!(
                        g.match_full().collect::<Vec<_>>(),
                        naive(bytes, |x| x >= MIN_TOP_HASH)
                    );
                    assert_eq!(g.any_empty_rest(), bytes.contains(&EMPTY_REST));
                    // Partition the full slots by "tophash is odd".
                    let full = g.match_full();
                    let odd = full.fold(BitMask::EMPTY, |m, i| m.with_if(i, bytes[i] % 2 == 1));
                    let (even, odd) = full.partition(odd);
                    let want = naive(bytes, |x| x >= MIN_TOP_HASH);
                    assert_eq!(
                        even.collect::<Vec<_>>(),
                        want.iter()
                            .copied()
                            .filter(|&i| bytes[i] % 2 == 0)
                            .collect::<Vec<_>>()
                    );
                    assert_eq!(
                        odd.collect::<Vec<_>>(),
                        want.iter()
                            .copied()
                            .filter(|&i| bytes[i] % 2 == 1)
                            .collect::<Vec<_>>()
                    );
                    // The evacuation markers: even full slots to X, odd to Y,
                    // every other byte kept.
                    let marked = g.with_evacuated(even, odd);
                    for i in 0..8 {
                        assert_eq!(g.byte(i), bytes[i]);
                        let want = match bytes[i] {
                            x if x < MIN_TOP_HASH => x,
                            x if x % 2 == 0 => EVACUATED_X,
                            _ => EVACUATED_Y,
                        };
                        assert_eq!(marked[i], want, "{bytes:?} slot {i}");
                        let emptied = if is_empty(bytes[i]) {
                            EVACUATED_EMPTY
                        } else {
                            bytes[i]
                        };
                        assert_eq!(g.with_empty_evacuated()[i], emptied, "{bytes:?} slot {i}");
                    }
                }
            }
        }
    }
}
