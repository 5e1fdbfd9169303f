//! The `tracing` feature: growth events on target `gomap`, checked with a
//! hand-written capturing subscriber against a known insert sequence.
#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use gomap::GoMap;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One captured event: its fields as text, and how many map operations had
/// been issued when it fired (filled in by the test).
#[derive(Debug, Clone)]
struct Captured {
    fields: BTreeMap<String, String>,
    at_op: usize,
}

impl Captured {
    fn s(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("event has no field {name}: {:?}", self.fields))
    }
    fn n(&self, name: &str) -> usize {
        self.s(name).parse().unwrap()
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "gomap"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            fields,
            at_op: usize::MAX,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Runs `ops` map operations under the capturing subscriber; after each one,
/// `check` sees the map and the events that operation emitted.
fn capture<M>(
    map: &mut M,
    ops: usize,
    mut op: impl FnMut(&mut M, usize),
    mut check: impl FnMut(&M, &[Captured]),
) -> Vec<Captured> {
    let cap = Capture::default();
    let events = cap.0.clone();
    tracing::subscriber::with_default(cap, || {
        for i in 0..ops {
            let before = events.lock().unwrap().len();
            op(map, i);
            let mut ev = events.lock().unwrap();
            for e in &mut ev[before..] {
                e.at_op = i;
            }
            check(map, &ev[before..]);
        }
    });
    let v = events.lock().unwrap().clone();
    v
}

/// Bytes of a `u64 -> u64` bucket array of `2^b` buckets (144-byte buckets,
/// plus `2^(b-4)` pre-allocated overflow buckets from b = 4).
fn array_bytes(b: u32) -> usize {
    let pre = if b >= 4 { 1 << (b - 4) } else { 0 };
    ((1 << b) + pre) * 144
}

#[test]
fn doublings_of_0_to_100_match_go() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    let events = capture(
        &mut m,
        100,
        |m, i| {
            m.insert(i as u64, i as u64);
        },
        |m, new| {
            // The addresses in a grow_start event are the live ones.
            for e in new.iter().filter(|e| e.s("event") == "grow_start") {
                let s = m.stats();
                if s.growing {
                    assert_eq!(e.n("buckets_addr"), s.buckets_addr);
                    assert_eq!(e.n("old_buckets_addr"), s.old_buckets_addr);
                }
            }
        },
    );

    let grows: Vec<_> = events
        .iter()
        .filter(|e| e.s("event") == "grow_start")
        .collect();
    let dones: Vec<_> = events
        .iter()
        .filter(|e| e.s("event") == "evacuation_done")
        .collect();
    assert_eq!(events.len(), grows.len() + dones.len(), "{events:?}");

    // Doublings start on the 9th, 14th, 27th and 53rd insert; `len` is the
    // count before that insert (Go's hashGrow runs before count++).
    let starts: Vec<_> = grows
        .iter()
        .map(|e| (e.at_op + 1, e.n("len"), e.n("old_b"), e.n("new_b")))
        .collect();
    assert_eq!(
        starts,
        [(9, 8, 0, 1), (14, 13, 1, 2), (27, 26, 2, 3), (53, 52, 3, 4)]
    );
    for g in &grows {
        assert_eq!(g.s("kind"), "doubling");
        assert_ne!(g.n("buckets_addr"), 0);
        assert_ne!(g.n("old_buckets_addr"), 0);
        assert_ne!(g.n("buckets_addr"), g.n("old_buckets_addr"));
    }
    // Each growth's old array is the previous growth's new array.
    for w in grows.windows(2) {
        assert_eq!(w[1].n("old_buckets_addr"), w[0].n("buckets_addr"));
    }

    // Every growth finishes before the next starts; its `writes` are the
    // writes from the one that started it through the one that finished it.
    assert_eq!(dones.len(), 4);
    for (g, d) in grows.iter().zip(&dones) {
        let old_b = g.n("old_b") as u32;
        assert!(d.at_op >= g.at_op);
        assert_eq!(d.n("writes"), d.at_op - g.at_op + 1, "{d:?}");
        // Each write evacuates at least the bucket at `nevacuate`.
        assert!((1..=1 << old_b).contains(&d.n("writes")), "{d:?}");
        assert_eq!(d.n("old_buckets"), 1 << old_b);
        assert_eq!(d.n("b"), g.n("new_b"));
        assert_eq!(d.n("bytes_freed"), array_bytes(old_b));
        assert_eq!(d.s("retained"), "false");
    }
    // The first growth has one old bucket: the insert that starts it
    // evacuates it and finishes the growth at once.
    assert_eq!((dones[0].at_op, dones[0].n("writes")), (8, 1));
    assert!(grows
        .windows(2)
        .zip(&dones)
        .all(|(g, d)| g[0].at_op <= d.at_op && d.at_op < g[1].at_op));
}

