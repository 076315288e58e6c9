//! GPP strings: the header, the EU TCF v2 section (ID 2, the TC string as it is) and the
//! MSPA US National section (ID 7, `usnat`, versions 1 and 2, with its optional GPC
//! subsection). Other sections pass through as their encoded text.
//!
//! The GPP specification pads each encoded part to a multiple of 6 bits; its reference
//! encoders pad to a whole byte first (the header of a TCF-only string is `DBABMA`, not the
//! `DBABM` of the specification's example), and the strings in use follow them. This crate
//! writes that form, which base64 decoders that work in bytes also read, and reads both.

use crate::bits::{sorted_ids, BitReader, BitWriter};
use crate::error::{DecodeError, EncodeError};
use crate::tcf::{decode_tc_string, encode_tc_string, fits, TcModel};

/// GPP header Type: always 3.
const HEADER_TYPE: u64 = 3;
/// The GPP version this crate reads and writes.
pub const GPP_VERSION: u8 = 1;
/// The section ID of the EU TCF v2 section.
pub const SECTION_TCF_EU_V2: u16 = 2;
/// The section ID of the MSPA US National section.
pub const SECTION_US_NAT: u16 = 7;
/// The usnat version written by default: 2, which added the sensitive-data categories of
/// the 2024 state laws (16 instead of 12) and a third known-child category.
pub const US_NAT_VERSION: u8 = 2;
const GPC_SUBSECTION: u64 = 1;

/// The MSPA US National section. Every field but the lists is a 2-bit value whose meaning
/// the specification gives per field, mostly 0 not applicable, 1 yes / opted out / no
/// consent, 2 no / did not opt out / consent; MspaCoveredTransaction is 1 yes, 2 no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsNat {
    /// 1 or 2; fixes the lengths of the two lists.
    pub version: u8,
    pub sharing_notice: u8,
    pub sale_opt_out_notice: u8,
    pub sharing_opt_out_notice: u8,
    pub targeted_advertising_opt_out_notice: u8,
    pub sensitive_data_processing_opt_out_notice: u8,
    pub sensitive_data_limit_use_notice: u8,
    pub sale_opt_out: u8,
    pub sharing_opt_out: u8,
    pub targeted_advertising_opt_out: u8,
    /// One 2-bit value per sensitive-data category: 16 in version 2, 12 in version 1.
    pub sensitive_data_processing: Vec<u8>,
    /// One 2-bit value per age band: 3 in version 2, 2 in version 1.
    pub known_child_sensitive_data_consents: Vec<u8>,
    pub personal_data_consents: u8,
    pub mspa_covered_transaction: u8,
    pub mspa_opt_out_option_mode: u8,
    pub mspa_service_provider_mode: u8,
    /// The GPC subsection: `None` leaves it out, `Some` carries the Global Privacy Control
    /// signal the app saw.
    pub gpc: Option<bool>,
}

impl Default for UsNat {
    fn default() -> Self {
        Self {
            version: US_NAT_VERSION,
            sharing_notice: 0,
            sale_opt_out_notice: 0,
            sharing_opt_out_notice: 0,
            targeted_advertising_opt_out_notice: 0,
            sensitive_data_processing_opt_out_notice: 0,
            sensitive_data_limit_use_notice: 0,
            sale_opt_out: 0,
            sharing_opt_out: 0,
            targeted_advertising_opt_out: 0,
            sensitive_data_processing: vec![0; 16],
            known_child_sensitive_data_consents: vec![0; 3],
            personal_data_consents: 0,
            mspa_covered_transaction: 2,
            mspa_opt_out_option_mode: 0,
            mspa_service_provider_mode: 0,
            gpc: None,
        }
    }
}

