//! The vault's rows: its key and the linked accounts.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::data_holder::{Cutoff, DataHolder, Erased, PersonalData, Purged};
use crate::error::{Error, Result};
use crate::keys::KeyProvider;
use crate::store::meta;

/// The use of data the vault serves; linking and reading need the guard to allow it, and
/// the end of that use shreds the vault.
pub(crate) const VAULT_CATEGORY: &str = "social_accounts";
pub(crate) const VAULT_PURPOSE: &str = "service";

/// The wrapped vault key as stored.
pub(crate) struct KeyRow {
    pub id: u32,
    pub generation: u32,
    pub wrapped: Vec<u8>,
    pub canary: Vec<u8>,
}

pub(crate) fn active_key(conn: &Connection) -> Result<Option<KeyRow>> {
    Ok(conn
        .query_row(
            "SELECT id, generation, wrapped, canary FROM vault_key WHERE active = 1",
            [],
            |r| {
                Ok(KeyRow {
                    id: r.get(0)?,
                    generation: r.get(1)?,
                    wrapped: r.get(2)?,
                    canary: r.get(3)?,
                })
            },
        )
        .optional()?)
}

const LAST_KEY_ID: &str = "vault_last_key_id";

/// Key ids are never reused, even after the vault was shredded, so neither a blob nor a
/// platform key alias can ever be mistaken for a later key's.
pub(crate) fn next_key_id(conn: &Connection) -> Result<u32> {
    let last =
        match meta::get(conn, LAST_KEY_ID)? {
            Some(bytes) => u32::from_be_bytes(bytes.as_slice().try_into().map_err(|_| {
                Error::CorruptDatabase {
                    reason: "the last vault key id is unreadable",
                }
            })?),
            None => 0,
        };
    Ok(last + 1)
}

pub(crate) fn insert_key(conn: &Connection, key: &KeyRow, active: bool, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO vault_key (id, generation, wrapped, canary, active, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key.id, key.generation, key.wrapped, key.canary, active, now],
    )?;
    meta::set(conn, LAST_KEY_ID, &key.id.to_be_bytes())
}

pub(crate) fn rewrap_key(
    conn: &Connection,
    id: u32,
    generation: u32,
    wrapped: &[u8],
) -> Result<()> {
    conn.execute(
        "UPDATE vault_key SET generation = ?2, wrapped = ?3 WHERE id = ?1",
        params![id, generation, wrapped],
    )?;
    Ok(())
}

/// Makes `new` the one active key and drops `old`.
pub(crate) fn replace_key(conn: &Connection, old: u32, new: u32) -> Result<()> {
    conn.execute("DELETE FROM vault_key WHERE id = ?1", [old])?;
    conn.execute("UPDATE vault_key SET active = 1 WHERE id = ?1", [new])?;
    Ok(())
}

/// One linked account as stored.
pub(crate) struct AccountRow {
    pub lookup: Vec<u8>,
    pub provider: String,
    pub key_id: u32,
    pub record_key: Vec<u8>,
    pub account_id: Vec<u8>,
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub expires_at_ms: Option<i64>,
    pub scopes: Vec<String>,
    pub linked_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The columns `read_account` reads, in its order.
macro_rules! account_columns {
    () => {
        "lookup, provider, key_id, record_key, account_id, access_token,
         refresh_token, expires_at_ms, scopes, linked_at_ms, updated_at_ms"
    };
}

fn read_account(r: &Row<'_>) -> rusqlite::Result<AccountRow> {
    let scopes: String = r.get(8)?;
    Ok(AccountRow {
        lookup: r.get(0)?,
        provider: r.get(1)?,
        key_id: r.get(2)?,
        record_key: r.get(3)?,
        account_id: r.get(4)?,
        access_token: r.get(5)?,
        refresh_token: r.get(6)?,
        expires_at_ms: r.get(7)?,
        // A damaged scope list reads as none; scopes are not secret and carry no integrity.
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        linked_at_ms: r.get(9)?,
        updated_at_ms: r.get(10)?,
    })
}

pub(crate) fn account(conn: &Connection, lookup: &[u8]) -> Result<Option<AccountRow>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        account_columns!(),
        " FROM vault_account WHERE lookup = ?1"
    ))?;
    Ok(stmt.query_row([lookup], read_account).optional()?)
}

/// An account with the time its tokens were last read, for reads that note their use.
pub(crate) fn account_in_use(
    conn: &Connection,
    lookup: &[u8],
) -> Result<Option<(AccountRow, Option<i64>)>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        account_columns!(),
        ", last_used_ms FROM vault_account WHERE lookup = ?1"
    ))?;
    Ok(stmt
        .query_row([lookup], |r| Ok((read_account(r)?, r.get(11)?)))
        .optional()?)
}

pub(crate) fn accounts(conn: &Connection) -> Result<Vec<AccountRow>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        account_columns!(),
        " FROM vault_account ORDER BY linked_at_ms, provider"
    ))?;
    let rows = stmt.query_map([], read_account)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn put_account(conn: &Connection, row: &AccountRow) -> Result<()> {
    let scopes = serde_json::to_string(&row.scopes).map_err(|_| Error::Internal {
        reason: "scopes could not be encoded",
    })?;
    conn.prepare_cached(concat!(
        "INSERT OR REPLACE INTO vault_account (",
        account_columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        row.lookup,
        row.provider,
        row.key_id,
        row.record_key,
        row.account_id,
        row.access_token,
        row.refresh_token,
        row.expires_at_ms,
        scopes,
        row.linked_at_ms,
        row.updated_at_ms
    ])?;
    Ok(())
}

pub(crate) fn delete_account(conn: &Connection, lookup: &[u8]) -> Result<bool> {
    Ok(conn.execute("DELETE FROM vault_account WHERE lookup = ?1", [lookup])? > 0)
}

