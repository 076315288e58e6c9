//! The IAB consent signals: the policy's `tcf` section, the keys written to the app's
//! `ConsentSignalStore` after every change, checked field by field with an independent TC
//! string decoder (`lib_tcstring`) against the consent state, and their removal on erasure.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use privacykit::{
    ConsentSignalStore, ConsentSignalStoreError, ConsentSignalValue, ConsentSource, Platform,
    PrivacyError, PrivacyKit, PrivacyKitConfig, UserFacts,
};

use common::{ManualClock, MAY_1_NOON};

const CALLSAPP_TCF: &str = include_str!("../examples/policies/callsapp_tcf.json");
const CALLSAPP: &str = include_str!("../examples/policies/callsapp.json");

type Values = HashMap<String, ConsentSignalValue>;

/// A map-backed store, as `SharedPreferences` would hold the keys, that records each call.
#[derive(Default)]
struct MapStore {
    map: Mutex<Values>,
    calls: Mutex<Vec<(Values, Vec<String>)>>,
    fail: Mutex<bool>,
    /// Called back from `write`: proves the store runs with no PrivacyKit lock held.
    kit: Mutex<Option<Weak<PrivacyKit>>>,
    reentered: Mutex<Vec<bool>>,
}

impl ConsentSignalStore for MapStore {
    fn write(
        &self,
        values: Values,
        removed_keys: Vec<String>,
    ) -> Result<(), ConsentSignalStoreError> {
        let kit = self.kit.lock().unwrap().clone();
        if let Some(kit) = kit.and_then(|k| k.upgrade()) {
            self.reentered
                .lock()
                .unwrap()
                .push(kit.consent_state().is_ok());
        }
        self.calls
            .lock()
            .unwrap()
            .push((values.clone(), removed_keys.clone()));
        if *self.fail.lock().unwrap() {
            return Err(ConsentSignalStoreError::Failed);
        }
        let mut map = self.map.lock().unwrap();
        for key in removed_keys {
            map.remove(&key);
        }
        map.extend(values);
        Ok(())
    }
}

impl MapStore {
    fn text(&self, key: &str) -> String {
        match self.map.lock().unwrap().get(key) {
            Some(ConsentSignalValue::Text { value }) => value.clone(),
            other => panic!("{key} is not a string: {other:?}"),
        }
    }

    fn int(&self, key: &str) -> i64 {
        match self.map.lock().unwrap().get(key) {
            Some(ConsentSignalValue::Int { value }) => *value,
            other => panic!("{key} is not an int: {other:?}"),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.map.lock().unwrap().contains_key(key)
    }

    fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    fn decoded(&self) -> lib_tcstring::TcModelV2 {
        let text = self.text("IABTCF_TCString");
        lib_tcstring::TcModelV2::try_from(text.as_str())
            .unwrap_or_else(|e| panic!("lib_tcstring refused {text}: {e:?}"))
    }
}

fn open(policy: &str) -> (Arc<PrivacyKit>, Arc<MapStore>) {
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: None,
            policy_json: policy.to_owned(),
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        ManualClock::at(MAY_1_NOON),
    )
    .unwrap();
    let store = Arc::new(MapStore::default());
    *store.kit.lock().unwrap() = Some(Arc::downgrade(&kit));
    kit.set_consent_signal_store(store.clone()).unwrap();
    (kit, store)
}

fn adult_in(kit: &PrivacyKit, jurisdiction: &str) {
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-04-12".into()),
            age_years: None,
            jurisdiction: Some(jurisdiction.into()),
        },
        ConsentSource::User,
    )
    .unwrap();
}

fn ids<T: Copy>(list: &[T]) -> Vec<T> {
    list.to_vec()
}

/// 2024-05-01 00:00 UTC in deciseconds, as the TC string carries it.
const MAY_1_DAY_DS: u64 = 17_145_216_000;

