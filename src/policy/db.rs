//! Stored policy versions.

use rusqlite::{params, Connection, OptionalExtension};

use super::{parse_policy, Policy};
use crate::error::{Error, Result};

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

/// Stores `next` if it is a new version after `current`; the same content again is a no-op.
/// Returns whether it was new. An older version is refused.
pub(crate) fn stage_update(
    conn: &Connection,
    current: &Policy,
    next: &Policy,
    now_ms: i64,
) -> Result<bool> {
    if next.version() < current.version() {
        return Err(Error::PolicyVersionConflict {
            reason: format!(
                "policy version {} is in force; refusing to go back to {}",
                current.version(),
                next.version()
            ),
        });
    }
    stage(conn, next, now_ms)
}

/// Stores `policy` unless its version is stored already; the same version with other content
/// is refused. Returns whether it was new.
pub(crate) fn stage(conn: &Connection, policy: &Policy, now_ms: i64) -> Result<bool> {
    match stored_hash(conn, policy.version())? {
        Some(hash) if hash == policy.canonical_sha256 => Ok(false),
        Some(_) => Err(Error::PolicyVersionConflict {
            reason: format!(
                "policy version {} is already stored with other content; give the new document a higher version",
                policy.version()
            ),
        }),
        None => {
            insert(conn, policy, now_ms)?;
            Ok(true)
        }
    }
}

/// `current` with, for each use, the version since which its terms are unchanged, worked out
/// from every stored version before it. A stored version that no longer parses breaks the
/// chain: nothing agreed before it carries over.
pub(crate) fn with_terms_history(conn: &Connection, mut current: Policy) -> Result<Policy> {
    let mut previous: Option<Policy> = None;
    for (version, document) in all_documents(conn)? {
        if version >= current.version() {
            break;
        }
        previous = parse_policy(&document).ok().map(|mut older| {
            if let Some(before) = &previous {
                older.carry_terms_from(before);
            }
            older
        });
    }
    if let Some(previous) = &previous {
        current.carry_terms_from(previous);
    }
    Ok(current)
}
