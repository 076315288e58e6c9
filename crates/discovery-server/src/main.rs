//! `privacykit-discovery-server`: the reference contact-discovery server, the library's
//! `DiscoveryServer` over HTTP/1.1 on a loopback port, for end-to-end tests and as a model
//! for a real backend.
//!
//!   privacykit-discovery-server [--port N] [--budget N]
//!
//! Prints one line when ready: `listening on 127.0.0.1:PORT key <public key hex>`. Bad
//! arguments print the usage to stderr and exit with status 2.
//!
//! Endpoints (a real server adds TLS and its own account authentication in front):
//! - `POST /v1/evaluate` (header `X-Account: <id>` names the budget): body and answer are
//!   PrivacyKit wire messages; refusals (budget used up) come back as wire messages with
//!   status 200 so the client can type them.
//! - `GET /v1/filter?key=<key id hex>&since=<version>`: the filter, whole or as a delta.
//! - `POST /admin/users`: lines `join <id>`, `hide <id>` (registered, not discoverable),
//!   `leave <id>`, `rebuild`. For tests only; bound to loopback.
//!
//! Built on `tiny_http`: synchronous, a handful of small dependencies, no async runtime;
//! one request at a time is plenty for a reference server.

use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use privacykit_discovery_server::{BudgetPolicy, DiscoveryServer, ServerKey};
use tiny_http::{Header, Method, Response, Server};

/// Bodies above this are refused before they are read: 4,096 identifiers of 32 bytes plus
/// framing is well under it.
const MAX_BODY: u64 = 256 * 1024;

const USAGE: &str = "\
usage: privacykit-discovery-server [--port N] [--budget N]

  --port N     the loopback port to listen on (default 0: any free port)
  --budget N   evaluations each account may request up front (default 10000;
               100 more a day after its first request)
  --help       print this and exit";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve { port: u16, budget: BudgetPolicy },
    Help,
}

/// Reads the arguments (without the program name); the error says what is wrong.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut port = 0u16;
    let mut budget = BudgetPolicy::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let text = value("--port")?;
                port = text.parse().map_err(|_| {
                    format!("--port takes a port number (0 to 65535), not {text:?}")
                })?;
            }
            "--budget" => {
                let text = value("--budget")?;
                budget.upfront = text
                    .parse()
                    .map_err(|_| format!("--budget takes a whole number, not {text:?}"))?;
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Serve { port, budget })
}

fn main() -> ExitCode {
    let (port, budget) = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Serve { port, budget }) => (port, budget),
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("privacykit-discovery-server: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::http(("127.0.0.1", port)) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("privacykit-discovery-server: cannot listen on 127.0.0.1:{port}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let key = ServerKey::generate();
    let public: String = key
        .public_key()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut discovery = DiscoveryServer::new(key, budget);
    let addr = server.server_addr().to_ip().expect("an IP address");
    println!("listening on {addr} key {public}");

    for mut request in server.incoming_requests() {
        let (status, body) = handle(&mut discovery, &mut request);
        let response = Response::from_data(body)
            .with_status_code(status)
            .with_header(
                Header::from_bytes("Content-Type", "application/octet-stream").expect("header"),
            );
        if let Err(err) = request.respond(response) {
            eprintln!("privacykit-discovery-server: could not answer: {err}");
        }
    }
    ExitCode::SUCCESS
}

fn handle(discovery: &mut DiscoveryServer, request: &mut tiny_http::Request) -> (u16, Vec<u8>) {
    if request.body_length().unwrap_or(0) as u64 > MAX_BODY {
        return (413, b"request too large".to_vec());
    }
    let mut body = Vec::new();
    if request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .is_err()
        || body.len() as u64 > MAX_BODY
    {
        return (400, b"unreadable body".to_vec());
    }
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    match (request.method(), path) {
        (Method::Post, "/v1/evaluate") => {
            let account = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("X-Account"))
                .map(|h| h.value.as_str().to_owned())
                .unwrap_or_else(|| "anonymous".into());
            let evaluation = discovery.evaluate(&account, &body, now_ms());
            // Refusals travel as wire messages the client types; only malformed requests
            // get an HTTP error as well.
            let status = match evaluation.refused {
                Some(why) if why != "budget exceeded" && why != "unknown key" => 400,
                _ => 200,
            };
            (status, evaluation.body)
        }
        (Method::Get, "/v1/filter") => {
            let param = |name: &str| {
                query
                    .split('&')
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_owned())
            };
            let since = param("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            match param("key").and_then(|k| discovery.filter(&k, since)) {
                Some(bytes) => (200, bytes),
                None => (404, b"unknown key".to_vec()),
            }
        }
        (Method::Post, "/admin/users") => {
            let Ok(text) = String::from_utf8(body) else {
                return (400, b"not text".to_vec());
            };
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let (verb, id) = line.split_once(' ').unwrap_or((line, ""));
                let result = match verb {
                    "join" => discovery.set_user(id, true, true),
                    "hide" => discovery.set_user(id, true, false),
                    "leave" => discovery.set_user(id, false, false),
                    "rebuild" => discovery.rebuild_filters(),
                    _ => return (400, b"unknown verb".to_vec()),
                };
                if result.is_err() {
                    return (500, b"could not apply".to_vec());
                }
            }
            (200, b"ok".to_vec())
        }
        _ => (404, b"not found".to_vec()),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn arguments_are_read_or_refused_with_a_reason() {
        assert_eq!(
            parse(&[]),
            Ok(Command::Serve {
                port: 0,
                budget: BudgetPolicy::default()
            })
        );
        assert_eq!(
            parse(&["--budget", "64", "--port", "8080"]),
            Ok(Command::Serve {
                port: 8080,
                budget: BudgetPolicy {
                    upfront: 64,
                    ..BudgetPolicy::default()
                }
            })
        );
        assert_eq!(parse(&["--port", "1", "--help"]), Ok(Command::Help));
        for (args, problem) in [
            (&["--port"][..], "--port needs a value"),
            (&["--port", "70000"], "--port takes a port number"),
            (&["--port", "-1"], "--port takes a port number"),
            (&["--budget", "lots"], "--budget takes a whole number"),
            (&["--verbose"], "unknown argument"),
            (&["8080"], "unknown argument"),
        ] {
            let err = parse(args).unwrap_err();
            assert!(err.starts_with(problem), "{args:?}: {err}");
        }
    }
}
