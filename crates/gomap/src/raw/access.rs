//! Safe, lifetime-carrying access built on the raw table: references into
//! slots, the iterators' stepping, entries and cursor steps. Every function
//! here is safe to call; the `unsafe` inside relies on the table invariants
//! (a slot yielded by a walk or a search is full and stays put while the
//! borrow that produced the reference lasts).

use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;

use super::bucket::Bucket;
use super::iter::{Hiter, RawIter};
use super::table::{InsertSlot, RawTable, HUGE_PAGES};

impl<K, V, S> RawTable<K, V, S> {
    /// Looks up `hash` with `eq`; borrows from the table.
    #[inline]
    pub(crate) fn get(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&K, &V)> {
        let (b, i) = self.find(hash, eq)?;
        // SAFETY: `find` returns a full slot; the shared borrow of `self`
        // keeps it in place for the returned lifetime.
        Some(unsafe { (&*b.key(i), &*b.value(i)) })
    }

    #[inline]
    pub(crate) fn get_mut(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(&K, &mut V)> {
        let (b, i) = self.find(hash, eq)?;
        // SAFETY: a full slot; the exclusive borrow of `self` makes the
        // value reference unique for its lifetime.
        Some(unsafe { (&*b.key(i), &mut *b.value(i)) })
    }

    /// Keeps the entries for which `f` returns true, removing the others in
    /// place. Does no growth work: a walk over both arrays must not move
    /// entries under itself.
    pub(crate) fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        let mut it = self.raw_iter();
        while let Some((b, i)) = it.next() {
            // SAFETY: the walk yields full slots; nothing else holds a
            // reference into the table while `f` runs.
            let keep = unsafe { f(&*b.key(i), &mut *b.value(i)) };
            if !keep {
                // SAFETY: still full (only `f` ran, which cannot reach the
                // table), and on the chain of `it.head()`.
                drop(unsafe { self.take_at(it.head(), b, i) });
            }
        }
    }

    /// The values of `N` keys at once, each found with its own hash and
    /// `eq`; panics if two of them find the same entry (std's
    /// `get_disjoint_mut`). Never moves anything.
    pub(crate) fn get_disjoint_mut<const N: usize>(
        &mut self,
        hashes: [u64; N],
        mut eq: impl FnMut(usize, &K) -> bool,
    ) -> [Option<&mut V>; N] {
        let mut n = 0;
        let slots = hashes.map(|hash| {
            let which = n;
            n += 1;
            self.find(hash, |k| eq(which, k))
        });
        for (i, slot) in slots.iter().enumerate() {
            if slot.is_some() && slots[..i].contains(slot) {
                panic!("get_disjoint_mut: two keys find the same entry (keys {i} and an earlier one are equal)");
            }
        }
        // SAFETY: every `Some` is a full slot (`find`), no two are the same
        // slot (checked above), and the exclusive borrow of `self` keeps
        // them in place and unaliased for the returned lifetime.
        slots.map(|slot| slot.map(|(b, i)| unsafe { &mut *b.value(i) }))
    }

    /// A new table with the same `B` and a clone of every entry.
    pub(crate) fn clone_with(&self, hash0: S) -> RawTable<K, V, S>
    where
        K: Clone + Hash,
        V: Clone,
        S: BuildHasher,
    {
        // The same `B` and settings; an array only if `self` has one.
        let mut t = RawTable::new(hash0);
        t.flags = self.flags & HUGE_PAGES;
        t.b = self.b;
        t.refresh_grow_at();
        if self.buckets.is_some() {
            let a = t.new_array(self.b).unwrap_or_else(|e| e.fail());
            t.install_array(self.b, a);
        }
        let mut it = self.raw_iter();
        while let Some((b, i)) = it.next() {
            // SAFETY: the walk yields full slots of `self`, borrowed shared.
            let (k, v) = unsafe { (&*b.key(i), &*b.value(i)) };
            let (k, v) = (k.clone(), v.clone());
            let hash = t.hash(&k);
            t.insert_no_grow(hash, k, v);
        }
        t
    }

