//! Passwords never printed: a test connector with a PASSWORD key, and the check that an
//! answer does not show a secret the request held.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type, custom};
use connect_api::context::ConnectorContext;
use connect_api::plugin::PluginDescriptor;
use connect_api::{Connector, Result, SinkConnector, SinkTask};
use serde_json::Value;

/// The class of the test connector with a PASSWORD key.
pub const SECRET_SINK: &str = "fuzz.SecretSink";

/// A sink connector whose config has `connection.url` (required) and
/// `connection.password` (PASSWORD, required, refused when shorter than 8 characters):
/// bodies without `connection.url` never make a connector.
pub fn secret_sink_plugin() -> PluginDescriptor {
    PluginDescriptor::sink(SECRET_SINK, "test", || Box::new(SecretSink(RawConfig::new())))
}

struct SecretSink(RawConfig);

#[async_trait]
impl Connector for SecretSink {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("connection.url", Type::String, Importance::High, "URL."))
            .define(
                ConfigKey::new("connection.password", Type::Password, Importance::High, "Secret.")
                    .validator(custom(|_, v| match v.and_then(|v| v.as_password()) {
                        Some(p) if p.value().chars().count() < 8 => {
                            Err("Password must have at least 8 characters".to_string())
                        }
                        _ => Ok(()),
                    })),
            )
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.0 = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        connect_api::util::same_config_per_task(Some(&self.0), max, "SecretSink")
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SinkConnector for SecretSink {
    fn create_task(&self) -> Box<dyn SinkTask> {
        unreachable!("the fuzzed configs never make a SecretSink connector")
    }
}

/// Whether a config key names a secret (`…password`, any case).
pub fn is_secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().ends_with("password")
}

/// Every string held under a secret key anywhere in `json` (the value itself, or the
/// strings inside it when it is an array or object).
pub fn secrets_in(json: &Value) -> Vec<String> {
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            Value::Object(o) => o.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(o) => o.iter().for_each(|(k, v)| {
                if is_secret_key(k) {
                    strings(v, out);
                } else {
                    walk(v, out);
                }
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(json, &mut out);
    out
}

/// A stand-in for `secret`: as many characters, none of them in it, so that checks of a
/// password's length answer the same and the secret is no part of it.
pub fn probe(secret: &str) -> String {
    let c = ['§', '¤', '¦'].into_iter().find(|c| !secret.contains(*c)).unwrap_or('¬');
    std::iter::repeat_n(c, secret.chars().count()).collect()
}

/// `json` with every secret string of [`secrets_in`] replaced by its [`probe`], to
/// compare answers with and without the secret.
pub fn without_secrets(json: &Value) -> Value {
    fn blank(v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(probe(s)),
            Value::Array(a) => Value::Array(a.iter().map(blank).collect()),
            Value::Object(o) => Value::Object(
                o.iter().enumerate().map(|(i, (_, v))| (format!("k{i}"), blank(v))).collect(),
            ),
            other => other.clone(),
        }
    }
    match json {
        Value::Array(a) => Value::Array(a.iter().map(without_secrets).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    (k.clone(), if is_secret_key(k) { blank(v) } else { without_secrets(v) })
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Panics when `answer` shows `secret` more often than `baseline` (the answer to the
/// same request with the secret replaced) does: a secret that happens to be a word of
/// the answer anyway (`Common`, `a`) is not an echo.
pub fn assert_not_echoed(secret: &str, answer: &str, baseline: &str, what: &str) {
    if secret.is_empty() {
        return;
    }
    let shown = answer.matches(secret).count();
    let anyway = baseline.matches(secret).count();
    assert!(
        shown <= anyway,
        "{what} shows the secret {secret:?} ({shown} times, {anyway} without it): {answer}"
    );
}

/// The secret values of a raw config (values of `…password` keys).
pub fn raw_secrets(raw: &RawConfig) -> Vec<String> {
    raw.iter().filter(|(k, _)| is_secret_key(k)).map(|(_, v)| v.clone()).collect()
}

/// `raw` with the values of its secret keys replaced by their [`probe`]s.
pub fn raw_without_secrets(raw: &RawConfig) -> RawConfig {
    raw.iter()
        .map(|(k, v)| (k.clone(), if is_secret_key(k) { probe(v) } else { v.clone() }))
        .collect()
}
