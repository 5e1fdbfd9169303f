//! `InlineGoMap`: Go's non-escaping small map, with the header and the first
//! bucket inside the map value.
//!
//! The prose is on the type.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::Index;

use crate::cursor::Cursor;
use crate::entry::Entry;
use crate::iter::{
    Drain, IntoIter, IntoKeys, IntoValues, Iter, IterMut, IterRandomized, Keys, Values, ValuesMut,
};
use crate::map::{DefaultHashBuilder, GoMap};
use crate::raw::alloc::TryReserveError;
use crate::raw::inline::InlineStorage;
use crate::raw::layout::BucketLayout;
use crate::raw::table::b_for_hint;
use crate::stats::{HeaderView, MapStats, MapStructure, SlotLocation};
use crate::walk::{HeapKind, HeapObject};

/// Go's non-escaping map: the header and one bucket inline in the value, no
/// allocation up to 8 entries, Go's own growth on the ninth key.
///
/// It has the surface of [`GoMap`] and is, after its ninth key, a `GoMap`
/// in every respect.
///
/// # A map that does not escape
///
/// When a Go map does not escape its function and its size hint is at most
/// 8, the compiler places the `hmap` header *and one bucket* in the stack
/// frame (`go build -gcflags=-m` prints `make(map[...]...) does not
/// escape`), and the runtime's `makemap_small` / `makemap` only fill them
/// in. Such a map touches no allocator until its ninth key.
///
/// [`InlineGoMap`] is the Rust counterpart, chosen by the caller: the value
/// holds the header and one bucket laid out exactly as
/// [`BucketLayout::of::<K, V>()`](crate::BucketLayout::of) says, wherever
/// the value is placed (stack, struct field, `Vec` element, `Box`), and it
/// does better than Go: Go must move an escaping map to the heap, but a
/// Rust move copies bytes, so a map that is returned, stored or boxed stays
/// inline.
///
/// - Up to 8 entries: no allocation at all (keys and values over 128 bytes
///   are boxed, as in Go), `stats().heap_bytes == 0`, one bucket (`b ==
///   0`), `capacity() == 8`.
/// - The ninth new key is Go's `hashGrow` from B = 0: one allocation of the
///   2-bucket array, the 8 entries evacuated within that same insert (there
///   is one old bucket), and from then on the map is a [`GoMap`] in every
///   respect. Updating a present key of a full inline map never spills.
/// - Removing entries does not move it back (Go never shrinks);
///   [`InlineGoMap::shrink_to_fit`] with at most 8 entries does, and frees
///   every heap byte.
///
/// # When to choose it
///
/// For many small, short-lived maps (per request, per record, per call),
/// where the allocator would be most of their cost, and for maps kept in
/// large numbers inside other values, most of which stay small. Choose
/// [`GoMap`] when maps usually grow past 8 entries (the inline bucket is then
/// dead weight in every value), and for keys or values over 128 bytes that
/// are aligned to more than 8 bytes (they cannot be stored inline; such an
/// `InlineGoMap` starts on the heap).
///
/// # Size
///
/// `size_of::<InlineGoMap<K, V>>()` is the header (`size_of::<GoMap<K,
/// V>>()`) plus one bucket, rounded to the bucket's alignment. For a key or
/// value over 128 bytes the bucket stores a pointer in that slot, but the
/// value still reserves room for 8 unboxed keys or values, so it is larger
/// than header + bucket: prefer `GoMap` for such types.
///
/// # Example
///
/// ```
/// use gomap::InlineGoMap;
///
/// fn word_counts(text: &str) -> InlineGoMap<&str, u32> {
///     let mut m = InlineGoMap::new();
///     for w in text.split(' ') {
///         *m.entry(w).or_insert(0) += 1;
///     }
///     m // returned by value: still inline, nothing allocated
/// }
///
/// let m = word_counts("to be or not to be");
/// assert_eq!(m["be"], 2);
/// assert!(m.is_inline());
/// assert_eq!(m.stats().heap_bytes, 0);
/// ```
#[repr(transparent)]
pub struct InlineGoMap<K, V, S = DefaultHashBuilder> {
    inner: InlineStorage<K, V, S>,
}

