//! `GoMap::set_huge_pages`: which arrays the kernel is asked to back with
//! transparent huge pages, read back from the kernel itself (the `hg` flag of
//! the mapping in `/proc/self/smaps`), and that the setting follows the map
//! through growth, `clear`, `drain`, `shrink_to` and `clone`.
#![cfg(target_os = "linux")]

use gomap::GoMap;

const HUGE_PAGE: usize = 2 << 20;

/// Does the kernel have transparent huge pages at all? Without them
/// `madvise(MADV_HUGEPAGE)` fails and no mapping carries `hg`.
fn thp_available() -> bool {
    std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists()
}

/// Whether the mapping holding `addr` is advised as huge pages (`hg` among
/// its `VmFlags`).
fn advised(addr: usize) -> bool {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((lo, hi)) = first.split_once('-') {
            if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&addr);
                continue;
            }
        }
        if inside {
            if let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.split_whitespace().any(|f| f == "hg");
            }
        }
    }
    panic!("no mapping holds {addr:#x}");
}

/// The first 2 MiB boundary inside the map's current array, where the
/// advice applies (the array's unaligned ends keep small pages).
fn array_interior(m: &GoMap<u64, u64>) -> usize {
    let h = m.header();
    // 2^B buckets of 144 bytes hold a whole aligned huge page from B = 15.
    assert!(
        h.b >= 15,
        "the array (B = {}) must hold a whole huge page",
        h.b
    );
    h.buckets.next_multiple_of(HUGE_PAGE)
}

#[test]
fn off_by_default_and_on_for_the_array_held_and_every_growth() {
    if !thp_available() {
        eprintln!("no transparent huge pages in this kernel: skipped");
        return;
    }
    // 2^15 buckets of 144 bytes: 4.6 MiB.
    let mut m: GoMap<u64, u64> = GoMap::with_capacity(200_000);
    assert_eq!(m.header().b, 15);
    assert!(!m.huge_pages());
    assert!(!advised(array_interior(&m)), "advised without asking");

    m.set_huge_pages(true);
    assert!(m.huge_pages());
    assert!(advised(array_interior(&m)), "the array held when asked");

    // Grow through two doublings: each new array is advised as allocated.
    let mut i = 0;
    for b in [16, 17] {
        while m.header().b < b {
            m.insert(i, i);
            i += 1;
        }
        assert!(m.header().growing);
        assert!(
            advised(array_interior(&m)),
            "the array of the growth to B={b}"
        );
    }
}

#[test]
fn turning_it_off_stops_advising_new_arrays() {
    if !thp_available() {
        return;
    }
    let mut m: GoMap<u64, u64> = GoMap::new();
    m.set_huge_pages(true);
    m.set_huge_pages(false);
    assert!(!m.huge_pages());
    m.extend((0..300_000).map(|i| (i, i)));
    assert!(!advised(array_interior(&m)));
}

#[test]
fn the_setting_survives_clear_drain_shrink_and_clone() {
    let mut m: GoMap<u64, u64> = GoMap::new();
    m.set_huge_pages(true);
    m.extend((0..300_000).map(|i| (i, i)));
    m.clear();
    assert!(m.huge_pages(), "clear");
    m.extend((0..300_000).map(|i| (i, i)));
    assert_eq!(m.drain().count(), 300_000);
    assert!(m.huge_pages(), "drain");
    m.shrink_to_fit();
    assert!(m.huge_pages(), "shrink_to_fit");
    assert!(m.clone().huge_pages(), "clone of an empty map");

    // `reserve` and `shrink_to` move the entries into a new array at once.
    m.extend((0..300_000).map(|i| (i, i)));
    m.reserve(1_000_000);
    assert!(m.huge_pages(), "reserve with entries");
    m.shrink_to(300_000);
    assert!(m.huge_pages(), "shrink_to with entries");
    assert_eq!(m.len(), 300_000);

    // Arrays allocated after each of these are advised too.
    m.shrink_to(0);
    m.clear();
    m.shrink_to(0);
    m.reserve(300_000);
    let c = m.clone();
    assert!(c.huge_pages(), "clone");
    if thp_available() {
        assert!(advised(array_interior(&m)), "the array of reserve");
        assert!(advised(array_interior(&c)), "the clone's array");
    }
    let mut plain: GoMap<u64, u64> = GoMap::new();
    plain.reserve(300_000);
    assert!(!plain.clone().huge_pages());
}

#[test]
fn the_entries_are_the_same_either_way() {
    let mut a: GoMap<u64, u64> = GoMap::new();
    let mut b: GoMap<u64, u64> = GoMap::new();
    b.set_huge_pages(true);
    for i in 0..50_000u64 {
        a.insert(i * 7, i);
        b.insert(i * 7, i);
    }
    for i in (0..50_000u64).step_by(3) {
        assert_eq!(a.remove(&(i * 7)), b.remove(&(i * 7)));
    }
    let mut x: Vec<_> = a.into_iter().collect();
    let mut y: Vec<_> = b.into_iter().collect();
    x.sort_unstable();
    y.sort_unstable();
    assert_eq!(x, y);
}
