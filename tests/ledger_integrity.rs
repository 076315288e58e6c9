//! The consent ledger against a writer of the file: verified at every open, the head sealed
//! under the key provider's key, a ledger that does not verify refused (or set aside on the
//! app's request), and what is and is not seen without a key.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    DecisionReason, KeyProvider, PersonalData, Platform, PrivacyError, PrivacyKit, PrivacyKitConfig,
};
use rusqlite::params;
use sha2::{Digest, Sha256};

fn config_with(path: &Path, keys: Option<Arc<MemoryKeystore>>) -> PrivacyKitConfig {
    PrivacyKitConfig {
        key_provider: keys.map(|k| k as Arc<dyn KeyProvider>),
        ..config(Some(path), Platform::Android)
    }
}

fn open(path: &Path, keys: Option<&Arc<MemoryKeystore>>) -> Result<Arc<PrivacyKit>, PrivacyError> {
    PrivacyKit::open(config_with(path, keys.cloned()))
}

/// A store in a temporary folder holding `withdrawn`'s ledger, sealed under a fresh keystore.
fn withdrawn_with_keys() -> (tempfile::TempDir, PathBuf, Arc<MemoryKeystore>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    withdrawn(&path, Some(&keys));
    (dir, path, keys)
}

/// accept, grant analytics, withdraw analytics; closed.
fn withdrawn(path: &Path, keys: Option<&Arc<MemoryKeystore>>) {
    let kit = open(path, keys).unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.withdraw_consent("analytics".into(), None).unwrap();
    kit.close_store().unwrap();
}

/// Both opens, without the key and with it, refuse the ledger at entry `seq`.
fn refused_with_and_without_the_key(path: &Path, keys: &Arc<MemoryKeystore>, seq: u64) {
    for keys in [None, Some(keys)] {
        match open(path, keys) {
            Err(PrivacyError::LedgerTampered { seq: at, .. }) => assert_eq!(at, seq),
            other => panic!("expected LedgerTampered at {seq}, got {:?}", other.err()),
        }
    }
}

fn reason(kit: &PrivacyKit) -> DecisionReason {
    kit.explain("contacts", "analytics").reason
}