    /// Go's `mapassign` for `insert`: replace the value of an existing key
    /// (returning the old one; the new key is dropped, as std does), or add.
    #[inline]
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V) -> Option<V>
    where
        K: Hash + Eq,
        S: BuildHasher,
    {
        match self.find_for_insert(hash, |k| *k == key) {
            Ok((b, i)) => {
                // SAFETY: a full slot, exclusively borrowed.
                let old = core::mem::replace(unsafe { &mut *b.value(i) }, value);
                // Drop the unused key while `old` is still a named local: a
                // panicking K::drop must not leak the value (rust#47949).
                drop(key);
                Some(old)
            }
            Err(slot) => {
                self.insert_new(hash, slot, key, value);
                None
            }
        }
    }
}

/// `extract_if()`: the walk of `retain`, one removal at a time. Holds the
/// table exclusively; removes only what the predicate accepted, so entries
/// not yet visited stay when it is dropped early. No growth work, as in
/// `retain`: the walk must not move entries under itself.
pub(crate) struct RawExtract<'a, K, V, S> {
    table: &'a mut RawTable<K, V, S>,
    raw: RawIter<K, V>,
}

impl<'a, K, V, S> RawExtract<'a, K, V, S> {
    pub(crate) fn new(table: &'a mut RawTable<K, V, S>) -> Self {
        let raw = table.raw_iter();
        RawExtract { table, raw }
    }

    /// Entries not yet offered to the predicate.
    pub(crate) fn remaining(&self) -> usize {
        self.raw.remaining()
    }

    /// The next entry the predicate accepts, removed from the table. If the
    /// predicate panics, the entry it was looking at stays, and so does
    /// everything after it.
    pub(crate) fn next(&mut self, pred: &mut impl FnMut(&K, &mut V) -> bool) -> Option<(K, V)> {
        while let Some((b, i)) = self.raw.next() {
            // SAFETY: the walk yields full slots; the exclusive borrow of the
            // table means nothing else references them while `pred` runs.
            let take = unsafe { pred(&*b.key(i), &mut *b.value(i)) };
            if take {
                // SAFETY: still full (only `pred` ran, which cannot reach the
                // table), `i < 8`, and on the chain of `raw.head()`. Removing
                // changes only this slot and empty ones before it, never a
                // slot the walk has still to visit.
                return Some(unsafe { self.table.take_at(self.raw.head(), b, i) });
            }
        }
        None
    }
}

/// `iter()`: shared references, in storage order. Holds a raw walk, no
/// borrow of the header: `InlineGoMap` hands one made from a temporary view
/// of its header out for the map's lifetime (`raw/inline.rs`).
pub(crate) struct RefIter<'a, K, V> {
    raw: RawIter<K, V>,
    marker: PhantomData<&'a (K, V)>,
}

impl<K, V> Clone for RefIter<'_, K, V> {
    fn clone(&self) -> Self {
        RefIter {
            raw: self.raw,
            marker: PhantomData,
        }
    }
}

impl<'a, K, V> RefIter<'a, K, V> {
    pub(crate) fn new<S>(t: &'a RawTable<K, V, S>) -> Self {
        RefIter {
            raw: t.raw_iter(),
            marker: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.raw.remaining()
    }

    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    pub(crate) fn split(&mut self) -> Option<Self> {
        self.raw.split().map(|raw| RefIter {
            raw,
            marker: PhantomData,
        })
    }
}

impl<'a, K, V> Iterator for RefIter<'a, K, V> {
    type Item = (&'a K, &'a V);
    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        let (b, i) = self.raw.next()?;
        // SAFETY: full slot; the table is borrowed shared for 'a.
        Some(unsafe { (&*b.key(i), &*b.value(i)) })
    }

    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        self.raw.fold(init, |acc, b, i| {
            // SAFETY: as in `next`.
            f(acc, unsafe { (&*b.key(i), &*b.value(i)) })
        })
    }
}

/// `iter_mut()`: each value yielded once, so the `&mut` are disjoint.
pub(crate) struct MutIter<'a, K, V> {
    raw: RawIter<K, V>,
    marker: PhantomData<&'a mut (K, V)>,
}

