//! The one live map, the ops on it, and what each write did.
//!
//! How each fact in an op's report is derived (public introspection only):
//! - `hash`, `bucket`, `tophash`: the map's own hasher (`hasher().hash_one`),
//!   its low `B` bits after the write (Go computes the bucket after `hashGrow`),
//!   its top byte raised by 5 when below `minTopHash`;
//! - `slot`: `locate()` after the write (for `get`, without writing; for
//!   `remove`, before it);
//! - `growth`: the header before and after: a new bucket array where there was
//!   one means a growth started (`B` up: doubling, else same-size); the old
//!   array gone means the evacuation finished and the old array was freed;
//! - `evacuated`: the old buckets whose head's `tophash[0]` turned into an
//!   evacuated state during the write (`structure()` before and after; all of
//!   them when the old array was freed). Their entries were located before
//!   the write and located again after it: same index is X, index + old count
//!   is Y. Only the buckets Go's `growWork` can touch (the key's old bucket
//!   and the next unevacuated ones from `nevacuate`) are located beforehand;
//!   any other bucket is reported with `entries: null`;
//! - `overflow`: overflow buckets in the current array's chains after the
//!   write that were not there before; `from_pool` is the bucket's `in_array`
//!   flag (a pre-allocated overflow bucket lies inside the array's allocation).

use super::api::{ApiError, Op, Until};
use super::{MAX_ENTRIES, MAX_STRING};
use crate::types::{MenuType, TypeName};
use gomap::{ArrayView, GoMap, HeaderView, MapStructure, SlotLocation, SlotState};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

/// A key type the explorer serves.
pub trait ExKey: MenuType + Send {
    /// Its menu name.
    const NAME: TypeName;
    /// Reads a key from JSON, or says why not.
    fn parse(v: &Value) -> Result<Self, String>;
    /// How the page shows it.
    fn show(&self) -> String;
}

/// A value type the explorer serves.
pub trait ExValue: MenuType + Send {
    /// Its menu name.
    const NAME: TypeName;
    /// Reads a value from JSON, or says why not.
    fn parse(v: &Value) -> Result<Self, String>;
    /// How the page shows it.
    fn show(&self) -> String;
}

fn parse_u64(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| {
        format!(
            "{what} must be a whole number from 0 to {} (the map's {what} type is u64), got {}",
            u64::MAX,
            short(v)
        )
    })
}

fn parse_string(v: &Value, what: &str) -> Result<String, String> {
    match v.as_str() {
        Some(s) if s.len() <= MAX_STRING => Ok(s.to_string()),
        Some(s) => Err(format!(
            "{what} is {} bytes long; at most {MAX_STRING} are accepted",
            s.len()
        )),
        None => Err(format!(
            "{what} must be a JSON string (the map's {what} type is String), got {}",
            short(v)
        )),
    }
}

/// A JSON value cut to a readable length for an error message.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        let mut end = 40;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

