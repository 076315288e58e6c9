//! Parsing the policy JSON (formats 1 and 2) and checking every rule the JSON Schema cannot
//! express. Every error names the field by its JSON path, says what is wrong with it and
//! quotes the value found there.
//!
//! A format-1 document is read into the format-2 shape with the same meaning: its
//! `minimum_age` and `digital_consent_age` become age rules that reproduce what format 1
//! did implicitly (the jurisdiction's age of digital consent raising the policy's, the service
//! open below the minimum age), and its retention ids that PrivacyKit does not enforce become
//! `app_retention`, which is how format 1 treated them.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::tcf::TcfConfig;
use super::{
    countries, Acceptance, AgeRule, AppRetentionRule, Category, Commitment, CommitmentKind, Policy,
    PolicyInfo, Processing, Purpose, Recipient, RecipientKind, RetentionEvent, RetentionRule,
    Transfer, TransferSafeguard, UnknownAgeRule, BUILT_IN_CATEGORIES, BUILT_IN_PURPOSES,
    ENFORCED_RETENTION_IDS,
};
use crate::decision::LegalBasis;
use crate::error::{Error, Result};
use crate::permissions::{LocationAccuracy, OsPermission};
use crate::time::parse_day;

/// The formats this library reads: 1 is migrated to 2 in memory.
const SUPPORTED_FORMATS: std::ops::RangeInclusive<u32> = 1..=2;
const MAX_AGE_RULES: usize = 64;
const MAX_DECLARATIONS: usize = 256;
/// The category every policy's advertising identifier goes under: always a device identifier.
const ADVERTISING_ID: &str = "advertising_id";
/// The purpose format 1 kept open below the minimum age.
const SERVICE_PURPOSE: &str = "service";
/// What format 1 did without saying: the age of digital consent of each jurisdiction (GDPR
/// art. 8 as each EU/EEA state set it, the UK, COPPA's 13 in the US) raised the policy's,
/// and 16 applied anywhere else. Format 2 states its rules; this table only migrates format 1.
const FORMAT_1_DIGITAL_CONSENT_AGES: &[(&str, u8)] = &[
    ("AT", 14),
    ("BE", 13),
    ("BG", 14),
    ("CY", 14),
    ("CZ", 15),
    ("DE", 16),
    ("DK", 13),
    ("EE", 13),
    ("ES", 14),
    ("FI", 13),
    ("FR", 15),
    ("GB", 13),
    ("GR", 15),
    ("HR", 16),
    ("HU", 16),
    ("IE", 16),
    ("IS", 13),
    ("IT", 14),
    ("LI", 16),
    ("LT", 14),
    ("LU", 16),
    ("LV", 13),
    ("MT", 13),
    ("NL", 16),
    ("NO", 13),
    ("PL", 16),
    ("PT", 13),
    ("RO", 16),
    ("SE", 13),
    ("SI", 15),
    ("SK", 16),
    ("US", 13),
];
const FORMAT_1_DEFAULT_DIGITAL_CONSENT_AGE: u8 = 16;
const MAX_DOCUMENT_BYTES: usize = 1 << 20;
const MAX_CATEGORIES: usize = 256;
const MAX_PURPOSES: usize = 256;
const MAX_PROCESSING: usize = 4096;
const MAX_AGE: u8 = 21;
const MAX_RETENTION_DAYS: u32 = 36_500;
const MAX_TEXT_CHARS: usize = 500;
/// The document's own description may explain several choices, so it gets more room.
const MAX_DOCUMENT_DESCRIPTION_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 200;
/// Policy versions count revisions of one app's policy: a million leaves room for a revision
/// a day for thousands of years, and keeps every version far from `u32::MAX`, which the
/// guard uses to mean "no version".
const MAX_VERSION: u32 = 1_000_000;
/// Effective and revision dates lie within the life of an app: a date before 2000 or after
/// 2200 is a typo (a year 0000 or 9999 placeholder), and such a date shown to users as the
/// date a policy took effect would mislead them.
const YEARS: std::ops::RangeInclusive<i64> = 2000..=2200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    format: u32,
    policy_id: String,
    version: u32,
    effective_date: String,
    last_revised: Option<String>,
    controller: Controller,
    /// What the document is and why it chose as it did (its `unknown_age`, say), for the people
    /// who read and review it. Not shown to users and not kept after validation.
    description: Option<String>,
    #[serde(default = "yes")]
    requires_acceptance: bool,
    /// Format 1 only.
    minimum_age: Option<u8>,
    /// Format 1 only.
    digital_consent_age: Option<u8>,
    #[serde(default)]
    unknown_age: UnknownAgeRule,
    categories: Vec<CategoryEntry>,
    purposes: Vec<PurposeEntry>,
    processing: Vec<ProcessingEntry>,
    #[serde(default)]
    retention: Vec<RetentionEntry>,
    #[serde(default)]
    recipients: Vec<RecipientEntry>,
    tcf: Option<super::tcf::TcfEntry>,
    // Format 2 from here on.
    age_rules: Option<Vec<AgeRuleEntry>>,
    default_age_rule: Option<DefaultAgeRuleEntry>,
    acceptance: Option<Acceptance>,
    commitments: Option<Vec<CommitmentEntry>>,
    app_retention: Option<Vec<RetentionEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeRuleEntry {
    jurisdictions: Vec<String>,
    minimum_age: u8,
    digital_consent_age: u8,
    #[serde(default)]
    open_below_minimum_age: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultAgeRuleEntry {
    minimum_age: u8,
    digital_consent_age: u8,
    #[serde(default)]
    open_below_minimum_age: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferEntry {
    countries: Vec<String>,
    safeguard: TransferSafeguard,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitmentEntry {
    kind: CommitmentKind,
    #[serde(default)]
    categories: Vec<String>,
    days: Option<u32>,
    what: Option<String>,
    text: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Controller {
    name: String,
    contact: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    id: String,
    description: Option<String>,
    os_permission: Option<DeclaredPermission>,
    /// Format 2 only.
    device_identifier: Option<bool>,
}

/// `os_permission` in the document: a permission, or `none` to say there is none.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum DeclaredPermission {
    Contacts,
    Location,
    CallLog,
    Microphone,
    Tracking,
    Camera,
    Photos,
    Notifications,
    Calendar,
    NearbyDevices,
    PhoneState,
    None,
}

impl DeclaredPermission {
    fn resolve(self) -> Option<OsPermission> {
        match self {
            DeclaredPermission::Contacts => Some(OsPermission::Contacts),
            DeclaredPermission::Location => Some(OsPermission::Location),
            DeclaredPermission::CallLog => Some(OsPermission::CallLog),
            DeclaredPermission::Microphone => Some(OsPermission::Microphone),
            DeclaredPermission::Tracking => Some(OsPermission::Tracking),
            DeclaredPermission::Camera => Some(OsPermission::Camera),
            DeclaredPermission::Photos => Some(OsPermission::Photos),
            DeclaredPermission::Notifications => Some(OsPermission::Notifications),
            DeclaredPermission::Calendar => Some(OsPermission::Calendar),
            DeclaredPermission::NearbyDevices => Some(OsPermission::NearbyDevices),
            DeclaredPermission::PhoneState => Some(OsPermission::PhoneState),
            DeclaredPermission::None => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposeEntry {
    id: String,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessingEntry {
    category: String,
    purpose: String,
    legal_basis: LegalBasis,
    location_accuracy: Option<LocationAccuracy>,
    #[serde(default)]
    recipients: Vec<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionEntry {
    data: String,
    days: u32,
    description: Option<String>,
    /// `app_retention` only: read as text so an unknown event is refused with its name.
    after: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientEntry {
    id: String,
    name: String,
    kind: RecipientKind,
    country: Option<String>,
    description: Option<String>,
    /// Format 2 only.
    transfers: Option<Vec<TransferEntry>>,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidPolicy {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses and validates a policy document. Nothing is stored here: a caller stores the
/// policy only after this returned `Ok`.
pub(crate) fn parse_policy(json: &str) -> Result<Policy> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(invalid(
            "$",
            format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"),
        ));
    }
    let value = parse_strict(json)?;
    let document: Document = serde_path_to_error::deserialize(&value)
        .map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "$".to_owned() } else { path };
            invalid(field, plain_serde_message(&e.into_inner().to_string()))
        })
        .map_err(|e| quoting_value(e, &value))?;
    let (info, tcf) = validate(document).map_err(|e| quoting_value(e, &value))?;
    // serde_json's Value keeps object keys sorted, so this is a canonical form.
    let canonical_json = value.to_string();
    Ok(Policy::new(info, canonical_json, tcf))
}

/// How much of an offending value an error quotes: enough to recognise it in the document.
const QUOTED_VALUE_CHARS: usize = 60;

/// Adds the value found at the error's path to its reason, so that `processing[21].purpose`
/// also says which purpose. The document is the app's policy, not the user's data, so quoting
/// it is safe; a malformed document (`$`) is never quoted, as its text may be anything.
fn quoting_value(error: Error, document: &Value) -> Error {
    let Error::InvalidPolicy { field, reason } = error else {
        return error;
    };
    let found = json_pointer(&field).and_then(|pointer| document.pointer(&pointer));
    let reason = match found {
        Some(found) => format!("{reason} (found: {})", truncated(&found.to_string())),
        None => reason,
    };
    Error::InvalidPolicy { field, reason }
}

/// `processing[21].purpose` as the JSON pointer `/processing/21/purpose`; `None` for `$`.
fn json_pointer(field: &str) -> Option<String> {
    if field == "$" || field.is_empty() {
        return None;
    }
    let mut pointer = String::with_capacity(field.len() + 1);
    for segment in field.split('.') {
        let (key, indexes) = segment.split_once('[').unwrap_or((segment, ""));
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
        for index in indexes.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                pointer.push('/');
                pointer.push_str(index);
            }
        }
    }
    Some(pointer)
}

fn truncated(text: &str) -> String {
    if text.chars().count() <= QUOTED_VALUE_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(QUOTED_VALUE_CHARS).collect();
    cut.push('…');
    cut
}

/// serde's messages in the document's terms: the Rust types behind the format (`u32`,
/// `struct Document with 16 elements`) mean nothing to a policy's author.
fn plain_serde_message(message: &str) -> String {
    let mut text = message
        .replace("expected u8", "expected an integer from 0 to 255")
        .replace("expected u16", "expected an integer from 0 to 65535")
        .replace("expected u32", "expected an integer from 0 to 4294967295")
        .replace(
            "expected u64",
            "expected an integer from 0 to 18446744073709551615",
        )
        .replace("expected a sequence", "expected a list")
        .replace("invalid type: sequence", "invalid type: list")
        .replace("invalid type: map", "invalid type: object");
    for (rust, plain) in [
        ("expected struct ", "expected an object"),
        (
            "expected enum ",
            "expected one of the values the format lists",
        ),
    ] {
        if let Some(at) = text.find(rust) {
            text.truncate(at);
            text.push_str(plain);
        }
    }
    text
}

/// Line and column only: serde_json's message can quote the offending text.
fn json_position(e: &serde_json::Error) -> String {
    format!("line {}, column {}", e.line(), e.column())
}

/// Parses JSON into a `Value`, refusing an object that holds the same key twice.
/// serde_json keeps the last of two equal keys, so `"legal_basis": "consent", "legal_basis":
/// "contract"` would read as contract: a document that says two things says nothing.
fn parse_strict(json: &str) -> Result<Value> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let parsed = Strict {
        path: &Path::Root,
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, duplicate.into_inner()) {
        (_, Some(path)) => Err(invalid(
            path,
            "appears twice in one object; each key may appear once",
        )),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(invalid(
            "$",
            format!("not valid JSON ({})", json_position(&e)),
        )),
    }
}

/// Where a value sits in the document, written out only when a duplicate is found.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(Path::Root, key) => f.write_str(shown_key(key)),
            Path::Key(parent, key) => write!(f, "{parent}.{}", shown_key(key)),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// A key is echoed only if it looks like one of the format's field names: an error must not
/// quote arbitrary text.
fn shown_key(key: &str) -> &str {
    let field_like = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'$');
    if field_like {
        key
    } else {
        "<key>"
    }
}

/// A `Value` deserializer that fails on a repeated key and notes its path.
struct Strict<'p, 'd> {
    path: &'p Path<'p>,
    duplicate: &'d RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let path = Path::Index(self.path, items.len());
            let seed = Strict {
                path: &path,
                duplicate: self.duplicate,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = Path::Key(self.path, &key);
            if object.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some(path.to_string());
                return Err(de::Error::custom("a key appears twice"));
            }
            let value = map.next_value_seed(Strict {
                path: &path,
                duplicate: self.duplicate,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn validate(doc: Document) -> Result<(PolicyInfo, Option<TcfConfig>)> {
    if !SUPPORTED_FORMATS.contains(&doc.format) {
        return Err(invalid(
            "format",
            format!(
                "format {} is not supported; this library reads formats {} to {}",
                doc.format,
                SUPPORTED_FORMATS.start(),
                SUPPORTED_FORMATS.end()
            ),
        ));
    }
    let format_2 = doc.format == 2;
    check_fields_of_format(&doc)?;
    if let Some(text) = &doc.description {
        check_text("description", text, MAX_DOCUMENT_DESCRIPTION_CHARS)?;
    }
    let id_ok = !doc.policy_id.is_empty()
        && doc.policy_id.len() <= 128
        && doc
            .policy_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !id_ok {
        return Err(invalid(
            "policy_id",
            "must be 1 to 128 characters of letters, digits, '.', '_' or '-'",
        ));
    }
    if doc.version == 0 || doc.version > MAX_VERSION {
        return Err(invalid(
            "version",
            format!("must be between 1 and {MAX_VERSION}"),
        ));
    }
    check_date("effective_date", &doc.effective_date)?;
    if let Some(date) = &doc.last_revised {
        check_date("last_revised", date)?;
        // Both are checked YYYY-MM-DD dates, so text order is date order.
        if *date < doc.effective_date {
            return Err(invalid(
                "last_revised",
                format!("must not be before effective_date ({})", doc.effective_date),
            ));
        }
    }
    check_text("controller.name", &doc.controller.name, MAX_NAME_CHARS)?;
    if let Some(contact) = &doc.controller.contact {
        check_text("controller.contact", contact, MAX_NAME_CHARS)?;
    }

    let categories = validate_categories(doc.categories)?;
    let purposes = validate_purposes(doc.purposes)?;
    let recipients = validate_recipients(doc.recipients, format_2)?;
    let processing = validate_processing(doc.processing, &categories, &purposes, &recipients)?;
    let (age_rules, default_age_rule) = if format_2 {
        let default = doc.default_age_rule.ok_or_else(|| {
            invalid(
                "default_age_rule",
                "is required in format 2: say which age rules apply where no rule in age_rules does",
            )
        })?;
        let default = validate_age_rule(
            "default_age_rule",
            Vec::new(),
            default.minimum_age,
            default.digital_consent_age,
            default.open_below_minimum_age,
            &purposes,
        )?;
        (
            validate_age_rules(doc.age_rules.unwrap_or_default(), &purposes)?,
            default,
        )
    } else {
        let missing = |field: &str| invalid(field, "is required in format 1");
        let minimum = doc.minimum_age.ok_or_else(|| missing("minimum_age"))?;
        let consent = doc
            .digital_consent_age
            .ok_or_else(|| missing("digital_consent_age"))?;
        format_1_age_rules(minimum, consent)?
    };
    let (retention, app_retention) = if format_2 {
        let app = validate_retention(
            "app_retention",
            doc.app_retention.unwrap_or_default(),
            RetentionOwner::App,
        )?;
        (
            validate_retention("retention", doc.retention, RetentionOwner::PrivacyKit)?,
            app,
        )
    } else {
        // Format 1 took an id PrivacyKit does not hold as the app's own data: the same
        // meaning, now said where the rule is listed.
        let rules = validate_retention("retention", doc.retention, RetentionOwner::Either)?;
        rules
            .into_iter()
            .partition(|(r, _)| ENFORCED_RETENTION_IDS.contains(&r.data.as_str()))
    };
    let retention = retention.into_iter().map(|(rule, _)| rule).collect();
    let app_retention = app_retention
        .into_iter()
        .map(|(r, after)| AppRetentionRule {
            data: r.data,
            days: r.days,
            description: r.description,
            after,
        })
        .collect();
    let commitments = validate_commitments(doc.commitments.unwrap_or_default(), &categories)?;
    let tcf = doc
        .tcf
        .map(|tcf| super::tcf::validate(tcf, &categories, &purposes, &processing))
        .transpose()?;

    let info = PolicyInfo {
        policy_id: doc.policy_id,
        version: doc.version,
        effective_date: doc.effective_date,
        last_revised: doc.last_revised,
        controller_name: doc.controller.name,
        controller_contact: doc.controller.contact,
        requires_acceptance: doc.requires_acceptance,
        minimum_age: default_age_rule.minimum_age,
        digital_consent_age: default_age_rule.digital_consent_age,
        unknown_age: doc.unknown_age,
        categories,
        purposes,
        processing,
        retention,
        recipients,
        format: doc.format,
        age_rules,
        default_age_rule,
        acceptance: doc.acceptance.unwrap_or_default(),
        commitments,
        app_retention,
    };
    Ok((info, tcf))
}

/// Each format's fields in the other format are refused, so that a document means one thing.
fn check_fields_of_format(doc: &Document) -> Result<()> {
    let format_1_only = [
        ("minimum_age", doc.minimum_age.is_some()),
        ("digital_consent_age", doc.digital_consent_age.is_some()),
    ];
    if doc.format == 2 {
        if let Some((field, _)) = format_1_only.iter().find(|(_, present)| *present) {
            return Err(invalid(
                *field,
                "is format 1; format 2 states its age rules in age_rules and default_age_rule",
            ));
        }
        return Ok(());
    }
    let top = [
        ("age_rules", doc.age_rules.is_some()),
        ("default_age_rule", doc.default_age_rule.is_some()),
        ("acceptance", doc.acceptance.is_some()),
        ("commitments", doc.commitments.is_some()),
        ("app_retention", doc.app_retention.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(field, _)| field.to_owned());
    let categories = doc.categories.iter().enumerate().filter_map(|(i, c)| {
        c.device_identifier
            .map(|_| format!("categories[{i}].device_identifier"))
    });
    let recipients = doc.recipients.iter().enumerate().filter_map(|(i, r)| {
        r.transfers
            .as_ref()
            .map(|_| format!("recipients[{i}].transfers"))
    });
    match top.chain(categories).chain(recipients).next() {
        Some(field) => Err(invalid(
            field,
            "is a format 2 field; set \"format\": 2 to use it",
        )),
        None => Ok(()),
    }
}

/// Format 1's implicit age rules made explicit: one rule per age of digital consent that a
/// jurisdiction raised above the policy's, a default of the policy's age or 16, whichever
/// is higher, and the service open below the minimum age.
fn format_1_age_rules(minimum_age: u8, digital_consent_age: u8) -> Result<(Vec<AgeRule>, AgeRule)> {
    check_ages("", minimum_age, digital_consent_age)?;
    let rule = |jurisdictions: Vec<String>, consent: u8| AgeRule {
        jurisdictions,
        minimum_age,
        digital_consent_age: digital_consent_age.max(consent),
        open_below_minimum_age: vec![SERVICE_PURPOSE.to_owned()],
    };
    let default = rule(Vec::new(), FORMAT_1_DEFAULT_DIGITAL_CONSENT_AGE);
    let mut by_age: Vec<(u8, Vec<String>)> = Vec::new();
    for (country, age) in FORMAT_1_DIGITAL_CONSENT_AGES {
        let effective = digital_consent_age.max(*age);
        match by_age.iter_mut().find(|(a, _)| *a == effective) {
            Some((_, list)) => list.push((*country).to_owned()),
            None => by_age.push((effective, vec![(*country).to_owned()])),
        }
    }
    by_age.sort_by_key(|(age, _)| *age);
    let rules = by_age
        .into_iter()
        .filter(|(age, _)| *age != default.digital_consent_age)
        .map(|(age, list)| rule(list, age))
        .collect();
    Ok((rules, default))
}

/// `prefix` is `""` for format 1's top-level fields, else the rule's path and a dot.
fn check_ages(prefix: &str, minimum_age: u8, digital_consent_age: u8) -> Result<()> {
    if minimum_age > MAX_AGE {
        return Err(invalid(
            format!("{prefix}minimum_age"),
            format!("must be {MAX_AGE} or less"),
        ));
    }
    if digital_consent_age < minimum_age || digital_consent_age > MAX_AGE {
        return Err(invalid(
            format!("{prefix}digital_consent_age"),
            format!("must be between minimum_age ({minimum_age}) and {MAX_AGE}"),
        ));
    }
    Ok(())
}

fn validate_age_rule(
    field: &str,
    jurisdictions: Vec<String>,
    minimum_age: u8,
    digital_consent_age: u8,
    open_below_minimum_age: Vec<String>,
    purposes: &[Purpose],
) -> Result<AgeRule> {
    check_ages(&format!("{field}."), minimum_age, digital_consent_age)?;
    let mut listed = HashSet::new();
    for (i, purpose) in open_below_minimum_age.iter().enumerate() {
        let at = format!("{field}.open_below_minimum_age[{i}]");
        if !purposes.iter().any(|p| p.id == *purpose) {
            return Err(invalid(
                at,
                "names a purpose that `purposes` does not declare",
            ));
        }
        if !listed.insert(purpose) {
            return Err(invalid(at, "names the same purpose twice"));
        }
    }
    Ok(AgeRule {
        jurisdictions,
        minimum_age,
        digital_consent_age,
        open_below_minimum_age,
    })
}

fn validate_age_rules(entries: Vec<AgeRuleEntry>, purposes: &[Purpose]) -> Result<Vec<AgeRule>> {
    if entries.len() > MAX_AGE_RULES {
        return Err(invalid(
            "age_rules",
            format!("must hold at most {MAX_AGE_RULES} rules"),
        ));
    }
    // Which rule covers each country: a country in two rules would make the answer depend on
    // their order, so overlaps (a country listed beside the EEA it belongs to) are refused.
    let mut covered: HashMap<String, usize> = HashMap::new();
    let mut rules = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let field = format!("age_rules[{i}]");
        check_jurisdictions(&format!("{field}.jurisdictions"), &entry.jurisdictions)?;
        for (j, code) in entry.jurisdictions.iter().enumerate() {
            let members: Vec<String> = if code == countries::EEA {
                countries::EEA_MEMBERS
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect()
            } else {
                vec![code.clone()]
            };
            for member in members {
                if let Some(earlier) = covered.insert(member.clone(), i) {
                    return Err(invalid(
                        format!("{field}.jurisdictions[{j}]"),
                        format!("covers {member}, which age_rules[{earlier}] covers already"),
                    ));
                }
            }
        }
        rules.push(validate_age_rule(
            &field,
            entry.jurisdictions,
            entry.minimum_age,
            entry.digital_consent_age,
            entry.open_below_minimum_age,
            purposes,
        )?);
    }
    Ok(rules)
}

/// A list of jurisdictions: 1 or more assigned ISO 3166-1 alpha-2 codes or `EEA`, each once.
fn check_jurisdictions(field: &str, codes: &[String]) -> Result<()> {
    if codes.is_empty() || codes.len() > 300 {
        return Err(invalid(field, "must list 1 to 300 jurisdictions"));
    }
    let mut seen = HashSet::new();
    for (i, code) in codes.iter().enumerate() {
        if code != countries::EEA && !countries::is_assigned(code) {
            return Err(invalid(
                format!("{field}[{i}]"),
                "must be an assigned ISO 3166-1 alpha-2 code in capitals (\"DE\") or \"EEA\" \
                 for the European Economic Area; \"EU\" is not a country code",
            ));
        }
        if !seen.insert(code) {
            return Err(invalid(format!("{field}[{i}]"), "listed twice"));
        }
    }
    Ok(())
}

fn validate_commitments(
    entries: Vec<CommitmentEntry>,
    categories: &[Category],
) -> Result<Vec<Commitment>> {
    if entries.len() > MAX_DECLARATIONS {
        return Err(invalid(
            "commitments",
            format!("must hold at most {MAX_DECLARATIONS} entries"),
        ));
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("commitments[{i}]");
            check_text(&format!("{field}.text"), &entry.text, MAX_TEXT_CHARS)?;
            let mut listed = HashSet::new();
            for (c, category) in entry.categories.iter().enumerate() {
                if !categories.iter().any(|known| known.id == *category) {
                    return Err(invalid(
                        format!("{field}.categories[{c}]"),
                        "names a category that `categories` does not declare",
                    ));
                }
                if !listed.insert(category) {
                    return Err(invalid(
                        format!("{field}.categories[{c}]"),
                        "names the same category twice",
                    ));
                }
            }
            let server_retention = entry.kind == CommitmentKind::ServerRetention;
            match (server_retention, entry.days, &entry.what) {
                (true, Some(days), Some(what)) => {
                    if days == 0 || days > MAX_RETENTION_DAYS {
                        return Err(invalid(
                            format!("{field}.days"),
                            format!("must be between 1 and {MAX_RETENTION_DAYS}"),
                        ));
                    }
                    check_text(&format!("{field}.what"), what, MAX_NAME_CHARS)?;
                }
                (true, None, _) => {
                    return Err(invalid(
                        format!("{field}.days"),
                        "is required for server_retention: how many days the servers keep it",
                    ))
                }
                (true, _, None) => {
                    return Err(invalid(
                        format!("{field}.what"),
                        "is required for server_retention: what the servers keep",
                    ))
                }
                (false, Some(_), _) => {
                    return Err(invalid(
                        format!("{field}.days"),
                        "belongs to server_retention only",
                    ))
                }
                (false, _, Some(_)) => {
                    return Err(invalid(
                        format!("{field}.what"),
                        "belongs to server_retention only",
                    ))
                }
                (false, None, None) => {}
            }
            Ok(Commitment {
                kind: entry.kind,
                categories: entry.categories,
                days: entry.days,
                what: entry.what,
                text: entry.text,
            })
        })
        .collect()
}

fn validate_categories(entries: Vec<CategoryEntry>) -> Result<Vec<Category>> {
    check_count("categories", entries.len(), MAX_CATEGORIES)?;
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("categories[{i}]");
            check_id(&format!("{field}.id"), &entry.id)?;
            if !seen.insert(entry.id.clone()) {
                return Err(invalid(format!("{field}.id"), "declared twice"));
            }
            let built_in = BUILT_IN_CATEGORIES.iter().find(|(id, _)| *id == entry.id);
            check_description(&field, entry.description.as_deref(), built_in.is_some())?;
            let os_permission = match (entry.os_permission, built_in) {
                (Some(declared), _) => declared.resolve(),
                (None, Some((_, default))) => *default,
                (None, None) => None,
            };
            let is_advertising_id = entry.id == ADVERTISING_ID;
            if is_advertising_id && entry.device_identifier == Some(false) {
                return Err(invalid(
                    format!("{field}.device_identifier"),
                    "the advertising identifier is a device identifier",
                ));
            }
            Ok(Category {
                device_identifier: is_advertising_id || entry.device_identifier == Some(true),
                id: entry.id,
                description: entry.description,
                os_permission,
                built_in: built_in.is_some(),
            })
        })
        .collect()
}

fn validate_purposes(entries: Vec<PurposeEntry>) -> Result<Vec<Purpose>> {
    check_count("purposes", entries.len(), MAX_PURPOSES)?;
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("purposes[{i}]");
            check_id(&format!("{field}.id"), &entry.id)?;
            if !seen.insert(entry.id.clone()) {
                return Err(invalid(format!("{field}.id"), "declared twice"));
            }
            let built_in = BUILT_IN_PURPOSES.contains(&entry.id.as_str());
            check_description(&field, entry.description.as_deref(), built_in)?;
            Ok(Purpose {
                id: entry.id,
                description: entry.description,
                built_in,
            })
        })
        .collect()
}

