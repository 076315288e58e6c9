//! Proof that the address book does not leave the device: discovery over a synthetic book
//! of 10,000 contacts, recording every byte handed to the transport, then searching those
//! bytes for every raw and normalized form of every number and email, every name, and the
//! SHA-1, SHA-256 and MD5 (raw and hex) of every normalized form.

mod common;

use std::collections::HashMap;

use common::discovery::*;
use common::*;
use md5::Md5;
use privacykit_discovery_server::BudgetPolicy;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Every place an 8-byte prefix occurs in the haystack, for fast exact search.
struct Index<'a> {
    haystack: &'a [u8],
    starts: HashMap<[u8; 8], Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(haystack: &'a [u8]) -> Self {
        let mut starts: HashMap<[u8; 8], Vec<usize>> = HashMap::new();
        for i in 0..haystack.len().saturating_sub(7) {
            starts
                .entry(haystack[i..i + 8].try_into().unwrap())
                .or_default()
                .push(i);
        }
        Index { haystack, starts }
    }

    fn contains(&self, needle: &[u8]) -> bool {
        assert!(needle.len() >= 8, "needles are at least 8 bytes");
        let prefix: [u8; 8] = needle[..8].try_into().unwrap();
        self.starts.get(&prefix).is_some_and(|starts| {
            starts
                .iter()
                .any(|&i| self.haystack.get(i..i + needle.len()) == Some(needle))
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything that would betray a contact if it appeared on the wire.
fn needles(national: &str, name: &str, email: &str) -> Vec<Vec<u8>> {
    let e164 = format!("+1{national}");
    let digits = format!("1{national}");
    let raw_forms = [
        format!(
            "({}) {}-{}",
            &national[..3],
            &national[3..6],
            &national[6..]
        ),
        format!(
            "+1 {} {} {}",
            &national[..3],
            &national[3..6],
            &national[6..]
        ),
        national.to_string(),
        digits.clone(),
        e164.clone(),
        name.to_string(),
        email.to_string(),
    ];
    let mut out: Vec<Vec<u8>> = raw_forms.iter().map(|f| f.as_bytes().to_vec()).collect();
    let tel = format!("tel:{e164}");
    let mailto = format!("mailto:{email}");
    for normalized in [
        &e164,
        &digits,
        &national.to_string(),
        &email.to_string(),
        &tel,
        &mailto,
    ] {
        let digests = [
            Sha256::digest(normalized.as_bytes()).to_vec(),
            Sha1::digest(normalized.as_bytes()).to_vec(),
            Md5::digest(normalized.as_bytes()).to_vec(),
        ];
        for digest in digests {
            out.push(hex(&digest).into_bytes());
            out.push(hex(&digest).to_uppercase().into_bytes());
            out.push(digest);
        }
    }
    out
}

const AREAS: [u32; 12] = [201, 202, 212, 213, 305, 310, 312, 415, 617, 646, 718, 917];

#[test]
fn no_number_name_email_or_unkeyed_hash_leaves_the_device() {
    let (server, public) = server(BudgetPolicy {
        upfront: 50_000,
        per_day: 100,
    });
    let transport = LocalTransport::new(server);
    let mut book = Vec::new();
    let mut all_needles = Vec::new();
    for i in 0..10_000u32 {
        // Valid US numbers (normalization keeps only numbers libphonenumber calls valid).
        let area = AREAS[i as usize % AREAS.len()];
        let national = format!("{area}{}{i:04}", 200 + (i / 97) % 700);
        let name = format!("Contact Person {i:05}");
        let email = format!("person.{i}@example.org");
        if i % 10 == 0 {
            transport.set_user(&format!("tel:+1{national}"), true, true);
        }
        all_needles.extend(needles(&national, &name, &email));
        book.push(contact(
            &format!("id-{i}"),
            &[&format!("+1{national}")],
            &[&email],
        ));
    }
    let kit = in_memory();
    allow_contacts(&kit);
    let discovery = discovery(&kit, &public, &transport);
    let result = discovery.discover(book).unwrap();
    assert_eq!(result.matched.len(), 1000);
    assert_eq!(result.evaluated, 20_000);

    let sent: Vec<u8> = transport.sent.lock().unwrap().concat();
    assert!(sent.len() > 20_000 * 32, "every request was recorded");
    let index = Index::new(&sent);
    let leaked: Vec<usize> = all_needles
        .iter()
        .enumerate()
        .filter(|(_, n)| index.contains(n))
        .map(|(i, _)| i)
        .collect();
    assert!(
        leaked.is_empty(),
        "{} needles found in the sent bytes",
        leaked.len()
    );

    // The search itself works: a needle planted in a copy is found.
    let mut planted = sent.clone();
    planted.extend_from_slice(&all_needles[12_345]);
    assert!(Index::new(&planted).contains(&all_needles[12_345]));
}
