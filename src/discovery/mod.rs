//! Private contact discovery: which of the user's contacts use the app, without the address
//! book leaving the device.
//!
//! Two modes. **Private** (recommended): each normalized identifier goes through an oblivious
//! PRF (RFC 9497, ristretto255-SHA512, verifiable) with the server's key, whose public half
//! the app pins; the output is looked up in a filter of registered, discoverable users that
//! the server publishes. The server sees only random group elements, and the filter holds
//! only PRF outputs. **Hashed**, for backends that only accept hashes: a truncated
//! HMAC-SHA-256 under a per-app key, which the server (and anyone who extracts the key from
//! the app) can reverse by enumerating phone numbers; see the `hashed` module of
//! privacykit-discovery-protocol.
//!
//! Incremental: results are cached on the device (`cache.rs`), so only new or changed
//! identifiers are sent, and "contact joined" comes from filter deltas with no request.
//!
//! The core never talks to the network: it hands request bytes to the app's
//! `DiscoveryTransport` and parses what comes back. The transport is called without
//! PrivacyKit's lock held (it may call back into PrivacyKit); results are committed under the
//! lock again, after checking that the guard still allows `contacts` for `service`.

pub(crate) mod cache;
pub(crate) mod transport;

// What client and server share is the privacykit-discovery-protocol crate; `cache.rs` reads
// its rows with `wire::Reader` through this import.
use privacykit_discovery_protocol::{filter, hashed, normalize, oprf, wire};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use rusqlite::Connection;

pub use cache::DiscoverySummary;
use cache::{CacheKey, Entry, Row, CACHE_KEY_LABEL};
use cache::{DISCOVERY_CATEGORY, DISCOVERY_PURPOSE};
use filter::{FilterMessage, FilterState};
use hashed::HashKey;
use oprf::{BlindBatch, FinalizeError, PinnedKey};
pub use transport::{DiscoveryTransport, TransportError};
use wire::{Answer, RefusalReason, WireError, MAX_BATCH, PAD_TO};

use crate::engine::{Engine, Locked};
use crate::error::{Error, Result};
use crate::privacy_error::{guarded, PrivacyError};

const MAX_CONTACTS: usize = 100_000;
const MAX_ENTRIES_PER_CONTACT: usize = 64;
const MAX_FIELD_BYTES: usize = 256;

/// How discovery talks to the server.
#[derive(Clone, uniffi::Enum)]
pub enum DiscoveryMode {
    /// Oblivious PRF (the default to choose): the server never sees an identifier. Pins the
    /// server's 32-byte ristretto255 public key, so the server cannot single a user out with
    /// another key.
    Private { server_public_key: Vec<u8> },
    /// Truncated HMAC-SHA-256 under a per-app key from the server (16 to 64 bytes), for
    /// backends that only accept hashes. The server can reverse these hashes: use only when
    /// the backend cannot do private mode.
    Hashed { key: Vec<u8>, hash_bytes: u8 },
}

impl fmt::Debug for DiscoveryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryMode::Private { .. } => f.write_str("Private"),
            DiscoveryMode::Hashed { hash_bytes, .. } => {
                write!(f, "Hashed {{ key: <redacted>, hash_bytes: {hash_bytes} }}")
            }
        }
    }
}

/// Discovery's settings.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DiscoveryConfig {
    pub mode: DiscoveryMode,
    /// The region numbers without a country code are read in (ISO 3166 alpha-2, e.g. "US"),
    /// usually the SIM's or the device's.
    pub default_region: String,
}

/// One address-book entry. Only what identifies a person to the server is passed: phone
/// numbers and emails. Never names: a name is not needed to find someone, and what is never
/// handed to PrivacyKit cannot leak from it.
#[derive(Clone, uniffi::Record)]
pub struct Contact {
    /// The app's stable id for the contact (e.g. Android's lookup key, iOS's identifier);
    /// matches are reported by it.
    pub id: String,
    /// As the user typed them; normalized to E.164 before use.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contact")
            .field("phones", &self.phones.len())
            .field("emails", &self.emails.len())
            .finish_non_exhaustive()
    }
}

