//! Reading the structure out of a live table: `stats()`, `header()`,
//! `structure()`, `locate()`, `header_fields()`.

use core::hash::{BuildHasher, Hash};
use core::mem::{offset_of, size_of};
use core::ptr::NonNull;

use super::alloc::array_layout;
use super::alloc::prealloc_overflow;
use super::bucket::Bucket;
use super::table::{Extra, RawTable, INLINE};
use super::tophash::{is_evacuated, MIN_TOP_HASH};
use crate::stats::{
    ArrayView, BucketView, ChainView, HeaderField, HeaderView, MapStats, MapStructure, SlotLocation,
};
use crate::walk::{HeapKind, HeapObject};

/// Bytes of the allocation of an array of `2^b` heads (with its pool).
fn array_bytes<K, V>(b: u8) -> usize {
    array_layout::<K, V>(b).map_or(0, |l| l.size())
}

impl<K, V, S> RawTable<K, V, S> {
    // The only readers of the page-release bookkeeping in this file, so a
    // rename of those fields touches one place.

    /// A large old array whose growth finished, being handed back to the OS
    /// a chunk per write before it is freed: (address, its B, bytes released).
    fn retiring(&self) -> Option<(NonNull<u8>, u8, usize)> {
        self.retired().map(|r| (r.array, r.array_b, r.released))
    }

    /// Bytes of the old array (growing) or the retiring array already handed
    /// back to the OS: still allocated, no longer resident.
    fn released_bytes(&self) -> usize {
        match self.retiring() {
            Some((_, _, done)) => done,
            None if self.oldbuckets.is_some() => self.old_released(),
            None => 0,
        }
    }

    /// Bytes of the old array still allocated: the one being evacuated, or
    /// the retiring one.
    fn old_array_bytes(&self) -> usize {
        let growing = if self.oldbuckets.is_some() {
            array_bytes::<K, V>(self.old_b())
        } else {
            0
        };
        growing
            + self
                .retiring()
                .map_or(0, |(_, b, _)| array_bytes::<K, V>(b))
    }

    pub(crate) fn header(&self) -> HeaderView {
        HeaderView {
            count: self.count,
            flags: self.flags,
            b: self.b,
            noverflow: self.noverflow,
            buckets: self.buckets.map_or(0, |p| p.as_ptr() as usize),
            oldbuckets: self.oldbuckets.map_or(0, |p| p.as_ptr() as usize),
            nevacuate: self.nevacuate,
            growing: self.growing(),
            same_size_grow: self.same_size_grow(),
            retiring_bytes: self
                .retiring()
                .map_or(0, |(_, b, _)| array_bytes::<K, V>(b)),
            released_bytes: self.released_bytes(),
        }
    }

    pub(crate) fn header_fields() -> Vec<HeaderField> {
        macro_rules! field {
            ($name:literal, $f:ident, $t:ty) => {
                HeaderField { name: $name, offset: offset_of!(RawTable<K, V, S>, $f), size: size_of::<$t>() }
            };
        }
        vec![
            field!("count", count, usize),
            field!("flags", flags, u8),
            field!("B", b, u8),
            field!("noverflow", noverflow, u16),
            // `grow_at` (a cache of Go's growth trigger, no Go field) sits in
            // what was padding after `noverflow`; the report lists Go's fields.
            field!("hash0", hash0, S),
            field!("buckets", buckets, Option<NonNull<u8>>),
            field!("oldbuckets", oldbuckets, Option<NonNull<u8>>),
            field!("nevacuate", nevacuate, usize),
            field!("extra", extra, Option<Box<super::table::Extra>>),
        ]
    }

    /// The chain starting at head `i` of `array`; for evacuated old buckets
    /// only the head is reported (their overflow buckets are not in use).
    ///
    /// `evacuated_below`: heads below it are known evacuated (`nevacuate`),
    /// and their pages may have been handed back to the OS, so nothing
    /// past their tophash bytes is read (never their overflow pointer).
    fn chain_view(
        array: NonNull<u8>,
        array_b: u8,
        i: usize,
        evacuated_below: usize,
        is_old: bool,
    ) -> ChainView {
        // SAFETY: `i` is below the array's head count (callers loop over it).
        let head = unsafe { Bucket::<K, V>::at(array, i) };
        let start = array.as_ptr() as usize;
        let end = start
            + ((1usize << array_b) + prealloc_overflow(array_b))
                * Bucket::<K, V>::LAYOUT.bucket_size;
        let mut buckets = Vec::new();
        let mut b = Some(head);
        while let Some(c) = b {
            buckets.push(BucketView {
                addr: c.addr(),
                tophash: c.tophash_bytes(),
                in_array: (start..end).contains(&c.addr()),
            });
            if is_old && (i < evacuated_below || head.evacuated()) {
                break;
            }
            b = c.overflow();
        }
        ChainView { index: i, buckets }
    }

