//! Growth events detected by polling the O(1) header after every write, one
//! line per growth. The lines look like `GODEBUG=gctrace=1`'s, but gctrace
//! traces garbage-collection cycles; Go has no switch that traces map growth.

use crate::alloc::AllocSnapshot;
use crate::plot::{GrowthMark, GrowthSample};
use gomap::{GoMap, HeaderView, MapStats};
use serde::Serialize;
use std::hash::BuildHasher;

/// What kind of growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrowthKind {
    /// B + 1: the load factor (6.5 entries a bucket) would be exceeded.
    Doubling,
    /// Same B, fresh array: too many overflow buckets, chains are compacted.
    SameSize,
}

impl GrowthKind {
    /// `doubling` / `same-size`.
    pub fn name(self) -> &'static str {
        match self {
            GrowthKind::Doubling => "doubling",
            GrowthKind::SameSize => "same-size",
        }
    }
}

/// Where a map's heap bytes are at one moment (from [`GoMap::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Memory {
    /// The current bucket array (with its pre-allocated overflow buckets).
    pub array_bytes: usize,
    /// The old array: being evacuated, or (1 MiB and more) being handed
    /// back to the OS after its growth finished, until it is freed.
    pub old_array_bytes: usize,
    /// Overflow buckets allocated on their own.
    pub overflow_bytes: usize,
    /// Bytes of the old array already handed back to the OS (still
    /// allocated, so counted in `old_array_bytes`, but no longer resident).
    pub released_bytes: usize,
    /// Everything the map holds (`stats().heap_bytes`).
    pub heap_bytes: usize,
}

impl Memory {
    /// The numbers of `s`.
    pub fn of(s: &MapStats) -> Memory {
        Memory {
            array_bytes: s.array_bytes,
            old_array_bytes: s.old_array_bytes,
            overflow_bytes: s.overflow_bytes,
            released_bytes: s.released_bytes,
            heap_bytes: s.heap_bytes,
        }
    }
}

/// The end of an evacuation, and the moment its old array was freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Finish {
    /// Writes (inserts and removes) from the one that started the growth to
    /// the one that moved the last old bucket, both included.
    pub writes: u64,
    /// The write that finished it (1-based over the whole run).
    pub at_write: u64,
    /// Entries when it finished.
    pub len: usize,
    /// The map's memory right after that write.
    pub memory: Memory,
    /// The old array's allocation. Below 1 MiB it is freed by the write that
    /// finishes the evacuation; from 1 MiB on it is handed back to the OS a
    /// chunk per write (`madvise`) and freed a few writes later.
    pub old_array_bytes: usize,
    /// The write that freed the old array (None: not yet freed at the end).
    pub freed_at_write: Option<u64>,
    /// Entries when the old array was freed.
    pub freed_len: Option<usize>,
    /// Bytes of the old array handed back to the OS before it was freed.
    pub released_bytes: usize,
    /// Bytes the allocator saw freed during the write that freed the old
    /// array (the array, and any overflow buckets freed with it; 0 without
    /// a counting allocator or while not yet freed).
    pub freed_bytes: u64,
    /// Live heap bytes after the write that freed the old array (after the
    /// evacuation while not yet freed).
    pub heap_after: usize,
}

/// One growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GrowthEvent {
    /// 1, 2, ...
    pub event: usize,
    /// Doubling or same-size.
    pub kind: GrowthKind,
    /// The write that started it (1-based over the whole run).
    pub at_write: u64,
    /// Entries right after that write.
    pub len: usize,
    /// B before.
    pub b_old: u8,
    /// B after.
    pub b_new: u8,
    /// Address of the new bucket array.
    pub buckets: usize,
    /// Address of the old array (the previous `buckets`).
    pub oldbuckets: usize,
    /// Go's `noverflow` just before the growth: overflow buckets the old array had made.
    pub noverflow_before: u16,
    /// Overflow buckets linked into chains right after the growth started
    /// (exact, both arrays: the old array's chains, which it still holds).
    pub overflow_buckets: usize,
    /// Live heap bytes before the write that started it.
    pub heap_before: usize,
    /// Bytes allocated during that write: the new array.
    pub new_bytes: u64,
    /// Live heap bytes after it (the new array is allocated).
    pub heap_after: usize,
    /// The map's memory right after the write that started it.
    pub memory: Memory,
    /// When the evacuation finished and the old array was freed.
    pub finished: Option<Finish>,
}

