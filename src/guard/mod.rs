//! The guard: "may I use this data for this purpose now?", answered from memory.
//!
//! Every durable change rebuilds a dense table holding the decision for each declared
//! (category, purpose) pair. `check` reads that table under a shared lock: two hash lookups
//! and one array read, no SQL and no allocation.

pub(crate) mod access_log;
pub(crate) mod snapshot;

use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::access_report::AccessCount;
use access_log::{AccessLog, Spill};
use snapshot::{DecisionSnapshot, UseCount, CLOSED_EPOCH};

use crate::age::{self, AgeGroup, Assessment};
use crate::consent::{
    ConsentAction, ConsentBook, ConsentChoice, ConsentSource, LedgerEntry, Recorded,
};
use crate::decision::{Decision, DecisionReason, LegalBasis};
use crate::error::{Error, Result};
use crate::permissions::{LocationAccuracy, PermissionState, PermissionStatus};
use crate::policy::Policy;
use crate::state::State;
use crate::time::{local_day, Clock, MAX_UTC_OFFSET_MINUTES, MS_PER_DAY};

/// The purpose of providing the service itself: exempt from the rules for minors (it needs no
/// guardian), though not from the minimum age unless the age rule keeps it open.
pub(crate) const SERVICE_PURPOSE: &str = "service";
/// Purposes never allowed for minors, whatever the consent.
const NOT_FOR_MINORS: [&str; 2] = ["advertising", "profiling"];
const ADVERTISING_ID: &str = "advertising_id";

/// Decides one declared pair from the current state. Order matters: the first reason that
/// stops the use is the one the user can act on first (in-app choices before OS prompts).
pub(crate) fn decide(
    policy: &Policy,
    pair: usize,
    consent: &ConsentBook,
    permissions: &[PermissionState],
    age: &Assessment,
) -> Decision {
    use DecisionReason::*;
    let Some(processing) = policy.processing_at(pair) else {
        return Decision::deny(NotDeclaredInPolicy);
    };
    if consent.unverified() {
        return Decision::deny(LedgerUnverified);
    }
    let basis = processing.legal_basis;
    let (category, purpose) = (processing.category.as_str(), processing.purpose.as_str());
    // Agreement given under an older version holds only if these terms did not grow since.
    let terms_since = policy.terms_since_at(pair);
    let required_by_law = basis.needs_no_acceptance();
    let beyond_service = purpose != SERVICE_PURPOSE && !required_by_law;

    // A consent-based use is covered by its own consent, which must be current; acceptance
    // of some version suffices there. Every other use needs the policy accepted since its
    // terms last grew.
    let accepted_since = if basis == LegalBasis::Consent {
        0
    } else {
        terms_since
    };
    let accepted = !policy.info.requires_acceptance
        || consent
            .accepted_policy_version()
            .is_some_and(|v| v >= accepted_since);
    if !accepted && !required_by_law {
        return Decision::deny(PolicyNotAccepted);
    }
    if age.group == AgeGroup::BelowMinimumAge && !required_by_law {
        let rule = age
            .rule
            .and_then(|i| policy.info.age_rules.get(i))
            .unwrap_or(&policy.info.default_age_rule);
        if !rule.open_below_minimum_age.iter().any(|p| p == purpose) {
            return Decision::deny(BelowMinimumAge);
        }
    }
    if consent.restricted() && !basis.is_essential() {
        return Decision::deny(RestrictedByUser);
    }
    let minor_rules = age.protective && beyond_service;
    if minor_rules && (NOT_FOR_MINORS.contains(&purpose) || category == ADVERTISING_ID) {
        return Decision::deny(NotAllowedForMinors);
    }
    let choice = consent.choice(category, purpose);
    let current = |r: &Recorded<ConsentChoice>| r.policy_version >= terms_since;
    match basis {
        LegalBasis::Consent => match choice.map(|r| r.value) {
            Some(ConsentChoice::Granted) if choice.as_ref().is_some_and(current) => {}
            Some(ConsentChoice::Granted) => return Decision::deny(ReconsentNeeded),
            Some(ConsentChoice::Denied) => return Decision::deny(ConsentDenied),
            Some(ConsentChoice::Withdrawn) => return Decision::deny(ConsentWithdrawn),
            None => return Decision::deny(NeedsConsent),
        },
        LegalBasis::LegitimateInterest if consent.objects(category, purpose) => {
            return Decision::deny(ObjectedByUser)
        }
        _ => {}
    }
    if minor_rules {
        // Beyond the service, a minor's data is used only with a guardian's current consent,
        // whatever the legal basis.
        match choice {
            Some(r)
                if r.value == ConsentChoice::Granted
                    && r.source == ConsentSource::Guardian
                    && current(&r) => {}
            Some(r) if r.value == ConsentChoice::Denied => return Decision::deny(ConsentDenied),
            Some(r) if r.value == ConsentChoice::Withdrawn => {
                return Decision::deny(ConsentWithdrawn)
            }
            _ => return Decision::deny(NeedsGuardianConsent),
        }
    }

    let (c, _) = policy.pair_of(pair);
    let mut limited = false;
    if let Some(permission) = policy.info.categories[c].os_permission {
        let state = &permissions[permission.position()];
        match state.status {
            PermissionStatus::Granted => {}
            PermissionStatus::Limited | PermissionStatus::Provisional => limited = true,
            PermissionStatus::Restricted => {
                return Decision::deny(OsPermissionRestricted { permission })
            }
            _ if state.blocked_in_settings => {
                return Decision::deny(BlockedInSettings { permission })
            }
            PermissionStatus::Denied => return Decision::deny(OsPermissionDenied { permission }),
            PermissionStatus::NotDetermined => {
                return Decision::deny(OsPermissionNotRequested { permission })
            }
        }
        if processing.location_accuracy == Some(LocationAccuracy::Precise)
            && state.accuracy != Some(LocationAccuracy::Precise)
        {
            return Decision::deny(ApproximateLocationOnly);
        }
    }
    Decision {
        allowed: true,
        reason: if limited {
            PermittedWithLimitedAccess { basis }
        } else {
            Permitted { basis }
        },
    }
}

