//! Age rules through the public API: the minimum age, the age of digital consent by
//! jurisdiction, guardian consent, the protective default for undeclared ages, birthdays that
//! move a user between groups, and corrections recorded in the ledger.

mod common;

use std::sync::Arc;

use common::{ManualClock, MAY_1_NOON, POLICY};
use privacykit::{
    AgeGroup, ConsentAction, ConsentChange, ConsentSource, DecisionReason, OsPermission,
    PermissionStatus, Platform, PrivacyError, PrivacyKit, PrivacyKitConfig, UserFacts,
};

/// The test policy with the protective default for undeclared ages (the SDK's default).
fn protective_policy() -> String {
    POLICY.replace("\"unknown_age\": \"adult\",", "")
}

fn open(clock: Arc<ManualClock>) -> Arc<PrivacyKit> {
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: None,
            policy_json: protective_policy(),
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        clock,
    )
    .unwrap();
    kit.accept_policy().unwrap();
    kit.report_permission(
        OsPermission::Tracking,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    kit
}

fn born(date: &str, jurisdiction: Option<&str>) -> UserFacts {
    UserFacts {
        birth_date: Some(date.into()),
        age_years: None,
        jurisdiction: jurisdiction.map(Into::into),
    }
}

fn guardian_grant(kit: &PrivacyKit, purpose: &str) {
    kit.record_consent(ConsentChange {
        action: ConsentAction::Grant,
        purpose: Some(purpose.into()),
        category: None,
        source: ConsentSource::Guardian,
    })
    .unwrap();
}

#[test]
fn undeclared_ages_get_the_protective_defaults() {
    let kit = open(ManualClock::at(MAY_1_NOON));
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.grant_consent("advertising".into(), None).unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Unknown);
    assert!(kit.age_status().unwrap().protective_defaults);
    assert!(kit.check("contacts", "service").allowed);
    assert_eq!(
        kit.check("contacts", "analytics").reason,
        DecisionReason::NeedsGuardianConsent
    );
    assert_eq!(
        kit.check("advertising_id", "advertising").reason,
        DecisionReason::NotAllowedForMinors
    );
    // Legitimate interest beyond the service waits for a guardian too.
    assert_eq!(
        kit.check("diagnostics", "analytics").reason,
        DecisionReason::NeedsGuardianConsent
    );
    // What the law requires is never held back.
    assert!(kit.check("diagnostics", "legal_compliance").allowed);

    kit.declare_user_facts(born("1990-01-01", None), ConsentSource::User)
        .unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Adult);
    assert!(kit.check("contacts", "analytics").allowed);
    assert!(kit.check("advertising_id", "advertising").allowed);
}

#[test]
fn minors_need_a_guardian_and_never_get_advertising() {
    let kit = open(ManualClock::at(MAY_1_NOON));
    kit.declare_user_facts(born("2010-01-01", Some("DE")), ConsentSource::Guardian)
        .unwrap();
    let status = kit.age_status().unwrap();
    assert_eq!(
        (status.group, status.digital_consent_age),
        (AgeGroup::Minor, 16)
    );
    assert_eq!(status.declared_by, Some(ConsentSource::Guardian));

    kit.grant_consent("analytics".into(), None).unwrap();
    assert_eq!(
        kit.check("contacts", "analytics").reason,
        DecisionReason::NeedsGuardianConsent
    );
    guardian_grant(&kit, "analytics");
    assert!(kit.check("contacts", "analytics").allowed);
    // The child may still withdraw what the guardian granted.
    kit.withdraw_consent("analytics".into(), None).unwrap();
    assert_eq!(
        kit.check("contacts", "analytics").reason,
        DecisionReason::ConsentWithdrawn
    );
    guardian_grant(&kit, "advertising");
    assert_eq!(
        kit.check("advertising_id", "advertising").reason,
        DecisionReason::NotAllowedForMinors
    );
}

