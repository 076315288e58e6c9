//! RFC 9497 (OPRFs using prime-order groups), verifiable mode (`modeVOPRF` = 0x01), for the
//! one suite discovery uses: ristretto255-SHA512. Written from the RFC text, for speed.
//!
//! What the `voprf` crate it replaces does slowly, and what this module does instead:
//!
//! - The batch DLEQ proof's composites `M = Σ dᵢ·Cᵢ` and `Z = Σ dᵢ·Dᵢ` (§2.2.1) are sums over
//!   public values, so they are computed with one variable-time multiscalar multiplication
//!   each (Pippenger), not one constant-time scalar multiplication per element. The server
//!   computes only `M` and sets `Z = k·M` (ComputeCompositesFast).
//! - Elements are hashed from the bytes they arrived or left as: the request carries the
//!   compressed `Cᵢ` and the response the compressed `Dᵢ`, so nothing is compressed twice.
//! - Points that are compressed in bulk (blinded elements, evaluated elements, unblinded
//!   elements) are computed as half the wanted point, `Q = (x/2)·P`, and encoded with
//!   `RistrettoPoint::double_and_compress_batch`, which encodes `2Q = x·P` for a whole batch
//!   with one field inversion instead of one per point.
//!
//! What stays constant-time: every multiplication by a secret scalar (blinding `r·P`,
//! unblinding `r⁻¹·D`, the server's `k·C` and `k·M`, the proof nonce's `t·G` and `t·M`) uses
//! curve25519-dalek's constant-time scalar multiplication, and scalar inversion of the blinds
//! is a batch (Montgomery) inversion built from constant-time scalar arithmetic. Variable-time
//! code only ever sees public values: blinded and evaluated elements, the public key, the
//! composite weights `dᵢ` hashed from them, and the proof. Secret scalars (blinds, the key,
//! the proof nonce and the inversion scratch) are zeroized when dropped, as are the unblinded
//! elements `k·H(x)` in our buffers. Stack temporaries inside curve25519-dalek's arithmetic,
//! and the heap scratch of its batch encoding (which sees only points, never a secret
//! scalar), are out of our reach, as they were with `voprf`.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use elliptic_curve::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
#[cfg(any(test, feature = "server"))]
use zeroize::Zeroize;
use zeroize::Zeroizing;

/// `contextString = "OPRFV1-" || I2OSP(modeVOPRF, 1) || "-" || identifier` (§3.1).
macro_rules! with_context {
    ($prefix:literal) => {
        concat!($prefix, "OPRFV1-\x01-ristretto255-SHA512").as_bytes()
    };
}

#[cfg(test)]
const CONTEXT: &[u8] = with_context!("");
const DST_HASH_TO_GROUP: &[u8] = with_context!("HashToGroup-");
const DST_HASH_TO_SCALAR: &[u8] = with_context!("HashToScalar-");
#[cfg(any(test, feature = "server"))]
const DST_DERIVE_KEY_PAIR: &[u8] = with_context!("DeriveKeyPair");
const SEED_DST: &[u8] = with_context!("Seed-");

/// Ne and Ns: serialized element and scalar lengths.
pub(crate) const ELEMENT_LEN: usize = 32;
const SCALAR_LEN: usize = 32;
pub(crate) const PROOF_LEN: usize = 2 * SCALAR_LEN;
/// Nh: SHA-512 output bytes.
pub(crate) const OUTPUT_LEN: usize = 64;

/// I2OSP(len(x), 2) of the fixed lengths above.
const ELEMENT_LEN_BE: [u8; 2] = (ELEMENT_LEN as u16).to_be_bytes();
const OUTPUT_LEN_BE: [u8; 2] = (OUTPUT_LEN as u16).to_be_bytes();

pub(crate) type Output = [u8; OUTPUT_LEN];

