//! The consent ledger's rows, its recorded head and the head's seal, the compacted summary,
//! and the rows set aside when a ledger did not verify.

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, Row};

use super::ledger::{Head, StoredEntry};
use super::{ConsentAction, ConsentSource, LedgerEntry};
use crate::error::{Error, Result};
use crate::store::meta;

const HEAD_KEY: &str = "ledger_head";
/// Meta entry: the sealed head, `[seq, u64 BE][hash, 32][HMAC-SHA-256, 32]` (see `seal`).
pub(crate) const HEAD_SEAL_KEY: &str = "ledger_head_seal";

/// A seq as SQLite stores it. Seqs count appended entries, so one beyond `i64::MAX` is never
/// written; refusing it keeps a wrapped negative number out of the file.
fn stored_seq(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Internal {
        reason: "a ledger seq beyond the range SQLite stores",
    })
}

/// A seq read from the file; a negative one is not one PrivacyKit writes.
fn read_seq(seq: i64) -> Result<u64> {
    u64::try_from(seq).map_err(|_| Error::LedgerTampered {
        seq: 0,
        reason: "a stored seq is negative".into(),
    })
}

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
            stored_seq(entry.seq)?,
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

/// The sealed head and its MAC, if the head was ever sealed.
pub(crate) fn sealed_head(conn: &Connection) -> Result<Option<(Head, [u8; 32])>> {
    match meta::get(conn, HEAD_SEAL_KEY)? {
        None => Ok(None),
        Some(bytes) if bytes.len() == 72 => {
            let seq = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
            let hash: [u8; 32] = bytes[8..40].try_into().expect("32 bytes");
            let mac: [u8; 32] = bytes[40..].try_into().expect("32 bytes");
            Ok(Some((Head { seq, hash }, mac)))
        }
        Some(_) => Err(Error::LedgerTampered {
            seq: 0,
            reason: "the ledger's seal is malformed".into(),
        }),
    }
}

/// Records the seal of `head`, in the caller's transaction.
pub(crate) fn put_sealed_head(conn: &Connection, head: &Head, mac: &[u8; 32]) -> Result<()> {
    let mut value = Vec::with_capacity(72);
    value.extend_from_slice(&head.seq.to_be_bytes());
    value.extend_from_slice(&head.hash);
    value.extend_from_slice(mac);
    meta::set(conn, HEAD_SEAL_KEY, &value)
}

/// Calls `visit` with every row after `after_seq` in storage order. A seq beyond what SQLite
/// stores has no row after it.
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
    let Ok(after_seq) = i64::try_from(after_seq) else {
        return Ok(());
    };
    let mut rows = stmt.query(params![after_seq, limit])?;
    while let Some(row) = rows.next()? {
        visit(read_row(row))?;
    }
    Ok(())
}

fn read_row(row: &Row<'_>) -> Result<StoredEntry> {
    let seq = read_seq(row.get(0)?)?;
    let unreadable = |what: &str| Error::LedgerTampered {
        seq,
        reason: format!("the stored {what} is not one PrivacyKit writes"),
    };
    let action: String = row.get(3)?;
    let source: String = row.get(6)?;
    let hash: Vec<u8> = row.get(8)?;
    let entry = LedgerEntry {
        seq,
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

/// The triggers that keep the ledger append-only (migration v001). Only erasure, compaction
/// and setting a tampered ledger aside lift the delete guard, for their own transaction; a
/// guard dropped by someone else is put back then.
const NO_DELETE_TRIGGER: &str =
    "CREATE TRIGGER consent_ledger_no_delete BEFORE DELETE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;";
const NO_UPDATE_TRIGGER: &str =
    "CREATE TRIGGER IF NOT EXISTS consent_ledger_no_update BEFORE UPDATE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;";

/// Deletes the rows up to `through_seq` (every row when `None`) in the caller's transaction,
/// lifting the append-only guard for that transaction only. Returns the rows deleted.
pub(crate) fn delete_rows(conn: &Connection, through_seq: Option<u64>) -> Result<u64> {
    conn.execute_batch("DROP TRIGGER IF EXISTS consent_ledger_no_delete")?;
    let deleted = match through_seq {
        Some(seq) => conn.execute(
            "DELETE FROM consent_ledger WHERE seq <= ?1",
            [stored_seq(seq)?],
        )?,
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
    seq.map(read_seq).transpose()
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
        through_seq: read_seq(row.get(0)?)?,
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
            stored_seq(summary.through_seq)?,
            summary.through_hash,
            summary.through_time_ms,
            summary.state,
            summary.created_ms,
            summary.mac,
        ],
    )?;
    Ok(())
}

/// Moves every ledger row and the compacted summary, as they are stored, into
/// `ledger_set_aside`, then empties the ledger (rows, summary, head and seal) in the caller's
/// transaction. Each set-aside record keeps the row's columns as JSON, whatever their types
/// became: a tampered row need not be one PrivacyKit could read. Returns the records kept.
pub(crate) fn set_aside(conn: &Connection, now_ms: i64, reason: &str) -> Result<u64> {
    let mut kept = 0u64;
    let mut keep = |origin: &str, content: serde_json::Value| -> Result<()> {
        conn.execute(
            "INSERT INTO ledger_set_aside (set_aside_ms, reason, origin, content)
             VALUES (?1, ?2, ?3, ?4)",
            params![now_ms, reason, origin, content.to_string()],
        )?;
        kept += 1;
        Ok(())
    };
    for (origin, sql) in [
        ("summary", "SELECT * FROM ledger_summary"),
        ("entry", "SELECT * FROM consent_ledger ORDER BY rowid"),
    ] {
        let mut stmt = conn.prepare(sql)?;
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut object = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                object.insert(name.clone(), json_of(row.get_ref(i)?));
            }
            keep(origin, serde_json::Value::Object(object))?;
        }
    }
    delete_rows(conn, None)?;
    conn.execute_batch(NO_UPDATE_TRIGGER)?;
    conn.execute("DELETE FROM ledger_summary", [])?;
    conn.execute(
        "DELETE FROM meta WHERE key IN (?1, ?2)",
        [HEAD_KEY, HEAD_SEAL_KEY],
    )?;
    Ok(kept)
}

/// A stored value as JSON: blobs (hashes) in hex, text as it is.
fn json_of(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(r) => serde_json::Number::from_f64(r)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned().into(),
        ValueRef::Blob(bytes) => super::ledger::to_hex(bytes).into(),
    }
}

/// One record of the ledger set aside because it did not verify.
pub(crate) struct SetAsideRecord {
    pub set_aside_ms: i64,
    pub reason: String,
    /// `entry` for a ledger row, `summary` for a compacted summary.
    pub origin: String,
    /// The stored columns, as JSON.
    pub content: String,
}

pub(crate) fn set_aside_records(conn: &Connection) -> Result<Vec<SetAsideRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT set_aside_ms, reason, origin, content FROM ledger_set_aside ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SetAsideRecord {
            set_aside_ms: r.get(0)?,
            reason: r.get(1)?,
            origin: r.get(2)?,
            content: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
