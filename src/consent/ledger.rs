//! The hash chain over consent ledger entries.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, and the store keeps
//! the newest (seq, hash) as the head. Editing a row breaks its hash, deleting or reordering
//! rows breaks the sequence or the chain, and cutting rows off the end no longer reaches the
//! head. The chain is unkeyed: someone able to rewrite the file can recompute it. What stops
//! that writer is the keyed seal over the head (`consent::seal`), checked with the chain at
//! every open.

use sha2::{Digest, Sha256};

use super::LedgerEntry;
use crate::error::{Error, Result};

/// The newest entry's sequence number and hash; seq 0 and zero hash for an empty ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: [u8; 32],
}

const DOMAIN: &[u8] = b"privacykit/consent-ledger/v1";

/// The hash of `entry` chained to `previous`. `entry.hash` itself is not an input.
pub(crate) fn chain(previous: &[u8; 32], entry: &LedgerEntry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(previous);
    h.update(entry.seq.to_be_bytes());
    h.update(entry.time_ms.to_be_bytes());
    h.update(entry.policy_version.to_be_bytes());
    field(&mut h, Some(entry.action.as_str()));
    field(&mut h, entry.purpose.as_deref());
    field(&mut h, entry.category.as_deref());
    field(&mut h, Some(entry.source.as_str()));
    // Added with declared facts; entries without a detail hash exactly as before.
    if let Some(detail) = &entry.detail {
        field(&mut h, Some(detail));
    }
    h.finalize().into()
}

/// Length-prefixed, with absence distinct from the empty string, so no two different entries
/// encode to the same bytes.
fn field(h: &mut Sha256, value: Option<&str>) {
    match value {
        None => h.update([0u8]),
        Some(text) => {
            h.update([1u8]);
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
        }
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        hex.push(DIGITS[usize::from(b >> 4)] as char);
        hex.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    hex
}

/// A ledger row as stored: the entry and the chain links written beside it.
pub(crate) struct StoredEntry {
    pub entry: LedgerEntry,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Checks a chain row by row: from `start` (the empty ledger, or the link a compacted
/// summary ends with), each row's seq, link and hash, then the recorded head. Used at every
/// open, by `verify_ledger` and before a compaction, so one definition decides what verifies.
pub(crate) struct Verifier {
    previous: [u8; 32],
    expected_seq: u64,
}

fn tampered(seq: u64, reason: &str) -> Error {
    Error::LedgerTampered {
        seq,
        reason: reason.to_owned(),
    }
}

impl Verifier {
    pub fn new(start: Head) -> Verifier {
        Verifier {
            previous: start.hash,
            expected_seq: start.seq.saturating_add(1),
        }
    }

    /// Checks the next row; returns its hash.
    pub fn next(&mut self, row: &StoredEntry) -> Result<[u8; 32]> {
        let seq = row.entry.seq;
        if seq != self.expected_seq {
            return Err(tampered(
                self.expected_seq,
                "an entry is missing or out of order",
            ));
        }
        if row.prev_hash != self.previous {
            return Err(tampered(seq, "the link to the previous entry is broken"));
        }
        let hash = chain(&self.previous, &row.entry);
        if row.hash != hash {
            return Err(tampered(seq, "the entry's content does not match its hash"));
        }
        self.previous = hash;
        self.expected_seq = seq.saturating_add(1);
        Ok(hash)
    }

    /// Checks that the rows reached the recorded head; returns the head's seq: the length of
    /// the ledger now vouched for.
    pub fn finish(self, head: Head) -> Result<u64> {
        let verified = self.expected_seq - 1;
        if verified != head.seq || self.previous != head.hash {
            return Err(tampered(
                verified + 1,
                "entries are missing from the end of the ledger",
            ));
        }
        Ok(head.seq)
    }
}

/// Checks the chain of `rows`, in the order of their row ids, from `start` to the recorded
/// head (see `Verifier`).
#[cfg(test)]
fn verify(
    rows: impl IntoIterator<Item = Result<StoredEntry>>,
    start: Head,
    head: Head,
) -> Result<u64> {
    let mut verifier = Verifier::new(start);
    for row in rows {
        verifier.next(&row?)?;
    }
    verifier.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{ConsentAction, ConsentSource};

    fn entries(n: u64) -> (Vec<StoredEntry>, Head) {
        let mut previous = [0u8; 32];
        let rows: Vec<StoredEntry> = (1..=n)
            .map(|seq| {
                let entry = LedgerEntry {
                    seq,
                    time_ms: seq as i64 * 1000,
                    policy_version: 1,
                    action: ConsentAction::Grant,
                    purpose: Some("analytics".into()),
                    category: None,
                    source: ConsentSource::User,
                    detail: None,
                    hash: String::new(),
                };
                let hash = chain(&previous, &entry);
                let row = StoredEntry {
                    entry,
                    prev_hash: previous.to_vec(),
                    hash: hash.to_vec(),
                };
                previous = hash;
                row
            })
            .collect();
        (
            rows,
            Head {
                seq: n,
                hash: previous,
            },
        )
    }

    fn check(rows: Vec<StoredEntry>, head: Head) -> Result<u64> {
        verify(rows.into_iter().map(Ok), Head::default(), head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (rows, head) = entries(5);
        assert_eq!(check(rows, head).unwrap(), 5);
        assert_eq!(check(Vec::new(), Head::default()).unwrap(), 0);
    }

    #[test]
    fn every_kind_of_tampering_is_found() {
        let (mut rows, head) = entries(5);
        rows[2].entry.purpose = Some("marketing".into());
        assert!(matches!(
            check(rows, head),
            Err(Error::LedgerTampered { seq: 3, .. })
        ));

        let (mut rows, head) = entries(5);
        rows.remove(1);
        assert!(matches!(
            check(rows, head),
            Err(Error::LedgerTampered { seq: 2, .. })
        ));

        let (mut rows, head) = entries(5);
        rows.swap(1, 2);
        assert!(check(rows, head).is_err());

        let (mut rows, head) = entries(5);
        rows.pop();
        assert!(matches!(
            check(rows, head),
            Err(Error::LedgerTampered { seq: 5, .. })
        ));
    }

    #[test]
    fn a_chain_can_start_from_a_compacted_link() {
        let (mut rows, head) = entries(5);
        let kept = rows.split_off(2);
        let start = Head {
            seq: 2,
            hash: rows[1].hash.as_slice().try_into().unwrap(),
        };
        assert_eq!(verify(kept.into_iter().map(Ok), start, head).unwrap(), 5);

        // A start that is not the link the first kept row continues from.
        let (mut rows, head) = entries(5);
        let kept = rows.split_off(2);
        let wrong = Head {
            seq: 2,
            hash: [7; 32],
        };
        assert!(matches!(
            verify(kept.into_iter().map(Ok), wrong, head),
            Err(Error::LedgerTampered { seq: 3, .. })
        ));
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn absent_and_empty_fields_hash_differently() {
        let (rows, _) = entries(1);
        let mut entry = rows[0].entry.clone();
        let with_none = chain(&[0; 32], &entry);
        entry.category = Some(String::new());
        assert_ne!(with_none, chain(&[0; 32], &entry));
    }
}
