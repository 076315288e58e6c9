//! Turns contact entries as people store them into canonical identifiers for discovery.
//!
//! Phone numbers become E.164 by Google libphonenumber's rules and metadata, implemented in
//! the `privacykit-phone` crate (its README says why it is our own code and how it is held to
//! the library's behaviour). The rules:
//!
//! - **Default region.** A number without a country code is read as dialled in the region the
//!   app passes (SIM first, then locale). National prefixes such as Russia's "8" or Germany's
//!   "0", and the region's international prefixes ("00", "011", "810"...), are understood as
//!   libphonenumber understands them.
//! - **Valid, not merely possible.** A number is kept only if libphonenumber's metadata says it
//!   is a *valid* number (its digits fall in an assigned range), not just of a possible length.
//!   A possible-but-invalid number is usually a local number missing its area code, a number
//!   read in the wrong region, or a typo: turned into E.164 it names some other subscriber, so
//!   keeping it would spend the discovery budget and could match a stranger. The price is a
//!   false negative for a range allocated after the metadata we ship; the metadata is updated
//!   with the crate.
//! - **Extensions are dropped**: the identifier is the line, and E.164 has no extension.
//! - **Letters** are read as on a keypad when libphonenumber does so (three or more letters,
//!   as in "1-800-FLOWERS"); otherwise the entry is not a number.
//! - Short codes and emergency numbers ("112", "911") are not valid subscriber numbers and are
//!   skipped.
//!
//! Emails are trimmed, lower-cased (local part and domain) and their domain put in IDNA ASCII
//! form (punycode); anything that is not a plain `local@domain` address within RFC 5321's
//! length limits is skipped.
//!
//! Nothing here logs, and no error, panic message or `Debug` output carries a number, an email
//! or a name.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Prefix of a phone identifier in [`Normalized::identifiers`]: `tel:+79123456789` (RFC 3966).
pub const PHONE_PREFIX: &str = "tel:";
/// Prefix of an email identifier in [`Normalized::identifiers`]: `mailto:ann@example.org`
/// (RFC 6068). The two schemes keep a phone and an email from ever being the same string.
pub const EMAIL_PREFIX: &str = "mailto:";

/// Longest input worth handing to the phone parser. libphonenumber itself refuses more than
/// 250 characters; this cap only bounds the work spent on pasted text.
const MAX_PHONE_INPUT_BYTES: usize = 1024;
/// RFC 5321 section 4.5.3.1: local part at most 64 octets, a forward path at most 256 octets
/// including the angle brackets, so an address at most 254.
const MAX_LOCAL_PART_BYTES: usize = 64;
const MAX_ADDRESS_BYTES: usize = 254;

/// An ISO 3166-1 alpha-2 region that has a phone numbering plan in the metadata; the default
/// region for numbers stored without a country code. Made only by [`parse_region`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Region(privacykit_phone::Region);

/// What [`parse_region`] refuses. Says what was expected, never what was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRegion;

impl fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "expected an ISO 3166-1 alpha-2 region code with a phone numbering plan, such as \"RU\"",
        )
    }
}

impl std::error::Error for UnknownRegion {}

/// Parses a region code such as "RU" or "us" (any case). Refuses anything that is not two
/// letters naming a region with phone metadata: "UK" (the code is "GB"), "001"
/// (libphonenumber's non-geographic entity) and unassigned pairs like "XX".
pub fn parse_region(code: &str) -> Result<Region, UnknownRegion> {
    privacykit_phone::parse_region(code)
        .map(Region)
        .ok_or(UnknownRegion)
}

/// The E.164 form (`+79123456789`) of a phone number as a person stored it, or `None` when it
/// is not a valid number (see the module doc for the rules).
pub fn normalize_phone(raw: &str, default_region: &Region) -> Option<String> {
    if raw.len() > MAX_PHONE_INPUT_BYTES {
        return None;
    }
    // A panic inside the parser on some odd input must cost one entry, not the whole batch.
    catch_unwind(AssertUnwindSafe(|| {
        privacykit_phone::to_e164(raw, default_region.0)
    }))
    .ok()
    .flatten()
}

/// The canonical form of an email address (`ann@xn--bcher-kva.example`), or `None` when the
/// entry is not a plain address.
///
/// Both parts are lower-cased: providers treat local parts case-insensitively in practice, and
/// a match lost to "Ann@" vs "ann@" is worse than the theoretical collision. Quoted local parts,
/// comments, display names ("Ann <ann@example.org>") and IP-literal domains are not accepted.
pub fn normalize_email(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let (local, domain) = trimmed.split_once('@')?;
    if !is_plain_local_part(local) {
        return None;
    }
    // One trailing dot is the fully qualified spelling of the same domain.
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let ascii_domain = domain_to_ascii(domain)?;

    let local = local.to_lowercase();
    if local.len() > MAX_LOCAL_PART_BYTES {
        return None;
    }
    let address = format!("{local}@{ascii_domain}");
    (address.len() <= MAX_ADDRESS_BYTES).then_some(address)
}

