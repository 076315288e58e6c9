//! The token vault through the public API: linking, reading, key states, consent binding,
//! crypto-shredding, and proof that no secret reaches the disk in the clear.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::keys::MemoryKeystore;
use common::*;
use privacykit::{
    AccountLink, DecisionReason, Platform, PrivacyError, PrivacyKit, Secret, TokenVault,
};

fn link(provider: &str, account: &str, access: &str, refresh: Option<&str>) -> AccountLink {
    AccountLink {
        provider: provider.into(),
        account_id: account.into(),
        access_token: Secret::new(access.into()),
        refresh_token: refresh.map(|r| Secret::new(r.into())),
        expires_at_ms: Some(MAY_1_NOON + 3_600_000),
        scopes: vec!["public_profile".into(), "email".into()],
    }
}

/// A PrivacyKit on `path` whose user accepted the policy and consented to linked accounts.
fn consenting(path: &Path, keys: &Arc<MemoryKeystore>) -> (Arc<PrivacyKit>, Arc<TokenVault>) {
    let kit = PrivacyKit::open(config(Some(path), Platform::Android)).unwrap();
    if kit.consent_state().unwrap().ledger_length == 0 {
        kit.accept_policy().unwrap();
        kit.grant_consent("service".into(), Some("social_accounts".into()))
            .unwrap();
    }
    let vault = kit.clone().vault(keys.clone());
    (kit, vault)
}

/// A closed store at `path` holding account ("vk", "u") with access token "secret".
fn store_with_one_account(path: &Path, keys: &Arc<MemoryKeystore>) {
    let (kit, vault) = consenting(path, keys);
    vault.link_account(link("vk", "u", "secret", None)).unwrap();
    kit.close_store().unwrap();
}

fn access(vault: &TokenVault, provider: &str, account: &str) -> Result<String, PrivacyError> {
    vault
        .tokens(provider.into(), account.into())
        .map(|t| t.access_token.expose())
}

#[test]
fn link_read_list_update_and_unlink() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeystore::default());
    let (_kit, vault) = consenting(&dir.path().join("pk.db"), &keys);

    let linked = vault
        .link_account(link("vk", "id123", "vk-access", Some("vk-refresh")))
        .unwrap();
    assert_eq!(linked.account_id.as_deref(), Some("id123"));
    vault
        .link_account(link("facebook", "fb-9", "fb-access", None))
        .unwrap();

    let tokens = vault.tokens("vk".into(), "id123".into()).unwrap();
    assert_eq!(tokens.access_token.expose(), "vk-access");
    assert_eq!(tokens.refresh_token.unwrap().expose(), "vk-refresh");
    assert_eq!(tokens.scopes, vec!["public_profile", "email"]);
    assert_eq!(access(&vault, "facebook", "fb-9").unwrap(), "fb-access");
    assert_eq!(
        access(&vault, "vk", "someone-else"),
        Err(PrivacyError::AccountNotLinked)
    );

    let listed = vault.linked_accounts().unwrap();
    let ids: Vec<_> = listed
        .iter()
        .map(|a| (a.provider.as_str(), a.account_id.as_deref()))
        .collect();
    assert_eq!(ids, vec![("vk", Some("id123")), ("facebook", Some("fb-9"))]);

    // Re-linking replaces the tokens and keeps when the account was first linked.
    let again = vault
        .link_account(link("vk", "id123", "vk-access-2", None))
        .unwrap();
    assert_eq!(again.linked_at_ms, listed[0].linked_at_ms);
    assert_eq!(access(&vault, "vk", "id123").unwrap(), "vk-access-2");
    assert_eq!(vault.linked_accounts().unwrap().len(), 2);

    assert!(vault.unlink_account("vk".into(), "id123".into()).unwrap());
    assert!(!vault.unlink_account("vk".into(), "id123".into()).unwrap());
    assert_eq!(
        access(&vault, "vk", "id123"),
        Err(PrivacyError::AccountNotLinked)
    );
    assert_eq!(access(&vault, "facebook", "fb-9").unwrap(), "fb-access");
}

