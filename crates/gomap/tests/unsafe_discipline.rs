//! The unsafe core's discipline, checked on the source (issue 10, item 5):
//! every `unsafe fn` in `src/raw/` has a `# Safety` section, and `Bucket`'s
//! accessors that index raw memory are `unsafe fn` (a safe function guarded
//! only by `debug_assert` would let safe code in the crate read out of
//! bounds in release builds).

use std::fs;
use std::path::Path;

fn raw_sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/raw");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("src/raw")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("readable"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "found the raw/ sources");
    files
}

#[test]
fn every_unsafe_fn_in_raw_has_a_safety_section() {
    let mut missing = Vec::new();
    for (name, text) in raw_sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            if !line.contains("unsafe fn ") || line.trim_start().starts_with("//") {
                continue;
            }
            // Trait impls (`unsafe impl GlobalAlloc` in tests) document
            // their contract on the trait; only our own items here.
            let doc: Vec<&str> = lines[..n]
                .iter()
                .rev()
                .take_while(|l| {
                    let t = l.trim_start();
                    t.starts_with("///") || t.starts_with("#[")
                })
                .copied()
                .collect();
            if !doc.iter().any(|l| l.trim_start() == "/// # Safety") {
                missing.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "unsafe fn without `# Safety`:\n{}",
        missing.join("\n")
    );
}

#[test]
fn bucket_accessors_that_take_a_slot_index_are_unsafe() {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/raw/bucket.rs"))
        .expect("bucket.rs");
    for name in [
        "top",
        "set_top",
        "key_slot",
        "value_slot",
        "key",
        "value",
        "write",
        "take",
        "move_to",
        "drop_entry",
        "set_overflow",
    ] {
        let safe = format!("pub(crate) fn {name}(");
        let r#unsafe = format!("pub(crate) unsafe fn {name}(");
        assert!(!text.contains(&safe), "Bucket::{name} must be an unsafe fn");
        assert!(text.contains(&r#unsafe), "Bucket::{name} not found");
    }
}
