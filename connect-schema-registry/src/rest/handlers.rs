//! The REST handlers.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{raw, reply};
use crate::compat::CompatibilityLevel;
use crate::error::{RegistryError, Result};
use crate::registry::{Registry, VersionSpec};
use crate::schema::AVRO;

type Params = Query<HashMap<String, String>>;

/// A boolean query parameter (`true` in any case is true).
fn flag(params: &Params, key: &str) -> bool {
    params.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Reads a JSON body whatever its content type.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            RegistryError::new(422, format!("Request body has the wrong shape: {e}"))
        } else {
            RegistryError::new(400, format!("Request body is not valid JSON: {e}"))
        }
    })
}

fn ok<T: serde::Serialize>(body: &T) -> Response {
    reply(StatusCode::OK, body)
}

/// The body of `POST /subjects/{s}/versions`, `POST /subjects/{s}` and compatibility checks.
#[derive(Debug, Deserialize)]
pub(crate) struct SchemaRequest {
    schema: Option<String>,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<serde_json::Value>>,
}

impl SchemaRequest {
    fn read(bytes: &Bytes) -> Result<SchemaRequest> {
        let req: SchemaRequest = body(bytes)?;
        if req.references.as_ref().is_some_and(|r| !r.is_empty()) {
            return Err(RegistryError::invalid_schema(
                "Schema references are not supported by this registry",
            ));
        }
        Ok(req)
    }

    fn schema(&self) -> Result<&str> {
        match self.schema.as_deref() {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(RegistryError::invalid_schema("Empty schema")),
        }
    }
}

fn version(v: &str) -> Result<VersionSpec> {
    v.parse()
}

fn schema_id(id: &str) -> Result<i32> {
    id.parse::<i32>().map_err(|_| RegistryError::schema_not_found(format!("Schema {id} not found")))
}

pub(crate) async fn root() -> Response {
    ok(&json!({}))
}

pub(crate) async fn list_subjects(State(r): State<Registry>, q: Params) -> Response {
    ok(&r.subjects(flag(&q, "deleted")).await)
}

pub(crate) async fn list_versions(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    q: Params,
) -> Result<Response> {
    Ok(ok(&r.versions(&subject, flag(&q, "deleted")).await?))
}

pub(crate) async fn register(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    bytes: Bytes,
) -> Result<Response> {
    let req = SchemaRequest::read(&bytes)?;
    let id = r.register(&subject, req.schema()?, req.schema_type.as_deref()).await?;
    Ok(ok(&json!({ "id": id })))
}

pub(crate) async fn get_version(
    State(r): State<Registry>,
    Path((subject, v)): Path<(String, String)>,
    q: Params,
) -> Result<Response> {
    Ok(ok(&r.version(&subject, version(&v)?, flag(&q, "deleted")).await?))
}

pub(crate) async fn get_version_schema(
    State(r): State<Registry>,
    Path((subject, v)): Path<(String, String)>,
    q: Params,
) -> Result<Response> {
    let found = r.version(&subject, version(&v)?, flag(&q, "deleted")).await?;
    Ok(raw(StatusCode::OK, found.schema))
}

pub(crate) async fn delete_version(
    State(r): State<Registry>,
    Path((subject, v)): Path<(String, String)>,
    q: Params,
) -> Result<Response> {
    Ok(ok(&r.delete_version(&subject, version(&v)?, flag(&q, "permanent")).await?))
}

pub(crate) async fn lookup(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    q: Params,
    bytes: Bytes,
) -> Result<Response> {
    let req = SchemaRequest::read(&bytes)?;
    let found =
        r.lookup(&subject, req.schema()?, req.schema_type.as_deref(), flag(&q, "deleted")).await?;
    Ok(ok(&found))
}

pub(crate) async fn delete_subject(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    q: Params,
) -> Result<Response> {
    Ok(ok(&r.delete_subject(&subject, flag(&q, "permanent")).await?))
}

pub(crate) async fn schema_types() -> Response {
    ok(&[AVRO])
}

