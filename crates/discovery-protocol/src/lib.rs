#![doc = include_str!("../README.md")]

pub mod filter;
pub mod hashed;
pub mod normalize;
pub mod oprf;
pub mod wire;
