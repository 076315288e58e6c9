//! Every place PrivacyKit keeps the user's data, behind one trait. Erasure, retention and the
//! end of a use reach the data through this list, so a new kind of data is one more holder
//! here, not an edit of the engine or the facade.

use rusqlite::Connection;

use crate::consent::compaction::PurgeDeferral;
use crate::error::Result;
use crate::keys::KeyProvider;

/// A kind of personal data PrivacyKit keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PersonalData {
    /// The consent ledger, with the user's declared facts and any compacted summary.
    ConsentLedger,
    /// The history of OS permission observations and request results.
    PermissionHistory,
    /// Allowed uses per day.
    AccessReport,
    /// Linked accounts, their tokens and the vault key.
    LinkedAccounts,
    /// The per-install pseudonymous identifier.
    InstallId,
    /// Contact discovery's encrypted cache and its filter state.
    DiscoveryCache,
}

/// What deleting one holder's data removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Erased {
    pub records: u64,
    /// Key material went with the data: the caller forgets the unwrapped key and deletes the
    /// platform keys once the transaction is committed.
    pub keys_destroyed: bool,
}

/// When a retention period ends, in the units holders count in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoff {
    /// Data last touched before this instant is due.
    pub ms: i64,
    /// The first local day to keep, for data kept per day.
    pub first_kept_day: i64,
    pub now_ms: i64,
}

/// What a retention purge did to one holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purged {
    Records(u64),
    /// Not possible now (the key provider is missing or locked); the next purge tries again.
    Deferred(PurgeDeferral),
}

/// Keeps some of the user's data in the store.
pub(crate) trait DataHolder: Sync {
    fn data(&self) -> PersonalData;

    /// Deletes all of it in the caller's transaction.
    fn erase(&self, conn: &Connection, now_ms: i64) -> Result<Erased>;

    /// The policy's retention id this holder enforces (`retention[].data`), if any.
    fn retention_id(&self) -> Option<&'static str> {
        None
    }

    /// Deletes what is older than `cutoff` in the caller's transaction. Called only for a
    /// holder with a `retention_id`.
    fn purge(
        &self,
        _conn: &Connection,
        _cutoff: Cutoff,
        _keys: Option<&dyn KeyProvider>,
    ) -> Result<Purged> {
        Ok(Purged::Records(0))
    }

    /// Whether a purge that deleted records must also rewrite the file, because the deleted
    /// records were secrets whose bytes must not linger in free pages.
    fn holds_secrets(&self) -> bool {
        false
    }

    /// The (category, purpose) this data exists for: when the user withdraws, denies or
    /// objects to that use, the data is erased in the same transaction as the ledger entry.
    fn serves(&self) -> Option<(&'static str, &'static str)> {
        None
    }
}

/// Every holder, in the order an erasure of everything lists them.
pub(crate) const HOLDERS: [&dyn DataHolder; 6] = [
    &crate::consent::LedgerHolder,
    &crate::permissions::db::HistoryHolder,
    &crate::guard::report::AccessReportHolder,
    &crate::vault::db::LinkedAccountsHolder,
    &crate::discovery::cache::DiscoveryCacheHolder,
    &crate::install_id::InstallIdHolder,
];

/// The holder of `data`.
pub(crate) fn holder_of(data: PersonalData) -> &'static dyn DataHolder {
    HOLDERS
        .into_iter()
        .find(|h| h.data() == data)
        .expect("every kind of personal data has a holder")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_data_has_exactly_one_holder() {
        use PersonalData::*;
        for data in [
            ConsentLedger,
            PermissionHistory,
            AccessReport,
            LinkedAccounts,
            InstallId,
            DiscoveryCache,
        ] {
            assert_eq!(HOLDERS.iter().filter(|h| h.data() == data).count(), 1);
        }
    }

    #[test]
    fn retention_ids_are_unique() {
        let ids: Vec<_> = HOLDERS.iter().filter_map(|h| h.retention_id()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(ids.len(), unique.len());
    }
}
