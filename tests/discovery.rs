//! Contact discovery through the public API, against privacykit-discovery-server's server in
//! process: matching, incremental runs, joined/left events from filter deltas, consent
//! binding, budgets, key rotation, hashed mode and hostile responses.

mod common;

use std::sync::Arc;

use common::discovery::*;
use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    DecisionReason, DiscoveryConfig, DiscoveryMode, Platform, PrivacyError, PrivacyKit,
};
use privacykit_discovery_server::{BudgetPolicy, ServerKey};

fn kit() -> Arc<PrivacyKit> {
    let kit = in_memory();
    allow_contacts(&kit);
    kit
}

fn book() -> Vec<privacykit::Contact> {
    vec![
        contact("alice", &["+12015550101"], &[]),
        contact("bob", &["+12015550102"], &["bob@example.com"]),
        contact("carol", &["+12015550103"], &[]),
        contact("dave", &["+12015550104", "not a number"], &[]),
    ]
}

#[test]
fn finds_registered_contacts_and_caches_the_answers() {
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550101", true, true);
    transport.set_user("mailto:bob@example.com", true, true);
    transport.set_user("tel:+12015550103", true, false); // registered, opted out of discovery
    let kit = kit();
    let discovery = discovery(&kit, &public, &transport);

    let first = discovery.discover(book()).unwrap();
    assert_eq!(first.matched, vec!["alice", "bob"]);
    assert_eq!((first.identifiers, first.skipped), (5, 1));
    assert_eq!((first.evaluated, first.cached, first.padding), (5, 0, 59));
    assert_eq!(first.requests, 1);
    assert_eq!(first.bytes_sent, 12 + 64 * 32);
    assert_eq!(transport.filter_fetches(), 1);

    // Unchanged: nothing is sent at all.
    let sent_before = transport.sent.lock().unwrap().len();
    let again = discovery.discover(book()).unwrap();
    assert_eq!(again.matched, first.matched);
    assert_eq!((again.evaluated, again.cached, again.requests), (0, 5, 0));
    assert_eq!(transport.sent.lock().unwrap().len(), sent_before);

    // One new number and one contact renamed in the app: only the number is evaluated.
    let mut changed = book();
    changed[2].phones.push("+12015550109".into());
    changed[0].id = "alice-2".into();
    transport.set_user("tel:+12015550109", true, true);
    // The join reaches the client through the filter; nothing cached matched it yet.
    assert!(discovery.sync_filter().unwrap().joined.is_empty());
    let third = discovery.discover(changed).unwrap();
    assert_eq!((third.evaluated, third.cached), (1, 5));
    assert_eq!(third.matched, vec!["alice-2", "bob", "carol"]);

    // A contact deleted from the book leaves the cache.
    let smaller: Vec<_> = book().into_iter().take(1).collect();
    discovery.discover(smaller).unwrap();
    assert_eq!(discovery.summary().unwrap().cached_identifiers, 1);
}

#[test]
fn joins_and_leaves_arrive_as_deltas_without_evaluation() {
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550101", true, true);
    let kit = kit();
    let discovery = discovery(&kit, &public, &transport);
    assert_eq!(discovery.discover(book()).unwrap().matched, vec!["alice"]);
    let evaluations = transport.evaluations();

    transport.set_user("tel:+12015550103", true, true); // carol joins
    transport.set_user("tel:+12015550101", false, false); // alice deletes her account
    transport.set_user("tel:+15559999999", true, true); // a stranger joins
    let update = discovery.sync_filter().unwrap();
    assert_eq!(update.joined, vec!["carol"]);
    assert_eq!(update.left, vec!["alice"]);
    assert!(!update.full, "a delta");
    assert!(update.bytes_received < 100, "{}", update.bytes_received);
    assert_eq!(
        transport.evaluations(),
        evaluations,
        "no evaluation request"
    );

    // Going undiscoverable is a leave too; a rebuilt base is sent whole when the client's
    // version is older than it.
    transport.set_user("tel:+12015550103", true, false);
    transport.server.lock().unwrap().rebuild_filters().unwrap();
    transport.set_user("tel:+12015550102", true, true);
    let update = discovery.sync_filter().unwrap();
    assert_eq!(update.left, vec!["carol"]);
    assert_eq!(update.joined, vec!["bob"]);
    let nothing = discovery.sync_filter().unwrap();
    assert!(nothing.joined.is_empty() && nothing.left.is_empty());
    assert_eq!(discovery.discover(book()).unwrap().matched, vec!["bob"]);
    assert_eq!(transport.evaluations(), evaluations);
}

