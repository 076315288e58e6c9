//! Policy format 2 through the public API: age rules by jurisdiction, a minimum age that can
//! stop the service, the device-identifier rule, retention ids, declared practices in the
//! export, acceptance by continued use, and format 1 read with the same meaning.

mod common;

use std::sync::Arc;

use common::json_schema;

use privacykit::{
    validate_policy, Acceptance, AgeGroup, CommitmentKind, ConsentSource, DecisionReason,
    OsPermission, PermissionStatus, Platform, PrivacyError, PrivacyKit, PrivacyKitConfig,
    RecipientKind, TransferSafeguard, UserFacts,
};
use serde_json::{json, Value};

/// A format-2 policy: in the EEA 16 is the age of digital consent and the service stays open
/// below the minimum age; elsewhere children under 10 may not use the app and 13 is the age
/// of digital consent.
fn format_2() -> Value {
    json!({
        "format": 2,
        "policy_id": "com.example.calls",
        "version": 1,
        "effective_date": "2026-01-01",
        "controller": { "name": "Example Ltd" },
        "acceptance": "continued_use_after_notice",
        "age_rules": [
            { "jurisdictions": ["EEA"], "minimum_age": 0, "digital_consent_age": 16,
              "open_below_minimum_age": ["service"] }
        ],
        "default_age_rule": { "minimum_age": 10, "digital_consent_age": 13 },
        "categories": [ { "id": "contacts" }, { "id": "advertising_id" } ],
        "purposes": [ { "id": "service" }, { "id": "analytics" }, { "id": "advertising" } ],
        "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract",
              "recipients": ["cloud"] },
            { "category": "contacts", "purpose": "analytics", "legal_basis": "consent" },
            { "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent",
              "recipients": ["ads"] }
        ],
        "recipients": [
            { "id": "cloud", "name": "Cloud Hosting Inc.", "kind": "processor",
              "transfers": [ { "countries": ["US"], "safeguard": "standard_contractual_clauses" } ] },
            { "id": "ads", "name": "Ad Network", "kind": "independent_controller", "country": "IE" }
        ],
        "retention": [ { "data": "access_log", "days": 365 } ],
        "app_retention": [
            { "data": "server_call_log", "days": 7, "description": "Call logs the app keeps" }
        ],
        "commitments": [
            { "kind": "not_stored_on_servers", "categories": ["contacts"],
              "text": "Contacts are not stored on our servers." },
            { "kind": "server_retention", "days": 14, "what": "undelivered messages",
              "text": "Undelivered messages are deleted after two weeks." }
        ]
    })
}

fn open(policy: &Value) -> Arc<PrivacyKit> {
    let kit = PrivacyKit::open(PrivacyKitConfig {
        database_path: None,
        policy_json: policy.to_string(),
        platform: Platform::Android,
        utc_offset_minutes: 0,
        key_provider: None,
    })
    .unwrap();
    kit.accept_policy().unwrap();
    for permission in [OsPermission::Contacts, OsPermission::Tracking] {
        kit.report_permission(permission, PermissionStatus::Granted, None, None)
            .unwrap();
    }
    kit
}

fn declare(kit: &PrivacyKit, age: u8, jurisdiction: Option<&str>) {
    kit.declare_user_facts(
        UserFacts {
            birth_date: None,
            age_years: Some(age),
            jurisdiction: jurisdiction.map(Into::into),
        },
        ConsentSource::User,
    )
    .unwrap();
}

fn refusal(doc: &Value) -> (String, String) {
    match validate_policy(doc.to_string()) {
        Err(PrivacyError::InvalidPolicy { field, reason }) => (field, reason),
        other => panic!("expected InvalidPolicy, got {other:?}"),
    }
}

#[test]
fn the_minimum_age_stops_the_service_unless_the_rule_keeps_it_open() {
    let kit = open(&format_2());
    declare(&kit, 9, Some("US"));
    assert_eq!(
        kit.explain("contacts", "service").reason,
        DecisionReason::BelowMinimumAge
    );
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::BelowMinimumAge);

    declare(&kit, 9, Some("DE"));
    assert!(kit.explain("contacts", "service").allowed);

    let mut open_service = format_2();
    open_service["default_age_rule"]["open_below_minimum_age"] = json!(["service"]);
    let kit = open(&open_service);
    declare(&kit, 9, Some("US"));
    assert!(kit.explain("contacts", "service").allowed);
    assert_eq!(
        kit.explain("contacts", "analytics").reason,
        DecisionReason::BelowMinimumAge
    );
}

