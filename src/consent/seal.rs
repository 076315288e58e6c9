//! The keyed seal over the ledger's head.
//!
//! The hash chain is unkeyed: whoever can write the file can change entries and recompute
//! every hash after them, or cut entries off the end and rewrite the head. The seal closes
//! that: an HMAC-SHA-256 over the head's (seq, hash), under a key derived from the ledger seal
//! key (`compaction::seal_key`, wrapped by the app's `KeyProvider`), stored beside the head and
//! written in the same transaction as every append made while the key is at hand. A writer of
//! the file who cannot use the platform keystore cannot seal another head.
//!
//! At open the whole chain is verified (the summary's link, every row, the recorded head) and
//! the seal must sit on that chain at its head: the sealed seq is the seq of the newest row and
//! names its hash (or the summary's link, for a ledger compacted to its end). With the key, its
//! MAC is checked too.
//!
//! Once sealed, sealed for everything that gives permission: a grant (or a lifted objection or
//! restriction, an accepted policy, declared facts) is appended to a sealed ledger only with
//! the key, in the transaction that seals it. (Letting such appends made without the key follow
//! the sealed head, checked by the chain alone, would let a writer of the file append a forged
//! grant after a withdrawal and have it sealed at the next open.) Entries that only take
//! permission away (`ConsentAction::only_narrows`: deny, withdraw, object, restrict) may follow
//! the seal unsealed, so that a withdrawal never waits for a locked keystore; a forged one
//! could only refuse more, which a writer of the file can do anyway by deleting it. The head
//! is sealed again the next time the key is at hand. Only a ledger that was never sealed is
//! written without a seal otherwise, and it is sealed as it stands ("adopted") the first time
//! the key is at hand.

use hmac::{Hmac, Mac};
use rusqlite::Connection;
use sha2::Sha256;

use super::db;
use super::ledger::Head;
use crate::consent::ConsentAction;
use crate::error::{Error, Result};
use crate::keys::sealing::SecretKey;

const HEAD_KEY_LABEL: &[u8] = b"privacykit/ledger-head-key/v1";
const HEAD_DOMAIN: &[u8] = b"privacykit/ledger-head/v1";

/// The ledger seal key and the head key derived from it. One seal key per store: it seals the
/// compacted summary and, through the derived key, the head.
#[derive(Clone)]
pub(crate) struct LedgerKey {
    pub seal: SecretKey,
    head: SecretKey,
}

impl LedgerKey {
    pub fn new(seal: SecretKey) -> LedgerKey {
        let head = seal.derive(HEAD_KEY_LABEL);
        LedgerKey { seal, head }
    }

    fn mac(&self, head: &Head) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.head.as_bytes()).expect("any key length");
        mac.update(HEAD_DOMAIN);
        mac.update(&head.seq.to_be_bytes());
        mac.update(&head.hash);
        mac
    }

    /// Seals `head`, in the caller's transaction.
    pub fn seal(&self, conn: &Connection, head: &Head) -> Result<()> {
        let mac: [u8; 32] = self.mac(head).finalize().into_bytes().into();
        db::put_sealed_head(conn, head, &mac)
    }

    /// `LedgerTampered` unless `mac` is this key's seal of `head`.
    pub fn check(&self, head: &Head, mac: &[u8; 32]) -> Result<()> {
        self.mac(head)
            .verify_slice(mac)
            .map_err(|_| tampered(head.seq, "the ledger's head does not match its seal"))
    }
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerKey(<redacted>)")
    }
}

pub(crate) fn tampered(seq: u64, reason: &str) -> Error {
    Error::LedgerTampered {
        seq,
        reason: reason.to_owned(),
    }
}

/// Where the seal sits, checked while the chain is walked: `start` is where the chain begins
/// (the empty ledger or a summary's link); `visit` is called with every row's (seq, hash,
/// action).
pub(crate) struct SealPlace {
    sealed: Option<Head>,
    found: bool,
    /// The first entry after the seal that gives permission: never one PrivacyKit wrote.
    unsealed_widening: Option<u64>,
}

impl SealPlace {
    pub fn new(sealed: Option<Head>, start: &Head) -> Result<SealPlace> {
        let found = match &sealed {
            None => true,
            Some(at) if at.seq < start.seq => {
                return Err(tampered(
                    at.seq,
                    "the ledger's seal names an entry inside the compacted summary",
                ))
            }
            Some(at) if at.seq == start.seq => {
                if at.hash != start.hash {
                    return Err(tampered(
                        at.seq.max(1),
                        "the ledger's seal does not match the chain",
                    ));
                }
                true
            }
            Some(_) => false,
        };
        Ok(SealPlace {
            sealed,
            found,
            unsealed_widening: None,
        })
    }

    pub fn visit(&mut self, seq: u64, hash: &[u8; 32], action: ConsentAction) -> Result<()> {
        if let Some(at) = &self.sealed {
            if at.seq == seq {
                if &at.hash != hash {
                    return Err(tampered(seq, "the entry does not match the ledger's seal"));
                }
                self.found = true;
            } else if seq > at.seq && !action.only_narrows() && self.unsealed_widening.is_none() {
                self.unsealed_widening = Some(seq);
            }
        }
        Ok(())
    }

