//! Calls that hold the store while they ask the guard must not wait on themselves. On the
//! day a birthday moves the user into another age group the guard's table is out of date,
//! and rebuilding it needs the state; a vault or discovery call already holds it. Each call
//! here runs on its own thread under a watchdog: a call that deadlocks never returns, so the
//! watchdog's limit only tells "returned" from "hung" and is generous for a loaded machine.

mod common;

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::discovery::*;
use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    AccountLink, AgeGroup, ConsentSource, Platform, PrivacyKit, PrivacyKitConfig, Secret, UserFacts,
};
use privacykit_discovery_server::BudgetPolicy;

/// How long a call may take before the watchdog calls it hung: far beyond what any of these
/// calls needs (microseconds to milliseconds), so only a deadlock reaches it.
const WATCHDOG: Duration = Duration::from_secs(10);

/// Runs `call` on another thread and fails the test if it does not return in time.
fn returns<T: Send + 'static>(what: &str, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, answer) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(call());
    });
    answer
        .recv_timeout(WATCHDOG)
        .unwrap_or_else(|_| panic!("{what} did not return: the call waits on a lock it holds"))
}

fn link(account: &str) -> AccountLink {
    AccountLink {
        provider: "vk".into(),
        account_id: account.into(),
        access_token: Secret::new("access".into()),
        refresh_token: None,
        expires_at_ms: None,
        scopes: vec![],
    }
}

/// A user born 2008-05-03, 15 on 2024-05-01 (below the policy's age of digital consent, 16),
/// who accepted the policy, consented to linked accounts and allowed the contacts.
fn minor_until_may_3(clock: &Arc<ManualClock>) -> Arc<PrivacyKit> {
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            policy_json: POLICY.into(),
            ..config(None, Platform::Android)
        },
        clock.clone(),
    )
    .unwrap();
    let facts = UserFacts {
        birth_date: Some("2008-05-03".into()),
        age_years: None,
        jurisdiction: Some("DE".into()),
    };
    kit.declare_user_facts(facts, ConsentSource::User).unwrap();
    allow_contacts(&kit);
    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
    kit
}

#[test]
fn vault_calls_return_on_the_birthday_that_changes_the_age_group() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = minor_until_may_3(&clock);
    let vault = kit.clone().vault(Arc::new(MemoryKeystore::default()));
    vault.link_account(link("u1")).unwrap();

    clock.advance_days(2);
    let reader = vault.clone();
    let tokens = returns("tokens()", move || reader.tokens("vk".into(), "u1".into()));
    assert_eq!(tokens.unwrap().access_token.expose(), "access");
    let linker = vault.clone();
    returns("link_account()", move || linker.link_account(link("u2"))).unwrap();
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Adult);
}

#[test]
fn a_discovery_run_returns_on_the_birthday_that_changes_the_age_group() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = minor_until_may_3(&clock);
    let (server, public) = server(BudgetPolicy::default());
    let transport = LocalTransport::new(server);
    transport.set_user("tel:+12015550101", true, true);
    let discovery = discovery(&kit, &public, &transport);

    clock.advance_days(2);
    let book = vec![contact("alice", &["+12015550101"], &[])];
    let result = returns("discover()", move || discovery.discover(book)).unwrap();
    assert_eq!(result.matched, vec!["alice".to_owned()]);
}

#[test]
fn a_plain_check_rebuilds_the_table_on_the_birthday() {
    // Outside any store operation the check itself takes the store lock to rebuild the
    // out-of-date table, and answers from the new one.
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = minor_until_may_3(&clock);
    clock.advance_days(2);
    let asker = kit.clone();
    let decision = returns("check()", move || asker.check("social_accounts", "service"));
    assert!(decision.allowed);
}
