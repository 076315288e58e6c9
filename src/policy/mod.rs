//! The app's declared privacy policy: its public shape, and the validated, indexed form the
//! guard reads. Parsing and validation of the JSON document live in `document.rs`.

mod changes;
pub(crate) mod countries;
pub(crate) mod db;
mod document;
pub(crate) mod tcf;

use std::collections::HashMap;

use crate::decision::LegalBasis;
use crate::permissions::{LocationAccuracy, OsPermission};

pub(crate) use changes::terms_changes;
pub use changes::TermsChange;
pub(crate) use document::parse_policy;

/// The JSON Schema of the policy document, for editors and tooling.
pub const POLICY_JSON_SCHEMA: &str = include_str!("policy.schema.json");

/// Categories every policy may use without describing them, with the OS permission each
/// needs. Any other id is the app's own category.
pub const BUILT_IN_CATEGORIES: [(&str, Option<OsPermission>); 8] = [
    ("contacts", Some(OsPermission::Contacts)),
    ("location", Some(OsPermission::Location)),
    ("social_accounts", None),
    ("advertising_id", Some(OsPermission::Tracking)),
    ("device_info", None),
    ("call_history", Some(OsPermission::CallLog)),
    ("call_recording", Some(OsPermission::Microphone)),
    ("diagnostics", None),
];

/// Purposes every policy may use without describing them.
pub const BUILT_IN_PURPOSES: [&str; 8] = [
    "service",
    "support",
    "analytics",
    "marketing",
    "advertising",
    "profiling",
    "fraud_prevention",
    "legal_compliance",
];

/// How the guard treats a user whose age was never declared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum UnknownAgeRule {
    /// The protective defaults for minors apply until an adult age is declared (the default).
    #[default]
    Protect,
    /// Treat the user as an adult until an age is declared: for apps that verify age before
    /// the SDK is used (an adult-only service with checked sign-up, for example).
    Adult,
}

/// Who receives data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, uniffi::Enum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    Processor,
    /// Format 1 only: format 2 says which kind of controller the recipient is.
    ThirdParty,
    PublicAuthority,
    /// Decides on its own purposes and means (GDPR art. 4(7)); answers to the user itself.
    IndependentController,
    /// Decides jointly with the app's controller (GDPR art. 26).
    JointController,
}

/// The policy's age rules for some jurisdictions, or for every other one (the default rule).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgeRule {
    /// ISO 3166-1 alpha-2 codes and the region `EEA`; empty in the default rule.
    pub jurisdictions: Vec<String>,
    /// Below it, only the purposes in `open_below_minimum_age` run.
    pub minimum_age: u8,
    /// Below it, every purpose but the service needs a guardian's consent.
    pub digital_consent_age: u8,
    /// Purposes a user below the minimum age may still use; empty: the service stops too.
    pub open_below_minimum_age: Vec<String>,
}

/// How a user accepts the policy.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, uniffi::Enum, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// The user acts to accept (a button, a checkbox).
    #[default]
    Explicit,
    /// The user was shown a notice and went on using the app; `accept_policy` then records
    /// that the notice was given, in the ledger entry's detail.
    ContinuedUseAfterNotice,
}

/// What makes a transfer out of the controller's jurisdiction lawful (GDPR chapter V).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, uniffi::Enum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferSafeguard {
    Adequacy,
    StandardContractualClauses,
    BindingCorporateRules,
    Consent,
    Other,
}

/// Data sent to a recipient in other countries. Declared, not enforced on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct Transfer {
    /// ISO 3166-1 alpha-2 codes and the region `EEA`.
    pub countries: Vec<String>,
    pub safeguard: TransferSafeguard,
    pub description: Option<String>,
}

/// The kinds of promise a policy makes about what happens off the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, uniffi::Enum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentKind {
    NotStoredOnServers,
    EncryptedInTransit,
    EncryptedAtRest,
    EndToEndEncrypted,
    /// The servers keep `what` for `days` at most.
    ServerRetention,
    ActionsLogged,
    OthersNotified,
    /// Content (a call, a conversation) is recorded only when the user or client turned
    /// recording on themselves.
    RecordedOnlyWhenEnabled,
}

