//! The SQLite file: opening it safely, its pragmas and its schema migrations.
//!
//! Durability: WAL with `synchronous=FULL` syncs the log on every commit, so a change is on
//! disk before the call that made it returns. Identification: the file carries PrivacyKit's
//! `application_id`; a file of another program, a damaged file or a newer schema is refused
//! with a typed error and never modified or reset.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

/// "PKIT": marks the file as PrivacyKit's in SQLite's header.
const APPLICATION_ID: i32 = 0x504B_4954;

/// One entry per schema version, applied in order; entry `i` brings `user_version` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/v001_core.sql"),
    include_str!("migrations/v002_vault.sql"),
    include_str!("migrations/v003_rights.sql"),
    include_str!("migrations/v004_discovery.sql"),
    include_str!("migrations/v005_ledger_integrity.sql"),
    include_str!("migrations/v006_retention_events.sql"),
];

/// The schema version this library writes.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the file at `path`, or a private in-memory database.
    pub fn open(path: Option<&Path>) -> Result<Store> {
        let conn = match path {
            Some(path) => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found = identify(&conn)?;
        if path.is_some() {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::WalRefused { kept: mode });
            }
        }
        // secure_delete overwrites deleted content, so a deleted token's ciphertext does not
        // linger in free pages.
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
        )?;
        let store = Store { conn };
        store.migrate_from(found)?;
        Ok(store)
    }

    fn migrate_from(&self, found: u32) -> Result<()> {
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = index as u32 + 1;
            let tx = self.begin()?;
            tx.execute_batch(sql)?;
            tx.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {version};"
            ))?;
            tx.commit()?;
            log::info!("store migrated to schema version {version}");
        }
        Ok(())
    }

    /// A write transaction that takes the write lock up front, so it cannot fail half-way
    /// for lack of it. Callers serialize writes through `PrivacyKit`'s lock, which is why a
    /// shared reference is enough here.
    pub fn begin(&self) -> Result<Transaction<'_>> {
        Ok(Transaction::new_unchecked(
            &self.conn,
            TransactionBehavior::Immediate,
        )?)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Files opened by a live `PrivacyKit` in this process. A second instance on the same file
/// would hold its own copy of the state and silently diverge from the first.
static OPEN_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// This process's claim on one database file, released when dropped.
pub(crate) struct FileClaim(PathBuf);

impl FileClaim {
    pub fn claim(path: &Path) -> Result<FileClaim> {
        let key = canonical(path);
        let mut open = OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner());
        if open.contains(&key) {
            return Err(Error::AlreadyOpen);
        }
        open.push(key.clone());
        Ok(FileClaim(key))
    }
}

impl Drop for FileClaim {
    fn drop(&mut self) {
        let mut open = OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|p| p != &self.0);
    }
}

/// The file's canonical path; for a file not created yet, its folder's canonical path.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(full) = path.canonicalize() {
        return full;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map(|p| p.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// Reads the header of an existing file (or the blank one SQLite creates) and says which
/// schema version it holds; refuses files that are not PrivacyKit's.
fn identify(conn: &Connection) -> Result<u32> {
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let user_version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_tables: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master)", [], |r| {
            r.get(0)
        })?;
    let blank = application_id == 0 && user_version == 0 && !has_tables;
    if application_id != APPLICATION_ID && !blank {
        return Err(Error::ForeignDatabase);
    }
    if user_version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: user_version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(user_version)
}

/// Named values in the `meta` table.
pub(crate) mod meta {
    use rusqlite::{Connection, OptionalExtension};

    use crate::error::Result;

    pub fn get(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set(conn: &Connection, key: &str, value: &[u8]) -> Result<()> {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            rusqlite::params![key, value],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_gets_the_current_schema_and_our_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pk.db");
        let store = Store::open(Some(&path)).unwrap();
        let (app_id, version, mode, sync): (i32, u32, String, i32) = store
            .conn()
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id),
                        (SELECT user_version FROM pragma_user_version),
                        (SELECT journal_mode FROM pragma_journal_mode),
                        (SELECT synchronous FROM pragma_synchronous)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(app_id, APPLICATION_ID);
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
        drop(store);
        Store::open(Some(&path)).expect("reopens");
    }

    #[test]
    fn the_ledger_refuses_updates_and_deletes() {
        let store = Store::open(None).unwrap();
        let tx = store.begin().unwrap();
        tx.execute(
            "INSERT INTO consent_ledger VALUES (1, 0, 1, 'grant', 'x', NULL, 'user', x'', x'', NULL)",
            [],
        )
        .unwrap();
        assert!(tx
            .execute("UPDATE consent_ledger SET action = 'deny'", [])
            .is_err());
        assert!(tx.execute("DELETE FROM consent_ledger", []).is_err());
    }

    #[test]
    fn meta_values_round_trip() {
        let store = Store::open(None).unwrap();
        assert_eq!(meta::get(store.conn(), "k").unwrap(), None);
        meta::set(store.conn(), "k", b"one").unwrap();
        meta::set(store.conn(), "k", b"two").unwrap();
        assert_eq!(meta::get(store.conn(), "k").unwrap(), Some(b"two".to_vec()));
    }
}
