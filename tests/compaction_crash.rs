//! Compacting the consent ledger survives a crash at any instant.
//!
//! Like crash_durability.rs this binary is both sides. The checker builds a ledger whose
//! older entries have expired and times, in a child process, giving it the key provider (which
//! verifies the ledger, makes the seal key and seals the head) and one uninterrupted compaction.
//! Then, each round on a fresh copy of the same file, it starts a child that does the same and
//! kills it at a different point of that time (and once lets the key provider abort right
//! after wrapping the new seal key). After every kill the file passes `integrity_check`, the
//! ledger verifies, the consent state is the one before, and the ledger is either untouched or
//! completely compacted; the next compaction then finishes the job.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::keys::{CrashPoint, FileKeystore};
use common::*;
use privacykit::{ConsentState, PrivacyKit};

const CHILD_ENV: &str = "PRIVACYKIT_COMPACTION_CRASH";
/// Entries on the first day (expired by day 400); 20 more on day 100 stay.
const OLD_ENTRIES: u64 = 2_000;
const KEPT_ENTRIES: u64 = 20;
const KILL_ROUNDS: u32 = 8;

fn keystore(dir: &Path, crash_at: Option<CrashPoint>) -> Arc<FileKeystore> {
    Arc::new(FileKeystore {
        dir: dir.to_path_buf(),
        crash_at,
    })
}

/// The store on day 400 of the test clock, with the keystore given.
fn open_late(db: &Path, keys: &Path, crash_at: Option<CrashPoint>) -> Arc<PrivacyKit> {
    let clock = ManualClock::at(MAY_1_NOON);
    clock.advance_days(400);
    let kit = open_at(db, &policy_keeping_consent_records(), clock);
    kit.set_key_provider(keystore(keys, crash_at)).unwrap();
    kit
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pk.db");
    let keys = dir.path().join("keystore");
    std::fs::create_dir(&keys).unwrap();
    let template = setup(&db);
    let expected = {
        let kit = open_late(&db, &keys, None);
        let state = kit.consent_state().unwrap();
        kit.close_store().unwrap();
        state
    };

    // One compaction run to the end, timed, gives the window to kill in.
    restore(&db, &template);
    let whole = run_child(&db, &keys, "none", None);
    check(&db, &keys, &expected, "uninterrupted", true);

    restore(&db, &template);
    run_child(&db, &keys, "AfterWrap", None);
    check(
        &db,
        &keys,
        &expected,
        "aborted after wrapping the seal key",
        false,
    );

    for round in 0..KILL_ROUNDS {
        restore(&db, &template);
        let at = whole * round / (KILL_ROUNDS - 1);
        run_child(&db, &keys, "none", Some(at));
        check(&db, &keys, &expected, &format!("killed {at:?} in"), false);
    }
    println!(
        "compaction_crash: {} crashes in a {whole:?} compaction of {OLD_ENTRIES} entries, all recovered",
        KILL_ROUNDS + 1
    );
    println!("1 passed, 0 failed");
}

/// Writes the ledger and returns the file's bytes (WAL checkpointed by close).
fn setup(db: &Path) -> Vec<u8> {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_at(db, &policy_keeping_consent_records(), clock.clone());
    kit.accept_policy().unwrap();
    for i in 1..OLD_ENTRIES {
        let category = Some(["contacts", "location"][(i % 2) as usize].to_owned());
        if i % 3 == 0 {
            kit.withdraw_consent("analytics".into(), category).unwrap();
        } else {
            kit.grant_consent("analytics".into(), category).unwrap();
        }
    }
    clock.advance_days(100);
    for _ in 0..KEPT_ENTRIES {
        kit.grant_consent("analytics".into(), None).unwrap();
    }
    kit.close_store().unwrap();
    assert!(!wal(db).exists(), "close leaves no WAL to copy");
    std::fs::read(db).unwrap()
}

fn wal(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

fn restore(db: &Path, template: &[u8]) {
    std::fs::remove_file(wal(db)).ok();
    std::fs::remove_file(format!("{}-shm", db.display())).ok();
    std::fs::write(db, template).unwrap();
}

/// Runs a compacting child; kills it `kill_after` its start signal, or waits for it. Returns
/// how long the compaction took when it was allowed to finish.
fn run_child(db: &Path, keys: &Path, crash_at: &str, kill_after: Option<Duration>) -> Duration {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(
            CHILD_ENV,
            format!("{crash_at} {} {}", db.display(), keys.display()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "compacting");
    let started = Instant::now();
    if let Some(after) = kill_after {
        std::thread::sleep(after.saturating_sub(started.elapsed()));
        child.kill().ok();
        child.wait().unwrap();
        return Duration::ZERO;
    }
    let status = child.wait().unwrap();
    if crash_at == "AfterWrap" {
        assert!(!status.success(), "the key provider was meant to abort");
    } else {
        assert!(status.success());
    }
    started.elapsed()
}

/// The child: opens on day 400, says so, compacts.
fn child(spec: &str) {
    let parts: Vec<&str> = spec.splitn(3, ' ').collect();
    let crash_at = (parts[0] == "AfterWrap").then_some(CrashPoint::AfterWrap);
    let clock = ManualClock::at(MAY_1_NOON);
    clock.advance_days(400);
    let kit = open_at(
        Path::new(parts[1]),
        &policy_keeping_consent_records(),
        clock,
    );
    println!("compacting");
    // Giving the provider makes the seal key (the ledger's head is sealed with it), then the
    // purge compacts under it: AfterWrap aborts inside the first wrap.
    kit.set_key_provider(keystore(Path::new(parts[2]), crash_at))
        .unwrap();
    let report = kit.purge_expired().unwrap();
    assert!(report.deferred.is_empty(), "{:?}", report.deferred);
    kit.close_store().unwrap();
}

fn check(db: &Path, keys: &Path, expected: &ConsentState, what: &str, must_be_done: bool) {
    let integrity: String = rusqlite::Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{what}");

    let kit = open_late(db, keys, None);
    let length = OLD_ENTRIES + KEPT_ENTRIES;
    assert_eq!(kit.verify_ledger(), Ok(length), "{what}");
    assert_eq!(&kit.consent_state().unwrap(), expected, "{what}");
    let done = match kit.ledger_summary().unwrap() {
        None => {
            assert_eq!(
                kit.ledger(0, u32::MAX).unwrap().len() as u64,
                length,
                "{what}"
            );
            false
        }
        Some(summary) => {
            assert_eq!(summary.through_seq, OLD_ENTRIES, "{what}: all or nothing");
            true
        }
    };
    assert!(done || !must_be_done, "{what}: not compacted");

    // Whatever the crash left, the next compaction completes it.
    kit.purge_expired().unwrap();
    assert_eq!(
        kit.ledger_summary().unwrap().map(|s| s.through_seq),
        Some(OLD_ENTRIES),
        "{what}"
    );
    assert_eq!(kit.verify_ledger(), Ok(length), "{what}");
    assert_eq!(&kit.consent_state().unwrap(), expected, "{what}");
    kit.close_store().unwrap();
    eprintln!("{what}: recovered (compacted before the crash: {done})");
}
