//! Replays the policy fuzz target's corpus (`fuzz/corpus/policy`, seeds and every input a
//! campaign found worth keeping, crashes among them) through the same entry point the target
//! calls, on stable Rust: each document is a policy or an `InvalidPolicy`, never a panic
//! (which `validate_policy` would report as `Internal`). docs/security.md says how to fuzz.

use std::path::Path;

use privacykit::{validate_policy, PrivacyError};

#[test]
fn the_policy_corpus_parses_or_is_refused_with_a_policy_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/policy");
    let mut replayed = 0;
    let mut valid = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        match validate_policy(text) {
            Ok(_) => valid += 1,
            Err(PrivacyError::InvalidPolicy { field, reason }) => {
                assert!(
                    !field.is_empty() && !reason.is_empty(),
                    "{}",
                    path.display()
                )
            }
            Err(other) => panic!("{}: {other:?}", path.display()),
        }
        replayed += 1;
    }
    assert!(replayed >= 10, "the corpus is in {}", dir.display());
    assert!(valid >= 5, "the seeds include the example policies");
}
