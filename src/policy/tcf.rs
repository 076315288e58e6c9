//! The policy's optional `tcf` section: how the app's declared uses map onto the IAB
//! Transparency and Consent Framework (purposes, special features, vendors by Global Vendor
//! List id), and the CMP's registration. Parsed and checked here; the consent signals built
//! from it are the engine's (`signals.rs`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Deserialize;
use serde_json::Value;

use super::{Category, Processing, Purpose};
use crate::decision::LegalBasis;
use crate::error::{Error, Result};

/// TCF purposes 1 to 11 (TCF v2.2 and v2.3).
pub const TCF_PURPOSES: std::ops::RangeInclusive<u8> = 1..=11;
/// TCF purposes that may rest only on consent under TCF policy v2.2 and later: store or
/// access information on a device (1), and the personalised advertising and content
/// profiles and their use (3 to 6).
pub const CONSENT_ONLY_PURPOSES: [u8; 5] = [1, 3, 4, 5, 6];
const SPECIAL_PURPOSES: std::ops::RangeInclusive<u8> = 1..=3;
const FEATURES: std::ops::RangeInclusive<u8> = 1..=3;
const SPECIAL_FEATURES: std::ops::RangeInclusive<u8> = 1..=2;
/// The CMP API reserves CMP ids 0 and 1; IDs are 12 bits in the TC string.
const CMP_IDS: std::ops::RangeInclusive<u16> = 2..=4095;
const TWELVE_BITS: std::ops::RangeInclusive<u16> = 1..=4095;
/// More vendors than the Global Vendor List has ever held, by an order of magnitude.
const MAX_VENDORS: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TcfEntry {
    cmp_id: u16,
    cmp_version: u16,
    vendor_list_version: u16,
    consent_language: String,
    publisher_country_code: String,
    #[serde(default)]
    purpose_one_treatment: bool,
    #[serde(default)]
    consent_screen: u8,
    #[serde(default)]
    use_non_standard_texts: bool,
    #[serde(default = "by_jurisdiction")]
    gdpr_applies: Value,
    purposes: Vec<PurposeMapEntry>,
    #[serde(default)]
    special_purposes: Vec<u8>,
    #[serde(default)]
    features: Vec<u8>,
    #[serde(default)]
    special_features: Vec<SpecialFeatureEntry>,
    #[serde(default)]
    vendors: Vec<VendorEntry>,
    #[serde(default)]
    publisher_restrictions: Vec<RestrictionEntry>,
    usnat: Option<UsNatEntry>,
}

/// Which declared uses US state privacy laws call a sale, a sharing (for cross-context
/// behavioural advertising) or targeted advertising, for the GPP's US National section.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsNatEntry {
    #[serde(default)]
    sale: Vec<UseEntry>,
    #[serde(default)]
    sharing: Vec<UseEntry>,
    #[serde(default)]
    targeted_advertising: Vec<UseEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UseEntry {
    purpose: String,
    categories: Option<Vec<String>>,
}