#[test]
fn the_keys_are_written_at_registration_and_deny_everything_before_any_choice() {
    let (_kit, store) = open(CALLSAPP_TCF);
    assert_eq!(store.calls(), 1);
    assert_eq!(store.int("IABTCF_gdprApplies"), 1);
    assert_eq!(store.int("IABTCF_CmpSdkID"), 300);
    assert_eq!(store.int("IABTCF_CmpSdkVersion"), 1);
    assert_eq!(store.int("IABTCF_PolicyVersion"), 5);
    assert_eq!(store.text("IABTCF_PublisherCC"), "CY");
    assert_eq!(store.text("IABTCF_PurposeConsents"), "0".repeat(24));
    assert_eq!(
        store.text("IABTCF_PurposeLegitimateInterests"),
        "0".repeat(24)
    );
    let tc = store.decoded();
    assert!(tc.purposes_consent.is_empty());
    assert!(tc.vendors_consent.is_empty());
    assert_eq!(tc.disclosed_vendors, vec![755, 793, 804]);
    assert_eq!(tc.cmp_id, 300);
    assert_eq!(tc.vendor_list_version, 140);
    assert_eq!(tc.created_at, MAY_1_DAY_DS * 100);
    assert_eq!(tc.updated_at, tc.created_at);
    // The GPP string carries the same TC string in its EU section; with no jurisdiction
    // declared, the US National section applies too (the protective answer, as for GDPR).
    assert_eq!(store.text("IABGPP_GppSID"), "2_7");
    assert_eq!(store.text("IABGPP_2_String"), store.text("IABTCF_TCString"));
    // Registration removes whatever of these families was left behind.
    let removed = &store.calls.lock().unwrap()[0].1;
    assert!(removed.contains(&"IABTCF_PublisherRestrictions1".to_owned()));
    assert!(!removed.contains(&"IABTCF_TCString".to_owned()));
}

#[test]
fn choices_in_the_ledger_become_purpose_and_vendor_bits() {
    let (kit, store) = open(CALLSAPP_TCF);
    adult_in(&kit, "DE");
    kit.accept_policy().unwrap();
    kit.grant_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();

    let tc = store.decoded();
    assert_eq!(tc.purposes_consent, vec![1, 3, 4]);
    assert_eq!(tc.purposes_li_transparency, vec![2, 7]);
    assert_eq!(ids(&tc.vendors_consent), vec![755, 793, 804]);
    assert_eq!(ids(&tc.vendors_li_consent), vec![755, 793, 804]);
    assert_eq!(tc.publisher_purposes_consent, vec![1, 3, 4]);
    assert_eq!(tc.publisher_purposes_li_transparency, vec![2, 7]);
    assert_eq!(tc.publisher_restrictions.len(), 1);
    assert_eq!(tc.publisher_restrictions[0].purpose_id, 2);
    assert_eq!(tc.publisher_restrictions[0].vendor_list, vec![804]);
    assert_eq!(tc.consent_language, "EN");
    assert_eq!(tc.publisher_country_code, "CY");
    assert!(tc.is_service_specific);
    assert_eq!(
        store.text("IABTCF_PurposeConsents"),
        format!("101100{}", "0".repeat(18))
    );
    assert_eq!(
        store.text("IABTCF_PurposeLegitimateInterests"),
        format!("0100001{}", "0".repeat(17))
    );
    assert_eq!(store.text("IABTCF_PublisherRestrictions2")[803..], *"1");
    assert_eq!(
        store.text("IABTCF_VendorConsents").len(),
        804,
        "one character per vendor id up to the highest"
    );

    // An objection to the legitimate-interest use clears its bits, and the vendors' LI with
    // them; consent is untouched.
    kit.object_to("advertising".into(), Some("device_info".into()))
        .unwrap();
    let tc = store.decoded();
    assert_eq!(tc.purposes_consent, vec![1, 3, 4]);
    assert!(tc.purposes_li_transparency.is_empty());
    assert!(tc.vendors_li_consent.is_empty());

    // A withdrawal clears consent.
    kit.withdraw_consent("advertising".into(), None).unwrap();
    let tc = store.decoded();
    assert!(tc.purposes_consent.is_empty());
    assert!(tc.vendors_consent.is_empty());
    assert_eq!(store.text("IABTCF_PurposeConsents"), "0".repeat(24));
}

