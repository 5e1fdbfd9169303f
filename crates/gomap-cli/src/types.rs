//! The fixed menu of key and value types the tool can instantiate a map with.

use crate::error::{CliError, Result};
use clap::ValueEnum;
use serde::Serialize;
use std::fmt::Debug;
use std::hash::Hash;

/// A type on the menu, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeName {
    /// u8
    #[value(name = "u8")]
    U8,
    /// u16
    #[value(name = "u16")]
    U16,
    /// u32
    #[value(name = "u32")]
    U32,
    /// u64
    #[value(name = "u64")]
    U64,
    /// u128 (align 16: the one key with padding between tophash and keys)
    #[value(name = "u128")]
    U128,
    /// i64
    #[value(name = "i64")]
    I64,
    /// String (24 bytes inline, text on the heap)
    #[value(name = "string")]
    String,
    /// (u64, u8): 16 bytes, 7 of them padding inside the tuple
    #[value(name = "pair")]
    Pair,
    /// [u8; 200]: over 128 bytes, so stored behind a pointer (indirect)
    #[value(name = "big")]
    Big,
}

impl TypeName {
    /// Every menu entry, in menu order.
    pub const ALL: [TypeName; 9] = [
        TypeName::U8,
        TypeName::U16,
        TypeName::U32,
        TypeName::U64,
        TypeName::U128,
        TypeName::I64,
        TypeName::String,
        TypeName::Pair,
        TypeName::Big,
    ];

    /// The Rust type this name stands for.
    pub fn rust_name(self) -> &'static str {
        crate::with_type!(self, T => <T as MenuType>::RUST_NAME)
    }

    /// How many distinct values of this type the tool can generate.
    pub fn distinct(self) -> u64 {
        crate::with_type!(self, T => <T as MenuType>::DISTINCT)
    }

    /// Heap bytes one value owns outside the map (a String's text, a boxed indirect slot).
    pub fn size_of(self) -> usize {
        crate::with_type!(self, T => std::mem::size_of::<T>())
    }

    /// Heap bytes one value owns (a String's text), roughly.
    pub fn owned_heap(self) -> usize {
        crate::with_type!(self, T => <T as MenuType>::OWNED_HEAP)
    }

    /// Checks that `n` distinct keys of this type exist.
    pub fn check_distinct(self, n: u64, what: &str) -> Result<()> {
        if n > self.distinct() {
            return Err(CliError::msg(format!(
                "key type {} has only {} distinct values; {what} = {n} is too many",
                self.rust_name(),
                self.distinct()
            )));
        }
        Ok(())
    }
}

/// A type on the menu: something the tool can make the `i`-th distinct value of.
pub trait MenuType: Hash + Eq + Clone + Debug + 'static {
    /// How the type is written in Rust.
    const RUST_NAME: &'static str;
    /// Number of distinct values `from_index` produces for `0..DISTINCT`.
    const DISTINCT: u64;
    /// Heap bytes a value owns outside its slot (0 for plain data).
    const OWNED_HEAP: usize = 0;
    /// The `i`-th value; distinct for distinct `i < DISTINCT`.
    fn from_index(i: u64) -> Self;
    /// The `i`-th of a scattered sequence of distinct values (pictures are
    /// drawn from these, not from `0..n`): `from_index(splitmix64(i))` where
    /// the type has 2^64 distinct values, else `from_index(i)`.
    fn scattered(i: u64) -> Self {
        if Self::DISTINCT == u64::MAX {
            Self::from_index(crate::harness::splitmix64(i))
        } else {
            Self::from_index(i)
        }
    }
    /// The heap buffer this value owns, as (address, capacity in bytes):
    /// the last link of Go's GC marking chain for a string key. `None` for
    /// plain data.
    fn heap_buffer(&self) -> Option<(usize, usize)> {
        None
    }
}

