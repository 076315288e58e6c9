//! Consent: the append-only ledger of the user's choices, and the state derived from it.

pub(crate) mod action;
pub(crate) mod compaction;
pub(crate) mod db;
pub(crate) mod ledger;
pub(crate) mod seal;
pub(crate) mod stored;

use std::collections::HashMap;

pub use action::{ConsentAction, ConsentSource};

use crate::age::{Declared, UserFacts};
use crate::error::{Error, Result};
use crate::policy::Policy;

/// A change the app asks PrivacyKit to record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentChange {
    pub action: ConsentAction,
    /// Required for grant, deny, withdraw, object and withdraw_objection; absent otherwise.
    pub purpose: Option<String>,
    /// Narrows the change to one category; absent means every category of the purpose.
    pub category: Option<String>,
    pub source: ConsentSource,
}

/// One row of the consent ledger.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerEntry {
    /// 1, 2, 3, ... with no gaps.
    pub seq: u64,
    pub time_ms: i64,
    pub policy_version: u32,
    pub action: ConsentAction,
    pub purpose: Option<String>,
    pub category: Option<String>,
    pub source: ConsentSource,
    /// What a `DeclareFacts` entry declared, as JSON; absent for every other action.
    pub detail: Option<String>,
    /// SHA-256 over this entry and the previous entry's hash, in hex.
    pub hash: String,
}

/// The user's answer for one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentChoice {
    Granted,
    Denied,
    Withdrawn,
}

/// One scope's current choice, for a "Your choices" screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScopedChoice {
    pub purpose: String,
    pub category: Option<String>,
    pub choice: ConsentChoice,
    /// The ledger entry that made it.
    pub seq: u64,
}

/// One scope the user objected to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScopedObjection {
    pub purpose: String,
    pub category: Option<String>,
    pub seq: u64,
}

/// Everything the ledger currently says.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentState {
    pub choices: Vec<ScopedChoice>,
    pub objections: Vec<ScopedObjection>,
    pub restricted: bool,
    pub accepted_policy_version: Option<u32>,
    pub ledger_length: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    purpose: String,
    category: Option<String>,
}

/// A scope's newest choice and the entry that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recorded<T> {
    pub seq: u64,
    pub value: T,
    pub source: ConsentSource,
    /// The policy version the user saw when choosing.
    pub policy_version: u32,
}

/// The part of the state one entry sets. An entry stays in force until a newer entry sets the
/// same slot; `ConsentBook::apply` and ledger compaction agree on this through `slot`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    Choice(Option<String>, Option<String>),
    Objection(Option<String>, Option<String>),
    Restriction,
    AcceptedPolicy,
    DeclaredFacts,
}

/// The slot `entry` sets, or `None` for an entry that sets nothing (a declaration whose
/// detail no longer parses).
pub(crate) fn slot(entry: &LedgerEntry) -> Option<Slot> {
    let scope = || (entry.purpose.clone(), entry.category.clone());
    Some(match entry.action {
        ConsentAction::Grant | ConsentAction::Deny | ConsentAction::Withdraw => {
            let (purpose, category) = scope();
            Slot::Choice(purpose, category)
        }
        ConsentAction::Object | ConsentAction::WithdrawObjection => {
            let (purpose, category) = scope();
            Slot::Objection(purpose, category)
        }
        ConsentAction::Restrict | ConsentAction::LiftRestriction => Slot::Restriction,
        ConsentAction::AcceptPolicy => Slot::AcceptedPolicy,
        ConsentAction::DeclareFacts => {
            declared_facts(entry)?;
            Slot::DeclaredFacts
        }
    })
}

/// The facts a `DeclareFacts` entry declared. The detail was validated before it was
/// written; a row that no longer parses (a hand edit) declares nothing.
fn declared_facts(entry: &LedgerEntry) -> Option<UserFacts> {
    entry
        .detail
        .as_deref()
        .and_then(|json| serde_json::from_str::<UserFacts>(json).ok())
}

/// The state derived from the ledger, updated entry by entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConsentBook {
    choices: HashMap<Scope, Recorded<ConsentChoice>>,
    objections: HashMap<Scope, Recorded<bool>>,
    restricted: bool,
    accepted_policy_version: Option<u32>,
    declared: Option<Declared>,
    head: ledger::Head,
    /// The newest time among the entries applied: when the choices in force were last made,
    /// which is what a TC string's LastUpdated says.
    latest_ms: i64,
    /// Set when the ledger behind this state failed verification after it was loaded: the
    /// guard then uses none of it.
    unverified: bool,
}

