//! PrivacyKit: an on-device data-permission SDK.
//!
//! The app declares its privacy policy, reports what the OS says about permissions and what
//! the user chose, and asks one question wherever it touches personal data:
//! [`PrivacyKit::check`] — may I use this category of data for this purpose, right now?
//! The same API reaches Kotlin and Swift through UniFFI.

uniffi::setup_scaffolding!();

mod adid;
mod age;
mod consent;
mod discovery;
mod error;
mod guard;
mod listeners;
mod permissions;
mod policy;
mod reconsent;
mod retention;
mod rights;
mod sdk;
mod store;
mod time;
mod vault;

pub use adid::{AdContext, AdContextInput, AdvertisingIdAnswer, WithheldField};
pub use age::{AgeGroup, AgeStatus, UserFacts};
pub use consent::compaction::{LedgerSummary, PurgeDeferral};
pub use consent::{
    ConsentAction, ConsentChange, ConsentChoice, ConsentSource, ConsentState, LedgerEntry,
    ScopedChoice, ScopedObjection,
};
pub use discovery::{
    Contact, ContactDiscovery, DiscoveryConfig, DiscoveryMode, DiscoveryResult, DiscoverySummary,
    DiscoveryTransport, FilterUpdate, TransportError,
};
pub use error::PrivacyError;
pub use guard::report::AccessReportRow;
pub use guard::{DataUse, Decision, DecisionReason};
pub use listeners::{ListenerError, PrivacyChange, PrivacyListener};
pub use permissions::{
    LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionState,
    PermissionStatus, Platform,
};
pub use policy::{
    Category, LegalBasis, PolicyInfo, Processing, Purpose, Recipient, RecipientKind, RetentionRule,
    TermsChange, UnknownAgeRule, BUILT_IN_CATEGORIES, BUILT_IN_PURPOSES,
};
pub use reconsent::{ReconsentAction, ReconsentItem};
pub use retention::{DeferredPurge, PurgeReport, PurgedData, RetentionCutoff};
pub use rights::erase::{ErasedData, ErasureReceipt, PersonalData};
pub use sdk::{PrivacyKit, PrivacyKitConfig};
pub use time::Clock;
pub use vault::{
    AccountLink, AccountTokens, KeyProvider, KeyProviderError, LinkedAccount, Secret, TokenVault,
};

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
    error::guarded(|| Ok(policy::parse_policy(&policy_json)?.info))
}