/// Whether, after `entry`, the guard would refuse `category` for `purpose` because the user
/// withdrew, denied or objected: the test for deleting the data that serves that use in the
/// ledger entry's transaction.
pub(crate) fn use_ended_by(
    state: &State,
    before: &ConsentBook,
    entry: &LedgerEntry,
    hash: [u8; 32],
    category: &str,
    purpose: &str,
) -> bool {
    // Only these actions can produce those reasons; the common grant costs nothing here.
    let ending = matches!(
        entry.action,
        ConsentAction::Withdraw | ConsentAction::Deny | ConsentAction::Object
    );
    if !ending {
        return false;
    }
    let policy = &state.policy;
    let (Some(c), Some(p)) = (
        policy.category_position(category),
        policy.purpose_position(purpose),
    ) else {
        return false;
    };
    let mut after: ConsentBook = before.clone();
    after.apply(entry, hash);
    let decision = decide(
        policy,
        policy.pair_index(c, p),
        &after,
        &state.permission_states(),
        &state.age,
    );
    matches!(
        decision.reason,
        DecisionReason::ConsentWithdrawn
            | DecisionReason::ConsentDenied
            | DecisionReason::ObjectedByUser
    )
}

/// What `check` reads: the policy's indexes, one decision per pair, and the use counters.
pub(crate) struct Table {
    policy: Arc<Policy>,
    /// Changes whenever the policy does, so a cached pair index is known to be stale.
    policy_serial: u32,
    /// The decision epoch this table was installed under (see `Guard::epoch`).
    serial: u64,
    decisions: Vec<Decision>,
    access: Arc<AccessLog>,
}

/// A (category, purpose) whose position in the decision table is remembered per policy, so
/// repeated checks skip the two hash lookups.
pub(crate) struct PreparedUse {
    category: String,
    purpose: String,
    /// `policy_serial << 32 | (pair + 1)`, with 0 in the low half for an undeclared use;
    /// 0 as a whole before the first lookup (serials start at 1).
    cached: AtomicU64,
}

impl PreparedUse {
    pub fn new(category: String, purpose: String) -> Self {
        PreparedUse {
            category,
            purpose,
            cached: AtomicU64::new(0),
        }
    }

