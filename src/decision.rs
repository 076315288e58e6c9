//! The guard's answer and its reasons: the vocabulary every layer shares. A leaf: it names
//! nothing above the OS permissions it can refer to.

use crate::permissions::os::OsPermission;

/// Why processing is lawful (GDPR art. 6(1)); it decides what the guard asks of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Needs an explicit grant; never on by default.
    Consent,
    /// Needed to provide the service the user asked for.
    Contract,
    /// Required by law.
    LegalObligation,
    /// Allowed until the user objects.
    LegitimateInterest,
    /// Protects someone's life.
    VitalInterest,
    /// A task in the public interest.
    PublicTask,
}

impl LegalBasis {
    /// The basis as the policy document writes it (`legitimate_interest`).
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegalObligation => "legal_obligation",
            LegalBasis::LegitimateInterest => "legitimate_interest",
            LegalBasis::VitalInterest => "vital_interest",
            LegalBasis::PublicTask => "public_task",
        }
    }

    /// Processing that a user's restriction does not stop: the service itself, the law,
    /// someone's life.
    pub(crate) fn is_essential(self) -> bool {
        matches!(
            self,
            LegalBasis::Contract | LegalBasis::LegalObligation | LegalBasis::VitalInterest
        )
    }

    /// Processing that runs even before the user accepted the policy.
    pub(crate) fn needs_no_acceptance(self) -> bool {
        matches!(
            self,
            LegalBasis::LegalObligation | LegalBasis::VitalInterest
        )
    }
}

/// Why the guard decided as it did; each case is one a UI can explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecisionReason {
    /// Allowed on this legal basis.
    Permitted { basis: LegalBasis },
    /// Allowed, but the OS gives access to part of the data only (limited contacts).
    PermittedWithLimitedAccess { basis: LegalBasis },
    /// The policy does not declare this category, this purpose or this pair.
    NotDeclaredInPolicy,
    /// The user has not accepted the policy, or accepted a version whose terms for this use
    /// have since changed materially.
    PolicyNotAccepted,
    /// The user is younger than the policy's minimum age: only the service itself runs.
    BelowMinimumAge,
    /// The user restricted all non-essential processing.
    RestrictedByUser,
    /// The user objected to this legitimate-interest use (switched it off).
    ObjectedByUser,
    /// Advertising and profiling are never allowed for minors (nor, under the protective
    /// defaults, for a user whose age was never declared).
    NotAllowedForMinors,
    /// The user is below the age of digital consent (or their age is unknown): this use
    /// needs a guardian's consent.
    NeedsGuardianConsent,
    /// This use needs consent and the user was never asked.
    NeedsConsent,
    /// The user consented under terms that have since changed materially: ask again
    /// (`pending_reconsent` says what changed).
    ReconsentNeeded,
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
    /// Everything allows the advertising identifier, but the OS gave none (or a zeroed one).
    AdvertisingIdUnavailable,
    /// The consent ledger failed verification under the key provider's seal (edited, cut
    /// short or sealed by another key): no use is allowed on choices that cannot be trusted.
    /// The app tells the user and calls `set_aside_unverified_ledger` to start afresh.
    LedgerUnverified,
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
    pub(crate) const fn deny(reason: DecisionReason) -> Self {
        Decision {
            allowed: false,
            reason,
        }
    }
}
