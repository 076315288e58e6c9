//! The store through the public API: state survives reopening, bad files and bad input are
//! refused with typed errors, and nothing stored changes when something is refused.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use privacykit::{
    ConsentAction, ConsentChange, ConsentSource, OsPermission, PermissionStatus, Platform,
    PrivacyError, PrivacyKit, PrivacyKitConfig,
};

fn open_at(path: &Path) -> Result<std::sync::Arc<PrivacyKit>, PrivacyError> {
    PrivacyKit::open(config(Some(path), Platform::Android))
}

fn with_policy(path: &Path, policy_json: String) -> PrivacyKitConfig {
    PrivacyKitConfig {
        policy_json,
        ..config(Some(path), Platform::Android)
    }
}

#[test]
fn state_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    {
        let kit = open_at(&path).unwrap();
        kit.accept_policy().unwrap();
        kit.grant_consent("analytics".into(), Some("contacts".into()))
            .unwrap();
        kit.record_permission_request(OsPermission::Contacts, PermissionStatus::Denied, None, None)
            .unwrap();
        kit.record_permission_request(OsPermission::Contacts, PermissionStatus::Denied, None, None)
            .unwrap();
        kit.check("diagnostics", "analytics");
        kit.close_store().unwrap();
    }
    let kit = open_at(&path).unwrap();
    let state = kit.consent_state().unwrap();
    assert_eq!(state.ledger_length, 2);
    assert_eq!(state.accepted_policy_version, Some(1));
    assert_eq!(state.choices.len(), 1);
    // Blocked is known at launch, from the stored history, before any request.
    let contacts = kit.permission_state(OsPermission::Contacts).unwrap();
    assert!(contacts.blocked_in_settings && !contacts.can_request);
    assert_eq!(
        kit.permission_history(OsPermission::Contacts)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(kit.verify_ledger(), Ok(2));
    let today = kit
        .access_report("2000-01-01".into(), "2999-12-31".into())
        .unwrap();
    assert_eq!(today.iter().map(|r| r.count).sum::<u64>(), 1);
}

#[test]
fn one_file_cannot_be_opened_twice_in_a_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let first = open_at(&path).unwrap();
    let same_file_other_spelling = dir.path().join(".").join("privacy.db");
    assert_eq!(
        open_at(&same_file_other_spelling).err(),
        Some(PrivacyError::AlreadyOpen)
    );
    first.close_store().unwrap();
    open_at(&path).expect("free again after close");
}

#[test]
fn a_file_that_is_not_sqlite_is_reported_corrupt_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(&path, &garbage).unwrap();
    assert!(matches!(
        open_at(&path),
        Err(PrivacyError::CorruptDatabase { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), garbage);
}

#[test]
fn a_damaged_page_is_reported_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    {
        let kit = open_at(&path).unwrap();
        for _ in 0..200 {
            kit.grant_consent("analytics".into(), None).unwrap();
        }
        kit.close_store().unwrap();
    }
    // Keep the header page, smash every page after it.
    let mut bytes = fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * 4096, "the ledger spans several pages");
    bytes[4096..].iter_mut().for_each(|b| *b = 0xA5);
    fs::write(&path, &bytes).unwrap();
    match open_at(&path) {
        Err(PrivacyError::CorruptDatabase { .. }) => {}
        Ok(kit) => assert!(matches!(
            kit.verify_ledger(),
            Err(PrivacyError::CorruptDatabase { .. })
        )),
        Err(other) => panic!("expected CorruptDatabase, got {other:?}"),
    }
}

