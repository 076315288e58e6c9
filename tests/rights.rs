//! The user's rights through the public API: export (checked against its JSON Schema),
//! erasure of everything or of one kind of data, retention purges, and the advertising
//! identifier.

mod common;

use std::sync::Arc;

use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    AccountLink, AdContextInput, ConsentSource, DecisionReason, OsPermission, PermissionStatus,
    PersonalData, Platform, PrivacyError, PrivacyKit, PrivacyKitConfig, Secret, UserFacts,
};
use serde_json::Value;

const AD_ID: &str = "38400000-8cf0-11bd-b23e-10b96e40000d";

/// A user with a bit of everything: choices, facts, permissions, uses, a linked account.
fn busy_user(kit: &Arc<PrivacyKit>, keys: &Arc<MemoryKeystore>) {
    kit.accept_policy().unwrap();
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-04-12".into()),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::User,
    )
    .unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    kit.object_to("analytics".into(), Some("diagnostics".into()))
        .unwrap();
    kit.record_permission_request(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    for _ in 0..3 {
        assert!(kit.check("contacts", "analytics").allowed);
    }
    kit.clone()
        .vault(keys.clone())
        .link_account(AccountLink {
            provider: "vk".into(),
            account_id: "anna.petrova".into(),
            access_token: Secret::new("tok-SENTINEL-123".into()),
            refresh_token: None,
            expires_at_ms: None,
            scopes: vec!["email".into()],
        })
        .unwrap();
    kit.install_id().unwrap();
}

#[test]
fn the_export_holds_everything_and_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeystore::default());
    let kit = open_at(
        &dir.path().join("p.db"),
        POLICY,
        ManualClock::at(MAY_1_NOON),
    );
    busy_user(&kit, &keys);
    kit.report_advertising_id(Some(AD_ID.into())).unwrap();

    let text = kit.export_personal_data().unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    json_schema::validate_export(&export);

    assert_eq!(export["format_version"], 1);
    assert_eq!(export["policy"]["accepted_version"], 1);
    assert_eq!(export["user_facts"]["jurisdiction"], "DE");
    assert_eq!(export["age"]["group"], "adult");
    let receipts = export["consent_receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 5);
    assert_eq!(receipts[2]["purpose"], "analytics");
    assert_eq!(
        receipts[2]["legal_bases"],
        serde_json::json!(["consent", "legitimate_interest"])
    );
    assert_eq!(receipts[2]["method"], "user_in_app");
    assert_eq!(receipts[2]["controller"], "Example Messenger Ltd");
    assert_eq!(
        export["processing"]["objections"][0]["category"],
        "diagnostics"
    );
    let decision = export["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["category"] == "diagnostics" && d["purpose"] == "analytics")
        .unwrap();
    assert_eq!(decision["reason"], "objected_by_user");
    assert_eq!(export["access_report"][0]["count"], 3);
    assert_eq!(export["linked_accounts"][0]["provider"], "vk");
    assert_eq!(export["permissions"][0]["history"][0]["kind"], "requested");
    assert_eq!(export["advertising"]["advertising_id_reported"], true);
    // Never a secret, an account id or the advertising ID.
    for secret in ["tok-SENTINEL-123", "anna.petrova", AD_ID] {
        assert!(!text.contains(secret), "the export leaks {secret}");
    }
}

#[test]
fn erase_all_leaves_nothing_and_the_next_open_starts_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    let kit = open_at(&path, POLICY, ManualClock::at(MAY_1_NOON));
    busy_user(&kit, &keys);
    assert_eq!(keys.vault_aliases().len(), 1);
    let install_id = kit.install_id().unwrap();

    let receipt = kit.erase_all().unwrap();
    assert!(receipt.keys_destroyed);
    let records = |data| {
        receipt
            .erased
            .iter()
            .find(|e| e.data == data)
            .map(|e| e.records)
    };
    assert_eq!(records(PersonalData::ConsentLedger), Some(5));
    assert_eq!(records(PersonalData::LinkedAccounts), Some(1));
    assert_eq!(records(PersonalData::AccessReport), Some(1));
    assert_eq!(records(PersonalData::InstallId), Some(1));
    assert!(
        keys.vault_aliases().is_empty(),
        "the platform key is deleted"
    );

    // In memory: a first-open state.
    assert_eq!(kit.consent_state().unwrap().ledger_length, 0);
    assert_eq!(
        kit.check("contacts", "service").reason,
        DecisionReason::PolicyNotAccepted
    );
    assert!(kit.user_facts().unwrap().is_none());
    assert_eq!(kit.verify_ledger().unwrap(), 0);
    kit.close_store().unwrap();

    // On disk: no byte of what was there, in the file or beside it.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for needle in [
            "tok-SENTINEL",
            "1990-04-12",
            "declare_facts",
            install_id.as_str(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} survived erasure"
            );
        }
    }
    let kit = open_at(&path, POLICY, ManualClock::at(MAY_1_NOON));
    assert_eq!(kit.consent_state().unwrap().ledger_length, 0);
    assert!(kit
        .access_report("2024-01-01".into(), "2024-12-31".into())
        .unwrap()
        .is_empty());
    assert!(kit
        .permission_history(OsPermission::Contacts)
        .unwrap()
        .is_empty());
}

