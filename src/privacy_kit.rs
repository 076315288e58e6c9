//! `PrivacyKit`, the one object the app holds: the UniFFI surface. It checks arguments and
//! delegates: the rules live in the modules below it, the state and the write path in the
//! engine (`engine.rs`). Nothing below imports this file.

use std::path::Path;
use std::sync::Arc;

use crate::access_report::AccessReportRow;
use crate::advertising_id::{self, AdContext, AdContextInput, AdvertisingIdAnswer};
use crate::age::{self, AgeStatus, UserFacts};
use crate::consent::compaction::{LedgerSummary, Summary};
use crate::consent::{
    self, ConsentAction, ConsentChange, ConsentSource, ConsentState, LedgerEntry,
};
use crate::data_holder::PersonalData;
use crate::data_use::DataUse;
use crate::decision::Decision;
use crate::discovery::{ContactDiscovery, DiscoveryConfig, DiscoveryTransport};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::guard::snapshot::{DecisionSnapshot, UseCount, UseCountSource};
use crate::install_id;
use crate::keys::KeyProvider;
use crate::listeners::{PrivacyChange, PrivacyListener};
use crate::permissions::{
    self, LocationAccuracy, OsPermission, PermissionEvent, PermissionEventKind, PermissionState,
    PermissionStatus, Platform,
};
use crate::policy::{self, parse_policy, PolicyInfo, RetentionEvent};
use crate::privacy_error::{guarded, PrivacyError};
use crate::reconsent::{self, ReconsentItem};
use crate::retention::{self, PurgeReport};
use crate::retention_events::{self, DueForDeletion, RetentionEventRecord};
use crate::rights;
use crate::rights::erase::{self, ErasedData, ErasureReceipt};
use crate::signals::{self, ConsentSignalStore};
use crate::state::{OnTampered, State};
use crate::time::{parse_day, Clock, SystemClock, MAX_UTC_OFFSET_MINUTES};
use crate::vault::TokenVault;

/// How to open PrivacyKit.
#[derive(Clone, uniffi::Record)]
pub struct PrivacyKitConfig {
    /// The SQLite file, created if missing. `None` keeps everything in memory (tests,
    /// previews): nothing survives `close_store`.
    pub database_path: Option<String>,
    /// The app's policy document (JSON, format 1).
    pub policy_json: String,
    pub platform: Platform,
    /// The device's current offset from UTC, in minutes; it sets where the access report's
    /// days begin. Update it with `set_utc_offset_minutes` when the time zone changes.
    pub utc_offset_minutes: i32,
    /// The platform keystore (see `set_key_provider`). Pass it here: the consent ledger is
    /// then verified under its keyed seal at open, before any decision is made from it.
    /// Without it, open verifies the hash chain alone and the seal is checked when a provider
    /// is given later.
    #[uniffi(default = None)]
    pub key_provider: Option<Arc<dyn KeyProvider>>,
}

/// The PrivacyKit SDK: the app's policy, the user's choices, and the guard over data use.
/// Safe to share between threads. Close it with `close_store` when the app no longer needs
/// it.
#[derive(uniffi::Object)]
pub struct PrivacyKit {
    engine: Arc<Engine>,
    /// The clock given to `open_with_clock`; `None` on the system clock.
    custom_clock: Option<Arc<dyn Clock>>,
}

type ApiResult<T> = std::result::Result<T, PrivacyError>;

#[uniffi::export]
impl PrivacyKit {
    /// Opens the store (creating it on first use), loads the policy and restores the user's
    /// state. A policy that fails validation, or conflicts with the stored version, is
    /// refused and nothing stored changes.
    ///
    /// The consent ledger is verified first: its hash chain from the first entry (or the
    /// compacted summary) to the recorded head, and, with `config.key_provider`, the keyed
    /// seals over the head and the summary. A ledger that does not verify fails with
    /// `LedgerTampered` (or `LedgerSealLost` when the seal's key is gone) and nothing is
    /// changed; see `open_setting_aside_tampered_ledger`.
    #[uniffi::constructor]
    pub fn open(config: PrivacyKitConfig) -> ApiResult<Arc<Self>> {
        Self::open_with(config, Arc::new(SystemClock), None, OnTampered::Refuse)
    }

