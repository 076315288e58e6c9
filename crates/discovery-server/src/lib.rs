#![doc = include_str!("../README.md")]

mod budget;
mod keys;
mod registry;

use std::collections::HashSet;

use privacykit_discovery_protocol::hashed::HashKey;
use privacykit_discovery_protocol::oprf::key_id;
use privacykit_discovery_protocol::wire::{
    self, Refusal, RefusalReason, KIND_HASHED_REQUEST, KIND_OPRF_REQUEST,
};
use privacykit_oprf::Elements;
use rand_core::OsRng;

pub use budget::{BudgetPolicy, Budgets};
pub use keys::{KeyRing, ServerKey};
pub use registry::Registry;

/// What can go wrong setting a server up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerError {
    #[error("not a valid OPRF private key")]
    InvalidKey,
    #[error("the hashing key must have 16 to 64 bytes and the hash 4 to 32")]
    InvalidHashKey,
    #[error("the filter could not be built")]
    FilterBuild,
}

/// A discovery server: keys, budgets and registered users.
pub struct DiscoveryServer {
    ring: KeyRing,
    budgets: Budgets,
    registry: Registry,
    hashed: Option<HashKey>,
}

/// The answer to an evaluation request, and whether it was a well-formed one (for the HTTP
/// status a server chooses).
pub struct Evaluation {
    pub body: Vec<u8>,
    pub refused: Option<&'static str>,
}

impl DiscoveryServer {
    pub fn new(key: ServerKey, policy: BudgetPolicy) -> Self {
        let mut server = DiscoveryServer {
            ring: KeyRing::new(key),
            budgets: Budgets::new(policy),
            registry: Registry::new(),
            hashed: None,
        };
        server
            .registry
            .rebuild(server.ring.keys())
            .expect("an empty filter always builds");
        server
    }

    /// Also answers hashed-mode requests, with this per-app key and hash length.
    pub fn enable_hashed_mode(&mut self, key: Vec<u8>, hash_len: u8) -> Result<(), ServerError> {
        self.hashed = Some(HashKey::new(key, hash_len).ok_or(ServerError::InvalidHashKey)?);
        Ok(())
    }

    pub fn keys(&self) -> &KeyRing {
        &self.ring
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Registers or updates a user (a normalized identifier).
    pub fn set_user(
        &mut self,
        identifier: &str,
        registered: bool,
        discoverable: bool,
    ) -> Result<(), ServerError> {
        self.registry
            .set_user(identifier, registered, discoverable, self.ring.keys())
    }

    /// Rotates to `next`; the previous key keeps answering and keeps its filter.
    pub fn rotate_key(&mut self, next: ServerKey) -> Result<(), ServerError> {
        self.ring.rotate(next);
        self.registry.rebuild(self.ring.keys())
    }

    /// Stops serving the previous key and its filter.
    pub fn retire_previous_key(&mut self) -> Result<(), ServerError> {
        self.ring.retire_previous();
        self.registry.rebuild(self.ring.keys())
    }

    /// Rebuilds every base filter now (deltas restart from the current version).
    pub fn rebuild_filters(&mut self) -> Result<(), ServerError> {
        self.registry.rebuild(self.ring.keys())
    }

    /// Evaluates a request for `account`, charging its budget.
    pub fn evaluate(&mut self, account: &str, request: &[u8], now_ms: i64) -> Evaluation {
        let refuse = |reason, why| Evaluation {
            body: wire::encode_refusal(Refusal {
                reason,
                retry_after_seconds: 0,
            }),
            refused: Some(why),
        };
        match request.get(1) {
            Some(&KIND_OPRF_REQUEST) => {}
            Some(&KIND_HASHED_REQUEST) => return self.evaluate_hashed(account, request, now_ms),
            _ => return refuse(RefusalReason::BadRequest, "not an evaluation request"),
        }
        let parsed = match wire::decode_oprf_request(request) {
            Ok(parsed) => parsed,
            Err(e) => return refuse(RefusalReason::BadRequest, e.0),
        };
        let Some(key) = self.ring.get(&parsed.key_id) else {
            return refuse(RefusalReason::UnknownKey, "unknown key");
        };
        let blinded = match Elements::parse(&parsed.elements) {
            Ok(blinded) => blinded,
            Err(_) => return refuse(RefusalReason::BadRequest, "not a group element"),
        };
        if let Err(retry) = self.budgets.charge(account, blinded.len() as u64, now_ms) {
            return Evaluation {
                body: wire::encode_refusal(Refusal {
                    reason: RefusalReason::BudgetExceeded,
                    retry_after_seconds: retry,
                }),
                refused: Some("budget exceeded"),
            };
        }
        let (elements, proof) = key
            .oprf()
            .blind_evaluate(&blinded, &mut OsRng)
            .expect("the batch is at most 4096 elements");
        Evaluation {
            body: wire::encode_oprf_response(&parsed.key_id, &elements, &proof.to_bytes()),
            refused: None,
        }
    }

    fn evaluate_hashed(&mut self, account: &str, request: &[u8], now_ms: i64) -> Evaluation {
        let refuse = |reason, retry, why| Evaluation {
            body: wire::encode_refusal(Refusal {
                reason,
                retry_after_seconds: retry,
            }),
            refused: Some(why),
        };
        let Some(key) = &self.hashed else {
            return refuse(RefusalReason::BadRequest, 0, "hashed mode is off");
        };
        let parsed = match wire::decode_hashed_request(request) {
            Ok(parsed) => parsed,
            Err(e) => return refuse(RefusalReason::BadRequest, 0, e.0),
        };
        if parsed.hash_len != key.len {
            return refuse(RefusalReason::UnknownKey, 0, "another hash length");
        }
        if let Err(retry) = self
            .budgets
            .charge(account, parsed.hashes.len() as u64, now_ms)
        {
            return refuse(RefusalReason::BudgetExceeded, retry, "budget exceeded");
        }
        let registered: HashSet<Vec<u8>> =
            self.registry.discoverable().map(|u| key.hash(u)).collect();
        let matches: Vec<bool> = parsed
            .hashes
            .iter()
            .map(|h| registered.contains(*h))
            .collect();
        Evaluation {
            body: wire::encode_hashed_response(&matches),
            refused: None,
        }
    }

    /// The filter for the key with hex id `key_id` as of `since` (0: full filter). `None`
    /// for an unknown key.
    pub fn filter(&self, key_id_hex: &str, since: u64) -> Option<Vec<u8>> {
        let id = self
            .ring
            .keys()
            .map(|k| k.id())
            .find(|id| keys::hex(id) == key_id_hex)?;
        Some(self.registry.publisher(&id)?.message(since))
    }

    /// Bytes of the current key's base filter (for benchmarks and reports).
    pub fn filter_bytes(&self) -> usize {
        self.registry
            .publisher(&self.ring.current().id())
            .map_or(0, |p| p.base_bytes())
    }

    /// Evaluations `account` may still request now.
    pub fn remaining_budget(&self, account: &str, now_ms: i64) -> u64 {
        self.budgets.remaining(account, now_ms)
    }
}

/// The hex form of a key id, as `fetch_filter` passes it.
pub fn key_id_hex(public_key: &[u8]) -> String {
    keys::hex(&key_id(public_key))
}
