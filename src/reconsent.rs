//! Policy updates: which uses the user agreed to under terms that have since grown.
//!
//! Each use of the policy in force knows the version since which its terms are unchanged
//! (`Policy::terms_since`). A consent or an acceptance given under an older version no
//! longer covers it; the guard answers `ReconsentNeeded` or `PolicyNotAccepted`, and this
//! module lists those uses with what changed, so the app can ask once, precisely.

use std::collections::hash_map::{Entry, HashMap};

use crate::consent::ConsentChoice;
use crate::decision::LegalBasis;
use crate::error::Result;
use crate::policy::{self, parse_policy, terms_changes, Policy, TermsChange};
use crate::state::State;

/// What the user must do to cover a use again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReconsentAction {
    /// Consent again (`grant_consent`).
    GrantConsent,
    /// Accept the policy in force (`accept_policy`).
    AcceptPolicy,
}

/// One use whose terms grew after the user agreed to it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReconsentItem {
    pub category: String,
    pub purpose: String,
    pub legal_basis: LegalBasis,
    pub action: ReconsentAction,
    /// The policy version the user agreed under.
    pub agreed_version: u32,
    /// How the terms grew since that version.
    pub changes: Vec<TermsChange>,
}

pub(crate) fn pending(core: &State) -> Result<Vec<ReconsentItem>> {
    let policy = &core.policy;
    let mut agreed_policies: HashMap<u32, Option<Policy>> = HashMap::new();
    let mut items = Vec::new();
    for (i, processing) in policy.info.processing.iter().enumerate() {
        let since = policy.terms_since[i];
        let basis = processing.legal_basis;
        let agreed = match basis {
            _ if basis.needs_no_acceptance() => None,
            LegalBasis::Consent => core
                .consent
                .choice(&processing.category, &processing.purpose)
                .filter(|r| r.value == ConsentChoice::Granted && r.policy_version < since)
                .map(|r| (r.policy_version, ReconsentAction::GrantConsent)),
            _ if policy.info.requires_acceptance => core
                .consent
                .accepted_policy_version()
                .filter(|v| *v < since)
                .map(|v| (v, ReconsentAction::AcceptPolicy)),
            _ => None,
        };
        let Some((agreed_version, action)) = agreed else {
            continue;
        };
        let agreed_policy = match agreed_policies.entry(agreed_version) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => {
                let document = policy::db::document(core.store.conn(), agreed_version)?;
                slot.insert(document.and_then(|d| parse_policy(&d).ok()))
            }
        };
        let changes = match agreed_policy {
            Some(older) => terms_changes(older, policy, processing),
            // The version agreed to is not stored here (agreed on another install, restored
            // from a migration): everything about the use is new to this device.
            None => vec![TermsChange::NewProcessing],
        };
        items.push(ReconsentItem {
            category: processing.category.clone(),
            purpose: processing.purpose.clone(),
            legal_basis: basis,
            action,
            agreed_version,
            changes,
        });
    }
    Ok(items)
}

/// The uses of `newer` whose terms grew compared with `older`, as `pending` would list them
/// for a user who had agreed to every use of `older`: the same rule, without a store. Uses that
/// need no agreement (a legal obligation, a vital interest, or no acceptance required) are
/// left out, since nobody is asked about them.
pub(crate) fn between(older: &Policy, newer: &Policy) -> Vec<ReconsentItem> {
    newer
        .info
        .processing
        .iter()
        .filter_map(|processing| {
            let basis = processing.legal_basis;
            let action = match basis {
                _ if basis.needs_no_acceptance() => return None,
                LegalBasis::Consent => ReconsentAction::GrantConsent,
                _ if newer.info.requires_acceptance => ReconsentAction::AcceptPolicy,
                _ => return None,
            };
            let changes = terms_changes(older, newer, processing);
            (!changes.is_empty()).then(|| ReconsentItem {
                category: processing.category.clone(),
                purpose: processing.purpose.clone(),
                legal_basis: basis,
                action,
                agreed_version: older.info.version,
                changes,
            })
        })
        .collect()
}