#[test]
fn the_platform_unwraps_once_per_process_however_many_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    {
        let (kit, vault) = consenting(&path, &keys);
        for i in 0..10 {
            vault
                .link_account(link("vk", &format!("user{i}"), "t", None))
                .unwrap();
        }
        kit.close_store().unwrap();
    }
    assert_eq!(
        keys.unwraps.load(Ordering::SeqCst),
        1,
        "a new vault's key is unwrapped once, to check the wrap before it is stored"
    );
    let (_kit, vault) = consenting(&path, &keys);
    let second_handle = _kit.clone().vault(keys.clone());
    for round in 0..100 {
        assert_eq!(
            access(&vault, "vk", &format!("user{}", round % 10)).unwrap(),
            "t"
        );
        assert_eq!(access(&second_handle, "vk", "user0").unwrap(), "t");
    }
    vault.linked_accounts().unwrap();
    assert_eq!(
        keys.unwraps.load(Ordering::SeqCst),
        2,
        "one more for this process"
    );
}

#[test]
fn a_locked_keystore_is_retryable_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    store_with_one_account(&path, &keys);
    keys.locked.store(true, Ordering::SeqCst);
    let (_kit, vault) = consenting(&path, &keys);
    assert_eq!(access(&vault, "vk", "u"), Err(PrivacyError::VaultLocked));
    assert_eq!(
        vault.link_account(link("x", "v", "t", None)).err(),
        Some(PrivacyError::VaultLocked)
    );
    keys.locked.store(false, Ordering::SeqCst);
    assert_eq!(access(&vault, "vk", "u").unwrap(), "secret");
}

#[test]
fn a_lost_key_is_detected_reported_and_reset_explicitly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    store_with_one_account(&path, &keys);
    // The vault's platform key wiped by the OS. (A backup restored onto a new device loses
    // the ledger's seal key too: tests/ledger_integrity.rs covers what that means.)
    keys.wipe_vault();
    let (_kit, vault) = consenting(&path, &keys);
    assert_eq!(access(&vault, "vk", "u"), Err(PrivacyError::VaultKeyLost));
    assert_eq!(
        vault.linked_accounts().err(),
        Some(PrivacyError::VaultKeyLost)
    );
    // Nothing was wiped behind the app's back.
    assert_eq!(count_rows(&path, "vault_account"), 1);
    assert_eq!(vault.reset_vault().unwrap(), 1);
    assert_eq!(count_rows(&path, "vault_account"), 0);
    vault.link_account(link("vk", "u", "fresh", None)).unwrap();
    assert_eq!(access(&vault, "vk", "u").unwrap(), "fresh");
}

/// A keystore that hands back a key, just not the right one.
struct WrongKey;
impl privacykit::KeyProvider for WrongKey {
    fn wrap(&self, _: String, _: Vec<u8>) -> Result<Vec<u8>, privacykit::KeyProviderError> {
        Ok(vec![0; 48])
    }
    fn unwrap(&self, alias: String, _: Vec<u8>) -> Result<Vec<u8>, privacykit::KeyProviderError> {
        // The ledger's seal key is only unavailable, so the vault's canary is what answers.
        if alias == "privacykit.ledger-seal" {
            return Err(privacykit::KeyProviderError::Unavailable);
        }
        Ok(vec![7; 32])
    }
    fn delete(&self, _: String) -> Result<(), privacykit::KeyProviderError> {
        Ok(())
    }
}

#[test]
fn the_canary_catches_a_wrong_key_instead_of_returning_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    store_with_one_account(&path, &keys);
    let kit = PrivacyKit::open(config(Some(&path), Platform::Android)).unwrap();
    let vault = kit.clone().vault(Arc::new(WrongKey));
    assert_eq!(access(&vault, "vk", "u"), Err(PrivacyError::VaultKeyLost));
}

#[test]
fn handles_do_not_keep_a_freed_privacykit_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let (kit, vault) = consenting(&path, &keys);
    vault.link_account(link("vk", "u", "t", None)).unwrap();
    let analytics = kit
        .clone()
        .data_use("diagnostics".into(), "analytics".into());
    // What Kotlin's use {} does: the app's last reference goes, without closeStore().
    drop(kit);
    assert_eq!(access(&vault, "vk", "u"), Err(PrivacyError::Closed));
    assert_eq!(analytics.check().reason, DecisionReason::Closed);
    // The file was released and the pending state written: it opens again at once.
    let (_kit, vault) = consenting(&path, &keys);
    assert_eq!(access(&vault, "vk", "u").unwrap(), "t");
}

