//! The keys an in-app CMP writes to `SharedPreferences` / `NSUserDefaults` so that ad SDKs
//! read the user's choices without decoding strings: `IABTCF_*` (TCF CMP API v2, "In-App
//! Details") and `IABGPP_*` (GPP CMP API, "In-App Details").
//!
//! Binary strings ('0'/'1' at index n for ID n+1) are exactly as long as the field the TC
//! string carries: 12 for special features, 24 for purposes, NumCustomPurposes for custom
//! purposes and MaxVendorId for vendor fields. The specification fixes no other length,
//! and this one neither drops a bit the string carries nor invents one it does not.

use std::collections::BTreeMap;

use crate::error::EncodeError;
use crate::gpp::{encode_gpp, encode_usnat, GppSection, GppString, UsNat};
use crate::tcf::{encode_tc_string, id_bits, TcModel};

/// A stored value: the specifications type every key as a number or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InAppValue {
    Int(i64),
    Str(String),
}

/// Key to value, in key order. Keys of the same families that are absent from a map must be
/// removed from storage, or vendors keep reading the previous choices.
pub type InAppKeys = BTreeMap<String, InAppValue>;

fn binary_string(ids: &[u8], width: u32) -> Result<String, EncodeError> {
    let bits = id_bits("in-app bitfield", ids, width)?;
    Ok((0..width)
        .map(|index| {
            if bits >> (width - 1 - index) & 1 == 1 {
                '1'
            } else {
                '0'
            }
        })
        .collect())
}

fn vendor_binary_string(ids: &[u16]) -> String {
    let max = ids.iter().copied().max().unwrap_or(0);
    let mut text = vec![b'0'; usize::from(max)];
    for &id in ids {
        if id > 0 {
            text[usize::from(id) - 1] = b'1';
        }
    }
    String::from_utf8(text).unwrap_or_default()
}

fn int(value: impl Into<i64>) -> InAppValue {
    InAppValue::Int(value.into())
}

/// The `IABTCF_*` keys for `model`. When GDPR does not apply, only the CMP's identity, the
/// policy version and `IABTCF_gdprApplies` = 0 are written, as the CMP API's TCData carries
/// only those then. `IABTCF_CmpSdkID` and `IABTCF_CmpSdkVersion` are the model's CmpId and
/// CmpVersion: the SDK writing the keys is the CMP that wrote the string.
pub fn tcf_in_app_keys(model: &TcModel, gdpr_applies: bool) -> Result<InAppKeys, EncodeError> {
    let mut keys = InAppKeys::new();
    let mut put = |key: &str, value: InAppValue| {
        keys.insert(format!("IABTCF_{key}"), value);
    };
    put("CmpSdkID", int(model.cmp_id));
    put("CmpSdkVersion", int(model.cmp_version));
    put("PolicyVersion", int(model.tcf_policy_version));
    put("gdprApplies", int(u8::from(gdpr_applies)));
    if !gdpr_applies {
        return Ok(keys);
    }
    let tc_string = encode_tc_string(model)?;
    put(
        "PublisherCC",
        InAppValue::Str(model.publisher_country_code.to_ascii_uppercase()),
    );
    put(
        "PurposeOneTreatment",
        int(u8::from(model.purpose_one_treatment)),
    );
    put(
        "UseNonStandardTexts",
        int(u8::from(model.use_non_standard_texts)),
    );
    put("TCString", InAppValue::Str(tc_string));
    put(
        "VendorConsents",
        InAppValue::Str(vendor_binary_string(&model.vendor_consents)),
    );
    put(
        "VendorLegitimateInterests",
        InAppValue::Str(vendor_binary_string(&model.vendor_legitimate_interests)),
    );
    put(
        "DisclosedVendors",
        InAppValue::Str(vendor_binary_string(&model.disclosed_vendors)),
    );
    put(
        "PurposeConsents",
        InAppValue::Str(binary_string(&model.purpose_consents, 24)?),
    );
    put(
        "PurposeLegitimateInterests",
        InAppValue::Str(binary_string(&model.purpose_legitimate_interests, 24)?),
    );
    put(
        "SpecialFeaturesOptIns",
        InAppValue::Str(binary_string(&model.special_feature_opt_ins, 12)?),
    );
    for (purpose_id, text) in restriction_strings(model) {
        put(
            &format!("PublisherRestrictions{purpose_id}"),
            InAppValue::Str(text),
        );
    }
    if let Some(publisher) = &model.publisher_tc {
        let custom = u32::from(publisher.num_custom_purposes);
        put(
            "PublisherConsent",
            InAppValue::Str(binary_string(&publisher.purpose_consents, 24)?),
        );
        put(
            "PublisherLegitimateInterests",
            InAppValue::Str(binary_string(&publisher.purpose_legitimate_interests, 24)?),
        );
        put(
            "PublisherCustomPurposesConsents",
            InAppValue::Str(binary_string(&publisher.custom_purpose_consents, custom)?),
        );
        put(
            "PublisherCustomPurposesLegitimateInterests",
            InAppValue::Str(binary_string(
                &publisher.custom_purpose_legitimate_interests,
                custom,
            )?),
        );
    }
    Ok(keys)
}

