//! The entry API: one lookup (and one round of growth work) for a
//! get-or-insert.

use core::fmt;
use core::hash::{BuildHasher, Hash};

use crate::raw::access::{RawOccupied, RawVacant};

/// A view into a single entry of a [`GoMap`](crate::GoMap), from
/// [`GoMap::entry`](crate::GoMap::entry).
///
/// ```
/// let mut m = gomap::GoMap::new();
/// *m.entry("a").or_insert(0) += 1;
/// *m.entry("a").or_insert(0) += 1;
/// assert_eq!(m["a"], 2);
/// ```
pub enum Entry<'a, K, V, S> {
    /// The key is present.
    Occupied(OccupiedEntry<'a, K, V, S>),
    /// The key is absent.
    Vacant(VacantEntry<'a, K, V, S>),
}

/// An entry whose key is present.
///
/// ```
/// use gomap::{Entry, GoMap};
/// let mut m = GoMap::from([("a", 1)]);
/// if let Entry::Occupied(mut e) = m.entry("a") {
///     *e.get_mut() += 1;
/// }
/// assert_eq!(m["a"], 2);
/// ```
pub struct OccupiedEntry<'a, K, V, S> {
    pub(crate) raw: RawOccupied<'a, K, V, S>,
}

/// An entry whose key is absent; holds the key until inserted.
///
/// ```
/// use gomap::{Entry, GoMap};
/// let mut m: GoMap<&str, i32> = GoMap::new();
/// if let Entry::Vacant(e) = m.entry("a") {
///     assert_eq!(e.key(), &"a");
///     e.insert(1);
/// }
/// assert_eq!(m["a"], 1);
/// ```
pub struct VacantEntry<'a, K, V, S> {
    pub(crate) raw: RawVacant<'a, K, V, S>,
    pub(crate) key: K,
}

impl<'a, K: Hash, V, S: BuildHasher> Entry<'a, K, V, S> {
    /// Inserts `default` if absent; returns the value.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// assert_eq!(*m.entry(1).or_insert(10), 10);
    /// assert_eq!(*m.entry(1).or_insert(20), 10);
    /// ```
    pub fn or_insert(self, default: V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(default),
        }
    }

    /// Inserts `default()` if absent; returns the value.
    ///
    /// ```
    /// let mut m = gomap::GoMap::<u8, String>::new();
    /// m.entry(1).or_insert_with(|| "x".to_string()).push('y');
    /// assert_eq!(m[&1], "xy");
    /// ```
    pub fn or_insert_with<F: FnOnce() -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(default()),
        }
    }

    /// Inserts `default(&key)` if absent; returns the value.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// assert_eq!(*m.entry(7u32).or_insert_with_key(|k| k * 2), 14);
    /// ```
    pub fn or_insert_with_key<F: FnOnce(&K) -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let v = default(&e.key);
                e.insert(v)
            }
        }
    }

    /// The entry's key.
    ///
    /// ```
    /// let mut m = gomap::GoMap::<&str, u8>::new();
    /// assert_eq!(m.entry("k").key(), &"k");
    /// ```
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(e) => e.key(),
            Entry::Vacant(e) => e.key(),
        }
    }

    /// Calls `f` on the value if present.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// m.entry("a").and_modify(|v| *v += 1).or_insert(1);
    /// m.entry("a").and_modify(|v| *v += 1).or_insert(1);
    /// assert_eq!(m["a"], 2);
    /// ```
    pub fn and_modify<F: FnOnce(&mut V)>(self, f: F) -> Self {
        match self {
            Entry::Occupied(mut e) => {
                f(e.get_mut());
                Entry::Occupied(e)
            }
            Entry::Vacant(e) => Entry::Vacant(e),
        }
    }

    /// Sets the value, inserting if absent; returns the occupied entry.
    ///
    /// ```
    /// let mut m = gomap::GoMap::new();
    /// let e = m.entry("k").insert_entry(3);
    /// assert_eq!(e.get(), &3);
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V, S> {
        match self {
            Entry::Occupied(mut e) => {
                e.insert(value);
                e
            }
            Entry::Vacant(e) => e.insert_entry(value),
        }
    }
}

