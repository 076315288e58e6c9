//! A validator for the subset of JSON Schema the export schema uses.

use serde_json::Value;

/// Panics naming the first place `value` breaks `schema`. Supports type, enum, const,
/// required, properties with additionalProperties false, items, pattern-free $ref.
pub fn validate(schema: &Value, root: &Value, value: &Value, path: &str) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => &root["$defs"][r.trim_start_matches("#/$defs/")],
        None => schema,
    };
    if let Some(c) = schema.get("const") {
        assert_eq!(value, c, "{path}");
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        assert!(
            options.contains(value),
            "{path}: {value} not in {options:?}"
        );
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        assert!(types.contains(&actual), "{path}: {actual} is not {types:?}");
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema.get("properties")) {
        for required in schema["required"].as_array().into_iter().flatten() {
            let key = required.as_str().unwrap();
            assert!(object.contains_key(key), "{path}: missing {key}");
        }
        for (key, item) in object {
            let field = properties
                .get(key)
                .unwrap_or_else(|| panic!("{path}.{key} is not in the schema"));
            validate(field, root, item, &format!("{path}.{key}"));
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(schema, root, item, &format!("{path}[{i}]"));
        }
    }
}

/// Validates an export document against `export_json_schema()`.
pub fn validate_export(export: &Value) {
    let schema: Value = serde_json::from_str(&privacykit::export_json_schema()).unwrap();
    validate(&schema, &schema, export, "$");
}