#[test]
fn a_restriction_and_the_age_rules_clear_every_bit_as_the_guard_does() {
    let (kit, store) = open(CALLSAPP_TCF);
    adult_in(&kit, "FR");
    kit.accept_policy().unwrap();
    kit.grant_consent("advertising".into(), None).unwrap();
    assert_eq!(store.decoded().purposes_consent, vec![1, 3, 4]);
    kit.restrict_processing().unwrap();
    let tc = store.decoded();
    assert!(tc.purposes_consent.is_empty());
    assert!(tc.purposes_li_transparency.is_empty());
    kit.lift_restriction().unwrap();
    assert_eq!(store.decoded().purposes_consent, vec![1, 3, 4]);

    // A minor's advertising is never allowed, consent or not.
    let (kit, store) = open(CALLSAPP_TCF);
    kit.declare_user_facts(
        UserFacts {
            birth_date: None,
            age_years: Some(14),
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::User,
    )
    .unwrap();
    kit.accept_policy().unwrap();
    kit.grant_consent("advertising".into(), None).unwrap();
    assert!(store.decoded().purposes_consent.is_empty());
}

#[test]
fn gdpr_applies_follows_the_declared_jurisdiction() {
    let (kit, store) = open(CALLSAPP_TCF);
    adult_in(&kit, "US-CA");
    assert_eq!(store.int("IABTCF_gdprApplies"), 0);
    assert!(!store.has("IABTCF_TCString"));
    assert!(
        !store.has("IABGPP_2_String"),
        "no EU section outside the EU"
    );
    assert_eq!(store.text("IABGPP_GppSID"), "7");
    let last = store.calls.lock().unwrap().last().unwrap().1.clone();
    assert!(last.contains(&"IABTCF_TCString".to_owned()));
    adult_in(&kit, "CH");
    assert_eq!(store.int("IABTCF_gdprApplies"), 1);
    assert!(store.has("IABTCF_TCString"));
}

#[test]
fn erasure_removes_every_key_and_the_store_runs_with_no_lock_held() {
    let (kit, store) = open(CALLSAPP_TCF);
    adult_in(&kit, "DE");
    kit.accept_policy().unwrap();
    assert!(store.has("IABTCF_TCString"));
    kit.erase_all().unwrap();
    assert!(
        store.map.lock().unwrap().is_empty(),
        "left: {:?}",
        store.map.lock().unwrap().keys()
    );
    let reentered = store.reentered.lock().unwrap().clone();
    assert!(reentered.len() >= 3);
    assert!(reentered.iter().all(|ok| *ok));
}

#[test]
fn unchanged_signals_are_not_written_again_and_a_failed_write_is_repeated() {
    let (kit, store) = open(CALLSAPP_TCF);
    adult_in(&kit, "DE");
    let before = store.calls();
    // A permission report changes no signal.
    kit.report_permission(
        privacykit::OsPermission::Tracking,
        privacykit::PermissionStatus::Granted,
        None,
        None,
    )
    .unwrap();
    assert_eq!(store.calls(), before);

    *store.fail.lock().unwrap() = true;
    kit.accept_policy().unwrap();
    assert_eq!(store.calls(), before + 1);
    *store.fail.lock().unwrap() = false;
    kit.report_permission(
        privacykit::OsPermission::Tracking,
        privacykit::PermissionStatus::Denied,
        None,
        None,
    )
    .unwrap();
    assert_eq!(store.calls(), before + 2, "written again after the failure");
    assert_eq!(store.decoded().purposes_li_transparency, vec![2, 7]);
}

#[test]
fn a_policy_without_tcf_writes_nothing_and_removes_the_keys_left_behind() {
    let (kit, store) = open(CALLSAPP);
    assert_eq!(store.calls(), 1);
    assert!(store.map.lock().unwrap().is_empty());
    let removed = &store.calls.lock().unwrap()[0].1;
    assert!(removed.contains(&"IABTCF_TCString".to_owned()));
    drop(kit);
}

#[test]
fn a_policy_update_re_encodes_with_the_new_vendor_list() {
    let (kit, store) = open(CALLSAPP_TCF);
    let next = CALLSAPP_TCF
        .replace("\"version\": 1,", "\"version\": 2,")
        .replace(
            "\"vendor_list_version\": 140",
            "\"vendor_list_version\": 141",
        );
    kit.update_policy(next).unwrap();
    assert_eq!(store.decoded().vendor_list_version, 141);
}

// --- validation -------------------------------------------------------------------------

fn with_tcf(edit: impl FnOnce(&mut serde_json::Value)) -> Result<(), (String, String)> {
    let mut doc: serde_json::Value = serde_json::from_str(CALLSAPP_TCF).unwrap();
    edit(&mut doc["tcf"]);
    match privacykit::validate_policy(doc.to_string()) {
        Ok(_) => Ok(()),
        Err(PrivacyError::InvalidPolicy { field, reason }) => Err((field, reason)),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_example_validates_and_matches_the_schema() {
    assert_eq!(with_tcf(|_| {}), Ok(()));
    let schema: serde_json::Value =
        serde_json::from_str(&privacykit::policy_json_schema()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(CALLSAPP_TCF).unwrap();
    common::json_schema::validate(&schema, &schema, &doc, "$");
}

#[test]
fn a_consent_only_purpose_on_legitimate_interest_is_refused() {
    let (field, reason) = with_tcf(|tcf| {
        // Purpose 2 is mapped to device_info, processed on legitimate interest.
        tcf["purposes"][1]["tcf_purpose"] = 3.into();
        tcf["purposes"][2]["tcf_purpose"] = 8.into();
    })
    .unwrap_err();
    assert_eq!(field, "tcf.purposes[1].tcf_purpose");
    assert!(
        reason.contains("TCF purpose 3 may rest only on consent"),
        "{reason}"
    );
}

#[test]
fn unknown_ids_duplicates_and_bad_codes_are_refused_with_their_path() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|t| t["purposes"][0]["tcf_purpose"] = 12.into()),
            "tcf.purposes[0].tcf_purpose",
            "12 is not a TCF purpose",
        ),
        (
            Box::new(|t| t["vendors"][2]["id"] = 755.into()),
            "tcf.vendors[2].id",
            "vendor 755 is declared twice",
        ),
        (
            Box::new(|t| t["publisher_country_code"] = "DEU".into()),
            "tcf.publisher_country_code",
            "\"DEU\" is not an ISO 3166-1 alpha-2 code",
        ),
        (
            Box::new(|t| t["publisher_country_code"] = "de".into()),
            "tcf.publisher_country_code",
            "is not an ISO 3166-1",
        ),
        (
            Box::new(|t| t["purposes"][0]["purpose"] = "nonexistent".into()),
            "tcf.purposes[0].purpose",
            "does not declare",
        ),
        (
            Box::new(|t| t["purposes"][4]["tcf_purpose"] = 1.into()),
            "tcf.purposes[4].tcf_purpose",
            "TCF purpose 1 is mapped twice",
        ),
        (
            Box::new(|t| t["vendors"][0]["consent_purposes"] = serde_json::json!([1, 9])),
            "tcf.vendors[0].consent_purposes[1]",
            "TCF purpose 9 is not mapped",
        ),
        (
            Box::new(|t| t["vendors"][2]["legitimate_interest_purposes"] = serde_json::json!([4])),
            "tcf.vendors[2].legitimate_interest_purposes",
            "may rest only on consent",
        ),
        (
            Box::new(|t| t["publisher_restrictions"][0]["vendors"] = serde_json::json!([1])),
            "tcf.publisher_restrictions[0].vendors[0]",
            "vendor 1 is not declared",
        ),
        (
            Box::new(|t| t["cmp_id"] = 1.into()),
            "tcf.cmp_id",
            "1 is not a CMP id",
        ),
        (
            Box::new(|t| t["gdpr_applies"] = "sometimes".into()),
            "tcf.gdpr_applies",
            "must be true, false",
        ),
        (
            Box::new(|t| t["purposes"][0]["categories"] = serde_json::json!(["contacts"])),
            "tcf.purposes[0].categories[0]",
            "`contacts` is not processed for `advertising`",
        ),
        (
            Box::new(|t| {
                t["purposes"][0]["categories"] =
                    serde_json::json!(["advertising_id", "device_info"])
            }),
            "tcf.purposes[0].purpose",
            "more than one legal basis",
        ),
        (
            Box::new(|t| t["special_purposes"] = serde_json::json!([4])),
            "tcf.special_purposes[0]",
            "4 is not a TCF special purpose",
        ),
        (
            Box::new(|t| t["unknown"] = 1.into()),
            "tcf.unknown",
            "unknown field",
        ),
    ];
    for (edit, field, reason) in cases {
        let (got_field, got_reason) = with_tcf(edit).unwrap_err();
        assert_eq!(got_field, field, "{got_reason}");
        assert!(got_reason.contains(reason), "{field}: {got_reason}");
    }
}

