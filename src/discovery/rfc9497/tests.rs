//! RFC 9497 Appendix A.1.2 test vectors, a differential test against the `voprf` crate this
//! module replaced, and malformed or dishonest responses.

use ::voprf::{
    BlindedElement as VBlinded, EvaluationElement as VEvaluated, Proof as VProof, Ristretto255,
    VoprfClient, VoprfServer,
};
use rand_core::{CryptoRng, OsRng, RngCore};

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn scalar(s: &str) -> Scalar {
    deserialize_scalar(&hex(s)).unwrap()
}

#[test]
fn domain_separation_tags_follow_the_context_string() {
    assert_eq!(CONTEXT, b"OPRFV1-\x01-ristretto255-SHA512");
    assert_eq!(DST_HASH_TO_GROUP, [b"HashToGroup-", CONTEXT].concat());
    assert_eq!(DST_HASH_TO_SCALAR, [b"HashToScalar-", CONTEXT].concat());
    assert_eq!(DST_DERIVE_KEY_PAIR, [b"DeriveKeyPair", CONTEXT].concat());
    assert_eq!(SEED_DST, [b"Seed-", CONTEXT].concat());
}

/// RFC 9497 Appendix A.1.2 (ristretto255-SHA512, VOPRF mode).
mod vectors {
    pub const SEED: &str = "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3";
    pub const KEY_INFO: &str = "74657374206b6579";
    pub const SK: &str = "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909";
    pub const PK: &str = "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e";

    pub struct Vector {
        pub inputs: &'static [&'static str],
        pub blinds: &'static [&'static str],
        pub blinded: &'static [&'static str],
        pub evaluated: &'static [&'static str],
        pub proof: &'static str,
        pub proof_random_scalar: &'static str,
        pub outputs: &'static [&'static str],
    }

    const BLIND_1: &str = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706";
    const OUTPUT_00: &str = "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d\
                             a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c";
    const OUTPUT_5A: &str = "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60\
                             356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6";

    pub const VECTORS: [Vector; 3] = [
        // A.1.2.1. Test Vector 1, Batch Size 1
        Vector {
            inputs: &["00"],
            blinds: &[BLIND_1],
            blinded: &["863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945"],
            evaluated: &["aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e"],
            proof: "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06\
                    6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
            proof_random_scalar: "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
            outputs: &[OUTPUT_00],
        },
        // A.1.2.2. Test Vector 2, Batch Size 1
        Vector {
            inputs: &["5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"],
            blinds: &[BLIND_1],
            blinded: &["cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c"],
            evaluated: &["60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468"],
            proof: "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a\
                    67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
            proof_random_scalar: "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
            outputs: &[OUTPUT_5A],
        },
        // A.1.2.3. Test Vector 3, Batch Size 2
        Vector {
            inputs: &["00", "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"],
            blinds: &[
                BLIND_1,
                "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
            ],
            blinded: &[
                "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
                "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654",
            ],
            evaluated: &[
                "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
                "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a",
            ],
            proof: "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a\
                    5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08",
            proof_random_scalar: "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c",
            outputs: &[OUTPUT_00, OUTPUT_5A],
        },
    ];
}

#[test]
fn rfc_9497_vectors_derive_the_key_pair() {
    let key = SecretKey::derive(&hex(vectors::SEED), &hex(vectors::KEY_INFO)).unwrap();
    assert_eq!(key.to_bytes().to_vec(), hex(vectors::SK));
    assert_eq!(key.public().to_bytes().to_vec(), hex(vectors::PK));
    let again = SecretKey::from_bytes(&hex(vectors::SK)).unwrap();
    assert_eq!(again.public().to_bytes().to_vec(), hex(vectors::PK));
}

