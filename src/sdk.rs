//! `PrivacyKit`, the one object the app holds.
//!
//! Writes follow one path (`commit`): validate, write the rows in one transaction together
//! with the access counts gathered so far, commit (durable on return), then update memory,
//! rebuild the guard's table and tell the listeners. A failed step leaves memory untouched.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::adid::{self, AdContext, AdContextInput, AdvertisingIdAnswer, WithheldField};
use crate::age::{self, AgeStatus, Assessment, UserFacts};
use crate::consent::compaction::{self, LedgerSummary, Summary};
use crate::consent::{
    self, ledger, ConsentAction, ConsentBook, ConsentChange, ConsentSource, ConsentState,
    LedgerEntry,
};
use crate::discovery::{self, ContactDiscovery, DiscoveryConfig, DiscoveryTransport};
use crate::error::{guarded, PrivacyError, Result};
use crate::guard::report::{self, AccessReportRow};
use crate::guard::{fail_closed, DataUse, Decision, DecisionReason, Guard, PreparedUse};
use crate::listeners::{Listeners, PrivacyChange, PrivacyListener};
use crate::permissions::{
    self, LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionState,
    PermissionStatus, PermissionTracker, Platform,
};
use crate::policy::{self, parse_policy, Policy, PolicyInfo};
use crate::reconsent::{self, ReconsentItem};
use crate::retention::{self, PurgeReport};
use crate::rights;
use crate::rights::erase::{self, ErasedData, ErasureReceipt, PersonalData};
use crate::store::{meta, FileClaim, Store};
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
    /// The age rules as of the last time the guard's table was built.
    pub age: Assessment,
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
    /// The OS advertising ID as last reported; memory only (see `adid`).
    advertising_id: Mutex<Option<String>>,
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
            *lock(&self.advertising_id) = None;
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
    ///
    /// Agreement carries over for every use whose terms did not change materially; the uses
    /// whose terms grew need consent or acceptance again (see `pending_reconsent`).
    pub fn update_policy(&self, policy_json: String) -> Result<PolicyInfo> {
        let mut policy = parse_policy(&policy_json)?;
        self.commit(
            |core, conn, now| {
                let changed = stage_policy(conn, &core.policy, &policy, now)?;
                policy.carry_terms_from(&core.policy);
                Ok(changed.then(|| Arc::new(policy)))
            },
            |core, changed| {
                let change = changed.map(|policy| {
                    core.policy = policy;
                    PrivacyChange::Policy {
                        version: core.policy.version(),
                    }
                });
                (core.policy.info.clone(), change)
            },
        )
    }

    /// The uses the user agreed to under terms that have since grown, with what changed:
    /// consents to ask for again (`grant_consent`) and uses that need the policy accepted
    /// again (`accept_policy`). Withdrawn and denied choices are never listed: they stay.
    pub fn pending_reconsent(&self) -> Result<Vec<ReconsentItem>> {
        self.read(reconsent::pending)
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
        self.append_to_ledger(change, None, |change, core| {
            consent::validate_change(change, &core.policy)
        })
    }

    /// Declares or corrects the user's own facts: birth date or age, and jurisdiction. They
    /// set the age rules (see `age_status`). Recorded in the ledger. Facts a guardian declared
    /// can be changed only with `ConsentSource::Guardian`.
    pub fn declare_user_facts(
        &self,
        facts: UserFacts,
        source: ConsentSource,
    ) -> Result<LedgerEntry> {
        let facts = age::validate(facts, self.guard.today())?;
        let detail = serde_json::to_string(&facts).map_err(|_| PrivacyError::Internal {
            reason: "declared facts could not be written as JSON".into(),
        })?;
        let change = ConsentChange {
            action: ConsentAction::DeclareFacts,
            purpose: None,
            category: None,
            source,
        };
        self.append_to_ledger(change, Some(detail), |_, core| {
            let locked = core
                .consent
                .declared()
                .is_some_and(|d| d.source == ConsentSource::Guardian);
            if locked && source != ConsentSource::Guardian {
                return Err(PrivacyError::NotPermitted {
                    reason: DecisionReason::NeedsGuardianConsent,
                });
            }
            Ok(())
        })
    }

    /// The user's facts as last declared, if any.
    pub fn user_facts(&self) -> Result<Option<UserFacts>> {
        self.read(|core| Ok(core.consent.declared().map(|d| d.facts.clone())))
    }

    /// Which age rules apply now, and why.
    pub fn age_status(&self) -> Result<AgeStatus> {
        self.read(|core| {
            let declared = core.consent.declared();
            let age = age::assess(declared, &core.policy.info, self.guard.today());
            Ok(AgeStatus {
                group: age.group,
                protective_defaults: age.protective,
                minimum_age: core.policy.info.minimum_age,
                digital_consent_age: age.digital_consent_age,
                declared_by: declared.map(|d| d.source),
            })
        })
    }

    /// What the ledger currently says.
    pub fn consent_state(&self) -> Result<ConsentState> {
        self.read(|core| Ok(core.consent.public_state()))
    }

    /// Up to `limit` ledger entries after `after_seq` (0 for the first), oldest first. Once
    /// the policy's `consent_records` retention compacted the ledger, the compacted entries
    /// still in force come first and superseded ones are gone: seqs then have gaps.
    pub fn ledger(&self, after_seq: u64, limit: u32) -> Result<Vec<LedgerEntry>> {
        self.read(|core| {
            let conn = core.store.conn();
            let mut entries: Vec<LedgerEntry> = Summary::load(conn)?
                .map(|s| s.standing)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.seq > after_seq)
                .take(limit as usize)
                .collect();
            let rows_wanted = limit.saturating_sub(entries.len() as u32);
            consent::db::for_each(conn, after_seq, rows_wanted, |row| {
                entries.push(row?.entry);
                Ok(())
            })?;
            Ok(entries)
        })
    }

    /// The compacted part of the ledger, or `None` while nothing was compacted.
    pub fn ledger_summary(&self) -> Result<Option<LedgerSummary>> {
        self.read(|core| Ok(Summary::load(core.store.conn())?.map(|s| s.public())))
    }

    /// Recomputes the ledger's hash chain; `LedgerTampered` names the first bad entry.
    /// A compacted summary's seal is checked first, through the key provider (`VaultLocked`
    /// without one, `LedgerSealLost` if its key is gone), and the chain continues from it.
    /// Returns the length of the ledger verified.
    pub fn verify_ledger(&self) -> Result<u64> {
        self.read(|core| {
            let conn = core.store.conn();
            let start = match Summary::load(conn)? {
                None => ledger::Head::default(),
                Some(summary) => {
                    let provider = self.vault_keys.provider()?;
                    let key = compaction::seal_key(conn, provider.as_ref(), false)?
                        .ok_or(PrivacyError::LedgerSealLost)?;
                    summary.check_seal(&key)?;
                    summary.through
                }
            };
            let head = consent::db::recorded_head(conn)?;
            let mut rows = Vec::new();
            consent::db::for_each(conn, 0, u32::MAX, |row| {
                rows.push(row);
                Ok(())
            })?;
            ledger::verify(rows, start, head)
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

    /// The platform keystore (Android Keystore, iOS Keychain) for every key PrivacyKit keeps:
    /// the vault's, the discovery cache's, and the seal on compacted consent records. Give it
    /// once after `open`; `vault` and `discovery` take it too, and the last one given is used.
    pub fn set_key_provider(&self, key_provider: Arc<dyn KeyProvider>) {
        self.vault_keys.set_provider(key_provider);
    }

    /// The vault of linked accounts' tokens, keyed by the platform keystore through
    /// `key_provider`. The key is unwrapped on first use and kept until this `PrivacyKit` is
    /// closed; a later call replaces the provider. The vault does not keep this `PrivacyKit`
    /// alive: once it is closed or freed, vault calls fail with `Closed`.
    pub fn vault(self: Arc<Self>, key_provider: Arc<dyn KeyProvider>) -> Arc<TokenVault> {
        self.vault_keys.set_provider(key_provider);
        Arc::new(TokenVault::new(&self))
    }

    /// Reports the OS advertising ID (IDFA / Android advertising ID) at launch and whenever
    /// it may have changed; `None` when the OS gives none. The all-zero ID counts as none.
    /// Kept in memory only. Report tracking authorization with `report_permission(Tracking,
    /// ...)`: ATT on iOS; on Android `Denied` when the user limited ad tracking.
    pub fn report_advertising_id(&self, advertising_id: Option<String>) -> Result<()> {
        let id = adid::parse_reported_id(advertising_id)?;
        self.read(|_| {
            *lock(&self.advertising_id) = id;
            Ok(())
        })
    }

    /// The advertising ID, only if the OS allows it, the user consented to advertising, the
    /// user is not a minor and processing is not restricted; otherwise none, with the reason.
    /// Counted as a use of `advertising_id` for `advertising` when given out.
    pub fn advertising_id(&self) -> Result<AdvertisingIdAnswer> {
        let restricted = self.read(|core| Ok(core.consent.restricted()))?;
        let id = lock(&self.advertising_id).clone();
        // One decision, and the ID only with an allowing one: handing the ID out is a use
        // (counted), asking when there is none is not.
        let decision = if restricted {
            Decision {
                allowed: false,
                reason: DecisionReason::RestrictedByUser,
            }
        } else if id.is_some() {
            self.check(adid::AD_CATEGORY, adid::AD_PURPOSE)
        } else {
            self.explain(adid::AD_CATEGORY, adid::AD_PURPOSE)
        };
        Ok(match (decision.allowed, id) {
            (true, Some(id)) => AdvertisingIdAnswer {
                advertising_id: Some(id),
                decision,
            },
            (true, None) => AdvertisingIdAnswer {
                advertising_id: None,
                decision: Decision {
                    allowed: false,
                    reason: DecisionReason::AdvertisingIdUnavailable,
                },
            },
            (false, _) => AdvertisingIdAnswer {
                advertising_id: None,
                decision,
            },
        })
    }

    /// What the app may send to ad partners: each field of `input`, and the advertising ID,
    /// only if its own category is allowed for advertising now. Fields left out are listed
    /// with the reason. Each included field counts as a use.
    pub fn ad_context(&self, input: AdContextInput) -> Result<AdContext> {
        let mut withheld = Vec::new();
        let mut keep = |field: &str, value: Option<String>| {
            let value = value?;
            let category = adid::CONTEXT_FIELDS
                .iter()
                .find(|(name, _)| *name == field)
                .map_or("", |(_, category)| category);
            let decision = self.check(category, adid::AD_PURPOSE);
            if decision.allowed {
                Some(value)
            } else {
                withheld.push(WithheldField {
                    field: field.to_owned(),
                    reason: decision.reason,
                });
                None
            }
        };
        let language = keep("language", input.language);
        let country = keep("country", input.country);
        let city = keep("city", input.city);
        let device_model = keep("device_model", input.device_model);
        let id = self.advertising_id()?;
        if id.advertising_id.is_none() {
            withheld.push(WithheldField {
                field: "advertising_id".to_owned(),
                reason: id.decision.reason,
            });
        }
        Ok(AdContext {
            language,
            country,
            city,
            device_model,
            advertising_id: id.advertising_id,
            withheld,
        })
    }

    /// A random identifier for this installation, created on first use: a pseudonym the app
    /// can use instead of the advertising ID or any account id. The user can reset it.
    pub fn install_id(&self) -> Result<String> {
        self.commit(
            |_, conn, _| match meta::get(conn, INSTALL_ID)? {
                Some(bytes) => String::from_utf8(bytes).map_err(|_| PrivacyError::CorruptRecord),
                None => {
                    let id = adid::random_uuid();
                    meta::set(conn, INSTALL_ID, id.as_bytes())?;
                    Ok(id)
                }
            },
            |_, id| (id, None),
        )
    }

    /// Replaces the install identifier with a new random one; the old one is forgotten.
    pub fn reset_install_id(&self) -> Result<String> {
        self.commit(
            |_, conn, _| {
                let id = adid::random_uuid();
                meta::set(conn, INSTALL_ID, id.as_bytes())?;
                Ok(id)
            },
            |_, id| (id, None),
        )
    }

    /// Everything PrivacyKit keeps about the user, as one JSON document (format
    /// `privacykit-export` version 1; `export_json_schema()` describes it): policy and age
    /// status, every decision, permission states with their history, the consent ledger as
    /// consent receipts, linked accounts (metadata only, never secrets) and the access report.
    pub fn export_personal_data(&self) -> Result<String> {
        self.flush()?;
        let reported = lock(&self.advertising_id).is_some();
        self.read(|core| {
            rights::export::export(core, self.clock.now_ms(), self.guard.today(), reported)
        })
    }

    /// Erases everything PrivacyKit keeps about the user: the ledger, declared facts,
    /// permission states and history, the access report, linked accounts with their keys
    /// (the platform keys are deleted too), the install id. The file is then compacted so no
    /// deleted byte survives in it or its WAL. PrivacyKit stays open and starts afresh with
    /// the policy in force, as on a first open.
    pub fn erase_all(&self) -> Result<ErasureReceipt> {
        self.erase_with(true, |conn, core, now| {
            erase::erase_all(conn, core.policy.version(), now)
        })
    }

    /// Erases one kind of data the same way (deleted in one transaction, keys destroyed where
    /// the data has them, file compacted). Erasing the permission history keeps each
    /// permission's current state; erasing the ledger forgets every choice.
    pub fn erase_data(&self, data: PersonalData) -> Result<ErasureReceipt> {
        self.erase_with(data == PersonalData::AccessReport, |conn, _, now| {
            let (records, keys) = erase::erase(conn, data, now)?;
            Ok((vec![ErasedData { data, records }], keys))
        })
    }

    /// Applies the policy's retention periods now (PrivacyKit also does this on open). Safe
    /// to call at any time: a second call deletes nothing more.
    pub fn purge_expired(&self) -> Result<PurgeReport> {
        let today = self.guard.today();
        let keys = self.vault_keys.provider().ok();
        self.commit(
            |core, conn, now| retention::purge(conn, &core.policy, now, today, keys.as_deref()),
            |core, (report, accounts_deleted)| {
                if accounts_deleted {
                    if let Err(err) = erase::compact(core.store.conn()) {
                        log::warn!("compaction after a retention purge failed: {err}");
                    }
                }
                (report, None)
            },
        )
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
            let current = with_terms_history(conn, current)?;
            let consent = consent::db::load_book(conn)?;
            let permissions = permissions::db::load_trackers(conn)?;
            let guard = Guard::new(clock.clone(), config.utc_offset_minutes);
            let policy = Arc::new(current);
            let age = age::assess(consent.declared(), &policy.info, guard.today());
            let mut core = Core {
                store,
                platform: config.platform,
                policy,
                consent,
                permissions,
                age,
                _claim: claim,
            };
            install_guard(&guard, &mut core);
            let kit = Arc::new(PrivacyKit {
                clock,
                guard,
                core: Mutex::new(Some(core)),
                listeners: Listeners::default(),
                vault_keys: VaultKeys::default(),
                advertising_id: Mutex::new(None),
            });
            // Retention runs at every open; a failure here must not keep the app from its
            // data, and the next open or purge_expired() tries again.
            if let Err(err) = kit.purge_expired() {
                log::warn!("retention purge on open failed: {err}");
            }
            Ok(kit)
        })
    }

    fn decide(&self, category: &str, purpose: &str, count: bool) -> Decision {
        fail_closed(|| {
            self.refresh_if_expired();
            self.guard.check(category, purpose, count)
        })
    }

    /// The same for a prepared use (`DataUse`).
    pub(crate) fn decide_prepared(&self, prepared: &PreparedUse, count: bool) -> Decision {
        fail_closed(|| {
            self.refresh_if_expired();
            self.guard.check_prepared(prepared, count)
        })
    }

    /// Rebuilds the guard's table when a birthday moved the user into another age group
    /// since it was built. Costs one atomic load while no such day is ahead.
    fn refresh_if_expired(&self) {
        if self.guard.expired() {
            if let Some(core) = self.lock_core().as_mut() {
                install_guard(&self.guard, core);
            }
        }
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

    /// Appends one chained ledger entry after `check` passed, in one transaction with
    /// whatever the entry ends (a withdrawn consent shreds the vault's tokens).
    fn append_to_ledger(
        &self,
        change: ConsentChange,
        detail: Option<String>,
        check: impl FnOnce(&ConsentChange, &Core) -> Result<()>,
    ) -> Result<LedgerEntry> {
        self.commit(
            |core, conn, now| {
                check(&change, core)?;
                let head = *core.consent.head();
                let mut entry = LedgerEntry {
                    seq: head.seq + 1,
                    time_ms: now,
                    policy_version: core.policy.version(),
                    action: change.action,
                    purpose: change.purpose.clone(),
                    category: change.category.clone(),
                    source: change.source,
                    detail,
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

    /// Runs an erasure: `work` deletes in one transaction; memory is then reloaded from the
    /// store, key material forgotten, the file compacted and listeners told. With
    /// `drop_counts`, access counts gathered in memory are discarded rather than written.
    fn erase_with(
        &self,
        drop_counts: bool,
        work: impl FnOnce(&Connection, &Core, i64) -> Result<(Vec<ErasedData>, bool)>,
    ) -> Result<ErasureReceipt> {
        guarded(|| {
            let receipt = {
                let mut slot = self.lock_core();
                let core = slot.as_mut().ok_or(PrivacyError::Closed)?;
                let now = self.clock.now_ms();
                let counts = self.guard.take_unwritten_counts();
                let written = (|| {
                    let tx = core.store.begin()?;
                    let done = work(&tx, core, now)?;
                    if !drop_counts {
                        report::store(&tx, &counts)?;
                    }
                    tx.commit()?;
                    Ok(done)
                })();
                let (erased, keys_destroyed) = match written {
                    Ok(done) => done,
                    Err(err) => {
                        self.guard.return_unwritten_counts(counts);
                        return Err(err);
                    }
                };
                if keys_destroyed {
                    self.vault_keys.after_shred(&core.store);
                }
                core.consent = consent::db::load_book(core.store.conn())?;
                core.permissions = permissions::db::load_trackers(core.store.conn())?;
                if erased.iter().any(|e| e.data == PersonalData::ConsentLedger) {
                    *lock(&self.advertising_id) = None;
                }
                install_guard(&self.guard, core);
                erase::compact(core.store.conn())?;
                let receipt = ErasureReceipt {
                    erased_at_ms: now,
                    erased,
                    keys_destroyed,
                };
                log::info!(
                    "erased {} record(s) of {} kind(s) of data",
                    receipt.erased.iter().map(|e| e.records).sum::<u64>(),
                    receipt.erased.len()
                );
                receipt
            };
            self.listeners.notify(&PrivacyChange::Erased {
                receipt: receipt.clone(),
            });
            Ok(receipt)
        })
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
                    install_guard(&self.guard, core);
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

pub(crate) const INSTALL_ID: &str = "install_id";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the guard's table from `core`, with the age rules as of today.
fn install_guard(guard: &Guard, core: &mut Core) {
    core.age = age::assess(core.consent.declared(), &core.policy.info, guard.today());
    guard.install(
        &core.policy,
        &core.consent,
        &core.permission_states(),
        &core.age,
    );
}

/// `current` with, for each use, the version since which its terms are unchanged, worked out
/// from every stored version before it. A stored version that no longer parses breaks the
/// chain: nothing agreed before it carries over.
fn with_terms_history(conn: &Connection, mut current: Policy) -> Result<Policy> {
    let mut previous: Option<Policy> = None;
    for (version, document) in policy::db::all_documents(conn)? {
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