impl<K, V> InlineGoMap<K, V, DefaultHashBuilder> {
    /// An empty inline map. Allocates nothing; its first 8 keys do not either.
    ///
    /// Not a `const fn`: the default hasher draws a random seed (Go's
    /// `hash0`). [`InlineGoMap::with_hasher`] is `const`.
    ///
    /// ```
    /// let m: gomap::InlineGoMap<u64, u64> = gomap::InlineGoMap::new();
    /// assert_eq!((m.len(), m.capacity()), (0, 8));
    /// ```
    pub fn new() -> Self {
        InlineGoMap::with_hasher(DefaultHashBuilder::default())
    }

    /// A map for `capacity` entries: a hint up to 8 stays inline; a larger
    /// one allocates its array at once, like Go's `makemap` with a
    /// stack-allocated header and a nil bucket.
    ///
    /// ```
    /// let small: gomap::InlineGoMap<u64, u64> = gomap::InlineGoMap::with_capacity(8);
    /// assert!(small.is_inline());
    /// let big: gomap::InlineGoMap<u64, u64> = gomap::InlineGoMap::with_capacity(100);
    /// assert!(!big.is_inline() && big.capacity() >= 100);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        InlineGoMap::with_capacity_and_hasher(capacity, DefaultHashBuilder::default())
    }
}

impl<K, V, S> InlineGoMap<K, V, S> {
    /// An empty inline map using `hash_builder`.
    ///
    /// ```
    /// use gomap::InlineGoMap;
    /// use foldhash::fast::FixedState;
    /// // `const`: an empty map can be a static.
    /// static EMPTY: InlineGoMap<u32, u32, FixedState> = InlineGoMap::with_hasher(FixedState::with_seed(7));
    /// assert!(EMPTY.is_empty());
    /// ```
    pub const fn with_hasher(hash_builder: S) -> Self {
        InlineGoMap {
            inner: InlineStorage::with_hasher(hash_builder),
        }
    }

