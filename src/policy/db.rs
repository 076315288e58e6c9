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

/// Every stored version's canonical JSON, oldest first.
pub(crate) fn all_documents(conn: &Connection) -> Result<Vec<(u32, String)>> {
    let mut stmt = conn.prepare("SELECT version, document FROM policy ORDER BY version")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The canonical JSON stored for `version`.
pub(crate) fn document(conn: &Connection, version: u32) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT document FROM policy WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .optional()?)
}
