//! The token vault: linked social accounts' tokens, encrypted on the device under a key the
//! platform keystore protects, and bound to the user's consent.
//!
//! Tokens serve the `service` purpose of the `social_accounts` category ("access tokens
//! instead of entering a password"): the vault links, reads and re-encrypts only while the
//! guard allows that use, and when the user withdraws consent or objects to it, every token
//! and the key that protected them are destroyed in the same transaction as the ledger entry.
//!
//! Key handling is in `crypto.rs`; this file is the API and the key's life cycle. Calls into
//! the app's `KeyProvider` happen while PrivacyKit holds its lock: a provider must not call
//! back into PrivacyKit.

pub(crate) mod crypto;
mod db;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use rusqlite::Connection;
use zeroize::Zeroizing;

use crypto::{open, seal, Binding, SecretKey};
use db::{AccountRow, KeyRow};

use crate::consent::{ConsentAction, ConsentBook, LedgerEntry};
use crate::error::{PrivacyError, Result};
use crate::guard::DecisionReason;
use crate::sdk::{Core, PrivacyKit};
use crate::store::Store;
use crate::time::MS_PER_DAY;

/// The use of data the vault serves; linking and reading need the guard to allow it.
pub(crate) const VAULT_CATEGORY: &str = "social_accounts";
pub(crate) const VAULT_PURPOSE: &str = "service";

const MAX_ACCOUNT_ID_BYTES: usize = 512;
const MAX_TOKEN_BYTES: usize = 16 * 1024;
const MAX_SCOPES: usize = 64;
const MAX_SCOPE_BYTES: usize = 128;

/// A secret string, such as a token. Debug and Display never show it; PrivacyKit's copy is
/// zeroized when dropped (copies the app makes with `expose` are the app's to clear).
#[derive(uniffi::Object)]
pub struct Secret(Zeroizing<String>);

#[uniffi::export]
impl Secret {
    #[uniffi::constructor]
    pub fn new(value: String) -> Arc<Self> {
        Arc::new(Secret(Zeroizing::new(value)))
    }

    /// The secret itself.
    pub fn expose(&self) -> String {
        self.0.to_string()
    }
}

impl Secret {
    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    fn from_plaintext(bytes: Zeroizing<Vec<u8>>) -> Option<Arc<Self>> {
        let text = std::str::from_utf8(&bytes).ok()?;
        Some(Secret::new(text.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An account to link, with its tokens.
#[derive(Clone, uniffi::Record)]
pub struct AccountLink {
    /// The identity provider, e.g. "facebook", "vk", "x": lowercase letters, digits, '.',
    /// '_' or '-'.
    pub provider: String,
    /// The user's id at the provider. Stored sealed; lookups use a keyed hash of it.
    pub account_id: String,
    pub access_token: Arc<Secret>,
    pub refresh_token: Option<Arc<Secret>>,
    /// When the access token expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: Option<i64>,
    pub scopes: Vec<String>,
}

impl fmt::Debug for AccountLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountLink")
            .field("provider", &self.provider)
            .field("account_id", &"<redacted>")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// A linked account without its secrets.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct LinkedAccount {
    pub provider: String,
    /// `None` when this record failed its integrity check; the others are unaffected.
    pub account_id: Option<String>,
    pub expires_at_ms: Option<i64>,
    pub scopes: Vec<String>,
    pub linked_at_ms: i64,
    pub updated_at_ms: i64,
}

impl fmt::Debug for LinkedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedAccount")
            .field("provider", &self.provider)
            .field(
                "account_id",
                &self.account_id.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at_ms", &self.expires_at_ms)
            .field("scopes", &self.scopes)
            .field("linked_at_ms", &self.linked_at_ms)
            .field("updated_at_ms", &self.updated_at_ms)
            .finish()
    }
}

/// A linked account's tokens.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AccountTokens {
    pub access_token: Arc<Secret>,
    pub refresh_token: Option<Arc<Secret>>,
    pub expires_at_ms: Option<i64>,
    pub scopes: Vec<String>,
}

/// What a key provider reports when it cannot do what was asked.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyProviderError {
    /// The keystore cannot be used now (device locked before first unlock, keystore busy).
    #[error("the keystore is unavailable right now")]
    Unavailable,
    /// The platform key is gone or can no longer decrypt (restored onto another device,
    /// wiped by the OS, invalidated).
    #[error("the platform key is lost")]
    KeyLost,
    /// Anything else.
    #[error("the key provider failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyProviderError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyProviderError::Failed { reason: err.reason }
    }
}

