//! Retention of consent records: entries superseded before the policy's `consent_records`
//! period are dropped, entries still in force move into a sealed summary, and
//! `verify_ledger` checks the seal and then the chain from the summary's link.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    DecisionReason, DeferredPurge, PersonalData, Platform, PrivacyError, PrivacyKit,
    PrivacyKitConfig, PurgeDeferral, PurgeReport, UserFacts,
};
use serde_json::Value;

const DAY: i64 = 86_400_000;

fn compacted(report: &PurgeReport) -> u64 {
    report
        .purged
        .iter()
        .find(|p| p.data == "consent_records")
        .expect("consent_records is enforced, not app-managed")
        .records
}

fn seqs(kit: &PrivacyKit, after: u64, limit: u32) -> Vec<u64> {
    kit.ledger(after, limit)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect()
}

/// Every (category, purpose) decision, as a settings screen would show it.
fn decisions(kit: &PrivacyKit) -> Vec<String> {
    let pairs = [
        ("contacts", "analytics"),
        ("location", "analytics"),
        ("advertising_id", "advertising"),
        ("diagnostics", "analytics"),
        ("social_accounts", "service"),
    ];
    pairs
        .iter()
        .map(|(c, p)| format!("{c}/{p}: {:?}", kit.explain(c, p)))
        .collect()
}

/// Day 0: seq 1-7 (restrict, then lift: 5 is superseded by 6). Day 100: 8 withdraws 3.
/// Day 200: 9 grants again.
fn history(kit: &PrivacyKit, clock: &ManualClock) {
    kit.accept_policy().unwrap();
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-04-12".into()),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        privacykit::ConsentSource::User,
    )
    .unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit.grant_consent("advertising".into(), None).unwrap();
    kit.restrict_processing().unwrap();
    kit.lift_restriction().unwrap();
    kit.object_to("analytics".into(), Some("diagnostics".into()))
        .unwrap();
    clock.advance_days(100);
    kit.withdraw_consent("analytics".into(), None).unwrap();
    clock.advance_days(100);
    kit.grant_consent("analytics".into(), None).unwrap();
}

/// A file store that keeps consent records for a year, holding `history` as of day 200.
struct Store {
    _dir: tempfile::TempDir,
    path: PathBuf,
    keys: Arc<MemoryKeystore>,
    clock: Arc<ManualClock>,
    kit: Arc<PrivacyKit>,
}

impl Store {
    /// With `keys` given to the kit as its key provider when `with_keystore` is set.
    fn with_history(with_keystore: bool) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let keys = Arc::new(MemoryKeystore::default());
        let clock = ManualClock::at(MAY_1_NOON);
        let kit = open_at(&path, &policy_keeping_consent_records(), clock.clone());
        if with_keystore {
            kit.set_key_provider(keys.clone()).unwrap();
        }
        history(&kit, &clock);
        Store {
            _dir: dir,
            path,
            keys,
            clock,
            kit,
        }
    }

    /// The same file opened again, without a key provider, if its ledger verifies.
    fn try_reopen(&self) -> Result<Arc<PrivacyKit>, PrivacyError> {
        let config = PrivacyKitConfig {
            policy_json: policy_keeping_consent_records(),
            ..config(Some(&self.path), Platform::Android)
        };
        PrivacyKit::open_with_clock(config, self.clock.clone())
    }

    /// The same file opened again, without a key provider.
    fn reopen(&self) -> Arc<PrivacyKit> {
        open_at(
            &self.path,
            &policy_keeping_consent_records(),
            self.clock.clone(),
        )
    }
}

