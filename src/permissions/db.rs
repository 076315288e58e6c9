//! The permission history's rows.

use rusqlite::{params, Connection};

use super::{
    LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionStatus,
};
use crate::error::{PrivacyError, Result};

pub(crate) fn append(conn: &Connection, event: &PermissionEvent) -> Result<()> {
    conn.execute(
        "INSERT INTO permission_event (time_ms, permission, kind, status, accuracy, os_shows_rationale)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            event.time_ms,
            event.permission.as_str(),
            event.kind.as_str(),
            event.status.as_str(),
            event.accuracy.map(LocationAccuracy::as_str),
            event.os_shows_rationale,
        ],
    )?;
    Ok(())
}

/// Every event, oldest first; `only` narrows it to one permission.
pub(crate) fn load(conn: &Connection, only: Option<OsPermission>) -> Result<Vec<PermissionEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT time_ms, permission, kind, status, accuracy, os_shows_rationale
         FROM permission_event WHERE ?1 IS NULL OR permission = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([only.map(OsPermission::as_str)], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, Option<bool>>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (time_ms, permission, kind, status, accuracy, os_shows_rationale) = row?;
        let corrupt = || PrivacyError::CorruptDatabase {
            reason: "a permission history row holds a value PrivacyKit never writes".into(),
        };
        Ok(PermissionEvent {
            time_ms,
            permission: OsPermission::from_str(&permission).ok_or_else(corrupt)?,
            kind: PermissionEventKind::from_str(&kind).ok_or_else(corrupt)?,
            status: PermissionStatus::from_str(&status).ok_or_else(corrupt)?,
            accuracy: match accuracy {
                Some(text) => Some(LocationAccuracy::from_str(&text).ok_or_else(corrupt)?),
                None => None,
            },
            os_shows_rationale,
        })
    })
    .collect()
}