fn by_jurisdiction() -> Value {
    Value::String("by_jurisdiction".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposeMapEntry {
    tcf_purpose: u8,
    purpose: String,
    categories: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecialFeatureEntry {
    special_feature: u8,
    purpose: String,
    categories: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorEntry {
    id: u16,
    #[serde(default)]
    consent_purposes: Vec<u8>,
    #[serde(default)]
    legitimate_interest_purposes: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestrictionEntry {
    tcf_purpose: u8,
    restriction: Restriction,
    vendors: Vec<u16>,
}

/// A publisher restriction, as the TC string's RestrictionType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restriction {
    NotAllowed,
    RequireConsent,
    RequireLegitimateInterest,
}

/// Whether GDPR applies to the user, for `IABTCF_gdprApplies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GdprApplies {
    Always,
    Never,
    /// From the jurisdiction the user declared: the EEA, the UK and Switzerland; applies while
    /// none is declared.
    ByJurisdiction,
}

/// One TCF purpose (or special feature) and the declared pairs whose decisions set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub tcf_id: u8,
    /// Indexes into the policy's `processing`.
    pub processing: Vec<usize>,
    /// Consent or legitimate interest: the one basis all its pairs share.
    pub basis: LegalBasis,
}

/// A vendor and what it relies on, by TCF purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub id: u16,
    pub consent_purposes: BTreeSet<u8>,
    pub legitimate_interest_purposes: BTreeSet<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherRestriction {
    pub tcf_purpose: u8,
    pub restriction: Restriction,
    pub vendors: Vec<u16>,
}

/// The declared pairs (indexes into the policy's `processing`) behind each opt-out of the
/// GPP's US National section; empty when the app does none of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsNatUses {
    pub sale: Vec<usize>,
    pub sharing: Vec<usize>,
    pub targeted_advertising: Vec<usize>,
}

/// The validated `tcf` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcfConfig {
    pub cmp_id: u16,
    pub cmp_version: u16,
    pub vendor_list_version: u16,
    /// Upper case.
    pub consent_language: String,
    pub publisher_country_code: String,
    pub purpose_one_treatment: bool,
    pub consent_screen: u8,
    pub use_non_standard_texts: bool,
    pub gdpr_applies: GdprApplies,
    /// By TCF purpose id, ascending.
    pub purposes: Vec<Mapping>,
    pub special_purposes: Vec<u8>,
    pub features: Vec<u8>,
    pub special_features: Vec<Mapping>,
    /// By vendor id, ascending.
    pub vendors: Vec<Vendor>,
    pub publisher_restrictions: Vec<PublisherRestriction>,
    /// With it, users in the US get the GPP's US National section (`usnat`).
    pub usnat: Option<UsNatUses>,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidPolicy {
        field: field.into(),
        reason: reason.into(),
    }
}

