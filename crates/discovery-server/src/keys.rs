//! The server's OPRF keys: generation, persistence bytes and rotation.

use privacykit_discovery_protocol::oprf::key_id;
use privacykit_discovery_protocol::wire::KeyId;
use privacykit_oprf::{SecretKey, Voprf};
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::ServerError;

/// One OPRF key pair. The private scalar lives in a `privacykit_oprf::SecretKey`, which zeroizes
/// it when dropped; Debug shows only the key id.
pub struct ServerKey {
    server: SecretKey<Voprf>,
    public: [u8; 32],
    id: KeyId,
}

impl ServerKey {
    /// A fresh random key (RFC 9497 DeriveKeyPair from a random seed).
    pub fn generate() -> Self {
        Self::from_server(SecretKey::generate(&mut OsRng))
    }

    /// A key from the 32 bytes `secret_bytes` returned.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, ServerError> {
        let server = SecretKey::from_bytes(bytes).map_err(|_| ServerError::InvalidKey)?;
        Ok(Self::from_server(server))
    }

    fn from_server(server: SecretKey<Voprf>) -> Self {
        let public = server.public().to_bytes();
        ServerKey {
            id: key_id(&public),
            public,
            server,
        }
    }

    /// The private key (the scalar, little-endian), for the operator's secret store.
    /// Zeroized when dropped.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.server.to_bytes().to_vec())
    }

    /// The public key the app pins (`DiscoveryMode::Private { server_public_key }`).
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn oprf(&self) -> &SecretKey<Voprf> {
        &self.server
    }
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey(id {})", hex(&self.id))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current key and, during a rotation, the previous one. Apps pin one public key; an
/// app release pinning the new key ships while the server still answers the old one, then
/// the operator retires the old key.
#[derive(Debug)]
pub struct KeyRing {
    current: ServerKey,
    previous: Option<ServerKey>,
}

impl KeyRing {
    pub fn new(current: ServerKey) -> Self {
        KeyRing {
            current,
            previous: None,
        }
    }

    pub fn current(&self) -> &ServerKey {
        &self.current
    }

    pub fn previous(&self) -> Option<&ServerKey> {
        self.previous.as_ref()
    }

    /// Makes `next` current; the old current key keeps answering until `retire_previous`.
    /// A key already retired this way is dropped (and zeroized).
    pub fn rotate(&mut self, next: ServerKey) {
        let old = std::mem::replace(&mut self.current, next);
        self.previous = Some(old);
    }

    /// Stops answering requests for the previous key.
    pub fn retire_previous(&mut self) -> Option<KeyId> {
        self.previous.take().map(|k| k.id())
    }

    pub fn get(&self, id: &KeyId) -> Option<&ServerKey> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| &k.id() == id)
    }

    pub fn keys(&self) -> impl Iterator<Item = &ServerKey> + Clone {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_persist_and_rotate() {
        let key = ServerKey::generate();
        let again = ServerKey::from_secret_bytes(&key.secret_bytes()).unwrap();
        assert_eq!(key.public_key(), again.public_key());
        assert_eq!(key.id(), again.id());
        assert!(ServerKey::from_secret_bytes(&[0u8; 32]).is_err());
        assert!(!format!("{key:?}").contains(&hex(&key.secret_bytes())));

        let mut ring = KeyRing::new(key);
        let first = ring.current().id();
        ring.rotate(ServerKey::generate());
        assert_ne!(ring.current().id(), first);
        assert!(ring.get(&first).is_some(), "the old key still answers");
        assert_eq!(ring.retire_previous(), Some(first));
        assert!(ring.get(&first).is_none());
    }
}
