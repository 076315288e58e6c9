//! Every string the encoders produce for random models, read back field by field by two
//! decoders written by others from the same specifications: `lib_tcstring` for TC strings,
//! `iab_gpp` for GPP strings (its header, its own tcfeuv2 decoder and its usnat decoder).
//! Agreement means the encoders follow the specification as others read it, not merely
//! as this crate's own decoder does, which the round trip checks as well.

use std::collections::BTreeSet;
use std::str::FromStr;

use iab_gpp::sections::tcfeuv2::TcfEuV2;
use iab_gpp::sections::usnat::{self, UsNat as ReferenceUsNat};
use iab_gpp::v1::GPPString;
use privacykit_tcf::*;

const CASES: u64 = 3000;

/// SplitMix64: deterministic, so a failing case is reproducible from its index.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn letters(&mut self) -> String {
        (0..2)
            .map(|_| char::from(b'A' + self.below(26) as u8))
            .collect()
    }

    fn ids_u8(&mut self, width: u8, percent: u64) -> Vec<u8> {
        (1..=width).filter(|_| self.chance(percent)).collect()
    }

    /// Vendor sets of the shapes that pick each encoding: sparse (ranges), runs (ranges),
    /// dense or scattered (bitfield), up to the 16-bit limit now and then.
    fn vendors(&mut self) -> Vec<u16> {
        let max = match self.below(10) {
            0 => 0,
            1..=4 => self.below(60) + 1,
            5..=8 => self.below(1500) + 1,
            _ => self.below(65535) + 1,
        } as u16;
        let mut ids = Vec::new();
        match self.below(3) {
            0 => {
                let density = self.below(101);
                ids.extend((1..=max).filter(|_| self.chance(density)));
            }
            1 => {
                for _ in 0..self.below(8) {
                    let start = self.below(u64::from(max) + 1).max(1) as u16;
                    let length = self.below(200) as u16;
                    ids.extend(start..=start.saturating_add(length).min(max.max(1)));
                }
            }
            _ => {
                for _ in 0..self.below(12) {
                    ids.push(self.below(u64::from(max) + 1).max(1) as u16);
                }
            }
        }
        ids.retain(|&id| id >= 1);
        // Unsorted, with repeats: the encoder must not care.
        if self.chance(50) {
            ids.reverse();
            if let Some(&first) = ids.first() {
                ids.push(first);
            }
        }
        ids
    }
}

fn random_model(rng: &mut Rng) -> TcModel {
    let day = day_timestamp(rng.below(4_000_000_000));
    let vendor_consents = rng.vendors();
    let vendor_legitimate_interests = rng.vendors();
    let mut disclosed_vendors = rng.vendors();
    disclosed_vendors.extend(&vendor_consents);
    disclosed_vendors.extend(&vendor_legitimate_interests);
    let mut purposes: Vec<u8> = (1..=24).collect();
    let mut publisher_restrictions = Vec::new();
    for _ in 0..rng.below(5) {
        // Distinct purposes, so no vendor has two types for one purpose.
        let index = rng.below(purposes.len() as u64) as usize;
        let purpose_id = purposes.swap_remove(index);
        let restriction_type = match rng.below(3) {
            0 => RestrictionType::NotAllowed,
            1 => RestrictionType::RequireConsent,
            _ => RestrictionType::RequireLegitimateInterest,
        };
        // Restrictions have only a range encoding, limited to 4,095 ranges.
        let mut vendor_ids = rng.vendors();
        vendor_ids.retain(|&id| id <= 8000);
        if vendor_ids.is_empty() {
            vendor_ids.push(1);
        }
        publisher_restrictions.push(PublisherRestriction {
            purpose_id,
            restriction_type,
            vendor_ids,
        });
    }
    let publisher_tc = rng.chance(50).then(|| {
        let num_custom_purposes = rng.below(64) as u8;
        PublisherTc {
            purpose_consents: rng.ids_u8(24, 30),
            purpose_legitimate_interests: rng.ids_u8(24, 30),
            num_custom_purposes,
            custom_purpose_consents: rng.ids_u8(num_custom_purposes, 50),
            custom_purpose_legitimate_interests: rng.ids_u8(num_custom_purposes, 50),
        }
    });
    TcModel {
        created: day,
        last_updated: if rng.chance(80) {
            day
        } else {
            rng.below(1 << 36)
        },
        cmp_id: rng.below(4096) as u16,
        cmp_version: rng.below(4096) as u16,
        consent_screen: rng.below(64) as u8,
        consent_language: rng.letters(),
        vendor_list_version: rng.below(4096) as u16,
        tcf_policy_version: rng.below(64) as u8,
        is_service_specific: rng.chance(90),
        use_non_standard_texts: rng.chance(20),
        special_feature_opt_ins: rng.ids_u8(12, 40),
        purpose_consents: rng.ids_u8(24, 50),
        purpose_legitimate_interests: rng.ids_u8(24, 30),
        purpose_one_treatment: rng.chance(10),
        publisher_country_code: rng.letters(),
        vendor_consents,
        vendor_legitimate_interests,
        publisher_restrictions,
        disclosed_vendors,
        publisher_tc,
    }
}

