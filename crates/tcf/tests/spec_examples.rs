//! The example strings the IAB publishes, decoded to the fields they document, and the
//! in-app keys for a model whose every key is worked out by hand.

use privacykit_tcf::*;

/// The TC string of "TC String Format" in the TCF v2.3 consent string specification:
/// core, Disclosed Vendors, Publisher TC.
const TCF_SPEC_EXAMPLE: &str =
    "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA";

#[test]
fn the_tcf_specification_example_decodes_and_reencodes_to_itself() {
    let model = decode_tc_string(TCF_SPEC_EXAMPLE).unwrap();
    // 2025-06-03T00:00:00Z: Created and LastUpdated equal, at midnight, as v2.2+ requires.
    assert_eq!(model.created, 17_489_088_000);
    assert_eq!(model.last_updated, model.created);
    assert_eq!(model.created, day_timestamp(1_748_908_800 + 86_399));
    assert_eq!(model.cmp_id, 880);
    assert_eq!(model.cmp_version, 0);
    assert_eq!(model.consent_language, "EN");
    assert_eq!(model.vendor_list_version, 48);
    assert_eq!(model.tcf_policy_version, 2);
    assert!(model.is_service_specific);
    assert_eq!(model.publisher_country_code, "DE");
    assert_eq!(model.vendor_consents, vec![1, 2, 3, 4]);
    assert!(model.vendor_legitimate_interests.is_empty());
    assert!(model.publisher_restrictions.is_empty());
    assert_eq!(model.disclosed_vendors, vec![1, 2, 3, 4, 5, 100, 404]);
    assert_eq!(model.publisher_tc, Some(PublisherTc::default()));
    // Same choices of bitfield or ranges, same padding: byte for byte.
    assert_eq!(encode_tc_string(&model).unwrap(), TCF_SPEC_EXAMPLE);
}

/// The TC string of the GPP specification's examples, written before TCF v2.3.
const GPP_SPEC_TC_STRING: &str = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA";

#[test]
fn the_gpp_specification_headers_decode_to_their_sections() {
    assert_eq!(decode_gpp_header("DBABM").unwrap(), vec![2]);
    assert_eq!(decode_gpp_header("DBACNY").unwrap(), vec![2, 6]);
    assert_eq!(decode_gpp_header("DBABjw").unwrap(), vec![5, 6]);
    // The URL-macro example of the same specification, padded to a whole byte.
    assert_eq!(decode_gpp_header("DBACNYA").unwrap(), vec![2, 6]);
}

#[test]
fn the_gpp_specification_strings_decode() {
    // Example 3: Canadian TCF and US Privacy, both carried as text.
    let gpp = decode_gpp(&format!("DBABjw~{GPP_SPEC_TC_STRING}~1YNN")).unwrap();
    assert_eq!(gpp.section_ids(), vec![5, 6]);
    assert_eq!(
        gpp.section(6),
        Some(&GppSection::Other {
            id: 6,
            encoded: "1YNN".into()
        })
    );
    // Examples 1 and 2 carry that TC string as section 2; it predates the mandatory
    // Disclosed Vendors segment, which this decoder holds it to.
    for text in [
        format!("DBABM~{GPP_SPEC_TC_STRING}"),
        format!("DBACNY~{GPP_SPEC_TC_STRING}~1YNN"),
    ] {
        assert_eq!(decode_gpp(&text), Err(DecodeError::MissingDisclosedVendors));
    }
    // The GPP specification documents no fields of that string; its core segment, with an
    // empty Disclosed Vendors segment added, decodes as an independent decoder reads it.
    let model = decode_tc_string(&format!("{GPP_SPEC_TC_STRING}.IAAA")).unwrap();
    let reference = lib_tcstring::TcModelV2::try_from(GPP_SPEC_TC_STRING).unwrap();
    assert_eq!(model.created * 100, reference.created_at);
    assert_eq!(u64::from(model.cmp_id), u64::from(reference.cmp_id));
    assert_eq!(model.vendor_list_version, reference.vendor_list_version);
    assert_eq!(model.consent_language, reference.consent_language);
    assert_eq!(
        model.publisher_country_code,
        reference.publisher_country_code
    );
    assert_eq!(model.purpose_consents, reference.purposes_consent);
    assert_eq!(model.vendor_consents, reference.vendors_consent);
}

#[test]
fn headers_are_written_as_the_gpp_specification_lays_them_out() {
    let other = |id: u16| GppSection::Other {
        id,
        encoded: "x".into(),
    };
    let header = |sections: Vec<GppSection>| {
        let gpp = encode_gpp(&GppString { sections }).unwrap();
        gpp.split('~').next().unwrap().to_owned()
    };
    // The specification's bits, padded to a whole byte as the IAB's encoders do.
    assert_eq!(header(vec![other(2)]), "DBABMA");
    assert_eq!(header(vec![other(6), other(2)]), "DBACNYA");
    assert_eq!(header(vec![other(5), other(6)]), "DBABjw");
    assert_eq!(header(vec![other(7)]), "DBABLA");
}

