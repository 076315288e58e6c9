//! The advertising identifier and what apps send to ad partners.
//!
//! The platform layer reports the OS advertising ID (IDFA, or Android's advertising ID) at
//! each launch; PrivacyKit keeps it in memory only, never in the store, so there is no copy
//! to erase. Tracking authorization is the `Tracking` OS permission: iOS ATT maps directly;
//! on Android the platform layer reports `Denied` when the user limited ad tracking or deleted
//! the ID. The ID leaves PrivacyKit only when the OS allows it, the user consented to
//! advertising, the user is not a minor and processing is not restricted.

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;

use crate::error::{PrivacyError, Result};
use crate::guard::{Decision, DecisionReason};

pub(crate) const AD_CATEGORY: &str = "advertising_id";
pub(crate) const AD_PURPOSE: &str = "advertising";

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
pub(crate) const CONTEXT_FIELDS: [(&str, &str); 4] = [
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
        return Err(PrivacyError::invalid_argument(
            "advertising_id",
            "must be a UUID as the OS reports it",
        ));
    }
    let zeroed = id.bytes().all(|b| b == b'0' || b == b'-');
    Ok((!zeroed).then_some(id))
}

/// A fresh random (version 4) UUID.
pub(crate) fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = crate::consent::ledger::to_hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
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
    fn install_ids_are_random_v4_uuids() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        assert_eq!(parse_reported_id(Some(a.clone())).unwrap(), Some(a.clone()));
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn debug_output_hides_the_identifier() {
        let answer = AdvertisingIdAnswer {
            advertising_id: Some("38400000-8cf0-11bd-b23e-10b96e40000d".into()),
            decision: Decision {
                allowed: true,
                reason: DecisionReason::Permitted {
                    basis: crate::policy::LegalBasis::Consent,
                },
            },
        };
        assert!(!format!("{answer:?}").contains("38400000"));
    }
}