/// What one discovery run found and what it cost.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DiscoveryResult {
    /// App-side ids of contacts with at least one identifier that matches a registered,
    /// discoverable user, sorted. A private-mode match is wrong with probability 2^-16
    /// (the filter's false-positive rate).
    pub matched: Vec<String>,
    pub contacts: u32,
    /// Distinct normalized identifiers in the address book.
    pub identifiers: u32,
    /// Phone numbers and emails that could not be normalized (not sent).
    pub skipped: u32,
    /// Identifiers sent for evaluation in this run.
    pub evaluated: u32,
    /// Identifiers answered from the cache, with no request.
    pub cached: u32,
    /// Random identifiers added so each request is a multiple of 64.
    pub padding: u32,
    pub requests: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// What a filter sync changed: "contact joined" and "contact left" events.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FilterUpdate {
    /// Contacts that match now and did not before, sorted.
    pub joined: Vec<String>,
    /// Contacts that matched before and no longer do, sorted.
    pub left: Vec<String>,
    pub version: u64,
    /// True if the server sent a whole filter rather than a delta.
    pub full: bool,
    pub bytes_received: u64,
}

enum Mode {
    Private(PinnedKey),
    Hashed(HashKey),
}

impl Mode {
    fn name(&self) -> &'static str {
        match self {
            Mode::Private(_) => "private",
            Mode::Hashed(_) => "hashed",
        }
    }

    fn key_id(&self) -> [u8; 8] {
        match self {
            Mode::Private(key) => key.id,
            Mode::Hashed(key) => key.id(),
        }
    }
}

/// Contact discovery. Get it with `PrivacyKit::discovery`. It does not keep its
/// `PrivacyKit` alive: once that is closed or freed, calls fail with `Closed`.
#[derive(uniffi::Object)]
pub struct ContactDiscovery {
    engine: Weak<Engine>,
    mode: Mode,
    /// Where numbers without a country code are read.
    region: normalize::Region,
    transport: Arc<dyn DiscoveryTransport>,
    /// One run at a time, so two runs never pay for the same identifiers.
    running: Mutex<()>,
    /// The stored filter, decoded, with the version it was decoded at.
    filter: Mutex<Option<FilterState>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Refuses with the guard's reason unless `contacts` may be used for `service`.
fn require_permitted(locked: &mut Locked, count: bool) -> Result<()> {
    locked.require(DISCOVERY_CATEGORY, DISCOVERY_PURPOSE, count)
}

fn bad_response(err: WireError) -> Error {
    Error::DiscoveryBadResponse {
        reason: err.0.to_owned(),
    }
}

fn refusal_error(reason: RefusalReason, retry_after_seconds: u32) -> Error {
    match reason {
        RefusalReason::BudgetExceeded => Error::DiscoveryBudgetExceeded {
            retry_after_seconds,
        },
        RefusalReason::UnknownKey => Error::DiscoveryServerKeyMismatch,
        RefusalReason::BadRequest => Error::DiscoveryBadResponse {
            reason: "the server refused the request as malformed".into(),
        },
    }
}

/// A default region without a phone numbering plan is the app's invalid argument.
impl From<normalize::UnknownRegion> for Error {
    fn from(err: normalize::UnknownRegion) -> Self {
        Error::invalid_argument("region", err.to_string())
    }
}

/// An identifier to evaluate, with where its answer goes.
struct Pending {
    identifier: String,
    lookup: [u8; 32],
}

/// What the first locked step found.
struct Plan {
    key: CacheKey,
    pending: Vec<Pending>,
    /// Identifiers whose cached answer stands, by lookup, with whether they matched.
    cached: HashMap<[u8; 32], bool>,
    /// Cached rows whose contact list changed: re-sealed, not re-evaluated.
    reseal: Vec<([u8; 32], u64, bool, i64)>,
    /// Rows of identifiers no longer in the address book.
    stale: Vec<Vec<u8>>,
    /// Whether a filter is stored (private mode needs one to match).
    have_filter: bool,
}

/// One identifier's answer.
struct Answered {
    lookup: [u8; 32],
    filter_key: u64,
    matched: bool,
}

/// What the run learned from the server.
#[derive(Default)]
struct Learned {
    answered: Vec<Answered>,
    padding: u32,
    requests: u32,
    bytes_sent: u64,
    bytes_received: u64,
    fetched_filter: Option<FilterState>,
}

impl ContactDiscovery {
    pub(crate) fn new(
        engine: &Arc<Engine>,
        config: DiscoveryConfig,
        transport: Arc<dyn DiscoveryTransport>,
    ) -> Result<Self> {
        let mode = match config.mode {
            DiscoveryMode::Private { server_public_key } => {
                Mode::Private(PinnedKey::parse(&server_public_key).ok_or_else(|| {
                    Error::invalid_argument(
                        "server_public_key",
                        "must be a 32-byte ristretto255 public key",
                    )
                })?)
            }
            DiscoveryMode::Hashed { key, hash_bytes } => {
                Mode::Hashed(HashKey::new(key, hash_bytes).ok_or_else(|| {
                    Error::invalid_argument(
                        "mode",
                        "hashed mode needs a key of 16 to 64 bytes and hash_bytes of 4 to 32",
                    )
                })?)
            }
        };
        let region = normalize::parse_region(&config.default_region)?;
        Ok(ContactDiscovery {
            engine: Arc::downgrade(engine),
            mode,
            region,
            transport,
            running: Mutex::new(()),
            filter: Mutex::new(None),
        })
    }

