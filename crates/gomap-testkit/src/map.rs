//! The map types the runner can drive: [`GoMap`] and [`InlineGoMap`], which
//! share their surface (and their iterator, entry and cursor types), so one
//! runner checks both.

use std::any::Any;
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use gomap::{
    BucketLayout, Cursor, Drain, Entry, GoMap, HeaderView, InlineGoMap, IntoIter, IntoKeys,
    IntoValues, Iter, IterMut, IterRandomized, Keys, MapStats, MapStructure, SlotLocation,
    TryReserveError, Values, ValuesMut,
};

/// The surface of a map under test, implemented by [`GoMap`] and
/// [`InlineGoMap`] (each method is the map's own method of that name).
///
/// ```
/// use gomap_testkit::TestMap;
/// fn fill<M: TestMap<u64, u64, gomap::DefaultHashBuilder>>(m: &mut M) {
///     for i in 0..9 { m.insert(i, i); }
/// }
/// let mut m = gomap::InlineGoMap::new();
/// fill(&mut m);
/// assert_eq!((m.len(), TestMap::is_inline(&m)), (9, Some(false)));
/// ```
#[allow(missing_docs)]
pub trait TestMap<K, V, S>: Clone + PartialEq + Sized + 'static {
    /// The type's name, for messages.
    const NAME: &'static str;
    fn with_hasher(hasher: S) -> Self;
    /// `Some(is_inline())` for an [`InlineGoMap`], `None` for a [`GoMap`].
    fn is_inline(&self) -> Option<bool>;
    /// The map as a [`GoMap`] (`From<InlineGoMap>`; a `GoMap` as it is).
    fn into_gomap(self) -> GoMap<K, V, S>;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool;
    fn capacity(&self) -> usize;
    fn hasher(&self) -> &S;
    fn header(&self) -> HeaderView;
    fn stats(&self) -> MapStats;
    fn structure(&self) -> MapStructure;
    fn layout() -> BucketLayout;
    fn insert(&mut self, k: K, v: V) -> Option<V>;
    fn get<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>;
    fn get_key_value(&self, k: &K) -> Option<(&K, &V)>;
    /// `&map[k]`.
    fn index(&self, k: &K) -> &V;
    fn get_mut(&mut self, k: &K) -> Option<&mut V>;
    fn contains_key(&self, k: &K) -> bool;
    fn remove(&mut self, k: &K) -> Option<V>;
    fn remove_entry(&mut self, k: &K) -> Option<(K, V)>;
    fn entry(&mut self, k: K) -> Entry<'_, K, V, S>;
    fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F);
    fn clear(&mut self);
    fn shrink_to_fit(&mut self);
    fn shrink_to(&mut self, n: usize);
    fn reserve(&mut self, n: usize);
    fn try_reserve(&mut self, n: usize) -> Result<(), TryReserveError>;
    /// `Extend<(K, V)>`.
    fn extend_owned<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I);
    /// `Extend<(&u64, &u64)>` when this is a `u64 -> u64` map (returns
    /// false, doing nothing, for other types: the impl needs `Copy`).
    fn extend_by_ref_u64(&mut self, pairs: &[(u64, u64)]) -> bool;
    fn iter(&self) -> Iter<'_, K, V>;
    /// `(&map).into_iter()`.
    fn ref_into_iter(&self) -> Iter<'_, K, V>;
    fn keys(&self) -> Keys<'_, K, V>;
    fn values(&self) -> Values<'_, K, V>;
    fn iter_mut(&mut self) -> IterMut<'_, K, V>;
    /// `(&mut map).into_iter()`.
    fn mut_into_iter(&mut self) -> IterMut<'_, K, V>;
    fn values_mut(&mut self) -> ValuesMut<'_, K, V>;
    fn iter_randomized(&self) -> IterRandomized<'_, K, V, S>;
    fn cursor(&mut self) -> Cursor<'_, K, V, S>;
    fn drain(&mut self) -> Drain<'_, K, V, S>;
    fn into_iter(self) -> IntoIter<K, V>;
    fn into_keys(self) -> IntoKeys<K, V>;
    fn into_values(self) -> IntoValues<K, V>;
    fn locate(&self, k: &K) -> Option<SlotLocation>;
}

