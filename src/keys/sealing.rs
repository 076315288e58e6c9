//! Sealing under keys the platform keystore protects: envelope encryption for the vault, and
//! the same blobs for the discovery cache (under a key derived from the vault key).
//!
//! The vault has three levels of keys:
//! - the platform key (Android Keystore, iOS Keychain) never leaves the platform; it wraps
//! - the vault key, 256 random bits, stored only wrapped; it seals
//! - one record key per linked account, which seals that account's fields. Unlinking deletes
//!   the record key with the row, so the account's ciphertexts are shredded even where a copy
//!   of them survives.
//!
//! Every sealed value is a versioned blob, `[version][key id, u32 BE][nonce, 24][ciphertext +
//! tag]`, sealed with XChaCha20-Poly1305 under a fresh random nonce. The associated data binds
//! it to its row (the account's lookup hash), its field and the key id, so a blob copied into
//! another row or field, or read with another key, fails to open instead of returning the
//! wrong plaintext.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// The blob format this library writes and reads.
const BLOB_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
pub(crate) const KEY_LEN: usize = 32;

const AAD_DOMAIN: &[u8] = b"privacykit/vault/v1";
const LOOKUP_DOMAIN: &[u8] = b"privacykit/vault/lookup/v1";
const CANARY_PLAINTEXT: &[u8] = b"privacykit vault canary v1";

/// Why a blob did not open. Deliberately vague: which check failed says nothing useful to
/// anyone but an attacker probing the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Not a blob this library writes (too short, unknown version).
    Malformed,
    /// Sealed under another key id than expected.
    WrongKey,
    /// Authentication failed: tampered, moved, or sealed under other associated data.
    Rejected,
}

/// 256 bits that are zeroized when dropped.
#[derive(Clone)]
pub(crate) struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    pub fn random() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&key);
        let mut key = key;
        key.zeroize();
        SecretKey(bytes)
    }

    /// Takes ownership of key bytes handed back by the platform, zeroizing the source.
    pub fn from_vec(mut bytes: Vec<u8>) -> Option<Self> {
        let key = (bytes.len() == KEY_LEN).then(|| {
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(&bytes);
            SecretKey(key)
        });
        bytes.zeroize();
        key
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }

    /// The keyed hash that stands in for an account's identity in lookups. Derived from the
    /// vault key, so it changes when the vault key does.
    pub fn lookup(&self, provider: &str, account_id: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&*self.0).expect("any key length");
        mac.update(LOOKUP_DOMAIN);
        for part in [provider, account_id] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// A key for another purpose, derived with HMAC-SHA-256 under a label of its own: one
    /// vault key protects several capabilities' data without their ciphertexts or lookups
    /// ever being comparable.
    pub fn derive(&self, label: &[u8]) -> SecretKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&*self.0).expect("any key length");
        mac.update(label);
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&mac.finalize().into_bytes());
        SecretKey(bytes)
    }

    /// HMAC-SHA-256 of `parts` (each length-prefixed, so they cannot run together) under
    /// this key, after `domain`.
    pub fn keyed_hash(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&*self.0).expect("any key length");
        mac.update(domain);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// What a sealed value is bound to besides its key.
#[derive(Clone, Copy)]
pub(crate) struct Binding<'a> {
    /// The row: an account's lookup hash, or a fixed label for vault-wide values.
    pub row: &'a [u8],
    /// The field within the row.
    pub field: &'a str,
}

fn associated_data(binding: Binding<'_>, key_id: u32) -> Vec<u8> {
    let mut aad =
        Vec::with_capacity(AAD_DOMAIN.len() + binding.row.len() + binding.field.len() + 20);
    aad.extend_from_slice(AAD_DOMAIN);
    aad.extend_from_slice(&(binding.row.len() as u32).to_be_bytes());
    aad.extend_from_slice(binding.row);
    aad.extend_from_slice(&(binding.field.len() as u32).to_be_bytes());
    aad.extend_from_slice(binding.field.as_bytes());
    aad.extend_from_slice(&key_id.to_be_bytes());
    aad
}

/// Seals `plaintext` under `key` (whose id is `key_id`) with a fresh random nonce.
pub(crate) fn seal(
    key: &SecretKey,
    key_id: u32,
    binding: Binding<'_>,
    plaintext: &[u8],
) -> Vec<u8> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let aad = associated_data(binding, key_id);
    let ciphertext = key
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
    let mut blob = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    blob.push(BLOB_VERSION);
    blob.extend_from_slice(&key_id.to_be_bytes());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&ciphertext);
    blob
}

