//! The install identifier: a random pseudonym for this installation, which the app can use
//! instead of the advertising ID or any account id. Created on first use; the user can reset
//! or erase it.

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use rusqlite::Connection;

use crate::data_holder::{DataHolder, Erased, PersonalData};
use crate::error::{Error, Result};
use crate::store::meta;

const INSTALL_ID: &str = "install_id";

/// The stored identifier, if one was created.
pub(crate) fn stored(conn: &Connection) -> Result<Option<String>> {
    meta::get(conn, INSTALL_ID)?
        .map(|bytes| String::from_utf8(bytes).map_err(|_| Error::CorruptRecord))
        .transpose()
}

/// The identifier, created now if there is none yet.
pub(crate) fn get_or_create(conn: &Connection) -> Result<String> {
    match stored(conn)? {
        Some(id) => Ok(id),
        None => reset(conn),
    }
}

/// Replaces the identifier with a new random one; the old one is forgotten.
pub(crate) fn reset(conn: &Connection) -> Result<String> {
    let id = random_uuid();
    meta::set(conn, INSTALL_ID, id.as_bytes())?;
    Ok(id)
}

/// A fresh random (version 4) UUID.
fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = crate::consent::ledger::to_hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

pub(crate) struct InstallIdHolder;

impl DataHolder for InstallIdHolder {
    fn data(&self) -> PersonalData {
        PersonalData::InstallId
    }

    fn erase(&self, conn: &Connection, _now_ms: i64) -> Result<Erased> {
        Ok(Erased {
            records: conn.execute("DELETE FROM meta WHERE key = ?1", [INSTALL_ID])? as u64,
            keys_destroyed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_ids_are_random_v4_uuids() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(a.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
