//! The tour's section on Go's non-escaping map and `InlineGoMap`, with live
//! proof: allocation counts, addresses, and a map returned from a function.

use gomap::{GoMap, InlineGoMap};
use gomap_cli::alloc::{self, snapshot};
use gomap_cli::output::addr;
use gomap_cli::Result;
use std::io::Write;

/// Builds an inline map in a function and returns it by value (a move).
#[inline(never)]
fn build_and_return() -> (InlineGoMap<u64, u64>, usize) {
    let mut m = InlineGoMap::new();
    for i in 0..5 {
        m.insert(i, i * i);
    }
    let bucket_in_callee = m.stats().buckets_addr;
    (m, bucket_in_callee)
}

fn span<T>(v: &T) -> (usize, usize) {
    let at = v as *const T as usize;
    (at, at + std::mem::size_of::<T>())
}

/// Writes section `n`, "a map that does not escape".
pub fn section(o: &mut impl Write, n: u32) -> Result<()> {
    let title = "A map that does not escape: InlineGoMap";
    writeln!(o)?;
    writeln!(o, "{n}. {title}")?;
    writeln!(o, "{}", "-".repeat(title.len() + 3))?;
    writeln!(
        o,
        "  Go: when a map does not escape its function and its size hint is at most 8, the compiler puts the\n  hmap header and one bucket in the stack frame (`go build -gcflags=-m` prints \"make(map[...]...) does\n  not escape\"); makemap_small only fills them in, and nothing is allocated until the 9th key.\n  Rust: the caller chooses. InlineGoMap<K, V> holds the header and one bucket, laid out as\n  BucketLayout says, in the value itself; a move copies those bytes, so returning it, pushing it into a\n  Vec or boxing it keeps it inline (Go would have to move an escaping map to the heap)."
    )?;
    writeln!(
        o,
        "  size_of::<GoMap<u64, u64>>() = {} bytes, size_of::<InlineGoMap<u64, u64>>() = {} bytes (header + one {}-byte bucket)",
        std::mem::size_of::<GoMap<u64, u64>>(),
        std::mem::size_of::<InlineGoMap<u64, u64>>(),
        InlineGoMap::<u64, u64>::layout().bucket_size
    )?;
    let counting = alloc::is_installed();
    let s0 = snapshot();
    // A fixed seed, so that the run is the same every time (with a random
    // one, all 9 keys share a bucket of the 2-bucket array 1 time in 256,
    // and the 9th insert also allocates an overflow bucket).
    let mut m = InlineGoMap::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed));
    for i in 0..8u64 {
        m.insert(i, i);
    }
    let s1 = snapshot();
    let stats8 = m.stats();
    let (lo, hi) = span(&m);
    let inside = (lo..hi).contains(&stats8.buckets_addr);
    if counting {
        let d = s1.since(&s0);
        writeln!(
            o,
            "  new() and 8 inserts          {} allocations, {} bytes; stats(): heap_bytes {}, B {}, buckets {}",
            d.allocs, d.bytes_allocated, stats8.heap_bytes, stats8.b, stats8.buckets
        )?;
    }
    writeln!(
        o,
        "  the map value (on the stack)  {} .. {}\n  its bucket                    {}  {}",
        addr(lo),
        addr(hi),
        addr(stats8.buckets_addr),
        if inside {
            "inside the value"
        } else {
            "NOT inside the value"
        }
    )?;
    let s2 = snapshot();
    m.insert(8, 8);
    let s3 = snapshot();
    let h = m.header();
    if counting {
        let d = s3.since(&s2);
        writeln!(
            o,
            "  9th insert                    {} allocation(s), {} bytes: Go's hashGrow from B = 0 to B = {} ({} buckets on the\n                                heap{}); the 8 entries were evacuated in that same insert: growing = {}, is_inline = {}",
            d.allocs,
            d.bytes_allocated,
            h.b,
            1u64 << h.b,
            if m.stats().overflow_buckets > 0 {
                ", and an overflow bucket: all 9 keys share a bucket"
            } else {
                ""
            },
            h.growing,
            m.is_inline()
        )?;
    } else {
        writeln!(
            o,
            "  9th insert                    Go's hashGrow from B = 0 to B = {}; growing = {}, is_inline = {}",
            h.b,
            h.growing,
            m.is_inline()
        )?;
    }
    m.retain(|&k, _| k < 4);
    m.shrink_to_fit();
    writeln!(
        o,
        "  after removing 5 and shrink_to_fit(): is_inline = {}, heap_bytes = {} (Go never shrinks; here you can ask)",
        m.is_inline(),
        m.stats().heap_bytes
    )?;
    let s4 = snapshot();
    let (r, callee_bucket) = build_and_return();
    let s5 = snapshot();
    let (lo, hi) = span(&r);
    let now = r.stats().buckets_addr;
    writeln!(
        o,
        "  built in a function and returned: bucket was at {} in the callee, is at {} now,\n                                {} the returned value ({} .. {}); is_inline = {}{}",
        addr(callee_bucket),
        addr(now),
        if (lo..hi).contains(&now) {
            "inside"
        } else {
            "NOT inside"
        },
        addr(lo),
        addr(hi),
        r.is_inline(),
        if counting {
            format!(", {} allocations", s5.since(&s4).allocs)
        } else {
            String::new()
        }
    )?;
    writeln!(
        o,
        "  Choose it for many small, short-lived maps (the allocator would be most of their cost); choose GoMap\n  when maps usually grow past 8 entries. Compare: gomap bench --tiny"
    )?;
    Ok(())
}
