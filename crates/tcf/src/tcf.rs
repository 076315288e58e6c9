//! TC string v2 as TCF v2.3 defines it: the core segment, the mandatory Disclosed Vendors
//! segment and the optional Publisher TC segment.

use crate::bits::{runs, sorted_ids, BitReader, BitWriter, IdBitmap, IdBudget};
use crate::error::{DecodeError, EncodeError};

/// The TcfPolicyVersion of TCF v2.2 and v2.3 (v2.3 changed the string, not the policy number).
pub const TCF_POLICY_VERSION: u8 = 5;

const DECISECONDS_PER_DAY: u64 = 864_000;

/// Created and LastUpdated for a TC string written at `unix_seconds`: since TCF v2.2 both
/// are the same value, the start of that UTC day, in deciseconds, so a string does not
/// record when in the day a user chose.
pub fn day_timestamp(unix_seconds: u64) -> u64 {
    (unix_seconds / 86_400) * DECISECONDS_PER_DAY
}

/// What a publisher asks of vendors for one purpose, overriding their declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RestrictionType {
    /// 0: the purpose is not allowed at all.
    NotAllowed,
    /// 1: consent even where the vendor declared (flexible) legitimate interest.
    RequireConsent,
    /// 2: legitimate interest even where the vendor declared (flexible) consent.
    RequireLegitimateInterest,
}

impl RestrictionType {
    /// The value in the string and in `IABTCF_PublisherRestrictions{ID}`.
    pub fn code(self) -> u8 {
        match self {
            Self::NotAllowed => 0,
            Self::RequireConsent => 1,
            Self::RequireLegitimateInterest => 2,
        }
    }
}

/// One PubRestrictionEntry: a restriction on one purpose for some vendors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherRestriction {
    /// 1 to 24.
    pub purpose_id: u8,
    pub restriction_type: RestrictionType,
    /// Vendor IDs, 1 to 65,535, any order (encoded as ranges of consecutive IDs).
    pub vendor_ids: Vec<u16>,
}

/// The Publisher TC segment: the publisher's own purposes, and its custom ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublisherTc {
    /// Purpose IDs 1 to 24 the user consented to for the publisher.
    pub purpose_consents: Vec<u8>,
    /// Purpose IDs 1 to 24 for which the publisher's legitimate interest stands.
    pub purpose_legitimate_interests: Vec<u8>,
    /// How many custom purposes the publisher defined (0 to 63); their IDs are 1 to this.
    pub num_custom_purposes: u8,
    pub custom_purpose_consents: Vec<u8>,
    pub custom_purpose_legitimate_interests: Vec<u8>,
}

/// Everything a TC string carries. ID lists may come in any order and with repeats; the
/// decoder returns them sorted and deduplicated, language and country in upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcModel {
    /// Deciseconds since the Unix epoch; see [`day_timestamp`].
    pub created: u64,
    /// Deciseconds since the Unix epoch; the same as `created` under TCF v2.2 and later.
    pub last_updated: u64,
    pub cmp_id: u16,
    pub cmp_version: u16,
    pub consent_screen: u8,
    /// ISO 639-1, two letters.
    pub consent_language: String,
    pub vendor_list_version: u16,
    /// [`TCF_POLICY_VERSION`] for strings written now.
    pub tcf_policy_version: u8,
    /// Always true in TCF v2.2 and later (vendors treat false as invalid); kept as a field
    /// so a decoded string re-encodes to itself.
    pub is_service_specific: bool,
    pub use_non_standard_texts: bool,
    /// Special feature IDs 1 to 12 the user opted in to.
    pub special_feature_opt_ins: Vec<u8>,
    /// Purpose IDs 1 to 24 the user consented to.
    pub purpose_consents: Vec<u8>,
    /// Purpose IDs 1 to 24 with legitimate interest established and not objected to.
    pub purpose_legitimate_interests: Vec<u8>,
    /// True when purpose 1 was not disclosed (a jurisdiction that treats it differently).
    pub purpose_one_treatment: bool,
    /// ISO 3166-1 alpha-2, two letters; "AA" when unknown.
    pub publisher_country_code: String,
    pub vendor_consents: Vec<u16>,
    pub vendor_legitimate_interests: Vec<u16>,
    pub publisher_restrictions: Vec<PublisherRestriction>,
    /// Vendors the CMP showed the user; mandatory since TCF v2.3.
    pub disclosed_vendors: Vec<u16>,
    pub publisher_tc: Option<PublisherTc>,
}