    fn engine(&self) -> Result<Arc<Engine>> {
        self.engine.upgrade().ok_or(Error::Closed)
    }

    /// The normalized identifiers of an address book, each with the sorted ids of the
    /// contacts that carry it, and how many entries could not be normalized.
    fn address_book(&self, contacts: &[Contact]) -> (BTreeMap<String, Vec<String>>, u32) {
        let mut book: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut skipped = 0u32;
        for contact in contacts {
            let (identifiers, bad) = self.identifiers_of(contact);
            skipped += bad;
            for identifier in identifiers {
                book.entry(identifier)
                    .or_default()
                    .insert(contact.id.clone());
            }
        }
        let book = book
            .into_iter()
            .map(|(k, ids)| (k, ids.into_iter().collect()))
            .collect();
        (book, skipped)
    }

    /// `tel:` + E.164 numbers and `mailto:` + normalized emails (the protocol's `normalize`);
    /// entries that do not normalize count as skipped and are never sent.
    fn identifiers_of(&self, contact: &Contact) -> (Vec<String>, u32) {
        let normalized =
            normalize::normalize_contact(&contact.phones, &contact.emails, &self.region);
        (normalized.identifiers, normalized.skipped)
    }

    /// The stored filter, decoded into memory if it is not there yet (or another version).
    fn load_filter<'a>(
        &'a self,
        conn: &Connection,
        stored_version: Option<u64>,
    ) -> Result<MutexGuard<'a, Option<FilterState>>> {
        let mut slot = lock(&self.filter);
        let current = slot.as_ref().map(|f| (f.key_id, f.version));
        let wanted = stored_version.map(|v| (self.mode.key_id(), v));
        if current != wanted {
            *slot = None;
            if stored_version.is_some() {
                if let Some(bytes) = cache::filter(conn)? {
                    match filter::decode(&bytes) {
                        Ok(FilterMessage::Full(state)) if state.key_id == self.mode.key_id() => {
                            *slot = Some(state)
                        }
                        _ => {
                            return Err(Error::CorruptDatabase {
                                reason: "the stored discovery filter is unreadable",
                            })
                        }
                    }
                }
            }
        }
        Ok(slot)
    }

    /// The first locked step: guard, keys, and what the cache already answers.
    fn plan(&self, engine: &Engine, book: &BTreeMap<String, Vec<String>>) -> Result<Plan> {
        engine.exclusive(|locked| {
            require_permitted(locked, true)?;
            let (core, now) = (&locked.state, locked.now_ms);
            let (vault_key_id, derived) =
                locked.keys.derived_key(&core.store, now, CACHE_KEY_LABEL)?;
            let key = CacheKey::new(vault_key_id, derived);
            let conn = core.store.conn();
            let tx = core.store.begin()?;
            cache::bind_to(&tx, self.mode.name(), &self.mode.key_id())?;
            tx.commit()?;
            let state = cache::state(conn)?;
            let have_filter = state.as_ref().and_then(|s| s.filter_version).is_some();
            let mut rows: HashMap<Vec<u8>, Row> = cache::rows(conn)?
                .into_iter()
                .map(|r| (r.lookup.clone(), r))
                .collect();
            let mut plan = Plan {
                pending: Vec::new(),
                cached: HashMap::new(),
                reseal: Vec::new(),
                stale: Vec::new(),
                have_filter,
                key,
            };
            for (identifier, ids) in book {
                let lookup = plan.key.lookup(identifier);
                let cached = rows
                    .remove(&lookup[..])
                    .filter(|r| r.key_id == vault_key_id);
                match cached {
                    Some(row) if row.contacts_tag == plan.key.contacts_tag(ids) => {
                        plan.cached.insert(lookup, row.matched);
                    }
                    Some(row) => match plan.key.open(&row.lookup, row.key_id, &row.sealed) {
                        Some(entry) => {
                            plan.cached.insert(lookup, row.matched);
                            plan.reseal.push((
                                lookup,
                                entry.filter_key,
                                row.matched,
                                row.refreshed_ms,
                            ));
                        }
                        None => plan.pending.push(Pending {
                            identifier: identifier.clone(),
                            lookup,
                        }),
                    },
                    None => plan.pending.push(Pending {
                        identifier: identifier.clone(),
                        lookup,
                    }),
                }
            }
            plan.stale = rows.into_keys().collect();
            Ok(plan)
        })
    }

    /// Evaluates `pending` through the transport, chunk by chunk, without the lock. Stops
    /// at the first failure and returns what was learned before it with the error.
    fn evaluate(&self, pending: &[Pending], learned: &mut Learned) -> Result<()> {
        for chunk in pending.chunks(MAX_BATCH) {
            let padded = chunk.len().div_ceil(PAD_TO) * PAD_TO;
            learned.padding += (padded - chunk.len()) as u32;
            let identifiers: Vec<&str> = chunk.iter().map(|p| p.identifier.as_str()).collect();
            let results: Vec<(u64, bool)> = match &self.mode {
                Mode::Private(key) => {
                    let (batch, request) = BlindBatch::new(&identifiers, padded, key);
                    let response = self.send(&request, learned)?;
                    let answer = wire::decode_oprf_response(&response, &key.id, batch.len())
                        .map_err(bad_response)?;
                    let resp = match answer {
                        Answer::Refused(r) => {
                            return Err(refusal_error(r.reason, r.retry_after_seconds))
                        }
                        Answer::Evaluated(resp) => resp,
                    };
                    let keys =
                        batch
                            .finalize(&resp.elements, resp.proof, key)
                            .map_err(|e| match e {
                                FinalizeError::Wire(w) => bad_response(w),
                                FinalizeError::Proof => Error::DiscoveryServerKeyMismatch,
                            })?;
                    // Matching happens at commit, against the filter in force then.
                    keys.into_iter().map(|k| (k, false)).collect()
                }
                Mode::Hashed(key) => {
                    let mut hashes: Vec<Vec<u8>> =
                        identifiers.iter().map(|i| key.hash(i)).collect();
                    while hashes.len() < padded {
                        let mut random = vec![0u8; key.len as usize];
                        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
                        hashes.push(random);
                    }
                    let request = wire::encode_hashed_request(key.len, &hashes);
                    let response = self.send(&request, learned)?;
                    let matches = match wire::decode_hashed_response(&response, padded)
                        .map_err(bad_response)?
                    {
                        Answer::Refused(r) => {
                            return Err(refusal_error(r.reason, r.retry_after_seconds))
                        }
                        Answer::Evaluated(m) => m,
                    };
                    matches[..chunk.len()].iter().map(|m| (0, *m)).collect()
                }
            };
            for (p, (filter_key, matched)) in chunk.iter().zip(results) {
                learned.answered.push(Answered {
                    lookup: p.lookup,
                    filter_key,
                    matched,
                });
            }
        }
        Ok(())
    }

    fn send(&self, request: &[u8], learned: &mut Learned) -> Result<Vec<u8>> {
        learned.requests += 1;
        learned.bytes_sent += request.len() as u64;
        let response = self
            .transport
            .evaluate(request.to_vec())
            .map_err(Error::Transport)?;
        learned.bytes_received += response.len() as u64;
        Ok(response)
    }

    /// Fetches the filter since `since` (0: whole) and returns the state after it.
    fn fetch_filter(
        &self,
        since: u64,
        current: Option<&FilterState>,
        bytes_received: &mut u64,
    ) -> Result<(FilterState, bool)> {
        let key_id = self.mode.key_id();
        let hex: String = key_id.iter().map(|b| format!("{b:02x}")).collect();
        let bytes = self
            .transport
            .fetch_filter(hex, since)
            .map_err(Error::Transport)?;
        *bytes_received += bytes.len() as u64;
        match filter::decode(&bytes).map_err(bad_response)? {
            FilterMessage::Full(state) => {
                if state.key_id != key_id {
                    return Err(Error::DiscoveryServerKeyMismatch);
                }
                Ok((state, true))
            }
            FilterMessage::Delta {
                key_id: delta_key,
                from,
                to,
                joins,
                leaves,
            } => {
                if delta_key != key_id {
                    return Err(Error::DiscoveryServerKeyMismatch);
                }
                let Some(current) = current.filter(|c| c.version == from && from == since) else {
                    return Err(bad_response(WireError(
                        "a filter delta that does not start at the stored version",
                    )));
                };
                // A copy: the in-memory filter stays as stored until the new state commits.
                let mut next = current.clone();
                next.apply(to, &joins, &leaves);
                Ok((next, false))
            }
        }
    }

    /// The second locked step: writes what was learned, if the guard still allows it.
    fn commit(
        &self,
        engine: &Engine,
        book: &BTreeMap<String, Vec<String>>,
        plan: &Plan,
        learned: &mut Learned,
    ) -> Result<HashMap<[u8; 32], bool>> {
        engine.exclusive(|locked| {
            require_permitted(locked, false)?;
            let (core, now) = (&locked.state, locked.now_ms);
            let conn = core.store.conn();
            let tx = core.store.begin()?;
            cache::bind_to(&tx, self.mode.name(), &self.mode.key_id())?;
            if let Some(state) = learned.fetched_filter.as_ref() {
                cache::save_filter(&tx, state.version, &state.encode(), now)?;
            }
            let stored_version = cache::state(&tx)?.and_then(|s| s.filter_version);
            let mut slot = lock(&self.filter);
            if let Some(state) = learned.fetched_filter.take() {
                *slot = Some(state);
            }
            drop(slot);
            let slot = self.load_filter(conn, stored_version)?;
            let ids_of: HashMap<[u8; 32], &Vec<String>> = book
                .iter()
                .map(|(i, ids)| (plan.key.lookup(i), ids))
                .collect();
            let mut matched: HashMap<[u8; 32], bool> = plan.cached.clone();
            let row = |lookup: &[u8; 32], filter_key, matched, refreshed_ms| {
                let ids = ids_of[lookup];
                Row {
                    lookup: lookup.to_vec(),
                    key_id: plan.key.vault_key_id,
                    contacts_tag: plan.key.contacts_tag(ids).to_vec(),
                    sealed: plan.key.seal(
                        lookup,
                        &Entry {
                            filter_key,
                            contact_ids: ids.clone(),
                        },
                    ),
                    matched,
                    refreshed_ms,
                }
            };
            for a in &learned.answered {
                let is_match = match &self.mode {
                    Mode::Private(_) => slot.as_ref().is_some_and(|f| f.contains(a.filter_key)),
                    Mode::Hashed(_) => a.matched,
                };
                cache::put(&tx, &row(&a.lookup, a.filter_key, is_match, now))?;
                matched.insert(a.lookup, is_match);
            }
            for (lookup, filter_key, was, refreshed) in &plan.reseal {
                cache::put(&tx, &row(lookup, *filter_key, *was, *refreshed))?;
            }
            for lookup in &plan.stale {
                cache::delete(&tx, lookup)?;
            }
            cache::note_run(&tx, now)?;
            tx.commit()?;
            Ok(matched)
        })
    }
}

