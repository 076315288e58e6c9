//! What the guard hands to a layer that answers checks on its own side of the FFI (the Kotlin
//! fast guard): the decision snapshot, the decision epoch, and the uses that layer counted,
//! given back through `record_uses` or a `UseCountSource`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use privacykit::{
    ConsentSource, Decision, DecisionReason, OsPermission, PermissionStatus, PersonalData,
    Platform, PrivacyError, PrivacyKit, PrivacyKitConfig, UseCount, UseCountSource, UserFacts,
};

const DAY_MS: i64 = 86_400_000;
const CLOSED: u64 = u64::MAX;

/// Reads the decision epoch as the Kotlin layer does: through its address.
fn epoch(address: u64) -> u64 {
    // SAFETY: the address names a leaked, never freed `AtomicU64` (see
    // `PrivacyKit::decision_epoch_address`), so it stays readable after the kit is gone.
    unsafe { &*(address as usize as *const AtomicU64) }.load(Ordering::SeqCst)
}

fn open_on(clock: Arc<ManualClock>, offset_minutes: i32) -> Arc<PrivacyKit> {
    let config = PrivacyKitConfig {
        utc_offset_minutes: offset_minutes,
        ..config(None, Platform::Android)
    };
    PrivacyKit::open_with_clock(config, clock).unwrap()
}

fn use_count(serial: u64, day: i64, category: &str, purpose: &str, count: u64) -> UseCount {
    UseCount {
        serial,
        day,
        category: category.into(),
        purpose: purpose.into(),
        count,
    }
}

/// Every stored count: (day, category, purpose, count).
fn report(kit: &PrivacyKit) -> Vec<(String, String, String, u64)> {
    kit.access_report("2000-01-01".into(), "2100-12-31".into())
        .unwrap()
        .into_iter()
        .map(|r| (r.day, r.category, r.purpose, r.count))
        .collect()
}

fn row(day: &str, category: &str, purpose: &str, count: u64) -> (String, String, String, u64) {
    (day.into(), category.into(), purpose.into(), count)
}

