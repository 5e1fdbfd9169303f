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

/// Go's `hmap` on a 64-bit machine (`runtime/map.go`, Go 1.19–1.23): name,
/// offset, size, Go type. These are Go's facts; GoMap's side is read live.
pub const GO_HMAP: [(&str, usize, usize, &str); 9] = [
    ("count", 0, 8, "int"),
    ("flags", 8, 1, "uint8"),
    ("B", 9, 1, "uint8"),
    ("noverflow", 10, 2, "uint16"),
    ("hash0", 12, 4, "uint32"),
    ("buckets", 16, 8, "unsafe.Pointer"),
    ("oldbuckets", 24, 8, "unsafe.Pointer"),
    ("nevacuate", 32, 8, "uintptr"),
    ("extra", 40, 8, "*mapextra"),
];
/// `unsafe.Sizeof(hmap{})` on a 64-bit machine.
pub const GO_HMAP_SIZE: usize = 48;
/// `unsafe.Sizeof(m)` for a map variable: one pointer to the `hmap`.
pub const GO_MAP_VARIABLE_SIZE: usize = 8;

/// One field of the header, Go's and GoMap's side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderRow {
    /// Go's name.
    pub field: &'static str,
    /// Go's offset and size (None: GoMap only).
    pub go_offset: Option<usize>,
    /// See `go_offset`.
    pub go_size: Option<usize>,
    /// Go's type.
    pub go_type: &'static str,
    /// GoMap's offset and size, read from the compiled type (None: Go only).
    pub offset: Option<usize>,
    /// See `offset`.
    pub size: Option<usize>,
    /// Why they differ (or that they do not).
    pub why: String,
}

/// The header comparison for `GoMap<K, V>`, computed from
/// `GoMap::header_fields()` and `size_of`, never from remembered numbers.
pub fn header_rows<K, V>() -> (Vec<HeaderRow>, usize) {
    let fields = GoMap::<K, V>::header_fields();
    let size = std::mem::size_of::<GoMap<K, V>>();
    let mut rows = Vec::new();
    for (name, go_off, go_size, go_type) in GO_HMAP {
        let live = fields.iter().find(|f| f.name == name);
        let why = match live {
            None => "not in GoMap's header".to_string(),
            Some(f) => {
                let mut why = match name {
                    "count" => "entries; first in both, so len() is one load".to_string(),
                    "flags" => "bits iterator 1, oldIterator 2, sameSizeGrow 8; hashWriting 4 is never set: \
                                Rust rejects concurrent writes at compile time"
                        .to_string(),
                    "B" => "log2 of the bucket count".to_string(),
                    "noverflow" => "overflow buckets made (exact below B = 16, sampled above, as Go)".to_string(),
                    "hash0" => format!(
                        "Go keeps a uint32 seed; GoMap keeps the whole BuildHasher S ({} bytes here)",
                        f.size
                    ),
                    "buckets" | "oldbuckets" => "Option<NonNull<u8>>: None is Go's nil, same 8 bytes".to_string(),
                    "nevacuate" => "old buckets below it are evacuated".to_string(),
                    "extra" if f.size == 8 => {
                        "a pointer to bookkeeping allocated only when needed, like Go's *mapextra".to_string()
                    }
                    "extra" => format!(
                        "overflow pool, page-release and cursor bookkeeping, {} bytes inline (Go: a pointer to mapextra)",
                        f.size
                    ),
                    _ => String::new(),
                };
                if f.offset != go_off {
                    // What pushed it: padding right before it, or larger fields earlier.
                    let prev_end = fields
                        .iter()
                        .filter(|p| p.offset < f.offset)
                        .map(|p| p.offset + p.size)
                        .max()
                        .unwrap_or(0);
                    let reason = if prev_end < f.offset {
                        format!(
                            "{} bytes of alignment padding before it",
                            f.offset - prev_end
                        )
                    } else {
                        "a larger field before it".to_string()
                    };
                    why.push_str(&format!(
                        "; offset {:+} from Go's: {reason}",
                        f.offset as isize - go_off as isize
                    ));
                }
                why
            }
        };
        rows.push(HeaderRow {
            field: name,
            go_offset: Some(go_off),
            go_size: Some(go_size),
            go_type,
            offset: live.map(|f| f.offset),
            size: live.map(|f| f.size),
            why,
        });
    }
    for f in fields
        .iter()
        .filter(|f| GO_HMAP.iter().all(|g| g.0 != f.name))
    {
        rows.push(HeaderRow {
            field: f.name,
            go_offset: None,
            go_size: None,
            go_type: "",
            offset: Some(f.offset),
            size: Some(f.size),
            why: "GoMap only".to_string(),
        });
    }
    (rows, size)
}

/// The comparison as aligned text.
pub fn header_table(rows: &[HeaderRow], size: usize, rust_type: &str) -> String {
    use std::fmt::Write as _;
    let opt = |v: Option<usize>| v.map_or("-".to_string(), |v| v.to_string());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:<11} {:>6} {:>5}  {:<15}| {:>6} {:>5}  why",
        "field", "Go off", "size", "Go type", "GoMap", "size"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "  {:<11} {:>6} {:>5}  {:<15}| {:>6} {:>5}  {}",
            r.field,
            opt(r.go_offset),
            opt(r.go_size),
            r.go_type,
            opt(r.offset),
            opt(r.size),
            r.why
        );
    }
    let _ = writeln!(
        s,
        "  total: Go's hmap {GO_HMAP_SIZE} bytes, reached through the map variable, one {GO_MAP_VARIABLE_SIZE}-byte pointer \
         (unsafe.Sizeof(m) == 8);\n  {rust_type} is {size} bytes and is the variable itself: no pointer, no separate header allocation."
    );
    s
}
