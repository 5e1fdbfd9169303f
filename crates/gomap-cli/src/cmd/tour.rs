//! `gomap tour`: every topic, measured on this machine.

use crate::cmd;
use crate::TourArgs;
use gomap::GoMap;
use gomap_cli::alloc::{self, snapshot};
use gomap_cli::output::{addr, ensure_dir, human_bytes, human_ns, write_atomic};
use gomap_cli::render::{svg, RenderInput};
use gomap_cli::trace::GrowthTracer;
use gomap_cli::{plot, Result};
use std::collections::HashMap;
use std::io::Write;

/// Entries in the growth section.
pub const GROWTH_N: u64 = 100_000;

fn section(o: &mut impl Write, n: u32, title: &str) -> std::io::Result<()> {
    writeln!(o)?;
    writeln!(o, "{n}. {title}")?;
    writeln!(o, "{}", "-".repeat(title.len() + 3))
}

pub fn run(a: &TourArgs) -> Result<()> {
    ensure_dir(&a.out)?;
    let started = std::time::Instant::now();
    let mut o = std::io::stdout().lock();
    let counting = alloc::is_installed();
    writeln!(
        o,
        "gomap tour: Go's classic map (hmap/bmap, Go 1.19-1.23) rebuilt in Rust, measured on this {} machine.",
        std::env::consts::ARCH
    )?;
    writeln!(
        o,
        "Every number below comes from a live GoMap in this process{}.",
        if counting {
            "; allocations are counted by a counting global allocator"
        } else {
            ""
        }
    )?;

    header_section(&mut o)?;
    layout_section(&mut o)?;
    addresses_section(&mut o)?;
    alloc_section(&mut o)?;
    hint_section(&mut o)?;
    let (samples, marks) = growth_section(&mut o)?;
    let chain = gc_chain_section(&mut o)?;
    range_section(&mut o)?;
    misconceptions_section(&mut o)?;

    section(&mut o, 11, "Pictures")?;
    // structure.svg: a small map caught in the middle of a doubling.
    let (structure, inserted) = cmd::render::build::<u64>(50, true)?;
    let input = RenderInput {
        structure: &structure,
        key_type: "u64",
        value_type: "u64",
        layout: GoMap::<u64, u64>::layout(),
    };
    let p = a.out.join("structure.svg");
    write_atomic(&p, svg::render(&input).as_bytes())?;
    writeln!(o, "  {}", p.display())?;
    writeln!(
        o,
        "      a live map after {inserted} inserts, caught mid-growth: header fields, the old array with the\n      evacuation frontier (nevacuate), the new array, each slot's tophash byte and state, overflow chains"
    )?;
    let p = a.out.join("walk.svg");
    write_atomic(&p, gomap_cli::walk::svg(&chain).as_bytes())?;
    writeln!(o, "  {}", p.display())?;
    writeln!(
        o,
        "      the GC marking chain of a GoMap<String, u64> caught mid-growth: the map value, both arrays, overflow\n      buckets, each key's bytes (the first few of each kind; the rest counted)"
    )?;
    let p = a.out.join("growth.svg");
    let chart = plot::growth_svg(
        &samples,
        &marks,
        &format!("Growing a GoMap<u64, u64> to {GROWTH_N} entries (green lines: a growth starts; red: its old array is freed)"),
    )?;
    write_atomic(&p, chart.as_bytes())?;
    writeln!(o, "  {}", p.display())?;
    writeln!(
        o,
        "      B, bucket count and heap bytes against entries; green lines: a growth starts, red: its old array is freed"
    )?;
    o.flush()?;
    let latency_n = a.latency_n;
    let reports = cmd::bench::run_bench::<u64>(latency_n, true);
    let p = a.out.join("latency.svg");
    cmd::bench::write_plot(&p, &reports)?;
    writeln!(o, "  {}", p.display())?;
    writeln!(
        o,
        "      the time of every insert while growing to {latency_n} u64 keys, gomap vs std HashMap (log scale):"
    )?;
    for r in &reports {
        writeln!(
            o,
            "      {:<12} p50 {:>7}  p99.99 {:>8}  max {:>8} (insert {:>7})  total {}",
            r.name,
            human_ns(r.insert.p50_ns as f64),
            human_ns(r.insert.p99_99_ns as f64),
            human_ns(r.insert.max_ns as f64),
            r.insert.max_at,
            human_ns(r.insert.total_ns as f64)
        )?;
    }
    writeln!(
        o,
        "      std moves its whole table inside one insert when it resizes; gomap spreads the move over later writes.\n      For the full comparison at 10 M entries: gomap bench --plot latency.svg"
    )?;
    writeln!(o)?;
    writeln!(
        o,
        "Tour finished in {:.1} s. Next: gomap layout, trace, render, walk, range, bench (each with --help)",
        started.elapsed().as_secs_f64()
    )?;
    o.flush()?;
    Ok(())
}