fn invalid_argument(result: Result<(), PrivacyError>) -> String {
    match result {
        Err(PrivacyError::InvalidArgument { field, reason }) => {
            assert_eq!(field, "uses");
            reason
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn the_snapshot_is_the_guards_table_in_policy_order() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock, 120);
    kit.accept_policy().unwrap();
    kit.grant_consent("analytics".into(), Some("location".into()))
        .unwrap();
    let snapshot = kit.decision_snapshot().unwrap();
    let info = kit.policy().unwrap();
    let categories: Vec<String> = info.categories.iter().map(|c| c.id.clone()).collect();
    let purposes: Vec<String> = info.purposes.iter().map(|p| p.id.clone()).collect();
    assert_eq!(snapshot.categories, categories);
    assert_eq!(snapshot.purposes, purposes);
    assert_eq!(
        snapshot.decisions.len(),
        snapshot.categories.len() * snapshot.purposes.len()
    );
    let mut declared = 0;
    for (c, category) in snapshot.categories.iter().enumerate() {
        for (p, purpose) in snapshot.purposes.iter().enumerate() {
            let decision = snapshot.decisions[c * snapshot.purposes.len() + p];
            assert_eq!(
                decision,
                kit.explain(category, purpose),
                "{category}/{purpose}"
            );
            let is_declared = info
                .processing
                .iter()
                .any(|x| &x.category == category && &x.purpose == purpose);
            declared += usize::from(is_declared);
            if !is_declared {
                assert_eq!(decision.reason, DecisionReason::NotDeclaredInPolicy);
            }
        }
    }
    assert_eq!(declared, info.processing.len());
    // 2024-05-01 at UTC+2: the local day ends at 22:00 UTC.
    assert_eq!(snapshot.day, MAY_1_NOON.div_euclid(DAY_MS));
    assert_eq!(
        snapshot.day_ends_at_ms,
        (snapshot.day + 1) * DAY_MS - 120 * 60_000
    );
    assert_eq!(snapshot.valid_until_ms, None, "no birthday ahead");
    assert_eq!(
        snapshot.serial,
        epoch(kit.decision_epoch_address()),
        "current while nothing changed"
    );
}

#[test]
fn the_epoch_moves_with_every_change_and_says_closed_at_the_end() {
    let kit = in_memory();
    let address = kit.decision_epoch_address();
    assert_eq!(
        address,
        kit.decision_epoch_address(),
        "one cell per PrivacyKit"
    );
    let mut last = epoch(address);
    assert!(last >= 1);
    let mut moved = |what: &str| {
        let now = epoch(address);
        assert!(
            now > last,
            "{what}: the epoch did not move ({last} -> {now})"
        );
        assert_eq!(kit.decision_snapshot().unwrap().serial, now, "{what}");
        last = now;
    };
    kit.accept_policy().unwrap();
    moved("accept");
    kit.grant_consent("analytics".into(), None).unwrap();
    moved("grant");
    kit.withdraw_consent("analytics".into(), None).unwrap();
    moved("withdraw");
    kit.object_to("analytics".into(), Some("diagnostics".into()))
        .unwrap();
    moved("objection");
    kit.restrict_processing().unwrap();
    moved("restriction");
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    moved("permission");
    let facts = UserFacts {
        birth_date: None,
        age_years: Some(30),
        jurisdiction: None,
    };
    kit.declare_user_facts(facts, ConsentSource::User).unwrap();
    moved("age facts");
    kit.update_policy(policy_version(2, None)).unwrap();
    moved("policy update");
    kit.set_utc_offset_minutes(60).unwrap();
    moved("UTC offset");
    kit.erase_data(PersonalData::ConsentLedger).unwrap();
    moved("erasure");

    // Writes that change no decision leave it alone: no snapshot is thrown away for them.
    kit.flush().unwrap();
    kit.install_id().unwrap();
    kit.check("diagnostics", "legal_compliance");
    assert_eq!(epoch(address), last);

    kit.close_store().unwrap();
    assert_eq!(epoch(address), CLOSED);
    assert_eq!(kit.decision_snapshot(), Err(PrivacyError::Closed));

    // A PrivacyKit freed without close_store says closed too, and the cell stays readable.
    let other = in_memory();
    let other_address = other.decision_epoch_address();
    assert_ne!(other_address, address);
    assert_ne!(epoch(other_address), CLOSED);
    drop(other);
    assert_eq!(epoch(other_address), CLOSED);
}

#[test]
fn a_birthday_ends_the_snapshot_and_the_next_one_follows_it() {
    let clock = ManualClock::at(MAY_1_NOON); // 2024-05-01
    let kit = open_on(clock.clone(), -300);
    kit.accept_policy().unwrap();
    let minor = UserFacts {
        birth_date: Some("2008-05-03".into()), // 16, the age of digital consent, on 2024-05-03
        age_years: None,
        jurisdiction: Some("DE".into()),
    };
    kit.declare_user_facts(minor, ConsentSource::User).unwrap();
    let before = kit.decision_snapshot().unwrap();
    let may_3 = 19_846; // days since 1970-01-01
    assert_eq!(
        before.valid_until_ms,
        Some(may_3 * DAY_MS + 300 * 60_000),
        "the start of 2024-05-03 at UTC-5"
    );
    let pair = |s: &privacykit::DecisionSnapshot, c: &str, p: &str| {
        let c = s.categories.iter().position(|x| x == c).unwrap();
        let p = s.purposes.iter().position(|x| x == p).unwrap();
        s.decisions[c * s.purposes.len() + p]
    };
    assert_eq!(
        pair(&before, "diagnostics", "analytics").reason,
        DecisionReason::NeedsGuardianConsent
    );

    clock.advance_days(2);
    let after = kit.decision_snapshot().unwrap();
    assert!(after.serial > before.serial, "rebuilt on the birthday");
    assert_eq!(after.valid_until_ms, None);
    assert!(pair(&after, "diagnostics", "analytics").allowed);
    assert_eq!(epoch(kit.decision_epoch_address()), after.serial);
    assert_eq!(after.day, before.day + 2);
}

#[test]
fn recorded_uses_land_in_the_report_on_their_day() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock.clone(), 0);
    kit.accept_policy().unwrap();
    let first = kit.decision_snapshot().unwrap();
    clock.advance_days(1);
    let second = kit.decision_snapshot().unwrap();
    assert_eq!(second.serial, first.serial, "a new day is not a new table");
    kit.record_uses(vec![
        use_count(first.serial, first.day, "diagnostics", "analytics", 3),
        use_count(second.serial, second.day, "diagnostics", "analytics", 2),
        use_count(second.serial, second.day, "contacts", "service", 0),
    ])
    .unwrap();
    // Beside the core's own counting, which lands in the same rows.
    assert!(kit.check("diagnostics", "analytics").allowed);
    assert_eq!(
        report(&kit),
        vec![
            row("2024-05-01", "diagnostics", "analytics", 3),
            row("2024-05-02", "diagnostics", "analytics", 3),
        ]
    );
}

