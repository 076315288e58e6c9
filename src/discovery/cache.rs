//! The encrypted local cache: what the last discovery learned, so an unchanged address book
//! costs no request, and filter deltas can say "contact joined" without any request.
//!
//! Keyed under the SDK's keying: a cache key derived from the vault key (which the platform
//! keystore protects) with a label of its own. Rows are found by an HMAC of the normalized
//! identifier under that key; the identifier itself is never stored. A row seals the
//! identifier's filter key and the app-side ids of the contacts that carry it. When the
//! vault key changes (the vault was shredded on withdrawal of `social_accounts` consent, or
//! rotated), old rows no longer open; they are dropped and evaluated again.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::data_holder::{Cutoff, DataHolder, Erased, PersonalData, Purged};
use crate::error::{Error, Result};
use crate::keys::sealing::{open, seal, Binding, SecretKey};
use crate::keys::KeyProvider;

/// The use of data discovery serves; it runs only while the guard allows it, and
/// the end of that use erases the cache.
pub(crate) const DISCOVERY_CATEGORY: &str = "contacts";
pub(crate) const DISCOVERY_PURPOSE: &str = "service";

pub(crate) const CACHE_KEY_LABEL: &[u8] = b"privacykit/discovery/cache-key/v1";
const LOOKUP_DOMAIN: &[u8] = b"privacykit/discovery/lookup/v1";
const CONTACTS_DOMAIN: &[u8] = b"privacykit/discovery/contacts/v1";
const ENTRY_FIELD: &str = "discovery_entry";

/// The cache key and the id of the vault key it was derived from.
pub(crate) struct CacheKey {
    pub vault_key_id: u32,
    key: SecretKey,
}

/// What a row holds once opened.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The identifier's filter key (private mode); 0 in hashed mode.
    pub filter_key: u64,
    pub contact_ids: Vec<String>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entry(<redacted>)")
    }
}

impl CacheKey {
    pub fn new(vault_key_id: u32, key: SecretKey) -> Self {
        CacheKey { vault_key_id, key }
    }

    pub fn lookup(&self, identifier: &str) -> [u8; 32] {
        self.key.keyed_hash(LOOKUP_DOMAIN, &[identifier.as_bytes()])
    }

    /// A tag of a sorted list of contact ids.
    pub fn contacts_tag(&self, contact_ids: &[String]) -> [u8; 32] {
        let parts: Vec<&[u8]> = contact_ids.iter().map(|c| c.as_bytes()).collect();
        self.key.keyed_hash(CONTACTS_DOMAIN, &parts)
    }

    pub fn seal(&self, lookup: &[u8], entry: &Entry) -> Vec<u8> {
        let mut plain =
            zeroize::Zeroizing::new(Vec::with_capacity(16 + entry.contact_ids.len() * 24));
        plain.extend_from_slice(&entry.filter_key.to_le_bytes());
        plain.extend_from_slice(&(entry.contact_ids.len() as u32).to_be_bytes());
        for id in &entry.contact_ids {
            plain.extend_from_slice(&(id.len() as u32).to_be_bytes());
            plain.extend_from_slice(id.as_bytes());
        }
        seal(&self.key, self.vault_key_id, binding(lookup), &plain)
    }

    /// The entry, or `None` if the row does not open under this key (another vault key,
    /// tampering, a row moved to another lookup).
    pub fn open(&self, lookup: &[u8], key_id: u32, sealed: &[u8]) -> Option<Entry> {
        if key_id != self.vault_key_id {
            return None;
        }
        let plain = open(&self.key, self.vault_key_id, binding(lookup), sealed).ok()?;
        let mut r = privacykit_discovery_protocol::wire::Reader::new(&plain);
        let filter_key = u64::from_le_bytes(r.take(8, "").ok()?.try_into().ok()?);
        let n = r.u32("").ok()? as usize;
        let mut contact_ids = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let len = r.u32("").ok()? as usize;
            let bytes = r.take(len, "").ok()?;
            contact_ids.push(String::from_utf8(bytes.to_vec()).ok()?);
        }
        r.finish().ok()?;
        Some(Entry {
            filter_key,
            contact_ids,
        })
    }
}

fn binding(lookup: &[u8]) -> Binding<'_> {
    Binding {
        row: lookup,
        field: ENTRY_FIELD,
    }
}

/// A cache row as stored.
pub(crate) struct Row {
    pub lookup: Vec<u8>,
    pub key_id: u32,
    pub contacts_tag: Vec<u8>,
    pub sealed: Vec<u8>,
    pub matched: bool,
    pub refreshed_ms: i64,
}