#[test]
fn a_refused_policy_update_changes_no_signal() {
    let (kit, store) = open(CALLSAPP_TCF);
    let calls = store.calls();
    let bad = CALLSAPP_TCF
        .replace("\"version\": 1,", "\"version\": 2,")
        .replace("\"cmp_id\": 300", "\"cmp_id\": 0");
    assert!(matches!(
        kit.update_policy(bad),
        Err(PrivacyError::InvalidPolicy { .. })
    ));
    assert_eq!(store.calls(), calls);
    assert_eq!(kit.policy().unwrap().version, 1);
}

// --- import -----------------------------------------------------------------------------

fn tc_string(edit: impl FnOnce(&mut privacykit_tcf::TcModel)) -> String {
    let mut model = privacykit_tcf::TcModel {
        created: MAY_1_DAY_DS,
        last_updated: MAY_1_DAY_DS,
        cmp_id: 300,
        cmp_version: 1,
        vendor_list_version: 140,
        disclosed_vendors: vec![755, 793, 804],
        ..privacykit_tcf::TcModel::default()
    };
    edit(&mut model);
    privacykit_tcf::encode_tc_string(&model).unwrap()
}

#[test]
fn an_imported_tc_string_becomes_the_users_choices_for_the_mapped_uses() {
    let (kit, store) = open(CALLSAPP_TCF);
    adult_in(&kit, "DE");
    kit.accept_policy().unwrap();
    let text = tc_string(|m| {
        m.purpose_consents = vec![1, 3, 4, 9];
        // Purpose 2 stands, 7 does not: device_info for advertising is mapped to both.
        m.purpose_legitimate_interests = vec![2];
    });
    let entries = kit.import_tc_string(text).unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.action, e.purpose.clone(), e.category.clone(), e.source))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                privacykit::ConsentAction::Grant,
                Some("advertising".to_owned()),
                Some("advertising_id".to_owned()),
                ConsentSource::TcString
            ),
            (
                privacykit::ConsentAction::Object,
                Some("advertising".to_owned()),
                Some("device_info".to_owned()),
                ConsentSource::TcString
            ),
        ]
    );
    let detail: serde_json::Value =
        serde_json::from_str(entries[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["cmp_id"], 300);
    assert_eq!(detail["vendor_list_version"], 140);
    assert_eq!(detail["tcf_ids"], serde_json::json!([1, 3, 4]));

    // The guard and the signals now say what the string said.
    assert!(!kit.explain("advertising_id", "advertising").allowed);
    assert_eq!(
        kit.explain("device_info", "advertising").reason,
        privacykit::DecisionReason::ObjectedByUser
    );
    let tc = store.decoded();
    assert_eq!(tc.purposes_consent, vec![1, 3, 4]);
    assert!(tc.purposes_li_transparency.is_empty());

    // The same string again changes nothing.
    let again = tc_string(|m| {
        m.purpose_consents = vec![1, 3, 4];
        m.purpose_legitimate_interests = vec![2];
    });
    assert!(kit.import_tc_string(again).unwrap().is_empty());

    // A string without consent withdraws it.
    let entries = kit.import_tc_string(tc_string(|_| {})).unwrap();
    assert_eq!(entries[0].action, privacykit::ConsentAction::Withdraw);
    assert!(store.decoded().purposes_consent.is_empty());
}

