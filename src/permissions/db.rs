//! The permission history's rows.

use rusqlite::{params, Connection};

use super::{
    LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionStatus,
    PermissionTracker, Platform,
};
use crate::data_holder::{Cutoff, DataHolder, Erased, PersonalData, Purged};
use crate::error::{Error, Result};
use crate::keys::KeyProvider;

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
        let corrupt = || Error::CorruptDatabase {
            reason: "a permission history row holds a value PrivacyKit never writes",
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

/// Every permission's tracker: its baseline (the history retention folded away), then the
/// remaining history in order.
pub(crate) fn load_trackers(
    conn: &Connection,
) -> Result<[PermissionTracker; OsPermission::ALL.len()]> {
    let mut trackers = load_baselines(conn)?;
    for event in load(conn, None)? {
        trackers[event.permission.position()].apply(&event);
    }
    Ok(trackers)
}

fn load_baselines(conn: &Connection) -> Result<[PermissionTracker; OsPermission::ALL.len()]> {
    let mut trackers = OsPermission::ALL.map(PermissionTracker::new);
    let mut stmt = conn
        .prepare_cached("SELECT permission, status, accuracy, denials FROM permission_baseline")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Option<String>>(2)?,
            row.get::<_, u32>(3)?,
        ))
    })?;
    for row in rows {
        let (permission, status, accuracy, denials) = row?;
        let corrupt = || Error::CorruptDatabase {
            reason: "a permission baseline row holds a value PrivacyKit never writes",
        };
        let permission = OsPermission::from_str(&permission).ok_or_else(corrupt)?;
        trackers[permission.position()] = PermissionTracker {
            permission,
            status: PermissionStatus::from_str(&status).ok_or_else(corrupt)?,
            accuracy: match accuracy {
                Some(text) => Some(LocationAccuracy::from_str(&text).ok_or_else(corrupt)?),
                None => None,
            },
            denials,
        };
    }
    Ok(trackers)
}

/// Folds the history rows older than `cutoff_ms` into the baselines and deletes them, so the
/// state derived from what remains is unchanged. Returns how many rows were deleted.
pub(crate) fn fold_older_than(conn: &Connection, cutoff_ms: i64) -> Result<u64> {
    let old: Vec<PermissionEvent> = load(conn, None)?
        .into_iter()
        .filter(|e| e.time_ms < cutoff_ms)
        .collect();
    if old.is_empty() {
        return Ok(0);
    }
    let mut trackers = load_baselines(conn)?;
    let mut touched = [false; OsPermission::ALL.len()];
    for event in &old {
        trackers[event.permission.position()].apply(event);
        touched[event.permission.position()] = true;
    }
    let mut upsert = conn.prepare_cached(
        "INSERT OR REPLACE INTO permission_baseline
             (permission, status, accuracy, denials, through_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (tracker, _) in trackers.iter().zip(touched).filter(|(_, t)| *t) {
        upsert.execute(params![
            tracker.permission.as_str(),
            tracker.status.as_str(),
            tracker.accuracy.map(LocationAccuracy::as_str),
            tracker.denials,
            cutoff_ms,
        ])?;
    }
    let deleted = conn.execute(
        "DELETE FROM permission_event WHERE time_ms < ?1",
        [cutoff_ms],
    )?;
    Ok(deleted as u64)
}

/// Writes `event` in the caller's transaction unless it is an observation that changes
/// nothing PrivacyKit knew; returns the tracker after it, or `None` when nothing was written.
pub(crate) fn stage(
    tracker: &PermissionTracker,
    platform: Platform,
    conn: &Connection,
    event: &PermissionEvent,
) -> Result<Option<PermissionTracker>> {
    let mut next = *tracker;
    next.apply(event);
    let unchanged = next.state(platform) == tracker.state(platform);
    if event.kind == PermissionEventKind::Observed && unchanged {
        return Ok(None);
    }
    append(conn, event)?;
    Ok(Some(next))
}

/// The permission history as personal data. Erasing or expiring it keeps each permission's
/// current state (folded into the baselines): it is what the OS says now, and the app needs
/// it to ask correctly; the history of how it got there goes.
pub(crate) struct HistoryHolder;

impl DataHolder for HistoryHolder {
    fn data(&self) -> PersonalData {
        PersonalData::PermissionHistory
    }

    fn erase(&self, conn: &Connection, now_ms: i64) -> Result<Erased> {
        Ok(Erased {
            records: fold_older_than(conn, now_ms.saturating_add(1))?,
            keys_destroyed: false,
        })
    }

    /// OS permission observations and request results (the current state is kept).
    fn retention_id(&self) -> Option<&'static str> {
        Some("permission_history")
    }

    fn purge(
        &self,
        conn: &Connection,
        cutoff: Cutoff,
        _keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        fold_older_than(conn, cutoff.ms).map(Purged::Records)
    }
}