impl UsNat {
    /// The 2-bit fields after Version, in string order, with their specification names.
    pub(crate) fn leading_fields(&self) -> [(&'static str, u8); 9] {
        [
            ("SharingNotice", self.sharing_notice),
            ("SaleOptOutNotice", self.sale_opt_out_notice),
            ("SharingOptOutNotice", self.sharing_opt_out_notice),
            (
                "TargetedAdvertisingOptOutNotice",
                self.targeted_advertising_opt_out_notice,
            ),
            (
                "SensitiveDataProcessingOptOutNotice",
                self.sensitive_data_processing_opt_out_notice,
            ),
            (
                "SensitiveDataLimitUseNotice",
                self.sensitive_data_limit_use_notice,
            ),
            ("SaleOptOut", self.sale_opt_out),
            ("SharingOptOut", self.sharing_opt_out),
            (
                "TargetedAdvertisingOptOut",
                self.targeted_advertising_opt_out,
            ),
        ]
    }

    /// The 2-bit fields after the lists, in string order.
    pub(crate) fn trailing_fields(&self) -> [(&'static str, u8); 4] {
        [
            ("PersonalDataConsents", self.personal_data_consents),
            ("MspaCoveredTransaction", self.mspa_covered_transaction),
            ("MspaOptOutOptionMode", self.mspa_opt_out_option_mode),
            ("MspaServiceProviderMode", self.mspa_service_provider_mode),
        ]
    }
}

/// (sensitive-data categories, known-child age bands) for a usnat version.
fn usnat_list_lengths(version: u8) -> Option<(usize, usize)> {
    match version {
        1 => Some((12, 2)),
        2 => Some((16, 3)),
        _ => None,
    }
}

/// The usnat section text: the core segment, then `.` and the GPC subsection if present.
pub fn encode_usnat(section: &UsNat) -> Result<String, EncodeError> {
    let (sensitive, child) =
        usnat_list_lengths(section.version).ok_or(EncodeError::UnsupportedVersion {
            field: "usnat Version",
            version: section.version,
        })?;
    let lists = [
        (
            "SensitiveDataProcessing",
            &section.sensitive_data_processing,
            sensitive,
        ),
        (
            "KnownChildSensitiveDataConsents",
            &section.known_child_sensitive_data_consents,
            child,
        ),
    ];
    let mut writer = BitWriter::with_capacity_bits(72);
    writer.int(section.version.into(), 6);
    for (field, value) in section.leading_fields() {
        writer.int(fits(field, value.into(), 2)?, 2);
    }
    for (field, values, expected) in lists {
        if values.len() != expected {
            return Err(EncodeError::WrongLength {
                field,
                expected,
                found: values.len(),
            });
        }
        for &value in values {
            writer.int(fits(field, value.into(), 2)?, 2);
        }
    }
    for (field, value) in section.trailing_fields() {
        writer.int(fits(field, value.into(), 2)?, 2);
    }
    let mut out = writer.to_base64url(8);
    if let Some(gpc) = section.gpc {
        let mut subsection = BitWriter::default();
        subsection.int(GPC_SUBSECTION, 2);
        subsection.bit(gpc);
        out.push('.');
        out.push_str(&subsection.to_base64url(8));
    }
    Ok(out)
}

/// Decodes a usnat section. The 2-bit values come back as they are, 3 included: what a
/// value means is the reader's call, the format only fixes where it is.
pub fn decode_usnat(text: &str) -> Result<UsNat, DecodeError> {
    let mut parts = text.split('.');
    let mut reader = BitReader::from_base64(parts.next().unwrap_or_default())?;
    let version = reader.int(6, "usnat Version")?;
    let (sensitive, child) = u8::try_from(version)
        .ok()
        .and_then(usnat_list_lengths)
        .ok_or(DecodeError::UnsupportedVersion {
            field: "usnat Version",
            version,
        })?;
    let mut two_bits = |field| reader.int(2, field).map(|value| value as u8);
    let mut section = UsNat {
        version: version as u8,
        sharing_notice: two_bits("SharingNotice")?,
        sale_opt_out_notice: two_bits("SaleOptOutNotice")?,
        sharing_opt_out_notice: two_bits("SharingOptOutNotice")?,
        targeted_advertising_opt_out_notice: two_bits("TargetedAdvertisingOptOutNotice")?,
        sensitive_data_processing_opt_out_notice: two_bits("SensitiveDataProcessingOptOutNotice")?,
        sensitive_data_limit_use_notice: two_bits("SensitiveDataLimitUseNotice")?,
        sale_opt_out: two_bits("SaleOptOut")?,
        sharing_opt_out: two_bits("SharingOptOut")?,
        targeted_advertising_opt_out: two_bits("TargetedAdvertisingOptOut")?,
        sensitive_data_processing: (0..sensitive)
            .map(|_| two_bits("SensitiveDataProcessing"))
            .collect::<Result<_, _>>()?,
        known_child_sensitive_data_consents: (0..child)
            .map(|_| two_bits("KnownChildSensitiveDataConsents"))
            .collect::<Result<_, _>>()?,
        personal_data_consents: two_bits("PersonalDataConsents")?,
        mspa_covered_transaction: two_bits("MspaCoveredTransaction")?,
        mspa_opt_out_option_mode: two_bits("MspaOptOutOptionMode")?,
        mspa_service_provider_mode: two_bits("MspaServiceProviderMode")?,
        gpc: None,
    };
    for part in parts {
        let mut reader = BitReader::from_base64(part)?;
        let segment_type = reader.int(2, "SubsectionType")?;
        if segment_type != GPC_SUBSECTION {
            return Err(DecodeError::UnknownSegmentType { segment_type });
        }
        if section.gpc.is_some() {
            return Err(DecodeError::DuplicateSegment { segment_type });
        }
        section.gpc = Some(reader.bit("Gpc")?);
    }
    Ok(section)
}

/// One discrete section of a GPP string.
// A string has a handful of sections, so the size of the TCF variant costs nothing, and a
// Box would be one more thing for a binding layer to unwrap.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GppSection {
    /// Section 2: a TC string.
    TcfEuV2(TcModel),
    /// Section 7.
    UsNat(UsNat),
    /// Any other section, as its encoded text (no `~`), for strings this crate only
    /// carries through.
    Other { id: u16, encoded: String },
}

impl GppSection {
    pub fn id(&self) -> u16 {
        match self {
            Self::TcfEuV2(_) => SECTION_TCF_EU_V2,
            Self::UsNat(_) => SECTION_US_NAT,
            Self::Other { id, .. } => *id,
        }
    }

