//! The consent ledger's rows and its recorded head.

use rusqlite::{params, Connection, Row};

use super::ledger::{Head, StoredEntry};
use super::{ConsentAction, ConsentSource, LedgerEntry};
use crate::error::{Error, Result};
use crate::store::meta;

const HEAD_KEY: &str = "ledger_head";

/// Appends one chained entry and moves the recorded head to it.
pub(crate) fn append(
    conn: &Connection,
    entry: &LedgerEntry,
    prev_hash: &[u8; 32],
    hash: &[u8; 32],
) -> Result<()> {
    conn.execute(
        "INSERT INTO consent_ledger
             (seq, time_ms, policy_version, action, purpose, category, source, prev_hash, hash,
              detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            entry.seq as i64,
            entry.time_ms,
            entry.policy_version,
            entry.action.as_str(),
            entry.purpose,
            entry.category,
            entry.source.as_str(),
            prev_hash.as_slice(),
            hash.as_slice(),
            entry.detail,
        ],
    )?;
    let mut head = Vec::with_capacity(40);
    head.extend_from_slice(&entry.seq.to_be_bytes());
    head.extend_from_slice(hash);
    meta::set(conn, HEAD_KEY, &head)
}

/// The head recorded beside the rows; an empty ledger has none.
pub(crate) fn recorded_head(conn: &Connection) -> Result<Head> {
    match meta::get(conn, HEAD_KEY)? {
        None => Ok(Head::default()),
        Some(bytes) if bytes.len() == 40 => {
            let mut seq = [0u8; 8];
            seq.copy_from_slice(&bytes[..8]);
            let mut hash = [0u8; 32];
            hash.copy_from_slice(&bytes[8..]);
            Ok(Head {
                seq: u64::from_be_bytes(seq),
                hash,
            })
        }
        Some(_) => Err(Error::LedgerTampered {
            seq: 0,
            reason: "the recorded ledger head is malformed".into(),
        }),
    }
}

/// Calls `visit` with every row in storage order.
pub(crate) fn for_each(
    conn: &Connection,
    after_seq: u64,
    limit: u32,
    mut visit: impl FnMut(Result<StoredEntry>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, time_ms, policy_version, action, purpose, category, source, prev_hash, hash,
                detail
         FROM consent_ledger WHERE seq > ?1 ORDER BY rowid LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after_seq as i64, limit])?;
    while let Some(row) = rows.next()? {
        visit(read_row(row))?;
    }
    Ok(())
}

fn read_row(row: &Row<'_>) -> Result<StoredEntry> {
    let seq: i64 = row.get(0)?;
    let unreadable = |what: &str| Error::LedgerTampered {
        seq: seq as u64,
        reason: format!("the stored {what} is not one PrivacyKit writes"),
    };
    let action: String = row.get(3)?;
    let source: String = row.get(6)?;
    let hash: Vec<u8> = row.get(8)?;
    let entry = LedgerEntry {
        seq: seq as u64,
        time_ms: row.get(1)?,
        policy_version: row.get(2)?,
        action: ConsentAction::from_str(&action).ok_or_else(|| unreadable("action"))?,
        purpose: row.get(4)?,
        category: row.get(5)?,
        source: ConsentSource::from_str(&source).ok_or_else(|| unreadable("source"))?,
        detail: row.get(9)?,
        hash: super::ledger::to_hex(&hash),
    };
    Ok(StoredEntry {
        entry,
        prev_hash: row.get(7)?,
        hash,
    })
}

/// The trigger that keeps the ledger append-only (migration v001). Only erasure and
/// compaction lift it, for their own transaction.
const NO_DELETE_TRIGGER: &str =
    "CREATE TRIGGER consent_ledger_no_delete BEFORE DELETE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;";

/// Deletes the rows up to `through_seq` (every row when `None`) in the caller's transaction,
/// lifting the append-only guard for that transaction only. Returns the rows deleted.
pub(crate) fn delete_rows(conn: &Connection, through_seq: Option<u64>) -> Result<u64> {
    conn.execute_batch("DROP TRIGGER consent_ledger_no_delete")?;
    let deleted = match through_seq {
        Some(seq) => conn.execute("DELETE FROM consent_ledger WHERE seq <= ?1", [seq as i64])?,
        None => conn.execute("DELETE FROM consent_ledger", [])?,
    };
    conn.execute_batch(NO_DELETE_TRIGGER)?;
    Ok(deleted as u64)
}

/// The newest seq up to which every row is older than `cutoff_ms`: the longest prefix of the
/// ledger that retention may compact. Rows are in seq order; a clock that went backwards
/// cannot pull a newer row into the prefix.
pub(crate) fn expired_prefix_end(conn: &Connection, cutoff_ms: i64) -> Result<Option<u64>> {
    let seq: Option<i64> = conn.query_row(
        "SELECT max(seq) FROM consent_ledger
         WHERE seq < coalesce((SELECT min(seq) FROM consent_ledger WHERE time_ms >= ?1),
                              9223372036854775807)",
        [cutoff_ms],
        |r| r.get(0),
    )?;
    Ok(seq.map(|s| s as u64))
}

/// The compacted summary's row as stored (see `compaction`).
pub(crate) struct StoredSummary {
    pub through_seq: u64,
    pub through_hash: Vec<u8>,
    pub through_time_ms: i64,
    pub state: String,
    pub created_ms: i64,
    pub mac: Vec<u8>,
}

pub(crate) fn summary(conn: &Connection) -> Result<Option<StoredSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT through_seq, through_hash, through_time_ms, state, created_ms, mac
         FROM ledger_summary WHERE id = 1",
    )?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(StoredSummary {
        through_seq: row.get::<_, i64>(0)? as u64,
        through_hash: row.get(1)?,
        through_time_ms: row.get(2)?,
        state: row.get(3)?,
        created_ms: row.get(4)?,
        mac: row.get(5)?,
    }))
}

/// Writes the summary, replacing the previous one, in the caller's transaction.
pub(crate) fn put_summary(conn: &Connection, summary: &StoredSummary) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO ledger_summary
             (id, through_seq, through_hash, through_time_ms, state, created_ms, mac)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            summary.through_seq as i64,
            summary.through_hash,
            summary.through_time_ms,
            summary.state,
            summary.created_ms,
            summary.mac,
        ],
    )?;
    Ok(())
}