/// The platform keystore, implemented by the app: Android Keystore (an AES-256-GCM key) or
/// the iOS Keychain (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`, not synchronizable).
/// PrivacyKit hands it the vault key to wrap and asks for it back once per process.
///
/// Called while PrivacyKit holds its lock: never call back into PrivacyKit from here.
#[uniffi::export(foreign)]
pub trait KeyProvider: Send + Sync {
    /// Encrypts `key` under the platform key named `alias`, creating that key if needed.
    fn wrap(&self, alias: String, key: Vec<u8>) -> Result<Vec<u8>, KeyProviderError>;
    /// Decrypts what `wrap` returned for `alias`.
    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProviderError>;
    /// Deletes the platform key named `alias`; deleting a missing key is not an error.
    fn delete(&self, alias: String) -> Result<(), KeyProviderError>;
}

/// The platform key's name for one generation of one vault key.
fn alias(id: u32, generation: u32) -> String {
    format!("privacykit.vault.{id}.{generation}")
}

fn from_provider(err: KeyProviderError) -> PrivacyError {
    match err {
        KeyProviderError::Unavailable => PrivacyError::VaultLocked,
        KeyProviderError::KeyLost => PrivacyError::VaultKeyLost,
        KeyProviderError::Failed { reason } => PrivacyError::KeyProviderFailed { reason },
    }
}

/// The vault key once the platform unwrapped it.
struct UnlockedKey {
    id: u32,
    generation: u32,
    key: SecretKey,
}

