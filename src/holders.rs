//! Every place PrivacyKit keeps the user's data. Erasure, retention and the end of a use reach
//! the data through this list, so a new kind of data is one more holder here, not an edit of
//! the engine or the facade.

use crate::data_holder::{DataHolder, PersonalData};

/// Every holder, in the order an erasure of everything lists them.
pub(crate) const HOLDERS: [&dyn DataHolder; 7] = [
    &crate::consent::stored::LedgerHolder,
    &crate::permissions::db::HistoryHolder,
    &crate::access_report::AccessReportHolder,
    &crate::vault::db::LinkedAccountsHolder,
    &crate::discovery::cache::DiscoveryCacheHolder,
    &crate::install_id::InstallIdHolder,
    &crate::retention_events::RetentionEventsHolder,
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
            RetentionEvents,
        ] {
            assert_eq!(HOLDERS.iter().filter(|h| h.data() == data).count(), 1);
        }
    }

    #[test]
    fn the_policy_accepts_exactly_the_holders_retention_ids() {
        let mut held: Vec<_> = HOLDERS.iter().filter_map(|h| h.retention_id()).collect();
        let mut accepted = crate::policy::ENFORCED_RETENTION_IDS.to_vec();
        held.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(held, accepted);
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
