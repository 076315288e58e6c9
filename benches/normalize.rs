//! The figures docs/phone-normalization.md quotes for contact-discovery normalization:
//! - one phone number to E.164, over a mix of formats and regions (<= 3 us per number);
//! - library start-up: the metadata load plus the first number (<= 10 ms).
//!
//! Start-up is measured two ways. In process: building a fresh `PhoneNumberUtil` (what the
//! crate's lazy global does once) and normalizing one number with it, which also compiles that
//! region's patterns. Across processes: this binary starts itself as a child that normalizes
//! one number and exits, against a child that exits at once; the difference is the cold cost
//! an app pays, page faults of the metadata included.

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use privacykit::normalize_bench::{normalize_contact, normalize_phone, parse_region, Region};
use rlibphonenumber::{enums::Region as LibRegion, PhoneNumberFormat, PhoneNumberUtil};

/// Set in the child process: "one-number" normalizes one number, "nothing" only exits.
const CHILD_ENV: &str = "PRIVACYKIT_NORMALIZE_BENCH_CHILD";

/// The oracle corpus: inputs as people type them, in 25+ regions, a quarter of them invalid.
const CORPUS: &str = include_str!("../tests/data/phone_normalization.tsv");

fn corpus(only_region: Option<&str>) -> Vec<(Region, String)> {
    CORPUS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let region = fields.next()?;
            let raw = fields.next()?;
            if only_region.is_some_and(|only| only != region) {
                return None;
            }
            Some((parse_region(region)?, raw.to_owned()))
        })
        .collect()
}

fn per_number(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize_phone");
    for (name, cases) in [
        ("corpus_mix", corpus(None)),
        ("ru_only", corpus(Some("RU"))),
    ] {
        // Compile every region's patterns before measuring: that is start-up, measured below.
        for (region, raw) in &cases {
            black_box(normalize_phone(raw, region));
        }
        group.throughput(Throughput::Elements(cases.len() as u64));
        group.bench_with_input(BenchmarkId::new("per_pass", name), &cases, |b, cases| {
            b.iter(|| {
                for (region, raw) in cases {
                    black_box(normalize_phone(black_box(raw), region));
                }
            })
        });
    }
    group.finish();

    let russia = parse_region("RU").expect("RU has metadata");
    let phones: Vec<String> = ["8 (912) 345-67-89", "+7 495 123-45-67", "+49 151 23456789"]
        .map(String::from)
        .to_vec();
    let emails: Vec<String> = ["Ivan.Petrov@Example.COM", "ivan@пример.рф"]
        .map(String::from)
        .to_vec();
    c.bench_function("normalize_contact/3_phones_2_emails", |b| {
        b.iter(|| black_box(normalize_contact(&phones, &emails, &russia)))
    });
}

fn first_number_with(util: &PhoneNumberUtil) -> bool {
    let number = util
        .parse("8 (912) 345-67-89", Some(LibRegion::RU))
        .expect("a Russian mobile number");
    util.is_valid_number(&number) && !util.format(&number, PhoneNumberFormat::E164).is_empty()
}

fn start_up(c: &mut Criterion) {
    let mut group = c.benchmark_group("start_up");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("in_process/new_util_and_first_number", |b| {
        b.iter(|| {
            let util = PhoneNumberUtil::new().expect("the built-in metadata loads");
            assert!(first_number_with(&util));
            util
        })
    });

    let this_binary = std::env::current_exe().expect("the bench binary's path");
    for child in ["nothing", "one-number"] {
        group.bench_function(BenchmarkId::new("process", child), |b| {
            b.iter(|| {
                let status = Command::new(&this_binary)
                    .env(CHILD_ENV, child)
                    .status()
                    .expect("the child process starts");
                assert!(status.success());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, per_number, start_up);

fn main() {
    // The child of the process benchmark: do the one thing and exit before criterion starts.
    if let Ok(child) = std::env::var(CHILD_ENV) {
        if child == "one-number" {
            let region = parse_region("RU").expect("RU has metadata");
            let e164 = normalize_phone("8 (912) 345-67-89", &region);
            std::process::exit(if e164.is_some() { 0 } else { 1 });
        }
        std::process::exit(0);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