#[test]
fn linking_needs_the_guard_and_withdrawal_shreds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let kit = PrivacyKit::open(config(Some(&path), Platform::Android)).unwrap();
    let vault = kit.clone().vault(keys.clone());
    kit.accept_policy().unwrap();
    assert_eq!(
        vault.link_account(link("vk", "u", "t", None)).err(),
        Some(PrivacyError::NotPermitted {
            reason: DecisionReason::NeedsConsent
        })
    );
    assert_eq!(
        count_rows(&path, "vault_key"),
        0,
        "refused before any key was made"
    );

    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    vault.link_account(link("vk", "u", "t", None)).unwrap();
    assert_eq!(keys.vault_aliases().len(), 1);

    // Restriction pauses use without destroying anything.
    kit.restrict_processing().unwrap();
    assert_eq!(
        access(&vault, "vk", "u"),
        Err(PrivacyError::NotPermitted {
            reason: DecisionReason::RestrictedByUser
        })
    );
    kit.lift_restriction().unwrap();
    assert_eq!(access(&vault, "vk", "u").unwrap(), "t");

    kit.withdraw_consent("service".into(), None).unwrap();
    assert_eq!(count_rows(&path, "vault_account"), 0);
    assert_eq!(count_rows(&path, "vault_key"), 0);
    assert!(
        keys.vault_aliases().is_empty(),
        "the platform key is deleted too"
    );
    assert_eq!(
        access(&vault, "vk", "u"),
        Err(PrivacyError::NotPermitted {
            reason: DecisionReason::ConsentWithdrawn
        })
    );

    // Consent again: a new, empty vault under a new key.
    kit.grant_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    assert!(vault.linked_accounts().unwrap().is_empty());
    vault.link_account(link("vk", "u", "t2", None)).unwrap();
    assert_eq!(keys.vault_aliases(), vec!["privacykit.vault.2.1"]);
}

#[test]
fn rewrap_and_rotation_keep_every_token_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let (kit, vault) = consenting(&path, &keys);
    for i in 0..5 {
        vault
            .link_account(link(
                "vk",
                &format!("u{i}"),
                &format!("token-{i}"),
                Some("r"),
            ))
            .unwrap();
    }
    assert_eq!(keys.vault_aliases(), vec!["privacykit.vault.1.1"]);
    vault.rewrap_key().unwrap();
    assert_eq!(keys.vault_aliases(), vec!["privacykit.vault.1.2"]);
    let before = raw_blobs(&path);
    vault.rotate_key().unwrap();
    assert_eq!(keys.vault_aliases(), vec!["privacykit.vault.2.1"]);
    let after = raw_blobs(&path);
    assert!(
        before.iter().all(|b| !after.contains(b)),
        "everything re-encrypted"
    );
    kit.close_store().unwrap();

    let (_kit, vault) = consenting(&path, &keys);
    for i in 0..5 {
        assert_eq!(
            access(&vault, "vk", &format!("u{i}")).unwrap(),
            format!("token-{i}")
        );
    }
    assert_eq!(count_rows(&path, "vault_key"), 1);
}

#[test]
fn bad_input_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let (_kit, vault) = consenting(&path, &keys);
    let cases = [
        link("VK", "u", "t", None),
        link("", "u", "t", None),
        link("vk", "", "t", None),
        link("vk", "u", "", None),
        link("vk", "u", "t", Some("")),
        link("vk", "u", &"x".repeat(20_000), None),
        AccountLink {
            expires_at_ms: Some(-1),
            ..link("vk", "u", "t", None)
        },
        AccountLink {
            scopes: vec![String::new()],
            ..link("vk", "u", "t", None)
        },
    ];
    for case in cases {
        assert!(matches!(
            vault.link_account(case),
            Err(PrivacyError::InvalidArgument { .. })
        ),);
    }
    assert_eq!(count_rows(&path, "vault_account"), 0);
}