/// The RFC's errors, as far as this suite can raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    /// InvalidInputError: an input that hashes to the identity, or one longer than 65,535
    /// bytes (its length must fit I2OSP(len, 2)).
    Input,
    /// DeserializeError: not the canonical encoding of a non-identity element.
    Element,
    /// DeserializeError: not a canonical, non-zero scalar.
    Scalar,
    /// Batches of different lengths, or longer than 65,535 (indices are I2OSP(i, 2)).
    Batch,
    /// VerifyError: the proof does not verify.
    Proof,
    /// DeriveKeyPairError: 256 derivations in a row gave zero (never, in practice), or
    /// `info` is longer than 65,535 bytes.
    #[cfg(any(test, feature = "server"))]
    DeriveKeyPair,
}

/// `expand_message_xmd` (RFC 9380 §5.3.1) with SHA-512, 64 bytes out.
fn expand_64(msg: &[&[u8]], dst: &'static [u8]) -> Zeroizing<[u8; 64]> {
    let mut uniform = Zeroizing::new([0u8; 64]);
    ExpandMsgXmd::<Sha512>::expand_message(msg, &[dst], 64)
        // Only fails for an empty DST or an output length over 255 blocks: neither here.
        .expect("a 64-byte expansion under a non-empty DST")
        .fill_bytes(&mut uniform[..]);
    uniform
}

/// HashToGroup: hash_to_ristretto255 (RFC 9380 §B / RFC 9496 §4.3.4) under
/// DST = "HashToGroup-" || contextString.
fn hash_to_group(input: &[u8]) -> RistrettoPoint {
    RistrettoPoint::from_uniform_bytes(&expand_64(&[input], DST_HASH_TO_GROUP))
}

/// HashToScalar: expand_message_xmd to 64 bytes, little-endian, reduced mod the group order.
fn hash_to_scalar(msg: &[&[u8]], dst: &'static [u8]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&expand_64(msg, dst))
}

/// DeserializeElement (§4.1): the canonical encoding of a non-identity element.
pub(crate) fn deserialize_element(bytes: &[u8]) -> Result<RistrettoPoint, Error> {
    let point = CompressedRistretto::from_slice(bytes)
        .map_err(|_| Error::Element)?
        .decompress()
        .ok_or(Error::Element)?;
    if point.is_identity() {
        return Err(Error::Element);
    }
    Ok(point)
}

/// DeserializeScalar (§4.1): a canonical little-endian scalar. Zero is refused too, as the
/// `voprf` crate did: no key contains one, and an honest proof with probability 2⁻²⁵².
fn deserialize_scalar(bytes: &[u8]) -> Result<Scalar, Error> {
    let bytes: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| Error::Scalar)?;
    let scalar: Option<Scalar> = Scalar::from_canonical_bytes(bytes).into();
    scalar.filter(|s| s != &Scalar::ZERO).ok_or(Error::Scalar)
}

/// RandomScalar: a uniform non-zero scalar.
fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    loop {
        let scalar = Scalar::random(rng);
        if scalar != Scalar::ZERO {
            return scalar;
        }
    }
}

/// `n` random non-zero scalars from one read of the generator (one system call for OsRng
/// instead of one per scalar).
fn random_scalars<R: RngCore + CryptoRng>(n: usize, rng: &mut R) -> Zeroizing<Vec<Scalar>> {
    let mut wide = Zeroizing::new(vec![0u8; 64 * n]);
    rng.fill_bytes(&mut wide);
    let mut scalars = Zeroizing::new(Vec::with_capacity(n));
    for chunk in wide.chunks_exact(64) {
        let mut bytes = Zeroizing::new([0u8; 64]);
        bytes.copy_from_slice(chunk);
        let mut scalar = Scalar::from_bytes_mod_order_wide(&bytes);
        if scalar == Scalar::ZERO {
            scalar = random_scalar(rng);
        }
        scalars.push(scalar);
    }
    scalars
}

/// 1/2 mod the group order, for the halving trick of [`double_and_compress`].
fn half() -> Scalar {
    Scalar::from(2u8).invert()
}