    /// [`InlineGoMap::with_capacity`] with a given hasher.
    ///
    /// # Panics
    /// If the array would not fit in memory.
    ///
    /// ```
    /// let m: gomap::InlineGoMap<u8, u8, _> =
    ///     gomap::InlineGoMap::with_capacity_and_hasher(3, std::hash::RandomState::new());
    /// assert!(m.is_inline());
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        match b_for_hint::<K, V>(capacity) {
            Ok(0) => InlineGoMap::with_hasher(hash_builder),
            _ => InlineGoMap {
                inner: InlineStorage::from_map(GoMap::with_capacity_and_hasher(
                    capacity,
                    hash_builder,
                )),
            },
        }
    }

    /// Whether the entries live in the value's own bucket (no heap array).
    ///
    /// ```
    /// let mut m: gomap::InlineGoMap<u32, u32> = (0..8).map(|i| (i, i)).collect();
    /// assert!(m.is_inline());
    /// m.insert(8, 8); // Go's hashGrow from B = 0
    /// assert!(!m.is_inline());
    /// ```
    pub fn is_inline(&self) -> bool {
        self.inner.is_inline()
    }

    /// The hasher.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::<u8, u8>::new();
    /// let _h: &gomap::DefaultHashBuilder = m.hasher();
    /// ```
    pub fn hasher(&self) -> &S {
        self.inner.map().hasher()
    }

    /// Number of entries.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 2)]);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.map().len()
    }

    /// No entries.
    ///
    /// ```
    /// assert!(gomap::InlineGoMap::<u8, u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.map().is_empty()
    }

    /// Entries that fit before the next doubling: 8 while inline.
    ///
    /// ```
    /// assert_eq!(gomap::InlineGoMap::<u8, u8>::new().capacity(), 8);
    /// ```
    pub fn capacity(&self) -> usize {
        self.inner.map().capacity()
    }

    /// Every entry, in storage order (see [`GoMap::iter`]).
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 'a'), (2, 'b')]);
    /// let mut v: Vec<_> = m.iter().collect();
    /// v.sort();
    /// assert_eq!(v, [(&1, &'a'), (&2, &'b')]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            inner: self.inner.iter(),
        }
    }

    /// Every entry with a mutable value.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 1), (2, 2)]);
    /// for (_, v) in m.iter_mut() { *v *= 10; }
    /// assert_eq!(m[&2], 20);
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.inner.map_mut().iter_mut()
    }

    /// The keys, in `iter()` order.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [&1]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys { inner: self.iter() }
    }

    /// The values, in `iter()` order.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&'a']);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        Values { inner: self.iter() }
    }

    /// The values, mutably.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 1)]);
    /// m.values_mut().for_each(|v| *v += 1);
    /// assert_eq!(m[&1], 2);
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        self.inner.map_mut().values_mut()
    }

    /// The keys by value, consuming the map (no allocation while inline).
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
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
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert_eq!(m.into_values().collect::<Vec<_>>(), ['a']);
    /// ```
    pub fn into_values(self) -> IntoValues<K, V> {
        IntoValues {
            inner: self.into_iter(),
        }
    }

    /// Removes every entry, yielding them; an inline map stays inline, a
    /// heap map keeps its array.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.drain().count(), 2);
    /// assert!(m.is_empty() && m.is_inline());
    /// ```
    pub fn drain(&mut self) -> Drain<'_, K, V, S> {
        self.inner.map_mut().drain()
    }

    /// Keeps only the entries for which `f` returns true.
    ///
    /// ```
    /// let mut m: gomap::InlineGoMap<u32, u32> = (0..8).map(|i| (i, i)).collect();
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 4);
    /// ```
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        self.inner.map_mut().retain(f)
    }

    /// Removes every entry, keeping the storage (the inline bucket, or the
    /// heap array, as Go's `mapclear`).
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 'a')]);
    /// m.clear();
    /// assert!(m.is_empty() && m.is_inline());
    /// ```
    pub fn clear(&mut self) {
        self.inner.map_mut().clear()
    }

    /// The bucket layout for `(K, V)`: the inline bucket is laid out so.
    ///
    /// ```
    /// assert_eq!(gomap::InlineGoMap::<u64, u64>::layout().bucket_size, 144);
    /// ```
    pub const fn layout() -> BucketLayout {
        GoMap::<K, V, S>::layout()
    }

    /// The header fields now; `buckets` is the inline bucket's address while
    /// inline.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1u8, 1u8)]);
    /// let h = m.header();
    /// let at = &m as *const _ as usize;
    /// assert!((at..at + std::mem::size_of_val(&m)).contains(&h.buckets));
    /// ```
    pub fn header(&self) -> HeaderView {
        self.inner.read(|v| v.header(), |m| m.header())
    }

    /// Structure and memory numbers (see [`GoMap::stats`]). While inline:
    /// `heap_bytes == 0` (for keys and values of at most 128 bytes),
    /// `b == 0`, `buckets == 1`, and `buckets_addr` lies inside the value.
    ///
    /// ```
    /// let m: gomap::InlineGoMap<u64, u64> = (0..8).map(|i| (i, i)).collect();
    /// let s = m.stats();
    /// assert_eq!((s.len, s.b, s.buckets, s.heap_bytes), (8, 0, 1, 0));
    /// ```
    pub fn stats(&self) -> MapStats {
        self.inner.read(|v| v.stats(), |m| m.stats())
    }

    /// Every allocation the map owns, in Go's GC marking order (see
    /// [`GoMap::heap_walk`]): the `InlineGoMap` value first; while inline
    /// its bucket is part of that value, so only keys and values over 128
    /// bytes (boxed) follow, with the value as their parent. The sizes after
    /// the first add up to `stats().heap_bytes`.
    ///
    /// ```
    /// use gomap::{HeapKind, InlineGoMap};
    /// let mut m: InlineGoMap<u64, [u8; 200]> = (0..3).map(|i| (i, [0; 200])).collect();
    /// let walk = m.heap_walk();
    /// assert_eq!((walk[0].kind, walk[0].addr), (HeapKind::Map, &m as *const _ as usize));
    /// assert_eq!(walk.len(), 1 + 3); // the three boxed values, no bucket array
    /// assert!(walk[1..].iter().all(|o| o.kind == HeapKind::IndirectValue && o.parent == Some(0)));
    /// for i in 3..9 { m.insert(i, [0; 200]); } // spilled: now a heap array too
    /// assert_eq!(m.heap_walk()[1].kind, HeapKind::Buckets);
    /// ```
    pub fn heap_walk(&self) -> Vec<HeapObject> {
        let mut out = vec![HeapObject {
            kind: HeapKind::Map,
            addr: self as *const Self as usize,
            size: core::mem::size_of::<Self>(),
            parent: None,
        }];
        self.inner.heap_walk_from(&mut out, 0);
        out
    }

    /// Every bucket's tophash bytes and chain (see [`GoMap::structure`]).
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1u8, 1u8)]);
    /// assert_eq!(m.structure().current.unwrap().chains.len(), 1);
    /// ```
    pub fn structure(&self) -> MapStructure {
        self.inner.read(|v| v.structure(), |m| m.structure())
    }
}

