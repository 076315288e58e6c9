//! Readers, writers and listeners that call back into PrivacyKit, all at once, for a bounded
//! time, with a watchdog that fails the test if the work stops moving (a deadlock or a
//! stall). It asserts counts, never timings: every change is heard exactly once and in ledger
//! order, every call succeeds, and the ledger verifies afterwards.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    KeyProvider, ListenerError, OsPermission, PermissionStatus, Platform, PrivacyChange,
    PrivacyKit, PrivacyKitConfig, PrivacyListener,
};

const RUN_FOR: Duration = Duration::from_secs(3);
/// No call may take this long, whatever the load: past it, the work is stuck.
const STALL: Duration = Duration::from_secs(20);
const WRITERS: u64 = 4;
const READERS: u64 = 3;

/// Hears every change, checks ledger order, and calls back into PrivacyKit: a read on every
/// change and, now and then, a write of its own.
struct Reentrant {
    kit: Mutex<Option<Arc<PrivacyKit>>>,
    seqs: Mutex<Vec<u64>>,
    other_changes: AtomicU64,
    writes: AtomicU64,
    progress: Arc<AtomicU64>,
}

impl PrivacyListener for Reentrant {
    fn on_change(&self, change: PrivacyChange) -> Result<(), ListenerError> {
        self.progress.fetch_add(1, Ordering::Relaxed);
        let kit = self.kit.lock().unwrap().clone();
        match &change {
            PrivacyChange::Consent { entry } => self.seqs.lock().unwrap().push(entry.seq),
            _ => {
                self.other_changes.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(kit) = kit {
            kit.consent_state().map_err(|_| ListenerError::Failed)?;
            kit.check("diagnostics", "analytics");
            if let PrivacyChange::Consent { entry } = &change {
                if entry.seq.is_multiple_of(97) && self.writes.load(Ordering::Relaxed) < 50 {
                    self.writes.fetch_add(1, Ordering::Relaxed);
                    kit.grant_consent("analytics".into(), Some("location".into()))
                        .map_err(|_| ListenerError::Failed)?;
                }
            }
        }
        Ok(())
    }
}

#[test]
fn readers_writers_and_reentrant_listeners_make_progress_and_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let keys = Arc::new(MemoryKeystore::default());
    let with_keys = PrivacyKitConfig {
        key_provider: Some(keys.clone() as Arc<dyn KeyProvider>),
        ..config(Some(&path), Platform::Android)
    };
    let kit = PrivacyKit::open(with_keys.clone()).unwrap();
    kit.accept_policy().unwrap();
    let progress = Arc::new(AtomicU64::new(0));
    let listener = Arc::new(Reentrant {
        kit: Mutex::new(Some(kit.clone())),
        seqs: Mutex::new(Vec::new()),
        other_changes: AtomicU64::new(0),
        writes: AtomicU64::new(0),
        progress: progress.clone(),
    });
    kit.add_listener(listener.clone()).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let (done, finished) = mpsc::channel::<(&'static str, u64)>();
    let mut threads = Vec::new();
    for w in 0..WRITERS {
        let (kit, stop, done, progress) =
            (kit.clone(), stop.clone(), done.clone(), progress.clone());
        threads.push(thread::spawn(move || {
            let mut writes = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let category = ["contacts", "location"][(writes % 2) as usize];
                if (writes + w).is_multiple_of(3) {
                    kit.withdraw_consent("analytics".into(), Some(category.into()))
                        .unwrap();
                } else {
                    kit.grant_consent("analytics".into(), Some(category.into()))
                        .unwrap();
                }
                if writes.is_multiple_of(10) {
                    let status = if writes.is_multiple_of(20) {
                        PermissionStatus::Granted
                    } else {
                        PermissionStatus::Denied
                    };
                    kit.report_permission(OsPermission::Contacts, status, None, Some(true))
                        .unwrap();
                }
                writes += 1;
                progress.fetch_add(1, Ordering::Relaxed);
            }
            done.send(("writer", writes)).unwrap();
        }));
    }
    for r in 0..READERS {
        let (kit, stop, done, progress) =
            (kit.clone(), stop.clone(), done.clone(), progress.clone());
        threads.push(thread::spawn(move || {
            let mut reads = 0u64;
            let prepared = kit.data_use("contacts".into(), "analytics".into());
            while !stop.load(Ordering::Relaxed) {
                kit.check("contacts", "analytics");
                prepared.is_allowed();
                if reads % 50 == r {
                    kit.consent_state().unwrap();
                    kit.ledger(reads, 20).unwrap();
                    kit.permission_state(OsPermission::Contacts).unwrap();
                }
                reads += 1;
                progress.fetch_add(1, Ordering::Relaxed);
            }
            done.send(("reader", reads)).unwrap();
        }));
    }
    drop(done);

    // The watchdog: the run ends on time, and every thread must report within STALL of the
    // last sign of progress.
    let started = Instant::now();
    let mut last = (progress.load(Ordering::Relaxed), Instant::now());
    while started.elapsed() < RUN_FOR {
        thread::sleep(Duration::from_millis(100));
        let now = progress.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        }
        assert!(
            last.1.elapsed() < STALL,
            "no progress for {STALL:?}: a deadlock or a stall"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let mut totals = (0u64, 0u64);
    for _ in 0..WRITERS + READERS {
        let (kind, count) = finished
            .recv_timeout(STALL)
            .expect("a thread did not stop: a deadlock or a stall");
        match kind {
            "writer" => totals.0 += count,
            _ => totals.1 += count,
        }
    }
    for thread in threads {
        thread.join().unwrap();
    }
    listener.kit.lock().unwrap().take(); // break the cycle kit -> listener -> kit

    let length = kit.consent_state().unwrap().ledger_length;
    let seqs = listener.seqs.lock().unwrap().clone();
    eprintln!(
        "{} writes, {} reads, {} ledger entries, {} written by listeners",
        totals.0,
        totals.1,
        length,
        listener.writes.load(Ordering::Relaxed)
    );
    assert!(totals.0 >= WRITERS && totals.1 >= READERS, "{totals:?}");
    // Every consent change heard once, in ledger order (entry 1 was heard before the
    // listener was added).
    let expected: Vec<u64> = (2..=length).collect();
    assert_eq!(seqs.len(), expected.len());
    assert!(seqs == expected, "changes heard out of ledger order");
    assert!(listener.other_changes.load(Ordering::Relaxed) > 0);
    assert_eq!(kit.verify_ledger(), Ok(length));
    kit.close_store().unwrap();
    let kit = PrivacyKit::open(with_keys).unwrap();
    assert_eq!(kit.consent_state().unwrap().ledger_length, length);
}
