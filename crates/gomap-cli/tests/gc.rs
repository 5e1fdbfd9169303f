//! End-to-end tests of what issue 13 added to the `gomap` command (`walk`,
//! `range`, memory per growth in `trace`) and of writing output files
//! without destroying special files.

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use serde_json::Value;

fn gomap() -> Command {
    cargo_bin_cmd!("gomap")
}

fn stdout_of(args: &[&str]) -> String {
    let out = gomap()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8 output")
}

fn json_of(args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(args)).expect("valid JSON")
}

// ---------------------------------------------------------------------------
// -o / --plot never destroy special files or symlinks (issue 10, item 6).
// ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn output_through_a_symlink_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("picture.svg");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.svg");
    std::os::unix::fs::symlink("picture.svg", &link).unwrap();
    gomap()
        .args(["render", "--n", "20", "-o"])
        .arg(&link)
        .assert()
        .success();
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let svg = std::fs::read_to_string(&target).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{svg:.80}"
    );
    // Nothing else was left in the directory (no temp files).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    // A dangling link: its target is created, the link stays.
    let dangling = dir.path().join("dangling.dot");
    std::os::unix::fs::symlink("made.dot", &dangling).unwrap();
    gomap()
        .args(["render", "--n", "20", "--format", "dot", "-o"])
        .arg(&dangling)
        .assert()
        .success();
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("made.dot"))
        .unwrap()
        .contains("digraph"));
}

#[cfg(unix)]
#[test]
fn output_to_a_fifo_writes_through_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    // A reader, so the writer's open does not wait forever.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    gomap()
        .args(["render", "--n", "20", "--format", "mermaid", "-o"])
        .arg(&fifo)
        .assert()
        .success();
    let got = reader.join().unwrap();
    assert!(
        got.starts_with("flowchart") || got.contains("flowchart"),
        "{got:.80}"
    );
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(
        meta.file_type().is_fifo(),
        "the FIFO was replaced by a regular file"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );

    // A symlink to the FIFO: written through as well, both survive.
    let link = dir.path().join("to-pipe");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    gomap()
        .args(["bench", "--n", "2000", "--plot"])
        .arg(&link)
        .assert()
        .success();
    assert!(reader.join().unwrap().contains("<svg"));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn output_to_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    gomap()
        .args(["render", "-o"])
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicates::str::contains("it is a directory"));
}

// ---------------------------------------------------------------------------
// gomap walk
// ---------------------------------------------------------------------------

fn kinds(objects: &[Value]) -> Vec<&str> {
    objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn walk_json_is_exactly_the_heap_walk() {
    let j = json_of(&["walk", "--n", "100", "--format", "json"]);
    let objects = j.as_array().expect("an array of objects, nothing else");
    assert_eq!(kinds(objects)[..2], ["Map", "Buckets"]);
    assert_eq!(objects[0]["parent"], Value::Null);
    for o in objects {
        let keys: Vec<&str> = o.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["addr", "kind", "parent", "size"]);
    }
    for (i, o) in objects.iter().enumerate().skip(1) {
        assert!(o["parent"].as_u64().unwrap() < i as u64);
    }
    // 100 entries: B = 4, 16 heads + 1 pre-allocated overflow bucket of 144 bytes.
    assert_eq!(objects[1]["size"], 17 * 144);

    // An empty map owns nothing: the walk is the map value alone.
    let j = json_of(&["walk", "--n", "0", "--format", "json"]);
    assert_eq!(kinds(j.as_array().unwrap()), ["Map"]);

    // Mid-growth: the old array right after the new one, as in hmap.
    let j = json_of(&["walk", "--n", "100", "--mid-growth", "--format", "json"]);
    assert_eq!(
        kinds(j.as_array().unwrap())[..3],
        ["Map", "Buckets", "OldBuckets"]
    );

    // Values over 128 bytes: one object each, under the bucket holding the pointer.
    let j = json_of(&["walk", "--n", "30", "--value", "big", "--format", "json"]);
    let objects = j.as_array().unwrap();
    let ind: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "IndirectValue")
        .collect();
    assert_eq!(ind.len(), 30);
    assert!(ind.iter().all(|o| o["size"] == 200));
}

