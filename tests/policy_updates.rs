//! Policy updates: only uses whose terms grew need agreement again, unchanged consents carry
//! over, withdrawn ones never come back, and wording fixes need nothing.

mod common;

use common::{in_memory, policy_version};
use privacykit::{
    DecisionReason, LegalBasis, OsPermission, PermissionStatus, ReconsentAction, TermsChange,
};

fn ready() -> std::sync::Arc<privacykit::PrivacyKit> {
    let kit = in_memory();
    kit.accept_policy().unwrap();
    kit.report_permission(
        OsPermission::Contacts,
        PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    kit.report_permission(
        OsPermission::Location,
        PermissionStatus::Granted,
        Some(privacykit::LocationAccuracy::Precise),
        None,
    )
    .unwrap();
    kit.grant_consent("analytics".into(), None).unwrap();
    kit
}

#[test]
fn a_wording_fix_needs_nothing() {
    let kit = ready();
    let reworded = policy_version(
        2,
        Some((
            r#"{ "id": "read_receipts", "description": "Whether others see that you read their messages" }"#,
            r#"{ "id": "read_receipts", "description": "Whether other people can see that you have read their messages" }"#,
        )),
    );
    kit.update_policy(reworded).unwrap();
    assert!(kit.pending_reconsent().unwrap().is_empty());
    assert!(kit.check("contacts", "analytics").allowed);
    assert!(kit.check("read_receipts", "service").allowed);
}

#[test]
fn only_the_uses_whose_terms_grew_are_asked_again() {
    let kit = ready();
    // v2: contacts analytics gains a recipient; location analytics and the rest stay.
    let v2 = policy_version(
        2,
        Some((
            r#"{ "category": "contacts", "purpose": "analytics", "legal_basis": "consent" }"#,
            r#"{ "category": "contacts", "purpose": "analytics", "legal_basis": "consent", "recipients": ["stats"] }"#,
        )),
    )
    .replace(
        r#""retention": ["#,
        r#""recipients": [ { "id": "stats", "name": "Stats Inc", "kind": "processor" } ],
  "retention": ["#,
    );
    kit.update_policy(v2).unwrap();
    assert_eq!(
        kit.check("contacts", "analytics").reason,
        DecisionReason::ReconsentNeeded
    );
    assert!(
        kit.check("location", "analytics").allowed,
        "unchanged: carried over"
    );
    assert!(
        kit.check("contacts", "service").allowed,
        "acceptance carried over"
    );

    let pending = kit.pending_reconsent().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let item = &pending[0];
    assert_eq!(
        (item.category.as_str(), item.purpose.as_str()),
        ("contacts", "analytics")
    );
    assert_eq!(item.action, ReconsentAction::GrantConsent);
    assert_eq!(item.agreed_version, 1);
    assert_eq!(
        item.changes,
        vec![TermsChange::RecipientsAdded {
            recipients: vec!["stats".into()]
        }]
    );

    kit.grant_consent("analytics".into(), Some("contacts".into()))
        .unwrap();
    assert!(kit.check("contacts", "analytics").allowed);
    assert!(kit.pending_reconsent().unwrap().is_empty());
}

#[test]
fn a_basis_change_needs_the_policy_accepted_again_for_that_use_only() {
    let kit = ready();
    let v2 = policy_version(
        2,
        Some((
            r#"{ "category": "read_receipts", "purpose": "service", "legal_basis": "legitimate_interest" }"#,
            r#"{ "category": "read_receipts", "purpose": "service", "legal_basis": "contract" }"#,
        )),
    );
    kit.update_policy(v2).unwrap();
    assert_eq!(
        kit.check("read_receipts", "service").reason,
        DecisionReason::PolicyNotAccepted
    );
    assert!(kit.check("contacts", "service").allowed);
    let pending = kit.pending_reconsent().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].action, ReconsentAction::AcceptPolicy);
    assert_eq!(
        pending[0].changes,
        vec![TermsChange::LegalBasisChanged {
            from: LegalBasis::LegitimateInterest,
            to: LegalBasis::Contract
        }]
    );
    kit.accept_policy().unwrap();
    assert!(kit.check("read_receipts", "service").allowed);
}

#[test]
fn a_withdrawn_purpose_never_comes_back_and_new_uses_are_not_covered_by_old_grants() {
    let kit = ready();
    kit.withdraw_consent("analytics".into(), Some("location".into()))
        .unwrap();
    // v2 adds advertising for contacts; the purpose-wide advertising grant from v1 does not
    // silently cover it.
    kit.grant_consent("advertising".into(), None).unwrap();
    let v2 = policy_version(
        2,
        Some((
            r#"{ "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },"#,
            r#"{ "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },
    { "category": "contacts", "purpose": "advertising", "legal_basis": "consent" },"#,
        )),
    );
    kit.update_policy(v2).unwrap();
    assert_eq!(
        kit.check("location", "analytics").reason,
        DecisionReason::ConsentWithdrawn
    );
    assert_eq!(
        kit.check("contacts", "advertising").reason,
        DecisionReason::ReconsentNeeded
    );
    let pending = kit.pending_reconsent().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].changes, vec![TermsChange::NewProcessing]);
    assert!(pending
        .iter()
        .all(|p| !(p.category == "location" && p.purpose == "analytics")));
}