/// The first bucket array of a map made with `new()` (Go's `makemap_small`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FirstAlloc {
    /// The write that allocated it.
    pub at_write: u64,
    /// B of the array.
    pub b: u8,
    /// Its address.
    pub buckets: usize,
    /// Heap bytes it added.
    pub heap_added: isize,
}

/// Watches a map's header after every write.
#[derive(Debug, Clone)]
pub struct GrowthTracer {
    prev: HeaderView,
    prev_heap: AllocSnapshot,
    writes: u64,
    /// Growth events so far.
    pub events: Vec<GrowthEvent>,
    /// The first allocation, when the map started without buckets.
    pub first_alloc: Option<FirstAlloc>,
    heap: fn() -> AllocSnapshot,
    base_live: usize,
    samples: Option<Vec<GrowthSample>>,
}

/// What one write did, as seen by the tracer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing visible in the header.
    None,
    /// The first bucket array was allocated.
    FirstAlloc,
    /// A growth started (index into `events`).
    Started(usize),
    /// A growth finished (index into `events`).
    Finished(usize),
    /// A growth started and finished in the same write.
    StartedAndFinished(usize),
    /// A large old array, retired when its growth finished, was freed
    /// (index into `events`).
    Freed(usize),
}

/// Bytes of a bucket array of `2^b` heads as the map allocates it (Go's
/// rule: `2^(b-4)` pre-allocated overflow buckets from b = 4).
fn array_bytes<K, V, S>(b: u8) -> usize {
    let pool = if b >= 4 { 1usize << (b - 4) } else { 0 };
    ((1usize << b) + pool) * GoMap::<K, V, S>::layout().bucket_size
}

impl GrowthTracer {
    /// Starts watching `m`; `heap` reads the allocation counters
    /// ([`crate::alloc::snapshot`]; all zero without a counting allocator).
    pub fn new<K, V, S>(m: &GoMap<K, V, S>, heap: fn() -> AllocSnapshot) -> GrowthTracer
    where
        S: BuildHasher,
    {
        GrowthTracer {
            prev: m.header(),
            prev_heap: heap(),
            writes: 0,
            events: Vec::new(),
            first_alloc: None,
            heap,
            base_live: 0,
            samples: None,
        }
    }

    /// Reports live heap bytes relative to `base_live` (read before the map
    /// was made), so the numbers are the map's own rather than the process's.
    pub fn with_base(mut self, base_live: usize) -> GrowthTracer {
        self.base_live = base_live;
        self
    }

    /// Live bytes that are the map's: the process's live bytes, less what
    /// was live before the map was made and what this tracer holds itself.
    fn live(&self, snap: &AllocSnapshot) -> usize {
        let own = self.events.capacity() * std::mem::size_of::<GrowthEvent>()
            + self
                .samples
                .as_ref()
                .map_or(0, |v| v.capacity() * std::mem::size_of::<GrowthSample>());
        snap.live.saturating_sub(self.base_live + own)
    }

    /// Also keep a [`GrowthSample`] whenever B, the overflow count, the heap
    /// or the growing state changes (for the growth chart).
    pub fn with_samples(mut self) -> GrowthTracer {
        self.samples = Some(vec![self.sample_of(&self.prev, self.live(&self.prev_heap))]);
        self
    }

