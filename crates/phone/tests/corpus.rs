//! The oracle corpus, tests/data/phone_normalization.tsv: phone inputs as people store them in
//! 25 default regions, each with the E.164 number (or "invalid") that Google's libphonenumber,
//! through its Python port, gives under the rule `to_e164` follows. tools/generate_corpus.py
//! writes it.

use privacykit_phone::{parse_region, to_e164};

const CORPUS: &str = include_str!("data/phone_normalization.tsv");

#[test]
fn agrees_with_libphonenumber_on_the_corpus() {
    // Deliberate differences from libphonenumber, as (region, input, our result, why).
    // None today: the list stays so that any future one is written down with its reason.
    const DELIBERATE_DIFFERENCES: &[(&str, &str, &str, &str)] = &[];

    let mut cases = 0;
    let mut disagreements = Vec::new();
    for line in CORPUS.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [default_region, raw, expected, note] = fields[..] else {
            panic!("a corpus line without four fields: {line:?}");
        };
        cases += 1;
        let expected = DELIBERATE_DIFFERENCES
            .iter()
            .find(|(r, input, _, _)| *r == default_region && *input == raw)
            .map_or(expected, |(_, _, ours, _)| ours);
        let region = parse_region(default_region).expect("corpus regions have metadata");
        let got = to_e164(raw, region).unwrap_or_else(|| "invalid".to_owned());
        if got != expected {
            disagreements.push(format!(
                "{default_region} {raw:?}: expected {expected}, got {got} ({note})"
            ));
        }
    }
    assert!(cases >= 500, "the corpus shrank to {cases} cases");
    assert!(
        disagreements.is_empty(),
        "{} of {cases} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