/// The encodings of `2·Qᵢ`, with one field inversion for the batch.
fn double_and_compress(halves: &[RistrettoPoint]) -> Vec<[u8; ELEMENT_LEN]> {
    RistrettoPoint::double_and_compress_batch(halves)
        .into_iter()
        .map(|c| c.to_bytes())
        .collect()
}

/// Inverts non-zero secret scalars in place with Montgomery's trick: one inversion and three
/// multiplications per scalar, all constant-time, with a scratch that is zeroized.
fn batch_invert(scalars: &mut [Scalar]) {
    let mut prefix = Zeroizing::new(Vec::with_capacity(scalars.len()));
    let mut acc = Zeroizing::new(Scalar::ONE);
    for s in scalars.iter() {
        prefix.push(*acc);
        *acc *= s;
    }
    *acc = acc.invert();
    for (s, before) in scalars.iter_mut().zip(prefix.iter()).rev() {
        let inverse = *acc * before;
        *acc *= &*s;
        *s = inverse;
    }
}

/// Elements with the encodings they were parsed from or compressed to, so that hashing them
/// into the proof never compresses them again.
pub(crate) struct Elements {
    points: Vec<RistrettoPoint>,
    encoded: Vec<[u8; ELEMENT_LEN]>,
}

impl Elements {
    /// Deserializes every element; fails on the first that is not a valid non-identity one.
    pub fn parse<B: AsRef<[u8]>>(encoded: &[B]) -> Result<Self, Error> {
        let mut points = Vec::with_capacity(encoded.len());
        let mut bytes = Vec::with_capacity(encoded.len());
        for e in encoded {
            points.push(deserialize_element(e.as_ref())?);
            bytes.push(
                e.as_ref()
                    .try_into()
                    .expect("checked by deserialize_element"),
            );
        }
        Ok(Elements {
            points,
            encoded: bytes,
        })
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn encoded(&self) -> &[[u8; ELEMENT_LEN]] {
        &self.encoded
    }
}

/// A server public key `pkS = skS·G` and its encoding.
#[derive(Clone)]
pub(crate) struct PublicKey {
    point: RistrettoPoint,
    encoded: [u8; ELEMENT_LEN],
}

impl PublicKey {
    /// A valid non-identity element, as the app pins it.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        Ok(PublicKey {
            point: deserialize_element(bytes)?,
            encoded: bytes.try_into().expect("checked by deserialize_element"),
        })
    }

    #[cfg(any(test, feature = "server"))]
    pub fn to_bytes(&self) -> [u8; ELEMENT_LEN] {
        self.encoded
    }
}

/// A batch DLEQ proof `(c, s)`, serialized as `c || s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proof {
    c: Scalar,
    s: Scalar,
}

impl Proof {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != PROOF_LEN {
            return Err(Error::Scalar);
        }
        Ok(Proof {
            c: deserialize_scalar(&bytes[..SCALAR_LEN])?,
            s: deserialize_scalar(&bytes[SCALAR_LEN..])?,
        })
    }

    #[cfg(any(test, feature = "server"))]
    pub fn to_bytes(&self) -> [u8; PROOF_LEN] {
        let mut out = [0u8; PROOF_LEN];
        out[..SCALAR_LEN].copy_from_slice(self.c.as_bytes());
        out[SCALAR_LEN..].copy_from_slice(self.s.as_bytes());
        out
    }
}

/// The weights `dᵢ` of ComputeComposites (§2.2.1), from the encodings of `B`, `Cᵢ` and `Dᵢ`.
fn composite_weights(
    b: &[u8; ELEMENT_LEN],
    cs: &[[u8; ELEMENT_LEN]],
    ds: &[[u8; ELEMENT_LEN]],
) -> Result<Vec<Scalar>, Error> {
    if cs.len() != ds.len() || cs.len() > usize::from(u16::MAX) {
        return Err(Error::Batch);
    }
    // seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) || seedDST)
    let seed = Sha512::new()
        .chain_update(ELEMENT_LEN_BE)
        .chain_update(b)
        .chain_update((SEED_DST.len() as u16).to_be_bytes())
        .chain_update(SEED_DST)
        .finalize();
    Ok(cs
        .iter()
        .zip(ds)
        .enumerate()
        .map(|(i, (ci, di))| {
            // I2OSP(len(seed), 2) || seed || I2OSP(i, 2) || I2OSP(len(Ci), 2) || Ci ||
            // I2OSP(len(Di), 2) || Di || "Composite"
            hash_to_scalar(
                &[
                    &OUTPUT_LEN_BE,
                    &seed,
                    &(i as u16).to_be_bytes(),
                    &ELEMENT_LEN_BE,
                    ci,
                    &ELEMENT_LEN_BE,
                    di,
                    b"Composite",
                ],
                DST_HASH_TO_SCALAR,
            )
        })
        .collect())
}

