//! The IAB consent signals: the `IABTCF_*` and `IABGPP_*` keys ad SDKs read from
//! `SharedPreferences` / `NSUserDefaults`, built from the same decisions the guard makes and
//! written through the app's `ConsentSignalStore`.
//!
//! The keys are computed under the store lock, right after a change is committed, so the
//! newest computed set is always the one for the newest state; they are written after every
//! lock is released, as listeners are called. Only the newest set matters, so a set not yet
//! written is replaced by a newer one rather than queued behind it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use privacykit_tcf::{
    day_timestamp, decode_tc_string, in_app_keys, ConsentSignals, InAppKeys, InAppValue,
    PublisherRestriction, PublisherTc, RestrictionType, TcModel, UsNat, SECTION_TCF_EU_V2,
    SECTION_US_NAT,
};

use crate::consent::{ConsentAction, ConsentChange, ConsentChoice, ConsentSource};
use crate::decision::{Decision, DecisionReason, LegalBasis};
use crate::error::{Error, Result};
use crate::guard::decide;
use crate::policy::tcf::{GdprApplies, Mapping, Restriction, TcfConfig, UsNatUses};
use crate::state::State;

/// A value as the specifications type it: a number, or a string (the '0'/'1' strings among
/// them are written exactly as given).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentSignalValue {
    Int { value: i64 },
    Text { value: String },
}

/// What a consent signal store may report back; PrivacyKit logs it and writes the whole set
/// again after the next change.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ConsentSignalStoreError {
    #[error("the consent signal store failed")]
    Failed,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ConsentSignalStoreError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ConsentSignalStoreError::Failed
    }
}

/// Where the app keeps the keys ad SDKs read: on Android the default `SharedPreferences`, on
/// iOS `UserDefaults.standard`.
///
/// `write` must apply `values` and remove `removed_keys` in one step (one
/// `SharedPreferences.Editor.commit()`), so an ad SDK never reads half of one decision and
/// half of another. It is called with no PrivacyKit lock held, one call at a time, newest
/// state last.
#[uniffi::export(with_foreign)]
pub trait ConsentSignalStore: Send + Sync {
    fn write(
        &self,
        values: HashMap<String, ConsentSignalValue>,
        removed_keys: Vec<String>,
    ) -> Result<(), ConsentSignalStoreError>;
}

/// Every key of the two families PrivacyKit can write, so that one it no longer writes (a
/// restriction dropped, GDPR found not to apply) is removed rather than left for vendors to
/// read. Computed from a model that sets every optional part.
pub(crate) fn known_keys() -> &'static BTreeSet<String> {
    static KEYS: OnceLock<BTreeSet<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let model = TcModel {
            cmp_id: 2,
            cmp_version: 1,
            vendor_list_version: 1,
            publisher_restrictions: (1..=24)
                .map(|purpose_id| PublisherRestriction {
                    purpose_id,
                    restriction_type: RestrictionType::RequireConsent,
                    vendor_ids: vec![1],
                })
                .collect(),
            disclosed_vendors: vec![1],
            publisher_tc: Some(PublisherTc::default()),
            ..TcModel::default()
        };
        let signals = ConsentSignals {
            tcf: Some(model),
            gdpr_applies: true,
            usnat: Some(UsNat::default()),
            gpp_applicable_sections: Vec::new(),
        };
        in_app_keys(&signals)
            .map(|keys| keys.into_keys().collect())
            .unwrap_or_default()
    })
}

/// The EEA (the EU and Iceland, Liechtenstein, Norway), the United Kingdom and Switzerland:
/// where GDPR, the UK GDPR or the Swiss FADP make the TCF's rules apply.
const GDPR_COUNTRIES: [&str; 32] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "GB", "CH",
];

/// Whether GDPR applies to this user under `rule`. Undeclared, it applies: the protective
/// answer, as the age rules default to protecting.
pub(crate) fn gdpr_applies(rule: GdprApplies, jurisdiction: Option<&str>) -> bool {
    match (rule, jurisdiction) {
        (GdprApplies::Always, _) => true,
        (GdprApplies::Never, _) => false,
        (GdprApplies::ByJurisdiction, None) => true,
        (GdprApplies::ByJurisdiction, Some(code)) => {
            let country = code.split('-').next().unwrap_or(code);
            GDPR_COUNTRIES.contains(&country)
        }
    }
}

