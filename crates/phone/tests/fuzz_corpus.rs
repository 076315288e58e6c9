//! Replays the phone fuzz target's corpus (`fuzz/corpus/phone` at the workspace root: seeds,
//! and every input a campaign kept, crashes among them) through the entry point the target
//! calls, on stable Rust: every input is an E.164 number or none, never a panic.
//! docs/security.md says how to fuzz.

use std::path::Path;

use privacykit_phone::fuzzing::normalize;

#[test]
fn the_phone_corpus_normalizes_or_is_skipped() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/phone");
    let mut replayed = 0;
    let mut numbers = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        numbers += usize::from(normalize(&bytes).is_some());
        replayed += 1;
    }
    assert!(replayed >= 10, "the corpus is in {}", dir.display());
    assert!(numbers > 0, "the seeds include valid numbers");
}

/// The first fuzzing campaign's one finding: a German number of 14 national digits is valid
/// to libphonenumber, so its E.164 form has 16 digits, one more than ITU's limit. The fuzz
/// target had assumed 15; the normalizer is right to follow libphonenumber.
#[test]
fn a_german_number_of_fourteen_national_digits_is_kept_as_libphonenumber_keeps_it() {
    let input = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/phone/regression-de-16-digits"),
    )
    .unwrap();
    assert_eq!(normalize(&input).as_deref(), Some("+4935540144014566"));
}