#[test]
fn debug_output_never_shows_secrets_or_account_ids() {
    let account = link(
        "vk",
        "anna.petrova",
        "SENTINEL-ACCESS",
        Some("SENTINEL-REFRESH"),
    );
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeystore::default());
    let (_kit, vault) = consenting(&dir.path().join("pk.db"), &keys);
    let linked = vault.link_account(account.clone()).unwrap();
    let tokens = vault.tokens("vk".into(), "anna.petrova".into()).unwrap();
    let shown = format!(
        "{account:?} {linked:?} {tokens:?} {} {}",
        tokens.access_token, tokens.access_token
    );
    for secret in ["SENTINEL", "anna"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

pub fn count_rows(path: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Every sealed blob in the vault, as stored.
fn raw_blobs(path: &Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT record_key, account_id, access_token FROM vault_account")
        .unwrap();
    stmt.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))
        .unwrap()
        .flat_map(|row: rusqlite::Result<[Vec<u8>; 3]>| row.unwrap())
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes
        .chunks(3)
        .flat_map(|chunk| {
            let n =
                chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
            (0..=chunk.len()).map(move |i| ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char)
        })
        .collect()
}

/// Every form in which `secret` could sit in a file: plain, hex, and base64 (standard and
/// URL-safe) at each of the three alignments it can have inside a longer encoded value.
fn encodings(secret: &str) -> Vec<Vec<u8>> {
    let bytes = secret.as_bytes();
    let mut forms = vec![
        bytes.to_vec(),
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into_bytes(),
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
            .into_bytes(),
    ];
    for skip in 0..3 {
        let aligned = &bytes[skip..];
        let whole = &aligned[..aligned.len() / 3 * 3];
        let standard = base64(whole);
        forms.push(standard.clone().into_bytes());
        forms.push(standard.replace('+', "-").replace('/', "_").into_bytes());
    }
    forms
}

/// Paths of every file in `dir` and below.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

fn assert_absent(dir: &Path, needles: &[Vec<u8>], when: &str) {
    let paths = files(dir);
    assert!(
        paths.iter().any(|p| p.ends_with("pk.db")),
        "{when}: the database is scanned"
    );
    for path in paths {
        let haystack = std::fs::read(&path).unwrap();
        for needle in needles {
            assert!(
                !haystack
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice()),
                "{when}: found {:?} in {}",
                String::from_utf8_lossy(needle),
                path.display()
            );
        }
    }
}

#[test]
fn no_secret_reaches_the_disk_in_any_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let (kit, vault) = consenting(&path, &keys);
    let mut sentinels = Vec::new();
    for i in 0..20 {
        let account = format!("sentinel.account.{i}.Zq");
        let access = format!("SENTINEL-ACCESS-{i}-eyJhbGciOiJIUzI1NiJ9");
        let refresh = format!("SENTINEL-REFRESH-{i}-9f8e7d6c5b4a");
        vault
            .link_account(link("vk", &account, &access, Some(&refresh)))
            .unwrap();
        assert_eq!(access_of(&vault, &account), access);
        sentinels.extend([account, access, refresh]);
    }
    let needles: Vec<Vec<u8>> = sentinels.iter().flat_map(|s| encodings(s)).collect();
    assert_absent(dir.path(), &needles, "while open");
    assert!(
        dir.path().join("pk.db-wal").exists(),
        "the WAL is scanned too"
    );
    kit.close_store().unwrap();
    assert_absent(dir.path(), &needles, "after close");
}

fn access_of(vault: &TokenVault, account: &str) -> String {
    access(vault, "vk", account).unwrap()
}

#[test]
fn unlinked_and_withdrawn_ciphertexts_are_gone_from_the_file_and_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let (kit, vault) = consenting(&path, &keys);
    vault
        .link_account(link("vk", "first", "token-one", None))
        .unwrap();
    let first = raw_blobs(&path);
    vault
        .link_account(link("vk", "second", "token-two", None))
        .unwrap();
    let both = raw_blobs(&path);

    vault.unlink_account("vk".into(), "first".into()).unwrap();
    assert_absent(dir.path(), &first, "after unlink");

    kit.withdraw_consent("service".into(), Some("social_accounts".into()))
        .unwrap();
    assert_absent(dir.path(), &both, "after withdrawal");
}

