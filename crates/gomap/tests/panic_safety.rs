//! A panicking `Hash`, `Eq` or `Drop` of a user type, at any point (the new
//! key, an old key rehashed mid-evacuation, a stored key dropped by remove, a
//! value dropped by clear / retain / drop), leaves the map consistent (every
//! key inserted and not removed is found with its value, `len` is right,
//! iteration yields exactly those), usable (growth can be finished), and
//! nothing is lost, leaked or dropped twice.
//!
//! Keys are `PKey`s under `IdHash`, so the test chooses each key's hash and
//! therefore its bucket; lookups go through `Probe`, which never panics.

mod common;

use common::*;
use gomap::GoMap;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

type PMap = GoMap<PKey, Dv, IdHash>;

/// splitmix64, for well-spread hashes.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash whose old bucket (low 3 bits, for B = 3) is `bucket`.
fn hash_in_bucket(id: u64, bucket: usize) -> u64 {
    (mix(id) & !7) | bucket as u64
}

/// A map under test with its model (id -> hash); value ids equal key ids.
struct Fx {
    ctl: Arc<PanicCtl>,
    vals: Arc<Tracker>,
    m: PMap,
    model: BTreeMap<u64, u64>,
    next_id: u64,
}

impl Fx {
    fn with_capacity(n: usize) -> Fx {
        quiet_intentional_panics();
        Fx {
            ctl: PanicCtl::new(),
            vals: Tracker::new(),
            m: PMap::with_capacity_and_hasher(n, IdHash),
            model: BTreeMap::new(),
            next_id: 1_000_000,
        }
    }

    /// A B = 3 map filled to its threshold (52 keys, ids 0..52).
    fn full_b3() -> Fx {
        let mut fx = Fx::with_capacity(52);
        for id in 0..52 {
            fx.insert(id, mix(id));
        }
        assert_eq!(fx.m.header().b, 3);
        assert!(!fx.m.header().growing);
        fx
    }

    /// A map that has just started doubling from B = 3 to B = 4.
    fn growing_b3() -> Fx {
        let mut fx = Fx::full_b3();
        fx.insert(52, mix(52));
        let h = fx.m.header();
        assert!(h.growing && h.b == 4, "the 53rd key starts a doubling");
        fx
    }

    fn probe(&self, id: u64) -> Probe {
        Probe {
            id,
            hash: self.model[&id],
        }
    }

