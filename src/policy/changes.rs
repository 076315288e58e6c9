//! Which terms of the policy changed materially from one version to the next.
//!
//! A change is material when what the user agreed to grows: new processing, another legal
//! basis, a recipient added (or an IAB TCF vendor relying on the use), precise location where
//! approximate was enough, the data put behind another OS permission, another controller. Wording (descriptions, dates), removed
//! recipients and removed processing are not: agreeing to more covers agreeing to less.

use std::collections::{BTreeSet, HashSet};

use super::{Policy, PolicyInfo, Processing};
use crate::decision::LegalBasis;
use crate::permissions::LocationAccuracy;

/// One way a (category, purpose) pair's terms grew since the user agreed to them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TermsChange {
    /// The pair was not processed under the version the user agreed to.
    NewProcessing,
    LegalBasisChanged {
        from: LegalBasis,
        to: LegalBasis,
    },
    /// Data now also goes to these recipients (ids from the policy's `recipients`).
    RecipientsAdded {
        recipients: Vec<String>,
    },
    /// These IAB TCF vendors (Global Vendor List ids) now rely on the use, through a TCF
    /// purpose it is mapped to in the policy's `tcf` section.
    TcfVendorsAdded {
        vendors: Vec<u16>,
    },
    /// The use now needs precise location where approximate was enough.
    PreciseLocationRequired,
    /// The category now sits behind another OS permission.
    OsPermissionChanged,
    /// Another controller is responsible for the data.
    ControllerChanged,
}

/// How `processing` (a pair of `newer`) grew compared with `older`; empty if it did not.
pub(crate) fn terms_changes(
    older: &Policy,
    newer: &Policy,
    processing: &Processing,
) -> Vec<TermsChange> {
    let before = older
        .info
        .processing
        .iter()
        .find(|p| p.category == processing.category && p.purpose == processing.purpose);
    changes_from(older, newer, before, processing)
}

/// The IAB TCF vendors relying on `processing`: those that declare, by consent or legitimate
/// interest, a TCF purpose the policy maps the pair to.
fn tcf_vendors(policy: &Policy, processing: &Processing) -> BTreeSet<u16> {
    let Some(tcf) = &policy.tcf else {
        return BTreeSet::new();
    };
    let Some(index) = policy
        .info
        .processing
        .iter()
        .position(|p| p.category == processing.category && p.purpose == processing.purpose)
    else {
        return BTreeSet::new();
    };
    let purposes: BTreeSet<u8> = tcf
        .purposes
        .iter()
        .filter(|m| m.processing.contains(&index))
        .map(|m| m.tcf_id)
        .collect();
    tcf.vendors
        .iter()
        .filter(|v| {
            v.consent_purposes
                .iter()
                .chain(&v.legitimate_interest_purposes)
                .any(|p| purposes.contains(p))
        })
        .map(|v| v.id)
        .collect()
}

/// `terms_changes` once the pair's entry in `older` (if any) is found.
fn changes_from(
    older_policy: &Policy,
    newer_policy: &Policy,
    before: Option<&Processing>,
    processing: &Processing,
) -> Vec<TermsChange> {
    let (older, newer) = (&older_policy.info, &newer_policy.info);
    let mut changes = Vec::new();
    if older.controller_name != newer.controller_name {
        changes.push(TermsChange::ControllerChanged);
    }
    let Some(before) = before else {
        changes.push(TermsChange::NewProcessing);
        return changes;
    };
    if before.legal_basis != processing.legal_basis {
        changes.push(TermsChange::LegalBasisChanged {
            from: before.legal_basis,
            to: processing.legal_basis,
        });
    }
    let earlier: HashSet<&str> = before.recipients.iter().map(String::as_str).collect();
    let added: Vec<String> = processing
        .recipients
        .iter()
        .filter(|r| !earlier.contains(r.as_str()))
        .cloned()
        .collect();
    if !added.is_empty() {
        changes.push(TermsChange::RecipientsAdded { recipients: added });
    }
    let earlier = tcf_vendors(older_policy, before);
    let vendors: Vec<u16> = tcf_vendors(newer_policy, processing)
        .difference(&earlier)
        .copied()
        .collect();
    if !vendors.is_empty() {
        changes.push(TermsChange::TcfVendorsAdded { vendors });
    }
    if processing.location_accuracy == Some(LocationAccuracy::Precise)
        && before.location_accuracy != Some(LocationAccuracy::Precise)
    {
        changes.push(TermsChange::PreciseLocationRequired);
    }
    let permission = |info: &PolicyInfo| {
        info.categories
            .iter()
            .find(|c| c.id == processing.category)
            .and_then(|c| c.os_permission)
    };
    if permission(older) != permission(newer) {
        changes.push(TermsChange::OsPermissionChanged);
    }
    changes
}

