//! A word-frequency program written the Go way, ported line by line.
//!
//! The Go original:
//!
//! ```go
//! counts := map[string]int{}
//! for _, w := range strings.Fields(strings.ToLower(text)) {
//!     counts[strings.Trim(w, ".,;:!?()\"'")]++
//! }
//! // Fold plurals into their stems: "maps" counts as "map".
//! for w, n := range counts {
//!     if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
//!         delete(counts, w)
//!         counts[w[:len(w)-1]] += n
//!     }
//! }
//! // Drop stop words and words seen once.
//! for w, n := range counts {
//!     if n < 2 || stop[w] {
//!         delete(counts, w)
//!     }
//! }
//! ```
//!
//! Go allows deleting and inserting while ranging over a map; gomap's
//! `cursor()` gives the same guarantees (each entry present throughout is
//! visited once, a deleted one is not visited, an inserted one at most once).
//! The results here do not depend on the order: a folded stem never ends in
//! a single "s", so visiting it (or not) changes nothing.
//!
//! ```sh
//! cargo run --release -p gomap --example go_port
//! ```

use gomap::GoMap;

const TEXT: &str = "
Go maps are hash tables. A map is an array of buckets; each bucket holds eight
keys and eight values, and the low bits of a key's hash select its bucket. The
high bits of the hash are kept as one tophash byte per slot, so lookups compare
bytes before they compare keys. When a bucket is full, an overflow bucket is
chained to it. When the map holds more than six and a half entries per bucket on
average, it grows: it allocates twice as many buckets and moves entries from the
old buckets to the new buckets a few at a time, on later inserts and deletes, so
no single insert pays for the whole move. Maps in Go are not safe for concurrent
writes. Ranging over a map visits the keys in a random order, and a program may
delete keys or insert keys while it ranges: a deleted key is not visited, and an
inserted key may or may not be visited. Buckets, keys, values and maps: these
words are the words this program counts.
";

const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "before", "by", "for", "from", "in", "is", "it",
    "its", "may", "more", "no", "not", "of", "on", "one", "or", "so", "than", "the", "these",
    "this", "to", "when", "while", "with",
];

/// Go's `strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss")` with `len(w) > 3`.
fn plural_stem(w: &str) -> Option<&str> {
    (w.len() > 3 && w.ends_with('s') && !w.ends_with("ss")).then(|| &w[..w.len() - 1])
}

fn main() {
    // counts[w]++
    let mut counts: GoMap<String, usize> = GoMap::new();
    for w in TEXT.to_lowercase().split_whitespace() {
        let w = w.trim_matches(|c: char| ".,;:!?()\"'".contains(c));
        *counts.entry(w.to_string()).or_insert(0) += 1;
    }
    let distinct = counts.len();

    // for w, n := range counts { ... delete(counts, w); counts[stem] += n }
    let (mut folded, mut visited) = (0, 0);
    let mut c = counts.cursor();
    while let Some((w, &mut n)) = c.next() {
        visited += 1;
        let Some(stem) = plural_stem(w).map(str::to_string) else {
            continue;
        };
        c.remove_current(); // delete(counts, w)
                            // counts[stem] += n: Go reads and writes the stem's entry in place.
                            // The cursor's insert returns the previous value, so: put n, and if
                            // the stem was there, put the sum.
        if let Some(prev) = c.insert(stem.clone(), n) {
            c.insert(stem, prev + n);
        }
        folded += 1;
    }
    drop(c);
    println!("{distinct} distinct words; ranged over {visited}, folded {folded} plurals into their stems");

    // for w, n := range counts { if n < 2 || stop[w] { delete(counts, w) } }
    let before = counts.len();
    let mut c = counts.cursor();
    while let Some((w, &mut n)) = c.next() {
        if n < 2 || STOP.contains(&w.as_str()) {
            c.remove_current();
        }
    }
    drop(c);
    println!(
        "{} words after dropping stop words and words seen once ({} deleted while ranging)\n",
        counts.len(),
        before - counts.len()
    );

    // Go would sort the keys to print in a stable order; so do we.
    let mut top: Vec<(&String, &usize)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (w, n) in top {
        println!("{n:>3}  {w}");
    }

    assert_eq!(counts["bucket"], 10, "bucket + buckets");
    assert_eq!(counts["map"], 6, "map + maps");
    assert!(!counts.contains_key("maps") && !counts.contains_key("the"));
}
