//! Parallel iteration with rayon (feature `rayon`).
//!
//! The borrowing iterators ([`ParIter`], [`ParIterMut`] and their key and
//! value projections) split the walk at chain boundaries: a part is a range
//! of head buckets with their overflow chains, and while a growth is in
//! progress the not-yet-evacuated old buckets form parts of their own, so
//! every entry is yielded exactly once, mid-growth too. Nothing moves while
//! they run (they borrow the map), and they do no growth work.
//!
//! The owning ones ([`IntoParIter`] from `into_par_iter()`, [`ParDrain`] from
//! `par_drain()`) first move the entries into a `Vec` (one sequential pass)
//! and then hand that out in parallel. `par_extend` and `collect()` gather
//! the items in parallel into a `Vec`, then insert them one by one, so
//! growth stays incremental as with `extend`.

use core::hash::{BuildHasher, Hash};

use rayon::iter::plumbing::{bridge_unindexed, Folder, UnindexedConsumer, UnindexedProducer};
use rayon::iter::{FromParallelIterator, IntoParallelIterator, ParallelExtend, ParallelIterator};

use crate::raw::access::{MutIter, RefIter};
use crate::GoMap;

/// Shared references to every entry, in parallel, from
/// [`GoMap::par_iter`](crate::GoMap::par_iter).
///
/// ```
/// use rayon::prelude::*;
/// let m: gomap::GoMap<u32, u32> = (0..1000).map(|i| (i, i)).collect();
/// let it: gomap::ParIter<'_, u32, u32> = m.par_iter();
/// assert_eq!(it.map(|(_, v)| *v as u64).sum::<u64>(), 499_500);
/// ```
pub struct ParIter<'a, K, V> {
    inner: RefIter<'a, K, V>,
}

impl<K, V> Clone for ParIter<'_, K, V> {
    fn clone(&self) -> Self {
        ParIter {
            inner: self.inner.clone(),
        }
    }
}

impl<K, V> core::fmt::Debug for ParIter<'_, K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ParIter")
            .field("len", &self.inner.len())
            .finish()
    }
}

struct RefProducer<'a, K, V>(RefIter<'a, K, V>);

impl<'a, K: Sync, V: Sync> UnindexedProducer for RefProducer<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn split(mut self) -> (Self, Option<Self>) {
        let other = self.0.split().map(RefProducer);
        (self, other)
    }

    fn fold_with<F: Folder<Self::Item>>(self, folder: F) -> F {
        folder.consume_iter(self.0)
    }
}

impl<'a, K: Sync, V: Sync> ParallelIterator for ParIter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn drive_unindexed<C: UnindexedConsumer<Self::Item>>(self, consumer: C) -> C::Result {
        bridge_unindexed(RefProducer(self.inner), consumer)
    }
}

/// Mutable references to every value, in parallel, from
/// [`GoMap::par_iter_mut`](crate::GoMap::par_iter_mut).
///
/// ```
/// use rayon::prelude::*;
/// let mut m: gomap::GoMap<u32, u32> = (0..1000).map(|i| (i, i)).collect();
/// let it: gomap::ParIterMut<'_, u32, u32> = m.par_iter_mut();
/// it.for_each(|(_, v)| *v += 1);
/// assert_eq!(m[&999], 1000);
/// ```
pub struct ParIterMut<'a, K, V> {
    inner: MutIter<'a, K, V>,
}

impl<K, V> core::fmt::Debug for ParIterMut<'_, K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ParIterMut")
            .field("len", &self.inner.len())
            .finish()
    }
}

struct MutProducer<'a, K, V>(MutIter<'a, K, V>);

impl<'a, K: Send + Sync, V: Send> UnindexedProducer for MutProducer<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn split(mut self) -> (Self, Option<Self>) {
        let other = self.0.split().map(MutProducer);
        (self, other)
    }

    fn fold_with<F: Folder<Self::Item>>(self, folder: F) -> F {
        folder.consume_iter(self.0)
    }
}