#[test]
fn rfc_9497_vectors_voprf_ristretto255_sha512() {
    let key = SecretKey::derive(&hex(vectors::SEED), &hex(vectors::KEY_INFO)).unwrap();
    let pk = PublicKey::parse(&hex(vectors::PK)).unwrap();
    for (n, v) in vectors::VECTORS.iter().enumerate() {
        let inputs: Vec<Vec<u8>> = v.inputs.iter().map(|i| hex(i)).collect();
        let blinds = Zeroizing::new(v.blinds.iter().map(|b| scalar(b)).collect());

        // Blind
        let blinded = Blinded::with_blinds(&inputs, blinds).unwrap();
        let expected: Vec<Vec<u8>> = v.blinded.iter().map(|b| hex(b)).collect();
        let got: Vec<Vec<u8>> = blinded.encoded().iter().map(|e| e.to_vec()).collect();
        assert_eq!(got, expected, "vector {}: blinded elements", n + 1);

        // BlindEvaluate with the vector's proof random scalar
        let request = Elements::parse(blinded.encoded()).unwrap();
        let (evaluated, proof) = key
            .blind_evaluate_with_nonce(&request, &scalar(v.proof_random_scalar))
            .unwrap();
        let expected: Vec<Vec<u8>> = v.evaluated.iter().map(|e| hex(e)).collect();
        let got: Vec<Vec<u8>> = evaluated.iter().map(|e| e.to_vec()).collect();
        assert_eq!(got, expected, "vector {}: evaluated elements", n + 1);
        assert_eq!(
            proof.to_bytes().to_vec(),
            hex(v.proof),
            "vector {}: proof",
            n + 1
        );

        // Finalize from the vector's own bytes
        let response = Elements::parse(&expected).unwrap();
        let proof = Proof::from_bytes(&hex(v.proof)).unwrap();
        let outputs = blinded
            .finalize(&inputs, &response, &proof, &pk, inputs.len())
            .unwrap();
        for (i, output) in outputs.iter().enumerate() {
            assert_eq!(
                output.to_vec(),
                hex(v.outputs[i]),
                "vector {}: output {i}",
                n + 1
            );
            // Evaluate: the server's unblinded PRF agrees.
            assert_eq!(key.evaluate(&inputs[i]).unwrap(), *output);
        }
    }
}

/// Hands out the bytes it was given, so that `voprf` draws the same blinds and proof nonces
/// as this module (both read 64 bytes per scalar and reduce them).
struct Replay(Vec<u8>);

impl RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }
    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(self.0.len() >= dest.len(), "replay exhausted");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Replay {}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

#[test]
fn keys_match_the_voprf_crate() {
    for _ in 0..8 {
        let seed = random_bytes(32);
        let ours = SecretKey::generate(&mut Replay(seed.clone()));
        let theirs = VoprfServer::<Ristretto255>::new(&mut Replay(seed.clone())).unwrap();
        assert_eq!(ours.to_bytes().to_vec(), theirs.serialize()[..32].to_vec());
        assert_eq!(
            ours.public().to_bytes().to_vec(),
            theirs.get_public_key().compress().to_bytes().to_vec()
        );
        let info = random_bytes(seed[0] as usize);
        let ours = SecretKey::derive(&seed, &info).unwrap();
        let theirs = VoprfServer::<Ristretto255>::new_from_seed(&seed, &info).unwrap();
        assert_eq!(ours.to_bytes().to_vec(), theirs.serialize()[..32].to_vec());
        let parsed = SecretKey::from_bytes(&theirs.serialize()[..32]).unwrap();
        assert_eq!(parsed.public().to_bytes(), ours.public().to_bytes());
    }
}