    fn insert(&mut self, id: u64, hash: u64) {
        let old = self.m.insert(self.ctl.key(id, hash), self.vals.value(id));
        assert_eq!(old.is_some(), self.model.insert(id, hash).is_some());
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The map holds exactly the model, and nothing else is alive.
    fn check(&self) {
        assert_eq!(self.m.len(), self.model.len(), "len");
        for (&id, &hash) in &self.model {
            let v = self
                .m
                .get(&Probe { id, hash })
                .unwrap_or_else(|| panic!("key {id} (hash {hash:#x}) lost"));
            assert_eq!(v.id, id, "key {id} has the wrong value");
        }
        let mut got: Vec<u64> = self
            .m
            .iter()
            .map(|(k, v)| {
                assert_eq!(k.id(), v.id);
                k.id()
            })
            .collect();
        got.sort_unstable();
        let want: Vec<u64> = self.model.keys().copied().collect();
        assert_eq!(got, want, "iteration");
        self.ctl.keys.assert_no_double_drop();
        self.vals.assert_no_double_drop();
        assert_eq!(
            self.ctl.keys.live(),
            self.m.len(),
            "keys alive vs len (leak or loss)"
        );
        assert_eq!(
            self.vals.live(),
            self.m.len(),
            "values alive vs len (leak or loss)"
        );
    }

    /// After a panicking write, adopt whatever happened to `id` (present or
    /// not) into the model, then check the whole map.
    fn adopt(&mut self, id: u64, hash: u64) {
        if self.m.contains_key(&Probe { id, hash }) {
            self.model.insert(id, hash);
        } else {
            self.model.remove(&id);
        }
        self.check();
    }

    /// Writes (new keys) until no growth is in progress, then checks.
    fn finish_growth(&mut self) {
        let mut writes = 0;
        while self.m.header().growing {
            let id = self.fresh_id();
            self.insert(id, mix(id));
            writes += 1;
            assert!(writes <= 1 << 16, "growth never finishes");
        }
        self.check();
        // And keep working: more inserts, removes, another growth.
        for _ in 0..200 {
            let id = self.fresh_id();
            self.insert(id, mix(id));
        }
        let some: Vec<u64> = self.model.keys().copied().step_by(3).collect();
        for id in some {
            let p = self.probe(id);
            assert_eq!(self.m.remove(&p).map(|v| v.id), Some(id));
            self.model.remove(&id);
        }
        self.check();
    }

    fn end(self) {
        let Fx { ctl, vals, m, .. } = self;
        drop(m);
        ctl.keys.assert_all_dropped_once();
        vals.assert_all_dropped_once();
    }

    /// Where a key lies now.
    fn loc(&self, id: u64) -> gomap::SlotLocation {
        self.m.locate(&self.probe(id)).expect("located")
    }

    /// Keys in old bucket `b` (not evacuated), by slot order.
    fn old_keys_in(&self, b: usize) -> Vec<(u64, gomap::SlotLocation)> {
        let mut v: Vec<_> = self
            .model
            .keys()
            .map(|&id| (id, self.loc(id)))
            .filter(|(_, l)| l.in_old && l.bucket_index == b)
            .collect();
        v.sort_by_key(|(_, l)| (l.overflow_depth, l.slot));
        v
    }

    /// An old bucket other than `nevacuate`, not yet evacuated, with at least
    /// three entries; and one already evacuated.
    fn old_buckets(&self) -> (Vec<usize>, Vec<usize>) {
        let st = self.m.structure();
        let old = st.old.expect("growing");
        let mut unevac = Vec::new();
        let mut evac = Vec::new();
        for c in &old.chains {
            if (2..=4).contains(&c.buckets[0].tophash[0]) {
                evac.push(c.index);
            } else {
                unevac.push(c.index);
            }
        }
        (unevac, evac)
    }
}

fn expect_err<R>(r: std::thread::Result<R>, what: &str) {
    assert!(r.is_err(), "{what}: expected a panic");
}

// ---------------------------------------------------------------------------
// Hash panics
// ---------------------------------------------------------------------------

#[test]
fn hash_of_the_new_key_panics() {
    for growing in [false, true] {
        let mut fx = if growing {
            Fx::growing_b3()
        } else {
            Fx::full_b3()
        };
        let header = fx.m.header();
        let id = fx.fresh_id();
        let hash = mix(id);
        fx.ctl.arm_hash(id);
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id))
        }));
        expect_err(r, "insert");
        assert!(
            !fx.m.contains_key(&Probe { id, hash }),
            "a key whose hash panicked cannot be in the map"
        );
        assert_eq!(
            fx.m.header(),
            header,
            "nothing may change before the key is hashed"
        );
        fx.check();
        // Same through the entry API.
        fx.ctl.arm_hash(id);
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.entry(fx.ctl.key(id, hash))
                .or_insert_with(|| fx.vals.value(id));
        }));
        expect_err(r, "entry");
        fx.check();
        fx.finish_growth();
        fx.end();
    }
}

#[test]
fn hash_panics_mid_evacuation_in_the_insert_that_starts_growth() {
    // For each old bucket with enough entries, make an old key in the middle
    // of it (so part of the bucket has moved when it panics) panic.
    for target_slot in [0usize, 1, 3, 6] {
        let mut fx = Fx::full_b3();
        let Some((victim, loc)) = fx
            .model
            .keys()
            .map(|&id| (id, fx.loc(id)))
            .find(|(_, l)| l.overflow_depth == 0 && l.slot == target_slot)
        else {
            continue;
        };
        let id = fx.fresh_id();
        let hash = hash_in_bucket(id, loc.bucket_index);
        fx.ctl.arm_hash(victim);
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id))
        }));
        expect_err(r, "the insert that starts growth");
        assert!(
            !fx.ctl.hash_armed(),
            "evacuating the key's bucket must rehash its keys"
        );
        fx.adopt(id, hash);
        fx.finish_growth();
        fx.end();
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    InsertNew,
    Update,
    Remove,
    RemoveVictim,
    EntryNew,
}