#[test]
fn walk_text_follows_the_chain_to_each_strings_bytes() {
    let out = stdout_of(&["walk", "--n", "12", "--key", "string"]);
    assert!(
        out.contains("value on the stack: the header (Go's hmap)"),
        "{out}"
    );
    assert!(out.contains("8-byte pointer"), "{out}");
    // Every key's buffer is listed as the last link, each under the buckets.
    let links = out
        .lines()
        .filter(|l| l.contains("-> buffer at 0x"))
        .count();
    assert_eq!(links, 12, "{out}");
    assert!(out.contains("stats().heap_bytes"), "{out}");

    // A large map is summarised: counts per kind, a few of each drawn.
    let out = stdout_of(&["walk", "--n", "20000", "--key", "string"]);
    assert!(
        out.lines().count() < 120,
        "not summarised: {} lines",
        out.lines().count()
    );
    assert!(out.contains("more: string key buffer"), "{out}");
    assert!(out.contains("the first 3 of each kind are drawn"), "{out}");
}

#[test]
fn walk_mermaid_and_svg_are_well_formed() {
    let m = stdout_of(&[
        "walk",
        "--n",
        "60",
        "--mid-growth",
        "--key",
        "string",
        "--format",
        "mermaid",
    ]);
    assert!(m.starts_with("flowchart LR\n"), "{m}");
    let nodes = m
        .lines()
        .filter(|l| l.trim_start().starts_with('n') && l.contains("[\""))
        .count();
    let edges = m.lines().filter(|l| l.contains(" --> ")).count();
    assert!(nodes > 3);
    assert_eq!(
        edges,
        nodes - 1,
        "a tree: one edge into every node but the root"
    );
    assert!(m.contains(":::OldBuckets"));
    assert!(
        !m.lines().any(|l| l.contains("[\"") && l.contains("\"key-")),
        "quotes escaped"
    );

    let svg = stdout_of(&["walk", "--n", "60", "--mid-growth", "--format", "svg"]);
    let doc = roxmltree::Document::parse(&svg).expect("valid XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("OldBuckets at 0x")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains("stats().heap_bytes")));
    // Every box fits inside the picture.
    let width: f64 = root.attribute("width").unwrap().parse().unwrap();
    for r in doc.descendants().filter(|n| n.has_tag_name("rect")) {
        let x: f64 = r.attribute("x").unwrap().parse().unwrap();
        let w: f64 = r.attribute("width").unwrap().parse().unwrap();
        assert!(x + w <= width, "box past the right edge");
    }
    // -o picks the format from the extension.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("chain.svg");
    gomap().args(["walk", "-o"]).arg(&p).assert().success();
    assert!(std::fs::read_to_string(&p).unwrap().contains("<svg"));
}

// ---------------------------------------------------------------------------
// trace: memory per growth, and true "freed" figures past 1 MiB (issue 10
// item 7, issue 13 item 6).
// ---------------------------------------------------------------------------

#[test]
fn trace_reports_the_real_free_of_an_old_array_past_one_mib() {
    let j = json_of(&["trace", "--n", "60000", "--format", "json"]);
    let events = j["events"].as_array().unwrap();
    let bucket = 144u64;
    for e in events {
        let b_old = e["b_old"].as_u64().unwrap();
        let pool = if b_old >= 4 { 1u64 << (b_old - 4) } else { 0 };
        let old_bytes = ((1u64 << b_old) + pool) * bucket;
        let m = &e["memory"];
        // Right after the growth started: both arrays, sized by Go's rules.
        let b_new = e["b_new"].as_u64().unwrap();
        let new_pool = if b_new >= 4 { 1u64 << (b_new - 4) } else { 0 };
        assert_eq!(
            m["array_bytes"].as_u64().unwrap(),
            ((1u64 << b_new) + new_pool) * bucket,
            "{e}"
        );
        let f = &e["finished"];
        assert_eq!(f["old_array_bytes"].as_u64().unwrap(), old_bytes, "{e}");
        // The old array really went back to the allocator, in full.
        assert!(f["freed_bytes"].as_u64().unwrap() >= old_bytes, "{e}");
        let freed_at = f["freed_at_write"].as_u64().expect("freed by the end");
        if old_bytes >= 1 << 20 {
            // Handed back to the OS a chunk per write, then freed later.
            assert!(freed_at > f["at_write"].as_u64().unwrap(), "{e}");
            assert!(f["released_bytes"].as_u64().unwrap() > 0, "{e}");
            assert!(m["old_array_bytes"].as_u64().unwrap() == old_bytes, "{e}");
        } else {
            assert_eq!(freed_at, f["at_write"].as_u64().unwrap(), "{e}");
        }
    }
    let big = events
        .iter()
        .filter(|e| e["finished"]["old_array_bytes"].as_u64().unwrap() >= 1 << 20)
        .count();
    assert_eq!(big, 1, "the growth from B = 13 (1.2 MiB) to 14");

    let out = stdout_of(&["trace", "--n", "60000"]);
    let grows: Vec<&str> = out.lines().filter(|l| l.starts_with("grow ")).collect();
    assert_eq!(grows.len(), 14);
    for l in &grows {
        assert!(!l.contains("(-0 B)"), "{l}");
        assert!(
            l.contains("map heap") && l.contains("array") && l.contains("overflow"),
            "{l}"
        );
    }
    assert!(
        grows[0].contains("old array freed (-144 B)"),
        "{}",
        grows[0]
    );
    assert!(
        grows[12].contains("old array freed (-612.0 KiB)"),
        "{}",
        grows[12]
    );
    // Before the fix this growth said "old array freed (-144 B)".
    assert!(
        grows[13].contains("old array (1.2 MiB) handed back to the OS"),
        "{}",
        grows[13]
    );
    assert!(grows[13].contains("and freed"), "{}", grows[13]);
}

// ---------------------------------------------------------------------------
// gomap range
// ---------------------------------------------------------------------------

#[test]
fn range_checks_gos_iteration_rules_live() {
    for n in ["12", "200", "1000"] {
        let j = json_of(&["range", "--n", n, "--format", "json"]);
        let n: usize = n.parse().unwrap();
        assert_eq!(j["iter_stable"], true);
        assert_eq!(j["iter_orders"][0], j["iter_orders"][1]);
        assert_eq!(j["iter_orders"][0].as_array().unwrap().len(), n);
        // Three randomized ranges: each a permutation of the same keys.
        let ranges = j["randomized"].as_array().unwrap();
        assert_eq!(ranges.len(), 3);
        let mut sets = ranges.iter().map(|r| {
            let mut keys: Vec<String> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|y| y["key"].as_str().unwrap().to_string())
                .collect();
            keys.sort();
            keys
        });
        let first = sets.next().unwrap();
        assert_eq!(first.len(), n);
        assert!(sets.all(|s| s == first));
        for r in ranges {
            for y in r.as_array().unwrap() {
                assert!(y["slot"].as_u64().unwrap() < 8);
            }
        }
        let c = &j["cursor"];
        assert_eq!(c["passed"], true, "{c}");
        assert_eq!(c["each_yielded_once"], true);
        assert_eq!(c["removed_ahead"], 2);
        assert_eq!(c["removed_ahead_not_yielded"], true);
        assert_eq!(c["no_duplicates"], true);
        assert!(c["inserted_yielded"].as_u64().unwrap() <= c["inserted"].as_u64().unwrap());
        // The range's inserts start a growth.
        assert!(
            c["b_end"].as_u64().unwrap() > c["b_start"].as_u64().unwrap(),
            "{c}"
        );
        let len_after = c["len_after"].as_u64().unwrap();
        let expected =
            n as u64 - 2 - c["removed_current"].as_u64().unwrap() + c["inserted"].as_u64().unwrap();
        assert_eq!(len_after, expected);
    }
}