#[test]
fn another_programs_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    assert_eq!(open_at(&path).err(), Some(PrivacyError::ForeignDatabase));
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    open_at(&path).unwrap().close_store().unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    let before = fs::read(&path).unwrap();
    assert!(matches!(
        open_at(&path),
        Err(PrivacyError::SchemaTooNew { found: 99, .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn policy_versions_only_move_forward() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let kit = PrivacyKit::open(with_policy(&path, policy_version(2, None))).unwrap();
    kit.accept_policy().unwrap();

    // Same version, same content with another layout: nothing to do.
    let relaid = policy_version(2, None).replace("\n", " ");
    assert_eq!(kit.update_policy(relaid).unwrap().version, 2);
    // Same version, other content: refused.
    let edited = policy_version(2, Some(("Example Messenger Ltd", "Other Ltd")));
    assert!(matches!(
        kit.update_policy(edited.clone()),
        Err(PrivacyError::PolicyVersionConflict { .. })
    ));
    // Older: refused.
    assert!(matches!(
        kit.update_policy(POLICY.to_owned()),
        Err(PrivacyError::PolicyVersionConflict { .. })
    ));
    // Invalid: refused, naming the field; the old policy stays in force.
    let broken = policy_version(3, Some(("\"contract\"", "\"contractual\"")));
    match kit.update_policy(broken) {
        Err(PrivacyError::InvalidPolicy { field, .. }) => {
            assert_eq!(field, "processing[0].legal_basis")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(kit.policy().unwrap().version, 2);
    // Newer with the same terms: loaded, and the acceptance carries over.
    assert_eq!(
        kit.update_policy(policy_version(3, None)).unwrap().version,
        3
    );
    assert!(kit.check("diagnostics", "analytics").allowed);
    // Newer with another controller: acceptance of the old terms no longer counts.
    let new_owner = policy_version(4, Some(("Example Messenger Ltd", "Other Ltd")));
    assert_eq!(kit.update_policy(new_owner.clone()).unwrap().version, 4);
    assert_eq!(
        kit.check("diagnostics", "analytics").reason,
        privacykit::DecisionReason::PolicyNotAccepted
    );
    kit.close_store().unwrap();

    // Opening with an older document than the stored one is refused, and so is an edit.
    assert!(matches!(
        PrivacyKit::open(with_policy(&path, policy_version(3, None))),
        Err(PrivacyError::PolicyVersionConflict { .. })
    ));
    assert!(matches!(
        PrivacyKit::open(with_policy(&path, policy_version(4, None))),
        Err(PrivacyError::PolicyVersionConflict { .. })
    ));
    let kit = PrivacyKit::open(with_policy(&path, new_owner)).unwrap();
    assert_eq!(
        kit.check("diagnostics", "analytics").reason,
        privacykit::DecisionReason::PolicyNotAccepted,
        "the terms history is rebuilt from the stored versions on open"
    );
    assert_eq!(kit.consent_state().unwrap().ledger_length, 1);
}

#[test]
fn bad_consent_input_is_refused_and_changes_nothing() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    let refused = [
        kit.grant_consent("selling".into(), None),
        kit.grant_consent("analytics".into(), Some("call_history".into())),
        kit.grant_consent("advertising".into(), Some("contacts".into())), // pair not declared
        kit.record_consent(ConsentChange {
            action: ConsentAction::Restrict,
            purpose: Some("analytics".into()),
            category: None,
            source: ConsentSource::User,
        }),
        kit.record_consent(ConsentChange {
            action: ConsentAction::Grant,
            purpose: None,
            category: None,
            source: ConsentSource::Guardian,
        }),
    ];
    for result in refused {
        assert!(
            matches!(result, Err(PrivacyError::InvalidArgument { .. })),
            "{result:?}"
        );
    }
    assert_eq!(kit.consent_state().unwrap().ledger_length, 1);
    assert!(matches!(
        kit.report_permission(
            OsPermission::Contacts,
            PermissionStatus::Granted,
            Some(privacykit::LocationAccuracy::Precise),
            None
        ),
        Err(PrivacyError::InvalidArgument { .. })
    ));
    assert!(kit
        .permission_history(OsPermission::Contacts)
        .unwrap()
        .is_empty());
}

#[test]
fn errors_never_echo_what_the_user_typed() {
    let kit = in_memory();
    let personal = "Anna Petrova +7 912 345-67-89 anna@example.com";
    let errors = [
        kit.grant_consent(personal.into(), None).unwrap_err(),
        kit.grant_consent("analytics".into(), Some(personal.into()))
            .unwrap_err(),
        PrivacyKit::open(PrivacyKitConfig {
            policy_json: format!("{{\"policy_id\": \"{personal}\" ,,}}"),
            ..config(None, Platform::Ios)
        })
        .err()
        .unwrap(),
    ];
    for err in errors {
        let shown = format!("{err} {err:?}");
        for fragment in ["Anna", "912", "anna@"] {
            assert!(!shown.contains(fragment), "{shown}");
        }
    }
}

#[test]
fn invalid_configuration_is_refused() {
    let bad_offset = PrivacyKitConfig {
        utc_offset_minutes: 24 * 60,
        ..config(None, Platform::Android)
    };
    assert!(matches!(
        PrivacyKit::open(bad_offset),
        Err(PrivacyError::InvalidArgument { .. })
    ));
    let empty_path = PrivacyKitConfig {
        database_path: Some(String::new()),
        ..config(None, Platform::Android)
    };
    assert!(matches!(
        PrivacyKit::open(empty_path),
        Err(PrivacyError::InvalidArgument { .. })
    ));
    let kit = in_memory();
    assert!(kit.set_utc_offset_minutes(-900).is_err());
    assert!(kit.set_utc_offset_minutes(330).is_ok());
}
