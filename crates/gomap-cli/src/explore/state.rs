//! The `/api/state` JSON: header, both arrays slot by slot (one page of
//! buckets), a heat summary of every bucket, stats, a Go range order, the heap
//! history, and the GC marking order.

use super::session::{ExKey, ExValue, Explorer};
use super::DEFAULT_PAGE;
use gomap::{ArrayView, GoMap, HeaderView, MapStructure, SlotState};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::hash::BuildHasher;

/// Go's `hmap` on a 64-bit machine: (field, offset, size).
pub const GO_HMAP: [(&str, usize, usize); 9] = [
    ("count", 0, 8),
    ("flags", 8, 1),
    ("B", 9, 1),
    ("noverflow", 10, 2),
    ("hash0", 12, 4),
    ("buckets", 16, 8),
    ("oldbuckets", 24, 8),
    ("nevacuate", 32, 8),
    ("extra", 40, 8),
];

/// Heat-map cells per array at most; past this, a cell sums several buckets.
pub const HEAT_CELLS: usize = 4096;

/// Entries whose Go range order is listed.
pub const RANGE_ORDER_MAX: usize = 4096;

fn header_json(h: &HeaderView) -> Value {
    json!({
        "count": h.count,
        "flags": h.flags,
        "B": h.b,
        "noverflow": h.noverflow,
        "nevacuate": h.nevacuate,
        "buckets": format!("{:#x}", h.buckets),
        "oldbuckets": format!("{:#x}", h.oldbuckets),
        "growing": h.growing,
        "same_size_grow": h.same_size_grow,
    })
}

fn header_fields<K, V>() -> Value {
    let ours = GoMap::<K, V>::header_fields();
    let rows: Vec<Value> = GO_HMAP
        .iter()
        .map(|&(name, go_off, go_size)| {
            let o = ours.iter().find(|f| f.name == name);
            json!({
                "name": name,
                "go_offset": go_off, "go_size": go_size,
                "offset": o.map(|f| f.offset), "size": o.map(|f| f.size),
            })
        })
        .collect();
    json!({ "fields": rows, "size": std::mem::size_of::<GoMap<K, V>>(), "go_size": 48 })
}

/// Go's name for what a tophash byte says about its slot.
pub fn state_name(tophash: u8) -> &'static str {
    match SlotState::from_tophash(tophash) {
        SlotState::EmptyRest => "emptyRest",
        SlotState::EmptyOne => "emptyOne",
        SlotState::EvacuatedX => "evacuatedX",
        SlotState::EvacuatedY => "evacuatedY",
        SlotState::EvacuatedEmpty => "evacuatedEmpty",
        SlotState::Full(_) => "full",
    }
}

/// Entries (tophash >= 5) in a chain.
///
/// Heat cells: `entries` (sum), `chain` (longest chain, buckets) and
/// `overflow` (overflow buckets, sum) over `group` consecutive buckets.
fn chain_entries(c: &gomap::ChainView) -> usize {
    c.buckets
        .iter()
        .flat_map(|b| b.tophash)
        .filter(|&t| t >= 5)
        .count()
}

fn heat(a: &ArrayView) -> Value {
    let n = a.chains.len();
    let group = n.div_ceil(HEAT_CELLS).max(1);
    let mut entries = Vec::with_capacity(n / group + 1);
    let mut chain = Vec::with_capacity(n / group + 1);
    let mut overflow = Vec::with_capacity(n / group + 1);
    for g in a.chains.chunks(group) {
        entries.push(g.iter().map(chain_entries).sum::<usize>());
        chain.push(g.iter().map(|c| c.buckets.len()).max().unwrap_or(0));
        overflow.push(
            g.iter()
                .map(|c| c.buckets.len().saturating_sub(1))
                .sum::<usize>(),
        );
    }
    json!({ "group": group, "entries": entries, "chain": chain, "overflow": overflow })
}

