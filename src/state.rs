//! The user's state: what the store says, and what memory derives from it. One value of
//! `State` lives behind the engine's store lock; everything that reads or changes the user's
//! choices is handed a reference to it.

use std::path::Path;
use std::sync::Arc;

use crate::age::{self, Assessment};
use crate::consent::seal::LedgerIntegrity;
use crate::consent::{self, ConsentBook};
use crate::error::{Error, Result};
use crate::keys::KeyProvider;
use crate::permissions::{self, OsPermission, PermissionState, PermissionTracker, Platform};
use crate::policy::{self, Policy};
use crate::store::{FileClaim, Store};

pub(crate) struct State {
    pub store: Store,
    pub platform: Platform,
    pub policy: Arc<Policy>,
    pub consent: ConsentBook,
    pub permissions: [PermissionTracker; OsPermission::ALL.len()],
    /// The age rules as of the last time the guard's table was built.
    pub age: Assessment,
    /// The OS advertising ID as last reported; memory only (see `advertising_id`).
    pub advertising_id: Option<String>,
    /// The ledger's seal key once verified under it, or why the ledger did not verify.
    pub ledger: LedgerIntegrity,
    _claim: Option<FileClaim>,
}

/// What `State::open` does with a ledger that does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnTampered {
    /// Fail with `LedgerTampered` (or `LedgerSealLost`), changing nothing.
    Refuse,
    /// Set the ledger aside as unverified history and start with an empty one.
    SetAside,
}

impl State {
    /// Opens the store at `path` (in memory for `None`), verifies the ledger and loads the
    /// state it implies, stores `policy` if it is a new version and seals the ledger's head
    /// when `keys` gives the key and the seal is behind. A ledger that does not verify, a
    /// policy older than the stored one, or the same version with other content, is refused
    /// and nothing stored changes (unless `on_tampered` sets the ledger aside).
    pub fn open(
        path: Option<&Path>,
        policy: Policy,
        platform: Platform,
        (now_ms, today): (i64, i64),
        keys: Option<&dyn KeyProvider>,
        on_tampered: OnTampered,
    ) -> Result<State> {
        let claim = path.map(FileClaim::claim).transpose()?;
        let store = Store::open(path)?;
        let conn = store.conn();
        // Read first, write nothing: the ledger is verified before anything is stored.
        let verified = (|| {
            let key = match keys {
                Some(provider) => consent::stored::ledger_key(conn, provider, false)?,
                None => None,
            };
            let (book, sealing) = consent::stored::load_verified(conn, key.as_ref())?;
            Ok((key, book, sealing))
        })();
        let set_aside = match (&verified, on_tampered) {
            (
                Err(err @ (Error::LedgerTampered { .. } | Error::LedgerSealLost)),
                OnTampered::SetAside,
            ) => Some((err.to_string(), matches!(err, Error::LedgerSealLost))),
            _ => None,
        };
        let tx = store.begin()?;
        let (book, key) = match (set_aside, verified) {
            (Some((reason, seal_lost)), _) => {
                consent::stored::set_aside(&tx, now_ms, &reason, seal_lost)?;
                (ConsentBook::default(), None)
            }
            (None, Err(err)) => return Err(err),
            (None, Ok((key, book, sealing))) => {
                // With the key, the ledger loaded is Sealed or Behind, never Unchecked.
                if let Some(key) = &key {
                    consent::stored::seal_if_behind(&tx, key, &book, sealing)?;
                }
                (book, key)
            }
        };
        // A key provider given at open and no seal key yet (a new store, one set aside, one
        // whose key was never made): verify-and-seal makes it, so every append is sealed.
        let (book, key) = match (keys, key) {
            (Some(provider), None) => match consent::stored::verify_and_seal(&tx, provider)? {
                Some((key, verified)) => (verified, Some(key)),
                None => (book, None),
            },
            (_, key) => (book, key),
        };
        let current = match policy::db::latest_version(&tx)? {
            Some(version) if version > policy.version() => {
                return Err(Error::PolicyVersionConflict {
                    reason: format!(
                        "the store already holds policy version {version}; refusing to go back to {}",
                        policy.version()
                    ),
                })
            }
            _ => policy,
        };
        policy::db::stage(&tx, &current, now_ms)?;
        tx.commit()?;
        let conn = store.conn();
        let policy = Arc::new(policy::db::with_terms_history(conn, current)?);
        let consent = book;
        let permissions = permissions::db::load_trackers(conn)?;
        let sealed = consent::db::sealed_head(conn)?.is_some();
        let age = age::assess(consent.declared(), &policy.info, today);
        Ok(State {
            store,
            platform,
            policy,
            consent,
            permissions,
            age,
            advertising_id: None,
            ledger: LedgerIntegrity {
                key,
                problem: None,
                sealed,
            },
            _claim: claim,
        })
    }

    pub fn permission_states(&self) -> Vec<PermissionState> {
        self.permissions
            .iter()
            .map(|t| t.state(self.platform))
            .collect()
    }

    /// Reads the ledger and the permissions again, after an erasure deleted from them. An
    /// emptied ledger ends a verification problem; otherwise the state stays unverified.
    pub fn reload_choices(&mut self) -> Result<()> {
        match consent::stored::load_verified(self.store.conn(), None) {
            Ok((book, _)) if book.head().seq == 0 && book == ConsentBook::default() => {
                self.ledger.problem = None;
                self.consent = book;
            }
            Ok((mut book, _)) => {
                if self.ledger.problem.is_some() {
                    book.mark_unverified();
                }
                self.consent = book;
            }
            Err(err) if self.ledger.problem.is_none() => return Err(err),
            Err(_) => {}
        }
        self.permissions = permissions::db::load_trackers(self.store.conn())?;
        Ok(())
    }
}
