//! Replays the discovery fuzz targets' corpora (`fuzz/corpus/discovery_wire` and
//! `fuzz/corpus/discovery_filter` at the workspace root: seeds, and every input a campaign
//! kept, crashes among them) through the entry points the targets call, on stable Rust: no
//! input may panic. docs/security.md says how to fuzz.

use std::path::{Path, PathBuf};

use privacykit_discovery_protocol::fuzzing::{filter_message, wire_messages};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    assert!(inputs.len() >= 5, "the corpus is in {}", dir.display());
    inputs
}

#[test]
fn the_wire_corpus_decodes_or_is_refused() {
    let mut decoded = 0;
    for (_, bytes) in corpus("discovery_wire") {
        decoded += wire_messages(&bytes).iter().filter(|r| r.is_ok()).count();
    }
    assert!(decoded > 0, "the seeds include well-formed messages");
}

#[test]
fn the_filter_corpus_decodes_or_is_refused() {
    let mut decoded = 0;
    for (_, bytes) in corpus("discovery_filter") {
        decoded += usize::from(filter_message(&bytes).is_ok());
    }
    assert!(decoded > 0, "the seeds include well-formed filters");
}
