use std::fmt;

/// Why a model could not be encoded: a value the string format cannot carry.
///
/// Encoding refuses rather than truncates, because a silently clipped consent signal is a
/// different signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A number wider than its field (`bits` wide).
    ValueTooLarge {
        field: &'static str,
        value: u64,
        bits: u32,
    },
    /// A language or country code that is not two ASCII letters.
    NotTwoLetters { field: &'static str },
    /// An ID outside the range its field defines (vendor 0, purpose 25, ...).
    IdOutOfRange { field: &'static str, id: u64 },
    /// One vendor under two different restriction types for the same purpose.
    ConflictingRestriction { purpose_id: u8, vendor_id: u16 },
    /// More than 4,095 separate ranges in a field that only has a range encoding.
    TooManyRanges { field: &'static str },
    /// A list whose length is fixed by the section version.
    WrongLength {
        field: &'static str,
        expected: usize,
        found: usize,
    },
    /// A section version this crate does not write.
    UnsupportedVersion { field: &'static str, version: u8 },
    /// Two GPP sections with the same ID.
    DuplicateSection { id: u16 },
    /// A pre-encoded GPP section that would break the string's syntax.
    InvalidSectionText { id: u16 },
    /// An in-force section ID (`IABGPP_GppSID`) that the GPP string does not carry.
    SectionNotPresent { id: u16 },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ValueTooLarge { field, value, bits } => {
                write!(f, "{field}: {value} does not fit in {bits} bits")
            }
            Self::NotTwoLetters { field } => write!(f, "{field}: not two ASCII letters"),
            Self::IdOutOfRange { field, id } => write!(f, "{field}: ID {id} out of range"),
            Self::ConflictingRestriction {
                purpose_id,
                vendor_id,
            } => write!(
                f,
                "vendor {vendor_id} has two restriction types for purpose {purpose_id}"
            ),
            Self::TooManyRanges { field } => write!(f, "{field}: more than 4095 ranges"),
            Self::WrongLength {
                field,
                expected,
                found,
            } => write!(f, "{field}: {found} values where {expected} are required"),
            Self::UnsupportedVersion { field, version } => {
                write!(f, "{field}: version {version} is not supported")
            }
            Self::DuplicateSection { id } => write!(f, "GPP section {id} appears twice"),
            Self::InvalidSectionText { id } => {
                write!(f, "GPP section {id}: empty, or contains '~'")
            }
            Self::SectionNotPresent { id } => {
                write!(f, "GPP section {id} is in force but not in the string")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why a string could not be decoded.
///
/// Every malformed input ends in one of these; none panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// No characters where a segment or section was expected.
    EmptySegment,
    /// A character outside the base64url alphabet, at `index` in its segment.
    InvalidCharacter { index: usize },
    /// The bits ended inside `field`.
    Truncated { field: &'static str },
    /// A version this crate does not read (TC string 2, GPP 1, usnat 1 and 2).
    UnsupportedVersion { field: &'static str, version: u64 },
    /// A 6-bit letter above 'Z'.
    InvalidLetter { field: &'static str },
    /// A range whose start is 0, whose end is before its start, or past MaxVendorId; or
    /// section IDs out of order.
    InvalidRange { field: &'static str },
    /// More vendor IDs than [`crate::MAX_DECODED_IDS`]: a string can name 65,535 vendors per
    /// field, but ranges can repeat them, and expanding those without bound is how a few
    /// kilobytes of input would become gigabytes.
    TooManyIds,
    /// A TC string segment type other than 1 (disclosed vendors), 2 (allowed vendors) or 3
    /// (publisher TC), or a usnat subsection type other than 1 (GPC).
    UnknownSegmentType { segment_type: u64 },
    /// The same optional segment twice.
    DuplicateSegment { segment_type: u64 },
    /// No Disclosed Vendors segment: mandatory since TCF v2.3.
    MissingDisclosedVendors,
    /// Publisher restriction type 3, which the TCF leaves undefined.
    UndefinedRestrictionType { purpose_id: u8 },
    /// A GPP header whose type field is not 3.
    NotGppHeader { found: u64 },
    /// A Fibonacci-coded integer longer than this crate reads (no section ID or offset
    /// needs more than 32 digits).
    FibonacciTooLong,
    /// A GPP header naming a different number of sections than the string carries.
    SectionCountMismatch { in_header: usize, in_string: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptySegment => write!(f, "empty segment"),
            Self::InvalidCharacter { index } => {
                write!(f, "character {index} is not base64url")
            }
            Self::Truncated { field } => write!(f, "string ends inside {field}"),
            Self::UnsupportedVersion { field, version } => {
                write!(f, "{field}: version {version} is not supported")
            }
            Self::InvalidLetter { field } => write!(f, "{field}: not a letter"),
            Self::InvalidRange { field } => write!(f, "{field}: invalid range"),
            Self::TooManyIds => write!(f, "too many IDs"),
            Self::UnknownSegmentType { segment_type } => {
                write!(f, "unknown segment type {segment_type}")
            }
            Self::DuplicateSegment { segment_type } => {
                write!(f, "segment type {segment_type} appears twice")
            }
            Self::MissingDisclosedVendors => write!(f, "no Disclosed Vendors segment"),
            Self::UndefinedRestrictionType { purpose_id } => {
                write!(f, "purpose {purpose_id}: restriction type 3 is undefined")
            }
            Self::NotGppHeader { found } => write!(f, "GPP header type {found}, not 3"),
            Self::FibonacciTooLong => write!(f, "Fibonacci integer too long"),
            Self::SectionCountMismatch {
                in_header,
                in_string,
            } => write!(
                f,
                "header names {in_header} sections, string has {in_string}"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}
