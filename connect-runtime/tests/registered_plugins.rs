//! Converters, transformations and predicates an embedder registers are what tasks build
//! and run, listed and described over REST like the built-in ones, and refused at
//! creation when a connector names one that is not registered. Real HTTP against our REST
//! server, FileStream connectors and the embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::convert::Converter;
use connect_api::data::{Schema, SchemaAndValue, Value};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::{ConnectRecord, Headers};
use connect_api::transform::{Predicate, Transformation};
use connect_api::{ConnectError, Result};
use connect_runtime::PluginRegistry;
use rest_util::*;
use serde_json::json;

/// Writes string values upper-cased, with an optional `prefix`; reads bytes as a string.
#[derive(Default)]
struct ShoutConverter {
    prefix: String,
}

#[async_trait]
impl Converter for ShoutConverter {
    fn configure(&mut self, config: &RawConfig, _is_key: bool) -> Result<()> {
        self.prefix = config.get("prefix").cloned().unwrap_or_default();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new("prefix", Type::String, Importance::Low, "Written before each value.")
                .default_value(""),
        )
    }

    async fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(format!("{}{}", self.prefix, s.to_uppercase()).into())),
            other => {
                Err(ConnectError::data(format!("ShoutConverter takes strings, not {other:?}")))
            }
        }
    }

    async fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        Ok(match data {
            None => SchemaAndValue::null(),
            Some(b) => SchemaAndValue::new(
                Some(Schema::optional_string()),
                Value::String(String::from_utf8_lossy(b).into_owned()),
            ),
        })
    }
}

/// Appends `suffix` to string values.
#[derive(Default)]
struct AppendSuffix {
    suffix: String,
}

impl<R: ConnectRecord> Transformation<R> for AppendSuffix {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.suffix = config
            .get("suffix")
            .cloned()
            .ok_or_else(|| ConnectError::config("Missing required configuration \"suffix\""))?;
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "suffix",
            Type::String,
            Importance::High,
            "Appended to every value.",
        ))
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        if let Value::String(s) = record.value() {
            let v = format!("{s}{}", self.suffix);
            let schema = record.value_schema().cloned();
            record.set_value(SchemaAndValue::new(schema, Value::String(v)));
        }
        Ok(Some(record))
    }
}

/// True for string values that contain `text`.
#[derive(Default)]
struct ValueContains {
    text: String,
}

impl<R: ConnectRecord> Predicate<R> for ValueContains {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.text = config.get("text").cloned().unwrap_or_default();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "text",
            Type::String,
            Importance::High,
            "Text a value must contain.",
        ))
    }

    fn test(&self, record: &R) -> bool {
        matches!(record.value(), Value::String(s) if s.contains(&self.text))
    }
}

fn plugins() -> PluginRegistry {
    let mut r = rest_util::registry();
    r.register([
        PluginDescriptor::converter("com.example.ShoutConverter", "7.1", || {
            Box::new(ShoutConverter::default())
        }),
        PluginDescriptor::transformation("com.example.AppendSuffix", "7.2", AppendSuffix::default),
        PluginDescriptor::predicate("com.example.ValueContains", "7.3", ValueContains::default),
    ])
    .unwrap();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_converter_transformation_and_predicate_move_the_data() {
    let rest = Rest::start_with(plugins(), &[]).await;
    let input = rest.path("in.txt");
    let output = rest.path("out.txt");
    std::fs::write(&input, "alpha\nbeta\ngamma\n").unwrap();
    // Source side: the registered converter writes the values (by its simple-name alias).
    let a = rest
        .post(
            "/connectors",
            Some(json!({"name": "src", "config": {
                "connector.class": "FileStreamSource",
                "file": input.to_str().unwrap(),
                "topic": "shouted",
                "value.converter": "ShoutConverter",
                "value.converter.prefix": ">",
            }})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    // Sink side: the registered transformation, applied where the registered predicate holds.
    let a = rest
        .post(
            "/connectors",
            Some(json!({"name": "sink", "config": {
                "connector.class": "FileStreamSink",
                "file": output.to_str().unwrap(),
                "topics": "shouted",
                "transforms": "tag",
                "transforms.tag.type": "com.example.AppendSuffix",
                "transforms.tag.suffix": "!",
                "transforms.tag.predicate": "hasA",
                "predicates": "hasA",
                "predicates.hasA.type": "com.example.ValueContains",
                "predicates.hasA.text": "A",
            }})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    eventually(Duration::from_secs(60), "three lines in the sink file", || async {
        (line_count(&output) >= 3).then_some(())
    })
    .await;
    // Every value went through the converter (">" and upper case); the transformation ran
    // only where the predicate held (every value here contains an A).
    assert_eq!(std::fs::read_to_string(&output).unwrap(), ">ALPHA!\n>BETA!\n>GAMMA!\n");
    rest.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_plugins_are_listed_described_and_checked_at_creation() {
    let rest = Rest::start_with(plugins(), &[]).await;
    let all = rest.get("/connector-plugins?connectorsOnly=false").await;
    assert_eq!(all.status, 200);
    for (class, kind, version) in [
        ("com.example.ShoutConverter", "converter", "7.1"),
        ("com.example.AppendSuffix", "transformation", "7.2"),
        ("com.example.ValueContains", "predicate", "7.3"),
    ] {
        let found = all
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["class"] == class && p["type"] == kind && p["version"] == version);
        assert!(found, "{class} as {kind} {version} in {}", all.text);
    }
    let def = rest.get("/connector-plugins/com.example.AppendSuffix/config").await;
    assert_eq!(def.status, 200, "{}", def.text);
    assert_eq!(def.body[0]["name"], "suffix", "{}", def.text);

    // A class nobody registered is refused at creation, naming the key and the class.
    for (key, value) in [
        ("value.converter", "com.example.NoSuchConverter"),
        ("header.converter", "com.example.ShoutConverter"),
        ("transforms.t.type", "com.example.NoSuchTransform"),
    ] {
        let mut config = json!({
            "connector.class": "FileStreamSource",
            "file": rest.path("x").to_str().unwrap(),
            "topic": "t",
        });
        if key.starts_with("transforms.") {
            config["transforms"] = json!("t");
        }
        config[key] = json!(value);
        let a = rest.post("/connectors", Some(json!({"name": "bad", "config": config}))).await;
        Rest::assert_error(&a, 400);
        let message = a.body["message"].as_str().unwrap();
        assert!(message.contains(key) && message.contains(value), "{key}: {message}");
    }
    assert_eq!(rest.get("/connectors").await.body, json!([]));
    rest.shutdown().await;
}