#[test]
fn one_kind_of_data_is_erased_alone() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeystore::default());
    let kit = open_at(
        &dir.path().join("p.db"),
        POLICY,
        ManualClock::at(MAY_1_NOON),
    );
    busy_user(&kit, &keys);
    kit.flush().unwrap();

    let receipt = kit.erase_data(PersonalData::AccessReport).unwrap();
    assert_eq!(receipt.erased[0].records, 1);
    assert!(!receipt.keys_destroyed);
    assert!(kit
        .access_report("2024-05-01".into(), "2024-05-01".into())
        .unwrap()
        .is_empty());
    assert_eq!(
        kit.consent_state().unwrap().ledger_length,
        5,
        "the rest stays"
    );

    let receipt = kit.erase_data(PersonalData::PermissionHistory).unwrap();
    assert_eq!(receipt.erased[0].records, 1);
    assert!(kit
        .permission_history(OsPermission::Contacts)
        .unwrap()
        .is_empty());
    assert_eq!(
        kit.permission_state(OsPermission::Contacts).unwrap().status,
        PermissionStatus::Granted,
        "the current state stays"
    );

    let receipt = kit.erase_data(PersonalData::LinkedAccounts).unwrap();
    assert!(receipt.keys_destroyed);
    assert!(keys.vault_aliases().is_empty());
    assert!(
        kit.check("contacts", "analytics").allowed,
        "consent untouched"
    );
}

#[test]
fn retention_purges_on_open_and_on_demand_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    let policy = POLICY.replace(
        r#""retention": [ { "data": "access_log", "days": 30 } ]"#,
        r#""retention": [
            { "data": "access_log", "days": 30 },
            { "data": "permission_history", "days": 90 },
            { "data": "linked_accounts", "days": 180 },
            { "data": "technical_logs", "days": 30 } ]"#,
    );
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_at(&path, &policy, clock.clone());
    busy_user(&kit, &keys);
    kit.record_permission_request(OsPermission::Location, PermissionStatus::Denied, None, None)
        .unwrap();
    kit.flush().unwrap();

    clock.advance_days(31);
    let report = kit.purge_expired().unwrap();
    let purged = |data: &str| {
        report
            .purged
            .iter()
            .find(|p| p.data == data)
            .unwrap()
            .records
    };
    assert_eq!(purged("access_log"), 1);
    assert_eq!(purged("permission_history"), 0);
    assert_eq!(report.app_managed[0].data, "technical_logs");
    assert_eq!(report.app_managed[0].cutoff_ms, MAY_1_NOON + 86_400_000);
    let again = kit.purge_expired().unwrap();
    assert!(again.purged.iter().all(|p| p.records == 0), "idempotent");
    kit.close_store().unwrap();

    // 200 days later, at the next open: history folded, the unused account gone.
    clock.advance_days(170);
    let kit = open_at(&path, &policy, clock.clone());
    assert!(kit
        .permission_history(OsPermission::Location)
        .unwrap()
        .is_empty());
    let location = kit.permission_state(OsPermission::Location).unwrap();
    assert_eq!(
        (location.status, location.denials),
        (PermissionStatus::Denied, 1)
    );
    let vault = kit.clone().vault(keys.clone());
    assert!(matches!(
        vault.tokens("vk".into(), "anna.petrova".into()),
        Err(PrivacyError::AccountNotLinked)
    ));
}