#[test]
fn age_rules_apply_only_in_their_jurisdictions_with_no_hidden_fallback() {
    let kit = open(&format_2());
    kit.grant_consent("analytics".into(), None).unwrap();
    declare(&kit, 14, Some("US"));
    assert!(kit.explain("contacts", "analytics").allowed);
    let status = kit.age_status().unwrap();
    assert_eq!(
        (status.group, status.minimum_age, status.digital_consent_age),
        (AgeGroup::Adult, 10, 13)
    );

    declare(&kit, 14, Some("DE"));
    assert_eq!(
        kit.explain("contacts", "analytics").reason,
        DecisionReason::NeedsGuardianConsent
    );
    assert_eq!(kit.age_status().unwrap().digital_consent_age, 16);

    // No jurisdiction declared: the default rule, not a 16 the policy never stated.
    declare(&kit, 14, None);
    assert!(kit.explain("contacts", "analytics").allowed);
}

#[test]
fn a_country_in_two_age_rules_is_refused() {
    let mut doc = format_2();
    doc["age_rules"].as_array_mut().unwrap().push(
        json!({ "jurisdictions": ["US", "FR"], "minimum_age": 13, "digital_consent_age": 13 }),
    );
    let (field, reason) = refusal(&doc);
    assert_eq!(field, "age_rules[1].jurisdictions[1]");
    assert!(
        reason.contains("covers FR") && reason.contains("age_rules[0]"),
        "{reason}"
    );

    let mut doc = format_2();
    doc["age_rules"][0]["jurisdictions"] = json!(["EU"]);
    let (field, reason) = refusal(&doc);
    assert_eq!(field, "age_rules[0].jurisdictions[0]");
    assert!(
        reason.contains("EEA") && reason.contains("\"EU\""),
        "{reason}"
    );

    let mut doc = format_2();
    doc.as_object_mut().unwrap().remove("default_age_rule");
    assert_eq!(refusal(&doc).0, "default_age_rule");
}

#[test]
fn a_device_identifier_under_any_basis_but_consent_is_refused() {
    for format in [1, 2] {
        let mut doc = format_2();
        doc["processing"][2]["legal_basis"] = json!("legitimate_interest");
        if format == 1 {
            let object = doc.as_object_mut().unwrap();
            for field in [
                "age_rules",
                "default_age_rule",
                "acceptance",
                "commitments",
                "app_retention",
            ] {
                object.remove(field);
            }
            object.insert("format".into(), json!(1));
            object.insert("minimum_age".into(), json!(13));
            object.insert("digital_consent_age".into(), json!(16));
            object.remove("recipients");
            object["processing"][0]
                .as_object_mut()
                .unwrap()
                .remove("recipients");
            object["processing"][2]
                .as_object_mut()
                .unwrap()
                .remove("recipients");
        }
        let (field, reason) = refusal(&doc);
        assert_eq!(field, "processing[2].legal_basis", "format {format}");
        assert!(
            reason.contains("consent") && reason.contains("ePrivacy"),
            "{reason}"
        );
        assert!(reason.contains("\"legitimate_interest\""), "{reason}");
    }

    let mut doc = format_2();
    doc["categories"][0]["device_identifier"] = json!(true);
    assert_eq!(refusal(&doc).0, "processing[0].legal_basis");
}

#[test]
fn retention_takes_only_enforced_ids_and_app_retention_only_the_apps_own() {
    let mut doc = format_2();
    doc["retention"][0]["data"] = json!("linked_accounts_unused");
    let (field, reason) = refusal(&doc);
    assert_eq!(field, "retention[0].data");
    for id in privacykit::ENFORCED_RETENTION_IDS {
        assert!(reason.contains(id), "{reason}");
    }
    assert!(reason.contains("app_retention"), "{reason}");

    let mut doc = format_2();
    doc["app_retention"][0]["data"] = json!("access_log");
    let (field, reason) = refusal(&doc);
    assert_eq!(field, "app_retention[0].data");
    assert!(reason.contains("PrivacyKit holds"), "{reason}");

    let kit = open(&format_2());
    let report = kit.purge_expired().unwrap();
    assert_eq!(report.purged.len(), 1);
    assert_eq!(report.purged[0].data, "access_log");
    assert_eq!(report.app_managed.len(), 1);
    assert_eq!(report.app_managed[0].data, "server_call_log");
    assert_eq!(report.app_managed[0].days, 7);
}