fn header_section(o: &mut impl Write) -> Result<()> {
    section(o, 1, "The map value is the header (Go's hmap)")?;
    let size = std::mem::size_of::<GoMap<u64, u64>>();
    writeln!(
        o,
        "In Go a map variable is one pointer (unsafe.Sizeof(m) == {}) to an hmap of {} bytes that makemap put on\n\
         the heap (or, for a small map that does not escape, on the stack). A GoMap<u64, u64> is {size} bytes and is\n\
         the header itself, held inline wherever you put it (a local, a struct field, a Box). Go's hmap beside\n\
         GoMap's fields as rustc laid them out (read from the compiled type now):",
        gomap_cli::layout::GO_MAP_VARIABLE_SIZE,
        gomap_cli::layout::GO_HMAP_SIZE
    )?;
    let (rows, size) = gomap_cli::layout::header_rows::<u64, u64>();
    write!(
        o,
        "{}",
        gomap_cli::layout::header_table(&rows, size, "GoMap<u64, u64>")
    )?;
    writeln!(
        o,
        "  The four flag bits: Go's iterator 1 and oldIterator 2 (a range may be walking buckets / oldbuckets),\n  \
         hashWriting 4, sameSizeGrow 8. GoMap sets 1 and 2 while a cursor lives and 8 during a same-size growth.\n  \
         hashWriting is how Go catches two goroutines writing at once, at run time, when it happens to:\n  \
         \"fatal error: concurrent map writes\". Every GoMap write takes &mut self, so the same program does not\n  \
         compile in Rust (error[E0499]; the crate docs carry it as a compile_fail test): the bit has nothing to do."
    )?;
    Ok(())
}

fn layout_section(o: &mut impl Write) -> Result<()> {
    section(
        o,
        2,
        "A bucket (Go's bmap): 8 tophash bytes, 8 keys, 8 values, an overflow pointer",
    )?;
    writeln!(
        o,
        "Keys are grouped together and values together, so alignment padding is paid once per group,\nnot once per slot. Measured from the layout constant and checked against a live map:"
    )?;
    let r = cmd::layout::report::<u64, u64>();
    writeln!(o)?;
    cmd::layout::write_table(o, &r)?;
    let r = cmd::layout::report::<String, u64>();
    writeln!(o)?;
    cmd::layout::write_table(o, &r)?;
    let r = cmd::layout::report::<(u64, u8), u64>();
    writeln!(o)?;
    cmd::layout::write_table(o, &r)?;
    writeln!(
        o,
        "  note: (u64, u8) holds 9 bytes of data but is {} bytes: Rust, like Go, pads the tuple to its\n  8-byte alignment, so each key slot carries 7 bytes of padding inside the key. The bucket adds none.",
        std::mem::size_of::<(u64, u8)>()
    )?;
    let r = cmd::layout::report::<u128, u8>();
    writeln!(
        o,
        "  Padding the bucket itself pays appears when a type is aligned above 8: GoMap<u128, u8> has keys at {}\n  (8 bytes of padding after tophash) and {} padding bytes in all; try: gomap layout --key u128 --value u8",
        r.layout.keys_offset, r.layout.padding
    )?;
    Ok(())
}

fn addresses_section(o: &mut impl Write) -> Result<()> {
    section(o, 3, "Where things live: the map value vs its bucket array")?;
    let mut m: GoMap<u64, u64> = GoMap::new();
    for i in 0..8 {
        m.insert(i, i);
    }
    let map_addr = &m as *const GoMap<u64, u64> as usize;
    let before = m.header();
    m.insert(8, 8); // the 9th entry: 9 > 6.5 * 1, a doubling
    let after = m.header();
    let map_addr2 = &m as *const GoMap<u64, u64> as usize;
    let boxed = Box::new(m);
    let boxed_addr = &*boxed as *const GoMap<u64, u64> as usize;
    let rows = [
        (
            format!("with 8 entries (B = {}):", before.b),
            addr(map_addr),
            "(stack)",
            addr(before.buckets),
            "(heap)",
        ),
        (
            format!("after the 9th insert (B = {}):", after.b),
            addr(map_addr2),
            "(unchanged)",
            addr(after.buckets),
            "(a new, larger array)",
        ),
        (
            "moved into a Box:".to_string(),
            addr(boxed_addr),
            "(heap now)",
            addr(boxed.header().buckets),
            "(not moved)",
        ),
    ];
    for (label, map_at, map_note, buckets_at, buckets_note) in rows {
        writeln!(
            o,
            "  {label:<31} map value at {map_at:<16} {map_note:<12} buckets at {buckets_at:<16} {buckets_note}"
        )?;
    }
    writeln!(
        o,
        "  Growing replaces the array the header points to; moving the map copies only the {}-byte header.",
        std::mem::size_of::<GoMap<u64, u64>>()
    )?;
    Ok(())
}

