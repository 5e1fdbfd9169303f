//! The panic matrix: for every scenario (insert, insert that starts a
//! growth, removes that evacuate, retain, clear, clone, drain, into_iter,
//! extend, shrink, reserve, a cursor run with growth mid-iteration) and every
//! user callback kind (key `Hash`, key `Eq`, key / value `Clone`, key / value
//! `Drop`), a dry run counts the calls, then the scenario is re-run with a
//! panic injected at the k-th call, for many k. After catching the panic:
//!
//! - the map is consistent: `len()` matches iteration, every entry iterated
//!   is found by `get`, no key appears twice, and every key the scenario was
//!   not touching is still there with its value (keys being touched may be
//!   in their old or their new state);
//! - the map is usable: 200 further inserts and removes are checked;
//! - when everything is dropped, every key and value instance ever created
//!   was dropped exactly once (per-instance serials in a per-test counter).
//!
//! The hasher is std's `DefaultHasher` with fixed keys, so call counts are
//! the same in the dry run and the injected runs.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Once;

use gomap::GoMap;

type S = BuildHasherDefault<DefaultHasher>;
type Map = GoMap<PKey, PVal, S>;

/// The payload of an injected panic.
struct Injected;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Hash,
    Eq,
    KeyClone,
    ValClone,
    KeyDrop,
    ValDrop,
}

const KINDS: [Kind; 6] = [
    Kind::Hash,
    Kind::Eq,
    Kind::KeyClone,
    Kind::ValClone,
    Kind::KeyDrop,
    Kind::ValDrop,
];

/// What the scenario is about to do to one key, logged before the map call.
#[derive(Clone, Copy, Debug)]
enum Effect {
    Set(u64, u64),
    Remove(u64),
    /// The key may end up removed (or kept with its value).
    MaybeRemove(u64),
}

/// Per-test shared state: call counters, the armed trigger, live instances
/// and the scenario's effect log.
#[derive(Default)]
struct Ctl {
    calls: RefCell<BTreeMap<Kind, usize>>,
    trigger: Cell<Option<(Kind, usize)>>,
    fired: Cell<bool>,
    next_serial: Cell<u64>,
    live_keys: RefCell<HashSet<u64>>,
    live_vals: RefCell<HashSet<u64>>,
    double_drops: Cell<usize>,
    effects: RefCell<Vec<Effect>>,
    /// Effects `[..done]` completed (their map call returned).
    done: Cell<usize>,
}

impl Ctl {
    fn tick(&self, kind: Kind) {
        let n = {
            let mut calls = self.calls.borrow_mut();
            let c = calls.entry(kind).or_insert(0);
            *c += 1;
            *c
        };
        if self.trigger.get() == Some((kind, n)) {
            self.trigger.set(None);
            self.fired.set(true);
            std::panic::panic_any(Injected);
        }
    }
    fn serial(&self) -> u64 {
        let s = self.next_serial.get();
        self.next_serial.set(s + 1);
        s
    }
    fn log(&self, e: Effect) {
        self.effects.borrow_mut().push(e);
    }
    fn complete(&self) {
        self.done.set(self.effects.borrow().len());
    }
}

struct PKey {
    id: u64,
    serial: u64,
    ctl: Rc<Ctl>,
}

impl PKey {
    fn new(ctl: &Rc<Ctl>, id: u64) -> PKey {
        let serial = ctl.serial();
        ctl.live_keys.borrow_mut().insert(serial);
        PKey {
            id,
            serial,
            ctl: ctl.clone(),
        }
    }
}

impl Hash for PKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ctl.tick(Kind::Hash);
        self.id.hash(state);
    }
}

impl PartialEq for PKey {
    fn eq(&self, other: &Self) -> bool {
        self.ctl.tick(Kind::Eq);
        self.id == other.id
    }
}
impl Eq for PKey {}

impl Clone for PKey {
    fn clone(&self) -> Self {
        self.ctl.tick(Kind::KeyClone);
        PKey::new(&self.ctl, self.id)
    }
}

impl Drop for PKey {
    fn drop(&mut self) {
        if !self.ctl.live_keys.borrow_mut().remove(&self.serial) {
            self.ctl.double_drops.set(self.ctl.double_drops.get() + 1);
        }
        self.ctl.tick(Kind::KeyDrop);
    }
}

impl std::fmt::Debug for PKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "k{}", self.id)
    }
}

