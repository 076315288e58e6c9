//! The guard's decisions and reasons, through the public API.

mod common;

use common::*;
use privacykit::{
    Decision, DecisionReason::*, LegalBasis, LocationAccuracy, OsPermission, PermissionStatus,
    Platform, PrivacyKit,
};

fn allowed(basis: LegalBasis) -> Decision {
    Decision {
        allowed: true,
        reason: Permitted { basis },
    }
}

fn denied(reason: privacykit::DecisionReason) -> Decision {
    Decision {
        allowed: false,
        reason,
    }
}

#[test]
fn nothing_runs_before_the_policy_is_accepted_except_what_the_law_requires() {
    let kit = in_memory();
    assert_eq!(
        kit.check("diagnostics", "analytics"),
        denied(PolicyNotAccepted)
    );
    assert_eq!(
        kit.check("diagnostics", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    kit.accept_policy().unwrap();
    assert_eq!(
        kit.check("diagnostics", "analytics"),
        allowed(LegalBasis::LegitimateInterest)
    );
}

#[test]
fn consent_is_needed_granted_denied_and_withdrawn_in_one_call_each() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    assert_eq!(kit.check("contacts", "analytics"), denied(NeedsConsent));
    kit.grant_consent("analytics".into(), None).unwrap();
    assert_eq!(
        kit.check("contacts", "analytics"),
        allowed(LegalBasis::Consent)
    );
    kit.deny_consent("analytics".into(), Some("contacts".into()))
        .unwrap();
    assert_eq!(kit.check("contacts", "analytics"), denied(ConsentDenied));
    kit.grant_consent("analytics".into(), Some("contacts".into()))
        .unwrap();
    kit.withdraw_consent("analytics".into(), None).unwrap();
    // The purpose-wide withdrawal is newer than the narrower grant, so it wins.
    assert_eq!(kit.check("contacts", "analytics"), denied(ConsentWithdrawn));
    // Contract-based use of the same data is unaffected.
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
}

#[test]
fn objection_and_restriction_switch_uses_off() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.object_to("service".into(), Some("read_receipts".into()))
        .unwrap();
    assert_eq!(
        kit.check("read_receipts", "service"),
        denied(ObjectedByUser)
    );
    kit.withdraw_objection("service".into(), Some("read_receipts".into()))
        .unwrap();
    assert_eq!(
        kit.check("read_receipts", "service"),
        allowed(LegalBasis::LegitimateInterest)
    );

    kit.restrict_processing().unwrap();
    assert_eq!(
        kit.check("read_receipts", "service"),
        denied(RestrictedByUser)
    );
    assert_eq!(
        kit.check("diagnostics", "analytics"),
        denied(RestrictedByUser)
    );
    // Essential processing carries on under a restriction.
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
    kit.lift_restriction().unwrap();
    assert_eq!(
        kit.check("diagnostics", "analytics"),
        allowed(LegalBasis::LegitimateInterest)
    );
}

#[test]
fn os_permission_reasons_follow_the_request_history() {
    let kit = in_memory(); // Android
    kit.accept_policy().unwrap();
    let contacts = OsPermission::Contacts;
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionNotRequested {
            permission: contacts
        })
    );
    kit.record_permission_request(contacts, PermissionStatus::Denied, None, None)
        .unwrap();
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionDenied {
            permission: contacts
        })
    );
    assert!(kit.should_show_rationale(contacts).unwrap());
    kit.record_permission_request(contacts, PermissionStatus::Denied, None, None)
        .unwrap();
    assert_eq!(
        kit.check("contacts", "service"),
        denied(BlockedInSettings {
            permission: contacts
        })
    );
    assert!(!kit.can_request(contacts).unwrap());
    kit.report_permission(contacts, PermissionStatus::Limited, None, None)
        .unwrap();
    assert_eq!(
        kit.check("contacts", "service"),
        Decision {
            allowed: true,
            reason: PermittedWithLimitedAccess {
                basis: LegalBasis::Contract
            }
        }
    );
    kit.report_permission(contacts, PermissionStatus::Restricted, None, None)
        .unwrap();
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionRestricted {
            permission: contacts
        })
    );
}

#[test]
fn ios_denial_is_final_at_once() {
    let kit = PrivacyKit::open(config(None, Platform::Ios)).unwrap();
    kit.accept_policy().unwrap();
    assert!(kit.can_request(OsPermission::Contacts).unwrap());
    let state = kit
        .record_permission_request(OsPermission::Contacts, PermissionStatus::Denied, None, None)
        .unwrap();
    assert!(state.blocked_in_settings && !state.can_request && !state.should_show_rationale);
    assert_eq!(
        kit.check("contacts", "service"),
        denied(BlockedInSettings {
            permission: OsPermission::Contacts
        })
    );
}

