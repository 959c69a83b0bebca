//! Helpers shared by the integration tests: a small HTTP client for the REST API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};

pub const CT: &str = "application/vnd.schemaregistry.v1+json";

/// A REST client of one registry.
pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Api {
        Api { base: base.into(), client: reqwest::Client::new() }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = self.call_text(method, path, body).await;
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: answer is not JSON ({e}): {text}"));
        (status, v)
    }

    pub async fn call_text(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.header("Content-Type", CT).body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Registers a schema; returns the status and answer.
    pub async fn register(&self, subject: &str, schema: &str) -> (u16, Value) {
        self.post(&format!("/subjects/{subject}/versions"), json!({ "schema": schema })).await
    }

    /// Registers a schema that must be accepted; returns its id.
    pub async fn register_ok(&self, subject: &str, schema: &str) -> i64 {
        let (status, body) = self.register(subject, schema).await;
        assert_eq!(status, 200, "registering under {subject}: {body}");
        body["id"].as_i64().unwrap()
    }

    pub async fn set_level(&self, subject: &str, level: &str) {
        let (status, body) =
            self.put(&format!("/config/{subject}"), json!({ "compatibility": level })).await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Asserts an error answer: status and Confluent code.
pub fn assert_error(answer: &(u16, Value), code: u64) {
    let (status, body) = answer;
    assert_eq!(body["error_code"].as_u64(), Some(code), "{body}");
    let expected_status = code.to_string()[..3].parse::<u16>().unwrap();
    assert_eq!(*status, expected_status, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// A record schema named `User` with the given fields (JSON text of each field).
pub fn user(fields: &[&str]) -> String {
    format!(
        r#"{{"type":"record","name":"User","namespace":"test","fields":[{}]}}"#,
        fields.join(",")
    )
}

pub const NAME: &str = r#"{"name":"name","type":"string"}"#;
pub const AGE: &str = r#"{"name":"age","type":"int"}"#;
pub const AGE_DEFAULT: &str = r#"{"name":"age","type":"int","default":0}"#;
pub const EMAIL: &str = r#"{"name":"email","type":"string"}"#;
pub const EMAIL_DEFAULT: &str = r#"{"name":"email","type":["null","string"],"default":null}"#;
pub const CITY: &str = r#"{"name":"city","type":"string"}"#;
pub const CITY_DEFAULT: &str = r#"{"name":"city","type":"string","default":""}"#;
