//! Schema text: parsing, validation and the canonical form that decides schema identity.
//!
//! Two registrations are the same schema when their canonical forms are equal. The
//! canonical form is the schema's JSON with whitespace removed, object keys sorted, and
//! `{"type": "<primitive>"}` written `"<primitive>"`; it keeps defaults, aliases, docs,
//! logical types and custom properties (`connect.name`, `connect.parameters`, …) like
//! the Java registry's `canonicalString()`. Avro's *Parsing* Canonical Form is not used for
//! identity because it drops defaults and aliases, which change how data resolves.

use apache_avro::Schema;
use serde_json::Value;

use crate::error::{RegistryError, Result};

/// The only schema type this registry stores.
pub const AVRO: &str = "AVRO";

const PRIMITIVES: &[&str] =
    &["null", "boolean", "int", "long", "float", "double", "bytes", "string"];

/// A parsed, validated Avro schema with its canonical text.
#[derive(Debug, Clone)]
pub struct ParsedSchema {
    /// The schema as the Avro library reads it.
    pub schema: Schema,
    /// The canonical form (see the module documentation): the text stored and answered.
    pub canonical: String,
}

/// Checks the schema type: absent or `AVRO` (any case) is accepted; anything else is a
/// 42201 error, since only Avro is supported.
pub fn check_schema_type(schema_type: Option<&str>) -> Result<()> {
    match schema_type {
        None => Ok(()),
        Some(t) if t.eq_ignore_ascii_case(AVRO) => Ok(()),
        Some(t) => Err(RegistryError::invalid_schema(format!(
            "Invalid schema type {t}: this registry supports AVRO only"
        ))),
    }
}

/// Parses and validates Avro schema text (42201 when it is not a valid schema).
pub fn parse(text: &str) -> Result<ParsedSchema> {
    if text.trim().is_empty() {
        return Err(RegistryError::invalid_schema("Empty schema"));
    }
    let json: Value = serde_json::from_str(text).map_err(|e| {
        RegistryError::invalid_schema(format!("Invalid schema {text}: not valid JSON: {e}"))
    })?;
    let schema = Schema::parse(&json)
        .map_err(|e| RegistryError::invalid_schema(format!("Invalid schema {text}: {e}")))?;
    Ok(ParsedSchema { schema, canonical: canonical_json(&json) })
}

/// The canonical form of schema text, or `None` when it is not JSON. Used when rebuilding
/// state from a store, where the text was validated when it was registered.
pub fn canonical_text(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text).ok().map(|v| canonical_json(&v))
}

/// The canonical form of a schema's JSON.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(t)) = map.get("type")
                && PRIMITIVES.contains(&t.as_str())
            {
                write_string(t, out);
                return;
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                if let Some(v) = map.get(k.as_str()) {
                    // Defaults are data, not schemas: keep them as written (keys sorted).
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_whitespace_key_order_and_primitive_wrapping() {
        let a =
            parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#).unwrap();
        let b = parse(
            r#"{ "fields": [ {"type": {"type": "int"}, "name": "a"} ],
                 "name": "R", "type": "record" }"#,
        )
        .unwrap();
        assert_eq!(a.canonical, b.canonical);
        assert_eq!(
            a.canonical,
            r#"{"fields":[{"name":"a","type":"int"}],"name":"R","type":"record"}"#
        );
    }

    #[test]
    fn canonical_form_keeps_defaults_and_properties() {
        let a = parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1}]}"#,
        )
        .unwrap();
        let b = parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":2}]}"#,
        )
        .unwrap();
        assert_ne!(a.canonical, b.canonical);
        let c = parse(r#"{"type":"int","connect.type":"int16"}"#).unwrap();
        assert_eq!(c.canonical, r#"{"connect.type":"int16","type":"int"}"#);
    }

    #[test]
    fn invalid_schemas_are_42201() {
        assert_eq!(parse("").unwrap_err().code, 42201);
        assert_eq!(parse("{").unwrap_err().code, 42201);
        assert_eq!(parse(r#"{"type":"record","name":"R"}"#).unwrap_err().code, 42201);
        assert_eq!(parse(r#""nope""#).unwrap_err().code, 42201);
        assert!(check_schema_type(Some("avro")).is_ok());
        assert_eq!(check_schema_type(Some("PROTOBUF")).unwrap_err().code, 42201);
    }
}