    fn array_view(
        array: NonNull<u8>,
        array_b: u8,
        evacuated_below: usize,
        is_old: bool,
    ) -> ArrayView {
        ArrayView {
            addr: array.as_ptr() as usize,
            b: array_b,
            chains: (0..1usize << array_b)
                .map(|i| Self::chain_view(array, array_b, i, evacuated_below, is_old))
                .collect(),
        }
    }

    pub(crate) fn stats(&self) -> MapStats {
        let mut overflow_buckets = 0;
        let mut max_chain = 0;
        let nevacuate = self.nevacuate;
        let mut walk = |array: NonNull<u8>, array_b: u8, is_old: bool| {
            for i in 0..1usize << array_b {
                // SAFETY: `i` is below the head count.
                let head = unsafe { Bucket::<K, V>::at(array, i) };
                // Old buckets below `nevacuate` are evacuated and may have
                // been handed back to the OS: not read.
                if is_old && (i < nevacuate || head.evacuated()) {
                    continue;
                }
                let mut len = 1;
                let mut b = head.overflow();
                while let Some(c) = b {
                    len += 1;
                    b = c.overflow();
                }
                overflow_buckets += len - 1;
                max_chain = max_chain.max(len);
            }
        };
        if let Some(a) = self.buckets {
            walk(a, self.b, false);
        }
        if let Some(a) = self.oldbuckets {
            walk(a, self.old_b(), true);
        }
        let pool = if self.buckets.is_some() {
            prealloc_overflow(self.b)
        } else {
            0
        };
        let (next_overflow, overflow_end) = self.pool_cursor();
        let free_pool = if next_overflow.is_null() {
            0
        } else {
            (overflow_end as usize - next_overflow as usize) / Bucket::<K, V>::LAYOUT.bucket_size
        };
        MapStats {
            len: self.count,
            b: self.b,
            buckets: if self.buckets.is_some() {
                1usize << self.b
            } else {
                0
            },
            overflow_buckets,
            noverflow: self.noverflow,
            growing: self.growing(),
            same_size_grow: self.same_size_grow(),
            old_buckets: if self.growing() {
                self.noldbuckets()
            } else {
                0
            },
            evacuated: self.nevacuate,
            heap_bytes: self.heap_bytes(),
            max_chain,
            buckets_addr: self.buckets.map_or(0, |p| p.as_ptr() as usize),
            old_buckets_addr: self.oldbuckets.map_or(0, |p| p.as_ptr() as usize),
            preallocated_overflow: pool,
            free_preallocated_overflow: free_pool,
            capacity: self.capacity(),
            array_bytes: if self.buckets.is_some() && self.flags & INLINE == 0 {
                array_bytes::<K, V>(self.b)
            } else {
                0
            },
            old_array_bytes: self.old_array_bytes(),
            overflow_bytes: self.heap_overflow() * Bucket::<K, V>::LAYOUT.bucket_size,
            released_bytes: self.released_bytes(),
        }
    }