macro_rules! int_menu {
    ($($t:ty => $name:literal),*) => {$(
        impl MenuType for $t {
            const RUST_NAME: &'static str = $name;
            const DISTINCT: u64 = if (<$t>::BITS as u64) >= 64 { u64::MAX } else { 1u64 << <$t>::BITS };
            fn from_index(i: u64) -> Self {
                i as $t
            }
        }
    )*};
}
int_menu!(u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64", u128 => "u128", i64 => "i64");

impl MenuType for String {
    const RUST_NAME: &'static str = "String";
    const DISTINCT: u64 = u64::MAX;
    const OWNED_HEAP: usize = 16;
    fn from_index(i: u64) -> Self {
        format!("key-{i}")
    }
    fn heap_buffer(&self) -> Option<(usize, usize)> {
        (self.capacity() > 0).then(|| (self.as_ptr() as usize, self.capacity()))
    }
}

impl MenuType for (u64, u8) {
    const RUST_NAME: &'static str = "(u64, u8)";
    const DISTINCT: u64 = u64::MAX;
    fn from_index(i: u64) -> Self {
        (i, (i % 251) as u8)
    }
}

impl MenuType for [u8; 200] {
    const RUST_NAME: &'static str = "[u8; 200]";
    const DISTINCT: u64 = u64::MAX;
    // Stored behind a pointer in the bucket: the slot is a pointer, the
    // 200 bytes are a separate allocation.
    const OWNED_HEAP: usize = 200;
    fn from_index(i: u64) -> Self {
        let mut a = [0u8; 200];
        a[..8].copy_from_slice(&i.to_le_bytes());
        a[199] = (i % 253) as u8;
        a
    }
}

/// Runs `$body` with `$T` bound to the Rust type a [`TypeName`] stands for.
///
/// ```ignore
/// let size = with_type!(name, K => std::mem::size_of::<K>());
/// ```
#[macro_export]
macro_rules! with_type {
    ($name:expr, $T:ident => $body:expr) => {
        match $name {
            $crate::types::TypeName::U8 => {
                type $T = u8;
                $body
            }
            $crate::types::TypeName::U16 => {
                type $T = u16;
                $body
            }
            $crate::types::TypeName::U32 => {
                type $T = u32;
                $body
            }
            $crate::types::TypeName::U64 => {
                type $T = u64;
                $body
            }
            $crate::types::TypeName::U128 => {
                type $T = u128;
                $body
            }
            $crate::types::TypeName::I64 => {
                type $T = i64;
                $body
            }
            $crate::types::TypeName::String => {
                type $T = ::std::string::String;
                $body
            }
            $crate::types::TypeName::Pair => {
                type $T = (u64, u8);
                $body
            }
            $crate::types::TypeName::Big => {
                type $T = [u8; 200];
                $body
            }
        }
    };
}

/// Bytes of memory available to this process, from `/proc/meminfo`
/// (`MemAvailable`), or `None` where that cannot be read.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Upper bound on `n` the tool accepts anywhere, whatever the memory.
pub const MAX_N: u64 = 1 << 36;

/// Checks that a run holding `n` entries at about `bytes_per_entry` bytes
/// each fits in memory (at most 80% of what is available now).
pub fn check_memory(flag: &str, n: u64, bytes_per_entry: u64) -> Result<()> {
    if n == 0 {
        return Err(CliError::msg(format!("{flag} must be at least 1")));
    }
    if n > MAX_N {
        return Err(CliError::msg(format!(
            "{flag} = {n} is too large (at most {MAX_N})"
        )));
    }
    let need = n.saturating_mul(bytes_per_entry);
    if let Some(avail) = available_memory() {
        if need > avail / 10 * 8 {
            return Err(CliError::msg(format!(
                "{flag} = {n} needs about {} of memory, but only {} is available",
                crate::output::human_bytes(need as usize),
                crate::output::human_bytes(avail as usize)
            )));
        }
    }
    Ok(())
}

/// Rough bytes per entry of a map at its emptiest point just after a
/// doubling, while the old array is still held: 2.5 slots per entry in the
/// new array plus 1.25 in the old, plus what keys and values own.
pub fn map_bytes_per_entry(key: TypeName, value: TypeName, bucket_size: usize) -> u64 {
    let per_slot = bucket_size as f64 / 8.0;
    (per_slot * 3.75) as u64 + key.owned_heap() as u64 + value.owned_heap() as u64 + 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_names_round_trip() {
        for t in TypeName::ALL {
            let v = t.to_possible_value().unwrap();
            assert_eq!(TypeName::from_str(v.get_name(), false), Ok(t));
        }
        assert_eq!(TypeName::Pair.rust_name(), "(u64, u8)");
        assert_eq!(TypeName::U8.distinct(), 256);
        assert_eq!(TypeName::U64.distinct(), u64::MAX);
        assert_eq!(TypeName::Big.size_of(), 200);
    }

    #[test]
    fn values_are_distinct() {
        let a: Vec<(u64, u8)> = (0..1000).map(MenuType::from_index).collect();
        let set: std::collections::HashSet<_> = a.iter().collect();
        assert_eq!(set.len(), 1000);
        assert_ne!(<[u8; 200]>::from_index(1), <[u8; 200]>::from_index(2));
    }

    #[test]
    fn memory_checks() {
        assert!(check_memory("--n", 0, 8).is_err());
        assert!(check_memory("--n", MAX_N + 1, 8).is_err());
        assert!(check_memory("--n", 1000, 8).is_ok());
        assert!(check_memory("--n", MAX_N, 1 << 30).is_err());
    }
}
