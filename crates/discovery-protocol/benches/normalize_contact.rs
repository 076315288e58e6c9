//! A contact's entries to discovery identifiers: three phone numbers in national and
//! international formats and two emails, one with an internationalized domain.
//!
//!   cargo bench -p privacykit-discovery-protocol --bench normalize_contact
//!
//! Phone numbers alone are measured by privacykit-phone's `normalize` benchmark.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use privacykit_discovery_protocol::normalize::{normalize_contact, parse_region};

fn contact(c: &mut Criterion) {
    let russia = parse_region("RU").expect("RU has metadata");
    let phones: Vec<String> = ["8 (912) 345-67-89", "+7 495 123-45-67", "+49 151 23456789"]
        .map(String::from)
        .to_vec();
    let emails: Vec<String> = ["Ivan.Petrov@Example.COM", "ivan@пример.рф"]
        .map(String::from)
        .to_vec();
    // The first call compiles RU's and DE's patterns: start-up, not what is measured here.
    assert_eq!(
        normalize_contact(&phones, &emails, &russia)
            .identifiers
            .len(),
        5
    );
    c.bench_function("normalize_contact/3_phones_2_emails", |b| {
        b.iter(|| black_box(normalize_contact(&phones, &emails, &russia)))
    });
}

criterion_group!(benches, contact);
criterion_main!(benches);