    fn pair_in(&self, table: &Table) -> Option<usize> {
        let cached = self.cached.load(Ordering::Relaxed);
        if (cached >> 32) as u32 == table.policy_serial {
            return match cached as u32 {
                0 => None,
                slot => Some(slot as usize - 1),
            };
        }
        let pair = table.pair_of_ids(&self.category, &self.purpose);
        let slot = pair.map_or(0, |p| p as u64 + 1);
        self.cached.store(
            u64::from(table.policy_serial) << 32 | slot,
            Ordering::Relaxed,
        );
        pair
    }
}

impl Table {
    fn pair_of_ids(&self, category: &str, purpose: &str) -> Option<usize> {
        let c = self.policy.category_position(category)?;
        let p = self.policy.purpose_position(purpose)?;
        Some(self.policy.pair_index(c, p))
    }
}

/// The shared, swappable decision table and what `check` needs beside it.
pub(crate) struct Guard {
    table: RwLock<Option<Table>>,
    clock: Arc<dyn Clock>,
    utc_offset_minutes: AtomicI32,
    spill: Arc<Spill>,
    /// The local day on which the installed decisions expire because a birthday moves the
    /// user into another age group; `i64::MAX` when no such day is ahead.
    expires_on_day: AtomicI64,
    /// The decision epoch: moved on (SeqCst, under the table's write lock) by every install,
    /// so it equals the installed table's `serial`; `CLOSED_EPOCH` once closed or dropped.
    /// A foreign layer answering from a `DecisionSnapshot` reads it on every check, by its
    /// address, without a call. The cell is leaked on purpose: that layer may still read it
    /// after the `PrivacyKit` is freed, and it must then find `CLOSED_EPOCH`, never freed or
    /// reused memory. That costs 8 bytes per `PrivacyKit` ever opened in the process.
    epoch: &'static AtomicU64,
    /// Each policy installed since the guard was made, with the first serial it was in force
    /// under, oldest first: the policy that declared the pair of a `UseCount`. A few entries
    /// (policy updates are rare); kept for the life of the guard.
    policies: Mutex<Vec<(u64, Arc<Policy>)>>,
}

/// Runs a guard lookup so that a panic inside it refuses instead of unwinding into the app.
pub(crate) fn fail_closed(lookup: impl FnOnce() -> Decision) -> Decision {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(lookup))
        .unwrap_or(Decision::deny(DecisionReason::InternalError))
}

const NOT_DECLARED: Decision = Decision::deny(DecisionReason::NotDeclaredInPolicy);
const CLOSED: Decision = Decision::deny(DecisionReason::Closed);

impl Guard {
    pub fn new(clock: Arc<dyn Clock>, utc_offset_minutes: i32) -> Self {
        Guard {
            table: RwLock::new(None),
            clock,
            utc_offset_minutes: AtomicI32::new(utc_offset_minutes),
            spill: Arc::new(Spill::default()),
            expires_on_day: AtomicI64::new(i64::MAX),
            epoch: Box::leak(Box::new(AtomicU64::new(0))),
            policies: Mutex::new(Vec::new()),
        }
    }

    /// Where the decision epoch lives; valid for the life of the process (see `epoch`).
    pub fn epoch_address(&self) -> u64 {
        std::ptr::from_ref::<AtomicU64>(self.epoch) as usize as u64
    }

    /// Whether the installed decisions are out of date (a birthday crossed an age
    /// threshold). Reads the clock only while such a day is ahead.
    pub fn expired(&self) -> bool {
        let day = self.expires_on_day.load(Ordering::Relaxed);
        day != i64::MAX && self.today() >= day
    }

    pub fn set_utc_offset_minutes(&self, minutes: i32) {
        self.utc_offset_minutes.store(minutes, Ordering::Relaxed);
    }

    pub fn today(&self) -> i64 {
        local_day(
            self.clock.now_ms(),
            self.utc_offset_minutes.load(Ordering::Relaxed),
        )
    }

