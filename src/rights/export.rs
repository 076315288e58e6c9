//! Access and portability: everything PrivacyKit keeps about the user, as one JSON document
//! in a versioned format (`export.schema.json` beside this file describes every field).
//!
//! Field names are stable within a format version; a change that removes or renames a field
//! raises `format_version`. Secrets (tokens, keys) are never exported.

use serde::Serialize;

use crate::access_report as report;
use crate::age::{self, AgeGroup, UserFacts};
use crate::consent::compaction::Summary;
use crate::consent::{self, ConsentAction, ConsentSource, LedgerEntry};
use crate::decision::DecisionReason;
use crate::error::{Error, Result};
use crate::guard::decide;
use crate::install_id;
use crate::permissions;
use crate::policy::Policy;
use crate::state::State;
use crate::vault;

pub(crate) const EXPORT_FORMAT: &str = "privacykit-export";
pub(crate) const EXPORT_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Export<'a> {
    format: &'static str,
    format_version: u32,
    generated_at_ms: i64,
    controller: Controller<'a>,
    policy: PolicyRef<'a>,
    install_id: Option<String>,
    user_facts: Option<&'a UserFacts>,
    age: Age,
    processing: Processing,
    decisions: Vec<DecisionOut<'a>>,
    permissions: Vec<PermissionOut>,
    consent_receipts: Vec<Receipt<'a>>,
    consent_compaction: Option<Compaction>,
    unverified_consent_history: Vec<SetAsideOut>,
    linked_accounts: Vec<vault::db::ExportedAccount>,
    discovery: crate::discovery::DiscoverySummary,
    access_report: Vec<report::AccessReportRow>,
    advertising: Advertising,
    retention_events: Vec<crate::retention_events::RetentionEventRecord>,
    declared_practices: DeclaredPractices<'a>,
}

/// What the policy declares about processing the device cannot see: shown so the user can
/// hold the app to it, not enforced by PrivacyKit.
#[derive(Serialize)]
struct DeclaredPractices<'a> {
    acceptance: crate::policy::Acceptance,
    recipients: Vec<RecipientOut<'a>>,
    commitments: &'a [crate::policy::Commitment],
    app_retention: &'a [crate::policy::AppRetentionRule],
}

#[derive(Serialize)]
struct RecipientOut<'a> {
    id: &'a str,
    name: &'a str,
    kind: crate::policy::RecipientKind,
    country: Option<&'a str>,
    transfers: &'a [crate::policy::Transfer],
}

/// A ledger record set aside because the ledger did not verify: the user's history as the
/// file held it, which proves nothing.
#[derive(Serialize)]
struct SetAsideOut {
    set_aside_at_ms: i64,
    reason: String,
    origin: String,
    stored: serde_json::Value,
}

#[derive(Serialize)]
struct Controller<'a> {
    name: &'a str,
    contact: Option<&'a str>,
}

#[derive(Serialize)]
struct PolicyRef<'a> {
    policy_id: &'a str,
    version: u32,
    accepted_version: Option<u32>,
}

#[derive(Serialize)]
struct Age {
    group: &'static str,
    protective_defaults: bool,
    minimum_age: u8,
    digital_consent_age: u8,
    declared_by: Option<&'static str>,
}

#[derive(Serialize)]
struct Processing {
    restricted: bool,
    choices: Vec<ChoiceOut>,
    objections: Vec<ObjectionOut>,
}

#[derive(Serialize)]
struct ChoiceOut {
    purpose: String,
    category: Option<String>,
    choice: &'static str,
    receipt_id: u64,
}

#[derive(Serialize)]
struct ObjectionOut {
    purpose: String,
    category: Option<String>,
    receipt_id: u64,
}

#[derive(Serialize)]
struct DecisionOut<'a> {
    category: &'a str,
    purpose: &'a str,
    legal_basis: &'static str,
    allowed: bool,
    reason: &'static str,
}

#[derive(Serialize)]
struct PermissionOut {
    permission: &'static str,
    status: &'static str,
    accuracy: Option<&'static str>,
    history: Vec<PermissionEventOut>,
}

#[derive(Serialize)]
struct PermissionEventOut {
    time_ms: i64,
    kind: &'static str,
    status: &'static str,
    accuracy: Option<&'static str>,
}

