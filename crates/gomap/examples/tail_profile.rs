//! What the slowest inserts of a growing map are doing: grows a
//! `GoMap<u64, u64>` to N entries (10 M by default), timing every insert in
//! thread CPU time, and records what each insert did besides writing its
//! entry — evacuation progress (`nevacuate`), pages faulted in (`minflt`),
//! pages handed back to the OS (released or retiring bytes), allocations
//! (overflow buckets, arrays) and frees — read from the O(1) header and a
//! counting allocator around each insert. Then it sorts the inserts and says,
//! for the slowest 1,000 (p99.99) and 10,000 (p99.9), which kinds they were.
//!
//! ```sh
//! cargo run --release -p gomap --example tail_profile            # 10 M
//! TAIL_N=1000000 TAIL_WALL=1 cargo run --release -p gomap --example tail_profile
//! ```
//!
//! `TAIL_WALL=1` times with `Instant` (wall clock) instead; on a shared
//! machine on-CPU time is the trustworthy one (preemption excluded).

#[cfg(unix)]
mod imp {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    use std::time::Instant;

    use std::collections::HashMap;

    use gomap::{DefaultHashBuilder, GoMap};

    struct Counting;
    static ALLOCS: AtomicUsize = AtomicUsize::new(0);
    static FREES: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: forwards every call to `System` unchanged; only counts calls.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            ALLOCS.fetch_add(1, Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(l) }
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            ALLOCS.fetch_add(1, Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc_zeroed(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            FREES.fetch_add(1, Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(p, l) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    fn thread_cpu_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid out-pointer for the call.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    fn minflt() -> u64 {
        // SAFETY: an all-zero rusage is a valid value to overwrite.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `ru` is a valid out-pointer for the call.
        unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
        ru.ru_minflt as u64
    }

    fn splitmix64(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    /// What one insert did besides writing its entry.
    #[derive(Clone, Copy, Default)]
    struct Rec {
        ns: u32,
        /// Pages faulted in during the insert.
        flt: u16,
        /// Old buckets `nevacuate` advanced over (0 when not growing).
        nev: u32,
        /// Bytes handed back to the OS (old array released, or retiring).
        released: u32,
        allocs: u8,
        frees: u8,
        /// 1: started a growth; 2: finished one; 4: freed a retired array.
        ev: u8,
        /// The map was growing after the insert; its `B`.
        growing: bool,
        b: u8,
    }

    pub fn main() {
        let n: usize = std::env::var("TAIL_N")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000_000);
        let wall = std::env::var("TAIL_WALL").is_ok_and(|v| v == "1");
        let seq = std::env::var("TAIL_KEYS").is_ok_and(|v| v == "seq");
        let mut recs = vec![Rec::default(); n];
        // Fault the record buffer in now: its pages would otherwise be
        // charged to the inserts (a record is written after each one).
        for r in recs.iter_mut() {
            r.ns = 1;
        }
        std::hint::black_box(&mut recs);
        let keys: Vec<u64> = (0..n as u64)
            .map(|i| if seq { i } else { splitmix64(i) })
            .collect();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        // TAIL_MAP=std profiles std's HashMap (same hasher) for comparison:
        // only time and faults (it has no header to read).
        let use_std = std::env::var("TAIL_MAP").is_ok_and(|v| v == "std");
        let mut m: GoMap<u64, u64> = GoMap::new();
        let mut sm: HashMap<u64, u64, DefaultHashBuilder> = HashMap::default();
        let mut flt0 = minflt();
        let mut h0 = m.header();
        for (i, &k) in keys.iter().enumerate() {
            let a0 = ALLOCS.load(Relaxed);
            let f0 = FREES.load(Relaxed);
            let ns = if wall {
                let t = Instant::now();
                if use_std {
                    sm.insert(k, i as u64);
                } else {
                    m.insert(k, i as u64);
                }
                t.elapsed().as_nanos() as u64
            } else {
                let t = thread_cpu_ns();
                if use_std {
                    sm.insert(k, i as u64);
                } else {
                    m.insert(k, i as u64);
                }
                thread_cpu_ns() - t
            };
            let flt1 = minflt();
            let h1 = m.header();
            let mut ev = 0;
            if h1.growing && (!h0.growing || h1.b != h0.b) {
                ev |= 1;
            }
            if h0.growing && !h1.growing {
                ev |= 2;
            }
            if h0.retiring_bytes > 0 && h1.retiring_bytes == 0 && (h0.growing || !h1.growing) {
                ev |= 4;
            }
            let nev = if h0.growing && h1.growing && h1.b == h0.b {
                h1.nevacuate - h0.nevacuate
            } else if h1.growing {
                h1.nevacuate
            } else {
                0
            };
            let released = h1.released_bytes.saturating_sub(h0.released_bytes);
            recs[i] = Rec {
                ns: ns.min(u32::MAX as u64) as u32,
                flt: (flt1 - flt0).min(u16::MAX as u64) as u16,
                nev: nev as u32,
                released: released as u32,
                allocs: (ALLOCS.load(Relaxed) - a0).min(255) as u8,
                frees: (FREES.load(Relaxed) - f0).min(255) as u8,
                ev,
                growing: h1.growing,
                b: h1.b,
            };
            flt0 = flt1;
            h0 = h1;
        }
        let total_flt: u64 = recs.iter().map(|r| r.flt as u64).sum();
        let with_flt = recs.iter().filter(|r| r.flt > 0).count();
        let growing_writes = recs.iter().filter(|r| r.nev > 0).count();
        println!(
            "{}: n = {n}, {} keys, {} time, loadavg {}",
            if use_std { "std" } else { "gomap" },
            if seq { "seq" } else { "rand" },
            if wall { "wall" } else { "on-CPU" },
            load.trim()
        );
        println!(
            "all inserts: {total_flt} page faults in {with_flt} inserts; {growing_writes} inserts advanced nevacuate"
        );
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_unstable_by_key(|&i| std::cmp::Reverse(recs[i].ns));
        let pct = |p: f64| recs[order[((n as f64 * (1.0 - p)) as usize).min(n - 1)]].ns;
        println!(
            "p50 {} p99 {} p99.9 {} p99.99 {} max {} ns",
            pct(0.5),
            pct(0.99),
            pct(0.999),
            pct(0.9999),
            recs[order[0]].ns
        );
        for top in [100usize, 1_000, 10_000, 100_000, n] {
            let top = top.min(n);
            summarize(&recs, &order[..top], top);
        }
        if let Ok(path) = std::env::var("TAIL_DUMP") {
            // Every insert in the slowest 100,000, for offline analysis.
            let mut out = String::from("index,ns,flt,nev,released,allocs,frees,ev,growing,b\n");
            for &i in order.iter().take(100_000.min(n)) {
                let r = recs[i];
                out.push_str(&format!(
                    "{i},{},{},{},{},{},{},{},{},{}\n",
                    r.ns, r.flt, r.nev, r.released, r.allocs, r.frees, r.ev, r.growing as u8, r.b
                ));
            }
            std::fs::write(path, out).expect("write TAIL_DUMP");
        }
        println!("\nslowest 30: index ns faults nevacuate+ released allocs frees events");
        for &i in order.iter().take(30) {
            let r = recs[i];
            println!(
                "{i:>9} {:>8} {:>5} {:>6} {:>8} {:>3} {:>3} {:>2}",
                r.ns, r.flt, r.nev, r.released, r.allocs, r.frees, r.ev
            );
        }
    }

    /// A kind of work an insert may do: its name and its test.
    type Kind = (&'static str, fn(&Rec) -> bool);

    /// The kinds of work among the inserts in `idx` (each insert counted
    /// under every kind it did), with their median time.
    fn summarize(recs: &[Rec], idx: &[usize], top: usize) {
        let kinds: [Kind; 9] = [
            ("growth start", |r| r.ev & 1 != 0),
            ("growth end", |r| r.ev & 2 != 0),
            ("retired array freed", |r| r.ev & 4 != 0),
            ("released pages (madvise)", |r| r.released > 0),
            ("page faults >= 1", |r| r.flt >= 1),
            ("page faults >= 3", |r| r.flt >= 3),
            ("allocation (overflow bucket)", |r| r.allocs > 0),
            ("evacuating (nevacuate advanced)", |r| r.nev > 0),
            ("none of these", |r| {
                r.ev == 0 && r.released == 0 && r.flt == 0 && r.allocs == 0 && r.nev == 0
            }),
        ];
        let lo = recs[*idx.last().unwrap()].ns;
        println!("\nslowest {top} (>= {lo} ns):");
        for (name, f) in kinds {
            let mut v: Vec<u32> = idx
                .iter()
                .map(|&i| recs[i])
                .filter(f)
                .map(|r| r.ns)
                .collect();
            if v.is_empty() {
                continue;
            }
            v.sort_unstable();
            let faults: u64 = idx
                .iter()
                .map(|&i| recs[i])
                .filter(f)
                .map(|r| r.flt as u64)
                .sum();
            println!(
                "  {name:<34} {:>7} inserts, median {:>8} ns, {:.1} faults each",
                v.len(),
                v[v.len() / 2],
                faults as f64 / v.len() as f64
            );
        }
    }
}

#[cfg(unix)]
fn main() {
    imp::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("tail_profile reads thread CPU time and page faults: unix only");
}