#[test]
fn range_text_puts_three_ranges_side_by_side() {
    let out = stdout_of(&["range", "--key", "string"]);
    let header = out
        .lines()
        .find(|l| l.trim_start().starts_with("pos"))
        .expect("column header");
    assert!(header.contains("range 1") && header.contains("range 2") && header.contains("range 3"));
    assert!(out.contains("same order: yes"), "{out}");
    assert!(
        out.contains("every range yields every entry exactly once: yes"),
        "{out}"
    );
    assert!(out.contains("not reached yet"), "{out}");
    assert!(out.contains("were not yielded (2): yes"), "{out}");
    gomap().args(["range", "--n", "0"]).assert().failure();
    gomap()
        .args(["range", "--key", "u8", "--n", "250"])
        .assert()
        .failure();
}

// ---------------------------------------------------------------------------
// Pictures and texts that must not mislead (issue 13, item 7).
// ---------------------------------------------------------------------------

fn attr(n: &roxmltree::Node<'_, '_>, a: &str) -> f64 {
    n.attribute(a).unwrap().parse().unwrap()
}

#[test]
fn render_svg_labels_stay_in_their_place() {
    // A long type name (big = [u8; 200]) and a wide old column (overflow chains).
    for key in ["big", "pair", "string"] {
        let svg = stdout_of(&["render", "--n", "60", "--key", key, "--mid-growth"]);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let group = |class: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
                .unwrap()
        };
        // The header title fits its box: at 13 px bold, a character is about 0.6 em wide.
        let header = group("header");
        let rect = header
            .descendants()
            .find(|n| n.has_tag_name("rect"))
            .unwrap();
        let title = header
            .descendants()
            .find(|n| n.has_tag_name("text"))
            .unwrap();
        let chars = title.text().unwrap().chars().count() as f64;
        assert!(
            attr(&rect, "width") >= chars * 13.0 * 0.6 + 10.0,
            "{key}: title wider than its box"
        );
        // The legend starts right of the header box.
        let legend = group("legend");
        let lx = legend
            .descendants()
            .filter(|n| n.has_attribute("x"))
            .map(|n| attr(&n, "x"))
            .fold(f64::MAX, f64::min);
        assert!(
            lx >= attr(&rect, "x") + attr(&rect, "width"),
            "{key}: legend overlaps the header"
        );
        // The nevacuate label ends before the current array begins.
        let label = doc
            .descendants()
            .find(|n| n.has_tag_name("text") && n.text() == Some("all buckets above are moved"))
            .unwrap();
        let label_end = attr(&label, "x") + 27.0 * 10.0 * 0.6;
        let current = doc
            .descendants()
            .find(|n| n.has_tag_name("g") && n.attribute("data-array") == Some("current"))
            .unwrap();
        let cur_x = current
            .descendants()
            .filter(|n| n.has_attribute("x"))
            .map(|n| attr(&n, "x"))
            .fold(f64::MAX, f64::min);
        assert!(
            label_end < cur_x,
            "{key}: nevacuate label ({label_end}) runs into the new array ({cur_x})"
        );
    }
}

