//! The entry point for the fuzz target in `fuzz/` and for the test that replays its corpus on
//! stable Rust. It must never panic, whatever the bytes.

use crate::{parse_region, to_e164};

/// Default regions the fuzzer picks from with the first byte: large numbering plans, ones
/// with national prefixes and ones without, and a few with unusual lengths.
const REGIONS: [&str; 12] = [
    "US", "GB", "DE", "RU", "IN", "BR", "FR", "JP", "CN", "NG", "IT", "AR",
];

/// `to_e164` of the rest of `data` (as UTF-8, lossily) in the region the first byte picks.
/// What it answers is always an E.164 number: '+', then 15 digits at most.
pub fn normalize(data: &[u8]) -> Option<String> {
    let (first, rest) = data.split_first()?;
    let region = parse_region(REGIONS[usize::from(*first) % REGIONS.len()])
        .expect("every listed region is known");
    let text = String::from_utf8_lossy(rest);
    let e164 = to_e164(&text, region)?;
    assert!(e164.starts_with('+'), "{e164}");
    assert!(e164.len() >= 3 && e164.len() <= 16, "{e164}");
    assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{e164}");
    Some(e164)
}