#[test]
fn declared_practices_are_read_and_exported() {
    let info = validate_policy(format_2().to_string()).unwrap();
    assert_eq!(info.format, 2);
    assert_eq!(info.acceptance, Acceptance::ContinuedUseAfterNotice);
    assert_eq!(
        info.recipients[1].kind,
        RecipientKind::IndependentController
    );
    assert_eq!(
        info.recipients[0].transfers[0].safeguard,
        TransferSafeguard::StandardContractualClauses
    );
    assert_eq!(info.commitments[1].kind, CommitmentKind::ServerRetention);
    assert_eq!(info.commitments[1].days, Some(14));

    let kit = open(&format_2());
    let export: Value = serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    json_schema::validate_export(&export);
    let schema: Value = serde_json::from_str(&privacykit::policy_json_schema()).unwrap();
    json_schema::validate(&schema, &schema, &format_2(), "$");
    let practices = &export["declared_practices"];
    assert_eq!(practices["acceptance"], "continued_use_after_notice");
    assert_eq!(
        practices["recipients"][0]["transfers"][0]["countries"],
        json!(["US"])
    );
    assert_eq!(practices["recipients"][1]["kind"], "independent_controller");
    assert_eq!(practices["commitments"][0]["kind"], "not_stored_on_servers");
    assert_eq!(practices["commitments"][1]["what"], "undelivered messages");
    assert_eq!(practices["app_retention"][0]["data"], "server_call_log");

    let mut doc = format_2();
    doc["recipients"][1]["kind"] = json!("third_party");
    assert_eq!(refusal(&doc).0, "recipients[1].kind");
    let mut doc = format_2();
    doc["commitments"][1]
        .as_object_mut()
        .unwrap()
        .remove("days");
    assert_eq!(refusal(&doc).0, "commitments[1].days");
    let mut doc = format_2();
    doc["recipients"][0]["transfers"][0]["countries"] = json!(["XX"]);
    assert_eq!(refusal(&doc).0, "recipients[0].transfers[0].countries[0]");
}

#[test]
fn acceptance_by_continued_use_records_the_notice_in_the_ledger() {
    let kit = open(&format_2());
    let entry = kit.accept_policy().unwrap();
    let detail: Value = serde_json::from_str(entry.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["acceptance"], "continued_use_after_notice");
    assert_eq!(detail["notice_of"]["policy_id"], "com.example.calls");
    assert_eq!(detail["notice_of"]["version"], 1);
    kit.verify_ledger().unwrap();
    let export: Value = serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    let receipts = export["consent_receipts"].as_array().unwrap();
    assert!(receipts
        .iter()
        .any(|r| r["action"] == "accept_policy" && r["detail"] == detail));

    let mut explicit = format_2();
    explicit["acceptance"] = json!("explicit");
    let kit = open(&explicit);
    assert_eq!(kit.accept_policy().unwrap().detail, None);
}

#[test]
fn format_2_fields_are_refused_in_format_1_and_format_1_ages_in_format_2() {
    let mut doc = format_2();
    doc["minimum_age"] = json!(13);
    assert_eq!(refusal(&doc).0, "minimum_age");
    let (field, reason) = refusal(&json!({
        "format": 1, "policy_id": "p", "version": 1, "effective_date": "2026-01-01",
        "controller": { "name": "C" }, "minimum_age": 0, "digital_consent_age": 16,
        "acceptance": "explicit",
        "categories": [ { "id": "contacts" } ], "purposes": [ { "id": "service" } ],
        "processing": [ { "category": "contacts", "purpose": "service", "legal_basis": "contract" } ]
    }));
    assert_eq!(field, "acceptance");
    assert!(reason.contains("\"format\": 2"), "{reason}");
}

