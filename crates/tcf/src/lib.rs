//! IAB consent strings for an on-device CMP: the TCF v2.3 TC string, the GPP string with
//! its EU TCF v2 and US National (`usnat`) sections, and the `IABTCF_*` / `IABGPP_*` in-app
//! keys that ad SDKs read from `SharedPreferences` / `NSUserDefaults`.
//!
//! Models are plain structs of numbers, strings and ID lists, so a binding layer can
//! mirror them field for field. Encoders refuse values the format cannot carry
//! ([`EncodeError`]); decoders return a [`DecodeError`] for any malformed input, never panic,
//! and do work proportional to the input (see [`MAX_DECODED_IDS`]).
//!
//! No dependencies: base64url and the bit packing are a few dozen lines, and the crate ships
//! inside phone apps.
//!
//! The tests hold the encoders to two independent decoders from crates.io, `lib_tcstring`
//! (TC strings) and `iab_gpp` (GPP strings, including usnat and the TC string inside them),
//! and the decoders to the example strings the IAB specifications publish.

mod bits;
mod error;
mod gpp;
mod in_app;
mod tcf;

pub use error::{DecodeError, EncodeError};
pub use gpp::{
    decode_gpp, decode_gpp_header, decode_usnat, encode_gpp, encode_usnat, GppSection, GppString,
    UsNat, GPP_VERSION, SECTION_TCF_EU_V2, SECTION_US_NAT, US_NAT_VERSION,
};
pub use in_app::{
    gpp_in_app_keys, in_app_keys, tcf_in_app_keys, ConsentSignals, InAppKeys, InAppValue,
};
pub use tcf::{
    day_timestamp, decode_tc_string, encode_tc_string, PublisherRestriction, PublisherTc,
    RestrictionType, TcModel, TCF_POLICY_VERSION,
};

/// The most vendor IDs one decode expands from ranges. A field names at most 65,535
/// vendors, and a legitimate string's ranges add up to a few of those; a hostile one can
/// repeat a 65,535-vendor range thousands of times per field, which this caps at a few MiB
/// of output.
pub const MAX_DECODED_IDS: usize = 1 << 20;
