//! The CLI's `InlineGoMap` parts: the tour's "map that does not escape"
//! section and `bench --tiny`.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn stdout_of(args: &[&str]) -> String {
    let out = cargo_bin_cmd!("gomap")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8 output")
}

#[test]
fn tour_shows_a_map_that_does_not_escape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pics");
    let text = stdout_of(&[
        "tour",
        "--latency-n",
        "20000",
        "--out",
        out.to_str().unwrap(),
    ]);
    let at = text
        .find("12. A map that does not escape: InlineGoMap")
        .expect("section present");
    let s = &text[at..];
    assert!(s.contains("does\n  not escape"), "{s}");
    assert!(
        s.contains("new() and 8 inserts          0 allocations, 0 bytes; stats(): heap_bytes 0, B 0, buckets 1"),
        "{s}"
    );
    assert!(
        s.contains("inside the value") && !s.contains("NOT inside"),
        "{s}"
    );
    assert!(
        s.contains("9th insert                    1 allocation(s), 288 bytes: Go's hashGrow from B = 0 to B = 1"),
        "{s}"
    );
    assert!(s.contains("growing = false, is_inline = false"), "{s}");
    assert!(
        s.contains("shrink_to_fit(): is_inline = true, heap_bytes = 0"),
        "{s}"
    );
    assert!(s.contains("is_inline = true, 0 allocations"), "{s}");
}

#[test]
fn bench_tiny_reports_every_contender() {
    let j: Value = serde_json::from_str(&stdout_of(&[
        "bench", "--tiny", "--n", "2000", "--format", "json",
    ]))
    .expect("JSON");
    assert_eq!(j["mode"], "tiny");
    assert_eq!(j["rounds"], 2000);
    let rows = j["results"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for key in ["u64", "&str"] {
        for map in ["InlineGoMap", "std HashMap", "GoMap"] {
            let r = rows
                .iter()
                .find(|r| r["key"] == key && r["map"] == map)
                .unwrap_or_else(|| panic!("{key} {map} missing"));
            assert!(r["ns_per_round"].as_f64().unwrap() > 0.0);
        }
    }
    let text = stdout_of(&["bench", "--tiny", "--n", "1000"]);
    assert!(text.contains("InlineGoMap / std"), "{text}");
}

#[test]
fn bench_tiny_rejects_bad_input() {
    for args in [
        &["bench", "--tiny", "--plot", "x.svg"][..],
        &["bench", "--tiny", "--n", "2"][..],
    ] {
        let out = cargo_bin_cmd!("gomap").args(args).assert().failure();
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.starts_with("gomap: error: --"), "{err}");
    }
}