fn validate_recipients(entries: Vec<RecipientEntry>, format_2: bool) -> Result<Vec<Recipient>> {
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("recipients[{i}]");
            check_id(&format!("{field}.id"), &entry.id)?;
            if !seen.insert(entry.id.clone()) {
                return Err(invalid(format!("{field}.id"), "declared twice"));
            }
            check_text(&format!("{field}.name"), &entry.name, MAX_NAME_CHARS)?;
            if let Some(country) = &entry.country {
                if !countries::is_assigned(country) {
                    return Err(invalid(
                        format!("{field}.country"),
                        "must be an assigned ISO 3166-1 alpha-2 code in capitals, such as \"DE\"",
                    ));
                }
            }
            if format_2 && entry.kind == RecipientKind::ThirdParty {
                return Err(invalid(
                    format!("{field}.kind"),
                    "third_party is format 1; say whether the recipient is an \
                     independent_controller or a joint_controller",
                ));
            }
            check_description(&field, entry.description.as_deref(), true)?;
            let transfers = entry
                .transfers
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(t, transfer)| {
                    let at = format!("{field}.transfers[{t}]");
                    check_jurisdictions(&format!("{at}.countries"), &transfer.countries)?;
                    check_description(&at, transfer.description.as_deref(), true)?;
                    Ok(Transfer {
                        countries: transfer.countries,
                        safeguard: transfer.safeguard,
                        description: transfer.description,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Recipient {
                id: entry.id,
                name: entry.name,
                kind: entry.kind,
                country: entry.country,
                description: entry.description,
                transfers,
            })
        })
        .collect()
}