#[uniffi::export]
impl ContactDiscovery {
    /// Finds which of `contacts` use the app. Pass the whole address book each time: only
    /// identifiers not answered before are sent, entries gone from the book are dropped from
    /// the cache, and an unchanged book sends nothing. Refused with the guard's reason unless
    /// `contacts` may be used for `service`. If the server refuses part way (budget used up)
    /// or a response is bad, what was answered before is kept and the error is returned.
    pub fn discover(&self, contacts: Vec<Contact>) -> Result<DiscoveryResult, PrivacyError> {
        guarded(|| {
            validate(&contacts)?;
            let engine = self.engine()?;
            let _run = lock(&self.running);
            let (book, skipped) = self.address_book(&contacts);
            let plan = self.plan(&engine, &book)?;
            let mut learned = Learned::default();
            // Private mode matches against the published filter: fetch it once, before the
            // first evaluation (later runs keep it current with `sync_filter`).
            if matches!(self.mode, Mode::Private(_))
                && !plan.have_filter
                && !plan.pending.is_empty()
            {
                let (state, _) = self.fetch_filter(0, None, &mut learned.bytes_received)?;
                learned.fetched_filter = Some(state);
            }
            let outcome = self.evaluate(&plan.pending, &mut learned);
            let matched = self.commit(&engine, &book, &plan, &mut learned)?;
            outcome?;
            let mut ids: BTreeSet<String> = BTreeSet::new();
            for (identifier, contact_ids) in &book {
                if matched.get(&plan.key.lookup(identifier)) == Some(&true) {
                    ids.extend(contact_ids.iter().cloned());
                }
            }
            Ok(DiscoveryResult {
                matched: ids.into_iter().collect(),
                contacts: contacts.len() as u32,
                identifiers: book.len() as u32,
                skipped,
                evaluated: learned.answered.len() as u32,
                cached: plan.cached.len() as u32,
                padding: learned.padding,
                requests: learned.requests,
                bytes_sent: learned.bytes_sent,
                bytes_received: learned.bytes_received,
            })
        })
    }