/// During a B 3 -> 4 growth, one write of kind `op` evacuates an old bucket
/// in which `victim`'s Hash panics. `in_nevacuate_step`: the write's own
/// bucket is already evacuated, so the panic comes from the second step
/// (evacuating the bucket at nevacuate).
fn panic_mid_evacuation(op: Op, in_nevacuate_step: bool, victim_rank: usize) {
    let mut fx = Fx::growing_b3();
    let nevacuate = fx.m.header().nevacuate;
    let (unevac, evac) = fx.old_buckets();
    // The bucket the panic comes from, and the bucket the write's key maps to.
    let (panic_bucket, key_bucket) = if in_nevacuate_step {
        assert!(!evac.is_empty());
        (nevacuate, evac[0])
    } else {
        let b = unevac
            .iter()
            .copied()
            .filter(|&b| b != nevacuate)
            .max_by_key(|&b| fx.old_keys_in(b).len())
            .expect("an unevacuated bucket other than nevacuate");
        (b, b)
    };
    let in_bucket = fx.old_keys_in(panic_bucket);
    if in_bucket.len() < 2 {
        return; // (an unlucky hash layout; other parameters cover the case)
    }
    let (victim, _) = in_bucket[victim_rank.min(in_bucket.len() - 1)];
    // A key for the write, other than the victim, mapping to key_bucket.
    let other = fx
        .model
        .iter()
        .map(|(&id, &h)| (id, h))
        .find(|&(id, h)| id != victim && (h & 7) as usize == key_bucket);
    fx.ctl.arm_hash(victim);
    let (id, hash, r) = match op {
        Op::InsertNew | Op::EntryNew => {
            let id = fx.fresh_id();
            let hash = hash_in_bucket(id, key_bucket);
            let r = catch_unwind(AssertUnwindSafe(|| {
                if matches!(op, Op::InsertNew) {
                    fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id));
                } else {
                    fx.m.entry(fx.ctl.key(id, hash))
                        .or_insert_with(|| fx.vals.value(id));
                }
            }));
            (id, hash, r)
        }
        Op::Update => {
            let Some((id, hash)) = other else { return };
            let r = catch_unwind(AssertUnwindSafe(|| {
                fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id));
            }));
            (id, hash, r)
        }
        Op::Remove | Op::RemoveVictim => {
            let (id, hash) = if matches!(op, Op::RemoveVictim) && !in_nevacuate_step {
                (victim, fx.model[&victim])
            } else {
                let Some(o) = other else { return };
                o
            };
            let r = catch_unwind(AssertUnwindSafe(|| {
                fx.m.remove(&Probe { id, hash });
            }));
            (id, hash, r)
        }
    };
    expect_err(r, &format!("{op:?}"));
    assert!(!fx.ctl.hash_armed());
    fx.ctl.disarm();
    fx.adopt(id, hash);
    // A second panic in the same bucket, on the next write.
    if fx.m.header().growing {
        let still_old = fx.old_keys_in(panic_bucket);
        if let Some(&(v2, _)) = still_old.last() {
            fx.ctl.arm_hash(v2);
            let id = fx.fresh_id();
            let hash = hash_in_bucket(id, panic_bucket);
            let r = catch_unwind(AssertUnwindSafe(|| {
                fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id))
            }));
            expect_err(r, "second panic in the same bucket");
            fx.adopt(id, hash);
        }
    }
    fx.finish_growth();
    fx.end();
}

#[test]
fn hash_panics_mid_evacuation_on_insert() {
    for rank in [0, 2, 5] {
        panic_mid_evacuation(Op::InsertNew, false, rank);
        panic_mid_evacuation(Op::InsertNew, true, rank);
    }
}

#[test]
fn hash_panics_mid_evacuation_on_entry_insert() {
    for rank in [0, 3] {
        panic_mid_evacuation(Op::EntryNew, false, rank);
        panic_mid_evacuation(Op::EntryNew, true, rank);
    }
}

#[test]
fn hash_panics_mid_evacuation_on_update() {
    for rank in [0, 2, 5] {
        panic_mid_evacuation(Op::Update, false, rank);
        panic_mid_evacuation(Op::Update, true, rank);
    }
}

#[test]
fn hash_panics_mid_evacuation_on_remove() {
    for rank in [0, 2, 5] {
        panic_mid_evacuation(Op::Remove, false, rank);
        panic_mid_evacuation(Op::Remove, true, rank);
        panic_mid_evacuation(Op::RemoveVictim, false, rank);
    }
}

