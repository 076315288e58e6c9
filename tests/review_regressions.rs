//! One regression test per finding of the adversarial review of the ledger, the policy parser,
//! the vault and the listeners. Each failed before its fix.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    AccountLink, DecisionReason, KeyProvider, KeyProviderError, ListenerError, Platform,
    PrivacyChange, PrivacyError, PrivacyKit, PrivacyKitConfig, PrivacyListener, Secret,
};

/// Runs raw SQL on the file the way an attacker or a bug would, past the append-only guards.
fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS consent_ledger_no_update;
         DROP TRIGGER IF EXISTS consent_ledger_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn open_file(path: &Path) -> Result<Arc<PrivacyKit>, PrivacyError> {
    PrivacyKit::open(config(Some(path), Platform::Android))
}

/// accept, grant analytics, withdraw analytics: the decision is `ConsentWithdrawn`.
fn withdrawn_store(path: &Path) {
    let kit = open_file(path).unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.withdraw_consent("analytics".into(), None).unwrap();
    assert_eq!(
        kit.explain("contacts", "analytics").reason,
        DecisionReason::ConsentWithdrawn
    );
    kit.close_store().unwrap();
}

// 1. A tampered ledger was applied at open.
#[test]
fn a_tampered_ledger_is_refused_at_open() {
    let cases = [
        (
            "the withdrawal turned into a grant",
            "UPDATE consent_ledger SET action = 'grant' WHERE seq = 3",
            3,
        ),
        (
            "the withdrawal deleted",
            "DELETE FROM consent_ledger WHERE seq = 3",
            3,
        ),
    ];
    for (what, sql, seq) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        withdrawn_store(&path);
        tamper(&path, sql);
        match open_file(&path) {
            Err(PrivacyError::LedgerTampered { seq: s, .. }) => assert_eq!(s, seq, "{what}"),
            Err(other) => panic!("{what}: {other:?}"),
            Ok(kit) => panic!(
                "{what}: opened, and the decision is {:?}",
                kit.explain("contacts", "analytics").reason
            ),
        }
    }
}

// 2. Truncation with a rewritten head went unseen.
#[test]
fn a_truncated_ledger_with_a_rewritten_head_is_found_once_a_key_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    {
        let kit = open_file(&path).unwrap();
        let _ = kit.set_key_provider(keys.clone());
        kit.accept_policy().unwrap();
        kit.grant_consent("analytics".into(), None).unwrap();
        kit.close_store().unwrap();
    }
    // Delete the newest row and point the head at the one before: two statements, no hashing.
    let first: Vec<u8> = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT hash FROM consent_ledger WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let head = format!("{:016x}{}", 1, hex(&first));
    tamper(
        &path,
        &format!(
            "DELETE FROM consent_ledger WHERE seq = 2;
             UPDATE meta SET value = x'{head}' WHERE key = 'ledger_head';"
        ),
    );
    // The seal names entry 2: the chain no longer reaches it, which open sees even without
    // the key.
    match open_file(&path) {
        Err(PrivacyError::LedgerTampered { seq: 2, .. }) => {}
        Err(other) => panic!("{other:?}"),
        Ok(kit) => {
            let _ = kit.set_key_provider(keys.clone());
            assert!(
                matches!(
                    kit.verify_ledger(),
                    Err(PrivacyError::LedgerTampered { seq: 2, .. })
                ),
                "{:?}",
                kit.verify_ledger()
            );
            assert!(!kit.explain("contacts", "analytics").allowed);
        }
    }
}

fn policy_error(json: &str) -> (String, String) {
    let config = PrivacyKitConfig {
        policy_json: json.to_owned(),
        ..config(None, Platform::Android)
    };
    match PrivacyKit::open(config) {
        Err(PrivacyError::InvalidPolicy { field, reason }) => (field, reason),
        Err(other) => panic!("expected InvalidPolicy, got {other:?}"),
        Ok(kit) => panic!("accepted: {:?}", kit.policy().unwrap().version),
    }
}

