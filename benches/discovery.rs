//! Contact-discovery benchmarks: the figures the README's discovery table quotes.
//!
//!   cargo bench --features server --bench discovery
//!
//! Client crypto is timed alone (blinding, then proof verification and unblinding), with
//! the server's evaluation between the two left out of the timing. Sizes (filter bytes per
//! user, wire bytes per contact) and the client's time per identifier split into blinding,
//! proof verification and unblinding are printed once, before the timings.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use privacykit::discovery_bench::{blind, finalize, verify, ClientRun, Filter};
use privacykit::server::{BudgetPolicy, DiscoveryServer, ServerKey};

fn identifiers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+1555{i:07}")).collect()
}

fn server() -> (DiscoveryServer, [u8; 32]) {
    let key = ServerKey::generate();
    let public = key.public_key();
    (
        DiscoveryServer::new(
            key,
            BudgetPolicy {
                upfront: u64::MAX / 2,
                per_day: 0,
            },
        ),
        public,
    )
}

fn keys(n: u64, salt: u64) -> Vec<u64> {
    (0..n)
        .map(|i| {
            (i ^ salt)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29)
                ^ salt
        })
        .collect()
}

/// The server's answer to each request of `run`.
fn answers(server: &mut DiscoveryServer, run: &ClientRun) -> Vec<Vec<u8>> {
    run.requests
        .iter()
        .map(|r| server.evaluate("bench", r, 0).body)
        .collect()
}

fn client_crypto(c: &mut Criterion) {
    let (mut server, public) = server();
    let mut group = c.benchmark_group("discovery/client_crypto");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let ids = identifiers(n);
        // Wire bytes per contact, printed once.
        let run = blind(&public, &ids);
        let responses = answers(&mut server, &run);
        let wire: usize = run.requests.iter().chain(&responses).map(Vec::len).sum();
        println!(
            "wire: {n} contacts -> {} bytes sent + received = {:.1} bytes per contact",
            wire,
            wire as f64 / n as f64
        );
        breakdown(&mut server, &public, &ids);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &ids, |b, ids| {
            b.iter_custom(|iters| {
                let mut client = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let run = blind(&public, ids);
                    client += start.elapsed();
                    let responses = answers(&mut server, &run);
                    let start = Instant::now();
                    black_box(finalize(&run, &responses));
                    client += start.elapsed();
                }
                client
            })
        });
    }
    group.finish();
}

/// Client time per identifier in its three steps, the median of 5 runs, printed once:
/// blinding, proof verification, and unblinding with the output hashes (finalize minus
/// verify).
fn breakdown(server: &mut DiscoveryServer, public: &[u8], ids: &[String]) {
    let per_id = |d: Duration| d.as_secs_f64() * 1e6 / ids.len() as f64;
    let mut runs: Vec<[f64; 3]> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let run = blind(public, ids);
            let blinded = start.elapsed();
            let responses = answers(server, &run);
            let start = Instant::now();
            verify(&run, &responses);
            let verified = start.elapsed();
            let start = Instant::now();
            black_box(finalize(&run, &responses));
            let finalized = start.elapsed();
            [
                per_id(blinded),
                per_id(verified),
                per_id(finalized.saturating_sub(verified)),
            ]
        })
        .collect();
    let median = |i: usize, runs: &mut Vec<[f64; 3]>| {
        runs.sort_by(|a, b| a[i].total_cmp(&b[i]));
        runs[runs.len() / 2][i]
    };
    let (b, v, u) = (
        median(0, &mut runs),
        median(1, &mut runs),
        median(2, &mut runs),
    );
    println!(
        "client per identifier, {} contacts: blind {b:.1} us + verify {v:.1} us + unblind {u:.1} us = {:.1} us",
        ids.len(),
        b + v + u
    );
}

fn server_evaluation(c: &mut Criterion) {
    let (mut server, public) = server();
    let run = blind(&public, &identifiers(4096));
    let mut group = c.benchmark_group("discovery/server");
    group.sample_size(10);
    group.throughput(Throughput::Elements(4096));
    group.bench_function("verifiable_evaluations_4096", |b| {
        b.iter(|| black_box(server.evaluate("bench", &run.requests[0], 0)))
    });
    group.finish();
}

fn filter(c: &mut Criterion) {
    for n in [1_000_000u64, 10_000_000] {
        let members = keys(n, 1);
        let start = Instant::now();
        let filter = Filter::build(&members);
        let built = start.elapsed();
        let bytes = filter.encoded_len();
        let outsiders = keys(1_000_000, 1 << 50);
        let false_positives = outsiders.iter().filter(|k| filter.contains(**k)).count();
        println!(
            "filter: {n} users -> {bytes} bytes = {:.3} bytes per user, built in {:.2} s; \
             {false_positives} false positives in 1,000,000 non-members (2^-16 = 15.3)",
            bytes as f64 / n as f64,
            built.as_secs_f64()
        );
        if n == 1_000_000 {
            let probes = keys(1 << 16, 7);
            let mut i = 0usize;
            c.bench_function("discovery/filter_membership_query_1e6", |b| {
                b.iter(|| {
                    i = (i + 1) & 0xFFFF;
                    black_box(filter.contains(black_box(probes[i])))
                })
            });
        }
    }
}

criterion_group!(benches, client_crypto, server_evaluation, filter);
criterion_main!(benches);