/// The ledger's hash of one entry, as PrivacyKit computes it: what an attacker who knows the
/// format recomputes.
fn chain(previous: &[u8], row: &Row) -> Vec<u8> {
    fn field(h: &mut Sha256, value: Option<&str>) {
        match value {
            None => h.update([0u8]),
            Some(text) => {
                h.update([1u8]);
                h.update((text.len() as u64).to_be_bytes());
                h.update(text.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"privacykit/consent-ledger/v1");
    h.update(previous);
    h.update(row.seq.to_be_bytes());
    h.update(row.time_ms.to_be_bytes());
    h.update(row.policy_version.to_be_bytes());
    field(&mut h, Some(&row.action));
    field(&mut h, row.purpose.as_deref());
    field(&mut h, row.category.as_deref());
    field(&mut h, Some(&row.source));
    if let Some(detail) = &row.detail {
        field(&mut h, Some(detail));
    }
    h.finalize().to_vec()
}

struct Row {
    seq: u64,
    time_ms: i64,
    policy_version: u32,
    action: String,
    purpose: Option<String>,
    category: Option<String>,
    source: String,
    detail: Option<String>,
}

/// Edits the ledger with `edit` and recomputes every hash and the head, past the triggers:
/// what a writer of the file who knows the format does. The seal is left alone (it cannot be
/// recomputed without the platform keystore).
fn rewrite_ledger(path: &Path, edit: impl Fn(&mut Vec<Row>)) {
    rewrite(path, edit, false)
}

/// The same, and the seal moved onto the new chain with its old MAC.
fn rewrite_ledger_and_seal(path: &Path, edit: impl Fn(&mut Vec<Row>)) {
    rewrite(path, edit, true)
}

fn rewrite(path: &Path, edit: impl Fn(&mut Vec<Row>), move_seal: bool) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS consent_ledger_no_update;
         DROP TRIGGER IF EXISTS consent_ledger_no_delete;",
    )
    .unwrap();
    let mut rows: Vec<Row> = conn
        .prepare(
            "SELECT seq, time_ms, policy_version, action, purpose, category, source, detail
             FROM consent_ledger ORDER BY seq",
        )
        .unwrap()
        .query_map([], |r| {
            Ok(Row {
                seq: r.get::<_, i64>(0)? as u64,
                time_ms: r.get(1)?,
                policy_version: r.get(2)?,
                action: r.get(3)?,
                purpose: r.get(4)?,
                category: r.get(5)?,
                source: r.get(6)?,
                detail: r.get(7)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    edit(&mut rows);
    conn.execute("DELETE FROM consent_ledger", []).unwrap();
    let mut previous = vec![0u8; 32];
    for row in &rows {
        let hash = chain(&previous, row);
        conn.execute(
            "INSERT INTO consent_ledger
                 (seq, time_ms, policy_version, action, purpose, category, source, prev_hash,
                  hash, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                row.seq as i64,
                row.time_ms,
                row.policy_version,
                row.action,
                row.purpose,
                row.category,
                row.source,
                previous,
                hash,
                row.detail
            ],
        )
        .unwrap();
        previous = hash;
    }
    let mut head = (rows.len() as u64).to_be_bytes().to_vec();
    head.extend_from_slice(&previous);
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('ledger_head', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [&head],
    )
    .unwrap();
    if move_seal {
        let seal: Vec<u8> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'ledger_head_seal'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let mut moved = head.clone();
        moved.extend_from_slice(&seal[40..]);
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'ledger_head_seal'",
            [moved],
        )
        .unwrap();
    }
}

fn withdrawal_turned_into_grant(rows: &mut [Row]) {
    rows[2].action = "grant".into();
}

fn delete(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

fn count(path: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_recomputed_chain_is_refused_at_open_when_the_key_provider_is_given() {
    let (_dir, path, keys) = withdrawn_with_keys();
    let before = std::fs::read(&path).unwrap();
    rewrite_ledger_and_seal(&path, |rows| withdrawal_turned_into_grant(rows));
    let tampered = std::fs::read(&path).unwrap();
    assert_ne!(before, tampered);
    match open(&path, Some(&keys)) {
        Err(PrivacyError::LedgerTampered { seq, .. }) => assert_eq!(seq, 3),
        other => panic!("{:?}", other.map(|kit| reason(&kit))),
    }
    assert_eq!(std::fs::read(&path).unwrap(), tampered, "nothing changed");
}

#[test]
fn without_a_key_at_open_a_recomputed_chain_is_found_when_the_key_is_given() {
    let (_dir, path, keys) = withdrawn_with_keys();
    rewrite_ledger_and_seal(&path, |rows| withdrawal_turned_into_grant(rows));

    // The chain alone verifies: this is what a key provider at open is for.
    let kit = open(&path, None).unwrap();
    assert_eq!(
        reason(&kit),
        DecisionReason::OsPermissionNotRequested {
            permission: privacykit::OsPermission::Contacts
        }
    );
    let given = kit.set_key_provider(keys.clone());
    assert!(
        matches!(given, Err(PrivacyError::LedgerTampered { seq: 3, .. })),
        "{given:?}"
    );
    // From now on nothing is decided from it and nothing is appended to it.
    assert_eq!(reason(&kit), DecisionReason::LedgerUnverified);
    assert_eq!(
        kit.explain("contacts", "service").reason,
        DecisionReason::LedgerUnverified
    );
    assert!(matches!(
        kit.grant_consent("analytics".into(), None),
        Err(PrivacyError::LedgerTampered { seq: 3, .. })
    ));
    assert!(matches!(
        kit.set_key_provider(keys.clone()),
        Err(PrivacyError::LedgerTampered { .. })
    ));

    // The app told the user; the ledger is set aside and the user is asked again.
    assert_eq!(kit.set_aside_unverified_ledger().unwrap(), 3);
    assert_eq!(kit.consent_state().unwrap().ledger_length, 0);
    assert_eq!(
        kit.explain("contacts", "service").reason,
        DecisionReason::PolicyNotAccepted
    );
    kit.accept_policy().unwrap();
    assert_eq!(reason(&kit), DecisionReason::NeedsConsent);
    assert_eq!(kit.verify_ledger(), Ok(1));
    assert_eq!(
        kit.set_aside_unverified_ledger().unwrap(),
        0,
        "verifies now"
    );

    let export: serde_json::Value =
        serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    let history = export["unverified_consent_history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["origin"], "entry");
    assert_eq!(history[2]["stored"]["action"], "grant");
    assert!(history[2]["reason"].as_str().unwrap().contains("entry 3"));

    kit.erase_all().unwrap();
    assert_eq!(count(&path, "SELECT count(*) FROM ledger_set_aside"), 0);
    kit.close_store().unwrap();
    assert!(open(&path, Some(&keys)).is_ok());
}

#[test]
fn a_tampered_ledger_can_be_set_aside_at_open() {
    let (_dir, path, keys) = withdrawn_with_keys();
    delete(
        &path,
        "DROP TRIGGER consent_ledger_no_delete; DELETE FROM consent_ledger WHERE seq = 3;",
    );
    assert!(matches!(
        open(&path, Some(&keys)),
        Err(PrivacyError::LedgerTampered { seq: 3, .. })
    ));
    let kit =
        PrivacyKit::open_setting_aside_tampered_ledger(config_with(&path, Some(keys.clone())))
            .unwrap();
    assert_eq!(kit.consent_state().unwrap().ledger_length, 0);
    assert_eq!(
        kit.explain("contacts", "service").reason,
        DecisionReason::PolicyNotAccepted
    );
    kit.accept_policy().unwrap();
    assert_eq!(reason(&kit), DecisionReason::NeedsConsent);
    assert_eq!(count(&path, "SELECT count(*) FROM ledger_set_aside"), 2);
    kit.close_store().unwrap();

    // Sealed afresh: the new ledger verifies at the next open, and the set-aside rows stay
    // until erased.
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(kit.verify_ledger(), Ok(1));
    kit.erase_data(PersonalData::ConsentLedger).unwrap();
    assert_eq!(count(&path, "SELECT count(*) FROM ledger_set_aside"), 0);

    // A ledger that verifies is opened as `open` would, setting nothing aside.
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.close_store().unwrap();
    let kit =
        PrivacyKit::open_setting_aside_tampered_ledger(config_with(&path, Some(keys.clone())))
            .unwrap();
    assert_eq!(kit.consent_state().unwrap().ledger_length, 1);
}

#[test]
fn truncation_past_the_seal_is_found_even_without_the_key() {
    let (_dir, path, keys) = withdrawn_with_keys();
    // Cut the withdrawal and recompute the head: the seal still names entry 3.
    rewrite_ledger(&path, |rows| {
        rows.pop();
    });
    refused_with_and_without_the_key(&path, &keys, 3);
}

#[test]
fn a_seal_copied_or_forged_over_another_head_is_refused() {
    let (_dir, path, keys) = withdrawn_with_keys();
    // Cut the withdrawal and rewrite the seal to name the new head, with a made-up MAC.
    rewrite_ledger(&path, |rows| {
        rows.pop();
    });
    let conn = rusqlite::Connection::open(&path).unwrap();
    let head: Vec<u8> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'ledger_head'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut seal = head.clone();
    seal.extend_from_slice(&[0u8; 32]);
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'ledger_head_seal'",
        [seal],
    )
    .unwrap();
    drop(conn);
    // Without the key the seal sits where it should; with it, its MAC is wrong.
    assert!(open(&path, None).is_ok_and(|kit| kit.close_store().is_ok()));
    assert!(matches!(
        open(&path, Some(&keys)),
        Err(PrivacyError::LedgerTampered { seq: 2, .. })
    ));
}

#[test]
fn a_sealed_ledger_takes_a_withdrawal_without_its_key_and_no_grant() {
    let (_dir, path, keys) = withdrawn_with_keys();
    let kit = open(&path, None).unwrap();
    assert_eq!(
        kit.grant_consent("analytics".into(), None).err(),
        Some(PrivacyError::VaultLocked),
        "an unsealed grant after the seal would be indistinguishable from a forged one"
    );
    assert_eq!(kit.consent_state().unwrap().ledger_length, 3);
    // Taking permission away never waits for the keystore.
    assert_eq!(
        kit.object_to("analytics".into(), Some("diagnostics".into()))
            .unwrap()
            .seq,
        4
    );
    assert_eq!(kit.restrict_processing().unwrap().seq, 5);
    kit.close_store().unwrap();
    // Reopened without the key and with it: the unsealed withdrawals verify, and with the
    // key the head is sealed again.
    let kit = open(&path, None).unwrap();
    assert_eq!(kit.consent_state().unwrap().ledger_length, 5);
    kit.close_store().unwrap();
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(kit.verify_ledger(), Ok(5));
    assert_eq!(kit.lift_restriction().unwrap().seq, 6);
    kit.close_store().unwrap();
    assert!(open(&path, Some(&keys)).is_ok());
}

#[test]
fn a_withdrawal_made_while_the_keystore_is_locked_is_recorded_and_sealed_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    let kit = open(&path, Some(&keys)).unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.close_store().unwrap();
    keys.locked.store(true, Ordering::SeqCst);
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(
        kit.withdraw_consent("analytics".into(), None).unwrap().seq,
        3
    );
    assert_eq!(reason(&kit), DecisionReason::ConsentWithdrawn);
    assert_eq!(
        kit.grant_consent("analytics".into(), None).err(),
        Some(PrivacyError::VaultLocked)
    );
    keys.locked.store(false, Ordering::SeqCst);
    assert_eq!(kit.grant_consent("analytics".into(), None).unwrap().seq, 4);
    kit.close_store().unwrap();
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(kit.verify_ledger(), Ok(4));
    // Consent is in force again: what the decision waits for now is the OS permission.
    assert!(matches!(
        reason(&kit),
        DecisionReason::OsPermissionNotRequested { .. }
    ));
}

#[test]
fn a_withdrawal_appended_by_a_writer_of_the_file_only_refuses_more() {
    // The one entry a writer of the file can add without the key: it takes permission away,
    // as deleting the file would. It is accepted, and sealed with the next keyed write.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    let kit = open(&path, Some(&keys)).unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.close_store().unwrap();
    rewrite_ledger(&path, |rows| {
        rows.push(Row {
            seq: 3,
            time_ms: rows[1].time_ms + 1,
            policy_version: 1,
            action: "withdraw".into(),
            purpose: Some("analytics".into()),
            category: None,
            source: "user".into(),
            detail: None,
        })
    });
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(reason(&kit), DecisionReason::ConsentWithdrawn);
    assert_eq!(kit.verify_ledger(), Ok(3));
}

#[test]
fn an_entry_appended_after_the_seal_by_a_writer_of_the_file_is_refused() {
    let (_dir, path, keys) = withdrawn_with_keys();
    // A grant after the withdrawal, chained and with the head moved: no edit to any sealed
    // entry, just one more.
    rewrite_ledger(&path, |rows| {
        rows.push(Row {
            seq: 4,
            time_ms: rows[2].time_ms + 1,
            policy_version: 1,
            action: "grant".into(),
            purpose: Some("analytics".into()),
            category: None,
            source: "user".into(),
            detail: None,
        })
    });
    refused_with_and_without_the_key(&path, &keys, 4);
}

#[test]
fn an_erased_ledger_stays_sealed() {
    let (_dir, path, keys) = withdrawn_with_keys();
    let kit = open(&path, Some(&keys)).unwrap();
    kit.erase_data(PersonalData::ConsentLedger).unwrap();
    kit.close_store().unwrap();
    // A forged entry in the emptied ledger is after the seal of the empty ledger.
    rewrite_ledger(&path, |rows| {
        rows.push(Row {
            seq: 1,
            time_ms: 0,
            policy_version: 1,
            action: "accept_policy".into(),
            purpose: None,
            category: None,
            source: "user".into(),
            detail: None,
        })
    });
    let opened = open(&path, None).map(|kit| kit.consent_state().unwrap().ledger_length);
    assert!(
        matches!(opened, Err(PrivacyError::LedgerTampered { seq: 1, .. })),
        "{opened:?}"
    );
}

#[test]
fn a_ledger_never_sealed_is_adopted_once_a_key_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    withdrawn(&path, None);
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM meta WHERE key IN ('ledger_head_seal', 'ledger_seal_key')"
        ),
        0
    );
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(reason(&kit), DecisionReason::ConsentWithdrawn);
    kit.close_store().unwrap();
    assert_eq!(
        count(
            &path,
            "SELECT count(*) FROM meta WHERE key IN ('ledger_head_seal', 'ledger_seal_key')"
        ),
        2
    );
    // From then on an edit is found.
    rewrite_ledger(&path, |rows| withdrawal_turned_into_grant(rows));
    assert!(matches!(
        open(&path, Some(&keys)),
        Err(PrivacyError::LedgerTampered { seq: 3, .. })
    ));
}

#[test]
fn a_lost_seal_key_refuses_the_ledger_until_it_is_set_aside() {
    let (_dir, path, keys) = withdrawn_with_keys();
    // A backup restored onto another device: the file came along, the keystore did not.
    keys.wipe();
    assert_eq!(
        open(&path, Some(&keys)).err(),
        Some(PrivacyError::LedgerSealLost)
    );
    // Opened without the key it loads (the chain verifies) until the key is given.
    let kit = open(&path, None).unwrap();
    assert_eq!(reason(&kit), DecisionReason::ConsentWithdrawn);
    assert_eq!(
        kit.set_key_provider(keys.clone()),
        Err(PrivacyError::LedgerSealLost)
    );
    assert_eq!(reason(&kit), DecisionReason::LedgerUnverified);
    assert!(kit.set_aside_unverified_ledger().unwrap() > 0);
    kit.accept_policy().unwrap();
    assert_eq!(reason(&kit), DecisionReason::NeedsConsent);
    kit.close_store().unwrap();
    // A new seal key was made: the next open verifies under it.
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(kit.verify_ledger(), Ok(1));
}

#[test]
fn a_locked_keystore_at_open_defers_the_seal_check() {
    let (_dir, path, keys) = withdrawn_with_keys();
    keys.locked.store(true, Ordering::SeqCst);
    let kit = open(&path, Some(&keys)).unwrap();
    assert_eq!(reason(&kit), DecisionReason::ConsentWithdrawn);
    // No grant is recorded unsealed; once the keystore opens, the next write checks the seal
    // and goes on.
    assert_eq!(
        kit.grant_consent("analytics".into(), None).err(),
        Some(PrivacyError::VaultLocked)
    );
    keys.locked.store(false, Ordering::SeqCst);
    assert_eq!(kit.grant_consent("analytics".into(), None).unwrap().seq, 4);
    assert_eq!(kit.verify_ledger(), Ok(4));
}

#[test]
fn deleting_the_seal_key_while_a_seal_exists_is_tampering() {
    let (_dir, path, keys) = withdrawn_with_keys();
    delete(&path, "DELETE FROM meta WHERE key = 'ledger_seal_key'");
    assert!(matches!(
        open(&path, None),
        Err(PrivacyError::LedgerTampered { .. })
    ));
    assert!(matches!(
        open(&path, Some(&keys)),
        Err(PrivacyError::LedgerTampered { .. })
    ));
}