impl Default for TcModel {
    fn default() -> Self {
        Self {
            created: 0,
            last_updated: 0,
            cmp_id: 0,
            cmp_version: 0,
            consent_screen: 0,
            consent_language: "EN".to_owned(),
            vendor_list_version: 0,
            tcf_policy_version: TCF_POLICY_VERSION,
            is_service_specific: true,
            use_non_standard_texts: false,
            special_feature_opt_ins: Vec::new(),
            purpose_consents: Vec::new(),
            purpose_legitimate_interests: Vec::new(),
            purpose_one_treatment: false,
            publisher_country_code: "AA".to_owned(),
            vendor_consents: Vec::new(),
            vendor_legitimate_interests: Vec::new(),
            publisher_restrictions: Vec::new(),
            disclosed_vendors: Vec::new(),
            publisher_tc: None,
        }
    }
}

const SEGMENT_DISCLOSED_VENDORS: u64 = 1;
const SEGMENT_ALLOWED_VENDORS: u64 = 2;
const SEGMENT_PUBLISHER_TC: u64 = 3;

pub(crate) fn fits(field: &'static str, value: u64, bits: u32) -> Result<u64, EncodeError> {
    if bits < 64 && value >> bits != 0 {
        Err(EncodeError::ValueTooLarge { field, value, bits })
    } else {
        Ok(value)
    }
}

fn letters(field: &'static str, text: &str) -> Result<[u8; 2], EncodeError> {
    match text.as_bytes() {
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Ok([a.to_ascii_uppercase() - b'A', b.to_ascii_uppercase() - b'A'])
        }
        _ => Err(EncodeError::NotTwoLetters { field }),
    }
}

/// The bits of a fixed-width ID bitfield (IDs 1..=`width`), first ID in the top bit.
pub(crate) fn id_bits(field: &'static str, ids: &[u8], width: u32) -> Result<u64, EncodeError> {
    let mut bits = 0u64;
    for &id in ids {
        if id == 0 || u32::from(id) > width {
            return Err(EncodeError::IdOutOfRange {
                field,
                id: u64::from(id),
            });
        }
        bits |= 1 << (width - u32::from(id));
    }
    Ok(bits)
}

fn check_vendor_ids(field: &'static str, sorted: &[u16]) -> Result<(), EncodeError> {
    if sorted.first() == Some(&0) {
        return Err(EncodeError::IdOutOfRange { field, id: 0 });
    }
    Ok(())
}

fn range_bits(runs: &[(u16, u16)]) -> usize {
    12 + runs
        .iter()
        .map(|(first, last)| if first == last { 17 } else { 33 })
        .sum::<usize>()
}

fn write_ranges(
    writer: &mut BitWriter,
    field: &'static str,
    runs: &[(u16, u16)],
) -> Result<(), EncodeError> {
    writer.int(fits(field, runs.len() as u64, 12)?, 12);
    for &(first, last) in runs {
        writer.bit(first != last);
        writer.int(u64::from(first), 16);
        if first != last {
            writer.int(u64::from(last), 16);
        }
    }
    Ok(())
}

/// MaxVendorId, IsRangeEncoding and whichever of bitfield or ranges is shorter (the
/// bitfield on a tie: it is the simpler one to read).
fn write_vendor_section(
    writer: &mut BitWriter,
    field: &'static str,
    ids: &[u16],
) -> Result<(), EncodeError> {
    let sorted = sorted_ids(ids);
    check_vendor_ids(field, &sorted)?;
    let max_vendor_id = sorted.last().copied().unwrap_or(0);
    writer.int(u64::from(max_vendor_id), 16);
    let runs = runs(&sorted);
    // More than 4095 runs needs IDs past 8190, where the bitfield is always shorter.
    if runs.len() <= 4095 && range_bits(&runs) < usize::from(max_vendor_id) {
        writer.bit(true);
        write_ranges(writer, field, &runs)
    } else {
        writer.bit(false);
        let mut next = sorted.iter().peekable();
        for id in 1..=max_vendor_id {
            let set = next.peek() == Some(&&id);
            if set {
                next.next();
            }
            writer.bit(set);
        }
        Ok(())
    }
}

