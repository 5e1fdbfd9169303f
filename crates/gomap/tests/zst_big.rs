//! Zero-sized keys and values, and keys / values over 128 bytes (stored
//! behind a pointer): the layout says so, live addresses agree with the
//! layout, and every operation works through growth with exact drop counts.

mod common;

use common::*;
use gomap::{GoMap, SlotState};
use std::hash::{BuildHasher, Hash, Hasher};
use std::mem::size_of;
use std::sync::Arc;

/// Checks `locate()` for `key` against the layout, the structure and the
/// references the map hands out.
fn check_location<K, V, S, Q>(m: &GoMap<K, V, S>, key: &Q)
where
    K: Hash + Eq + std::borrow::Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    S: BuildHasher,
{
    let l = GoMap::<K, V, S>::layout();
    let loc = m.locate(key).expect("present");
    assert!(loc.slot < 8);
    assert_eq!(
        loc.key_addr,
        loc.bucket_addr + l.keys_offset + loc.slot * l.key_slot_size
    );
    assert_eq!(
        loc.value_addr,
        loc.bucket_addr + l.values_offset + loc.slot * l.value_slot_size
    );
    assert_eq!(loc.bucket_addr % l.bucket_align, 0);
    // The bucket is where the structure says, and head buckets lie in their array.
    let st = m.structure();
    let array = if loc.in_old {
        st.old.as_ref()
    } else {
        st.current.as_ref()
    }
    .expect("array");
    let chain = &array.chains[loc.bucket_index];
    assert_eq!(chain.index, loc.bucket_index);
    let bucket = &chain.buckets[loc.overflow_depth];
    assert_eq!(bucket.addr, loc.bucket_addr);
    assert!(SlotState::from_tophash(bucket.tophash[loc.slot]).is_full());
    if loc.overflow_depth == 0 {
        assert_eq!(
            loc.bucket_addr,
            array.addr + loc.bucket_index * l.bucket_size
        );
    }
    // References point into the slot (inline) or outside the bucket (indirect).
    let (k, v) = m.get_key_value(key).unwrap();
    let (ka, va) = (k as *const K as usize, v as *const V as usize);
    let inside = |a: usize| a >= loc.bucket_addr && a < loc.bucket_addr + l.bucket_size;
    if size_of::<K>() > 0 {
        if l.indirect_key {
            assert!(!inside(ka), "an indirect key lives in its own allocation");
        } else {
            assert_eq!(ka, loc.key_addr, "inline key reference is the slot");
        }
    }
    if size_of::<V>() > 0 {
        if l.indirect_value {
            assert!(!inside(va), "an indirect value lives in its own allocation");
        } else {
            assert_eq!(va, loc.value_addr, "inline value reference is the slot");
        }
    }
}

// ---------------------------------------------------------------------------
// Zero-sized keys
// ---------------------------------------------------------------------------

#[test]
fn unit_key_holds_at_most_one_entry() {
    let l = GoMap::<(), u64>::layout();
    assert_eq!((l.key_slot_size, l.value_slot_size), (0, 8));
    assert!(!l.indirect_key && !l.indirect_value);
    assert_eq!(
        (
            l.keys_offset,
            l.values_offset,
            l.overflow_offset,
            l.bucket_size
        ),
        (8, 8, 72, 80)
    );

    let mut m: GoMap<(), u64> = GoMap::new();
    assert_eq!(m.get(&()), None);
    assert_eq!(m.insert((), 1), None);
    for i in 2..1000 {
        assert_eq!(m.insert((), i), Some(i - 1));
    }
    assert_eq!(m.len(), 1);
    assert_eq!(m.get(&()), Some(&999));
    assert_eq!(m.stats().buckets, 1, "one entry never grows the map");
    check_location(&m, &());
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![(&(), &999)]);
    *m.get_mut(&()).unwrap() += 1;
    assert_eq!(m[&()], 1000);
    assert_eq!(m.remove(&()), Some(1000));
    assert!(m.is_empty());
    assert_eq!(m.remove(&()), None);
    *m.entry(()).or_insert(5) += 1;
    assert_eq!(m.get_key_value(&()), Some((&(), &6)));
    let mut c = m.clone();
    c.insert((), 7);
    assert_eq!((m[&()], c[&()]), (6, 7));
    assert_eq!(m.drain().collect::<Vec<_>>(), vec![((), 6)]);
    assert!(m.is_empty());
}

#[test]
fn unit_to_unit() {
    let l = GoMap::<(), ()>::layout();
    assert_eq!(
        (l.key_slot_size, l.value_slot_size, l.bucket_size),
        (0, 0, 16)
    );
    let mut m: GoMap<(), ()> = GoMap::new();
    assert_eq!(m.insert((), ()), None);
    assert_eq!(m.insert((), ()), Some(()));
    assert_eq!(m.len(), 1);
    assert!(m.contains_key(&()));
    assert_eq!(m.iter().count(), 1);
    assert_eq!(m.stats().heap_bytes, l.bucket_size);
    assert_eq!(m.remove_entry(&()), Some(((), ())));
    assert_eq!(m.len(), 0);
    assert_eq!(m.iter().count(), 0);
}