/// The discovery state row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    pub mode: String,
    pub server_key_id: Vec<u8>,
    pub filter_version: Option<u64>,
    pub last_sync_ms: Option<i64>,
    pub last_run_ms: Option<i64>,
}

pub(crate) fn state(conn: &Connection) -> Result<Option<State>> {
    Ok(conn
        .query_row(
            "SELECT mode, server_key_id, filter_version, last_sync_ms, last_run_ms
             FROM discovery_state WHERE id = 1",
            [],
            |r| {
                Ok(State {
                    mode: r.get(0)?,
                    server_key_id: r.get(1)?,
                    // A negative version in the file is no version: the next sync fetches it.
                    filter_version: r
                        .get::<_, Option<i64>>(2)?
                        .and_then(|v| u64::try_from(v).ok()),
                    last_sync_ms: r.get(3)?,
                    last_run_ms: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Makes the state row say (`mode`, `server_key_id`). If it said something else, the cache
/// and filter were built for another key and are deleted. Returns whether anything was.
pub(crate) fn bind_to(conn: &Connection, mode: &str, server_key_id: &[u8]) -> Result<bool> {
    if let Some(current) = state(conn)? {
        if current.mode == mode && current.server_key_id == server_key_id {
            return Ok(false);
        }
    }
    let dropped = erase(conn)? > 0;
    conn.execute(
        "INSERT INTO discovery_state (id, mode, server_key_id) VALUES (1, ?1, ?2)",
        params![mode, server_key_id],
    )?;
    Ok(dropped)
}

pub(crate) fn filter(conn: &Connection) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT filter FROM discovery_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten())
}

pub(crate) fn save_filter(conn: &Connection, version: u64, bytes: &[u8], now: i64) -> Result<()> {
    let version = i64::try_from(version).map_err(|_| Error::Internal {
        reason: "filter version out of range",
    })?;
    conn.execute(
        "UPDATE discovery_state SET filter_version = ?1, filter = ?2, last_sync_ms = ?3 WHERE id = 1",
        params![version, bytes, now],
    )?;
    Ok(())
}

pub(crate) fn note_run(conn: &Connection, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE discovery_state SET last_run_ms = ?1 WHERE id = 1",
        [now],
    )?;
    Ok(())
}

pub(crate) fn rows(conn: &Connection) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT lookup, key_id, contacts_tag, sealed, matched, refreshed_ms FROM discovery_cache",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Row {
            lookup: r.get(0)?,
            key_id: r.get(1)?,
            contacts_tag: r.get(2)?,
            sealed: r.get(3)?,
            matched: r.get(4)?,
            refreshed_ms: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn put(conn: &Connection, row: &Row) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO discovery_cache
         (lookup, key_id, contacts_tag, sealed, matched, refreshed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        row.lookup,
        row.key_id,
        row.contacts_tag,
        row.sealed,
        row.matched,
        row.refreshed_ms
    ])?;
    Ok(())
}

pub(crate) fn set_matched(conn: &Connection, lookup: &[u8], matched: bool) -> Result<()> {
    conn.prepare_cached("UPDATE discovery_cache SET matched = ?2 WHERE lookup = ?1")?
        .execute(params![lookup, matched])?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, lookup: &[u8]) -> Result<()> {
    conn.prepare_cached("DELETE FROM discovery_cache WHERE lookup = ?1")?
        .execute([lookup])?;
    Ok(())
}

/// Deletes all discovery data: the cache, the stored filter and the state naming the server
/// key. Returns the number of rows deleted. For the "erase everything" and "erase the
/// discovery cache" rights, and for withdrawal of `contacts` consent; runs in the caller's
/// transaction.
pub(crate) fn erase(conn: &Connection) -> Result<u64> {
    let cache = conn.execute("DELETE FROM discovery_cache", [])?;
    let state = conn.execute("DELETE FROM discovery_state", [])?;
    Ok((cache + state) as u64)
}

/// Deletes cache entries not refreshed (evaluated by the server) since `cutoff_ms`; the next
/// discovery evaluates those identifiers again. Returns how many were deleted.
pub(crate) fn purge_older_than(conn: &Connection, cutoff_ms: i64) -> Result<u64> {
    Ok(conn.execute(
        "DELETE FROM discovery_cache WHERE refreshed_ms < ?1",
        [cutoff_ms],
    )? as u64)
}

/// What discovery keeps, for the user's data export: counts and times, never an identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct DiscoverySummary {
    /// Identifiers (numbers, emails) with a cached result.
    pub cached_identifiers: u64,
    /// Of those, how many matched a registered user at the last check.
    pub matched_identifiers: u64,
    /// "private" or "hashed"; `None` if discovery never ran.
    pub mode: Option<String>,
    /// The server key (private mode) or hashing key (hashed mode) id, hex.
    pub server_key_id: Option<String>,
    pub filter_version: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub last_run_ms: Option<i64>,
    pub last_filter_sync_ms: Option<i64>,
}