#[test]
fn what_one_kit_writes_imports_into_another_as_the_same_choices() {
    let (first, first_store) = open(CALLSAPP_TCF);
    adult_in(&first, "DE");
    first.accept_policy().unwrap();
    first
        .grant_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();
    let (second, second_store) = open(CALLSAPP_TCF);
    adult_in(&second, "DE");
    second.accept_policy().unwrap();
    second
        .import_tc_string(first_store.text("IABTCF_TCString"))
        .unwrap();
    for key in [
        "IABTCF_PurposeConsents",
        "IABTCF_PurposeLegitimateInterests",
        "IABTCF_VendorConsents",
        "IABTCF_VendorLegitimateInterests",
    ] {
        assert_eq!(second_store.text(key), first_store.text(key), "{key}");
    }
}

#[test]
fn a_refused_tc_string_records_nothing() {
    let (kit, store) = open(CALLSAPP_TCF);
    kit.accept_policy().unwrap();
    let length = kit.consent_state().unwrap().ledger_length;
    let calls = store.calls();
    let cases = [
        ("not a TC string".to_owned(), "malformed"),
        (
            tc_string(|m| {
                m.cmp_id = 301;
                m.purpose_consents = vec![1];
            }),
            "written by CMP 301",
        ),
        (
            tc_string(|m| {
                m.vendor_list_version = 141;
                m.purpose_consents = vec![1];
            }),
            "vendor list version 141",
        ),
        (
            tc_string(|m| {
                m.tcf_policy_version = 2;
                m.purpose_consents = vec![1];
            }),
            "predates TCF v2.2",
        ),
    ];
    for (text, expected) in cases {
        match kit.import_tc_string(text) {
            Err(PrivacyError::TcStringRefused { reason }) => {
                assert!(reason.contains(expected), "{reason}")
            }
            other => panic!("expected TcStringRefused, got {other:?}"),
        }
    }
    assert_eq!(kit.consent_state().unwrap().ledger_length, length);
    assert_eq!(store.calls(), calls);

    let (plain, _) = open(CALLSAPP);
    assert!(matches!(
        plain.import_tc_string(tc_string(|m| m.purpose_consents = vec![1])),
        Err(PrivacyError::TcStringRefused { .. })
    ));
    assert_eq!(plain.consent_state().unwrap().ledger_length, 0);
}