impl<'a, K, V> MutIter<'a, K, V> {
    pub(crate) fn new<S>(t: &'a mut RawTable<K, V, S>) -> Self {
        MutIter {
            raw: t.raw_iter(),
            marker: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.raw.remaining()
    }

    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    pub(crate) fn split(&mut self) -> Option<Self> {
        self.raw.split().map(|raw| MutIter {
            raw,
            marker: PhantomData,
        })
    }
}

impl<'a, K, V> Iterator for MutIter<'a, K, V> {
    type Item = (&'a K, &'a mut V);
    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a mut V)> {
        let (b, i) = self.raw.next()?;
        // SAFETY: full slot, yielded once by the walk; the table is borrowed
        // exclusively for 'a, so no other reference to this value exists.
        Some(unsafe { (&*b.key(i), &mut *b.value(i)) })
    }

    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        self.raw.fold(init, |acc, b, i| {
            // SAFETY: as in `next`: each slot is visited once.
            f(acc, unsafe { (&*b.key(i), &mut *b.value(i)) })
        })
    }
}

// SAFETY: MutIter behaves like `&mut (K, V)` items.
unsafe impl<K: Send, V: Send> Send for MutIter<'_, K, V> {}
// SAFETY: as above; shared access to the iterator hands out nothing.
unsafe impl<K: Sync, V: Sync> Sync for MutIter<'_, K, V> {}
// SAFETY: RefIter behaves like `&(K, V)` items.
unsafe impl<K: Sync, V: Sync> Send for RefIter<'_, K, V> {}
// SAFETY: as above.
unsafe impl<K: Sync, V: Sync> Sync for RefIter<'_, K, V> {}

/// Owns storage and moves entries out of it (`into_iter`, `drain`).
/// Dropping it drops what was not yielded (continuing past a panicking
/// `Drop`) and then frees or empties the storage.
pub(crate) struct OwnedIter<K, V> {
    table: RawTable<K, V, ()>,
    raw: RawIter<K, V>,
}

impl<K, V> OwnedIter<K, V> {
    pub(crate) fn new<S>(t: &mut RawTable<K, V, S>) -> Self {
        let table = t.take_storage();
        let raw = table.raw_iter();
        OwnedIter { table, raw }
    }

    pub(crate) fn len(&self) -> usize {
        self.raw.remaining()
    }

    /// Empties the storage (dropping what is left) and hands its arrays back.
    pub(crate) fn finish_into<S>(&mut self, t: &mut RawTable<K, V, S>) {
        self.drop_rest();
        self.table.clear();
        t.restore_storage(core::mem::replace(&mut self.table, RawTable::new(())));
        self.raw = RawIter::new(&self.table);
    }

    fn drop_rest(&mut self) {
        struct Continue<'a, K, V>(&'a mut OwnedIter<K, V>);
        impl<K, V> Drop for Continue<'_, K, V> {
            fn drop(&mut self) {
                // Only reached while unwinding from a panicking Drop.
                for e in self.0.by_ref() {
                    drop(e);
                }
            }
        }
        let guard = Continue(self);
        for e in guard.0.by_ref() {
            drop(e);
        }
        core::mem::forget(guard);
    }
}

impl<K, V> OwnedIter<K, V> {
    /// `fold` through a borrow (for `Drain`, which must run its own `Drop`
    /// afterwards). The walk is taken out first: if `f` panics, the entries
    /// not reached are still full slots of `self.table` and are dropped with
    /// it (or by `finish_into`), never twice.
    #[inline]
    pub(crate) fn fold_mut<B>(&mut self, init: B, mut f: impl FnMut(B, (K, V)) -> B) -> B {
        let raw = core::mem::replace(&mut self.raw, RawIter::done());
        let table = &mut self.table;
        raw.fold(init, |acc, b, i| {
            // Mark first, as in `next`.
            // SAFETY: the walk yields slots `i < 8`; the table is ours (owned).
            unsafe { b.set_top(i, super::tophash::EMPTY_ONE) };
            table.count -= 1;
            // SAFETY: a full slot, now marked empty; ownership moves out once.
            f(acc, unsafe { b.take(i) })
        })
    }
}

