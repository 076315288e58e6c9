//! Retention: the policy's `retention` periods, enforced by a purge that runs on open and on
//! demand. Idempotent: a second purge at the same time deletes nothing. It logs counts,
//! never content.
//!
//! The data ids PrivacyKit enforces itself are below; any other id in the policy names the
//! app's own data, for which the purge reports the cutoff so the app can delete it too.

use rusqlite::Connection;

use crate::consent::compaction::{self, Outcome, PurgeDeferral};
use crate::error::Result;
use crate::permissions;
use crate::policy::Policy;
use crate::time::MS_PER_DAY;
use crate::vault::{self, KeyProvider};

/// Allowed uses per day (the access report).
pub(crate) const ACCESS_LOG: &str = "access_log";
/// OS permission observations and request results (the current state is kept).
pub(crate) const PERMISSION_HISTORY: &str = "permission_history";
/// Linked accounts whose tokens were neither read nor updated for this many days.
pub(crate) const LINKED_ACCOUNTS: &str = "linked_accounts";
/// Contact-discovery cache entries not refreshed for this many days.
pub(crate) const DISCOVERY_CACHE: &str = "discovery_cache";
/// Consent ledger entries superseded this many days ago: compacted into the sealed summary,
/// which keeps the entries still in force (see `consent::compaction`).
pub(crate) const CONSENT_RECORDS: &str = "consent_records";

/// What one purge did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurgeReport {
    pub purged_at_ms: i64,
    /// One entry per retention rule PrivacyKit enforces, with what it deleted.
    pub purged: Vec<PurgedData>,
    /// Retention rules for the app's own data: delete what is older than `cutoff_ms`.
    pub app_managed: Vec<RetentionCutoff>,
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
/// linked accounts were deleted.
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
    let mut accounts_deleted = false;
    for rule in &policy.info.retention {
        let cutoff_ms = now_ms.saturating_sub(i64::from(rule.days) * MS_PER_DAY);
        let records = match rule.data.as_str() {
            ACCESS_LOG => {
                let first_kept_day = today - i64::from(rule.days);
                conn.prepare_cached("DELETE FROM access_count WHERE day < ?1")?
                    .execute([first_kept_day])? as u64
            }
            PERMISSION_HISTORY => permissions::db::fold_older_than(conn, cutoff_ms)?,
            LINKED_ACCOUNTS => {
                let deleted = vault::delete_unused_since(conn, cutoff_ms)?;
                accounts_deleted |= deleted > 0;
                deleted
            }
            DISCOVERY_CACHE => crate::discovery::purge_older_than(conn, cutoff_ms)?,
            CONSENT_RECORDS => match compaction::compact(conn, cutoff_ms, now_ms, keys)? {
                Outcome::Compacted(rows) => rows,
                Outcome::NothingExpired => 0,
                Outcome::Deferred(reason) => {
                    log::info!("retention: {} deferred ({reason:?})", rule.data);
                    deferred.push(DeferredPurge {
                        data: rule.data.clone(),
                        cutoff_ms,
                        reason,
                    });
                    continue;
                }
            },
            _ => {
                app_managed.push(RetentionCutoff {
                    data: rule.data.clone(),
                    days: rule.days,
                    cutoff_ms,
                });
                continue;
            }
        };
        if records > 0 {
            log::info!("retention: {records} record(s) of {} purged", rule.data);
        }
        purged.push(PurgedData {
            data: rule.data.clone(),
            records,
            cutoff_ms,
        });
    }
    Ok((
        PurgeReport {
            purged_at_ms: now_ms,
            purged,
            app_managed,
            deferred,
        },
        accounts_deleted,
    ))
}