/// The US National section as the GPP string in the store carries it.
fn usnat_in(store: &MapStore) -> privacykit_tcf::UsNat {
    let gpp = privacykit_tcf::decode_gpp(&store.text("IABGPP_HDR_GppString")).unwrap();
    gpp.sections
        .into_iter()
        .find_map(|section| match section {
            privacykit_tcf::GppSection::UsNat(usnat) => Some(usnat),
            _ => None,
        })
        .expect("a usnat section")
}

#[test]
fn us_users_get_the_us_national_section_with_opt_outs_from_their_choices() {
    let (kit, store) = open(CALLSAPP_TCF);
    kit.accept_policy().unwrap();
    adult_in(&kit, "US-CA");
    assert_eq!(store.text("IABGPP_GppSID"), "7");
    let usnat = usnat_in(&store);
    // Sharing rests on the advertising ID's consent, not given yet: opted out. The app
    // declares no sale: not applicable.
    assert_eq!(
        (
            usnat.sharing_notice,
            usnat.sharing_opt_out_notice,
            usnat.sharing_opt_out
        ),
        (1, 1, 1)
    );
    assert_eq!((usnat.sale_opt_out_notice, usnat.sale_opt_out), (0, 0));
    assert_eq!(usnat.targeted_advertising_opt_out, 1);
    assert_eq!(store.int("IABGPP_USNAT_SharingOptOut"), 1);

    kit.grant_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();
    let usnat = usnat_in(&store);
    assert_eq!(usnat.sharing_opt_out, 2, "consent given: did not opt out");
    assert_eq!(
        usnat.targeted_advertising_opt_out, 2,
        "device data on legitimate interest, not objected to"
    );

    // An objection to one use behind targeted advertising is an opt-out of it.
    kit.object_to("advertising".into(), Some("device_info".into()))
        .unwrap();
    let usnat = usnat_in(&store);
    assert_eq!(usnat.targeted_advertising_opt_out, 1);
    assert_eq!(usnat.sharing_opt_out, 2);

    // A withdrawal is one too.
    kit.withdraw_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();
    assert_eq!(usnat_in(&store).sharing_opt_out, 1);

    // Users elsewhere get no US section.
    adult_in(&kit, "DE");
    assert_eq!(store.text("IABGPP_GppSID"), "2");
    assert!(!store.has("IABGPP_7_String"));
}

