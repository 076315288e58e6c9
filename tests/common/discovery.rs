//! Contact-discovery fixtures: an in-process server behind a transport that records every
//! byte the client sends, and can tamper with answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use privacykit::{
    Contact, ContactDiscovery, DiscoveryConfig, DiscoveryMode, DiscoveryTransport, OsPermission,
    PermissionStatus, PrivacyKit, TransportError,
};
use privacykit_discovery_server::{BudgetPolicy, DiscoveryServer, ServerKey};

use super::keys::MemoryKeystore;

/// Rewrites a response before the client sees it.
pub type Tamper = Box<dyn Fn(Vec<u8>) -> Vec<u8> + Send + Sync>;

pub struct LocalTransport {
    pub server: Arc<Mutex<DiscoveryServer>>,
    pub sent: Mutex<Vec<Vec<u8>>>,
    pub evaluations: AtomicUsize,
    pub filter_fetches: AtomicUsize,
    pub tamper: Mutex<Option<Tamper>>,
    pub now_ms: i64,
}

impl LocalTransport {
    pub fn new(server: DiscoveryServer) -> Arc<Self> {
        Arc::new(LocalTransport {
            server: Arc::new(Mutex::new(server)),
            sent: Mutex::new(Vec::new()),
            evaluations: AtomicUsize::new(0),
            filter_fetches: AtomicUsize::new(0),
            tamper: Mutex::new(None),
            now_ms: super::MAY_1_NOON,
        })
    }

    pub fn evaluations(&self) -> usize {
        self.evaluations.load(Ordering::SeqCst)
    }

    pub fn filter_fetches(&self) -> usize {
        self.filter_fetches.load(Ordering::SeqCst)
    }

    pub fn set_tamper(&self, tamper: Option<Tamper>) {
        *self.tamper.lock().unwrap() = tamper;
    }

    pub fn set_user(&self, identifier: &str, registered: bool, discoverable: bool) {
        self.server
            .lock()
            .unwrap()
            .set_user(identifier, registered, discoverable)
            .unwrap();
    }
}

impl DiscoveryTransport for LocalTransport {
    fn evaluate(&self, request: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.evaluations.fetch_add(1, Ordering::SeqCst);
        self.sent.lock().unwrap().push(request.clone());
        let body = self
            .server
            .lock()
            .unwrap()
            .evaluate("account-1", &request, self.now_ms)
            .body;
        Ok(match self.tamper.lock().unwrap().as_ref() {
            Some(tamper) => tamper(body),
            None => body,
        })
    }

    fn fetch_filter(&self, key_id: String, since_version: u64) -> Result<Vec<u8>, TransportError> {
        self.filter_fetches.fetch_add(1, Ordering::SeqCst);
        self.sent
            .lock()
            .unwrap()
            .push(format!("{key_id}/{since_version}").into_bytes());
        self.server
            .lock()
            .unwrap()
            .filter(&key_id, since_version)
            .ok_or(TransportError::Http { status: 404 })
    }
}

pub fn contact(id: &str, phones: &[&str], emails: &[&str]) -> Contact {
    Contact {
        id: id.into(),
        phones: phones.iter().map(|p| p.to_string()).collect(),
        emails: emails.iter().map(|e| e.to_string()).collect(),
    }
}

pub fn private_config(server_public_key: &[u8]) -> DiscoveryConfig {
    DiscoveryConfig {
        mode: DiscoveryMode::Private {
            server_public_key: server_public_key.to_vec(),
        },
        default_region: "US".into(),
    }
}

/// A server with a fresh key and the given budget.
pub fn server(policy: BudgetPolicy) -> (DiscoveryServer, [u8; 32]) {
    let key = ServerKey::generate();
    let public = key.public_key();
    (DiscoveryServer::new(key, policy), public)
}

/// Lets discovery run on `kit`: the policy accepted and the contacts permission granted
/// (contacts for service is a contract use in the test policy).
pub fn allow_contacts(kit: &PrivacyKit) {
    kit.accept_policy().unwrap();
    kit.record_permission_request(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
}

/// An in-memory kit that allows discovery, with a private-mode discovery over `transport`.
pub fn discovery(
    kit: &Arc<PrivacyKit>,
    public: &[u8],
    transport: &Arc<LocalTransport>,
) -> Arc<ContactDiscovery> {
    kit.clone()
        .discovery(
            private_config(public),
            Arc::new(MemoryKeystore::default()),
            transport.clone(),
        )
        .unwrap()
}
