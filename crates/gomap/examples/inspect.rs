//! Looking inside a live map: the bucket layout per type, the header, where
//! an entry lies, and a map growing from empty with its stats after each
//! growth starts and ends.
//!
//! ```sh
//! cargo run --release -p gomap --example inspect
//! ```

use gomap::{BucketLayout, GoMap, MapStats};

fn print_layout(name: &str, l: BucketLayout) {
    println!(
        "{name:<22} bucket {:>4} B (align {}): tophash @{}, keys @{} ({} B a slot{}), \
         values @{} ({} B a slot{}), overflow @{}, padding {}",
        l.bucket_size,
        l.bucket_align,
        l.tophash_offset,
        l.keys_offset,
        l.key_slot_size,
        if l.indirect_key { ", indirect" } else { "" },
        l.values_offset,
        l.value_slot_size,
        if l.indirect_value { ", indirect" } else { "" },
        l.overflow_offset,
        l.padding,
    );
}

fn stats_line(s: &MapStats) -> String {
    format!(
        "len {:>6}  B {:>2}  buckets {:>5}  overflow {:>4}  old {:>4}  evacuated {:>4}  heap {:>8} B",
        s.len, s.b, s.buckets, s.overflow_buckets, s.old_buckets, s.evacuated, s.heap_bytes
    )
}

fn main() {
    println!("== Bucket layouts (Go's maptype), one per (K, V)\n");
    print_layout("u64 -> u64", GoMap::<u64, u64>::layout());
    print_layout("u8 -> u64", GoMap::<u8, u64>::layout());
    print_layout("String -> Vec<u8>", GoMap::<String, Vec<u8>>::layout());
    print_layout("[u8; 200] -> u32", GoMap::<[u8; 200], u32>::layout());
    print_layout("() -> ()", GoMap::<(), ()>::layout());

    println!("\n== The header (Go's hmap), as it lies in a GoMap<u64, u64> value\n");
    for f in GoMap::<u64, u64>::header_fields() {
        println!(
            "  {:<11} offset {:>3}  size {:>3}",
            f.name, f.offset, f.size
        );
    }
    println!("  total {} bytes", std::mem::size_of::<GoMap<u64, u64>>());

    println!("\n== A live map of 1000 entries\n");
    let m: GoMap<u64, u64> = (0..1000).map(|i| (i, i * i)).collect();
    let s = m.stats();
    println!("  {}", stats_line(&s));
    println!(
        "  capacity {} (entries before the next doubling), longest chain {} buckets, \
         {} pre-allocated overflow buckets ({} still free)",
        s.capacity, s.max_chain, s.preallocated_overflow, s.free_preallocated_overflow
    );
    println!(
        "  {:.1} bytes per entry ({} bytes of key and value)",
        s.heap_bytes as f64 / s.len as f64,
        16
    );
    let loc = m.locate(&42).expect("present");
    println!(
        "  key 42: bucket {} (depth {} in its chain), slot {}, key at {:#x}, value at {:#x}",
        loc.bucket_index, loc.overflow_depth, loc.slot, loc.key_addr, loc.value_addr
    );
    let st = m.structure();
    let chains = &st.current.as_ref().expect("allocated").chains;
    let c = &chains[loc.bucket_index];
    for (depth, b) in c.buckets.iter().enumerate() {
        println!(
            "    chain of bucket {} [{}] at {:#x}: tophash {:?}",
            c.index, depth, b.addr, b.tophash
        );
    }
    let mut hist = [0usize; 4];
    for c in chains {
        hist[(c.buckets.len() - 1).min(3)] += 1;
    }
    println!(
        "  chains by length: {} of 1 bucket, {} of 2, {} of 3, {} longer",
        hist[0], hist[1], hist[2], hist[3]
    );

    println!("\n== A map growing from empty: stats when each growth starts and ends\n");
    let mut m: GoMap<u64, u64> = GoMap::new();
    println!("  new():             {}", stats_line(&m.stats()));
    let mut prev = m.header();
    let mut started_at = None;
    for i in 1..=100_000u64 {
        m.insert(i, i);
        let h = m.header();
        // A growth started on this insert: B changed (doubling), or an old
        // array appeared (also same-size growth). It may finish at once.
        if h.b != prev.b || (h.growing && !prev.growing) {
            started_at = Some(i);
            println!(
                "  start  insert {:<6} B {} -> {}: {} buckets at {:#x} -> {} at {:#x}",
                i,
                prev.b,
                h.b,
                1usize << prev.b,
                prev.buckets,
                1usize << h.b,
                h.buckets
            );
        }
        if let (Some(start), false) = (started_at, h.growing) {
            println!(
                "  done   insert {:<6} {}  ({} writes)",
                i,
                stats_line(&m.stats()),
                i - start + 1
            );
            started_at = None;
        }
        prev = h;
    }
    println!("  end:               {}", stats_line(&m.stats()));
}
