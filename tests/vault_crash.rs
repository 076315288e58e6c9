//! Key rotation survives a crash between any two of its steps.
//!
//! Like crash_durability.rs this binary is both sides: the checker links accounts, then
//! starts itself as a child that rewraps or rotates the vault key with a key provider that
//! kills the process at a chosen step (after the new platform key was created, or when the
//! old one is about to be deleted). After each crash every token must be readable, exactly
//! one vault key active, and the next unlock must delete every platform key left unused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::keys::{CrashPoint, FileKeystore};
use common::*;
use privacykit::{AccountLink, Platform, PrivacyKit, Secret};

const CHILD_ENV: &str = "PRIVACYKIT_VAULT_CRASH";
const ACCOUNTS: usize = 5;

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pk.db");
    let keys = dir.path().join("keystore");
    std::fs::create_dir(&keys).unwrap();
    setup(&db, &keys);

    let cases = [
        ("rewrap", CrashPoint::AfterWrap),
        ("rewrap", CrashPoint::BeforeDelete),
        ("rotate", CrashPoint::AfterWrap),
        ("rotate", CrashPoint::BeforeDelete),
        ("rotate", CrashPoint::AfterWrap),
    ];
    for (operation, crash_at) in cases {
        let status = Command::new(std::env::current_exe().unwrap())
            .env(
                CHILD_ENV,
                format!(
                    "{operation} {crash_at:?} {} {}",
                    db.display(),
                    keys.display()
                ),
            )
            .status()
            .unwrap();
        assert!(
            !status.success(),
            "{operation}: the child was meant to crash at {crash_at:?}"
        );
        check(&db, &keys, &format!("{operation} crashed at {crash_at:?}"));
    }
    // And the same operations run to the end.
    for operation in ["rewrap", "rotate"] {
        let status = Command::new(std::env::current_exe().unwrap())
            .env(
                CHILD_ENV,
                format!("{operation} None {} {}", db.display(), keys.display()),
            )
            .status()
            .unwrap();
        assert!(status.success(), "{operation} without a crash");
        check(&db, &keys, &format!("{operation} completed"));
    }
    println!(
        "vault_crash: {} crashes and 2 clean runs, every token readable, one key",
        cases.len()
    );
    println!("1 passed, 0 failed");
}

fn keystore(keys: &Path, crash_at: Option<CrashPoint>) -> Arc<FileKeystore> {
    Arc::new(FileKeystore {
        dir: keys.to_path_buf(),
        crash_at,
    })
}

fn setup(db: &Path, keys: &Path) {
    let kit = PrivacyKit::open(config(Some(db), Platform::Android)).unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    let vault = kit.clone().vault(keystore(keys, None));
    for i in 0..ACCOUNTS {
        vault
            .link_account(AccountLink {
                provider: "vk".into(),
                account_id: format!("user{i}"),
                access_token: Secret::new(format!("token-{i}")),
                refresh_token: None,
                expires_at_ms: None,
                scopes: vec![],
            })
            .unwrap();
    }
    kit.close_store().unwrap();
}

fn child(spec: &str) {
    let parts: Vec<&str> = spec.splitn(4, ' ').collect();
    let crash_at = match parts[1] {
        "AfterWrap" => Some(CrashPoint::AfterWrap),
        "BeforeDelete" => Some(CrashPoint::BeforeDelete),
        _ => None,
    };
    let kit = PrivacyKit::open(config(Some(Path::new(parts[2])), Platform::Android)).unwrap();
    let keys = PathBuf::from(parts[3]);
    // Unlock with a provider that does not crash, so the crash lands in the operation.
    let vault = kit.clone().vault(keystore(&keys, None));
    vault.linked_accounts().unwrap();
    let vault = kit.clone().vault(keystore(&keys, crash_at));
    match parts[0] {
        "rewrap" => vault.rewrap_key().unwrap(),
        "rotate" => vault.rotate_key().unwrap(),
        other => panic!("unknown operation {other}"),
    }
    kit.close_store().unwrap();
}

fn check(db: &Path, keys: &Path, when: &str) {
    {
        let conn = rusqlite::Connection::open(db).unwrap();
        let (active, total): (i64, i64) = conn
            .query_row("SELECT sum(active), count(*) FROM vault_key", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((active, total), (1, 1), "{when}: exactly one vault key");
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "{when}");
    }
    let provider = keystore(keys, None);
    let kit = PrivacyKit::open(config(Some(db), Platform::Android)).unwrap();
    let vault = kit.clone().vault(provider.clone());
    for i in 0..ACCOUNTS {
        let tokens = vault
            .tokens("vk".into(), format!("user{i}"))
            .unwrap_or_else(|e| panic!("{when}: user{i}: {e}"));
        assert_eq!(tokens.access_token.expose(), format!("token-{i}"), "{when}");
    }
    assert_eq!(
        provider.vault_aliases().len(),
        1,
        "{when}: unused platform keys deleted at unlock: {:?}",
        provider.vault_aliases()
    );
    kit.close_store().unwrap();
    eprintln!(
        "{when}: {ACCOUNTS} tokens readable, one key, platform keys {:?}",
        provider.vault_aliases()
    );
}
