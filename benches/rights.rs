//! The figures the README quotes for the user's rights:
//! - `export_personal_data()` of a store holding 10,000 ledger events and 1,000 access-report
//!   rows (<= 50 ms);
//! - `purge_expired()` deleting 100,000 expired access-report rows (<= 500 ms), and what
//!   `check()` on another thread sees meanwhile (it must not wait for the purge);
//! - `purge_expired()` compacting 10,000 expired consent-ledger entries into the sealed
//!   summary (no target in the issue; measured so the cost on open is known).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use privacykit::{
    Clock, ConsentSource, KeyProvider, KeyProviderError, OsPermission, PermissionStatus, Platform,
    PrivacyKit, PrivacyKitConfig, UserFacts,
};

const DAY_MS: i64 = 86_400_000;
/// 2024-05-01T12:00:00Z
const START_MS: i64 = 1_714_564_800_000;

struct BenchClock(AtomicI64);

impl Clock for BenchClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// 20 categories (all with purpose `analytics` on consent), access log kept 30 days.
fn policy() -> String {
    policy_with_retention(r#"{"data":"access_log","days":30}"#)
}

fn policy_with_retention(rules: &str) -> String {
    let categories: Vec<String> = (0..20).map(|i| format!("category_{i}")).collect();
    let declared = categories
        .iter()
        .map(|id| format!(r#"{{"id":"{id}","description":"benchmark data"}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let processing = categories
        .iter()
        .map(|id| format!(r#"{{"category":"{id}","purpose":"analytics","legal_basis":"consent"}}"#))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        r#"{{"format":1,"policy_id":"bench","version":1,"effective_date":"2024-01-01",
        "controller":{{"name":"Bench"}},"minimum_age":13,"digital_consent_age":16,
        "categories":[{declared}],"purposes":[{{"id":"analytics"}}],"processing":[{processing}],
        "retention":[{rules}]}}"#
    )
}

fn open(path: &str, clock: Arc<BenchClock>) -> Arc<PrivacyKit> {
    open_with(path, clock, policy())
}

fn open_with(path: &str, clock: Arc<BenchClock>, policy_json: String) -> Arc<PrivacyKit> {
    PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: Some(path.to_owned()),
            policy_json,
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        clock,
    )
    .unwrap()
}

fn adult_who_consents(kit: &PrivacyKit) {
    kit.accept_policy().unwrap();
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-04-12".into()),
            age_years: None,
            jurisdiction: None,
        },
        ConsentSource::User,
    )
    .unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
}

/// One access-report row per category per day, for `days` days from the clock's time.
fn fill_access_report(kit: &PrivacyKit, clock: &BenchClock, days: usize) {
    for _ in 0..days {
        for c in 0..20 {
            assert!(kit.check(&format!("category_{c}"), "analytics").allowed);
        }
        clock.0.fetch_add(DAY_MS, Ordering::Relaxed);
    }
    // Counts stay in memory until this one write: flushing daily would only slow set-up.
    kit.flush().unwrap();
}

/// Grants and withdrawals across the 20 categories until the ledger holds 10,000 entries.
fn fill_ledger(kit: &PrivacyKit) {
    let mut seq = kit.consent_state().unwrap().ledger_length;
    while seq < 10_000 {
        let category = Some(format!("category_{}", seq % 20));
        seq = if seq.is_multiple_of(2) {
            kit.withdraw_consent("analytics".into(), category)
        } else {
            kit.grant_consent("analytics".into(), category)
        }
        .unwrap()
        .seq;
    }
}

fn export(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.db").to_str().unwrap().to_owned();
    let clock = Arc::new(BenchClock(AtomicI64::new(START_MS)));
    let kit = open(&path, clock.clone());
    adult_who_consents(&kit);
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    fill_ledger(&kit);
    kit.grant_consent("analytics".into(), None).unwrap();
    // 50 days x 20 categories = 1,000 rows; back on day 30, retention keeps them all.
    fill_access_report(&kit, &clock, 50);
    clock.0.fetch_sub(20 * DAY_MS, Ordering::Relaxed);
    kit.purge_expired().unwrap();
    let export = kit.export_personal_data().unwrap();
    let rows = export.matches("\"count\"").count();
    assert_eq!(rows, 1_000, "access-report rows in the export");
    println!(
        "export: {} bytes, {rows} access-report rows, {} receipts",
        export.len(),
        export.matches("\"receipt_id\"").count()
    );

    let mut group = c.benchmark_group("rights");
    group.sample_size(30);
    group.bench_function("export (10,000 ledger events, access report)", |b| {
        b.iter(|| black_box(kit.export_personal_data().unwrap()))
    });
    group.finish();
}