#[test]
fn hash_panics_at_every_point_of_a_long_growth() {
    // A whole B 6 -> 7 growth where every other write has a stored key armed:
    // while growing, a key of the old bucket at nevacuate (which that write
    // must evacuate); before, any key. The writes in between succeed, so the
    // growth still finishes.
    let mut fx = Fx::with_capacity(capacity_for_b(6));
    for id in 0..capacity_for_b(6) as u64 {
        fx.insert(id, mix(id));
    }
    let mut step = 0u64;
    let mut panics = 0;
    let mut must_panic = 0;
    loop {
        step += 1;
        let h = fx.m.header();
        if step % 2 == 1 {
            let in_nevacuate: Vec<u64> = if h.growing {
                fx.old_keys_in(h.nevacuate)
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect()
            } else {
                Vec::new()
            };
            let ids: Vec<u64> = if in_nevacuate.is_empty() {
                fx.model.keys().copied().collect()
            } else {
                must_panic += 1;
                in_nevacuate
            };
            fx.ctl
                .arm_hash(ids[(mix(step) % ids.len() as u64) as usize]);
        }
        let id = fx.fresh_id();
        let hash = mix(id);
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id))
        }));
        if r.is_err() {
            panics += 1;
        }
        fx.ctl.disarm();
        fx.adopt(id, hash);
        if step > 2 && !fx.m.header().growing {
            break;
        }
        assert!(step < 10_000, "growth never finishes");
    }
    assert!(must_panic > 10);
    assert!(
        panics >= must_panic,
        "writes during growth must rehash the nevacuate bucket ({panics} panics, {must_panic} expected)"
    );
    fx.finish_growth();
    fx.end();
}

#[test]
fn hash_panics_during_shrink_and_reserve() {
    let mut fx = Fx::with_capacity(0);
    for id in 0..400 {
        fx.insert(id, mix(id));
    }
    for id in 20..400 {
        let p = fx.probe(id);
        fx.m.remove(&p);
        fx.model.remove(&id);
    }
    fx.check();
    fx.ctl.arm_hash(7);
    let _ = catch_unwind(AssertUnwindSafe(|| fx.m.shrink_to_fit()));
    fx.ctl.disarm();
    fx.check();
    fx.m.shrink_to_fit();
    fx.check();
    fx.ctl.arm_hash(11);
    let _ = catch_unwind(AssertUnwindSafe(|| fx.m.reserve(5000)));
    fx.ctl.disarm();
    fx.check();
    fx.m.reserve(5000);
    fx.check();
    fx.finish_growth();
    fx.end();
}

// ---------------------------------------------------------------------------
// Eq panics
// ---------------------------------------------------------------------------

#[test]
fn eq_panics_on_insert_entry_and_remove() {
    for growing in [false, true] {
        let mut fx = if growing {
            Fx::growing_b3()
        } else {
            Fx::full_b3()
        };
        // A new key with the same hash as key 5: the lookup must compare them.
        let hash = fx.model[&5];
        let id = fx.fresh_id();
        fx.ctl.arm_eq();
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id))
        }));
        expect_err(r, "insert");
        fx.adopt(id, hash);
        assert!(
            !fx.m.contains_key(&Probe { id, hash }),
            "Eq panicked before the key could be placed"
        );

        fx.ctl.arm_eq();
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.entry(fx.ctl.key(id, hash))
                .or_insert_with(|| fx.vals.value(id));
        }));
        expect_err(r, "entry");
        fx.adopt(id, hash);

        // Remove by an owned key (Q = PKey), whose Eq panics.
        fx.ctl.arm_eq();
        let r = catch_unwind(AssertUnwindSafe(|| fx.m.remove(&fx.ctl.key(5, hash))));
        expect_err(r, "remove");
        assert!(fx.m.contains_key(&Probe { id: 5, hash }));
        fx.adopt(5, hash);

        // Update of key 5 itself (Eq of the stored key 5 panics).
        fx.ctl.arm_eq();
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.insert(fx.ctl.key(5, hash), fx.vals.value(5))
        }));
        expect_err(r, "update");
        fx.adopt(5, hash);
        fx.finish_growth();
        fx.end();
    }
}

// ---------------------------------------------------------------------------
// Drop panics
// ---------------------------------------------------------------------------

/// A map of 100 entries (ids 0..100) where value `bomb` panics when dropped.
fn with_bomb(bomb: u64, growing: bool) -> Fx {
    let mut fx = if growing {
        let mut fx = Fx::with_capacity(capacity_for_b(4));
        for id in 0..=capacity_for_b(4) as u64 {
            fx.insert(id, mix(id));
        }
        assert!(fx.m.header().growing);
        fx
    } else {
        let mut fx = Fx::with_capacity(0);
        for id in 0..100 {
            fx.insert(id, mix(id));
        }
        fx
    };
    let old = fx.m.insert(fx.ctl.key(bomb, mix(bomb)), fx.vals.bomb(bomb));
    assert!(old.is_some());
    fx
}