    /// Opens like `open`, reading the time from `clock` instead of the system clock: for
    /// tests, previews and replays. Everything that depends on the time follows it: ledger
    /// and history timestamps, the access report's days, birthdays, retention. `clock` is
    /// read while PrivacyKit holds its locks: it must return at once and never call back.
    #[uniffi::constructor]
    pub fn open_with_clock(
        config: PrivacyKitConfig,
        clock: Arc<dyn Clock>,
    ) -> ApiResult<Arc<Self>> {
        Self::open_with(config, clock.clone(), Some(clock), OnTampered::Refuse)
    }

    /// The clock given to `open_with_clock`, or none when PrivacyKit reads the system clock.
    /// A layer that answers checks on its own side (the Kotlin fast guard) reads the same
    /// clock, so both agree on when a day ends and when a birthday falls.
    pub fn custom_clock(&self) -> Option<Arc<dyn Clock>> {
        self.custom_clock.clone()
    }

    /// Opens like `open`, but a ledger that does not verify (`LedgerTampered`,
    /// `LedgerSealLost`) is set aside instead of refused: its records are kept as unverified
    /// history (in `export_personal_data`, erased by `erase_all`), the ledger starts empty,
    /// and every use that needs consent answers `NeedsConsent` until the user chooses again.
    /// Call it only after telling the user that their privacy choices could not be verified
    /// and will be asked for again. A ledger that verifies is opened as `open` would.
    #[uniffi::constructor]
    pub fn open_setting_aside_tampered_ledger(config: PrivacyKitConfig) -> ApiResult<Arc<Self>> {
        Self::open_with(config, Arc::new(SystemClock), None, OnTampered::SetAside)
    }

    /// Writes what is still only in memory and closes the store. Later calls fail with
    /// `Closed` and `check` answers `Closed`. Closing twice is fine. (Kotlin's `close()`,
    /// from `AutoCloseable`, only releases the native handle.)
    pub fn close_store(&self) -> ApiResult<()> {
        guarded(|| self.engine.close())
    }

    /// May `category` be used for `purpose` now? Answers from memory, from any thread, and
    /// counts the use in the access report when allowed. Unknown ids are not declared, so
    /// they are refused.
    pub fn check(&self, category: &str, purpose: &str) -> Decision {
        self.engine.decide(category, purpose, true)
    }

    /// (category, purpose) prepared for repeated checks: `is_allowed()` on it is a single
    /// native call from Kotlin or Swift, with no string to pass.
    pub fn data_use(&self, category: String, purpose: String) -> Arc<DataUse> {
        // Building it allocates and nothing else; it cannot fail, and its calls fail closed.
        Arc::new(DataUse::new(&self.engine, category, purpose))
    }

    /// The same answer as `check`, without counting a use: for settings screens.
    pub fn explain(&self, category: &str, purpose: &str) -> Decision {
        self.engine.decide(category, purpose, false)
    }

    /// The guard's whole decision table as one consistent copy, for a layer that answers
    /// `check` on its own side of the FFI (the Kotlin fast guard; see docs/guard.md). The
    /// snapshot is current while the decision epoch equals its `serial`.
    pub fn decision_snapshot(&self) -> ApiResult<DecisionSnapshot> {
        guarded(|| self.engine.decision_snapshot())
    }

    /// The address of the decision epoch: a `u64` in native memory, in native byte order,
    /// that changes (sequentially consistent) whenever the guard's table is rebuilt (every
    /// change of the user's choices, permissions, age facts or policy, an erasure, a new UTC
    /// offset, a birthday) and becomes `u64::MAX` when this `PrivacyKit` is closed or freed.
    /// The memory is never freed, so reading it stays safe after that. A layer holding a
    /// `DecisionSnapshot` reads it before every answer: equal to the snapshot's `serial`, the
    /// snapshot is current; otherwise it takes a new one.
    pub fn decision_epoch_address(&self) -> u64 {
        self.engine.decision_epoch_address()
    }

