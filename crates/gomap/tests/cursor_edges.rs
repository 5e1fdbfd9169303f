//! Cursor edge cases found in review (issue 10, items 2 and 3).

use gomap::GoMap;

/// After `next()` has returned `None` there is no current entry:
/// `remove_current()` removes nothing.
#[test]
fn remove_current_after_the_end_removes_nothing() {
    for n in [1u32, 2, 9, 100] {
        let mut m: GoMap<u32, u32> = (0..n).map(|i| (i, i)).collect();
        let mut c = m.cursor();
        let mut seen = 0;
        while c.next().is_some() {
            seen += 1;
        }
        assert_eq!(seen, n);
        assert_eq!(
            c.remove_current(),
            None,
            "n = {n}: nothing is current at the end"
        );
        assert_eq!(c.next(), None);
        assert_eq!(
            c.remove_current(),
            None,
            "n = {n}: still nothing after another next()"
        );
        drop(c);
        assert_eq!(m.len(), n as usize, "n = {n}: every entry is still there");
    }
}

/// An empty map's cursor ends at once; nothing to remove.
#[test]
fn remove_current_on_an_empty_map_removes_nothing() {
    let mut m: GoMap<u32, u32> = GoMap::new();
    let mut c = m.cursor();
    assert_eq!(c.remove_current(), None);
    assert_eq!(c.next(), None);
    assert_eq!(c.remove_current(), None);
}

/// The case of item 3: with 4-byte-aligned buckets (u32 -> u32 on a 32-bit
/// target) the cursor's slot identities must still be distinct for every
/// slot. Here, on any target, a cursor removes every entry of a map of
/// u16 -> u16 and u8 -> u8 (buckets of alignment 1 and 2 inside their
/// array) while inserts make it grow: every entry is yielded once and each
/// `remove_current` removes the entry just yielded.
#[test]
fn cursor_tracks_every_slot_of_small_aligned_buckets() {
    fn run<K, V>(n: usize, key: impl Fn(usize) -> K, val: impl Fn(usize) -> V)
    where
        K: std::hash::Hash + Eq + Copy + std::fmt::Debug,
        V: PartialEq + Copy + std::fmt::Debug,
    {
        let align = GoMap::<K, V>::layout().bucket_align;
        let mut m: GoMap<K, V> = GoMap::new();
        for i in 0..n / 2 {
            m.insert(key(i), val(i));
        }
        let mut c = m.cursor();
        let mut yielded = 0;
        let mut inserted = n / 2;
        while let Some((k, v)) = c.next() {
            let (k, v) = (*k, *v);
            yielded += 1;
            // Inserts under the cursor make the map grow and move entries.
            if inserted < n {
                c.insert(key(inserted), val(inserted));
                inserted += 1;
            }
            assert_eq!(c.remove_current(), Some((k, v)), "align {align}");
        }
        drop(c);
        assert!(yielded >= n / 2, "align {align}: {yielded} yielded");
        assert_eq!(
            m.len(),
            n - yielded,
            "align {align}: removed exactly what was yielded"
        );
    }
    run(200, |i| i as u16, |i| i as u16);
    run(250, |i| i as u8, |i| i as u8);
    run(300, |i| i as u32, |i| i as u32);
}