/// Whether the guard's decision lets the use go ahead as far as the user and the policy are
/// concerned. The OS permission is left out: it gates the app's own access to the data, and
/// ad SDKs read the OS's answer (ATT, the advertising-ID setting) themselves.
fn user_allows(decision: &Decision) -> bool {
    decision.allowed
        || matches!(
            decision.reason,
            DecisionReason::OsPermissionNotRequested { .. }
                | DecisionReason::OsPermissionDenied { .. }
                | DecisionReason::BlockedInSettings { .. }
                | DecisionReason::OsPermissionRestricted { .. }
                | DecisionReason::ApproximateLocationOnly
        )
}

/// Whether every declared pair of `mapping` is allowed for the user now.
fn mapping_allowed(state: &State, mapping: &Mapping) -> bool {
    pairs_allowed(state, &mapping.processing)
}

/// Whether every declared pair in `processing` (indexes into the policy's) is allowed for the
/// user now, the OS permission aside.
fn pairs_allowed(state: &State, processing: &[usize]) -> bool {
    let policy = &state.policy;
    let permissions = state.permission_states();
    processing.iter().all(|&i| {
        let processing = &policy.info.processing[i];
        let (Some(c), Some(p)) = (
            policy.category_position(&processing.category),
            policy.purpose_position(&processing.purpose),
        ) else {
            return false;
        };
        let decision = decide(
            policy,
            policy.pair_index(c, p),
            &state.consent,
            &permissions,
            &state.age,
        );
        user_allows(&decision)
    })
}

/// The TC model for the user's state: purposes from the mapped uses' decisions (a
/// withdrawal clears a consent bit, an objection a legitimate-interest bit), vendors from the
/// purposes each relies on, after the publisher's restrictions.
pub(crate) fn tc_model(state: &State, config: &TcfConfig, now_ms: i64) -> TcModel {
    let mut purpose_consents = Vec::new();
    let mut purpose_legitimate_interests = Vec::new();
    for mapping in &config.purposes {
        if mapping_allowed(state, mapping) {
            match mapping.basis {
                LegalBasis::Consent => purpose_consents.push(mapping.tcf_id),
                _ => purpose_legitimate_interests.push(mapping.tcf_id),
            }
        }
    }
    let special_feature_opt_ins: Vec<u8> = config
        .special_features
        .iter()
        .filter(|m| mapping_allowed(state, m))
        .map(|m| m.tcf_id)
        .collect();

    let mut restrictions: BTreeMap<(u8, u16), Restriction> = BTreeMap::new();
    for r in &config.publisher_restrictions {
        for &vendor in &r.vendors {
            restrictions.insert((r.tcf_purpose, vendor), r.restriction);
        }
    }
    let mut vendor_consents = Vec::new();
    let mut vendor_legitimate_interests = Vec::new();
    for vendor in &config.vendors {
        let mut consent = vendor.consent_purposes.clone();
        let mut interest = vendor.legitimate_interest_purposes.clone();
        for (&(purpose, id), &restriction) in &restrictions {
            if id != vendor.id {
                continue;
            }
            match restriction {
                Restriction::NotAllowed => {
                    consent.remove(&purpose);
                    interest.remove(&purpose);
                }
                Restriction::RequireConsent => {
                    if interest.remove(&purpose) {
                        consent.insert(purpose);
                    }
                }
                Restriction::RequireLegitimateInterest => {
                    if consent.remove(&purpose) {
                        interest.insert(purpose);
                    }
                }
            }
        }
        // Vendor consent stands when the user consented to at least one purpose the vendor
        // relies on by consent: a vendor reads the purpose bit beside its own for every
        // purpose, so it processes for the consented purposes only.
        if consent.iter().any(|p| purpose_consents.contains(p)) {
            vendor_consents.push(vendor.id);
        }
        if interest
            .iter()
            .any(|p| purpose_legitimate_interests.contains(p))
        {
            vendor_legitimate_interests.push(vendor.id);
        }
    }

    // Since TCF v2.2 both timestamps are the day of the last update. The choices in force
    // were last made at the newest ledger entry; before any, the string is new today.
    let latest = match state.consent.latest_ms() {
        0 => now_ms,
        at => at,
    };
    let day = day_timestamp(u64::try_from(latest).unwrap_or(0) / 1000);
    TcModel {
        created: day,
        last_updated: day,
        cmp_id: config.cmp_id,
        cmp_version: config.cmp_version,
        consent_screen: config.consent_screen,
        consent_language: config.consent_language.clone(),
        vendor_list_version: config.vendor_list_version,
        use_non_standard_texts: config.use_non_standard_texts,
        special_feature_opt_ins,
        purpose_consents: purpose_consents.clone(),
        purpose_legitimate_interests: purpose_legitimate_interests.clone(),
        purpose_one_treatment: config.purpose_one_treatment,
        publisher_country_code: config.publisher_country_code.clone(),
        vendor_consents,
        vendor_legitimate_interests,
        publisher_restrictions: config
            .publisher_restrictions
            .iter()
            .map(|r| PublisherRestriction {
                purpose_id: r.tcf_purpose,
                restriction_type: match r.restriction {
                    Restriction::NotAllowed => RestrictionType::NotAllowed,
                    Restriction::RequireConsent => RestrictionType::RequireConsent,
                    Restriction::RequireLegitimateInterest => {
                        RestrictionType::RequireLegitimateInterest
                    }
                },
                vendor_ids: r.vendors.clone(),
            })
            .collect(),
        disclosed_vendors: config.vendors.iter().map(|v| v.id).collect(),
        // The app's own processing, mapped to TCF purposes, is the publisher's.
        publisher_tc: Some(PublisherTc {
            purpose_consents,
            purpose_legitimate_interests,
            ..PublisherTc::default()
        }),
        ..TcModel::default()
    }
}

