//! Reading a number against the numbering plans: libphonenumber's `parse` (country calling
//! code, international and national prefixes, possible lengths) and `isValidNumber`.

use super::metadata::{self, NumberDesc, TerritoryId, FIXED_LINE, MOBILE};
use super::text::{self, MIN_LENGTH_FOR_NSN};

/// Longest national significant number (the ITU says 15; Germany has longer ones).
const MAX_LENGTH_FOR_NSN: usize = 17;
const MAX_LENGTH_COUNTRY_CODE: usize = 3;

/// A parsed number: calling code and national significant number (ASCII digits, leading
/// zeros kept, as in Italian numbers).
pub(super) struct PhoneNumber {
    pub(super) country_code: u16,
    pub(super) national_number: String,
}

/// Why `maybeExtractCountryCode` gave up; only the first is retried without the plus sign.
enum CountryCodeFailure {
    InvalidCountryCode,
    TooShortAfterIdd,
}

/// libphonenumber's `parse(raw, default_region)`; `None` for what it rejects with an error.
pub(super) fn parse(raw: &str, default_region: TerritoryId) -> Option<PhoneNumber> {
    let national = text::national_number_for_parsing(raw)?;
    if !text::is_viable(&national) {
        return None;
    }
    let national = text::strip_extension(&national);

    let (country_code, mut national_number) = match extract_country_code(national, default_region) {
        Ok(found) => found,
        Err(CountryCodeFailure::InvalidCountryCode) if national.starts_with(text::is_plus) => {
            // "+" followed by no known calling code: read it again as if dialled without it.
            match extract_country_code(national.trim_start_matches(text::is_plus), default_region) {
                Ok((0, _)) | Err(_) => return None,
                Ok(found) => found,
            }
        }
        Err(_) => return None,
    };
    let (country_code, plan) = if country_code != 0 {
        // A number with a calling code is read by that code's main plan.
        (country_code, metadata::main_territory(country_code)?)
    } else {
        national_number = text::normalize_digits(national);
        (default_region.plan().country_code, default_region)
    };
    if national_number.len() < MIN_LENGTH_FOR_NSN {
        return None;
    }
    if let Some(stripped) = strip_national_prefix(&national_number, plan) {
        // Keep the shorter form unless it no longer has a possible length.
        if !matches!(
            test_length(&stripped, plan),
            Length::TooShort | Length::LocalOnly | Length::Invalid
        ) {
            national_number = stripped;
        }
    }
    if !(MIN_LENGTH_FOR_NSN..=MAX_LENGTH_FOR_NSN).contains(&national_number.len()) {
        return None;
    }
    Some(PhoneNumber {
        country_code,
        national_number,
    })
}

/// libphonenumber's `isValidNumber`: the territory the number belongs to has a number type
/// (fixed line, mobile, toll free...) whose pattern and lengths it matches.
pub(super) fn is_valid(number: &PhoneNumber) -> bool {
    let territories = metadata::territories_for_calling_code(number.country_code);
    let owner = match territories {
        [] => return false,
        [only] => Some(metadata::territory_at(*only)),
        several => several
            .iter()
            .map(|&i| metadata::territory_at(i))
            .find(|&territory| {
                // A territory sharing its calling code claims the numbers starting with its
                // leading digits; one without leading digits claims those it has a type for.
                match &territory.patterns().leading_digits {
                    Some(leading) => leading.matches_prefix(number.national_number.as_bytes()),
                    None => has_number_type(&number.national_number, territory),
                }
            }),
    };
    owner.is_some_and(|territory| has_number_type(&number.national_number, territory))
}

/// `getNumberTypeHelper(...) != UNKNOWN`.
fn has_number_type(national_number: &str, territory: TerritoryId) -> bool {
    let plan = territory.plan();
    let patterns = territory.patterns();
    let matches_desc = |index: Option<usize>| {
        let (desc, pattern) = match index {
            None => (&plan.general, &patterns.general),
            Some(i) => (&plan.types[i], &patterns.types[i]),
        };
        let length = national_number.len();
        (desc.lengths == 0 || NumberDesc::contains(desc.lengths, length))
            && pattern
                .as_ref()
                .is_some_and(|p| p.matches(national_number.as_bytes()))
    };
    if !matches_desc(None) {
        return false;
    }
    (0..FIXED_LINE).any(|i| matches_desc(Some(i)))
        || matches_desc(Some(FIXED_LINE))
        || (!plan.same_mobile_and_fixed_line_pattern && matches_desc(Some(MOBILE)))
}