    pub(crate) fn encode(&self) -> Result<String, EncodeError> {
        match self {
            Self::TcfEuV2(model) => encode_tc_string(model),
            Self::UsNat(section) => encode_usnat(section),
            Self::Other { id, encoded } => {
                if encoded.is_empty() || encoded.contains('~') {
                    Err(EncodeError::InvalidSectionText { id: *id })
                } else {
                    Ok(encoded.clone())
                }
            }
        }
    }
}

/// A GPP string: its sections, written in ascending ID order whatever order they come in,
/// because the header's Fibonacci range can only list IDs in ascending order and the
/// sections must follow the header's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GppString {
    pub sections: Vec<GppSection>,
}

impl GppString {
    /// The section IDs in string order.
    pub fn section_ids(&self) -> Vec<u16> {
        sorted_ids(&self.sections.iter().map(GppSection::id).collect::<Vec<_>>())
    }

    pub fn section(&self, id: u16) -> Option<&GppSection> {
        self.sections.iter().find(|section| section.id() == id)
    }
}

/// The GPP header for sections `ids` (ascending, distinct, at least 1).
fn encode_header(ids: &[u16]) -> Result<String, EncodeError> {
    let mut writer = BitWriter::default();
    writer.int(HEADER_TYPE, 6);
    writer.int(GPP_VERSION.into(), 6);
    let runs = crate::bits::runs(ids);
    writer.int(fits("Sections", runs.len() as u64, 12)?, 12);
    let mut last_seen = 0u64;
    for (first, last) in runs {
        writer.bit(first != last);
        writer.fibonacci(u64::from(first) - last_seen);
        if first != last {
            writer.fibonacci(u64::from(last - first));
        }
        last_seen = u64::from(last);
    }
    Ok(writer.to_base64url(8))
}

/// The full GPP string: header, then each section, joined by `~`.
pub fn encode_gpp(gpp: &GppString) -> Result<String, EncodeError> {
    let mut sections: Vec<&GppSection> = gpp.sections.iter().collect();
    sections.sort_by_key(|section| section.id());
    let ids: Vec<u16> = sections.iter().map(|section| section.id()).collect();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(EncodeError::DuplicateSection { id: pair[0] });
    }
    if ids.first() == Some(&0) {
        return Err(EncodeError::IdOutOfRange {
            field: "Sections",
            id: 0,
        });
    }
    let mut out = encode_header(&ids)?;
    for section in sections {
        out.push('~');
        out.push_str(&section.encode()?);
    }
    Ok(out)
}

/// The section IDs a GPP string's header lists, in order. IDs strictly increase and stop
/// at 65,535, so however the header's ranges are written this is at most 65,535 IDs.
pub fn decode_gpp_header(header: &str) -> Result<Vec<u16>, DecodeError> {
    let mut reader = BitReader::from_base64(header)?;
    let header_type = reader.int(6, "Type")?;
    if header_type != HEADER_TYPE {
        return Err(DecodeError::NotGppHeader { found: header_type });
    }
    let version = reader.int(6, "Version")?;
    if version != u64::from(GPP_VERSION) {
        return Err(DecodeError::UnsupportedVersion {
            field: "GPP Version",
            version,
        });
    }
    let entries = reader.int(12, "Sections")?;
    let mut ids: Vec<u16> = Vec::new();
    let mut last_seen = 0u64;
    for _ in 0..entries {
        let is_group = reader.bit("Sections")?;
        // Offsets are at least 1 (Fibonacci has no 0), so IDs strictly increase.
        let first = last_seen + reader.fibonacci("Sections")?;
        let last = if is_group {
            first + reader.fibonacci("Sections")?
        } else {
            first
        };
        if last > u64::from(u16::MAX) {
            return Err(DecodeError::InvalidRange { field: "Sections" });
        }
        ids.extend(first as u16..=last as u16);
        last_seen = last;
    }
    Ok(ids)
}

/// Decodes a GPP string and its sections 2 and 7; others are kept as text.
pub fn decode_gpp(text: &str) -> Result<GppString, DecodeError> {
    let mut parts = text.split('~');
    let ids = decode_gpp_header(parts.next().unwrap_or_default())?;
    let bodies: Vec<&str> = parts.collect();
    if ids.len() != bodies.len() {
        return Err(DecodeError::SectionCountMismatch {
            in_header: ids.len(),
            in_string: bodies.len(),
        });
    }
    let mut sections = Vec::with_capacity(ids.len());
    for (id, body) in ids.into_iter().zip(bodies) {
        sections.push(match id {
            SECTION_TCF_EU_V2 => GppSection::TcfEuV2(decode_tc_string(body)?),
            SECTION_US_NAT => GppSection::UsNat(decode_usnat(body)?),
            _ => {
                if body.is_empty() {
                    return Err(DecodeError::EmptySegment);
                }
                GppSection::Other {
                    id,
                    encoded: body.to_owned(),
                }
            }
        });
    }
    Ok(GppString { sections })
}