pub(crate) fn summary(conn: &Connection) -> Result<DiscoverySummary> {
    let (cached, matched): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(matched), 0) FROM discovery_cache",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let state = state(conn)?;
    Ok(DiscoverySummary {
        cached_identifiers: cached as u64,
        matched_identifiers: matched as u64,
        mode: state.as_ref().map(|s| s.mode.clone()),
        server_key_id: state
            .as_ref()
            .map(|s| s.server_key_id.iter().map(|b| format!("{b:02x}")).collect()),
        filter_version: state.as_ref().and_then(|s| s.filter_version),
        last_run_ms: state.as_ref().and_then(|s| s.last_run_ms),
        last_filter_sync_ms: state.as_ref().and_then(|s| s.last_sync_ms),
    })
}

/// The discovery cache as personal data: erased on request, expired when not refreshed, and
/// deleted when the user ends the use of contacts for the service.
pub(crate) struct DiscoveryCacheHolder;

impl DataHolder for DiscoveryCacheHolder {
    fn data(&self) -> PersonalData {
        PersonalData::DiscoveryCache
    }

    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        Ok(Erased {
            records: erase(conn)?,
            keys_destroyed: false,
        })
    }

    /// Cache entries not refreshed for this many days.
    fn retention_id(&self) -> Option<&'static str> {
        Some("discovery_cache")
    }

    fn purge(
        &self,
        conn: &Connection,
        cutoff: Cutoff,
        _keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        purge_older_than(conn, cutoff.ms).map(Purged::Records)
    }

    fn serves(&self) -> Option<(&'static str, &'static str)> {
        Some((DISCOVERY_CATEGORY, DISCOVERY_PURPOSE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn entries_open_only_in_their_row_under_their_key() {
        let key = CacheKey::new(3, SecretKey::random());
        let lookup = key.lookup("+15551230000");
        let entry = Entry {
            filter_key: 77,
            contact_ids: vec!["c1".into(), "c2".into()],
        };
        let sealed = key.seal(&lookup, &entry);
        assert_eq!(key.open(&lookup, 3, &sealed), Some(entry));
        assert_eq!(key.open(&key.lookup("+15551230001"), 3, &sealed), None);
        assert_eq!(key.open(&lookup, 4, &sealed), None);
        let other = CacheKey::new(3, SecretKey::random());
        assert_eq!(other.open(&lookup, 3, &sealed), None);
        assert_ne!(key.lookup("+1"), other.lookup("+1"));
    }

    #[test]
    fn erase_purge_and_summary() {
        let store = Store::open(None).unwrap();
        let conn = store.conn();
        assert_eq!(summary(conn).unwrap().mode, None);
        assert!(!bind_to(conn, "private", &[1; 8]).unwrap());
        for (i, refreshed) in [(0u8, 100), (1, 200), (2, 300)] {
            put(
                conn,
                &Row {
                    lookup: vec![i; 32],
                    key_id: 1,
                    contacts_tag: vec![0; 32],
                    sealed: vec![0; 8],
                    matched: i == 1,
                    refreshed_ms: refreshed,
                },
            )
            .unwrap();
        }
        let s = summary(conn).unwrap();
        assert_eq!((s.cached_identifiers, s.matched_identifiers), (3, 1));
        assert_eq!(s.server_key_id.as_deref(), Some("0101010101010101"));
        assert_eq!(purge_older_than(conn, 250).unwrap(), 2);
        assert!(
            !bind_to(conn, "private", &[1; 8]).unwrap(),
            "same key keeps the cache"
        );
        assert!(
            bind_to(conn, "private", &[2; 8]).unwrap(),
            "another key drops it"
        );
        assert_eq!(summary(conn).unwrap().cached_identifiers, 0);
        assert_eq!(erase(conn).unwrap(), 1, "the state row");
        assert_eq!(erase(conn).unwrap(), 0);
    }
}