impl Policy {
    /// Carries over, pair by pair, the version since which the terms are unchanged: where
    /// `older` had the same terms, agreement given under `older` still holds. Each pair is
    /// found through `older`'s indexes, so this is linear in the size of the policies.
    pub(crate) fn carry_terms_from(&mut self, older: &Policy) {
        for (i, processing) in self.info.processing.iter().enumerate() {
            let older_index = older
                .category_position(&processing.category)
                .zip(older.purpose_position(&processing.purpose))
                .and_then(|(c, p)| older.processing_by_pair[older.pair_index(c, p)]);
            if let Some(j) = older_index {
                let before = &older.info.processing[j];
                if changes_from(older, self, Some(before), processing).is_empty() {
                    self.terms_since[i] = older.terms_since[j];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_policy;

    fn policy(version: u32, edit: impl FnOnce(&mut serde_json::Value)) -> Policy {
        let mut doc = serde_json::json!({
            "format": 1, "policy_id": "p", "version": version, "effective_date": "2026-01-01",
            "controller": { "name": "Example Ltd" }, "minimum_age": 13, "digital_consent_age": 16,
            "categories": [ { "id": "location" }, { "id": "contacts" } ],
            "purposes": [ { "id": "service" }, { "id": "analytics" } ],
            "processing": [
                { "category": "location", "purpose": "service", "legal_basis": "contract" },
                { "category": "location", "purpose": "analytics", "legal_basis": "consent",
                  "recipients": ["stats"] }
            ],
            "recipients": [
                { "id": "stats", "name": "Stats Inc", "kind": "processor" },
                { "id": "ads", "name": "Ads Inc", "kind": "third_party" }
            ]
        });
        edit(&mut doc);
        parse_policy(&doc.to_string()).unwrap()
    }

    fn since(older: &Policy, newer: &mut Policy) -> Vec<u32> {
        newer.carry_terms_from(older);
        newer.terms_since.clone()
    }

    #[test]
    fn wording_changes_carry_every_pair_over() {
        let v1 = policy(1, |_| {});
        let mut v2 = policy(2, |d| {
            d["purposes"][1]["description"] = "Counting how the app is used.".into();
            d["effective_date"] = "2026-06-01".into();
        });
        assert_eq!(since(&v1, &mut v2), vec![1, 1]);
    }

    #[test]
    fn only_the_pairs_that_grew_start_again() {
        let v1 = policy(1, |_| {});
        let mut v2 = policy(2, |d| {
            d["processing"][1]["recipients"] = serde_json::json!(["stats", "ads"]);
        });
        assert_eq!(since(&v1, &mut v2), vec![1, 2]);
        let changes = terms_changes(&v1, &v2, &v2.info.processing[1]);
        assert_eq!(
            changes,
            vec![TermsChange::RecipientsAdded {
                recipients: vec!["ads".into()]
            }]
        );
    }

    #[test]
    fn fewer_recipients_are_not_material() {
        let v1 = policy(1, |_| {});
        let mut v2 = policy(2, |d| {
            d["processing"][1]["recipients"] = serde_json::json!([]);
        });
        assert_eq!(since(&v1, &mut v2), vec![1, 1]);
    }

    #[test]
    fn new_pairs_basis_and_controller_changes_are_material() {
        let v1 = policy(1, |_| {});
        let mut v2 = policy(2, |d| {
            d["processing"][0]["legal_basis"] = "legitimate_interest".into();
            d["processing"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({ "category": "contacts", "purpose": "analytics", "legal_basis": "consent" }));
        });
        assert_eq!(since(&v1, &mut v2), vec![2, 1, 2]);
        let mut v3 = policy(3, |d| d["controller"]["name"] = "Other Owner GmbH".into());
        let mut v2_again = policy(2, |_| {});
        v2_again.carry_terms_from(&v1);
        assert_eq!(since(&v2_again, &mut v3), vec![3, 3]);
        assert!(terms_changes(&v2_again, &v3, &v3.info.processing[0])
            .contains(&TermsChange::ControllerChanged));
    }

    #[test]
    fn carried_versions_chain_across_several_updates() {
        let v1 = policy(1, |_| {});
        let mut v2 = policy(2, |d| {
            d["processing"][0]["legal_basis"] = "legitimate_interest".into()
        });
        v2.carry_terms_from(&v1);
        let mut v3 = policy(3, |d| {
            d["processing"][0]["legal_basis"] = "legitimate_interest".into()
        });
        assert_eq!(since(&v2, &mut v3), vec![2, 1]);
    }
}