fn alloc_section(o: &mut impl Write) -> Result<()> {
    section(
        o,
        4,
        "Allocation: new() allocates nothing; the first insert allocates one bucket",
    )?;
    if !alloc::is_installed() {
        writeln!(o, "  (no counting allocator installed: skipped)")?;
        return Ok(());
    }
    let s0 = snapshot();
    let mut m: GoMap<u64, u64> = GoMap::new();
    let s1 = snapshot();
    m.insert(1, 1);
    let s2 = snapshot();
    let b_first = m.header().b;
    for i in 2..=8 {
        m.insert(i, i);
    }
    let s3 = snapshot();
    m.insert(9, 9);
    let s4 = snapshot();
    let mut std_map: HashMap<u64, u64> = HashMap::new();
    let t1 = snapshot();
    std_map.insert(1, 1);
    let t2 = snapshot();
    drop(std_map);
    let d1 = s1.since(&s0);
    let d2 = s2.since(&s1);
    let d3 = s3.since(&s2);
    let d4 = s4.since(&s3);
    let bucket = GoMap::<u64, u64>::layout().bucket_size;
    writeln!(
        o,
        "  GoMap::<u64, u64>::new()   {} allocations, {} bytes",
        d1.allocs, d1.bytes_allocated
    )?;
    let one_bucket = d2.allocs == 1 && d2.bytes_allocated as usize == bucket;
    writeln!(
        o,
        "  first insert               {} allocation{} of {} bytes{} (B = {})",
        d2.allocs,
        if d2.allocs == 1 { "" } else { "s" },
        d2.bytes_allocated,
        if one_bucket {
            format!(": exactly one {bucket}-byte bucket")
        } else {
            format!(" (one bucket is {bucket} bytes)")
        },
        b_first
    )?;
    writeln!(
        o,
        "  inserts 2..=8              {} allocations (they fill the same bucket's 8 slots)",
        d3.allocs
    )?;
    writeln!(
        o,
        "  9th insert                 {} allocation(s), {} bytes; {} bytes freed: a doubling to B = {} ({} buckets){}",
        d4.allocs,
        d4.bytes_allocated,
        d4.bytes_freed,
        m.header().b,
        1u64 << m.header().b,
        if d4.bytes_freed as usize >= bucket && !m.header().growing {
            ";\n                             its 8 entries moved at once and the old bucket was freed in the same insert"
        } else {
            ""
        }
    )?;
    writeln!(
        o,
        "  (std HashMap::new() also allocates nothing; its first insert allocates {} bytes in {} allocation)",
        t2.since(&t1).bytes_allocated,
        t2.since(&t1).allocs
    )?;
    writeln!(
        o,
        "  Go's makemap_small does the same, and Go's escape analysis may even put a small map's header and\n  first bucket on the stack. In Rust the header already is a plain value on the stack (section 3); the\n  bucket is allocated lazily, by the first insert."
    )?;
    let _ = m;
    Ok(())
}