// One text for both types: they have the same methods.
macro_rules! impl_test_map {
    ($ty:ident, $name:literal, |$m:ident| $inline:expr, |$c:ident| $conv:expr) => {
        impl<K, V, S> TestMap<K, V, S> for $ty<K, V, S>
        where
            K: Hash + Eq + Clone + 'static,
            V: Clone + PartialEq + 'static,
            S: BuildHasher + Clone + 'static,
        {
            const NAME: &'static str = $name;
            fn with_hasher(hasher: S) -> Self {
                $ty::with_hasher(hasher)
            }
            fn is_inline(&self) -> Option<bool> {
                let $m = self;
                $inline
            }
            fn into_gomap(self) -> GoMap<K, V, S> {
                let $c = self;
                $conv
            }
            fn len(&self) -> usize {
                $ty::len(self)
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
            fn capacity(&self) -> usize {
                $ty::capacity(self)
            }
            fn hasher(&self) -> &S {
                $ty::hasher(self)
            }
            fn header(&self) -> HeaderView {
                $ty::header(self)
            }
            fn stats(&self) -> MapStats {
                $ty::stats(self)
            }
            fn structure(&self) -> MapStructure {
                $ty::structure(self)
            }
            fn layout() -> BucketLayout {
                $ty::<K, V, S>::layout()
            }
            fn insert(&mut self, k: K, v: V) -> Option<V> {
                $ty::insert(self, k, v)
            }
            fn get<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> Option<&V>
            where
                K: Borrow<Q>,
            {
                $ty::get(self, k)
            }
            fn get_key_value(&self, k: &K) -> Option<(&K, &V)> {
                $ty::get_key_value(self, k)
            }
            fn index(&self, k: &K) -> &V {
                &self[k]
            }
            fn get_mut(&mut self, k: &K) -> Option<&mut V> {
                $ty::get_mut(self, k)
            }
            fn contains_key(&self, k: &K) -> bool {
                $ty::contains_key(self, k)
            }
            fn remove(&mut self, k: &K) -> Option<V> {
                $ty::remove(self, k)
            }
            fn remove_entry(&mut self, k: &K) -> Option<(K, V)> {
                $ty::remove_entry(self, k)
            }
            fn entry(&mut self, k: K) -> Entry<'_, K, V, S> {
                $ty::entry(self, k)
            }
            fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
                $ty::retain(self, f)
            }
            fn clear(&mut self) {
                $ty::clear(self)
            }
            fn shrink_to_fit(&mut self) {
                $ty::shrink_to_fit(self)
            }
            fn shrink_to(&mut self, n: usize) {
                $ty::shrink_to(self, n)
            }
            fn reserve(&mut self, n: usize) {
                $ty::reserve(self, n)
            }
            fn try_reserve(&mut self, n: usize) -> Result<(), TryReserveError> {
                $ty::try_reserve(self, n)
            }
            fn extend_owned<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
                Extend::extend(self, pairs)
            }
            fn extend_by_ref_u64(&mut self, pairs: &[(u64, u64)]) -> bool {
                let any: &mut dyn Any = self;
                match any.downcast_mut::<$ty<u64, u64, S>>() {
                    Some(map) => {
                        map.extend(pairs.iter().map(|(k, v)| (k, v)));
                        true
                    }
                    None => false,
                }
            }
            fn iter(&self) -> Iter<'_, K, V> {
                $ty::iter(self)
            }
            fn ref_into_iter(&self) -> Iter<'_, K, V> {
                IntoIterator::into_iter(self)
            }
            fn keys(&self) -> Keys<'_, K, V> {
                $ty::keys(self)
            }
            fn values(&self) -> Values<'_, K, V> {
                $ty::values(self)
            }
            fn iter_mut(&mut self) -> IterMut<'_, K, V> {
                $ty::iter_mut(self)
            }
            fn mut_into_iter(&mut self) -> IterMut<'_, K, V> {
                IntoIterator::into_iter(self)
            }
            fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
                $ty::values_mut(self)
            }
            fn iter_randomized(&self) -> IterRandomized<'_, K, V, S> {
                $ty::iter_randomized(self)
            }
            fn cursor(&mut self) -> Cursor<'_, K, V, S> {
                $ty::cursor(self)
            }
            fn drain(&mut self) -> Drain<'_, K, V, S> {
                $ty::drain(self)
            }
            fn into_iter(self) -> IntoIter<K, V> {
                IntoIterator::into_iter(self)
            }
            fn into_keys(self) -> IntoKeys<K, V> {
                $ty::into_keys(self)
            }
            fn into_values(self) -> IntoValues<K, V> {
                $ty::into_values(self)
            }
            fn locate(&self, k: &K) -> Option<SlotLocation> {
                $ty::locate(self, k)
            }
        }
    };
}

impl_test_map!(GoMap, "GoMap", |_m| None, |m| m);
impl_test_map!(
    InlineGoMap,
    "InlineGoMap",
    |m| Some(InlineGoMap::is_inline(m)),
    |m| GoMap::from(m)
);