impl ExKey for u64 {
    const NAME: TypeName = TypeName::U64;
    fn parse(v: &Value) -> Result<Self, String> {
        parse_u64(v, "key")
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl ExKey for String {
    const NAME: TypeName = TypeName::String;
    fn parse(v: &Value) -> Result<Self, String> {
        parse_string(v, "key")
    }
    fn show(&self) -> String {
        self.clone()
    }
}

impl ExValue for u64 {
    const NAME: TypeName = TypeName::U64;
    fn parse(v: &Value) -> Result<Self, String> {
        parse_u64(v, "value")
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl ExValue for String {
    const NAME: TypeName = TypeName::String;
    fn parse(v: &Value) -> Result<Self, String> {
        parse_string(v, "value")
    }
    fn show(&self) -> String {
        self.clone()
    }
}

/// `[u8; 200]`: over 128 bytes, so the bucket holds a pointer to it (Go's
/// indirect elem). Given as a number n in JSON: the n-th menu value.
impl ExValue for [u8; 200] {
    const NAME: TypeName = TypeName::Big;
    fn parse(v: &Value) -> Result<Self, String> {
        let n = v.as_u64().ok_or_else(|| {
            format!(
                "value must be a whole number n (the map's value type is [u8; 200]; n fills its first 8 bytes), got {}",
                short(v)
            )
        })?;
        Ok(<[u8; 200]>::from_index(n))
    }
    fn show(&self) -> String {
        let mut n = [0u8; 8];
        n.copy_from_slice(&self[..8]);
        format!("[{}, ..200]", u64::from_le_bytes(n))
    }
}

/// What the server needs from a session, whatever its key and value types.
pub trait Session: Send {
    /// Key type name.
    fn key_type(&self) -> TypeName;
    /// Value type name.
    fn value_type(&self) -> TypeName;
    /// The `/api/state` JSON for buckets `from..to` of the current array.
    fn state(&self, page: Option<(usize, usize)>) -> Value;
    /// Runs one op (not `reset`, which replaces the session) and says what it did.
    fn op(&mut self, op: &Op) -> Result<Value, ApiError>;
}

/// A new session over an empty `GoMap<K, V>` for the menu names given.
pub fn new_session(key: TypeName, value: TypeName) -> Result<Box<dyn Session>, ApiError> {
    fn v<K: ExKey + 'static>(value: TypeName) -> Result<Box<dyn Session>, ApiError> {
        match value {
            TypeName::U64 => Ok(Box::new(Explorer::<K, u64>::new())),
            TypeName::String => Ok(Box::new(Explorer::<K, String>::new())),
            TypeName::Big => Ok(Box::new(Explorer::<K, [u8; 200]>::new())),
            other => Err(ApiError::bad(format!(
                "value type {} is not served; choose u64, string or big ([u8; 200], stored indirectly)",
                other.rust_name()
            ))),
        }
    }
    match key {
        TypeName::U64 => v::<u64>(value),
        TypeName::String => v::<String>(value),
        other => Err(ApiError::bad(format!(
            "key type {} is not served; choose u64 or string",
            other.rust_name()
        ))),
    }
}

/// One point of the heap chart.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Point {
    /// Writes so far (inserts and removes, counted over the session).
    pub write: u64,
    /// `stats().heap_bytes` after that write.
    pub heap_bytes: usize,
    /// Entries.
    pub len: usize,
    /// `B`.
    #[serde(rename = "B")]
    pub b: u8,
    /// `grow-doubling`, `grow-same-size`, `old-freed`, `first-array`, `clear`, or none.
    pub event: Option<&'static str>,
}

/// Heap bytes over writes, bounded: past `CAP` points every other point
/// without an event is dropped, so the chart keeps its shape and every event.
#[derive(Debug, Clone, Default)]
pub struct History {
    points: Vec<Point>,
}

impl History {
    const CAP: usize = 4096;

    fn push(&mut self, p: Point) {
        if self.points.len() >= Self::CAP {
            let mut i = 0;
            self.points.retain(|q| {
                i += 1;
                q.event.is_some() || i % 2 == 0
            });
        }
        self.points.push(p);
    }

    /// The points, oldest first.
    pub fn points(&self) -> &[Point] {
        &self.points
    }
}

/// The map and its bookkeeping.
pub struct Explorer<K, V> {
    /// The live map.
    pub map: GoMap<K, V>,
    /// Index of the next generated key (`fill`, `churn`, the step buttons).
    next_key: u64,
    /// Writes so far (inserts and removes).
    pub writes: u64,
    /// Heap bytes over writes.
    pub history: History,
}

/// The growth events between two header readings around one write.
pub fn events(before: &HeaderView, after: &HeaderView) -> Vec<&'static str> {
    let mut ev = Vec::new();
    if before.buckets == 0 && after.buckets != 0 {
        ev.push("first-array");
    }
    // A new array while one existed: hashGrow ran (ops never shrink).
    let started = before.buckets != 0 && after.buckets != before.buckets;
    if before.oldbuckets != 0 && after.oldbuckets != before.oldbuckets {
        ev.push("old-freed");
    }
    if started {
        ev.push(if after.b > before.b {
            "grow-doubling"
        } else {
            "grow-same-size"
        });
        if after.oldbuckets == 0 {
            // Started and finished in the same write (an old array of one or two buckets).
            ev.push("old-freed");
        }
    }
    ev
}

/// Go's tophash of a hash: the top byte, raised by `minTopHash` when below it.
pub fn tophash(hash: u64) -> u8 {
    let t = (hash >> 56) as u8;
    if t < 5 {
        t + 5
    } else {
        t
    }
}

fn mask(n: usize) -> u64 {
    n.saturating_sub(1) as u64
}

fn head_evacuated(a: &ArrayView, i: usize) -> bool {
    // A bucket past the end counts as evacuated: nothing is left to move there.
    let Some(c) = a.chains.get(i) else {
        return true;
    };
    c.buckets.first().is_some_and(|b| {
        matches!(
            SlotState::from_tophash(b.tophash[0]),
            SlotState::EvacuatedX | SlotState::EvacuatedY | SlotState::EvacuatedEmpty
        )
    })
}

fn loc_json(l: &SlotLocation) -> Value {
    json!({
        "array": if l.in_old { "old" } else { "new" },
        "bucket": l.bucket_index,
        "depth": l.overflow_depth,
        "slot": l.slot,
        "addr": format!("{:#x}", l.bucket_addr),
    })
}

/// One array that may be evacuated during a write: its address and size,
/// which of its buckets were already evacuated, and the located entries of
/// the buckets the write may touch.
struct Source<K> {
    addr: usize,
    n: usize,
    was_evacuated: Vec<bool>,
    /// (key, old bucket, depth, slot) for the candidate buckets.
    entries: Vec<(K, usize, usize, usize)>,
    candidates: HashSet<usize>,
}

impl<K: ExKey, V: ExValue> Explorer<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        let map = GoMap::new();
        let mut history = History::default();
        history.push(Point {
            write: 0,
            heap_bytes: 0,
            len: 0,
            b: 0,
            event: None,
        });
        Explorer {
            map,
            next_key: 0,
            writes: 0,
            history,
        }
    }

    fn hash(&self, k: &K) -> u64 {
        self.map.hasher().hash_one(k)
    }

    /// The next generated key not in the map.
    fn fresh_key(&mut self) -> K {
        loop {
            let k = K::from_index(self.next_key);
            self.next_key += 1;
            if !self.map.contains_key(&k) {
                return k;
            }
        }
    }

    fn record(&mut self, before: &HeaderView) -> Vec<&'static str> {
        self.writes += 1;
        let after = self.map.header();
        let ev = events(before, &after);
        let s = self.map.stats();
        for (i, e) in ev.iter().enumerate() {
            // Several events in one write: one point each, at the same write.
            if i + 1 < ev.len() {
                self.history.push(Point {
                    write: self.writes,
                    heap_bytes: s.heap_bytes,
                    len: s.len,
                    b: s.b,
                    event: Some(e),
                });
            }
        }
        self.history.push(Point {
            write: self.writes,
            heap_bytes: s.heap_bytes,
            len: s.len,
            b: s.b,
            event: ev.last().copied(),
        });
        ev
    }

    /// Like `record` but cheap enough for every write of a million-write
    /// fill: `stats()` (O(buckets)) only when the header changed shape, and
    /// on every `stride`-th write so the chart keeps its slope.
    fn record_bulk(&mut self, before: &HeaderView, stride: u64) -> Vec<&'static str> {
        let after = self.map.header();
        if after.buckets != before.buckets
            || after.oldbuckets != before.oldbuckets
            || after.noverflow != before.noverflow
            || (self.writes + 1) % stride == 0
        {
            self.record(before)
        } else {
            self.writes += 1;
            Vec::new()
        }
    }

    /// Locates, before a write, the entries of the buckets of `array` that
    /// the write may evacuate.
    fn source(
        &self,
        array: &ArrayView,
        nevacuate: usize,
        key_hash: u64,
        in_old: bool,
    ) -> Source<K> {
        let n = array.chains.len();
        let was_evacuated: Vec<bool> = (0..n).map(|i| head_evacuated(array, i)).collect();
        let mut candidates = HashSet::new();
        candidates.insert((key_hash & mask(n)) as usize);
        // growWork's second evacuation takes the bucket at nevacuate, after the
        // mark has moved past evacuated buckets: the first two unevacuated ones.
        candidates.extend((nevacuate.min(n)..n).filter(|&i| !was_evacuated[i]).take(2));
        let mut entries = Vec::new();
        for (k, _) in self.map.iter() {
            let i = (self.hash(k) & mask(n)) as usize;
            if candidates.contains(&i) {
                if let Some(l) = self.map.locate(k) {
                    if l.in_old == in_old {
                        entries.push((k.clone(), l.bucket_index, l.overflow_depth, l.slot));
                    }
                }
            }
        }
        Source {
            addr: array.addr,
            n,
            was_evacuated,
            entries,
            candidates,
        }
    }

    /// Old buckets of `src` evacuated by the write, with where each entry went.
    fn evacuations(&self, src: &Source<K>, after: &MapStructure, doubling: bool) -> Vec<Value> {
        let now = match &after.old {
            Some(a) if a.addr == src.addr => Some(a),
            _ => None, // the old array was freed: every bucket is evacuated
        };
        let mut out = Vec::new();
        for i in 0..src.n {
            let evac_now = now.is_none_or(|a| head_evacuated(a, i));
            if src.was_evacuated[i] || !evac_now {
                continue;
            }
            let entries = if src.candidates.contains(&i) {
                let list: Vec<Value> = src
                    .entries
                    .iter()
                    .filter(|e| e.1 == i)
                    .map(|(k, _, d, s)| {
                        let to = self.map.locate(k);
                        let half = match to {
                            Some(l) if !l.in_old && l.bucket_index == i => "X",
                            Some(l) if !l.in_old && doubling && l.bucket_index == i + src.n => "Y",
                            Some(_) => "?",
                            None => "removed",
                        };
                        json!({
                            "key": k.show(),
                            "from": {"bucket": i, "depth": d, "slot": s},
                            "half": half,
                            "to": to.as_ref().map(loc_json),
                        })
                    })
                    .collect();
                Value::Array(list)
            } else {
                Value::Null
            };
            out.push(json!({
                "old_bucket": i,
                "old_count": src.n,
                "kind": if doubling { "doubling" } else { "same-size" },
                "x": i,
                "y": if doubling { Some(i + src.n) } else { None },
                "entries": entries,
            }));
        }
        out
    }

    /// Overflow buckets in the current array's chains after the write that
    /// were not there before.
    fn new_overflow(before: &MapStructure, after: &MapStructure) -> Vec<Value> {
        let Some(cur) = &after.current else {
            return Vec::new();
        };
        let old_addrs: HashSet<usize> = match &before.current {
            Some(b) if b.addr == cur.addr => b
                .chains
                .iter()
                .flat_map(|c| c.buckets.iter().skip(1).map(|b| b.addr))
                .collect(),
            _ => HashSet::new(),
        };
        let mut out = Vec::new();
        for c in &cur.chains {
            for (d, b) in c.buckets.iter().enumerate().skip(1) {
                if !old_addrs.contains(&b.addr) {
                    out.push(json!({
                        "bucket": c.index,
                        "depth": d,
                        "addr": format!("{:#x}", b.addr),
                        "from_pool": b.in_array,
                    }));
                }
            }
        }
        out
    }

    fn key_facts(&self, k: &K) -> Value {
        let h = self.hash(k);
        let hd = self.map.header();
        let b = hd.b;
        let mut v = json!({
            "key": k.show(),
            "hash": format!("{h:#018x}"),
            "hash_bits": format!("{h:064b}"),
            "B": b,
            "bucket": h & mask(1usize << b),
            "tophash": tophash(h),
            "tophash_raised": (h >> 56) < 5,
        });
        if hd.growing {
            let ob = if hd.same_size_grow { b } else { b - 1 };
            v["old_B"] = json!(ob);
            v["old_bucket"] = json!(h & mask(1usize << ob));
        }
        v
    }

    /// insert or remove of one key, with everything it did.
    fn write_one(&mut self, key: K, value: Option<V>) -> Value {
        let hb = self.map.header();
        let sb = self.map.structure();
        let heap_before = sb.stats.heap_bytes;
        let h = self.hash(&key);
        let mut sources: Vec<(Source<K>, bool)> = Vec::new();
        if let Some(old) = &sb.old {
            sources.push((self.source(old, hb.nevacuate, h, true), !hb.same_size_grow));
        }
        let is_new = !self.map.contains_key(&key);
        if let (Some(cur), true) = (&sb.current, value.is_some() && is_new) {
            // This insert may start a growth: the current array would become the old one.
            sources.push((self.source(cur, 0, h, false), true));
        }
        let removed_at = if value.is_none() {
            self.map.locate(&key)
        } else {
            None
        };
        let (op, prior) = match value {
            Some(v) => ("insert", self.map.insert(key.clone(), v).map(|p| p.show())),
            None => ("remove", self.map.remove(&key).map(|p| p.show())),
        };
        let ev = self.record(&hb);
        let sa = self.map.structure();
        let started = ev.iter().find(|e| e.starts_with("grow-")).map(|e| &e[5..]);
        let mut evacuated = Vec::new();
        for (src, doubling) in &sources {
            let is_new_array = sb.current.as_ref().is_some_and(|c| c.addr == src.addr);
            if is_new_array && started.is_none() {
                continue; // no growth started: the current array was not evacuated
            }
            let doubling = if is_new_array {
                started == Some("doubling")
            } else {
                *doubling
            };
            evacuated.extend(self.evacuations(src, &sa, doubling));
        }
        let mut r = self.key_facts(&key);
        r["op"] = json!(op);
        r["write"] = json!(self.writes);
        match op {
            "insert" => {
                r["replaced"] = json!(prior);
                r["slot"] = json!(self.map.locate(&key).as_ref().map(loc_json));
            }
            _ => {
                r["removed"] = json!(prior);
                r["slot"] = json!(removed_at.as_ref().map(loc_json));
            }
        }
        r["growth"] = json!({
            "started": started,
            "finished": ev.contains(&"old-freed"),
            "B_before": hb.b,
            "B_after": sa.header.b,
        });
        r["nevacuate_before"] = json!(hb.nevacuate);
        r["nevacuate_after"] = json!(sa.header.nevacuate);
        r["evacuated"] = Value::Array(evacuated);
        r["overflow"] = Value::Array(Self::new_overflow(&sb, &sa));
        r["heap_bytes_before"] = json!(heap_before);
        r["heap_bytes_after"] = json!(sa.stats.heap_bytes);
        r["events"] = json!(ev);
        r
    }

    fn check_room(&self, more: u64) -> Result<(), ApiError> {
        if self.map.len() as u64 + more > MAX_ENTRIES as u64 {
            return Err(ApiError::bad(format!(
                "the map holds {} entries; {more} more would pass the server's cap of {MAX_ENTRIES} (reset or clear first)",
                self.map.len()
            )));
        }
        Ok(())
    }

    fn bulk(&mut self, n: u64, until: Until, churn: bool) -> Result<Value, ApiError> {
        if churn && self.map.is_empty() {
            return Err(ApiError::bad(
                "churn removes a random entry and inserts a new one; the map is empty, fill it first",
            ));
        }
        // A fill that stops at a growth may never need all of n: it stops at
        // the cap instead of being refused up front.
        if !churn && until == Until::Never {
            self.check_room(n)?;
        }
        let mut growths = Vec::new();
        let mut growth_count = 0u64;
        let mut freed = 0u64;
        let mut done = 0u64;
        let mut stopped = None;
        let first = self.writes + 1;
        // About a thousand chart points per bulk op, besides the growth events.
        let stride = (n * if churn { 2 } else { 1 } / 1024).max(1);
        'outer: for _ in 0..n {
            let mut steps = Vec::with_capacity(2);
            if churn {
                let victim = self.map.iter_randomized().next().map(|(k, _)| k.clone());
                if let Some(victim) = victim {
                    steps.push(Some(victim));
                }
            }
            steps.push(None);
            if !churn && self.map.len() >= MAX_ENTRIES {
                stopped = Some("entry_cap");
                break;
            }
            for victim in steps {
                let hb = self.map.header();
                match victim {
                    Some(k) => {
                        self.map.remove(&k);
                    }
                    None => {
                        let k = self.fresh_key();
                        let v = V::from_index(self.next_key - 1);
                        self.map.insert(k, v);
                    }
                }
                let ev = self.record_bulk(&hb, stride);
                for e in &ev {
                    if let Some(kind) = e.strip_prefix("grow-") {
                        growth_count += 1;
                        if growths.len() < 100 {
                            growths.push(json!({
                                "write": self.writes, "kind": kind,
                                "B_before": hb.b, "B_after": self.map.header().b,
                                "len": self.map.len(),
                            }));
                        }
                    }
                    if *e == "old-freed" {
                        freed += 1;
                    }
                }
                let hit = match until {
                    Until::Never => false,
                    Until::Growth => ev.iter().any(|e| e.starts_with("grow-")),
                    Until::SameSizeGrowth => ev.contains(&"grow-same-size"),
                };
                if hit {
                    done += 1;
                    stopped = Some(until.name());
                    break 'outer;
                }
            }
            done += 1;
        }
        Ok(json!({
            "op": if churn { "churn" } else { "fill" },
            "requested": n,
            "done": done,
            "writes": [first, self.writes],
            "stopped_at": stopped,
            "growths_started": growth_count,
            "growths": growths,
            "old_arrays_freed": freed,
            "len": self.map.len(),
        }))
    }

    /// Go's range with deletes (and inserts) through `cursor()`.
    fn range(&mut self, remove_every: u64, insert: u64) -> Result<Value, ApiError> {
        self.check_room(insert)?;
        const SHOWN: usize = 4096;
        let before: HashMap<String, SlotLocation> = if self.map.len() <= SHOWN {
            self.map
                .iter()
                .filter_map(|(k, _)| self.map.locate(k).map(|l| (k.show(), l)))
                .collect()
        } else {
            HashMap::new()
        };
        let fresh: Vec<(K, V)> = (0..insert)
            .map(|_| {
                let k = self.fresh_key();
                // fresh_key checks the map; these are also distinct from each other.
                (k, V::from_index(self.next_key - 1))
            })
            .collect();
        let hb = self.map.header();
        let mut order = Vec::new();
        let mut removed = Vec::new();
        let mut removed_n = 0u64;
        let mut yielded = 0u64;
        let mut inserted = 0u64;
        let mut fresh = fresh.into_iter();
        {
            let mut c = self.map.cursor();
            while let Some((k, _)) = c.next() {
                let shown = k.show();
                yielded += 1;
                if let Some(next) = fresh.next() {
                    // Go allows inserting while ranging; the new entry may or may not be yielded.
                    c.insert(next.0, next.1);
                    inserted += 1;
                }
                if order.len() < SHOWN {
                    let at = before.get(&shown).map(loc_json);
                    order.push(json!({"key": shown.clone(), "was_at": at}));
                }
                if remove_every > 0 && yielded % remove_every == 0 {
                    c.remove_current();
                    removed_n += 1;
                    if removed.len() < SHOWN {
                        removed.push(shown);
                    }
                }
            }
        }
        // The whole range is one point on the heap chart, at its last write.
        let writes = removed_n + inserted;
        let ev = if writes > 0 {
            self.writes += writes - 1;
            self.record(&hb)
        } else {
            Vec::new()
        };
        Ok(json!({
            "op": "range",
            "yielded": yielded,
            "removed": removed,
            "inserted": inserted,
            "order": order,
            "events": ev,
            "len": self.map.len(),
        }))
    }
}