/// Our client and server against `voprf`'s, for random inputs and batches of several sizes:
/// with the same randomness both produce byte-identical blinded elements, evaluated
/// elements and proofs; each side's proofs verify on the other side; outputs agree.
#[test]
fn matches_the_voprf_crate() {
    for size in [1usize, 2, 3, 64, 65, 200] {
        let key = SecretKey::generate(&mut OsRng);
        let server = VoprfServer::<Ristretto255>::new_with_key(&key.to_bytes()[..]).unwrap();
        let pk = key.public().clone();
        let inputs: Vec<Vec<u8>> = (0..size).map(|i| random_bytes(1 + (i * 7) % 40)).collect();

        // Blind with the same randomness.
        let randomness = random_bytes(64 * size);
        let ours = Blinded::new(&inputs, &mut Replay(randomness.clone())).unwrap();
        let mut replay = Replay(randomness);
        let (clients, messages): (Vec<_>, Vec<_>) = inputs
            .iter()
            .map(|input| {
                let b = VoprfClient::<Ristretto255>::blind(input, &mut replay).unwrap();
                (b.state, b.message)
            })
            .unzip();
        for (ours, theirs) in ours.encoded().iter().zip(&messages) {
            assert_eq!(
                ours.to_vec(),
                theirs.serialize().to_vec(),
                "blinded, size {size}"
            );
        }

        // Evaluate with the same proof nonce.
        let nonce = random_bytes(64);
        let request = Elements::parse(ours.encoded()).unwrap();
        let (evaluated, proof) = key
            .blind_evaluate(&request, &mut Replay(nonce.clone()))
            .unwrap();
        let theirs = server
            .batch_blind_evaluate(&mut Replay(nonce), &messages)
            .unwrap();
        for (ours, theirs) in evaluated.iter().zip(&theirs.messages) {
            assert_eq!(
                ours.to_vec(),
                theirs.serialize().to_vec(),
                "evaluated, size {size}"
            );
        }
        assert_eq!(
            proof.to_bytes().to_vec(),
            theirs.proof.serialize().to_vec(),
            "proof, size {size}"
        );

        // Our client finalizes their response; their client finalizes ours (fresh nonces).
        let (evaluated, proof) = key.blind_evaluate(&request, &mut OsRng).unwrap();
        let their_messages: Vec<VEvaluated<Ristretto255>> = evaluated
            .iter()
            .map(|e| VEvaluated::deserialize(e).unwrap())
            .collect();
        let their_proof = VProof::<Ristretto255>::deserialize(&proof.to_bytes()).unwrap();
        let theirs_out: Vec<Vec<u8>> = VoprfClient::batch_finalize(
            &inputs,
            &clients,
            &their_messages,
            &their_proof,
            server.get_public_key(),
        )
        .expect("voprf verifies our proof")
        .map(|o| o.unwrap().to_vec())
        .collect();
        let theirs_eval = server.batch_blind_evaluate(&mut OsRng, &messages).unwrap();
        let response = Elements::parse(
            &theirs_eval
                .messages
                .iter()
                .map(|m| m.serialize().to_vec())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let their_proof = Proof::from_bytes(&theirs_eval.proof.serialize()).unwrap();
        let ours_out = ours
            .finalize(&inputs, &response, &their_proof, &pk, size)
            .expect("we verify voprf's proof");
        for (i, input) in inputs.iter().enumerate() {
            assert_eq!(ours_out[i].to_vec(), theirs_out[i], "output, size {size}");
            assert_eq!(
                ours_out[i].to_vec(),
                server.evaluate(input).unwrap().to_vec()
            );
            assert_eq!(key.evaluate(input).unwrap(), ours_out[i]);
        }

        // Only a prefix unblinded (padding is never unblinded).
        let prefix = ours
            .finalize(&inputs, &response, &their_proof, &pk, size / 2)
            .unwrap();
        assert_eq!(prefix[..], ours_out[..size / 2]);

        // Their server parses what our client sends.
        for e in ours.encoded() {
            VBlinded::<Ristretto255>::deserialize(e).unwrap();
        }
    }
}

/// One honest run: a blinded batch, the server's response and the pinned key.
fn honest(size: usize) -> (SecretKey, Vec<Vec<u8>>, Blinded, Vec<[u8; 32]>, Proof) {
    let key = SecretKey::generate(&mut OsRng);
    let inputs: Vec<Vec<u8>> = (0..size).map(|_| random_bytes(20)).collect();
    let blinded = Blinded::new(&inputs, &mut OsRng).unwrap();
    let request = Elements::parse(blinded.encoded()).unwrap();
    let (evaluated, proof) = key.blind_evaluate(&request, &mut OsRng).unwrap();
    (key, inputs, blinded, evaluated, proof)
}

#[test]
fn dishonest_responses_are_rejected() {
    let (key, inputs, blinded, evaluated, proof) = honest(5);
    let pk = key.public().clone();
    let finalize = |elements: &[[u8; 32]], proof: &Proof| {
        let elements = Elements::parse(elements)?;
        blinded.finalize(&inputs, &elements, proof, &pk, inputs.len())
    };
    assert!(finalize(&evaluated, &proof).is_ok());

    // Evaluated under another key, with that key's valid proof.
    let other = SecretKey::generate(&mut OsRng);
    let request = Elements::parse(blinded.encoded()).unwrap();
    let (other_evaluated, other_proof) = other.blind_evaluate(&request, &mut OsRng).unwrap();
    assert_eq!(
        finalize(&other_evaluated, &other_proof).unwrap_err(),
        Error::Proof
    );
    // The right elements with another key's proof, and the other way round.
    assert_eq!(
        finalize(&evaluated, &other_proof).unwrap_err(),
        Error::Proof
    );
    assert_eq!(
        finalize(&other_evaluated, &proof).unwrap_err(),
        Error::Proof
    );

    // One element replaced by another valid element.
    let mut tampered = evaluated.clone();
    tampered[2] = generator_bytes();
    assert_eq!(finalize(&tampered, &proof).unwrap_err(), Error::Proof);
    // One element replaced by a valid element of the same batch (a duplicate).
    let mut tampered = evaluated.clone();
    tampered[2] = tampered[3];
    assert_eq!(finalize(&tampered, &proof).unwrap_err(), Error::Proof);
    // Two elements swapped.
    let mut swapped = evaluated.clone();
    swapped.swap(0, 4);
    assert_eq!(finalize(&swapped, &proof).unwrap_err(), Error::Proof);
    // A bit flipped: usually not an element at all, else the wrong one.
    for bit in [0usize, 9, 100, 254] {
        let mut flipped = evaluated.clone();
        flipped[1][bit / 8] ^= 1 << (bit % 8);
        let err = finalize(&flipped, &proof).unwrap_err();
        assert!(matches!(err, Error::Element | Error::Proof), "{err:?}");
    }
    // The identity and a non-canonical encoding are not elements.
    let mut identity = evaluated.clone();
    identity[0] = [0; 32];
    assert_eq!(finalize(&identity, &proof).unwrap_err(), Error::Element);
    let mut non_canonical = evaluated.clone();
    non_canonical[0] = [0xff; 32];
    assert_eq!(
        finalize(&non_canonical, &proof).unwrap_err(),
        Error::Element
    );

    // A wrong count, short or long.
    assert_eq!(finalize(&evaluated[..4], &proof).unwrap_err(), Error::Batch);
    let mut long = evaluated.clone();
    long.push(evaluated[0]);
    assert_eq!(finalize(&long, &proof).unwrap_err(), Error::Batch);
    assert_eq!(finalize(&[], &proof).unwrap_err(), Error::Batch);

    // The proof tampered with: c and s swapped, one scalar changed, or not scalars.
    let bytes = proof.to_bytes();
    let mut swapped_proof = [0u8; 64];
    swapped_proof[..32].copy_from_slice(&bytes[32..]);
    swapped_proof[32..].copy_from_slice(&bytes[..32]);
    let swapped_proof = Proof::from_bytes(&swapped_proof).unwrap();
    assert_eq!(
        finalize(&evaluated, &swapped_proof).unwrap_err(),
        Error::Proof
    );
    let mut bumped = bytes;
    bumped[32] ^= 1;
    let bumped = Proof::from_bytes(&bumped).unwrap();
    assert_eq!(finalize(&evaluated, &bumped).unwrap_err(), Error::Proof);
    let mut not_canonical = bytes;
    not_canonical[31] = 0xff;
    assert_eq!(
        Proof::from_bytes(&not_canonical).unwrap_err(),
        Error::Scalar
    );
    let mut zero = bytes;
    zero[32..].fill(0);
    assert_eq!(Proof::from_bytes(&zero).unwrap_err(), Error::Scalar);
    assert_eq!(Proof::from_bytes(&bytes[..63]).unwrap_err(), Error::Scalar);
    assert_eq!(Proof::from_bytes(&[]).unwrap_err(), Error::Scalar);
}

#[test]
fn malformed_keys_and_requests_are_refused() {
    assert_eq!(SecretKey::from_bytes(&[0; 32]).err(), Some(Error::Scalar));
    assert_eq!(
        SecretKey::from_bytes(&[0xff; 32]).err(),
        Some(Error::Scalar)
    );
    assert_eq!(SecretKey::from_bytes(&[1; 31]).err(), Some(Error::Scalar));
    assert!(PublicKey::parse(&[0; 32]).is_err());
    assert!(PublicKey::parse(&generator_bytes()[..31]).is_err());
    assert!(Elements::parse(&[[0u8; 32]]).is_err());
    assert!(Elements::parse(&[vec![1u8; 33]]).is_err());
    assert_eq!(Elements::parse::<[u8; 32]>(&[]).unwrap().len(), 0);

    // An empty batch evaluates and verifies (no identifiers, nothing to unblind).
    let key = SecretKey::generate(&mut OsRng);
    let none: [[u8; 32]; 0] = [];
    let blinded = Blinded::new(&none, &mut OsRng).unwrap();
    let (evaluated, proof) = key
        .blind_evaluate(&Elements::parse(blinded.encoded()).unwrap(), &mut OsRng)
        .unwrap();
    let response = Elements::parse(&evaluated).unwrap();
    assert!(blinded
        .finalize(&none, &response, &proof, key.public(), 0)
        .unwrap()
        .is_empty());

    // Inputs too long for I2OSP(len, 2) cannot be finalized.
    let long = vec![vec![7u8; 65_536]];
    let blinded = Blinded::new(&long, &mut OsRng).unwrap();
    let (evaluated, proof) = key
        .blind_evaluate(&Elements::parse(blinded.encoded()).unwrap(), &mut OsRng)
        .unwrap();
    let response = Elements::parse(&evaluated).unwrap();
    assert_eq!(
        blinded
            .finalize(&long, &response, &proof, key.public(), 1)
            .unwrap_err(),
        Error::Input
    );
    assert_eq!(key.evaluate(&long[0]).unwrap_err(), Error::Input);
}

#[test]
fn batch_inversion_inverts() {
    let scalars: Vec<Scalar> = (0..17).map(|_| random_scalar(&mut OsRng)).collect();
    let mut inverted = scalars.clone();
    batch_invert(&mut inverted);
    for (s, i) in scalars.iter().zip(&inverted) {
        assert_eq!(s * i, Scalar::ONE);
    }
    batch_invert(&mut []);
}

#[test]
fn halved_batch_encoding_matches_plain_compression() {
    let points: Vec<RistrettoPoint> = (0..100)
        .map(|_| RistrettoPoint::random(&mut OsRng))
        .collect();
    let half = half();
    let halves: Vec<RistrettoPoint> = points.iter().map(|p| p * half).collect();
    let encoded = double_and_compress(&halves);
    for (p, e) in points.iter().zip(&encoded) {
        assert_eq!(p.compress().to_bytes(), *e);
    }
}