/// The challenge `c` of §2.2.1 and §2.2.2.
fn challenge(
    b: &[u8; ELEMENT_LEN],
    m: &RistrettoPoint,
    z: &RistrettoPoint,
    t2: &RistrettoPoint,
    t3: &RistrettoPoint,
) -> Scalar {
    let (m, z, t2, t3) = (m.compress(), z.compress(), t2.compress(), t3.compress());
    hash_to_scalar(
        &[
            &ELEMENT_LEN_BE,
            b,
            &ELEMENT_LEN_BE,
            m.as_bytes(),
            &ELEMENT_LEN_BE,
            z.as_bytes(),
            &ELEMENT_LEN_BE,
            t2.as_bytes(),
            &ELEMENT_LEN_BE,
            t3.as_bytes(),
            b"Challenge",
        ],
        DST_HASH_TO_SCALAR,
    )
}

/// VerifyProof (§2.2.2) with A = G and B = pkS, on public values only.
fn verify_proof(pk: &PublicKey, cs: &Elements, ds: &Elements, proof: &Proof) -> Result<(), Error> {
    let weights = composite_weights(&pk.encoded, &cs.encoded, &ds.encoded)?;
    let m = RistrettoPoint::vartime_multiscalar_mul(&weights, &cs.points);
    let z = RistrettoPoint::vartime_multiscalar_mul(&weights, &ds.points);
    // t2 = s·G + c·B, t3 = s·M + c·Z
    let t2 = RistrettoPoint::vartime_double_scalar_mul_basepoint(&proof.c, &pk.point, &proof.s);
    let t3 = RistrettoPoint::vartime_multiscalar_mul([proof.s, proof.c], [m, z]);
    // Public values; dalek's Scalar equality is constant-time anyway.
    if challenge(&pk.encoded, &m, &z, &t2, &t3) == proof.c {
        Ok(())
    } else {
        Err(Error::Proof)
    }
}

/// Finalize's hash: Hash(I2OSP(len(input), 2) || input || I2OSP(len(element), 2) || element
/// || "Finalize").
fn finalize_hash(input: &[u8], element: &[u8; ELEMENT_LEN]) -> Result<Output, Error> {
    let len = u16::try_from(input.len()).map_err(|_| Error::Input)?;
    let digest = Sha512::new()
        .chain_update(len.to_be_bytes())
        .chain_update(input)
        .chain_update(ELEMENT_LEN_BE)
        .chain_update(element)
        .chain_update(b"Finalize")
        .finalize();
    let mut output = [0u8; OUTPUT_LEN];
    output.copy_from_slice(&digest);
    Ok(output)
}

/// A server key pair. The private scalar (and its half) are zeroized when dropped.
#[cfg(any(test, feature = "server"))]
pub(crate) struct SecretKey {
    k: Scalar,
    /// k/2, for the halving trick of [`double_and_compress`].
    k_half: Scalar,
    public: PublicKey,
}

#[cfg(any(test, feature = "server"))]
impl Drop for SecretKey {
    fn drop(&mut self) {
        self.k.zeroize();
        self.k_half.zeroize();
    }
}

#[cfg(any(test, feature = "server"))]
impl SecretKey {
    fn from_scalar(k: Scalar) -> Self {
        let point = RistrettoPoint::mul_base(&k);
        SecretKey {
            k_half: k * half(),
            public: PublicKey {
                point,
                encoded: point.compress().to_bytes(),
            },
            k,
        }
    }