/// Runs raw SQL against the file, as an attacker with the file would.
fn sql(path: &Path, statement: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(statement)
        .unwrap();
}

#[test]
fn moved_or_altered_ciphertexts_are_corrupt_never_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pk.db");
    let keys = Arc::new(MemoryKeystore::default());
    let (_kit, vault) = consenting(&path, &keys);
    vault
        .link_account(link("vk", "a", "token-a", Some("refresh-a")))
        .unwrap();
    vault
        .link_account(link("fb", "b", "token-b", Some("refresh-b")))
        .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let lookup_of = |provider: &str| -> Vec<u8> {
        conn.query_row(
            "SELECT lookup FROM vault_account WHERE provider = ?1",
            [provider],
            |r| r.get(0),
        )
        .unwrap()
    };
    let a = lookup_of("vk");
    let b = lookup_of("fb");
    let hex = |bytes: &[u8]| bytes.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (a_hex, b_hex) = (hex(&a), hex(&b));
    let snapshot = |lookup: &str| -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        conn.query_row(
            &format!("SELECT record_key, access_token, refresh_token FROM vault_account WHERE lookup = x'{lookup}'"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let (a_record, a_access, _) = snapshot(&a_hex);
    let restore = || {
        sql(&path, &format!(
            "UPDATE vault_account SET record_key = x'{}', access_token = x'{}' WHERE lookup = x'{a_hex}'",
            hex(&a_record), hex(&a_access)
        ));
    };
    let swaps = [
        format!("UPDATE vault_account SET access_token = (SELECT access_token FROM vault_account WHERE lookup = x'{b_hex}') WHERE lookup = x'{a_hex}'"),
        format!("UPDATE vault_account SET access_token = refresh_token WHERE lookup = x'{a_hex}'"),
        format!("UPDATE vault_account SET record_key = (SELECT record_key FROM vault_account WHERE lookup = x'{b_hex}') WHERE lookup = x'{a_hex}'"),
    ];
    for swap in &swaps {
        sql(&path, swap);
        assert_eq!(
            access(&vault, "vk", "a"),
            Err(PrivacyError::CorruptRecord),
            "{swap}"
        );
        assert_eq!(
            access(&vault, "fb", "b").unwrap(),
            "token-b",
            "the other record is fine"
        );
        restore();
        assert_eq!(access(&vault, "vk", "a").unwrap(), "token-a");
    }
    // One flipped bit anywhere: version and key id (header), nonce, ciphertext, tag.
    let regions = [
        ("header", 0..5),
        ("nonce", 5..29),
        ("ciphertext", 29..a_access.len() - 16),
        ("tag", a_access.len() - 16..a_access.len()),
    ];
    for (region, range) in regions {
        for position in range.clone().step_by(3) {
            let mut bad = a_access.clone();
            bad[position] ^= 0x10;
            sql(
                &path,
                &format!(
                    "UPDATE vault_account SET access_token = x'{}' WHERE lookup = x'{a_hex}'",
                    hex(&bad)
                ),
            );
            assert_eq!(
                access(&vault, "vk", "a"),
                Err(PrivacyError::CorruptRecord),
                "{region} byte {position}"
            );
        }
        restore();
    }
    let listed = vault.linked_accounts().unwrap();
    assert_eq!(listed.len(), 2);
    sql(
        &path,
        &format!("UPDATE vault_account SET record_key = x'00' WHERE lookup = x'{a_hex}'"),
    );
    let listed = vault.linked_accounts().unwrap();
    assert_eq!(
        listed.iter().filter(|a| a.account_id.is_none()).count(),
        1,
        "the corrupt one reports corrupt"
    );
    assert_eq!(
        listed
            .iter()
            .filter(|a| a.account_id.as_deref() == Some("b"))
            .count(),
        1
    );
    assert_eq!(
        vault.rotate_key(),
        Err(PrivacyError::CorruptRecord),
        "rotation refuses, changing nothing"
    );
    assert_eq!(access(&vault, "fb", "b").unwrap(), "token-b");
}