pub(super) fn validate(
    entry: TcfEntry,
    categories: &[Category],
    purposes: &[Purpose],
    processing: &[Processing],
) -> Result<TcfConfig> {
    if !CMP_IDS.contains(&entry.cmp_id) {
        return Err(invalid(
            "tcf.cmp_id",
            format!(
                "{} is not a CMP id: IAB Europe assigns 2 to 4095",
                entry.cmp_id
            ),
        ));
    }
    for (field, value) in [
        ("tcf.cmp_version", entry.cmp_version),
        ("tcf.vendor_list_version", entry.vendor_list_version),
    ] {
        if !TWELVE_BITS.contains(&value) {
            return Err(invalid(
                field,
                format!("{value} is out of range: must be 1 to 4095"),
            ));
        }
    }
    if entry.consent_screen > 63 {
        return Err(invalid(
            "tcf.consent_screen",
            format!("{} is out of range: must be 0 to 63", entry.consent_screen),
        ));
    }
    let consent_language = two_letters("tcf.consent_language", &entry.consent_language, false)?;
    let publisher_country_code = two_letters(
        "tcf.publisher_country_code",
        &entry.publisher_country_code,
        true,
    )?;
    let gdpr_applies = match &entry.gdpr_applies {
        Value::Bool(true) => GdprApplies::Always,
        Value::Bool(false) => GdprApplies::Never,
        Value::String(s) if s == "by_jurisdiction" => GdprApplies::ByJurisdiction,
        _ => {
            return Err(invalid(
                "tcf.gdpr_applies",
                "must be true, false or \"by_jurisdiction\"",
            ))
        }
    };

    let scope = Scope {
        categories,
        purposes,
        processing,
    };
    let mut mapped = Vec::with_capacity(entry.purposes.len());
    let mut seen = HashSet::new();
    for (i, m) in entry.purposes.into_iter().enumerate() {
        let field = format!("tcf.purposes[{i}]");
        if !TCF_PURPOSES.contains(&m.tcf_purpose) {
            return Err(invalid(
                format!("{field}.tcf_purpose"),
                format!("{} is not a TCF purpose: they are 1 to 11", m.tcf_purpose),
            ));
        }
        if !seen.insert(m.tcf_purpose) {
            return Err(invalid(
                format!("{field}.tcf_purpose"),
                format!("TCF purpose {} is mapped twice", m.tcf_purpose),
            ));
        }
        let (indexes, basis) = scope.resolve(&field, &m.purpose, m.categories.as_deref())?;
        if basis == LegalBasis::LegitimateInterest && CONSENT_ONLY_PURPOSES.contains(&m.tcf_purpose)
        {
            return Err(invalid(
                format!("{field}.tcf_purpose"),
                format!(
                    "TCF purpose {} may rest only on consent (TCF policy v2.2 and later), \
                     but `{}` is processed on legitimate interest",
                    m.tcf_purpose, m.purpose
                ),
            ));
        }
        mapped.push(Mapping {
            tcf_id: m.tcf_purpose,
            processing: indexes,
            basis,
        });
    }
    mapped.sort_by_key(|m| m.tcf_id);

    let special_purposes = id_list(
        "tcf.special_purposes",
        entry.special_purposes,
        SPECIAL_PURPOSES,
        "special purpose",
    )?;
    let features = id_list("tcf.features", entry.features, FEATURES, "feature")?;

    let mut special_features = Vec::with_capacity(entry.special_features.len());
    let mut seen = HashSet::new();
    for (i, m) in entry.special_features.into_iter().enumerate() {
        let field = format!("tcf.special_features[{i}]");
        if !SPECIAL_FEATURES.contains(&m.special_feature) {
            return Err(invalid(
                format!("{field}.special_feature"),
                format!(
                    "{} is not a TCF special feature: they are 1 and 2",
                    m.special_feature
                ),
            ));
        }
        if !seen.insert(m.special_feature) {
            return Err(invalid(
                format!("{field}.special_feature"),
                format!("special feature {} is mapped twice", m.special_feature),
            ));
        }
        let (indexes, basis) = scope.resolve(&field, &m.purpose, m.categories.as_deref())?;
        if basis != LegalBasis::Consent {
            return Err(invalid(
                format!("{field}.purpose"),
                format!(
                    "special features need the user's opt-in, but `{}` is not processed on consent",
                    m.purpose
                ),
            ));
        }
        special_features.push(Mapping {
            tcf_id: m.special_feature,
            processing: indexes,
            basis,
        });
    }
    special_features.sort_by_key(|m| m.tcf_id);

    if entry.vendors.len() > MAX_VENDORS {
        return Err(invalid(
            "tcf.vendors",
            format!("must hold at most {MAX_VENDORS} vendors"),
        ));
    }
    let mut vendors = BTreeMap::new();
    for (i, v) in entry.vendors.into_iter().enumerate() {
        let field = format!("tcf.vendors[{i}]");
        if v.id == 0 {
            return Err(invalid(
                format!("{field}.id"),
                "0 is not a Global Vendor List id: they start at 1",
            ));
        }
        if vendors.contains_key(&v.id) {
            return Err(invalid(
                format!("{field}.id"),
                format!("vendor {} is declared twice", v.id),
            ));
        }
        let consent = vendor_purposes(&field, "consent_purposes", &v.consent_purposes, &mapped)?;
        let interest = vendor_purposes(
            &field,
            "legitimate_interest_purposes",
            &v.legitimate_interest_purposes,
            &mapped,
        )?;
        if let Some(both) = consent.intersection(&interest).next() {
            return Err(invalid(
                format!("{field}.legitimate_interest_purposes"),
                format!("TCF purpose {both} is listed under consent as well"),
            ));
        }
        if let Some(&only) = interest.iter().find(|p| CONSENT_ONLY_PURPOSES.contains(p)) {
            return Err(invalid(
                format!("{field}.legitimate_interest_purposes"),
                format!("TCF purpose {only} may rest only on consent (TCF policy v2.2 and later)"),
            ));
        }
        vendors.insert(
            v.id,
            Vendor {
                id: v.id,
                consent_purposes: consent,
                legitimate_interest_purposes: interest,
            },
        );
    }

    let mut restricted = HashSet::new();
    let mut publisher_restrictions = Vec::with_capacity(entry.publisher_restrictions.len());
    for (i, r) in entry.publisher_restrictions.into_iter().enumerate() {
        let field = format!("tcf.publisher_restrictions[{i}]");
        if !TCF_PURPOSES.contains(&r.tcf_purpose) {
            return Err(invalid(
                format!("{field}.tcf_purpose"),
                format!("{} is not a TCF purpose: they are 1 to 11", r.tcf_purpose),
            ));
        }
        if r.restriction == Restriction::RequireLegitimateInterest
            && CONSENT_ONLY_PURPOSES.contains(&r.tcf_purpose)
        {
            return Err(invalid(
                format!("{field}.restriction"),
                format!(
                    "TCF purpose {} may rest only on consent; it cannot require legitimate interest",
                    r.tcf_purpose
                ),
            ));
        }
        if r.vendors.is_empty() {
            return Err(invalid(
                format!("{field}.vendors"),
                "must name at least one vendor",
            ));
        }
        for (j, vendor) in r.vendors.iter().enumerate() {
            if !vendors.contains_key(vendor) {
                return Err(invalid(
                    format!("{field}.vendors[{j}]"),
                    format!("vendor {vendor} is not declared in tcf.vendors"),
                ));
            }
            if !restricted.insert((r.tcf_purpose, *vendor)) {
                return Err(invalid(
                    format!("{field}.vendors[{j}]"),
                    format!(
                        "vendor {vendor} already has a restriction for TCF purpose {}",
                        r.tcf_purpose
                    ),
                ));
            }
        }
        publisher_restrictions.push(PublisherRestriction {
            tcf_purpose: r.tcf_purpose,
            restriction: r.restriction,
            vendors: r.vendors,
        });
    }

    let usnat = entry
        .usnat
        .map(|u| -> Result<UsNatUses> {
            let uses = |name: &str, list: Vec<UseEntry>| -> Result<Vec<usize>> {
                let mut indexes = BTreeSet::new();
                for (i, u) in list.into_iter().enumerate() {
                    let field = format!("tcf.usnat.{name}[{i}]");
                    let (found, _) = scope.resolve(&field, &u.purpose, u.categories.as_deref())?;
                    indexes.extend(found);
                }
                Ok(indexes.into_iter().collect())
            };
            Ok(UsNatUses {
                sale: uses("sale", u.sale)?,
                sharing: uses("sharing", u.sharing)?,
                targeted_advertising: uses("targeted_advertising", u.targeted_advertising)?,
            })
        })
        .transpose()?;

    Ok(TcfConfig {
        cmp_id: entry.cmp_id,
        cmp_version: entry.cmp_version,
        vendor_list_version: entry.vendor_list_version,
        consent_language,
        publisher_country_code,
        purpose_one_treatment: entry.purpose_one_treatment,
        consent_screen: entry.consent_screen,
        use_non_standard_texts: entry.use_non_standard_texts,
        gdpr_applies,
        purposes: mapped,
        special_purposes,
        features,
        special_features,
        vendors: vendors.into_values().collect(),
        publisher_restrictions,
        usnat,
    })
}