    /// Adds uses counted outside the core (by a layer answering from a `DecisionSnapshot`)
    /// to the access report, under the day each was counted on, as if `check` had counted
    /// them; they are written with the next write, `flush` or `close_store`. Like `check`,
    /// it never waits for a write in progress. Refused as a
    /// whole (`InvalidArgument`) if an entry names a serial this `PrivacyKit` did not issue,
    /// a pair the policy of that serial does not declare, a day no time zone has reached yet,
    /// or a count above `i64::MAX`. Uses counted before the access report was erased are
    /// dropped.
    pub fn record_uses(&self, uses: Vec<UseCount>) -> ApiResult<()> {
        guarded(|| self.engine.record_uses(&uses))
    }

    /// Registers the layer that counts uses on its own side (the Kotlin fast guard does this
    /// itself), replacing any earlier one. PrivacyKit takes its counts before every write, as
    /// it takes its own: every change, `flush`, `access_report`, `export_personal_data`,
    /// `close_store`, and when it is freed.
    pub fn set_use_count_source(&self, source: Arc<dyn UseCountSource>) {
        self.engine.set_use_count_source(source);
    }

    /// The policy in force.
    pub fn policy(&self) -> ApiResult<PolicyInfo> {
        guarded(|| self.engine.read(|state| Ok(state.policy.info.clone())))
    }

    /// Loads a newer policy version. The same version with the same content changes
    /// nothing; an older version, or the same version with other content, is refused.
    ///
    /// Agreement carries over for every use whose terms did not change materially; the uses
    /// whose terms grew need consent or acceptance again (see `pending_reconsent`).
    pub fn update_policy(&self, policy_json: String) -> ApiResult<PolicyInfo> {
        guarded(|| {
            let mut policy = parse_policy(&policy_json)?;
            self.engine.commit(
                |state, conn, now| {
                    let changed = policy::db::stage_update(conn, &state.policy, &policy, now)?;
                    policy.carry_terms_from(&state.policy);
                    Ok(changed.then(|| Arc::new(policy)))
                },
                |state, changed| {
                    let change = changed.map(|policy| {
                        state.policy = policy;
                        PrivacyChange::Policy {
                            version: state.policy.version(),
                        }
                    });
                    (state.policy.info.clone(), change)
                },
            )
        })
    }

    /// The uses the user agreed to under terms that have since grown, with what changed:
    /// consents to ask for again (`grant_consent`) and uses that need the policy accepted
    /// again (`accept_policy`). Withdrawn and denied choices are never listed: they stay.
    pub fn pending_reconsent(&self) -> ApiResult<Vec<ReconsentItem>> {
        guarded(|| self.engine.read(reconsent::pending))
    }

