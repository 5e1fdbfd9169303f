//! Every key and value is dropped exactly once, whatever path takes it out
//! of the map: overwrite, remove, retain, clear, drain and into_iter dropped
//! half-way, the entry API, map drop, shrink, and all of them during growth.
//!
//! Keys and values are `Dv`s counted per test (Arc'd trackers), so tests run
//! in parallel without sharing counts.

mod common;

use common::*;
use gomap::GoMap;
use std::sync::Arc;

type DMap = GoMap<Dv, Dv>;

struct T {
    k: Arc<Tracker>,
    v: Arc<Tracker>,
}

impl T {
    fn new() -> T {
        T {
            k: Tracker::new(),
            v: Tracker::new(),
        }
    }
    fn key(&self, id: u64) -> Dv {
        self.k.value(id)
    }
    fn val(&self, id: u64) -> Dv {
        self.v.value(id)
    }
    /// A map holding ids 0..n (value id = key id).
    fn map(&self, n: u64) -> DMap {
        let mut m = DMap::new();
        for i in 0..n {
            assert!(m.insert(self.key(i), self.val(i)).is_none());
        }
        m
    }
    /// A map of B = 5 that has just started doubling (209 entries, ids 0..209).
    fn growing_map(&self) -> DMap {
        let mut m = DMap::with_capacity(208);
        for i in 0..209 {
            m.insert(self.key(i), self.val(i));
        }
        assert!(
            m.header().growing,
            "the 209th key starts a doubling out of B = 5"
        );
        m
    }
    /// The only live keys and values are the map's.
    fn assert_only_map_alive(&self, m: &DMap) {
        self.k.assert_no_double_drop();
        self.v.assert_no_double_drop();
        assert_eq!(self.k.live(), m.len(), "live keys vs len");
        assert_eq!(self.v.live(), m.len(), "live values vs len");
    }
    fn assert_all_dropped_once(&self) {
        self.k.assert_all_dropped_once();
        self.v.assert_all_dropped_once();
    }
}

