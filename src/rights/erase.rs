//! Erasure: deleting the user's data from the store, destroying key material, and leaving
//! no copy in free pages or the write-ahead log.
//!
//! Deletion runs in one transaction, so a crash leaves either everything or nothing erased.
//! `secure_delete` overwrites the deleted cells; afterwards the file is vacuumed and the WAL
//! truncated, and the platform keys that wrapped the vault key are deleted (crypto-shredding:
//! a stray copy of a sealed token is unreadable once its key is gone).

use rusqlite::Connection;

use crate::consent::{self, compaction};
use crate::error::Result;
use crate::permissions;
use crate::vault;

/// A kind of personal data PrivacyKit keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PersonalData {
    /// The consent ledger, with the user's declared facts and any compacted summary.
    ConsentLedger,
    /// The history of OS permission observations and request results.
    PermissionHistory,
    /// Allowed uses per day.
    AccessReport,
    /// Linked accounts, their tokens and the vault key.
    LinkedAccounts,
    /// The per-install pseudonymous identifier.
    InstallId,
    /// Contact discovery's encrypted cache and its filter state.
    DiscoveryCache,
}

/// What an erasure deleted: the kinds of data, how many records of each, and when.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErasureReceipt {
    pub erased_at_ms: i64,
    pub erased: Vec<ErasedData>,
    /// Whether key material was destroyed (the vault key and its platform keys).
    pub keys_destroyed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErasedData {
    pub data: PersonalData,
    pub records: u64,
}

/// Meta entries that describe no one and must outlive an erasure: key ids stay monotonic,
/// platform keys still to be deleted stay listed until they are, and the ledger's seal key
/// (which seals nothing once the summary is gone) is reused by the next compaction.
const KEPT_META: [&str; 3] = [
    "vault_last_key_id",
    "vault_unused_platform_keys",
    compaction::SEAL_KEY_META,
];

fn count(conn: &Connection, table: &str) -> Result<u64> {
    Ok(
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// Deletes one kind of data in the caller's transaction; returns the records deleted and
/// whether key material went with them.
pub(crate) fn erase(conn: &Connection, data: PersonalData, now_ms: i64) -> Result<(u64, bool)> {
    Ok(match data {
        PersonalData::ConsentLedger => {
            let rows = consent::db::delete_rows(conn, None)?;
            let summaries = conn.execute("DELETE FROM ledger_summary", [])? as u64;
            conn.execute("DELETE FROM meta WHERE key = 'ledger_head'", [])?;
            (rows + summaries, false)
        }
        PersonalData::PermissionHistory => {
            // The current state stays (folded into the baselines): it is what the OS says
            // now, and the app needs it to ask correctly; the history of how it got there goes.
            (
                permissions::db::fold_older_than(conn, now_ms.saturating_add(1))?,
                false,
            )
        }
        PersonalData::AccessReport => (conn.execute("DELETE FROM access_count", [])? as u64, false),
        PersonalData::LinkedAccounts => {
            let records = count(conn, "vault_account")?;
            (records, vault::shred(conn)?)
        }
        PersonalData::DiscoveryCache => (crate::discovery::erase(conn)?, false),
        PersonalData::InstallId => (
            conn.execute("DELETE FROM meta WHERE key = ?1", [crate::sdk::INSTALL_ID])? as u64,
            false,
        ),
    })
}

/// Deletes everything PrivacyKit keeps about the user in the caller's transaction, leaving
/// the store as a first open would: the policy in force and nothing else.
pub(crate) fn erase_all(
    conn: &Connection,
    policy_version: u32,
    now_ms: i64,
) -> Result<(Vec<ErasedData>, bool)> {
    let mut erased = Vec::new();
    let mut keys_destroyed = false;
    for data in [
        PersonalData::ConsentLedger,
        PersonalData::PermissionHistory,
        PersonalData::AccessReport,
        PersonalData::LinkedAccounts,
        PersonalData::DiscoveryCache,
        PersonalData::InstallId,
    ] {
        let (records, keys) = erase(conn, data, now_ms)?;
        keys_destroyed |= keys;
        erased.push(ErasedData { data, records });
    }
    // A full erasure also forgets the current permission states and every other value.
    conn.execute("DELETE FROM permission_baseline", [])?;
    conn.execute("DELETE FROM meta WHERE key NOT IN (?1, ?2, ?3)", KEPT_META)?;
    conn.execute("DELETE FROM policy WHERE version <> ?1", [policy_version])?;
    Ok((erased, keys_destroyed))
}

/// Rewrites the file without free pages and truncates the WAL, after an erasure committed.
pub(crate) fn compact(conn: &Connection) -> Result<()> {
    conn.execute_batch("VACUUM")?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}