fn write_core(model: &TcModel) -> Result<BitWriter, EncodeError> {
    let mut writer = BitWriter::with_capacity_bits(
        256 + 2 * usize::from(model.vendor_consents.iter().copied().max().unwrap_or(0)),
    );
    writer.int(2, 6);
    writer.int(fits("Created", model.created, 36)?, 36);
    writer.int(fits("LastUpdated", model.last_updated, 36)?, 36);
    writer.int(fits("CmpId", model.cmp_id.into(), 12)?, 12);
    writer.int(fits("CmpVersion", model.cmp_version.into(), 12)?, 12);
    writer.int(fits("ConsentScreen", model.consent_screen.into(), 6)?, 6);
    for letter in letters("ConsentLanguage", &model.consent_language)? {
        writer.int(letter.into(), 6);
    }
    writer.int(
        fits("VendorListVersion", model.vendor_list_version.into(), 12)?,
        12,
    );
    writer.int(
        fits("TcfPolicyVersion", model.tcf_policy_version.into(), 6)?,
        6,
    );
    writer.bit(model.is_service_specific);
    writer.bit(model.use_non_standard_texts);
    writer.int(
        id_bits("SpecialFeatureOptIns", &model.special_feature_opt_ins, 12)?,
        12,
    );
    writer.int(id_bits("PurposesConsent", &model.purpose_consents, 24)?, 24);
    writer.int(
        id_bits(
            "PurposesLITransparency",
            &model.purpose_legitimate_interests,
            24,
        )?,
        24,
    );
    writer.bit(model.purpose_one_treatment);
    for letter in letters("PublisherCC", &model.publisher_country_code)? {
        writer.int(letter.into(), 6);
    }
    write_vendor_section(&mut writer, "VendorConsents", &model.vendor_consents)?;
    write_vendor_section(
        &mut writer,
        "VendorLegitimateInterests",
        &model.vendor_legitimate_interests,
    )?;
    check_restrictions(&model.publisher_restrictions)?;
    writer.int(
        fits(
            "NumPubRestrictions",
            model.publisher_restrictions.len() as u64,
            12,
        )?,
        12,
    );
    for restriction in &model.publisher_restrictions {
        writer.int(restriction.purpose_id.into(), 6);
        writer.int(restriction.restriction_type.code().into(), 2);
        let sorted = sorted_ids(&restriction.vendor_ids);
        check_vendor_ids("PublisherRestrictions", &sorted)?;
        let runs = runs(&sorted);
        if runs.len() > 4095 {
            return Err(EncodeError::TooManyRanges {
                field: "PublisherRestrictions",
            });
        }
        write_ranges(&mut writer, "PublisherRestrictions", &runs)?;
    }
    Ok(writer)
}

/// Purposes 1 to 24, and no vendor under two types for one purpose: the in-app keys give
/// each vendor one restriction character per purpose, so a conflict has no representation.
fn check_restrictions(restrictions: &[PublisherRestriction]) -> Result<(), EncodeError> {
    for (index, restriction) in restrictions.iter().enumerate() {
        if restriction.purpose_id == 0 || restriction.purpose_id > 24 {
            return Err(EncodeError::IdOutOfRange {
                field: "PublisherRestrictions",
                id: restriction.purpose_id.into(),
            });
        }
        for other in &restrictions[index + 1..] {
            if other.purpose_id != restriction.purpose_id
                || other.restriction_type == restriction.restriction_type
            {
                continue;
            }
            if let Some(&vendor_id) = restriction
                .vendor_ids
                .iter()
                .find(|id| other.vendor_ids.contains(id))
            {
                return Err(EncodeError::ConflictingRestriction {
                    purpose_id: restriction.purpose_id,
                    vendor_id,
                });
            }
        }
    }
    Ok(())
}

fn write_disclosed_vendors(model: &TcModel) -> Result<BitWriter, EncodeError> {
    let mut writer = BitWriter::default();
    writer.int(SEGMENT_DISCLOSED_VENDORS, 3);
    write_vendor_section(&mut writer, "DisclosedVendors", &model.disclosed_vendors)?;
    Ok(writer)
}

fn write_publisher_tc(publisher: &PublisherTc) -> Result<BitWriter, EncodeError> {
    let mut writer = BitWriter::default();
    writer.int(SEGMENT_PUBLISHER_TC, 3);
    writer.int(
        id_bits("PubPurposesConsent", &publisher.purpose_consents, 24)?,
        24,
    );
    writer.int(
        id_bits(
            "PubPurposesLITransparency",
            &publisher.purpose_legitimate_interests,
            24,
        )?,
        24,
    );
    let count = u32::from(publisher.num_custom_purposes);
    writer.int(fits("NumCustomPurposes", count.into(), 6)?, 6);
    writer.int(
        id_bits(
            "CustomPurposesConsent",
            &publisher.custom_purpose_consents,
            count,
        )?,
        count,
    );
    writer.int(
        id_bits(
            "CustomPurposesLITransparency",
            &publisher.custom_purpose_legitimate_interests,
            count,
        )?,
        count,
    );
    Ok(writer)
}