    /// [`GoMap::heap_walk`](crate::GoMap::heap_walk) after its root: appends
    /// every allocation reached from the header to `out`, whose object
    /// `root` is the value holding the header. A bucket array lying inside
    /// the root (a map with its first bucket inline) is part of the root,
    /// not an object of its own.
    pub(crate) fn heap_walk_from(&self, out: &mut Vec<HeapObject>, root: usize) {
        let bsize = Bucket::<K, V>::LAYOUT.bucket_size;
        let (root_start, root_size) = (out[root].addr, out[root].size);
        let push = |out: &mut Vec<HeapObject>, kind, addr, size, parent| {
            out.push(HeapObject {
                kind,
                addr,
                size,
                parent: Some(parent),
            });
            out.len() - 1
        };
        // Level 1, in hmap's field order: buckets, oldbuckets, extra.
        let mut arrays = Vec::new();
        if let Some(a) = self.buckets {
            let addr = a.as_ptr() as usize;
            let idx = if (root_start..root_start + root_size).contains(&addr) {
                root
            } else {
                push(
                    out,
                    HeapKind::Buckets,
                    addr,
                    array_bytes::<K, V>(self.b),
                    root,
                )
            };
            arrays.push((idx, a, self.b, false));
        }
        if let Some(old) = self.oldbuckets {
            let ob = self.old_b();
            let idx = push(
                out,
                HeapKind::OldBuckets,
                old.as_ptr() as usize,
                array_bytes::<K, V>(ob),
                root,
            );
            arrays.push((idx, old, ob, true));
        }
        if let Some((old, ob, _)) = self.retiring() {
            // Nothing in it is read any more (its pages are being released).
            push(
                out,
                HeapKind::OldBuckets,
                old.as_ptr() as usize,
                array_bytes::<K, V>(ob),
                root,
            );
        }
        if let Some(e) = self.extra.as_deref() {
            // hmap's third pointer field, `extra` (Go's `mapextra`).
            push(
                out,
                HeapKind::Extra,
                e as *const Extra as usize,
                size_of::<Extra>(),
                root,
            );
        }
        // Level 2 on: what each bucket leads to, chain by chain.
        let l = Bucket::<K, V>::LAYOUT;
        for (array_idx, array, array_b, is_old) in arrays {
            let start = array.as_ptr() as usize;
            let end = start + array_bytes::<K, V>(array_b);
            for i in 0..1usize << array_b {
                // SAFETY: `i` is below the array's head count.
                let head = unsafe { Bucket::<K, V>::at(array, i) };
                // Old buckets below `nevacuate` may have been handed back to
                // the OS, and evacuated ones own nothing: not read.
                if is_old && (i < self.nevacuate || is_evacuated(head.tophash_bytes()[0])) {
                    continue;
                }
                let (mut b, mut b_idx) = (head, array_idx);
                loop {
                    for (slot, &top) in b.tophash_bytes().iter().enumerate() {
                        if top < MIN_TOP_HASH {
                            continue;
                        }
                        for (indirect, offset, slot_size, size, kind) in [
                            (
                                l.indirect_key,
                                l.keys_offset,
                                l.key_slot_size,
                                size_of::<K>(),
                                HeapKind::IndirectKey,
                            ),
                            (
                                l.indirect_value,
                                l.values_offset,
                                l.value_slot_size,
                                size_of::<V>(),
                                HeapKind::IndirectValue,
                            ),
                        ] {
                            if indirect {
                                let p = (b.addr() + offset + slot * slot_size) as *const usize;
                                // SAFETY: a full indirect slot of a live bucket
                                // holds the pointer to its boxed key or value.
                                let addr = unsafe { p.read_unaligned() };
                                push(out, kind, addr, size, b_idx);
                            }
                        }
                    }
                    let Some(next) = b.overflow() else { break };
                    if !(start..end).contains(&next.addr()) {
                        b_idx = push(out, HeapKind::Overflow, next.addr(), bsize, b_idx);
                    } else {
                        // A pre-allocated overflow bucket: part of the array.
                        b_idx = array_idx;
                    }
                    b = next;
                }
            }
        }
    }

    pub(crate) fn structure(&self) -> MapStructure {
        MapStructure {
            stats: self.stats(),
            header: self.header(),
            current: self.buckets.map(|a| Self::array_view(a, self.b, 0, false)),
            old: self
                .oldbuckets
                .map(|a| Self::array_view(a, self.old_b(), self.nevacuate, true)),
        }
    }
}

impl<K: Hash, V, S: BuildHasher> RawTable<K, V, S> {
    pub(crate) fn locate(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<SlotLocation> {
        let (b, i) = self.find(hash, eq)?;
        let head = self.read_bucket(hash)?;
        let in_old = self.oldbuckets.is_some_and(|old| {
            let start = old.as_ptr() as usize;
            head.addr() >= start
                && head.addr() < start + (self.noldbuckets() * Bucket::<K, V>::LAYOUT.bucket_size)
        });
        let array = if in_old {
            self.oldbuckets
        } else {
            self.buckets
        }?;
        let bucket_index =
            (head.addr() - array.as_ptr() as usize) / Bucket::<K, V>::LAYOUT.bucket_size;
        let mut depth = 0;
        let mut c = head;
        while c != b {
            c = c.overflow()?;
            depth += 1;
        }
        Some(SlotLocation {
            bucket_addr: b.addr(),
            bucket_index,
            overflow_depth: depth,
            slot: i,
            // SAFETY: `find` returns slots `i < 8`.
            key_addr: unsafe { b.key_slot(i) } as usize,
            // SAFETY: as above.
            value_addr: unsafe { b.value_slot(i) } as usize,
            in_old,
        })
    }
}