fn all_ones_usnat() -> UsNat {
    UsNat {
        version: 2,
        sharing_notice: 1,
        sale_opt_out_notice: 1,
        sharing_opt_out_notice: 1,
        targeted_advertising_opt_out_notice: 1,
        sensitive_data_processing_opt_out_notice: 1,
        sensitive_data_limit_use_notice: 1,
        sale_opt_out: 1,
        sharing_opt_out: 1,
        targeted_advertising_opt_out: 1,
        sensitive_data_processing: vec![2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2],
        known_child_sensitive_data_consents: vec![2, 1, 0],
        personal_data_consents: 1,
        mspa_covered_transaction: 1,
        mspa_opt_out_option_mode: 1,
        mspa_service_provider_mode: 2,
        gpc: Some(true),
    }
}

/// usnat sections as the IAB's reference encoder (iabgpp-es) writes them for the given
/// fields; the usnat specification itself publishes no example string.
#[test]
fn usnat_matches_the_iab_reference_encoder() {
    let zero = UsNat {
        mspa_covered_transaction: 1,
        ..UsNat::default()
    };
    let cases = [
        (
            UsNat {
                gpc: Some(false),
                ..zero.clone()
            },
            "CAAAAAAAAABA.QA",
        ),
        (zero.clone(), "CAAAAAAAAABA"),
        (all_ones_usnat(), "CVVVkkkkkpFY.YA"),
        (
            UsNat {
                version: 1,
                sensitive_data_processing: vec![1; 12],
                known_child_sensitive_data_consents: vec![1; 2],
                gpc: Some(false),
                ..zero.clone()
            },
            "BAAAVVVVUQA.QA",
        ),
        (
            UsNat {
                sensitive_data_processing: vec![1; 16],
                known_child_sensitive_data_consents: vec![1; 3],
                gpc: Some(false),
                ..zero.clone()
            },
            "CAAAVVVVVVRA.QA",
        ),
    ];
    for (section, text) in cases {
        assert_eq!(encode_usnat(&section).unwrap(), text);
        assert_eq!(decode_usnat(text).unwrap(), section, "{text}");
    }
}