/// A promise about processing off the device. Declared, not enforced: PrivacyKit cannot see
/// the servers; it shows and exports the promise so the user can hold the app to it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct Commitment {
    pub kind: CommitmentKind,
    /// The declared categories it concerns; empty: all of them.
    pub categories: Vec<String>,
    /// `ServerRetention` only.
    pub days: Option<u32>,
    /// `ServerRetention` only: what is kept.
    pub what: Option<String>,
    /// The promise in the policy's own words.
    pub text: String,
}

/// How long the app keeps one kind of its own data. PrivacyKit reports the cutoff; the app
/// deletes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct AppRetentionRule {
    pub data: String,
    pub days: u32,
    pub description: Option<String>,
    /// The event the period counts from; `None`: from the moment the data was made, so what
    /// is older than `days` before now is due.
    pub after: Option<RetentionEvent>,
}

/// Something that happens to the user's relationship with the app, which the app reports
/// (`report_retention_event`) and an `app_retention` period can count from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, uniffi::Enum, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RetentionEvent {
    /// The user closed their account.
    AccountClosure,
    /// The user unsubscribed (from a newsletter, a mailing list, a paid plan).
    Unsubscribe,
    /// The user signed up and did not confirm the sign-up in the time the app allows.
    UnconfirmedSignup,
}

impl RetentionEvent {
    pub const ALL: [RetentionEvent; 3] = [
        RetentionEvent::AccountClosure,
        RetentionEvent::Unsubscribe,
        RetentionEvent::UnconfirmedSignup,
    ];

    /// The name the policy and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionEvent::AccountClosure => "account_closure",
            RetentionEvent::Unsubscribe => "unsubscribe",
            RetentionEvent::UnconfirmedSignup => "unconfirmed_signup",
        }
    }

    pub fn parse(name: &str) -> Option<RetentionEvent> {
        RetentionEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// The retention ids of the data PrivacyKit holds and deletes itself; `retention` accepts only
/// these (the app's own data goes in `app_retention`). `holders.rs` checks the list against
/// the data holders.
pub const ENFORCED_RETENTION_IDS: [&str; 5] = [
    "consent_records",
    "permission_history",
    "access_log",
    "linked_accounts",
    "discovery_cache",
];

/// A kind of personal data the app processes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Category {
    pub id: String,
    pub description: Option<String>,
    /// The OS permission the data sits behind, if any.
    pub os_permission: Option<OsPermission>,
    pub built_in: bool,
    /// An identifier read from the device (`advertising_id` always): reading it needs the
    /// user's consent under the ePrivacy rules, so only `consent` is accepted as its basis.
    pub device_identifier: bool,
}

/// Why the app uses data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Purpose {
    pub id: String,
    pub description: Option<String>,
    pub built_in: bool,
}

/// One (category, purpose) pair the app declares, with its legal basis.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Processing {
    pub category: String,
    pub purpose: String,
    pub legal_basis: LegalBasis,
    /// The accuracy this use needs; `Precise` is refused when the OS granted approximate.
    pub location_accuracy: Option<LocationAccuracy>,
    pub recipients: Vec<String>,
    pub description: Option<String>,
}

/// How long one kind of data is kept.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RetentionRule {
    pub data: String,
    pub days: u32,
    pub description: Option<String>,
}

/// Someone the app shares data with.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Recipient {
    pub id: String,
    pub name: String,
    pub kind: RecipientKind,
    pub country: Option<String>,
    pub description: Option<String>,
    pub transfers: Vec<Transfer>,
}

/// The policy as the app declared it, after validation; what a "Your choices" screen shows.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PolicyInfo {
    pub policy_id: String,
    pub version: u32,
    pub effective_date: String,
    pub last_revised: Option<String>,
    pub controller_name: String,
    pub controller_contact: Option<String>,
    pub requires_acceptance: bool,
    /// The default age rule's minimum age (format 1: the document's `minimum_age`).
    pub minimum_age: u8,
    /// The default age rule's age of digital consent.
    pub digital_consent_age: u8,
    pub unknown_age: UnknownAgeRule,
    pub categories: Vec<Category>,
    pub purposes: Vec<Purpose>,
    pub processing: Vec<Processing>,
    /// Data PrivacyKit deletes itself.
    pub retention: Vec<RetentionRule>,
    pub recipients: Vec<Recipient>,
    /// The document's format: 1 or 2. A format-1 document is read into this same shape.
    pub format: u32,
    /// Age rules by jurisdiction; no two cover the same country.
    pub age_rules: Vec<AgeRule>,
    /// The age rule for every jurisdiction no rule lists, and for users who declared none.
    pub default_age_rule: AgeRule,
    pub acceptance: Acceptance,
    pub commitments: Vec<Commitment>,
    /// The app's own data: PrivacyKit reports when it is due for deletion.
    pub app_retention: Vec<AppRetentionRule>,
}

