//! The token vault: linked social accounts' tokens, encrypted on the device under a key the
//! platform keystore protects, and bound to the user's consent.
//!
//! Tokens serve the `service` purpose of the `social_accounts` category ("access tokens
//! instead of entering a password"): the vault links, reads and re-encrypts only while the
//! guard allows that use, and when the user withdraws consent or objects to it, every token
//! and the key that protected them are destroyed in the same transaction as the ledger entry.
//!
//! Sealing is in `keys::sealing`, the vault key's life cycle in `keys.rs`, the rows in
//! `db.rs`; this file is the API. Calls into the app's `KeyProvider` happen while PrivacyKit
//! holds its store lock: a provider must not call back into PrivacyKit.

pub(crate) mod db;
pub(crate) mod keys;

use std::fmt;
use std::sync::{Arc, Weak};

use zeroize::Zeroizing;

use db::{AccountRow, KeyRow, VAULT_CATEGORY, VAULT_PURPOSE};
use keys::{checkpoint, wrap_new, UnlockedKey};

use crate::engine::{Engine, Locked};
use crate::error::{Error, Result};
use crate::keys::sealing::{self as crypto, open, seal, Binding, SecretKey};
use crate::privacy_error::{guarded, PrivacyError};
use crate::time::MS_PER_DAY;

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

/// Linked accounts' tokens. Get it with `PrivacyKit::vault`. It does not keep its
/// `PrivacyKit` alive: once that is closed or freed, every call fails with `Closed`.
#[derive(uniffi::Object)]
pub struct TokenVault {
    engine: Weak<Engine>,
}

impl TokenVault {
    pub(crate) fn new(engine: &Arc<Engine>) -> Self {
        TokenVault {
            engine: Arc::downgrade(engine),
        }
    }

    /// Runs `work` alone with the store, as one public call: a panic or an internal error
    /// becomes the public error there.
    fn exclusive<T>(&self, work: impl FnOnce(&mut Locked) -> Result<T>) -> Result<T, PrivacyError> {
        guarded(|| {
            let engine = self.engine.upgrade().ok_or(Error::Closed)?;
            engine.exclusive(work)
        })
    }
}

#[uniffi::export]
impl TokenVault {
    /// Links an account, or replaces the tokens of one already linked. Refused with the
    /// guard's reason unless `social_accounts` may be used for `service`.
    pub fn link_account(&self, link: AccountLink) -> Result<LinkedAccount, PrivacyError> {
        guarded(|| validate(&link))?;
        self.exclusive(|locked| {
            locked.require(VAULT_CATEGORY, VAULT_PURPOSE, false)?;
            let (core, now) = (&locked.state, locked.now_ms);
            let key = locked.keys.unlock(&core.store, now)?;
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
    pub fn tokens(
        &self,
        provider: String,
        account_id: String,
    ) -> Result<AccountTokens, PrivacyError> {
        self.exclusive(|locked| {
            locked.require(VAULT_CATEGORY, VAULT_PURPOSE, true)?;
            let (core, now) = (&locked.state, locked.now_ms);
            let key = locked.keys.unlock(&core.store, now)?;
            let lookup = key.key.lookup(&provider, &account_id);
            let (row, last_used_ms) =
                db::account_in_use(core.store.conn(), &lookup)?.ok_or(Error::AccountNotLinked)?;
            let tokens = open_record_key(&key, &row)
                .and_then(|record_key| open_tokens(&record_key, key.id, &row))
                .ok_or(Error::CorruptRecord)?;
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
    pub fn unlink_account(
        &self,
        provider: String,
        account_id: String,
    ) -> Result<bool, PrivacyError> {
        self.exclusive(|locked| {
            let (core, now) = (&locked.state, locked.now_ms);
            let key = locked.keys.unlock(&core.store, now)?;
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
    pub fn linked_accounts(&self) -> Result<Vec<LinkedAccount>, PrivacyError> {
        self.exclusive(|locked| {
            let (core, now) = (&locked.state, locked.now_ms);
            let key = locked.keys.unlock(&core.store, now)?;
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
    pub fn rewrap_key(&self) -> Result<(), PrivacyError> {
        self.exclusive(|locked| {
            let (core, now, keys) = (&locked.state, locked.now_ms, locked.keys);
            let current = keys.unlock(&core.store, now)?;
            let provider = keys.provider()?;
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
            keys.remember(UnlockedKey {
                id: current.id,
                generation,
                key: current.key.clone(),
            });
            keys.delete_unused(&core.store, provider.as_ref());
            Ok(())
        })
    }

    /// Re-encrypts every account under a new vault key (new record keys too) in one
    /// transaction, then deletes the old key. A crash at any point leaves every token
    /// readable under exactly one active key. Refused with `CorruptRecord`, changing
    /// nothing, if a record cannot be read.
    pub fn rotate_key(&self) -> Result<(), PrivacyError> {
        self.exclusive(|locked| {
            locked.require(VAULT_CATEGORY, VAULT_PURPOSE, false)?;
            let (core, now, keys) = (&locked.state, locked.now_ms, locked.keys);
            let old = keys.unlock(&core.store, now)?;
            let provider = keys.provider()?;
            let conn = core.store.conn();
            let new = UnlockedKey {
                id: db::next_key_id(conn)?,
                generation: 1,
                key: SecretKey::random(),
            };
            // Decrypt everything before touching the platform or the store.
            let mut accounts = Vec::new();
            for row in db::accounts(conn)? {
                let opened = open_account(&old, &row).ok_or(Error::CorruptRecord)?;
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
            keys.remember(new);
            checkpoint(conn)?;
            keys.delete_unused(&core.store, provider.as_ref());
            Ok(())
        })
    }

    /// Deletes every linked account and the vault key: the way out when the key is lost
    /// (`VaultKeyLost`). Returns how many accounts were deleted. The next link starts a new
    /// vault.
    pub fn reset_vault(&self) -> Result<u32, PrivacyError> {
        self.exclusive(|locked| {
            let core = &locked.state;
            let tx = core.store.begin()?;
            let deleted = db::shred(&tx)?;
            tx.commit()?;
            locked.keys.after_shred(&core.store);
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
        return Err(Error::invalid_argument(
            "provider",
            "must be 1 to 64 lowercase letters, digits, '.', '_' or '-'",
        ));
    }
    if link.account_id.is_empty() || link.account_id.len() > MAX_ACCOUNT_ID_BYTES {
        return Err(Error::invalid_argument(
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
                return Err(Error::invalid_argument(
                    field,
                    format!("must be 1 to {MAX_TOKEN_BYTES} bytes"),
                ));
            }
        }
    }
    if link.expires_at_ms.is_some_and(|t| t < 0) {
        return Err(Error::invalid_argument(
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
        return Err(Error::invalid_argument(
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
