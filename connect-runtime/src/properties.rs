//! Reading worker and connector configuration files: Java `.properties` (as Kafka
//! Connect's scripts take them) and JSON (a REST create body, or a plain object).

use std::path::Path;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};

/// Reads a configuration file: JSON when it starts with `{`, Java properties otherwise.
pub fn load_file(path: &Path) -> Result<RawConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConnectError::config(format!("cannot read config file {}: {e}", path.display()))
            .with_source(e)
    })?;
    parse(&text).map_err(|e| e.context(format!("config file {}", path.display())))
}

/// Parses configuration text: JSON (`{"name": …, "config": {…}}` or a flat object of
/// strings) or Java properties.
pub fn parse(text: &str) -> Result<RawConfig> {
    if text.trim_start().starts_with('{') {
        return parse_json(text);
    }
    let map = java_properties::read(text.as_bytes())
        .map_err(|e| ConnectError::config(format!("malformed properties: {e}")))?;
    Ok(map.into_iter().collect())
}

fn parse_json(text: &str) -> Result<RawConfig> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ConnectError::config(format!("malformed JSON: {e}")))?;
    let obj =
        value.as_object().ok_or_else(|| ConnectError::config("a JSON config must be an object"))?;
    // A REST create body: {"name": "...", "config": {...}}.
    if let Some(config) = obj.get("config") {
        let mut raw = json_object_to_raw(config)?;
        if let Some(name) = obj.get("name").and_then(|n| n.as_str()) {
            raw.entry("name".to_string()).or_insert_with(|| name.to_string());
        }
        return Ok(raw);
    }
    json_object_to_raw(&value)
}

/// Turns a JSON object of scalars into a raw config; numbers and booleans become their
/// text, as Kafka Connect accepts them in REST bodies. Errors name the key and the kind
/// of JSON found, never the value (it may be a password).
pub fn json_object_to_raw(value: &serde_json::Value) -> Result<RawConfig> {
    let obj = value
        .as_object()
        .ok_or_else(|| ConnectError::config("connector config must be a JSON object"))?;
    let mut raw = RawConfig::new();
    for (k, v) in obj {
        let s = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => continue,
            other => {
                return Err(ConnectError::config(format!(
                    "config value of {k} must be a string, got {}",
                    crate::rest::json_kind(other)
                )));
            }
        };
        raw.insert(k.clone(), s);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_with_comments_continuations_and_escapes() {
        let raw = parse("# worker\nbootstrap.servers=localhost:9092\nkey.converter = org.apache.kafka.connect.json.JsonConverter\nlong=a,\\\n  b\n! bang comment\nspaced\\ key: v\n").unwrap();
        assert_eq!(raw["bootstrap.servers"], "localhost:9092");
        assert_eq!(raw["key.converter"], "org.apache.kafka.connect.json.JsonConverter");
        assert_eq!(raw["long"], "a,b");
        assert_eq!(raw["spaced key"], "v");
    }

    #[test]
    fn json_create_body_and_flat_object() {
        let raw = parse(
            r#"{"name":"src","config":{"connector.class":"FileStreamSource","tasks.max":1}}"#,
        )
        .unwrap();
        assert_eq!(raw["name"], "src");
        assert_eq!(raw["tasks.max"], "1");
        let flat = parse(r#"{"name":"x","topics":"a"}"#).unwrap();
        assert_eq!(flat["topics"], "a");
        assert!(parse(r#"{"name":{"nested":1}}"#).unwrap_err().message().contains("name"));
        let e = parse(r#"{"config":{"connection.password":["hunter2-secret"]}}"#).unwrap_err();
        assert!(!e.message().contains("hunter2"), "{}", e.message());
    }
}