/// The TC string: core, Disclosed Vendors, then Publisher TC when the model has one.
pub fn encode_tc_string(model: &TcModel) -> Result<String, EncodeError> {
    let mut out = write_core(model)?.to_base64url(24);
    out.push('.');
    out.push_str(&write_disclosed_vendors(model)?.to_base64url(24));
    if let Some(publisher) = &model.publisher_tc {
        out.push('.');
        out.push_str(&write_publisher_tc(publisher)?.to_base64url(24));
    }
    Ok(out)
}

fn read_letters(reader: &mut BitReader, field: &'static str) -> Result<String, DecodeError> {
    let mut text = String::with_capacity(2);
    for _ in 0..2 {
        let value = reader.int(6, field)?;
        if value > 25 {
            return Err(DecodeError::InvalidLetter { field });
        }
        text.push(char::from(b'A' + value as u8));
    }
    Ok(text)
}

fn read_id_bits(
    reader: &mut BitReader,
    width: u32,
    field: &'static str,
) -> Result<Vec<u8>, DecodeError> {
    reader.require(width as usize, field)?;
    let mut ids = Vec::new();
    for id in 1..=width {
        if reader.bit(field)? {
            ids.push(id as u8);
        }
    }
    Ok(ids)
}

/// NumEntries then the entries; IDs past `max_vendor_id` (when there is one) are an error.
/// Reads no count without first checking the string has room for that many entries.
fn read_ranges(
    reader: &mut BitReader,
    budget: &mut IdBudget,
    max_vendor_id: Option<u16>,
    field: &'static str,
) -> Result<Vec<u16>, DecodeError> {
    let entries = reader.int(12, field)? as usize;
    reader.require(entries * 17, field)?;
    let mut bitmap = IdBitmap::new();
    for _ in 0..entries {
        let is_range = reader.bit(field)?;
        let first = reader.int(16, field)? as u16;
        let last = if is_range {
            reader.int(16, field)? as u16
        } else {
            first
        };
        if first == 0 || last < first || max_vendor_id.is_some_and(|max| last > max) {
            return Err(DecodeError::InvalidRange { field });
        }
        budget.spend(usize::from(last - first) + 1)?;
        bitmap.insert_range(first, last);
    }
    Ok(bitmap.to_vec())
}

