//! The vault key's life cycle: unwrapped by the platform once per process and checked
//! against its canary, created and wrapped on first use, rewrapped, forgotten after a shred,
//! and the platform keys that hold nothing any more deleted. Calls into the app's
//! `KeyProvider` happen while the store lock is held: a provider must not call back into
//! PrivacyKit.

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use super::db::{self, KeyRow};
use crate::error::{Error, KeyUse, Result};
use crate::keys::sealing::{self as crypto, SecretKey};
use crate::keys::{check_unwraps, KeyProvider, KeyProviderError};
use crate::store::Store;

/// The platform key's name for one generation of one vault key.
pub(super) fn alias(id: u32, generation: u32) -> String {
    format!("privacykit.vault.{id}.{generation}")
}

/// The vault key once the platform unwrapped it.
pub(super) struct UnlockedKey {
    pub id: u32,
    pub generation: u32,
    pub key: SecretKey,
}

/// The vault's keys in memory: the app's provider and the unwrapped key, kept for the life
/// of the `PrivacyKit` so the platform is asked once. Lock order: the store lock first, then
/// these.
#[derive(Default)]
pub(crate) struct VaultKeys {
    provider: Mutex<Option<Arc<dyn KeyProvider>>>,
    unlocked: Mutex<Option<Arc<UnlockedKey>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl VaultKeys {
    pub fn set_provider(&self, provider: Arc<dyn KeyProvider>) {
        *lock(&self.provider) = Some(provider);
    }

    /// The app's key provider; `VaultLocked` until one is given.
    pub(crate) fn provider(&self) -> Result<Arc<dyn KeyProvider>> {
        lock(&self.provider).clone().ok_or(Error::NoKeyProvider)
    }

    /// The vault key: from memory, else unwrapped by the platform and checked against its
    /// canary, else (no vault yet) created and wrapped.
    pub(super) fn unlock(&self, store: &Store, now: i64) -> Result<Arc<UnlockedKey>> {
        let mut slot = lock(&self.unlocked);
        if let Some(key) = slot.as_ref() {
            return Ok(key.clone());
        }
        let provider = self.provider()?;
        let conn = store.conn();
        let unlocked = match db::active_key(conn)? {
            Some(row) => {
                let bytes = provider
                    .unwrap(alias(row.id, row.generation), row.wrapped)
                    .map_err(Error::key_provider(KeyUse::Vault))?;
                let key = SecretKey::from_vec(bytes).ok_or(Error::VaultKeyLost)?;
                if !crypto::canary_matches(&key, row.id, &row.canary) {
                    log::warn!("the vault key from the platform does not match its canary");
                    return Err(Error::VaultKeyLost);
                }
                UnlockedKey {
                    id: row.id,
                    generation: row.generation,
                    key,
                }
            }
            // Accounts sealed under a key whose row is gone: the key is lost. A fresh key over
            // them would leave them unreadable and answer `AccountNotLinked`.
            None if db::has_accounts(conn)? => {
                log::warn!("linked accounts remain but the vault key's row is gone");
                return Err(Error::VaultKeyLost);
            }
            None => {
                let id = db::next_key_id(conn)?;
                let key = SecretKey::random();
                let wrapped = wrap_new(store, provider.as_ref(), id, 1, &key)?;
                let row = KeyRow {
                    id,
                    generation: 1,
                    wrapped,
                    canary: crypto::canary(&key, id),
                };
                let tx = store.begin()?;
                db::insert_key(&tx, &row, true, now)?;
                db::forget_unused(&tx, id, 1)?;
                tx.commit()?;
                UnlockedKey {
                    id,
                    generation: 1,
                    key,
                }
            }
        };
        let unlocked = Arc::new(unlocked);
        *slot = Some(unlocked.clone());
        drop(slot);
        self.delete_unused(store, provider.as_ref());
        Ok(unlocked)
    }

    /// A key derived from the vault key under `label`, with the vault key's id, for another
    /// capability's data (the discovery cache). Unwraps or creates the vault key like any
    /// vault call. Data sealed under it is lost with the vault key: when the vault is
    /// shredded or its key rotated, the id changes and such data must be treated as absent.
    pub(crate) fn derived_key(
        &self,
        store: &Store,
        now: i64,
        label: &[u8],
    ) -> Result<(u32, SecretKey)> {
        let key = self.unlock(store, now)?;
        Ok((key.id, key.key.derive(label)))
    }

    /// Forgets the unwrapped key, zeroizing it (after a shred, or on close).
    pub fn forget(&self) {
        lock(&self.unlocked).take();
    }

    pub(super) fn remember(&self, key: UnlockedKey) {
        *lock(&self.unlocked) = Some(Arc::new(key));
    }

    /// Deletes platform keys that hold nothing in use. Best effort: what fails now is tried
    /// again at the next unlock.
    pub(super) fn delete_unused(&self, store: &Store, provider: &dyn KeyProvider) {
        let Ok(unused) = db::unused_platform_keys(store.conn()) else {
            return;
        };
        for (id, generation) in unused {
            match provider.delete(alias(id, generation)) {
                Ok(()) | Err(KeyProviderError::KeyLost) => {
                    if let Err(err) = db::forget_unused(store.conn(), id, generation) {
                        log::warn!("could not record a deleted platform key: {err}");
                    }
                }
                Err(_) => log::warn!("an unused platform key could not be deleted yet"),
            }
        }
    }

    /// After a transaction deleted vault data: forget the key, push the deleted bytes out of
    /// the write-ahead log, and delete the platform keys.
    pub fn after_shred(&self, store: &Store) {
        self.forget();
        if let Err(err) = checkpoint(store.conn()) {
            log::warn!("WAL checkpoint after deleting vault data failed: {err}");
        }
        if let Ok(provider) = self.provider() {
            self.delete_unused(store, provider.as_ref());
        }
    }
}

/// Wraps `key` under a new platform key, noting that key as unused first (in a transaction of
/// its own) so a crash before the caller puts it to use cannot leave it behind.
pub(super) fn wrap_new(
    store: &Store,
    provider: &dyn KeyProvider,
    id: u32,
    generation: u32,
    key: &SecretKey,
) -> Result<Vec<u8>> {
    let tx = store.begin()?;
    db::note_unused(&tx, id, generation)?;
    tx.commit()?;
    let alias = alias(id, generation);
    let wrapped = provider
        .wrap(alias.clone(), key.as_bytes().to_vec())
        .map_err(Error::key_provider(KeyUse::Vault))?;
    // Unwrapped once before it is stored: garbage from `wrap` would lose the vault at the
    // next open.
    check_unwraps(provider, &alias, &wrapped, key).map_err(Error::key_provider(KeyUse::Vault))?;
    Ok(wrapped)
}

/// Copies the WAL into the database and truncates it, so deleted cells (overwritten by
/// `secure_delete`) leave no copy in the `-wal` file.
pub(super) fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}