/// Per restricted purpose, the restriction type of vendor n+1 at index n ('0', '1', '2'),
/// '_' for vendors without one, up to the highest restricted vendor. `encode_tc_string`
/// has already refused a vendor with two types for one purpose.
fn restriction_strings(model: &TcModel) -> BTreeMap<u8, String> {
    let mut per_purpose: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for restriction in &model.publisher_restrictions {
        let text = per_purpose.entry(restriction.purpose_id).or_default();
        let code = b'0' + restriction.restriction_type.code();
        for &vendor_id in &restriction.vendor_ids {
            let index = usize::from(vendor_id.max(1)) - 1;
            if text.len() <= index {
                text.resize(index + 1, b'_');
            }
            text[index] = code;
        }
    }
    per_purpose
        .into_iter()
        .map(|(purpose_id, text)| (purpose_id, String::from_utf8(text).unwrap_or_default()))
        .collect()
}

fn underscored(values: impl IntoIterator<Item = impl ToString>) -> String {
    values
        .into_iter()
        .map(|value| value.to_string())
        .collect::<Vec<_>>()
        .join("_")
}

/// The `IABGPP_*` keys for `gpp`: the header keys, `IABGPP_GppSID` (the sections in force
/// in `applicable_sections`; all of the string's sections when empty),
/// `IABGPP_[SectionID]_String` per section, and for usnat its fields as
/// `IABGPP_USNAT_<FieldName>` (lists as their values joined by '_'). The EU TCF section's
/// fields are under `IABTCF_*` (see [`tcf_in_app_keys`]) and are not repeated here.
pub fn gpp_in_app_keys(
    gpp: &GppString,
    applicable_sections: &[u16],
) -> Result<InAppKeys, EncodeError> {
    let ids = gpp.section_ids();
    for &id in applicable_sections {
        if !ids.contains(&id) {
            return Err(EncodeError::SectionNotPresent { id });
        }
    }
    let mut keys = InAppKeys::new();
    let mut put = |key: String, value: InAppValue| {
        keys.insert(format!("IABGPP_{key}"), value);
    };
    put(
        "HDR_Version".into(),
        InAppValue::Str(crate::gpp::GPP_VERSION.to_string()),
    );
    put("HDR_Sections".into(), InAppValue::Str(underscored(&ids)));
    put("HDR_GppString".into(), InAppValue::Str(encode_gpp(gpp)?));
    let in_force = if applicable_sections.is_empty() {
        underscored(&ids)
    } else {
        underscored(crate::bits::sorted_ids(applicable_sections))
    };
    put("GppSID".into(), InAppValue::Str(in_force));
    for section in &gpp.sections {
        put(
            format!("{}_String", section.id()),
            InAppValue::Str(section.encode()?),
        );
        if let GppSection::UsNat(usnat) = section {
            usnat_keys(usnat, &mut put)?;
        }
    }
    Ok(keys)
}

fn usnat_keys(
    section: &UsNat,
    put: &mut impl FnMut(String, InAppValue),
) -> Result<(), EncodeError> {
    // Validates the section, so no key describes a section that could not be written.
    encode_usnat(section)?;
    let mut field = |name: &str, value: InAppValue| put(format!("USNAT_{name}"), value);
    field("Version", int(section.version));
    for (name, value) in section.leading_fields() {
        field(name, int(value));
    }
    field(
        "SensitiveDataProcessing",
        InAppValue::Str(underscored(&section.sensitive_data_processing)),
    );
    field(
        "KnownChildSensitiveDataConsents",
        InAppValue::Str(underscored(&section.known_child_sensitive_data_consents)),
    );
    for (name, value) in section.trailing_fields() {
        field(name, int(value));
    }
    if let Some(gpc) = section.gpc {
        field("Gpc", int(u8::from(gpc)));
    }
    Ok(())
}

/// Everything PrivacyKit decided, as the frameworks need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentSignals {
    /// The TCF choices; `None` when the CMP has not determined whether GDPR applies, in
    /// which case no `IABTCF_*` key is written (their "unset" state).
    pub tcf: Option<TcModel>,
    pub gdpr_applies: bool,
    /// The US National choices, when a US state privacy law applies.
    pub usnat: Option<UsNat>,
    /// `IABGPP_GppSID`; empty for all sections present.
    pub gpp_applicable_sections: Vec<u16>,
}

/// The full map of `IABTCF_*` and `IABGPP_*` keys. The GPP string carries the TC string
/// (section 2) when GDPR applies and usnat (section 7) when present; with neither, no
/// `IABGPP_*` key is written.
pub fn in_app_keys(signals: &ConsentSignals) -> Result<InAppKeys, EncodeError> {
    let mut keys = InAppKeys::new();
    let mut gpp = GppString::default();
    if let Some(model) = &signals.tcf {
        keys.extend(tcf_in_app_keys(model, signals.gdpr_applies)?);
        if signals.gdpr_applies {
            gpp.sections.push(GppSection::TcfEuV2(model.clone()));
        }
    }
    if let Some(usnat) = &signals.usnat {
        gpp.sections.push(GppSection::UsNat(usnat.clone()));
    }
    if !gpp.sections.is_empty() {
        keys.extend(gpp_in_app_keys(&gpp, &signals.gpp_applicable_sections)?);
    }
    Ok(keys)
}