    /// Installs decisions computed from the current state. The use counters carry over while
    /// the policy stays the same; a new policy starts new ones and the old ones spill.
    pub fn install(
        &self,
        policy: &Arc<Policy>,
        consent: &ConsentBook,
        permissions: &[PermissionState],
        age: &Assessment,
    ) {
        let decisions = (0..policy.pair_count())
            .map(|pair| decide(policy, pair, consent, permissions, age))
            .collect();
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        // Installs run under the store lock while the state is open, and closing takes the
        // state first: nothing is installed once the epoch says closed.
        debug_assert_ne!(self.epoch.load(Ordering::SeqCst), CLOSED_EPOCH);
        let serial = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let (access, policy_serial) = match table.as_ref() {
            Some(current) if Arc::ptr_eq(&current.policy, policy) => {
                (current.access.clone(), current.policy_serial)
            }
            current => {
                self.policies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((serial, policy.clone()));
                (
                    Arc::new(AccessLog::new(policy.clone(), self.spill.clone())),
                    current.map_or(1, |t| t.policy_serial.wrapping_add(1).max(1)),
                )
            }
        };
        *table = Some(Table {
            policy: policy.clone(),
            policy_serial,
            serial,
            decisions,
            access,
        });
        self.expires_on_day
            .store(age.next_change_day.unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Builds the table from `state`, with the age rules as of today.
    pub fn rebuild(&self, state: &mut State) {
        state.age = age::assess(state.consent.declared(), &state.policy.info, self.today());
        self.install(
            &state.policy,
            &state.consent,
            &state.permission_states(),
            &state.age,
        );
    }

    /// Rebuilds the table from `state` if a birthday made it out of date. The caller holds
    /// `state`: this never takes the store lock.
    pub fn refresh(&self, state: &mut State) {
        if self.expired() {
            self.rebuild(state);
        }
    }

    /// Removes the table: every later `check` answers `Closed`, and so does every foreign
    /// layer reading the epoch.
    pub fn close(&self) {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        table.take();
        self.epoch.store(CLOSED_EPOCH, Ordering::SeqCst);
    }

    /// The installed table as one consistent copy, with the day its counts belong to;
    /// `None` once closed. Taken under the table's lock, so the serial, the decisions and
    /// the expiry belong to the same install.
    pub fn snapshot(&self) -> Option<DecisionSnapshot> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        let table = table.as_ref()?;
        let offset_ms = i64::from(self.utc_offset_minutes.load(Ordering::Relaxed)) * 60_000;
        let start_of = |day: i64| day.saturating_mul(MS_PER_DAY).saturating_sub(offset_ms);
        let day = self.today();
        let expires_on_day = self.expires_on_day.load(Ordering::Relaxed);
        let info = &table.policy.info;
        Some(DecisionSnapshot {
            serial: table.serial,
            categories: info.categories.iter().map(|c| c.id.clone()).collect(),
            purposes: info.purposes.iter().map(|p| p.id.clone()).collect(),
            decisions: table.decisions.clone(),
            day,
            day_ends_at_ms: start_of(day + 1),
            valid_until_ms: (expires_on_day != i64::MAX).then(|| start_of(expires_on_day)),
        })
    }

    /// Checks uses counted outside the core and turns them into access counts, each with
    /// the serial it was counted under: each names a serial this guard issued, a pair the
    /// policy in force under that serial declares, a day some time zone has reached (a day
    /// counted before the app moved the UTC offset west is after today's), and a count SQLite
    /// can hold. One bad entry refuses them all.
    pub fn accept_counts(&self, uses: &[UseCount]) -> Result<Vec<(u64, AccessCount)>> {
        let issued = self.epoch.load(Ordering::SeqCst);
        if issued == CLOSED_EPOCH {
            return Err(Error::Closed);
        }
        let latest_day = local_day(self.clock.now_ms(), MAX_UTC_OFFSET_MINUTES);
        let policies = self.policies.lock().unwrap_or_else(|e| e.into_inner());
        let mut accepted = Vec::with_capacity(uses.len());
        for (i, use_) in uses.iter().enumerate() {
            let refuse = |why: &str| Error::invalid_argument("uses", format!("entry {i}: {why}"));
            if use_.serial == 0 || use_.serial > issued {
                return Err(refuse("the serial was not issued by this PrivacyKit"));
            }
            if use_.day > latest_day {
                return Err(refuse("the day is in the future"));
            }
            if i64::try_from(use_.count).is_err() {
                return Err(refuse("the count is out of range"));
            }
            let policy = policies
                .iter()
                .rev()
                .find(|(first, _)| *first <= use_.serial)
                .map(|(_, policy)| policy)
                .ok_or_else(|| refuse("the serial was not issued by this PrivacyKit"))?;
            let declared = policy
                .category_position(&use_.category)
                .zip(policy.purpose_position(&use_.purpose))
                .and_then(|(c, p)| policy.processing_at(policy.pair_index(c, p)));
            if declared.is_none() {
                return Err(refuse(
                    "the policy does not declare this category and purpose",
                ));
            }
            if use_.count > 0 {
                let count = AccessCount {
                    day: use_.day,
                    category: use_.category.clone(),
                    purpose: use_.purpose.clone(),
                    count: use_.count,
                };
                accepted.push((use_.serial, count));
            }
        }
        Ok(accepted)
    }

    /// Adds uses counted outside the core to the counts the next write stores, after
    /// `accept_counts`. Never waits for the store: only for the spill's own lock, which also
    /// orders it with an erasure of the access report (`take_counts_for_erasure`), so counts
    /// taken before the erasure are dropped, as the core drops its own.
    pub fn record_counts(&self, uses: &[UseCount]) -> Result<()> {
        let accepted = self.accept_counts(uses)?;
        self.spill.push_taken_under(accepted);
        Ok(())
    }

    /// The decision for (category, purpose); `count` records an allowed use.
    pub fn check(&self, category: &str, purpose: &str, count: bool) -> Decision {
        self.decide_with(|table| table.pair_of_ids(category, purpose), count)
    }

    /// The same for a prepared use.
    pub fn check_prepared(&self, prepared: &PreparedUse, count: bool) -> Decision {
        self.decide_with(|table| prepared.pair_in(table), count)
    }

    fn decide_with(&self, pair: impl FnOnce(&Table) -> Option<usize>, count: bool) -> Decision {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        let Some(table) = table.as_ref() else {
            return CLOSED;
        };
        let Some(pair) = pair(table) else {
            return NOT_DECLARED;
        };
        let decision = table.decisions[pair];
        if decision.allowed && count {
            table.access.record(pair, self.today());
        }
        decision
    }

    /// Every use counted so far and not yet written, taken out for writing.
    pub fn take_unwritten_counts(&self) -> Vec<AccessCount> {
        if let Some(table) = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            table.access.spill_all();
        }
        self.spill.take()
    }

