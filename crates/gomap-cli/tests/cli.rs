//! End-to-end tests of the `gomap` command: real content, not just exit codes.

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

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

fn overload(count: u64, b: u32) -> bool {
    count > 8 && count > 13 * ((1u64 << b) / 2)
}

#[test]
fn layout_u64_u64_matches_go() {
    let j = json_of(&[
        "layout", "--key", "u64", "--value", "u64", "--format", "json",
    ]);
    let l = &j["layout"];
    assert_eq!(l["bucket_size"], 144);
    assert_eq!(l["tophash_offset"], 0);
    assert_eq!(l["keys_offset"], 8);
    assert_eq!(l["values_offset"], 72);
    assert_eq!(l["overflow_offset"], 136);
    assert_eq!(l["padding"], 0);
    assert_eq!(j["live_check"]["passed"], true);
    assert!(j["live_check"]["entries"].as_u64().unwrap() >= 100);
    let fields: Vec<&str> = j["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["tophash", "keys", "values", "overflow"]);

    let table = stdout_of(&["layout", "--key", "u64", "--value", "u64"]);
    assert!(table.contains("is 144 bytes"), "{table}");
    assert!(table.contains("live check passed"), "{table}");
    for row in [
        "     0      8  tophash",
        "     8     64  keys",
        "    72     64  values",
        "   136      8  overflow",
    ] {
        assert!(table.contains(row), "missing {row:?} in\n{table}");
    }
}

#[test]
fn layout_shows_padding_and_indirection() {
    let j = json_of(&[
        "layout", "--key", "u128", "--value", "u8", "--format", "json",
    ]);
    assert_eq!(j["layout"]["keys_offset"], 16);
    assert_eq!(j["layout"]["padding"], 8);
    assert_eq!(j["regions"][1]["field"], "padding");
    assert_eq!(j["live_check"]["passed"], true);
    let j = json_of(&[
        "layout", "--key", "big", "--value", "string", "--format", "json",
    ]);
    assert_eq!(j["layout"]["indirect_key"], true);
    assert_eq!(j["layout"]["key_slot_size"], 8);
    assert_eq!(j["live_check"]["passed"], true);
    let md = stdout_of(&[
        "layout", "--key", "pair", "--value", "u64", "--format", "markdown",
    ]);
    assert!(md.contains("| offset | size | field | contents |"));
    assert!(md.contains("| 8 | 128 | keys |"), "{md}");
}

#[test]
fn every_menu_type_passes_the_live_check() {
    for k in [
        "u8", "u16", "u32", "u64", "u128", "i64", "string", "pair", "big",
    ] {
        let j = json_of(&["layout", "--key", k, "--value", "u64", "--format", "json"]);
        assert_eq!(
            j["live_check"]["passed"], true,
            "key {k}: {}",
            j["live_check"]
        );
        let j = json_of(&["layout", "--key", "u64", "--value", k, "--format", "json"]);
        assert_eq!(
            j["live_check"]["passed"], true,
            "value {k}: {}",
            j["live_check"]
        );
    }
}

#[test]
fn trace_follows_gos_growth_schedule() {
    let j = json_of(&["trace", "--n", "1000", "--format", "json"]);
    let events = j["events"].as_array().unwrap();
    let got: Vec<(u64, u64, u64)> = events
        .iter()
        .map(|e| {
            (
                e["b_old"].as_u64().unwrap(),
                e["b_new"].as_u64().unwrap(),
                e["len"].as_u64().unwrap(),
            )
        })
        .collect();
    // Go: growth starts on inserting count + 1 where overLoadFactor(count + 1, B).
    let mut expected = Vec::new();
    let mut b = 0u32;
    for count in 0..1000u64 {
        if overload(count + 1, b) {
            expected.push((b as u64, b as u64 + 1, count + 1));
            b += 1;
        }
    }
    assert_eq!(
        expected.iter().map(|e| e.2).collect::<Vec<_>>(),
        [9, 14, 27, 53, 105, 209, 417, 833]
    );
    assert_eq!(got, expected);
    for e in events {
        assert_eq!(e["kind"], "doubling");
        assert_ne!(e["buckets"], e["oldbuckets"]);
        let f = &e["finished"];
        assert!(f["writes"].as_u64().unwrap() >= 1, "{e}");
        // Each write evacuates at most 2 old buckets.
        let old = 1u64 << e["b_old"].as_u64().unwrap();
        assert!(f["writes"].as_u64().unwrap() >= old.div_ceil(2), "{e}");
    }
    assert_eq!(j["first_alloc"]["at_write"], 1);
    assert_eq!(j["final"]["len"], 1000);
    assert_eq!(j["final"]["b"], 8);
}

#[test]
fn trace_text_has_one_line_per_growth() {
    let out = stdout_of(&["trace", "--n", "1000"]);
    let grows: Vec<&str> = out.lines().filter(|l| l.starts_with("grow ")).collect();
    assert_eq!(grows.len(), 8, "{out}");
    assert!(
        grows[0].contains("len 9 ") && grows[0].contains("B  0 -> 1"),
        "{}",
        grows[0]
    );
    assert!(grows.iter().all(|l| l.contains("old array freed")));
    assert!(out.lines().any(|l| l.starts_with("alloc ")));
    assert!(out
        .lines()
        .last()
        .unwrap()
        .starts_with("done: 1000 writes, len 1000, B 8"));
}

#[test]
fn trace_with_hint_skips_early_growth() {
    let j = json_of(&["trace", "--n", "1000", "--hint", "1000", "--format", "json"]);
    assert_eq!(j["events"].as_array().unwrap().len(), 0);
    assert_eq!(j["final"]["b"], 8);
    assert!(j["first_alloc"].is_null());
}

#[test]
fn churn_causes_same_size_growth() {
    // 832 entries fill B = 7 to the load factor (6.5 a bucket), so churn soon
    // needs overflow buckets.
    let j = json_of(&[
        "trace", "--n", "832", "--churn", "100000", "--format", "json",
    ]);
    let same: Vec<&Value> = j["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "same-size")
        .collect();
    assert!(!same.is_empty(), "no same-size growth: {}", j["events"]);
    for e in same {
        assert_eq!(e["b_old"], e["b_new"]);
        // Triggered by tooManyOverflowBuckets: noverflow >= 2^min(B, 15).
        let b = e["b_old"].as_u64().unwrap().min(15);
        assert!(e["noverflow_before"].as_u64().unwrap() >= 1 << b, "{e}");
    }
    assert_eq!(j["final"]["len"], 832);
}

fn svg_doc(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).expect("SVG parses as XML")
}

#[test]
fn render_svg_draws_every_bucket_of_a_small_map() {
    let text = stdout_of(&["render", "--n", "20", "--format", "svg"]);
    let doc = svg_doc(&text);
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let buckets: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("bucket"))
        .collect();
    // 20 entries: B = 2, 4 head buckets, plus however many overflow buckets
    // the headline reports.
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap()
        .to_string();
    assert!(title.contains("20 entries, B = 2 (4 buckets"), "{title}");
    let overflow: usize = title
        .split(" overflow bucket")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("overflow count in the headline");
    let growing = title.contains("in progress");
    let old = if growing {
        buckets
            .iter()
            .filter(|b| b.attribute("data-array") == Some("old"))
            .count()
    } else {
        0
    };
    assert_eq!(buckets.len() - old, 4 + overflow, "{title}");
    let heads = buckets
        .iter()
        .filter(|b| {
            b.attribute("data-array") == Some("current") && b.attribute("data-depth") == Some("0")
        })
        .count();
    assert_eq!(heads, 4);
    // Every bucket has 8 slots with a state.
    for b in &buckets {
        let slots = b
            .children()
            .filter(|c| c.attribute("class") == Some("slot"))
            .count();
        assert_eq!(slots, 8);
    }
    let full = doc
        .descendants()
        .filter(|n| n.attribute("data-state") == Some("full"))
        .count();
    assert_eq!(full, 20);
}

