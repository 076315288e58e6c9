//! The stored ledger as a whole: read across the compacted summary, verified end to end,
//! erased and expired as personal data.

use rusqlite::Connection;

use super::compaction::{self, Outcome};
use super::ledger::{Head, Verifier};
use super::seal::{self, LedgerKey, SealPlace, Sealing};
use super::{db, ConsentBook, LedgerEntry};
use crate::data_holder::{Cutoff, DataHolder, Erased, PersonalData, Purged};
use crate::error::{Error, KeyUse, Result};
use crate::keys::{KeyProvider, KeyProviderError};
use crate::store::meta;

/// Replays the ledger into the state it implies, verifying it on the way: the compacted
/// summary's link, every row's seq, link and hash, the recorded head, and where the head's
/// seal sits on that chain; with `key`, the summary's seal and the head's seal are checked
/// too. `LedgerTampered` names the first entry that does not verify; nothing is applied then.
pub(crate) fn load_verified(
    conn: &Connection,
    key: Option<&LedgerKey>,
) -> Result<(ConsentBook, Sealing)> {
    let summary = compaction::Summary::load(conn)?;
    let sealed = db::sealed_head(conn)?;
    if key.is_none() && (summary.is_some() || sealed.is_some()) && !has_seal_key(conn)? {
        // The summary and the seal are only ever written with a seal key beside them.
        return Err(seal::tampered(
            1,
            "the ledger's seal key is missing from the store",
        ));
    }
    let mut book = ConsentBook::default();
    let start = match &summary {
        None => Head::default(),
        Some(summary) => {
            if let Some(key) = key {
                summary.check_seal(&key.seal)?;
            }
            summary.restore(&mut book);
            summary.through
        }
    };
    if let (Some((at, mac)), Some(key)) = (&sealed, key) {
        key.check(at, mac)?;
    }
    let mut place = SealPlace::new(sealed.map(|(at, _)| at), &start)?;
    let head = db::recorded_head(conn)?;
    let mut verifier = Verifier::new(start);
    db::for_each(conn, 0, u32::MAX, |row| {
        let row = row?;
        let hash = verifier.next(&row)?;
        place.visit(row.entry.seq, &hash, row.entry.action)?;
        book.apply(&row.entry, hash);
        Ok(())
    })?;
    verifier.finish(head)?;
    let seal_behind = place.finish(&head)?;
    let sealing = match (key, sealed) {
        (None, _) => Sealing::Unchecked,
        (Some(_), Some(_)) if seal_behind => Sealing::Behind { adopt: false },
        (Some(_), Some(_)) => Sealing::Sealed,
        (Some(_), None) => Sealing::Behind {
            adopt: head.seq > 0 || summary.is_some(),
        },
    };
    Ok((book, sealing))
}

fn has_seal_key(conn: &Connection) -> Result<bool> {
    Ok(meta::get(conn, compaction::SEAL_KEY_META)?.is_some())
}

/// The ledger key through `provider`: `Ok(None)` while the keystore is unavailable (the
/// ledger is then checked by its chain alone, and under the key once it is there). With
/// `create`, a store without a seal key gets one, wrapped in the caller's transaction. A key
/// the platform lost, or that fails its canary, is `LedgerSealLost`: what it sealed can no
/// longer be checked.
pub(crate) fn ledger_key(
    conn: &Connection,
    provider: &dyn KeyProvider,
    create: bool,
) -> Result<Option<LedgerKey>> {
    match compaction::seal_key(conn, provider, create) {
        Ok(key) => Ok(key.map(LedgerKey::new)),
        Err(Error::KeyProvider {
            source: KeyProviderError::Unavailable,
            ..
        }) => {
            log::warn!("the keystore is unavailable: the ledger's seal is checked later");
            Ok(None)
        }
        Err(Error::KeyProvider {
            key: KeyUse::LedgerSeal,
            source: KeyProviderError::KeyLost,
        }) => Err(Error::LedgerSealLost),
        Err(other) => Err(other),
    }
}

/// Verifies the ledger under the key `provider` holds and seals its head if the seal is
/// behind, in the caller's transaction, creating the seal key if the store has none. Returns
/// the key and the consent state the verified ledger implies; `None` while the keystore is
/// unavailable.
pub(crate) fn verify_and_seal(
    conn: &Connection,
    provider: &dyn KeyProvider,
) -> Result<Option<(LedgerKey, ConsentBook)>> {
    let existing = ledger_key(conn, provider, false)?;
    let (book, sealing) = load_verified(conn, existing.as_ref())?;
    let key = match existing {
        Some(key) => key,
        // No seal key yet: nothing was ever sealed, so the chain alone was the check there
        // was to make.
        None => match ledger_key(conn, provider, true)? {
            Some(key) => key,
            None => return Ok(None),
        },
    };
    seal_if_behind(conn, &key, &book, sealing)?;
    Ok(Some((key, book)))
}