impl<K, V> Iterator for OwnedIter<K, V> {
    type Item = (K, V);
    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        let (b, i) = self.raw.next()?;
        // Mark first: if a later Drop panics, the table's own drop skips it.
        // SAFETY: the walk yields slots `i < 8`; the table is ours (owned).
        unsafe { b.set_top(i, super::tophash::EMPTY_ONE) };
        self.table.count -= 1;
        // SAFETY: a full slot, now marked empty; ownership moves out once.
        Some(unsafe { b.take(i) })
    }

    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, f: F) -> B {
        self.fold_mut(init, f)
    }
}

impl<K, V> Drop for OwnedIter<K, V> {
    fn drop(&mut self) {
        self.drop_rest();
        // `self.table` frees its memory in its own Drop.
    }
}

// SAFETY: OwnedIter owns its K and V like a Vec<(K, V)> would.
unsafe impl<K: Send, V: Send> Send for OwnedIter<K, V> {}
// SAFETY: shared access hands out nothing.
unsafe impl<K: Sync, V: Sync> Sync for OwnedIter<K, V> {}

/// `iter_randomized()`: Go's `hiter` from a random start. Shared borrow, so
/// nothing moves while it walks.
pub(crate) struct RandIter<'a, K, V, S> {
    table: &'a RawTable<K, V, S>,
    hiter: Hiter<K, V>,
    remaining: usize,
}

impl<'a, K, V, S> RandIter<'a, K, V, S> {
    pub(crate) fn new(t: &'a RawTable<K, V, S>) -> Self {
        RandIter {
            table: t,
            hiter: Hiter::new(t, super::rand::fastrand()),
            remaining: t.count,
        }
    }

    /// A walk whose start was taken from another header over the same
    /// bucket memory (an `InlineGoMap` view); `t` is the real header.
    pub(crate) fn from_parts(t: &'a RawTable<K, V, S>, hiter: Hiter<K, V>) -> Self {
        RandIter {
            table: t,
            hiter,
            remaining: t.count,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.remaining
    }
}

impl<'a, K: Hash, V, S: BuildHasher> Iterator for RandIter<'a, K, V, S> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        let (b, i) = self.hiter.next(self.table)?;
        self.remaining -= 1;
        // SAFETY: full slot; the table is borrowed shared for 'a.
        Some(unsafe { (&*b.key(i), &*b.value(i)) })
    }
}

/// Go's range over a map with deletes and inserts in the loop body.
pub(crate) struct RawCursor<'a, K, V, S> {
    table: &'a mut RawTable<K, V, S>,
    hiter: Hiter<K, V>,
}

impl<'a, K, V, S> RawCursor<'a, K, V, S> {
    pub(crate) fn new(table: &'a mut RawTable<K, V, S>) -> Self {
        table.register_cursor();
        let hiter = Hiter::new(table, super::rand::fastrand());
        RawCursor { table, hiter }
    }

    pub(crate) fn table(&self) -> &RawTable<K, V, S> {
        self.table
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> RawCursor<'_, K, V, S> {
    pub(crate) fn next(&mut self) -> Option<(&K, &mut V)> {
        let Some((b, i)) = self.hiter.next(self.table) else {
            // At the end nothing is current: `remove_current` removes nothing.
            if let Some(track) = self.table.track_mut() {
                track.current = None;
            }
            return None;
        };
        if let Some(track) = self.table.track_mut() {
            track.set_current(b, i);
        }
        // SAFETY: a full slot of the live table, exclusively borrowed through
        // `&mut self` for the returned lifetime.
        Some(unsafe { (&*b.key(i), &mut *b.value(i)) })
    }

    pub(crate) fn remove_current(&mut self) -> Option<(K, V)> {
        let (b, i) = self.table.track()?.current::<K, V>()?;
        // SAFETY: `current` tracks the live slot of the last yielded entry
        // (updated on every move, cleared on removal), so it is full.
        let hash = self.table.hash(unsafe { &*b.key(i) });
        // Growth work as any delete does; it may move the entry, which
        // updates `current`. After it, the key's old bucket is evacuated, so
        // the entry is on the chain of the head bucket it returns.
        let head = self.table.write_bucket(hash);
        let (b, i) = self.table.track()?.current::<K, V>()?;
        // SAFETY: a full slot on `head`'s chain (see above).
        Some(unsafe { self.table.take_at(head, b, i) })
    }

    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.table.hash(&key);
        self.table.insert(hash, key, value)
    }