fn purge(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.db");
    let clock = Arc::new(BenchClock(AtomicI64::new(START_MS)));
    {
        let kit = open(template.to_str().unwrap(), clock.clone());
        adult_who_consents(&kit);
        // 5,000 days x 20 categories = 100,000 rows, none expired yet at the set-up's clock:
        // the days lie ahead of it.
        clock.0.store(START_MS, Ordering::Relaxed);
        fill_access_report(&kit, &clock, 5_000);
        kit.close_store().unwrap();
    }
    let end_of_fill = clock.0.load(Ordering::Relaxed);

    let mut group = c.benchmark_group("rights");
    group.sample_size(10);
    let mut during = Slowest::default();
    let mut baseline = Slowest::default();
    group.bench_function("purge 100,000 expired access-report rows", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for i in 0..iterations {
                let path = dir.path().join(format!("run-{i}.db"));
                std::fs::copy(&template, &path).unwrap();
                // Open at the first day: nothing has expired, so open's own purge is empty.
                clock.0.store(START_MS, Ordering::Relaxed);
                let kit = open(path.to_str().unwrap(), clock.clone());
                clock.0.store(end_of_fill + 31 * DAY_MS, Ordering::Relaxed);

                let checker = spawn_checker(&kit);
                let start = Instant::now();
                let report = kit.purge_expired().unwrap();
                let took = start.elapsed();
                total += took;
                let (worst, n) = checker.stop();
                during.record(worst, n);
                // The same time with no purge running: what scheduling alone costs here.
                let idle = spawn_checker(&kit);
                std::thread::sleep(took);
                let (worst, n) = idle.stop();
                baseline.record(worst, n);
                assert_eq!(report.purged[0].records, 100_000);
                kit.close_store().unwrap();
                std::fs::remove_file(&path).ok();
            }
            total
        })
    });
    group.finish();
    println!(
        "check() on another thread: during the purges {} calls, slowest {:?}; \
         with no purge for as long, {} calls, slowest {:?}",
        during.calls, during.worst, baseline.calls, baseline.worst
    );
}

#[derive(Default)]
struct Slowest {
    worst: Duration,
    calls: u64,
}

impl Slowest {
    fn record(&mut self, worst: Duration, calls: u64) {
        self.worst = self.worst.max(worst);
        self.calls += calls;
    }
}

struct Checker {
    running: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(Duration, u64)>,
}

impl Checker {
    fn stop(self) -> (Duration, u64) {
        self.running.store(false, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// Calls `explain` in a loop on another thread, timing each call.
fn spawn_checker(kit: &Arc<PrivacyKit>) -> Checker {
    let running = Arc::new(AtomicBool::new(true));
    let (kit, flag) = (kit.clone(), running.clone());
    let thread = std::thread::spawn(move || {
        let (mut worst, mut calls) = (Duration::ZERO, 0u64);
        while flag.load(Ordering::Relaxed) {
            let t = Instant::now();
            black_box(kit.explain("category_3", "analytics"));
            worst = worst.max(t.elapsed());
            calls += 1;
        }
        (worst, calls)
    });
    Checker { running, thread }
}

/// Stands in for the platform keystore, whose one unwrap per compaction is not PrivacyKit's
/// cost: "wraps" by returning the key as it is.
struct PlainKeys;

impl KeyProvider for PlainKeys {
    fn wrap(&self, _alias: String, key: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        Ok(key)
    }
    fn unwrap(&self, _alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        Ok(wrapped)
    }
    fn delete(&self, _alias: String) -> Result<(), KeyProviderError> {
        Ok(())
    }
}

fn compact(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.db");
    let clock = Arc::new(BenchClock(AtomicI64::new(START_MS)));
    let policy = policy_with_retention(r#"{"data":"consent_records","days":365}"#);
    {
        let kit = open_with(template.to_str().unwrap(), clock.clone(), policy.clone());
        adult_who_consents(&kit);
        fill_ledger(&kit);
        kit.close_store().unwrap();
    }

    let mut group = c.benchmark_group("rights");
    group.sample_size(10);
    group.bench_function("compact 10,000 expired ledger entries", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for i in 0..iterations {
                let path = dir.path().join(format!("compact-{i}.db"));
                std::fs::copy(&template, &path).unwrap();
                clock.0.store(START_MS, Ordering::Relaxed);
                let kit = open_with(path.to_str().unwrap(), clock.clone(), policy.clone());
                kit.set_key_provider(Arc::new(PlainKeys)).unwrap();
                clock.0.store(START_MS + 400 * DAY_MS, Ordering::Relaxed);
                let start = Instant::now();
                let report = kit.purge_expired().unwrap();
                total += start.elapsed();
                // 20 categories' newest choices, the purpose-wide grant, acceptance and facts
                // stay in force; every other entry is dropped.
                assert_eq!(report.purged[0].records, 10_000 - 23);
                kit.close_store().unwrap();
                std::fs::remove_file(&path).ok();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, export, purge, compact);
criterion_main!(benches);
