//! The normalizer's speed, through its public API, with `rlibphonenumber` (the libphonenumber
//! port it replaced, with regex-lite) measured in the same run so that the two compare as a
//! ratio on a noisy machine:
//! - one phone number to E.164, over a mix of formats and regions (target <= 3 us a number);
//! - start-up: the metadata load plus the first number (target <= 10 ms);
//! - a region's first number, which compiles that region's patterns.
//!
//!   cargo bench -p privacykit-phone --bench normalize
//!
//! Start-up is measured across processes: this binary starts itself as a child that
//! normalizes one number and exits, against a child that exits at once; the difference is the
//! cold cost an app pays, page faults of the metadata included. A region's patterns are
//! compiled once per process, on the first number read there, so that cost is measured in
//! children too: each times its first number in the region and then a second one, and the
//! medians over many children are printed before the timings.

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use privacykit_phone::{parse_region, to_e164, Region};
use rlibphonenumber::{
    enums::Region as LibRegion, PhoneNumberFormat, PhoneNumberUtil, PHONE_NUMBER_UTIL,
};

/// Set in the child process: "nothing" only exits, "one-number" and
/// "one-number-rlibphonenumber" normalize one number, "first-number-in:RU" prints how long the
/// first and the second number read in a region took.
const CHILD_ENV: &str = "PRIVACYKIT_NORMALIZE_BENCH_CHILD";

/// The number the start-up benchmarks normalize first.
const FIRST_NUMBER: &str = "8 (912) 345-67-89";

/// A national-format number of each region whose first number is timed.
const REGION_NUMBERS: [(&str, &str); 3] = [
    ("RU", "8 (912) 345-67-89"),
    ("DE", "01512 3456789"),
    ("US", "(201) 555-0123"),
];

/// Children per region for the first-number figures.
const CHILDREN: usize = 31;

/// The oracle corpus: inputs as people type them, in 25 regions, a quarter of them invalid.
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
            black_box(to_e164(raw, *region));
        }
        group.throughput(Throughput::Elements(cases.len() as u64));
        group.bench_with_input(BenchmarkId::new("per_pass", name), &cases, |b, cases| {
            b.iter(|| {
                for (region, raw) in cases {
                    black_box(to_e164(black_box(raw), *region));
                }
            })
        });
        let reference_cases: Vec<(LibRegion, &str)> = cases
            .iter()
            .map(|(region, raw)| (lib_region(*region), raw.as_str()))
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
}

fn lib_region(region: Region) -> LibRegion {
    LibRegion::from_code(region.code()).expect("rlibphonenumber knows every region we do")
}

/// What `to_e164` does, with the reference library.
fn reference_e164(util: &PhoneNumberUtil, raw: &str, region: LibRegion) -> Option<String> {
    let number = util.parse(raw, Some(region)).ok()?;
    util.is_valid_number(&number)
        .then(|| util.format(&number, PhoneNumberFormat::E164).into_owned())
}

fn start_up(c: &mut Criterion) {
    first_number_per_region();

    let mut group = c.benchmark_group("start_up");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
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

/// Prints, per region, the medians over fresh processes of the first number read there
/// (which compiles the region's patterns) and of the second.
fn first_number_per_region() {
    let this_binary = std::env::current_exe().expect("the bench binary's path");
    for (code, _) in REGION_NUMBERS {
        let mut firsts = Vec::with_capacity(CHILDREN);
        let mut seconds = Vec::with_capacity(CHILDREN);
        for _ in 0..CHILDREN {
            let output = Command::new(&this_binary)
                .env(CHILD_ENV, format!("first-number-in:{code}"))
                .output()
                .expect("the child process starts");
            assert!(output.status.success());
            let printed = String::from_utf8(output.stdout).expect("the child prints text");
            let mut nanos = printed
                .split_whitespace()
                .map(|t| t.parse::<f64>().expect("the child prints nanoseconds"));
            firsts.push(nanos.next().expect("the first number's time"));
            seconds.push(nanos.next().expect("the second number's time"));
        }
        let (first, second) = (median(&mut firsts) / 1e3, median(&mut seconds) / 1e3);
        println!(
            "first number read in {code}: {first:.1} us, the next {second:.1} us: \
             compiling {code}'s patterns costs about {:.1} us (medians of {CHILDREN} processes)",
            first - second
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The child of the region benchmark: reads a number in another region first (so that what
/// every region shares is warm), then times two numbers in `code`, and prints nanoseconds.
fn time_first_number_in(code: &str) -> String {
    let other = parse_region("GB").expect("GB has metadata");
    assert!(to_e164("07400 123456", other).is_some());
    let (_, number) = REGION_NUMBERS
        .iter()
        .find(|(c, _)| *c == code)
        .expect("a region of REGION_NUMBERS");
    let region = parse_region(code).expect("the region has metadata");
    let mut nanos = Vec::new();
    for _ in 0..2 {
        let start = Instant::now();
        assert!(black_box(to_e164(black_box(number), region)).is_some());
        nanos.push(start.elapsed().as_nanos().to_string());
    }
    nanos.join(" ")
}

criterion_group!(benches, per_number, start_up);

fn main() {
    // A child: do the one thing and exit before criterion starts.
    if let Ok(child) = std::env::var(CHILD_ENV) {
        let done = match child.as_str() {
            "nothing" => true,
            "one-number" => {
                to_e164(FIRST_NUMBER, parse_region("RU").expect("RU has metadata")).is_some()
            }
            "one-number-rlibphonenumber" => {
                reference_e164(&PHONE_NUMBER_UTIL, FIRST_NUMBER, LibRegion::RU).is_some()
            }
            other => match other.strip_prefix("first-number-in:") {
                Some(code) => {
                    println!("{}", time_first_number_in(code));
                    true
                }
                None => false,
            },
        };
        std::process::exit(if done { 0 } else { 1 });
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
