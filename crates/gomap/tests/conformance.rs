//! Conformance with the real Go 1.19 runtime, slot by slot.
//!
//! `tests/data/go119_slots.json` (a copy of `../shared/conformance/`, whose
//! README gives the format) records a `map[uint64]uint64` in Go 1.19.8: the
//! ops, every key's hash as the runtime computed it, and snapshots of the
//! whole structure after every write through each growth. Fed the same
//! hashes, gomap must reproduce every snapshot: the header fields, every
//! chain's length and tophash bytes in the current array, every key's
//! (head bucket, overflow depth, slot), and the old array's chains that are
//! not yet evacuated. One entry in another slot fails this test.
//!
//! The data file is not shipped in the published crate (it is 2.4 MB); the
//! test then says so and checks nothing.

use gomap::GoMap;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::rc::Rc;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/go119_slots.json");

/// Hashes a key to the hash Go's runtime recorded for it.
#[derive(Clone)]
struct Recorded(Rc<HashMap<u64, u64>>);

struct RecordedHasher(Rc<HashMap<u64, u64>>, Option<u64>);

impl BuildHasher for Recorded {
    type Hasher = RecordedHasher;
    fn build_hasher(&self) -> RecordedHasher {
        RecordedHasher(Rc::clone(&self.0), None)
    }
}

impl Hasher for RecordedHasher {
    fn write(&mut self, _: &[u8]) {
        unreachable!("u64 keys hash through write_u64");
    }
    fn write_u64(&mut self, key: u64) {
        self.1 = Some(key);
    }
    fn finish(&self) -> u64 {
        let key = self.1.expect("one u64 written");
        *self.0.get(&key).expect("every key has a recorded hash")
    }
}

/// One bucket as Go recorded it: tophash bytes, and the key id per slot.
#[derive(Clone, Debug, PartialEq)]
struct BucketSnap {
    tophash: [u8; 8],
    ids: [Option<usize>; 8],
}

type Chain = Vec<BucketSnap>;

fn parse_chain(v: &Value) -> Chain {
    v.as_array()
        .expect("chain")
        .iter()
        .map(|b| {
            let hex = b[0].as_str().expect("tophash hex");
            let bits = u64::from_str_radix(hex, 16).expect("16 hex digits");
            let ids = b[1].as_array().expect("slot ids");
            assert_eq!(ids.len(), 8);
            BucketSnap {
                tophash: bits.to_be_bytes(),
                ids: core::array::from_fn(|i| ids[i].as_u64().map(|id| id as usize)),
            }
        })
        .collect()
}

/// An array as a list of chains, from a base and the listed deltas.
fn apply(
    base: &str,
    b: usize,
    prev_cur: &Option<Vec<Chain>>,
    prev_old: &Option<Vec<Chain>>,
    delta: &Value,
) -> Option<Vec<Chain>> {
    let mut array = match base {
        "none" => return None,
        "empty" => {
            let empty = BucketSnap {
                tophash: [0; 8],
                ids: [None; 8],
            };
            vec![vec![empty]; 1 << b]
        }
        "prev_cur" => prev_cur.clone().expect("a previous current array"),
        "prev_old" => prev_old.clone().expect("a previous old array"),
        other => panic!("unknown base {other:?}"),
    };
    if let Some(list) = delta.as_array() {
        for entry in list {
            let index = entry[0].as_u64().expect("head index") as usize;
            array[index] = parse_chain(&entry[1]);
        }
    }
    Some(array)
}

fn is_evacuated(top: u8) -> bool {
    (2..=4).contains(&top)
}