    /// The user accepts the policy version in force.
    pub fn accept_policy(&self) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::AcceptPolicy, None, None)
    }

    /// The user consents to `purpose` (for every category, or only `category`).
    #[uniffi::method(default(category = None))]
    pub fn grant_consent(
        &self,
        purpose: String,
        category: Option<String>,
    ) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::Grant, Some(purpose), category)
    }

    /// The user declines `purpose` when asked.
    #[uniffi::method(default(category = None))]
    pub fn deny_consent(
        &self,
        purpose: String,
        category: Option<String>,
    ) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::Deny, Some(purpose), category)
    }

    /// The user takes back consent given earlier.
    #[uniffi::method(default(category = None))]
    pub fn withdraw_consent(
        &self,
        purpose: String,
        category: Option<String>,
    ) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::Withdraw, Some(purpose), category)
    }

    /// The user objects to legitimate-interest processing for `purpose` (switches it off).
    #[uniffi::method(default(category = None))]
    pub fn object_to(&self, purpose: String, category: Option<String>) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::Object, Some(purpose), category)
    }

    /// The user withdraws an objection (switches the use back on).
    #[uniffi::method(default(category = None))]
    pub fn withdraw_objection(
        &self,
        purpose: String,
        category: Option<String>,
    ) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::WithdrawObjection, Some(purpose), category)
    }

    /// The user restricts all processing that is not essential.
    pub fn restrict_processing(&self) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::Restrict, None, None)
    }

    /// The user lifts the restriction.
    pub fn lift_restriction(&self) -> ApiResult<LedgerEntry> {
        self.record(ConsentAction::LiftRestriction, None, None)
    }

    /// Records any consent change, with its source (a guardian, a default, a migration).
    pub fn record_consent(&self, change: ConsentChange) -> ApiResult<LedgerEntry> {
        guarded(|| {
            self.engine
                .append_to_ledger(change, acceptance_notice, |change, state| {
                    consent::validate_change(change, &state.policy)
                })
        })
    }

    /// Declares or corrects the user's own facts: birth date or age, and jurisdiction. They
    /// set the age rules (see `age_status`). Recorded in the ledger. Facts a guardian declared
    /// can be changed only with `ConsentSource::Guardian`.
    pub fn declare_user_facts(
        &self,
        facts: UserFacts,
        source: ConsentSource,
    ) -> ApiResult<LedgerEntry> {
        guarded(|| {
            let facts = age::validate(facts, self.engine.today())?;
            let detail = serde_json::to_string(&facts).map_err(|_| Error::Internal {
                reason: "declared facts could not be written as JSON",
            })?;
            let change = ConsentChange {
                action: ConsentAction::DeclareFacts,
                purpose: None,
                category: None,
                source,
            };
            self.engine.append_to_ledger(
                change,
                |_, _| Some(detail),
                |_, state| age::check_may_declare(state.consent.declared(), source),
            )
        })
    }

    /// The user's facts as last declared, if any.
    pub fn user_facts(&self) -> ApiResult<Option<UserFacts>> {
        guarded(|| {
            self.engine
                .read(|state| Ok(state.consent.declared().map(|d| d.facts.clone())))
        })
    }

    /// Which age rules apply now, and why.
    pub fn age_status(&self) -> ApiResult<AgeStatus> {
        guarded(|| {
            self.engine.read(|state| {
                Ok(age::status(
                    state.consent.declared(),
                    &state.policy.info,
                    self.engine.today(),
                ))
            })
        })
    }

    /// What the ledger currently says.
    pub fn consent_state(&self) -> ApiResult<ConsentState> {
        guarded(|| self.engine.read(|state| Ok(state.consent.public_state())))
    }

    /// Up to `limit` ledger entries after `after_seq` (0 for the first), oldest first. Once
    /// the policy's `consent_records` retention compacted the ledger, the compacted entries
    /// still in force come first and superseded ones are gone: seqs then have gaps.
    pub fn ledger(&self, after_seq: u64, limit: u32) -> ApiResult<Vec<LedgerEntry>> {
        guarded(|| {
            self.engine
                .read(|state| consent::stored::entries_after(state.store.conn(), after_seq, limit))
        })
    }

    /// The compacted part of the ledger, or `None` while nothing was compacted.
    pub fn ledger_summary(&self) -> ApiResult<Option<LedgerSummary>> {
        guarded(|| {
            self.engine
                .read(|state| Ok(Summary::load(state.store.conn())?.map(|s| s.public())))
        })
    }

    /// Recomputes the ledger's hash chain; `LedgerTampered` names the first bad entry.
    /// A compacted summary's seal is checked first, through the key provider (`VaultLocked`
    /// without one, `LedgerSealLost` if its key is gone), and the chain continues from it;
    /// with a key provider the head's seal is checked too. Returns the length of the ledger
    /// verified.
    pub fn verify_ledger(&self) -> ApiResult<u64> {
        guarded(|| {
            let keys = self.engine.keys().provider().ok();
            self.engine
                .read(|state| consent::stored::verify(state.store.conn(), keys.as_deref()))
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
    ) -> ApiResult<PermissionState> {
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
    ) -> ApiResult<PermissionState> {
        self.permission_event(
            PermissionEventKind::Requested,
            permission,
            result,
            accuracy,
            os_shows_rationale,
        )
    }

    /// The current state of one permission.
    pub fn permission_state(&self, permission: OsPermission) -> ApiResult<PermissionState> {
        guarded(|| {
            self.engine
                .read(|state| Ok(state.permissions[permission.position()].state(state.platform)))
        })
    }

    /// Would a request show the system prompt?
    pub fn can_request(&self, permission: OsPermission) -> ApiResult<bool> {
        Ok(self.permission_state(permission)?.can_request)
    }

    /// Did the user decline before, so the app should explain before asking again?
    pub fn should_show_rationale(&self, permission: OsPermission) -> ApiResult<bool> {
        Ok(self.permission_state(permission)?.should_show_rationale)
    }

    /// Every recorded observation and request result for `permission`, oldest first.
    pub fn permission_history(&self, permission: OsPermission) -> ApiResult<Vec<PermissionEvent>> {
        guarded(|| {
            self.engine
                .read(|state| permissions::db::load(state.store.conn(), Some(permission)))
        })
    }

    /// Allowed uses per day from `from_day` to `to_day` (inclusive, `YYYY-MM-DD`).
    pub fn access_report(
        &self,
        from_day: String,
        to_day: String,
    ) -> ApiResult<Vec<AccessReportRow>> {
        guarded(|| {
            let from = parse_day(&from_day).ok_or_else(|| {
                Error::invalid_argument("from_day", "must be a date written YYYY-MM-DD")
            })?;
            let to = parse_day(&to_day).ok_or_else(|| {
                Error::invalid_argument("to_day", "must be a date written YYYY-MM-DD")
            })?;
            if from > to {
                return Err(Error::invalid_argument(
                    "from_day",
                    "must not be after to_day",
                ));
            }
            self.engine.access_report(from, to)
        })
    }

    /// Writes the access counts gathered in memory. Call it when the app goes to the
    /// background: counts not yet written are lost if the process is killed.
    pub fn flush(&self) -> ApiResult<()> {
        guarded(|| self.engine.flush())
    }

    /// Sets the offset from UTC used for the access report's days from now on.
    pub fn set_utc_offset_minutes(&self, minutes: i32) -> ApiResult<()> {
        guarded(|| {
            check_utc_offset(minutes)?;
            self.engine.set_utc_offset_minutes(minutes)
        })
    }

    /// The platform keystore (Android Keystore, iOS Keychain) for every key PrivacyKit keeps:
    /// the vault's, the discovery cache's, and the ledger's seal. Best given at open
    /// (`PrivacyKitConfig.key_provider`); given later, here or through `vault` and
    /// `discovery` (the last one given is used), it verifies the ledger under its seal now
    /// and seals its head. A ledger that does not verify answers `LedgerTampered` (or
    /// `LedgerSealLost`): from then on every decision is `LedgerUnverified` and no consent
    /// can be recorded, until the app has told the user and calls
    /// `set_aside_unverified_ledger`. A locked keystore (`VaultLocked`) leaves the check for
    /// the next provider given.
    pub fn set_key_provider(&self, key_provider: Arc<dyn KeyProvider>) -> ApiResult<()> {
        guarded(|| self.engine.set_key_provider(key_provider))
    }

    /// After `LedgerTampered` or `LedgerSealLost`: sets the ledger aside as unverified history
    /// (kept in `export_personal_data`, erased by `erase_all`) and starts an empty one, so
    /// every use that needs consent answers `NeedsConsent` and the app asks the user again.
    /// Returns the number of records set aside: 0, changing nothing, when the ledger verifies.
    pub fn set_aside_unverified_ledger(&self) -> ApiResult<u64> {
        guarded(|| self.engine.set_aside_ledger())
    }

    /// The vault of linked accounts' tokens, keyed by the platform keystore through
    /// `key_provider`. The key is unwrapped on first use and kept until this `PrivacyKit` is
    /// closed; a later call replaces the provider. The vault does not keep this `PrivacyKit`
    /// alive: once it is closed or freed, vault calls fail with `Closed`.
    ///
    /// Like `set_key_provider`, this verifies the ledger under its seal if that was not done
    /// yet; a ledger that does not verify is reported by `check` (`LedgerUnverified`) and by
    /// `set_key_provider`, not here.
    pub fn vault(&self, key_provider: Arc<dyn KeyProvider>) -> Arc<TokenVault> {
        if let Err(err) = guarded(|| self.engine.set_key_provider(key_provider)) {
            log::warn!("key provider given with the vault: {err}");
        }
        Arc::new(TokenVault::new(&self.engine))
    }

    /// Reports the OS advertising ID (IDFA / Android advertising ID) at launch and whenever
    /// it may have changed; `None` when the OS gives none. The all-zero ID counts as none.
    /// Kept in memory only. Report tracking authorization with `report_permission(Tracking,
    /// ...)`: ATT on iOS; on Android `Denied` when the user limited ad tracking.
    pub fn report_advertising_id(&self, advertising_id: Option<String>) -> ApiResult<()> {
        guarded(|| {
            let id = advertising_id::parse_reported_id(advertising_id)?;
            self.engine.exclusive(|locked| {
                locked.state.advertising_id = id;
                Ok(())
            })
        })
    }

    /// The advertising ID, only if the OS allows it, the user consented to advertising, the
    /// user is not a minor and processing is not restricted; otherwise none, with the reason.
    /// Counted as a use of `advertising_id` for `advertising` when given out.
    pub fn advertising_id(&self) -> ApiResult<AdvertisingIdAnswer> {
        guarded(|| {
            self.engine
                .exclusive(|locked| Ok(advertising_id::answer(locked)))
        })
    }

    /// What the app may send to ad partners: each field of `input`, and the advertising ID,
    /// only if its own category is allowed for advertising now. Fields left out are listed
    /// with the reason. Each included field counts as a use.
    pub fn ad_context(&self, input: AdContextInput) -> ApiResult<AdContext> {
        guarded(|| {
            self.engine
                .exclusive(|locked| Ok(advertising_id::context(locked, input)))
        })
    }

    /// A random identifier for this installation, created on first use: a pseudonym the app
    /// can use instead of the advertising ID or any account id. The user can reset it.
    pub fn install_id(&self) -> ApiResult<String> {
        guarded(|| {
            self.engine.commit(
                |_, conn, _| install_id::get_or_create(conn),
                |_, id| (id, None),
            )
        })
    }

    /// Replaces the install identifier with a new random one; the old one is forgotten.
    pub fn reset_install_id(&self) -> ApiResult<String> {
        guarded(|| {
            self.engine
                .commit(|_, conn, _| install_id::reset(conn), |_, id| (id, None))
        })
    }

    /// Everything PrivacyKit keeps about the user, as one JSON document (format
    /// `privacykit-export` version 1; `export_json_schema()` describes it): policy and age
    /// status, every decision, permission states with their history, the consent ledger as
    /// consent receipts, linked accounts (metadata only, never secrets) and the access report.
    pub fn export_personal_data(&self) -> ApiResult<String> {
        guarded(|| {
            self.engine.flush()?;
            self.engine.read(|state| {
                rights::export::export(state, self.engine.now_ms(), self.engine.today())
            })
        })
    }

    /// Erases everything PrivacyKit keeps about the user: the ledger, declared facts,
    /// permission states and history, the access report, linked accounts with their keys
    /// (the platform keys are deleted too), the install id, the reported retention events. The
    /// file is then compacted so no deleted byte survives in it or its WAL. PrivacyKit stays
    /// open and starts afresh with the policy in force, as on a first open.
    pub fn erase_all(&self) -> ApiResult<ErasureReceipt> {
        guarded(|| {
            self.engine.erase(true, |conn, state, now| {
                erase::erase_all(conn, state.policy.version(), now)
            })
        })
    }

    /// Erases one kind of data the same way (deleted in one transaction, keys destroyed where
    /// the data has them, file compacted). Erasing the permission history keeps each
    /// permission's current state; erasing the ledger forgets every choice.
    pub fn erase_data(&self, data: PersonalData) -> ApiResult<ErasureReceipt> {
        guarded(|| {
            self.engine
                .erase(data == PersonalData::AccessReport, |conn, _, now| {
                    let done = erase::erase(conn, data, now)?;
                    let erased = vec![ErasedData {
                        data,
                        records: done.records,
                    }];
                    Ok((erased, done.keys_destroyed))
                })
        })
    }

    /// Applies the policy's retention periods now (PrivacyKit also does this on open). Safe
    /// to call at any time: a second call deletes nothing more.
    pub fn purge_expired(&self) -> ApiResult<PurgeReport> {
        guarded(|| self.purge())
    }

    /// Records that `event` happened now (the user closed their account, unsubscribed, left a
    /// sign-up unconfirmed), for the policy's `app_retention` periods that count from it.
    /// Reporting an event already recorded keeps its first time, so a retry never postpones a
    /// deletion; returns the record kept. Refused with `InvalidArgument` when no rule of the
    /// policy counts from `event`, and nothing is stored.
    pub fn report_retention_event(&self, event: RetentionEvent) -> ApiResult<RetentionEventRecord> {
        guarded(|| {
            self.engine.commit(
                |state, conn, now| retention_events::report(conn, &state.policy, event, now),
                |_, record| (record, None),
            )
        })
    }

    /// Forgets `event` because it no longer holds (the account was reopened): the periods
    /// counting from it stop running. Returns whether it was recorded.
    pub fn withdraw_retention_event(&self, event: RetentionEvent) -> ApiResult<bool> {
        guarded(|| {
            self.engine.commit(
                |_, conn, _| retention_events::withdraw(conn, event),
                |_, withdrawn| (withdrawn, None),
            )
        })
    }

    /// The events recorded with `report_retention_event`, oldest first.
    pub fn retention_events(&self) -> ApiResult<Vec<RetentionEventRecord>> {
        guarded(|| {
            self.engine
                .read(|state| retention_events::recorded(state.store.conn()))
        })
    }

    /// The app's own data due for deletion now under the policy's `app_retention`: each rule
    /// counted from when the data was made, with its cutoff, and each rule counted from an
    /// event reported at least its period ago. Deletes nothing: the data is the app's.
    pub fn due_for_deletion(&self) -> ApiResult<Vec<DueForDeletion>> {
        guarded(|| {
            let now = self.engine.now_ms();
            self.engine
                .read(|state| retention_events::due(state.store.conn(), &state.policy, now))
        })
    }

    /// Contact discovery (which contacts use the app) with the app's transport. The local
    /// cache is sealed under a key derived from the vault key, so discovery needs the
    /// platform keystore: `key_provider` is the same provider `vault` takes (the last one
    /// given is used by both). Does not keep this `PrivacyKit` alive.
    pub fn discovery(
        &self,
        config: DiscoveryConfig,
        key_provider: Arc<dyn KeyProvider>,
        transport: Arc<dyn DiscoveryTransport>,
    ) -> ApiResult<Arc<ContactDiscovery>> {
        guarded(|| {
            let discovery = ContactDiscovery::new(&self.engine, config, transport)?;
            if let Err(err) = self.engine.set_key_provider(key_provider) {
                log::warn!("key provider given with contact discovery: {err}");
            }
            Ok(Arc::new(discovery))
        })
    }

    /// Registers a listener; returns the id to remove it with.
    pub fn add_listener(&self, listener: Arc<dyn PrivacyListener>) -> ApiResult<u64> {
        guarded(|| {
            self.engine
                .read(|_| Ok(self.engine.listeners().add(listener)))
        })
    }

    /// Registers where the IAB consent signals go (the `IABTCF_*` and `IABGPP_*` keys ad SDKs
    /// read) and writes them once now. From then on they are written again after every change
    /// that can alter them (a choice, a policy update, a declared jurisdiction) and removed by
    /// an erasure of the choices. They follow the policy's `tcf` section; without one, keys
    /// of these families are removed. Replaces a store given earlier.
    pub fn set_consent_signal_store(&self, store: Arc<dyn ConsentSignalStore>) -> ApiResult<()> {
        guarded(|| self.engine.set_signal_store(store))
    }

    /// Records the choices a TC string carries (one written by a web view's CMP, or by an
    /// earlier consent tool) as the user's, for the uses the policy's `tcf` section maps:
    /// grants, denials or withdrawals for consent, objections (or their withdrawal) for
    /// legitimate interest, each with source `TcString` and the string's CMP and vendor list
    /// in `detail`, in one transaction. Uses already as the string says get no entry. A
    /// malformed string, one from another CMP or vendor list version, or a policy without a
    /// `tcf` section is refused with `TcStringRefused` and nothing is recorded.
    pub fn import_tc_string(&self, tc_string: String) -> ApiResult<Vec<LedgerEntry>> {
        guarded(|| {
            self.engine.append_all_to_ledger(
                |state| signals::import_plan(state, &tc_string),
                |change, state| consent::validate_change(change, &state.policy),
            )
        })
    }

    /// Removes a listener; false if the id was not registered.
    pub fn remove_listener(&self, id: u64) -> bool {
        guarded(|| Ok(self.engine.listeners().remove(id))).unwrap_or(false)
    }
}

impl PrivacyKit {
    /// `open_setting_aside_tampered_ledger` with a clock of the caller's choosing.
    pub fn open_setting_aside_tampered_ledger_with_clock(
        config: PrivacyKitConfig,
        clock: Arc<dyn Clock>,
    ) -> ApiResult<Arc<Self>> {
        Self::open_with(config, clock.clone(), Some(clock), OnTampered::SetAside)
    }

    fn open_with(
        config: PrivacyKitConfig,
        clock: Arc<dyn Clock>,
        custom_clock: Option<Arc<dyn Clock>>,
        on_tampered: OnTampered,
    ) -> ApiResult<Arc<Self>> {
        guarded(|| {
            let policy = parse_policy(&config.policy_json)?;
            check_utc_offset(config.utc_offset_minutes)?;
            let path = match config.database_path.as_deref() {
                Some("") => return Err(Error::invalid_argument("database_path", "is empty")),
                Some(path) => Some(Path::new(path)),
                None => None,
            };
            let now = clock.now_ms();
            let today = crate::time::local_day(now, config.utc_offset_minutes);
            let keys = config.key_provider.clone();
            let state = State::open(
                path,
                policy,
                config.platform,
                (now, today),
                keys.as_deref(),
                on_tampered,
            )?;
            let engine = Engine::new(state, clock, config.utc_offset_minutes);
            if let Some(provider) = keys {
                engine.keys().set_provider(provider);
            }
            let kit = Arc::new(PrivacyKit {
                engine: Arc::new(engine),
                custom_clock,
            });
            // Retention runs at every open; a failure here must not keep the app from its
            // data, and the next open or purge_expired() tries again.
            if let Err(err) = kit.purge() {
                log::warn!("retention purge on open failed: {err}");
            }
            Ok(kit)
        })
    }

    fn purge(&self) -> Result<PurgeReport> {
        let today = self.engine.today();
        let keys = self.engine.keys().provider().ok();
        self.engine.commit(
            |state, conn, now| retention::purge(conn, &state.policy, now, today, keys.as_deref()),
            |state, (report, secrets_deleted)| {
                if secrets_deleted {
                    if let Err(err) = erase::compact(state.store.conn()) {
                        log::warn!("compaction after a retention purge failed: {err}");
                    }
                }
                (report, None)
            },
        )
    }

    fn record(
        &self,
        action: ConsentAction,
        purpose: Option<String>,
        category: Option<String>,
    ) -> ApiResult<LedgerEntry> {
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
    ) -> ApiResult<PermissionState> {
        guarded(|| {
            permissions::check_accuracy(permission, status, accuracy)?;
            self.engine.commit(
                |state, conn, now| {
                    let event = PermissionEvent {
                        time_ms: now,
                        permission,
                        kind,
                        status,
                        accuracy,
                        os_shows_rationale,
                    };
                    let tracker = &state.permissions[permission.position()];
                    permissions::db::stage(tracker, state.platform, conn, &event)
                },
                |state, next| {
                    let platform = state.platform;
                    let slot = &mut state.permissions[permission.position()];
                    let change = next.map(|next| {
                        *slot = next;
                        PrivacyChange::Permission {
                            state: next.state(platform),
                        }
                    });
                    (slot.state(platform), change)
                },
            )
        })
    }
}

fn check_utc_offset(minutes: i32) -> Result<()> {
    // A range check, not `abs()`: `i32::MIN` has no absolute value in an i32.
    if !(-MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES).contains(&minutes) {
        return Err(Error::invalid_argument(
            "utc_offset_minutes",
            "must be between -840 and 840",
        ));
    }
    Ok(())
}

/// The detail of a policy acceptance under a policy accepted by continued use after notice:
/// the entry then records that the notice of this policy was given, which is what the user's
/// continued use accepted. An explicit acceptance needs no detail.
fn acceptance_notice(change: &ConsentChange, state: &crate::state::State) -> Option<String> {
    let info = &state.policy.info;
    let by_notice = change.action == ConsentAction::AcceptPolicy
        && info.acceptance == policy::Acceptance::ContinuedUseAfterNotice;
    by_notice.then(|| {
        serde_json::json!({
            "acceptance": "continued_use_after_notice",
            "notice_of": { "policy_id": info.policy_id, "version": info.version },
        })
        .to_string()
    })
}
