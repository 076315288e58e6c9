//! `policy_changes`, which the `privacykit diff` command prints, answers what
//! `pending_reconsent` answers on a device after the update, for a user who agreed to
//! everything under the older version: the two cannot drift apart.

use privacykit::{
    policy_changes, Platform, PrivacyError, PrivacyKit, PrivacyKitConfig, ReconsentAction,
    TermsChange,
};
use serde_json::{json, Value};

fn v1() -> Value {
    json!({
        "format": 2, "policy_id": "com.example.notes", "version": 1,
        "effective_date": "2026-03-01",
        "controller": { "name": "Example Notes Ltd" },
        "default_age_rule": { "minimum_age": 13, "digital_consent_age": 16,
                              "open_below_minimum_age": ["service"] },
        "unknown_age": "adult",
        "categories": [ { "id": "contacts" }, { "id": "diagnostics" } ],
        "purposes": [ { "id": "service" }, { "id": "analytics" }, { "id": "marketing" } ],
        "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract" },
            { "category": "diagnostics", "purpose": "analytics", "legal_basis": "consent" },
            { "category": "diagnostics", "purpose": "marketing", "legal_basis": "legitimate_interest" },
            { "category": "diagnostics", "purpose": "service", "legal_basis": "legal_obligation" }
        ],
        "recipients": [ { "id": "stats", "name": "Stats Inc", "kind": "processor" } ]
    })
}

fn v2() -> Value {
    let mut v2 = v1();
    v2["version"] = json!(2);
    // Grows: recipients of a consent use, the basis of a legitimate-interest use, a new use of
    // a purpose the user consented to for every category, and a legal obligation's
    // recipients (which nobody is asked about).
    v2["processing"][1]["recipients"] = json!(["stats"]);
    v2["processing"][2]["legal_basis"] = "contract".into();
    v2["processing"][3]["recipients"] = json!(["stats"]);
    v2["processing"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "category": "contacts", "purpose": "analytics", "legal_basis": "consent" }));
    v2
}

#[test]
fn policy_changes_lists_what_pending_reconsent_lists_after_the_update() {
    let kit = PrivacyKit::open(PrivacyKitConfig {
        database_path: None,
        policy_json: v1().to_string(),
        platform: Platform::Android,
        utc_offset_minutes: 0,
        key_provider: None,
    })
    .unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.update_policy(v2().to_string()).unwrap();
    let on_device = kit.pending_reconsent().unwrap();

    let computed = policy_changes(&v1().to_string(), &v2().to_string()).unwrap();
    assert_eq!(computed, on_device);
    let listed: Vec<(&str, &str, ReconsentAction)> = computed
        .iter()
        .map(|i| (i.category.as_str(), i.purpose.as_str(), i.action))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("diagnostics", "analytics", ReconsentAction::GrantConsent),
            ("diagnostics", "marketing", ReconsentAction::AcceptPolicy),
            ("contacts", "analytics", ReconsentAction::GrantConsent),
        ]
    );
    assert_eq!(
        computed[0].changes,
        vec![TermsChange::RecipientsAdded {
            recipients: vec!["stats".into()]
        }]
    );
    assert!(computed.iter().all(|i| i.agreed_version == 1));
}

#[test]
fn policy_changes_of_a_wording_change_is_empty_and_invalid_documents_are_refused() {
    let mut reworded = v1();
    reworded["version"] = json!(2);
    reworded["controller"]["contact"] = "privacy@example.com".into();
    assert_eq!(
        policy_changes(&v1().to_string(), &reworded.to_string()).unwrap(),
        vec![]
    );
    let mut invalid = v1();
    invalid["processing"][0]["legal_basis"] = "contractual".into();
    let error = policy_changes(&v1().to_string(), &invalid.to_string()).unwrap_err();
    assert!(
        matches!(&error, PrivacyError::InvalidPolicy { field, .. } if field == "processing[0].legal_basis"),
        "{error:?}"
    );
}