    pub(crate) fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: core::borrow::Borrow<Q>,
    {
        let hash = self.table.hash(key);
        self.table.remove(hash, |k| k.borrow() == key)
    }
}

impl<K, V, S> Drop for RawCursor<'_, K, V, S> {
    fn drop(&mut self) {
        self.table.unregister_cursor();
    }
}

/// An entry that exists, found by `entry()` after its growth work.
pub(crate) struct RawOccupied<'a, K, V, S> {
    table: &'a mut RawTable<K, V, S>,
    hash: u64,
    bucket: Bucket<K, V>,
    slot: usize,
}

/// A key that is absent, with the slot it would take.
pub(crate) struct RawVacant<'a, K, V, S> {
    table: &'a mut RawTable<K, V, S>,
    hash: u64,
    slot: InsertSlot<K, V>,
}

pub(crate) enum RawEntry<'a, K, V, S> {
    Occupied(RawOccupied<'a, K, V, S>),
    Vacant(RawVacant<'a, K, V, S>),
}

impl<K: Hash, V, S: BuildHasher> RawTable<K, V, S> {
    pub(crate) fn entry(&mut self, hash: u64, eq: impl FnMut(&K) -> bool) -> RawEntry<'_, K, V, S> {
        match self.find_for_insert(hash, eq) {
            Ok((bucket, slot)) => RawEntry::Occupied(RawOccupied {
                table: self,
                hash,
                bucket,
                slot,
            }),
            Err(slot) => RawEntry::Vacant(RawVacant {
                table: self,
                hash,
                slot,
            }),
        }
    }
}

impl<'a, K, V, S> RawOccupied<'a, K, V, S> {
    pub(crate) fn key(&self) -> &K {
        // SAFETY: the slot is full while the entry exists (it borrows the table).
        unsafe { &*self.bucket.key(self.slot) }
    }
    pub(crate) fn get(&self) -> &V {
        // SAFETY: as in `key`.
        unsafe { &*self.bucket.value(self.slot) }
    }
    pub(crate) fn get_mut(&mut self) -> &mut V {
        // SAFETY: as in `key`; `&mut self` makes the borrow unique.
        unsafe { &mut *self.bucket.value(self.slot) }
    }
    pub(crate) fn into_mut(self) -> &'a mut V {
        // SAFETY: as in `key`; the entry's exclusive borrow of the table
        // passes to the returned reference.
        unsafe { &mut *self.bucket.value(self.slot) }
    }
    pub(crate) fn remove_entry(self) -> (K, V) {
        // The growth work for this key was done by `entry()`, so the slot is
        // on the current array's chain for `hash`.
        let mask = self.table.bucket_mask();
        // SAFETY: the array exists (the slot is in it); the index is masked.
        let head = unsafe {
            Bucket::at(
                self.table.buckets.expect("occupied"),
                self.hash as usize & mask,
            )
        };
        // SAFETY: a full slot on `head`'s chain.
        unsafe { self.table.take_at(head, self.bucket, self.slot) }
    }
}

impl<'a, K: Hash, V, S: BuildHasher> RawVacant<'a, K, V, S> {
    pub(crate) fn insert(self, key: K, value: V) -> (&'a K, &'a mut V) {
        let (b, i) = self.table.insert_new(self.hash, self.slot, key, value);
        // SAFETY: the slot was just filled; the exclusive borrow of the table
        // passes to the returned references.
        unsafe { (&*b.key(i), &mut *b.value(i)) }
    }
}

impl<'a, K: Hash, V, S: BuildHasher> RawVacant<'a, K, V, S> {
    pub(crate) fn insert_occupied(self, key: K, value: V) -> RawOccupied<'a, K, V, S> {
        let (bucket, slot) = self.table.insert_new(self.hash, self.slot, key, value);
        RawOccupied {
            table: self.table,
            hash: self.hash,
            bucket,
            slot,
        }
    }
}
