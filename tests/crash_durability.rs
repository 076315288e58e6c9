//! A crash at any instant loses no acknowledged change.
//!
//! This binary is both sides of the test (so it runs without the test harness): started
//! normally it is the checker, which starts itself again as a writer, reads the writer's
//! acknowledgements, kills it with SIGKILL in the middle of its stream of writes, and then
//! checks the file: `PRAGMA integrity_check` is ok, the ledger verifies, and every change the
//! writer acknowledged is there. Several rounds run on the same file, so each also proves
//! recovery from the previous kill.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::*;
use privacykit::{ConsentAction, OsPermission, PermissionStatus, Platform, PrivacyKit};

const WRITER_ENV: &str = "PRIVACYKIT_CRASH_WRITER_DB";
/// How many acknowledgements the checker waits for before each kill.
const KILL_AFTER: [usize; 6] = [1, 17, 64, 5, 150, 33];

fn main() {
    if let Ok(path) = std::env::var(WRITER_ENV) {
        writer(Path::new(&path));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let mut acknowledged: Vec<(u64, ConsentAction)> = Vec::new();
    let mut permission_requests = 0usize;
    for (round, kill_after) in KILL_AFTER.into_iter().enumerate() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(WRITER_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the writer");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        while seen < kill_after {
            let line = lines.next().expect("writer ended early").unwrap();
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("consent"), Some(seq), Some(action)) => {
                    acknowledged.push((seq.parse().unwrap(), action_named(action)));
                }
                (Some("permission"), Some(count), None) => {
                    permission_requests = count.parse().unwrap();
                }
                _ => panic!("unexpected writer output {line:?}"),
            }
            seen += 1;
        }
        // Let the writer get somewhere inside its next transactions, a different distance
        // each round, then pull the plug.
        std::thread::sleep(Duration::from_micros(jitter(round)));
        child.kill().expect("SIGKILL the writer");
        child.wait().unwrap();
        check(&path, &acknowledged, permission_requests);
        eprintln!(
            "round {}: killed after {kill_after} acknowledgements; {} acknowledged changes all present",
            round + 1,
            acknowledged.len()
        );
    }
    println!(
        "crash_durability: {} rounds, {} acknowledged changes verified",
        KILL_AFTER.len(),
        acknowledged.len()
    );
    println!("1 passed, 0 failed");
}

/// Writes consent changes and permission requests until killed; prints each one only after
/// the call that made it returned.
fn writer(path: &Path) {
    let kit = PrivacyKit::open(config(Some(path), Platform::Android)).expect("writer opens");
    let mut out = std::io::stdout().lock();
    let mut requests = kit
        .permission_history(OsPermission::Contacts)
        .unwrap()
        .len();
    for i in 0..1_000_000u64 {
        if i % 5 == 4 {
            kit.record_permission_request(
                OsPermission::Contacts,
                PermissionStatus::Denied,
                None,
                None,
            )
            .unwrap();
            requests += 1;
            writeln!(out, "permission {requests}").unwrap();
        } else {
            let entry = if i % 2 == 0 {
                kit.grant_consent("analytics".into(), None).unwrap()
            } else {
                kit.withdraw_consent("analytics".into(), Some("contacts".into()))
                    .unwrap()
            };
            writeln!(out, "consent {} {}", entry.seq, action_name(entry.action)).unwrap();
        }
        out.flush().unwrap();
    }
}

fn check(path: &Path, acknowledged: &[(u64, ConsentAction)], permission_requests: usize) {
    {
        let conn = rusqlite::Connection::open(path).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
    let kit =
        PrivacyKit::open(config(Some(path), Platform::Android)).expect("reopens after a kill");
    let verified = kit
        .verify_ledger()
        .expect("the ledger verifies after a kill");
    let last = acknowledged.last().map_or(0, |(seq, _)| *seq);
    assert!(
        verified >= last,
        "acknowledged up to {last}, found {verified}"
    );
    let ledger = kit.ledger(0, u32::MAX).unwrap();
    for (seq, action) in acknowledged {
        let entry = &ledger[*seq as usize - 1];
        assert_eq!(
            (entry.seq, entry.action),
            (*seq, *action),
            "acknowledged change lost"
        );
    }
    let requests = kit
        .permission_history(OsPermission::Contacts)
        .unwrap()
        .len();
    assert!(
        requests >= permission_requests,
        "acknowledged permission request lost"
    );
    kit.close_store().unwrap();
}

fn action_name(action: ConsentAction) -> &'static str {
    match action {
        ConsentAction::Grant => "grant",
        ConsentAction::Withdraw => "withdraw",
        other => panic!("the writer does not make {other:?}"),
    }
}

fn action_named(name: &str) -> ConsentAction {
    match name {
        "grant" => ConsentAction::Grant,
        "withdraw" => ConsentAction::Withdraw,
        other => panic!("unknown action {other}"),
    }
}

/// 0 to ~3 ms, varying by round and run.
fn jitter(round: usize) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    (nanos
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(round as u64)
        >> 33)
        % 3_000
}