#[test]
fn runs_only_while_the_guard_allows_contacts_for_service() {
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    let kit = in_memory();
    kit.accept_policy().unwrap();
    let discovery = discovery(&kit, &public, &transport);
    let err = discovery.discover(book()).unwrap_err();
    assert_eq!(
        err,
        PrivacyError::NotPermitted {
            reason: DecisionReason::OsPermissionNotRequested {
                permission: privacykit::OsPermission::Contacts
            }
        }
    );
    assert!(discovery.sync_filter().is_err());
    assert!(
        transport.sent.lock().unwrap().is_empty(),
        "nothing was sent"
    );
}

/// A policy where contacts for service rests on consent, so it can be withdrawn.
fn consent_policy() -> String {
    policy_version(
        1,
        Some((
            r#"{ "category": "contacts", "purpose": "service", "legal_basis": "contract" }"#,
            r#"{ "category": "contacts", "purpose": "service", "legal_basis": "consent" }"#,
        )),
    )
}

#[test]
fn withdrawing_consent_erases_the_cache_in_the_same_transaction() {
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550101", true, true);
    let mut config = config(None, Platform::Android);
    config.policy_json = consent_policy();
    let kit = PrivacyKit::open(config).unwrap();
    allow_contacts(&kit);
    kit.grant_consent("service".into(), Some("contacts".into()))
        .unwrap();
    let discovery = discovery(&kit, &public, &transport);
    discovery.discover(book()).unwrap();
    assert_eq!(discovery.summary().unwrap().cached_identifiers, 5);

    kit.withdraw_consent("service".into(), Some("contacts".into()))
        .unwrap();
    let summary = discovery.summary().unwrap();
    assert_eq!(summary.cached_identifiers, 0);
    assert_eq!(summary.mode, None, "state and filter gone too");
    assert!(matches!(
        discovery.discover(book()),
        Err(PrivacyError::NotPermitted {
            reason: DecisionReason::ConsentWithdrawn
        })
    ));
}

#[test]
fn over_budget_is_a_typed_refusal_that_keeps_earlier_answers() {
    let (server, public) = server(BudgetPolicy {
        upfront: 4096,
        per_day: 100,
    });
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550107", true, true);
    let kit = kit();
    let discovery = discovery(&kit, &public, &transport);
    let big: Vec<_> = (0..5000)
        .map(|i| contact(&format!("c{i}"), &[&format!("+1201555{i:04}")], &[]))
        .collect();
    let err = discovery.discover(big.clone()).unwrap_err();
    assert_eq!(
        err,
        PrivacyError::DiscoveryBudgetExceeded {
            retry_after_seconds: 10 * 86_400
        }
    );
    // The first request (4,096 identifiers) was answered and kept; the second (904 padded
    // to 960) needs 10 more days at 100 a day.
    assert_eq!(discovery.summary().unwrap().cached_identifiers, 4096);
    assert_eq!(discovery.summary().unwrap().matched_identifiers, 1);
}