fn hint_section(o: &mut impl Write) -> Result<()> {
    section(
        o,
        5,
        "with_capacity(hint): the smallest B with hint <= 6.5 * 2^B",
    )?;
    let counting = alloc::is_installed();
    writeln!(
        o,
        "  {:>9}  {:>2}  {:>7}  {:>13}  {:>14}  {:>10}",
        "hint", "B", "buckets", "pre-allocated", "bytes", "capacity()"
    )?;
    writeln!(
        o,
        "  {:>9}  {:>2}  {:>7}  {:>13}  {:>14}  {:>10}",
        "", "", "", "overflow", "allocated", ""
    )?;
    for hint in [
        0usize, 1, 8, 9, 13, 14, 26, 27, 52, 53, 100, 1_000, 10_000, 100_000, 1_000_000,
    ] {
        let s0 = snapshot();
        let m: GoMap<u64, u64> = GoMap::with_capacity(hint);
        let s1 = snapshot();
        let st = m.stats();
        let bytes = if counting {
            s1.since(&s0).bytes_allocated.to_string()
        } else {
            "-".into()
        };
        writeln!(
            o,
            "  {:>9}  {:>2}  {:>7}  {:>13}  {:>14}  {:>10}",
            hint,
            st.b,
            st.buckets,
            st.preallocated_overflow,
            bytes,
            m.capacity()
        )?;
    }
    writeln!(
        o,
        "  Hints up to 8 allocate nothing (B = 0, the bucket comes with the first insert). From B = 4 the array\n  carries 2^(B-4) spare overflow buckets, as in Go."
    )?;
    Ok(())
}

fn growth_section(o: &mut impl Write) -> Result<(Vec<plot::GrowthSample>, Vec<plot::GrowthMark>)> {
    section(
        o,
        6,
        "Growth trace to 100 000 entries (one line per growth)",
    )?;
    writeln!(
        o,
        "  A doubling starts when a new key would make count > 6.5 * 2^B. B changes at once; the entries move\n  later, 1-2 old buckets per insert or remove (incremental evacuation). The write that moves the last\n  bucket frees the old array, or, from 1 MiB, hands its pages back to the OS over the next few writes\n  and then frees it (so no single write pays for unmapping it). Go has no switch that traces this:\n  GODEBUG=gctrace=1 traces garbage-collection cycles, not maps."
    )?;
    let base = alloc::live_bytes();
    let mut m: GoMap<u64, u64> = GoMap::new();
    let mut tr = GrowthTracer::new(&m, alloc::snapshot)
        .with_base(base)
        .with_samples();
    let heap_known = alloc::is_installed();
    for i in 0..GROWTH_N {
        m.insert(gomap_cli::harness::splitmix64(i), i);
        tr.after_write(&m);
    }
    if let Some(f) = tr.first_alloc {
        writeln!(
            o,
            "  write {} allocated the first bucket array: B = {}, at {}",
            f.at_write,
            f.b,
            addr(f.buckets)
        )?;
    }
    writeln!(
        o,
        "  {:>4}  {:<9} {:>6}  {:<8}  {:<16} {:<16} {:>8}  {:>13}",
        "grow", "kind", "at len", "B", "new array", "old array", "overflow", "old array freed"
    )?;
    for e in &tr.events {
        let done = match e.finished {
            Some(f) => match f.freed_at_write {
                Some(at) if at == f.at_write => format!(
                    "after {} write{}",
                    f.writes,
                    if f.writes == 1 { "" } else { "s" }
                ),
                Some(at) => format!(
                    "evacuated after {} writes, freed {} writes later",
                    f.writes,
                    at - f.at_write
                ),
                None => format!("evacuated after {} writes, not yet freed", f.writes),
            },
            None => "still growing".to_string(),
        };
        writeln!(
            o,
            "  {:>4}  {:<9} {:>6}  {:<8}  {:<16} {:<16} {:>8}  {}",
            e.event,
            e.kind.name(),
            e.len,
            format!("{} -> {}", e.b_old, e.b_new),
            addr(e.buckets),
            addr(e.oldbuckets),
            e.overflow_buckets,
            done
        )?;
    }
    writeln!(
        o,
        "  (`gomap trace --n 100000` prints the same events, with the memory at each, as text or JSON)"
    )?;
    let st = m.stats();
    writeln!(
        o,
        "  at {} entries: B = {}, {} buckets + {} overflow, load {:.2} entries/bucket, map heap {}",
        st.len,
        st.b,
        st.buckets,
        st.overflow_buckets,
        st.len as f64 / st.buckets as f64,
        human_bytes(st.heap_bytes)
    )?;

    section(
        o,
        7,
        "Heap bytes over growth, and the moment the old array is freed",
    )?;
    if !heap_known {
        writeln!(o, "  (no counting allocator installed: skipped)")?;
    } else {
        writeln!(
            o,
            "  {:>4}  {:>8}  {:>7}  {:>10}  {:>10}  {:>10}  {:>9}  {:>10}  {:>10}  {:>7}",
            "grow",
            "B",
            "at len",
            "heap then",
            "+new array",
            "old array",
            "overflow",
            "released",
            "freed",
            "at len"
        )?;
        for e in &tr.events {
            let (released, freed, at) = match e.finished {
                Some(f) if f.freed_at_write.is_some() => (
                    human_bytes(f.released_bytes),
                    human_bytes(f.old_array_bytes),
                    f.freed_len.map_or("-".into(), |l| l.to_string()),
                ),
                Some(f) => (
                    human_bytes(f.memory.released_bytes),
                    "(not yet)".into(),
                    "-".into(),
                ),
                None => (
                    human_bytes(e.memory.released_bytes),
                    "(growing)".into(),
                    "-".into(),
                ),
            };
            writeln!(
                o,
                "  {:>4}  {:>8}  {:>7}  {:>10}  {:>10}  {:>10}  {:>9}  {:>10}  {:>10}  {:>7}",
                e.event,
                format!("{} -> {}", e.b_old, e.b_new),
                e.len,
                human_bytes(e.memory.heap_bytes),
                human_bytes(e.memory.array_bytes),
                human_bytes(e.memory.old_array_bytes),
                human_bytes(e.memory.overflow_bytes),
                released,
                freed,
                at
            )?;
        }
        writeln!(
            o,
            "  heap then: the map's heap right after the growth started (new array + old array + overflow buckets);\n  \
             released: old-array bytes handed back to the OS (madvise) before the free; freed: the old array,\n  \
             confirmed by the counting allocator."
        )?;
        if let Some(e) = tr
            .events
            .iter()
            .rev()
            .find(|e| e.finished.is_some_and(|f| f.freed_at_write.is_some()))
        {
            let f = e.finished.expect("filtered");
            writeln!(
                o,
                "  e.g. growth {}: B {} -> {} started at len {}; both arrays were held for {} writes, until the write at\n  \
                 len {} moved the last old bucket; the old array ({}) was freed at len {}{}.",
                e.event,
                e.b_old,
                e.b_new,
                e.len,
                f.writes,
                f.len,
                human_bytes(f.old_array_bytes),
                f.freed_len.unwrap_or(f.len),
                if f.released_bytes > 0 {
                    format!(", after {} of its pages had been handed back to the OS", human_bytes(f.released_bytes))
                } else {
                    String::new()
                }
            )?;
        }
    }
    Ok((tr.samples(), tr.marks()))
}

