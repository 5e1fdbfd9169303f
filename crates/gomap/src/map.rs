//! `GoMap`: the safe, std-compatible surface over the raw table.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::Index;

use crate::cursor::Cursor;
use crate::entry::{Entry, OccupiedEntry, VacantEntry};
use crate::iter::{
    Drain, ExtractIf, IntoIter, IntoKeys, IntoValues, Iter, IterMut, IterRandomized, Keys, Values,
    ValuesMut,
};
use crate::raw::access::{MutIter, OwnedIter, RandIter, RawCursor, RawEntry, RawExtract, RefIter};
use crate::raw::alloc::TryReserveError;
use crate::raw::inline::IntoEntries;
use crate::raw::layout::{BucketLayout, LayoutOf};
use crate::raw::table::{b_for_hint, RawTable};
use crate::stats::{HeaderField, HeaderView, MapStats, MapStructure, SlotLocation};

/// The default hasher: foldhash's fast, randomly seeded `RandomState`.
///
/// ```
/// use std::hash::BuildHasher;
/// let a = gomap::DefaultHashBuilder::default();
/// let b = gomap::DefaultHashBuilder::default();
/// // A fresh seed per map (Go's per-map `hash0`).
/// assert_eq!(a.hash_one(1u64), a.hash_one(1u64));
/// let _maybe_different = b.hash_one(1u64);
/// ```
pub type DefaultHashBuilder = foldhash::fast::RandomState;

/// Go's classic map: a hash map of 8-slot buckets with overflow chains that
/// grows by incremental evacuation, so no single operation moves the table.
///
/// The value is the header itself (Go's `hmap`); the buckets live on the
/// heap. See the [crate documentation](crate) for the design.
///
/// ```
/// use gomap::GoMap;
/// let mut m = GoMap::new();
/// m.insert("gopher", 1);
/// assert_eq!(m.get("gopher"), Some(&1));
/// assert_eq!(m.remove("gopher"), Some(1));
/// assert!(m.is_empty());
/// ```
#[repr(transparent)]
pub struct GoMap<K, V, S = DefaultHashBuilder> {
    pub(crate) raw: RawTable<K, V, S>,
}

impl<K, V> GoMap<K, V, DefaultHashBuilder> {
    /// An empty map. Allocates nothing until the first insert (Go's `makemap_small`).
    ///
    /// ```
    /// let m: gomap::GoMap<u64, u64> = gomap::GoMap::new();
    /// assert_eq!(m.stats().heap_bytes, 0);
    /// ```
    pub fn new() -> Self {
        GoMap::with_hasher(DefaultHashBuilder::default())
    }

    /// An empty map sized for `capacity` entries without doubling (Go's
    /// `make(map[K]V, hint)`): `B` is the smallest with
    /// `capacity <= 6.5 * 2^B`, and the array is allocated only when `B > 0`.
    ///
    /// # Panics
    /// If the array would not fit in memory (see [`GoMap::try_with_capacity`]).
    ///
    /// ```
    /// let m: gomap::GoMap<u64, u64> = gomap::GoMap::with_capacity(100);
    /// assert_eq!(m.stats().b, 4);
    /// assert!(m.capacity() >= 100);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        GoMap::with_capacity_and_hasher(capacity, DefaultHashBuilder::default())
    }

    /// Like [`GoMap::with_capacity`], returning an error instead of panicking.
    ///
    /// ```
    /// assert!(gomap::GoMap::<u64, u64>::try_with_capacity(usize::MAX).is_err());
    /// ```
    pub fn try_with_capacity(capacity: usize) -> Result<Self, TryReserveError> {
        GoMap::try_with_capacity_and_hasher(capacity, DefaultHashBuilder::default())
    }
}