struct PVal {
    v: u64,
    serial: u64,
    ctl: Rc<Ctl>,
}

impl PVal {
    fn new(ctl: &Rc<Ctl>, v: u64) -> PVal {
        let serial = ctl.serial();
        ctl.live_vals.borrow_mut().insert(serial);
        PVal {
            v,
            serial,
            ctl: ctl.clone(),
        }
    }
}

impl Clone for PVal {
    fn clone(&self) -> Self {
        self.ctl.tick(Kind::ValClone);
        PVal::new(&self.ctl, self.v)
    }
}

impl Drop for PVal {
    fn drop(&mut self) {
        if !self.ctl.live_vals.borrow_mut().remove(&self.serial) {
            self.ctl.double_drops.set(self.ctl.double_drops.get() + 1);
        }
        self.ctl.tick(Kind::ValDrop);
    }
}

impl std::fmt::Debug for PVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.v)
    }
}

fn quiet_injected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<Injected>().is_none() {
                default(info);
            }
        }));
    });
}

/// Value of key `id` as set up.
fn v0(id: u64) -> u64 {
    id * 10 + 1
}

fn new_map() -> Map {
    GoMap::with_hasher(S::default())
}

fn insert(ctl: &Rc<Ctl>, m: &mut Map, id: u64, v: u64) {
    ctl.log(Effect::Set(id, v));
    let old = m.insert(PKey::new(ctl, id), PVal::new(ctl, v));
    ctl.complete();
    drop(old);
}

fn remove(ctl: &Rc<Ctl>, m: &mut Map, id: u64) {
    ctl.log(Effect::Remove(id));
    let probe = PKey::new(ctl, id);
    let old = m.remove(&probe);
    ctl.complete();
    drop(old);
}

/// A map with keys `0..n` (values `v0(id)`).
fn filled(ctl: &Rc<Ctl>, n: u64) -> Map {
    let mut m = new_map();
    for id in 0..n {
        m.insert(PKey::new(ctl, id), PVal::new(ctl, v0(id)));
    }
    m
}

/// A map with keys `0..n`, then keys `gone` removed.
fn filled_minus(ctl: &Rc<Ctl>, n: u64, gone: std::ops::Range<u64>) -> Map {
    let mut m = filled(ctl, n);
    for id in gone {
        m.remove(&PKey::new(ctl, id));
    }
    m
}

type Model = BTreeMap<u64, u64>;

fn contents(m: &Map) -> Model {
    let mut out = Model::new();
    for (k, v) in m.iter() {
        assert!(
            out.insert(k.id, v.v).is_none(),
            "key {} iterated twice",
            k.id
        );
    }
    out
}