#[test]
fn reading_tokens_keeps_a_linked_account_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeystore::default());
    let policy = POLICY.replace(
        r#"{ "data": "access_log", "days": 30 }"#,
        r#"{ "data": "linked_accounts", "days": 30 }"#,
    );
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_at(&dir.path().join("p.db"), &policy, clock.clone());
    busy_user(&kit, &keys);
    let vault = kit.clone().vault(keys.clone());
    clock.advance_days(20);
    vault.tokens("vk".into(), "anna.petrova".into()).unwrap();
    clock.advance_days(20);
    assert_eq!(kit.purge_expired().unwrap().purged[0].records, 0);
    clock.advance_days(11);
    assert_eq!(kit.purge_expired().unwrap().purged[0].records, 1);
}

#[test]
fn the_advertising_id_needs_the_os_consent_adulthood_and_no_restriction() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    assert!(kit
        .report_advertising_id(Some("not a uuid".into()))
        .is_err());
    kit.report_advertising_id(Some(AD_ID.to_uppercase()))
        .unwrap();
    assert_eq!(
        kit.advertising_id().unwrap().decision.reason,
        DecisionReason::NeedsConsent
    );
    kit.grant_consent("advertising".into(), None).unwrap();
    assert_eq!(
        kit.advertising_id().unwrap().decision.reason,
        DecisionReason::OsPermissionNotRequested {
            permission: OsPermission::Tracking
        }
    );
    kit.record_permission_request(
        OsPermission::Tracking,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        kit.advertising_id().unwrap().advertising_id.as_deref(),
        Some(AD_ID)
    );

    kit.restrict_processing().unwrap();
    assert_eq!(
        kit.advertising_id().unwrap().decision.reason,
        DecisionReason::RestrictedByUser
    );
    kit.lift_restriction().unwrap();
    kit.report_advertising_id(Some("00000000-0000-0000-0000-000000000000".into()))
        .unwrap();
    assert_eq!(
        kit.advertising_id().unwrap().decision.reason,
        DecisionReason::AdvertisingIdUnavailable
    );
    kit.report_advertising_id(Some(AD_ID.into())).unwrap();
    kit.declare_user_facts(
        UserFacts {
            birth_date: None,
            age_years: Some(14),
            jurisdiction: None,
        },
        ConsentSource::User,
    )
    .unwrap();
    let minor = kit.advertising_id().unwrap();
    assert_eq!(minor.advertising_id, None);
    assert_eq!(minor.decision.reason, DecisionReason::NotAllowedForMinors);
}

#[test]
fn the_ad_context_carries_only_allowed_fields() {
    let policy = POLICY.replace(
        r#"{ "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },"#,
        r#"{ "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },
    { "category": "device_info", "purpose": "advertising", "legal_basis": "consent" },"#,
    )
    .replace(r#"{ "id": "diagnostics" },"#, r#"{ "id": "diagnostics" }, { "id": "device_info" },"#);
    let kit = PrivacyKit::open(PrivacyKitConfig {
        database_path: None,
        policy_json: policy,
        platform: Platform::Ios,
        utc_offset_minutes: 0,
        key_provider: None,
    })
    .unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("advertising".into(), None).unwrap();
    kit.report_permission(OsPermission::Tracking, PermissionStatus::Denied, None, None)
        .unwrap();
    kit.report_advertising_id(Some(AD_ID.into())).unwrap();
    let context = kit
        .ad_context(AdContextInput {
            language: Some("de-DE".into()),
            country: Some("DE".into()),
            city: Some("Berlin".into()),
            device_model: Some("Pixel 9".into()),
        })
        .unwrap();
    assert_eq!(context.language.as_deref(), Some("de-DE"));
    assert_eq!(context.device_model.as_deref(), Some("Pixel 9"));
    assert_eq!(
        (context.country, context.city),
        (None, None),
        "location is not declared for ads"
    );
    assert_eq!(context.advertising_id, None, "ATT denied");
    let withheld: Vec<&str> = context.withheld.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(withheld, ["country", "city", "advertising_id"]);
    assert!(!format!("{:?}", kit.advertising_id().unwrap()).contains("38400000"));
}

#[test]
fn the_install_id_is_stable_until_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let kit = open_at(&path, POLICY, ManualClock::at(MAY_1_NOON));
    let first = kit.install_id().unwrap();
    assert_eq!(kit.install_id().unwrap(), first);
    kit.close_store().unwrap();
    let kit = open_at(&path, POLICY, ManualClock::at(MAY_1_NOON));
    assert_eq!(kit.install_id().unwrap(), first);
    let second = kit.reset_install_id().unwrap();
    assert_ne!(second, first);
    assert_eq!(kit.install_id().unwrap(), second);
}