impl<K, V, S> GoMap<K, V, S> {
    /// An empty map using `hash_builder` (Go's per-map seed `hash0`).
    ///
    /// ```
    /// use gomap::GoMap;
    /// let mut m = GoMap::with_hasher(foldhash::fast::FixedState::with_seed(7));
    /// m.insert(1, 2);
    /// ```
    pub const fn with_hasher(hash_builder: S) -> Self {
        GoMap {
            raw: RawTable::new(hash_builder),
        }
    }

    /// [`GoMap::with_capacity`] with a given hasher.
    ///
    /// ```
    /// let m: gomap::GoMap<u8, u8, _> = gomap::GoMap::with_capacity_and_hasher(10, std::hash::RandomState::new());
    /// assert_eq!(m.stats().b, 1);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        GoMap::try_with_capacity_and_hasher(capacity, hash_builder).unwrap_or_else(|e| e.fail())
    }

    /// [`GoMap::try_with_capacity`] with a given hasher.
    ///
    /// ```
    /// let r = gomap::GoMap::<u8, u8, _>::try_with_capacity_and_hasher(usize::MAX, std::hash::RandomState::new());
    /// assert!(r.is_err());
    /// ```
    pub fn try_with_capacity_and_hasher(
        capacity: usize,
        hash_builder: S,
    ) -> Result<Self, TryReserveError> {
        Ok(GoMap {
            raw: RawTable::with_capacity(hash_builder, capacity)?,
        })
    }

    /// The hasher.
    ///
    /// ```
    /// let m = gomap::GoMap::<u8, u8>::new();
    /// let _h: &gomap::DefaultHashBuilder = m.hasher();
    /// ```
    pub fn hasher(&self) -> &S {
        &self.raw.hash0
    }

    /// Number of entries.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 2)]);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.count
    }

    /// No entries.
    ///
    /// ```
    /// assert!(gomap::GoMap::<u8, u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.raw.count == 0
    }

    /// Entries that fit before the next doubling: 0 with no bucket array,
    /// else the largest count with `count <= 8 || count <= 6.5 * 2^B`.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// assert_eq!(m.capacity(), 0);
    /// m.insert(1, 1);
    /// assert_eq!(m.capacity(), 8);
    /// ```
    pub fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    /// Every entry, in storage order: the same order every time for an
    /// unchanged map, so `keys()` and `values()` correspond. Go's randomized
    /// order is [`GoMap::iter_randomized`].
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a'), (2, 'b')]);
    /// let mut v: Vec<_> = m.iter().collect();
    /// v.sort();
    /// assert_eq!(v, [(&1, &'a'), (&2, &'b')]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            inner: RefIter::new(&self.raw),
        }
    }

    /// Every entry with a mutable value.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 1), (2, 2)]);
    /// for (_, v) in m.iter_mut() { *v *= 10; }
    /// assert_eq!(m[&2], 20);
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut {
            inner: MutIter::new(&mut self.raw),
        }
    }

    /// The keys, in `iter()` order.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [&1]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys { inner: self.iter() }
    }

    /// The values, in `iter()` order.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&'a']);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        Values { inner: self.iter() }
    }

    /// The values, mutably.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 1)]);
    /// m.values_mut().for_each(|v| *v += 1);
    /// assert_eq!(m[&1], 2);
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        ValuesMut {
            inner: self.iter_mut(),
        }
    }

    /// The keys by value, consuming the map.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.into_keys().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn into_keys(self) -> IntoKeys<K, V> {
        IntoKeys {
            inner: self.into_iter(),
        }
    }

    /// The values by value, consuming the map.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.into_values().collect::<Vec<_>>(), ['a']);
    /// ```
    pub fn into_values(self) -> IntoValues<K, V> {
        IntoValues {
            inner: self.into_iter(),
        }
    }

    /// Removes every entry, yielding them; the bucket array is kept. Entries
    /// not consumed are dropped when the `Drain` is.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a'), (2, 'b')]);
    /// let cap = m.capacity();
    /// assert_eq!(m.drain().count(), 2);
    /// assert!(m.is_empty());
    /// assert_eq!(m.capacity(), cap);
    /// ```
    pub fn drain(&mut self) -> Drain<'_, K, V, S> {
        Drain {
            inner: OwnedIter::new(&mut self.raw),
            table: &mut self.raw,
        }
    }

    /// Keeps only the entries for which `f` returns true. Removes in place,
    /// without growth work (a walk must not move entries under itself).
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 5);
    /// ```
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        self.raw.retain(f)
    }

    /// Removes the entries for which `pred` returns true and yields them,
    /// lazily (std's `extract_if`, stable in Rust 1.88; here on Rust 1.82).
    /// Entries `pred` rejects stay, and so does every entry not yet visited
    /// when the iterator is dropped early. Like [`retain`](Self::retain) it
    /// does no growth work: a walk must not move entries under itself. If
    /// `pred` panics, the entry it was looking at and all not yet visited
    /// stay, and the map stays consistent.
    ///
    /// ```
    /// let mut m: gomap::GoMap<u32, u32> = (0..10).map(|i| (i, i * 10)).collect();
    /// let mut evens: Vec<(u32, u32)> = m.extract_if(|k, _| k % 2 == 0).collect();
    /// evens.sort();
    /// assert_eq!(evens, [(0, 0), (2, 20), (4, 40), (6, 60), (8, 80)]);
    /// assert_eq!(m.len(), 5);
    /// assert!(m.keys().all(|k| k % 2 == 1));
    /// ```
    pub fn extract_if<F>(&mut self, pred: F) -> ExtractIf<'_, K, V, F, S>
    where
        F: FnMut(&K, &mut V) -> bool,
    {
        ExtractIf {
            inner: RawExtract::new(&mut self.raw),
            pred,
        }
    }

    /// Removes every entry, keeping the bucket array (Go's `mapclear`); an
    /// old array still being evacuated is freed.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a')]);
    /// let addr = m.stats().buckets_addr;
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.stats().buckets_addr, addr);
    /// ```
    pub fn clear(&mut self) {
        self.raw.clear()
    }

    /// Asks Linux to back this map's bucket arrays with transparent huge
    /// pages (`madvise(MADV_HUGEPAGE)` on each array's whole 2 MiB pages),
    /// from now on: the arrays it holds now and every array it allocates
    /// later, as it grows or is resized. `false` stops advising new arrays.
    /// The setting survives `clear`, `drain` and `shrink_to`, and `clone`
    /// copies it. It changes no entry and no Go rule; elsewhere than Linux,
    /// or where the kernel's huge pages are off, it does nothing.
    ///
    /// Off by default, because it trades the tail for throughput. Huge pages
    /// cut the TLB misses of lookups in maps far larger than the caches
    /// (millions of entries), but the first write to each 2 MiB page pays
    /// for zeroing (and, with the kernel's default `defrag` setting, perhaps
    /// compacting) the whole page at once: a single insert can then take
    /// milliseconds, where with 4 KiB pages the work is spread over writes.
    /// BENCHMARKS.md ("Huge pages") has the measurements. Use it for large
    /// maps read far more than written, or filled before they serve.
    ///
    /// ```
    /// let mut m: gomap::GoMap<u64, u64> = gomap::GoMap::with_capacity(1_000_000);
    /// m.set_huge_pages(true);
    /// m.extend((0..1_000_000).map(|i| (i, i)));
    /// assert!(m.huge_pages() && m.clone().huge_pages());
    /// ```
    pub fn set_huge_pages(&mut self, enabled: bool) {
        self.raw.set_huge_pages(enabled)
    }

    /// Whether this map asks for huge pages ([`set_huge_pages`](Self::set_huge_pages)).
    pub fn huge_pages(&self) -> bool {
        self.raw.huge_pages()
    }

    /// The bucket layout for `(K, V)` (Go's `maptype`), computed at compile time.
    ///
    /// ```
    /// let l = gomap::GoMap::<u64, u64>::layout();
    /// assert_eq!(l.bucket_size, 144);
    /// ```
    pub const fn layout() -> BucketLayout {
        LayoutOf::<K, V>::LAYOUT
    }

    /// The header's fields as they lie in this `GoMap` value: name, offset, size.
    ///
    /// ```
    /// let f = gomap::GoMap::<u64, u64>::header_fields();
    /// assert_eq!((f[0].name, f[0].offset), ("count", 0));
    /// ```
    pub fn header_fields() -> Vec<HeaderField> {
        RawTable::<K, V, S>::header_fields()
    }

    /// The header fields now, in O(1).
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// for i in 0..9 { m.insert(i, i); }
    /// let h = m.header();
    /// // The 9th insert doubled the map; its own growth work evacuated the
    /// // single old bucket, so the growth is already over.
    /// assert_eq!((h.count, h.b, h.growing), (9, 1, false));
    /// ```
    pub fn header(&self) -> HeaderView {
        self.raw.header()
    }

    /// Structure and memory numbers; walks every chain (O(buckets)).
    ///
    /// ```
    /// let m: gomap::GoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
    /// let s = m.stats();
    /// assert_eq!(s.len, 100);
    /// assert!(s.heap_bytes >= s.buckets * 144);
    /// ```
    pub fn stats(&self) -> MapStats {
        self.raw.stats()
    }

    /// Every bucket's tophash bytes and chain, both arrays: what a picture needs.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1u8, 1u8)]);
    /// let s = m.structure();
    /// assert_eq!(s.current.unwrap().chains.len(), 1);
    /// ```
    pub fn structure(&self) -> MapStructure {
        self.raw.structure()
    }
}

