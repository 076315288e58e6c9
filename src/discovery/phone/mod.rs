//! Phone-number matching on libphonenumber's metadata, without a general regex engine.
pub(crate) mod pattern;
