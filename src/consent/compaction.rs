//! Ledger compaction: consent records older than the policy's proof-retention period
//! (retention id `consent_records`) leave the ledger table for one sealed summary.
//!
//! What stays is every entry still in force at the compaction point (the newest choice and
//! objection per scope, the restriction state, the accepted policy version, the declared
//! facts), verbatim with its hash: proof of what the user chose is kept for as long as it
//! governs processing. What goes is every entry that was superseded before the cutoff. The
//! summary also keeps the chain link (seq, hash) that the next row continues from, so
//! `verify_ledger` checks the seal, then the chain from that link to the head.
//!
//! The seal is HMAC-SHA-256 under a key of its own, wrapped by the platform keystore. It is
//! not the vault key: withdrawing consent for linked accounts shreds that key, and the proof
//! of the withdrawal must outlive it. A MAC is checked on this device, by PrivacyKit; it is
//! an integrity seal against edits to the file, not a signature a third party can check.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::db::{self, StoredSummary};
use super::ledger::{self, Head};
use super::seal::{LedgerKey, SealPlace};
use super::{slot, ConsentAction, ConsentBook, ConsentSource, LedgerEntry};
use crate::data_holder::PurgeDeferral;
use crate::error::{Error, KeyUse, Result};
use crate::keys::sealing::SecretKey;
use crate::keys::{check_unwraps, KeyProvider, KeyProviderError};
use crate::store::meta;

/// The platform key that wraps the seal key. One per install; `wrap` creates it if needed,
/// so a wrap whose transaction rolled back leaves nothing to clean up.
const SEAL_ALIAS: &str = "privacykit.ledger-seal";
/// Meta entry: a canary (32 bytes) followed by the wrapped seal key.
pub(crate) const SEAL_KEY_META: &str = "ledger_seal_key";
const MAC_DOMAIN: &[u8] = b"privacykit/ledger-summary/v1";
const CANARY_DOMAIN: &[u8] = b"privacykit/ledger-seal/canary/v1";
const CANARY_LEN: usize = 32;

/// The compacted part of the ledger, for a "your consent history" screen and audits.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerSummary {
    /// Entries 1 to `through_seq` were compacted; later entries are still rows.
    pub through_seq: u64,
    /// When entry `through_seq` was recorded.
    pub through_time_ms: i64,
    pub compacted_at_ms: i64,
    /// The compacted entries still in force, oldest first, unchanged (hashes included).
    pub standing: Vec<LedgerEntry>,
}

/// What one compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The number of superseded entries dropped (entries in force moved into the summary).
    Compacted(u64),
    NothingExpired,
    Deferred(PurgeDeferral),
}

/// A compacted summary, parsed. Its seal is checked separately (`check_seal`), because
/// restoring the state at open does not need the keystore.
pub(crate) struct Summary {
    pub through: Head,
    pub through_time_ms: i64,
    pub compacted_at_ms: i64,
    /// The entries in force at `through.seq`, oldest first.
    pub standing: Vec<LedgerEntry>,
    stored: StoredSummary,
}

/// The summary's state as stored: the standing entries, field for field.
#[derive(Serialize, Deserialize)]
struct State {
    standing: Vec<StandingEntry>,
}

#[derive(Serialize, Deserialize)]
struct StandingEntry {
    seq: u64,
    time_ms: i64,
    policy_version: u32,
    action: String,
    purpose: Option<String>,
    category: Option<String>,
    source: String,
    detail: Option<String>,
    hash: String,
}

impl From<&LedgerEntry> for StandingEntry {
    fn from(entry: &LedgerEntry) -> Self {
        StandingEntry {
            seq: entry.seq,
            time_ms: entry.time_ms,
            policy_version: entry.policy_version,
            action: entry.action.as_str().to_owned(),
            purpose: entry.purpose.clone(),
            category: entry.category.clone(),
            source: entry.source.as_str().to_owned(),
            detail: entry.detail.clone(),
            hash: entry.hash.clone(),
        }
    }
}

