//! `GoMap<K, V, S>` is `Send` / `Sync` exactly when `K`, `V` and `S` are
//! (the raw pointers inside must not make it less, nor unsafe impls more),
//! checked at compile time; and a map shared through `Arc` is read
//! concurrently (`get`, `iter`, `iter_randomized`), also while a growth is
//! half done (reads never do growth work, so sharing `&GoMap` is sound).

use std::cell::Cell;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::{Arc, MutexGuard};
use std::thread;

use gomap::{DefaultHashBuilder, GoMap};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}

/// Compiles only if `$t` is NOT `Send`: if it were, both impls would apply
/// and the `_` would be ambiguous (the static_assertions trick, no dependency).
macro_rules! assert_not_send {
    ($t:ty) => {{
        trait AmbiguousIfSend<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfSend<()> for T {}
        impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}
        let _ = <$t as AmbiguousIfSend<_>>::some_item;
    }};
}

macro_rules! assert_not_sync {
    ($t:ty) => {{
        trait AmbiguousIfSync<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfSync<()> for T {}
        impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
        let _ = <$t as AmbiguousIfSync<_>>::some_item;
    }};
}

/// A hasher builder that is neither `Send` nor `Sync`.
#[derive(Default, Clone)]
struct LocalState(PhantomData<*const ()>);

/// `Send` but not `Sync`.
type NotSync = Cell<u64>;
/// `Sync` but not `Send`.
type NotSend = MutexGuard<'static, u64>;
/// Neither.
type Neither = Rc<u64>;

#[test]
fn send_sync_exactly_when_parts_are() {
    // Everything Send + Sync.
    is_send::<GoMap<u64, u64>>();
    is_sync::<GoMap<u64, u64>>();
    is_send::<GoMap<String, Vec<u8>, DefaultHashBuilder>>();
    is_sync::<GoMap<String, Vec<u8>, BuildHasherDefault<std::hash::DefaultHasher>>>();

    // Key not Sync / not Send / neither.
    is_send::<GoMap<NotSync, u64>>();
    assert_not_sync!(GoMap<NotSync, u64>);
    is_sync::<GoMap<NotSend, u64>>();
    assert_not_send!(GoMap<NotSend, u64>);
    assert_not_send!(GoMap<Neither, u64>);
    assert_not_sync!(GoMap<Neither, u64>);

    // Value likewise.
    is_send::<GoMap<u64, NotSync>>();
    assert_not_sync!(GoMap<u64, NotSync>);
    is_sync::<GoMap<u64, NotSend>>();
    assert_not_send!(GoMap<u64, NotSend>);
    assert_not_send!(GoMap<u64, Neither>);
    assert_not_sync!(GoMap<u64, Neither>);

    // Hasher likewise.
    assert_not_send!(GoMap<u64, u64, LocalState>);
    assert_not_sync!(GoMap<u64, u64, LocalState>);

    // Big values (stored behind a pointer) change nothing.
    is_send::<GoMap<u64, [u64; 64]>>();
    is_sync::<GoMap<u64, [u64; 64]>>();
    assert_not_send!(GoMap<u64, [Neither; 64]>);

    // Borrowing iterators follow `&GoMap` (Sync parts), owning ones the parts.
    is_send::<gomap::Iter<'static, u64, u64>>();
    is_sync::<gomap::Iter<'static, u64, u64>>();
    is_send::<gomap::IntoIter<u64, u64>>();
    assert_not_send!(gomap::Iter<'static, u64, Neither>);
    assert_not_send!(gomap::IntoIter<u64, Neither>);
}

/// A map with `n` keys whose last insert started a growth that is not yet
/// finished (an old array exists).
fn map_mid_growth(min: u64) -> GoMap<u64, u64> {
    let mut m = GoMap::new();
    let mut k = 0u64;
    loop {
        m.insert(k, k * 3);
        k += 1;
        if k >= min && m.header().growing {
            return m;
        }
        assert!(k < 10 * min + 1000, "no growth started");
    }
}

#[test]
fn concurrent_reads_through_arc() {
    for map in [map_mid_growth(50_000), {
        let mut m = map_mid_growth(20_000);
        // Finish the growth with updates (they evacuate too).
        let mut k = 0;
        while m.header().growing {
            m.insert(k, k * 3);
            k += 1;
        }
        m
    }] {
        let growing = map.header().growing;
        let n = map.len() as u64;
        let map = Arc::new(map);
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let map = Arc::clone(&map);
                thread::spawn(move || {
                    for round in 0..3 {
                        for k in (t..n).step_by(3) {
                            assert_eq!(map.get(&k), Some(&(k * 3)), "thread {t} round {round}");
                        }
                        assert_eq!(map.get(&(n + t)), None);
                        let mut seen = HashSet::with_capacity(n as usize);
                        for (k, v) in map.iter() {
                            assert_eq!(*v, k * 3);
                            assert!(seen.insert(*k), "iter yielded {k} twice");
                        }
                        assert_eq!(seen.len() as u64, n);
                        let mut count = 0u64;
                        for (k, v) in map.iter_randomized() {
                            assert_eq!(*v, k * 3);
                            assert!(
                                seen.remove(k),
                                "iter_randomized yielded {k} twice or unknown"
                            );
                            count += 1;
                        }
                        assert_eq!(count, n);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("reader thread panicked");
        }
        // Reads did no growth work.
        assert_eq!(map.header().growing, growing);
        assert_eq!(Arc::strong_count(&map), 1);
    }
}

#[test]
fn map_moves_between_threads() {
    let mut m: GoMap<String, Vec<u64>> = GoMap::new();
    for i in 0..5000u64 {
        m.insert(format!("k{i}"), vec![i; 3]);
    }
    let m = thread::spawn(move || {
        for i in 0..2500u64 {
            assert_eq!(m.get(format!("k{i}").as_str()), Some(&vec![i; 3]));
        }
        let mut m = m;
        for i in 0..2500u64 {
            m.remove(format!("k{i}").as_str());
        }
        m
    })
    .join()
    .unwrap();
    assert_eq!(m.len(), 2500);
    assert!(m.contains_key("k4999"));
}
