//! The reference server binary end to end over a real socket: it is started on a loopback
//! port, users are registered through its admin endpoint, and a client built from
//! privacykit-discovery-protocol evaluates identifiers, verifies the proofs against the key
//! the server printed, and matches the outputs against the filter and its deltas. Also: its
//! refusals, and its answer to bad arguments.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use privacykit_discovery_protocol::filter::{self, FilterMessage, FilterState};
use privacykit_discovery_protocol::oprf::{key_id, BlindBatch, PinnedKey};
use privacykit_discovery_protocol::wire::{self, Answer, RefusalReason};

const BINARY: &str = env!("CARGO_BIN_EXE_privacykit-discovery-server");

struct RunningServer {
    child: Child,
    addr: String,
    key: PinnedKey,
    key_hex: String,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn start(budget: u64) -> RunningServer {
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--budget", &budget.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "listening on 127.0.0.1:PORT key HEX"
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(parts[0..2], ["listening", "on"], "{line}");
    assert_eq!(parts[3], "key", "{line}");
    let public_key: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&parts[4][2 * i..2 * i + 2], 16).unwrap())
        .collect();
    RunningServer {
        child,
        addr: parts[2].to_owned(),
        key: PinnedKey::parse(&public_key).expect("the printed key is a group element"),
        key_hex: hex(&key_id(&public_key)),
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-Account: e2e\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header end");
    let status = String::from_utf8_lossy(&response[9..12]).parse().unwrap();
    (status, response[split + 4..].to_vec())
}

fn admin(server: &RunningServer, lines: &str) {
    let (status, _) = http(&server.addr, "POST", "/admin/users", lines.as_bytes());
    assert_eq!(status, 200);
}

/// Evaluates `identifiers` in one padded request; the filter keys, in order.
fn evaluate(server: &RunningServer, identifiers: &[&str]) -> Vec<u64> {
    let (batch, request) = BlindBatch::new(identifiers, 64, &server.key);
    let (status, body) = http(&server.addr, "POST", "/v1/evaluate", &request);
    assert_eq!(status, 200);
    match wire::decode_oprf_response(&body, &server.key.id, batch.len()).unwrap() {
        Answer::Evaluated(r) => batch.finalize(&r.elements, r.proof, &server.key).unwrap(),
        Answer::Refused(r) => panic!("refused: {:?}", r.reason),
    }
}

fn fetch_filter(server: &RunningServer, since: u64) -> FilterMessage {
    let path = format!("/v1/filter?key={}&since={since}", server.key_hex);
    let (status, body) = http(&server.addr, "GET", &path, b"");
    assert_eq!(status, 200);
    filter::decode(&body).unwrap()
}

#[test]
fn evaluations_verify_and_match_the_published_filter() {
    let server = start(10_000);
    admin(
        &server,
        "join tel:+12015550101\njoin mailto:bob@example.com\nhide tel:+12015550103\n",
    );
    let ids = [
        "tel:+12015550101",
        "mailto:bob@example.com",
        "tel:+12015550103",
        "tel:+12015550104",
    ];
    let keys = evaluate(&server, &ids);
    assert_eq!(keys.len(), 4);

    let FilterMessage::Full(mut state) = fetch_filter(&server, 0) else {
        panic!("a whole filter for since=0");
    };
    assert_eq!(state.key_id, server.key.id);
    let matched =
        |state: &FilterState| -> Vec<bool> { keys.iter().map(|k| state.contains(*k)).collect() };
    // Registered and discoverable; registered but hidden; not registered.
    assert_eq!(matched(&state), [true, true, false, false]);

    // A join and a leave reach a client holding the filter as a delta.
    admin(
        &server,
        "join tel:+12015550104\nleave mailto:bob@example.com\n",
    );
    let FilterMessage::Delta {
        key_id,
        from,
        to,
        joins,
        leaves,
    } = fetch_filter(&server, state.version)
    else {
        panic!("a delta since the held version");
    };
    assert_eq!((key_id, from), (server.key.id, state.version));
    state.apply(to, &joins, &leaves);
    assert_eq!(matched(&state), [true, false, false, true]);

    // Evaluation is deterministic under the key: the same identifier, the same filter key.
    assert_eq!(evaluate(&server, &["tel:+12015550104"]), [keys[3]]);
}

#[test]
fn refusals_and_malformed_requests() {
    let server = start(64);
    evaluate(&server, &["tel:+12015550101"]);
    // The budget of 64 is spent (padding counts): a typed refusal, with status 200.
    let (batch, request) = BlindBatch::new(&["tel:+12015550102"], 64, &server.key);
    let (status, body) = http(&server.addr, "POST", "/v1/evaluate", &request);
    assert_eq!(status, 200);
    match wire::decode_oprf_response(&body, &server.key.id, batch.len()).unwrap() {
        Answer::Refused(r) => assert_eq!(r.reason, RefusalReason::BudgetExceeded),
        Answer::Evaluated(_) => panic!("evaluated past the budget"),
    }
    // A malformed request is an HTTP 400 and the server survives it.
    assert_eq!(
        http(&server.addr, "POST", "/v1/evaluate", b"\x01\x01junk").0,
        400
    );
    assert_eq!(
        http(&server.addr, "GET", "/v1/filter?key=00&since=0", b"").0,
        404
    );
    assert_eq!(http(&server.addr, "GET", "/elsewhere", b"").0, 404);
    assert_eq!(
        http(&server.addr, "POST", "/admin/users", b"promote x\n").0,
        400
    );
    let path = format!("/v1/filter?key={}&since=0", server.key_hex);
    assert_eq!(http(&server.addr, "GET", &path, b"").0, 200);
}

#[test]
fn bad_arguments_print_the_usage_and_exit_2() {
    for args in [
        &["--port"][..],
        &["--port", "http"],
        &["--port", "65536"],
        &["--budget", "-5"],
        &["--verbose"],
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("usage: privacykit-discovery-server"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let help = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage:"));
}
