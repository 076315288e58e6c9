#![doc = include_str!("../README.md")]

mod client;
mod group;
mod proof;
#[cfg(feature = "server")]
mod server;
mod suite;

use std::fmt;

pub use client::Blinded;
pub use group::{Elements, PublicKey, ELEMENT_LEN, SCALAR_LEN};
pub use proof::{Proof, PROOF_LEN};
#[cfg(feature = "server")]
pub use server::SecretKey;
pub use suite::{Mode, Oprf, Voprf};

/// Nh: an output's length (SHA-512).
pub const OUTPUT_LEN: usize = 64;

/// A PRF output.
pub type Output = [u8; OUTPUT_LEN];

/// The RFC's errors, as far as this suite can raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
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
    DeriveKeyPair,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Input => "the input cannot be evaluated",
            Error::Element => "not the encoding of a valid group element",
            Error::Scalar => "not the encoding of a valid scalar",
            Error::Batch => "the batch sizes do not fit",
            Error::Proof => "the proof does not verify",
            Error::DeriveKeyPair => "no key pair could be derived",
        })
    }
}

impl std::error::Error for Error {}