fn validate_processing(
    entries: Vec<ProcessingEntry>,
    categories: &[Category],
    purposes: &[Purpose],
    recipients: &[Recipient],
) -> Result<Vec<Processing>> {
    check_count("processing", entries.len(), MAX_PROCESSING)?;
    // Every reference is one hash lookup: a document under the size cap can hold tens of
    // thousands of references, and scanning the lists for each was quadratic.
    let category_at: HashMap<&str, usize> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let purpose_at: HashMap<&str, usize> = purposes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let recipient_ids: HashSet<&str> = recipients.iter().map(|r| r.id.as_str()).collect();
    let mut pairs = HashSet::new();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("processing[{i}]");
            let c = *category_at.get(entry.category.as_str()).ok_or_else(|| {
                invalid(
                    format!("{field}.category"),
                    "names a category that `categories` does not declare",
                )
            })?;
            let category = &categories[c];
            let p = *purpose_at.get(entry.purpose.as_str()).ok_or_else(|| {
                invalid(
                    format!("{field}.purpose"),
                    "names a purpose that `purposes` does not declare",
                )
            })?;
            if !pairs.insert((c, p)) {
                return Err(invalid(
                    field,
                    "this (category, purpose) pair is declared twice",
                ));
            }
            if category.device_identifier && entry.legal_basis != LegalBasis::Consent {
                return Err(invalid(
                    format!("{field}.legal_basis"),
                    format!(
                        "`{}` is a device identifier: reading it needs the user's consent under \
                         the ePrivacy rules (Directive 2002/58/EC, art. 5(3)) whatever the GDPR \
                         basis, so its legal basis must be \"consent\"",
                        category.id
                    ),
                ));
            }
            if entry.location_accuracy.is_some()
                && category.os_permission != Some(OsPermission::Location)
            {
                return Err(invalid(
                    format!("{field}.location_accuracy"),
                    "only a category behind the location permission can require an accuracy",
                ));
            }
            let mut listed = HashSet::with_capacity(entry.recipients.len());
            for (r, recipient) in entry.recipients.iter().enumerate() {
                if !recipient_ids.contains(recipient.as_str()) {
                    return Err(invalid(
                        format!("{field}.recipients[{r}]"),
                        "names a recipient that `recipients` does not declare",
                    ));
                }
                if !listed.insert(recipient.as_str()) {
                    return Err(invalid(
                        format!("{field}.recipients[{r}]"),
                        "names the same recipient twice",
                    ));
                }
            }
            check_description(&field, entry.description.as_deref(), true)?;
            Ok(Processing {
                category: entry.category,
                purpose: entry.purpose,
                legal_basis: entry.legal_basis,
                location_accuracy: entry.location_accuracy,
                recipients: entry.recipients,
                description: entry.description,
            })
        })
        .collect()
}