#[test]
fn value_drop_panics_in_clear() {
    for growing in [false, true] {
        let mut fx = with_bomb(40, growing);
        let r = catch_unwind(AssertUnwindSafe(|| fx.m.clear()));
        expect_err(r, "clear");
        assert_eq!(
            fx.vals.drops_of(40),
            2,
            "the bomb (and the value it replaced)"
        );
        assert!(
            fx.m.is_empty(),
            "clear empties the map even when a drop panics"
        );
        assert!(!fx.m.header().growing);
        fx.model.clear();
        fx.check(); // every other key and value dropped exactly once
        for id in 0..100 {
            fx.insert(id + 500, mix(id + 500));
        }
        fx.check();
        fx.end();
    }
}

#[test]
fn value_drop_panics_when_the_map_is_dropped() {
    for growing in [false, true] {
        let fx = with_bomb(17, growing);
        let Fx { ctl, vals, m, .. } = fx;
        let r = catch_unwind(AssertUnwindSafe(move || drop(m)));
        expect_err(r, "drop");
        ctl.keys.assert_all_dropped_once();
        vals.assert_all_dropped_once();
    }
}

#[test]
fn value_drop_panics_in_retain() {
    for growing in [false, true] {
        let mut fx = with_bomb(33, growing);
        let r = catch_unwind(AssertUnwindSafe(|| fx.m.retain(|k, _| k.id() % 2 == 0)));
        expect_err(r, "retain");
        assert!(!fx.m.contains_key(&Probe {
            id: 33,
            hash: mix(33)
        }));
        // Kept entries are all there; rejected ones are either still there
        // (not reached yet) or dropped exactly once.
        let model = std::mem::take(&mut fx.model);
        for (id, h) in model {
            let present = fx.m.contains_key(&Probe { id, hash: h });
            if id % 2 == 0 {
                assert!(present, "retained key {id} lost");
            }
            if present {
                fx.model.insert(id, h);
            }
        }
        fx.check();
        fx.m.retain(|k, _| k.id() % 2 == 0);
        fx.model.retain(|id, _| id % 2 == 0);
        fx.check();
        fx.end();
    }
}

#[test]
fn value_drop_panics_in_drain_and_into_iter_drop() {
    for growing in [false, true] {
        let mut fx = with_bomb(60, growing);
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut d = fx.m.drain();
            // Take a few that are not the bomb, then drop the rest.
            for _ in 0..3 {
                if let Some((k, mut v)) = d.next() {
                    v.defuse();
                    drop((k, v));
                }
            }
            drop(d);
        }));
        let bomb_taken = r.is_ok();
        assert!(fx.m.is_empty());
        fx.model.clear();
        if !bomb_taken {
            assert_eq!(fx.vals.drops_of(60), 2);
        }
        fx.check();
        fx.end();

        let fx = with_bomb(61, growing);
        let Fx { ctl, vals, m, .. } = fx;
        let r = catch_unwind(AssertUnwindSafe(move || {
            let mut it = m.into_iter();
            let (_k, mut v) = it.next().unwrap();
            v.defuse();
            drop(it);
        }));
        let _ = r;
        ctl.keys.assert_all_dropped_once();
        vals.assert_all_dropped_once();
    }
}

#[test]
fn key_drop_panics_in_remove() {
    for growing in [false, true] {
        let mut fx = if growing {
            Fx::growing_b3()
        } else {
            Fx::full_b3()
        };
        let victim = 9;
        let p = fx.probe(victim);
        fx.ctl.arm_drop(victim);
        let r = catch_unwind(AssertUnwindSafe(|| fx.m.remove(&p)));
        expect_err(r, "remove");
        assert_eq!(fx.ctl.keys.drops_of(victim), 1);
        assert!(
            !fx.m.contains_key(&p),
            "a dropped key cannot still be in the map"
        );
        fx.model.remove(&victim);
        fx.check();
        // remove_entry hands the key out: no drop inside the map.
        fx.ctl.arm_drop(10);
        let p10 = fx.probe(10);
        let (k, v) = fx.m.remove_entry(&p10).unwrap();
        fx.model.remove(&10);
        fx.check_with_outside(2);
        drop(v);
        let r = catch_unwind(AssertUnwindSafe(move || drop(k)));
        expect_err(r, "our own drop");
        fx.check();
        fx.finish_growth();
        fx.end();
    }
}

