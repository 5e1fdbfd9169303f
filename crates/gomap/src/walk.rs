//! The map's heap, object by object, in the order Go's garbage collector
//! marks a map: [`GoMap::heap_walk`].
//!
//! Go's GC reaches a map from the variable that holds it (on the stack, one
//! 8-byte pointer to the `hmap`), then scans the `hmap` object: its pointer
//! fields in order, `buckets`, `oldbuckets`, `extra`. From each bucket it
//! follows the key and element pointers (an indirect key or elem larger
//! than 128 bytes, a string's bytes, ...) and the bucket's `overflow`
//! pointer. When neither key nor elem type contains pointers, Go allocates
//! buckets `noscan`: the GC does not look inside them at all, and the
//! overflow buckets would be unreachable, so Go keeps them alive through
//! `hmap.extra.overflow` (current array) and `extra.oldoverflow` (old
//! array) instead. gomap has no GC; the walk lists what the map owns with
//! the parent that points to it, following the overflow pointers in both
//! cases (a real link in gomap's memory either way).

use core::mem::size_of;

use crate::GoMap;

/// What an object of [`GoMap::heap_walk`] is.
///
/// ```
/// use gomap::HeapKind;
/// let m: gomap::GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
/// let kinds: Vec<HeapKind> = m.heap_walk().iter().map(|o| o.kind).collect();
/// assert_eq!(kinds[..2], [HeapKind::Map, HeapKind::Buckets]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum HeapKind {
    /// The `GoMap` value itself, wherever its owner put it (Go's `hmap`,
    /// which Go always allocates on the heap or the stack frame behind
    /// the map variable's pointer). Not a heap allocation of the map's.
    Map,
    /// The current bucket array (Go's `buckets`): `2^B` head buckets and,
    /// for `B >= 4`, `2^(B-4)` pre-allocated overflow buckets, in one
    /// allocation.
    Buckets,
    /// The old array of a growth in progress (Go's `oldbuckets`), or a large
    /// old array whose growth finished but which is still being handed back
    /// to the OS a chunk per write before it is freed.
    OldBuckets,
    /// An overflow bucket allocated on its own (Go's `newoverflow` once the
    /// pre-allocated ones are used up).
    Overflow,
    /// The map's rarely used bookkeeping (Go's `mapextra`, behind
    /// `hmap.extra`): allocated only when first needed (the first overflow
    /// bucket, a cursor, page release of a large old array) and freed when
    /// the map is emptied by `clear`/`shrink_to_fit` or a cursor that alone
    /// needed it ends. Listed right after the arrays (hmap's field order),
    /// parent: the map value.
    Extra,
    /// A key larger than 128 bytes, stored behind a pointer in its slot.
    IndirectKey,
    /// A value larger than 128 bytes, stored behind a pointer in its slot.
    IndirectValue,
}

/// One object of [`GoMap::heap_walk`].
///
/// ```
/// let m = gomap::GoMap::from([(1u64, 2u64)]);
/// let walk: Vec<gomap::HeapObject> = m.heap_walk();
/// assert_eq!(walk[1].parent, Some(0)); // the bucket array, reached from the header
/// assert_eq!(walk[1].size, 144);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HeapObject {
    /// What the object is.
    pub kind: HeapKind,
    /// Its address.
    pub addr: usize,
    /// Its size in bytes (the allocation's size; for [`HeapKind::Map`] the
    /// `size_of` the map value).
    pub size: usize,
    /// Index in the walk of the object holding the pointer to this one;
    /// `None` only for the first object, the map value.
    pub parent: Option<usize>,
}

impl<K, V, S> GoMap<K, V, S> {
    /// Every allocation the map owns, in the order Go's GC marks a map: the
    /// map value first (`addr` is this `GoMap`'s own address, `size` its
    /// `size_of`; the only object with no parent), then the current bucket
    /// array, then the old array, then the bookkeeping box (hmap's field
    /// order: `buckets`, `oldbuckets`, `extra`), then what the arrays lead to: overflow buckets allocated on
    /// their own (parent: the bucket whose overflow pointer names them) and
    /// indirect keys and values (parent: the bucket whose slot holds the
    /// pointer). A parent always comes before its children.
    ///
    /// The sizes of all objects after the first add up to
    /// [`stats().heap_bytes`](GoMap::stats) exactly, objects never overlap,
    /// and calling it reads only: no growth work, nothing moves. Old buckets
    /// already evacuated are not read (their pages may have been handed back
    /// to the OS). A large old array whose growth has finished but which is
    /// still being handed back is listed as [`HeapKind::OldBuckets`] until
    /// it is freed. (A [`Cursor`](crate::Cursor) leaked with
    /// `mem::forget` keeps bookkeeping that is not listed.)
    ///
    /// See the [module docs](crate#the-gc-marking-chain) for how this maps
    /// to Go's `noscan` buckets and `hmap.extra.overflow`.
    ///
    /// ```
    /// use gomap::{GoMap, HeapKind};
    ///
    /// let m: GoMap<u64, [u8; 200]> = (0..20).map(|i| (i, [0u8; 200])).collect();
    /// let walk = m.heap_walk();
    /// assert_eq!(walk[0].kind, HeapKind::Map);
    /// assert_eq!(walk[0].addr, &m as *const _ as usize);
    /// // Values over 128 bytes live behind pointers: one object each.
    /// let indirect = walk.iter().filter(|o| o.kind == HeapKind::IndirectValue).count();
    /// assert_eq!(indirect, 20);
    /// let heap: usize = walk[1..].iter().map(|o| o.size).sum();
    /// assert_eq!(heap, m.stats().heap_bytes);
    /// ```
    pub fn heap_walk(&self) -> Vec<HeapObject> {
        let mut out = vec![HeapObject {
            kind: HeapKind::Map,
            addr: self as *const Self as usize,
            size: size_of::<Self>(),
            parent: None,
        }];
        self.raw.heap_walk_from(&mut out, 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map whose first bucket lives inside its root object (as
    /// `InlineGoMap`'s does) lists no `Buckets` object; what that bucket
    /// points to hangs off the root.
    #[test]
    fn a_bucket_array_inside_the_root_is_part_of_the_root() {
        let m: GoMap<u64, [u8; 200]> = (0..5).map(|i| (i, [0u8; 200])).collect();
        let buckets = m.stats().buckets_addr;
        let size = m.stats().array_bytes;
        // Pretend the root is an object spanning the bucket array.
        let mut out = vec![HeapObject {
            kind: HeapKind::Map,
            addr: buckets,
            size,
            parent: None,
        }];
        m.raw.heap_walk_from(&mut out, 0);
        assert!(out.iter().all(|o| o.kind != HeapKind::Buckets));
        assert_eq!(out.len(), 1 + 5);
        assert!(out[1..]
            .iter()
            .all(|o| o.kind == HeapKind::IndirectValue && o.parent == Some(0)));
        // The ordinary walk lists the array separately.
        let walk = m.heap_walk();
        assert_eq!(walk[1].kind, HeapKind::Buckets);
        assert!(walk[2..].iter().all(|o| o.parent == Some(1)));
    }
}
