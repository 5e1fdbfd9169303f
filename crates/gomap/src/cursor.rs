//! Go's `range` with deletes and inserts in the loop body.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

use crate::raw::access::RawCursor;

/// A lending cursor over a [`GoMap`](crate::GoMap) that may remove and
/// insert while it walks, from [`GoMap::cursor`](crate::GoMap::cursor).
///
/// It gives the guarantees of Go's `for k, v := range m` (the Go
/// specification, "For statements with range clause"), including when its
/// inserts start a growth in the middle of the walk:
///
/// - every entry present for the whole iteration is yielded exactly once;
/// - an entry removed before the cursor reaches it is not yielded;
/// - an entry inserted during the iteration is yielded at most once;
/// - no entry is yielded twice.
///
/// The walk starts at a random bucket and slot, like Go's. It runs Go's
/// iterator algorithm over the real bucket arrays: it walks the array that
/// was current when it started; if that array is being evacuated it follows
/// each moved entry to where it lives now, and if it started during a growth
/// it reads not-yet-evacuated old buckets, keeping only the entries that
/// belong to the new bucket it is at. Old arrays it may still read are kept
/// until the cursor is dropped.
///
/// ```
/// use gomap::GoMap;
/// let mut m: GoMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
/// let mut c = m.cursor();
/// while let Some((&k, v)) = c.next() {
///     if k % 2 == 0 {
///         c.remove_current();          // delete(m, k)
///     } else {
///         *v *= 10;
///         if k < 1000 {
///             c.insert(k + 1000, 0);   // m[k+1000] = 0: may or may not be visited
///         }
///     }
/// }
/// drop(c);
/// assert_eq!(m.len(), 100);
/// assert!((1..100).step_by(2).all(|k| m[&k] == k * 10));
/// ```
pub struct Cursor<'a, K, V, S> {
    pub(crate) raw: RawCursor<'a, K, V, S>,
}

impl<K: Hash + Eq, V, S: BuildHasher> Cursor<'_, K, V, S> {
    /// The next entry, or `None` when the walk is over.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 10), (2, 20)]);
    /// let mut c = m.cursor();
    /// let mut sum = 0;
    /// while let Some((_, v)) = c.next() {
    ///     *v += 1;
    ///     sum += *v;
    /// }
    /// assert_eq!(sum, 32);
    /// assert_eq!(c.next(), None);
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<(&K, &mut V)> {
        self.raw.next()
    }

    /// Removes the entry last yielded by `next` (even if inserts since then
    /// moved it); `None` if there is none, it was removed already, or `next`
    /// has returned `None` (at the end nothing is current).
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a')]);
    /// let mut c = m.cursor();
    /// assert_eq!(c.remove_current(), None);
    /// c.next();
    /// assert_eq!(c.remove_current(), Some((1, 'a')));
    /// assert_eq!(c.next(), None);
    /// assert_eq!(c.remove_current(), None);
    /// ```
    pub fn remove_current(&mut self) -> Option<(K, V)> {
        self.raw.remove_current()
    }

    /// Inserts into the map (Go's `m[k] = v` inside the loop); returns the
    /// old value if the key was present.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a')]);
    /// let mut c = m.cursor();
    /// assert_eq!(c.insert(1, 'b'), Some('a'));
    /// assert_eq!(c.insert(2, 'c'), None);
    /// ```
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.raw.insert(key, value)
    }

    /// Removes any key from the map (Go's `delete(m, k)` inside the loop).
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a'), (2, 'b')]);
    /// let mut c = m.cursor();
    /// assert_eq!(c.remove(&2), Some('b'));
    /// assert_eq!(c.remove(&2), None);
    /// ```
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (k, v) = self.raw.remove(key)?;
        // Named locals: a panicking K::drop must not leak `v` (rust#47949).
        drop(k);
        Some(v)
    }

    /// Number of entries in the map now.
    ///
    /// ```
    /// let mut m = gomap::GoMap::from([(1, 'a')]);
    /// assert_eq!(m.cursor().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.table().count
    }

    /// The map is empty now.
    ///
    /// ```
    /// let mut m = gomap::GoMap::<u8, u8>::new();
    /// assert!(m.cursor().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, V, S> fmt::Debug for Cursor<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("len", &self.raw.table().count)
            .finish_non_exhaustive()
    }
}