impl<K, V, S> GoMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    /// Mutable references to the values of `N` keys at once (std's
    /// `get_disjoint_mut`, stable in Rust 1.86; here on Rust 1.82): `None`
    /// for a key that is absent. Reads never do growth work, and this
    /// neither.
    ///
    /// # Panics
    ///
    /// If two of the keys find the same entry (they are equal and present),
    /// as std does.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([("a", 1), ("b", 2)]);
    /// let [a, b, c] = m.get_disjoint_mut([&"a", &"b", &"c"]);
    /// std::mem::swap(a.unwrap(), b.unwrap());
    /// assert_eq!(c, None);
    /// assert_eq!((m["a"], m["b"]), (2, 1));
    /// ```
    ///
    /// ```should_panic
    /// let mut m = gomap::GoMap::from([("a", 1)]);
    /// let _ = m.get_disjoint_mut([&"a", &"a"]);
    /// ```
    pub fn get_disjoint_mut<Q, const N: usize>(&mut self, keys: [&Q; N]) -> [Option<&mut V>; N]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hashes = keys.map(|q| self.raw.hash(q));
        self.raw
            .get_disjoint_mut(hashes, |which, k| k.borrow() == keys[which])
    }

    /// Inserts, returning the old value if the key was present (the key in
    /// the map is kept, as std does). A new key may start a growth; while a
    /// growth is in progress each insert first evacuates up to two old buckets.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// assert_eq!(m.insert(1, 'a'), None);
    /// assert_eq!(m.insert(1, 'b'), Some('a'));
    /// ```
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.raw.hash(&key);
        self.raw.insert(hash, key, value)
    }

    /// The value for `key`. Reads never do growth work.
    ///
    /// ```
    /// let m = gomap::GoMap::from([("a".to_string(), 1)]);
    /// assert_eq!(m.get("a"), Some(&1));
    /// ```
    #[inline]
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The stored key and value for `key`.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.get_key_value(&1), Some((&1, &'a')));
    /// ```
    #[inline]
    pub fn get_key_value<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        if self.raw.count == 0 {
            return None;
        }
        let hash = self.raw.hash(key);
        self.raw.get(hash, |k| k.borrow() == key)
    }

    /// The value for `key`, mutably.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 1)]);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m[&1], 2);
    /// ```
    #[inline]
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        if self.raw.count == 0 {
            return None;
        }
        let hash = self.raw.hash(key);
        self.raw
            .get_mut(hash, |k| k.borrow() == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a')]);
    /// assert!(m.contains_key(&1) && !m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.get_key_value(key).is_some()
    }

    /// Removes `key`, returning its value (Go's `delete`, after its growth work).
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.remove(&1), Some('a'));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    #[inline]
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (k, v) = self.remove_entry(key)?;
        // Named locals: a panicking K::drop must not leak `v` (rust#47949).
        drop(k);
        Some(v)
    }

    /// Removes `key`, returning the stored key and value.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.remove_entry(&1), Some((1, 'a')));
    /// ```
    #[inline]
    pub fn remove_entry<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        if self.raw.count == 0 {
            return None;
        }
        let hash = self.raw.hash(key);
        self.raw.remove(hash, |k| k.borrow() == key)
    }

    /// The entry for `key`, for in-place get-or-insert. Counts as a write:
    /// does growth work like `insert`.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// for w in ["a", "b", "a"] { *m.entry(w).or_insert(0) += 1; }
    /// assert_eq!(m["a"], 2);
    /// ```
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V, S> {
        let hash = self.raw.hash(&key);
        match self.raw.entry(hash, |k| *k == key) {
            RawEntry::Occupied(raw) => Entry::Occupied(OccupiedEntry { raw }),
            RawEntry::Vacant(raw) => Entry::Vacant(VacantEntry { raw, key }),
        }
    }

    /// Makes room for `additional` more entries without a doubling.
    ///
    /// Unlike inserts, this moves every entry into a larger array at once
    /// (finishing any growth in progress): call it before the part of a
    /// program where latency matters, not inside it.
    ///
    /// # Panics
    /// If the new size overflows or cannot be allocated.
    ///
    /// ```
    /// let mut m = gomap::GoMap::<u64, u64>::new();
    /// m.reserve(1000);
    /// assert!(m.capacity() >= 1000);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.try_reserve(additional).unwrap_or_else(|e| e.fail())
    }

    /// Like [`GoMap::reserve`], returning an error instead of panicking.
    ///
    /// ```
    /// let mut m = gomap::GoMap::<u64, u64>::new();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// assert!(m.try_reserve(10).is_ok());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        let needed = self
            .raw
            .count
            .checked_add(additional)
            .ok_or(TryReserveError::CapacityOverflow)?;
        let b = b_for_hint::<K, V>(needed)?;
        if b > self.raw.b || (self.raw.buckets.is_none() && b > 0) {
            self.raw.resize(b, true)?;
        }
        Ok(())
    }

    /// Shrinks to the smallest array that holds `len()` entries (all at once).
    ///
    /// ```
    /// let mut m: gomap::GoMap<u64, u64> = (0..1000).map(|i| (i, i)).collect();
    /// m.retain(|&k, _| k < 10);
    /// m.shrink_to_fit();
    /// assert_eq!(m.stats().b, 1);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.shrink_to(0)
    }

    /// Shrinks to the smallest array that holds `max(len(), min_capacity)`
    /// entries, finishing any growth in progress; never grows.
    ///
    /// ```
    /// let mut m: gomap::GoMap<u64, u64> = (0..1000).map(|i| (i, i)).collect();
    /// m.clear();
    /// m.shrink_to(100);
    /// assert!(m.capacity() >= 100 && m.stats().b == 4);
    /// ```
    pub fn shrink_to(&mut self, min_capacity: usize) {
        let want = self.raw.count.max(min_capacity);
        let b = b_for_hint::<K, V>(want).unwrap_or(self.raw.b);
        let fewer_buckets = b < self.raw.b || (want == 0 && self.raw.buckets.is_some());
        if fewer_buckets || self.raw.growing() {
            let b = b.min(self.raw.b);
            // Shrinking allocates a smaller array; if even that fails, keep
            // the map as it is (it stays valid), as std does on failure.
            let _ = self.raw.resize(b, want > 0);
        }
    }

    /// Go's `range` order: a random start bucket and slot per call (Go's
    /// `mapiterinit`); every entry exactly once, also mid-growth.
    ///
    /// ```
    /// let m: gomap::GoMap<u32, ()> = (0..100).map(|i| (i, ())).collect();
    /// assert_eq!(m.iter_randomized().count(), 100);
    /// ```
    pub fn iter_randomized(&self) -> IterRandomized<'_, K, V, S> {
        IterRandomized {
            inner: RandIter::new(&self.raw),
        }
    }

    /// A cursor for Go's range-with-mutation (see [`Cursor`]).
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 1), (2, 2)]);
    /// let mut c = m.cursor();
    /// while let Some((&k, _)) = c.next() { if k == 1 { c.remove_current(); } }
    /// drop(c);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn cursor(&mut self) -> Cursor<'_, K, V, S> {
        Cursor {
            raw: RawCursor::new(&mut self.raw),
        }
    }

    /// Where `key`'s entry lies in memory.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(5u64, 6u64)]);
    /// let loc = m.locate(&5).unwrap();
    /// assert_eq!(loc.key_addr - loc.bucket_addr, 8 + 8 * loc.slot);
    /// ```
    pub fn locate<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<SlotLocation>
    where
        K: Borrow<Q>,
    {
        if self.raw.count == 0 {
            return None;
        }
        let hash = self.raw.hash(key);
        self.raw.locate(hash, |k| k.borrow() == key)
    }
}