#[test]
fn zero_sized_key_with_drop_counted_values() {
    let t = Tracker::new();
    let mut m: GoMap<(), Dv> = GoMap::new();
    for i in 0..100 {
        let old = m.insert((), t.value(i));
        assert_eq!(old.map(|v| v.id), i.checked_sub(1));
    }
    assert_eq!(t.live(), 1);
    m.clear();
    assert_eq!(t.live(), 0);
    m.insert((), t.value(1000));
    drop(m);
    t.assert_all_dropped_once();
}

// ---------------------------------------------------------------------------
// Zero-sized values: a set
// ---------------------------------------------------------------------------

#[test]
fn u64_to_unit_is_a_set_through_growth() {
    type Set = GoMap<u64, ()>;
    let l = Set::layout();
    assert_eq!((l.key_slot_size, l.value_slot_size), (8, 0));
    assert_eq!(
        (
            l.keys_offset,
            l.values_offset,
            l.overflow_offset,
            l.bucket_size
        ),
        (8, 72, 72, 80)
    );
    let mut m = Set::new();
    let mut was_growing = 0;
    for i in 0..30_000u64 {
        assert_eq!(m.insert(i * 7, ()), None);
        if m.header().growing {
            was_growing += 1;
        }
        assert_eq!(m.header().b, b_for_hint(i as usize + 1));
        if i % 997 == 0 {
            check_location(&m, &(i * 7));
        }
    }
    assert!(was_growing > 0);
    assert_eq!(m.len(), 30_000);
    for i in 0..30_000u64 {
        assert!(m.contains_key(&(i * 7)));
        assert!(!m.contains_key(&(i * 7 + 1)));
    }
    assert_eq!(m.insert(7, ()), Some(()));
    for i in (0..30_000u64).step_by(2) {
        assert_eq!(m.remove(&(i * 7)), Some(()));
    }
    assert_eq!(m.len(), 15_000);
    let mut keys: Vec<u64> = m.keys().copied().collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        (0..30_000u64)
            .filter(|i| i % 2 == 1)
            .map(|i| i * 7)
            .collect::<Vec<_>>()
    );
    assert_eq!(m.values().count(), 15_000);
    finish_growth(&mut m, |m| {
        m.insert(7, ());
    });
    // Memory: arrays of 80-byte buckets, nothing per entry.
    let s = m.stats();
    let used_prealloc = s.preallocated_overflow - s.free_preallocated_overflow;
    assert_eq!(
        s.heap_bytes,
        (s.buckets + s.preallocated_overflow + s.overflow_buckets - used_prealloc) * 80
            + extra_bytes(&m)
    );
    m.retain(|k, _| k % 3 == 0);
    assert!(m.keys().all(|k| k % 3 == 0));
    let c: GoMap<u64, ()> = m.keys().map(|&k| (k, ())).collect();
    assert_eq!(c, m);
}

// ---------------------------------------------------------------------------
// Keys and values over 128 bytes
// ---------------------------------------------------------------------------