    fn sample_of(&self, h: &HeaderView, heap: usize) -> GrowthSample {
        GrowthSample {
            entries: h.count as u64,
            b: h.b,
            buckets: if h.buckets == 0 { 0 } else { 1u64 << h.b },
            noverflow: h.noverflow as u64,
            heap: heap as u64,
            growing: h.oldbuckets != 0,
        }
    }

    /// Writes seen so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Call after every insert or remove on the watched map.
    pub fn after_write<K, V, S>(&mut self, m: &GoMap<K, V, S>) -> Transition
    where
        S: BuildHasher,
    {
        let h = m.header();
        let snap = (self.heap)();
        let heap = self.live(&snap);
        let prev_live = self.live(&self.prev_heap);
        let d = snap.since(&self.prev_heap);
        self.writes += 1;
        let p = self.prev;
        let mut t = Transition::None;
        // A large old array retired by an earlier write was freed by this
        // one (by its last release step, or by a new growth starting).
        if p.retiring_bytes > 0 && h.retiring_bytes == 0 {
            if let Some(f) = self
                .events
                .iter_mut()
                .rev()
                .find_map(|e| e.finished.as_mut())
            {
                if f.freed_at_write.is_none() {
                    f.freed_at_write = Some(self.writes);
                    f.freed_len = Some(h.count);
                    f.released_bytes = p.released_bytes;
                    f.freed_bytes = d.bytes_freed;
                    f.heap_after = heap;
                    t = Transition::Freed(self.events.len() - 1);
                }
            }
        }
        let finish = |writes: u64, stats: &MapStats, old_array_bytes: usize| {
            let freed_now = h.retiring_bytes == 0;
            Finish {
                writes,
                at_write: self.writes,
                len: h.count,
                memory: Memory::of(stats),
                old_array_bytes,
                freed_at_write: freed_now.then_some(self.writes),
                freed_len: freed_now.then_some(h.count),
                released_bytes: if freed_now { 0 } else { h.released_bytes },
                freed_bytes: if freed_now { d.bytes_freed } else { 0 },
                heap_after: heap,
            }
        };
        if p.buckets == 0 && h.buckets != 0 && h.oldbuckets == 0 && h.b == p.b {
            self.first_alloc = Some(FirstAlloc {
                at_write: self.writes,
                b: h.b,
                buckets: h.buckets,
                heap_added: d.live_change as isize,
            });
            t = Transition::FirstAlloc;
        } else if p.oldbuckets == 0
            && p.buckets != 0
            && (h.oldbuckets != 0 || h.b != p.b || h.buckets != p.buckets)
        {
            let idx = self.events.len();
            let stats = m.stats();
            let mut ev = GrowthEvent {
                event: idx + 1,
                kind: if h.b > p.b {
                    GrowthKind::Doubling
                } else {
                    GrowthKind::SameSize
                },
                at_write: self.writes,
                len: h.count,
                b_old: p.b,
                b_new: h.b,
                buckets: h.buckets,
                oldbuckets: p.buckets,
                noverflow_before: p.noverflow,
                overflow_buckets: stats.overflow_buckets,
                heap_before: prev_live,
                new_bytes: d.bytes_allocated,
                heap_after: heap,
                memory: Memory::of(&stats),
                finished: None,
            };
            if h.oldbuckets == 0 {
                // Started and finished in one write: the old array is the
                // one that was current before it.
                let old = array_bytes::<K, V, S>(p.b);
                ev.finished = Some(finish(1, &stats, old));
                t = Transition::StartedAndFinished(idx);
            } else {
                t = Transition::Started(idx);
            }
            self.events.push(ev);
        } else if p.oldbuckets != 0 && h.oldbuckets == 0 {
            let stats = m.stats();
            let at_write = self.writes;
            if let Some(ev) = self.events.last_mut() {
                if ev.finished.is_none() {
                    // Measured when the growth started, while it was live.
                    let old = ev.memory.old_array_bytes;
                    ev.finished = Some(finish(at_write - ev.at_write + 1, &stats, old));
                    t = Transition::Finished(self.events.len() - 1);
                }
            }
        }
        let s = self.sample_of(&h, heap);
        if let Some(samples) = self.samples.as_mut() {
            let last = samples.last().copied();
            let changed = last.is_none_or(|l| {
                l.b != s.b
                    || l.noverflow != s.noverflow
                    || l.heap != s.heap
                    || l.growing != s.growing
            });
            if changed {
                // Keep the flat stretch before a jump so the step is drawn where it happened.
                if let Some(l) = last {
                    if l.entries + 1 < s.entries {
                        samples.push(GrowthSample {
                            entries: s.entries - 1,
                            ..l
                        });
                    }
                }
                samples.push(s);
            }
        }
        self.prev = h;
        // Read the counters again after this tracer's own bookkeeping, so the
        // next write's allocations are the map's alone.
        self.prev_heap = (self.heap)();
        t
    }