/// Whether a US state privacy law may apply: a US jurisdiction, or none declared (as GDPR is
/// taken to apply then, the protective answer).
fn us_law_may_apply(jurisdiction: Option<&str>) -> bool {
    jurisdiction.is_none_or(|code| code.split('-').next() == Some("US"))
}

/// The US National section from the user's choices: for each of sale, sharing and targeted
/// advertising the app declares, the notice was given (the policy the user was shown says so)
/// and the user opted out unless every use behind it is allowed now. A withdrawn consent or
/// an objection is an opt-out. What the app does not declare is "not applicable".
fn us_national(state: &State, uses: &UsNatUses) -> UsNat {
    // The section's values: 0 not applicable, 1 yes (notice given / opted out), 2 no.
    let notice = |pairs: &[usize]| if pairs.is_empty() { 0 } else { 1 };
    let opted_out = |pairs: &[usize]| match (pairs.is_empty(), pairs_allowed(state, pairs)) {
        (true, _) => 0,
        (false, true) => 2,
        (false, false) => 1,
    };
    UsNat {
        sharing_notice: notice(&uses.sharing),
        sale_opt_out_notice: notice(&uses.sale),
        sharing_opt_out_notice: notice(&uses.sharing),
        targeted_advertising_opt_out_notice: notice(&uses.targeted_advertising),
        sale_opt_out: opted_out(&uses.sale),
        sharing_opt_out: opted_out(&uses.sharing),
        targeted_advertising_opt_out: opted_out(&uses.targeted_advertising),
        ..UsNat::default()
    }
}

/// The keys for the user's state now; empty when the policy has no `tcf` section (nothing
/// of these families is then PrivacyKit's to write) or, logged, when they cannot be encoded.
pub(crate) fn keys_for(state: &State, now_ms: i64) -> InAppKeys {
    let Some(config) = state.policy.tcf.as_ref() else {
        return InAppKeys::new();
    };
    let jurisdiction = state
        .consent
        .declared()
        .and_then(|d| d.facts.jurisdiction.as_deref());
    let applies = gdpr_applies(config.gdpr_applies, jurisdiction);
    let usnat = config
        .usnat
        .as_ref()
        .filter(|_| us_law_may_apply(jurisdiction))
        .map(|uses| us_national(state, uses));
    let mut gpp_applicable_sections = Vec::new();
    if applies {
        gpp_applicable_sections.push(SECTION_TCF_EU_V2);
    }
    if usnat.is_some() {
        gpp_applicable_sections.push(SECTION_US_NAT);
    }
    let signals = ConsentSignals {
        tcf: Some(tc_model(state, config, now_ms)),
        gdpr_applies: applies,
        usnat,
        gpp_applicable_sections,
    };
    in_app_keys(&signals).unwrap_or_else(|_| {
        // Validation makes this unreachable; were it reached, keys describing older choices
        // must not stay behind.
        log::warn!("the consent signals could not be encoded; they are removed");
        InAppKeys::new()
    })
}

