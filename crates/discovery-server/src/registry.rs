//! Registered users and the filter the server publishes for each key: a base filter rebuilt
//! now and then, and the joins and leaves since, served as deltas.

use std::collections::{BTreeMap, HashMap};

use privacykit_discovery_protocol::filter::{encode_delta, FilterState};
use privacykit_discovery_protocol::oprf::{filter_key, input};
use privacykit_discovery_protocol::wire::KeyId;

use crate::keys::ServerKey;
use crate::ServerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Join,
    Leave,
}

/// The filter of one key: the live state (base plus events) and the event log since the
/// base was built, by version.
pub(crate) struct Publisher {
    state: FilterState,
    base_version: u64,
    events: Vec<(u64, Event, u64)>,
}

impl Publisher {
    fn build(key_id: KeyId, version: u64, keys: &[u64]) -> Result<Self, ServerError> {
        Ok(Publisher {
            state: FilterState::build(key_id, version, keys)
                .map_err(|_| ServerError::FilterBuild)?,
            base_version: version,
            events: Vec::new(),
        })
    }

    fn record(&mut self, version: u64, event: Event, key: u64) {
        self.events.push((version, event, key));
        match event {
            Event::Join => self.state.apply(version, &[key], &[]),
            Event::Leave => self.state.apply(version, &[], &[key]),
        }
    }

    /// The answer to a client at `since`: a delta when `since` is on the current base, else
    /// the full filter.
    pub fn message(&self, since: u64) -> Vec<u8> {
        let version = self.state.version;
        // 0 asks for the whole filter (versions start at 1).
        if since == 0 || since < self.base_version || since > version {
            return self.state.encode();
        }
        // Net effect per key of the events after `since`: the last event wins.
        let mut net: BTreeMap<u64, Event> = BTreeMap::new();
        for (v, event, key) in &self.events {
            if *v > since {
                net.insert(*key, *event);
            }
        }
        let joins: Vec<u64> = net
            .iter()
            .filter(|(_, e)| **e == Event::Join)
            .map(|(k, _)| *k)
            .collect();
        let leaves: Vec<u64> = net
            .iter()
            .filter(|(_, e)| **e == Event::Leave)
            .map(|(k, _)| *k)
            .collect();
        encode_delta(&self.state.key_id, since, version, &joins, &leaves)
    }

    pub fn base_bytes(&self) -> usize {
        self.state.base_bytes()
    }
}

/// Registered users by normalized identifier, whether each is discoverable, and one
/// publisher per key in the ring. Users who opted out of discovery are never in a filter.
pub struct Registry {
    users: HashMap<String, bool>,
    /// Each user's filter key under each key id, computed once.
    keys: HashMap<KeyId, HashMap<String, u64>>,
    publishers: HashMap<KeyId, Publisher>,
    version: u64,
    /// Rebuild the base when this many events have piled up since it was built.
    rebuild_after: usize,
}

impl Registry {
    pub fn new() -> Self {
        Registry {
            users: HashMap::new(),
            keys: HashMap::new(),
            publishers: HashMap::new(),
            version: 1,
            rebuild_after: 4096,
        }
    }

    /// Rebuild the base filter after `events` joins and leaves (default 4,096).
    pub fn set_rebuild_after(&mut self, events: usize) {
        self.rebuild_after = events.max(1);
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn discoverable_count(&self) -> usize {
        self.users.values().filter(|d| **d).count()
    }

    fn filter_key_of(&mut self, key: &ServerKey, identifier: &str) -> u64 {
        let cache = self.keys.entry(key.id()).or_default();
        if let Some(k) = cache.get(identifier) {
            return *k;
        }
        let output = key
            .oprf()
            .evaluate(&input(identifier))
            .expect("inputs are non-empty and short");
        let k = filter_key(&output);
        cache.insert(identifier.to_owned(), k);
        k
    }

    /// (Re)builds the base filter of every key in `keys` from the discoverable users, and
    /// drops publishers of keys no longer listed.
    pub fn rebuild<'a>(
        &mut self,
        keys: impl Iterator<Item = &'a ServerKey>,
    ) -> Result<(), ServerError> {
        let keys: Vec<&ServerKey> = keys.collect();
        let members: Vec<String> = self
            .users
            .iter()
            .filter(|(_, d)| **d)
            .map(|(u, _)| u.clone())
            .collect();
        let mut publishers = HashMap::new();
        for key in &keys {
            let filter_keys: Vec<u64> =
                members.iter().map(|m| self.filter_key_of(key, m)).collect();
            publishers.insert(
                key.id(),
                Publisher::build(key.id(), self.version, &filter_keys)?,
            );
        }
        self.keys.retain(|id, _| publishers.contains_key(id));
        self.publishers = publishers;
        Ok(())
    }

    /// Sets a user's state: registered or not, discoverable or not. Only a change of
    /// membership in the published set becomes an event.
    pub fn set_user<'a>(
        &mut self,
        identifier: &str,
        registered: bool,
        discoverable: bool,
        keys: impl Iterator<Item = &'a ServerKey> + Clone,
    ) -> Result<(), ServerError> {
        let was = self.users.get(identifier).copied().unwrap_or(false);
        if registered {
            self.users.insert(identifier.to_owned(), discoverable);
        } else {
            self.users.remove(identifier);
        }
        let now = registered && discoverable;
        if was == now {
            return Ok(());
        }
        self.version += 1;
        let event = if now { Event::Join } else { Event::Leave };
        let mut rebuild = false;
        for key in keys.clone() {
            let k = self.filter_key_of(key, identifier);
            let version = self.version;
            if let Some(p) = self.publishers.get_mut(&key.id()) {
                p.record(version, event, k);
                rebuild |= p.events.len() >= self.rebuild_after;
            }
        }
        if !now {
            for cache in self.keys.values_mut() {
                cache.remove(identifier);
            }
        }
        if rebuild {
            self.rebuild(keys)?;
        }
        Ok(())
    }

    pub(crate) fn publisher(&self, key_id: &KeyId) -> Option<&Publisher> {
        self.publishers.get(key_id)
    }

    /// The identifiers of registered, discoverable users (hashed mode answers from these).
    pub fn discoverable(&self) -> impl Iterator<Item = &str> {
        self.users
            .iter()
            .filter(|(_, d)| **d)
            .map(|(u, _)| u.as_str())
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}
