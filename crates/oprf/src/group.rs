//! The prime-order group and its hashes, as the suite ristretto255-SHA512 defines them
//! (RFC 9497 §4.1): element and scalar encodings, HashToGroup, HashToScalar, random scalars,
//! and the batch tricks the rest of the crate builds on.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use elliptic_curve::hash2curve::{ExpandMsg, ExpandMsgXmd, Expander};
use rand_core::{CryptoRng, RngCore};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::Error;

/// Ne: a serialized element's length.
pub const ELEMENT_LEN: usize = 32;
/// Ns: a serialized scalar's length.
pub const SCALAR_LEN: usize = 32;

/// I2OSP(Ne, 2), the length prefix of every element hashed into a transcript.
pub(crate) const ELEMENT_LEN_BE: [u8; 2] = (ELEMENT_LEN as u16).to_be_bytes();

/// `expand_message_xmd` (RFC 9380 §5.3.1) with SHA-512, 64 bytes out.
fn expand_64(msg: &[&[u8]], dst: &'static [u8]) -> Zeroizing<[u8; 64]> {
    let mut uniform = Zeroizing::new([0u8; 64]);
    ExpandMsgXmd::<Sha512>::expand_message(msg, &[dst], 64)
        // Only fails for an empty DST or an output length over 255 blocks: neither here.
        .expect("a 64-byte expansion under a non-empty DST")
        .fill_bytes(&mut uniform[..]);
    uniform
}

/// HashToGroup: hash_to_ristretto255 (RFC 9380 §B / RFC 9496 §4.3.4) under the mode's
/// DST = "HashToGroup-" || contextString.
pub(crate) fn hash_to_group(input: &[u8], dst: &'static [u8]) -> RistrettoPoint {
    RistrettoPoint::from_uniform_bytes(&expand_64(&[input], dst))
}

/// HashToScalar: expand_message_xmd to 64 bytes, little-endian, reduced mod the group order.
pub(crate) fn hash_to_scalar(msg: &[&[u8]], dst: &'static [u8]) -> Scalar {
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
/// `voprf` crate does: no key, blind or honest proof contains one (but with probability 2⁻²⁵²).
pub(crate) fn deserialize_scalar(bytes: &[u8]) -> Result<Scalar, Error> {
    let bytes: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| Error::Scalar)?;
    let scalar: Option<Scalar> = Scalar::from_canonical_bytes(bytes).into();
    scalar.filter(|s| s != &Scalar::ZERO).ok_or(Error::Scalar)
}

/// RandomScalar: a uniform non-zero scalar.
pub(crate) fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    loop {
        let scalar = Scalar::random(rng);
        if scalar != Scalar::ZERO {
            return scalar;
        }
    }
}

/// `n` random non-zero scalars from one read of the generator (one system call for OsRng
/// instead of one per scalar).
pub(crate) fn random_scalars<R: RngCore + CryptoRng>(
    n: usize,
    rng: &mut R,
) -> Zeroizing<Vec<Scalar>> {
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
pub(crate) fn half() -> Scalar {
    Scalar::from(2u8).invert()
}

/// The encodings of `2·Qᵢ`, with one field inversion for the batch. Points that are
/// compressed in bulk are computed as half the wanted point, `Q = (x/2)·P`, so that this
/// encodes `x·P` for a whole batch at the cost of one inversion instead of one per point.
pub(crate) fn double_and_compress(halves: &[RistrettoPoint]) -> Vec<[u8; ELEMENT_LEN]> {
    RistrettoPoint::double_and_compress_batch(halves)
        .into_iter()
        .map(|c| c.to_bytes())
        .collect()
}

/// Inverts non-zero secret scalars in place with Montgomery's trick: one inversion and three
/// multiplications per scalar, all constant-time, with a scratch that is zeroized.
pub(crate) fn batch_invert(scalars: &mut [Scalar]) {
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

/// Group elements with the encodings they were parsed from or compressed to, so that hashing
/// them into a proof never compresses them again: blinded elements as a server receives them,
/// evaluated elements as a client receives them.
pub struct Elements {
    pub(crate) points: Vec<RistrettoPoint>,
    pub(crate) encoded: Vec<[u8; ELEMENT_LEN]>,
}

impl Elements {
    /// Deserializes every element; fails with [`Error::Element`] on the first that is not the
    /// canonical encoding of a non-identity element.
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

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The elements' encodings, in order.
    pub fn encoded(&self) -> &[[u8; ELEMENT_LEN]] {
        &self.encoded
    }
}

/// A server public key `pkS = skS·G` and its encoding: what a VOPRF client pins.
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) point: RistrettoPoint,
    pub(crate) encoded: [u8; ELEMENT_LEN],
}

impl PublicKey {
    /// A valid non-identity element ([`Error::Element`] otherwise).
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        Ok(PublicKey {
            point: deserialize_element(bytes)?,
            encoded: bytes.try_into().expect("checked by deserialize_element"),
        })
    }

    pub fn to_bytes(&self) -> [u8; ELEMENT_LEN] {
        self.encoded
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex: String = self.encoded.iter().map(|b| format!("{b:02x}")).collect();
        write!(f, "PublicKey({hex})")
    }
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;

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

    #[test]
    fn scalars_must_be_canonical_and_non_zero() {
        assert_eq!(deserialize_scalar(&[0; 32]), Err(Error::Scalar));
        assert_eq!(deserialize_scalar(&[0xff; 32]), Err(Error::Scalar));
        assert_eq!(deserialize_scalar(&[1; 31]), Err(Error::Scalar));
        assert_eq!(deserialize_scalar(&Scalar::ONE.to_bytes()), Ok(Scalar::ONE));
    }
}