impl PolicyInfo {
    /// The age rule for a declared jurisdiction (`DE`, `US-CA`): the rule listing its country,
    /// or the EEA for a member state, else the default rule.
    pub fn age_rule_for(&self, jurisdiction: Option<&str>) -> &AgeRule {
        let country = jurisdiction.map(|j| j.split('-').next().unwrap_or(j));
        let Some(country) = country else {
            return &self.default_age_rule;
        };
        self.age_rules
            .iter()
            .find(|rule| {
                rule.jurisdictions.iter().any(|listed| {
                    listed == country || (listed == countries::EEA && countries::in_eea(country))
                })
            })
            .unwrap_or(&self.default_age_rule)
    }
}

/// A validated policy with the indexes the guard needs.
#[derive(Debug)]
pub(crate) struct Policy {
    pub info: PolicyInfo,
    /// The document re-serialized with sorted keys and no white space: two documents that
    /// differ only in layout have the same canonical form.
    pub canonical_json: String,
    pub canonical_sha256: [u8; 32],
    category_index: HashMap<String, usize>,
    purpose_index: HashMap<String, usize>,
    /// `pair_index(c, p)` -> index into `info.processing`.
    processing_by_pair: Vec<Option<usize>>,
    /// Per entry of `info.processing`: the oldest policy version from which its terms have
    /// not changed materially. Agreement given under an older version no longer holds.
    pub terms_since: Vec<u32>,
    /// The optional `tcf` section: how the declared uses map onto IAB TCF purposes.
    pub tcf: Option<tcf::TcfConfig>,
}

impl Policy {
    fn new(info: PolicyInfo, canonical_json: String, tcf: Option<tcf::TcfConfig>) -> Self {
        use sha2::Digest;
        let category_index: HashMap<String, usize> = info
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let purpose_index: HashMap<String, usize> = info
            .purposes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let mut processing_by_pair = vec![None; info.categories.len() * info.purposes.len()];
        for (i, processing) in info.processing.iter().enumerate() {
            let c = category_index[&processing.category];
            let p = purpose_index[&processing.purpose];
            processing_by_pair[c * info.purposes.len() + p] = Some(i);
        }
        let canonical_sha256 = sha2::Sha256::digest(canonical_json.as_bytes()).into();
        let terms_since = vec![info.version; info.processing.len()];
        Policy {
            terms_since,
            info,
            canonical_json,
            canonical_sha256,
            category_index,
            purpose_index,
            processing_by_pair,
            tcf,
        }
    }

    pub fn version(&self) -> u32 {
        self.info.version
    }

    pub fn category_position(&self, id: &str) -> Option<usize> {
        self.category_index.get(id).copied()
    }

    pub fn purpose_position(&self, id: &str) -> Option<usize> {
        self.purpose_index.get(id).copied()
    }

    /// Number of (category, purpose) slots in the dense tables the guard keeps.
    pub fn pair_count(&self) -> usize {
        self.info.categories.len() * self.info.purposes.len()
    }

    pub fn pair_index(&self, category: usize, purpose: usize) -> usize {
        category * self.info.purposes.len() + purpose
    }

    /// The (category, purpose) positions of a dense slot.
    pub fn pair_of(&self, pair: usize) -> (usize, usize) {
        (
            pair / self.info.purposes.len(),
            pair % self.info.purposes.len(),
        )
    }

    pub fn processing_at(&self, pair: usize) -> Option<&Processing> {
        self.processing_by_pair[pair].map(|i| &self.info.processing[i])
    }

    /// The version since which the terms of a declared pair are unchanged (see
    /// `terms_since`); `u32::MAX` for an undeclared pair, which nothing agreed to.
    pub fn terms_since_at(&self, pair: usize) -> u32 {
        self.processing_by_pair[pair].map_or(u32::MAX, |i| self.terms_since[i])
    }
}