/// Runs raw SQL on the file, as an attacker or a bug would, past the append-only guards.
fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS consent_ledger_no_update;
         DROP TRIGGER IF EXISTS consent_ledger_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn expired_records_compact_into_a_sealed_summary_that_verifies() {
    let store = Store::with_history(true);
    let (kit, clock, keys) = (&store.kit, &store.clock, &store.keys);
    let state = kit.consent_state().unwrap();
    let before = decisions(kit);

    // Nothing is a year old yet.
    assert_eq!(compacted(&kit.purge_expired().unwrap()), 0);
    assert!(kit.ledger_summary().unwrap().is_none());

    // Day 400: the cutoff is day 35, so 1-7 expire; 8 and 9 are younger.
    clock.advance_days(200);
    let report = kit.purge_expired().unwrap();
    assert_eq!(
        compacted(&report),
        1,
        "only the superseded restriction goes"
    );
    assert!(report.deferred.is_empty());
    let summary = kit.ledger_summary().unwrap().unwrap();
    assert_eq!(summary.through_seq, 7);
    assert_eq!(summary.through_time_ms, MAY_1_NOON);
    assert_eq!(summary.compacted_at_ms, MAY_1_NOON + 400 * DAY);
    let standing: Vec<u64> = summary.standing.iter().map(|e| e.seq).collect();
    assert_eq!(standing, [1, 2, 3, 4, 6, 7]);

    assert_eq!(kit.verify_ledger(), Ok(9));
    assert_eq!(kit.consent_state().unwrap(), state);
    assert_eq!(decisions(kit), before);
    assert_eq!(seqs(kit, 0, 100), [1, 2, 3, 4, 6, 7, 8, 9]);
    assert_eq!(seqs(kit, 3, 2), [4, 6]);
    assert_eq!(seqs(kit, 6, 3), [7, 8, 9]);
    assert_eq!(compacted(&kit.purge_expired().unwrap()), 0, "idempotent");
    kit.close_store().unwrap();

    // Reopened without the keystore: the state comes back, only the seal check waits.
    let kit = &store.reopen();
    assert_eq!(kit.consent_state().unwrap(), state);
    assert_eq!(decisions(kit), before);
    assert_eq!(kit.verify_ledger(), Err(PrivacyError::VaultLocked));
    kit.set_key_provider(keys.clone()).unwrap();
    assert_eq!(kit.verify_ledger(), Ok(9));

    // The chain goes on from the summary's link.
    kit.grant_consent("analytics".into(), Some("location".into()))
        .unwrap();
    assert_eq!(kit.verify_ledger(), Ok(10));

    // Day 700: 8 and 9 expire too. 9 supersedes both 3 and 8.
    clock.advance_days(300);
    let state = kit.consent_state().unwrap();
    assert_eq!(compacted(&kit.purge_expired().unwrap()), 2);
    let standing: Vec<u64> = kit
        .ledger_summary()
        .unwrap()
        .unwrap()
        .standing
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(standing, [1, 2, 4, 6, 7, 9]);
    assert_eq!(kit.verify_ledger(), Ok(10));
    assert_eq!(kit.consent_state().unwrap(), state);
    assert_eq!(
        kit.user_facts().unwrap().unwrap().jurisdiction.as_deref(),
        Some("DE")
    );

    // The export keeps a receipt for every entry still in force and says where it was cut.
    let export: Value = serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    json_schema::validate_export(&export);
    let receipts: Vec<u64> = export["consent_receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["receipt_id"].as_u64().unwrap())
        .collect();
    assert_eq!(receipts, [1, 2, 4, 6, 7, 9, 10]);
    assert_eq!(export["consent_compaction"]["through_receipt_id"], 9);
    let ids_in_force: Vec<u64> = export["processing"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["receipt_id"].as_u64().unwrap())
        .collect();
    assert!(ids_in_force.iter().all(|id| receipts.contains(id)));
}

#[test]
fn without_a_key_provider_compaction_waits_and_deletes_nothing() {
    let store = Store::with_history(false);
    let (kit, keys) = (&store.kit, &store.keys);
    store.clock.advance_days(200);

    let report = kit.purge_expired().unwrap();
    assert_eq!(
        report.deferred,
        [DeferredPurge {
            data: "consent_records".into(),
            cutoff_ms: MAY_1_NOON + 35 * DAY,
            reason: PurgeDeferral::NoKeyProvider,
        }]
    );
    assert!(report.purged.iter().all(|p| p.data != "consent_records"));
    assert!(kit.ledger_summary().unwrap().is_none());
    assert_eq!(seqs(kit, 0, 100), (1..=9).collect::<Vec<_>>());

    // A locked keystore is the same: retry later.
    keys.locked.store(true, std::sync::atomic::Ordering::SeqCst);
    kit.set_key_provider(keys.clone()).unwrap();
    assert_eq!(
        kit.purge_expired().unwrap().deferred[0].reason,
        PurgeDeferral::KeystoreUnavailable
    );
    keys.locked
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(compacted(&kit.purge_expired().unwrap()), 1);
    assert_eq!(kit.verify_ledger(), Ok(9));
}

#[test]
fn a_tampered_summary_or_chain_is_found_and_never_resealed() {
    let store = Store::with_history(true);
    let (path, clock) = (&store.path, &store.clock);
    clock.advance_days(200);
    assert_eq!(compacted(&store.kit.purge_expired().unwrap()), 1);
    store.kit.close_store().unwrap();
    let pristine = std::fs::read(path).unwrap();

    let cases = [
        (
            "a standing grant turned into a denial",
            "UPDATE ledger_summary SET state = replace(state, '\"grant\"', '\"deny\"')",
            7,
        ),
        (
            // Found at open, without the key: the next row no longer links to the summary.
            "the summary's link",
            "UPDATE ledger_summary SET through_hash = zeroblob(32)",
            8,
        ),
        (
            "the summary's time",
            "UPDATE ledger_summary SET through_time_ms = through_time_ms + 1",
            7,
        ),
        ("the summary deleted", "DELETE FROM ledger_summary", 1),
        (
            "a row after the summary",
            "UPDATE consent_ledger SET action = 'deny' WHERE seq = 9",
            9,
        ),
    ];
    for (what, sql, seq) in cases {
        std::fs::write(path, &pristine).unwrap();
        tamper(path, sql);
        // Opened without the key, the chain is checked; an edit only the summary's seal can
        // see is found when the key is given.
        let kit = match store.try_reopen() {
            Ok(kit) => {
                let given = kit.set_key_provider(store.keys.clone());
                assert!(
                    matches!(given, Err(PrivacyError::LedgerTampered { seq: s, .. }) if s == seq),
                    "{what}: {given:?}"
                );
                kit
            }
            // Refused at open, naming the entry: nothing was loaded, nothing can be sealed.
            Err(PrivacyError::LedgerTampered { seq: s, .. }) if s == seq => continue,
            Err(other) => panic!("{what}: {other:?}"),
        };
        assert!(
            matches!(kit.verify_ledger(), Err(PrivacyError::LedgerTampered { seq: s, .. }) if s == seq),
            "{what}: {:?}",
            kit.verify_ledger()
        );
        assert_eq!(
            kit.explain("contacts", "analytics").reason,
            DecisionReason::LedgerUnverified,
            "{what}"
        );
        // A later compaction refuses to seal over it and deletes nothing.
        let ledger_before = kit.ledger(0, 100).unwrap();
        clock.advance_days(300);
        let report = kit.purge_expired().unwrap();
        clock.advance_days(-300);
        assert_eq!(
            report.deferred[0].reason,
            PurgeDeferral::LedgerDoesNotVerify,
            "{what}"
        );
        assert_eq!(kit.ledger(0, 100).unwrap(), ledger_before, "{what}");
        kit.close_store().unwrap();
    }
}

#[test]
fn a_lost_seal_key_is_reported_as_lost_not_as_tampering() {
    let store = Store::with_history(true);
    let (kit, clock) = (&store.kit, &store.clock);
    clock.advance_days(200);
    kit.purge_expired().unwrap();
    let state = kit.consent_state().unwrap();

    store.keys.wipe();
    assert_eq!(kit.verify_ledger(), Err(PrivacyError::LedgerSealLost));
    assert_eq!(kit.consent_state().unwrap(), state);
    clock.advance_days(300);
    assert_eq!(
        kit.purge_expired().unwrap().deferred[0].reason,
        PurgeDeferral::SealKeyLost
    );
    assert_eq!(seqs(kit, 7, 100), [8, 9], "nothing more compacted");
}

#[test]
fn erasing_the_ledger_erases_its_summary() {
    let store = Store::with_history(true);
    let kit = &store.kit;
    store.clock.advance_days(200);
    kit.purge_expired().unwrap();

    let receipt = kit.erase_data(PersonalData::ConsentLedger).unwrap();
    assert_eq!(receipt.erased[0].records, 2 + 1, "two rows and the summary");
    assert!(kit.ledger_summary().unwrap().is_none());
    assert_eq!(kit.verify_ledger(), Ok(0));
    kit.grant_consent("analytics".into(), None).unwrap();
    assert_eq!(kit.verify_ledger(), Ok(1));
}