    /// The samples kept by [`with_samples`](Self::with_samples), closed with the current state.
    pub fn samples(&self) -> Vec<GrowthSample> {
        let mut v = self.samples.clone().unwrap_or_default();
        let last = self.sample_of(&self.prev, self.live(&self.prev_heap));
        if v.last() != Some(&last) {
            v.push(last);
        }
        v
    }

    /// Marks for the growth chart.
    pub fn marks(&self) -> Vec<GrowthMark> {
        self.events
            .iter()
            .map(|e| GrowthMark {
                started_at: e.len as u64,
                freed_at: e.finished.and_then(|f| f.freed_len).map(|l| l as u64),
                freed_bytes: e
                    .finished
                    .filter(|f| f.freed_at_write.is_some())
                    .map_or(0, |f| f.old_array_bytes as u64),
            })
            .collect()
    }
}

/// One line for a growth event, gctrace style: when it started, the memory
/// then (current array, old array, overflow buckets), when the evacuation
/// finished, and when the old array was really freed.
pub fn event_line(e: &GrowthEvent, heap_known: bool) -> String {
    use crate::output::{addr, human_bytes, plural};
    let mut s = format!(
        "grow {:<3} @write {:<8} {:<9} len {:<8} B {:>2} -> {:<2} buckets {} old {} overflow {} (noverflow {})",
        e.event,
        e.at_write,
        e.kind.name(),
        e.len,
        e.b_old,
        e.b_new,
        addr(e.buckets),
        addr(e.oldbuckets),
        e.overflow_buckets,
        e.noverflow_before,
    );
    let m = e.memory;
    s.push_str(&format!(
        " map heap {} (array {} + old {} + overflow {})",
        human_bytes(m.heap_bytes),
        human_bytes(m.array_bytes),
        human_bytes(m.old_array_bytes),
        human_bytes(m.overflow_bytes)
    ));
    if heap_known {
        s.push_str(&format!(
            " (+{} new array)",
            human_bytes(e.new_bytes as usize)
        ));
    }
    match e.finished {
        Some(f) => {
            s.push_str(&format!(
                " | evacuated after {} (len {})",
                plural(f.writes, "write"),
                f.len
            ));
            match (f.freed_at_write, f.freed_len) {
                (Some(at), _) if at == f.at_write => s.push_str(&format!(
                    ", old array freed (-{})",
                    human_bytes(f.old_array_bytes)
                )),
                (Some(at), Some(len)) => s.push_str(&format!(
                    ", old array ({}) handed back to the OS ({} released) and freed {} later (len {len})",
                    human_bytes(f.old_array_bytes),
                    human_bytes(f.released_bytes),
                    plural(at - f.at_write, "write"),
                )),
                _ => s.push_str(&format!(
                    ", old array ({}) still being handed back to the OS ({} released so far)",
                    human_bytes(f.old_array_bytes),
                    human_bytes(f.released_bytes)
                )),
            }
        }
        None => s.push_str(&format!(
            " | evacuation still in progress ({} of the old array released)",
            human_bytes(e.memory.released_bytes)
        )),
    }
    s
}
