//! What the guard hands to a layer that answers checks on its own side of the FFI (the Kotlin
//! `FastGuard`), and what that layer gives back.
//!
//! A call through the generated bindings costs tens of microseconds on the JVM, a thousand
//! times the guard's own work. So the guard hands over its whole decision table once
//! (`DecisionSnapshot`), and publishes a decision epoch: one `u64` in memory that the foreign
//! layer reads on every check without a call. The epoch changes on every rebuild of the
//! table and on close; while it equals the snapshot's `serial`, the snapshot holds the
//! answers the guard itself would give. Uses that layer counts come back as `UseCount`s, by
//! `record_uses` or when the core asks its `UseCountSource` before a flush or a close.

use crate::decision::Decision;

/// The value of the decision epoch once the `PrivacyKit` is closed or freed: every answer is
/// then `Closed`. No table is ever installed under it.
pub(crate) const CLOSED_EPOCH: u64 = u64::MAX;

/// The guard's decision table at one moment, as one consistent copy.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DecisionSnapshot {
    /// Which rebuild of the table this is. While the decision epoch (see
    /// `decision_epoch_address`) equals it, these are the guard's current answers; every
    /// change of state, policy or UTC offset moves the epoch on.
    pub serial: u64,
    /// The policy's category ids, in table order.
    pub categories: Vec<String>,
    /// The policy's purpose ids, in table order.
    pub purposes: Vec<String>,
    /// One decision per (category, purpose), category-major: the pair (c, p) is at
    /// `c * purposes.len() + p`. Pairs the policy does not declare are `NotDeclaredInPolicy`.
    pub decisions: Vec<Decision>,
    /// The local day that uses counted now belong to, as days since 1970-01-01 in the UTC
    /// offset the app configured.
    pub day: i64,
    /// When `day` ends (milliseconds since the Unix epoch): uses after it belong to the next
    /// day, and a new snapshot is needed to count them.
    pub day_ends_at_ms: i64,
    /// When these decisions stop being valid because of time alone (milliseconds since the
    /// Unix epoch): the start of the local day on which a birthday moves the user into
    /// another age group. `None` while no such day is ahead.
    pub valid_until_ms: Option<i64>,
}

/// Allowed uses of one (category, purpose), counted outside the core under one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UseCount {
    /// The `serial` of the snapshot that allowed the uses: it names the policy that declared
    /// the pair, and counts gathered before the access report was erased are dropped.
    pub serial: u64,
    /// The snapshot's `day`: the local day the uses happened on.
    pub day: i64,
    pub category: String,
    pub purpose: String,
    pub count: u64,
}

/// Implemented by a layer that counts uses on its own side (the Kotlin `FastGuard`), so the
/// core can collect them whenever it writes its own counts: before every write (a change,
/// `flush`, `access_report`, `export_personal_data`, `close_store`) and when the
/// `PrivacyKit` is freed. They then land in the same transaction as the core's, and an
/// erasure of the access report drops them as it drops the core's.
///
/// Called with no PrivacyKit lock held, on the thread that writes. It must return quickly
/// and must not wait on anything another thread may hold while it calls into PrivacyKit:
/// taking the counts out of lock-free counters is what it is for.
#[uniffi::export(foreign)]
pub trait UseCountSource: Send + Sync {
    /// The counts gathered since the last call; from then on they are the core's.
    fn take_use_counts(&self) -> Vec<UseCount>;
}