struct Scenario {
    name: &'static str,
    setup: fn(&Rc<Ctl>) -> Map,
    op: fn(&Rc<Ctl>, &mut Map),
    /// Call counts may differ between runs (a cursor starts at a random place).
    nondeterministic: bool,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "insert new key",
            setup: |c| filled(c, 20),
            op: |c, m| insert(c, m, 1000, 7),
            nondeterministic: false,
        },
        Scenario {
            name: "insert over existing key (drops the duplicate key, returns the old value)",
            setup: |c| filled(c, 20),
            op: |c, m| insert(c, m, 5, 7),
            nondeterministic: false,
        },
        Scenario {
            name: "insert that starts a doubling (52 -> 53 at B = 3)",
            setup: |c| filled(c, 52),
            op: |c, m| insert(c, m, 1000, 7),
            nondeterministic: false,
        },
        Scenario {
            name: "inserts and updates through a whole doubling (104 -> 140)",
            setup: |c| filled(c, 104),
            op: |c, m| {
                for i in 0..36 {
                    insert(c, m, 1000 + i, i);
                    insert(c, m, i * 2, i + 500);
                }
            },
            nondeterministic: false,
        },
        Scenario {
            name: "removes that evacuate (growth started at 53)",
            setup: |c| filled(c, 53),
            op: |c, m| {
                for id in (0..53).step_by(3) {
                    remove(c, m, id);
                }
                remove(c, m, 9999);
            },
            nondeterministic: false,
        },
        Scenario {
            name: "entry API during a growth",
            setup: |c| filled(c, 105),
            op: |c, m| {
                for id in [3u64, 2000, 40, 2001] {
                    c.log(Effect::Set(id, 77));
                    match m.entry(PKey::new(c, id)) {
                        gomap::Entry::Occupied(mut o) => drop(o.insert(PVal::new(c, 77))),
                        gomap::Entry::Vacant(e) => {
                            e.insert(PVal::new(c, 77));
                        }
                    }
                    c.complete();
                }
                c.log(Effect::Remove(7));
                if let gomap::Entry::Occupied(o) = m.entry(PKey::new(c, 7)) {
                    drop(o.remove_entry());
                }
                c.complete();
            },
            nondeterministic: false,
        },
        Scenario {
            name: "retain",
            setup: |c| filled(c, 100),
            op: |c, m| {
                for id in (0..100).filter(|id| id % 3 == 0) {
                    c.log(Effect::MaybeRemove(id));
                }
                m.retain(|k, _| k.id % 3 != 0);
                for id in (0..100).filter(|id| id % 3 == 0) {
                    c.log(Effect::Remove(id));
                }
                c.complete();
            },
            nondeterministic: false,
        },
        Scenario {
            name: "retain during a growth",
            setup: |c| filled(c, 105),
            op: |c, m| {
                for id in (0..105).filter(|id| id % 2 == 1) {
                    c.log(Effect::MaybeRemove(id));
                }
                // Kept values are bumped, so a kept key is in its old or new state.
                for id in (0..105).filter(|id| id % 2 == 0) {
                    c.log(Effect::Set(id, v0(id) + 1));
                }
                m.retain(|k, v| {
                    v.v += 1;
                    k.id % 2 == 0
                });
                for id in (0..105).filter(|id| id % 2 == 1) {
                    c.log(Effect::Remove(id));
                }
                for id in (0..105).filter(|id| id % 2 == 0) {
                    c.log(Effect::Set(id, v0(id) + 1));
                }
                c.complete();
            },
            nondeterministic: false,
        },
        Scenario {
            name: "clear during a growth",
            setup: |c| filled(c, 105),
            op: |c, m| {
                for id in 0..105 {
                    c.log(Effect::MaybeRemove(id));
                }
                m.clear();
                for id in 0..105 {
                    c.log(Effect::Remove(id));
                }
                c.complete();
            },
            nondeterministic: false,
        },
        Scenario {
            name: "clone during a growth, then drop the clone",
            setup: |c| filled(c, 105),
            op: |c, m| {
                let copy = m.clone();
                let _ = c;
                assert_eq!(contents(&copy), contents(m), "clone differs");
                drop(copy);
            },
            nondeterministic: false,
        },
        Scenario {
            name: "drain half-way, then drop the drain",
            setup: |c| filled(c, 60),
            op: |c, m| {
                for id in 0..60 {
                    c.log(Effect::MaybeRemove(id));
                }
                let mut d = m.drain();
                for _ in 0..30 {
                    drop(d.next());
                }
                drop(d);
                for id in 0..60 {
                    c.log(Effect::Remove(id));
                }
                c.complete();
            },
            nondeterministic: false,
        },
        Scenario {
            name: "into_iter half-way during a growth, then drop it",
            setup: |c| filled(c, 53),
            op: |c, m| {
                for id in 0..53 {
                    c.log(Effect::Remove(id));
                }
                let owned = std::mem::replace(m, new_map());
                c.complete();
                let mut it = owned.into_iter();
                for _ in 0..20 {
                    drop(it.next());
                }
                drop(it);
            },
            nondeterministic: false,
        },
        Scenario {
            name: "extend across a doubling",
            setup: |c| filled(c, 40),
            op: |c, m| {
                // Each key ends up inserted or (if the panic came first) absent.
                for id in 1000..1030 {
                    c.log(Effect::Set(id, v0(id)));
                }
                let items: Vec<(PKey, PVal)> = (1000..1030)
                    .map(|id| (PKey::new(c, id), PVal::new(c, v0(id))))
                    .collect();
                m.extend(items);
                c.complete();
            },
            nondeterministic: false,
        },
        Scenario {
            name: "shrink_to_fit (rehash into a smaller array)",
            setup: |c| filled_minus(c, 200, 0..170),
            op: |_, m| m.shrink_to_fit(),
            nondeterministic: false,
        },
        Scenario {
            name: "shrink_to_fit during a growth",
            setup: |c| filled_minus(c, 105, 10..90),
            op: |_, m| m.shrink_to_fit(),
            nondeterministic: false,
        },
        Scenario {
            name: "reserve (rehash into a larger array)",
            setup: |c| filled(c, 50),
            op: |_, m| m.reserve(500),
            nondeterministic: false,
        },
        Scenario {
            name: "lookups (Eq and Hash only)",
            setup: |c| filled(c, 60),
            op: |c, m| {
                for id in [1u64, 59, 300] {
                    let p = PKey::new(c, id);
                    let _ = m.get(&p);
                    let _ = m.contains_key(&p);
                    if let Some(v) = m.get_mut(&p) {
                        v.v += 1;
                        v.v -= 1;
                    }
                }
            },
            nondeterministic: false,
        },
        Scenario {
            name: "cursor run: removes ahead, remove_current, inserts that double the map mid-run",
            setup: |c| filled(c, 52),
            op: |c, m| {
                let mut cur = m.cursor();
                let mut step = 0u64;
                loop {
                    step += 1;
                    let current = match cur.next() {
                        Some((k, _)) => k.id,
                        None => break,
                    };
                    if step % 4 == 0 {
                        let id = current;
                        c.log(Effect::Remove(id));
                        let r = cur.remove_current();
                        let want = if id >= 1000 { 3 } else { v0(id) };
                        assert_eq!(r.as_ref().map(|(k, v)| (k.id, v.v)), Some((id, want)));
                        c.complete();
                        drop(r);
                    }
                    if step % 5 == 0 && step < 60 {
                        let id = 1000 + step;
                        c.log(Effect::Set(id, 3));
                        let old = cur.insert(PKey::new(c, id), PVal::new(c, 3));
                        c.complete();
                        drop(old);
                    }
                    if step % 7 == 0 {
                        let id = (step * 13) % 52;
                        c.log(Effect::Remove(id));
                        let old = cur.remove(&PKey::new(c, id));
                        c.complete();
                        drop(old);
                    }
                }
            },
            nondeterministic: true,
        },
    ]
}