/// A local part in RFC 5322 dot-atom form, with UTF-8 allowed as RFC 6531 does.
fn is_plain_local_part(local: &str) -> bool {
    const SPECIALS: &[char] = &['(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '"'];
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || SPECIALS.contains(&c))
}

/// UTS 46 to-ASCII with the STD3 rules (letters, digits, hyphens) and DNS length checks, plus
/// what a mail domain needs: at least two labels and a top-level label that is not numeric
/// (which rules out dotted IP addresses).
fn domain_to_ascii(domain: &str) -> Option<String> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
    let ascii = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            // Hyphens in the 3rd and 4th position occur in real host names; allow them.
            Hyphens::Allow,
            DnsLength::Verify,
        )
        .ok()?
        .into_owned();
    let (_, top_level) = ascii.rsplit_once('.')?;
    if top_level.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(ascii)
}

/// The identifiers of one contact, ready for discovery.
pub struct Normalized {
    /// `tel:` + E.164 for phones, `mailto:` + address for emails; sorted, no duplicates.
    pub identifiers: Vec<String>,
    /// Entries that could not be normalized (blank ones included); duplicates are not counted.
    pub skipped: u32,
}

/// Counts only: the identifiers are personal data.
impl fmt::Debug for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Normalized")
            .field("identifiers", &self.identifiers.len())
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Normalizes every phone number and email of one contact; an entry that fails is counted in
/// `skipped` and the rest still count.
pub fn normalize_contact(phones: &[String], emails: &[String], region: &Region) -> Normalized {
    let mut identifiers = Vec::with_capacity(phones.len() + emails.len());
    let mut skipped = 0u32;
    let phone_ids = phones
        .iter()
        .map(|raw| normalize_phone(raw, region).map(|e164| format!("{PHONE_PREFIX}{e164}")));
    let email_ids = emails
        .iter()
        .map(|raw| normalize_email(raw).map(|address| format!("{EMAIL_PREFIX}{address}")));
    for identifier in phone_ids.chain(email_ids) {
        match identifier {
            Some(identifier) => identifiers.push(identifier),
            None => skipped = skipped.saturating_add(1),
        }
    }
    identifiers.sort_unstable();
    identifiers.dedup();
    Normalized {
        identifiers,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        parse_region(code).expect("a known region")
    }

    fn phone(raw: &str, default_region: &str) -> Option<String> {
        normalize_phone(raw, &region(default_region))
    }

    #[test]
    fn region_codes_are_case_insensitive() {
        assert_eq!(region("ru"), region("RU"));
        assert_eq!(region("rU"), region("RU"));
        assert_ne!(region("gb"), region("RU"));
    }

    #[test]
    fn unknown_regions_are_refused() {
        for code in [
            "", "R", "RUS", "XX", "ZZ", "UK", "001", "1A", "R1", " RU", "РУ",
        ] {
            assert_eq!(parse_region(code), Err(UnknownRegion), "{code:?}");
        }
    }

    #[test]
    fn russian_trunk_prefix_8_and_international_forms_agree() {
        for raw in [
            "8 (912) 345-67-89",
            "+7 912 345 67 89",
            "89123456789",
            "9123456789",
        ] {
            assert_eq!(phone(raw, "RU").as_deref(), Some("+79123456789"), "{raw}");
        }
    }

    #[test]
    fn international_prefixes_follow_the_default_region() {
        assert_eq!(
            phone("00 49 151 23456789", "DE").as_deref(),
            Some("+4915123456789")
        );
        assert_eq!(
            phone("011 49 151 23456789", "US").as_deref(),
            Some("+4915123456789")
        );
        assert_eq!(
            phone("810 49 151 23456789", "RU").as_deref(),
            Some("+4915123456789")
        );
        // "00" is not an international prefix in Russia, so this is no number there.
        assert_eq!(phone("00 49 151 23456789", "RU"), None);
    }

    #[test]
    fn a_leading_plus_overrides_the_default_region() {
        assert_eq!(
            phone("+49 151 23456789", "RU").as_deref(),
            Some("+4915123456789")
        );
        // Without a country code the German national form means nothing in Russia.
        assert_eq!(phone("0151 23456789", "RU"), None);
    }

    #[test]
    fn extensions_are_dropped() {
        for raw in [
            "(415) 555-2671 ext. 123",
            "415.555.2671 x123",
            "415-555-2671;ext=9",
        ] {
            assert_eq!(phone(raw, "US").as_deref(), Some("+14155552671"), "{raw}");
        }
        assert_eq!(
            phone("+7 (912) 345-67-89 доб. 123", "RU").as_deref(),
            Some("+79123456789")
        );
    }

    #[test]
    fn vanity_letters_are_read_as_on_a_keypad() {
        assert_eq!(
            phone("1-800-FLOWERS", "US").as_deref(),
            Some("+18003569377")
        );
        assert_eq!(
            phone("1-800-flowers", "US").as_deref(),
            Some("+18003569377")
        );
    }

    #[test]
    fn possible_but_invalid_numbers_are_skipped() {
        // Ten digits, the right length for the US, but 555 is no area code.
        assert_eq!(phone("(555) 555-5555", "US"), None);
        // A local number without its area code: possible locally, not a full number.
        assert_eq!(phone("555-2671", "US"), None);
        assert_eq!(phone("345-67-89", "RU"), None);
    }

    #[test]
    fn short_emergency_and_garbage_entries_are_skipped() {
        for raw in [
            "",
            "   ",
            "+",
            "112",
            "911",
            "12",
            "abc",
            "call me",
            "n/a",
            "☎☎☎",
        ] {
            assert_eq!(phone(raw, "US"), None, "{raw:?}");
        }
        assert_eq!(phone(&"9".repeat(MAX_PHONE_INPUT_BYTES + 1), "US"), None);
        assert_eq!(phone("+1 415 555 2671 1234 5678 9012", "US"), None);
    }

    #[test]
    fn non_ascii_digits_and_symbols_are_understood() {
        assert_eq!(
            phone("＋１ ４１５ ５５５ ２６７１", "US").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            phone("٠٥٠ ١٢٣ ٤٥٦٧", "AE").as_deref(),
            Some("+971501234567")
        );
        assert_eq!(
            phone("+1\u{a0}(415)\u{a0}555–2671", "US").as_deref(),
            Some("+14155552671")
        );
    }

    #[test]
    fn numbers_keep_their_leading_zero_where_e164_does() {
        assert_eq!(
            phone("06 1234 5678", "IT").as_deref(),
            Some("+390612345678")
        );
    }

    #[test]
    fn emails_are_lowercased_and_trimmed() {
        assert_eq!(
            normalize_email("  Ann.Lee+Tag@Example.ORG \n").as_deref(),
            Some("ann.lee+tag@example.org")
        );
        assert_eq!(
            normalize_email("ann@example.org.").as_deref(),
            Some("ann@example.org")
        );
    }

    #[test]
    fn email_domains_become_punycode() {
        assert_eq!(
            normalize_email("Ann@Bücher.Example").as_deref(),
            Some("ann@xn--bcher-kva.example")
        );
        assert_eq!(
            normalize_email("ivan@пример.рф").as_deref(),
            Some("ivan@xn--e1afmkfd.xn--p1ai")
        );
        // Already-encoded domains stay as they are.
        assert_eq!(
            normalize_email("ivan@xn--e1afmkfd.xn--p1ai").as_deref(),
            Some("ivan@xn--e1afmkfd.xn--p1ai")
        );
    }

    #[test]
    fn what_is_not_a_plain_address_is_rejected() {
        let long_local = format!("{}@example.org", "a".repeat(MAX_LOCAL_PART_BYTES + 1));
        // A domain DNS accepts (207 octets) that makes the whole address longer than 254.
        let long_address = format!(
            "{}@{}.org",
            "a".repeat(MAX_LOCAL_PART_BYTES),
            vec!["b".repeat(50); 4].join(".")
        );
        let long_label = format!("a@{}.org", "b".repeat(64));
        for raw in [
            "",
            "ann",
            "ann@",
            "@example.org",
            "ann@@example.org",
            "ann@bob@example.org",
            "ann lee@example.org",
            "ann@exa mple.org",
            "Ann <ann@example.org>",
            "\"ann\"@example.org",
            ".ann@example.org",
            "ann.@example.org",
            "an..n@example.org",
            "ann@localhost",
            "ann@192.168.0.1",
            "ann@[192.168.0.1]",
            "ann@example..org",
            "ann@exa_mple.org",
            long_local.as_str(),
            long_address.as_str(),
            long_label.as_str(),
        ] {
            assert_eq!(normalize_email(raw), None, "{raw:?}");
        }
        let longest_local = format!("{}@example.org", "a".repeat(MAX_LOCAL_PART_BYTES));
        assert!(normalize_email(&longest_local).is_some());
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_entry_of_a_contact_counts_and_failures_are_counted() {
        let phones = strings(&[
            "8 (912) 345-67-89",
            "+49 151 23456789",
            "not a number",
            "+7 912 345 67 89", // the first number again, another spelling
            "",
        ]);
        let emails = strings(&["Ann@Example.org", "ann@example.org", "nope"]);
        let normalized = normalize_contact(&phones, &emails, &region("RU"));
        assert_eq!(
            normalized.identifiers,
            [
                "mailto:ann@example.org",
                "tel:+4915123456789",
                "tel:+79123456789",
            ]
        );
        assert_eq!(normalized.skipped, 3);
    }

    #[test]
    fn a_contact_with_nothing_usable_yields_no_identifiers() {
        let normalized = normalize_contact(&strings(&["112"]), &strings(&["x"]), &region("US"));
        assert!(normalized.identifiers.is_empty());
        assert_eq!(normalized.skipped, 2);
    }

    #[test]
    fn debug_shows_counts_only() {
        let normalized = normalize_contact(
            &strings(&["+7 912 345 67 89"]),
            &strings(&["ann@example.org"]),
            &region("RU"),
        );
        let shown = format!("{normalized:?}");
        assert_eq!(shown, "Normalized { identifiers: 2, skipped: 0 }");
    }
}