#[test]
fn precise_location_uses_refuse_approximate_access() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.record_permission_request(
        OsPermission::Location,
        PermissionStatus::Granted,
        Some(LocationAccuracy::Approximate),
        None,
    )
    .unwrap();
    assert_eq!(
        kit.check("location", "service"),
        denied(ApproximateLocationOnly)
    );
    // A use that does not need precision is fine with approximate location.
    assert_eq!(
        kit.check("location", "analytics"),
        allowed(LegalBasis::Consent)
    );
    kit.report_permission(
        OsPermission::Location,
        PermissionStatus::Granted,
        Some(LocationAccuracy::Precise),
        None,
    )
    .unwrap();
    assert_eq!(
        kit.check("location", "service"),
        allowed(LegalBasis::Contract)
    );
}

#[test]
fn undeclared_uses_are_refused_whatever_the_input() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    for (category, purpose) in [
        ("contacts", "advertising"), // both declared, the pair is not
        ("microphone", "service"),   // unknown category
        ("contacts", "selling"),     // unknown purpose
        ("", ""),
        ("Контакты", "service"),
        ("contacts\0", "service"),
    ] {
        assert_eq!(kit.check(category, purpose), denied(NotDeclaredInPolicy));
    }
}

#[test]
fn the_guard_refuses_after_close() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.close_store().unwrap();
    assert_eq!(kit.check("diagnostics", "analytics"), denied(Closed));
    assert_eq!(kit.accept_policy(), Err(privacykit::PrivacyError::Closed));
    kit.close_store().expect("closing twice is fine");
}

#[test]
fn access_report_counts_allowed_checks_per_day() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = PrivacyKit::open_with_clock(config(None, Platform::Android), clock.clone()).unwrap();
    kit.accept_policy().unwrap();
    for _ in 0..3 {
        kit.check("diagnostics", "analytics");
    }
    kit.check("contacts", "analytics"); // refused: not counted
    kit.explain("diagnostics", "analytics"); // a preview: not counted
    clock.advance_days(1);
    kit.check("diagnostics", "analytics");
    kit.check("diagnostics", "legal_compliance");

    let report = kit
        .access_report("2024-05-01".into(), "2024-05-02".into())
        .unwrap();
    let rows: Vec<(&str, &str, &str, u64)> = report
        .iter()
        .map(|r| {
            (
                r.day.as_str(),
                r.category.as_str(),
                r.purpose.as_str(),
                r.count,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2024-05-01", "diagnostics", "analytics", 3),
            ("2024-05-02", "diagnostics", "analytics", 1),
            ("2024-05-02", "diagnostics", "legal_compliance", 1),
        ]
    );
    // Counting continues after a report, and reports add up.
    kit.check("diagnostics", "analytics");
    let day2 = kit
        .access_report("2024-05-02".into(), "2024-05-02".into())
        .unwrap();
    assert_eq!(day2[0].count, 2);
    assert!(kit
        .access_report("2024-05-03".into(), "2024-05-01".into())
        .is_err());
    assert!(kit
        .access_report("yesterday".into(), "2024-05-01".into())
        .is_err());
}

#[test]
fn check_is_consistent_while_another_thread_writes() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let mut seen_allowed = 0;
                    for _ in 0..20_000 {
                        let d = kit.check("contacts", "analytics");
                        match d.reason {
                            Permitted {
                                basis: LegalBasis::Consent,
                            } => seen_allowed += 1,
                            NeedsConsent | ConsentWithdrawn => {}
                            other => panic!("unexpected reason {other:?}"),
                        }
                    }
                    seen_allowed
                })
            })
            .collect();
        for _ in 0..20 {
            kit.grant_consent("analytics".into(), None).unwrap();
            kit.withdraw_consent("analytics".into(), None).unwrap();
        }
        kit.grant_consent("analytics".into(), None).unwrap();
        for reader in readers {
            reader.join().unwrap();
        }
    });
    assert_eq!(
        kit.check("contacts", "analytics"),
        allowed(LegalBasis::Consent)
    );
}