impl Summary {
    /// The stored summary, if the ledger was ever compacted.
    pub fn load(conn: &Connection) -> Result<Option<Summary>> {
        let Some(stored) = db::summary(conn)? else {
            return Ok(None);
        };
        let malformed = || Error::LedgerTampered {
            seq: stored.through_seq,
            reason: "the compacted summary is not one PrivacyKit writes".into(),
        };
        let hash: [u8; 32] = stored
            .through_hash
            .as_slice()
            .try_into()
            .map_err(|_| malformed())?;
        let state: State = serde_json::from_str(&stored.state).map_err(|_| malformed())?;
        let mut standing = Vec::with_capacity(state.standing.len());
        let mut previous_seq = 0;
        for s in state.standing {
            if s.seq <= previous_seq || s.seq > stored.through_seq {
                return Err(malformed());
            }
            previous_seq = s.seq;
            standing.push(LedgerEntry {
                seq: s.seq,
                time_ms: s.time_ms,
                policy_version: s.policy_version,
                action: ConsentAction::from_str(&s.action).ok_or_else(malformed)?,
                purpose: s.purpose,
                category: s.category,
                source: ConsentSource::from_str(&s.source).ok_or_else(malformed)?,
                detail: s.detail,
                hash: s.hash,
            });
        }
        Ok(Some(Summary {
            through: Head {
                seq: stored.through_seq,
                hash,
            },
            through_time_ms: stored.through_time_ms,
            compacted_at_ms: stored.created_ms,
            standing,
            stored,
        }))
    }

    pub fn public(&self) -> LedgerSummary {
        LedgerSummary {
            through_seq: self.through.seq,
            through_time_ms: self.through_time_ms,
            compacted_at_ms: self.compacted_at_ms,
            standing: self.standing.clone(),
        }
    }

    /// Applies the standing entries to an empty book and continues the chain from the
    /// summary's link.
    pub fn restore(&self, book: &mut ConsentBook) {
        for entry in &self.standing {
            book.apply(entry, self.through.hash);
        }
        book.continue_from(self.through, self.through_time_ms);
    }

    /// `LedgerTampered` unless the seal matches under `key`.
    pub fn check_seal(&self, key: &SecretKey) -> Result<()> {
        seal(key, &self.stored)
            .verify_slice(&self.stored.mac)
            .map_err(|_| Error::LedgerTampered {
                seq: self.through.seq,
                reason: "the compacted summary does not match its seal".into(),
            })
    }
}

/// The MAC over every field of the summary row but the MAC itself.
fn seal(key: &SecretKey, summary: &StoredSummary) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(MAC_DOMAIN);
    mac.update(&summary.through_seq.to_be_bytes());
    mac.update(&(summary.through_hash.len() as u64).to_be_bytes());
    mac.update(&summary.through_hash);
    mac.update(&summary.through_time_ms.to_be_bytes());
    mac.update(&summary.created_ms.to_be_bytes());
    mac.update(&(summary.state.len() as u64).to_be_bytes());
    mac.update(summary.state.as_bytes());
    mac
}

fn canary(key: &SecretKey) -> [u8; CANARY_LEN] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(CANARY_DOMAIN);
    mac.finalize().into_bytes().into()
}

/// The seal key: unwrapped by the platform and checked against its canary; created and
/// wrapped (in the caller's transaction) when there is none and `create` is set.
pub(crate) fn seal_key(
    conn: &Connection,
    provider: &dyn KeyProvider,
    create: bool,
) -> Result<Option<SecretKey>> {
    let from_provider = Error::key_provider(KeyUse::LedgerSeal);
    if let Some(stored) = meta::get(conn, SEAL_KEY_META)? {
        if stored.len() <= CANARY_LEN {
            return Err(Error::LedgerSealLost);
        }
        let (expected, wrapped) = stored.split_at(CANARY_LEN);
        let bytes = provider
            .unwrap(SEAL_ALIAS.to_owned(), wrapped.to_vec())
            .map_err(from_provider)?;
        let key = SecretKey::from_vec(bytes).ok_or(Error::LedgerSealLost)?;
        if canary(&key).as_slice() != expected {
            log::warn!("the ledger seal key from the platform does not match its canary");
            return Err(Error::LedgerSealLost);
        }
        return Ok(Some(key));
    }
    if !create {
        return Ok(None);
    }
    let key = SecretKey::random();
    let wrapped = provider
        .wrap(SEAL_ALIAS.to_owned(), key.as_bytes().to_vec())
        .map_err(&from_provider)?;
    check_unwraps(provider, SEAL_ALIAS, &wrapped, &key).map_err(&from_provider)?;
    let mut stored = canary(&key).to_vec();
    stored.extend_from_slice(&wrapped);
    meta::set(conn, SEAL_KEY_META, &stored)?;
    Ok(Some(key))
}

