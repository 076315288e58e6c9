//! The figures the README quotes for the core:
//! - `check()` with 20 categories x 10 purposes loaded and access counting on (<= 250 ns);
//! - a durable consent change, one transaction with synchronous=FULL (<= 5 ms);
//! - opening a store holding 10,000 ledger events, verifying the whole chain and restoring its
//!   state (<= 20 ms), without and with the key provider (which also checks the seal);
//! - validating an 880 KB policy with 12,000 recipients and 40,000 references (milliseconds:
//!   every reference is a hash lookup);
//! - reading a linked account's token with the vault key already unwrapped (<= 20 us);
//! - linking an account, durably (<= 5 ms).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../tests/common/wide_policy.rs"]
mod wide_policy;
use privacykit::validate_policy;
use privacykit::{
    AccountLink, ConsentSource, KeyProvider, KeyProviderError, OsPermission, PermissionStatus,
    Platform, PrivacyKit, PrivacyKitConfig, Secret, UserFacts, BUILT_IN_CATEGORIES,
    BUILT_IN_PURPOSES,
};
use wide_policy::wide_policy;

/// A policy with 20 categories x 10 purposes, every pair declared, bases mixed.
fn large_policy() -> String {
    let categories: Vec<String> = BUILT_IN_CATEGORIES
        .iter()
        .map(|(id, _)| id.to_string())
        .chain((0..12).map(|i| format!("custom_category_{i}")))
        .collect();
    let purposes: Vec<String> = BUILT_IN_PURPOSES
        .iter()
        .map(|id| id.to_string())
        .chain((0..2).map(|i| format!("custom_purpose_{i}")))
        .collect();
    let bases = [
        "contract",
        "consent",
        "legitimate_interest",
        "legal_obligation",
    ];
    let mut processing = Vec::new();
    for (c, category) in categories.iter().enumerate() {
        for (p, purpose) in purposes.iter().enumerate() {
            let basis = bases[(c + p) % bases.len()];
            processing.push(format!(
                r#"{{"category":"{category}","purpose":"{purpose}","legal_basis":"{basis}"}}"#
            ));
        }
    }
    let declare = |ids: &[String]| {
        ids.iter()
            .map(|id| format!(r#"{{"id":"{id}","description":"benchmark {id}"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"format":1,"policy_id":"bench","version":1,"effective_date":"2024-01-01",
        "controller":{{"name":"Bench"}},"minimum_age":13,"digital_consent_age":16,
        "categories":[{}],"purposes":[{}],"processing":[{}]}}"#,
        declare(&categories),
        declare(&purposes),
        processing.join(",")
    )
}

fn config(path: Option<String>) -> PrivacyKitConfig {
    PrivacyKitConfig {
        database_path: path,
        policy_json: large_policy(),
        platform: Platform::Android,
        utc_offset_minutes: 0,
        key_provider: None,
    }
}

fn ready(kit: &Arc<PrivacyKit>) {
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
    for permission in OsPermission::ALL {
        kit.report_permission(permission, PermissionStatus::Granted, None, None)
            .unwrap();
    }
    for purpose in BUILT_IN_PURPOSES {
        kit.grant_consent(purpose.into(), None).unwrap();
    }
}

fn check(c: &mut Criterion) {
    let kit = PrivacyKit::open(config(None)).unwrap();
    ready(&kit);
    let policy = kit.policy().unwrap();
    let pairs: Vec<(String, String)> = policy
        .processing
        .iter()
        .map(|p| (p.category.clone(), p.purpose.clone()))
        .collect();
    let allowed = pairs
        .iter()
        .filter(|(c, p)| kit.explain(c, p).allowed)
        .count();
    assert!(allowed > 150, "most pairs are allowed, so counting runs");

    let mut group = c.benchmark_group("guard");
    let mut i = 0;
    group.bench_function("check (20x10 policy, counting on)", |b| {
        b.iter(|| {
            let (category, purpose) = &pairs[i % pairs.len()];
            i += 1;
            black_box(kit.check(black_box(category), black_box(purpose)))
        })
    });
    group.bench_function("explain (no counting)", |b| {
        b.iter(|| {
            let (category, purpose) = &pairs[i % pairs.len()];
            i += 1;
            black_box(kit.explain(black_box(category), black_box(purpose)))
        })
    });
    group.finish();
}

fn durable_change(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let kit = PrivacyKit::open(config(Some(path.to_str().unwrap().into()))).unwrap();
    ready(&kit);
    let mut group = c.benchmark_group("store");
    group
        .sample_size(200)
        .measurement_time(Duration::from_secs(10));
    let mut grant = false;
    group.bench_function(
        "durable consent change (file, WAL, synchronous=FULL)",
        |b| {
            b.iter(|| {
                grant = !grant;
                if grant {
                    kit.grant_consent("analytics".into(), Some("contacts".into()))
                } else {
                    kit.withdraw_consent("analytics".into(), Some("contacts".into()))
                }
                .unwrap()
            })
        },
    );
    group.finish();
}

