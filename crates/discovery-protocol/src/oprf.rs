//! The protocol's use of the oblivious PRF (RFC 9497, ristretto255-SHA512, verifiable mode):
//! how an identifier becomes an OPRF input, how a server key and an output are named, and the
//! client's side of an evaluation request.
//!
//! The client blinds each identifier with a fresh random scalar, so the server sees a random
//! group element; the server multiplies by its key and proves, with one batch DLEQ proof per
//! request, that it used the key whose public half the app pins. The client checks the proof
//! against the pinned key before unblinding, so a server cannot single a user out with
//! another key (its outputs would be unlinkable to the published filter). The protocol is
//! the `privacykit-oprf` crate's VOPRF mode; blinds live in its `Blinded`, which zeroizes
//! them when dropped.

use privacykit_oprf::{Blinded, Elements, Proof, PublicKey, Voprf};
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::wire::{self, KeyId, WireError, ELEMENT_LEN};

/// Domain separation for OPRF inputs: the same identifier means something else to another
/// protocol, and the server computes registered users' outputs with the same prefix.
const INPUT_DOMAIN: &[u8] = b"privacykit/discovery/v1/";
const KEY_ID_DOMAIN: &[u8] = b"privacykit/discovery/key-id/v1";

/// The OPRF input for a normalized identifier (E.164 number or normalized email).
pub fn input(identifier: &str) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(INPUT_DOMAIN.len() + identifier.len()));
    bytes.extend_from_slice(INPUT_DOMAIN);
    bytes.extend_from_slice(identifier.as_bytes());
    bytes
}

/// The 8-byte id of a server public key: what requests, responses and filters name.
pub fn key_id(public_key: &[u8]) -> KeyId {
    let digest = Sha256::new()
        .chain_update(KEY_ID_DOMAIN)
        .chain_update(public_key)
        .finalize();
    digest[..8].try_into().expect("8 bytes")
}

/// The filter key of an OPRF output: its first 8 bytes. Outputs are SHA-512 digests, so
/// these bits are uniform, which the filter's false-positive bound assumes.
pub fn filter_key(output: &[u8]) -> u64 {
    u64::from_le_bytes(output[..8].try_into().expect("64-byte output"))
}

/// The server public key the app pins.
#[derive(Clone)]
pub struct PinnedKey {
    key: PublicKey,
    pub id: KeyId,
}

impl PinnedKey {
    /// `None` unless `bytes` is a valid, non-identity ristretto255 element.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ELEMENT_LEN {
            return None;
        }
        let key = PublicKey::parse(bytes).ok()?;
        Some(PinnedKey {
            key,
            id: key_id(bytes),
        })
    }
}

/// One request's worth of blinded identifiers: `real` identifiers followed by random padding.
pub struct BlindBatch {
    blinded: Blinded<Voprf>,
    inputs: Vec<Zeroizing<Vec<u8>>>,
    real: usize,
}

/// Why a response could not be finalized.
#[derive(Debug, PartialEq, Eq)]
pub enum FinalizeError {
    /// Malformed: wrong length, bytes that are not a group element.
    Wire(WireError),
    /// The proof does not verify against the pinned key: another key, or tampered elements.
    Proof,
}

impl BlindBatch {
    /// Blinds `identifiers` and pads with random inputs up to `padded` elements. Returns the
    /// batch and the request bytes.
    pub fn new(identifiers: &[&str], padded: usize, key: &PinnedKey) -> (Self, Vec<u8>) {
        debug_assert!(padded >= identifiers.len() && padded.is_multiple_of(wire::PAD_TO));
        let mut inputs: Vec<Zeroizing<Vec<u8>>> = identifiers.iter().map(|i| input(i)).collect();
        // Padding is indistinguishable from real identifiers to the server: both are random
        // group elements once blinded. Its outputs are never unblinded.
        while inputs.len() < padded {
            let mut random = Zeroizing::new(vec![0u8; 32]);
            rand_core::RngCore::fill_bytes(&mut OsRng, &mut random);
            inputs.push(random);
        }
        let blinded = Blinded::<Voprf>::new(&inputs, &mut OsRng)
            .expect("hash-to-group yields the identity with probability 2^-252");
        let request = wire::encode_oprf_request(&key.id, blinded.encoded());
        let batch = BlindBatch {
            blinded,
            inputs,
            real: identifiers.len(),
        };
        (batch, request)
    }