fn gc_chain_section(o: &mut impl Write) -> Result<gomap_cli::walk::WalkReport> {
    section(o, 8, "The GC marking chain: from the variable to the data")?;
    writeln!(
        o,
        "  Go's GC finds a map's memory by following pointers: the variable m (one pointer) -> the hmap -> its\n  \
         pointer fields in order, buckets, oldbuckets, extra -> from each bucket its overflow pointer and the\n  \
         key/elem pointers (a string's bytes, a key or elem over 128 bytes) -> the data. When neither key nor\n  \
         elem holds a pointer, Go allocates the buckets noscan and keeps overflow buckets alive through\n  \
         hmap.extra.overflow instead. GoMap::heap_walk() lists what a map owns in that order; here a live\n  \
         GoMap<String, u64>, each String's own buffer as the last link:"
    )?;
    let r = gomap_cli::walk::build::<String, u64>(6, false)?;
    for line in gomap_cli::walk::text(&r).lines().skip(5) {
        writeln!(o, "  {line}")?;
    }
    writeln!(o, "  (gomap walk --key string --mid-growth draws it; --format json is exactly heap_walk()'s objects)")?;
    // The picture: a larger map caught mid-growth, both arrays and overflow buckets.
    gomap_cli::walk::build::<String, u64>(40, true)
}

fn range_section(o: &mut impl Write) -> Result<()> {
    section(
        o,
        9,
        "Iteration: range order, random starts, deleting and inserting while ranging",
    )?;
    let r = gomap_cli::range::run::<u64>(12);
    for line in gomap_cli::range::text(&r, 16).lines() {
        writeln!(o, "  {line}")?;
    }
    writeln!(
        o,
        "  (gomap range --n N --key TYPE runs it again: the random starts differ every time)"
    )?;
    Ok(())
}

