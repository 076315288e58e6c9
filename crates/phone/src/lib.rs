#![doc = include_str!("../README.md")]

mod metadata;
mod metadata_generated;
mod parse;
mod pattern;
mod text;

use std::fmt;

use metadata::TerritoryId;

#[doc(hidden)]
pub mod fuzzing;

/// A region whose numbering plan reads national numbers: the default region of a parse.
/// Made by [`parse_region`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(TerritoryId);

impl Region {
    /// Its ISO 3166-1 alpha-2 code, upper case ("RU").
    pub fn code(self) -> &'static str {
        std::str::from_utf8(&self.0.plan().region).expect("region codes are ASCII letters")
    }
}

/// Shows the code: `Region("RU")`.
impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Region").field(&self.code()).finish()
    }
}

/// The region with this ISO 3166-1 alpha-2 code ("RU", "us"; any case), if libphonenumber has
/// a plan for it. "UK" (the code is "GB"), "001" (non-geographic entities) and "XX" have none.
pub fn parse_region(code: &str) -> Option<Region> {
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    metadata::region(&code.to_ascii_uppercase()).map(Region)
}

/// The E.164 form ("+79123456789") of a number as typed, read in `default_region` when it has
/// no calling code, or `None` unless libphonenumber would parse it to a *valid* number.
/// An extension is dropped: E.164 has none.
pub fn to_e164(raw: &str, default_region: Region) -> Option<String> {
    let number = parse::parse(raw, default_region.0)?;
    if !parse::is_valid(&number) {
        return None;
    }
    Some(format!(
        "+{}{}",
        number.country_code, number.national_number
    ))
}

#[cfg(test)]
mod differential_tests;

/// Reproducible randomness for the differential tests (SplitMix64).
#[cfg(test)]
mod test_rng {
    pub(crate) struct SplitMix64(pub(crate) u64);

    impl SplitMix64 {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform enough below `bound` (not zero).
        pub(crate) fn below(&mut self, bound: u32) -> u32 {
            (self.next() % u64::from(bound)) as u32
        }

        /// True with `chance` percent probability.
        pub(crate) fn percent(&mut self, chance: u32) -> bool {
            self.below(100) < chance
        }

        pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u32) as usize]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, default_region: &str) -> Option<String> {
        to_e164(raw, parse_region(default_region).expect("a region"))
    }

    /// Where libphonenumber's ports depart from its Java original, we follow Java (the
    /// README has the table).
    #[test]
    fn follows_java_where_the_ports_differ() {
        let number = Some("+79123456789".to_owned());
        // The full-width tilde is punctuation (rlibphonenumber: not a number).
        assert_eq!(e164("8\u{FF5E}912 345-67-89", "RU"), number);
        // The first second-number marker cuts (rlibphonenumber cuts at the last, and then
        // rejects the number).
        assert_eq!(e164("+7 912 345 67 89 /x1 /x2", "RU"), number);
    }

    #[test]
    fn letters_and_symbols_that_are_not_digits_make_no_number() {
        // A trailing name is kept (letters are not trimmed), and only ASCII letters may
        // follow the digits, so this is not a number.
        assert_eq!(e164("+7 912 345 67 89 Иван", "RU"), None);
        assert_eq!(
            e164("+7 912 345 67 89 Ivan", "RU"),
            None,
            "too few letters to be vanity"
        );
        // Superscripts are numbers but not decimal digits.
        assert_eq!(e164("+7 912 345 67 8²", "RU"), None);
    }

    #[test]
    fn regions_are_two_letters_with_a_plan() {
        assert!(parse_region("ru").is_some() && parse_region("RU").is_some());
        assert_eq!(parse_region("ru"), parse_region("RU"));
        assert_ne!(parse_region("gb"), parse_region("RU"));
        for code in ["UK", "001", "XX", "R", "RUS", "", "Р У"] {
            assert!(parse_region(code).is_none(), "{code:?}");
        }
    }

    #[test]
    fn regions_show_their_code() {
        let russia = parse_region("rU").expect("Russia");
        assert_eq!(russia.code(), "RU");
        assert_eq!(format!("{russia:?}"), "Region(\"RU\")");
    }

    #[test]
    fn numbers_of_non_geographic_entities_are_read() {
        // +800: International Freephone, a calling code without a region.
        assert_eq!(
            e164("+800 1234 5678", "US").as_deref(),
            Some("+80012345678")
        );
        assert_eq!(
            e164("00 800 1234 5678", "DE").as_deref(),
            Some("+80012345678")
        );
    }
}
