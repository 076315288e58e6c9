//! `PrivacyKit`, the one object the app holds.
//!
//! Writes follow one path (`commit`): validate, write the rows in one transaction together
//! with the access counts gathered so far, commit (durable on return), then update memory,
//! rebuild the guard's table and tell the listeners. A failed step leaves memory untouched.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::consent::{
    self, ledger, ConsentAction, ConsentBook, ConsentChange, ConsentSource, ConsentState,
    LedgerEntry,
};
use crate::discovery::{self, ContactDiscovery, DiscoveryConfig, DiscoveryTransport};
use crate::error::{guarded, PrivacyError, Result};
use crate::guard::report::{self, AccessReportRow};
use crate::guard::{fail_closed, DataUse, Decision, Guard};
use crate::listeners::{Listeners, PrivacyChange, PrivacyListener};
use crate::permissions::{
    self, LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionState,
    PermissionStatus, PermissionTracker, Platform,
};
use crate::policy::{self, parse_policy, Policy, PolicyInfo};
use crate::store::{FileClaim, Store};
use crate::time::{parse_day, Clock, SystemClock};
use crate::vault::{self, KeyProvider, TokenVault, VaultKeys};

/// How to open PrivacyKit.
#[derive(Clone, uniffi::Record)]
pub struct PrivacyKitConfig {
    /// The SQLite file, created if missing. `None` keeps everything in memory (tests,
    /// previews): nothing survives `close`.
    pub database_path: Option<String>,
    /// The app's policy document (JSON, format 1).
    pub policy_json: String,
    pub platform: Platform,
    /// The device's current offset from UTC, in minutes; it sets where the access report's
    /// days begin. Update it with `set_utc_offset_minutes` when the time zone changes.
    pub utc_offset_minutes: i32,
}

const MAX_UTC_OFFSET_MINUTES: i32 = 14 * 60;

/// What the store says, and what memory derives from it.
pub(crate) struct Core {
    pub store: Store,
    pub platform: Platform,
    pub policy: Arc<Policy>,
    pub consent: ConsentBook,
    pub permissions: [PermissionTracker; OsPermission::ALL.len()],
    _claim: Option<FileClaim>,
}

impl Core {
    pub fn permission_states(&self) -> Vec<PermissionState> {
        self.permissions
            .iter()
            .map(|t| t.state(self.platform))
            .collect()
    }
}

/// The PrivacyKit SDK: the app's policy, the user's choices, and the guard over data use.
/// Safe to share between threads. Close it when the app no longer needs it.
#[derive(uniffi::Object)]
pub struct PrivacyKit {
    clock: Arc<dyn Clock>,
    guard: Guard,
    core: Mutex<Option<Core>>,
    listeners: Listeners,
    pub(crate) vault_keys: VaultKeys,
}