#[test]
fn render_mid_growth_shows_the_old_array_and_frontier() {
    let text = stdout_of(&["render", "--n", "50", "--mid-growth"]);
    let doc = svg_doc(&text);
    let old = doc
        .descendants()
        .filter(|n| {
            n.attribute("class") == Some("bucket") && n.attribute("data-array") == Some("old")
        })
        .count();
    assert!(old >= 8, "old array not drawn");
    assert!(text.contains("nevacuate = "));
    assert!(text.contains("doubling in progress"));
}

#[test]
fn render_large_map_is_a_heat_map() {
    let text = stdout_of(&["render", "--n", "20000"]);
    let doc = svg_doc(&text);
    assert_eq!(
        doc.descendants()
            .filter(|n| n.attribute("class") == Some("bucket"))
            .count(),
        0
    );
    let cells = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("cell"))
        .count();
    assert_eq!(
        cells, 4096,
        "B = 12 for 20000 entries: one square per bucket"
    );
    assert!(text.contains("chains by length"));
}

#[test]
fn render_mermaid_and_dot_are_well_formed() {
    let m = stdout_of(&["render", "--n", "30", "--format", "mermaid"]);
    assert!(m.starts_with("flowchart LR\n"), "{m}");
    assert_eq!(
        m.matches("\n    subgraph ").count(),
        m.matches("\n    end\n").count()
    );
    for line in m.lines().skip(1) {
        let t = line.trim();
        // Labels are quoted and contain no raw quotes or angle brackets besides <br/>.
        if let Some(start) = t.find("[\"") {
            let label = &t[start + 2..t.rfind("\"]").expect("closed label")];
            assert!(!label.contains('"'), "{line}");
            assert!(!label.replace("<br/>", "").contains('<'), "{line}");
        }
    }
    assert!(m.contains("header -->|buckets| cur"));
    let m = stdout_of(&["render", "--n", "20000", "--format", "mermaid"]);
    assert!(m.starts_with("flowchart LR\n") && m.contains("cursummary"));

    let d = stdout_of(&["render", "--n", "30", "--format", "dot"]);
    assert!(d.starts_with("digraph gomap {"));
    assert_eq!(d.matches('{').count(), d.matches('}').count());
    assert!(d.contains("header:buckets -> cur_0_0"));
}

