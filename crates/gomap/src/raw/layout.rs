//! Per-(K, V) bucket layout: Go's `maptype` (bucket size, key and element
//! offsets, indirect storage), computed once per type pair as a constant.

use core::marker::PhantomData;
use core::mem::{align_of, size_of};

/// Slots in one bucket (Go's `bucketCnt`).
pub const BUCKET_CNT: usize = 8;
/// Keys larger than this are stored behind a pointer (Go's `maxKeySize`).
pub const MAX_KEY_SIZE: usize = 128;
/// Values larger than this are stored behind a pointer (Go's `maxElemSize`).
pub const MAX_ELEM_SIZE: usize = 128;

const PTR_SIZE: usize = size_of::<*mut u8>();
const PTR_ALIGN: usize = align_of::<*mut u8>();

/// The memory layout of one bucket for a key type `K` and value type `V`.
///
/// A bucket is `tophash: [u8; 8]`, then the 8 keys packed, then the 8 values
/// packed, then the overflow pointer, exactly as Go's `bmap`. Keys and values
/// are grouped so alignment padding is paid once per group, not per slot.
/// Keys or values larger than 128 bytes are stored behind a pointer
/// (`indirect_key` / `indirect_value`), so a slot is pointer-sized.
///
/// ```
/// use gomap::GoMap;
/// let l = GoMap::<u64, u64>::layout();
/// assert_eq!((l.bucket_size, l.keys_offset, l.values_offset, l.overflow_offset), (144, 8, 72, 136));
/// assert_eq!(l.padding, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BucketLayout {
    /// Size of one bucket in bytes, a multiple of `bucket_align`.
    pub bucket_size: usize,
    /// Alignment of a bucket: the largest of the pointer, key slot and value slot alignments.
    pub bucket_align: usize,
    /// Offset of the `tophash` array (always 0).
    pub tophash_offset: usize,
    /// Offset of the first key slot.
    pub keys_offset: usize,
    /// Offset of the first value slot.
    pub values_offset: usize,
    /// Offset of the overflow pointer.
    pub overflow_offset: usize,
    /// Bytes per key slot: `size_of::<K>()`, or the pointer size when indirect.
    pub key_slot_size: usize,
    /// Bytes per value slot: `size_of::<V>()`, or the pointer size when indirect.
    pub value_slot_size: usize,
    /// Keys are stored behind a pointer (key larger than 128 bytes).
    pub indirect_key: bool,
    /// Values are stored behind a pointer (value larger than 128 bytes).
    pub indirect_value: bool,
    /// Bytes of the bucket that are alignment padding.
    pub padding: usize,
}

const fn round_up(x: usize, align: usize) -> usize {
    (x + align - 1) & !(align - 1)
}

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

impl BucketLayout {
    /// Computes the layout for keys `K` and values `V` (the same value as
    /// [`GoMap::layout`](crate::GoMap::layout)).
    ///
    /// ```
    /// use gomap::{BucketLayout, GoMap};
    /// let l = BucketLayout::of::<u32, [u8; 200]>();
    /// assert!(l.indirect_value && !l.indirect_key);
    /// assert_eq!(l, GoMap::<u32, [u8; 200]>::layout());
    /// ```
    pub const fn of<K, V>() -> BucketLayout {
        let indirect_key = size_of::<K>() > MAX_KEY_SIZE;
        let indirect_value = size_of::<V>() > MAX_ELEM_SIZE;
        let (key_slot_size, key_align) = if indirect_key {
            (PTR_SIZE, PTR_ALIGN)
        } else {
            (size_of::<K>(), align_of::<K>())
        };
        let (value_slot_size, value_align) = if indirect_value {
            (PTR_SIZE, PTR_ALIGN)
        } else {
            (size_of::<V>(), align_of::<V>())
        };
        let tophash_offset = 0;
        let keys_offset = round_up(tophash_offset + BUCKET_CNT, key_align);
        let values_offset = round_up(keys_offset + BUCKET_CNT * key_slot_size, value_align);
        let overflow_offset = round_up(values_offset + BUCKET_CNT * value_slot_size, PTR_ALIGN);
        let bucket_align = max(PTR_ALIGN, max(key_align, value_align));
        let bucket_size = round_up(overflow_offset + PTR_SIZE, bucket_align);
        let payload =
            BUCKET_CNT + BUCKET_CNT * key_slot_size + BUCKET_CNT * value_slot_size + PTR_SIZE;
        BucketLayout {
            bucket_size,
            bucket_align,
            tophash_offset,
            keys_offset,
            values_offset,
            overflow_offset,
            key_slot_size,
            value_slot_size,
            indirect_key,
            indirect_value,
            padding: bucket_size - payload,
        }
    }
}