/// One ledger entry as a consent receipt, with fields after ISO/IEC TS 27560: who (the
/// controller; the subject is this installation's user), what (action, categories), why
/// (purpose, legal basis), under which policy version, when, and how (method).
#[derive(Serialize)]
struct Receipt<'a> {
    receipt_id: u64,
    timestamp_ms: i64,
    controller: &'a str,
    action: &'static str,
    purpose: Option<String>,
    category: Option<String>,
    legal_bases: Vec<&'static str>,
    policy_version: u32,
    method: &'static str,
    detail: Option<serde_json::Value>,
    proof_sha256: String,
}

/// Where the ledger was compacted (retention `consent_records`): receipts up to
/// `through_receipt_id` are only those still in force.
#[derive(Serialize)]
struct Compaction {
    through_receipt_id: u64,
    through_timestamp_ms: i64,
    compacted_at_ms: i64,
}

#[derive(Serialize)]
struct Advertising {
    advertising_id_reported: bool,
}

/// A stable snake_case code for each reason (the permission, where there is one, is the
/// `permissions` entry of the same category).
pub(crate) fn reason_code(reason: DecisionReason) -> &'static str {
    use DecisionReason::*;
    match reason {
        Permitted { .. } => "permitted",
        PermittedWithLimitedAccess { .. } => "permitted_with_limited_access",
        NotDeclaredInPolicy => "not_declared_in_policy",
        PolicyNotAccepted => "policy_not_accepted",
        BelowMinimumAge => "below_minimum_age",
        RestrictedByUser => "restricted_by_user",
        ObjectedByUser => "objected_by_user",
        NotAllowedForMinors => "not_allowed_for_minors",
        NeedsGuardianConsent => "needs_guardian_consent",
        NeedsConsent => "needs_consent",
        ReconsentNeeded => "reconsent_needed",
        ConsentDenied => "consent_denied",
        ConsentWithdrawn => "consent_withdrawn",
        OsPermissionNotRequested { .. } => "os_permission_not_requested",
        OsPermissionDenied { .. } => "os_permission_denied",
        BlockedInSettings { .. } => "blocked_in_settings",
        OsPermissionRestricted { .. } => "os_permission_restricted",
        ApproximateLocationOnly => "approximate_location_only",
        AdvertisingIdUnavailable => "advertising_id_unavailable",
        LedgerUnverified => "ledger_unverified",
        Closed => "closed",
        InternalError => "internal_error",
    }
}

fn group_str(group: AgeGroup) -> &'static str {
    match group {
        AgeGroup::Adult => "adult",
        AgeGroup::Minor => "minor",
        AgeGroup::BelowMinimumAge => "below_minimum_age",
        AgeGroup::Unknown => "unknown",
    }
}

/// How the choice was expressed, in 27560's terms.
fn method(source: ConsentSource) -> &'static str {
    match source {
        ConsentSource::User => "user_in_app",
        ConsentSource::Guardian => "guardian_in_app",
        ConsentSource::Default => "app_default",
        ConsentSource::Migration => "migrated",
        ConsentSource::TcString => "tc_string_import",
    }
}

/// The legal bases of the uses an entry covers: the pair's, or every pair of the purpose.
fn bases(policy: &Policy, purpose: Option<&str>, category: Option<&str>) -> Vec<&'static str> {
    let Some(purpose) = purpose else {
        return Vec::new();
    };
    let mut bases: Vec<&'static str> = policy
        .info
        .processing
        .iter()
        .filter(|p| p.purpose == purpose && category.is_none_or(|c| p.category == c))
        .map(|p| p.legal_basis.as_str())
        .collect();
    bases.sort_unstable();
    bases.dedup();
    bases
}