    /// Puts counts back after a failed write, so the next write carries them.
    pub fn return_unwritten_counts(&self, counts: Vec<AccessCount>) {
        self.spill.put_back(counts);
    }

    /// `take_unwritten_counts` for an erasure of the access report, which drops them: counts
    /// taken outside the core under the tables installed so far are dropped too, from now on.
    /// Called under the store lock, so no table is installed meanwhile. Returns what
    /// `undo_erasure` needs if the erasure fails.
    pub fn take_counts_for_erasure(&self) -> (Vec<AccessCount>, u64) {
        if let Some(table) = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            table.access.spill_all();
        }
        self.spill
            .take_for_erasure(self.epoch.load(Ordering::SeqCst))
    }

    /// After a failed erasure: the counts are kept again for the next write.
    pub fn undo_erasure(&self, counts: Vec<AccessCount>, previous: u64) {
        self.spill.undo_erasure(counts, previous);
    }
}

impl Drop for Guard {
    /// A freed `PrivacyKit` answers `Closed` through the epoch too.
    fn drop(&mut self) {
        self.epoch.store(CLOSED_EPOCH, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_policy;

    struct FixedClock;

    impl Clock for FixedClock {
        fn now_ms(&self) -> i64 {
            1_714_564_800_000 // 2024-05-01T12:00:00Z
        }
    }

    fn policy(requires_acceptance: bool) -> Arc<Policy> {
        let json = format!(
            r#"{{"format":1,"policy_id":"t","version":1,"effective_date":"2024-01-01",
            "controller":{{"name":"T"}},"minimum_age":13,"digital_consent_age":16,
            "unknown_age":"adult","requires_acceptance":{requires_acceptance},
            "categories":[{{"id":"diagnostics"}},{{"id":"billing","description":"Invoices"}}],
            "purposes":[{{"id":"service"}},{{"id":"analytics"}}],
            "processing":[
              {{"category":"diagnostics","purpose":"service","legal_basis":"contract"}},
              {{"category":"diagnostics","purpose":"analytics","legal_basis":"contract"}},
              {{"category":"billing","purpose":"service","legal_basis":"contract"}}]}}"#
        );
        Arc::new(parse_policy(&json).unwrap())
    }

    const ADULT: Assessment = Assessment {
        group: AgeGroup::Adult,
        protective: false,
        minimum_age: 13,
        digital_consent_age: 16,
        rule: None,
        next_change_day: None,
    };

