//! What PrivacyKit does each time the user's choices change, for a 1,000-vendor list: the
//! TC string with its Disclosed Vendors segment, the GPP string that carries it, and every
//! `IABTCF_*` / `IABGPP_*` key (target <= 1 ms).
//!
//!   cargo bench -p privacykit-tcf --bench encode
//!
//! The model is fixed by a seeded generator: random consents (about 60%), legitimate
//! interest for about 15%, all 1,000 disclosed, and three publisher restrictions. What it
//! measured is printed before the timings.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use privacykit_tcf::{
    day_timestamp, encode_tc_string, in_app_keys, tcf_in_app_keys, ConsentSignals,
    PublisherRestriction, RestrictionType, TcModel, UsNat,
};

const VENDORS: u16 = 1000;

fn model() -> TcModel {
    let mut state = 0x6265_6e63_685f_7463u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % 100
    };
    let vendor_consents = (1..=VENDORS).filter(|_| next() < 60).collect();
    let vendor_legitimate_interests = (1..=VENDORS).filter(|_| next() < 15).collect();
    let restriction = |purpose_id, restriction_type, vendor_ids| PublisherRestriction {
        purpose_id,
        restriction_type,
        vendor_ids,
    };
    TcModel {
        created: day_timestamp(1_780_000_000),
        last_updated: day_timestamp(1_780_000_000),
        cmp_id: 300,
        cmp_version: 12,
        vendor_list_version: 140,
        consent_language: "DE".into(),
        publisher_country_code: "DE".into(),
        special_feature_opt_ins: vec![1],
        purpose_consents: (1..=11).collect(),
        purpose_legitimate_interests: vec![2, 7, 8, 9, 10, 11],
        vendor_consents,
        vendor_legitimate_interests,
        disclosed_vendors: (1..=VENDORS).collect(),
        publisher_restrictions: vec![
            restriction(1, RestrictionType::NotAllowed, (10..=40).collect()),
            restriction(
                2,
                RestrictionType::RequireConsent,
                vec![5, 77, 78, 79, 300, 999],
            ),
            restriction(
                7,
                RestrictionType::RequireLegitimateInterest,
                (500..=520).step_by(2).collect(),
            ),
        ],
        ..TcModel::default()
    }
}

fn bench(c: &mut Criterion) {
    let model = model();
    let signals = ConsentSignals {
        tcf: Some(model.clone()),
        gdpr_applies: true,
        usnat: Some(UsNat::default()),
        gpp_applicable_sections: vec![2],
    };
    let tc_string = encode_tc_string(&model).expect("a valid model");
    let keys = in_app_keys(&signals).expect("valid signals");
    println!(
        "{} vendors: {} with consent, {} with legitimate interest, {} disclosed, {} publisher \
         restrictions; TC string {} characters; {} in-app keys",
        VENDORS,
        model.vendor_consents.len(),
        model.vendor_legitimate_interests.len(),
        model.disclosed_vendors.len(),
        model.publisher_restrictions.len(),
        tc_string.len(),
        keys.len()
    );
    c.bench_function("tc_string_1000_vendors", |b| {
        b.iter(|| encode_tc_string(black_box(&model)))
    });
    c.bench_function("tcf_in_app_keys_1000_vendors", |b| {
        b.iter(|| tcf_in_app_keys(black_box(&model), true))
    });
    c.bench_function("all_in_app_keys_1000_vendors", |b| {
        b.iter(|| in_app_keys(black_box(&signals)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