#[uniffi::export]
impl PrivacyKit {
    /// Opens the store (creating it on first use), loads the policy and restores the user's
    /// state. A policy that fails validation, or conflicts with the stored version, is
    /// refused and nothing stored changes.
    #[uniffi::constructor]
    pub fn open(config: PrivacyKitConfig) -> Result<Arc<Self>> {
        Self::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Writes what is still only in memory and closes the store. Later calls fail with
    /// `Closed` and `check` answers `Closed`. Closing twice is fine.
    pub fn close(&self) -> Result<()> {
        guarded(|| {
            match self.flush() {
                Err(PrivacyError::Closed) => return Ok(()),
                other => other?,
            }
            let closed = self.lock_core().take();
            self.guard.close();
            self.listeners.clear();
            self.vault_keys.forget();
            drop(closed);
            Ok(())
        })
    }

    /// May `category` be used for `purpose` now? Answers from memory, from any thread, and
    /// counts the use in the access report when allowed. Unknown ids are not declared, so
    /// they are refused.
    pub fn check(&self, category: &str, purpose: &str) -> Decision {
        self.decide(category, purpose, true)
    }

    /// (category, purpose) prepared for repeated checks: `is_allowed()` on it is a single
    /// native call from Kotlin or Swift, with no string to pass.
    pub fn data_use(self: Arc<Self>, category: String, purpose: String) -> Arc<DataUse> {
        Arc::new(DataUse::new(&self, category, purpose))
    }

    /// The same answer as `check`, without counting a use: for settings screens.
    pub fn explain(&self, category: &str, purpose: &str) -> Decision {
        self.decide(category, purpose, false)
    }

    /// The policy in force.
    pub fn policy(&self) -> Result<PolicyInfo> {
        self.read(|core| Ok(core.policy.info.clone()))
    }

    /// Loads a newer policy version. The same version with the same content changes
    /// nothing; an older version, or the same version with other content, is refused.
    pub fn update_policy(&self, policy_json: String) -> Result<PolicyInfo> {
        let policy = Arc::new(parse_policy(&policy_json)?);
        self.commit(
            |core, conn, now| stage_policy(conn, &core.policy, &policy, now),
            |core, changed| {
                if changed {
                    core.policy = policy.clone();
                }
                let change = changed.then(|| PrivacyChange::Policy {
                    version: policy.version(),
                });
                (core.policy.info.clone(), change)
            },
        )
    }

    /// The user accepts the policy version in force.
    pub fn accept_policy(&self) -> Result<LedgerEntry> {
        self.record(ConsentAction::AcceptPolicy, None, None)
    }

    /// The user consents to `purpose` (for every category, or only `category`).
    #[uniffi::method(default(category = None))]
    pub fn grant_consent(&self, purpose: String, category: Option<String>) -> Result<LedgerEntry> {
        self.record(ConsentAction::Grant, Some(purpose), category)
    }

    /// The user declines `purpose` when asked.
    #[uniffi::method(default(category = None))]
    pub fn deny_consent(&self, purpose: String, category: Option<String>) -> Result<LedgerEntry> {
        self.record(ConsentAction::Deny, Some(purpose), category)
    }

    /// The user takes back consent given earlier.
    #[uniffi::method(default(category = None))]
    pub fn withdraw_consent(
        &self,
        purpose: String,
        category: Option<String>,
    ) -> Result<LedgerEntry> {
        self.record(ConsentAction::Withdraw, Some(purpose), category)
    }

    /// The user objects to legitimate-interest processing for `purpose` (switches it off).
    #[uniffi::method(default(category = None))]
    pub fn object_to(&self, purpose: String, category: Option<String>) -> Result<LedgerEntry> {
        self.record(ConsentAction::Object, Some(purpose), category)
    }

    /// The user withdraws an objection (switches the use back on).
    #[uniffi::method(default(category = None))]
    pub fn withdraw_objection(
        &self,
        purpose: String,
        category: Option<String>,
    ) -> Result<LedgerEntry> {
        self.record(ConsentAction::WithdrawObjection, Some(purpose), category)
    }

    /// The user restricts all processing that is not essential.
    pub fn restrict_processing(&self) -> Result<LedgerEntry> {
        self.record(ConsentAction::Restrict, None, None)
    }

    /// The user lifts the restriction.
    pub fn lift_restriction(&self) -> Result<LedgerEntry> {
        self.record(ConsentAction::LiftRestriction, None, None)
    }

    /// Records any consent change, with its source (a guardian, a default, a migration).
    pub fn record_consent(&self, change: ConsentChange) -> Result<LedgerEntry> {
        self.commit(
            |core, conn, now| {
                consent::validate_change(&change, &core.policy)?;
                let head = *core.consent.head();
                let mut entry = LedgerEntry {
                    seq: head.seq + 1,
                    time_ms: now,
                    policy_version: core.policy.version(),
                    action: change.action,
                    purpose: change.purpose.clone(),
                    category: change.category.clone(),
                    source: change.source,
                    hash: String::new(),
                };
                let hash = ledger::chain(&head.hash, &entry);
                entry.hash = ledger::to_hex(&hash);
                consent::db::append(conn, &entry, &head.hash, &hash)?;
                // Withdrawing consent for linked accounts destroys their tokens in the same
                // transaction: there is no moment at which consent is gone and tokens remain.
                let shredded = vault::withdrawn_by(core, &entry, hash) && vault::shred(conn)?;
                // Likewise the contact-discovery cache when `contacts` for `service` ends.
                if discovery::withdrawn_by(core, &entry, hash) {
                    discovery::erase(conn)?;
                }
                Ok((entry, hash, shredded))
            },
            |core, (entry, hash, shredded)| {
                core.consent.apply(&entry, hash);
                if shredded {
                    self.vault_keys.after_shred(&core.store);
                }
                let change = PrivacyChange::Consent {
                    entry: entry.clone(),
                };
                (entry, Some(change))
            },
        )
    }

    /// What the ledger currently says.
    pub fn consent_state(&self) -> Result<ConsentState> {
        self.read(|core| Ok(core.consent.public_state()))
    }

    /// Up to `limit` ledger entries after `after_seq` (0 for the first), oldest first.
    pub fn ledger(&self, after_seq: u64, limit: u32) -> Result<Vec<LedgerEntry>> {
        self.read(|core| {
            let mut entries = Vec::new();
            consent::db::for_each(core.store.conn(), after_seq, limit, |row| {
                entries.push(row?.entry);
                Ok(())
            })?;
            Ok(entries)
        })
    }

    /// Recomputes the ledger's hash chain; `LedgerTampered` names the first bad entry.
    /// Returns how many entries were verified.
    pub fn verify_ledger(&self) -> Result<u64> {
        self.read(|core| {
            let conn = core.store.conn();
            let head = consent::db::recorded_head(conn)?;
            let mut rows = Vec::new();
            consent::db::for_each(conn, 0, u32::MAX, |row| {
                rows.push(row);
                Ok(())
            })?;
            ledger::verify(rows, head)
        })
    }

    /// Reports what the OS says now (at launch, on resume, after Settings). Recorded only
    /// when it differs from what PrivacyKit knew. `os_shows_rationale` is Android's
    /// `shouldShowRequestPermissionRationale`; pass `None` on iOS.
    #[uniffi::method(default(accuracy = None, os_shows_rationale = None))]
    pub fn report_permission(
        &self,
        permission: OsPermission,
        status: PermissionStatus,
        accuracy: Option<LocationAccuracy>,
        os_shows_rationale: Option<bool>,
    ) -> Result<PermissionState> {
        self.permission_event(
            PermissionEventKind::Observed,
            permission,
            status,
            accuracy,
            os_shows_rationale,
        )
    }

    /// Records the result of a system permission prompt the app just showed. A prompt the
    /// user dismissed without answering is `NotDetermined`.
    #[uniffi::method(default(accuracy = None, os_shows_rationale = None))]
    pub fn record_permission_request(
        &self,
        permission: OsPermission,
        result: PermissionStatus,
        accuracy: Option<LocationAccuracy>,
        os_shows_rationale: Option<bool>,
    ) -> Result<PermissionState> {
        self.permission_event(
            PermissionEventKind::Requested,
            permission,
            result,
            accuracy,
            os_shows_rationale,
        )
    }

    /// The current state of one permission.
    pub fn permission_state(&self, permission: OsPermission) -> Result<PermissionState> {
        self.read(|core| Ok(core.permissions[permission.position()].state(core.platform)))
    }

    /// Would a request show the system prompt?
    pub fn can_request(&self, permission: OsPermission) -> Result<bool> {
        Ok(self.permission_state(permission)?.can_request)
    }

    /// Did the user decline before, so the app should explain before asking again?
    pub fn should_show_rationale(&self, permission: OsPermission) -> Result<bool> {
        Ok(self.permission_state(permission)?.should_show_rationale)
    }

    /// Every recorded observation and request result for `permission`, oldest first.
    pub fn permission_history(&self, permission: OsPermission) -> Result<Vec<PermissionEvent>> {
        self.read(|core| permissions::db::load(core.store.conn(), Some(permission)))
    }

    /// Allowed uses per day from `from_day` to `to_day` (inclusive, `YYYY-MM-DD`).
    pub fn access_report(&self, from_day: String, to_day: String) -> Result<Vec<AccessReportRow>> {
        let from = parse_day(&from_day).ok_or_else(|| {
            PrivacyError::invalid_argument("from_day", "must be a date written YYYY-MM-DD")
        })?;
        let to = parse_day(&to_day).ok_or_else(|| {
            PrivacyError::invalid_argument("to_day", "must be a date written YYYY-MM-DD")
        })?;
        if from > to {
            return Err(PrivacyError::invalid_argument(
                "from_day",
                "must not be after to_day",
            ));
        }
        self.flush()?;
        self.read(|core| report::load(core.store.conn(), from, to))
    }

    /// Writes the access counts gathered in memory. Call it when the app goes to the
    /// background: counts not yet written are lost if the process is killed.
    pub fn flush(&self) -> Result<()> {
        self.commit(|_, _, _| Ok(()), |_, ()| ((), None))
    }

    /// Sets the offset from UTC used for the access report's days from now on.
    pub fn set_utc_offset_minutes(&self, minutes: i32) -> Result<()> {
        check_utc_offset(minutes)?;
        self.read(|_| {
            self.guard.set_utc_offset_minutes(minutes);
            Ok(())
        })
    }

    /// The vault of linked accounts' tokens, keyed by the platform keystore through
    /// `key_provider`. The key is unwrapped on first use and kept until this `PrivacyKit` is
    /// closed; a later call replaces the provider. The vault does not keep this `PrivacyKit`
    /// alive: once it is closed or freed, vault calls fail with `Closed`.
    pub fn vault(self: Arc<Self>, key_provider: Arc<dyn KeyProvider>) -> Arc<TokenVault> {
        self.vault_keys.set_provider(key_provider);
        Arc::new(TokenVault::new(&self))
    }

    /// Contact discovery (which contacts use the app) with the app's transport. The local
    /// cache is sealed under a key derived from the vault key, so discovery needs the
    /// platform keystore: `key_provider` is the same provider `vault` takes (the last one
    /// given is used by both). Does not keep this `PrivacyKit` alive.
    pub fn discovery(
        self: Arc<Self>,
        config: DiscoveryConfig,
        key_provider: Arc<dyn KeyProvider>,
        transport: Arc<dyn DiscoveryTransport>,
    ) -> Result<Arc<ContactDiscovery>> {
        guarded(|| {
            let discovery = ContactDiscovery::new(&self, config, transport)?;
            self.vault_keys.set_provider(key_provider);
            Ok(Arc::new(discovery))
        })
    }

    /// Registers a listener; returns the id to remove it with.
    pub fn add_listener(&self, listener: Arc<dyn PrivacyListener>) -> Result<u64> {
        self.read(|_| Ok(self.listeners.add(listener)))
    }

    /// Removes a listener; false if the id was not registered.
    pub fn remove_listener(&self, id: u64) -> bool {
        self.listeners.remove(id)
    }
}

impl PrivacyKit {
    /// Opens with a clock of the caller's choosing (tests, benchmarks, replays).
    pub fn open_with_clock(config: PrivacyKitConfig, clock: Arc<dyn Clock>) -> Result<Arc<Self>> {
        guarded(|| {
            let policy = parse_policy(&config.policy_json)?;
            check_utc_offset(config.utc_offset_minutes)?;
            let path = match config.database_path.as_deref() {
                Some("") => {
                    return Err(PrivacyError::invalid_argument("database_path", "is empty"))
                }
                Some(path) => Some(Path::new(path)),
                None => None,
            };
            let claim = path.map(FileClaim::claim).transpose()?;
            let store = Store::open(path)?;
            let conn = store.conn();
            let tx = store.begin()?;
            let current = match policy::db::latest_version(&tx)? {
                Some(version) if version > policy.version() => {
                    return Err(PrivacyError::PolicyVersionConflict {
                        reason: format!(
                            "the store already holds policy version {version}; refusing to go back to {}",
                            policy.version()
                        ),
                    })
                }
                _ => policy,
            };
            stage_new_policy(&tx, &current, clock.now_ms())?;
            tx.commit()?;
            let consent = consent::db::load_book(conn)?;
            let mut permissions = OsPermission::ALL.map(PermissionTracker::new);
            for event in permissions::db::load(conn, None)? {
                permissions[event.permission.position()].apply(&event);
            }
            let core = Core {
                store,
                platform: config.platform,
                policy: Arc::new(current),
                consent,
                permissions,
                _claim: claim,
            };
            let guard = Guard::new(clock.clone(), config.utc_offset_minutes);
            guard.install(&core.policy, &core.consent, &core.permission_states());
            Ok(Arc::new(PrivacyKit {
                clock,
                guard,
                core: Mutex::new(Some(core)),
                listeners: Listeners::default(),
                vault_keys: VaultKeys::default(),
            }))
        })
    }

