//! The advertising identifier and what apps send to ad partners.
//!
//! The platform layer reports the OS advertising ID (IDFA, or Android's advertising ID) at
//! each launch; PrivacyKit keeps it in memory only, never in the store, so there is no copy
//! to erase. Tracking authorization is the `Tracking` OS permission: iOS ATT maps directly;
//! on Android the platform layer reports `Denied` when the user limited ad tracking or deleted
//! the ID. The ID leaves PrivacyKit only when the OS allows it, the user consented to
//! advertising, the user is not a minor and processing is not restricted.

use crate::decision::{Decision, DecisionReason};
use crate::engine::Locked;
use crate::error::{Error, Result};

const AD_CATEGORY: &str = "advertising_id";
const AD_PURPOSE: &str = "advertising";

/// The advertising ID, when everything allows it, and the guard's decision either way.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct AdvertisingIdAnswer {
    pub advertising_id: Option<String>,
    pub decision: Decision,
}

impl std::fmt::Debug for AdvertisingIdAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvertisingIdAnswer")
            .field(
                "advertising_id",
                &self.advertising_id.as_ref().map(|_| "<set>"),
            )
            .field("decision", &self.decision)
            .finish()
    }
}

/// What the app knows and would send to an ad partner.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct AdContextInput {
    /// BCP 47 language tag of the device (`de-DE`); category `device_info`.
    pub language: Option<String>,
    /// Country of the user; category `location`.
    pub country: Option<String>,
    /// City of the user; category `location`.
    pub city: Option<String>,
    /// Device model; category `device_info`.
    pub device_model: Option<String>,
}

/// A field left out of the ad context, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WithheldField {
    pub field: String,
    pub reason: DecisionReason,
}

/// What may be sent to ad partners: each field only if its category is allowed for
/// advertising now.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct AdContext {
    pub language: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub device_model: Option<String>,
    pub advertising_id: Option<String>,
    /// Fields the app supplied (or the ID) that were left out.
    pub withheld: Vec<WithheldField>,
}

impl std::fmt::Debug for AdContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| v.as_ref().map(|_| "<set>");
        f.debug_struct("AdContext")
            .field("language", &self.language)
            .field("country", &self.country)
            .field("city", &shown(&self.city))
            .field("device_model", &self.device_model)
            .field("advertising_id", &shown(&self.advertising_id))
            .field("withheld", &self.withheld)
            .finish()
    }
}

/// The category each ad-context field belongs to.
const CONTEXT_FIELDS: [(&str, &str); 4] = [
    ("language", "device_info"),
    ("country", "location"),
    ("city", "location"),
    ("device_model", "device_info"),
];

/// Checks what the platform reported: a UUID, with the all-zero ID (what iOS gives without
/// ATT authorization and Android after the user deleted the ID) meaning none.
pub(crate) fn parse_reported_id(reported: Option<String>) -> Result<Option<String>> {
    let Some(id) = reported else {
        return Ok(None);
    };
    let id = id.trim().to_ascii_lowercase();
    let groups: Vec<&str> = id.split('-').collect();
    let well_formed = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(Error::invalid_argument(
            "advertising_id",
            "must be a UUID as the OS reports it",
        ));
    }
    let zeroed = id.bytes().all(|b| b == b'0' || b == b'-');
    Ok((!zeroed).then_some(id))
}

/// The advertising ID, only if the OS allows it, the user consented to advertising, the user
/// is not a minor and processing is not restricted; otherwise none, with the reason. One
/// decision, and the ID only with an allowing one: handing the ID out is a use (counted),
/// asking when there is none is not.
pub(crate) fn answer(locked: &mut Locked) -> AdvertisingIdAnswer {
    let id = locked.state.advertising_id.clone();
    let decision = if locked.state.consent.restricted() {
        Decision::deny(DecisionReason::RestrictedByUser)
    } else if id.is_some() {
        locked.check(AD_CATEGORY, AD_PURPOSE)
    } else {
        locked.explain(AD_CATEGORY, AD_PURPOSE)
    };
    match (decision.allowed, id) {
        (true, Some(id)) => AdvertisingIdAnswer {
            advertising_id: Some(id),
            decision,
        },
        (true, None) => AdvertisingIdAnswer {
            advertising_id: None,
            decision: Decision::deny(DecisionReason::AdvertisingIdUnavailable),
        },
        (false, _) => AdvertisingIdAnswer {
            advertising_id: None,
            decision,
        },
    }
}

/// What the app may send to ad partners: each field of `input`, and the advertising ID, only
/// if its own category is allowed for advertising now. Each included field counts as a use.
pub(crate) fn context(locked: &mut Locked, input: AdContextInput) -> AdContext {
    let mut withheld = Vec::new();
    let mut keep = |field: &str, value: Option<String>| {
        let value = value?;
        let category = CONTEXT_FIELDS
            .iter()
            .find(|(name, _)| *name == field)
            .map_or("", |(_, category)| category);
        let decision = locked.check(category, AD_PURPOSE);
        if decision.allowed {
            Some(value)
        } else {
            withheld.push(WithheldField {
                field: field.to_owned(),
                reason: decision.reason,
            });
            None
        }
    };
    let language = keep("language", input.language);
    let country = keep("country", input.country);
    let city = keep("city", input.city);
    let device_model = keep("device_model", input.device_model);
    let id = answer(locked);
    if id.advertising_id.is_none() {
        withheld.push(WithheldField {
            field: "advertising_id".to_owned(),
            reason: id.decision.reason,
        });
    }
    AdContext {
        language,
        country,
        city,
        device_model,
        advertising_id: id.advertising_id,
        withheld,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_ids_are_checked_and_zero_means_none() {
        assert_eq!(
            parse_reported_id(Some("38400000-8CF0-11BD-B23E-10B96E40000D".into())).unwrap(),
            Some("38400000-8cf0-11bd-b23e-10b96e40000d".into())
        );
        assert_eq!(
            parse_reported_id(Some("00000000-0000-0000-0000-000000000000".into())).unwrap(),
            None
        );
        assert!(parse_reported_id(Some("not-an-id".into())).is_err());
        assert!(parse_reported_id(Some("+79123456789".into())).is_err());
    }

    #[test]
    fn debug_output_hides_the_identifier() {
        let answer = AdvertisingIdAnswer {
            advertising_id: Some("38400000-8cf0-11bd-b23e-10b96e40000d".into()),
            decision: Decision {
                allowed: true,
                reason: DecisionReason::Permitted {
                    basis: crate::decision::LegalBasis::Consent,
                },
            },
        };
        assert!(!format!("{answer:?}").contains("38400000"));
    }
}
