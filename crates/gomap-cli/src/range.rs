//! `gomap range`: Go's iteration rules shown on a live map: `iter()` order
//! is stable while the map is unchanged; `iter_randomized()` starts each
//! range at a random bucket and slot (Go's `mapiterinit`); a cursor may
//! delete and insert while ranging, with the Go specification's guarantees
//! checked as it goes.

use crate::types::MenuType;
use gomap::GoMap;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Where one yielded entry sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Yield {
    /// The key, as Rust's `Debug` prints it.
    pub key: String,
    /// Index of its bucket chain's head in the current (or old) array.
    pub bucket: usize,
    /// 0 for the head bucket, 1 for its first overflow bucket, ...
    pub overflow_depth: usize,
    /// Slot in the bucket, 0..8.
    pub slot: usize,
}

/// One step of the cursor's range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The entry yielded.
    pub key: String,
    /// What the loop body did then.
    pub actions: Vec<String>,
}

/// Go's guarantees for a range that deletes and inserts, checked live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CursorChecks {
    /// Entries present for the whole range.
    pub present_throughout: usize,
    /// ... each yielded exactly once.
    pub each_yielded_once: bool,
    /// Entries removed (with `remove`) before the range reached them.
    pub removed_ahead: usize,
    /// ... none of them yielded.
    pub removed_ahead_not_yielded: bool,
    /// Entries removed with `remove_current` right after being yielded.
    pub removed_current: usize,
    /// Entries inserted during the range.
    pub inserted: usize,
    /// ... of which yielded (each at most once; Go leaves it unspecified).
    pub inserted_yielded: usize,
    /// No entry was yielded twice.
    pub no_duplicates: bool,
    /// B when the range started and when it ended (a growth started mid-range).
    pub b_start: u8,
    /// See `b_start`.
    pub b_end: u8,
    /// Entries left in the map.
    pub len_after: usize,
    /// Everything above holds.
    pub passed: bool,
}

/// Everything `gomap range` shows.
#[derive(Debug, Clone, Serialize)]
pub struct RangeReport {
    /// Key type.
    pub key: &'static str,
    /// Entries.
    pub n: usize,
    /// B of the map.
    pub b: u8,
    /// `iter()` twice.
    pub iter_orders: [Vec<String>; 2],
    /// The two `iter()` orders are equal.
    pub iter_stable: bool,
    /// Three `iter_randomized()` ranges.
    pub randomized: Vec<Vec<Yield>>,
    /// Each of them yielded every entry exactly once.
    pub randomized_complete: bool,
    /// The cursor's range, step by step.
    pub cursor_steps: Vec<Step>,
    /// Its checks.
    pub cursor: CursorChecks,
}

/// Runs all three demonstrations on a map of `n` keys `K::from_index(0..n)`.
pub fn run<K: MenuType>(n: u64) -> RangeReport {
    let m: GoMap<K, u64> = (0..n).map(|i| (K::from_index(i), i)).collect();
    let show = |k: &K| format!("{k:?}");
    let iter_orders = [
        m.keys().map(show).collect::<Vec<_>>(),
        m.keys().map(show).collect(),
    ];
    let iter_stable = iter_orders[0] == iter_orders[1];
    let mut randomized = Vec::new();
    let mut randomized_complete = true;
    for _ in 0..3 {
        let mut seen = HashSet::new();
        let order: Vec<Yield> = m
            .iter_randomized()
            .map(|(k, _)| {
                randomized_complete &= seen.insert(show(k));
                let loc = m.locate(k).expect("yielded keys are present");
                Yield {
                    key: show(k),
                    bucket: loc.bucket_index,
                    overflow_depth: loc.overflow_depth,
                    slot: loc.slot,
                }
            })
            .collect();
        randomized_complete &= order.len() == m.len();
        randomized.push(order);
    }
    let (cursor_steps, cursor) = cursor_range::<K>(m);
    RangeReport {
        key: K::RUST_NAME,
        n: n as usize,
        b: cursor.b_start,
        iter_orders,
        iter_stable,
        randomized,
        randomized_complete,
        cursor_steps,
        cursor,
    }
}

/// A range that removes two entries it has not reached yet, removes every
/// third entry it yields, and inserts new keys until one starts a growth
/// mid-range, checking Go's guarantees.
fn cursor_range<K: MenuType>(mut m: GoMap<K, u64>) -> (Vec<Step>, CursorChecks) {
    let show = |k: &K| format!("{k:?}");
    let n = m.len() as u64;
    let b_start = m.header().b;
    let original: Vec<K> = m.keys().cloned().collect();
    let mut yielded: HashMap<String, usize> = HashMap::new();
    let mut removed_ahead = Vec::new();
    let mut removed_current = 0;
    let mut inserted = Vec::new();
    let mut steps = Vec::new();
    // Insert until the count passes the capacity: that insert starts a growth.
    let cap = m.capacity();
    let mut next_new = n;
    let mut c = m.cursor();
    let mut j = 0u64;
    while let Some((k, _)) = c.next() {
        let k = k.clone();
        *yielded.entry(show(&k)).or_insert(0) += 1;
        let mut actions = Vec::new();
        if j == 0 {
            // Two keys this range has not reached yet: Go's spec says they
            // will not be produced.
            for victim in original
                .iter()
                .filter(|o| !yielded.contains_key(&show(o)))
                .take(2)
            {
                if c.remove(victim).is_some() {
                    actions.push(format!("delete {} (not reached yet)", show(victim)));
                    removed_ahead.push(show(victim));
                }
            }
        }
        if j % 3 == 2 && c.remove_current().is_some() {
            actions.push("delete the current entry".to_string());
            removed_current += 1;
        }
        let mut this_step = 0;
        while (c.len() <= cap && this_step < 3) || (j < 4 && this_step < 1) {
            let new = K::from_index(next_new);
            if c.insert(new.clone(), next_new).is_none() {
                actions.push(format!("insert {}", show(&new)));
                inserted.push(show(&new));
            }
            next_new += 1;
            this_step += 1;
        }
        steps.push(Step {
            key: show(&k),
            actions,
        });
        j += 1;
    }
    drop(c);
    let b_end = m.header().b;
    let present: Vec<String> = original
        .iter()
        .map(show)
        .filter(|k| !removed_ahead.contains(k))
        .collect();
    let each_yielded_once = present.iter().all(|k| yielded.get(k) == Some(&1));
    let removed_ahead_not_yielded = removed_ahead.iter().all(|k| !yielded.contains_key(k));
    let inserted_yielded = inserted.iter().filter(|k| yielded.contains_key(*k)).count();
    let no_duplicates = yielded.values().all(|&c| c == 1);
    let passed = each_yielded_once && removed_ahead_not_yielded && no_duplicates;
    let checks = CursorChecks {
        present_throughout: present.len(),
        each_yielded_once,
        removed_ahead: removed_ahead.len(),
        removed_ahead_not_yielded,
        removed_current,
        inserted: inserted.len(),
        inserted_yielded,
        no_duplicates,
        b_start,
        b_end,
        len_after: m.len(),
        passed,
    };
    (steps, checks)
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "NO"
    }
}