    pub(crate) fn guard(&self) -> &Guard {
        &self.guard
    }

    fn decide(&self, category: &str, purpose: &str, count: bool) -> Decision {
        fail_closed(|| self.guard.check(category, purpose, count))
    }

    fn record(
        &self,
        action: ConsentAction,
        purpose: Option<String>,
        category: Option<String>,
    ) -> Result<LedgerEntry> {
        self.record_consent(ConsentChange {
            action,
            purpose,
            category,
            source: ConsentSource::User,
        })
    }

    fn permission_event(
        &self,
        kind: PermissionEventKind,
        permission: OsPermission,
        status: PermissionStatus,
        accuracy: Option<LocationAccuracy>,
        os_shows_rationale: Option<bool>,
    ) -> Result<PermissionState> {
        if accuracy.is_some() && permission != OsPermission::Location {
            return Err(PrivacyError::invalid_argument(
                "accuracy",
                "applies to the location permission only",
            ));
        }
        if accuracy.is_some()
            && !matches!(
                status,
                PermissionStatus::Granted | PermissionStatus::Limited
            )
        {
            return Err(PrivacyError::invalid_argument(
                "accuracy",
                "applies only when location access is granted",
            ));
        }
        self.commit(
            |core, conn, now| {
                let platform = core.platform;
                let tracker = &core.permissions[permission.position()];
                let event = PermissionEvent {
                    time_ms: now,
                    permission,
                    kind,
                    status,
                    accuracy,
                    os_shows_rationale,
                };
                let mut next = *tracker;
                next.apply(&event);
                let unchanged = next.state(platform) == tracker.state(platform);
                if kind == PermissionEventKind::Observed && unchanged {
                    return Ok(None);
                }
                permissions::db::append(conn, &event)?;
                Ok(Some(next))
            },
            |core, next| {
                let platform = core.platform;
                let slot = &mut core.permissions[permission.position()];
                let change = next.map(|next| {
                    *slot = next;
                    PrivacyChange::Permission {
                        state: next.state(platform),
                    }
                });
                (slot.state(platform), change)
            },
        )
    }

