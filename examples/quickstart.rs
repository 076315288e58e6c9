//! PrivacyKit in two minutes: open a store, load the CallsApp-like example policy, walk a user
//! through accepting, declaring their age, granting, denying and withdrawing, print what the
//! guard decides, then export the user's data and erase it.
//!
//!     cargo run --example quickstart

use std::sync::Arc;

use privacykit::{
    ConsentSource, Decision, DecisionReason, OsPermission, PermissionStatus, Platform,
    PrivacyError, PrivacyKit, PrivacyKitConfig, UserFacts,
};

/// CallsApp's example policy, as an app would ship it.
const POLICY: &str = include_str!("policies/callsapp.json");

/// The uses this walk-through asks about, as (category, purpose).
const USES: [(&str, &str); 5] = [
    ("contacts", "service"),
    ("advertising_id", "advertising"),
    ("location", "marketing"),
    ("read_receipts", "service"),
    ("call_history", "legal_compliance"),
];

fn main() -> Result<(), PrivacyError> {
    let dir = std::env::temp_dir().join(format!("privacykit-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("privacy.db");
    let config = PrivacyKitConfig {
        database_path: Some(path.to_string_lossy().into_owned()),
        policy_json: POLICY.to_owned(),
        platform: Platform::Android,
        utc_offset_minutes: 0,
        key_provider: None,
    };

    let kit = PrivacyKit::open(config.clone())?;
    let policy = kit.policy()?;
    println!(
        "Opened {} with policy {} v{} ({} categories, {} purposes, {} declared uses)",
        path.display(),
        policy.policy_id,
        policy.version,
        policy.categories.len(),
        policy.purposes.len(),
        policy.processing.len()
    );

    step(&kit, "1. A new user: nothing is accepted yet");

    kit.accept_policy()?;
    step(
        &kit,
        "2. The user accepts the policy (age unknown: the protective defaults for minors apply)",
    );
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-04-12".into()),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::User,
    )?;
    println!(
        "   declares a birth date and Germany -> {:?}",
        kit.age_status()?.group
    );

    kit.record_permission_request(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )?;
    kit.grant_consent("service".into(), Some("read_receipts".into()))?;
    kit.grant_consent("advertising".into(), None)?;
    step(
        &kit,
        "3. Grants: contacts permission, read receipts, and consent to advertising",
    );

    kit.record_permission_request(
        OsPermission::Tracking,
        PermissionStatus::Granted,
        None,
        None,
    )?;
    kit.deny_consent("marketing".into(), None)?;
    step(
        &kit,
        "4. Allows tracking in the OS prompt; says no to marketing",
    );

    kit.withdraw_consent("advertising".into(), None)?;
    step(
        &kit,
        "5. Changes their mind: withdraws consent to advertising",
    );

    kit.report_permission(OsPermission::Contacts, PermissionStatus::Denied, None, None)?;
    kit.record_permission_request(OsPermission::Contacts, PermissionStatus::Denied, None, None)?;
    kit.record_permission_request(OsPermission::Contacts, PermissionStatus::Denied, None, None)?;
    step(
        &kit,
        "6. Revokes contacts in Settings, then denies the prompt twice",
    );
    let contacts = kit.permission_state(OsPermission::Contacts)?;
    println!(
        "   contacts: can_request={} blocked_in_settings={} (known without asking again)",
        contacts.can_request, contacts.blocked_in_settings
    );

    println!("\nThe consent ledger (append-only, hash-chained):");
    for entry in kit.ledger(0, 100)? {
        println!(
            "   #{:<2} {:<17} {:<12} {:<14} by {:?}  {}…",
            entry.seq,
            format!("{:?}", entry.action),
            entry.purpose.as_deref().unwrap_or("-"),
            entry.category.as_deref().unwrap_or("(all)"),
            entry.source,
            &entry.hash[..12]
        );
    }
    println!("   verify_ledger: {} entries intact", kit.verify_ledger()?);
    kit.close_store()?;

    let reopened = PrivacyKit::open(config)?;
    let state = reopened.consent_state()?;
    println!(
        "\nReopened: {} ledger entries, policy v{} accepted, advertising_id for advertising -> {}",
        state.ledger_length,
        state.accepted_policy_version.unwrap_or_default(),
        describe(reopened.explain("advertising_id", "advertising"))
    );

    let export = reopened.export_personal_data()?;
    println!(
        "\nThe user asks for their data: {} bytes of JSON (format privacykit-export 1), {} consent receipts",
        export.len(),
        export.matches("\"proof_sha256\"").count()
    );
    let receipt = reopened.erase_all()?;
    println!("The user asks for erasure:");
    for erased in &receipt.erased {
        println!(
            "   {:<18} {} record(s)",
            format!("{:?}", erased.data),
            erased.records
        );
    }
    println!(
        "   ledger now {} entries; contacts for service -> {}",
        reopened.consent_state()?.ledger_length,
        describe(reopened.explain("contacts", "service"))
    );
    reopened.close_store()?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

fn step(kit: &Arc<PrivacyKit>, title: &str) {
    println!("\n{title}");
    for (category, purpose) in USES {
        let decision = kit.check(category, purpose);
        println!(
            "   {category:>16} for {purpose:<17} -> {}",
            describe(decision)
        );
    }
}

/// What a settings screen might say for each reason.
fn describe(decision: Decision) -> String {
    use DecisionReason::*;
    let verdict = if decision.allowed {
        "ALLOWED"
    } else {
        "denied "
    };
    let why = match decision.reason {
        Permitted { basis } => format!("permitted on the basis of {basis:?}"),
        PermittedWithLimitedAccess { basis } => format!("permitted ({basis:?}), limited OS access"),
        NotDeclaredInPolicy => "the policy does not declare this use".into(),
        PolicyNotAccepted => "the user has not accepted the policy".into(),
        BelowMinimumAge => "the user is below the minimum age: service only".into(),
        NotAllowedForMinors => "never for minors".into(),
        NeedsGuardianConsent => "needs a guardian's consent".into(),
        ReconsentNeeded => "the terms changed: ask again".into(),
        AdvertisingIdUnavailable => "the OS gave no advertising identifier".into(),
        RestrictedByUser => "the user restricted processing".into(),
        ObjectedByUser => "the user switched this off".into(),
        NeedsConsent => "needs the user's consent".into(),
        ConsentDenied => "the user said no".into(),
        ConsentWithdrawn => "the user withdrew consent".into(),
        OsPermissionNotRequested { permission } => format!("ask for the {permission:?} permission"),
        OsPermissionDenied { permission } => {
            format!("{permission:?} permission denied; may ask again")
        }
        BlockedInSettings { permission } => {
            format!("{permission:?} blocked: only Settings can change it")
        }
        OsPermissionRestricted { permission } => format!("{permission:?} restricted by the device"),
        ApproximateLocationOnly => "needs precise location".into(),
        LedgerUnverified => "the consent ledger did not verify: ask the user again".into(),
        Closed => "PrivacyKit is closed".into(),
        InternalError => "PrivacyKit failed; refusing".into(),
    };
    format!("{verdict}  {why}")
}