/// A format-1 document (minimum age 13, its own age of digital consent 14) and the format-2
/// document that says what format 1 did implicitly.
fn format_1_and_its_equivalent() -> (Value, Value) {
    let common = json!({
        "policy_id": "com.example.same", "version": 1, "effective_date": "2026-01-01",
        "controller": { "name": "Example Ltd" },
        "categories": [ { "id": "contacts" }, { "id": "advertising_id" } ],
        "purposes": [ { "id": "service" }, { "id": "analytics" }, { "id": "advertising" },
                      { "id": "legal_compliance" } ],
        "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract" },
            { "category": "contacts", "purpose": "analytics", "legal_basis": "legitimate_interest" },
            { "category": "contacts", "purpose": "legal_compliance", "legal_basis": "legal_obligation" },
            { "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" }
        ],
        "retention": [ { "data": "access_log", "days": 30 },
                       { "data": "call_statistics", "days": 90, "description": "Call statistics" } ]
    });
    let mut one = common.clone();
    let object = one.as_object_mut().unwrap();
    object.insert("format".into(), json!(1));
    object.insert("minimum_age".into(), json!(13));
    object.insert("digital_consent_age".into(), json!(14));
    let mut two = common;
    let object = two.as_object_mut().unwrap();
    object.insert("format".into(), json!(2));
    let rule = |jurisdictions: Value, age: u8| {
        json!({ "jurisdictions": jurisdictions, "minimum_age": 13, "digital_consent_age": age,
                "open_below_minimum_age": ["service"] })
    };
    object.insert(
        "age_rules".into(),
        json!([
            rule(
                json!([
                    "AT", "BE", "BG", "CY", "DK", "EE", "ES", "FI", "GB", "IS", "IT", "LT", "LV",
                    "MT", "NO", "PT", "SE", "US"
                ]),
                14
            ),
            rule(json!(["CZ", "FR", "GR", "SI"]), 15)
        ]),
    );
    object.insert(
        "default_age_rule".into(),
        json!({ "minimum_age": 13, "digital_consent_age": 16, "open_below_minimum_age": ["service"] }),
    );
    let retention = object.remove("retention").unwrap();
    object.insert("retention".into(), json!([retention[0]]));
    object.insert("app_retention".into(), json!([retention[1]]));
    (one, two)
}

#[test]
fn a_format_1_document_decides_exactly_like_its_format_2_equivalent() {
    let (one, two) = format_1_and_its_equivalent();
    let (one_info, two_info) = (
        validate_policy(one.to_string()).unwrap(),
        validate_policy(two.to_string()).unwrap(),
    );
    assert_eq!(one_info.format, 1);
    assert_eq!(one_info.default_age_rule, two_info.default_age_rule);
    assert_eq!(one_info.app_retention, two_info.app_retention);
    let (kit_one, kit_two) = (open(&one), open(&two));
    let pairs = [
        ("contacts", "service"),
        ("contacts", "analytics"),
        ("contacts", "legal_compliance"),
        ("advertising_id", "advertising"),
    ];
    let mut compared = 0;
    for jurisdiction in [
        None,
        Some("DE"),
        Some("US"),
        Some("US-CA"),
        Some("FR"),
        Some("BR"),
    ] {
        for age in [
            None,
            Some(8),
            Some(13),
            Some(14),
            Some(15),
            Some(16),
            Some(30),
        ] {
            for kit in [&kit_one, &kit_two] {
                if let Some(age) = age {
                    declare(kit, age, jurisdiction);
                }
            }
            for (category, purpose) in pairs {
                assert_eq!(
                    kit_one.explain(category, purpose),
                    kit_two.explain(category, purpose),
                    "{category}/{purpose} at {age:?} in {jurisdiction:?}"
                );
                compared += 1;
            }
            assert_eq!(kit_one.age_status().unwrap(), kit_two.age_status().unwrap());
        }
    }
    assert_eq!(compared, 6 * 7 * 4);
    // The grid includes both answers, so equality is not trivially "all refused".
    declare(&kit_one, 9, Some("US"));
    assert!(kit_one.explain("contacts", "service").allowed);
    assert!(!kit_one.explain("contacts", "analytics").allowed);
}

#[test]
fn the_documents_description_is_checked_like_other_text() {
    let mut doc = format_2();
    doc["description"] = json!("Why unknown_age is protect: the app asks no age at installation.");
    validate_policy(doc.to_string()).expect("a description is accepted");
    for bad in [json!(""), json!("x".repeat(2001)), json!(7)] {
        let mut doc = format_2();
        doc["description"] = bad;
        match validate_policy(doc.to_string()).unwrap_err() {
            PrivacyError::InvalidPolicy { field, .. } => assert_eq!(field, "description"),
            other => panic!("expected InvalidPolicy, got {other:?}"),
        }
    }
}
