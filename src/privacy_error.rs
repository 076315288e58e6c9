//! The public error: what Kotlin and Swift see as an exception, and the one place internal
//! errors become it.
//!
//! Messages name fields, identifiers declared in the policy and counts; they never carry a
//! value the user typed or any personal data, so they are safe to log and to show. Internal
//! errors keep their sources (SQLite's error, the key provider's, the transport's) up to this
//! point; `From<Error>` below decides what of them an app may see.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::decision::DecisionReason;
use crate::error::{Error, KeyUse};
use crate::keys::KeyProviderError;

/// Everything that can go wrong in a PrivacyKit call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PrivacyError {
    /// The policy document is malformed or breaks a rule; `field` is a JSON path such as
    /// `processing[3].legal_basis`. Nothing stored was changed.
    #[error("invalid policy: {field}: {reason}")]
    InvalidPolicy { field: String, reason: String },

    /// The policy's version conflicts with what the store already holds (same version with
    /// other content, or an older version than the stored one).
    #[error("policy version conflict: {reason}")]
    PolicyVersionConflict { reason: String },

    /// An argument is out of range or names nothing the policy declares.
    #[error("invalid argument {field}: {reason}")]
    InvalidArgument { field: String, reason: String },

    /// The database file is damaged. Nothing was reset; the app decides what to do.
    #[error("the database is corrupted: {reason}")]
    CorruptDatabase { reason: String },

    /// The file exists but belongs to another program; PrivacyKit will not touch it.
    #[error("the file is not a PrivacyKit database")]
    ForeignDatabase,

    /// The store was written by a newer PrivacyKit than this one.
    #[error(
        "the database schema version {found} is newer than this library supports ({supported})"
    )]
    SchemaTooNew { found: u32, supported: u32 },

    /// The database file is already open in this process through another `PrivacyKit`.
    #[error("the database is already open in this process")]
    AlreadyOpen,

    /// Another connection held the database lock past the busy timeout. Retrying may succeed.
    #[error("the database is busy; try again")]
    Busy,

    /// Reading or writing the store failed (disk full, permissions, I/O error).
    #[error("storage error: {reason}")]
    Storage { reason: String },

    /// The consent ledger does not verify: an entry was edited, deleted or moved, entries its
    /// seal covers are missing, or its seal does not match. Raised by `open` (nothing was
    /// changed), `set_key_provider` and `verify_ledger`; `seq` is the first entry that does
    /// not verify. Tell the user their choices will be asked for again, then use
    /// `open_setting_aside_tampered_ledger` or `set_aside_unverified_ledger`.
    #[error("the consent ledger was tampered with at entry {seq}: {reason}")]
    LedgerTampered { seq: u64, reason: String },

    /// The guard refuses the use this call needs; `reason` says why, as `check` would.
    #[error("not permitted: {reason:?}")]
    NotPermitted { reason: DecisionReason },

    /// The platform keystore cannot be used right now (device locked before its first
    /// unlock, keystore busy), or no key provider was given where a key is needed (the vault,
    /// discovery, or recording a grant in a sealed consent ledger; withdrawals never need it).
    /// Retry later, or give the key provider; nothing was deleted or written.
    #[error("the vault is locked: the platform keystore is unavailable")]
    VaultLocked,

    /// The vault's key is gone or wrong (a backup restored onto another device, a keystore
    /// wiped by the OS): stored tokens cannot be read. `reset_vault` starts again.
    #[error("the vault key is lost; stored tokens cannot be read")]
    VaultKeyLost,

    /// The platform key that sealed the consent ledger is gone or wrong (a backup restored onto
    /// another device, a wiped keystore): its seals can no longer be checked, so the ledger is
    /// not used as if verified. Handled like `LedgerTampered`.
    #[error("the key that sealed the compacted consent records is gone")]
    LedgerSealLost,

    /// The app's key provider failed in a way it did not classify.
    #[error("the key provider failed: {reason}")]
    KeyProviderFailed { reason: String },

    /// One stored record failed its integrity check; other records are unaffected.
    #[error("a stored record is corrupt")]
    CorruptRecord,

    /// No account is linked for that provider and account id.
    #[error("no such linked account")]
    AccountNotLinked,

    /// The discovery server refused: this account's evaluation budget is used up. Try again
    /// after `retry_after_seconds` (`u32::MAX`: not with this account). Answers received
    /// before the refusal were kept.
    #[error("contact discovery is over its budget; retry after {retry_after_seconds} s")]
    DiscoveryBudgetExceeded { retry_after_seconds: u32 },

    /// The app's discovery transport failed (network, HTTP status); `reason` is its text.
    #[error("discovery transport failed: {reason}")]
    DiscoveryTransport { reason: String },

    /// A discovery response was malformed, truncated, oversized or inconsistent with the
    /// request. Nothing from it was recorded.
    #[error("invalid discovery response: {reason}")]
    DiscoveryBadResponse { reason: String },

    /// The server's answer does not verify against the pinned public key (another key, a
    /// failed proof), or the server no longer holds that key. Nothing from it was recorded.
    #[error("the discovery server's answer does not match the pinned key")]
    DiscoveryServerKeyMismatch,

    /// A TC string given to `import_tc_string` is malformed, was written by another CMP,
    /// against another Global Vendor List version or policy version, or the policy has no
    /// `tcf` section. Nothing was recorded.
    #[error("TC string refused: {reason}")]
    TcStringRefused { reason: String },

    /// The `PrivacyKit` was closed; open a new one.
    #[error("PrivacyKit is closed")]
    Closed,

    /// A bug inside PrivacyKit, caught before it could cross into the app.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<Error> for PrivacyError {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidPolicy { field, reason } => PrivacyError::InvalidPolicy { field, reason },
            Error::TcStringRefused { reason } => PrivacyError::TcStringRefused { reason },
            Error::PolicyVersionConflict { reason } => {
                PrivacyError::PolicyVersionConflict { reason }
            }
            Error::InvalidArgument { field, reason } => PrivacyError::InvalidArgument {
                field: field.to_owned(),
                reason,
            },
            Error::Sqlite(err) => from_sqlite(&err),
            Error::CorruptDatabase { reason } => PrivacyError::CorruptDatabase {
                reason: reason.to_owned(),
            },
            Error::WalRefused { kept } => PrivacyError::Storage {
                reason: format!("SQLite refused WAL mode (kept {kept})"),
            },
            Error::ForeignDatabase => PrivacyError::ForeignDatabase,
            Error::SchemaTooNew { found, supported } => {
                PrivacyError::SchemaTooNew { found, supported }
            }
            Error::AlreadyOpen => PrivacyError::AlreadyOpen,
            Error::LedgerTampered { seq, reason } => PrivacyError::LedgerTampered { seq, reason },
            Error::NotPermitted(reason) => PrivacyError::NotPermitted { reason },
            Error::NoKeyProvider => PrivacyError::VaultLocked,
            Error::KeyProvider { key, source } => match (source, key) {
                (KeyProviderError::Unavailable, _) => PrivacyError::VaultLocked,
                (KeyProviderError::KeyLost, KeyUse::Vault) => PrivacyError::VaultKeyLost,
                (KeyProviderError::KeyLost, KeyUse::LedgerSeal) => PrivacyError::LedgerSealLost,
                (KeyProviderError::Failed { reason }, _) => {
                    PrivacyError::KeyProviderFailed { reason }
                }
            },
            Error::VaultKeyLost => PrivacyError::VaultKeyLost,
            Error::LedgerSealLost => PrivacyError::LedgerSealLost,
            Error::CorruptRecord => PrivacyError::CorruptRecord,
            Error::AccountNotLinked => PrivacyError::AccountNotLinked,
            Error::DiscoveryBudgetExceeded {
                retry_after_seconds,
            } => PrivacyError::DiscoveryBudgetExceeded {
                retry_after_seconds,
            },
            // The transport is the app's own code; its text describes the failure, and the
            // trait's contract keeps request and response bytes out of it.
            Error::Transport(err) => PrivacyError::DiscoveryTransport {
                reason: err.to_string(),
            },
            Error::DiscoveryBadResponse { reason } => PrivacyError::DiscoveryBadResponse { reason },
            Error::DiscoveryServerKeyMismatch => PrivacyError::DiscoveryServerKeyMismatch,
            Error::Closed => PrivacyError::Closed,
            Error::Internal { reason } => PrivacyError::Internal {
                reason: reason.to_owned(),
            },
        }
    }
}