pub(crate) async fn get_by_id(
    State(r): State<Registry>,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(ok(&r.schema_by_id(schema_id(&id)?).await?))
}

pub(crate) async fn get_raw_by_id(
    State(r): State<Registry>,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(raw(StatusCode::OK, r.schema_by_id(schema_id(&id)?).await?.schema))
}

pub(crate) async fn versions_of_id(
    State(r): State<Registry>,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response> {
    Ok(ok(&r.versions_of_id(schema_id(&id)?, flag(&q, "deleted")).await?))
}

pub(crate) async fn subjects_of_id(
    State(r): State<Registry>,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response> {
    let mut subjects: Vec<String> = r
        .versions_of_id(schema_id(&id)?, flag(&q, "deleted"))
        .await?
        .into_iter()
        .map(|sv| sv.subject)
        .collect();
    subjects.dedup();
    Ok(ok(&subjects))
}

fn compatibility_answer(messages: Vec<String>, verbose: bool) -> Response {
    if verbose {
        ok(&json!({ "is_compatible": messages.is_empty(), "messages": messages }))
    } else {
        ok(&json!({ "is_compatible": messages.is_empty() }))
    }
}

pub(crate) async fn compatibility(
    State(r): State<Registry>,
    Path((subject, v)): Path<(String, String)>,
    q: Params,
    bytes: Bytes,
) -> Result<Response> {
    let spec = version(&v)?;
    let req = SchemaRequest::read(&bytes)?;
    let messages = r
        .test_compatibility(&subject, Some(spec), req.schema()?, req.schema_type.as_deref())
        .await?;
    Ok(compatibility_answer(messages, flag(&q, "verbose")))
}

pub(crate) async fn compatibility_all(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    q: Params,
    bytes: Bytes,
) -> Result<Response> {
    let req = SchemaRequest::read(&bytes)?;
    let messages =
        r.test_compatibility(&subject, None, req.schema()?, req.schema_type.as_deref()).await?;
    Ok(compatibility_answer(messages, flag(&q, "verbose")))
}

/// The body of `PUT /config`: `{"compatibility": "FULL"}` (`compatibilityLevel` also read).
#[derive(Debug, Deserialize)]
pub(crate) struct ConfigRequest {
    compatibility: Option<String>,
    #[serde(rename = "compatibilityLevel")]
    compatibility_level: Option<String>,
}

impl ConfigRequest {
    fn level(bytes: &Bytes) -> Result<CompatibilityLevel> {
        let req: ConfigRequest = body(bytes)?;
        let name = req.compatibility.or(req.compatibility_level).unwrap_or_default();
        name.parse()
    }
}

fn config_answer(level: CompatibilityLevel) -> Response {
    ok(&json!({ "compatibilityLevel": level.name() }))
}

pub(crate) async fn get_global_config(State(r): State<Registry>) -> Response {
    config_answer(r.compatibility(None).await)
}

pub(crate) async fn put_global_config(State(r): State<Registry>, bytes: Bytes) -> Result<Response> {
    let level = ConfigRequest::level(&bytes)?;
    r.set_compatibility(None, level).await?;
    Ok(ok(&json!({ "compatibility": level.name() })))
}

pub(crate) async fn get_subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
) -> Response {
    config_answer(r.compatibility(Some(&subject)).await)
}

pub(crate) async fn put_subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
    bytes: Bytes,
) -> Result<Response> {
    let level = ConfigRequest::level(&bytes)?;
    r.set_compatibility(Some(&subject), level).await?;
    Ok(ok(&json!({ "compatibility": level.name() })))
}

pub(crate) async fn delete_subject_config(
    State(r): State<Registry>,
    Path(subject): Path<String>,
) -> Result<Response> {
    Ok(config_answer(r.delete_compatibility(&subject).await?))
}

pub(crate) async fn not_found() -> RegistryError {
    RegistryError::new(404, "HTTP 404 Not Found")
}

pub(crate) async fn method_not_allowed() -> RegistryError {
    RegistryError::new(405, "HTTP 405 Method Not Allowed")
}
