//! The normalizer against `rlibphonenumber`, a port of Google's libphonenumber built on the
//! same metadata version, over tens of thousands of inputs: every example number of every
//! type of every region written the ways people write numbers, read in several default
//! regions, mutated, and random digit strings. Both must give the same E.164 number or both
//! must reject.

use rlibphonenumber::enums::Region as LibRegion;
use rlibphonenumber::{PhoneNumberFormat, PhoneNumberType, PHONE_NUMBER_UTIL};

use super::test_rng::SplitMix64;
use super::{parse_region, to_e164};

/// Where rlibphonenumber departs from Google's Java library, which this module follows: an
/// input of one of these shapes is compared with the Java behaviour asserted separately
/// (in `tests`), not with rlibphonenumber.
fn rlibphonenumber_departs_from_java(raw: &str) -> bool {
    // rlibphonenumber's punctuation lacks the full-width tilde that Java's (and Python's) has.
    raw.contains('\u{FF5E}')
}

const TYPES: [PhoneNumberType; 10] = [
    PhoneNumberType::FixedLine,
    PhoneNumberType::Mobile,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::SharedCost,
    PhoneNumberType::VoIP,
    PhoneNumberType::PersonalNumber,
    PhoneNumberType::Pager,
    PhoneNumberType::UAN,
    PhoneNumberType::VoiceMail,
];

const EXTENSIONS: [&str; 12] = [
    " ext. 12",
    " x123",
    ";ext=5",
    " доб. 7",
    ",,12",
    ", 4",
    " - 503#",
    " #77",
    " EXTN: 9",
    " ext 1234567890123456789012",
    " int 3",
    " x",
];

const NOISE: [&str; 10] = [
    " ", "-", ".", "(", ")", "/", "  ", "\u{00A0}", "\u{2011}", "*",
];

/// The reference's reading: E.164 of a valid number, or `None`.
fn reference(raw: &str, default_region: LibRegion) -> Option<String> {
    let number = PHONE_NUMBER_UTIL.parse(raw, Some(default_region)).ok()?;
    PHONE_NUMBER_UTIL.is_valid_number(&number).then(|| {
        PHONE_NUMBER_UTIL
            .format(&number, PhoneNumberFormat::E164)
            .into_owned()
    })
}

fn with_noise(rng: &mut SplitMix64, digits: &str) -> String {
    let mut out = String::new();
    for c in digits.chars() {
        if rng.below(4) == 0 {
            let noise: &&str = rng.pick(&NOISE);
            out.push_str(noise);
        }
        out.push(c);
    }
    out
}

fn mutated(rng: &mut SplitMix64, digits: &str) -> String {
    let mut chars: Vec<char> = digits.chars().collect();
    let at = rng.below(chars.len() as u32 + 1) as usize;
    match rng.below(3) {
        0 if at < chars.len() => {
            chars.remove(at);
        }
        1 => chars.insert(at, char::from(b'0' + rng.below(10) as u8)),
        _ if at < chars.len() => chars[at] = char::from(b'0' + rng.below(10) as u8),
        _ => {}
    }
    chars.into_iter().collect()
}

fn in_script(rng: &mut SplitMix64, text: &str) -> String {
    let zero = *rng.pick(&['0', '\u{FF10}', '\u{0660}', '\u{06F0}', '\u{0966}']);
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(u32::from(zero) + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

fn as_letters(rng: &mut SplitMix64, text: &str) -> String {
    const KEYS: [&str; 10] = [
        "", "", "ABC", "DEF", "GHI", "JKL", "MNO", "PQRS", "TUV", "WXYZ",
    ];
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if d >= 2 && rng.below(2) == 0 => {
                let letters = KEYS[d as usize].as_bytes();
                char::from(letters[rng.below(letters.len() as u32) as usize])
            }
            _ => c,
        })
        .collect()
}