/// Builds the export document as of `now_ms` (`today` is the local day).
pub(crate) fn export(core: &State, now_ms: i64, today: i64) -> Result<String> {
    let conn = core.store.conn();
    let policy = &core.policy;
    let info = &policy.info;
    let state = core.consent.public_state();
    let declared = core.consent.declared();
    let age = age::assess(declared, info, today);

    let summary = Summary::load(conn)?;
    let receipt = |entry: LedgerEntry| Receipt {
        receipt_id: entry.seq,
        timestamp_ms: entry.time_ms,
        controller: &info.controller_name,
        action: entry.action.as_str(),
        legal_bases: bases(policy, entry.purpose.as_deref(), entry.category.as_deref()),
        purpose: entry.purpose,
        category: entry.category,
        policy_version: entry.policy_version,
        method: method(entry.source),
        detail: match entry.action {
            ConsentAction::DeclareFacts | ConsentAction::AcceptPolicy => entry
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            _ => None,
        },
        proof_sha256: entry.hash,
    };
    // Compacted entries still in force first, then the rows after them: oldest first.
    let mut receipts: Vec<Receipt> = summary
        .iter()
        .flat_map(|s| s.standing.iter().cloned())
        .map(receipt)
        .collect();
    consent::db::for_each(conn, 0, u32::MAX, |row| {
        receipts.push(receipt(row?.entry));
        Ok(())
    })?;

    let history = permissions::db::load(conn, None)?;
    let permissions = core
        .permission_states()
        .into_iter()
        .map(|s| PermissionOut {
            permission: s.permission.as_str(),
            status: s.status.as_str(),
            accuracy: s.accuracy.map(|a| a.as_str()),
            history: history
                .iter()
                .filter(|e| e.permission == s.permission)
                .map(|e| PermissionEventOut {
                    time_ms: e.time_ms,
                    kind: e.kind.as_str(),
                    status: e.status.as_str(),
                    accuracy: e.accuracy.map(|a| a.as_str()),
                })
                .collect(),
        })
        .collect();

    let states = core.permission_states();
    let decisions = (0..policy.pair_count())
        .filter_map(|pair| {
            let processing = policy.processing_at(pair)?;
            let decision = decide(policy, pair, &core.consent, &states, &age);
            Some(DecisionOut {
                category: &processing.category,
                purpose: &processing.purpose,
                legal_basis: processing.legal_basis.as_str(),
                allowed: decision.allowed,
                reason: reason_code(decision.reason),
            })
        })
        .collect();

    let document = Export {
        format: EXPORT_FORMAT,
        format_version: EXPORT_FORMAT_VERSION,
        generated_at_ms: now_ms,
        controller: Controller {
            name: &info.controller_name,
            contact: info.controller_contact.as_deref(),
        },
        policy: PolicyRef {
            policy_id: &info.policy_id,
            version: info.version,
            accepted_version: state.accepted_policy_version,
        },
        // An unreadable id is left out rather than failing the whole export.
        install_id: match install_id::stored(conn) {
            Err(Error::CorruptRecord) => None,
            other => other?,
        },
        user_facts: declared.map(|d| &d.facts),
        age: Age {
            group: group_str(age.group),
            protective_defaults: age.protective,
            minimum_age: info.minimum_age,
            digital_consent_age: age.digital_consent_age,
            declared_by: declared.map(|d| d.source.as_str()),
        },
        processing: Processing {
            restricted: state.restricted,
            choices: state
                .choices
                .into_iter()
                .map(|c| ChoiceOut {
                    purpose: c.purpose,
                    category: c.category,
                    choice: match c.choice {
                        consent::ConsentChoice::Granted => "granted",
                        consent::ConsentChoice::Denied => "denied",
                        consent::ConsentChoice::Withdrawn => "withdrawn",
                    },
                    receipt_id: c.seq,
                })
                .collect(),
            objections: state
                .objections
                .into_iter()
                .map(|o| ObjectionOut {
                    purpose: o.purpose,
                    category: o.category,
                    receipt_id: o.seq,
                })
                .collect(),
        },
        decisions,
        permissions,
        consent_receipts: receipts,
        consent_compaction: summary.map(|s| Compaction {
            through_receipt_id: s.through.seq,
            through_timestamp_ms: s.through_time_ms,
            compacted_at_ms: s.compacted_at_ms,
        }),
        unverified_consent_history: consent::db::set_aside_records(conn)?
            .into_iter()
            .map(|r| SetAsideOut {
                set_aside_at_ms: r.set_aside_ms,
                reason: r.reason,
                origin: r.origin,
                stored: serde_json::from_str(&r.content).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
        linked_accounts: vault::db::exported_accounts(conn)?,
        discovery: crate::discovery::cache::summary(conn)?,
        access_report: report::load(conn, i64::MIN, i64::MAX)?,
        advertising: Advertising {
            advertising_id_reported: core.advertising_id.is_some(),
        },
        retention_events: crate::retention_events::recorded(conn)?,
        declared_practices: DeclaredPractices {
            acceptance: info.acceptance,
            recipients: info
                .recipients
                .iter()
                .map(|r| RecipientOut {
                    id: &r.id,
                    name: &r.name,
                    kind: r.kind,
                    country: r.country.as_deref(),
                    transfers: &r.transfers,
                })
                .collect(),
            commitments: &info.commitments,
            app_retention: &info.app_retention,
        },
    };
    serde_json::to_string_pretty(&document).map_err(|_| Error::Internal {
        reason: "the export could not be written as JSON",
    })
}
