//! Stored policy versions.

use rusqlite::{params, Connection, OptionalExtension};

use super::Policy;
use crate::error::Result;

/// The newest stored policy version.
pub(crate) fn latest_version(conn: &Connection) -> Result<Option<u32>> {
    Ok(conn
        .query_row("SELECT max(version) FROM policy", [], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The sha256 of the canonical JSON stored for `version`.
pub(crate) fn stored_hash(conn: &Connection, version: u32) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT sha256 FROM policy WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn insert(conn: &Connection, policy: &Policy, now_ms: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO policy (version, policy_id, document, sha256, loaded_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            policy.version(),
            policy.info.policy_id,
            policy.canonical_json,
            policy.canonical_sha256.as_slice(),
            now_ms
        ],
    )?;
    Ok(())
}