fn random_usnat(rng: &mut Rng) -> UsNat {
    let version = if rng.chance(75) { 2 } else { 1 };
    let (sensitive, child) = if version == 2 { (16, 3) } else { (12, 2) };
    let mut value = || rng.below(3) as u8;
    let mut section = UsNat {
        version,
        sharing_notice: value(),
        sale_opt_out_notice: value(),
        sharing_opt_out_notice: value(),
        targeted_advertising_opt_out_notice: value(),
        sensitive_data_processing_opt_out_notice: value(),
        sensitive_data_limit_use_notice: value(),
        sale_opt_out: value(),
        sharing_opt_out: value(),
        targeted_advertising_opt_out: value(),
        sensitive_data_processing: (0..sensitive).map(|_| value()).collect(),
        known_child_sensitive_data_consents: (0..child).map(|_| value()).collect(),
        personal_data_consents: value(),
        mspa_covered_transaction: 0,
        mspa_opt_out_option_mode: value(),
        mspa_service_provider_mode: value(),
        gpc: None,
    };
    // 1 yes, 2 no: the only values the specification defines for this field.
    section.mspa_covered_transaction = 1 + rng.below(2) as u8;
    section.gpc = match rng.below(3) {
        0 => None,
        1 => Some(false),
        _ => Some(true),
    };
    section
}

fn sorted<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
    ids.iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn set_u8(ids: &[u8]) -> BTreeSet<u16> {
    ids.iter().map(|&id| u16::from(id)).collect()
}

fn set_u16(ids: &[u16]) -> BTreeSet<u16> {
    ids.iter().copied().collect()
}

/// The decoded form of `model`: lists sorted and deduplicated, letters upper case.
fn normalized(model: &TcModel) -> TcModel {
    let mut model = model.clone();
    model.vendor_consents = sorted(&model.vendor_consents);
    model.vendor_legitimate_interests = sorted(&model.vendor_legitimate_interests);
    model.disclosed_vendors = sorted(&model.disclosed_vendors);
    for restriction in &mut model.publisher_restrictions {
        restriction.vendor_ids = sorted(&restriction.vendor_ids);
    }
    model.consent_language = model.consent_language.to_ascii_uppercase();
    model.publisher_country_code = model.publisher_country_code.to_ascii_uppercase();
    model
}

fn restriction_code(restriction_type: &lib_tcstring::PublisherRestrictionType) -> u8 {
    use lib_tcstring::PublisherRestrictionType as Type;
    match restriction_type {
        Type::NotAllowed => 0,
        Type::RequireConsent => 1,
        Type::RequireLegitimateInterest => 2,
        Type::Undefined => 3,
    }
}