/// Compares one array of gomap's structure with Go's, chain by chain, and
/// every listed key's location. Old chains below `nevacuate` or evacuated
/// are skipped, as the README says.
fn check_array(
    what: &str,
    go: &[Chain],
    ours: &gomap::ArrayView,
    map: &GoMap<u64, u64, Recorded>,
    keys: &[u64],
    old_from: Option<usize>,
) -> Result<(), String> {
    if go.len() != ours.chains.len() {
        return Err(format!(
            "{what}: {} chains, Go has {}",
            ours.chains.len(),
            go.len()
        ));
    }
    for (index, (gc, oc)) in go.iter().zip(&ours.chains).enumerate() {
        if let Some(nevacuate) = old_from {
            if index < nevacuate || is_evacuated(gc[0].tophash[0]) {
                continue;
            }
        }
        let tops: Vec<[u8; 8]> = oc.buckets.iter().map(|b| b.tophash).collect();
        let go_tops: Vec<[u8; 8]> = gc.iter().map(|b| b.tophash).collect();
        if tops != go_tops {
            return Err(format!(
                "{what} chain {index}: tophash {tops:02x?}, Go has {go_tops:02x?}"
            ));
        }
        for (depth, bucket) in gc.iter().enumerate() {
            for (slot, id) in bucket.ids.iter().enumerate() {
                let Some(id) = *id else { continue };
                let loc = map
                    .locate(&keys[id])
                    .ok_or_else(|| format!("{what}: key id {id} not found"))?;
                let got = (loc.in_old, loc.bucket_index, loc.overflow_depth, loc.slot);
                let want = (old_from.is_some(), index, depth, slot);
                if got != want {
                    return Err(format!(
                        "{what}: key id {id} at (in_old, head, depth, slot) {got:?}, Go has it at {want:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_snapshot(
    map: &GoMap<u64, u64, Recorded>,
    snap: &Value,
    cur: &Option<Vec<Chain>>,
    old: &Option<Vec<Chain>>,
    keys: &[u64],
) -> Result<(), String> {
    let h = map.header();
    let field = |name: &str| snap[name].as_u64().expect(name);
    let flag = |name: &str| snap[name].as_bool().expect(name);
    let header = (
        u64::from(h.b),
        h.count as u64,
        u64::from(h.noverflow),
        h.same_size_grow,
        h.nevacuate as u64,
        h.growing,
    );
    let go = (
        field("B"),
        field("count"),
        field("noverflow"),
        flag("same_size"),
        field("nevacuate"),
        flag("growing"),
    );
    if header != go {
        return Err(format!(
            "(B, count, noverflow, same_size, nevacuate, growing) = {header:?}, Go has {go:?}"
        ));
    }
    let s = map.structure();
    match (cur, &s.current) {
        (None, None) => {}
        (Some(go), Some(ours)) => check_array("current", go, ours, map, keys, None)?,
        (go, ours) => {
            return Err(format!(
                "current array present: ours {}, Go {}",
                ours.is_some(),
                go.is_some()
            ))
        }
    }
    match (old, &s.old) {
        (None, None) => {}
        (Some(go), Some(ours)) => {
            check_array("old", go, ours, map, keys, Some(h.nevacuate))?;
        }
        (go, ours) => {
            return Err(format!(
                "old array present: ours {}, Go {}",
                ours.is_some(),
                go.is_some()
            ))
        }
    }
    Ok(())
}

fn replay(scenario: &Value) -> Result<usize, String> {
    let u64s = |name: &str| -> Vec<u64> {
        scenario[name]
            .as_array()
            .expect(name)
            .iter()
            .map(|v| v.as_u64().expect("u64"))
            .collect()
    };
    let keys = u64s("keys");
    let hashes = u64s("hashes");
    let hasher = Recorded(Rc::new(keys.iter().copied().zip(hashes).collect()));
    let hint = scenario["hint"].as_u64().expect("hint") as usize;
    let mut map = GoMap::with_capacity_and_hasher(hint, hasher);
    let ops: Vec<i64> = scenario["ops"]
        .as_array()
        .expect("ops")
        .iter()
        .map(|v| v.as_i64().expect("op"))
        .collect();
    let snaps = scenario["snaps"].as_array().expect("snaps");
    let (mut cur, mut old): (Option<Vec<Chain>>, Option<Vec<Chain>>) = (None, None);
    let mut applied = 0;
    for snap in snaps {
        let after = snap["after"].as_u64().expect("after") as usize;
        while applied < after {
            let op = ops[applied];
            if op >= 0 {
                map.insert(keys[op as usize], applied as u64);
            } else {
                // A delete of an absent key is recorded too: it still does
                // growth work, in Go and here.
                map.remove(&keys[(-op - 1) as usize]);
            }
            applied += 1;
        }
        let b = snap["B"].as_u64().expect("B") as usize;
        let new_cur = apply(
            snap["cur_base"].as_str().expect("cur_base"),
            b,
            &cur,
            &old,
            &snap["cur"],
        );
        let old_b = if snap["same_size"].as_bool().expect("same_size") {
            b
        } else {
            b.saturating_sub(1)
        };
        let new_old = apply(
            snap["old_base"].as_str().expect("old_base"),
            old_b,
            &cur,
            &old,
            &snap["old"],
        );
        cur = new_cur;
        old = new_old;
        check_snapshot(&map, snap, &cur, &old, &keys)
            .map_err(|e| format!("after {after} ops: {e}"))?;
    }
    Ok(snaps.len())
}

#[test]
fn go119_slots_reproduced_exactly() {
    let Ok(text) = std::fs::read_to_string(DATA) else {
        eprintln!("skipped: {DATA} is absent (it is not part of the published crate)");
        return;
    };
    let data: Value = serde_json::from_str(&text).expect("valid JSON");
    let scenarios = data["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 7, "the recording has seven scenarios");
    let mut snapshots = 0;
    for s in scenarios {
        let name = s["name"].as_str().expect("name");
        match replay(s) {
            Ok(n) => snapshots += n,
            Err(e) => panic!("scenario {name}: {e}"),
        }
    }
    assert!(snapshots > 2000, "every snapshot compared ({snapshots})");
}
