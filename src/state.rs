//! The user's state: what the store says, and what memory derives from it. One value of
//! `State` lives behind the engine's store lock; everything that reads or changes the user's
//! choices is handed a reference to it.

use std::path::Path;
use std::sync::Arc;

use crate::age::{self, Assessment};
use crate::consent::{self, ConsentBook};
use crate::error::{Error, Result};
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
    _claim: Option<FileClaim>,
}

impl State {
    /// Opens the store at `path` (in memory for `None`), stores `policy` if it is a new
    /// version and loads the user's state. A policy older than the stored one, or the same
    /// version with other content, is refused and nothing stored changes.
    pub fn open(
        path: Option<&Path>,
        policy: Policy,
        platform: Platform,
        now_ms: i64,
        today: i64,
    ) -> Result<State> {
        let claim = path.map(FileClaim::claim).transpose()?;
        let store = Store::open(path)?;
        let tx = store.begin()?;
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
        let consent = consent::stored::load_book(conn)?;
        let permissions = permissions::db::load_trackers(conn)?;
        let age = age::assess(consent.declared(), &policy.info, today);
        Ok(State {
            store,
            platform,
            policy,
            consent,
            permissions,
            age,
            advertising_id: None,
            _claim: claim,
        })
    }

    pub fn permission_states(&self) -> Vec<PermissionState> {
        self.permissions
            .iter()
            .map(|t| t.state(self.platform))
            .collect()
    }

    /// Reads the ledger and the permissions again, after an erasure deleted from them.
    pub fn reload_choices(&mut self) -> Result<()> {
        self.consent = consent::stored::load_book(self.store.conn())?;
        self.permissions = permissions::db::load_trackers(self.store.conn())?;
        Ok(())
    }
}