/// The map holds exactly key i -> value i for i in `ids`.
fn assert_holds(m: &DMap, ids: impl IntoIterator<Item = u64>) {
    let mut want: Vec<u64> = ids.into_iter().collect();
    want.sort_unstable();
    let mut got: Vec<u64> = m
        .iter()
        .map(|(k, v)| {
            assert_eq!(k.id, v.id);
            k.id
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(m.len(), want.len());
}

#[test]
fn map_drop_drops_everything_once() {
    for n in [0, 1, 8, 9, 100, 1000] {
        let t = T::new();
        let m = t.map(n);
        t.assert_only_map_alive(&m);
        drop(m);
        t.assert_all_dropped_once();
        assert_eq!(t.k.created(), n as usize);
    }
}

#[test]
fn overwrite_drops_the_old_value_and_the_new_key() {
    let t = T::new();
    let mut m = t.map(50);
    for i in 0..50 {
        let old = m.insert(t.key(i), t.val(1000 + i)).expect("present");
        assert_eq!(old.id, i);
        assert_eq!(t.v.drops_of(i), 0, "old value handed back, not dropped");
        drop(old);
        assert_eq!(t.v.drops_of(i), 1);
        // std keeps the stored key and drops the one passed in.
        assert_eq!(t.k.dropped(), i as usize + 1);
    }
    assert_eq!(m.len(), 50);
    assert_eq!(t.v.live(), 50);
    assert_eq!(t.k.live(), 50);
    for i in 0..50 {
        assert_eq!(m.get(&i).unwrap().id, 1000 + i);
    }
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn remove_and_remove_entry_hand_out_or_drop_once() {
    let t = T::new();
    let mut m = t.map(300);
    for i in (0..300).step_by(2) {
        let v = m.remove(&i).unwrap();
        assert_eq!(v.id, i);
        assert_eq!(t.k.drops_of(i), 1, "remove drops the stored key");
        assert_eq!(t.v.drops_of(i), 0, "and hands the value out");
        drop(v);
        assert_eq!(t.v.drops_of(i), 1);
        assert!(m.remove(&i).is_none());
        // Removing by an owned key (Q = Dv) works the same.
        assert!(m.remove(&t.key(i)).is_none());
    }
    for i in (1..300).step_by(4) {
        let (k, v) = m.remove_entry(&i).unwrap();
        assert_eq!((k.id, v.id), (i, i));
        assert_eq!(t.k.drops_of(i), 0, "remove_entry hands the key out");
    }
    assert_holds(&m, (3..300).step_by(4));
    t.k.assert_no_double_drop();
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn retain_drops_exactly_the_rejected() {
    let t = T::new();
    let mut m = t.map(1000);
    let mut seen = 0;
    m.retain(|k, v| {
        seen += 1;
        assert_eq!(k.id, v.id);
        k.id % 3 == 0
    });
    assert_eq!(seen, 1000);
    for i in 0..1000 {
        let want = usize::from(i % 3 != 0);
        assert_eq!(t.k.drops_of(i), want);
        assert_eq!(t.v.drops_of(i), want);
    }
    assert_holds(&m, (0..1000).filter(|i| i % 3 == 0));
    t.assert_only_map_alive(&m);
    m.retain(|_, _| false);
    assert!(m.is_empty());
    t.assert_all_dropped_once();
}

#[test]
fn clear_drops_everything_once_and_the_map_is_reusable() {
    let t = T::new();
    let mut m = t.map(500);
    m.clear();
    assert!(m.is_empty());
    t.assert_all_dropped_once();
    for i in 1000..1100 {
        m.insert(t.key(i), t.val(i));
    }
    assert_holds(&m, 1000..1100);
    m.clear();
    m.clear();
    t.assert_all_dropped_once();
}

#[test]
fn drain_dropped_half_way_drops_the_rest() {
    for n in [1u64, 9, 100, 1000] {
        let t = T::new();
        let mut m = t.map(n);
        let cap = m.capacity();
        let mut taken = Vec::new();
        {
            let mut d = m.drain();
            for _ in 0..n / 2 {
                taken.push(d.next().unwrap());
            }
        }
        assert!(
            m.is_empty(),
            "drain leaves the map empty even if not run to the end"
        );
        assert_eq!(m.capacity(), cap, "drain keeps the capacity");
        assert_eq!(t.k.live(), taken.len());
        assert_eq!(t.v.live(), taken.len());
        for (k, v) in &taken {
            assert_eq!(k.id, v.id);
            assert_eq!(t.k.drops_of(k.id), 0);
        }
        drop(taken);
        t.assert_all_dropped_once();
        m.insert(t.key(5000), t.val(5000));
        assert_eq!(m.len(), 1);
        drop(m);
        t.assert_all_dropped_once();
    }
}

#[test]
fn drain_forgotten_leaks_but_never_double_drops() {
    // mem::forget of a Drain may leak, but must never leave the map pointing at
    // moved-out entries (std: the map is emptied when the Drain is created).
    let t = T::new();
    let mut m = t.map(100);
    let mut d = m.drain();
    let first = d.next();
    std::mem::forget(d);
    drop(first);
    assert!(m.is_empty() || m.len() == 99);
    for i in 200..220 {
        m.insert(t.key(i), t.val(i));
    }
    drop(m);
    t.k.assert_no_double_drop();
    t.v.assert_no_double_drop();
}

#[test]
fn into_iter_dropped_half_way_drops_the_rest() {
    for n in [1u64, 9, 100, 1000] {
        let t = T::new();
        let m = t.map(n);
        let mut it = m.into_iter();
        let mut taken = Vec::new();
        for _ in 0..n / 2 {
            taken.push(it.next().unwrap());
        }
        assert_eq!(it.len(), (n - n / 2) as usize);
        drop(it);
        assert_eq!(t.k.live(), taken.len());
        drop(taken);
        t.assert_all_dropped_once();
    }
    // into_keys / into_values dropped half-way.
    let t = T::new();
    let m = t.map(100);
    let mut keys = m.into_keys();
    let k0 = keys.next().unwrap();
    drop(keys);
    assert_eq!(t.v.live(), 0, "into_keys drops the values");
    assert_eq!(t.k.live(), 1);
    drop(k0);
    let m = t.map(100);
    let mut vals = m.into_values();
    let v0 = vals.next().unwrap();
    drop(vals);
    assert_eq!(t.k.live(), 0, "into_values drops the keys");
    drop(v0);
    t.assert_all_dropped_once();
}

#[test]
fn entry_api_drops() {
    let t = T::new();
    let mut m = t.map(10);

    // Occupied + or_insert: the default is dropped, the given key is dropped.
    let v = m.entry(t.key(3)).or_insert(t.val(100));
    assert_eq!(v.id, 3);
    assert_eq!(t.v.drops_of(100), 1, "unused default dropped");
    assert_eq!(t.k.drops_of(3), 1, "the given key, not the stored one");
    assert_eq!(t.k.live(), 10);
    // or_insert_with on occupied never calls the closure.
    m.entry(t.key(4)).or_insert_with(|| panic!("not called"));
    assert_eq!(t.k.drops_of(4), 1);
    // and_modify on occupied.
    m.entry(t.key(5))
        .and_modify(|v| v.defuse())
        .or_insert_with(|| unreachable!());
    // Vacant + or_insert: both stored.
    m.entry(t.key(20)).or_insert(t.val(20));
    assert_eq!((t.k.drops_of(20), t.v.drops_of(20)), (0, 0));
    // Vacant, dropped without inserting: the key is dropped once.
    match m.entry(t.key(21)) {
        gomap::Entry::Vacant(e) => {
            assert_eq!(e.key().id, 21);
            drop(e);
        }
        gomap::Entry::Occupied(_) => panic!("21 is not there"),
    }
    assert_eq!(t.k.drops_of(21), 1);
    // Vacant, into_key.
    match m.entry(t.key(22)) {
        gomap::Entry::Vacant(e) => {
            let k = e.into_key();
            assert_eq!(t.k.drops_of(22), 0);
            drop(k);
        }
        gomap::Entry::Occupied(_) => panic!(),
    }
    assert_eq!(t.k.drops_of(22), 1);
    // Vacant insert.
    if let gomap::Entry::Vacant(e) = m.entry(t.key(23)) {
        e.insert(t.val(23));
    }
    // Occupied insert: returns the old value.
    if let gomap::Entry::Occupied(mut e) = m.entry(t.key(6)) {
        let old = e.insert(t.val(106));
        assert_eq!(old.id, 6);
        assert_eq!(t.v.drops_of(6), 0);
        drop(old);
        assert_eq!(t.v.drops_of(6), 1);
    } else {
        panic!("6 is there");
    }
    // Occupied remove: value handed out, stored key dropped.
    if let gomap::Entry::Occupied(e) = m.entry(t.key(7)) {
        let v = e.remove();
        assert_eq!(v.id, 7);
    } else {
        panic!();
    }
    assert_eq!(t.v.drops_of(7), 1);
    assert_eq!(t.k.drops_of(7), 2, "the probe key and the stored key");
    // Occupied remove_entry: both handed out.
    if let gomap::Entry::Occupied(e) = m.entry(t.key(8)) {
        let (k, v) = e.remove_entry();
        assert_eq!((k.id, v.id), (8, 8));
    } else {
        panic!();
    }
    // Occupied, dropped untouched.
    if let gomap::Entry::Occupied(e) = m.entry(t.key(9)) {
        assert_eq!(e.get().id, 9);
    }
    assert_holds_ids(
        &m,
        &[
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 4),
            (5, 5),
            (6, 106),
            (9, 9),
            (20, 20),
            (23, 23),
        ],
    );
    t.assert_only_map_alive(&m);
    drop(m);
    t.assert_all_dropped_once();
}

fn assert_holds_ids(m: &DMap, pairs: &[(u64, u64)]) {
    let mut got: Vec<(u64, u64)> = m.iter().map(|(k, v)| (k.id, v.id)).collect();
    got.sort_unstable();
    assert_eq!(got, pairs);
}

#[test]
fn entry_api_during_growth() {
    let t = T::new();
    let mut m = t.growing_map();
    let mut next = 1000;
    while m.header().growing {
        m.entry(t.key(next)).or_insert_with(|| t.val(next));
        *m.entry(t.key(0)).or_insert(t.val(9999)) = t.val(0);
        next += 1;
        assert!(
            next <= 1000 + 32,
            "growth out of B = 5 takes at most 32 writes"
        );
    }
    assert_eq!(t.v.drops_of(9999), (next - 1000) as usize);
    assert_eq!(m.len(), 209 + (next - 1000) as usize);
    t.assert_only_map_alive(&m);
    drop(m);
    t.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------
// During growth
// ---------------------------------------------------------------------------

#[test]
fn drop_while_growing() {
    let t = T::new();
    let m = t.growing_map();
    t.assert_only_map_alive(&m);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn clear_while_growing() {
    let t = T::new();
    let mut m = t.growing_map();
    m.clear();
    assert!(m.is_empty());
    assert!(!m.header().growing);
    t.assert_all_dropped_once();
    for i in 0..300 {
        m.insert(t.key(i + 1000), t.val(i + 1000));
    }
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn retain_while_growing() {
    let t = T::new();
    let mut m = t.growing_map();
    m.retain(|k, _| k.id % 2 == 1);
    assert_holds(&m, (0..209).filter(|i| i % 2 == 1));
    t.assert_only_map_alive(&m);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn drain_while_growing() {
    let t = T::new();
    let mut m = t.growing_map();
    let mut ids: Vec<u64> = m
        .drain()
        .map(|(k, v)| {
            assert_eq!(k.id, v.id);
            k.id
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..209).collect::<Vec<_>>(),
        "drain yields every entry once, old array included"
    );
    assert!(m.is_empty());
    t.assert_all_dropped_once();
    // Half-way.
    let t = T::new();
    let mut m = t.growing_map();
    let first: Vec<_> = m.drain().take(50).collect();
    assert_eq!(t.k.live(), 50);
    drop(first);
    t.assert_all_dropped_once();
    drop(m);
}

#[test]
fn into_iter_while_growing() {
    let t = T::new();
    let m = t.growing_map();
    let mut ids: Vec<u64> = m.into_iter().map(|(k, _)| k.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..209).collect::<Vec<_>>());
    t.assert_all_dropped_once();
    let t = T::new();
    let m = t.growing_map();
    let mut it = m.into_iter();
    let some: Vec<_> = it.by_ref().take(100).collect();
    drop(it);
    assert_eq!(t.k.live(), 100);
    drop(some);
    t.assert_all_dropped_once();
}

#[test]
fn removes_and_overwrites_while_growing() {
    let t = T::new();
    let mut m = t.growing_map();
    let mut i = 0;
    while m.header().growing {
        // Remove one, overwrite another: both write paths do evacuation.
        drop(m.remove(&i).unwrap());
        let old = m.insert(t.key(i + 100), t.val(i + 100));
        assert!(old.is_some());
        i += 1;
        assert!(i <= 32, "growth out of B = 5 takes at most 32 writes");
    }
    assert_holds(&m, (i..209).collect::<Vec<_>>());
    t.assert_only_map_alive(&m);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn shrink_to_fit_while_growing() {
    let t = T::new();
    let mut m = t.growing_map();
    // Remove most entries (a few writes of growth work), then shrink mid-growth.
    for i in 0..5 {
        drop(m.remove(&i));
    }
    assert!(m.header().growing);
    m.shrink_to_fit();
    assert!(!m.header().growing);
    assert_holds(&m, 5..209);
    t.assert_only_map_alive(&m);
    m.retain(|k, _| k.id < 20);
    m.shrink_to_fit();
    assert_holds(&m, 5..20);
    t.assert_only_map_alive(&m);
    m.shrink_to(0);
    assert_holds(&m, 5..20);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn reserve_while_growing() {
    let t = T::new();
    let mut m = t.growing_map();
    m.reserve(10_000);
    assert!(m.capacity() >= 10_209);
    assert_holds(&m, 0..209);
    t.assert_only_map_alive(&m);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn clone_is_dropped_independently() {
    let t = T::new();
    let m = t.growing_map();
    let c = m.clone();
    assert_eq!(t.k.live(), 2 * 209);
    drop(m);
    assert_eq!(t.k.live(), 209);
    assert_eq!(t.v.live(), 209);
    assert_eq!(c.len(), 209);
    assert_holds(&c, 0..209);
    drop(c);
    t.assert_all_dropped_once();
}

#[test]
fn random_ops_against_a_model() {
    let t = T::new();
    let mut m = DMap::new();
    let mut model = std::collections::HashMap::<u64, u64>::new();
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next_val = 1_000_000u64;
    for step in 0..20_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let k = rng % 2000;
        match (rng >> 32) % 10 {
            0..=4 => {
                next_val += 1;
                let old = m.insert(t.key(k), t.val(next_val));
                assert_eq!(old.map(|v| v.id), model.insert(k, next_val));
            }
            5..=7 => {
                assert_eq!(m.remove(&k).map(|v| v.id), model.remove(&k));
            }
            8 => {
                if let Some(v) = m.get_mut(&k) {
                    next_val += 1;
                    *v = t.val(next_val);
                    model.insert(k, next_val);
                }
            }
            _ => {
                if step % 1000 == 999 {
                    m.retain(|k, _| k.id % 7 != 0);
                    model.retain(|k, _| k % 7 != 0);
                }
            }
        }
        if step % 997 == 0 {
            assert_eq!(m.len(), model.len());
            assert_eq!(t.v.live(), model.len());
            assert_eq!(t.k.live(), model.len());
        }
    }
    let mut got: Vec<(u64, u64)> = m.iter().map(|(k, v)| (k.id, v.id)).collect();
    got.sort_unstable();
    let mut want: Vec<(u64, u64)> = model.into_iter().collect();
    want.sort_unstable();
    assert_eq!(got, want);
    drop(m);
    t.assert_all_dropped_once();
}

#[test]
fn zero_sized_values_with_drop_glue_are_dropped_once() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    // A true ZST with a drop counter; the static is private to this test.
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Z;
    impl Drop for Z {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
        }
    }
    assert_eq!(std::mem::size_of::<Z>(), 0);
    let mut m: GoMap<u64, Z> = GoMap::new();
    for i in 0..500 {
        m.insert(i, Z);
    }
    assert_eq!(DROPS.load(SeqCst), 0);
    m.insert(0, Z);
    assert_eq!(
        DROPS.load(SeqCst),
        1,
        "overwrite hands back the old Z, dropped here"
    );
    for i in 0..100 {
        m.remove(&i);
    }
    assert_eq!(DROPS.load(SeqCst), 101);
    m.retain(|k, _| k % 2 == 0);
    assert_eq!(DROPS.load(SeqCst), 101 + 200);
    assert_eq!(m.len(), 200);
    drop(m);
    assert_eq!(DROPS.load(SeqCst), 501);
}