    /// Elements in the request, padding included.
    pub fn len(&self) -> usize {
        self.blinded.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blinded.is_empty()
    }

    /// Verifies the proof against the pinned key and unblinds the real identifiers' outputs,
    /// returning their filter keys in the order the identifiers were given.
    pub fn finalize(
        &self,
        elements: &[&[u8]],
        proof: &[u8],
        key: &PinnedKey,
    ) -> Result<Vec<u64>, FinalizeError> {
        let (messages, proof) = self.parse_response(elements, proof)?;
        let outputs = self
            .blinded
            .finalize(&self.inputs, &messages, &proof, &key.key, self.real)
            .map_err(|e| match e {
                privacykit_oprf::Error::Proof => FinalizeError::Proof,
                // Padding, at the end, is never unblinded; only an input too long to
                // finalize gets here.
                _ => FinalizeError::Wire(WireError("an output could not be derived")),
            })?;
        Ok(outputs.iter().map(|o| filter_key(o)).collect())
    }

    fn parse_response(
        &self,
        elements: &[&[u8]],
        proof: &[u8],
    ) -> Result<(Elements, Proof), FinalizeError> {
        if elements.len() != self.blinded.len() {
            return Err(FinalizeError::Wire(WireError("wrong element count")));
        }
        let messages = Elements::parse(elements).map_err(|_| {
            FinalizeError::Wire(WireError("an evaluated element is not a group element"))
        })?;
        let proof = Proof::from_bytes(proof)
            .map_err(|_| FinalizeError::Wire(WireError("the proof is malformed")))?;
        Ok((messages, proof))
    }

    /// Verifies the proof against the pinned key without unblinding: the first half of
    /// [`BlindBatch::finalize`].
    pub fn verify(
        &self,
        elements: &[&[u8]],
        proof: &[u8],
        key: &PinnedKey,
    ) -> Result<(), FinalizeError> {
        let (messages, proof) = self.parse_response(elements, proof)?;
        self.blinded
            .verify(&messages, &proof, &key.key)
            .map_err(|_| FinalizeError::Proof)
    }
}

#[cfg(test)]
mod tests {
    use privacykit_oprf::SecretKey;

    use super::*;

    /// A valid public key no test server holds.
    fn some_public_key() -> [u8; 32] {
        SecretKey::<Voprf>::generate(&mut OsRng).public().to_bytes()
    }

    #[test]
    fn pinned_keys_must_be_group_elements() {
        assert!(PinnedKey::parse(&[0u8; 32]).is_none(), "identity");
        assert!(PinnedKey::parse(&[0xffu8; 32]).is_none(), "not canonical");
        assert!(PinnedKey::parse(&[1u8; 31]).is_none(), "short");
        let base = some_public_key();
        let key = PinnedKey::parse(&base).unwrap();
        assert_eq!(key.id, key_id(&base));
    }

    #[test]
    fn padding_fills_the_request() {
        let key = PinnedKey::parse(&some_public_key()).unwrap();
        let (batch, request) = BlindBatch::new(&["+15551230000"], 64, &key);
        assert_eq!(batch.len(), 64);
        assert_eq!(request.len(), 12 + 64 * 32);
        let parsed = wire::decode_oprf_request(&request).unwrap();
        assert_eq!(parsed.key_id, key.id);
        // Two blindings of the same identifier look unrelated.
        let (_, again) = BlindBatch::new(&["+15551230000"], 64, &key);
        assert_ne!(request[12..44], again[12..44]);
    }

