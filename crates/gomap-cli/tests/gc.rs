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
    let out = gomap().args(args).assert().success().get_output().stdout.clone();
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
    assert!(meta.file_type().is_symlink(), "the link was replaced by a file");
    let svg = std::fs::read_to_string(&target).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg:.80}");
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
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("made.dot")).unwrap().contains("digraph"));
}

#[cfg(unix)]
#[test]
fn output_to_a_fifo_writes_through_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
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
    assert!(got.starts_with("flowchart") || got.contains("flowchart"), "{got:.80}");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced by a regular file");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");

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
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
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