/// `maybeExtractCountryCode`: the calling code the number was written with (after a plus
/// sign, after the default region's international prefix, or as the default region's own code
/// written without a plus) and the rest of the number, normalized; `(0, "")` when it has none.
fn extract_country_code(
    number: &str,
    default_region: TerritoryId,
) -> Result<(u16, String), CountryCodeFailure> {
    if number.is_empty() {
        return Ok((0, String::new()));
    }
    let plan = default_region.plan();
    let (international, full_number) = match number.strip_prefix(text::is_plus) {
        Some(after_plus) => (
            true,
            text::normalize_digits(after_plus.trim_start_matches(text::is_plus)),
        ),
        None => {
            let normalized = text::normalize_digits(number);
            match strip_international_prefix(&normalized, default_region) {
                Some(after_prefix) => (true, after_prefix.to_owned()),
                None => (false, normalized),
            }
        }
    };
    if international {
        if full_number.len() <= MIN_LENGTH_FOR_NSN {
            return Err(CountryCodeFailure::TooShortAfterIdd);
        }
        return split_calling_code(&full_number).ok_or(CountryCodeFailure::InvalidCountryCode);
    }
    // The default region's own calling code written without a plus ("7 912 ..." in Russia)
    // counts only if the number makes more sense without it.
    let own_code = plan.country_code.to_string();
    if let Some(without_code) = full_number.strip_prefix(&own_code) {
        let without_code = strip_national_prefix(without_code, default_region)
            .unwrap_or_else(|| without_code.to_owned());
        let general = default_region.patterns().general.as_ref();
        let matches_general = |n: &str| general.is_some_and(|p| p.matches(n.as_bytes()));
        if (!matches_general(&full_number) && matches_general(&without_code))
            || test_length(&full_number, default_region) == Length::TooLong
        {
            return Ok((plan.country_code, without_code));
        }
    }
    Ok((0, String::new()))
}

/// `parsePrefixAsIdd`: the digits after the region's international prefix, unless what follows
/// the prefix starts with 0 (no calling code does).
fn strip_international_prefix(digits: &str, region: TerritoryId) -> Option<&str> {
    let prefix = region.patterns().international_prefix.as_ref()?;
    let end = prefix.looking_at(digits.as_bytes())?.end();
    let rest = &digits[end..];
    (!rest.starts_with('0')).then_some(rest)
}

/// `extractCountryCode`: the first one to three digits that are an assigned calling code.
fn split_calling_code(digits: &str) -> Option<(u16, String)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=MAX_LENGTH_COUNTRY_CODE.min(digits.len())).find_map(|length| {
        let code: u16 = digits[..length].parse().ok()?;
        (!metadata::territories_for_calling_code(code).is_empty())
            .then(|| (code, digits[length..].to_owned()))
    })
}

/// `maybeStripNationalPrefixAndCarrierCode`: the number without its national prefix (Russia's
/// "8", Germany's "0") and carrier code, rewritten by the plan's transform rule where it has
/// one (Argentina's mobile "15"); `None` when nothing is stripped. A prefix is not stripped
/// when the number matched the plan before and would not after.
fn strip_national_prefix(number: &str, territory: TerritoryId) -> Option<String> {
    let plan = territory.plan();
    let patterns = territory.patterns();
    let prefix = patterns.national_prefix_for_parsing.as_ref()?;
    if number.is_empty() {
        return None;
    }
    let found = prefix.looking_at(number.as_bytes())?;
    let general = patterns.general.as_ref();
    let matches_general = |n: &str| general.is_some_and(|p| p.matches(n.as_bytes()));
    let viable_before = matches_general(number);
    let rule = plan.national_prefix_transform_rule.as_str();
    let last_group = found.group_count();
    let stripped = if rule.is_empty() || last_group == 0 || found.group(last_group).is_none() {
        number[found.end()..].to_owned()
    } else {
        let mut rewritten = expand_transform_rule(rule, number, &found);
        rewritten.push_str(&number[found.end()..]);
        rewritten
    };
    if viable_before && !matches_general(&stripped) {
        return None;
    }
    Some(stripped)
}

/// The transform rule with `\1`... replaced by the groups the prefix pattern captured (a group
/// that did not take part gives nothing).
fn expand_transform_rule(rule: &str, number: &str, found: &super::pattern::Captures) -> String {
    let mut out = String::new();
    let mut chars = rule.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next().and_then(|d| d.to_digit(10))) {
            ('\\', Some(group)) => {
                chars.next();
                if let Some((start, end)) = found.group(group as usize) {
                    out.push_str(&number[start..end]);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[derive(PartialEq, Eq, Debug)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// `testNumberLength` against the plan's general description.
fn test_length(number: &str, territory: TerritoryId) -> Length {
    let general = &territory.plan().general;
    let length = number.len();
    if NumberDesc::contains(general.local_only, length) {
        return Length::LocalOnly;
    }
    if general.lengths == 0 {
        return Length::Invalid;
    }
    let shortest = general.lengths.trailing_zeros() as usize;
    let longest = 31 - general.lengths.leading_zeros() as usize;
    if length < shortest {
        Length::TooShort
    } else if length > longest {
        Length::TooLong
    } else if NumberDesc::contains(general.lengths, length) {
        Length::Possible
    } else {
        Length::Invalid
    }
}
