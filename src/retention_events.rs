//! Retention counted from an event: the app reports what happened (the user closed their
//! account, unsubscribed, left a sign-up unconfirmed) and PrivacyKit says which of the app's
//! own data is due for deletion under the policy's `app_retention` periods.
//!
//! One row per event. A repeated report keeps the first time: "deleted 12 months after
//! account closure" counts from the closure, and an app that reports it again (a retry after a
//! crash, a second screen that also reports it) must not push the deletion later. When the
//! event no longer holds (the account was reopened), the app withdraws it; a later closure is
//! then a new event with its own time.

use rusqlite::{Connection, OptionalExtension};

use crate::data_holder::{DataHolder, Erased, PersonalData};
use crate::error::{Error, Result};
use crate::policy::{Policy, RetentionEvent};
use crate::time::MS_PER_DAY;

/// An event as recorded: what happened and when it was first reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record, serde::Serialize)]
pub struct RetentionEventRecord {
    pub event: RetentionEvent,
    pub occurred_at_ms: i64,
}

/// Some of the app's own data whose retention period has run out: the app deletes it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueForDeletion {
    /// The `app_retention` rule's data id.
    pub data: String,
    pub description: Option<String>,
    /// The event the period counts from; `None` for a period counted from when each item was
    /// made.
    pub event: Option<RetentionEvent>,
    /// When the event was reported; `None` without an event.
    pub event_at_ms: Option<i64>,
    /// With an event: the instant the period ran out (the event's time plus the period), from
    /// which all of `data` is due. Without one: the cutoff, before which what the app made is
    /// due (now minus the period).
    pub due_since_ms: i64,
}

/// Records `event` at `now_ms` unless it is recorded already; returns the record kept.
/// Refuses an event no `app_retention` rule of `policy` counts from: keeping it would store a
/// fact about the user that serves no rule.
pub(crate) fn report(
    conn: &Connection,
    policy: &Policy,
    event: RetentionEvent,
    now_ms: i64,
) -> Result<RetentionEventRecord> {
    if !policy
        .info
        .app_retention
        .iter()
        .any(|r| r.after == Some(event))
    {
        return Err(Error::invalid_argument(
            "event",
            format!(
                "no app_retention rule of the policy counts from {}",
                event.as_str()
            ),
        ));
    }
    conn.execute(
        "INSERT INTO retention_event (event, occurred_ms) VALUES (?1, ?2)
         ON CONFLICT (event) DO NOTHING",
        rusqlite::params![event.as_str(), now_ms],
    )?;
    let occurred_at_ms = conn.query_row(
        "SELECT occurred_ms FROM retention_event WHERE event = ?1",
        [event.as_str()],
        |r| r.get(0),
    )?;
    Ok(RetentionEventRecord {
        event,
        occurred_at_ms,
    })
}

/// Forgets `event`; returns whether it was recorded.
pub(crate) fn withdraw(conn: &Connection, event: RetentionEvent) -> Result<bool> {
    Ok(conn.execute(
        "DELETE FROM retention_event WHERE event = ?1",
        [event.as_str()],
    )? > 0)
}

/// Every recorded event, oldest first.
pub(crate) fn recorded(conn: &Connection) -> Result<Vec<RetentionEventRecord>> {
    let mut stmt =
        conn.prepare("SELECT event, occurred_ms FROM retention_event ORDER BY occurred_ms, event")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    rows.map(|row| {
        let (name, occurred_at_ms) = row?;
        let event = RetentionEvent::parse(&name).ok_or(Error::CorruptRecord)?;
        Ok(RetentionEventRecord {
            event,
            occurred_at_ms,
        })
    })
    .collect()
}

fn occurred(conn: &Connection, event: RetentionEvent) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT occurred_ms FROM retention_event WHERE event = ?1",
            [event.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

/// The app's data due for deletion at `now_ms`, in the policy's order: every rule without an
/// event (its cutoff), and every rule whose event was reported at least its period ago.
pub(crate) fn due(conn: &Connection, policy: &Policy, now_ms: i64) -> Result<Vec<DueForDeletion>> {
    let mut due = Vec::new();
    for rule in &policy.info.app_retention {
        let period_ms = i64::from(rule.days) * MS_PER_DAY;
        let (event_at_ms, due_since_ms) = match rule.after {
            None => (None, now_ms.saturating_sub(period_ms)),
            Some(event) => match occurred(conn, event)? {
                Some(at) if at.saturating_add(period_ms) <= now_ms => {
                    (Some(at), at.saturating_add(period_ms))
                }
                _ => continue,
            },
        };
        due.push(DueForDeletion {
            data: rule.data.clone(),
            description: rule.description.clone(),
            event: rule.after,
            event_at_ms,
            due_since_ms,
        });
    }
    Ok(due)
}

pub(crate) struct RetentionEventsHolder;

impl DataHolder for RetentionEventsHolder {
    fn data(&self) -> PersonalData {
        PersonalData::RetentionEvents
    }

    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        Ok(Erased {
            records: conn.execute("DELETE FROM retention_event", [])? as u64,
            keys_destroyed: false,
        })
    }
}
