//! The checked-in seed corpora of the cargo-fuzz targets (`fuzz/corpus/`),
//! replayed through the targets' bodies without libFuzzer: every seed
//! decodes and passes, so the seeds run in every `cargo test` too.

use std::path::PathBuf;

use gomap_testkit::fuzz::Target;

fn corpus(target: Target) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target.name());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

fn replay_all(target: Target) {
    let files = corpus(target);
    assert!(!files.is_empty(), "no seeds for {}", target.name());
    for f in files {
        let data = std::fs::read(&f).expect("readable seed");
        let stats = target
            .replay(&data)
            .unwrap_or_else(|| panic!("{} does not decode", f.display()));
        assert!(stats.full_checks > 0, "{}: {stats:?}", f.display());
    }
}

#[test]
fn differential_seeds_pass() {
    replay_all(Target::Differential);
}

#[test]
fn adversarial_hash_seeds_pass() {
    replay_all(Target::AdversarialHash);
}

#[test]
fn target_names_round_trip() {
    for t in Target::ALL {
        assert_eq!(Target::from_name(t.name()), Some(t));
    }
    assert_eq!(Target::from_name("nope"), None);
}

#[test]
fn inline_seeds_pass() {
    replay_all(Target::Inline);
}