#[test]
fn in_app_keys_are_typed_and_shaped_as_the_cmp_api_says() {
    let model = TcModel {
        created: day_timestamp(1_750_000_000),
        last_updated: day_timestamp(1_750_000_000),
        cmp_id: 300,
        cmp_version: 7,
        consent_language: "fr".into(),
        vendor_list_version: 120,
        publisher_country_code: "fr".into(),
        special_feature_opt_ins: vec![1],
        purpose_consents: vec![1, 3, 24],
        purpose_legitimate_interests: vec![2, 7],
        vendor_consents: vec![5, 2],
        vendor_legitimate_interests: vec![3],
        disclosed_vendors: vec![2, 3, 5],
        publisher_restrictions: vec![
            PublisherRestriction {
                purpose_id: 2,
                restriction_type: RestrictionType::RequireConsent,
                vendor_ids: vec![4, 2],
            },
            PublisherRestriction {
                purpose_id: 2,
                restriction_type: RestrictionType::NotAllowed,
                vendor_ids: vec![6],
            },
        ],
        publisher_tc: Some(PublisherTc {
            purpose_consents: vec![1],
            purpose_legitimate_interests: vec![],
            num_custom_purposes: 3,
            custom_purpose_consents: vec![2],
            custom_purpose_legitimate_interests: vec![3],
        }),
        ..TcModel::default()
    };
    let signals = ConsentSignals {
        tcf: Some(model.clone()),
        gdpr_applies: true,
        usnat: Some(all_ones_usnat()),
        gpp_applicable_sections: vec![2],
    };
    let keys = in_app_keys(&signals).unwrap();
    let tc_string = encode_tc_string(&model).unwrap();
    let usnat = encode_usnat(&all_ones_usnat()).unwrap();
    let s = |text: &str| InAppValue::Str(text.into());
    let expected: InAppKeys = [
        ("IABTCF_CmpSdkID", InAppValue::Int(300)),
        ("IABTCF_CmpSdkVersion", InAppValue::Int(7)),
        ("IABTCF_PolicyVersion", InAppValue::Int(5)),
        ("IABTCF_gdprApplies", InAppValue::Int(1)),
        ("IABTCF_PublisherCC", s("FR")),
        ("IABTCF_PurposeOneTreatment", InAppValue::Int(0)),
        ("IABTCF_UseNonStandardTexts", InAppValue::Int(0)),
        ("IABTCF_TCString", s(&tc_string)),
        ("IABTCF_VendorConsents", s("01001")),
        ("IABTCF_VendorLegitimateInterests", s("001")),
        ("IABTCF_DisclosedVendors", s("01101")),
        ("IABTCF_PurposeConsents", s("101000000000000000000001")),
        (
            "IABTCF_PurposeLegitimateInterests",
            s("010000100000000000000000"),
        ),
        ("IABTCF_SpecialFeaturesOptIns", s("100000000000")),
        ("IABTCF_PublisherRestrictions2", s("_1_1_0")),
        ("IABTCF_PublisherConsent", s("100000000000000000000000")),
        (
            "IABTCF_PublisherLegitimateInterests",
            s("000000000000000000000000"),
        ),
        ("IABTCF_PublisherCustomPurposesConsents", s("010")),
        (
            "IABTCF_PublisherCustomPurposesLegitimateInterests",
            s("001"),
        ),
        ("IABGPP_HDR_Version", s("1")),
        ("IABGPP_HDR_Sections", s("2_7")),
        (
            "IABGPP_HDR_GppString",
            s(&format!("DBACMMA~{tc_string}~{usnat}")),
        ),
        ("IABGPP_GppSID", s("2")),
        ("IABGPP_2_String", s(&tc_string)),
        ("IABGPP_7_String", s(&usnat)),
        ("IABGPP_USNAT_Version", InAppValue::Int(2)),
        ("IABGPP_USNAT_SharingNotice", InAppValue::Int(1)),
        ("IABGPP_USNAT_SaleOptOutNotice", InAppValue::Int(1)),
        ("IABGPP_USNAT_SharingOptOutNotice", InAppValue::Int(1)),
        (
            "IABGPP_USNAT_TargetedAdvertisingOptOutNotice",
            InAppValue::Int(1),
        ),
        (
            "IABGPP_USNAT_SensitiveDataProcessingOptOutNotice",
            InAppValue::Int(1),
        ),
        (
            "IABGPP_USNAT_SensitiveDataLimitUseNotice",
            InAppValue::Int(1),
        ),
        ("IABGPP_USNAT_SaleOptOut", InAppValue::Int(1)),
        ("IABGPP_USNAT_SharingOptOut", InAppValue::Int(1)),
        ("IABGPP_USNAT_TargetedAdvertisingOptOut", InAppValue::Int(1)),
        (
            "IABGPP_USNAT_SensitiveDataProcessing",
            s("2_1_0_2_1_0_2_1_0_2_1_0_2_1_0_2"),
        ),
        ("IABGPP_USNAT_KnownChildSensitiveDataConsents", s("2_1_0")),
        ("IABGPP_USNAT_PersonalDataConsents", InAppValue::Int(1)),
        ("IABGPP_USNAT_MspaCoveredTransaction", InAppValue::Int(1)),
        ("IABGPP_USNAT_MspaOptOutOptionMode", InAppValue::Int(1)),
        ("IABGPP_USNAT_MspaServiceProviderMode", InAppValue::Int(2)),
        ("IABGPP_USNAT_Gpc", InAppValue::Int(1)),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    for (key, value) in &expected {
        assert_eq!(keys.get(key), Some(value), "{key}");
    }
    assert_eq!(keys, expected);

    let outside_gdpr = tcf_in_app_keys(&model, false).unwrap();
    assert_eq!(
        outside_gdpr.keys().collect::<Vec<_>>(),
        [
            "IABTCF_CmpSdkID",
            "IABTCF_CmpSdkVersion",
            "IABTCF_PolicyVersion",
            "IABTCF_gdprApplies"
        ]
    );
    assert_eq!(outside_gdpr["IABTCF_gdprApplies"], InAppValue::Int(0));
}

#[test]
fn encoders_refuse_what_the_format_cannot_carry() {
    let conflict = TcModel {
        publisher_restrictions: vec![
            PublisherRestriction {
                purpose_id: 3,
                restriction_type: RestrictionType::NotAllowed,
                vendor_ids: vec![9],
            },
            PublisherRestriction {
                purpose_id: 3,
                restriction_type: RestrictionType::RequireConsent,
                vendor_ids: vec![9],
            },
        ],
        ..TcModel::default()
    };
    assert_eq!(
        encode_tc_string(&conflict),
        Err(EncodeError::ConflictingRestriction {
            purpose_id: 3,
            vendor_id: 9
        })
    );
    let bad = [
        TcModel {
            cmp_id: 4096,
            ..TcModel::default()
        },
        TcModel {
            consent_language: "e1".into(),
            ..TcModel::default()
        },
        TcModel {
            purpose_consents: vec![25],
            ..TcModel::default()
        },
        TcModel {
            vendor_consents: vec![0],
            ..TcModel::default()
        },
        TcModel {
            created: 1 << 36,
            ..TcModel::default()
        },
    ];
    for model in bad {
        assert!(encode_tc_string(&model).is_err(), "{model:?}");
    }
    let short = UsNat {
        sensitive_data_processing: vec![0; 12],
        ..UsNat::default()
    };
    assert!(matches!(
        encode_usnat(&short),
        Err(EncodeError::WrongLength { .. })
    ));
    assert!(matches!(
        gpp_in_app_keys(
            &GppString {
                sections: vec![GppSection::UsNat(UsNat::default())]
            },
            &[2]
        ),
        Err(EncodeError::SectionNotPresent { id: 2 })
    ));
}