impl ConsentBook {
    pub fn head(&self) -> &ledger::Head {
        &self.head
    }

    /// See `latest_ms`; 0 before any entry.
    pub fn latest_ms(&self) -> i64 {
        self.latest_ms
    }

    pub fn restricted(&self) -> bool {
        self.restricted
    }

    /// Whether the ledger behind this state failed verification (see `mark_unverified`).
    pub fn unverified(&self) -> bool {
        self.unverified
    }

    /// Marks this state as coming from a ledger that no longer verifies.
    pub fn mark_unverified(&mut self) {
        self.unverified = true;
    }

    pub fn accepted_policy_version(&self) -> Option<u32> {
        self.accepted_policy_version
    }

    /// The user's facts as last declared.
    pub fn declared(&self) -> Option<&Declared> {
        self.declared.as_ref()
    }

    /// Folds one entry (already chained by `ledger::chain`) into the state.
    pub fn apply(&mut self, entry: &LedgerEntry, hash: [u8; 32]) {
        let scope = || Scope {
            purpose: entry.purpose.clone().unwrap_or_default(),
            category: entry.category.clone(),
        };
        fn recorded<T>(entry: &LedgerEntry, value: T) -> Recorded<T> {
            Recorded {
                seq: entry.seq,
                value,
                source: entry.source,
                policy_version: entry.policy_version,
            }
        }
        match entry.action {
            ConsentAction::Grant => {
                self.choices
                    .insert(scope(), recorded(entry, ConsentChoice::Granted));
            }
            ConsentAction::Deny => {
                self.choices
                    .insert(scope(), recorded(entry, ConsentChoice::Denied));
            }
            ConsentAction::Withdraw => {
                self.choices
                    .insert(scope(), recorded(entry, ConsentChoice::Withdrawn));
            }
            ConsentAction::Object => {
                self.objections.insert(scope(), recorded(entry, true));
            }
            ConsentAction::WithdrawObjection => {
                self.objections.insert(scope(), recorded(entry, false));
            }
            ConsentAction::Restrict => self.restricted = true,
            ConsentAction::LiftRestriction => self.restricted = false,
            ConsentAction::AcceptPolicy => {
                self.accepted_policy_version = Some(entry.policy_version)
            }
            ConsentAction::DeclareFacts => {
                // A row that no longer parses leaves the earlier declaration in force.
                if let Some(facts) = declared_facts(entry) {
                    self.declared = Some(Declared {
                        facts,
                        source: entry.source,
                    });
                }
            }
        }
        self.head = ledger::Head {
            seq: entry.seq,
            hash,
        };
        self.latest_ms = self.latest_ms.max(entry.time_ms);
    }

    /// Continues after a compacted summary: its standing entries were applied, and the next
    /// entry chains to the summary's link rather than to the newest standing entry.
    pub fn continue_from(&mut self, through: ledger::Head, through_time_ms: i64) {
        self.head = through;
        // The summary's last entry may be one compaction dropped (a lifted restriction, say);
        // the choices in force were still last changed then.
        self.latest_ms = self.latest_ms.max(through_time_ms);
    }

    /// The choice that covers (category, purpose): the newer of the category's own entry and
    /// the purpose-wide one, so "withdraw marketing" also ends an earlier narrower grant.
    pub fn choice(&self, category: &str, purpose: &str) -> Option<Recorded<ConsentChoice>> {
        newest(&self.choices, category, purpose)
    }

    /// Whether the user objects to (category, purpose), by the same newest-wins rule.
    pub fn objects(&self, category: &str, purpose: &str) -> bool {
        newest(&self.objections, category, purpose).is_some_and(|r| r.value)
    }

    pub fn public_state(&self) -> ConsentState {
        let mut choices: Vec<ScopedChoice> = self
            .choices
            .iter()
            .map(|(scope, recorded)| ScopedChoice {
                purpose: scope.purpose.clone(),
                category: scope.category.clone(),
                choice: recorded.value,
                seq: recorded.seq,
            })
            .collect();
        choices.sort_by_key(|c| c.seq);
        let mut objections: Vec<ScopedObjection> = self
            .objections
            .iter()
            .filter(|(_, recorded)| recorded.value)
            .map(|(scope, recorded)| ScopedObjection {
                purpose: scope.purpose.clone(),
                category: scope.category.clone(),
                seq: recorded.seq,
            })
            .collect();
        objections.sort_by_key(|o| o.seq);
        ConsentState {
            choices,
            objections,
            restricted: self.restricted,
            accepted_policy_version: self.accepted_policy_version,
            ledger_length: self.head.seq,
        }
    }
}

