//! Retention counted from an event the app reports: `report_retention_event`,
//! `withdraw_retention_event`, `due_for_deletion`, and what the purge, the export and erasure
//! do with the events.

mod common;

use common::{json_schema, open_at, ManualClock, MAY_1_NOON};
use privacykit::{validate_policy, PersonalData, PrivacyError, PrivacyKit, RetentionEvent};
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;

/// Billing data kept 365 days after the account is closed, newsletter addresses 30 days after
/// unsubscribing, and call logs 7 days from when each was made.
fn policy() -> Value {
    json!({
        "format": 2,
        "policy_id": "com.example.calls",
        "version": 1,
        "effective_date": "2024-01-01",
        "controller": { "name": "Example Ltd" },
        "default_age_rule": { "minimum_age": 13, "digital_consent_age": 16 },
        "unknown_age": "adult",
        "categories": [ { "id": "contacts" } ],
        "purposes": [ { "id": "service" } ],
        "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract" }
        ],
        "app_retention": [
            { "data": "call_log", "days": 7, "description": "Call logs on our servers" },
            { "data": "billing", "days": 365, "after": "account_closure",
              "description": "Billing records" },
            { "data": "newsletter_address", "days": 30, "after": "unsubscribe",
              "description": "The address the newsletter went to" }
        ]
    })
}

fn open(dir: &tempfile::TempDir, clock: std::sync::Arc<ManualClock>) -> std::sync::Arc<PrivacyKit> {
    open_at(&dir.path().join("pk.db"), &policy().to_string(), clock)
}

fn due_ids(kit: &PrivacyKit) -> Vec<String> {
    kit.due_for_deletion()
        .unwrap()
        .into_iter()
        .map(|d| d.data)
        .collect()
}

#[test]
fn event_data_is_due_exactly_when_its_period_has_run_since_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open(&dir, clock.clone());
    // Without an event only the rule counted from when data was made is listed.
    assert_eq!(due_ids(&kit), ["call_log"]);

    let record = kit
        .report_retention_event(RetentionEvent::AccountClosure)
        .unwrap();
    assert_eq!(record.occurred_at_ms, MAY_1_NOON);

    clock.advance_ms(365 * DAY_MS - 1);
    assert_eq!(due_ids(&kit), ["call_log"], "one millisecond early");

    clock.advance_ms(1);
    let due = kit.due_for_deletion().unwrap();
    assert_eq!(due.len(), 2);
    let billing = &due[1];
    assert_eq!(billing.data, "billing");
    assert_eq!(billing.description.as_deref(), Some("Billing records"));
    assert_eq!(billing.event, Some(RetentionEvent::AccountClosure));
    assert_eq!(billing.event_at_ms, Some(MAY_1_NOON));
    assert_eq!(billing.due_since_ms, MAY_1_NOON + 365 * DAY_MS);

    // The rule without an event reports its cutoff: now minus the period.
    let call_log = &due[0];
    assert_eq!(call_log.event, None);
    assert_eq!(call_log.event_at_ms, None);
    assert_eq!(call_log.due_since_ms, clock_now(&clock) - 7 * DAY_MS);
}

fn clock_now(clock: &ManualClock) -> i64 {
    use privacykit::Clock;
    clock.now_ms()
}

#[test]
fn a_repeated_report_keeps_the_first_time() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open(&dir, clock.clone());
    kit.report_retention_event(RetentionEvent::Unsubscribe)
        .unwrap();
    clock.advance_days(10);
    let again = kit
        .report_retention_event(RetentionEvent::Unsubscribe)
        .unwrap();
    assert_eq!(again.occurred_at_ms, MAY_1_NOON);
    clock.advance_days(20);
    assert!(due_ids(&kit).contains(&"newsletter_address".to_owned()));
}

#[test]
fn a_withdrawn_event_stops_its_period_and_a_new_one_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open(&dir, clock.clone());
    kit.report_retention_event(RetentionEvent::AccountClosure)
        .unwrap();
    clock.advance_days(100);
    // The account was reopened.
    assert!(kit
        .withdraw_retention_event(RetentionEvent::AccountClosure)
        .unwrap());
    assert!(!kit
        .withdraw_retention_event(RetentionEvent::AccountClosure)
        .unwrap());
    assert!(kit.retention_events().unwrap().is_empty());
    clock.advance_days(300);
    assert!(!due_ids(&kit).contains(&"billing".to_owned()));

    // Closed again: the year counts from the second closure.
    let second = kit
        .report_retention_event(RetentionEvent::AccountClosure)
        .unwrap();
    assert_eq!(second.occurred_at_ms, MAY_1_NOON + 400 * DAY_MS);
    clock.advance_days(364);
    assert!(!due_ids(&kit).contains(&"billing".to_owned()));
    clock.advance_days(1);
    assert!(due_ids(&kit).contains(&"billing".to_owned()));
}

