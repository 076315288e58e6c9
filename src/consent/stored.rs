//! The stored ledger as a whole: read across the compacted summary, verified end to end,
//! erased and expired as personal data.

use rusqlite::Connection;

use super::compaction::{self, Outcome};
use super::{db, ledger, ConsentBook, LedgerEntry};
use crate::data_holder::{Cutoff, DataHolder, Erased, PersonalData, Purged};
use crate::error::{Error, Result};
use crate::keys::KeyProvider;

/// Replays the ledger into the state it implies: the compacted summary's standing entries,
/// then the rows after it.
pub(crate) fn load_book(conn: &Connection) -> Result<ConsentBook> {
    let mut book = ConsentBook::default();
    if let Some(summary) = compaction::Summary::load(conn)? {
        summary.restore(&mut book);
    }
    db::for_each(conn, 0, u32::MAX, |row| {
        let row = row?;
        let hash: [u8; 32] = row
            .hash
            .as_slice()
            .try_into()
            .map_err(|_| Error::LedgerTampered {
                seq: row.entry.seq,
                reason: "a stored hash has the wrong length".into(),
            })?;
        book.apply(&row.entry, hash);
        Ok(())
    })?;
    Ok(book)
}

/// Recomputes the stored ledger's hash chain; `LedgerTampered` names the first bad entry. A
/// compacted summary's seal is checked first, through `keys` (`NoKeyProvider` without one,
/// `LedgerSealLost` if its key is gone), and the chain continues from it. Returns the length
/// of the ledger verified.
pub(crate) fn verify(conn: &Connection, keys: Option<&dyn KeyProvider>) -> Result<u64> {
    let start = match compaction::Summary::load(conn)? {
        None => ledger::Head::default(),
        Some(summary) => {
            let provider = keys.ok_or(Error::NoKeyProvider)?;
            let key = compaction::seal_key(conn, provider, false)?.ok_or(Error::LedgerSealLost)?;
            summary.check_seal(&key)?;
            summary.through
        }
    };
    let head = db::recorded_head(conn)?;
    let mut rows = Vec::new();
    db::for_each(conn, 0, u32::MAX, |row| {
        rows.push(row);
        Ok(())
    })?;
    ledger::verify(rows, start, head)
}

/// Up to `limit` entries after `after_seq`, oldest first: the compacted entries still in
/// force, then the rows.
pub(crate) fn entries_after(
    conn: &Connection,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<LedgerEntry>> {
    let mut entries: Vec<LedgerEntry> = compaction::Summary::load(conn)?
        .map(|s| s.standing)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.seq > after_seq)
        .take(limit as usize)
        .collect();
    let rows_wanted = limit.saturating_sub(entries.len() as u32);
    db::for_each(conn, after_seq, rows_wanted, |row| {
        entries.push(row?.entry);
        Ok(())
    })?;
    Ok(entries)
}

/// The ledger as personal data: erased with its summary and head, and compacted when the
/// policy's `consent_records` period passes (see `compaction`).
pub(crate) struct LedgerHolder;

impl DataHolder for LedgerHolder {
    fn data(&self) -> PersonalData {
        PersonalData::ConsentLedger
    }

    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        let rows = db::delete_rows(conn, None)?;
        let summaries = conn.execute("DELETE FROM ledger_summary", [])? as u64;
        conn.execute("DELETE FROM meta WHERE key = 'ledger_head'", [])?;
        Ok(Erased {
            records: rows + summaries,
            keys_destroyed: false,
        })
    }

    /// Ledger entries superseded this many days ago: compacted into the sealed summary,
    /// which keeps the entries still in force.
    fn retention_id(&self) -> Option<&'static str> {
        Some("consent_records")
    }

    fn purge(
        &self,
        conn: &Connection,
        cutoff: Cutoff,
        keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        Ok(
            match compaction::compact(conn, cutoff.ms, cutoff.now_ms, keys)? {
                Outcome::Compacted(rows) => Purged::Records(rows),
                Outcome::NothingExpired => Purged::Records(0),
                Outcome::Deferred(reason) => Purged::Deferred(reason),
            },
        )
    }
}