fn check_against_lib_tcstring(model: &TcModel, text: &str) {
    let reference = lib_tcstring::TcModelV2::try_from(text)
        .unwrap_or_else(|error| panic!("lib_tcstring refused {text}: {error:?}"));
    assert_eq!(reference.created_at, model.created * 100);
    assert_eq!(reference.updated_at, model.last_updated * 100);
    assert_eq!(reference.cmp_id, model.cmp_id);
    assert_eq!(reference.cmp_version, model.cmp_version);
    assert_eq!(reference.consent_screen, model.consent_screen);
    assert_eq!(reference.consent_language, model.consent_language);
    assert_eq!(reference.vendor_list_version, model.vendor_list_version);
    assert_eq!(
        reference.tcf_policy_version,
        u16::from(model.tcf_policy_version)
    );
    assert_eq!(reference.is_service_specific, model.is_service_specific);
    assert_eq!(
        reference.use_non_standard_stacks,
        model.use_non_standard_texts
    );
    assert_eq!(
        reference.special_feature_opt_ins,
        sorted(&model.special_feature_opt_ins)
    );
    assert_eq!(reference.purposes_consent, sorted(&model.purpose_consents));
    assert_eq!(
        reference.purposes_li_transparency,
        sorted(&model.purpose_legitimate_interests)
    );
    assert_eq!(reference.purpose_one_treatment, model.purpose_one_treatment);
    assert_eq!(
        reference.publisher_country_code,
        model.publisher_country_code
    );
    assert_eq!(reference.vendors_consent, model.vendor_consents);
    assert_eq!(
        reference.vendors_li_consent,
        model.vendor_legitimate_interests
    );
    assert_eq!(
        reference.publisher_restrictions.len(),
        model.publisher_restrictions.len()
    );
    for (theirs, ours) in reference
        .publisher_restrictions
        .iter()
        .zip(&model.publisher_restrictions)
    {
        assert_eq!(theirs.purpose_id, ours.purpose_id);
        assert_eq!(
            restriction_code(&theirs.restriction_type),
            ours.restriction_type.code()
        );
        assert_eq!(sorted(&theirs.vendor_list), ours.vendor_ids);
    }
    assert_eq!(reference.disclosed_vendors, model.disclosed_vendors);
    let publisher = model.publisher_tc.clone().unwrap_or_default();
    assert_eq!(
        reference.publisher_purposes_consent,
        sorted(&publisher.purpose_consents)
    );
    assert_eq!(
        reference.publisher_purposes_li_transparency,
        sorted(&publisher.purpose_legitimate_interests)
    );
    assert_eq!(
        reference.custom_purposes_consent,
        sorted(&publisher.custom_purpose_consents)
    );
    assert_eq!(
        reference.custom_purposes_li_transparency,
        sorted(&publisher.custom_purpose_legitimate_interests)
    );
}

fn check_tcfeuv2_against_iab_gpp(model: &TcModel, reference: &TcfEuV2) {
    let core = &reference.core;
    assert_eq!(core.created, model.created / 10);
    assert_eq!(core.last_updated, model.last_updated / 10);
    assert_eq!(core.cmp_id, model.cmp_id);
    assert_eq!(core.cmp_version, model.cmp_version);
    assert_eq!(core.consent_screen, model.consent_screen);
    assert_eq!(core.consent_language, model.consent_language);
    assert_eq!(core.vendor_list_version, model.vendor_list_version);
    assert_eq!(core.policy_version, model.tcf_policy_version);
    assert_eq!(core.is_service_specific, model.is_service_specific);
    assert_eq!(core.use_non_standard_stacks, model.use_non_standard_texts);
    assert_eq!(
        core.special_feature_optins,
        set_u8(&model.special_feature_opt_ins)
    );
    assert_eq!(core.purpose_consents, set_u8(&model.purpose_consents));
    assert_eq!(
        core.purpose_legitimate_interests,
        set_u8(&model.purpose_legitimate_interests)
    );
    assert_eq!(core.purpose_one_treatment, model.purpose_one_treatment);
    assert_eq!(core.publisher_country_code, model.publisher_country_code);
    assert_eq!(core.vendor_consents, set_u16(&model.vendor_consents));
    assert_eq!(
        core.vendor_legitimate_interests,
        set_u16(&model.vendor_legitimate_interests)
    );
    assert_eq!(
        core.publisher_restrictions.len(),
        model.publisher_restrictions.len()
    );
    for (theirs, ours) in core
        .publisher_restrictions
        .iter()
        .zip(&model.publisher_restrictions)
    {
        assert_eq!(theirs.purpose_id, ours.purpose_id);
        assert_eq!(
            format!("{:?}", theirs.restriction_type),
            format!("{:?}", ours.restriction_type)
        );
        assert_eq!(theirs.restricted_vendor_ids, set_u16(&ours.vendor_ids));
    }
    assert_eq!(
        reference.disclosed_vendors,
        Some(set_u16(&model.disclosed_vendors))
    );
    match (&reference.publisher_purposes, &model.publisher_tc) {
        (None, None) => {}
        (Some(theirs), Some(ours)) => {
            assert_eq!(theirs.consents, set_u8(&ours.purpose_consents));
            assert_eq!(
                theirs.legitimate_interests,
                set_u8(&ours.purpose_legitimate_interests)
            );
            assert_eq!(
                theirs.custom_consents,
                set_u8(&ours.custom_purpose_consents)
            );
            assert_eq!(
                theirs.custom_legitimate_interests,
                set_u8(&ours.custom_purpose_legitimate_interests)
            );
        }
        (theirs, ours) => panic!("publisher TC: {theirs:?} vs {ours:?}"),
    }
}

