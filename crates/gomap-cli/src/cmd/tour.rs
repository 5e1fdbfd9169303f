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

    section(&mut o, 8, "Pictures")?;
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
    cmd::tour_escape::section(&mut o, 9)?;
    writeln!(o)?;
    writeln!(
        o,
        "Tour finished in {:.1} s. Next: gomap layout --help, gomap trace --help, gomap render --help, gomap bench --help",
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
        "A GoMap<u64, u64> is {size} bytes, held inline wherever you put it (a local, a struct field, a Box);\nthere is no hidden extra allocation for the header. (Go's hmap is 48 bytes: its hash0 is a uint32\nseed and extra a pointer; here hash0 is the hasher value and the overflow bookkeeping is inline.)\nIts fields, as laid out by rustc:"
    )?;
    let mut fields = GoMap::<u64, u64>::header_fields();
    fields.sort_by_key(|f| f.offset);
    writeln!(o, "  {:>6}  {:>4}  field", "offset", "size")?;
    for f in &fields {
        writeln!(
            o,
            "  {:>6}  {:>4}  {}{}",
            f.offset,
            f.size,
            f.name,
            header_note(f.name)
        )?;
    }
    Ok(())
}

fn header_note(name: &str) -> &'static str {
    match name {
        "count" => "       entries (len())",
        "flags" => "       iterator / same-size-grow bits",
        "B" => "           log2 of the bucket count",
        "noverflow" => "   overflow buckets made (triggers same-size growth)",
        "hash0" => "       the hasher: per-map random seed",
        "buckets" => "     pointer to the bucket array",
        "oldbuckets" => "  pointer to the array being evacuated (null when not growing)",
        "nevacuate" => "   old buckets below this index are moved",
        "extra" => "       overflow bookkeeping (Go's mapextra)",
        _ => "",
    }
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
        "Growth trace to 100 000 entries (one line per growth, like GODEBUG=gctrace=1)",
    )?;
    writeln!(
        o,
        "  A doubling starts when a new key would make count > 6.5 * 2^B. B changes at once; the entries move\n  later, 1-2 old buckets per insert or remove (incremental evacuation), and the old array is freed by\n  the write that moves its last bucket."
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
            Some(f) => format!(
                "after {} write{}",
                f.writes,
                if f.writes == 1 { "" } else { "s" }
            ),
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
        "  (`gomap trace --n 100000` prints the same events as gctrace-style lines, or JSON)"
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
            "  {:>5}  {:>8}  {:>8}  {:>11}  {:>11}  {:>11}  {:>8}  {:>7}",
            "grow", "B", "at len", "map heap", "+new array", "freed", "at len", "writes"
        )?;
        for e in &tr.events {
            let (freed, at, writes) = match e.finished {
                Some(f) => (
                    human_bytes(f.freed_bytes as usize),
                    f.len.to_string(),
                    f.writes.to_string(),
                ),
                None => ("(growing)".into(), "-".into(), "-".into()),
            };
            let new_array = e.new_bytes as usize;
            writeln!(
                o,
                "  {:>5}  {:>8}  {:>8}  {:>11}  {:>11}  {:>11}  {:>8}  {:>7}",
                e.event,
                format!("{} -> {}", e.b_old, e.b_new),
                e.len,
                human_bytes(e.heap_before),
                human_bytes(new_array),
                freed,
                at,
                writes
            )?;
        }
        if let Some(e) = tr.events.iter().rev().find(|e| e.finished.is_some()) {
            let f = e.finished.expect("filtered");
            writeln!(
                o,
                "  e.g. growth {}: B {} -> {} started at len {}; both arrays were held for {} writes, until the write\n  at len {} moved the last old bucket and freed the old array ({} back).",
                e.event,
                e.b_old,
                e.b_new,
                e.len,
                f.writes,
                f.len,
                human_bytes(f.freed_bytes as usize)
            )?;
        }
    }
    Ok((tr.samples(), tr.marks()))
}