impl<K: ExKey, V: ExValue> Default for Explorer<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: ExKey, V: ExValue> Session for Explorer<K, V> {
    fn key_type(&self) -> TypeName {
        K::NAME
    }

    fn value_type(&self) -> TypeName {
        V::NAME
    }

    fn state(&self, page: Option<(usize, usize)>) -> Value {
        super::state::build(self, page)
    }

    fn op(&mut self, op: &Op) -> Result<Value, ApiError> {
        match op {
            Op::Insert { key, value } => {
                let k = K::parse(key).map_err(ApiError::bad)?;
                let v = match value {
                    Some(v) => V::parse(v).map_err(ApiError::bad)?,
                    None => V::from_index(self.writes),
                };
                if !self.map.contains_key(&k) {
                    self.check_room(1)?;
                }
                Ok(self.write_one(k, Some(v)))
            }
            Op::InsertNext => {
                self.check_room(1)?;
                let k = self.fresh_key();
                let v = V::from_index(self.next_key - 1);
                Ok(self.write_one(k, Some(v)))
            }
            Op::Remove { key } => {
                let k = K::parse(key).map_err(ApiError::bad)?;
                Ok(self.write_one(k, None))
            }
            Op::Get { key } => {
                let k = K::parse(key).map_err(ApiError::bad)?;
                let mut r = self.key_facts(&k);
                r["op"] = json!("get");
                r["found"] = json!(self.map.get(&k).map(|v| v.show()));
                r["slot"] = json!(self.map.locate(&k).as_ref().map(loc_json));
                Ok(r)
            }
            Op::Fill { n, until } => self.bulk(*n, *until, false),
            Op::Churn { n, until } => self.bulk(*n, *until, true),
            Op::Clear => {
                let hb = self.map.header();
                let len = self.map.len();
                self.map.clear();
                self.writes += 1;
                let s = self.map.stats();
                self.history.push(Point {
                    write: self.writes,
                    heap_bytes: s.heap_bytes,
                    len: 0,
                    b: s.b,
                    event: Some("clear"),
                });
                Ok(json!({"op": "clear", "removed": len, "B_before": hb.b, "B_after": s.b}))
            }
            Op::Range {
                remove_every,
                insert,
            } => self.range(*remove_every, *insert),
            Op::Reset { .. } => Err(ApiError::internal("reset is handled by the server")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(buckets: usize, oldbuckets: usize, b: u8) -> HeaderView {
        HeaderView {
            buckets,
            oldbuckets,
            b,
            growing: oldbuckets != 0,
            ..HeaderView::default()
        }
    }

    #[test]
    fn events_name_growth_starts_and_old_array_frees() {
        assert_eq!(
            events(&header(0, 0, 0), &header(0x10, 0, 0)),
            ["first-array"]
        );
        assert_eq!(
            events(&header(0x10, 0, 3), &header(0x20, 0x10, 4)),
            ["grow-doubling"]
        );
        assert_eq!(
            events(&header(0x10, 0, 3), &header(0x20, 0x10, 3)),
            ["grow-same-size"]
        );
        assert_eq!(
            events(&header(0x20, 0x10, 4), &header(0x20, 0, 4)),
            ["old-freed"]
        );
        // A one-bucket old array is evacuated by the write that made it old.
        assert_eq!(
            events(&header(0x10, 0, 0), &header(0x20, 0, 1)),
            ["grow-doubling", "old-freed"]
        );
        // One write can finish a growth and start the next (Go's `goto again`).
        assert_eq!(
            events(&header(0x20, 0x10, 4), &header(0x30, 0x20, 5)),
            ["old-freed", "grow-doubling"]
        );
        assert!(events(&header(0x20, 0x10, 4), &header(0x20, 0x10, 4)).is_empty());
    }

    #[test]
    fn tophash_is_the_top_byte_raised_below_five() {
        assert_eq!(tophash(0xab00_0000_0000_0000), 0xab);
        assert_eq!(tophash(0x0400_0000_0000_0000), 9);
        assert_eq!(tophash(0), 5);
    }

    #[test]
    fn history_stays_bounded_and_keeps_every_event() {
        let mut h = History::default();
        for w in 0..20_000u64 {
            let event = (w % 1000 == 0).then_some("grow-doubling");
            h.push(Point {
                write: w,
                heap_bytes: w as usize,
                len: 0,
                b: 0,
                event,
            });
        }
        assert!(h.points().len() <= History::CAP + 1, "{}", h.points().len());
        assert_eq!(h.points().iter().filter(|p| p.event.is_some()).count(), 20);
        assert!(h.points().windows(2).all(|w| w[0].write < w[1].write));
        assert_eq!(h.points().last().unwrap().write, 19_999);
    }

    #[test]
    fn the_entry_cap_bounds_fill() {
        let mut e = Explorer::<u64, u64>::new();
        assert!(e.check_room(1000).is_ok());
        let err = e.check_room(MAX_ENTRIES as u64 + 1).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.message.contains("cap"));
        // A refused fill inserts nothing.
        assert!(e.bulk(MAX_ENTRIES as u64 + 1, Until::Never, false).is_err());
        assert_eq!(e.map.len(), 0);
        // With `until`, the fill runs and stops at its event (here the 9th insert).
        let r = e
            .bulk(MAX_ENTRIES as u64 + 1, Until::Growth, false)
            .unwrap();
        assert_eq!(
            (r["done"].as_u64(), r["stopped_at"].as_str()),
            (Some(9), Some("growth"))
        );
    }

    #[test]
    fn range_without_writes_adds_no_write() {
        let mut e = Explorer::<u64, u64>::new();
        e.bulk(10, Until::Never, false).unwrap();
        let w = e.writes;
        e.range(0, 0).unwrap();
        assert_eq!(e.writes, w);
        let r = e.range(2, 3).unwrap();
        // Entries inserted while ranging may or may not be yielded (Go's rule),
        // so the removes are counted from the report.
        let removed = r["removed"].as_array().unwrap().len() as u64;
        assert!(removed >= 5, "every 2nd of at least 10 yielded entries");
        assert_eq!(r["inserted"], 3);
        assert_eq!(e.writes, w + removed + 3);
        assert_eq!(e.map.len() as u64, 10 + 3 - removed);
    }
}