/// Seals the head of the verified ledger `book` under `key`, in the caller's transaction,
/// unless the seal already covers it; a ledger never sealed is adopted as it stands, with a
/// warning.
pub(crate) fn seal_if_behind(
    conn: &Connection,
    key: &LedgerKey,
    book: &ConsentBook,
    sealing: Sealing,
) -> Result<()> {
    if sealing == Sealing::Sealed {
        return Ok(());
    }
    let adopt = matches!(sealing, Sealing::Behind { adopt: true })
        || (sealing == Sealing::Unchecked && book.head().seq > 0);
    if adopt {
        log::warn!(
            "the consent ledger had no seal; it is sealed as it stands ({} entries)",
            book.head().seq
        );
    }
    key.seal(conn, book.head())
}

/// Recomputes the stored ledger's hash chain; `LedgerTampered` names the first bad entry. A
/// compacted summary's seal is checked first, through `keys` (`NoKeyProvider` without one,
/// `LedgerSealLost` if its key is gone), and so is the head's seal; the chain continues from
/// the summary. Returns the length of the ledger verified.
pub(crate) fn verify(conn: &Connection, keys: Option<&dyn KeyProvider>) -> Result<u64> {
    let key = match keys {
        Some(provider) => compaction::seal_key(conn, provider, false)?.map(LedgerKey::new),
        None => None,
    };
    if key.is_none() && compaction::Summary::load(conn)?.is_some() {
        if keys.is_none() {
            return Err(Error::NoKeyProvider);
        }
        if !has_seal_key(conn)? {
            return Err(seal::tampered(
                1,
                "the ledger's seal key is missing from the store",
            ));
        }
    }
    let (book, _) = load_verified(conn, key.as_ref())?;
    Ok(book.head().seq)
}

/// Sets the whole ledger aside (see `db::set_aside`) after it did not verify, in the
/// caller's transaction; with `seal_lost`, the seal key that can no longer be unwrapped is
/// dropped too, so a new one is made. Returns the records set aside.
pub(crate) fn set_aside(
    conn: &Connection,
    now_ms: i64,
    reason: &str,
    seal_lost: bool,
) -> Result<u64> {
    let kept = db::set_aside(conn, now_ms, reason)?;
    if seal_lost {
        conn.execute(
            "DELETE FROM meta WHERE key = ?1",
            [compaction::SEAL_KEY_META],
        )?;
    }
    log::warn!("the consent ledger did not verify; {kept} record(s) set aside as unverified");
    Ok(kept)
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

    /// The rows, the summary, the head and its seal, and what was set aside as unverified.
    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        let rows = db::delete_rows(conn, None)?;
        let summaries = conn.execute("DELETE FROM ledger_summary", [])?;
        let set_aside = conn.execute("DELETE FROM ledger_set_aside", [])?;
        conn.execute(
            "DELETE FROM meta WHERE key IN ('ledger_head', ?1)",
            [db::HEAD_SEAL_KEY],
        )?;
        Ok(Erased {
            records: rows + count(summaries) + count(set_aside),
            keys_destroyed: false,
        })
    }

    /// Ledger entries superseded this many days ago: compacted into the sealed summary,
    /// which keeps the entries still in force.
    fn retention_id(&self) -> Option<&'static str> {
        Some("consent_records")
    }

    /// Also deletes unverified history set aside before the cutoff: it proves nothing, and
    /// the same period bounds how long it is kept.
    fn purge(
        &self,
        conn: &Connection,
        cutoff: Cutoff,
        keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        let set_aside = count(conn.execute(
            "DELETE FROM ledger_set_aside WHERE set_aside_ms < ?1",
            [cutoff.ms],
        )?);
        Ok(
            match compaction::compact(conn, cutoff.ms, cutoff.now_ms, keys)? {
                Outcome::Compacted(rows) => Purged::Records(rows + set_aside),
                Outcome::NothingExpired => Purged::Records(set_aside),
                Outcome::Deferred(reason) => Purged::Deferred(reason),
            },
        )
    }
}

fn count(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}