/// Whose data a retention list names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RetentionOwner {
    /// `retention` in format 2: only the ids PrivacyKit enforces.
    PrivacyKit,
    /// `app_retention`: the app's own data, never one of PrivacyKit's ids.
    App,
    /// `retention` in format 1: either, told apart by the id.
    Either,
}

/// A validated retention entry and, for the app's own data, the event its period counts from.
type ValidatedRetention = (RetentionRule, Option<RetentionEvent>);

fn validate_retention(
    list: &str,
    entries: Vec<RetentionEntry>,
    owner: RetentionOwner,
) -> Result<Vec<ValidatedRetention>> {
    if entries.len() > MAX_DECLARATIONS {
        return Err(invalid(
            list,
            format!("must hold at most {MAX_DECLARATIONS} entries"),
        ));
    }
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("{list}[{i}]");
            check_id(&format!("{field}.data"), &entry.data)?;
            let enforced = ENFORCED_RETENTION_IDS.contains(&entry.data.as_str());
            match owner {
                RetentionOwner::PrivacyKit if !enforced => {
                    return Err(invalid(
                        format!("{field}.data"),
                        format!(
                            "is not data PrivacyKit holds; retention takes one of {}. The app's \
                             own data goes in app_retention",
                            ENFORCED_RETENTION_IDS.join(", ")
                        ),
                    ))
                }
                RetentionOwner::App if enforced => {
                    return Err(invalid(
                        format!("{field}.data"),
                        "is data PrivacyKit holds and deletes itself: list it under retention, \
                         and give the app's own data an id of its own",
                    ))
                }
                RetentionOwner::App if entry.description.is_none() => {
                    return Err(invalid(
                        format!("{field}.description"),
                        "is required for the app's own data: say what it is",
                    ))
                }
                _ => {}
            }
            if !seen.insert(entry.data.clone()) {
                return Err(invalid(format!("{field}.data"), "declared twice"));
            }
            if entry.days == 0 || entry.days > MAX_RETENTION_DAYS {
                return Err(invalid(
                    format!("{field}.days"),
                    format!("must be between 1 and {MAX_RETENTION_DAYS}"),
                ));
            }
            check_description(&field, entry.description.as_deref(), true)?;
            let after = match (entry.after.as_deref(), owner) {
                (None, _) => None,
                // PrivacyKit's own data is deleted by its age alone: an event the app reports
                // could hold back deletion of data the app does not even see.
                (Some(_), RetentionOwner::PrivacyKit | RetentionOwner::Either) => {
                    return Err(invalid(
                        format!("{field}.after"),
                        "is only for the app's own data, in app_retention (format 2)",
                    ))
                }
                (Some(name), RetentionOwner::App) => {
                    Some(RetentionEvent::parse(name).ok_or_else(|| {
                        invalid(
                            format!("{field}.after"),
                            format!(
                                "is not an event PrivacyKit knows; after takes one of {}",
                                RetentionEvent::ALL.map(RetentionEvent::as_str).join(", ")
                            ),
                        )
                    })?)
                }
            };
            Ok((
                RetentionRule {
                    data: entry.data,
                    days: entry.days,
                    description: entry.description,
                },
                after,
            ))
        })
        .collect()
}