    /// Brings the filter up to date (a delta when the server has one) and reports which
    /// cached contacts joined or left, with no evaluation request. Private mode only.
    pub fn sync_filter(&self) -> Result<FilterUpdate, PrivacyError> {
        guarded(|| {
            if let Mode::Hashed(_) = self.mode {
                return Err(Error::invalid_argument(
                    "mode",
                    "hashed mode has no filter; run discover again to refresh",
                ));
            }
            let engine = self.engine()?;
            let _run = lock(&self.running);
            let since = engine.exclusive(|locked| {
                require_permitted(locked, true)?;
                let core = &locked.state;
                let tx = core.store.begin()?;
                cache::bind_to(&tx, self.mode.name(), &self.mode.key_id())?;
                tx.commit()?;
                let version = cache::state(core.store.conn())?.and_then(|s| s.filter_version);
                drop(self.load_filter(core.store.conn(), version)?);
                Ok(version)
            })?;
            let mut bytes_received = 0;
            let since = since.unwrap_or(0);
            let current = lock(&self.filter).clone().filter(|_| since > 0);
            let (next, full) = self.fetch_filter(since, current.as_ref(), &mut bytes_received)?;
            engine.exclusive(|locked| {
                require_permitted(locked, false)?;
                let (core, now) = (&locked.state, locked.now_ms);
                let (vault_key_id, derived) =
                    locked.keys.derived_key(&core.store, now, CACHE_KEY_LABEL)?;
                let key = CacheKey::new(vault_key_id, derived);
                let tx = core.store.begin()?;
                cache::bind_to(&tx, self.mode.name(), &self.mode.key_id())?;
                let mut joined = BTreeSet::new();
                let mut left = BTreeSet::new();
                for row in cache::rows(&tx)? {
                    let Some(entry) = key.open(&row.lookup, row.key_id, &row.sealed) else {
                        continue;
                    };
                    let now_matched = next.contains(entry.filter_key);
                    if now_matched != row.matched {
                        cache::set_matched(&tx, &row.lookup, now_matched)?;
                        let target = if now_matched { &mut joined } else { &mut left };
                        target.extend(entry.contact_ids);
                    }
                }
                cache::save_filter(&tx, next.version, &next.encode(), now)?;
                tx.commit()?;
                let version = next.version;
                *lock(&self.filter) = Some(next);
                // A contact with two identifiers, one joining and one leaving, still matches.
                let left: Vec<String> = left.difference(&joined).cloned().collect();
                Ok(FilterUpdate {
                    joined: joined.into_iter().collect(),
                    left,
                    version,
                    full,
                    bytes_received,
                })
            })
        })
    }

