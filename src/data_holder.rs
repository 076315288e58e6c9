//! What keeps the user's data: one trait that erasure, retention and the end of a use reach
//! every kind of personal data through. The holders themselves live beside their rows; the
//! list of them is `holders.rs`.

use rusqlite::Connection;

use crate::error::Result;
use crate::keys::KeyProvider;

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
    /// The events the app reported for retention (an account closed, an unsubscription).
    RetentionEvents,
}

/// What deleting one holder's data removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Erased {
    pub records: u64,
    /// Key material went with the data: the caller forgets the unwrapped key and deletes the
    /// platform keys once the transaction is committed.
    pub keys_destroyed: bool,
}

/// When a retention period ends, in the units holders count in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoff {
    /// Data last touched before this instant is due.
    pub ms: i64,
    /// The first local day to keep, for data kept per day.
    pub first_kept_day: i64,
    pub now_ms: i64,
}

/// Why a compaction that was due did not run. The rows stay; the next purge tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PurgeDeferral {
    /// No key provider yet: pass one with `set_key_provider` (or `vault`, `discovery`).
    NoKeyProvider,
    /// The platform keystore could not be used right now (locked, busy, failed).
    KeystoreUnavailable,
    /// The key that sealed the earlier summary is gone (a backup restored onto another
    /// device, a wiped keystore); an unverifiable summary is not extended.
    SealKeyLost,
    /// The ledger fails `verify_ledger`; tampered rows are not sealed into a summary.
    LedgerDoesNotVerify,
}

/// What a retention purge did to one holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purged {
    Records(u64),
    /// Not possible now (the key provider is missing or locked); the next purge tries again.
    Deferred(PurgeDeferral),
}

/// Keeps some of the user's data in the store.
pub(crate) trait DataHolder: Sync {
    fn data(&self) -> PersonalData;

    /// Deletes all of it in the caller's transaction.
    fn erase(&self, conn: &Connection, now_ms: i64) -> Result<Erased>;

    /// The policy's retention id this holder enforces (`retention[].data`), if any.
    fn retention_id(&self) -> Option<&'static str> {
        None
    }

    /// Deletes what is older than `cutoff` in the caller's transaction. Called only for a
    /// holder with a `retention_id`.
    fn purge(
        &self,
        _conn: &Connection,
        _cutoff: Cutoff,
        _keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        Ok(Purged::Records(0))
    }

    /// Whether a purge that deleted records must also rewrite the file, because the deleted
    /// records were secrets whose bytes must not linger in free pages.
    fn holds_secrets(&self) -> bool {
        false
    }

    /// The (category, purpose) this data exists for: when the user withdraws, denies or
    /// objects to that use, the data is erased in the same transaction as the ledger entry.
    fn serves(&self) -> Option<(&'static str, &'static str)> {
        None
    }
}
