//! Keys: the platform keystore the app provides, and the sealing primitives built on the
//! keys it protects. A leaf: the vault, the discovery cache and the ledger's seal all use it,
//! and it uses none of them.

pub(crate) mod sealing;

use zeroize::Zeroizing;

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
/// Called while PrivacyKit holds its store lock: never call back into PrivacyKit from here.
#[uniffi::export(foreign)]
pub trait KeyProvider: Send + Sync {
    /// Encrypts `key` under the platform key named `alias`, creating that key if needed.
    fn wrap(&self, alias: String, key: Vec<u8>) -> Result<Vec<u8>, KeyProviderError>;
    /// Decrypts what `wrap` returned for `alias`.
    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProviderError>;
    /// Deletes the platform key named `alias`; deleting a missing key is not an error.
    fn delete(&self, alias: String) -> Result<(), KeyProviderError>;
}

/// Unwraps a fresh wrap once and compares it with the key: a provider whose `wrap` returns
/// what its `unwrap` cannot turn back (an empty array, a wrap under another key) would lose the
/// key at the next open, and everything it protects with it. Nothing is stored before this
/// passed.
pub(crate) fn check_unwraps(
    provider: &dyn KeyProvider,
    alias: &str,
    wrapped: &[u8],
    key: &sealing::SecretKey,
) -> Result<(), KeyProviderError> {
    let garbage = || KeyProviderError::Failed {
        reason: "the key provider's wrap() does not unwrap to the key it was given".into(),
    };
    let back = match provider.unwrap(alias.to_owned(), wrapped.to_vec()) {
        Ok(back) => Zeroizing::new(back),
        Err(KeyProviderError::Unavailable) => return Err(KeyProviderError::Unavailable),
        // The key was wrapped a moment ago: failing to unwrap it is the wrap's fault, not a
        // lost key.
        Err(_) => return Err(garbage()),
    };
    if back.as_slice() != key.as_bytes() {
        return Err(garbage());
    }
    Ok(())
}
