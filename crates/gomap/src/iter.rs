//! Iterator types. `iter()` and friends walk storage order (stable for an
//! unchanged map); `iter_randomized()` is Go's `range` order.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::iter::FusedIterator;

use crate::raw::access::{MutIter, OwnedIter, RandIter, RawExtract, RefIter};
use crate::raw::inline::IntoEntries;
use crate::raw::table::RawTable;

macro_rules! exact_size {
    ($name:ident < $($lt:lifetime,)? $($g:ident),* >, $item:ty, $inner:ident) => {
        impl<$($lt,)? $($g),*> ExactSizeIterator for $name<$($lt,)? $($g),*> {
            fn len(&self) -> usize {
                self.$inner.len()
            }
        }
        impl<$($lt,)? $($g),*> FusedIterator for $name<$($lt,)? $($g),*> {}
    };
}

/// Shared references to every entry, from [`GoMap::iter`](crate::GoMap::iter).
///
/// ```
/// let m = gomap::GoMap::from([(1, 'a'), (2, 'b')]);
/// let it: gomap::Iter<'_, i32, char> = m.iter();
/// assert_eq!(it.len(), 2);
/// // The same order every time for an unchanged map.
/// assert!(m.iter().eq(it));
/// ```
pub struct Iter<'a, K, V> {
    pub(crate) inner: RefIter<'a, K, V>,
}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            inner: self.inner.clone(),
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.len(), Some(self.inner.len()))
    }
    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        self.inner.fold(init, f)
    }
}
exact_size!(Iter<'a, K, V>, (&'a K, &'a V), inner);

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// Mutable references to every value, from [`GoMap::iter_mut`](crate::GoMap::iter_mut).
///
/// ```
/// let mut m = gomap::GoMap::from([(1, 1), (2, 2)]);
/// let it: gomap::IterMut<'_, i32, i32> = m.iter_mut();
/// it.for_each(|(k, v)| *v += k);
/// assert_eq!(m[&2], 4);
/// ```
pub struct IterMut<'a, K, V> {
    pub(crate) inner: MutIter<'a, K, V>,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.len(), Some(self.inner.len()))
    }
    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        self.inner.fold(init, f)
    }
}
exact_size!(IterMut<'a, K, V>, (&'a K, &'a mut V), inner);

impl<K, V> fmt::Debug for IterMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterMut")
            .field("remaining", &self.inner.len())
            .finish()
    }
}

/// The entries by value, from `into_iter()`.
///
/// ```
/// let m = gomap::GoMap::from([(1, "one".to_string())]);
/// let it: gomap::IntoIter<i32, String> = m.into_iter();
/// assert_eq!(it.collect::<Vec<_>>(), [(1, "one".to_string())]);
/// ```
pub struct IntoIter<K, V> {
    pub(crate) inner: IntoEntries<K, V>,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.len(), Some(self.inner.len()))
    }
    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        self.inner.fold(init, f)
    }
}
exact_size!(IntoIter<K, V>, (K, V), inner);

impl<K, V> fmt::Debug for IntoIter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.inner.len())
            .finish()
    }
}

/// Removes and yields every entry, from [`GoMap::drain`](crate::GoMap::drain).
/// Dropping it early removes the rest; the map keeps its bucket array.
///
/// ```
/// let mut m: gomap::GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
/// let mut d: gomap::Drain<'_, u32, u32, _> = m.drain();
/// assert!(d.next().is_some());
/// drop(d); // the other 99 are removed too
/// assert!(m.is_empty() && m.capacity() > 0);
/// ```
pub struct Drain<'a, K, V, S> {
    pub(crate) inner: OwnedIter<K, V>,
    pub(crate) table: &'a mut RawTable<K, V, S>,
}

impl<K, V, S> Iterator for Drain<'_, K, V, S> {
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.len(), Some(self.inner.len()))
    }
    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, f: F) -> B {
        // The rest of Drain's work (emptying, handing the array back) runs
        // in its `Drop` right after.
        self.inner.fold_mut(init, f)
    }
}

impl<K, V, S> ExactSizeIterator for Drain<'_, K, V, S> {
    fn len(&self) -> usize {
        self.inner.len()
    }
}
impl<K, V, S> FusedIterator for Drain<'_, K, V, S> {}

impl<K, V, S> Drop for Drain<'_, K, V, S> {
    fn drop(&mut self) {
        self.inner.finish_into(self.table);
    }
}

impl<K, V, S> fmt::Debug for Drain<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain")
            .field("remaining", &self.inner.len())
            .finish()
    }
}

/// Go's `range` order, from [`GoMap::iter_randomized`](crate::GoMap::iter_randomized):
/// a random start bucket and start slot on every call.
///
/// ```
/// let m: gomap::GoMap<u32, ()> = (0..1000).map(|i| (i, ())).collect();
/// let it: gomap::IterRandomized<'_, u32, (), _> = m.iter_randomized();
/// let mut keys: Vec<u32> = it.map(|(k, _)| *k).collect();
/// keys.sort();
/// assert!(keys.into_iter().eq(0..1000));
/// ```
pub struct IterRandomized<'a, K, V, S> {
    pub(crate) inner: RandIter<'a, K, V, S>,
}

impl<'a, K: Hash, V, S: BuildHasher> Iterator for IterRandomized<'a, K, V, S> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.len(), Some(self.inner.len()))
    }
}

impl<K: Hash, V, S: BuildHasher> ExactSizeIterator for IterRandomized<'_, K, V, S> {
    fn len(&self) -> usize {
        self.inner.len()
    }
}
impl<K: Hash, V, S: BuildHasher> FusedIterator for IterRandomized<'_, K, V, S> {}

