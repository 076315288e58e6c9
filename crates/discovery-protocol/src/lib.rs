#![doc = include_str!("../README.md")]

pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod hashed;
pub mod normalize;
pub mod oprf;
pub mod wire;