/// iab_gpp's enums for 0 (not applicable), 1 and 2, by name, whichever field they are for.
fn code(value: &impl std::fmt::Debug) -> u8 {
    match format!("{value:?}").as_str() {
        "NotApplicable" => 0,
        "Provided" | "OptedOut" | "NoConsent" | "Yes" => 1,
        "NotProvided" | "DidNotOptOut" | "Consent" | "No" => 2,
        other => panic!("unexpected value {other}"),
    }
}

fn check_usnat_against_iab_gpp(ours: &UsNat, reference: &ReferenceUsNat) {
    let (leading, lists, trailing): (Vec<u8>, Vec<u8>, Vec<u8>) = match &reference.core {
        usnat::Core::V1(core) => {
            let s = &core.sensitive_data_processing;
            let k = &core.known_child_sensitive_data_consents;
            (
                [
                    &core.sharing_notice,
                    &core.sale_opt_out_notice,
                    &core.sharing_opt_out_notice,
                    &core.targeted_advertising_opt_out_notice,
                    &core.sensitive_data_processing_opt_out_notice,
                    &core.sensitive_data_limit_use_notice,
                ]
                .iter()
                .map(code)
                .chain(
                    [
                        &core.sale_opt_out,
                        &core.sharing_opt_out,
                        &core.targeted_advertising_opt_out,
                    ]
                    .iter()
                    .map(code),
                )
                .collect(),
                [
                    &s.racial_or_ethnic_origin,
                    &s.religious_or_philosophical_beliefs,
                    &s.health_data,
                    &s.sex_life_or_sexual_orientation,
                    &s.citizenship_or_immigration_status,
                    &s.genetic_unique_identification,
                    &s.biometric_unique_identification,
                    &s.precise_geolocation_data,
                    &s.identification_documents,
                    &s.financial_data,
                    &s.union_membership,
                    &s.mail_email_or_text_messages,
                    &k.from_13_to_16,
                    &k.under_13,
                ]
                .iter()
                .map(code)
                .collect(),
                vec![
                    code(&core.personal_data_consent),
                    if core.mspa_covered_transaction { 1 } else { 2 },
                    code(&core.mspa_opt_out_option_mode),
                    code(&core.mspa_service_provider_mode),
                ],
            )
        }
        usnat::Core::V2(core) => {
            let s = &core.sensitive_data_processing;
            let k = &core.known_child_sensitive_data_consents;
            (
                [
                    &core.sharing_notice,
                    &core.sale_opt_out_notice,
                    &core.sharing_opt_out_notice,
                    &core.targeted_advertising_opt_out_notice,
                    &core.sensitive_data_processing_opt_out_notice,
                    &core.sensitive_data_limit_use_notice,
                ]
                .iter()
                .map(code)
                .chain(
                    [
                        &core.sale_opt_out,
                        &core.sharing_opt_out,
                        &core.targeted_advertising_opt_out,
                    ]
                    .iter()
                    .map(code),
                )
                .collect(),
                [
                    &s.racial_or_ethnic_origin,
                    &s.religious_or_philosophical_beliefs,
                    &s.health_data,
                    &s.sex_life_or_sexual_orientation,
                    &s.citizenship_or_immigration_status,
                    &s.genetic_unique_identification,
                    &s.biometric_unique_identification,
                    &s.precise_geolocation_data,
                    &s.identification_documents,
                    &s.financial_account_data,
                    &s.union_membership,
                    &s.mail_email_or_text_messages,
                    &s.general_health_data,
                    &s.crime_victim_status,
                    &s.national_origin,
                    &s.transgender_or_nonbinary_status,
                    &k.process_sensitive_data_from_13_to_16,
                    &k.process_sensitive_data_under_13,
                    &k.process_personal_data_from_16_to_17,
                ]
                .iter()
                .map(code)
                .collect(),
                vec![
                    code(&core.personal_data_consent),
                    if core.mspa_covered_transaction { 1 } else { 2 },
                    code(&core.mspa_opt_out_option_mode),
                    code(&core.mspa_service_provider_mode),
                ],
            )
        }
        other => panic!("unexpected usnat core {other:?}"),
    };
    let expected_version = match reference.core {
        usnat::Core::V1(_) => 1,
        _ => 2,
    };
    assert_eq!(ours.version, expected_version);
    let our_leading: Vec<u8> = [
        ours.sharing_notice,
        ours.sale_opt_out_notice,
        ours.sharing_opt_out_notice,
        ours.targeted_advertising_opt_out_notice,
        ours.sensitive_data_processing_opt_out_notice,
        ours.sensitive_data_limit_use_notice,
        ours.sale_opt_out,
        ours.sharing_opt_out,
        ours.targeted_advertising_opt_out,
    ]
    .to_vec();
    assert_eq!(leading, our_leading);
    let our_lists: Vec<u8> = ours
        .sensitive_data_processing
        .iter()
        .chain(&ours.known_child_sensitive_data_consents)
        .copied()
        .collect();
    assert_eq!(lists, our_lists);
    assert_eq!(
        trailing,
        vec![
            ours.personal_data_consents,
            ours.mspa_covered_transaction,
            ours.mspa_opt_out_option_mode,
            ours.mspa_service_provider_mode
        ]
    );
    assert_eq!(reference.gpc, ours.gpc);
}