/// The ledger entries that make the user's choices for the mapped uses what `text` (a TC
/// string) says: per declared pair, its consent (or its legitimate interest) stands only if
/// every TCF purpose or special feature it is mapped to does. Pairs already as the string
/// says get no entry. Refused, with nothing planned, when the policy has no `tcf` section or
/// the string is malformed, from another CMP, for another vendor list version or from before
/// TCF policy v2.2.
pub(crate) fn import_plan(
    state: &State,
    text: &str,
) -> Result<Vec<(ConsentChange, Option<String>)>> {
    let refused = |reason: String| Error::TcStringRefused { reason };
    let config = state
        .policy
        .tcf
        .as_ref()
        .ok_or_else(|| refused("the policy has no tcf section".into()))?;
    let model = decode_tc_string(text).map_err(|e| refused(format!("malformed: {e}")))?;
    if model.cmp_id != config.cmp_id {
        return Err(refused(format!(
            "written by CMP {}, not by this app's CMP {}",
            model.cmp_id, config.cmp_id
        )));
    }
    if model.vendor_list_version != config.vendor_list_version {
        return Err(refused(format!(
            "written against vendor list version {}, the policy declares {}",
            model.vendor_list_version, config.vendor_list_version
        )));
    }
    if model.tcf_policy_version < MIN_TCF_POLICY_VERSION {
        return Err(refused(format!(
            "TCF policy version {} predates TCF v2.2",
            model.tcf_policy_version
        )));
    }
    // Per declared pair: whether it stands, and the TCF ids that say so.
    let mut wanted: BTreeMap<usize, (bool, Vec<u8>)> = BTreeMap::new();
    let signals = config
        .purposes
        .iter()
        .map(|m| {
            (
                m,
                model.purpose_consents.contains(&m.tcf_id) && m.basis == LegalBasis::Consent
                    || model.purpose_legitimate_interests.contains(&m.tcf_id)
                        && m.basis == LegalBasis::LegitimateInterest,
            )
        })
        .chain(
            config
                .special_features
                .iter()
                .map(|m| (m, model.special_feature_opt_ins.contains(&m.tcf_id))),
        );
    for (mapping, set) in signals {
        for &index in &mapping.processing {
            let slot = wanted.entry(index).or_insert((true, Vec::new()));
            slot.0 &= set;
            slot.1.push(mapping.tcf_id);
        }
    }
    let mut plan = Vec::new();
    for (index, (stands, tcf_ids)) in wanted {
        let processing = &state.policy.info.processing[index];
        let (category, purpose) = (processing.category.as_str(), processing.purpose.as_str());
        let action = match processing.legal_basis {
            LegalBasis::Consent => match (
                stands,
                state.consent.choice(category, purpose).map(|r| r.value),
            ) {
                (true, Some(ConsentChoice::Granted)) => None,
                (true, _) => Some(ConsentAction::Grant),
                (false, Some(ConsentChoice::Granted)) => Some(ConsentAction::Withdraw),
                (false, None) => Some(ConsentAction::Deny),
                (false, Some(_)) => None,
            },
            _ => match (stands, state.consent.objects(category, purpose)) {
                (true, true) => Some(ConsentAction::WithdrawObjection),
                (false, false) => Some(ConsentAction::Object),
                _ => None,
            },
        };
        let Some(action) = action else { continue };
        let detail = serde_json::json!({
            "imported_from": "tc_string",
            "cmp_id": model.cmp_id,
            "cmp_version": model.cmp_version,
            "vendor_list_version": model.vendor_list_version,
            "tcf_ids": tcf_ids,
        });
        plan.push((
            ConsentChange {
                action,
                purpose: Some(purpose.to_owned()),
                category: Some(category.to_owned()),
                source: ConsentSource::TcString,
            },
            Some(detail.to_string()),
        ));
    }
    Ok(plan)
}

/// TCF v2.2's policy version: strings from before it allowed legitimate interest for
/// purposes that may now rest only on consent.
const MIN_TCF_POLICY_VERSION: u8 = 4;

