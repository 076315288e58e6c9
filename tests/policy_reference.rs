//! The field reference in docs/policy.md is rendered from the policy's JSON Schema, so the
//! page cannot drift from what the SDK validates: this test renders the table from
//! src/policy/policy.schema.json and compares it with the section of docs/policy.md between
//! the reference markers. After a schema change, `PRIVACYKIT_BLESS=1 cargo test -p privacykit
//! --test policy_reference` rewrites that section; review the diff like any other.

use std::path::Path;

use serde_json::{Map, Value};

const START: &str = "<!-- reference:start -->\n";
const END: &str = "<!-- reference:end -->";

/// One row: the field's path, its type or allowed values, whether it is required (and its
/// default), and the schema's description.
struct Row {
    path: String,
    kind: String,
    required: String,
    description: String,
}

/// The node a `$ref` points to (`#/$defs/x` or `#/definitions/x`, any JSON pointer into the
/// schema), with the name of the definition; a node without a reference is itself.
fn resolve<'a>(schema: &'a Value, node: &'a Value) -> (&'a Value, Option<&'a str>) {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("only references inside the schema: {reference}"));
            let target = schema
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{reference} points at nothing"));
            (target, pointer.rsplit('/').next())
        }
        None => (node, None),
    }
}

/// A member of `node`, or of what its `$ref` points to when `node` does not say it itself.
fn member<'a>(schema: &'a Value, node: &'a Value, key: &str) -> Option<&'a Value> {
    node.get(key).or_else(|| resolve(schema, node).0.get(key))
}

fn literal(value: &Value) -> String {
    format!("`{value}`")
}

/// `string`, `integer`, `` `a` \| `b` `` for an enum, `array of object`; a named definition
/// that is not an object adds its name (`string (date)`), since its name says what it holds.
fn kind(schema: &Value, node: &Value) -> String {
    let (target, name) = resolve(schema, node);
    if let Some(values) = member(schema, node, "enum").and_then(Value::as_array) {
        return values.iter().map(literal).collect::<Vec<_>>().join(" \\| ");
    }
    let base = match member(schema, node, "type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    };
    let base = match member(schema, node, "items") {
        Some(items) if base == "array" => format!("array of {}", kind(schema, items)),
        _ => base,
    };
    match name {
        Some(name) if target.get("properties").is_none() => format!("{base} ({name})"),
        _ => base,
    }
}

/// Markdown-safe cell text: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// Rows for the members of an object schema under `prefix`, recursing into objects and
/// array items. Members are listed in name order: serde_json's map keeps no document order
/// unless a feature is enabled somewhere in the build, and the table must not depend on that.
fn rows_of(schema: &Value, object: &Value, prefix: &str, rows: &mut Vec<Row>) {
    let (object, _) = resolve(schema, object);
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut names: Vec<&String> = properties.keys().collect();
    names.sort();
    for name in names {
        let node = &properties[name.as_str()];
        let path = format!("{prefix}{name}");
        let required = match (required.contains(&name.as_str()), node.get("default")) {
            (true, _) => "yes".to_owned(),
            (false, Some(default)) => format!("no (default {})", literal(default)),
            (false, None) => "no".to_owned(),
        };
        let description = member(schema, node, "description")
            .and_then(Value::as_str)
            .unwrap_or("");
        rows.push(Row {
            path: format!("`{path}`"),
            kind: kind(schema, node),
            required,
            description: cell(description),
        });
        rows_of(schema, node, &format!("{path}."), rows);
        if let Some(items) = member(schema, node, "items") {
            rows_of(schema, items, &format!("{path}[]."), rows);
        }
    }
}

fn render(schema: &Value) -> String {
    let mut rows = Vec::new();
    rows_of(schema, schema, "", &mut rows);
    let mut table =
        String::from("| field | type | required | description |\n| --- | --- | --- | --- |\n");
    for row in rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.path, row.kind, row.required, row.description
        ));
    }
    table
}

#[test]
fn docs_policy_reference_matches_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("src/policy/policy.schema.json")).unwrap(),
    )
    .unwrap();
    let table = render(&schema);
    let doc_path = root.join("docs/policy.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let start = doc
        .find(START)
        .unwrap_or_else(|| panic!("docs/policy.md has no `{}` marker", START.trim()))
        + START.len();
    let end = start
        + doc[start..]
            .find(END)
            .unwrap_or_else(|| panic!("docs/policy.md has no `{END}` marker after the start"));
    if std::env::var("PRIVACYKIT_BLESS").is_ok_and(|v| v == "1") {
        let blessed = format!("{}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&doc_path, blessed).unwrap();
        return;
    }
    assert!(
        doc[start..end] == table,
        "docs/policy.md's field reference differs from the table rendered from \
         src/policy/policy.schema.json; run `PRIVACYKIT_BLESS=1 cargo test -p privacykit \
         --test policy_reference` and review the diff.\n--- rendered ---\n{table}"
    );
}

#[test]
fn the_reference_reaches_nested_fields_through_references_and_items() {
    let schema: Value = serde_json::from_str(include_str!("../src/policy/policy.schema.json"))
        .expect("the schema is JSON");
    let table = render(&schema);
    // A member of an inline object, members of `$defs` reached through array items, a member
    // of an inline array's items, and an enum.
    for expected in [
        "| `controller.name` | string | yes |",
        "| `categories[].os_permission` | `\"contacts\"` \\| `\"location\"`",
        "| `recipients[].transfers[].safeguard` |",
        "| `commitments[].kind` | `\"not_stored_on_servers\"`",
        "| `effective_date` | string (date) | yes |",
        "| `requires_acceptance` | boolean | no (default `true`) |",
    ] {
        assert!(
            table.contains(expected),
            "missing `{expected}` in:\n{table}"
        );
    }
    let rows = table.lines().count() - 2;
    let mut leaves = 0;
    count_properties(&schema, &schema, &mut leaves);
    assert_eq!(rows, leaves, "one row per property the schema declares");
}

/// Every property reachable from `node`, through references and array items.
fn count_properties(schema: &Value, node: &Value, count: &mut usize) {
    let (node, _) = resolve(schema, node);
    let empty = Map::new();
    let properties = node
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for property in properties.values() {
        *count += 1;
        count_properties(schema, property, count);
        if let Some(items) = member(schema, property, "items") {
            count_properties(schema, items, count);
        }
    }
}

/// The walk-through's JSON snippets, put together in order, are one valid document: the
/// authoring guide cannot show members that the SDK would refuse.
#[test]
fn the_walk_through_snippets_make_a_valid_policy() {
    let doc = include_str!("../docs/policy.md");
    let start = doc
        .find("## Walk-through")
        .expect("the walk-through section");
    let end = start + doc[start..].find("## Choosing a legal basis").unwrap();
    let mut document = String::new();
    let mut rest = &doc[start..end];
    while let Some(open) = rest.find("```json\n") {
        let body = &rest[open + "```json\n".len()..];
        let close = body.find("```").expect("a closed code block");
        document.push_str(&body[..close]);
        rest = &body[close..];
    }
    let info = privacykit::validate_policy(document).expect("the walk-through's policy is valid");
    assert_eq!(info.format, 2);
    assert_eq!(info.policy_id, "com.voicecall.service");
    assert!(!info.commitments.is_empty() && !info.app_retention.is_empty());
}
