//! `Serialize` / `Deserialize` as a map (feature `serde`).
//!
//! A map serializes as a serde map in `iter()` order. Deserializing inserts
//! entry by entry (a later duplicate key replaces the value, as for std's
//! `HashMap`). The length a format announces is only a hint: pre-sizing is
//! capped at 1 MiB of bucket memory (`MAX_PREALLOC_BYTES`), so a hostile length
//! prefix cannot make the map allocate more than the input actually fills.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::raw::alloc::array_layout;
use crate::raw::table::{b_for_hint, capacity_for};
use crate::GoMap;

/// The most bucket memory deserialization reserves from a length prefix
/// before any entry has arrived (1 MiB). Beyond it the map grows as entries
/// are inserted, incrementally like any other insert.
const MAX_PREALLOC_BYTES: usize = 1 << 20;

/// The number of entries to pre-size for, given the announced `len`: the
/// largest capacity whose bucket array stays within [`MAX_PREALLOC_BYTES`].
fn cautious_capacity<K, V>(len: usize) -> usize {
    // A length not even describable starts from the top; the loop caps it.
    let mut b = b_for_hint::<K, V>(len).unwrap_or(63);
    while b > 0 && array_layout::<K, V>(b).map_or(true, |layout| layout.size() > MAX_PREALLOC_BYTES)
    {
        b -= 1;
    }
    len.min(capacity_for(b))
}

impl<K, V, S> Serialize for GoMap<K, V, S>
where
    K: Serialize,
    V: Serialize,
{
    /// ```
    /// let m = gomap::GoMap::from([("a", 1)]);
    /// assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":1}"#);
    /// ```
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Produces a map; owns nothing (so no auto-trait or drop-check effects).
type Produces<T> = PhantomData<fn() -> T>;

struct MapVisitor<K, V, S>(Produces<GoMap<K, V, S>>);

impl<'de, K, V, S> Visitor<'de> for MapVisitor<K, V, S>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
{
    type Value = GoMap<K, V, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let hint = access.size_hint().unwrap_or(0);
        let mut map =
            GoMap::with_capacity_and_hasher(cautious_capacity::<K, V>(hint), S::default());
        while let Some((k, v)) = access.next_entry()? {
            map.insert(k, v);
        }
        Ok(map)
    }
}

impl<'de, K, V, S> Deserialize<'de> for GoMap<K, V, S>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
{
    /// ```
    /// let m: gomap::GoMap<String, u32> = serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap();
    /// assert_eq!(m["b"], 2);
    /// ```
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_holds_for_small_and_large_entries() {
        assert_eq!(cautious_capacity::<u64, u64>(10), 10);
        assert_eq!(cautious_capacity::<u64, u64>(0), 0);
        for len in [1usize << 20, 1 << 40, usize::MAX] {
            let n = cautious_capacity::<u64, u64>(len);
            let b = b_for_hint::<u64, u64>(n).unwrap();
            assert!(array_layout::<u64, u64>(b).unwrap().size() <= MAX_PREALLOC_BYTES);
            assert!(n > 1000, "the cap still pre-sizes a useful amount: {n}");
        }
        // Big values: 128-byte inline values make 1 KiB+ buckets.
        let n = cautious_capacity::<u64, [u8; 128]>(usize::MAX);
        let b = b_for_hint::<u64, [u8; 128]>(n).unwrap();
        assert!(array_layout::<u64, [u8; 128]>(b).unwrap().size() <= MAX_PREALLOC_BYTES);
    }
}