/// Runs a scenario with an optional trigger; returns whether it panicked
/// (with the injected panic) and checks the outcome.
fn run(sc: &Scenario, trigger: Option<(Kind, usize)>) -> (bool, BTreeMap<Kind, usize>) {
    let ctl = Rc::new(Ctl::default());
    let mut map = (sc.setup)(&ctl);
    let before = contents(&map);
    ctl.calls.borrow_mut().clear();
    ctl.trigger.set(trigger);
    let result = catch_unwind(AssertUnwindSafe(|| (sc.op)(&ctl, &mut map)));
    ctl.trigger.set(None);
    let calls = ctl.calls.borrow().clone();
    let what = format!("{} with panic at {:?}", sc.name, trigger);
    let panicked = match result {
        Ok(()) => false,
        Err(payload) => {
            if payload.downcast_ref::<Injected>().is_none() {
                std::panic::resume_unwind(payload);
            }
            true
        }
    };
    assert_eq!(
        panicked,
        ctl.fired.get(),
        "{what}: panic without the trigger firing"
    );

    // Expected state: `before` with the completed effects applied; keys of
    // incomplete effects may be in their old or their new state.
    let effects = ctl.effects.borrow().clone();
    let done = ctl.done.get();
    let mut certain = before.clone();
    let mut allowed: BTreeMap<u64, BTreeSet<Option<u64>>> = BTreeMap::new();
    for (i, e) in effects.iter().enumerate() {
        let id = match *e {
            Effect::Set(id, _) | Effect::Remove(id) | Effect::MaybeRemove(id) => id,
        };
        if i < done {
            match *e {
                Effect::Set(id, v) => {
                    certain.insert(id, v);
                }
                Effect::Remove(id) => {
                    certain.remove(&id);
                }
                Effect::MaybeRemove(_) => {}
            }
            // A completed effect settles the key.
            allowed.remove(&id);
        } else {
            let set = allowed.entry(id).or_default();
            set.insert(certain.get(&id).copied());
            match *e {
                Effect::Set(_, v) => {
                    set.insert(Some(v));
                }
                Effect::Remove(_) | Effect::MaybeRemove(_) => {
                    set.insert(None);
                }
            }
        }
    }
    if !panicked {
        assert_eq!(
            done,
            effects.len(),
            "{what}: effects left incomplete without a panic"
        );
    }

    // Consistency: iteration, len, lookups.
    let got = contents(&map);
    assert_eq!(got.len(), map.len(), "{what}: len() vs iteration");
    for (&id, &v) in &got {
        let p = PKey::new(&ctl, id);
        assert_eq!(
            map.get(&p).map(|x| x.v),
            Some(v),
            "{what}: iterated key {id} not found by get"
        );
    }
    for id in certain
        .keys()
        .chain(got.keys())
        .copied()
        .collect::<BTreeSet<_>>()
    {
        let state = got.get(&id).copied();
        match allowed.get(&id) {
            Some(ok) => assert!(
                ok.contains(&state),
                "{what}: key {id} in state {state:?}, allowed {ok:?}"
            ),
            None => assert_eq!(
                state,
                certain.get(&id).copied(),
                "{what}: key {id} not touched by the failed operation changed"
            ),
        }
    }

    // Usable: more inserts and removes, checked.
    let mut model = got;
    for id in 5000..5200u64 {
        assert!(map
            .insert(PKey::new(&ctl, id), PVal::new(&ctl, id))
            .is_none());
        model.insert(id, id);
    }
    for id in (5000..5200u64).step_by(2) {
        let p = PKey::new(&ctl, id);
        assert_eq!(map.remove(&p).map(|v| v.v), Some(id));
        model.remove(&id);
    }
    assert_eq!(
        contents(&map),
        model,
        "{what}: map after more inserts and removes"
    );

    // Nothing leaked, nothing dropped twice.
    drop(map);
    assert_eq!(ctl.double_drops.get(), 0, "{what}: instances dropped twice");
    assert!(
        ctl.live_keys.borrow().is_empty(),
        "{what}: {} keys leaked",
        ctl.live_keys.borrow().len()
    );
    assert!(
        ctl.live_vals.borrow().is_empty(),
        "{what}: {} values leaked",
        ctl.live_vals.borrow().len()
    );
    (panicked, calls)
}