/// Compacts the rows older than `cutoff_ms` into the summary, in the caller's transaction.
/// Verifies the existing seal and the whole chain first: nothing tampered is ever sealed.
pub(crate) fn compact(
    conn: &Connection,
    cutoff_ms: i64,
    now_ms: i64,
    provider: Option<&dyn KeyProvider>,
) -> Result<Outcome> {
    // Rows up to the summary's link are gone, so this cheap query alone decides the common
    // case, nothing expired, on every open.
    let Some(through_seq) = db::expired_prefix_end(conn, cutoff_ms)? else {
        return Ok(Outcome::NothingExpired);
    };
    let previous = Summary::load(conn)?;
    let start = previous.as_ref().map_or(Head::default(), |s| s.through);
    if through_seq <= start.seq {
        return Ok(Outcome::NothingExpired);
    }
    let Some(provider) = provider else {
        return Ok(Outcome::Deferred(PurgeDeferral::NoKeyProvider));
    };
    let key = match seal_key(conn, provider, true) {
        Ok(key) => key.expect("created when missing"),
        Err(Error::LedgerSealLost) => return Ok(Outcome::Deferred(PurgeDeferral::SealKeyLost)),
        Err(Error::KeyProvider {
            source: KeyProviderError::KeyLost,
            ..
        }) => return Ok(Outcome::Deferred(PurgeDeferral::SealKeyLost)),
        Err(Error::KeyProvider { .. }) => {
            return Ok(Outcome::Deferred(PurgeDeferral::KeystoreUnavailable))
        }
        Err(other) => return Err(other),
    };
    let does_not_verify = |err: Error| {
        log::warn!("consent records not compacted: {err}");
        Ok(Outcome::Deferred(PurgeDeferral::LedgerDoesNotVerify))
    };
    if let Some(previous) = &previous {
        if let Err(err) = previous.check_seal(&key) {
            return does_not_verify(err);
        }
    }

    // Verify the chain end to end, keeping the rows being compacted.
    let mut expiring = Vec::new();
    let mut rows = Vec::new();
    db::for_each(conn, 0, u32::MAX, |row| {
        if let Ok(stored) = &row {
            if stored.entry.seq <= through_seq {
                expiring.push((stored.entry.clone(), stored.hash.clone()));
            }
        }
        rows.push(row);
        Ok(())
    })?;
    // The head's seal too, under the same key: a ledger whose seal does not sit on its chain
    // (cut off after the seal, rewritten and recomputed) is never sealed into a summary.
    let ledger_key = LedgerKey::new(key.clone());
    let head = db::recorded_head(conn)?;
    let checked = (|| {
        let sealed = db::sealed_head(conn)?;
        if let Some((at, mac)) = &sealed {
            ledger_key.check(at, mac)?;
        }
        let mut place = SealPlace::new(sealed.map(|(at, _)| at), &start)?;
        let mut verifier = ledger::Verifier::new(start);
        for row in rows {
            let row = row?;
            let hash = verifier.next(&row)?;
            place.visit(row.entry.seq, &hash, row.entry.action)?;
        }
        verifier.finish(head)?;
        place.finish(&head)
    })();
    if let Err(err) = checked {
        return does_not_verify(err);
    }
    // The seal is on the head already, or is put there now (a ledger never sealed, or one
    // whose newest entries, only taking permission away, were appended without the key).
    ledger_key.seal(conn, &head)?;

    let earlier = previous.map(|s| s.standing).unwrap_or_default();
    let considered = earlier.len() + expiring.len();
    let standing = in_force(
        earlier
            .into_iter()
            .chain(expiring.iter().map(|(e, _)| e.clone())),
    );

    let (last, last_hash) = expiring.last().expect("through_seq > start.seq");
    let mut summary = StoredSummary {
        through_seq,
        through_hash: last_hash.clone(),
        through_time_ms: last.time_ms,
        state: serde_json::to_string(&State {
            standing: standing.iter().map(StandingEntry::from).collect(),
        })
        .expect("plain data serializes"),
        created_ms: now_ms,
        mac: Vec::new(),
    };
    summary.mac = seal(&key, &summary).finalize().into_bytes().to_vec();
    db::put_summary(conn, &summary)?;
    db::delete_rows(conn, Some(through_seq))?;
    Ok(Outcome::Compacted((considered - standing.len()) as u64))
}