/// Holds the layout of `(K, V)` as an associated constant, so it is computed
/// at compile time once per type pair.
pub(crate) struct LayoutOf<K, V>(PhantomData<(K, V)>);

impl<K, V> LayoutOf<K, V> {
    pub(crate) const LAYOUT: BucketLayout = BucketLayout::of::<K, V>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layouts_on_64_bit() {
        let l = BucketLayout::of::<u64, u64>();
        assert_eq!(l.bucket_size, 144);
        assert_eq!(
            (l.keys_offset, l.values_offset, l.overflow_offset),
            (8, 72, 136)
        );
        // map[uint8]uint64: keys packed, values start aligned, no per-slot padding.
        let l = BucketLayout::of::<u8, u64>();
        assert_eq!(
            (
                l.keys_offset,
                l.values_offset,
                l.overflow_offset,
                l.bucket_size
            ),
            (8, 16, 80, 88)
        );
        assert_eq!(l.padding, 0);
        // map[uint64]uint8: 7 bytes of padding before the overflow pointer.
        let l = BucketLayout::of::<u64, u8>();
        assert_eq!(
            (l.values_offset, l.overflow_offset, l.bucket_size, l.padding),
            (72, 80, 88, 0)
        );
        let l = BucketLayout::of::<u32, u8>();
        assert_eq!(
            (l.values_offset, l.overflow_offset, l.bucket_size),
            (40, 48, 56)
        );
        assert_eq!(l.padding, 0);
        let l = BucketLayout::of::<u16, u8>();
        assert_eq!(
            (
                l.keys_offset,
                l.values_offset,
                l.overflow_offset,
                l.bucket_size,
                l.padding
            ),
            (8, 24, 32, 40, 0)
        );
        let l = BucketLayout::of::<u8, u8>();
        assert_eq!(
            (l.values_offset, l.overflow_offset, l.bucket_size, l.padding),
            (16, 24, 32, 0)
        );
        // Eight slots of anything are a multiple of 8 bytes, so grouping leaves
        // padding only where alignment exceeds 8: a u128 key (align 16).
        let l = BucketLayout::of::<u128, u8>();
        assert_eq!(
            (
                l.keys_offset,
                l.values_offset,
                l.overflow_offset,
                l.bucket_size,
                l.padding
            ),
            (16, 144, 152, 160, 8)
        );
    }

    #[test]
    fn large_slots_go_indirect() {
        let l = BucketLayout::of::<[u8; 200], [u8; 129]>();
        assert!(l.indirect_key && l.indirect_value);
        assert_eq!((l.key_slot_size, l.value_slot_size), (8, 8));
        assert_eq!(l.bucket_size, 8 + 64 + 64 + 8);
        let l = BucketLayout::of::<[u8; 128], ()>();
        assert!(!l.indirect_key && !l.indirect_value);
        assert_eq!((l.key_slot_size, l.value_slot_size), (128, 0));
    }

    #[test]
    fn zero_sized() {
        let l = BucketLayout::of::<(), ()>();
        assert_eq!(
            (
                l.keys_offset,
                l.values_offset,
                l.overflow_offset,
                l.bucket_size
            ),
            (8, 8, 8, 16)
        );
    }
}