fn big(id: u64) -> [u8; 200] {
    let mut a = [0u8; 200];
    a[..8].copy_from_slice(&id.to_le_bytes());
    for (i, b) in a[8..].iter_mut().enumerate() {
        *b = (id as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
    a
}

#[test]
fn big_arrays_are_indirect() {
    type B = GoMap<[u8; 200], [u8; 200]>;
    let l = B::layout();
    assert!(l.indirect_key && l.indirect_value);
    assert_eq!((l.key_slot_size, l.value_slot_size), (8, 8));
    assert_eq!(l.bucket_size, 8 + 64 + 64 + 8);
    // 128 bytes is still inline; 129 is not.
    let l2 = GoMap::<[u8; 128], [u8; 129]>::layout();
    assert!(!l2.indirect_key && l2.indirect_value);
    assert_eq!((l2.key_slot_size, l2.value_slot_size), (128, 8));

    let mut m = B::new();
    for id in 0..2000u64 {
        assert!(m.insert(big(id), big(id + 1)).is_none());
        if id % 101 == 0 {
            check_location(&m, &big(id));
        }
    }
    assert_eq!(m.len(), 2000);
    for id in 0..2000u64 {
        assert_eq!(m.get(&big(id)), Some(&big(id + 1)));
    }
    // Update in place keeps the key allocation, replaces the value.
    assert_eq!(m.insert(big(5), big(0)), Some(big(6)));
    assert_eq!(m[&big(5)], big(0));
    m.get_mut(&big(6)).unwrap()[199] = 1;
    assert_eq!(m[&big(6)][199], 1);
    for id in (0..2000u64).filter(|i| i % 3 == 0) {
        assert!(m.remove(&big(id)).is_some());
    }
    finish_growth(&mut m, |m| {
        m.insert(big(1), big(2));
    });
    // heap_bytes counts the indirect keys and values.
    let s = m.stats();
    let used_prealloc = s.preallocated_overflow - s.free_preallocated_overflow;
    let arrays =
        (s.buckets + s.preallocated_overflow + s.overflow_buckets - used_prealloc) * l.bucket_size;
    assert_eq!(
        s.heap_bytes,
        arrays + m.len() * 400 + extra_bytes(&m),
        "arrays + one 200-byte key and value per entry"
    );
    let before = s.heap_bytes;
    m.clear();
    assert!(
        m.stats().heap_bytes <= before - 400 * s.len,
        "clear frees the indirect keys and values"
    );
    assert!(m.is_empty());
}

/// A 200-plus-byte drop-counted key or value.
#[derive(Clone)]
struct BigDv {
    dv: Dv,
    pad: [u64; 24],
}

impl BigDv {
    fn new(t: &Arc<Tracker>, id: u64) -> BigDv {
        BigDv {
            dv: t.value(id),
            pad: [id; 24],
        }
    }
}

impl PartialEq for BigDv {
    fn eq(&self, o: &BigDv) -> bool {
        self.dv.id == o.dv.id
    }
}
impl Eq for BigDv {}
impl Hash for BigDv {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.dv.id.hash(h);
    }
}

#[test]
fn big_drop_counted_structs_through_growth() {
    assert!(size_of::<BigDv>() > 200);
    let l = GoMap::<BigDv, BigDv>::layout();
    assert!(l.indirect_key && l.indirect_value);
    let (kt, vt) = (Tracker::new(), Tracker::new());
    let mut m: GoMap<BigDv, BigDv> = GoMap::new();
    for id in 0..1500u64 {
        m.insert(BigDv::new(&kt, id), BigDv::new(&vt, id));
        if m.header().growing && id % 50 == 0 {
            check_location(&m, &BigDv::new(&kt, id));
        }
    }
    assert_eq!((kt.live(), vt.live()), (1500, 1500));
    for id in 0..1500u64 {
        let v = m.get(&BigDv::new(&kt, id)).unwrap();
        assert_eq!(v.dv.id, id);
        assert_eq!(v.pad, [id; 24]);
    }
    // Overwrite: the old value comes back, the given key is dropped.
    let old = m.insert(BigDv::new(&kt, 3), BigDv::new(&vt, 3003)).unwrap();
    assert_eq!(old.dv.id, 3);
    drop(old);
    // remove / remove_entry / retain / entry.
    assert_eq!(m.remove(&BigDv::new(&kt, 4)).unwrap().dv.id, 4);
    let (k, v) = m.remove_entry(&BigDv::new(&kt, 5)).unwrap();
    assert_eq!((k.dv.id, v.dv.id), (5, 5));
    drop((k, v));
    m.retain(|k, _| k.dv.id % 10 != 9);
    m.entry(BigDv::new(&kt, 7))
        .or_insert_with(|| unreachable!())
        .pad[0] = 77;
    assert_eq!(m[&BigDv::new(&kt, 7)].pad[0], 77);
    m.entry(BigDv::new(&kt, 9))
        .or_insert_with(|| BigDv::new(&vt, 9));
    let expected = 1500 - 2 - 150 + 1;
    assert_eq!(m.len(), expected);
    assert_eq!((kt.live(), vt.live()), (expected, expected));
    let c = m.clone();
    assert_eq!(c.len(), expected);
    drop(c);
    // Drain half, drop the rest through the map.
    let taken: Vec<_> = m.drain().take(100).collect();
    assert!(m.is_empty());
    drop(taken);
    kt.assert_all_dropped_once();
    vt.assert_all_dropped_once();
    for id in 0..300u64 {
        m.insert(BigDv::new(&kt, id), BigDv::new(&vt, id));
    }
    let it = m.into_iter().skip(10);
    drop(it);
    kt.assert_all_dropped_once();
    vt.assert_all_dropped_once();
}

#[test]
fn inline_addresses_match_the_layout() {
    // u64 -> u64, u8 -> u64, u128 -> u8 (padded), [u8; 128] -> u8 (largest inline key).
    let mut a: GoMap<u64, u64> = GoMap::new();
    let mut b: GoMap<u8, u64> = GoMap::new();
    let mut c: GoMap<u128, u8> = GoMap::new();
    let mut d: GoMap<[u8; 128], u16> = GoMap::new();
    for i in 0..200u64 {
        a.insert(i, i);
        b.insert(i as u8, i);
        c.insert(u128::from(i) << 64, i as u8);
        let mut k = [0u8; 128];
        k[0] = i as u8;
        d.insert(k, i as u16);
        check_location(&a, &i);
        check_location(&b, &(i as u8));
        check_location(&c, &(u128::from(i) << 64));
        check_location(&d, &k);
    }
    assert_eq!(GoMap::<u128, u8>::layout().bucket_align, 16);
    assert_eq!(c.stats().buckets_addr % 16, 0);
}
