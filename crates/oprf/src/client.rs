//! The client: Blind, then Finalize (RFC 9497 §3.3.1 and §3.3.2), for a batch of inputs.
//!
//! In VOPRF mode the batch proof is verified against the pinned public key before anything is
//! unblinded. Blinds are secret scalars, zeroized when the batch is dropped, as are the
//! unblinded elements `k·H(x)` in our buffers; every multiplication by a blind (`r·P`, `r⁻¹·D`)
//! is constant-time, and the blinds are inverted together with one constant-time batch
//! inversion.

use std::marker::PhantomData;

use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use crate::group::{
    batch_invert, deserialize_scalar, double_and_compress, half, hash_to_group, random_scalars,
    Elements, PublicKey, ELEMENT_LEN, ELEMENT_LEN_BE, SCALAR_LEN,
};
use crate::proof::{self, Proof};
use crate::{Error, Mode, Oprf, Output, Voprf, OUTPUT_LEN};

/// A client's blinded batch in mode `M`: the blinds (zeroized when dropped) and the blinded
/// elements with their encodings, which are what the client sends.
pub struct Blinded<M: Mode> {
    blinds: Zeroizing<Vec<Scalar>>,
    elements: Elements,
    mode: PhantomData<M>,
}

impl<M: Mode> Blinded<M> {
    /// Blind (§3.3.1) for each input, with fresh random blinds. [`Error::Input`] if an input
    /// hashes to the identity (probability 2⁻²⁵²).
    pub fn new<B: AsRef<[u8]>, R: RngCore + CryptoRng>(
        inputs: &[B],
        rng: &mut R,
    ) -> Result<Self, Error> {
        Self::with_scalars(inputs, random_scalars(inputs.len(), rng))
    }

    /// Blind with the blinds given, one canonical non-zero scalar per input, as the RFC's test
    /// vectors do. Anything else must use [`Blinded::new`]: reused or guessable blinds make
    /// the inputs linkable.
    pub fn with_blinds<B: AsRef<[u8]>>(
        inputs: &[B],
        blinds: &[[u8; SCALAR_LEN]],
    ) -> Result<Self, Error> {
        if inputs.len() != blinds.len() {
            return Err(Error::Batch);
        }
        let mut scalars = Zeroizing::new(Vec::with_capacity(blinds.len()));
        for blind in blinds {
            scalars.push(deserialize_scalar(blind)?);
        }
        Self::with_scalars(inputs, scalars)
    }

    fn with_scalars<B: AsRef<[u8]>>(
        inputs: &[B],
        blinds: Zeroizing<Vec<Scalar>>,
    ) -> Result<Self, Error> {
        debug_assert_eq!(inputs.len(), blinds.len());
        let half = Zeroizing::new(half());
        let mut halves = Vec::with_capacity(inputs.len());
        for (input, blind) in inputs.iter().zip(blinds.iter()) {
            let point = Zeroizing::new(hash_to_group(input.as_ref(), M::DST_HASH_TO_GROUP));
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
            mode: PhantomData,
        })
    }

    pub fn len(&self) -> usize {
        self.elements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The blinded elements' encodings, in order: the request's payload.
    pub fn encoded(&self) -> &[[u8; ELEMENT_LEN]] {
        self.elements.encoded()
    }

    /// Checks the shape of a finalization: one evaluated element per blinded one, and at
    /// least `take` inputs.
    fn check_batch<B>(&self, inputs: &[B], evaluated: &Elements, take: usize) -> Result<(), Error> {
        if evaluated.len() != self.len() || take > self.len() || inputs.len() < take {
            return Err(Error::Batch);
        }
        Ok(())
    }

    /// Unblinds and finalizes (§3.3.1 Finalize) the first `take` evaluated elements.
    fn unblind<B: AsRef<[u8]>>(
        &self,
        inputs: &[B],
        evaluated: &Elements,
        take: usize,
    ) -> Result<Zeroizing<Vec<Output>>, Error> {
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
}

impl Blinded<Oprf> {
    /// Unblinds and finalizes (§3.3.1 Finalize) the first `take` elements the server
    /// evaluated; `inputs` are the inputs given to [`Blinded::new`], at least `take` of them.
    /// OPRF mode has no proof: nothing shows which key the server used.
    pub fn finalize<B: AsRef<[u8]>>(
        &self,
        inputs: &[B],
        evaluated: &Elements,
        take: usize,
    ) -> Result<Zeroizing<Vec<Output>>, Error> {
        self.check_batch(inputs, evaluated, take)?;
        self.unblind(inputs, evaluated, take)
    }
}

impl Blinded<Voprf> {
    /// Verifies the batch proof that `evaluated` is this batch under `pk`, then unblinds and
    /// finalizes (§3.3.2 Finalize) the first `take` elements. `inputs` are the inputs given
    /// to [`Blinded::new`], at least `take` of them; the rest (padding, say) is never
    /// unblinded. [`Error::Proof`] if the proof does not verify: another key, or tampered,
    /// reordered or substituted elements.
    pub fn finalize<B: AsRef<[u8]>>(
        &self,
        inputs: &[B],
        evaluated: &Elements,
        proof: &Proof,
        pk: &PublicKey,
        take: usize,
    ) -> Result<Zeroizing<Vec<Output>>, Error> {
        self.check_batch(inputs, evaluated, take)?;
        proof::verify(pk, &self.elements, evaluated, proof)?;
        self.unblind(inputs, evaluated, take)
    }

    /// Verifies the batch proof alone (§2.2.2 VerifyProof), without unblinding: what
    /// [`Blinded::finalize`] checks first.
    pub fn verify(&self, evaluated: &Elements, proof: &Proof, pk: &PublicKey) -> Result<(), Error> {
        if evaluated.len() != self.len() {
            return Err(Error::Batch);
        }
        proof::verify(pk, &self.elements, evaluated, proof)
    }
}

/// Finalize's hash: Hash(I2OSP(len(input), 2) || input || I2OSP(len(element), 2) || element
/// || "Finalize"), the same in OPRF and VOPRF modes.
pub(crate) fn finalize_hash(input: &[u8], element: &[u8; ELEMENT_LEN]) -> Result<Output, Error> {
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
