//! The guard: "may I use this data for this purpose now?", answered from memory.
//!
//! Every durable change rebuilds a dense table holding the decision for each declared
//! (category, purpose) pair. `check` reads that table under a shared lock: two hash lookups
//! and one array read, no SQL and no allocation.

pub(crate) mod access_log;
mod data_use;
pub(crate) mod report;

pub use data_use::DataUse;

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use access_log::{AccessCount, AccessLog, Spill};

use crate::consent::{ConsentBook, ConsentChoice};
use crate::permissions::{LocationAccuracy, OsPermission, PermissionState, PermissionStatus};
use crate::policy::{LegalBasis, Policy};
use crate::time::{local_day, Clock};

/// Why the guard decided as it did; each case is one a UI can explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecisionReason {
    /// Allowed on this legal basis.
    Permitted { basis: LegalBasis },
    /// Allowed, but the OS gives access to part of the data only (limited contacts).
    PermittedWithLimitedAccess { basis: LegalBasis },
    /// The policy does not declare this category, this purpose or this pair.
    NotDeclaredInPolicy,
    /// The user has not accepted the current policy version.
    PolicyNotAccepted,
    /// The user restricted all non-essential processing.
    RestrictedByUser,
    /// The user objected to this legitimate-interest use (switched it off).
    ObjectedByUser,
    /// This use needs consent and the user was never asked.
    NeedsConsent,
    /// The user said no when asked.
    ConsentDenied,
    /// The user gave consent and took it back.
    ConsentWithdrawn,
    /// The OS permission was never requested: ask for it.
    OsPermissionNotRequested { permission: OsPermission },
    /// The OS permission is denied and may still be requested.
    OsPermissionDenied { permission: OsPermission },
    /// The OS permission is denied and only the system Settings app can change it.
    BlockedInSettings { permission: OsPermission },
    /// Parental controls or device management forbid the OS permission.
    OsPermissionRestricted { permission: OsPermission },
    /// This use needs precise location and the OS granted approximate location only.
    ApproximateLocationOnly,
    /// The `PrivacyKit` was closed.
    Closed,
    /// PrivacyKit failed inside; it refuses rather than guess.
    InternalError,
}

/// The guard's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Decision {
    pub allowed: bool,
    pub reason: DecisionReason,
}

impl Decision {
    const fn deny(reason: DecisionReason) -> Self {
        Decision {
            allowed: false,
            reason,
        }
    }
}

/// Decides one declared pair from the current state. Order matters: the first reason that
/// stops the use is the one the user can act on first (in-app choices before OS prompts).
pub(crate) fn decide(
    policy: &Policy,
    pair: usize,
    consent: &ConsentBook,
    permissions: &[PermissionState],
) -> Decision {
    use DecisionReason::*;
    let Some(processing) = policy.processing_at(pair) else {
        return Decision::deny(NotDeclaredInPolicy);
    };
    let basis = processing.legal_basis;
    let (category, purpose) = (processing.category.as_str(), processing.purpose.as_str());

    let accepted = !policy.info.requires_acceptance
        || consent.accepted_policy_version() == Some(policy.version());
    if !accepted && !basis.needs_no_acceptance() {
        return Decision::deny(PolicyNotAccepted);
    }
    if consent.restricted() && !basis.is_essential() {
        return Decision::deny(RestrictedByUser);
    }
    match basis {
        LegalBasis::Consent => match consent.choice(category, purpose) {
            Some(ConsentChoice::Granted) => {}
            Some(ConsentChoice::Denied) => return Decision::deny(ConsentDenied),
            Some(ConsentChoice::Withdrawn) => return Decision::deny(ConsentWithdrawn),
            None => return Decision::deny(NeedsConsent),
        },
        LegalBasis::LegitimateInterest if consent.objects(category, purpose) => {
            return Decision::deny(ObjectedByUser)
        }
        _ => {}
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
        }
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
    ) {
        let decisions = (0..policy.pair_count())
            .map(|pair| decide(policy, pair, consent, permissions))
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