#[test]
fn a_large_old_array_is_reported_freed_when_it_really_is() {
    // Growing to 60,000 entries finishes a growth whose old array (B = 12:
    // 4096 + 256 buckets of 144 bytes, 612 KiB) is freed at once, and one
    // whose old array (B = 13, 1.2 MiB) is retired: its pages go back to
    // the OS a chunk per write and it is freed a few writes later.
    let mut m: GoMap<u64, u64> = GoMap::new();
    let ev = capture(
        &mut m,
        60_000,
        |m, i| {
            m.insert(i as u64, 0);
        },
        |_, _| {},
    );
    let done = |old_b: usize| {
        ev.iter()
            .find(|e| e.s("event") == "evacuation_done" && e.n("b") == old_b + 1)
            .unwrap_or_else(|| panic!("no evacuation_done from B = {old_b}: {ev:?}"))
    };
    let small = done(12);
    assert_eq!(
        (small.n("bytes_freed"), small.s("retiring")),
        (array_bytes(12), "false")
    );
    let large = done(13);
    assert_eq!((large.n("bytes_freed"), large.s("retiring")), (0, "true"));
    let freed: Vec<_> = ev
        .iter()
        .filter(|e| e.s("event") == "old_array_freed")
        .collect();
    assert_eq!(freed.len(), 1, "{freed:?}");
    assert_eq!(freed[0].n("bytes_freed"), array_bytes(13));
    assert!(
        freed[0].at_op > large.at_op,
        "freed after the growth finished"
    );
}

#[test]
fn a_cursor_keeps_the_old_array_and_the_event_says_so() {
    let mut m: GoMap<u64, u64> = (0..13).map(|i| (i, i)).collect();
    let cap = Capture::default();
    let events = cap.0.clone();
    tracing::subscriber::with_default(cap, || {
        let mut c = m.cursor();
        let mut k = 100;
        while c.next().is_some() {
            // Inserts during the walk start a growth and finish it.
            for _ in 0..20 {
                c.insert(k, k);
                k += 1;
            }
        }
    });
    let ev = events.lock().unwrap();
    let done: Vec<_> = ev
        .iter()
        .filter(|e| e.s("event") == "evacuation_done")
        .collect();
    assert!(!done.is_empty(), "{ev:?}");
    for d in done {
        assert_eq!(d.s("retained"), "true");
        assert_eq!(d.n("bytes_freed"), 0);
    }
}

/// Hash = key: lets the test put keys in chosen buckets.
#[derive(Clone, Copy, Default)]
struct Identity;
struct IdentityHasher(u64);
impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
impl BuildHasher for Identity {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[test]
fn same_size_growth_is_reported_as_such() {
    // Overflow buckets stay on their chains after removes, so: pile keys
    // into one chain, remove them, pile keys into other chains, repeat, until
    // Go's tooManyOverflowBuckets starts a same-size growth.
    let mut m: GoMap<u64, u64, Identity> = GoMap::with_hasher(Identity);
    let cap = Capture::default();
    let events = cap.0.clone();
    tracing::subscriber::with_default(cap, || {
        'outer: for round in 0..64u64 {
            let keys: Vec<u64> = (0..24).map(|j| (j << 8) | (round % 4)).collect();
            for &k in &keys {
                m.insert(k, k);
                if events
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|e| e.fields.get("kind").is_some_and(|k| k == "same_size"))
                {
                    break 'outer;
                }
            }
            for k in keys {
                m.remove(&k);
            }
        }
    });
    let ev = events.lock().unwrap();
    let same = ev
        .iter()
        .find(|e| e.fields.get("kind").map(String::as_str) == Some("same_size"))
        .unwrap_or_else(|| panic!("no same-size growth: {ev:?}"));
    assert_eq!(same.n("old_b"), same.n("new_b"));
}