impl<'a, K: Send + Sync, V: Send> ParallelIterator for ParIterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn drive_unindexed<C: UnindexedConsumer<Self::Item>>(self, consumer: C) -> C::Result {
        bridge_unindexed(MutProducer(self.inner), consumer)
    }
}

macro_rules! par_projection {
    ($(#[$doc:meta])* $name:ident, $base:ident, $item:ty, [$($bound:tt)*], |$x:pat_param| $e:expr) => {
        $(#[$doc])*
        pub struct $name<'a, K, V> {
            inner: $base<'a, K, V>,
        }

        impl<K, V> core::fmt::Debug for $name<'_, K, V> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.inner.inner.len())
                    .finish()
            }
        }

        impl<'a, K, V> ParallelIterator for $name<'a, K, V>
        where
            $($bound)*
        {
            type Item = $item;

            fn drive_unindexed<C: UnindexedConsumer<Self::Item>>(self, consumer: C) -> C::Result {
                self.inner.map(|$x| $e).drive_unindexed(consumer)
            }
        }
    };
}

par_projection!(
    /// The keys, in parallel, from [`GoMap::par_keys`](crate::GoMap::par_keys).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let m: gomap::GoMap<u32, ()> = (0..100).map(|i| (i, ())).collect();
    /// let keys: gomap::ParKeys<'_, u32, ()> = m.par_keys();
    /// assert_eq!(keys.max(), Some(&99));
    /// ```
    ParKeys, ParIter, &'a K, [K: Sync, V: Sync], |(k, _)| k
);
par_projection!(
    /// The values, in parallel, from [`GoMap::par_values`](crate::GoMap::par_values).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let m: gomap::GoMap<u32, u64> = (0..100).map(|i| (i, 2)).collect();
    /// let values: gomap::ParValues<'_, u32, u64> = m.par_values();
    /// assert_eq!(values.sum::<u64>(), 200);
    /// ```
    ParValues, ParIter, &'a V, [K: Sync, V: Sync], |(_, v)| v
);
par_projection!(
    /// The values, mutably and in parallel, from
    /// [`GoMap::par_values_mut`](crate::GoMap::par_values_mut).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let mut m: gomap::GoMap<u32, u64> = (0..100).map(|i| (i, 2)).collect();
    /// let values: gomap::ParValuesMut<'_, u32, u64> = m.par_values_mut();
    /// values.for_each(|v| *v *= 3);
    /// assert!(m.values().all(|&v| v == 6));
    /// ```
    ParValuesMut, ParIterMut, &'a mut V, [K: Send + Sync, V: Send], |(_, v)| v
);

macro_rules! par_owned {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<K, V> {
            entries: Vec<(K, V)>,
        }

        impl<K, V> core::fmt::Debug for $name<K, V> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.entries.len())
                    .finish()
            }
        }

        impl<K: Send, V: Send> ParallelIterator for $name<K, V> {
            type Item = (K, V);

            fn drive_unindexed<C: UnindexedConsumer<Self::Item>>(self, consumer: C) -> C::Result {
                self.entries.into_par_iter().drive_unindexed(consumer)
            }

            fn opt_len(&self) -> Option<usize> {
                Some(self.entries.len())
            }
        }
    };
}

par_owned!(
    /// The entries by value, in parallel, from `GoMap::into_par_iter`.
    ///
    /// The entries are first moved into a `Vec` in one sequential pass (the
    /// map's memory is freed), which is then split evenly.
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let m: gomap::GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// let it: gomap::IntoParIter<u32, u32> = m.into_par_iter();
    /// assert_eq!(it.map(|(k, v)| k + v).sum::<u32>(), 9900);
    /// ```
    IntoParIter
);
par_owned!(
    /// Every entry removed and yielded in parallel, from
    /// [`GoMap::par_drain`](crate::GoMap::par_drain).
    ///
    /// The map is emptied (keeping its bucket array, as `drain` does) when
    /// `par_drain` returns: the entries are moved into a `Vec` in one
    /// sequential pass, which is then split evenly.
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let mut m: gomap::GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// let d: gomap::ParDrain<u32, u32> = m.par_drain();
    /// assert!(m.is_empty());
    /// assert_eq!(d.count(), 100);
    /// ```
    ParDrain
);