fn check_count(field: &str, count: usize, max: usize) -> Result<()> {
    if count == 0 || count > max {
        return Err(invalid(field, format!("must hold 1 to {max} entries")));
    }
    Ok(())
}

/// Identifiers: `^[a-z][a-z0-9_]{0,63}$`.
fn check_id(field: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.as_bytes()[0].is_ascii_lowercase()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(invalid(
            field,
            "must start with a lowercase letter and hold at most 64 lowercase letters, digits or '_'",
        ));
    }
    Ok(())
}

fn check_description(field: &str, description: Option<&str>, optional: bool) -> Result<()> {
    let field = format!("{field}.description");
    match description {
        Some(text) => check_text(&field, text, MAX_TEXT_CHARS),
        None if optional => Ok(()),
        None => Err(invalid(
            field,
            "is required for an id that is not built in: say what it is",
        )),
    }
}

/// Text shown to users: 1 to `max_chars` characters, none of them invisible or able to
/// reorder what is displayed (see `is_hidden`).
fn check_text(field: &str, text: &str, max_chars: usize) -> Result<()> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > max_chars {
        return Err(invalid(
            field,
            format!("must be 1 to {max_chars} characters of text"),
        ));
    }
    if let Some(position) = text.chars().position(is_hidden) {
        return Err(invalid(
            field,
            format!(
                "character {} is a control, bidirectional or zero-width character; \
                 text shown to users must not hide or reorder what it says",
                position + 1
            ),
        ));
    }
    Ok(())
}