pub(crate) fn delete_accounts(conn: &Connection) -> Result<u32> {
    let deleted = conn.execute("DELETE FROM vault_account", [])?;
    Ok(u32::try_from(deleted).unwrap_or(u32::MAX))
}

pub(crate) fn has_accounts(conn: &Connection) -> Result<bool> {
    Ok(
        conn.query_row("SELECT EXISTS (SELECT 1 FROM vault_account)", [], |r| {
            r.get(0)
        })?,
    )
}

pub(crate) fn has_data(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM vault_key) OR EXISTS (SELECT 1 FROM vault_account)",
        [],
        |r| r.get(0),
    )?)
}

/// Deletes every account and every key, and notes their platform keys as unused, to be
/// deleted once this commits. Returns how many accounts were deleted.
pub(crate) fn shred(conn: &Connection) -> Result<u32> {
    let keys: Vec<(u32, u32)> = conn
        .prepare("SELECT id, generation FROM vault_key")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, generation) in keys {
        note_unused(conn, id, generation)?;
    }
    let deleted = delete_accounts(conn)?;
    conn.execute("DELETE FROM vault_key", [])?;
    Ok(deleted)
}

const UNUSED_KEYS: &str = "vault_unused_platform_keys";

/// Platform keys that may exist but hold nothing in use: replaced ones, and new ones noted
/// before they are created and not yet put to use. Each is noted in a transaction that
/// commits before the platform key is created or stops being used, so a crash at any step
/// leaves nothing behind that the next unlock does not delete.
pub(crate) fn unused_platform_keys(conn: &Connection) -> Result<Vec<(u32, u32)>> {
    match meta::get(conn, UNUSED_KEYS)? {
        None => Ok(Vec::new()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|_| Error::CorruptDatabase {
            reason: "the list of unused vault keys is unreadable",
        }),
    }
}

pub(crate) fn note_unused(conn: &Connection, id: u32, generation: u32) -> Result<()> {
    let mut keys = unused_platform_keys(conn)?;
    if !keys.contains(&(id, generation)) {
        keys.push((id, generation));
    }
    store_unused(conn, &keys)
}

pub(crate) fn forget_unused(conn: &Connection, id: u32, generation: u32) -> Result<()> {
    let mut keys = unused_platform_keys(conn)?;
    keys.retain(|k| *k != (id, generation));
    store_unused(conn, &keys)
}

fn store_unused(conn: &Connection, keys: &[(u32, u32)]) -> Result<()> {
    let bytes = serde_json::to_vec(keys).expect("pairs of integers encode");
    meta::set(conn, UNUSED_KEYS, &bytes)
}

/// When each account's tokens were last read, by lookup hash.
pub(crate) fn last_used(conn: &Connection, lookup: &[u8]) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT last_used_ms FROM vault_account WHERE lookup = ?1",
            [lookup],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// Notes a read of the account's tokens.
pub(crate) fn touch(conn: &Connection, lookup: &[u8], now_ms: i64) -> Result<()> {
    conn.prepare_cached("UPDATE vault_account SET last_used_ms = ?2 WHERE lookup = ?1")?
        .execute(params![lookup, now_ms])?;
    Ok(())
}

/// Deletes the accounts neither read nor updated since `cutoff_ms`; returns how many.
pub(crate) fn delete_unused_since(conn: &Connection, cutoff_ms: i64) -> Result<u64> {
    Ok(conn.execute(
        "DELETE FROM vault_account
         WHERE max(updated_at_ms, coalesce(last_used_ms, 0)) < ?1",
        [cutoff_ms],
    )? as u64)
}

/// Linked accounts as personal data: erased with their keys, expired when unused, and
/// shredded when the user ends the use they serve.
pub(crate) struct LinkedAccountsHolder;

impl DataHolder for LinkedAccountsHolder {
    fn data(&self) -> PersonalData {
        PersonalData::LinkedAccounts
    }

    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        if !has_data(conn)? {
            return Ok(Erased::default());
        }
        let records = shred(conn)?;
        log::info!("vault shredded: {records} linked account(s) deleted");
        Ok(Erased {
            records: u64::from(records),
            keys_destroyed: true,
        })
    }

    /// Linked accounts whose tokens were neither read nor updated for this many days.
    fn retention_id(&self) -> Option<&'static str> {
        Some("linked_accounts")
    }

    fn purge(
        &self,
        conn: &Connection,
        cutoff: Cutoff,
        _keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        delete_unused_since(conn, cutoff.ms).map(Purged::Records)
    }

    fn holds_secrets(&self) -> bool {
        true
    }

    fn serves(&self) -> Option<(&'static str, &'static str)> {
        Some((VAULT_CATEGORY, VAULT_PURPOSE))
    }
}

/// A linked account as the data export shows it: metadata only. The account id is sealed
/// under the vault key and tokens are secrets, so neither is exported.
#[derive(serde::Serialize)]
pub(crate) struct ExportedAccount {
    provider: String,
    scopes: Vec<String>,
    expires_at_ms: Option<i64>,
    linked_at_ms: i64,
    updated_at_ms: i64,
    last_used_ms: Option<i64>,
}

pub(crate) fn exported_accounts(conn: &Connection) -> Result<Vec<ExportedAccount>> {
    accounts(conn)?
        .into_iter()
        .map(|row| {
            Ok(ExportedAccount {
                last_used_ms: last_used(conn, &row.lookup)?,
                provider: row.provider,
                scopes: row.scopes,
                expires_at_ms: row.expires_at_ms,
                linked_at_ms: row.linked_at_ms,
                updated_at_ms: row.updated_at_ms,
            })
        })
        .collect()
}