/// Two ASCII letters, returned in upper case. Country codes must be written in upper case
/// already, as the policy's recipients' are; language codes may be either.
fn two_letters(field: &str, text: &str, upper_only: bool) -> Result<String> {
    let ok = text.len() == 2
        && text.bytes().all(|b| {
            if upper_only {
                b.is_ascii_uppercase()
            } else {
                b.is_ascii_alphabetic()
            }
        });
    if !ok {
        let shown = if text.len() <= 8 && text.bytes().all(|b| b.is_ascii_graphic()) {
            format!("\"{text}\"")
        } else {
            "the value".to_owned()
        };
        let what = if upper_only {
            "an ISO 3166-1 alpha-2 code in upper case such as \"DE\""
        } else {
            "an ISO 639-1 code of two letters such as \"EN\""
        };
        return Err(invalid(field, format!("{shown} is not {what}")));
    }
    Ok(text.to_ascii_uppercase())
}

fn id_list(
    field: &str,
    ids: Vec<u8>,
    range: std::ops::RangeInclusive<u8>,
    what: &str,
) -> Result<Vec<u8>> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.into_iter().enumerate() {
        if !range.contains(&id) {
            return Err(invalid(
                format!("{field}[{i}]"),
                format!(
                    "{id} is not a TCF {what}: they are {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
        }
        if !seen.insert(id) {
            return Err(invalid(
                format!("{field}[{i}]"),
                format!("{what} {id} is listed twice"),
            ));
        }
    }
    Ok(seen.into_iter().collect())
}

fn vendor_purposes(
    field: &str,
    member: &str,
    ids: &[u8],
    mapped: &[Mapping],
) -> Result<BTreeSet<u8>> {
    let mut set = BTreeSet::new();
    for (j, &id) in ids.iter().enumerate() {
        let at = format!("{field}.{member}[{j}]");
        if !TCF_PURPOSES.contains(&id) {
            return Err(invalid(
                at,
                format!("{id} is not a TCF purpose: they are 1 to 11"),
            ));
        }
        if !set.insert(id) {
            return Err(invalid(at, format!("TCF purpose {id} is listed twice")));
        }
        // A purpose no app purpose maps to never gets the user's signal, so the vendor could
        // never be given it: a mistake in the document, not a choice.
        if !mapped.iter().any(|m| m.tcf_id == id) {
            return Err(invalid(
                at,
                format!("TCF purpose {id} is not mapped in tcf.purposes"),
            ));
        }
    }
    Ok(set)
}

struct Scope<'a> {
    categories: &'a [Category],
    purposes: &'a [Purpose],
    processing: &'a [Processing],
}

impl Scope<'_> {
    /// The declared pairs of `purpose` (only `categories`, when given) and their one legal
    /// basis, which must be consent or legitimate interest: the two the TCF signals.
    fn resolve(
        &self,
        field: &str,
        purpose: &str,
        categories: Option<&[String]>,
    ) -> Result<(Vec<usize>, LegalBasis)> {
        if !self.purposes.iter().any(|p| p.id == purpose) {
            return Err(invalid(
                format!("{field}.purpose"),
                "names a purpose that `purposes` does not declare",
            ));
        }
        let indexes: Vec<usize> = match categories {
            None => self
                .processing
                .iter()
                .enumerate()
                .filter(|(_, p)| p.purpose == purpose)
                .map(|(i, _)| i)
                .collect(),
            Some([]) => {
                return Err(invalid(
                    format!("{field}.categories"),
                    "must name at least one category, or be left out for all of them",
                ))
            }
            Some(list) => {
                let mut indexes = Vec::with_capacity(list.len());
                for (j, category) in list.iter().enumerate() {
                    let at = format!("{field}.categories[{j}]");
                    if !self.categories.iter().any(|c| &c.id == category) {
                        return Err(invalid(
                            at,
                            "names a category that `categories` does not declare",
                        ));
                    }
                    let index = self
                        .processing
                        .iter()
                        .position(|p| p.purpose == purpose && &p.category == category)
                        .ok_or_else(|| {
                            invalid(
                                at.clone(),
                                format!("`{category}` is not processed for `{purpose}`"),
                            )
                        })?;
                    if indexes.contains(&index) {
                        return Err(invalid(at, "names the same category twice"));
                    }
                    indexes.push(index);
                }
                indexes
            }
        };
        if indexes.is_empty() {
            return Err(invalid(
                format!("{field}.purpose"),
                format!("`{purpose}` has no processing entry"),
            ));
        }
        let basis = self.processing[indexes[0]].legal_basis;
        if let Some(&other) = indexes
            .iter()
            .find(|&&i| self.processing[i].legal_basis != basis)
        {
            return Err(invalid(
                format!("{field}.purpose"),
                format!(
                    "`{purpose}` is processed on more than one legal basis (`{}` is `{}`); \
                     map the categories of one basis with `categories`",
                    self.processing[other].category,
                    self.processing[other].legal_basis.as_str()
                ),
            ));
        }
        if !matches!(basis, LegalBasis::Consent | LegalBasis::LegitimateInterest) {
            return Err(invalid(
                format!("{field}.purpose"),
                format!(
                    "`{purpose}` is processed on `{}`; the TCF signals only consent and \
                     legitimate interest",
                    basis.as_str()
                ),
            ));
        }
        Ok((indexes, basis))
    }
}
