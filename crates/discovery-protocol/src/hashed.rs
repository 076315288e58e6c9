//! Hashed mode, for backends that only accept hashes: HMAC-SHA-256 of each normalized
//! identifier under a per-app key the server provides, truncated to the declared length.
//!
//! What it does not protect against, plainly: the key ships inside the app, so anyone who
//! extracts it (every copy of the app holds it) can hash all ~10^10 possible phone numbers
//! in minutes and reverse every hash. The server holds the key too, so it can reverse the
//! hashes it receives: it learns the contacts of everyone who runs discovery. The key only
//! stops someone who has the hashes but not the app (a leaked server log, a third party).
//! Truncation adds collisions (false matches) without adding secrecy. Use private mode
//! unless the backend cannot do it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::wire::{MAX_HASH_LEN, MIN_HASH_LEN};

const DOMAIN: &[u8] = b"privacykit/discovery/hashed/v1/";
const KEY_ID_DOMAIN: &[u8] = b"privacykit/discovery/hashed-key-id/v1";

/// The app's hashing key and truncation length. The key is zeroized when dropped.
pub struct HashKey {
    key: Zeroizing<Vec<u8>>,
    pub len: u8,
}

impl HashKey {
    /// `None` unless the key has 16 to 64 bytes and the length is 4 to 32.
    pub fn new(key: Vec<u8>, len: u8) -> Option<Self> {
        let key = Zeroizing::new(key);
        let ok = (16..=64).contains(&key.len()) && (MIN_HASH_LEN..=MAX_HASH_LEN).contains(&len);
        ok.then_some(HashKey { key, len })
    }

    /// The truncated keyed hash of a normalized identifier.
    pub fn hash(&self, identifier: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(DOMAIN);
        mac.update(identifier.as_bytes());
        mac.finalize().into_bytes()[..self.len as usize].to_vec()
    }

    /// Names the key and length without revealing the key, so a change of either drops
    /// the cached answers.
    pub fn id(&self) -> [u8; 8] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(KEY_ID_DOMAIN);
        mac.update(&[self.len]);
        mac.finalize().into_bytes()[..8].try_into().expect("8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_and_truncated() {
        let a = HashKey::new(vec![1; 32], 8).unwrap();
        let b = HashKey::new(vec![2; 32], 8).unwrap();
        assert_eq!(a.hash("+15551230000").len(), 8);
        assert_eq!(a.hash("+15551230000"), a.hash("+15551230000"));
        assert_ne!(a.hash("+15551230000"), b.hash("+15551230000"));
        assert_ne!(a.id(), b.id());
        assert_ne!(a.id(), HashKey::new(vec![1; 32], 9).unwrap().id());
        assert!(HashKey::new(vec![1; 8], 8).is_none());
        assert!(HashKey::new(vec![1; 32], 3).is_none());
        assert!(HashKey::new(vec![1; 32], 33).is_none());
    }
}