/// SQLite's own messages name tables and SQL keywords, never bound values, and every
/// statement binds its values: they may pass.
fn from_sqlite(err: &rusqlite::Error) -> PrivacyError {
    use rusqlite::ffi::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => PrivacyError::CorruptDatabase {
            reason: "the file header is not SQLite's".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => PrivacyError::CorruptDatabase {
            reason: "SQLite reported a malformed database".into(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => PrivacyError::Busy,
        _ => PrivacyError::Storage {
            reason: err.to_string(),
        },
    }
}

/// Runs one public call so that a panic inside it becomes `PrivacyError::Internal` instead of
/// unwinding into the app, and an internal error becomes the public one. The panic message is
/// dropped: it may quote data.
pub(crate) fn guarded<T>(call: impl FnOnce() -> Result<T, Error>) -> Result<T, PrivacyError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(PrivacyError::from),
        Err(_) => {
            log::error!("a PrivacyKit call panicked; reported as an internal error");
            Err(PrivacyError::Internal {
                reason: "unexpected failure inside PrivacyKit".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let result: Result<(), PrivacyError> = guarded(|| panic!("secret +79123456789"));
        let err = result.unwrap_err();
        assert!(matches!(err, PrivacyError::Internal { .. }));
        assert!(!err.to_string().contains("+7912"));
    }

    #[test]
    fn sqlite_not_a_database_is_corruption() {
        let err = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
            None,
        );
        assert!(matches!(
            PrivacyError::from(Error::from(err)),
            PrivacyError::CorruptDatabase { .. }
        ));
    }

    #[test]
    fn a_lost_key_is_named_after_what_it_protected() {
        let lost = |key| Error::KeyProvider {
            key,
            source: KeyProviderError::KeyLost,
        };
        assert_eq!(
            PrivacyError::from(lost(KeyUse::Vault)),
            PrivacyError::VaultKeyLost
        );
        assert_eq!(
            PrivacyError::from(lost(KeyUse::LedgerSeal)),
            PrivacyError::LedgerSealLost
        );
    }

    #[test]
    fn the_internal_error_keeps_its_source() {
        let err = Error::from(rusqlite::Error::QueryReturnedNoRows);
        let source = std::error::Error::source(&err).expect("the SQLite error is kept");
        assert!(source.is::<rusqlite::Error>());
    }
}