/// The report for people. `rows` caps the lines of each listing.
pub fn text(r: &RangeReport, rows: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "GoMap<{}, u64> with {} entries (keys 0..{}: the map's random hash seed decides where each lands), B = {}",
        r.key, r.n, r.n, r.b
    );
    let _ = writeln!(
        s,
        "\niter(): storage order, the same on every call while the map is unchanged"
    );
    let first = |v: &[String]| {
        let mut t = v.iter().take(rows).cloned().collect::<Vec<_>>().join(" ");
        if v.len() > rows {
            t.push_str(" ...");
        }
        t
    };
    let _ = writeln!(s, "  iter() call 1: {}", first(&r.iter_orders[0]));
    let _ = writeln!(s, "  iter() call 2: {}", first(&r.iter_orders[1]));
    let _ = writeln!(
        s,
        "  same order: {} (so keys() and values() correspond)",
        yes(r.iter_stable)
    );
    let _ = writeln!(
        s,
        "\niter_randomized(): Go's range order; each range starts at a random bucket and a random slot offset\n\
         (mapiterinit), then visits buckets in order from there, wrapping around. Three ranges over the same map:"
    );
    let w = r
        .randomized
        .iter()
        .flatten()
        .map(|y| y.key.len() + 12)
        .max()
        .unwrap_or(20)
        .max(18);
    let _ = write!(s, "  {:>4}", "pos");
    for i in 0..r.randomized.len() {
        let _ = write!(s, "  {:<w$}", format!("range {}", i + 1));
    }
    let _ = writeln!(s);
    let len = r.randomized.first().map_or(0, Vec::len);
    for p in 0..len.min(rows) {
        let _ = write!(s, "  {p:>4}");
        for order in &r.randomized {
            let y = &order[p];
            let at = if y.overflow_depth == 0 {
                format!("b{} s{}", y.bucket, y.slot)
            } else {
                format!("b{}+{} s{}", y.bucket, y.overflow_depth, y.slot)
            };
            let _ = write!(s, "  {:<w$}", format!("{} ({at})", y.key));
        }
        let _ = writeln!(s);
    }
    if len > rows {
        let _ = writeln!(s, "  ... {} more rows", len - rows);
    }
    let _ = writeln!(
        s,
        "  (bN sM: head bucket N, slot M; +1 marks an overflow bucket) every range yields every entry exactly once: {}",
        yes(r.randomized_complete)
    );
    let c = &r.cursor;
    let _ = writeln!(
        s,
        "\ncursor(): ranging while deleting and inserting, as Go allows (\"for k := range m {{ delete(m, x); m[y] = v }}\")"
    );
    for st in r.cursor_steps.iter().take(rows) {
        let _ = writeln!(
            s,
            "  yield {:<24} {}",
            st.key,
            if st.actions.is_empty() {
                "-".to_string()
            } else {
                st.actions.join(", ")
            }
        );
    }
    if r.cursor_steps.len() > rows {
        let _ = writeln!(s, "  ... {} more steps", r.cursor_steps.len() - rows);
    }
    let _ = writeln!(s, "  Go's guarantees, checked on this run:");
    let _ = writeln!(
        s,
        "    every entry present for the whole range was yielded exactly once ({}): {}",
        c.present_throughout,
        yes(c.each_yielded_once)
    );
    let _ = writeln!(
        s,
        "    entries deleted before the range reached them were not yielded ({}): {}",
        c.removed_ahead,
        yes(c.removed_ahead_not_yielded)
    );
    let _ = writeln!(
        s,
        "    entries inserted during the range were yielded at most once: {} of {} were yielded (Go leaves which unspecified)",
        c.inserted_yielded, c.inserted
    );
    let _ = writeln!(
        s,
        "    no entry was yielded twice: {}",
        yes(c.no_duplicates)
    );
    let _ = writeln!(
        s,
        "  B was {} when the range started and {} when it ended{}; {} entries deleted with the current one, {} left.",
        c.b_start,
        c.b_end,
        if c.b_end != c.b_start {
            ": its inserts started a growth mid-range, and the cursor kept the old array it walked until it ended"
        } else {
            ""
        },
        c.removed_current,
        c.len_after
    );
    s
}
