//! End to end over a real socket: starts the reference server, the binary of
//! privacykit-discovery-server, on a loopback port and runs discovery through a transport
//! that speaks HTTP/1.1 to it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::discovery::*;
use common::keys::MemoryKeystore;
use common::*;
use privacykit::{DiscoveryTransport, TransportError};

/// The server binary, in the target directory this test was built into: target/<profile>.
/// Another package's binary, so this test cannot name it with `CARGO_BIN_EXE_*`; `.ci/test`
/// builds it first, and so does `cargo test --workspace` (for the server crate's own tests).
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent() // deps
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let binary = profile_dir.join(format!(
        "privacykit-discovery-server{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        binary.is_file(),
        "{} is missing: build it with cargo build -p privacykit-discovery-server",
        binary.display()
    );
    binary
}

struct RunningServer {
    child: Child,
    addr: String,
    public_key: Vec<u8>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(budget: u64) -> RunningServer {
    let mut child = Command::new(server_binary())
        .args(["--port", "0", "--budget", &budget.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the discovery server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "listening on 127.0.0.1:PORT key HEX"
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(parts[0..2], ["listening", "on"], "{line}");
    let public_key = (0..32)
        .map(|i| u8::from_str_radix(&parts[4][2 * i..2 * i + 2], 16).unwrap())
        .collect();
    RunningServer {
        child,
        addr: parts[2].to_owned(),
        public_key,
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, Vec<u8>), TransportError> {
    let unavailable = |e: std::io::Error| TransportError::Unavailable {
        reason: e.kind().to_string(),
    };
    let mut stream = TcpStream::connect(addr).map_err(unavailable)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-Account: e2e\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(unavailable)?;
    stream.write_all(body).map_err(unavailable)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(unavailable)?;
    let split =
        response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or(TransportError::Failed {
                reason: "no header end".into(),
            })?;
    let status: u16 = String::from_utf8_lossy(&response[9..12])
        .parse()
        .unwrap_or(0);
    Ok((status, response[split + 4..].to_vec()))
}

struct HttpTransport {
    addr: String,
}

impl DiscoveryTransport for HttpTransport {
    fn evaluate(&self, request: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        match http(&self.addr, "POST", "/v1/evaluate", &request)? {
            (200, body) => Ok(body),
            (status, _) => Err(TransportError::Http { status }),
        }
    }

    fn fetch_filter(&self, key_id: String, since_version: u64) -> Result<Vec<u8>, TransportError> {
        let path = format!("/v1/filter?key={key_id}&since={since_version}");
        match http(&self.addr, "GET", &path, b"")? {
            (200, body) => Ok(body),
            (status, _) => Err(TransportError::Http { status }),
        }
    }
}

fn admin(server: &RunningServer, lines: &str) {
    let (status, _) = http(&server.addr, "POST", "/admin/users", lines.as_bytes()).unwrap();
    assert_eq!(status, 200);
}

#[test]
fn discovery_over_http_against_the_reference_server() {
    let server = start(10_000);
    admin(
        &server,
        "join tel:+12015550101\njoin mailto:bob@example.com\nhide tel:+12015550103\n",
    );
    let kit = in_memory();
    allow_contacts(&kit);
    let discovery = kit
        .clone()
        .discovery(
            private_config(&server.public_key),
            Arc::new(MemoryKeystore::default()),
            Arc::new(HttpTransport {
                addr: server.addr.clone(),
            }),
        )
        .unwrap();
    let book = vec![
        contact("alice", &["+12015550101"], &[]),
        contact("bob", &["+12015550102"], &["bob@example.com"]),
        contact("carol", &["+12015550103"], &[]),
    ];
    let result = discovery.discover(book.clone()).unwrap();
    assert_eq!(result.matched, vec!["alice", "bob"]);
    assert_eq!(discovery.discover(book.clone()).unwrap().requests, 0);

    admin(&server, "join tel:+12015550103\n");
    let update = discovery.sync_filter().unwrap();
    assert_eq!(update.joined, vec!["carol"]);

    // A malformed request is an HTTP 400 the transport reports; the server survives it.
    assert_eq!(
        http(&server.addr, "POST", "/v1/evaluate", b"\x01\x01junk")
            .unwrap()
            .0,
        400
    );
    let (status, _) = http(&server.addr, "GET", "/v1/filter?key=00&since=0", b"").unwrap();
    assert_eq!(status, 404);
}

#[test]
fn the_budget_refusal_reaches_the_app_typed() {
    let server = start(64);
    let kit = in_memory();
    allow_contacts(&kit);
    let discovery = kit
        .clone()
        .discovery(
            private_config(&server.public_key),
            Arc::new(MemoryKeystore::default()),
            Arc::new(HttpTransport {
                addr: server.addr.clone(),
            }),
        )
        .unwrap();
    let book: Vec<_> = (0..100)
        .map(|i| contact(&format!("c{i}"), &[&format!("+1201555{i:04}")], &[]))
        .collect();
    assert!(matches!(
        discovery.discover(book),
        Err(privacykit::PrivacyError::DiscoveryBudgetExceeded { .. })
    ));
}
