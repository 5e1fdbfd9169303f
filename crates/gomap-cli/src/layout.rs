//! The bucket layout report, and its check against a live map.

use crate::types::MenuType;
use gomap::{BucketLayout, GoMap};
use serde::Serialize;

/// One region of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Byte offset in the bucket.
    pub offset: usize,
    /// Bytes.
    pub size: usize,
    /// What lies there.
    pub field: String,
    /// How it is made up.
    pub note: String,
}

/// The regions of a bucket in address order, padding included.
pub fn regions(l: &BucketLayout, key: &str, value: &str) -> Vec<Region> {
    let mut out = Vec::new();
    let mut at = 0;
    let pad = |out: &mut Vec<Region>, at: &mut usize, to: usize, why: &str| {
        if to > *at {
            out.push(Region {
                offset: *at,
                size: to - *at,
                field: "padding".into(),
                note: why.into(),
            });
            *at = to;
        }
    };
    pad(&mut out, &mut at, l.tophash_offset, "");
    out.push(Region {
        offset: l.tophash_offset,
        size: 8,
        field: "tophash".into(),
        note: "[u8; 8]: top byte of each slot's hash, or a state (empty, evacuated)".into(),
    });
    at = l.tophash_offset + 8;
    pad(&mut out, &mut at, l.keys_offset, "aligns the keys");
    let slot = |name: &str, size: usize, indirect: bool| {
        if indirect {
            format!("8 x pointer to {name} ({size} bytes each; {name} is over 128 bytes, stored indirectly)")
        } else {
            format!(
                "8 x {name} ({size} byte{} each)",
                if size == 1 { "" } else { "s" }
            )
        }
    };
    out.push(Region {
        offset: l.keys_offset,
        size: 8 * l.key_slot_size,
        field: "keys".into(),
        note: slot(key, l.key_slot_size, l.indirect_key),
    });
    at = l.keys_offset + 8 * l.key_slot_size;
    pad(&mut out, &mut at, l.values_offset, "aligns the values");
    out.push(Region {
        offset: l.values_offset,
        size: 8 * l.value_slot_size,
        field: "values".into(),
        note: slot(value, l.value_slot_size, l.indirect_value),
    });
    at = l.values_offset + 8 * l.value_slot_size;
    pad(
        &mut out,
        &mut at,
        l.overflow_offset,
        "aligns the overflow pointer",
    );
    out.push(Region {
        offset: l.overflow_offset,
        size: std::mem::size_of::<usize>(),
        field: "overflow".into(),
        note: "pointer to the next bucket of the chain, or null".into(),
    });
    at = l.overflow_offset + std::mem::size_of::<usize>();
    pad(
        &mut out,
        &mut at,
        l.bucket_size,
        "rounds the bucket to its alignment",
    );
    out
}

/// The result of checking the layout against a live map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveCheck {
    /// Entries inserted and located.
    pub entries: usize,
    /// Distinct buckets those entries were found in.
    pub buckets: usize,
    /// Entries found in overflow buckets.
    pub in_overflow: usize,
    /// Distinct head buckets whose address was checked against `array + index * bucket_size`.
    pub heads_checked: usize,
    /// Every check held.
    pub passed: bool,
    /// What did not hold (empty when passed).
    pub failures: Vec<String>,
}

/// Inserts up to `entries` keys into a fresh `GoMap<K, V>` and checks, for
/// every one, that `locate()` puts its key at `keys_offset + slot * key_slot_size`
/// and its value at `values_offset + slot * value_slot_size` from the bucket,
/// that buckets are aligned, and that head buckets lie at
/// `array + index * bucket_size` (the array addresses from `header()`).
///
/// Only O(1) map calls are used per entry (`header`, `locate`): the check is
/// compiled for all 81 menu pairs, so every GoMap method it calls is
/// instantiated 81 times in the binary.
pub fn live_check<K: MenuType, V: MenuType>(entries: u64) -> LiveCheck {
    let l = GoMap::<K, V>::layout();
    let n = entries.min(K::DISTINCT);
    let mut m: GoMap<K, V> = GoMap::new();
    for i in 0..n {
        m.insert(K::from_index(i), V::from_index(i));
    }
    let h = m.header();
    let mut failures = Vec::new();
    let mut buckets = std::collections::HashSet::new();
    let mut heads = std::collections::HashSet::new();
    let mut in_overflow = 0;
    let fail = |f: &mut Vec<String>, msg: String| {
        if f.len() < 10 {
            f.push(msg);
        }
    };
    for i in 0..n {
        let k = K::from_index(i);
        let Some(loc) = m.locate(&k) else {
            fail(&mut failures, format!("key #{i} not found by locate()"));
            continue;
        };
        buckets.insert(loc.bucket_addr);
        if loc.overflow_depth > 0 {
            in_overflow += 1;
        }
        if loc.slot >= 8 {
            fail(
                &mut failures,
                format!("key #{i}: slot {} out of range", loc.slot),
            );
            continue;
        }
        if loc.bucket_addr % l.bucket_align != 0 {
            fail(
                &mut failures,
                format!(
                    "key #{i}: bucket {:#x} not aligned to {}",
                    loc.bucket_addr, l.bucket_align
                ),
            );
        }
        let koff = loc.key_addr.wrapping_sub(loc.bucket_addr);
        if koff != l.keys_offset + loc.slot * l.key_slot_size {
            fail(
                &mut failures,
                format!(
                    "key #{i}: key at bucket+{koff}, layout says {}",
                    l.keys_offset + loc.slot * l.key_slot_size
                ),
            );
        }
        let voff = loc.value_addr.wrapping_sub(loc.bucket_addr);
        if voff != l.values_offset + loc.slot * l.value_slot_size {
            fail(
                &mut failures,
                format!(
                    "key #{i}: value at bucket+{voff}, layout says {}",
                    l.values_offset + loc.slot * l.value_slot_size
                ),
            );
        }
        if loc.overflow_depth == 0 {
            let array = if loc.in_old { h.oldbuckets } else { h.buckets };
            heads.insert((loc.in_old, loc.bucket_index));
            if loc.bucket_addr != array + loc.bucket_index * l.bucket_size {
                fail(
                    &mut failures,
                    format!(
                        "key #{i}: head bucket {} at {:#x}, expected array {:#x} + {} * {}",
                        loc.bucket_index, loc.bucket_addr, array, loc.bucket_index, l.bucket_size
                    ),
                );
            }
        }
    }
    LiveCheck {
        entries: n as usize,
        buckets: buckets.len(),
        in_overflow,
        heads_checked: heads.len(),
        passed: failures.is_empty(),
        failures,
    }
}
