//! PrivacyKit: an on-device data-permission SDK.
//!
//! The app declares its privacy policy, reports what the OS says about permissions and what
//! the user chose, and asks one question wherever it touches personal data:
//! [`PrivacyKit::check`] — may I use this category of data for this purpose, right now?
//! The same API reaches Kotlin and Swift through UniFFI.

uniffi::setup_scaffolding!();

// Layers, bottom up (ARCHITECTURE.md draws them): vocabulary and platform facts; the store;
// the user's state; the guard; the engine; the capabilities; the facade.
mod access_report;
mod advertising_id;
mod age;
mod consent;
mod data_holder;
mod data_use;
mod decision;
mod discovery;
mod engine;
mod error;
mod guard;
mod holders;
mod install_id;
mod keys;
mod listeners;
mod permissions;
mod policy;
mod privacy_error;
mod privacy_kit;
mod reconsent;
mod retention;
mod retention_events;
mod rights;
mod signals;
mod state;
mod store;
mod stored_text;
mod time;
mod vault;

pub use access_report::AccessReportRow;
pub use advertising_id::{AdContext, AdContextInput, AdvertisingIdAnswer, WithheldField};
pub use age::{AgeGroup, AgeStatus, UserFacts};
pub use consent::compaction::LedgerSummary;
pub use consent::{
    ConsentAction, ConsentChange, ConsentChoice, ConsentSource, ConsentState, LedgerEntry,
    ScopedChoice, ScopedObjection,
};
pub use data_holder::{PersonalData, PurgeDeferral};
pub use data_use::DataUse;
pub use decision::{Decision, DecisionReason, LegalBasis};
pub use discovery::{
    Contact, ContactDiscovery, DiscoveryConfig, DiscoveryMode, DiscoveryResult, DiscoverySummary,
    DiscoveryTransport, FilterUpdate, TransportError,
};
pub use guard::snapshot::{DecisionSnapshot, UseCount, UseCountSource};
pub use keys::{KeyProvider, KeyProviderError};
pub use listeners::{ListenerError, PrivacyChange, PrivacyListener};
pub use permissions::{
    LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionState,
    PermissionStatus, Platform,
};
pub use policy::{
    Acceptance, AgeRule, AppRetentionRule, Category, Commitment, CommitmentKind, PolicyInfo,
    Processing, Purpose, Recipient, RecipientKind, RetentionEvent, RetentionRule, TermsChange,
    Transfer, TransferSafeguard, UnknownAgeRule, BUILT_IN_CATEGORIES, BUILT_IN_PURPOSES,
    ENFORCED_RETENTION_IDS,
};
pub use privacy_error::PrivacyError;
pub use privacy_kit::{PrivacyKit, PrivacyKitConfig};
pub use reconsent::{ReconsentAction, ReconsentItem};
pub use retention::{DeferredPurge, PurgeReport, PurgedData, RetentionCutoff};
pub use retention_events::{DueForDeletion, RetentionEventRecord};
pub use rights::erase::{ErasedData, ErasureReceipt};
pub use signals::{ConsentSignalStore, ConsentSignalStoreError, ConsentSignalValue};
pub use time::{Clock, PrivacyKitClock};
pub use vault::{AccountLink, AccountTokens, LinkedAccount, Secret, TokenVault};

/// The JSON Schema of the policy document, for editors and tooling.
#[uniffi::export]
pub fn policy_json_schema() -> String {
    policy::POLICY_JSON_SCHEMA.to_owned()
}

/// The JSON Schema of the document `export_personal_data()` returns.
#[uniffi::export]
pub fn export_json_schema() -> String {
    rights::EXPORT_JSON_SCHEMA.to_owned()
}

/// Validates a policy document without opening a store, e.g. in the app's own tests.
#[uniffi::export]
pub fn validate_policy(policy_json: String) -> Result<PolicyInfo, PrivacyError> {
    privacy_error::guarded(|| Ok(policy::parse_policy(&policy_json)?.info))
}

/// What users who agreed to every use of the policy `old_json` must agree to again under
/// `new_json`: each use whose terms grew (a new use included), with how and whether it needs
/// `grant_consent` or `accept_policy`, by the rule `pending_reconsent` applies on the device
/// after `update_policy`. For tooling that compares two versions before shipping one (the
/// `privacykit diff` command); not exported to Kotlin and Swift, where apps have
/// `pending_reconsent`.
pub fn policy_changes(old_json: &str, new_json: &str) -> Result<Vec<ReconsentItem>, PrivacyError> {
    privacy_error::guarded(|| {
        let older = policy::parse_policy(old_json)?;
        let newer = policy::parse_policy(new_json)?;
        Ok(reconsent::between(&older, &newer))
    })
}
