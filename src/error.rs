//! The internal error: what every layer below the public API returns. It keeps its sources
//! (SQLite's error, the key provider's, the transport's) so that the one conversion into the
//! public `PrivacyError` (in `privacy_error.rs`) sees what really happened and decides what an
//! app may be shown. A new internal failure is a new variant here, not a change of the FFI.

use crate::decision::DecisionReason;
use crate::discovery::transport::TransportError;
use crate::keys::KeyProviderError;

/// Which key a key provider failed on; a lost key means something else for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// The vault key (linked accounts' tokens, and the discovery cache derived from it).
    Vault,
    /// The key that seals compacted consent records.
    LedgerSeal,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("invalid policy: {field}: {reason}")]
    InvalidPolicy { field: String, reason: String },
    #[error("policy version conflict: {reason}")]
    PolicyVersionConflict { reason: String },
    #[error("invalid argument {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    #[error("SQLite failed")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database is corrupted: {reason}")]
    CorruptDatabase { reason: &'static str },
    #[error("SQLite refused WAL mode (kept {kept})")]
    WalRefused { kept: String },
    #[error("the file is not a PrivacyKit database")]
    ForeignDatabase,
    #[error("the database schema version {found} is newer than {supported}")]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("the database is already open in this process")]
    AlreadyOpen,
    #[error("the consent ledger was tampered with at entry {seq}: {reason}")]
    LedgerTampered { seq: u64, reason: String },
    #[error("not permitted: {0:?}")]
    NotPermitted(DecisionReason),
    #[error("no key provider was given")]
    NoKeyProvider,
    #[error("the key provider failed on the {key:?} key")]
    KeyProvider {
        key: KeyUse,
        source: KeyProviderError,
    },
    #[error("the vault key does not match its canary")]
    VaultKeyLost,
    #[error("the ledger's seal key is gone")]
    LedgerSealLost,
    #[error("a stored record is corrupt")]
    CorruptRecord,
    #[error("no such linked account")]
    AccountNotLinked,
    #[error("contact discovery is over its budget")]
    DiscoveryBudgetExceeded { retry_after_seconds: u32 },
    #[error("the discovery transport failed")]
    Transport(#[source] TransportError),
    #[error("invalid discovery response: {reason}")]
    DiscoveryBadResponse { reason: String },
    #[error("the discovery server's answer does not match the pinned key")]
    DiscoveryServerKeyMismatch,
    #[error("TC string refused: {reason}")]
    TcStringRefused { reason: String },
    #[error("PrivacyKit is closed")]
    Closed,
    #[error("internal error: {reason}")]
    Internal { reason: &'static str },
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid_argument(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field,
            reason: reason.into(),
        }
    }

    /// A key provider's failure on `key`.
    pub(crate) fn key_provider(key: KeyUse) -> impl Fn(KeyProviderError) -> Self {
        move |source| Error::KeyProvider { key, source }
    }
}
