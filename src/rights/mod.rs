//! The user's rights on the device: access and portability (`export`), erasure (`erase`).
//! Restriction, objection and correction are ledger actions (see `consent` and `age`).

pub(crate) mod erase;
pub(crate) mod export;

/// The JSON Schema of `export_personal_data()`'s document.
pub const EXPORT_JSON_SCHEMA: &str = include_str!("export.schema.json");
