//! The IAB consent signals with a 1,000-vendor list (target: re-encoding after a change
//! <= 1 ms):
//! - `set_consent_signal_store`: the whole re-encoding a change triggers, under the store
//!   lock (every mapped use's decision, vendor bits, TC string, GPP string, every
//!   `IABTCF_*` / `IABGPP_*` key) and its delivery to a store that keeps the map;
//! - a consent change with the store registered, against the same change without one: the
//!   difference is what the signals add to a durable change.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use privacykit::{
    ConsentSignalStore, ConsentSignalStoreError, ConsentSignalValue, ConsentSource, Platform,
    PrivacyKit, PrivacyKitConfig, UserFacts,
};

const VENDORS: usize = 1000;

/// CallsApp's example policy with 1,000 vendors: two in three rely on consent for purposes
/// 1, 3 and 4, every other one on legitimate interest for 2 and 7; ids spread to 2,000.
fn policy() -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(include_str!("../examples/policies/callsapp_tcf.json")).unwrap();
    let vendors: Vec<serde_json::Value> = (0..VENDORS)
        .map(|i| {
            let consent: &[u8] = if i % 3 == 2 { &[] } else { &[1, 3, 4] };
            let interest: &[u8] = if i % 2 == 0 { &[2, 7] } else { &[] };
            serde_json::json!({
                "id": 2 * i + 1,
                "consent_purposes": consent,
                "legitimate_interest_purposes": interest,
            })
        })
        .collect();
    doc["tcf"]["vendors"] = vendors.into();
    doc["tcf"]["publisher_restrictions"] = serde_json::json!([{ "tcf_purpose": 2, "restriction": "require_consent", "vendors": [1, 3, 5] }]);
    doc.to_string()
}

#[derive(Default)]
struct Kept(Mutex<HashMap<String, ConsentSignalValue>>);

impl ConsentSignalStore for Kept {
    fn write(
        &self,
        values: HashMap<String, ConsentSignalValue>,
        removed_keys: Vec<String>,
    ) -> Result<(), ConsentSignalStoreError> {
        let mut map = self.0.lock().unwrap();
        for key in removed_keys {
            map.remove(&key);
        }
        map.extend(values);
        Ok(())
    }
}

fn open(path: &std::path::Path) -> Arc<PrivacyKit> {
    let kit = PrivacyKit::open(PrivacyKitConfig {
        database_path: Some(path.to_string_lossy().into_owned()),
        policy_json: policy(),
        platform: Platform::Android,
        utc_offset_minutes: 0,
        key_provider: None,
    })
    .unwrap();
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-04-12".into()),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::User,
    )
    .unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("advertising".into(), None).unwrap();
    kit
}

fn ones(store: &Kept, key: &str) -> usize {
    match store.0.lock().unwrap().get(key) {
        Some(ConsentSignalValue::Text { value }) => value.bytes().filter(|b| *b == b'1').count(),
        _ => 0,
    }
}

fn signals(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let kit = open(&dir.path().join("signals.db"));
    let store = Arc::new(Kept::default());
    kit.set_consent_signal_store(store.clone()).unwrap();
    let keys = store.0.lock().unwrap().len();
    let tc_chars = match store.0.lock().unwrap().get("IABTCF_TCString") {
        Some(ConsentSignalValue::Text { value }) => value.len(),
        _ => 0,
    };
    println!(
        "signals: {VENDORS} vendors, {} with consent, {} with legitimate interest, {} purposes \
         consented; {keys} keys, TC string of {tc_chars} characters",
        ones(&store, "IABTCF_VendorConsents"),
        ones(&store, "IABTCF_VendorLegitimateInterests"),
        ones(&store, "IABTCF_PurposeConsents"),
    );
    assert_eq!(ones(&store, "IABTCF_VendorConsents"), 667);

    let mut group = c.benchmark_group("signals");
    group
        .sample_size(100)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("re-encode and write, 1000 vendors", |b| {
        b.iter(|| {
            kit.set_consent_signal_store(black_box(store.clone()))
                .unwrap()
        })
    });
    // Each iteration flips an objection, so every change alters the signals.
    let mut objected = false;
    group.bench_function("durable change with signals, 1000 vendors", |b| {
        b.iter(|| {
            objected = !objected;
            if objected {
                kit.object_to("advertising".into(), Some("device_info".into()))
            } else {
                kit.withdraw_objection("advertising".into(), Some("device_info".into()))
            }
            .unwrap()
        })
    });
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = open(&plain_dir.path().join("plain.db"));
    let mut objected = false;
    group.bench_function("durable change without a signal store", |b| {
        b.iter(|| {
            objected = !objected;
            if objected {
                plain.object_to("advertising".into(), Some("device_info".into()))
            } else {
                plain.withdraw_objection("advertising".into(), Some("device_info".into()))
            }
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, signals);
criterion_main!(benches);
