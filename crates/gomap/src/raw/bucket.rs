//! One bucket: `tophash[8]`, 8 keys, 8 values, overflow pointer (Go's `bmap`).
//!
//! [`Bucket`] is a copyable handle on a bucket's memory; it owns nothing.
//! Whoever holds one must know the bucket is alive and which slots are full:
//! that is what the `# Safety` sections below ask for.

use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use super::layout::{BucketLayout, LayoutOf};
use super::tophash::{is_evacuated, Group};

/// A handle on one live bucket for keys `K` and values `V`.
pub(crate) struct Bucket<K, V> {
    ptr: NonNull<u8>,
    marker: PhantomData<(K, V)>,
}

impl<K, V> Clone for Bucket<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for Bucket<K, V> {}

impl<K, V> PartialEq for Bucket<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}
impl<K, V> Eq for Bucket<K, V> {}

impl<K, V> core::fmt::Debug for Bucket<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Bucket({:p})", self.ptr)
    }
}

impl<K, V> Bucket<K, V> {
    pub(crate) const LAYOUT: BucketLayout = LayoutOf::<K, V>::LAYOUT;

    /// # Safety
    /// `ptr` points to a bucket of this layout that stays allocated while the
    /// handle (or any copy) is used.
    #[inline(always)]
    pub(crate) unsafe fn from_raw(ptr: NonNull<u8>) -> Self {
        Bucket {
            ptr,
            marker: PhantomData,
        }
    }