impl<K, V, S> InlineGoMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    /// Inserts, returning the old value if the key was present. The ninth
    /// new key moves the map to the heap (Go's `hashGrow` from B = 0).
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::new();
    /// assert_eq!(m.insert(1, 'a'), None);
    /// assert_eq!(m.insert(1, 'b'), Some('a'));
    /// ```
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.inner.insert(key, value)
    }

    /// The value for `key`.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([("a".to_string(), 1)]);
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
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert_eq!(m.get_key_value(&1), Some((&1, &'a')));
    /// ```
    #[inline]
    pub fn get_key_value<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.inner.map().raw.hash(key);
        self.inner.find(hash, |k| k.borrow() == key)
    }

    /// The value for `key`, mutably.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 1)]);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m[&1], 2);
    /// ```
    #[inline]
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.inner.map().raw.hash(key);
        self.inner.find_mut(hash, |k| k.borrow() == key)
    }

    /// Whether `key` is present.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert!(m.contains_key(&1) && !m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.get_key_value(key).is_some()
    }

    /// Removes `key`, returning its value. A map on the heap stays there.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert_eq!(m.remove(&1), Some('a'));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    #[inline]
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.inner.map_mut().remove(key)
    }

    /// Removes `key`, returning the stored key and value.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 'a')]);
    /// assert_eq!(m.remove_entry(&1), Some((1, 'a')));
    /// ```
    #[inline]
    pub fn remove_entry<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.inner.map_mut().remove_entry(key)
    }

    /// The entry for `key`, for in-place get-or-insert.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::new();
    /// for w in ["a", "b", "a"] { *m.entry(w).or_insert(0) += 1; }
    /// assert_eq!(m["a"], 2);
    /// ```
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V, S> {
        self.inner.map_mut().entry(key)
    }

    /// Makes room for `additional` more entries without a doubling; past 8
    /// this moves the map to the heap (all at once, like [`GoMap::reserve`]).
    ///
    /// # Panics
    /// If the new size overflows or cannot be allocated.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::<u64, u64>::new();
    /// m.reserve(8);
    /// assert!(m.is_inline());
    /// m.reserve(100);
    /// assert!(!m.is_inline() && m.capacity() >= 100);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.inner.map_mut().reserve(additional)
    }

    /// Like [`InlineGoMap::reserve`], returning an error instead of panicking.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::<u64, u64>::new();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// assert!(m.is_inline());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.inner.map_mut().try_reserve(additional)
    }

    /// Shrinks as far as `len()` allows: with at most 8 entries, back into
    /// the inline bucket, freeing every heap byte.
    ///
    /// ```
    /// let mut m: gomap::InlineGoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
    /// m.retain(|&k, _| k < 5);
    /// assert!(!m.is_inline()); // Go never shrinks by itself
    /// m.shrink_to_fit();
    /// assert!(m.is_inline() && m.stats().heap_bytes == 0 && m.len() == 5);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.shrink_to(0)
    }

    /// Shrinks to hold `max(len(), min_capacity)` entries: inline when that
    /// is at most 8, else as [`GoMap::shrink_to`]; never grows.
    ///
    /// ```
    /// let mut m: gomap::InlineGoMap<u64, u64> = (0..100).map(|i| (i, i)).collect();
    /// m.clear();
    /// m.shrink_to(8);
    /// assert!(m.is_inline());
    /// ```
    pub fn shrink_to(&mut self, min_capacity: usize) {
        self.inner.shrink_to(min_capacity)
    }

    /// Go's `range` order: a random start bucket and slot per call.
    ///
    /// ```
    /// let m: gomap::InlineGoMap<u32, ()> = (0..8).map(|i| (i, ())).collect();
    /// assert_eq!(m.iter_randomized().count(), 8);
    /// ```
    pub fn iter_randomized(&self) -> IterRandomized<'_, K, V, S> {
        IterRandomized {
            inner: self.inner.iter_randomized(),
        }
    }

    /// A cursor for Go's range-with-mutation (see [`Cursor`]); its inserts
    /// may spill the map mid-walk, with Go's guarantees kept.
    ///
    /// ```
    /// let mut m = gomap::InlineGoMap::from([(1, 1), (2, 2)]);
    /// let mut c = m.cursor();
    /// while let Some((&k, _)) = c.next() { if k == 1 { c.remove_current(); } }
    /// drop(c);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn cursor(&mut self) -> Cursor<'_, K, V, S> {
        self.inner.map_mut().cursor()
    }

    /// Where `key`'s entry lies in memory (inside the value while inline).
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(5u64, 6u64)]);
    /// let loc = m.locate(&5).unwrap();
    /// let at = &m as *const _ as usize;
    /// assert!((at..at + std::mem::size_of_val(&m)).contains(&loc.key_addr));
    /// ```
    pub fn locate<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<SlotLocation>
    where
        K: Borrow<Q>,
    {
        if self.is_empty() {
            return None;
        }
        let hash = self.inner.map().raw.hash(key);
        self.inner
            .read(|v| v.locate(hash, |k| k.borrow() == key), |m| m.locate(key))
    }
}