#[test]
fn texts_say_what_they_show() {
    // Entries, not buckets, are counted in overflow buckets.
    let out = stdout_of(&["layout", "--key", "u64", "--value", "u64"]);
    assert!(out.contains("entries in overflow buckets)"), "{out}");
    // trace's help: when same-size growth happens, with values that show one.
    let help = stdout_of(&["trace", "--help"]);
    assert!(
        help.contains("2^min(B, 15)") && help.contains("--n 832 --churn 100000"),
        "{help}"
    );
    let j = json_of(&[
        "trace", "--n", "832", "--churn", "100000", "--format", "json",
    ]);
    assert!(j["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "same-size"));
    for args in [
        &["--help"][..],
        &["trace", "--help"][..],
        &["tour", "--help"][..],
    ] {
        let t = stdout_of(args);
        assert!(
            !t.contains("gctrace"),
            "gctrace traces GC cycles, not map growth: {t}"
        );
    }
    // Dot output has a legend like the SVG and Mermaid.
    let dot = stdout_of(&["render", "--n", "30", "--format", "dot"]);
    assert!(dot.contains("legend [label=<"), "{dot}");
}

#[test]
fn layout_puts_gos_hmap_beside_the_live_header() {
    let j = json_of(&[
        "layout", "--key", "u64", "--value", "u64", "--format", "json",
    ]);
    let rows = j["header"].as_array().unwrap();
    let go: Vec<(&str, u64, u64)> = rows
        .iter()
        .filter(|r| !r["go_offset"].is_null())
        .map(|r| {
            (
                r["field"].as_str().unwrap(),
                r["go_offset"].as_u64().unwrap(),
                r["go_size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        go,
        [
            ("count", 0, 8),
            ("flags", 8, 1),
            ("B", 9, 1),
            ("noverflow", 10, 2),
            ("hash0", 12, 4),
            ("buckets", 16, 8),
            ("oldbuckets", 24, 8),
            ("nevacuate", 32, 8),
            ("extra", 40, 8)
        ]
    );
    // GoMap's side is the compiled type's, read live, whatever it is today.
    let live = gomap::GoMap::<u64, u64>::header_fields();
    for f in &live {
        let row = rows.iter().find(|r| r["field"] == f.name).unwrap();
        assert_eq!(
            row["offset"].as_u64().unwrap() as usize,
            f.offset,
            "{}",
            f.name
        );
        assert_eq!(row["size"].as_u64().unwrap() as usize, f.size, "{}", f.name);
    }
    assert_eq!(
        j["header_size"].as_u64().unwrap() as usize,
        std::mem::size_of::<gomap::GoMap<u64, u64>>()
    );
    let text = stdout_of(&["layout", "--key", "u64", "--value", "u64"]);
    assert!(
        text.contains("Go's hmap 48 bytes") && text.contains("unsafe.Sizeof(m) == 8"),
        "{text}"
    );
    assert!(text.contains("hashWriting 4 is never set"), "{text}");
    let md = stdout_of(&[
        "layout", "--key", "u64", "--value", "u64", "--format", "markdown",
    ]);
    assert!(md.contains("| hash0 | 12 | 4 | uint32 |"), "{md}");
}