    /// Asks the CPU for the bucket's second and third cache lines (keys,
    /// values, the overflow pointer) while the first one, the tophash word,
    /// is still on its way: a hit then waits for one memory round trip
    /// instead of two (the key's and value's lines are otherwise requested
    /// only once the tophash bytes have said which slot to read). A hint:
    /// it reads nothing and cannot fault.
    #[inline(always)]
    pub(crate) fn prefetch_rest(self) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = self.ptr.as_ptr() as *const i8;
            // `wrapping_add`: the addresses need not be in the bucket (a
            // small bucket ends before +128); a prefetch never faults.
            // SAFETY: `_mm_prefetch` only hints the cache (SSE, part of
            // x86_64's baseline); it dereferences nothing.
            unsafe {
                _mm_prefetch(p.wrapping_add(64), _MM_HINT_T0);
                _mm_prefetch(p.wrapping_add(128), _MM_HINT_T0);
            }
        }
    }

    /// Hints the cache to load this bucket's overflow bucket (its tophash
    /// line and the line its first values sit on), if it has one, for a
    /// walk that will reach it a few buckets from now: a chain hop is a
    /// dependent load to an address the hardware prefetcher cannot guess.
    /// Without an overflow bucket it hints this bucket's own first line,
    /// which the walk reads anyway, so the choice is a select, not a branch.
    #[inline(always)]
    pub(crate) fn prefetch_overflow(self) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let p = self.overflow().unwrap_or(self).ptr.as_ptr() as *const i8;
            // SAFETY: `_mm_prefetch` only hints the cache (SSE, part of
            // x86_64's baseline); it dereferences nothing, so an address
            // past a small bucket's end is harmless.
            unsafe {
                _mm_prefetch(p, _MM_HINT_T0);
                _mm_prefetch(p.wrapping_add(Self::LAYOUT.values_offset), _MM_HINT_T0);
            }
        }
    }

    /// Hints the cache to load all three lines of this bucket (for an
    /// evacuation, which reads or writes all of them). A hint: it reads
    /// nothing and cannot fault.
    #[inline(always)]
    pub(crate) fn prefetch_all(self) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: `_mm_prefetch` only hints the cache (SSE, part of
            // x86_64's baseline); it dereferences nothing.
            unsafe { _mm_prefetch(self.ptr.as_ptr() as *const i8, _MM_HINT_T0) };
        }
        self.prefetch_rest();
    }

    /// The bucket at `index` of an array starting at `array`.
    ///
    /// # Safety
    /// `array` is a live bucket array holding more than `index` buckets.
    #[inline(always)]
    pub(crate) unsafe fn at(array: NonNull<u8>, index: usize) -> Self {
        // SAFETY: the caller guarantees `index` is inside the array, so the
        // offset stays in the same allocation and is non-null.
        unsafe {
            Bucket::from_raw(NonNull::new_unchecked(
                array.as_ptr().add(index * Self::LAYOUT.bucket_size),
            ))
        }
    }

    #[inline(always)]
    pub(crate) fn as_ptr(self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    #[inline(always)]
    pub(crate) fn addr(self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// The eight tophash bytes.
    #[inline(always)]
    pub(crate) fn tophash_bytes(self) -> [u8; 8] {
        // SAFETY: a live bucket starts with 8 initialised tophash bytes
        // (arrays are zero-allocated); `[u8; 8]` has alignment 1.
        unsafe { ptr::read(self.ptr.as_ptr() as *const [u8; 8]) }
    }

    #[inline(always)]
    pub(crate) fn group(self) -> Group {
        Group::load(self.tophash_bytes())
    }

    /// Tophash of slot 0, which tells an evacuated old bucket (Go's
    /// `evacuated(b)` reads `b.tophash[0]`) and an empty chain.
    #[inline(always)]
    pub(crate) fn first_top(self) -> u8 {
        // SAFETY: slot 0 exists and the tophash bytes are initialised.
        unsafe { self.top(0) }
    }

    /// Is this (old) bucket evacuated? Go's `evacuated`.
    #[inline(always)]
    pub(crate) fn evacuated(self) -> bool {
        is_evacuated(self.first_top())
    }

    /// Tophash of slot `i`.
    ///
    /// # Safety
    /// `i < 8` (`BUCKET_CNT`).
    #[inline(always)]
    pub(crate) unsafe fn top(self, i: usize) -> u8 {
        debug_assert!(i < 8);
        // SAFETY: `i < 8` (the caller's promise) and the tophash bytes are
        // initialised.
        unsafe { *self.ptr.as_ptr().add(i) }
    }

    /// Sets the tophash of slot `i`.
    ///
    /// # Safety
    /// `i < 8` (`BUCKET_CNT`), and the caller has exclusive access to the
    /// bucket (the table is borrowed mutably).
    #[inline(always)]
    pub(crate) unsafe fn set_top(self, i: usize, top: u8) {
        debug_assert!(i < 8);
        // SAFETY: `i < 8` and exclusive access (the caller's promises).
        unsafe { *self.ptr.as_ptr().add(i) = top }
    }

    /// Sets all eight tophash bytes.
    #[inline(always)]
    pub(crate) fn set_tophash_bytes(self, bytes: [u8; 8]) {
        // SAFETY: as in `set_top`, for the whole array.
        unsafe { ptr::write(self.ptr.as_ptr() as *mut [u8; 8], bytes) }
    }

    /// Address of key slot `i` (the slot itself; for an indirect key it holds a pointer).
    ///
    /// # Safety
    /// `i < 8` (`BUCKET_CNT`).
    #[inline(always)]
    pub(crate) unsafe fn key_slot(self, i: usize) -> *mut u8 {
        debug_assert!(i < 8);
        // SAFETY: slot `i < 8` (the caller's promise) lies inside the bucket
        // by construction of the layout.
        unsafe {
            self.ptr
                .as_ptr()
                .add(Self::LAYOUT.keys_offset + i * Self::LAYOUT.key_slot_size)
        }
    }

    /// Address of value slot `i`.
    ///
    /// # Safety
    /// `i < 8` (`BUCKET_CNT`).
    #[inline(always)]
    pub(crate) unsafe fn value_slot(self, i: usize) -> *mut u8 {
        debug_assert!(i < 8);
        // SAFETY: as in `key_slot`.
        unsafe {
            self.ptr
                .as_ptr()
                .add(Self::LAYOUT.values_offset + i * Self::LAYOUT.value_slot_size)
        }
    }

    /// The key of slot `i`.
    ///
    /// # Safety
    /// `i < 8` and slot `i` is full.
    #[inline(always)]
    pub(crate) unsafe fn key(self, i: usize) -> *mut K {
        if Self::LAYOUT.indirect_key {
            // SAFETY: a full indirect slot holds the pointer from `Box::into_raw`.
            unsafe { ptr::read(self.key_slot(i) as *const *mut K) }
        } else {
            self.key_slot(i) as *mut K
        }
    }

    /// The value of slot `i`.
    ///
    /// # Safety
    /// `i < 8` and slot `i` is full.
    #[inline(always)]
    pub(crate) unsafe fn value(self, i: usize) -> *mut V {
        if Self::LAYOUT.indirect_value {
            // SAFETY: a full indirect slot holds the pointer from `Box::into_raw`.
            unsafe { ptr::read(self.value_slot(i) as *const *mut V) }
        } else {
            self.value_slot(i) as *mut V
        }
    }

    /// Writes an entry into slot `i` (the tophash is the caller's to set).
    ///
    /// # Safety
    /// `i < 8` and slot `i` is empty (its old contents, if any, were moved
    /// or dropped).
    #[inline(always)]
    pub(crate) unsafe fn write(self, i: usize, key: K, value: V) {
        // SAFETY: the slots lie inside the bucket and are suitably aligned
        // (the layout aligns each group to its slot type); indirect slots are
        // pointer-aligned and receive an owned heap allocation.
        unsafe {
            if Self::LAYOUT.indirect_key {
                ptr::write(
                    self.key_slot(i) as *mut *mut K,
                    Box::into_raw(Box::new(key)),
                );
            } else {
                ptr::write(self.key_slot(i) as *mut K, key);
            }
            if Self::LAYOUT.indirect_value {
                ptr::write(
                    self.value_slot(i) as *mut *mut V,
                    Box::into_raw(Box::new(value)),
                );
            } else {
                ptr::write(self.value_slot(i) as *mut V, value);
            }
        }
    }

    /// Moves the entry out of slot `i`, leaving the slot logically empty.
    ///
    /// # Safety
    /// `i < 8`, slot `i` is full; afterwards the caller marks it empty.
    #[inline(always)]
    pub(crate) unsafe fn take(self, i: usize) -> (K, V) {
        // SAFETY: the slot is full, so both reads see initialised values (or
        // live boxes for indirect slots); ownership moves to the caller.
        unsafe {
            let key = if Self::LAYOUT.indirect_key {
                *Box::from_raw(ptr::read(self.key_slot(i) as *const *mut K))
            } else {
                ptr::read(self.key_slot(i) as *const K)
            };
            let value = if Self::LAYOUT.indirect_value {
                *Box::from_raw(ptr::read(self.value_slot(i) as *const *mut V))
            } else {
                ptr::read(self.value_slot(i) as *const V)
            };
            (key, value)
        }
    }

    /// Copies slot `i`'s raw key and value bytes to slot `j` of `dst`: an
    /// entry move (Go's `typedmemmove` in `evacuate`). Indirect slots move
    /// their pointer, not the pointee.
    ///
    /// # Safety
    /// `i < 8` and `j < 8`; slot `i` is full, slot `j` of `dst` is empty, and afterwards exactly
    /// one of the two slots is treated as owning the entry.
    #[inline(always)]
    pub(crate) unsafe fn move_to(self, i: usize, dst: Bucket<K, V>, j: usize) {
        // SAFETY: both slots lie in live buckets of the same layout and do
        // not overlap (different slots or different buckets).
        unsafe {
            ptr::copy_nonoverlapping(
                self.key_slot(i),
                dst.key_slot(j),
                Self::LAYOUT.key_slot_size,
            );
            ptr::copy_nonoverlapping(
                self.value_slot(i),
                dst.value_slot(j),
                Self::LAYOUT.value_slot_size,
            );
        }
    }

    /// The next bucket of the chain.
    #[inline(always)]
    pub(crate) fn overflow(self) -> Option<Bucket<K, V>> {
        // SAFETY: the overflow pointer lies in the bucket, is pointer-aligned
        // and initialised (null in a zeroed bucket).
        let p = unsafe {
            ptr::read(self.ptr.as_ptr().add(Self::LAYOUT.overflow_offset) as *const *mut u8)
        };
        #[cfg(all(test, unix))]
        assert_ne!(
            p as usize,
            usize::from_ne_bytes([super::release::POISON_BYTE; core::mem::size_of::<usize>()]),
            "read an overflow pointer from a page handed back to the OS"
        );
        // SAFETY: a non-null overflow pointer always points to a live bucket
        // of the same layout (set only by `set_overflow`).
        NonNull::new(p).map(|p| unsafe { Bucket::from_raw(p) })
    }

    /// Links `next` after this bucket (or ends the chain here).
    ///
    /// # Safety
    /// The caller has exclusive access to the bucket, and `next` is a live
    /// bucket of the same layout that stays allocated while it is linked and
    /// is not already on this chain (chains stay acyclic). Whatever was
    /// linked before is no longer reachable from here: the caller has freed
    /// it or holds it elsewhere.
    #[inline(always)]
    pub(crate) unsafe fn set_overflow(self, next: Option<Bucket<K, V>>) {
        let p = next.map_or(ptr::null_mut(), |b| b.as_ptr());
        // SAFETY: the overflow pointer lies in the bucket and is
        // pointer-aligned; what it now points to is the caller's promise.
        unsafe {
            ptr::write(
                self.ptr.as_ptr().add(Self::LAYOUT.overflow_offset) as *mut *mut u8,
                p,
            )
        }
    }

    /// Drops the entry in slot `i` in place.
    ///
    /// # Safety
    /// `i < 8`, slot `i` is full; afterwards the caller treats it as empty.
    #[inline(always)]
    pub(crate) unsafe fn drop_entry(self, i: usize) {
        // SAFETY: ownership of the entry is ours; `take` moves it out and
        // the tuple is dropped here (key first, then value, as a tuple does).
        unsafe { drop(self.take(i)) }
    }
}