/// One array, buckets `from..to` slot by slot; `slots` maps a bucket address
/// to the (key, value) shown in each slot.
fn array_json(
    a: &ArrayView,
    from: usize,
    to: usize,
    slots: &HashMap<usize, [Option<(String, String)>; 8]>,
) -> Value {
    let n = a.chains.len();
    let (from, to) = (from.min(n), to.min(n));
    let chains: Vec<Value> = a.chains[from..to]
        .iter()
        .map(|c| {
            let buckets: Vec<Value> = c
                .buckets
                .iter()
                .map(|b| {
                    let kv = slots.get(&b.addr);
                    let keys: Vec<Option<&str>> = (0..8)
                        .map(|i| kv.and_then(|s| s[i].as_ref()).map(|p| p.0.as_str()))
                        .collect();
                    let vals: Vec<Option<&str>> = (0..8)
                        .map(|i| kv.and_then(|s| s[i].as_ref()).map(|p| p.1.as_str()))
                        .collect();
                    let states: Vec<&str> = b.tophash.iter().map(|&t| state_name(t)).collect();
                    json!({
                        "addr": format!("{:#x}", b.addr),
                        "tophash": b.tophash,
                        "state": states,
                        "in_array": b.in_array,
                        "keys": keys,
                        "values": vals,
                    })
                })
                .collect();
            json!({ "index": c.index, "buckets": buckets })
        })
        .collect();
    json!({
        "addr": format!("{:#x}", a.addr),
        "B": a.b,
        "count": n,
        "from": from,
        "to": to,
        "chains": chains,
        "heat": heat(a),
    })
}

/// The GC marking order, [`GoMap::heap_walk`]: every allocation the map
/// owns, the map value first; `parent` is the index of the object that
/// points to it (`null` for the map value).
pub fn heap_walk_json<K, V>(m: &GoMap<K, V>) -> Value {
    let objects: Vec<Value> = m
        .heap_walk()
        .iter()
        .map(|o| {
            json!({
                "kind": format!("{:?}", o.kind),
                "addr": format!("{:#x}", o.addr),
                "size": o.size,
                "parent": o.parent,
            })
        })
        .collect();
    json!(objects)
}

/// Where each entry of one `iter_randomized()` pass lies, in the order it
/// was yielded: `[array (0 new, 1 old), bucket, depth, slot]`.
fn range_order<K: ExKey, V: ExValue>(m: &GoMap<K, V>) -> Value {
    if m.len() > RANGE_ORDER_MAX {
        return Value::Null;
    }
    let order: Vec<[usize; 4]> = m
        .iter_randomized()
        .filter_map(|(k, _)| m.locate(k))
        .map(|l| {
            [
                usize::from(l.in_old),
                l.bucket_index,
                l.overflow_depth,
                l.slot,
            ]
        })
        .collect();
    json!(order)
}

/// The whole state; `page` is `from..to` over the current array (default:
/// the first [`DEFAULT_PAGE`] buckets).
pub fn build<K: ExKey, V: ExValue>(e: &Explorer<K, V>, page: Option<(usize, usize)>) -> Value {
    let m = &e.map;
    let s: MapStructure = m.structure();
    let (from, to) = page.unwrap_or((0, DEFAULT_PAGE));
    let cur_n = s.current.as_ref().map_or(0, |a| a.chains.len());
    let old_n = s.old.as_ref().map_or(0, |a| a.chains.len());
    // Keys and values of the slots on this page: hash every key, locate only
    // those whose bucket is on the page (the old array pages the same range).
    let mut slots: HashMap<usize, [Option<(String, String)>; 8]> = HashMap::new();
    if cur_n > 0 {
        let on_page = |i: u64| (from as u64..to as u64).contains(&i);
        for (k, v) in m.iter() {
            let h = m.hasher().hash_one(k);
            let in_cur = on_page(h & (cur_n as u64 - 1));
            let in_old = old_n > 0 && on_page(h & (old_n as u64 - 1));
            if in_cur || in_old {
                if let Some(l) = m.locate(k) {
                    slots.entry(l.bucket_addr).or_default()[l.slot] = Some((k.show(), v.show()));
                }
            }
        }
    }
    let mut out = json!({
        "types": {
            "key": K::NAME, "value": V::NAME,
            "key_rust": K::RUST_NAME, "value_rust": V::RUST_NAME,
        },
        "header": header_json(&s.header),
        "header_layout": header_fields::<K, V>(),
        "layout": GoMap::<K, V>::layout(),
        "stats": s.stats,
        "current": s.current.as_ref().map(|a| array_json(a, from, to, &slots)),
        "old": s.old.as_ref().map(|a| array_json(a, from, to, &slots)),
        "range_order": range_order(m),
        "history": e.history.points(),
        "writes": e.writes,
    });
    out["heap_walk"] = heap_walk_json(m);
    out
}