impl<K, V, S> GoMap<K, V, S> {
    /// Shared references to every entry, in parallel (feature `rayon`). The
    /// walk splits at bucket-chain boundaries; mid-growth, the old buckets
    /// not yet evacuated are parts of their own. Same entries as `iter()`.
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let m: gomap::GoMap<u64, u64> = (0..10_000).map(|i| (i, i)).collect();
    /// let sum: u64 = m.par_iter().map(|(k, v)| k + v).sum();
    /// assert_eq!(sum, m.iter().map(|(k, v)| k + v).sum());
    /// ```
    pub fn par_iter(&self) -> ParIter<'_, K, V> {
        ParIter {
            inner: RefIter::new(&self.raw),
        }
    }

    /// Mutable references to every value, in parallel (feature `rayon`).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let mut m: gomap::GoMap<u64, u64> = (0..10_000).map(|i| (i, i)).collect();
    /// m.par_iter_mut().for_each(|(k, v)| *v += k);
    /// assert_eq!(m[&7], 14);
    /// ```
    pub fn par_iter_mut(&mut self) -> ParIterMut<'_, K, V> {
        ParIterMut {
            inner: MutIter::new(&mut self.raw),
        }
    }

    /// The keys, in parallel (feature `rayon`).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let m: gomap::GoMap<u64, ()> = (0..1000).map(|i| (i, ())).collect();
    /// assert_eq!(m.par_keys().filter(|&&k| k % 2 == 0).count(), 500);
    /// ```
    pub fn par_keys(&self) -> ParKeys<'_, K, V> {
        ParKeys {
            inner: self.par_iter(),
        }
    }

    /// The values, in parallel (feature `rayon`).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let m: gomap::GoMap<u64, u64> = (0..1000).map(|i| (i, 1)).collect();
    /// assert_eq!(m.par_values().sum::<u64>(), 1000);
    /// ```
    pub fn par_values(&self) -> ParValues<'_, K, V> {
        ParValues {
            inner: self.par_iter(),
        }
    }

    /// The values, mutably and in parallel (feature `rayon`).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let mut m: gomap::GoMap<u64, u64> = (0..1000).map(|i| (i, 1)).collect();
    /// m.par_values_mut().for_each(|v| *v = 5);
    /// assert_eq!(m[&999], 5);
    /// ```
    pub fn par_values_mut(&mut self) -> ParValuesMut<'_, K, V> {
        ParValuesMut {
            inner: self.par_iter_mut(),
        }
    }

    /// Removes every entry and yields them in parallel (feature `rayon`).
    /// The map is empty, with its bucket array kept, when this returns: the
    /// entries are first moved into a `Vec` (one sequential pass).
    ///
    /// ```
    /// use rayon::prelude::*;
    /// let mut m: gomap::GoMap<u64, u64> = (0..1000).map(|i| (i, i)).collect();
    /// let cap = m.capacity();
    /// let total: u64 = m.par_drain().map(|(_, v)| v).sum();
    /// assert_eq!((total, m.len(), m.capacity()), (499_500, 0, cap));
    /// ```
    pub fn par_drain(&mut self) -> ParDrain<K, V> {
        ParDrain {
            entries: self.drain().collect(),
        }
    }
}

impl<'a, K: Sync, V: Sync, S> IntoParallelIterator for &'a GoMap<K, V, S> {
    type Item = (&'a K, &'a V);
    type Iter = ParIter<'a, K, V>;