#[test]
fn key_drop_panics_in_overwrite() {
    for growing in [false, true] {
        let mut fx = if growing {
            Fx::growing_b3()
        } else {
            Fx::full_b3()
        };
        let id = 12;
        let hash = fx.model[&id];
        fx.ctl.arm_drop(id);
        // The map drops one of the two keys with id 12 (std drops the new one).
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.insert(fx.ctl.key(id, hash), fx.vals.value(id))
        }));
        expect_err(r, "overwrite");
        assert!(fx.m.contains_key(&Probe { id, hash }), "the entry survives");
        fx.check();
        fx.finish_growth();
        fx.end();
    }
}

impl Fx {
    /// `check`, with `n` keys + values held outside the map.
    fn check_with_outside(&self, n: usize) {
        assert_eq!(self.m.len(), self.model.len());
        assert_eq!(
            self.ctl.keys.live() + self.vals.live(),
            2 * self.m.len() + n
        );
    }
}

#[test]
fn key_drop_panics_in_clear_and_map_drop() {
    // A key's Drop panicking must not keep its value (or anything else) alive.
    for growing in [false, true] {
        let mut fx = if growing {
            Fx::growing_b3()
        } else {
            Fx::full_b3()
        };
        fx.ctl.arm_drop(20);
        let r = catch_unwind(AssertUnwindSafe(|| fx.m.clear()));
        expect_err(r, "clear");
        assert!(fx.m.is_empty());
        fx.model.clear();
        fx.check();
        for id in 0..60 {
            fx.insert(id, mix(id));
        }
        fx.check();
        fx.ctl.arm_drop(30);
        let Fx { ctl, vals, m, .. } = fx;
        let r = catch_unwind(AssertUnwindSafe(move || drop(m)));
        expect_err(r, "drop");
        ctl.keys.assert_all_dropped_once();
        vals.assert_all_dropped_once();
    }
}

#[test]
fn key_drop_panics_in_entry_cursor_and_retain_paths() {
    for growing in [false, true] {
        let mut fx = if growing {
            Fx::growing_b3()
        } else {
            Fx::full_b3()
        };

        // entry(k) on an occupied key: the given key is dropped, and the
        // unused default with it; the map keeps its entry.
        let h = fx.model[&3];
        fx.ctl.arm_drop(3);
        let r = catch_unwind(AssertUnwindSafe(|| {
            fx.m.entry(fx.ctl.key(3, h)).or_insert(fx.vals.value(3));
        }));
        let _ = r; // (whether it surfaces depends on where the key is dropped)
        fx.adopt(3, h);
        assert!(fx.m.contains_key(&Probe { id: 3, hash: h }));

        // OccupiedEntry::remove: one of the two keys with id 4 panics in Drop.
        let h = fx.model[&4];
        fx.ctl.arm_drop(4);
        let r = catch_unwind(AssertUnwindSafe(|| {
            if let gomap::Entry::Occupied(o) = fx.m.entry(fx.ctl.key(4, h)) {
                drop(o.remove());
            }
        }));
        expect_err(r, "OccupiedEntry::remove");
        fx.adopt(4, h);

        // OccupiedEntry::remove_entry hands the stored key out.
        let h = fx.model[&5];
        fx.ctl.arm_drop(5);
        let r = catch_unwind(AssertUnwindSafe(|| {
            if let gomap::Entry::Occupied(o) = fx.m.entry(fx.ctl.key(5, h)) {
                drop(o.remove_entry());
            }
        }));
        expect_err(r, "OccupiedEntry::remove_entry");
        fx.adopt(5, h);

        // Cursor::remove of a stored key whose Drop panics.
        let p = fx.probe(6);
        fx.ctl.arm_drop(6);
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut c = fx.m.cursor();
            let _ = c.next();
            c.remove(&p)
        }));
        expect_err(r, "Cursor::remove");
        fx.adopt(6, p.hash);
        assert!(!fx.m.contains_key(&p));

        // retain dropping a key that panics.
        fx.ctl.arm_drop(7);
        let r = catch_unwind(AssertUnwindSafe(|| fx.m.retain(|k, _| k.id() != 7)));
        expect_err(r, "retain");
        fx.adopt(7, fx.model[&7]);
        assert!(!fx.m.contains_key(&Probe {
            id: 7,
            hash: mix(7)
        }));

        fx.finish_growth();
        fx.end();
    }
}
