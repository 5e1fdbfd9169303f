//! How an op's small key and value numbers become real keys and values.

use std::fmt::Debug;
use std::hash::{BuildHasher, Hash};

use crate::map::TestMap;

/// A key type the runner can build from a key number and read back.
pub trait TestKey: Hash + Eq + Clone + Debug + 'static {
    /// The key for key number `id`.
    fn make(id: u64) -> Self;
    /// The key number this key was made from.
    fn id(&self) -> u64;
    /// Looks `k` up through the borrowed form a user would use
    /// (`&str` for `String`), exercising `K: Borrow<Q>`.
    fn get_borrowed<'m, V, S: BuildHasher, M: TestMap<Self, V, S>>(
        map: &'m M,
        k: &Self,
    ) -> Option<&'m V>;
}

impl TestKey for u64 {
    fn make(id: u64) -> Self {
        id
    }
    fn id(&self) -> u64 {
        *self
    }
    fn get_borrowed<'m, V, S: BuildHasher, M: TestMap<Self, V, S>>(
        map: &'m M,
        k: &Self,
    ) -> Option<&'m V> {
        map.get(k)
    }
}

impl TestKey for String {
    fn make(id: u64) -> Self {
        format!("key-{id}")
    }
    fn id(&self) -> u64 {
        self.strip_prefix("key-")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a test key: {self:?}"))
    }
    fn get_borrowed<'m, V, S: BuildHasher, M: TestMap<Self, V, S>>(
        map: &'m M,
        k: &Self,
    ) -> Option<&'m V> {
        map.get(k.as_str())
    }
}

/// A value type the runner can build and modify in place.
pub trait TestValue: Clone + PartialEq + Debug + Default + 'static {
    /// The value for value number `x`.
    fn make(x: u64) -> Self;
    /// Changes the value in place, deterministically from `d` (so the model
    /// and the map stay equal when both are bumped).
    fn bump(&mut self, d: u64);
}

impl TestValue for u64 {
    fn make(x: u64) -> Self {
        x
    }
    fn bump(&mut self, d: u64) {
        *self = self.wrapping_mul(31).wrapping_add(d | 1);
    }
}

impl TestValue for String {
    fn make(x: u64) -> Self {
        format!("v{x}")
    }
    fn bump(&mut self, d: u64) {
        if self.len() > 24 {
            self.truncate(2);
        }
        self.push(char::from(b'a' + (d % 26) as u8));
    }
}
