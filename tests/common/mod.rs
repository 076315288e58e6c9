//! Shared set-up for the integration tests: a small policy, a controllable clock, key
//! providers.
#![allow(dead_code)] // each test file uses its own subset

pub mod discovery;
pub mod json_schema;
pub mod keys;
pub mod wide_policy;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use privacykit::{Clock, Platform, PrivacyKit, PrivacyKitConfig};

/// A policy that exercises every legal basis and the OS permissions. Its user counts as an
/// adult until a test declares an age (`unknown_age`); `tests/age.rs` covers the protective
/// default.
pub const POLICY: &str = r#"{
  "format": 1,
  "policy_id": "com.example.messenger",
  "version": 1,
  "effective_date": "2024-05-01",
  "controller": { "name": "Example Messenger Ltd", "contact": "privacy@example.com" },
  "minimum_age": 13,
  "digital_consent_age": 16,
  "unknown_age": "adult",
  "categories": [
    { "id": "contacts" },
    { "id": "location" },
    { "id": "advertising_id" },
    { "id": "diagnostics" },
    { "id": "read_receipts", "description": "Whether others see that you read their messages" },
    { "id": "social_accounts" }
  ],
  "purposes": [
    { "id": "service" }, { "id": "analytics" }, { "id": "advertising" }, { "id": "legal_compliance" }
  ],
  "processing": [
    { "category": "contacts", "purpose": "service", "legal_basis": "contract" },
    { "category": "contacts", "purpose": "analytics", "legal_basis": "consent" },
    { "category": "location", "purpose": "service", "legal_basis": "contract", "location_accuracy": "precise" },
    { "category": "location", "purpose": "analytics", "legal_basis": "consent" },
    { "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },
    { "category": "diagnostics", "purpose": "analytics", "legal_basis": "legitimate_interest" },
    { "category": "diagnostics", "purpose": "legal_compliance", "legal_basis": "legal_obligation" },
    { "category": "read_receipts", "purpose": "service", "legal_basis": "legitimate_interest" },
    { "category": "social_accounts", "purpose": "service", "legal_basis": "consent" }
  ],
  "retention": [ { "data": "access_log", "days": 30 } ]
}"#;

/// `POLICY` that also keeps consent records for a year (retention `consent_records`).
pub fn policy_keeping_consent_records() -> String {
    POLICY.replace(
        r#""retention": [ { "data": "access_log", "days": 30 } ]"#,
        r#""retention": [ { "data": "access_log", "days": 30 }, { "data": "consent_records", "days": 365 } ]"#,
    )
}

/// `POLICY` with another version number and, optionally, text replaced.
pub fn policy_version(version: u32, replace: Option<(&str, &str)>) -> String {
    let text = POLICY.replace("\"version\": 1", &format!("\"version\": {version}"));
    match replace {
        Some((from, to)) => text.replace(from, to),
        None => text,
    }
}

pub fn config(path: Option<&Path>, platform: Platform) -> PrivacyKitConfig {
    PrivacyKitConfig {
        database_path: path.map(|p| p.to_str().unwrap().to_owned()),
        policy_json: POLICY.to_owned(),
        platform,
        utc_offset_minutes: 0,
        key_provider: None,
    }
}

/// Opens the file at `path` with `policy` and a test clock.
pub fn open_at(path: &Path, policy: &str, clock: Arc<ManualClock>) -> Arc<PrivacyKit> {
    let config = PrivacyKitConfig {
        policy_json: policy.into(),
        ..config(Some(path), Platform::Android)
    };
    PrivacyKit::open_with_clock(config, clock).unwrap()
}

pub fn in_memory() -> Arc<PrivacyKit> {
    PrivacyKit::open(config(None, Platform::Android)).unwrap()
}

/// A clock the test moves by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(ms: i64) -> Arc<Self> {
        Arc::new(ManualClock(AtomicI64::new(ms)))
    }
    pub fn advance_days(&self, days: i64) {
        self.0.fetch_add(days * 86_400_000, Ordering::SeqCst);
    }
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// 2024-05-01T12:00:00Z
pub const MAY_1_NOON: i64 = 1_714_564_800_000;