    /// DeriveKeyPair(seed, info) (§3.2.1).
    pub fn derive(seed: &[u8], info: &[u8]) -> Result<Self, Error> {
        let info_len = u16::try_from(info.len()).map_err(|_| Error::DeriveKeyPair)?;
        for counter in 0..=u8::MAX {
            // skS = HashToScalar(seed || I2OSP(len(info), 2) || info || I2OSP(counter, 1),
            //                    DST = "DeriveKeyPair" || contextString)
            let k = hash_to_scalar(
                &[seed, &info_len.to_be_bytes(), info, &[counter]],
                DST_DERIVE_KEY_PAIR,
            );
            if k != Scalar::ZERO {
                return Ok(Self::from_scalar(k));
            }
        }
        Err(Error::DeriveKeyPair)
    }

    /// A fresh key: DeriveKeyPair from a random 32-byte seed and empty info, as `voprf`'s
    /// `VoprfServer::new` made them.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut seed[..]);
        Self::derive(&seed[..], b"").expect("derivation from 32 bytes succeeds")
    }

    /// A key from its 32-byte little-endian scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_scalar(deserialize_scalar(bytes)?))
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(self.k.to_bytes())
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The PRF without blinding (§3.3.2 Evaluate): the output a client gets for `input`.
    pub fn evaluate(&self, input: &[u8]) -> Result<Output, Error> {
        let point = hash_to_group(input);
        if point.is_identity() {
            return Err(Error::Input);
        }
        let evaluated = Zeroizing::new(point * self.k);
        let encoded = Zeroizing::new(evaluated.compress().to_bytes());
        finalize_hash(input, &encoded)
    }

    /// BlindEvaluateBatch (§3.3.2): the evaluated elements' encodings and the batch proof.
    pub fn blind_evaluate<R: RngCore + CryptoRng>(
        &self,
        blinded: &Elements,
        rng: &mut R,
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, Proof), Error> {
        let nonce = Zeroizing::new(random_scalar(rng));
        self.blind_evaluate_with_nonce(blinded, &nonce)
    }

    /// BlindEvaluateBatch with the proof's random scalar given (tests, test vectors).
    pub(crate) fn blind_evaluate_with_nonce(
        &self,
        blinded: &Elements,
        nonce: &Scalar,
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, Proof), Error> {
        if blinded.len() > usize::from(u16::MAX) {
            return Err(Error::Batch);
        }
        // Dᵢ = k·Cᵢ, encoded as 2·((k/2)·Cᵢ). Constant-time in k.
        let halves: Vec<RistrettoPoint> = blinded.points.iter().map(|c| c * self.k_half).collect();
        let evaluated = double_and_compress(&halves);
        let proof = self.generate_proof(blinded, &evaluated, nonce)?;
        Ok((evaluated, proof))
    }

    /// GenerateProof (§2.2.1) with A = G, B = pkS and ComputeCompositesFast.
    fn generate_proof(
        &self,
        cs: &Elements,
        ds: &[[u8; ELEMENT_LEN]],
        nonce: &Scalar,
    ) -> Result<Proof, Error> {
        let weights = composite_weights(&self.public.encoded, &cs.encoded, ds)?;
        // M is a sum over public values; Z = k·M, t2 = r·G and t3 = r·M involve secrets.
        let m = RistrettoPoint::vartime_multiscalar_mul(&weights, &cs.points);
        let z = m * self.k;
        let t2 = RistrettoPoint::mul_base(nonce);
        let t3 = m * nonce;
        let c = challenge(&self.public.encoded, &m, &z, &t2, &t3);
        let s = nonce - c * self.k;
        Ok(Proof { c, s })
    }
}

/// A client's blinded batch: the blinds (zeroized when dropped) and the blinded elements
/// with their encodings, which are the request's bytes.
pub(crate) struct Blinded {
    blinds: Zeroizing<Vec<Scalar>>,
    elements: Elements,
}

