//! libphonenumber's numbering plans, as the generated tables in `metadata_generated.rs` hold
//! them, and their patterns compiled on first use.
//!
//! The tables are plain statics, so nothing is decoded at start-up; a territory's patterns are
//! compiled the first time a number is read against it (tens of microseconds, once per
//! territory and process).

use std::sync::OnceLock;

use super::metadata_generated::{
    CALLING_CODES, CALLING_CODE_TERRITORIES, REGION_COUNT, STRINGS, TERRITORIES,
};
use super::pattern::Pattern;

/// What libphonenumber calls a region's metadata: one numbering plan.
pub(super) struct Territory {
    /// ISO 3166-1 alpha-2 code; "00" for a non-geographic entity such as +800 (libphonenumber's
    /// "001").
    pub(super) region: [u8; 2],
    pub(super) country_code: u16,
    /// Pattern of the prefixes dialled to call abroad from here ("00", "011", "810"...).
    pub(super) international_prefix: Text,
    /// Pattern of the national prefix (and carrier codes) to strip, such as Russia's "8".
    pub(super) national_prefix_for_parsing: Text,
    /// How to rewrite a number whose national prefix matched, with `\1`-style group references.
    pub(super) national_prefix_transform_rule: Text,
    /// For territories sharing a calling code: the leading digits of their numbers.
    pub(super) leading_digits: Text,
    pub(super) same_mobile_and_fixed_line_pattern: bool,
    /// Every number of the plan, of whatever type.
    pub(super) general: NumberDesc,
    /// Premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail, fixed line,
    /// mobile: the last two are [`FIXED_LINE`] and [`MOBILE`].
    pub(super) types: [NumberDesc; 10],
}

pub(super) const FIXED_LINE: usize = 8;
pub(super) const MOBILE: usize = 9;

/// A pattern or rule: a slice of the generated `STRINGS`. Offsets rather than `&str` keep the
/// tables free of pointers, so they sit in read-only memory with nothing to relocate at load.
#[derive(Clone, Copy)]
pub(super) struct Text {
    start: u32,
    len: u16,
}

impl Text {
    pub(super) const EMPTY: Text = Text { start: 0, len: 0 };

    pub(super) const fn at(start: u32, len: u16) -> Text {
        Text { start, len }
    }

    pub(super) fn as_str(self) -> &'static str {
        let start = self.start as usize;
        &STRINGS[start..start + usize::from(self.len)]
    }
}

/// The numbers of one type: a pattern over the national significant number, and its lengths.
pub(super) struct NumberDesc {
    /// Empty when the plan has no numbers of this type.
    pub(super) pattern: Text,
    /// Bit n set: n digits is a possible length. Zero: any length (only for an absent type).
    pub(super) lengths: u32,
    /// Lengths that can only be dialled locally (a number missing its area code).
    pub(super) local_only: u32,
}

impl NumberDesc {
    pub(super) const ABSENT: NumberDesc = NumberDesc {
        pattern: Text::EMPTY,
        lengths: 0,
        local_only: 0,
    };

    /// Whether `length` is among `lengths` (a set from this struct).
    pub(super) fn contains(lengths: u32, length: usize) -> bool {
        length < 32 && lengths & (1 << length) != 0
    }
}

/// A territory's patterns, compiled. `None` where the metadata has no pattern.
pub(super) struct Compiled {
    pub(super) international_prefix: Option<Pattern>,
    pub(super) national_prefix_for_parsing: Option<Pattern>,
    pub(super) leading_digits: Option<Pattern>,
    pub(super) general: Option<Pattern>,
    pub(super) types: [Option<Pattern>; 10],
}

/// Index of a territory in the generated table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct TerritoryId(u16);

/// Boxed, so that a territory never used costs a pointer, not a compiled plan's size.
static COMPILED: [OnceLock<Box<Compiled>>; TERRITORIES.len()] =
    [const { OnceLock::new() }; TERRITORIES.len()];

