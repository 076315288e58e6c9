//! Parsing the policy JSON (format 1) and checking every rule the JSON Schema cannot express.
//! Every error names the field by its JSON path and says what is wrong with it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::tcf::TcfConfig;
use super::{
    Category, Policy, PolicyInfo, Processing, Purpose, Recipient, RecipientKind, RetentionRule,
    UnknownAgeRule, BUILT_IN_CATEGORIES, BUILT_IN_PURPOSES,
};
use crate::decision::LegalBasis;
use crate::error::{Error, Result};
use crate::permissions::{LocationAccuracy, OsPermission};
use crate::time::parse_day;

const SUPPORTED_FORMAT: u32 = 1;
const MAX_DOCUMENT_BYTES: usize = 1 << 20;
const MAX_CATEGORIES: usize = 256;
const MAX_PURPOSES: usize = 256;
const MAX_PROCESSING: usize = 4096;
const MAX_AGE: u8 = 21;
const MAX_RETENTION_DAYS: u32 = 36_500;
const MAX_TEXT_CHARS: usize = 500;
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
    #[serde(default = "yes")]
    requires_acceptance: bool,
    minimum_age: u8,
    digital_consent_age: u8,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientEntry {
    id: String,
    name: String,
    kind: RecipientKind,
    country: Option<String>,
    description: Option<String>,
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
    let document: Document = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "$".to_owned() } else { path };
        invalid(field, e.into_inner().to_string())
    })?;
    let (info, tcf) = validate(document)?;
    // serde_json's Value keeps object keys sorted, so this is a canonical form.
    let canonical_json = value.to_string();
    Ok(Policy::new(info, canonical_json, tcf))
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
    if doc.format != SUPPORTED_FORMAT {
        return Err(invalid(
            "format",
            format!(
                "format {} is not supported; this library reads format {SUPPORTED_FORMAT}",
                doc.format
            ),
        ));
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
    }
    check_text("controller.name", &doc.controller.name, MAX_NAME_CHARS)?;
    if let Some(contact) = &doc.controller.contact {
        check_text("controller.contact", contact, MAX_NAME_CHARS)?;
    }
    if doc.minimum_age > MAX_AGE {
        return Err(invalid("minimum_age", format!("must be {MAX_AGE} or less")));
    }
    if doc.digital_consent_age < doc.minimum_age || doc.digital_consent_age > MAX_AGE {
        return Err(invalid(
            "digital_consent_age",
            format!("must be between minimum_age and {MAX_AGE}"),
        ));
    }

    let categories = validate_categories(doc.categories)?;
    let purposes = validate_purposes(doc.purposes)?;
    let recipients = validate_recipients(doc.recipients)?;
    let processing = validate_processing(doc.processing, &categories, &purposes, &recipients)?;
    let retention = validate_retention(doc.retention)?;
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
        minimum_age: doc.minimum_age,
        digital_consent_age: doc.digital_consent_age,
        unknown_age: doc.unknown_age,
        categories,
        purposes,
        processing,
        retention,
        recipients,
    };
    Ok((info, tcf))
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
            Ok(Category {
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

fn validate_recipients(entries: Vec<RecipientEntry>) -> Result<Vec<Recipient>> {
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
                if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(invalid(
                        format!("{field}.country"),
                        "must be an ISO 3166-1 alpha-2 code such as \"DE\"",
                    ));
                }
            }
            check_description(&field, entry.description.as_deref(), true)?;
            Ok(Recipient {
                id: entry.id,
                name: entry.name,
                kind: entry.kind,
                country: entry.country,
                description: entry.description,
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

fn validate_retention(entries: Vec<RetentionEntry>) -> Result<Vec<RetentionRule>> {
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("retention[{i}]");
            check_id(&format!("{field}.data"), &entry.data)?;
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
            Ok(RetentionRule {
                data: entry.data,
                days: entry.days,
                description: entry.description,
            })
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
            ("/format", json!(2), "format"),
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