fn inputs() -> Vec<(String, String)> {
    let mut rng = SplitMix64(0x005E_ED0F_D15C_0FE4);
    let mut regions: Vec<(String, LibRegion)> = PHONE_NUMBER_UTIL
        .get_supported_regions()
        .map(|r| (r.to_string(), r))
        .collect();
    regions.sort_by(|a, b| a.0.cmp(&b.0));
    let codes: Vec<&str> = regions.iter().map(|(code, _)| code.as_str()).collect();
    let common = ["US", "RU", "DE", "GB", "BR", "IN", "AR", "MX", "IT", "KZ"];
    let prefixes = [
        "", "+", "00", "011", "810", "8", "0", "+0", "++", "1", "tel:+", "＋", "000", "0110",
    ];

    let mut cases = Vec::new();
    for (home, lib_region) in &regions {
        for number_type in TYPES {
            let Ok(example) =
                PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(*lib_region, number_type)
            else {
                continue;
            };
            let e164 = PHONE_NUMBER_UTIL
                .format(&example, PhoneNumberFormat::E164)
                .into_owned();
            let national = PHONE_NUMBER_UTIL
                .format(&example, PhoneNumberFormat::National)
                .into_owned();
            let international = PHONE_NUMBER_UTIL
                .format(&example, PhoneNumberFormat::International)
                .into_owned();
            let digits = e164.trim_start_matches('+').to_owned();
            let national_digits: String = national.chars().filter(char::is_ascii_digit).collect();
            let spellings = [
                e164.clone(),
                international.clone(),
                national.clone(),
                national_digits.clone(),
                digits.clone(),
                format!("00{digits}"),
                format!("011 {digits}"),
                format!("810{digits}"),
                with_noise(&mut rng, &national_digits),
                format!("+{}", with_noise(&mut rng, &digits)),
                mutated(&mut rng, &national_digits),
                format!("+{}", mutated(&mut rng, &digits)),
                format!("{national}{}", *rng.pick(&EXTENSIONS)),
                format!("{international}{}", *rng.pick(&EXTENSIONS)),
                in_script(&mut rng, &national),
                in_script(&mut rng, &international),
                as_letters(&mut rng, &national),
                format!("tel:{e164};phone-context=+{}", &digits[..1]),
                format!("{national_digits};phone-context=example.com"),
                format!("Tel. {national} / x7"),
            ];
            for spelling in spellings {
                for default in [home.as_str(), *rng.pick(&common), *rng.pick(&codes)] {
                    cases.push((default.to_owned(), spelling.clone()));
                }
            }
        }
    }
    // Digit strings that are mostly not numbers, behind the prefixes people type.
    for _ in 0..20_000 {
        let length = 1 + rng.below(18);
        let body: String = (0..length)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let raw = format!("{}{}", rng.pick(&prefixes), with_noise(&mut rng, &body));
        let default = if rng.below(2) == 0 {
            *rng.pick(&common)
        } else {
            *rng.pick(&codes)
        };
        cases.push((default.to_owned(), raw));
    }
    cases
}

#[test]
fn agrees_with_rlibphonenumber_on_generated_inputs() {
    let cases = inputs();
    let mut compared = 0;
    let mut valid = 0;
    let mut disagreements = Vec::new();
    for (default, raw) in &cases {
        if rlibphonenumber_departs_from_java(raw) {
            continue;
        }
        let ours = to_e164(raw, parse_region(default).expect("a supported region"));
        let theirs = reference(raw, LibRegion::from_code(default).expect("a region"));
        compared += 1;
        valid += usize::from(theirs.is_some());
        if ours != theirs {
            disagreements.push(format!(
                "{default} {raw:?}: ours {ours:?}, rlibphonenumber {theirs:?}"
            ));
        }
    }
    assert!(compared > 50_000, "only {compared} inputs compared");
    assert!(
        valid > 10_000,
        "only {valid} valid numbers among the inputs"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {compared} disagree, first ones:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(40)].join("\n")
    );
}