impl Blinded {
    /// Blind (§3.3.2) for each input, with fresh random blinds.
    pub fn new<B: AsRef<[u8]>, R: RngCore + CryptoRng>(
        inputs: &[B],
        rng: &mut R,
    ) -> Result<Self, Error> {
        Self::with_blinds(inputs, random_scalars(inputs.len(), rng))
    }

    /// Blind with the blinds given (tests, test vectors). Blinds must be non-zero.
    pub(crate) fn with_blinds<B: AsRef<[u8]>>(
        inputs: &[B],
        blinds: Zeroizing<Vec<Scalar>>,
    ) -> Result<Self, Error> {
        assert_eq!(inputs.len(), blinds.len());
        let half = Zeroizing::new(half());
        let mut halves = Vec::with_capacity(inputs.len());
        for (input, blind) in inputs.iter().zip(blinds.iter()) {
            let point = Zeroizing::new(hash_to_group(input.as_ref()));
            if point.is_identity() {
                return Err(Error::Input);
            }
            // Cᵢ = rᵢ·Pᵢ, encoded as 2·((rᵢ/2)·Pᵢ). Constant-time in rᵢ.
            let blind_half = Zeroizing::new(blind * *half);
            halves.push(*point * *blind_half);
        }
        let encoded = double_and_compress(&halves);
        let points = halves.iter().map(|q| q + q).collect();
        Ok(Blinded {
            blinds,
            elements: Elements { points, encoded },
        })
    }

    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// The blinded elements' encodings, in order.
    pub fn encoded(&self) -> &[[u8; ELEMENT_LEN]] {
        self.elements.encoded()
    }

    /// Verifies the batch proof that `evaluated` is this batch under `pk`, then unblinds and
    /// finalizes (§3.3.2 Finalize) the first `take` elements. `inputs` are the inputs given
    /// to [`Blinded::new`], at least `take` of them.
    pub fn finalize<B: AsRef<[u8]>>(
        &self,
        inputs: &[B],
        evaluated: &Elements,
        proof: &Proof,
        pk: &PublicKey,
        take: usize,
    ) -> Result<Zeroizing<Vec<Output>>, Error> {
        if evaluated.len() != self.len() || take > self.len() || inputs.len() < take {
            return Err(Error::Batch);
        }
        verify_proof(pk, &self.elements, evaluated, proof)?;
        // Nᵢ = rᵢ⁻¹·Dᵢ, encoded as 2·((2rᵢ)⁻¹·Dᵢ). Constant-time in rᵢ.
        let mut inverses = Zeroizing::new(
            self.blinds[..take]
                .iter()
                .map(|r| r + r)
                .collect::<Vec<_>>(),
        );
        batch_invert(&mut inverses);
        let halves = Zeroizing::new(
            evaluated.points[..take]
                .iter()
                .zip(inverses.iter())
                .map(|(d, inverse)| d * inverse)
                .collect::<Vec<_>>(),
        );
        let unblinded = Zeroizing::new(double_and_compress(&halves));
        let mut outputs = Zeroizing::new(Vec::with_capacity(take));
        for (input, element) in inputs.iter().zip(unblinded.iter()) {
            outputs.push(finalize_hash(input.as_ref(), element)?);
        }
        Ok(outputs)
    }

    /// Proof verification alone, for the benchmark's breakdown.
    #[cfg(feature = "server")]
    pub(crate) fn verify(
        &self,
        evaluated: &Elements,
        proof: &Proof,
        pk: &PublicKey,
    ) -> Result<(), Error> {
        if evaluated.len() != self.len() {
            return Err(Error::Batch);
        }
        verify_proof(pk, &self.elements, evaluated, proof)
    }
}

/// The generator's encoding, for tests.
#[cfg(test)]
pub(crate) fn generator_bytes() -> [u8; ELEMENT_LEN] {
    curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT
        .compress()
        .to_bytes()
}

#[cfg(test)]
mod tests;
