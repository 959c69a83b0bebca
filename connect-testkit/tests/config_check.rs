#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! check_typed_config: a typed config struct and its ConfigDef must agree.

use connect_api::ErrorKind;
use connect_api::config::{ConfigDef, ConfigKey, Importance, Password, RawConfig, Type};
use connect_testkit::check_typed_config;
use serde::{Deserialize, Serialize};

fn def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new("connection.url", Type::String, Importance::High, "URL."))
        .define(ConfigKey::new("topics", Type::List, Importance::High, "Topics."))
        .define(
            ConfigKey::new("batch.size", Type::Int, Importance::Medium, "Rows per batch.")
                .default_value(100),
        )
        .define(
            ConfigKey::new("connection.password", Type::Password, Importance::High, "Secret.")
                .optional(),
        )
        .define(
            ConfigKey::new("tasks.max", Type::Int, Importance::Low, "Read by the runtime.")
                .default_value(1),
        )
}

fn sample() -> RawConfig {
    [
        ("connection.url", "jdbc:sqlite::memory:"),
        ("topics", "a, b"),
        ("connection.password", "hunter2"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[derive(Debug, Deserialize, Serialize)]
struct Matching {
    #[serde(rename = "connection.url")]
    url: String,
    topics: Vec<String>,
    #[serde(rename = "batch.size")]
    batch_size: i32,
    #[serde(rename = "connection.password")]
    password: Option<Password>,
}

#[test]
fn a_matching_struct_passes_and_is_returned() {
    let config: Matching = check_typed_config(&def(), &sample()).unwrap();
    assert_eq!(config.topics, ["a", "b"]);
    assert_eq!(config.batch_size, 100);
    assert_eq!(config.password.unwrap().value(), "hunter2");
}

/// Reads a field the ConfigDef does not define (a typo'd rename) and misses a
/// required key.
#[derive(Debug, Deserialize, Serialize)]
struct Mismatched {
    #[serde(rename = "connection.url")]
    url: String,
    #[serde(rename = "batch_size", default)]
    batch_size: i32,
}

#[test]
fn a_mismatched_struct_is_reported_key_by_key_in_one_error() {
    let err = check_typed_config::<Mismatched>(&def(), &sample()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let message = err.message();
    assert!(message.contains("Mismatched and its ConfigDef disagree"), "{message}");
    assert!(
        message.contains("\"batch_size\" is a field of"),
        "names the undefined field: {message}"
    );
    assert!(
        message.contains("\"topics\" is a required key of the ConfigDef"),
        "names the required key no field reads: {message}"
    );
    assert!(!message.contains("tasks.max"), "optional keys may be ignored");
    assert!(!message.contains("hunter2"), "passwords never print");
}

#[test]
fn a_sample_that_does_not_parse_is_reported() {
    let mut bad = sample();
    bad.insert("batch.size".into(), "many".into());
    let err = check_typed_config::<Matching>(&def(), &bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("the sample configuration does not parse"), "{err}");
    assert!(err.message().contains("batch.size"), "{err}");
}

/// A field whose type does not fit the key's.
#[derive(Debug, Deserialize, Serialize)]
struct WrongType {
    #[serde(rename = "connection.url")]
    url: i64,
    topics: Vec<String>,
}

#[test]
fn a_struct_that_does_not_deserialize_is_reported() {
    let err = check_typed_config::<WrongType>(&def(), &sample()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("does not fit"), "{err}");
}
