//! The server (crate feature `server`): key generation and derivation (RFC 9497 §3.2), and
//! BlindEvaluate for a batch (§3.3.1, and §3.3.2 with the batch proof), plus the unblinded
//! PRF, Evaluate, that a server uses to compute its registered users' outputs.
//!
//! Every multiplication by the key or the proof nonce (`k·C`, `k·M`, `t·G`, `t·M`) is
//! constant-time; the key, its half and the nonce are zeroized when dropped.

use std::marker::PhantomData;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::client::finalize_hash;
use crate::group::{
    deserialize_scalar, double_and_compress, half, hash_to_group, hash_to_scalar, random_scalar,
    Elements, PublicKey, ELEMENT_LEN, SCALAR_LEN,
};
use crate::proof::{challenge, composite_weights, Proof};
use crate::{Error, Mode, Oprf, Output, Voprf};

/// A server key pair for mode `M` (the mode enters key derivation and the PRF's hash). The
/// private scalar and its half are zeroized when dropped; `Debug` shows the public key only.
pub struct SecretKey<M: Mode> {
    k: Scalar,
    /// k/2, for the halving trick of batch encoding.
    k_half: Scalar,
    public: PublicKey,
    mode: PhantomData<M>,
}

impl<M: Mode> Drop for SecretKey<M> {
    fn drop(&mut self) {
        self.k.zeroize();
        self.k_half.zeroize();
    }
}

impl<M: Mode> std::fmt::Debug for SecretKey<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl<M: Mode> SecretKey<M> {
    fn from_scalar(k: Scalar) -> Self {
        let point = RistrettoPoint::mul_base(&k);
        SecretKey {
            k_half: k * half(),
            public: PublicKey {
                point,
                encoded: point.compress().to_bytes(),
            },
            k,
            mode: PhantomData,
        }
    }

    /// DeriveKeyPair(seed, info) (§3.2.1). [`Error::DeriveKeyPair`] if `info` is longer than
    /// 65,535 bytes (or, never in practice, 256 derivations in a row give zero).
    pub fn derive(seed: &[u8], info: &[u8]) -> Result<Self, Error> {
        let info_len = u16::try_from(info.len()).map_err(|_| Error::DeriveKeyPair)?;
        for counter in 0..=u8::MAX {
            // skS = HashToScalar(seed || I2OSP(len(info), 2) || info || I2OSP(counter, 1),
            //                    DST = "DeriveKeyPair" || contextString)
            let k = hash_to_scalar(
                &[seed, &info_len.to_be_bytes(), info, &[counter]],
                M::DST_DERIVE_KEY_PAIR,
            );
            if k != Scalar::ZERO {
                return Ok(Self::from_scalar(k));
            }
        }
        Err(Error::DeriveKeyPair)
    }

    /// A fresh key: DeriveKeyPair from a random 32-byte seed and empty info, as the `voprf`
    /// crate's `VoprfServer::new` makes them.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut seed[..]);
        Self::derive(&seed[..], b"").expect("derivation from 32 bytes succeeds")
    }

    /// A key from its 32-byte little-endian scalar ([`Error::Scalar`] unless canonical and
    /// non-zero).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_scalar(deserialize_scalar(bytes)?))
    }

    /// The private scalar, little-endian, for the operator's secret store.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(self.k.to_bytes())
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Evaluate (§3.3.1, §3.3.2): the PRF without blinding, the output a client gets for
    /// `input`. [`Error::Input`] if the input hashes to the identity or is longer than
    /// 65,535 bytes.
    pub fn evaluate(&self, input: &[u8]) -> Result<Output, Error> {
        let point = hash_to_group(input, M::DST_HASH_TO_GROUP);
        if point.is_identity() {
            return Err(Error::Input);
        }
        let evaluated = Zeroizing::new(point * self.k);
        let encoded = Zeroizing::new(evaluated.compress().to_bytes());
        finalize_hash(input, &encoded)
    }

    /// `Dᵢ = k·Cᵢ` for a batch, encoded as `2·((k/2)·Cᵢ)`. Constant-time in k.
    fn multiply(&self, blinded: &Elements) -> Result<Vec<[u8; ELEMENT_LEN]>, Error> {
        if blinded.len() > usize::from(u16::MAX) {
            return Err(Error::Batch);
        }
        let halves: Vec<RistrettoPoint> = blinded.points.iter().map(|c| c * self.k_half).collect();
        Ok(double_and_compress(&halves))
    }
}

impl SecretKey<Oprf> {
    /// BlindEvaluate (§3.3.1) for each blinded element: the evaluated elements' encodings, in
    /// order. [`Error::Batch`] for more than 65,535 elements.
    pub fn blind_evaluate(&self, blinded: &Elements) -> Result<Vec<[u8; ELEMENT_LEN]>, Error> {
        self.multiply(blinded)
    }
}

impl SecretKey<Voprf> {
    /// BlindEvaluateBatch (§3.3.2): the evaluated elements' encodings and the batch proof,
    /// with a fresh random proof nonce. [`Error::Batch`] for more than 65,535 elements.
    pub fn blind_evaluate<R: RngCore + CryptoRng>(
        &self,
        blinded: &Elements,
        rng: &mut R,
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, Proof), Error> {
        let nonce = Zeroizing::new(random_scalar(rng));
        self.blind_evaluate_with(blinded, &nonce)
    }

    /// BlindEvaluateBatch with the proof's random scalar given, as the RFC's test vectors do
    /// (`ProofRandomScalar`, canonical and non-zero). Anything else must use
    /// [`SecretKey::blind_evaluate`]: a nonce used twice reveals the key.
    pub fn blind_evaluate_with_nonce(
        &self,
        blinded: &Elements,
        nonce: &[u8; SCALAR_LEN],
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, Proof), Error> {
        let nonce = Zeroizing::new(deserialize_scalar(nonce)?);
        self.blind_evaluate_with(blinded, &nonce)
    }

    fn blind_evaluate_with(
        &self,
        blinded: &Elements,
        nonce: &Scalar,
    ) -> Result<(Vec<[u8; ELEMENT_LEN]>, Proof), Error> {
        let evaluated = self.multiply(blinded)?;
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