#[test]
fn bad_use_counts_are_refused_as_a_whole() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock, 0);
    kit.accept_policy().unwrap();
    let s = kit.decision_snapshot().unwrap();
    let good = use_count(s.serial, s.day, "diagnostics", "analytics", 1);
    let with = |bad: UseCount| vec![good.clone(), bad];
    let cases = [
        (use_count(0, s.day, "diagnostics", "analytics", 1), "serial"),
        (
            use_count(s.serial + 1, s.day, "diagnostics", "analytics", 1),
            "serial",
        ),
        (
            use_count(u64::MAX, s.day, "diagnostics", "analytics", 1),
            "serial",
        ),
        // Noon UTC: UTC+14 has reached the next day, no zone the one after.
        (
            use_count(s.serial, s.day + 2, "diagnostics", "analytics", 1),
            "future",
        ),
        (
            use_count(s.serial, s.day, "no_such_category", "analytics", 1),
            "declare",
        ),
        (
            use_count(s.serial, s.day, "diagnostics", "no_such_purpose", 1),
            "declare",
        ),
        // Both ids declared, the pair not.
        (
            use_count(s.serial, s.day, "contacts", "advertising", 1),
            "declare",
        ),
        (
            use_count(s.serial, s.day, "diagnostics", "analytics", u64::MAX),
            "range",
        ),
    ];
    for (bad, why) in cases {
        let reason = invalid_argument(kit.record_uses(with(bad.clone())));
        assert!(reason.contains(why), "{bad:?}: {reason}");
        assert!(reason.starts_with("entry 1: "), "{reason}");
        // The message names the entry, never what it held.
        assert!(!reason.contains(&bad.category) && !reason.contains(&bad.purpose));
    }
    assert_eq!(report(&kit), vec![], "nothing of a refused batch was kept");
    kit.record_uses(vec![good]).unwrap();
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "diagnostics", "analytics", 1)]
    );
    kit.close_store().unwrap();
    assert_eq!(kit.record_uses(vec![]), Err(PrivacyError::Closed));
}

#[test]
fn counts_follow_the_policy_they_were_taken_under() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock, 0);
    kit.accept_policy().unwrap();
    let v1 = kit.decision_snapshot().unwrap();
    // Version 2 stops processing diagnostics for analytics.
    let v2_json = policy_version(
        2,
        Some((
            r#"{ "category": "diagnostics", "purpose": "analytics", "legal_basis": "legitimate_interest" },"#,
            "",
        )),
    );
    kit.update_policy(v2_json).unwrap();
    let v2 = kit.decision_snapshot().unwrap();
    assert!(v2.serial > v1.serial);
    // Counted while version 1 declared the pair: kept, as the core keeps its own.
    kit.record_uses(vec![use_count(
        v1.serial,
        v1.day,
        "diagnostics",
        "analytics",
        4,
    )])
    .unwrap();
    // Under version 2 the pair is not declared.
    let reason = invalid_argument(kit.record_uses(vec![use_count(
        v2.serial,
        v2.day,
        "diagnostics",
        "analytics",
        1,
    )]));
    assert!(reason.contains("declare"), "{reason}");
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "diagnostics", "analytics", 4)]
    );
}

#[test]
fn uses_counted_before_the_report_was_erased_stay_erased() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock, 0);
    kit.accept_policy().unwrap();
    let before = kit.decision_snapshot().unwrap();
    kit.record_uses(vec![use_count(
        before.serial,
        before.day,
        "diagnostics",
        "analytics",
        2,
    )])
    .unwrap();
    kit.erase_data(PersonalData::AccessReport).unwrap();
    // Counted before the erasure, handed over after it: dropped like the core's own counts.
    kit.record_uses(vec![use_count(
        before.serial,
        before.day,
        "diagnostics",
        "analytics",
        5,
    )])
    .unwrap();
    assert_eq!(report(&kit), vec![]);
    let after = kit.decision_snapshot().unwrap();
    assert!(after.serial > before.serial);
    kit.record_uses(vec![use_count(
        after.serial,
        after.day,
        "diagnostics",
        "analytics",
        1,
    )])
    .unwrap();
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "diagnostics", "analytics", 1)]
    );
    // Erasing another kind of data keeps the counts, as it keeps the core's.
    kit.record_uses(vec![use_count(
        after.serial,
        after.day,
        "diagnostics",
        "analytics",
        1,
    )])
    .unwrap();
    kit.erase_data(PersonalData::ConsentLedger).unwrap();
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "diagnostics", "analytics", 2)]
    );
}