#[test]
fn a_rotated_key_keeps_answering_until_retired() {
    let (server, old_public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550101", true, true);
    let new_key = ServerKey::generate();
    let new_public = new_key.public_key();
    transport
        .server
        .lock()
        .unwrap()
        .rotate_key(new_key)
        .unwrap();

    let old_kit = kit();
    let old = discovery(&old_kit, &old_public, &transport);
    assert_eq!(old.discover(book()).unwrap().matched, vec!["alice"]);
    let new_kit = kit();
    let new = discovery(&new_kit, &new_public, &transport);
    assert_eq!(new.discover(book()).unwrap().matched, vec!["alice"]);

    transport
        .server
        .lock()
        .unwrap()
        .retire_previous_key()
        .unwrap();
    let stale_kit = kit();
    let stale = discovery(&stale_kit, &old_public, &transport);
    assert!(stale.discover(book()).is_err());
}

#[test]
fn hashed_mode_matches_through_truncated_keyed_hashes() {
    let (mut server, _) = server(BudgetPolicy::default());
    let app_key = vec![7u8; 32];
    server.enable_hashed_mode(app_key.clone(), 12).unwrap();
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550102", true, true);
    let kit = kit();
    let discovery = kit
        .clone()
        .discovery(
            DiscoveryConfig {
                mode: DiscoveryMode::Hashed {
                    key: app_key,
                    hash_bytes: 12,
                },
                default_region: "US".into(),
            },
            Arc::new(MemoryKeystore::default()),
            transport.clone(),
        )
        .unwrap();
    let result = discovery.discover(book()).unwrap();
    assert_eq!(result.matched, vec!["bob"]);
    assert_eq!(result.bytes_sent, 5 + 64 * 12);
    assert_eq!(discovery.discover(book()).unwrap().requests, 0);
    assert!(discovery.sync_filter().is_err(), "no filter in hashed mode");
    assert_eq!(discovery.purge_cache_older_than(i64::MAX).unwrap(), 5);
    assert_eq!(discovery.discover(book()).unwrap().evaluated, 5);
}

#[test]
fn bad_configuration_is_refused() {
    let (server, _) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    let kit = kit();
    let keys = Arc::new(MemoryKeystore::default());
    // Each with the field the error names.
    for (mode, region, field) in [
        (
            DiscoveryMode::Private {
                server_public_key: vec![0; 32],
            },
            "US",
            "server_public_key",
        ),
        (
            DiscoveryMode::Hashed {
                key: vec![1; 4],
                hash_bytes: 8,
            },
            "US",
            "mode",
        ),
        (
            DiscoveryMode::Private {
                server_public_key: ServerKey::generate().public_key().to_vec(),
            },
            "USA",
            "region",
        ),
    ] {
        let config = DiscoveryConfig {
            mode,
            default_region: region.into(),
        };
        match kit
            .clone()
            .discovery(config, keys.clone(), transport.clone())
        {
            Err(PrivacyError::InvalidArgument { field: named, .. }) => assert_eq!(named, field),
            other => panic!("{field}: {:?}", other.err()),
        }
    }
    let discovery = discovery(&kit, &ServerKey::generate().public_key(), &transport);
    let too_many = vec![contact("x", &["+12015550101"; 65], &[])];
    assert!(matches!(
        discovery.discover(too_many),
        Err(PrivacyError::InvalidArgument { .. })
    ));
}

/// Each hostile answer gives a typed error, no panic, and records no match.
#[test]
fn hostile_responses_are_typed_errors_and_record_nothing() {
    type Case = (&'static str, Box<dyn Fn(Vec<u8>) -> Vec<u8> + Send + Sync>);
    let other_key = ServerKey::generate();
    let cases: Vec<Case> = vec![
        ("empty", Box::new(|_| Vec::new())),
        ("truncated", Box::new(|b| b[..b.len() / 2].to_vec())),
        ("one byte short", Box::new(|b| b[..b.len() - 1].to_vec())),
        (
            "trailing byte",
            Box::new(|mut b| {
                b.push(0);
                b
            }),
        ),
        (
            "oversized",
            Box::new(|mut b| {
                b.extend(vec![0u8; 1 << 20]);
                b
            }),
        ),
        (
            "wrong count",
            Box::new(|mut b| {
                b[10..12].copy_from_slice(&128u16.to_be_bytes());
                b
            }),
        ),
        (
            "wrong key id",
            Box::new(|mut b| {
                b[2] ^= 1;
                b
            }),
        ),
        (
            "flipped proof",
            Box::new(|mut b| {
                let n = b.len();
                b[n - 40] ^= 1;
                b
            }),
        ),
        (
            "swapped elements",
            Box::new(|mut b| {
                let (x, y) = (12..44, 44..76);
                let first: Vec<u8> = b[x.clone()].to_vec();
                b.copy_within(y.clone(), x.start);
                b[y].copy_from_slice(&first);
                b
            }),
        ),
        (
            "invalid point",
            Box::new(|mut b| {
                b[12..44].copy_from_slice(&[0xff; 32]);
                b
            }),
        ),
        (
            "identity point",
            Box::new(|mut b| {
                b[12..44].copy_from_slice(&[0; 32]);
                b
            }),
        ),
        (
            "another version",
            Box::new(|mut b| {
                b[0] = 9;
                b
            }),
        ),
        (
            "a refusal with an unknown reason",
            Box::new(|_| vec![1, 0xE0, 9, 0, 0, 0, 0]),
        ),
        (
            "a filter instead",
            Box::new(|b| {
                let mut f = vec![1, 0x91];
                f.extend_from_slice(&b[2..10]);
                f.extend_from_slice(&[0; 24]);
                f
            }),
        ),
    ];
    // Another server's honest answer, under a key the app did not pin.
    let (other_server, _) = {
        let public = other_key.public_key();
        (
            privacykit_discovery_server::DiscoveryServer::new(other_key, BudgetPolicy::default()),
            public,
        )
    };
    let other = Arc::new(std::sync::Mutex::new(other_server));
    for (name, tamper) in cases {
        let (server, public) = server(BudgetPolicy::default());
        let transport = LocalTransport::new(server);
        transport.set_user("tel:+12015550101", true, true);
        transport.set_tamper(Some(tamper));
        let kit = kit();
        let discovery = discovery(&kit, &public, &transport);
        let err = discovery.discover(book()).unwrap_err();
        assert!(
            matches!(
                err,
                PrivacyError::DiscoveryBadResponse { .. }
                    | PrivacyError::DiscoveryServerKeyMismatch
            ),
            "{name}: {err:?}"
        );
        let summary = discovery.summary().unwrap();
        assert_eq!(summary.cached_identifiers, 0, "{name}");
        assert_eq!(summary.matched_identifiers, 0, "{name}");
    }

    // A whole answer from a server holding another key: the proof fails against the pin.
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    let other_for_tamper = other.clone();
    transport.set_tamper(Some(Box::new(move |b| {
        let mut other = other_for_tamper.lock().unwrap();
        // The request is not visible here; evaluate a fresh request of the same size and
        // splice in the real key id so only the proof can tell.
        let id = b[2..10].to_vec();
        let n = u16::from_be_bytes([b[10], b[11]]) as usize;
        let mut request = vec![1, 0x01];
        request.extend_from_slice(&other.keys().current().id());
        request.extend_from_slice(&(n as u16).to_be_bytes());
        request.extend_from_slice(&b[12..12 + n * 32]);
        let mut answer = other.evaluate("x", &request, 0).body;
        if answer.len() > 10 {
            answer[2..10].copy_from_slice(&id);
        }
        answer
    })));
    let kit = kit();
    let discovery = discovery(&kit, &public, &transport);
    assert_eq!(
        discovery.discover(book()).unwrap_err(),
        PrivacyError::DiscoveryServerKeyMismatch
    );
    assert_eq!(discovery.summary().unwrap().cached_identifiers, 0);
}

#[test]
fn hostile_filters_are_typed_errors() {
    let (server, public) = server(BudgetPolicy::default());
    let transport = Arc::new(BadFilter(LocalTransport::new(server)));
    let kit = kit();
    let discovery = kit
        .clone()
        .discovery(
            private_config(&public),
            Arc::new(MemoryKeystore::default()),
            transport.clone(),
        )
        .unwrap();
    let err = discovery.discover(book()).unwrap_err();
    assert!(
        matches!(err, PrivacyError::DiscoveryBadResponse { .. }),
        "{err:?}"
    );
    assert_eq!(transport.0.evaluations(), 0);
}

/// Answers every filter fetch with a filter whose shape would index out of bounds.
struct BadFilter(Arc<LocalTransport>);

impl privacykit::DiscoveryTransport for BadFilter {
    fn evaluate(&self, request: Vec<u8>) -> Result<Vec<u8>, privacykit::TransportError> {
        self.0.evaluate(request)
    }

    fn fetch_filter(
        &self,
        key_id: String,
        since_version: u64,
    ) -> Result<Vec<u8>, privacykit::TransportError> {
        let mut bytes = self.0.fetch_filter(key_id, since_version)?;
        // An empty base with a shape claiming 2^31 slots.
        bytes[26..30].copy_from_slice(&(1u32 << 31).to_be_bytes());
        Ok(bytes)
    }
}

/// A transport that calls back into PrivacyKit while answering: it would deadlock if the
/// transport were called with PrivacyKit's lock held.
struct Reentrant {
    inner: Arc<LocalTransport>,
    kit: std::sync::Mutex<Option<Arc<PrivacyKit>>>,
}

impl privacykit::DiscoveryTransport for Reentrant {
    fn evaluate(&self, request: Vec<u8>) -> Result<Vec<u8>, privacykit::TransportError> {
        let kit = self.kit.lock().unwrap().clone().unwrap();
        assert!(kit.consent_state().unwrap().ledger_length > 0);
        kit.flush().unwrap();
        self.inner.evaluate(request)
    }

    fn fetch_filter(
        &self,
        key_id: String,
        since_version: u64,
    ) -> Result<Vec<u8>, privacykit::TransportError> {
        let kit = self.kit.lock().unwrap().clone().unwrap();
        assert!(kit.policy().is_ok());
        self.inner.fetch_filter(key_id, since_version)
    }
}

#[test]
fn the_transport_may_call_back_into_privacykit() {
    let (server, public) = server(BudgetPolicy::default());
    let inner = LocalTransport::new(server);
    inner.set_user("tel:+12015550101", true, true);
    let kit = kit();
    let transport = Arc::new(Reentrant {
        inner,
        kit: std::sync::Mutex::new(Some(kit.clone())),
    });
    let discovery = kit
        .clone()
        .discovery(
            private_config(&public),
            Arc::new(MemoryKeystore::default()),
            transport.clone(),
        )
        .unwrap();
    assert_eq!(discovery.discover(book()).unwrap().matched, vec!["alice"]);
    assert!(discovery.sync_filter().unwrap().joined.is_empty());
    transport.kit.lock().unwrap().take();
}

#[test]
fn numbers_and_emails_are_normalized_before_use() {
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550101", true, true);
    transport.set_user("tel:+442079460018", true, true);
    transport.set_user("mailto:bob@example.com", true, true);
    let kit = kit();
    let discovery = discovery(&kit, &public, &transport);
    let result = discovery
        .discover(vec![
            contact("national", &["(201) 555-0101"], &[]),
            contact("foreign", &["+44 20 7946 0018"], &[]),
            contact("email", &[], &["  Bob@Example.COM "]),
            contact("junk", &["12", "call me"], &["not-an-email"]),
        ])
        .unwrap();
    assert_eq!(result.matched, vec!["email", "foreign", "national"]);
    assert_eq!((result.identifiers, result.skipped), (3, 3));
}
