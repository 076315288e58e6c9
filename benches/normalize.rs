//! The figures docs/phone-normalization.md quotes for contact-discovery normalization:
//! - one phone number to E.164, over a mix of formats and regions (<= 3 us per number);
//! - library start-up: the metadata load plus the first number (<= 10 ms).
//!
//! Each is measured for PrivacyKit's normalizer (`src/discovery/phone/`) and, in the same run,
//! for `rlibphonenumber` (the libphonenumber port it replaced, with regex-lite), so the two can
//! be compared as a ratio on a noisy machine.
//!
//! Start-up is measured across processes: this binary starts itself as a child that
//! normalizes one number and exits, against a child that exits at once; the difference is the
//! cold cost an app pays, page faults of the metadata included. In process, the one cost left
//! after the first number is a new region's first number: compiling that region's patterns.

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use privacykit::normalize_bench::{
    compile_region_patterns, normalize_contact, normalize_phone, parse_region, Region,
};
use rlibphonenumber::{
    enums::Region as LibRegion, PhoneNumberFormat, PhoneNumberUtil, PHONE_NUMBER_UTIL,
};

/// Set in the child process: "one-number" normalizes one number, "nothing" only exits.
const CHILD_ENV: &str = "PRIVACYKIT_NORMALIZE_BENCH_CHILD";

/// The number the start-up benchmarks normalize first.
const FIRST_NUMBER: &str = "8 (912) 345-67-89";

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
        let reference_cases: Vec<(LibRegion, &str)> = cases
            .iter()
            .map(|(region, raw)| (lib_region(region), raw.as_str()))
            .collect();
        for (region, raw) in &reference_cases {
            black_box(reference_e164(&PHONE_NUMBER_UTIL, raw, *region));
        }
        group.bench_with_input(
            BenchmarkId::new("per_pass_rlibphonenumber", name),
            &reference_cases,
            |b, cases| {
                b.iter(|| {
                    for (region, raw) in cases {
                        black_box(reference_e164(&PHONE_NUMBER_UTIL, black_box(raw), *region));
                    }
                })
            },
        );
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

fn lib_region(region: &Region) -> LibRegion {
    LibRegion::from_code(region.code()).expect("rlibphonenumber knows every region we do")
}

/// What `normalize_phone` does, with the reference library.
fn reference_e164(util: &PhoneNumberUtil, raw: &str, region: LibRegion) -> Option<String> {
    let number = util.parse(raw, Some(region)).ok()?;
    util.is_valid_number(&number)
        .then(|| util.format(&number, PhoneNumberFormat::E164).into_owned())
}

fn start_up(c: &mut Criterion) {
    let mut group = c.benchmark_group("start_up");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for code in ["RU", "DE", "US"] {
        group.bench_function(
            BenchmarkId::new("in_process/compile_region_patterns", code),
            |b| b.iter(|| black_box(compile_region_patterns(code))),
        );
    }
    group.bench_function(
        "in_process/rlibphonenumber_new_util_and_first_number",
        |b| {
            b.iter(|| {
                let util = PhoneNumberUtil::new().expect("the built-in metadata loads");
                assert!(reference_e164(&util, FIRST_NUMBER, LibRegion::RU).is_some());
                util
            })
        },
    );

    let this_binary = std::env::current_exe().expect("the bench binary's path");
    for child in ["nothing", "one-number", "one-number-rlibphonenumber"] {
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
        let e164 = match child.as_str() {
            "one-number" => {
                normalize_phone(FIRST_NUMBER, &parse_region("RU").expect("RU has metadata"))
            }
            "one-number-rlibphonenumber" => {
                reference_e164(&PHONE_NUMBER_UTIL, FIRST_NUMBER, LibRegion::RU)
            }
            _ => Some(String::new()),
        };
        std::process::exit(if e164.is_some() { 0 } else { 1 });
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
