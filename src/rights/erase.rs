//! Erasure: deleting the user's data from the store, destroying key material, and leaving
//! no copy in free pages or the write-ahead log.
//!
//! Deletion runs in one transaction, so a crash leaves either everything or nothing erased.
//! `secure_delete` overwrites the deleted cells; afterwards the file is vacuumed and the WAL
//! truncated, and the platform keys that wrapped the vault key are deleted (crypto-shredding:
//! a stray copy of a sealed token is unreadable once its key is gone).

use rusqlite::Connection;

use crate::consent::compaction;
use crate::data_holder::{Erased, PersonalData};
use crate::error::Result;
use crate::holders::{holder_of, HOLDERS};

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

/// Deletes one kind of data in the caller's transaction.
pub(crate) fn erase(conn: &Connection, data: PersonalData, now_ms: i64) -> Result<Erased> {
    holder_of(data).erase(conn, now_ms)
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
    for holder in HOLDERS {
        let done = holder.erase(conn, now_ms)?;
        keys_destroyed |= done.keys_destroyed;
        erased.push(ErasedData {
            data: holder.data(),
            records: done.records,
        });
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