/// A use-count source that hands out what the test put in, and says how often it was asked.
#[derive(Default)]
struct Source {
    waiting: Mutex<Vec<UseCount>>,
    asked: AtomicU64,
}

impl Source {
    fn put(&self, uses: Vec<UseCount>) {
        self.waiting.lock().unwrap().extend(uses);
    }
}

impl UseCountSource for Source {
    fn take_use_counts(&self) -> Vec<UseCount> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        std::mem::take(&mut *self.waiting.lock().unwrap())
    }
}

#[test]
fn the_core_collects_the_sources_counts_before_it_writes_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_at(&path, POLICY, clock.clone());
    kit.accept_policy().unwrap();
    let source = Arc::new(Source::default());
    kit.set_use_count_source(source.clone());
    let s = kit.decision_snapshot().unwrap();
    let one = |n| vec![use_count(s.serial, s.day, "diagnostics", "analytics", n)];

    source.put(one(1));
    kit.flush().unwrap();
    assert_eq!(source.asked.load(Ordering::SeqCst), 1);
    source.put(one(2));
    // access_report flushes first, so it includes them.
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "diagnostics", "analytics", 3)]
    );
    source.put(one(4));
    let export: serde_json::Value =
        serde_json::from_str(&kit.export_personal_data().unwrap()).unwrap();
    assert_eq!(
        export["access_report"][0]["count"], 7,
        "the export includes them"
    );
    // Entries the guard refuses are dropped one by one; the others are kept.
    source.put(vec![
        use_count(s.serial, s.day, "no_such_category", "analytics", 100),
        use_count(s.serial, s.day, "diagnostics", "analytics", 8),
    ]);
    kit.close_store().unwrap();
    drop(kit);

    let kit = open_at(&path, POLICY, clock);
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "diagnostics", "analytics", 15)],
        "close_store wrote what the source still held"
    );
    assert_eq!(
        source.asked.load(Ordering::SeqCst),
        4,
        "flush, report, export, close; nothing after close"
    );
}

#[test]
fn a_freed_privacy_kit_collects_the_sources_counts_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("privacy.db");
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_at(&path, POLICY, clock.clone());
    kit.accept_policy().unwrap();
    let source = Arc::new(Source::default());
    kit.set_use_count_source(source.clone());
    let s = kit.decision_snapshot().unwrap();
    source.put(vec![use_count(s.serial, s.day, "contacts", "service", 6)]);
    drop(kit);
    let kit = open_at(&path, POLICY, clock);
    assert_eq!(
        report(&kit),
        vec![row("2024-05-01", "contacts", "service", 6)]
    );
}

#[test]
fn the_custom_clock_is_the_one_given() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock.clone(), 0);
    let given = kit.custom_clock().expect("a custom clock");
    clock.advance_days(3);
    assert_eq!(given.now_ms(), MAY_1_NOON + 3 * DAY_MS);
    assert!(in_memory().custom_clock().is_none(), "the system clock");
}

#[test]
fn decisions_in_the_snapshot_are_the_ones_check_gives() {
    // A sample of states, each compared pair by pair (the Kotlin differential test drives
    // many more through the bindings).
    let kit = in_memory();
    let compare = |kit: &PrivacyKit| {
        let s = kit.decision_snapshot().unwrap();
        for (c, category) in s.categories.iter().enumerate() {
            for (p, purpose) in s.purposes.iter().enumerate() {
                let expected: Decision = kit.explain(category, purpose);
                assert_eq!(s.decisions[c * s.purposes.len() + p], expected);
            }
        }
    };
    compare(&kit);
    kit.accept_policy().unwrap();
    compare(&kit);
    kit.record_permission_request(
        OsPermission::Location,
        PermissionStatus::Granted,
        Some(privacykit::LocationAccuracy::Approximate),
        None,
    )
    .unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    compare(&kit);
    kit.restrict_processing().unwrap();
    compare(&kit);
}

