//! Differential tests against the `voprf` crate, the RFC 9497 implementation this crate
//! replaced: with the same randomness both produce byte-identical keys, blinded elements,
//! evaluated elements, proofs and outputs, in OPRF and in VOPRF mode, and each side's
//! messages are accepted by the other.

use privacykit_oprf::{Blinded, Elements, Oprf, Proof, SecretKey, Voprf};
use rand_core::{CryptoRng, OsRng, RngCore};
use voprf::{
    BlindedElement as VBlinded, EvaluationElement as VEvaluated, OprfClient, OprfServer,
    Proof as VProof, Ristretto255, VoprfClient, VoprfServer,
};

/// Hands out the bytes it was given, so that `voprf` draws the same blinds and proof nonces
/// as this crate (both read 64 bytes per scalar and reduce them).
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
        let info = random_bytes(seed[0] as usize);

        // VOPRF mode.
        let ours = SecretKey::<Voprf>::generate(&mut Replay(seed.clone()));
        let theirs = VoprfServer::<Ristretto255>::new(&mut Replay(seed.clone())).unwrap();
        assert_eq!(ours.to_bytes().to_vec(), theirs.serialize()[..32].to_vec());
        assert_eq!(
            ours.public().to_bytes().to_vec(),
            theirs.get_public_key().compress().to_bytes().to_vec()
        );
        let ours = SecretKey::<Voprf>::derive(&seed, &info).unwrap();
        let theirs = VoprfServer::<Ristretto255>::new_from_seed(&seed, &info).unwrap();
        assert_eq!(ours.to_bytes().to_vec(), theirs.serialize()[..32].to_vec());
        let parsed = SecretKey::<Voprf>::from_bytes(&theirs.serialize()[..32]).unwrap();
        assert_eq!(parsed.public().to_bytes(), ours.public().to_bytes());

        // OPRF mode: another context string, so another key from the same seed.
        let ours = SecretKey::<Oprf>::generate(&mut Replay(seed.clone()));
        let theirs = OprfServer::<Ristretto255>::new(&mut Replay(seed.clone())).unwrap();
        assert_eq!(ours.to_bytes().to_vec(), theirs.serialize().to_vec());
        let ours = SecretKey::<Oprf>::derive(&seed, &info).unwrap();
        let theirs = OprfServer::<Ristretto255>::new_from_seed(&seed, &info).unwrap();
        assert_eq!(ours.to_bytes().to_vec(), theirs.serialize().to_vec());
        let voprf_key = SecretKey::<Voprf>::derive(&seed, &info).unwrap();
        assert_ne!(ours.to_bytes(), voprf_key.to_bytes());
    }
}

/// VOPRF mode, for random inputs and batches of several sizes: byte-identical blinded
/// elements, evaluated elements and proofs; each side's proofs verify on the other side;
/// outputs agree.
#[test]
fn voprf_mode_matches_the_voprf_crate() {
    for size in [1usize, 2, 3, 64, 65, 200] {
        let key = SecretKey::<Voprf>::generate(&mut OsRng);
        let server = VoprfServer::<Ristretto255>::new_with_key(&key.to_bytes()[..]).unwrap();
        let pk = key.public().clone();
        let inputs: Vec<Vec<u8>> = (0..size).map(|i| random_bytes(1 + (i * 7) % 40)).collect();

        // Blind with the same randomness.
        let randomness = random_bytes(64 * size);
        let ours = Blinded::<Voprf>::new(&inputs, &mut Replay(randomness.clone())).unwrap();
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

/// OPRF mode, the same way: byte-identical blinded and evaluated elements, and outputs that
/// agree whichever side evaluated.
#[test]
fn oprf_mode_matches_the_voprf_crate() {
    for size in [1usize, 2, 3, 64, 65] {
        let key = SecretKey::<Oprf>::generate(&mut OsRng);
        let server = OprfServer::<Ristretto255>::new_with_key(&key.to_bytes()[..]).unwrap();
        let inputs: Vec<Vec<u8>> = (0..size).map(|i| random_bytes(1 + (i * 5) % 30)).collect();

        let randomness = random_bytes(64 * size);
        let ours = Blinded::<Oprf>::new(&inputs, &mut Replay(randomness.clone())).unwrap();
        let mut replay = Replay(randomness);
        let (clients, messages): (Vec<_>, Vec<_>) = inputs
            .iter()
            .map(|input| {
                let b = OprfClient::<Ristretto255>::blind(input, &mut replay).unwrap();
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

        let request = Elements::parse(ours.encoded()).unwrap();
        let evaluated = key.blind_evaluate(&request).unwrap();
        let theirs: Vec<VEvaluated<Ristretto255>> =
            messages.iter().map(|m| server.blind_evaluate(m)).collect();
        for (ours, theirs) in evaluated.iter().zip(&theirs) {
            assert_eq!(
                ours.to_vec(),
                theirs.serialize().to_vec(),
                "evaluated, size {size}"
            );
        }

        // Our client finalizes their evaluation; their clients finalize ours.
        let response = Elements::parse(
            &theirs
                .iter()
                .map(|m| m.serialize().to_vec())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let ours_out = ours.finalize(&inputs, &response, size).unwrap();
        for (i, input) in inputs.iter().enumerate() {
            let ours_evaluated = VEvaluated::deserialize(&evaluated[i]).unwrap();
            let theirs_out = clients[i].finalize(input, &ours_evaluated).unwrap();
            assert_eq!(
                ours_out[i].to_vec(),
                theirs_out.to_vec(),
                "output, size {size}"
            );
            assert_eq!(
                ours_out[i].to_vec(),
                server.evaluate(input).unwrap().to_vec()
            );
            assert_eq!(key.evaluate(input).unwrap(), ours_out[i]);
        }
    }
}
