//! The entry point for the fuzz target in `fuzz/` and for the test that replays its corpus on
//! stable Rust. It must never panic, whatever the bytes.

use crate::{parse_region, to_e164};

/// Default regions the fuzzer picks from with the first byte: large numbering plans, ones
/// with national prefixes and ones without, and a few with unusual lengths.
const REGIONS: [&str; 12] = [
    "US", "GB", "DE", "RU", "IN", "BR", "FR", "JP", "CN", "NG", "IT", "AR",
];

/// `to_e164` of the rest of `data` (as UTF-8, lossily) in the region the first byte picks.
/// What it answers is always '+' and digits: a country code of 1 to 3 digits and a national
/// number of at most 17 (libphonenumber's longest). Not ITU's 15 digits: libphonenumber's
/// metadata lets a German number have 14 national digits, and this normalizer follows it (the
/// first campaign found that; `fuzz/corpus/phone/regression-de-16-digits` keeps the input).
pub fn normalize(data: &[u8]) -> Option<String> {
    let (first, rest) = data.split_first()?;
    let region = parse_region(REGIONS[usize::from(*first) % REGIONS.len()])
        .expect("every listed region is known");
    let text = String::from_utf8_lossy(rest);
    let e164 = to_e164(&text, region)?;
    assert!(e164.starts_with('+'), "{e164}");
    assert!(e164.len() >= 3 && e164.len() <= 1 + 3 + 17, "{e164}");
    assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
    Some(e164)
}