    /// The one write path; see the module comment.
    fn commit<S, T>(
        &self,
        stage: impl FnOnce(&Core, &Connection, i64) -> Result<S>,
        apply: impl FnOnce(&mut Core, S) -> (T, Option<PrivacyChange>),
    ) -> Result<T> {
        guarded(|| {
            let (result, change) = {
                let mut slot = self.lock_core();
                let core = slot.as_mut().ok_or(PrivacyError::Closed)?;
                let counts = self.guard.take_unwritten_counts();
                let written = (|| {
                    let tx = core.store.begin()?;
                    let staged = stage(core, &tx, self.clock.now_ms())?;
                    report::store(&tx, &counts)?;
                    tx.commit()?;
                    Ok(staged)
                })();
                let staged = match written {
                    Ok(staged) => staged,
                    Err(err) => {
                        self.guard.return_unwritten_counts(counts);
                        return Err(err);
                    }
                };
                let (result, change) = apply(core, staged);
                if change.is_some() {
                    self.guard
                        .install(&core.policy, &core.consent, &core.permission_states());
                }
                (result, change)
            };
            if let Some(change) = change {
                self.listeners.notify(&change);
            }
            Ok(result)
        })
    }

    fn read<T>(&self, read: impl FnOnce(&Core) -> Result<T>) -> Result<T> {
        guarded(|| read(self.lock_core().as_ref().ok_or(PrivacyError::Closed)?))
    }