fn read_vendor_section(
    reader: &mut BitReader,
    budget: &mut IdBudget,
    field: &'static str,
) -> Result<Vec<u16>, DecodeError> {
    let max_vendor_id = reader.int(16, field)? as u16;
    if reader.bit(field)? {
        read_ranges(reader, budget, Some(max_vendor_id), field)
    } else {
        // A bitfield costs a bit per ID, so the input already bounds it: no budget spent.
        reader.require(usize::from(max_vendor_id), field)?;
        let mut ids = Vec::new();
        for id in 1..=max_vendor_id {
            if reader.bit(field)? {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

/// Decodes a TC string. Strings without the Disclosed Vendors segment are refused: TCF
/// v2.3 made it mandatory, and without it a vendor cannot tell whether it was shown.
/// The Allowed Vendors segment of earlier versions is read past and dropped.
pub fn decode_tc_string(text: &str) -> Result<TcModel, DecodeError> {
    let mut budget = IdBudget::new();
    let mut segments = text.split('.');
    let core = segments.next().unwrap_or_default();
    let mut reader = BitReader::from_base64(core)?;
    let version = reader.int(6, "Version")?;
    if version != 2 {
        return Err(DecodeError::UnsupportedVersion {
            field: "Version",
            version,
        });
    }
    let mut model = TcModel {
        created: reader.int(36, "Created")?,
        last_updated: reader.int(36, "LastUpdated")?,
        cmp_id: reader.int(12, "CmpId")? as u16,
        cmp_version: reader.int(12, "CmpVersion")? as u16,
        consent_screen: reader.int(6, "ConsentScreen")? as u8,
        consent_language: read_letters(&mut reader, "ConsentLanguage")?,
        vendor_list_version: reader.int(12, "VendorListVersion")? as u16,
        tcf_policy_version: reader.int(6, "TcfPolicyVersion")? as u8,
        is_service_specific: reader.bit("IsServiceSpecific")?,
        use_non_standard_texts: reader.bit("UseNonStandardTexts")?,
        special_feature_opt_ins: read_id_bits(&mut reader, 12, "SpecialFeatureOptIns")?,
        purpose_consents: read_id_bits(&mut reader, 24, "PurposesConsent")?,
        purpose_legitimate_interests: read_id_bits(&mut reader, 24, "PurposesLITransparency")?,
        purpose_one_treatment: reader.bit("PurposeOneTreatment")?,
        publisher_country_code: read_letters(&mut reader, "PublisherCC")?,
        ..TcModel::default()
    };
    model.vendor_consents = read_vendor_section(&mut reader, &mut budget, "VendorConsents")?;
    model.vendor_legitimate_interests =
        read_vendor_section(&mut reader, &mut budget, "VendorLegitimateInterests")?;
    let restrictions = reader.int(12, "NumPubRestrictions")? as usize;
    reader.require(restrictions * 20, "PublisherRestrictions")?;
    for _ in 0..restrictions {
        let purpose_id = reader.int(6, "PublisherRestrictions")? as u8;
        let restriction_type = match reader.int(2, "PublisherRestrictions")? {
            0 => RestrictionType::NotAllowed,
            1 => RestrictionType::RequireConsent,
            2 => RestrictionType::RequireLegitimateInterest,
            _ => return Err(DecodeError::UndefinedRestrictionType { purpose_id }),
        };
        let vendor_ids = read_ranges(&mut reader, &mut budget, None, "PublisherRestrictions")?;
        model.publisher_restrictions.push(PublisherRestriction {
            purpose_id,
            restriction_type,
            vendor_ids,
        });
    }

    let mut disclosed = None;
    let mut allowed_seen = false;
    for segment in segments {
        let mut reader = BitReader::from_base64(segment)?;
        let segment_type = reader.int(3, "SegmentType")?;
        let duplicate = match segment_type {
            SEGMENT_DISCLOSED_VENDORS => disclosed.is_some(),
            SEGMENT_ALLOWED_VENDORS => allowed_seen,
            SEGMENT_PUBLISHER_TC => model.publisher_tc.is_some(),
            _ => return Err(DecodeError::UnknownSegmentType { segment_type }),
        };
        if duplicate {
            return Err(DecodeError::DuplicateSegment { segment_type });
        }
        match segment_type {
            SEGMENT_DISCLOSED_VENDORS => {
                disclosed = Some(read_vendor_section(
                    &mut reader,
                    &mut budget,
                    "DisclosedVendors",
                )?);
            }
            SEGMENT_ALLOWED_VENDORS => {
                read_vendor_section(&mut reader, &mut budget, "AllowedVendors")?;
                allowed_seen = true;
            }
            _ => {
                let purpose_consents = read_id_bits(&mut reader, 24, "PubPurposesConsent")?;
                let purpose_legitimate_interests =
                    read_id_bits(&mut reader, 24, "PubPurposesLITransparency")?;
                let count = reader.int(6, "NumCustomPurposes")? as u32;
                model.publisher_tc = Some(PublisherTc {
                    purpose_consents,
                    purpose_legitimate_interests,
                    num_custom_purposes: count as u8,
                    custom_purpose_consents: read_id_bits(
                        &mut reader,
                        count,
                        "CustomPurposesConsent",
                    )?,
                    custom_purpose_legitimate_interests: read_id_bits(
                        &mut reader,
                        count,
                        "CustomPurposesLITransparency",
                    )?,
                });
            }
        }
    }
    model.disclosed_vendors = disclosed.ok_or(DecodeError::MissingDisclosedVendors)?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IsRangeEncoding bit of the vendor consent section (after 213 fixed bits and the
    /// 16-bit MaxVendorId).
    fn consents_use_ranges(vendor_consents: Vec<u16>) -> bool {
        let model = TcModel {
            vendor_consents,
            ..TcModel::default()
        };
        let core = encode_tc_string(&model).unwrap();
        let mut reader = BitReader::from_base64(core.split('.').next().unwrap()).unwrap();
        reader.int(63, "skip").unwrap();
        reader.int(63, "skip").unwrap();
        reader.int(63, "skip").unwrap();
        reader.int(40, "skip").unwrap();
        reader.bit("IsRangeEncoding").unwrap()
    }

    #[test]
    fn the_shorter_vendor_encoding_is_chosen() {
        // A bitfield of 4 bits against 12 + 33.
        assert!(!consents_use_ranges(vec![1, 2, 3, 4]));
        // 404 bits against 12 + 17.
        assert!(consents_use_ranges(vec![404]));
        // One run of 1,000 IDs: 12 + 33 bits against 1,000.
        assert!(consents_use_ranges((1..=1000).collect()));
        // Every other ID: 500 singles (8,512 bits) against 1,000.
        assert!(!consents_use_ranges((1..=1000).step_by(2).collect()));
        // Nothing: MaxVendorId 0 and an empty bitfield.
        assert!(!consents_use_ranges(Vec::new()));
    }
}