/// Opens a blob sealed by `seal` with the same key, key id and binding.
pub(crate) fn open(
    key: &SecretKey,
    key_id: u32,
    binding: Binding<'_>,
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if blob.len() < HEADER_LEN + TAG_LEN || blob[0] != BLOB_VERSION {
        return Err(OpenError::Malformed);
    }
    let blob_key_id = u32::from_be_bytes(blob[1..5].try_into().expect("4 bytes"));
    if blob_key_id != key_id {
        return Err(OpenError::WrongKey);
    }
    let nonce = XNonce::from_slice(&blob[5..HEADER_LEN]);
    let aad = associated_data(binding, key_id);
    key.cipher()
        .decrypt(
            nonce,
            Payload {
                msg: &blob[HEADER_LEN..],
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Rejected)
}

const CANARY_BINDING: Binding<'static> = Binding {
    row: b"vault",
    field: "canary",
};

/// A known value sealed under the vault key, stored beside it: opening it proves that the
/// key the platform handed back is the right one.
pub(crate) fn canary(key: &SecretKey, key_id: u32) -> Vec<u8> {
    seal(key, key_id, CANARY_BINDING, CANARY_PLAINTEXT)
}

pub(crate) fn canary_matches(key: &SecretKey, key_id: u32, canary: &[u8]) -> bool {
    open(key, key_id, CANARY_BINDING, canary).is_ok_and(|p| p.as_slice() == CANARY_PLAINTEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: Binding<'static> = Binding {
        row: b"row-1",
        field: "access_token",
    };

    #[test]
    fn sealed_values_open_only_where_they_were_sealed() {
        let key = SecretKey::random();
        let blob = seal(&key, 7, ROW, b"token");
        assert_eq!(open(&key, 7, ROW, &blob).unwrap().as_slice(), b"token");

        let other_row = Binding {
            row: b"row-2",
            ..ROW
        };
        let other_field = Binding {
            field: "refresh_token",
            ..ROW
        };
        assert_eq!(open(&key, 7, other_row, &blob), Err(OpenError::Rejected));
        assert_eq!(open(&key, 7, other_field, &blob), Err(OpenError::Rejected));
        assert_eq!(open(&key, 8, ROW, &blob), Err(OpenError::WrongKey));
        assert_eq!(
            open(&SecretKey::random(), 7, ROW, &blob),
            Err(OpenError::Rejected)
        );
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let key = SecretKey::random();
        let blob = seal(&key, 1, ROW, b"a secret token");
        for byte in 0..blob.len() {
            for bit in 0..8 {
                let mut bad = blob.clone();
                bad[byte] ^= 1 << bit;
                assert!(open(&key, 1, ROW, &bad).is_err(), "byte {byte} bit {bit}");
            }
        }
        assert_eq!(
            open(&key, 1, ROW, &blob[..HEADER_LEN + TAG_LEN - 1]),
            Err(OpenError::Malformed)
        );
    }

    #[test]
    fn nonces_are_fresh() {
        let key = SecretKey::random();
        assert_ne!(seal(&key, 1, ROW, b"same"), seal(&key, 1, ROW, b"same"));
    }

    #[test]
    fn the_canary_tells_keys_apart() {
        let key = SecretKey::random();
        let canary = canary(&key, 3);
        assert!(canary_matches(&key, 3, &canary));
        assert!(!canary_matches(&SecretKey::random(), 3, &canary));
    }

    #[test]
    fn lookups_are_keyed_and_unambiguous() {
        let key = SecretKey::random();
        assert_eq!(key.lookup("vk", "42"), key.lookup("vk", "42"));
        assert_ne!(
            key.lookup("vk", "42"),
            SecretKey::random().lookup("vk", "42")
        );
        assert_ne!(key.lookup("vk4", "2"), key.lookup("vk", "42"));
    }

    #[test]
    fn platform_key_bytes_are_taken_over() {
        assert!(SecretKey::from_vec(vec![1; 31]).is_none());
        let key = SecretKey::from_vec(vec![9; 32]).unwrap();
        assert_eq!(key.as_bytes(), &[9; 32]);
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    }
}