/// The registered store, the newest set not yet written and the last set written.
#[derive(Default)]
pub(crate) struct Signals {
    store: Mutex<Option<Arc<dyn ConsentSignalStore>>>,
    delivery: Mutex<Delivery>,
}

#[derive(Default)]
struct Delivery {
    pending: Option<InAppKeys>,
    /// What the store holds, as far as PrivacyKit knows; `None` after a failed write or a new
    /// store, so the next set is written whole.
    written: Option<InAppKeys>,
    draining: bool,
}

/// Clears `draining` if a write unwinds, so later sets are still written.
struct Draining<'a>(&'a Mutex<Delivery>);

impl Drop for Draining<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).draining = false;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Signals {
    pub fn active(&self) -> bool {
        lock(&self.store).is_some()
    }

    /// Registers `store`; the caller then stages the current keys (under the store lock) and
    /// delivers them, so the new store gets the whole set once.
    pub fn set_store(&self, store: Arc<dyn ConsentSignalStore>) {
        *lock(&self.store) = Some(store);
        lock(&self.delivery).written = None;
    }

    pub fn clear(&self) {
        lock(&self.store).take();
        *lock(&self.delivery) = Delivery::default();
    }

    /// Makes `keys` the next set to write, replacing one not yet written. Called under the
    /// store lock, so the newest set staged is the newest state's.
    pub fn stage(&self, keys: InAppKeys) {
        lock(&self.delivery).pending = Some(keys);
    }

    /// Writes the staged set, with no other lock held while the store runs. One thread
    /// writes at a time; one that finds another writing leaves its set to it.
    pub fn deliver(&self) {
        {
            let mut delivery = lock(&self.delivery);
            if delivery.draining {
                return;
            }
            delivery.draining = true;
        }
        let _unwinding = Draining(&self.delivery);
        loop {
            let (keys, previous) = {
                let mut delivery = lock(&self.delivery);
                match delivery.pending.take() {
                    Some(keys) => (keys, delivery.written.clone()),
                    None => {
                        delivery.draining = false;
                        return;
                    }
                }
            };
            if previous.as_ref() == Some(&keys) {
                continue;
            }
            let Some(store) = lock(&self.store).clone() else {
                continue;
            };
            let removed: Vec<String> = known_keys()
                .iter()
                .chain(previous.iter().flat_map(|p| p.keys()))
                .filter(|key| !keys.contains_key(*key))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let values: HashMap<String, ConsentSignalValue> = keys
                .iter()
                .map(|(key, value)| {
                    let value = match value {
                        InAppValue::Int(value) => ConsentSignalValue::Int { value: *value },
                        InAppValue::Str(value) => ConsentSignalValue::Text {
                            value: value.clone(),
                        },
                    };
                    (key.clone(), value)
                })
                .collect();
            let outcome = catch_unwind(AssertUnwindSafe(|| store.write(values, removed)));
            let ok = matches!(outcome, Ok(Ok(())));
            if !ok {
                log::warn!("the consent signal store failed; the keys are written again after the next change");
            }
            lock(&self.delivery).written = ok.then_some(keys);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_keys_cover_every_family_member_written() {
        let keys = known_keys();
        for key in [
            "IABTCF_TCString",
            "IABTCF_gdprApplies",
            "IABTCF_PublisherRestrictions1",
            "IABTCF_PublisherRestrictions24",
            "IABTCF_PublisherConsent",
            "IABGPP_HDR_GppString",
            "IABGPP_GppSID",
            "IABGPP_2_String",
            "IABGPP_7_String",
        ] {
            assert!(keys.contains(key), "{key}");
        }
    }

    #[test]
    fn gdpr_applies_in_the_eea_the_uk_and_switzerland_and_while_undeclared() {
        let rule = GdprApplies::ByJurisdiction;
        for code in ["DE", "FR-75", "NO", "GB", "CH", "IS"] {
            assert!(gdpr_applies(rule, Some(code)), "{code}");
        }
        for code in ["US", "US-CA", "BR", "RU", "JP"] {
            assert!(!gdpr_applies(rule, Some(code)), "{code}");
        }
        assert!(gdpr_applies(rule, None));
        assert!(gdpr_applies(GdprApplies::Always, Some("US")));
        assert!(!gdpr_applies(GdprApplies::Never, Some("DE")));
    }
}
