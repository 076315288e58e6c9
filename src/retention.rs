//! Retention: the policy's `retention` periods, enforced by a purge that runs on open and on
//! demand. Idempotent: a second purge at the same time deletes nothing. It logs counts,
//! never content.
//!
//! `retention` names data PrivacyKit enforces itself: its data holders' retention ids
//! (`holders.rs`: `access_log`, `permission_history`, `linked_accounts`, `discovery_cache`,
//! `consent_records`; the policy refuses any other). `app_retention` names the app's own
//! data, for which the purge reports the cutoff so the app can delete it too, or, for a period
//! counted from an event the app reported, that the data is due (`retention_events.rs`).

use rusqlite::Connection;

use crate::data_holder::{Cutoff, PurgeDeferral, Purged};
use crate::error::Result;
use crate::holders::HOLDERS;
use crate::keys::KeyProvider;
use crate::policy::Policy;
use crate::retention_events::{self, DueForDeletion};
use crate::time::MS_PER_DAY;

/// What one purge did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurgeReport {
    pub purged_at_ms: i64,
    /// One entry per retention rule PrivacyKit enforces, with what it deleted.
    pub purged: Vec<PurgedData>,
    /// Retention rules for the app's own data whose period counts from when each item was
    /// made: delete what is older than `cutoff_ms`. Rules counted from an event are not here
    /// (a cutoff from now would be wrong for them): see `due_for_deletion`.
    pub app_managed: Vec<RetentionCutoff>,
    /// The app's own data due for deletion now, as `PrivacyKit::due_for_deletion` lists it:
    /// the rules above, and every rule whose event was reported at least its period ago.
    pub due_for_deletion: Vec<DueForDeletion>,
    /// Rules PrivacyKit could not apply this time, with why; the next purge tries again.
    pub deferred: Vec<DeferredPurge>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeferredPurge {
    pub data: String,
    pub cutoff_ms: i64,
    pub reason: PurgeDeferral,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurgedData {
    pub data: String,
    pub records: u64,
    pub cutoff_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RetentionCutoff {
    pub data: String,
    pub days: u32,
    pub cutoff_ms: i64,
}

/// Runs every rule of `policy` in the caller's transaction. `today` is the local day, the
/// access log's unit; `keys` seals compacted consent records. Returns the report and whether
/// secrets were deleted (the file must then be rewritten).
pub(crate) fn purge(
    conn: &Connection,
    policy: &Policy,
    now_ms: i64,
    today: i64,
    keys: Option<&dyn KeyProvider>,
) -> Result<(PurgeReport, bool)> {
    let mut purged = Vec::new();
    let mut app_managed = Vec::new();
    let mut deferred = Vec::new();
    let mut secrets_deleted = false;
    for rule in &policy.info.retention {
        let cutoff = Cutoff {
            ms: now_ms.saturating_sub(i64::from(rule.days) * MS_PER_DAY),
            first_kept_day: today - i64::from(rule.days),
            now_ms,
        };
        let holder = HOLDERS
            .into_iter()
            .find(|h| h.retention_id() == Some(rule.data.as_str()));
        let Some(holder) = holder else {
            // The policy accepts only the holders' ids in `retention` (a test in holders.rs
            // keeps the two lists equal); an id without a holder is a bug, not app data.
            return Err(crate::error::Error::Internal {
                reason: "a retention id without a data holder",
            });
        };
        match holder.purge(conn, cutoff, keys)? {
            Purged::Records(records) => {
                if records > 0 {
                    log::info!("retention: {records} record(s) of {} purged", rule.data);
                    secrets_deleted |= holder.holds_secrets();
                }
                purged.push(PurgedData {
                    data: rule.data.clone(),
                    records,
                    cutoff_ms: cutoff.ms,
                });
            }
            Purged::Deferred(reason) => {
                log::info!("retention: {} deferred ({reason:?})", rule.data);
                deferred.push(DeferredPurge {
                    data: rule.data.clone(),
                    cutoff_ms: cutoff.ms,
                    reason,
                });
            }
        }
    }
    for rule in policy
        .info
        .app_retention
        .iter()
        .filter(|r| r.after.is_none())
    {
        app_managed.push(RetentionCutoff {
            data: rule.data.clone(),
            days: rule.days,
            cutoff_ms: now_ms.saturating_sub(i64::from(rule.days) * MS_PER_DAY),
        });
    }
    Ok((
        PurgeReport {
            purged_at_ms: now_ms,
            purged,
            app_managed,
            due_for_deletion: retention_events::due(conn, policy, now_ms)?,
            deferred,
        },
        secrets_deleted,
    ))
}
