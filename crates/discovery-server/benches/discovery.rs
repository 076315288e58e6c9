//! Contact-discovery benchmarks: the figures the README's discovery table quotes, measured
//! through the public APIs of privacykit-discovery-protocol (the client's batches and the
//! filter) and of this crate (the server).
//!
//!   cargo bench -p privacykit-discovery-server --bench discovery
//!
//! Client crypto is timed alone (blinding, then proof verification and unblinding), with
//! the server's evaluation between the two left out of the timing. Printed once, before the
//! timings: wire bytes per contact, the client's time per identifier split into blinding,
//! proof verification and unblinding, the server's evaluations per second, and filter sizes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use privacykit_discovery_protocol::filter::FilterState;
use privacykit_discovery_protocol::oprf::{BlindBatch, PinnedKey};
use privacykit_discovery_protocol::wire::{self, Answer, MAX_BATCH, PAD_TO};
use privacykit_discovery_server::{BudgetPolicy, DiscoveryServer, ServerKey};

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

/// One client run: blinded batches and their request bytes.
struct ClientRun {
    key: PinnedKey,
    batches: Vec<BlindBatch>,
    requests: Vec<Vec<u8>>,
}

/// Blinds `identifiers` as the SDK's `discover` does: chunks of 4,096, padded to multiples
/// of 64.
fn blind(public_key: &[u8], identifiers: &[String]) -> ClientRun {
    let key = PinnedKey::parse(public_key).expect("a valid public key");
    let mut batches = Vec::new();
    let mut requests = Vec::new();
    for chunk in identifiers.chunks(MAX_BATCH) {
        let ids: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        let (batch, request) = BlindBatch::new(&ids, chunk.len().div_ceil(PAD_TO) * PAD_TO, &key);
        batches.push(batch);
        requests.push(request);
    }
    ClientRun {
        key,
        batches,
        requests,
    }
}

/// Each batch of `run` with its parsed response.
fn answered<'a>(
    run: &'a ClientRun,
    responses: &'a [Vec<u8>],
) -> impl Iterator<Item = (&'a BlindBatch, wire::OprfResponse<'a>)> {
    run.batches.iter().zip(responses).map(|(batch, response)| {
        match wire::decode_oprf_response(response, &run.key.id, batch.len()) {
            Ok(Answer::Evaluated(r)) => (batch, r),
            _ => panic!("the server refused"),
        }
    })
}

/// Verifies and unblinds the responses; returns the filter keys.
fn finalize(run: &ClientRun, responses: &[Vec<u8>]) -> Vec<u64> {
    let mut keys = Vec::new();
    for (batch, r) in answered(run, responses) {
        keys.extend(
            batch
                .finalize(&r.elements, r.proof, &run.key)
                .expect("verifies"),
        );
    }
    keys
}

/// Verifies the responses' proofs only, without unblinding (for the time breakdown).
fn verify(run: &ClientRun, responses: &[Vec<u8>]) {
    for (batch, r) in answered(run, responses) {
        batch
            .verify(&r.elements, r.proof, &run.key)
            .expect("verifies");
    }
}

/// The server's answer to each request of `run`.
fn answers(server: &mut DiscoveryServer, run: &ClientRun) -> Vec<Vec<u8>> {
    run.requests
        .iter()
        .map(|r| server.evaluate("bench", r, 0).body)
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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
    let runs: Vec<[f64; 3]> = (0..5)
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
    let step = |i: usize| median(runs.iter().map(|r| r[i]).collect());
    let (b, v, u) = (step(0), step(1), step(2));
    println!(
        "client per identifier, {} contacts: blind {b:.1} us + verify {v:.1} us + unblind {u:.1} us = {:.1} us",
        ids.len(),
        b + v + u
    );
}

fn server_evaluation(c: &mut Criterion) {
    let (mut server, public) = server();
    let run = blind(&public, &identifiers(MAX_BATCH));
    let request = &run.requests[0];
    // Evaluations per second, the median of 5 batches, printed once.
    let rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            black_box(server.evaluate("bench", request, 0));
            MAX_BATCH as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "server: {:.0} verifiable evaluations per second on one core ({MAX_BATCH} a batch)",
        median(rates)
    );
    let mut group = c.benchmark_group("discovery/server");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MAX_BATCH as u64));
    group.bench_function("verifiable_evaluations_4096", |b| {
        b.iter(|| black_box(server.evaluate("bench", request, 0)))
    });
    group.finish();
}

fn filter(c: &mut Criterion) {
    for n in [1_000_000u64, 10_000_000] {
        let members = keys(n, 1);
        let start = Instant::now();
        let filter = FilterState::build([0; 8], 1, &members).expect("builds");
        let built = start.elapsed();
        let bytes = filter.encode().len();
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