    /// Installs alternate between a policy that refuses everything (not accepted) and one
    /// that allows every declared pair, so a snapshot's serial says which table it must hold.
    #[test]
    fn a_snapshot_is_one_install_and_its_serial_is_the_epoch_it_was_taken_under() {
        let guard = Arc::new(Guard::new(Arc::new(FixedClock), 0));
        let (refusing, allowing) = (policy(true), policy(false));
        let book = ConsentBook::default();
        guard.install(&refusing, &book, &[], &ADULT); // serial 1: odd serials refuse
        let epoch = |guard: &Guard| guard.epoch.load(Ordering::SeqCst);
        assert_eq!(epoch(&guard), 1);
        let installs = 2_000;
        let writer = {
            let guard = guard.clone();
            std::thread::spawn(move || {
                for i in 0..installs {
                    let policy = if i % 2 == 0 { &allowing } else { &refusing };
                    guard.install(policy, &ConsentBook::default(), &[], &ADULT);
                }
            })
        };
        let mut seen = 0;
        while !writer.is_finished() || seen == 0 {
            let before = epoch(&guard);
            let snapshot = guard.snapshot().unwrap();
            assert!(snapshot.serial >= before && snapshot.serial <= epoch(&guard));
            let allowed: Vec<bool> = snapshot.decisions.iter().map(|d| d.allowed).collect();
            let expected = if snapshot.serial % 2 == 1 {
                [false; 4]
            } else {
                [true, true, true, false] // billing/analytics is not declared
            };
            assert_eq!(allowed, expected, "serial {}", snapshot.serial);
            seen += 1;
        }
        writer.join().unwrap();
        assert_eq!(epoch(&guard), 1 + installs);
        assert_eq!(guard.snapshot().unwrap().serial, 1 + installs);

        guard.close();
        assert_eq!(epoch(&guard), CLOSED_EPOCH);
        assert!(guard.snapshot().is_none());
    }

    #[test]
    fn counts_are_checked_against_the_policy_of_their_serial() {
        let guard = Guard::new(Arc::new(FixedClock), 0);
        let book = ConsentBook::default();
        let first = policy(false);
        guard.install(&first, &book, &[], &ADULT); // serial 1
        guard.install(&first, &book, &[], &ADULT); // serial 2, same policy
        let narrower = {
            let json = first.canonical_json.replace(
                r#"{"category":"diagnostics","legal_basis":"contract","purpose":"analytics"},"#,
                "",
            );
            Arc::new(parse_policy(&json).unwrap())
        };
        assert_eq!(narrower.info.processing.len(), 2, "the pair was removed");
        guard.install(&narrower, &book, &[], &ADULT); // serial 3
        let today = guard.today(); // noon UTC: UTC+14 is on the next day already
        let count = |serial| UseCount {
            serial,
            day: today,
            category: "diagnostics".into(),
            purpose: "analytics".into(),
            count: 1,
        };
        assert_eq!(guard.accept_counts(&[count(1), count(2)]).unwrap().len(), 2);
        assert!(guard.accept_counts(&[count(3)]).is_err());
        assert!(guard.accept_counts(&[count(4)]).is_err(), "not issued");

        // An erasure of the access report drops what was counted before it, and only that.
        guard.record_counts(&[count(2)]).unwrap();
        let (taken, previous) = guard.take_counts_for_erasure();
        assert_eq!(taken.len(), 1);
        guard.record_counts(&[count(2)]).unwrap(); // counted before the erasure: dropped
        assert!(guard.take_unwritten_counts().is_empty());
        // A failed erasure keeps what it took.
        guard.undo_erasure(taken, previous);
        assert_eq!(guard.take_unwritten_counts().len(), 1);
        let (_, _) = guard.take_counts_for_erasure();
        guard.install(&narrower, &book, &[], &ADULT); // serial 4, rebuilt after the erasure
        let narrower_use = UseCount {
            purpose: "service".into(),
            ..count(4)
        };
        guard.record_counts(&[narrower_use]).unwrap();
        assert_eq!(
            guard.take_unwritten_counts().len(),
            1,
            "counted after it: kept"
        );

        guard.close();
        assert!(matches!(guard.record_counts(&[]), Err(Error::Closed)));
    }
}
