//! What a ledger entry records and who made it. A leaf: the age rules name who declared the
//! user's facts with it.

use crate::stored_text::stored_as_text;

/// What one ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ConsentAction {
    Grant,
    Deny,
    Withdraw,
    /// Objects to legitimate-interest processing (switching such a use off).
    Object,
    WithdrawObjection,
    /// Restricts all processing that is not essential (GDPR art. 18).
    Restrict,
    LiftRestriction,
    /// Accepts the current policy version.
    AcceptPolicy,
    /// Declares (or corrects) the user's own facts: birth date or age, jurisdiction. The
    /// entry's `detail` holds them.
    DeclareFacts,
}

impl ConsentAction {
    /// Actions about one purpose (optionally one category) rather than the whole policy.
    pub(crate) fn is_scoped(self) -> bool {
        !matches!(
            self,
            ConsentAction::Restrict
                | ConsentAction::LiftRestriction
                | ConsentAction::AcceptPolicy
                | ConsentAction::DeclareFacts
        )
    }
}

impl ConsentAction {
    /// Actions that only take permission away. They never wait for the keystore: a sealed
    /// ledger takes them unsealed while the key is not at hand (see `consent::seal`), since
    /// one forged by a writer of the file could only refuse more.
    pub(crate) fn only_narrows(self) -> bool {
        matches!(
            self,
            ConsentAction::Deny
                | ConsentAction::Withdraw
                | ConsentAction::Object
                | ConsentAction::Restrict
        )
    }
}

stored_as_text!(ConsentAction {
    Grant => "grant",
    Deny => "deny",
    Withdraw => "withdraw",
    Object => "object",
    WithdrawObjection => "withdraw_objection",
    Restrict => "restrict",
    LiftRestriction => "lift_restriction",
    AcceptPolicy => "accept_policy",
    DeclareFacts => "declare_facts",
});

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentSource {
    User,
    /// A parent or guardian, for a child's account.
    Guardian,
    /// A default the app applied.
    Default,
    /// Carried over from an earlier system.
    Migration,
    /// Imported from a TC string another consent tool wrote (a web view, say); the entry's
    /// `detail` names the CMP and the vendor list it was written with.
    TcString,
}

stored_as_text!(ConsentSource {
    User => "user",
    Guardian => "guardian",
    Default => "default",
    Migration => "migration",
    TcString => "tc_string",
});
