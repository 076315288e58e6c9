//! Malformed and dishonest input: another key's proof, tampered, duplicated, swapped or
//! non-canonical elements, wrong counts, malformed or zero proofs and keys. Each is a typed
//! error, never a panic.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use privacykit_oprf::{
    Blinded, Elements, Error, Oprf, Proof, PublicKey, SecretKey, Voprf, ELEMENT_LEN,
};
use rand_core::{OsRng, RngCore};

/// A valid element that no honest answer contains: the generator.
fn generator_bytes() -> [u8; ELEMENT_LEN] {
    RISTRETTO_BASEPOINT_POINT.compress().to_bytes()
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// One honest VOPRF run: the key, the inputs, the blinded batch, the response and its proof.
type Honest = (
    SecretKey<Voprf>,
    Vec<Vec<u8>>,
    Blinded<Voprf>,
    Vec<[u8; ELEMENT_LEN]>,
    Proof,
);

fn honest(size: usize) -> Honest {
    let key = SecretKey::<Voprf>::generate(&mut OsRng);
    let inputs: Vec<Vec<u8>> = (0..size).map(|_| random_bytes(20)).collect();
    let blinded = Blinded::<Voprf>::new(&inputs, &mut OsRng).unwrap();
    let request = Elements::parse(blinded.encoded()).unwrap();
    let (evaluated, proof) = key.blind_evaluate(&request, &mut OsRng).unwrap();
    (key, inputs, blinded, evaluated, proof)
}

#[test]
fn dishonest_responses_are_rejected() {
    let (key, inputs, blinded, evaluated, proof) = honest(5);
    let pk = key.public().clone();
    let finalize = |elements: &[[u8; ELEMENT_LEN]], proof: &Proof| {
        let elements = Elements::parse(elements)?;
        blinded.finalize(&inputs, &elements, proof, &pk, inputs.len())
    };
    assert!(finalize(&evaluated, &proof).is_ok());

    // Evaluated under another key, with that key's valid proof.
    let other = SecretKey::<Voprf>::generate(&mut OsRng);
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
    // Verification alone says the same.
    let response = Elements::parse(&other_evaluated).unwrap();
    assert_eq!(
        blinded.verify(&response, &other_proof, &pk).unwrap_err(),
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
    for bad in [&[0u8; 32][..], &[0xff; 32], &[1; 31]] {
        assert_eq!(
            SecretKey::<Voprf>::from_bytes(bad).err(),
            Some(Error::Scalar)
        );
        assert_eq!(
            SecretKey::<Oprf>::from_bytes(bad).err(),
            Some(Error::Scalar)
        );
    }
    assert_eq!(
        SecretKey::<Voprf>::derive(b"seed", &vec![0; 65_536]).err(),
        Some(Error::DeriveKeyPair)
    );
    assert!(PublicKey::parse(&[0; 32]).is_err());
    assert!(PublicKey::parse(&generator_bytes()[..31]).is_err());
    assert!(Elements::parse(&[[0u8; 32]]).is_err());
    assert!(Elements::parse(&[vec![1u8; 33]]).is_err());
    assert!(Elements::parse::<[u8; 32]>(&[]).unwrap().is_empty());

    // Blinds given by the caller must be one canonical non-zero scalar per input.
    let two = [b"a".to_vec(), b"b".to_vec()];
    let one_blind = [[1u8; 32]];
    assert_eq!(
        Blinded::<Voprf>::with_blinds(&two, &one_blind).err(),
        Some(Error::Batch)
    );
    assert_eq!(
        Blinded::<Oprf>::with_blinds(&two[..1], &[[0u8; 32]]).err(),
        Some(Error::Scalar)
    );

    // An empty batch evaluates and verifies (no identifiers, nothing to unblind).
    let key = SecretKey::<Voprf>::generate(&mut OsRng);
    let none: [[u8; 32]; 0] = [];
    let blinded = Blinded::<Voprf>::new(&none, &mut OsRng).unwrap();
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
    let blinded = Blinded::<Voprf>::new(&long, &mut OsRng).unwrap();
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
fn oprf_mode_refuses_malformed_responses() {
    let key = SecretKey::<Oprf>::generate(&mut OsRng);
    let inputs: Vec<Vec<u8>> = (0..4).map(|_| random_bytes(20)).collect();
    let blinded = Blinded::<Oprf>::new(&inputs, &mut OsRng).unwrap();
    let evaluated = key
        .blind_evaluate(&Elements::parse(blinded.encoded()).unwrap())
        .unwrap();
    let response = Elements::parse(&evaluated).unwrap();
    let outputs = blinded.finalize(&inputs, &response, 4).unwrap();
    for (input, output) in inputs.iter().zip(outputs.iter()) {
        assert_eq!(key.evaluate(input).unwrap(), *output);
    }
    // Only a prefix, as with padding.
    assert_eq!(
        blinded.finalize(&inputs, &response, 2).unwrap()[..],
        outputs[..2]
    );

    // Wrong counts, and more to take than there are inputs.
    let short = Elements::parse(&evaluated[..3]).unwrap();
    assert_eq!(
        blinded.finalize(&inputs, &short, 3).unwrap_err(),
        Error::Batch
    );
    assert_eq!(
        blinded.finalize(&inputs, &response, 5).unwrap_err(),
        Error::Batch
    );
    assert_eq!(
        blinded.finalize(&inputs[..1], &response, 2).unwrap_err(),
        Error::Batch
    );
    // OPRF mode cannot tell another key's answer: its outputs are just other outputs.
    let other = SecretKey::<Oprf>::generate(&mut OsRng);
    let theirs = other
        .blind_evaluate(&Elements::parse(blinded.encoded()).unwrap())
        .unwrap();
    let other_outputs = blinded
        .finalize(&inputs, &Elements::parse(&theirs).unwrap(), 4)
        .unwrap();
    assert_eq!(other_outputs[0], other.evaluate(&inputs[0]).unwrap());
    assert_ne!(other_outputs[0], outputs[0]);
}