// 3. Duplicate keys were read as the last one.
#[test]
fn duplicate_keys_in_the_policy_are_refused_with_their_path() {
    let (field, reason) =
        policy_error(&POLICY.replace(r#""version": 1,"#, r#""version": 1, "version": 2,"#));
    assert_eq!(field, "version", "{reason}");
    assert!(reason.contains("twice"), "{reason}");

    let (field, reason) = policy_error(&POLICY.replace(
        r#""legal_basis": "consent" },"#,
        r#""legal_basis": "consent", "legal_basis": "contract" },"#,
    ));
    assert_eq!(field, "processing[1].legal_basis", "{reason}");
}

// 4. utc_offset_minutes = i32::MIN overflowed.
#[test]
fn the_most_negative_utc_offset_is_an_invalid_argument() {
    let config = PrivacyKitConfig {
        utc_offset_minutes: i32::MIN,
        ..config(None, Platform::Android)
    };
    assert!(matches!(
        PrivacyKit::open(config),
        Err(PrivacyError::InvalidArgument { .. })
    ));
    let kit = in_memory();
    assert!(matches!(
        kit.set_utc_offset_minutes(i32::MIN),
        Err(PrivacyError::InvalidArgument { .. })
    ));
}

// 5. after_seq = u64::MAX returned every entry.
#[test]
fn paging_after_the_largest_seq_answers_nothing() {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    assert!(kit.ledger(u64::MAX, 10).unwrap().is_empty());
    assert!(kit.ledger(i64::MAX as u64 + 1, 10).unwrap().is_empty());
    assert_eq!(kit.ledger(1, 10).unwrap().len(), 1);
}

// 6. Reference checks scanned lists: 0.7 s for a document under the size cap. How long it
// takes now is measured by `benches/core.rs` (`policy`), not here; this holds what it must
// still do: accept the document whole, every reference resolved.
#[test]
fn a_wide_policy_under_the_size_cap_is_accepted_whole() {
    let (json, references) = common::wide_policy::wide_policy();
    assert!(json.len() < 1 << 20, "{} bytes", json.len());
    assert_eq!(references, 40_000);
    let config = PrivacyKitConfig {
        policy_json: json,
        ..config(None, Platform::Android)
    };
    let kit = PrivacyKit::open(config).unwrap();
    let policy = kit.policy().unwrap();
    assert_eq!(policy.recipients.len(), 12_000);
    assert_eq!(policy.processing.len(), 1_000);
}

struct GarbageWrap;

impl KeyProvider for GarbageWrap {
    fn wrap(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        Ok(Vec::new())
    }
    fn unwrap(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        Err(KeyProviderError::KeyLost)
    }
    fn delete(&self, _: String) -> Result<(), KeyProviderError> {
        Ok(())
    }
}

fn account() -> AccountLink {
    AccountLink {
        provider: "vk".into(),
        account_id: "42".into(),
        access_token: Secret::new("token".into()),
        refresh_token: None,
        expires_at_ms: None,
        scopes: Vec::new(),
    }
}

fn count(path: &Path, table: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

// 7. A deleted key row answered AccountNotLinked and orphaned the accounts; a garbage wrap
//    was stored.
#[test]
fn a_deleted_vault_key_is_lost_and_a_garbage_wrap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    {
        let kit = open_file(&path).unwrap();
        kit.accept_policy().unwrap();
        kit.grant_consent("service".into(), Some("social_accounts".into()))
            .unwrap();
        kit.clone()
            .vault(keys.clone())
            .link_account(account())
            .unwrap();
        kit.close_store().unwrap();
    }
    tamper(&path, "DELETE FROM vault_key");
    let kit = open_file(&path).unwrap();
    let vault = kit.clone().vault(keys.clone());
    assert_eq!(
        vault.tokens("vk".into(), "42".into()).map(|_| ()),
        Err(PrivacyError::VaultKeyLost)
    );
    assert_eq!(
        count(&path, "vault_key"),
        0,
        "no fresh key over the orphans"
    );
    kit.close_store().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let kit = open_file(&path).unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    let vault = kit.clone().vault(Arc::new(GarbageWrap));
    assert!(matches!(
        vault.link_account(account()),
        Err(PrivacyError::KeyProviderFailed { .. })
    ));
    assert_eq!(count(&path, "vault_key"), 0);
    assert_eq!(count(&path, "vault_account"), 0);
}

struct SeqRecorder(Mutex<Vec<u64>>);

impl PrivacyListener for SeqRecorder {
    fn on_change(&self, change: PrivacyChange) -> Result<(), ListenerError> {
        if let PrivacyChange::Consent { entry } = change {
            self.0.lock().unwrap().push(entry.seq);
        }
        Ok(())
    }
}

// 8. Listeners heard changes out of ledger order when two threads wrote.
#[test]
fn listeners_hear_changes_in_ledger_order_whatever_the_writers() {
    for round in 0..3 {
        let kit = in_memory();
        let recorder = Arc::new(SeqRecorder(Mutex::new(Vec::new())));
        kit.add_listener(recorder.clone()).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let kit = kit.clone();
                std::thread::spawn(move || {
                    for i in 0..60 {
                        if (i + t) % 2 == 0 {
                            kit.grant_consent("analytics".into(), None).unwrap();
                        } else {
                            kit.withdraw_consent("analytics".into(), None).unwrap();
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let heard = recorder.0.lock().unwrap().clone();
        assert_eq!(heard.len(), 480, "round {round}");
        let expected: Vec<u64> = (1..=480).collect();
        let inversions = heard.windows(2).filter(|w| w[0] > w[1]).count();
        assert_eq!(heard, expected, "round {round}: {inversions} inversions");
        assert_eq!(heard.iter().collect::<HashSet<_>>().len(), 480);
    }
}

// 9. Control characters, a year 0000 and version u32::MAX were accepted.
#[test]
fn invisible_characters_and_absurd_dates_and_versions_are_refused() {
    let cases = [
        (
            "Example Messenger Ltd",
            "Example\\u0000Messenger Ltd",
            "controller.name",
        ),
        (
            "Whether others see that you read their messages",
            "Whether others see that you read \\u202etheir messages",
            "categories[4].description",
        ),
        (
            "Example Messenger Ltd",
            "Example\\u200bMessenger Ltd",
            "controller.name",
        ),
        (
            "Example Messenger Ltd",
            "Example\\u0085Messenger Ltd",
            "controller.name",
        ),
        ("\"2024-05-01\"", "\"0000-05-01\"", "effective_date"),
        ("\"version\": 1", "\"version\": 4294967295", "version"),
    ];
    for (from, to, expected) in cases {
        let (field, reason) = policy_error(&POLICY.replace(from, to));
        assert_eq!(field, expected, "{to:?}: {reason}");
    }
}