    /// Answers `request` under `server`: the evaluated elements and the proof's bytes.
    fn answer(server: &SecretKey<Voprf>, request: &[u8]) -> (Vec<[u8; 32]>, Vec<u8>) {
        let parsed = wire::decode_oprf_request(request).unwrap();
        let blinded = Elements::parse(&parsed.elements).unwrap();
        let (elements, proof) = server.blind_evaluate(&blinded, &mut OsRng).unwrap();
        (elements, proof.to_bytes().to_vec())
    }

    #[test]
    fn honest_answers_give_the_servers_filter_keys() {
        let server = SecretKey::<Voprf>::generate(&mut OsRng);
        let key = PinnedKey::parse(&server.public().to_bytes()).unwrap();
        let ids = [
            "tel:+15551230000",
            "tel:+15551230001",
            "mailto:a@example.com",
        ];
        let (batch, request) = BlindBatch::new(&ids, 64, &key);
        let (elements, proof) = answer(&server, &request);
        let elements: Vec<&[u8]> = elements.iter().map(|e| &e[..]).collect();
        let keys = batch.finalize(&elements, &proof, &key).unwrap();
        let expected: Vec<u64> = ids
            .iter()
            .map(|id| filter_key(&server.evaluate(&input(id)).unwrap()))
            .collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn dishonest_answers_are_typed_errors() {
        let server = SecretKey::<Voprf>::generate(&mut OsRng);
        let other = SecretKey::<Voprf>::generate(&mut OsRng);
        let key = PinnedKey::parse(&server.public().to_bytes()).unwrap();
        let (batch, request) = BlindBatch::new(&["tel:+15551230000", "tel:+15551230001"], 64, &key);
        let (elements, proof) = answer(&server, &request);
        let finalize = |elements: &[[u8; 32]], proof: &[u8]| {
            let elements: Vec<&[u8]> = elements.iter().map(|e| &e[..]).collect();
            batch.finalize(&elements, proof, &key)
        };
        assert!(finalize(&elements, &proof).is_ok());
        let wire = |what| Err(FinalizeError::Wire(WireError(what)));

        // A proof from another key: its own honest answer, or its proof on ours.
        let (other_elements, other_proof) = answer(&other, &request);
        assert_eq!(
            finalize(&other_elements, &other_proof),
            Err(FinalizeError::Proof)
        );
        assert_eq!(finalize(&elements, &other_proof), Err(FinalizeError::Proof));
        assert_eq!(finalize(&other_elements, &proof), Err(FinalizeError::Proof));
        // A tampered element: another valid element, or not an element at all.
        let mut tampered = elements.clone();
        tampered[1] = some_public_key();
        assert_eq!(finalize(&tampered, &proof), Err(FinalizeError::Proof));
        tampered[1] = [0xff; 32];
        let not_element = wire("an evaluated element is not a group element");
        assert_eq!(finalize(&tampered, &proof), not_element);
        tampered[1] = [0; 32];
        assert_eq!(finalize(&tampered, &proof), not_element);
        // A swapped element order, among the real ones or with padding.
        for (i, j) in [(0, 1), (0, 63), (10, 20)] {
            let mut swapped = elements.clone();
            swapped.swap(i, j);
            assert_eq!(
                finalize(&swapped, &proof),
                Err(FinalizeError::Proof),
                "{i} {j}"
            );
        }
        // A wrong count.
        assert_eq!(
            finalize(&elements[..63], &proof),
            wire("wrong element count")
        );
        let mut long = elements.clone();
        long.push(elements[0]);
        assert_eq!(finalize(&long, &proof), wire("wrong element count"));
        assert_eq!(finalize(&[], &proof), wire("wrong element count"));
        // A malformed proof.
        let malformed = wire("the proof is malformed");
        assert_eq!(finalize(&elements, &proof[..63]), malformed);
        assert_eq!(finalize(&elements, &[0xff; 64]), malformed);
        assert_eq!(finalize(&elements, &[]), malformed);
    }
}