impl TerritoryId {
    pub(super) fn plan(self) -> &'static Territory {
        &TERRITORIES[usize::from(self.0)]
    }

    pub(super) fn patterns(self) -> &'static Compiled {
        COMPILED[usize::from(self.0)].get_or_init(|| Box::new(compile(self.plan())))
    }
}

/// The region with this ISO code ("RU"; upper case), if the metadata has a plan for it.
pub(super) fn region(code: &str) -> Option<TerritoryId> {
    TERRITORIES[..REGION_COUNT]
        .binary_search_by(|t| t.region.as_slice().cmp(code.as_bytes()))
        .ok()
        .map(territory_id)
}

/// The territories that use a calling code, its main one first; empty for an unassigned code.
pub(super) fn territories_for_calling_code(code: u16) -> &'static [u16] {
    match CALLING_CODES.binary_search_by_key(&code, |&(c, _, _)| c) {
        Ok(i) => {
            let (_, first, count) = CALLING_CODES[i];
            let first = usize::from(first);
            &CALLING_CODE_TERRITORIES[first..first + usize::from(count)]
        }
        Err(_) => &[],
    }
}

/// The main territory of a calling code: what libphonenumber reads a number with that code by.
pub(super) fn main_territory(code: u16) -> Option<TerritoryId> {
    territories_for_calling_code(code)
        .first()
        .map(|&i| TerritoryId(i))
}

pub(super) fn territory_at(index: u16) -> TerritoryId {
    TerritoryId(index)
}

fn territory_id(index: usize) -> TerritoryId {
    TerritoryId(u16::try_from(index).expect("the table has fewer than 65,536 territories"))
}

fn compile(plan: &Territory) -> Compiled {
    Compiled {
        international_prefix: compile_one(plan.international_prefix),
        national_prefix_for_parsing: compile_one(plan.national_prefix_for_parsing),
        leading_digits: compile_one(plan.leading_digits),
        general: compile_one(plan.general.pattern),
        types: plan.types.each_ref().map(|desc| compile_one(desc.pattern)),
    }
}

/// The generated tables are checked by a test to compile, so a failure here cannot happen
/// with the shipped metadata; should it, the pattern is treated as absent (matching nothing),
/// which makes numbers invalid rather than crashing the app.
fn compile_one(source: Text) -> Option<Pattern> {
    let source = source.as_str();
    if source.is_empty() {
        return None;
    }
    Pattern::new(source).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `compile_one` treats a pattern that does not compile as absent; none may be.
    #[test]
    fn every_pattern_of_the_metadata_compiles() {
        let mut compiled = 0;
        for territory in &TERRITORIES {
            let descs = std::iter::once(&territory.general).chain(&territory.types);
            let sources = [
                territory.international_prefix,
                territory.national_prefix_for_parsing,
                territory.leading_digits,
            ]
            .into_iter()
            .chain(descs.map(|desc| desc.pattern))
            .map(Text::as_str);
            for source in sources.filter(|source| !source.is_empty()) {
                if let Err(err) = Pattern::new(source) {
                    let region = String::from_utf8_lossy(&territory.region);
                    panic!("{region}: {source:?} does not compile: {err}");
                }
                compiled += 1;
            }
        }
        assert!(compiled > 1_500, "only {compiled} patterns");
    }

    #[test]
    fn regions_and_calling_codes_are_found() {
        let russia = region("RU").expect("Russia");
        assert_eq!(russia.plan().country_code, 7);
        assert_eq!(main_territory(7), Some(russia));
        let kazakhstan = region("KZ").expect("Kazakhstan");
        assert_eq!(
            territories_for_calling_code(7),
            &[russia.0, kazakhstan.0],
            "the main territory first"
        );
        assert_eq!(main_territory(800).map(|t| t.plan().region), Some(*b"00"));
        assert!(region("001").is_none() && region("ZZ").is_none() && region("ru").is_none());
        assert!(territories_for_calling_code(999).is_empty());
    }
}