impl<K, V, S: Default> Default for GoMap<K, V, S> {
    fn default() -> Self {
        GoMap::with_hasher(S::default())
    }
}

impl<K: Clone + Hash, V: Clone, S: Clone + BuildHasher> Clone for GoMap<K, V, S> {
    /// A map with the same entries and `B` (not mid-growth).
    fn clone(&self) -> Self {
        GoMap {
            raw: self.raw.clone_with(self.raw.hash0.clone()),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for GoMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Eq + Hash, V: PartialEq, S: BuildHasher> PartialEq for GoMap<K, V, S> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq + Hash, V: Eq, S: BuildHasher> Eq for GoMap<K, V, S> {}

impl<K: Eq + Hash, V, S: BuildHasher> Extend<(K, V)> for GoMap<K, V, S> {
    /// Inserts one by one: no up-front reserve, so no whole-table move.
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K: Eq + Hash + Copy, V: Copy, S: BuildHasher> Extend<(&'a K, &'a V)> for GoMap<K, V, S> {
    fn extend<T: IntoIterator<Item = (&'a K, &'a V)>>(&mut self, iter: T) {
        self.extend(iter.into_iter().map(|(&k, &v)| (k, v)))
    }
}

impl<K: Eq + Hash, V, S: BuildHasher + Default> FromIterator<(K, V)> for GoMap<K, V, S> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let iter = iter.into_iter();
        let mut m = GoMap::with_capacity_and_hasher(iter.size_hint().0, S::default());
        m.extend(iter);
        m
    }
}

impl<K: Eq + Hash, V, const N: usize> From<[(K, V); N]> for GoMap<K, V, DefaultHashBuilder> {
    fn from(arr: [(K, V); N]) -> Self {
        arr.into_iter().collect()
    }
}

impl<K: Eq + Hash + Borrow<Q>, Q: Eq + Hash + ?Sized, V, S: BuildHasher> Index<&Q>
    for GoMap<K, V, S>
{
    type Output = V;

    /// # Panics
    /// If the key is absent.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("gomap: key not found in map")
    }
}

impl<K, V, S> IntoIterator for GoMap<K, V, S> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;
    fn into_iter(mut self) -> IntoIter<K, V> {
        IntoIter {
            inner: IntoEntries::Table(OwnedIter::new(&mut self.raw)),
        }
    }
}

impl<'a, K, V, S> IntoIterator for &'a GoMap<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, S> IntoIterator for &'a mut GoMap<K, V, S> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}