/// The vault's keys in memory: the app's provider and the unwrapped key, kept for the life
/// of the `PrivacyKit` so the platform is asked once. Lock order: PrivacyKit's core lock
/// first, then these.
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
        lock(&self.provider)
            .clone()
            .ok_or(PrivacyError::VaultLocked)
    }

    /// The vault key: from memory, else unwrapped by the platform and checked against its
    /// canary, else (no vault yet) created and wrapped.
    fn unlock(&self, store: &Store, now: i64) -> Result<Arc<UnlockedKey>> {
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
                    .map_err(from_provider)?;
                let key = SecretKey::from_vec(bytes).ok_or(PrivacyError::VaultKeyLost)?;
                if !crypto::canary_matches(&key, row.id, &row.canary) {
                    log::warn!("the vault key from the platform does not match its canary");
                    return Err(PrivacyError::VaultKeyLost);
                }
                UnlockedKey {
                    id: row.id,
                    generation: row.generation,
                    key,
                }
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

    fn remember(&self, key: UnlockedKey) {
        *lock(&self.unlocked) = Some(Arc::new(key));
    }

    /// Deletes platform keys that hold nothing in use. Best effort: what fails now is tried
    /// again at the next unlock.
    fn delete_unused(&self, store: &Store, provider: &dyn KeyProvider) {
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
fn wrap_new(
    store: &Store,
    provider: &dyn KeyProvider,
    id: u32,
    generation: u32,
    key: &SecretKey,
) -> Result<Vec<u8>> {
    let tx = store.begin()?;
    db::note_unused(&tx, id, generation)?;
    tx.commit()?;
    provider
        .wrap(alias(id, generation), key.as_bytes().to_vec())
        .map_err(from_provider)
}

/// Copies the WAL into the database and truncates it, so deleted cells (overwritten by
/// `secure_delete`) leave no copy in the `-wal` file.
fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Whether a consent change ends the vault's use: after `entry`, the guard would refuse
/// `social_accounts` for `service` because the user withdrew, denied or objected.
pub(crate) fn withdrawn_by(core: &Core, entry: &LedgerEntry, hash: [u8; 32]) -> bool {
    use_ended_by(core, entry, hash, VAULT_CATEGORY, VAULT_PURPOSE)
}

/// Whether, after `entry`, the guard would refuse `category` for `purpose` because the user
/// withdrew, denied or objected: the test for deleting a capability's data in the ledger
/// entry's transaction.
pub(crate) fn use_ended_by(
    core: &Core,
    entry: &LedgerEntry,
    hash: [u8; 32],
    category: &str,
    purpose: &str,
) -> bool {
    // Only these actions can produce those reasons; the common grant costs nothing here.
    let ending = matches!(
        entry.action,
        ConsentAction::Withdraw | ConsentAction::Deny | ConsentAction::Object
    );
    if !ending {
        return false;
    }
    let policy = &core.policy;
    let (Some(c), Some(p)) = (
        policy.category_position(category),
        policy.purpose_position(purpose),
    ) else {
        return false;
    };
    let mut after: ConsentBook = core.consent.clone();
    after.apply(entry, hash);
    let decision = crate::guard::decide(
        policy,
        policy.pair_index(c, p),
        &after,
        &core.permission_states(),
        &core.age,
    );
    matches!(
        decision.reason,
        DecisionReason::ConsentWithdrawn
            | DecisionReason::ConsentDenied
            | DecisionReason::ObjectedByUser
    )
}

/// A linked account as the data export shows it: metadata only. The account id is sealed
/// under the vault key and tokens are secrets, so neither is exported.
#[derive(serde::Serialize)]
pub(crate) struct ExportedAccount {
    provider: String,
    scopes: Vec<String>,
    expires_at_ms: Option<i64>,
    linked_at_ms: i64,
    updated_at_ms: i64,
    last_used_ms: Option<i64>,
}

pub(crate) fn exported_accounts(conn: &Connection) -> Result<Vec<ExportedAccount>> {
    db::accounts(conn)?
        .into_iter()
        .map(|row| {
            Ok(ExportedAccount {
                last_used_ms: db::last_used(conn, &row.lookup)?,
                provider: row.provider,
                scopes: row.scopes,
                expires_at_ms: row.expires_at_ms,
                linked_at_ms: row.linked_at_ms,
                updated_at_ms: row.updated_at_ms,
            })
        })
        .collect()
}

/// Deletes the linked accounts unused since `cutoff_ms` (retention); their record keys go
/// with their rows.
pub(crate) fn delete_unused_since(conn: &Connection, cutoff_ms: i64) -> Result<u64> {
    db::delete_unused_since(conn, cutoff_ms)
}

/// Deletes every token and vault key in the caller's transaction; true if there was any.
pub(crate) fn shred(conn: &Connection) -> Result<bool> {
    if !db::has_data(conn)? {
        return Ok(false);
    }
    let accounts = db::shred(conn)?;
    log::info!("vault shredded: {accounts} linked account(s) deleted");
    Ok(true)
}

/// Linked accounts' tokens. Get it with `PrivacyKit::vault`. It does not keep its
/// `PrivacyKit` alive: once that is closed or freed, every call fails with `Closed`.
#[derive(uniffi::Object)]
pub struct TokenVault {
    kit: Weak<PrivacyKit>,
}

impl TokenVault {
    pub(crate) fn new(kit: &Arc<PrivacyKit>) -> Self {
        TokenVault {
            kit: Arc::downgrade(kit),
        }
    }

    fn kit(&self) -> Result<Arc<PrivacyKit>> {
        self.kit.upgrade().ok_or(PrivacyError::Closed)
    }
}

/// Refuses with the guard's reason unless `social_accounts` may be used for `service`.
fn require_permitted(kit: &PrivacyKit, count: bool) -> Result<()> {
    let decision = if count {
        kit.check(VAULT_CATEGORY, VAULT_PURPOSE)
    } else {
        kit.explain(VAULT_CATEGORY, VAULT_PURPOSE)
    };
    if decision.allowed {
        Ok(())
    } else {
        Err(PrivacyError::NotPermitted {
            reason: decision.reason,
        })
    }
}

#[uniffi::export]
impl TokenVault {
    /// Links an account, or replaces the tokens of one already linked. Refused with the
    /// guard's reason unless `social_accounts` may be used for `service`.
    pub fn link_account(&self, link: AccountLink) -> Result<LinkedAccount> {
        validate(&link)?;
        let kit = self.kit()?;
        kit.exclusive(|core, now| {
            require_permitted(&kit, false)?;
            let key = kit.vault_keys.unlock(&core.store, now)?;
            let lookup = key.key.lookup(&link.provider, &link.account_id);
            let tx = core.store.begin()?;
            let linked_at_ms = db::account(&tx, &lookup)?.map_or(now, |row| row.linked_at_ms);
            let row = seal_account(&key, lookup.to_vec(), &link, linked_at_ms, now);
            db::put_account(&tx, &row)?;
            tx.commit()?;
            Ok(LinkedAccount {
                provider: row.provider,
                account_id: Some(link.account_id.clone()),
                expires_at_ms: row.expires_at_ms,
                scopes: row.scopes,
                linked_at_ms: row.linked_at_ms,
                updated_at_ms: row.updated_at_ms,
            })
        })
    }

    /// The tokens of a linked account. Counted as a use of `social_accounts` for `service`,
    /// and refused with the guard's reason when that use is not allowed.
    pub fn tokens(&self, provider: String, account_id: String) -> Result<AccountTokens> {
        let kit = self.kit()?;
        kit.exclusive(|core, now| {
            require_permitted(&kit, true)?;
            let key = kit.vault_keys.unlock(&core.store, now)?;
            let lookup = key.key.lookup(&provider, &account_id);
            let (row, last_used_ms) = db::account_in_use(core.store.conn(), &lookup)?
                .ok_or(PrivacyError::AccountNotLinked)?;
            let tokens = open_record_key(&key, &row)
                .and_then(|record_key| open_tokens(&record_key, key.id, &row))
                .ok_or(PrivacyError::CorruptRecord)?;
            // Retention needs the day of last use, not the instant: write at most once a day
            // so that reads stay reads.
            if last_used_ms.is_none_or(|t| now - t >= MS_PER_DAY) {
                db::touch(core.store.conn(), &lookup, now)?;
            }
            Ok(tokens)
        })
    }

    /// Unlinks an account: its row and its record key are deleted, and the deleted bytes are
    /// overwritten in the database file and pushed out of the WAL. False if it was not linked.
    pub fn unlink_account(&self, provider: String, account_id: String) -> Result<bool> {
        let kit = self.kit()?;
        kit.exclusive(|core, now| {
            let key = kit.vault_keys.unlock(&core.store, now)?;
            let lookup = key.key.lookup(&provider, &account_id);
            let tx = core.store.begin()?;
            let deleted = db::delete_account(&tx, &lookup)?;
            tx.commit()?;
            if deleted {
                checkpoint(core.store.conn())?;
            }
            Ok(deleted)
        })
    }

    /// Every linked account, without secrets, oldest first.
    pub fn linked_accounts(&self) -> Result<Vec<LinkedAccount>> {
        let kit = self.kit()?;
        kit.exclusive(|core, now| {
            let key = kit.vault_keys.unlock(&core.store, now)?;
            Ok(db::accounts(core.store.conn())?
                .into_iter()
                .map(|row| LinkedAccount {
                    account_id: open_record_key(&key, &row)
                        .and_then(|record_key| open_account_id(&record_key, key.id, &row)),
                    provider: row.provider,
                    expires_at_ms: row.expires_at_ms,
                    scopes: row.scopes,
                    linked_at_ms: row.linked_at_ms,
                    updated_at_ms: row.updated_at_ms,
                })
                .collect())
        })
    }

    /// Wraps the vault key under a new platform key and deletes the old platform key.
    /// Cheap: no token is re-encrypted.
    pub fn rewrap_key(&self) -> Result<()> {
        let kit = self.kit()?;
        kit.exclusive(|core, now| {
            let current = kit.vault_keys.unlock(&core.store, now)?;
            let provider = kit.vault_keys.provider()?;
            let generation = current.generation + 1;
            let wrapped = wrap_new(
                &core.store,
                provider.as_ref(),
                current.id,
                generation,
                &current.key,
            )?;
            let tx = core.store.begin()?;
            db::rewrap_key(&tx, current.id, generation, &wrapped)?;
            db::forget_unused(&tx, current.id, generation)?;
            db::note_unused(&tx, current.id, current.generation)?;
            tx.commit()?;
            kit.vault_keys.remember(UnlockedKey {
                id: current.id,
                generation,
                key: current.key.clone(),
            });
            kit.vault_keys.delete_unused(&core.store, provider.as_ref());
            Ok(())
        })
    }

    /// Re-encrypts every account under a new vault key (new record keys too) in one
    /// transaction, then deletes the old key. A crash at any point leaves every token
    /// readable under exactly one active key. Refused with `CorruptRecord`, changing
    /// nothing, if a record cannot be read.
    pub fn rotate_key(&self) -> Result<()> {
        let kit = self.kit()?;
        kit.exclusive(|core, now| {
            require_permitted(&kit, false)?;
            let old = kit.vault_keys.unlock(&core.store, now)?;
            let provider = kit.vault_keys.provider()?;
            let conn = core.store.conn();
            let new = UnlockedKey {
                id: db::next_key_id(conn)?,
                generation: 1,
                key: SecretKey::random(),
            };
            // Decrypt everything before touching the platform or the store.
            let mut accounts = Vec::new();
            for row in db::accounts(conn)? {
                let opened = open_account(&old, &row).ok_or(PrivacyError::CorruptRecord)?;
                accounts.push((row, opened));
            }
            let wrapped = wrap_new(
                &core.store,
                provider.as_ref(),
                new.id,
                new.generation,
                &new.key,
            )?;
            let tx = core.store.begin()?;
            let new_row = KeyRow {
                id: new.id,
                generation: new.generation,
                wrapped,
                canary: crypto::canary(&new.key, new.id),
            };
            db::insert_key(&tx, &new_row, false, now)?;
            db::delete_accounts(&tx)?;
            for (row, link) in &accounts {
                let lookup = new.key.lookup(&link.provider, &link.account_id);
                let resealed = seal_account(
                    &new,
                    lookup.to_vec(),
                    link,
                    row.linked_at_ms,
                    row.updated_at_ms,
                );
                db::put_account(&tx, &resealed)?;
            }
            db::replace_key(&tx, old.id, new.id)?;
            db::forget_unused(&tx, new.id, new.generation)?;
            db::note_unused(&tx, old.id, old.generation)?;
            tx.commit()?;
            kit.vault_keys.remember(new);
            checkpoint(conn)?;
            kit.vault_keys.delete_unused(&core.store, provider.as_ref());
            Ok(())
        })
    }

    /// Deletes every linked account and the vault key: the way out when the key is lost
    /// (`VaultKeyLost`). Returns how many accounts were deleted. The next link starts a new
    /// vault.
    pub fn reset_vault(&self) -> Result<u32> {
        let kit = self.kit()?;
        kit.exclusive(|core, _| {
            let tx = core.store.begin()?;
            let deleted = db::shred(&tx)?;
            tx.commit()?;
            kit.vault_keys.after_shred(&core.store);
            Ok(deleted)
        })
    }
}

fn validate(link: &AccountLink) -> Result<()> {
    let provider_ok = !link.provider.is_empty()
        && link.provider.len() <= 64
        && link.provider.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !provider_ok {
        return Err(PrivacyError::invalid_argument(
            "provider",
            "must be 1 to 64 lowercase letters, digits, '.', '_' or '-'",
        ));
    }
    if link.account_id.is_empty() || link.account_id.len() > MAX_ACCOUNT_ID_BYTES {
        return Err(PrivacyError::invalid_argument(
            "account_id",
            format!("must be 1 to {MAX_ACCOUNT_ID_BYTES} bytes"),
        ));
    }
    let tokens = [
        ("access_token", Some(&link.access_token)),
        ("refresh_token", link.refresh_token.as_ref()),
    ];
    for (field, token) in tokens {
        if let Some(token) = token {
            if token.bytes().is_empty() || token.bytes().len() > MAX_TOKEN_BYTES {
                return Err(PrivacyError::invalid_argument(
                    field,
                    format!("must be 1 to {MAX_TOKEN_BYTES} bytes"),
                ));
            }
        }
    }
    if link.expires_at_ms.is_some_and(|t| t < 0) {
        return Err(PrivacyError::invalid_argument(
            "expires_at_ms",
            "must not be negative",
        ));
    }
    if link.scopes.len() > MAX_SCOPES
        || link
            .scopes
            .iter()
            .any(|s| s.is_empty() || s.len() > MAX_SCOPE_BYTES)
    {
        return Err(PrivacyError::invalid_argument(
            "scopes",
            format!("at most {MAX_SCOPES} scopes of 1 to {MAX_SCOPE_BYTES} bytes"),
        ));
    }
    Ok(())
}

const RECORD_KEY: &str = "record_key";
const ACCOUNT_ID: &str = "account_id";
const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";

/// Seals a fresh record key under the vault key, and the account's fields under it.
fn seal_account(
    key: &UnlockedKey,
    lookup: Vec<u8>,
    link: &AccountLink,
    linked_at_ms: i64,
    updated_at_ms: i64,
) -> AccountRow {
    let record_key = SecretKey::random();
    let bind = |field| Binding {
        row: &lookup,
        field,
    };
    let sealed_record_key = seal(&key.key, key.id, bind(RECORD_KEY), record_key.as_bytes());
    let field = |name, value: &[u8]| seal(&record_key, key.id, bind(name), value);
    AccountRow {
        provider: link.provider.clone(),
        key_id: key.id,
        record_key: sealed_record_key,
        account_id: field(ACCOUNT_ID, link.account_id.as_bytes()),
        access_token: field(ACCESS_TOKEN, link.access_token.bytes()),
        refresh_token: link
            .refresh_token
            .as_ref()
            .map(|t| field(REFRESH_TOKEN, t.bytes())),
        expires_at_ms: link.expires_at_ms,
        scopes: link.scopes.clone(),
        linked_at_ms,
        updated_at_ms,
        lookup,
    }
}

/// The record key of a row, if the row is intact and sealed under `key`.
fn open_record_key(key: &UnlockedKey, row: &AccountRow) -> Option<SecretKey> {
    if row.key_id != key.id {
        return None;
    }
    let bytes = open(
        &key.key,
        key.id,
        Binding {
            row: &row.lookup,
            field: RECORD_KEY,
        },
        &row.record_key,
    )
    .ok()?;
    SecretKey::from_vec(bytes.to_vec())
}

fn open_field(
    record_key: &SecretKey,
    key_id: u32,
    row: &AccountRow,
    field: &str,
    blob: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    open(
        record_key,
        key_id,
        Binding {
            row: &row.lookup,
            field,
        },
        blob,
    )
    .ok()
}

/// The tokens of a row whose record key `record_key` is (see `open_record_key`).
fn open_tokens(record_key: &SecretKey, key_id: u32, row: &AccountRow) -> Option<AccountTokens> {
    let access = open_field(record_key, key_id, row, ACCESS_TOKEN, &row.access_token)?;
    let refresh = match &row.refresh_token {
        Some(blob) => Some(Secret::from_plaintext(open_field(
            record_key,
            key_id,
            row,
            REFRESH_TOKEN,
            blob,
        )?)?),
        None => None,
    };
    Some(AccountTokens {
        access_token: Secret::from_plaintext(access)?,
        refresh_token: refresh,
        expires_at_ms: row.expires_at_ms,
        scopes: row.scopes.clone(),
    })
}

fn open_account_id(record_key: &SecretKey, key_id: u32, row: &AccountRow) -> Option<String> {
    let bytes = open_field(record_key, key_id, row, ACCOUNT_ID, &row.account_id)?;
    String::from_utf8(bytes.to_vec()).ok()
}

/// Everything in a row, opened, for re-sealing under a new key.
fn open_account(key: &UnlockedKey, row: &AccountRow) -> Option<AccountLink> {
    let record_key = open_record_key(key, row)?;
    let tokens = open_tokens(&record_key, key.id, row)?;
    Some(AccountLink {
        provider: row.provider.clone(),
        account_id: open_account_id(&record_key, key.id, row)?,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at_ms: tokens.expires_at_ms,
        scopes: tokens.scopes,
    })
}