/// The entries among `entries` (in seq order) that no later one supersedes, oldest first.
fn in_force(entries: impl IntoIterator<Item = LedgerEntry>) -> Vec<LedgerEntry> {
    let mut by_slot = HashMap::new();
    for entry in entries {
        if let Some(slot) = slot(&entry) {
            by_slot.insert(slot, entry);
        }
    }
    let mut standing: Vec<LedgerEntry> = by_slot.into_values().collect();
    standing.sort_by_key(|e| e.seq);
    standing
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic mix of every action over a few scopes, with some declarations whose
    /// detail does not parse.
    fn entries(n: u64, mut seed: u64) -> Vec<LedgerEntry> {
        const ACTIONS: [ConsentAction; 9] = [
            ConsentAction::Grant,
            ConsentAction::Deny,
            ConsentAction::Withdraw,
            ConsentAction::Object,
            ConsentAction::WithdrawObjection,
            ConsentAction::Restrict,
            ConsentAction::LiftRestriction,
            ConsentAction::AcceptPolicy,
            ConsentAction::DeclareFacts,
        ];
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (1..=n)
            .map(|seq| {
                let action = ACTIONS[(next() % 9) as usize];
                let scoped = action.is_scoped();
                let r = next();
                LedgerEntry {
                    seq,
                    time_ms: seq as i64,
                    policy_version: 1 + (r % 3) as u32,
                    action,
                    purpose: scoped.then(|| ["analytics", "advertising"][(r % 2) as usize].into()),
                    category: (scoped && r % 3 == 0).then(|| "location".into()),
                    source: ConsentSource::User,
                    detail: (action == ConsentAction::DeclareFacts).then(|| {
                        if r % 4 == 0 {
                            "not json".into()
                        } else {
                            format!(r#"{{"age_years":{},"jurisdiction":"DE"}}"#, 10 + r % 30)
                        }
                    }),
                    hash: String::new(),
                }
            })
            .collect()
    }

    fn replay(entries: &[LedgerEntry]) -> ConsentBook {
        let mut book = ConsentBook::default();
        for entry in entries {
            book.apply(entry, [0; 32]);
        }
        book
    }

    #[test]
    fn the_entries_in_force_rebuild_the_same_state() {
        for seed in 1..200 {
            let all = entries(60, seed);
            let standing = in_force(all.clone());
            assert!(
                standing.len() <= 1 + 2 * 2 * 2 + 3,
                "at most one entry per slot"
            );
            let mut from_standing = replay(&standing);
            let last = all.last().map_or(0, |e| e.time_ms);
            from_standing.continue_from(*replay(&all).head(), last);
            assert_eq!(from_standing, replay(&all), "seed {seed}");
        }
    }

    #[test]
    fn compacting_in_two_steps_keeps_what_one_step_keeps() {
        let all = entries(80, 7);
        let once = in_force(all.clone());
        let first = in_force(all[..30].to_vec());
        let twice = in_force(first.into_iter().chain(all[30..].iter().cloned()));
        assert_eq!(once, twice);
    }
}