#[test]
fn the_sources_counts_go_with_every_write_as_the_cores_do() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = open_on(clock, 0);
    kit.accept_policy().unwrap();
    let source = Arc::new(Source::default());
    kit.set_use_count_source(source.clone());
    let s = kit.decision_snapshot().unwrap();
    let one = |n| vec![use_count(s.serial, s.day, "diagnostics", "analytics", n)];

    // A consent change writes them in its transaction.
    source.put(one(2));
    kit.grant_consent("analytics".into(), None).unwrap();
    assert!(source.waiting.lock().unwrap().is_empty());
    // Erasing the access report drops those gathered before it, on both sides.
    source.put(one(3));
    assert!(kit.check("diagnostics", "analytics").allowed);
    kit.erase_data(PersonalData::AccessReport).unwrap();
    assert_eq!(report(&kit), vec![]);
    source.put(one(5)); // still under the serial from before the erasure: dropped
    assert_eq!(report(&kit), vec![]);
}

/// A keystore whose `wrap` stalls until the test lets it go: PrivacyKit holds its store lock
/// while it asks the keystore, so this holds the store lock for as long as the test wants.
/// A keystore whose first wrap (made under the store lock) waits for the test's signal.
struct StallingKeystore {
    entered: std::sync::mpsc::Sender<()>,
    release: Mutex<std::sync::mpsc::Receiver<()>>,
    stalled: std::sync::atomic::AtomicBool,
}

impl privacykit::KeyProvider for StallingKeystore {
    fn wrap(&self, _alias: String, key: Vec<u8>) -> Result<Vec<u8>, privacykit::KeyProviderError> {
        if !self.stalled.swap(true, std::sync::atomic::Ordering::SeqCst) {
            self.entered.send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
        Ok(key)
    }
    fn unwrap(
        &self,
        _alias: String,
        wrapped: Vec<u8>,
    ) -> Result<Vec<u8>, privacykit::KeyProviderError> {
        Ok(wrapped)
    }
    fn delete(&self, _alias: String) -> Result<(), privacykit::KeyProviderError> {
        Ok(())
    }
}

#[test]
fn snapshots_and_recorded_uses_never_wait_for_the_store() {
    use std::sync::mpsc;
    use std::time::Duration;
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let stalling = Arc::new(StallingKeystore {
        entered: entered_tx,
        release: Mutex::new(release_rx),
        stalled: false.into(),
    });
    let linking_kit = kit.clone();
    // The first key wrapped (the ledger's seal key, when the vault is made, or the vault's
    // own key) holds the store lock until `release`.
    let linking = std::thread::spawn(move || {
        linking_kit
            .vault(stalling)
            .link_account(privacykit::AccountLink {
                provider: "vk".into(),
                account_id: "u1".into(),
                access_token: privacykit::Secret::new("access".into()),
                refresh_token: None,
                expires_at_ms: None,
                scopes: vec![],
            })
    });
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    let (done_tx, done) = mpsc::channel();
    let kit2 = kit.clone();
    std::thread::spawn(move || {
        let s = kit2.decision_snapshot().unwrap();
        kit2.record_uses(vec![use_count(s.serial, s.day, "contacts", "service", 1)])
            .unwrap();
        done_tx.send(()).unwrap();
    });
    let answered = done.recv_timeout(Duration::from_secs(10));
    release.send(()).unwrap();
    linking.join().unwrap().unwrap();
    answered.expect("decision_snapshot and record_uses waited for the store lock");
    assert_eq!(report(&kit).len(), 1);
}

#[test]
fn a_new_utc_offset_applies_the_age_rules_of_the_new_local_day() {
    // 2024-05-03T01:00Z: the 16th birthday (DE's age of digital consent) has begun at UTC+2,
    // not yet at UTC-5.
    let clock = ManualClock::at(MAY_1_NOON + 2 * DAY_MS - 11 * 3_600_000);
    let kit = open_on(clock, 120);
    kit.accept_policy().unwrap();
    let born = UserFacts {
        birth_date: Some("2008-05-03".into()),
        age_years: None,
        jurisdiction: Some("DE".into()),
    };
    kit.declare_user_facts(born, ConsentSource::User).unwrap();
    assert!(kit.check("diagnostics", "analytics").allowed, "16 at UTC+2");
    kit.set_utc_offset_minutes(-300).unwrap();
    assert_eq!(
        kit.check("diagnostics", "analytics").reason,
        DecisionReason::NeedsGuardianConsent,
        "still 15 at UTC-5"
    );
    kit.set_utc_offset_minutes(120).unwrap();
    assert!(kit.check("diagnostics", "analytics").allowed);
}