fn open_existing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let path = path.to_str().unwrap().to_owned();
    {
        let kit = PrivacyKit::open(config(Some(path.clone()))).unwrap();
        ready(&kit);
        let mut seq = kit.consent_state().unwrap().ledger_length;
        let purposes: Vec<&str> = BUILT_IN_PURPOSES.to_vec();
        while seq < 10_000 {
            let purpose = purposes[seq as usize % purposes.len()].to_owned();
            seq = if seq.is_multiple_of(2) {
                kit.withdraw_consent(purpose, None)
            } else {
                kit.grant_consent(purpose, None)
            }
            .unwrap()
            .seq;
        }
        kit.close_store().unwrap();
    }
    let mut group = c.benchmark_group("store");
    group.sample_size(50);
    group.bench_function("open a store of 10,000 ledger events", |b| {
        b.iter(|| {
            let kit = PrivacyKit::open(config(Some(path.clone()))).unwrap();
            assert_eq!(kit.consent_state().unwrap().ledger_length, 10_000);
            kit.close_store().unwrap();
        })
    });
    // The same store, sealed and opened with the key provider: the chain, the seal's place
    // and its MAC are checked (the keystore here costs nothing; a platform's unwrap does).
    {
        let kit = PrivacyKit::open(config(Some(path.clone()))).unwrap();
        kit.set_key_provider(Arc::new(XorKeystore)).unwrap();
        kit.close_store().unwrap();
    }
    group.bench_function(
        "open a store of 10,000 ledger events with the key provider",
        |b| {
            b.iter(|| {
                let kit = PrivacyKit::open(PrivacyKitConfig {
                    key_provider: Some(Arc::new(XorKeystore)),
                    ..config(Some(path.clone()))
                })
                .unwrap();
                assert_eq!(kit.consent_state().unwrap().ledger_length, 10_000);
                kit.close_store().unwrap();
            })
        },
    );
    group.finish();
}

fn policy_validation(c: &mut Criterion) {
    let (json, references) = wide_policy();
    println!(
        "wide policy: {} bytes, 12,000 recipients, {references} references, 1,000 processing entries",
        json.len()
    );
    assert!(json.len() < 1 << 20);
    let mut group = c.benchmark_group("policy");
    group.sample_size(20);
    group.bench_function(
        "validate a policy of 12,000 recipients and 40,000 references",
        |b| b.iter(|| black_box(validate_policy(black_box(json.clone())).unwrap())),
    );
    group.bench_function(
        "open (in memory) with a policy of 12,000 recipients and 40,000 references",
        |b| {
            b.iter(|| {
                let kit = PrivacyKit::open(PrivacyKitConfig {
                    policy_json: json.clone(),
                    ..config(None)
                })
                .unwrap();
                kit.close_store().unwrap();
            })
        },
    );
    group.finish();
}

/// Stands in for the platform keystore; its cost is the platform's, not PrivacyKit's.
struct XorKeystore;

impl KeyProvider for XorKeystore {
    fn wrap(&self, _: String, key: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        Ok(key.iter().map(|b| b ^ 0x5a).collect())
    }
    fn unwrap(&self, _: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        Ok(wrapped.iter().map(|b| b ^ 0x5a).collect())
    }
    fn delete(&self, _: String) -> Result<(), KeyProviderError> {
        Ok(())
    }
}

fn account(i: usize) -> AccountLink {
    AccountLink {
        provider: "vk".into(),
        account_id: format!("user{i}"),
        access_token: Secret::new(format!("vk1.a.{}", "x".repeat(180))),
        refresh_token: Some(Secret::new("r".repeat(64))),
        expires_at_ms: Some(1_900_000_000_000),
        scopes: vec!["friends".into(), "email".into()],
    }
}

fn vault(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let kit = PrivacyKit::open(config(Some(path.to_str().unwrap().into()))).unwrap();
    ready(&kit);
    let vault = kit.clone().vault(Arc::new(XorKeystore));
    for i in 0..100 {
        vault.link_account(account(i)).unwrap();
    }
    let mut group = c.benchmark_group("vault");
    let mut i = 0;
    group.bench_function("read a token (key unwrapped, 100 accounts)", |b| {
        b.iter(|| {
            i += 1;
            black_box(
                vault
                    .tokens("vk".into(), format!("user{}", i % 100))
                    .unwrap(),
            )
        })
    });
    group
        .sample_size(200)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("link an account (durable)", |b| {
        b.iter(|| {
            i += 1;
            vault.link_account(account(i % 100)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    check,
    durable_change,
    open_existing,
    vault,
    policy_validation
);
criterion_main!(benches);