    /// After the last row: entries the seal covers must all be there, and only entries that
    /// take permission away after them. Answers whether such entries follow the seal, so
    /// that the head is to be sealed again.
    pub fn finish(self, head: &Head) -> Result<bool> {
        match (self.sealed, self.unsealed_widening) {
            (Some(at), _) if !self.found => Err(tampered(
                at.seq,
                "entries the ledger's seal covers are missing",
            )),
            (Some(_), Some(seq)) => Err(tampered(
                seq,
                "an entry after the ledger's seal gives permission without being sealed",
            )),
            (Some(at), None) => Ok(at.seq < head.seq),
            (None, _) => Ok(false),
        }
    }
}

/// How far the keyed seal vouches for the ledger as loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sealing {
    /// Checked under the key, and the seal covers the head.
    Sealed,
    /// The key is at hand and the head is not sealed: the ledger was never sealed (with
    /// `adopt` when it holds entries, sealed as they stand), or entries that only take
    /// permission away were appended while the key was not at hand. It is to be sealed now.
    Behind { adopt: bool },
    /// No key: the chain and the seal's place in it were checked, not the seal itself.
    Unchecked,
}

/// Why a ledger that verified at open no longer does, under the key given since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Tampered { seq: u64, reason: String },
    SealLost,
}

impl Problem {
    /// The problem `err` reports, if it is one.
    pub fn of(err: &Error) -> Option<Problem> {
        match err {
            Error::LedgerTampered { seq, reason } => Some(Problem::Tampered {
                seq: *seq,
                reason: reason.clone(),
            }),
            Error::LedgerSealLost => Some(Problem::SealLost),
            _ => None,
        }
    }

    pub fn error(&self) -> Error {
        match self {
            Problem::Tampered { seq, reason } => Error::LedgerTampered {
                seq: *seq,
                reason: reason.clone(),
            },
            Problem::SealLost => Error::LedgerSealLost,
        }
    }
}

/// The ledger's integrity as the engine keeps it, beside the consent state.
#[derive(Debug, Default)]
pub(crate) struct LedgerIntegrity {
    /// The key, once a key provider gave it and the ledger verified under it: every later
    /// append is sealed with it.
    pub key: Option<LedgerKey>,
    /// Why the ledger did not verify under the key given after open; until the app sets the
    /// ledger aside, no decision uses it and nothing is appended to it.
    pub problem: Option<Problem>,
    /// The store carries a seal: nothing is appended without the key.
    pub sealed: bool,
}

impl LedgerIntegrity {
    /// The problem's error while the ledger does not verify.
    pub fn usable(&self) -> Result<()> {
        match &self.problem {
            Some(problem) => Err(problem.error()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentAction::{Grant, Object, Withdraw};

    #[test]
    fn a_seal_covers_exactly_its_head_under_its_key() {
        let key = LedgerKey::new(SecretKey::random());
        let head = Head {
            seq: 7,
            hash: [3; 32],
        };
        let mac: [u8; 32] = key.mac(&head).finalize().into_bytes().into();
        key.check(&head, &mac).unwrap();
        let other = Head { seq: 6, ..head };
        assert!(key.check(&other, &mac).is_err());
        let other = Head {
            hash: [4; 32],
            ..head
        };
        assert!(key.check(&other, &mac).is_err());
        let stranger = LedgerKey::new(SecretKey::random());
        assert!(stranger.check(&head, &mac).is_err());
    }

    #[test]
    fn the_seal_must_sit_on_the_chain() {
        let at = Head {
            seq: 3,
            hash: [9; 32],
        };
        let head = |seq| Head {
            seq,
            hash: [seq as u8; 32],
        };
        let mut place = SealPlace::new(Some(at), &Head::default()).unwrap();
        place.visit(1, &[1; 32], Grant).unwrap();
        place.visit(2, &[2; 32], Grant).unwrap();
        assert!(matches!(
            place.finish(&head(2)),
            Err(Error::LedgerTampered { seq: 3, .. })
        ));

        let mut place = SealPlace::new(Some(at), &Head::default()).unwrap();
        assert!(place.visit(3, &[8; 32], Grant).is_err());

        let mut place = SealPlace::new(Some(at), &Head::default()).unwrap();
        place.visit(3, &[9; 32], Grant).unwrap();
        assert!(!place.finish(&at).unwrap(), "sealed at the head");

        // A grant after the seal was never sealed: not one PrivacyKit wrote.
        let mut place = SealPlace::new(Some(at), &Head::default()).unwrap();
        place.visit(3, &[9; 32], Grant).unwrap();
        place.visit(4, &[4; 32], Withdraw).unwrap();
        place.visit(5, &[5; 32], Grant).unwrap();
        assert!(matches!(
            place.finish(&head(5)),
            Err(Error::LedgerTampered { seq: 5, .. })
        ));

        // Withdrawals after the seal, made while the key was not at hand: the head is to be
        // sealed again.
        let mut place = SealPlace::new(Some(at), &Head::default()).unwrap();
        place.visit(3, &[9; 32], Grant).unwrap();
        place.visit(4, &[4; 32], Withdraw).unwrap();
        place.visit(5, &[5; 32], Object).unwrap();
        assert!(place.finish(&head(5)).unwrap(), "behind the head");

        let summary = Head {
            seq: 5,
            hash: [5; 32],
        };
        assert!(SealPlace::new(Some(at), &summary).is_err());
        SealPlace::new(Some(summary), &summary)
            .unwrap()
            .finish(&summary)
            .unwrap();
    }
}
