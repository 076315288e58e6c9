//! Key providers for tests: what the Android Keystore or iOS Keychain does, in Rust.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use privacykit::{KeyProvider, KeyProviderError};

fn wrap_with(platform_key: &[u8], key: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new_from_slice(platform_key).unwrap();
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, key).unwrap());
    out
}

fn unwrap_with(platform_key: &[u8], wrapped: &[u8]) -> Result<Vec<u8>, KeyProviderError> {
    if wrapped.len() < 24 {
        return Err(KeyProviderError::KeyLost);
    }
    let cipher = XChaCha20Poly1305::new_from_slice(platform_key).unwrap();
    cipher
        .decrypt(XNonce::from_slice(&wrapped[..24]), &wrapped[24..])
        .map_err(|_| KeyProviderError::KeyLost)
}

/// The platform keys of the vault (the ledger's seal key is `privacykit.ledger-seal`).
const VAULT_PREFIX: &str = "privacykit.vault.";

/// An in-memory keystore that counts the vault keys' unwraps and can be locked.
#[derive(Default)]
pub struct MemoryKeystore {
    keys: Mutex<HashMap<String, Vec<u8>>>,
    /// Unwraps of vault keys (the ledger seal key's are not counted).
    pub unwraps: AtomicUsize,
    pub locked: AtomicBool,
}

impl MemoryKeystore {
    pub fn aliases(&self) -> Vec<String> {
        let mut aliases: Vec<String> = self.keys.lock().unwrap().keys().cloned().collect();
        aliases.sort();
        aliases
    }

    /// The vault's platform keys.
    pub fn vault_aliases(&self) -> Vec<String> {
        vault_only(self.aliases())
    }

    /// What a keystore wiped by the OS looks like.
    pub fn wipe(&self) {
        self.keys.lock().unwrap().clear();
    }

    /// Only the vault's platform keys wiped: the ledger's seal key stays.
    pub fn wipe_vault(&self) {
        self.keys
            .lock()
            .unwrap()
            .retain(|alias, _| !alias.starts_with(VAULT_PREFIX));
    }

    fn check_unlocked(&self) -> Result<(), KeyProviderError> {
        if self.locked.load(Ordering::SeqCst) {
            Err(KeyProviderError::Unavailable)
        } else {
            Ok(())
        }
    }
}

impl KeyProvider for MemoryKeystore {
    fn wrap(&self, alias: String, key: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        self.check_unlocked()?;
        let mut keys = self.keys.lock().unwrap();
        let platform_key = keys
            .entry(alias)
            .or_insert_with(|| XChaCha20Poly1305::generate_key(&mut OsRng).to_vec());
        Ok(wrap_with(platform_key, &key))
    }

    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        self.check_unlocked()?;
        if alias.starts_with(VAULT_PREFIX) {
            self.unwraps.fetch_add(1, Ordering::SeqCst);
        }
        let keys = self.keys.lock().unwrap();
        let platform_key = keys.get(&alias).ok_or(KeyProviderError::KeyLost)?;
        unwrap_with(platform_key, &wrapped)
    }

    fn delete(&self, alias: String) -> Result<(), KeyProviderError> {
        self.check_unlocked()?;
        self.keys.lock().unwrap().remove(&alias);
        Ok(())
    }
}

/// A keystore whose keys are files in a folder, so it outlives a killed process. With
/// `crash_at` set, it kills its own process at that step, the way a crash would.
pub struct FileKeystore {
    pub dir: PathBuf,
    pub crash_at: Option<CrashPoint>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CrashPoint {
    /// Right after a new platform key was created and the vault key wrapped under it.
    AfterWrap,
    /// When asked to delete a platform key that is no longer used.
    BeforeDelete,
}

pub fn vault_only(aliases: Vec<String>) -> Vec<String> {
    aliases
        .into_iter()
        .filter(|alias| alias.starts_with(VAULT_PREFIX))
        .collect()
}

impl FileKeystore {
    pub fn vault_aliases(&self) -> Vec<String> {
        vault_only(self.aliases())
    }

    pub fn aliases(&self) -> Vec<String> {
        let mut aliases: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        aliases.sort();
        aliases
    }
}

impl KeyProvider for FileKeystore {
    fn wrap(&self, alias: String, key: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        let path = self.dir.join(&alias);
        let platform_key = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(_) => {
                let bytes = XChaCha20Poly1305::generate_key(&mut OsRng).to_vec();
                std::fs::write(&path, &bytes).unwrap();
                bytes
            }
        };
        let wrapped = wrap_with(&platform_key, &key);
        if self.crash_at == Some(CrashPoint::AfterWrap) {
            std::process::abort();
        }
        Ok(wrapped)
    }

    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProviderError> {
        let platform_key =
            std::fs::read(self.dir.join(alias)).map_err(|_| KeyProviderError::KeyLost)?;
        unwrap_with(&platform_key, &wrapped)
    }

    fn delete(&self, alias: String) -> Result<(), KeyProviderError> {
        if self.crash_at == Some(CrashPoint::BeforeDelete) {
            std::process::abort();
        }
        match std::fs::remove_file(self.dir.join(alias)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(KeyProviderError::Failed {
                reason: e.kind().to_string(),
            }),
        }
    }
}