    /// Runs `work` alone with the store, for capabilities that manage their own
    /// transactions (the vault). No listener is told and the guard's table is not rebuilt.
    pub(crate) fn exclusive<T>(&self, work: impl FnOnce(&mut Core, i64) -> Result<T>) -> Result<T> {
        guarded(|| {
            let mut slot = self.lock_core();
            let core = slot.as_mut().ok_or(PrivacyError::Closed)?;
            work(core, self.clock.now_ms())
        })
    }

    fn lock_core(&self) -> MutexGuard<'_, Option<Core>> {
        // Memory changes only after a commit, in steps that cannot panic half-way, so the
        // state behind a poisoned lock is still consistent.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for PrivacyKit {
    fn drop(&mut self) {
        if self.lock_core().is_some() {
            if let Err(err) = self.flush() {
                log::warn!("access counts not written when PrivacyKit was dropped: {err}");
            }
        }
    }
}

/// Stores `next` if it is a new version; the same content again is a no-op. Returns whether
/// it was new.
fn stage_policy(conn: &Connection, current: &Policy, next: &Policy, now: i64) -> Result<bool> {
    if next.version() < current.version() {
        return Err(PrivacyError::PolicyVersionConflict {
            reason: format!(
                "policy version {} is in force; refusing to go back to {}",
                current.version(),
                next.version()
            ),
        });
    }
    stage_new_policy(conn, next, now)
}

fn stage_new_policy(conn: &Connection, policy: &Policy, now: i64) -> Result<bool> {
    match policy::db::stored_hash(conn, policy.version())? {
        Some(hash) if hash == policy.canonical_sha256 => Ok(false),
        Some(_) => Err(PrivacyError::PolicyVersionConflict {
            reason: format!(
                "policy version {} is already stored with other content; give the new document a higher version",
                policy.version()
            ),
        }),
        None => {
            policy::db::insert(conn, policy, now)?;
            Ok(true)
        }
    }
}

fn check_utc_offset(minutes: i32) -> Result<()> {
    if minutes.abs() > MAX_UTC_OFFSET_MINUTES {
        return Err(PrivacyError::invalid_argument(
            "utc_offset_minutes",
            "must be between -840 and 840",
        ));
    }
    Ok(())
}
