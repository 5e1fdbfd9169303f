//! Reading the structure out of a live table: `stats()`, `header()`,
//! `structure()`, `locate()`, `header_fields()`.

use core::hash::{BuildHasher, Hash};
use core::mem::{offset_of, size_of};
use core::ptr::NonNull;

use super::alloc::prealloc_overflow;
use super::bucket::Bucket;
use super::table::RawTable;
use crate::stats::{
    ArrayView, BucketView, ChainView, HeaderField, HeaderView, MapStats, MapStructure, SlotLocation,
};

impl<K, V, S> RawTable<K, V, S> {
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
            field!("hash0", hash0, S),
            field!("buckets", buckets, Option<NonNull<u8>>),
            field!("oldbuckets", oldbuckets, Option<NonNull<u8>>),
            field!("nevacuate", nevacuate, usize),
            field!("extra", extra, super::table::Extra),
        ]
    }

    /// The chain starting at head `i` of `array`; for evacuated old buckets
    /// only the head is reported (their overflow buckets are not in use).
    fn chain_view(array: NonNull<u8>, array_b: u8, i: usize, is_old: bool) -> ChainView {
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
            if is_old && head.evacuated() {
                break;
            }
            b = c.overflow();
        }
        ChainView { index: i, buckets }
    }

    fn array_view(array: NonNull<u8>, array_b: u8, is_old: bool) -> ArrayView {
        ArrayView {
            addr: array.as_ptr() as usize,
            b: array_b,
            chains: (0..1usize << array_b)
                .map(|i| Self::chain_view(array, array_b, i, is_old))
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
        let free_pool = if self.extra.next_overflow.is_null() {
            0
        } else {
            (self.extra.overflow_end as usize - self.extra.next_overflow as usize)
                / Bucket::<K, V>::LAYOUT.bucket_size
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
        }
    }

    pub(crate) fn structure(&self) -> MapStructure {
        MapStructure {
            stats: self.stats(),
            header: self.header(),
            current: self.buckets.map(|a| Self::array_view(a, self.b, false)),
            old: self
                .oldbuckets
                .map(|a| Self::array_view(a, self.old_b(), true)),
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