fn newest<T: Copy>(
    map: &HashMap<Scope, Recorded<T>>,
    category: &str,
    purpose: &str,
) -> Option<Recorded<T>> {
    // Allocation-free lookups would need a borrowed key type; these run only when the guard's
    // table is rebuilt after a change, never on the check() path.
    let narrow = map.get(&Scope {
        purpose: purpose.to_owned(),
        category: Some(category.to_owned()),
    });
    let wide = map.get(&Scope {
        purpose: purpose.to_owned(),
        category: None,
    });
    match (narrow, wide) {
        (Some(n), Some(w)) => Some(if n.seq > w.seq { *n } else { *w }),
        (Some(n), None) => Some(*n),
        (None, Some(w)) => Some(*w),
        (None, None) => None,
    }
}

/// Checks a requested change against the policy before anything is written.
pub(crate) fn validate_change(change: &ConsentChange, policy: &Policy) -> Result<()> {
    if change.action == ConsentAction::DeclareFacts {
        return Err(Error::invalid_argument(
            "action",
            "facts are declared with declare_user_facts, which carries them",
        ));
    }
    if !change.action.is_scoped() {
        if change.purpose.is_some() || change.category.is_some() {
            return Err(Error::invalid_argument(
                "purpose",
                format!(
                    "`{}` applies to the whole policy and takes no purpose or category",
                    change.action.as_str()
                ),
            ));
        }
        return Ok(());
    }
    let purpose = change.purpose.as_deref().ok_or_else(|| {
        Error::invalid_argument(
            "purpose",
            format!("`{}` needs a purpose", change.action.as_str()),
        )
    })?;
    let p = policy.purpose_position(purpose).ok_or_else(|| {
        Error::invalid_argument(
            "purpose",
            format!("the policy declares no purpose `{}`", printable(purpose)),
        )
    })?;
    if let Some(category) = change.category.as_deref() {
        let c = policy.category_position(category).ok_or_else(|| {
            Error::invalid_argument(
                "category",
                format!("the policy declares no category `{}`", printable(category)),
            )
        })?;
        if policy.processing_at(policy.pair_index(c, p)).is_none() {
            return Err(Error::invalid_argument(
                "category",
                format!("the policy does not process `{category}` for `{purpose}`"),
            ));
        }
    }
    Ok(())
}

/// An identifier the app passed that the policy does not know: echo it only if it looks like
/// an identifier, never arbitrary text that might be personal data.
fn printable(id: &str) -> &str {
    let looks_like_id = id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if looks_like_id {
        id
    } else {
        "<not an identifier>"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, action: ConsentAction, category: Option<&str>) -> LedgerEntry {
        LedgerEntry {
            seq,
            time_ms: 0,
            policy_version: 1,
            action,
            purpose: Some("marketing".into()),
            category: category.map(str::to_owned),
            source: ConsentSource::User,
            detail: None,
            hash: String::new(),
        }
    }

    #[test]
    fn the_newest_covering_entry_wins() {
        let mut book = ConsentBook::default();
        book.apply(&entry(1, ConsentAction::Grant, None), [0; 32]);
        book.apply(&entry(2, ConsentAction::Deny, Some("location")), [0; 32]);
        let choice = |c, p| book.choice(c, p).map(|r| r.value);
        assert_eq!(choice("location", "marketing"), Some(ConsentChoice::Denied));
        assert_eq!(
            choice("contacts", "marketing"),
            Some(ConsentChoice::Granted)
        );
        book.apply(&entry(3, ConsentAction::Withdraw, None), [0; 32]);
        let choice = |c, p| book.choice(c, p).map(|r| r.value);
        assert_eq!(
            choice("location", "marketing"),
            Some(ConsentChoice::Withdrawn)
        );
        assert_eq!(choice("location", "analytics"), None);
        assert_eq!(book.head().seq, 3);
    }

    #[test]
    fn objections_can_be_withdrawn() {
        let mut book = ConsentBook::default();
        book.apply(&entry(1, ConsentAction::Object, None), [0; 32]);
        assert!(book.objects("location", "marketing"));
        book.apply(
            &entry(2, ConsentAction::WithdrawObjection, Some("location")),
            [0; 32],
        );
        assert!(!book.objects("location", "marketing"));
        assert!(book.objects("contacts", "marketing"));
        assert_eq!(book.public_state().objections.len(), 1);
    }

    #[test]
    fn unknown_text_is_not_echoed() {
        assert_eq!(printable("marketing"), "marketing");
        assert_eq!(printable("Anna +7 912"), "<not an identifier>");
    }
}