#[test]
fn a_usnat_use_must_be_declared_and_rest_on_consent_or_legitimate_interest() {
    let refused = with_tcf(|tcf| {
        tcf["usnat"] = serde_json::json!({ "sale": [ { "purpose": "analytics", "categories": ["contacts"] } ] });
    })
    .unwrap_err();
    assert_eq!(refused.0, "tcf.usnat.sale[0].categories[0]");
    let refused = with_tcf(|tcf| {
        tcf["usnat"] = serde_json::json!({ "sharing": [ { "purpose": "service", "categories": ["contacts"] } ] });
    })
    .unwrap_err();
    assert_eq!(refused.0, "tcf.usnat.sharing[0].purpose");
}

#[test]
fn a_vendor_added_to_a_consented_use_asks_the_user_again_for_that_use_only() {
    let (kit, store) = open(CALLSAPP_TCF);
    kit.accept_policy().unwrap();
    adult_in(&kit, "DE");
    kit.grant_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();
    assert!(store.decoded().vendors_consent.contains(&755));
    // Version 2 adds vendor 901, relying on TCF purpose 1 (the advertising ID's consent).
    let mut next: serde_json::Value = serde_json::from_str(CALLSAPP_TCF).unwrap();
    next["version"] = 2.into();
    next["tcf"]["vendors"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "id": 901, "consent_purposes": [1] }));
    kit.update_policy(next.to_string()).unwrap();

    let pending = kit.pending_reconsent().unwrap();
    let asked: Vec<(&str, &str)> = pending
        .iter()
        .map(|item| (item.category.as_str(), item.purpose.as_str()))
        .collect();
    assert_eq!(asked, vec![("advertising_id", "advertising")]);
    assert_eq!(
        pending[0].changes,
        vec![privacykit::TermsChange::TcfVendorsAdded { vendors: vec![901] }]
    );
    assert_eq!(
        kit.explain("advertising_id", "advertising").reason,
        privacykit::DecisionReason::ReconsentNeeded
    );
    // Until the user agrees again, no vendor gets the purpose's consent.
    assert!(store.decoded().purposes_consent.is_empty());
    kit.grant_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();
    assert!(kit.pending_reconsent().unwrap().is_empty());
    assert!(store.decoded().vendors_consent.contains(&901));
}

#[test]
fn a_birthday_that_makes_a_minor_an_adult_reaches_the_keys_with_the_next_decision() {
    let clock = ManualClock::at(MAY_1_NOON);
    let kit = PrivacyKit::open_with_clock(
        PrivacyKitConfig {
            database_path: None,
            policy_json: CALLSAPP_TCF.to_owned(),
            platform: Platform::Android,
            utc_offset_minutes: 0,
            key_provider: None,
        },
        clock.clone(),
    )
    .unwrap();
    let store = Arc::new(MapStore::default());
    kit.set_consent_signal_store(store.clone()).unwrap();
    kit.accept_policy().unwrap();
    // 16, the age of digital consent in Germany, on 2 May.
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some("2008-05-02".into()),
            age_years: None,
            jurisdiction: Some("DE".into()),
        },
        ConsentSource::User,
    )
    .unwrap();
    kit.grant_consent("advertising".into(), Some("advertising_id".into()))
        .unwrap();
    assert!(store.decoded().purposes_consent.is_empty(), "a minor: none");
    let writes = store.calls();

    // The next day, the first decision asked for (here one the keys do not carry) finds the
    // table out of date and rebuilds it; the keys follow.
    clock.advance_days(1);
    kit.check("contacts", "service");
    assert_eq!(
        store.calls(),
        writes + 1,
        "written once, with no change recorded"
    );
    assert_eq!(store.decoded().purposes_consent, vec![1, 3, 4]);
}