#[test]
fn the_jurisdiction_sets_the_age_of_digital_consent() {
    let kit = open(ManualClock::at(MAY_1_NOON)); // 2024-05-01
    kit.grant_consent("analytics".into(), None).unwrap();
    // 14 years old. Under this policy's own 16 a minor even in the US; under a policy of 13,
    // an adult in the US (COPPA's 13) but still a minor in Germany (16).
    kit.declare_user_facts(born("2010-01-01", Some("US")), ConsentSource::User)
        .unwrap();
    assert_eq!(kit.age_status().unwrap().digital_consent_age, 16);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
    let lenient =
        protective_policy().replace("\"digital_consent_age\": 16", "\"digital_consent_age\": 13");
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: None,
            policy_json: lenient,
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        ManualClock::at(MAY_1_NOON),
    )
    .unwrap();
    kit.declare_user_facts(born("2010-01-01", Some("US")), ConsentSource::User)
        .unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Adult);
    kit.declare_user_facts(born("2010-01-01", Some("DE")), ConsentSource::User)
        .unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
}

#[test]
fn below_the_minimum_age_only_the_service_runs() {
    let kit = open(ManualClock::at(MAY_1_NOON));
    kit.declare_user_facts(born("2014-01-01", None), ConsentSource::Guardian)
        .unwrap();
    guardian_grant(&kit, "analytics");
    assert!(kit.check("contacts", "service").allowed);
    assert_eq!(
        kit.check("contacts", "analytics").reason,
        DecisionReason::BelowMinimumAge
    );
}

#[test]
fn a_birthday_moves_the_user_on_the_day_without_any_write() {
    let clock = ManualClock::at(MAY_1_NOON); // 2024-05-01
    let kit = open(clock.clone());
    kit.declare_user_facts(born("2008-05-03", Some("FR")), ConsentSource::User)
        .unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    let analytics = kit.clone().data_use("contacts".into(), "analytics".into());
    assert_eq!(
        analytics.check().reason,
        DecisionReason::NeedsGuardianConsent
    );
    clock.advance_days(1);
    assert!(!analytics.is_allowed(), "still 15 on 2 May");
    clock.advance_days(1);
    assert!(
        analytics.is_allowed(),
        "16 on 3 May: the user's own consent counts"
    );
    assert!(kit.check("contacts", "analytics").allowed);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Adult);
}

#[test]
fn corrections_are_ledger_entries_and_guardian_declarations_are_locked() {
    let kit = open(ManualClock::at(MAY_1_NOON));
    let first = kit
        .declare_user_facts(born("2000-02-29", Some("gb")), ConsentSource::User)
        .unwrap();
    assert_eq!(first.action, ConsentAction::DeclareFacts);
    let corrected = kit
        .declare_user_facts(
            UserFacts {
                birth_date: None,
                age_years: Some(12),
                jurisdiction: Some("GB".into()),
            },
            ConsentSource::Guardian,
        )
        .unwrap();
    assert_eq!(corrected.seq, first.seq + 1);
    assert_eq!(
        kit.user_facts().unwrap().unwrap().jurisdiction.as_deref(),
        Some("GB")
    );
    let ledger = kit.ledger(0, 100).unwrap();
    assert!(
        ledger
            .iter()
            .any(|e| e.detail.as_deref()
                == Some(r#"{"birth_date":"2000-02-29","jurisdiction":"GB"}"#))
    );
    assert_eq!(kit.verify_ledger().unwrap(), ledger.len() as u64);

    // The child cannot undo the guardian's declaration; bad input changes nothing.
    let before = kit.consent_state().unwrap().ledger_length;
    assert!(matches!(
        kit.declare_user_facts(born("1990-01-01", None), ConsentSource::User),
        Err(PrivacyError::NotPermitted {
            reason: DecisionReason::NeedsGuardianConsent
        })
    ));
    assert!(matches!(
        kit.declare_user_facts(born("2030-01-01", None), ConsentSource::Guardian),
        Err(PrivacyError::InvalidArgument { .. })
    ));
    assert_eq!(kit.consent_state().unwrap().ledger_length, before);
    assert_eq!(kit.user_facts().unwrap().unwrap().age_years, Some(12));
}

#[test]
fn declared_facts_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let config = PrivacyKitConfig {
        database_path: Some(path.to_str().unwrap().into()),
        policy_json: protective_policy(),
        platform: Platform::Ios,
        utc_offset_minutes: 0,
        key_provider: None,
    };
    let kit = PrivacyKit::open(config.clone()).unwrap();
    kit.declare_user_facts(born("1985-07-01", Some("NL")), ConsentSource::User)
        .unwrap();
    kit.close_store().unwrap();
    let kit = PrivacyKit::open(config).unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Adult);
}