impl<K, V, S: Default> Default for InlineGoMap<K, V, S> {
    fn default() -> Self {
        InlineGoMap::with_hasher(S::default())
    }
}

impl<K: Clone + Hash, V: Clone, S: Clone + BuildHasher> Clone for InlineGoMap<K, V, S> {
    /// An inline map clones inline (same slots); a heap map as [`GoMap`] does.
    fn clone(&self) -> Self {
        InlineGoMap {
            inner: if self.is_inline() {
                self.inner.clone_inline()
            } else {
                InlineStorage::from_map(self.inner.map().clone())
            },
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for InlineGoMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Eq + Hash, V: PartialEq, S: BuildHasher> PartialEq for InlineGoMap<K, V, S> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq + Hash, V: Eq, S: BuildHasher> Eq for InlineGoMap<K, V, S> {}

impl<K: Eq + Hash, V, S: BuildHasher> Extend<(K, V)> for InlineGoMap<K, V, S> {
    /// Inserts one by one, as [`GoMap`] does.
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K: Eq + Hash + Copy, V: Copy, S: BuildHasher> Extend<(&'a K, &'a V)>
    for InlineGoMap<K, V, S>
{
    fn extend<T: IntoIterator<Item = (&'a K, &'a V)>>(&mut self, iter: T) {
        self.extend(iter.into_iter().map(|(&k, &v)| (k, v)))
    }
}

impl<K: Eq + Hash, V, S: BuildHasher + Default> FromIterator<(K, V)> for InlineGoMap<K, V, S> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let iter = iter.into_iter();
        let mut m = InlineGoMap::with_capacity_and_hasher(iter.size_hint().0, S::default());
        m.extend(iter);
        m
    }
}

impl<K: Eq + Hash, V, const N: usize> From<[(K, V); N]> for InlineGoMap<K, V, DefaultHashBuilder> {
    fn from(arr: [(K, V); N]) -> Self {
        arr.into_iter().collect()
    }
}

impl<K, V, S> From<InlineGoMap<K, V, S>> for GoMap<K, V, S> {
    /// An inline map's bucket is copied into one heap bucket (its B = 0
    /// array); a map already on the heap hands its header over as it is.
    ///
    /// ```
    /// let m = gomap::InlineGoMap::from([(1, 'a')]);
    /// let g: gomap::GoMap<_, _> = m.into();
    /// assert_eq!((g[&1], g.stats().buckets), ('a', 1));
    /// ```
    fn from(m: InlineGoMap<K, V, S>) -> Self {
        m.inner.into_map()
    }
}

impl<K: Eq + Hash + Borrow<Q>, Q: Eq + Hash + ?Sized, V, S: BuildHasher> Index<&Q>
    for InlineGoMap<K, V, S>
{
    type Output = V;

    /// # Panics
    /// If the key is absent.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("gomap: key not found in map")
    }
}

impl<K, V, S> IntoIterator for InlineGoMap<K, V, S> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;
    /// The entries by value. An inline map's bucket moves into the
    /// iterator (no allocation).
    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter {
            inner: self.inner.into_entries(),
        }
    }
}

impl<'a, K, V, S> IntoIterator for &'a InlineGoMap<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, S> IntoIterator for &'a mut InlineGoMap<K, V, S> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}
