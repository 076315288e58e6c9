//! The batch DLEQ proof of VOPRF mode (RFC 9497 §2.2): the server proves that every evaluated
//! element is its key times the blinded element, `Dᵢ = k·Cᵢ`, for the key whose public half
//! `pkS = k·G` the client holds, with one proof for the whole batch.
//!
//! The composites `M = Σ dᵢ·Cᵢ` and `Z = Σ dᵢ·Dᵢ` (§2.2.1) are sums over public values, so each
//! is one variable-time multiscalar multiplication (Pippenger) rather than one constant-time
//! scalar multiplication per element, and the server computes only `M` and sets `Z = k·M`
//! (ComputeCompositesFast). Elements are hashed from the bytes they arrived or left as.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use sha2::{Digest, Sha512};

use crate::group::{
    deserialize_scalar, hash_to_scalar, Elements, PublicKey, ELEMENT_LEN, ELEMENT_LEN_BE,
    SCALAR_LEN,
};
use crate::suite::sealed::Sealed;
use crate::{Error, Voprf, OUTPUT_LEN};

/// A serialized proof's length: `c || s`.
pub const PROOF_LEN: usize = 2 * SCALAR_LEN;

/// I2OSP(Nh, 2) for the seed's length prefix.
const OUTPUT_LEN_BE: [u8; 2] = (OUTPUT_LEN as u16).to_be_bytes();

/// A batch DLEQ proof `(c, s)`, serialized as `c || s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub(crate) c: Scalar,
    pub(crate) s: Scalar,
}

impl Proof {
    /// Two canonical, non-zero scalars ([`Error::Scalar`] otherwise).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != PROOF_LEN {
            return Err(Error::Scalar);
        }
        Ok(Proof {
            c: deserialize_scalar(&bytes[..SCALAR_LEN])?,
            s: deserialize_scalar(&bytes[SCALAR_LEN..])?,
        })
    }

    pub fn to_bytes(&self) -> [u8; PROOF_LEN] {
        let mut out = [0u8; PROOF_LEN];
        out[..SCALAR_LEN].copy_from_slice(self.c.as_bytes());
        out[SCALAR_LEN..].copy_from_slice(self.s.as_bytes());
        out
    }
}

/// The weights `dᵢ` of ComputeComposites (§2.2.1), from the encodings of `B`, `Cᵢ` and `Dᵢ`.
pub(crate) fn composite_weights(
    b: &[u8; ELEMENT_LEN],
    cs: &[[u8; ELEMENT_LEN]],
    ds: &[[u8; ELEMENT_LEN]],
) -> Result<Vec<Scalar>, Error> {
    if cs.len() != ds.len() || cs.len() > usize::from(u16::MAX) {
        return Err(Error::Batch);
    }
    // seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) || seedDST)
    let seed_dst = <Voprf as Sealed>::SEED_DST;
    let seed = Sha512::new()
        .chain_update(ELEMENT_LEN_BE)
        .chain_update(b)
        .chain_update((seed_dst.len() as u16).to_be_bytes())
        .chain_update(seed_dst)
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
                <Voprf as Sealed>::DST_HASH_TO_SCALAR,
            )
        })
        .collect())
}

/// The challenge `c` of §2.2.1 and §2.2.2.
pub(crate) fn challenge(
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
        <Voprf as Sealed>::DST_HASH_TO_SCALAR,
    )
}

/// VerifyProof (§2.2.2) with A = G and B = pkS, on public values only.
pub(crate) fn verify(
    pk: &PublicKey,
    cs: &Elements,
    ds: &Elements,
    proof: &Proof,
) -> Result<(), Error> {
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