#[test]
fn render_writes_files_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.svg");
    gomap()
        .args(["render", "--n", "10", "-o"])
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote"));
    svg_doc(&std::fs::read_to_string(&p).unwrap());
    // A path under a regular file cannot be written: error, nothing left behind.
    let bad = p.join("x.svg");
    gomap()
        .args(["render", "--n", "10", "-o"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("gomap: error: cannot write"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["s.svg"]);
}

#[test]
fn bench_reports_both_contenders_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("lat.svg");
    let out = gomap()
        .args(["bench", "--n", "30000", "--format", "json", "--plot"])
        .arg(&plot)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j: Value = serde_json::from_slice(&out).unwrap();
    let c = j["contenders"].as_array().unwrap();
    let names: Vec<&str> = c.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gomap", "std HashMap"]);
    for r in c {
        assert_eq!(r["n"], 30000);
        let i = &r["insert"];
        assert!(i["p50_ns"].as_u64().unwrap() <= i["p99_ns"].as_u64().unwrap());
        assert!(i["p99_ns"].as_u64().unwrap() <= i["p99_9_ns"].as_u64().unwrap());
        assert!(i["p99_99_ns"].as_u64().unwrap() <= i["max_ns"].as_u64().unwrap());
        assert!(i["max_at"].as_u64().unwrap() < 30000);
        for t in ["lookup_hit", "lookup_miss", "iterate", "remove"] {
            assert_eq!(r[t]["ops"], 30000, "{t}");
        }
    }
    let svg = std::fs::read_to_string(&plot).unwrap();
    svg_doc(&svg);
    assert!(svg.contains("gomap") && svg.contains("std HashMap"));

    let text = stdout_of(&["bench", "--n", "5000", "--key", "string"]);
    assert!(
        text.contains("insert p99.99") && text.contains("lookup miss"),
        "{text}"
    );
}

#[test]
fn tour_writes_four_pictures_and_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("pics");
    let text = String::from_utf8(
        gomap()
            .args(["tour", "--latency-n", "20000", "--out"])
            .arg(&out_dir)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    for section in [
        "1. The map value is the header",
        "2. A bucket",
        "3. Where things live",
        "4. Allocation",
        "5. with_capacity(hint)",
        "6. Growth trace to 100 000 entries",
        "7. Heap bytes over growth",
        "8. The GC marking chain",
        "9. Iteration",
        "10. Common misconceptions",
        "11. Pictures",
    ] {
        assert!(text.contains(section), "missing {section:?}");
    }
    assert!(
        text.contains("GoMap::<u64, u64>::new()   0 allocations, 0 bytes"),
        "{text}"
    );
    assert!(text.contains("is 144 bytes"));
    for name in ["structure.svg", "walk.svg", "growth.svg", "latency.svg"] {
        let p = out_dir.join(name);
        assert!(
            text.contains(&p.display().to_string()),
            "path of {name} not printed"
        );
        svg_doc(&std::fs::read_to_string(&p).unwrap());
    }
    // Nothing but the four pictures.
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 4);
    // Every misconception is checked live, and none fails.
    assert!(!text.contains("NOT as stated"), "{text}");
    assert!(text.contains("the 9th grows it, checked"), "{text}");
    assert!(text.contains("hashWriting 4"), "{text}");
    assert!(text.contains("no entry was yielded twice: yes"), "{text}");
    assert!(
        !text.contains("like GODEBUG=gctrace=1"),
        "gctrace traces GC cycles, not maps"
    );
    assert!(!Path::new(&out_dir).join(".structure.svg.tmp").exists());
}

#[test]
fn bad_input_fails_with_one_line() {
    let cases: &[&[&str]] = &[
        &["layout", "--key", "float", "--value", "u64"],
        &["layout", "--key", "u64"],
        &["trace", "--n", "0"],
        &["trace", "--n", "-5"],
        &["trace", "--n", "100000000000000"],
        &["trace", "--key", "u8", "--n", "1000"],
        &["trace", "--hint", "100000000000000"],
        &["render", "--n", "0"],
        &["render", "--format", "png"],
        &["render", "--n", "100000000000"],
        &["render", "-o", "/nonexistent-dir/x.svg"],
        &["bench", "--n", "0"],
        &["bench", "--n", "100000000000000"],
        &["bench", "--key", "u8"],
        &["bench", "--n", "1000", "--plot", "/nonexistent-dir/x.svg"],
        &["tour", "--out", "/proc/gomap-cannot-create"],
        &["frobnicate"],
    ];
    for args in cases {
        let out = gomap().args(*args).assert().failure().get_output().clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("gomap: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn help_on_every_subcommand() {
    for sub in ["tour", "layout", "trace", "render", "bench"] {
        gomap()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: gomap"));
    }
    gomap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("tour"));
}