impl<K, V, S> fmt::Debug for IterRandomized<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IterRandomized")
            .field("remaining", &self.inner.len())
            .finish()
    }
}

macro_rules! projection {
    ($(#[$doc:meta])* $name:ident < $($lt:lifetime,)? $($g:ident),* >, $base:ident < $($blt:lifetime,)? $($bg:ident),* >, $item:ty, |$x:pat_param| $e:expr) => {
        $(#[$doc])*
        pub struct $name<$($lt,)? $($g),*> {
            pub(crate) inner: $base<$($blt,)? $($bg),*>,
        }
        impl<$($lt,)? $($g),*> Iterator for $name<$($lt,)? $($g),*> {
            type Item = $item;
            #[inline]
            fn next(&mut self) -> Option<$item> {
                self.inner.next().map(|$x| $e)
            }
            #[inline]
            fn fold<B, F: FnMut(B, $item) -> B>(self, init: B, mut f: F) -> B {
                self.inner.fold(init, move |acc, $x| f(acc, $e))
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                self.inner.size_hint()
            }
        }
        impl<$($lt,)? $($g),*> ExactSizeIterator for $name<$($lt,)? $($g),*> {
            fn len(&self) -> usize {
                self.inner.len()
            }
        }
        impl<$($lt,)? $($g),*> FusedIterator for $name<$($lt,)? $($g),*> {}
        impl<$($lt,)? $($g),*> fmt::Debug for $name<$($lt,)? $($g),*> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("remaining", &self.inner.len()).finish()
            }
        }
    };
}

projection!(
    /// The keys, from [`GoMap::keys`](crate::GoMap::keys), in `iter()` order.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a'), (2, 'b')]);
    /// let keys: gomap::Keys<'_, i32, char> = m.keys();
    /// assert!(keys.zip(m.iter()).all(|(k, (k2, _))| k == k2));
    /// ```
    Keys<'a, K, V>, Iter<'a, K, V>, &'a K, |(k, _)| k
);
projection!(
    /// The values, from [`GoMap::values`](crate::GoMap::values), in `iter()` order.
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, 'a'), (2, 'b')]);
    /// let values: gomap::Values<'_, i32, char> = m.values();
    /// assert!(values.zip(m.iter()).all(|(v, (_, v2))| v == v2));
    /// ```
    Values<'a, K, V>, Iter<'a, K, V>, &'a V, |(_, v)| v
);
projection!(
    /// Mutable values, from [`GoMap::values_mut`](crate::GoMap::values_mut).
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 1)]);
    /// let values: gomap::ValuesMut<'_, i32, i32> = m.values_mut();
    /// values.for_each(|v| *v = 7);
    /// assert_eq!(m[&1], 7);
    /// ```
    ValuesMut<'a, K, V>, IterMut<'a, K, V>, &'a mut V, |(_, v)| v
);
projection!(
    /// Owned keys, from [`GoMap::into_keys`](crate::GoMap::into_keys).
    ///
    /// ```
    /// let m = gomap::GoMap::from([("k".to_string(), 1)]);
    /// let keys: gomap::IntoKeys<String, i32> = m.into_keys();
    /// assert_eq!(keys.collect::<Vec<_>>(), ["k"]);
    /// ```
    IntoKeys<K, V>, IntoIter<K, V>, K, |(k, _)| k
);
projection!(
    /// Owned values, from [`GoMap::into_values`](crate::GoMap::into_values).
    ///
    /// ```
    /// let m = gomap::GoMap::from([(1, "v".to_string())]);
    /// let values: gomap::IntoValues<i32, String> = m.into_values();
    /// assert_eq!(values.collect::<Vec<_>>(), ["v"]);
    /// ```
    IntoValues<K, V>, IntoIter<K, V>, V, |(_, v)| v
);

impl<K, V> Clone for Keys<'_, K, V> {
    fn clone(&self) -> Self {
        Keys {
            inner: self.inner.clone(),
        }
    }
}
impl<K, V> Clone for Values<'_, K, V> {
    fn clone(&self) -> Self {
        Values {
            inner: self.inner.clone(),
        }
    }
}

/// Removes and yields the entries a predicate accepts, from
/// [`GoMap::extract_if`](crate::GoMap::extract_if) (std's `extract_if`).
///
/// Lazy: each `next` walks on to the next accepted entry. Dropped early, it
/// leaves every entry it has not yet yielded in the map.
///
/// ```
/// let mut m: gomap::GoMap<u32, u32> = (0..8).map(|i| (i, i)).collect();
/// let mut odd: gomap::ExtractIf<'_, u32, u32, _, _> = m.extract_if(|k, _| k % 2 == 1);
/// assert!(odd.next().is_some_and(|(k, _)| k % 2 == 1));
/// drop(odd);
/// assert_eq!(m.len(), 7);
/// ```
pub struct ExtractIf<'a, K, V, F, S = crate::DefaultHashBuilder>
where
    F: FnMut(&K, &mut V) -> bool,
{
    pub(crate) inner: RawExtract<'a, K, V, S>,
    pub(crate) pred: F,
}

impl<K, V, F, S> Iterator for ExtractIf<'_, K, V, F, S>
where
    F: FnMut(&K, &mut V) -> bool,
{
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        self.inner.next(&mut self.pred)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.inner.remaining()))
    }
}

impl<K, V, F, S> FusedIterator for ExtractIf<'_, K, V, F, S> where F: FnMut(&K, &mut V) -> bool {}

impl<K, V, F, S> fmt::Debug for ExtractIf<'_, K, V, F, S>
where
    F: FnMut(&K, &mut V) -> bool,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtractIf")
            .field("remaining", &self.inner.remaining())
            .finish_non_exhaustive()
    }
}