impl<'a, K: Hash, V: Default, S: BuildHasher> Entry<'a, K, V, S> {
    /// Inserts `V::default()` if absent; returns the value.
    ///
    /// ```
    /// let mut m = gomap::GoMap::<&str, Vec<u8>>::new();
    /// m.entry("a").or_default().push(1);
    /// assert_eq!(m["a"], [1]);
    /// ```
    pub fn or_default(self) -> &'a mut V {
        self.or_insert_with(V::default)
    }
}

impl<'a, K, V, S> OccupiedEntry<'a, K, V, S> {
    /// The key in the map.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 'a')]);
    /// if let Entry::Occupied(e) = m.entry(1) { assert_eq!(e.key(), &1); } else { unreachable!() }
    /// ```
    pub fn key(&self) -> &K {
        self.raw.key()
    }

    /// The value.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 'a')]);
    /// if let Entry::Occupied(e) = m.entry(1) { assert_eq!(e.get(), &'a'); } else { unreachable!() }
    /// ```
    pub fn get(&self) -> &V {
        self.raw.get()
    }

    /// The value, mutably, for the entry's lifetime.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 1)]);
    /// if let Entry::Occupied(mut e) = m.entry(1) { *e.get_mut() += 1; }
    /// assert_eq!(m[&1], 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut V {
        self.raw.get_mut()
    }

    /// The value, mutably, for the map borrow's lifetime.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 1)]);
    /// if let Entry::Occupied(e) = m.entry(1) { *e.into_mut() = 5; }
    /// assert_eq!(m[&1], 5);
    /// ```
    pub fn into_mut(self) -> &'a mut V {
        self.raw.into_mut()
    }

    /// Replaces the value, returning the old one.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 1)]);
    /// if let Entry::Occupied(mut e) = m.entry(1) { assert_eq!(e.insert(2), 1); }
    /// assert_eq!(m[&1], 2);
    /// ```
    pub fn insert(&mut self, value: V) -> V {
        core::mem::replace(self.get_mut(), value)
    }

    /// Removes the entry, returning the value.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 1)]);
    /// if let Entry::Occupied(e) = m.entry(1) { assert_eq!(e.remove(), 1); }
    /// assert!(m.is_empty());
    /// ```
    pub fn remove(self) -> V {
        let (k, v) = self.raw.remove_entry();
        // Named locals: a panicking K::drop must not leak `v` (rust#47949).
        drop(k);
        v
    }

    /// Removes the entry, returning key and value.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::from([(1, 'x')]);
    /// if let Entry::Occupied(e) = m.entry(1) { assert_eq!(e.remove_entry(), (1, 'x')); }
    /// ```
    pub fn remove_entry(self) -> (K, V) {
        self.raw.remove_entry()
    }
}

impl<'a, K: Hash, V, S: BuildHasher> VacantEntry<'a, K, V, S> {
    /// The key that would be inserted.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::<u8, u8>::new();
    /// if let Entry::Vacant(e) = m.entry(3) { assert_eq!(e.key(), &3); }
    /// ```
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Takes the key back without inserting.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::<String, u8>::new();
    /// if let Entry::Vacant(e) = m.entry("k".to_string()) { assert_eq!(e.into_key(), "k"); }
    /// ```
    pub fn into_key(self) -> K {
        self.key
    }

    /// Inserts the value (starting a growth first if Go would); returns it.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::new();
    /// if let Entry::Vacant(e) = m.entry("k") { *e.insert(1) += 1; }
    /// assert_eq!(m["k"], 2);
    /// ```
    pub fn insert(self, value: V) -> &'a mut V {
        self.raw.insert(self.key, value).1
    }

    /// Inserts the value and returns the occupied entry.
    ///
    /// ```
    /// use gomap::{Entry, GoMap};
    /// let mut m = GoMap::new();
    /// if let Entry::Vacant(e) = m.entry("k") { assert_eq!(e.insert_entry(1).get(), &1); }
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V, S> {
        OccupiedEntry {
            raw: self.raw.insert_occupied(self.key, value),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Entry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(e) => f.debug_tuple("Entry").field(e).finish(),
            Entry::Vacant(e) => f.debug_tuple("Entry").field(e).finish(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for OccupiedEntry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry")
            .field("key", self.key())
            .field("value", self.get())
            .finish()
    }
}

impl<K: fmt::Debug, V, S> fmt::Debug for VacantEntry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VacantEntry").field(&self.key).finish()
    }
}