/// Which k to inject at for a callback kind called `n` times: all of them
/// for small n, else the first 12, the last 3 and 25 spread in between.
fn sample(n: usize) -> Vec<usize> {
    if n <= 40 {
        return (1..=n).collect();
    }
    let mut ks: BTreeSet<usize> = (1..=12).chain(n - 2..=n).collect();
    for i in 0..25 {
        ks.insert(13 + i * (n - 16) / 25);
    }
    ks.into_iter().collect()
}

fn run_matrix(filter: impl Fn(&Scenario) -> bool) {
    quiet_injected_panics();
    for sc in scenarios().iter().filter(|s| filter(s)) {
        let (panicked, calls) = run(sc, None);
        assert!(!panicked);
        let mut injected = 0;
        for kind in KINDS {
            let n = calls.get(&kind).copied().unwrap_or(0);
            for k in sample(n) {
                let (panicked, _) = run(sc, Some((kind, k)));
                if !sc.nondeterministic {
                    assert!(
                        panicked,
                        "{}: {kind:?} call #{k} of {n} did not happen on the re-run",
                        sc.name
                    );
                }
                injected += panicked as usize;
            }
        }
        assert!(injected > 0, "{}: no panic was ever injected", sc.name);
    }
}

#[test]
fn matrix_inserts_and_growth() {
    run_matrix(|s| s.name.starts_with("insert") || s.name.starts_with("entry"));
}

#[test]
fn matrix_removes_and_evacuation() {
    run_matrix(|s| s.name.starts_with("removes") || s.name.starts_with("lookups"));
}

#[test]
fn matrix_whole_map_ops() {
    run_matrix(|s| {
        ["retain", "clear", "clone", "drain", "into_iter", "extend"]
            .iter()
            .any(|p| s.name.starts_with(p))
    });
}

#[test]
fn matrix_shrink_and_reserve() {
    run_matrix(|s| s.name.starts_with("shrink") || s.name.starts_with("reserve"));
}

#[test]
fn matrix_cursor() {
    run_matrix(|s| s.name.starts_with("cursor"));
}

/// Every scenario is in exactly one matrix test.
#[test]
fn every_scenario_is_covered() {
    let prefixes = [
        "insert",
        "entry",
        "removes",
        "lookups",
        "retain",
        "clear",
        "clone",
        "drain",
        "into_iter",
        "extend",
        "shrink",
        "reserve",
        "cursor",
    ];
    for s in scenarios() {
        assert_eq!(
            prefixes.iter().filter(|p| s.name.starts_with(**p)).count(),
            1,
            "{}",
            s.name
        );
    }
}