#[test]
fn a_prepared_data_use_answers_like_check_and_follows_policy_updates() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = PrivacyKit::open_with_clock(config(None, Platform::Android), clock).unwrap();
    kit.accept_policy().unwrap();
    let diagnostics = kit
        .clone()
        .data_use("diagnostics".into(), "analytics".into());
    let support = kit.clone().data_use("diagnostics".into(), "support".into());
    let unknown = kit.clone().data_use("nonsense".into(), "analytics".into());

    assert!(diagnostics.is_allowed());
    assert_eq!(diagnostics.check(), kit.explain("diagnostics", "analytics"));
    assert_eq!(support.explain(), denied(NotDeclaredInPolicy));
    assert!(!unknown.is_allowed());
    kit.object_to("analytics".into(), None).unwrap();
    assert_eq!(diagnostics.check(), denied(ObjectedByUser));
    kit.withdraw_objection("analytics".into(), None).unwrap();

    // Version 2 declares (diagnostics, support): the prepared use finds it.
    let v2 = policy_version(2, None)
        .replace(
            r#"{ "id": "legal_compliance" }"#,
            r#"{ "id": "legal_compliance" }, { "id": "support" }"#,
        )
        .replace(
            r#"{ "category": "read_receipts""#,
            r#"{ "category": "diagnostics", "purpose": "support", "legal_basis": "contract" },
    { "category": "read_receipts""#,
        );
    kit.update_policy(v2).unwrap();
    kit.accept_policy().unwrap();
    assert_eq!(support.check(), allowed(LegalBasis::Contract));
    assert!(diagnostics.is_allowed());

    let report = kit
        .access_report("2024-05-01".into(), "2024-05-01".into())
        .unwrap();
    let counted: u64 = report.iter().map(|r| r.count).sum();
    assert_eq!(
        counted, 4,
        "is_allowed and check count, explain does not: {report:?}"
    );
    kit.close_store().unwrap();
    assert_eq!(diagnostics.check(), denied(Closed));
}

/// A policy whose custom categories are gated by the permissions beyond contacts and location.
const DEVICE_PERMISSIONS_POLICY: &str = r#"{
  "format": 1,
  "policy_id": "com.example.photos",
  "version": 1,
  "effective_date": "2025-01-01",
  "controller": { "name": "Example Photos Ltd", "contact": "privacy@example.com" },
  "minimum_age": 13,
  "digital_consent_age": 16,
  "unknown_age": "adult",
  "categories": [
    { "id": "photos", "description": "Photos the user picks to share", "os_permission": "photos" },
    { "id": "camera_capture", "description": "Pictures taken in the app", "os_permission": "camera" },
    { "id": "reminders", "description": "Reminders shown as notifications", "os_permission": "notifications" },
    { "id": "events", "description": "Calendar events the user adds a call to", "os_permission": "calendar" },
    { "id": "headset", "description": "The Bluetooth headset used for calls", "os_permission": "nearby_devices" },
    { "id": "sim_state", "description": "Whether a call is in progress on the SIM", "os_permission": "phone_state" }
  ],
  "purposes": [ { "id": "service" } ],
  "processing": [
    { "category": "photos", "purpose": "service", "legal_basis": "contract" },
    { "category": "camera_capture", "purpose": "service", "legal_basis": "contract" },
    { "category": "reminders", "purpose": "service", "legal_basis": "contract" },
    { "category": "events", "purpose": "service", "legal_basis": "contract" },
    { "category": "headset", "purpose": "service", "legal_basis": "contract" },
    { "category": "sim_state", "purpose": "service", "legal_basis": "contract" }
  ]
}"#;

#[test]
fn camera_photos_notifications_calendar_nearby_devices_and_phone_state_gate_their_categories() {
    let kit = PrivacyKit::open(privacykit::PrivacyKitConfig {
        policy_json: DEVICE_PERMISSIONS_POLICY.into(),
        ..config(None, Platform::Ios)
    })
    .unwrap();
    kit.accept_policy().unwrap();
    let gated = [
        ("photos", OsPermission::Photos),
        ("camera_capture", OsPermission::Camera),
        ("reminders", OsPermission::Notifications),
        ("events", OsPermission::Calendar),
        ("headset", OsPermission::NearbyDevices),
        ("sim_state", OsPermission::PhoneState),
    ];
    for (category, permission) in gated {
        assert_eq!(
            kit.check(category, "service"),
            denied(OsPermissionNotRequested { permission }),
            "{category}"
        );
        kit.record_permission_request(permission, PermissionStatus::Granted, None, None)
            .unwrap();
        assert!(kit.check(category, "service").allowed, "{category}");
    }
    let limited = Decision {
        allowed: true,
        reason: PermittedWithLimitedAccess {
            basis: LegalBasis::Contract,
        },
    };
    // The photos the user picked; quiet notifications.
    kit.report_permission(OsPermission::Photos, PermissionStatus::Limited, None, None)
        .unwrap();
    assert_eq!(kit.check("photos", "service"), limited);
    kit.report_permission(
        OsPermission::Notifications,
        PermissionStatus::Provisional,
        None,
        None,
    )
    .unwrap();
    assert_eq!(kit.check("reminders", "service"), limited);
    assert!(kit.can_request(OsPermission::Notifications).unwrap());
    // A denial on iOS is final at once, as for every permission.
    kit.report_permission(OsPermission::Camera, PermissionStatus::Denied, None, None)
        .unwrap();
    assert_eq!(
        kit.check("camera_capture", "service"),
        denied(BlockedInSettings {
            permission: OsPermission::Camera
        })
    );
    let history = kit.permission_history(OsPermission::Camera).unwrap();
    assert_eq!(history.len(), 2, "the request and the observation");
}
