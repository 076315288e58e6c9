//! The consent ledger and change listeners, through the public API.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;
use privacykit::{
    ConsentAction, ConsentChange, ConsentSource, ListenerError, OsPermission, PermissionStatus,
    Platform, PrivacyChange, PrivacyError, PrivacyKit, PrivacyListener,
};

fn ledger_with_entries(path: &Path, count: usize) {
    let kit = PrivacyKit::open(config(Some(path), Platform::Android)).unwrap();
    kit.accept_policy().unwrap();
    for i in 1..count {
        if i % 2 == 0 {
            kit.grant_consent("analytics".into(), None).unwrap();
        } else {
            kit.withdraw_consent("analytics".into(), Some("contacts".into()))
                .unwrap();
        }
    }
    kit.close_store().unwrap();
}

/// Runs raw SQL on the file the way an attacker or a bug would, past the append-only guards.
fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER consent_ledger_no_update; DROP TRIGGER consent_ledger_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

/// Opens the store (which verifies the ledger before loading it) and verifies it again.
fn verify(path: &Path) -> Result<u64, PrivacyError> {
    let kit = PrivacyKit::open(config(Some(path), Platform::Android))?;
    let result = kit.verify_ledger();
    kit.close_store().unwrap();
    result
}

#[test]
fn verify_ledger_finds_edited_deleted_and_reordered_rows() {
    let cases = [
        (
            "edited action",
            "UPDATE consent_ledger SET action = 'grant' WHERE seq = 4",
            4,
        ),
        (
            "edited time",
            "UPDATE consent_ledger SET time_ms = time_ms - 1 WHERE seq = 3",
            3,
        ),
        (
            "edited scope",
            "UPDATE consent_ledger SET category = NULL WHERE seq = 2",
            2,
        ),
        (
            "edited source",
            "UPDATE consent_ledger SET source = 'guardian' WHERE seq = 5",
            5,
        ),
        (
            "deleted middle",
            "DELETE FROM consent_ledger WHERE seq = 3",
            3,
        ),
        (
            "deleted last",
            "DELETE FROM consent_ledger WHERE seq = 6",
            6,
        ),
        (
            "reordered",
            "UPDATE consent_ledger SET seq = -1 WHERE seq = 2;
             UPDATE consent_ledger SET seq = 2 WHERE seq = 3;
             UPDATE consent_ledger SET seq = 3 WHERE seq = -1;",
            2,
        ),
    ];
    for (what, sql, first_bad) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("privacy.db");
        ledger_with_entries(&path, 6);
        assert_eq!(verify(&path), Ok(6), "{what}: intact before");
        tamper(&path, sql);
        match verify(&path) {
            Err(PrivacyError::LedgerTampered { seq, .. }) => {
                assert_eq!(seq, first_bad, "{what}")
            }
            other => panic!("{what}: expected LedgerTampered, got {other:?}"),
        }
    }
}

#[test]
fn the_ledger_is_paged_in_order_and_keeps_the_source() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.record_consent(ConsentChange {
        action: ConsentAction::Grant,
        purpose: Some("analytics".into()),
        category: Some("contacts".into()),
        source: ConsentSource::Guardian,
    })
    .unwrap();
    kit.deny_consent("advertising".into(), None).unwrap();
    let first = kit.ledger(0, 2).unwrap();
    assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(first[1].source, ConsentSource::Guardian);
    assert_eq!(first[1].category.as_deref(), Some("contacts"));
    let rest = kit.ledger(2, 100).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].action, ConsentAction::Deny);
    assert_eq!(rest[0].policy_version, 1);
    assert_eq!(rest[0].hash.len(), 64);
    assert_ne!(rest[0].hash, first[1].hash);
}

/// Records every change it hears and checks it is already in the database file.
struct Recorder {
    heard: Mutex<Vec<PrivacyChange>>,
    db: Option<std::path::PathBuf>,
}

impl PrivacyListener for Recorder {
    fn on_change(&self, change: PrivacyChange) -> Result<(), ListenerError> {
        if let (Some(path), PrivacyChange::Consent { entry }) = (&self.db, &change) {
            let conn = rusqlite::Connection::open(path).unwrap();
            let stored: i64 = conn
                .query_row(
                    "SELECT count(*) FROM consent_ledger WHERE seq = ?1",
                    [entry.seq as i64],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(stored, 1, "told before the change was durable");
        }
        self.heard.lock().unwrap().push(change);
        Ok(())
    }
}

struct Failing;

impl PrivacyListener for Failing {
    fn on_change(&self, _: PrivacyChange) -> Result<(), ListenerError> {
        Err(ListenerError::Failed)
    }
}

struct Panicking;

impl PrivacyListener for Panicking {
    fn on_change(&self, _: PrivacyChange) -> Result<(), ListenerError> {
        panic!("listener bug")
    }
}

#[test]
fn listeners_hear_every_durable_change_and_failures_do_not_spread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let kit = PrivacyKit::open(config(Some(&path), Platform::Android)).unwrap();
    let recorder = Arc::new(Recorder {
        heard: Mutex::new(Vec::new()),
        db: Some(path.clone()),
    });
    kit.add_listener(Arc::new(Failing)).unwrap();
    kit.add_listener(Arc::new(Panicking)).unwrap();
    let id = kit.add_listener(recorder.clone()).unwrap();

    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.record_permission_request(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    // The same observation again changes nothing, so nobody is told.
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    kit.update_policy(policy_version(2, None)).unwrap();

    let heard = recorder.heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 4, "{heard:?}");
    assert!(
        matches!(&heard[0], PrivacyChange::Consent { entry } if entry.action == ConsentAction::AcceptPolicy)
    );
    assert!(
        matches!(&heard[1], PrivacyChange::Consent { entry } if entry.action == ConsentAction::Grant)
    );
    assert!(
        matches!(&heard[2], PrivacyChange::Permission { state } if state.status == PermissionStatus::Granted)
    );
    assert_eq!(heard[3], PrivacyChange::Policy { version: 2 });

    assert!(kit.remove_listener(id));
    assert!(!kit.remove_listener(id));
    kit.deny_consent("advertising".into(), None).unwrap();
    assert_eq!(recorder.heard.lock().unwrap().len(), 4);
    assert_eq!(kit.verify_ledger(), Ok(3));
}

/// Calls back into PrivacyKit from inside the notification.
struct Reentrant {
    kit: Mutex<Option<Arc<PrivacyKit>>>,
    seen_length: Mutex<Option<u64>>,
}

impl PrivacyListener for Reentrant {
    fn on_change(&self, _: PrivacyChange) -> Result<(), ListenerError> {
        if let Some(kit) = self.kit.lock().unwrap().as_ref() {
            *self.seen_length.lock().unwrap() = Some(kit.consent_state().unwrap().ledger_length);
            kit.check("diagnostics", "analytics");
        }
        Ok(())
    }
}

#[test]
fn a_listener_may_call_back_into_privacykit() {
    let kit = in_memory();
    let listener = Arc::new(Reentrant {
        kit: Mutex::new(Some(kit.clone())),
        seen_length: Mutex::new(None),
    });
    kit.add_listener(listener.clone()).unwrap();
    kit.accept_policy().unwrap();
    assert_eq!(*listener.seen_length.lock().unwrap(), Some(1));
    listener.kit.lock().unwrap().take(); // break the cycle kit -> listener -> kit
}