/// Characters that a reader does not see but that change what is shown: C0 and C1 controls
/// (NUL, line breaks and tabs among them: the texts are single lines), the bidirectional
/// embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069) that can make a
/// text read backwards, and the zero-width characters (U+200B to U+200D, U+2060, U+FEFF)
/// that can make two different texts look alike.
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'
                | '\u{FEFF}'
        )
}

fn check_date(field: &str, text: &str) -> Result<()> {
    let in_range = parse_day(text).is_some()
        && text[..4]
            .parse::<i64>()
            .is_ok_and(|year| YEARS.contains(&year));
    if !in_range {
        return Err(invalid(
            field,
            format!(
                "must be a real date written YYYY-MM-DD, in the years {} to {}",
                YEARS.start(),
                YEARS.end()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({
            "format": 1,
            "policy_id": "com.example.app",
            "version": 1,
            "effective_date": "2024-05-01",
            "controller": { "name": "Example Ltd" },
            "minimum_age": 13,
            "digital_consent_age": 16,
            "categories": [ { "id": "location" }, { "id": "read_receipts", "description": "Whether others see that you read their messages" } ],
            "purposes": [ { "id": "service" }, { "id": "analytics" } ],
            "processing": [
                { "category": "location", "purpose": "service", "legal_basis": "contract", "location_accuracy": "precise" },
                { "category": "read_receipts", "purpose": "service", "legal_basis": "legitimate_interest" }
            ]
        })
    }

    fn error_for(doc: serde_json::Value) -> (String, String) {
        match parse_policy(&doc.to_string()) {
            Err(Error::InvalidPolicy { field, reason }) => (field, reason),
            other => panic!("expected InvalidPolicy, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_policy_parses_with_defaults() {
        let policy = parse_policy(&minimal().to_string()).unwrap();
        assert_eq!(policy.version(), 1);
        assert!(policy.info.requires_acceptance);
        let location = &policy.info.categories[0];
        assert_eq!(location.os_permission, Some(OsPermission::Location));
        assert!(location.built_in);
        assert!(!policy.info.categories[1].built_in);
        let pair = policy.pair_index(0, 0);
        assert_eq!(
            policy.processing_at(pair).unwrap().location_accuracy,
            Some(LocationAccuracy::Precise)
        );
        assert!(policy.processing_at(policy.pair_index(0, 1)).is_none());
    }

    #[test]
    fn layout_does_not_change_the_canonical_form() {
        let compact = parse_policy(&minimal().to_string()).unwrap();
        let pretty = parse_policy(&serde_json::to_string_pretty(&minimal()).unwrap()).unwrap();
        assert_eq!(compact.canonical_sha256, pretty.canonical_sha256);
    }

    /// Sets the value at a JSON pointer, creating the last key of an object if needed.
    fn set(doc: &mut serde_json::Value, pointer: &str, value: serde_json::Value) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match doc.pointer_mut(parent).unwrap() {
            serde_json::Value::Object(map) => {
                map.insert(key.to_owned(), value);
            }
            serde_json::Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            other => panic!("cannot set {pointer} in {other}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("/format", json!(3), "format"),
            ("/format", json!(2), "minimum_age"),
            ("/version", json!(0), "version"),
            ("/version", json!(-1), "version"),
            ("/policy_id", json!("has space"), "policy_id"),
            ("/effective_date", json!("2024-02-30"), "effective_date"),
            ("/digital_consent_age", json!(12), "digital_consent_age"),
            ("/minimum_age", json!(30), "minimum_age"),
            ("/colour", json!("blue"), "colour"),
            ("/categories", json!([]), "categories"),
            (
                "/categories/1/description",
                json!(null),
                "categories[1].description",
            ),
            ("/categories/0/id", json!("Location"), "categories[0].id"),
            ("/categories/1/id", json!("location"), "categories[1].id"),
            ("/purposes/1/id", json!("service"), "purposes[1].id"),
            (
                "/processing/1/legal_basis",
                json!("because"),
                "processing[1].legal_basis",
            ),
            (
                "/processing/1/category",
                json!("contacts"),
                "processing[1].category",
            ),
            (
                "/processing/1/purpose",
                json!("marketing"),
                "processing[1].purpose",
            ),
            (
                "/processing/1/location_accuracy",
                json!("precise"),
                "processing[1].location_accuracy",
            ),
            (
                "/processing/1/recipients",
                json!(["nobody"]),
                "processing[1].recipients[0]",
            ),
            ("/processing/1/category", json!("location"), "processing[1]"),
            (
                "/retention",
                json!([{ "data": "access_log", "days": 0 }]),
                "retention[0].days",
            ),
            (
                "/recipients",
                json!([{ "id": "ads", "name": "Ads", "kind": "third_party", "country": "de" }]),
                "recipients[0].country",
            ),
            ("/controller", json!({ "name": " " }), "controller.name"),
        ];
        for (pointer, value, expected_field) in cases {
            let mut doc = minimal();
            set(&mut doc, pointer, value);
            let (field, reason) = error_for(doc);
            assert_eq!(field, expected_field, "{pointer}: reason was: {reason}");
            assert!(!reason.is_empty());
        }
    }

    #[test]
    fn errors_quote_the_offending_value() {
        let mut doc = minimal();
        set(&mut doc, "/processing/1/purpose", json!("marketing"));
        let (field, reason) = error_for(doc);
        assert_eq!(field, "processing[1].purpose");
        assert!(reason.contains("(found: \"marketing\")"), "{reason}");

        let mut doc = minimal();
        set(&mut doc, "/minimum_age", json!(30));
        assert!(error_for(doc).1.ends_with("(found: 30)"));

        let mut doc = minimal();
        set(
            &mut doc,
            "/categories/1/description",
            json!("x".repeat(600)),
        );
        let (_, reason) = error_for(doc);
        assert!(
            reason.contains(&format!("(found: \"{}…)", "x".repeat(59))),
            "{reason}"
        );
        assert!(!reason.contains(&"x".repeat(61)), "{reason}");
    }

    #[test]
    fn errors_use_the_documents_words_not_rust_types() {
        let cases = [
            (
                "/version",
                json!(-1),
                "expected an integer from 0 to 4294967295",
            ),
            (
                "/minimum_age",
                json!(300),
                "expected an integer from 0 to 255",
            ),
            ("/controller", json!("Example Ltd"), "expected an object"),
            (
                "/categories",
                json!({ "id": "location" }),
                "expected a list",
            ),
            (
                "/colour",
                json!("blue"),
                "unknown field `colour`, expected one of",
            ),
        ];
        for (pointer, value, wanted) in cases {
            let mut doc = minimal();
            set(&mut doc, pointer, value);
            let (_, reason) = error_for(doc);
            assert!(reason.contains(wanted), "{pointer}: {reason}");
            for rust in ["u8", "u32", "struct", "Document", "Controller", "sequence"] {
                assert!(!reason.contains(rust), "{pointer}: {reason}");
            }
        }
        let (field, reason) = error_for(json!("a policy"));
        assert_eq!(field, "$");
        assert!(reason.contains("expected an object"), "{reason}");
        assert!(!reason.contains("Document"), "{reason}");
    }

    #[test]
    fn only_assigned_country_codes_are_accepted() {
        for country in ["XX", "EU", "UK", "ZZ"] {
            let mut doc = minimal();
            set(
                &mut doc,
                "/recipients",
                json!([{ "id": "ads", "name": "Ads", "kind": "processor", "country": country }]),
            );
            let (field, reason) = error_for(doc);
            assert_eq!(field, "recipients[0].country");
            assert!(reason.contains(&format!("\"{country}\"")), "{reason}");
        }
        let mut doc = minimal();
        set(
            &mut doc,
            "/recipients",
            json!([{ "id": "ads", "name": "Ads", "kind": "processor", "country": "GB" }]),
        );
        assert!(parse_policy(&doc.to_string()).is_ok());
    }

    #[test]
    fn a_revision_cannot_predate_the_effective_date() {
        let mut doc = minimal();
        set(&mut doc, "/last_revised", json!("2024-04-30"));
        let (field, reason) = error_for(doc);
        assert_eq!(field, "last_revised");
        assert!(
            reason.contains("2024-05-01") && reason.contains("2024-04-30"),
            "{reason}"
        );
        let mut doc = minimal();
        set(&mut doc, "/last_revised", json!("2024-05-01"));
        assert!(parse_policy(&doc.to_string()).is_ok());
    }

    #[test]
    fn malformed_json_reports_a_position_without_quoting_the_text() {
        let (field, reason) = match parse_policy("{\"policy_id\": \"+79123456789\" ,,}") {
            Err(Error::InvalidPolicy { field, reason }) => (field, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(field, "$");
        assert!(reason.contains("line 1"), "{reason}");
        assert!(!reason.contains("7912"));
    }

    #[test]
    fn an_oversized_document_is_rejected_before_parsing() {
        let huge = " ".repeat(MAX_DOCUMENT_BYTES + 1);
        assert!(matches!(
            parse_policy(&huge),
            Err(Error::InvalidPolicy { .. })
        ));
    }
}