fn misconceptions_section(o: &mut impl Write) -> Result<()> {
    use std::hash::BuildHasher;
    section(o, 10, "Common misconceptions, each checked")?;
    let yes = |b: bool| if b { "checked" } else { "NOT as stated" };
    // Growth replaces the array; the header stays where its owner put it.
    let mut m: GoMap<u64, u64> = GoMap::new();
    m.insert(0, 0);
    let (hdr, arr) = (&m as *const _ as usize, m.header().buckets);
    for i in 1..1000 {
        m.insert(i, i);
    }
    let moved_array = m.header().buckets != arr && (&m as *const _ as usize) == hdr;
    writeln!(
        o,
        "  \"The GC moves the map around.\" Go's GC never moves heap objects (runtime/mgc.go: \"It is\n  \
         non-generational and non-compacting\"); the hmap stays put and growth points buckets at a new array\n  \
         (hashGrow: h.buckets = newbuckets). Here: header at {} before and after 999 inserts, buckets\n  \
         {} -> {}: {}.",
        addr(hdr),
        addr(arr),
        addr(m.header().buckets),
        yes(moved_array)
    )?;
    writeln!(
        o,
        "  \"Go's GC is conservative.\" It is precise (mgc.go: \"type accurate (aka precise)\"): it knows which\n  \
         words of a bucket are pointers, and skips noscan buckets whole."
    )?;
    writeln!(
        o,
        "  \"&m is illegal.\" &m is a valid *map[K]V; what Go forbids is &m[k] (map index expressions are not\n  \
         addressable), because growth moves entries to a new array."
    )?;
    let mut g: GoMap<u64, u64> = GoMap::new();
    let mut b_after = Vec::new();
    for i in 0..9 {
        g.insert(i, i);
        b_after.push(g.header().b);
    }
    writeln!(
        o,
        "  \"A map grows at its 7th insert (6.5 per bucket).\" mapassign grows when overLoadFactor(count+1, B):\n  \
         count > 8 && count > 6.5 * 2^B. Here B after inserts 1..9: {:?}: the 9th grows it, {}.",
        b_after,
        yes(b_after[..8].iter().all(|&b| b == 0) && b_after[8] == 1)
    )?;
    let count = GoMap::<u64, u64>::header_fields()
        .into_iter()
        .find(|f| f.name == "count");
    writeln!(
        o,
        "  \"count is a small field somewhere.\" hmap.count is an int, 8 bytes at offset 0 (\"Must be first (used by\n  \
         len() builtin)\"); GoMap's count: offset {}, {} bytes.",
        count.map_or(0, |f| f.offset),
        count.map_or(0, |f| f.size)
    )?;
    let s = m.structure();
    let bsize = GoMap::<u64, u64>::layout().bucket_size;
    let contiguous = s.current.as_ref().is_some_and(|a| {
        a.chains
            .iter()
            .all(|c| c.buckets[0].addr == a.addr + c.index * bsize)
    });
    writeln!(
        o,
        "  \"buckets is an array of pointers (**bmap).\" It is one contiguous array (buckets unsafe.Pointer //\n  \
         array of 2^B Buckets): head i at buckets + i*bucketsize. Here all {} heads of a live map: {}.",
        s.stats.buckets,
        yes(contiguous)
    )?;
    let mask = (1u64 << m.header().b) - 1;
    let masked = (0..1000u64).all(|k| {
        m.locate(&k)
            .is_some_and(|l| l.bucket_index as u64 == m.hasher().hash_one(k) & mask)
    });
    writeln!(
        o,
        "  \"The bucket index is a shift of the hash.\" It is a mask of the low B bits (bucket := hash &\n  \
         bucketMask(h.B)); the top 8 bits are the tophash. Here every one of 1000 keys: {}.",
        yes(masked)
    )?;
    writeln!(
        o,
        "  \"The flags are 0..3.\" They are bits: iterator 1, oldIterator 2, hashWriting 4, sameSizeGrow 8."
    )?;
    let before = m.stats().heap_bytes;
    for i in 0..1000 {
        m.remove(&i);
    }
    let after = m.stats();
    writeln!(
        o,
        "  \"Deleting shrinks the map.\" Go 1.19-1.23 maps never shrink: mapdelete empties slots, mapclear keeps\n  \
         the array (Go issue 20135). Here all 1000 entries removed: heap {} -> {}, B = {}: {}.",
        human_bytes(before),
        human_bytes(after.heap_bytes),
        after.b,
        yes(after.heap_bytes == before && after.len == 0)
    )?;
    writeln!(
        o,
        "  \"Small maps live on the stack.\" Only a map that does not escape and whose hint is <= 8 gets its hmap\n  \
         and one bucket on the stack (walkMakeMap, cmd/compile/internal/walk/builtin.go); every other bucket\n  \
         array, and every array a growth allocates, is on the heap. (A GoMap value sits wherever Rust puts it;\n  \
         its buckets are always on the heap.)"
    )?;
    Ok(())
}