#[test]
fn events_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open(&dir, clock.clone());
    kit.report_retention_event(RetentionEvent::AccountClosure)
        .unwrap();
    kit.close_store().unwrap();
    drop(kit);

    clock.advance_days(365);
    let kit = open(&dir, clock.clone());
    let events = kit.retention_events().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, RetentionEvent::AccountClosure);
    assert_eq!(events[0].occurred_at_ms, MAY_1_NOON);
    assert!(due_ids(&kit).contains(&"billing".to_owned()));
}

#[test]
fn the_purge_report_lists_what_is_due() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open(&dir, clock.clone());
    kit.report_retention_event(RetentionEvent::Unsubscribe)
        .unwrap();
    let report = kit.purge_expired().unwrap();
    // A rule counted from an event has no cutoff from now: only call_log is app_managed.
    let managed: Vec<_> = report.app_managed.iter().map(|c| c.data.as_str()).collect();
    assert_eq!(managed, ["call_log"]);
    let due: Vec<_> = report
        .due_for_deletion
        .iter()
        .map(|d| d.data.as_str())
        .collect();
    assert_eq!(due, ["call_log"]);

    clock.advance_days(30);
    let report = kit.purge_expired().unwrap();
    assert_eq!(report.due_for_deletion, kit.due_for_deletion().unwrap());
    let due: Vec<_> = report
        .due_for_deletion
        .iter()
        .map(|d| d.data.as_str())
        .collect();
    assert_eq!(due, ["call_log", "newsletter_address"]);
}

#[test]
fn events_are_exported_and_erased() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open(&dir, clock.clone());
    kit.report_retention_event(RetentionEvent::AccountClosure)
        .unwrap();
    clock.advance_days(1);
    kit.report_retention_event(RetentionEvent::Unsubscribe)
        .unwrap();

    let export: Value = serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    json_schema::validate_export(&export);
    assert_eq!(
        export["retention_events"],
        json!([
            { "event": "account_closure", "occurred_at_ms": MAY_1_NOON },
            { "event": "unsubscribe", "occurred_at_ms": MAY_1_NOON + DAY_MS }
        ])
    );
    let practices = &export["declared_practices"]["app_retention"];
    assert_eq!(practices[1]["after"], "account_closure");
    assert_eq!(practices[0]["after"], Value::Null);

    let receipt = kit.erase_all().unwrap();
    let erased = receipt
        .erased
        .iter()
        .find(|e| e.data == PersonalData::RetentionEvents)
        .unwrap();
    assert_eq!(erased.records, 2);
    assert!(kit.retention_events().unwrap().is_empty());
    let export: Value = serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    assert_eq!(export["retention_events"], json!([]));
    clock.advance_days(400);
    assert_eq!(due_ids(&kit), ["call_log"]);

    // Erasing only this kind of data works the same way.
    kit.report_retention_event(RetentionEvent::AccountClosure)
        .unwrap();
    let receipt = kit.erase_data(PersonalData::RetentionEvents).unwrap();
    assert_eq!(receipt.erased[0].records, 1);
    assert!(kit.retention_events().unwrap().is_empty());
}

#[test]
fn an_event_no_rule_counts_from_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let kit = open(&dir, ManualClock::at(MAY_1_NOON));
    let err = kit
        .report_retention_event(RetentionEvent::UnconfirmedSignup)
        .unwrap_err();
    match err {
        PrivacyError::InvalidArgument { field, reason } => {
            assert_eq!(field, "event");
            assert!(reason.contains("unconfirmed_signup"), "{reason}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert!(kit.retention_events().unwrap().is_empty());
}

#[test]
fn the_policy_refuses_unknown_events_and_after_outside_app_retention() {
    let mut doc = policy();
    doc["app_retention"][1]["after"] = json!("account_deletion");
    match validate_policy(doc.to_string()).unwrap_err() {
        PrivacyError::InvalidPolicy { field, reason } => {
            assert_eq!(field, "app_retention[1].after");
            assert!(reason.contains("account_closure, unsubscribe"), "{reason}");
            assert!(reason.contains("\"account_deletion\""), "{reason}");
        }
        other => panic!("expected InvalidPolicy, got {other:?}"),
    }

    let mut doc = policy();
    doc["retention"] = json!([{ "data": "access_log", "days": 30, "after": "account_closure" }]);
    match validate_policy(doc.to_string()).unwrap_err() {
        PrivacyError::InvalidPolicy { field, .. } => assert_eq!(field, "retention[0].after"),
        other => panic!("expected InvalidPolicy, got {other:?}"),
    }

    let info = validate_policy(policy().to_string()).unwrap();
    let afters: Vec<_> = info.app_retention.iter().map(|r| r.after).collect();
    assert_eq!(
        afters,
        [
            None,
            Some(RetentionEvent::AccountClosure),
            Some(RetentionEvent::Unsubscribe)
        ]
    );
}
