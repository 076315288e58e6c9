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
