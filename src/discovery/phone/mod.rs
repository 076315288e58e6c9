//! Phone numbers as people store them, to E.164, by libphonenumber's rules and metadata.
//!
//! This is PrivacyKit's own implementation of the part of Google's libphonenumber that
//! discovery needs: `parse` with a default region, `isValidNumber`, and the E.164 format.
//! It reads libphonenumber's metadata (generated into `metadata_generated.rs` by
//! `tools/phone-metadata/generate.py`) with a small pattern matcher of its own, because both
//! Rust ports of the library run that metadata through a general regex engine, which costs
//! either ~10 ms of start-up or ~13 µs per number (docs/phone-normalization.md). The
//! behaviour is libphonenumber's: the oracle corpus and a differential test against the
//! `rlibphonenumber` port (a dev-dependency) hold it to that.

mod metadata;
mod metadata_generated;
mod parse;
mod pattern;
mod text;

use metadata::TerritoryId;

/// A region whose numbering plan reads national numbers: the default region of a parse.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Region(TerritoryId);

/// The region with this ISO 3166-1 alpha-2 code ("RU", "us"), if libphonenumber has a plan
/// for it. "UK" (the code is "GB"), "001" (non-geographic entities) and "XX" have none.
pub(crate) fn region(code: &str) -> Option<Region> {
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    metadata::region(&code.to_ascii_uppercase()).map(Region)
}

/// The E.164 form ("+79123456789") of a number as typed, read in `default_region` when it has
/// no calling code, or `None` unless libphonenumber would parse it to a *valid* number.
/// An extension is dropped: E.164 has none.
pub(crate) fn to_e164(raw: &str, default_region: Region) -> Option<String> {
    let number = parse::parse(raw, default_region.0)?;
    if !parse::is_valid(&number) {
        return None;
    }
    Some(format!(
        "+{}{}",
        number.country_code, number.national_number
    ))
}

/// For benches/normalize.rs, through `normalize_bench`.
pub(crate) mod bench {
    /// See `normalize_bench::compile_region_patterns`.
    pub(crate) fn compile_region_patterns(code: &str) -> usize {
        let territory = super::metadata::region(code).expect("a region with metadata");
        super::metadata::compile_uncached(territory).count()
    }
}

#[cfg(test)]
mod differential_tests;

/// Reproducible randomness for the differential tests (SplitMix64).
#[cfg(test)]
pub(super) mod test_rng {
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
        to_e164(raw, region(default_region).expect("a region"))
    }

    /// Where libphonenumber's ports depart from its Java original, we follow Java
    /// (docs/phone-normalization.md has the table).
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
        assert!(region("ru").is_some() && region("RU").is_some());
        for code in ["UK", "001", "XX", "R", "RUS", "", "Р У"] {
            assert!(region(code).is_none(), "{code:?}");
        }
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