    /// Counts and times of what discovery keeps (no identifiers): for settings screens and
    /// the data export.
    pub fn summary(&self) -> Result<DiscoverySummary, PrivacyError> {
        guarded(|| {
            self.engine()?
                .exclusive(|locked| cache::summary(locked.state.store.conn()))
        })
    }

    /// Drops cached answers not refreshed by the server since `cutoff_ms` (milliseconds
    /// since the Unix epoch), for a retention period; the next `discover` evaluates those
    /// identifiers again (in hashed mode, the only way to notice that a cached contact
    /// joined). Returns how many were dropped.
    pub fn purge_cache_older_than(&self, cutoff_ms: i64) -> Result<u64, PrivacyError> {
        guarded(|| {
            let engine = self.engine()?;
            let _run = lock(&self.running);
            engine.exclusive(|locked| {
                let tx = locked.state.store.begin()?;
                let purged = cache::purge_older_than(&tx, cutoff_ms)?;
                tx.commit()?;
                Ok(purged)
            })
        })
    }

    /// Deletes the discovery cache and the stored filter. Returns the rows deleted. The next
    /// discovery evaluates every identifier again (and counts against the server budget).
    pub fn erase_cache(&self) -> Result<u64, PrivacyError> {
        guarded(|| {
            let engine = self.engine()?;
            let _run = lock(&self.running);
            engine.exclusive(|locked| {
                let tx = locked.state.store.begin()?;
                let deleted = cache::erase(&tx)?;
                tx.commit()?;
                *lock(&self.filter) = None;
                Ok(deleted)
            })
        })
    }
}

fn validate(contacts: &[Contact]) -> Result<()> {
    if contacts.len() > MAX_CONTACTS {
        return Err(Error::invalid_argument(
            "contacts",
            format!("at most {MAX_CONTACTS} contacts per call"),
        ));
    }
    for contact in contacts {
        if contact.id.is_empty() || contact.id.len() > MAX_FIELD_BYTES {
            return Err(Error::invalid_argument(
                "contacts.id",
                format!("must be 1 to {MAX_FIELD_BYTES} bytes"),
            ));
        }
        let entries = contact.phones.len() + contact.emails.len();
        let too_long = contact
            .phones
            .iter()
            .chain(&contact.emails)
            .any(|e| e.len() > MAX_FIELD_BYTES);
        if entries > MAX_ENTRIES_PER_CONTACT || too_long {
            return Err(Error::invalid_argument(
                "contacts",
                format!(
                    "at most {MAX_ENTRIES_PER_CONTACT} phones and emails per contact, each at most {MAX_FIELD_BYTES} bytes"
                ),
            ));
        }
    }
    Ok(())
}
