//! The guard: "may I use this data for this purpose now?", answered from memory.
//!
//! Every durable change rebuilds a dense table holding the decision for each declared
//! (category, purpose) pair. `check` reads that table under a shared lock: two hash lookups
//! and one array read, no SQL and no allocation.

pub(crate) mod access_log;

use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::access_report::AccessCount;
use access_log::{AccessLog, Spill};

use crate::age::{self, AgeGroup, Assessment};
use crate::consent::{
    ConsentAction, ConsentBook, ConsentChoice, ConsentSource, LedgerEntry, Recorded,
};
use crate::decision::{Decision, DecisionReason, LegalBasis};
use crate::permissions::{LocationAccuracy, PermissionState, PermissionStatus};
use crate::policy::Policy;
use crate::state::State;
use crate::time::{local_day, Clock};

/// The purpose of providing the service itself: the one purpose the age rules never stop.
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
    if age.group == AgeGroup::BelowMinimumAge && beyond_service {
        return Decision::deny(BelowMinimumAge);
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
            PermissionStatus::Limited => limited = true,
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
    let mut after: ConsentBook = state.consent.clone();
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
        }
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
        let (access, policy_serial) = match table.as_ref() {
            Some(current) if Arc::ptr_eq(&current.policy, policy) => {
                (current.access.clone(), current.policy_serial)
            }
            current => (
                Arc::new(AccessLog::new(policy.clone(), self.spill.clone())),
                current.map_or(1, |t| t.policy_serial.wrapping_add(1).max(1)),
            ),
        };
        *table = Some(Table {
            policy: policy.clone(),
            policy_serial,
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

    /// Removes the table: every later `check` answers `Closed`.
    pub fn close(&self) {
        self.table.write().unwrap_or_else(|e| e.into_inner()).take();
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
}