#[test]
fn encoded_strings_decode_alike_in_independent_decoders() {
    let mut rng = Rng(0x7463_665f_6469_6666);
    for case in 0..CASES {
        let model = random_model(&mut rng);
        let usnat = random_usnat(&mut rng);
        let text = encode_tc_string(&model).unwrap_or_else(|e| panic!("case {case}: {e}"));
        let expected = normalized(&model);
        assert_eq!(
            decode_tc_string(&text).as_ref(),
            Ok(&expected),
            "case {case}"
        );
        check_against_lib_tcstring(&expected, &text);

        // iab_gpp reads each publisher restriction's vendors as the GPP "OptimizedIntRange"
        // (MaxVendorId, IsRangeEncoding, then bitfield or ranges), where the TCF
        // specification, which the GPP's TCF section says takes precedence, has NumEntries and
        // range entries only, as lib_tcstring and the IAB's own encoders read them. So the
        // strings given to iab_gpp carry no restrictions; lib_tcstring checked those above.
        let model = TcModel {
            publisher_restrictions: Vec::new(),
            ..model
        };
        let expected = normalized(&model);
        let gpp = GppString {
            sections: vec![
                GppSection::UsNat(usnat.clone()),
                GppSection::TcfEuV2(model.clone()),
            ],
        };
        let gpp_text = encode_gpp(&gpp).unwrap();
        let decoded = decode_gpp(&gpp_text).unwrap();
        assert_eq!(
            decoded.sections,
            vec![
                GppSection::TcfEuV2(expected.clone()),
                GppSection::UsNat(usnat.clone())
            ],
            "case {case}"
        );
        let reference = GPPString::from_str(&gpp_text)
            .unwrap_or_else(|e| panic!("iab_gpp refused {gpp_text}: {e:?}"));
        assert_eq!(
            reference
                .section_ids()
                .map(|id| *id as u16)
                .collect::<Vec<_>>(),
            vec![2, 7]
        );
        let tcf: TcfEuV2 = reference
            .decode()
            .unwrap_or_else(|e| panic!("case {case}: iab_gpp tcfeuv2: {e:?}"));
        check_tcfeuv2_against_iab_gpp(&expected, &tcf);
        let reference_usnat: ReferenceUsNat = reference
            .decode()
            .unwrap_or_else(|e| panic!("case {case}: iab_gpp usnat: {e:?}"));
        check_usnat_against_iab_gpp(&usnat, &reference_usnat);
    }
}