    fn into_par_iter(self) -> ParIter<'a, K, V> {
        self.par_iter()
    }
}

impl<'a, K: Send + Sync, V: Send, S> IntoParallelIterator for &'a mut GoMap<K, V, S> {
    type Item = (&'a K, &'a mut V);
    type Iter = ParIterMut<'a, K, V>;

    fn into_par_iter(self) -> ParIterMut<'a, K, V> {
        self.par_iter_mut()
    }
}

impl<K: Send, V: Send, S> IntoParallelIterator for GoMap<K, V, S> {
    type Item = (K, V);
    type Iter = IntoParIter<K, V>;

    fn into_par_iter(self) -> IntoParIter<K, V> {
        IntoParIter {
            entries: self.into_iter().collect(),
        }
    }
}

impl<K, V, S> ParallelExtend<(K, V)> for GoMap<K, V, S>
where
    K: Eq + Hash + Send,
    V: Send,
    S: BuildHasher,
{
    /// Gathers the items in parallel, then inserts them one by one (no
    /// up-front reserve, so growth stays incremental, as with `extend`).
    fn par_extend<I: IntoParallelIterator<Item = (K, V)>>(&mut self, par_iter: I) {
        let entries: Vec<(K, V)> = par_iter.into_par_iter().collect();
        self.extend(entries);
    }
}

impl<'a, K, V, S> ParallelExtend<(&'a K, &'a V)> for GoMap<K, V, S>
where
    K: Eq + Hash + Copy + Send + Sync,
    V: Copy + Send + Sync,
    S: BuildHasher,
{
    fn par_extend<I: IntoParallelIterator<Item = (&'a K, &'a V)>>(&mut self, par_iter: I) {
        self.par_extend(par_iter.into_par_iter().map(|(&k, &v)| (k, v)));
    }
}

impl<K, V, S> FromParallelIterator<(K, V)> for GoMap<K, V, S>
where
    K: Eq + Hash + Send,
    V: Send,
    S: BuildHasher + Default,
{
    /// Gathers the items in parallel, sizes the map for them (Go's `make`
    /// hint), then inserts them.
    fn from_par_iter<I: IntoParallelIterator<Item = (K, V)>>(par_iter: I) -> Self {
        let entries: Vec<(K, V)> = par_iter.into_par_iter().collect();
        let mut map = GoMap::with_capacity_and_hasher(entries.len(), S::default());
        map.extend(entries);
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits as far as the producer allows and walks every part.
    fn split_all<'a>(p: RefProducer<'a, u64, u64>, parts: &mut Vec<Vec<u64>>) {
        let (a, b) = p.split();
        match b {
            Some(b) => {
                split_all(a, parts);
                split_all(b, parts);
            }
            None => parts.push(a.0.map(|(k, _)| *k).collect()),
        }
    }

    fn check(m: &GoMap<u64, u64>) -> usize {
        let mut parts = Vec::new();
        split_all(RefProducer(RefIter::new(&m.raw)), &mut parts);
        let mut got: Vec<u64> = parts.iter().flatten().copied().collect();
        let mut want: Vec<u64> = m.keys().copied().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
        parts.len()
    }

    #[test]
    fn full_splits_yield_every_entry_once_also_mid_growth() {
        let mut m: GoMap<u64, u64> = GoMap::new();
        assert_eq!(check(&m), 1);
        let mut seen_growing = 0;
        for i in 0..4000 {
            m.insert(i, i);
            if i % 7 == 0 {
                m.remove(&(i / 2));
            }
            if m.header().growing {
                seen_growing += 1;
            } else if i % 101 != 0 {
                continue;
            }
            let parts = check(&m);
            // Split to single chains: one part per head bucket in use, and
            // at most one empty part (the old array's range, with no growth).
            let s = m.stats();
            assert!(parts <= s.buckets + s.old_buckets + 1, "{parts} {s:?}");
        }
        assert!(seen_growing > 100, "{seen_growing}");
    }
}
