//! `/connectors` and the endpoints under it (offsets apart): create, list, info, config,
//! status, tasks, topics, pause, resume, stop, restart and delete.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use connect_api::config::RawConfig;
use connect_api::error::ErrorKind;
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult, JsonBody};
use super::{
    AppState, config_from_json, query_bool, query_pairs, query_values, strict_config_from_json,
};
use crate::entities::ConnectorInfo;
use crate::status::State as RunState;
use crate::task::TargetState;

/// The message Kafka gives when a config names another connector than the request.
fn name_mismatch(in_config: &str, in_request: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Connector name configuration ({in_config}) doesn't match connector name in the URL ({in_request})"
    ))
}

/// Checks that a config's own `name`, when present, is the request's.
fn check_config_name(config: &RawConfig, name: &str) -> ApiResult<()> {
    match config.get("name") {
        Some(n) if n != name => Err(name_mismatch(n, name)),
        _ => Ok(()),
    }
}

/// Stores a connector config. An unknown connector class is a bad request body rather
/// than a missing resource, so the worker's 404 for it becomes a 400.
async fn put(
    app: &AppState,
    name: &str,
    config: RawConfig,
    replace: bool,
) -> ApiResult<(ConnectorInfo, bool)> {
    app.herder.put_connector(name, config, replace).await.map_err(put_error)
}

/// An unknown connector class is a 400, another not-found (the connector) a 404.
fn put_error(e: connect_api::ConnectError) -> ApiError {
    if e.kind() == ErrorKind::NotFound && !e.message().starts_with("Connector ") {
        ApiError::bad_request(e.message().to_string())
    } else {
        ApiError::from(e)
    }
}

/// Percent-encodes a path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `Location` of a created connector: absolute when the request named its host,
/// as Kafka's `UriBuilder` makes it.
fn location(headers: &HeaderMap, name: &str) -> Option<HeaderValue> {
    let path = format!("/connectors/{}", encode_segment(name));
    let url = match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}{path}"),
        None => path,
    };
    HeaderValue::from_str(&url).ok()
}

fn created(headers: &HeaderMap, name: &str, body: impl serde::Serialize) -> Response {
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    if let Some(loc) = location(headers, name) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

/// `GET /connectors[?expand=status&expand=info]`: the names, or a map of name to the
/// requested expansions (unknown expansions are ignored, as Kafka does).
pub async fn list(State(app): State<AppState>, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let pairs = query_pairs(query.as_deref());
    let expand = query_values(&pairs, "expand");
    let names = app.herder.connector_names().await;
    if expand.is_empty() {
        return Ok(Json(names).into_response());
    }
    let mut out = Map::new();
    for name in names {
        let mut entry = Map::new();
        let mut gone = false;
        for e in &expand {
            let v = match e.as_str() {
                "status" => {
                    app.herder.status(&name).await.and_then(|s| Ok(serde_json::to_value(s)?))
                }
                "info" => app.herder.info(&name).await.and_then(|s| Ok(serde_json::to_value(s)?)),
                other => {
                    tracing::debug!(expansion = other, "ignoring unknown expansion type");
                    continue;
                }
            };
            match v {
                Ok(v) => {
                    entry.insert(e.clone(), v);
                }
                // Deleted while we looked: leave it out, as Kafka does.
                Err(err) if err.kind() == ErrorKind::NotFound => gone = true,
                Err(err) => return Err(err.into()),
            }
        }
        if !gone {
            out.insert(name, Value::Object(entry));
        }
    }
    Ok(Json(Value::Object(out)).into_response())
}

/// The `initial_state` of a create request (KIP-980): `RUNNING`, `PAUSED` or `STOPPED`,
/// in any case, as Kafka reads it; absent or `null` is `None` (RUNNING).
fn initial_state(value: Option<&Value>) -> ApiResult<Option<TargetState>> {
    // A string is shown as it was given; other JSON only by its kind (a body's values
    // are never shown back whole: one may hold a password).
    let bad = |v: &Value| {
        let shown = match v {
            Value::String(s) => s.clone(),
            other => super::json_kind(other).to_string(),
        };
        ApiError::bad_request(format!(
            "Invalid value {shown} for field initial_state: must be one of RUNNING, PAUSED, STOPPED"
        ))
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Ok(Some(TargetState::Started)),
            "PAUSED" => Ok(Some(TargetState::Paused)),
            "STOPPED" => Ok(Some(TargetState::Stopped)),
            _ => Err(bad(&Value::String(s.clone()))),
        },
        Some(other) => Err(bad(other)),
    }
}

/// `POST /connectors` with `{"name": …, "config": {…}}`, and optionally
/// `"initial_state": "RUNNING" | "PAUSED" | "STOPPED"`: 201 with the connector's info
/// and its `Location`; 409 when it exists; 400 for a bad request or an invalid config.
pub async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let obj = body.as_object().ok_or_else(|| {
        ApiError::bad_request(
            "Request body must be a JSON object with the fields \"name\" and \"config\"",
        )
    })?;
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.trim().to_string(),
        None | Some(Value::Null) => String::new(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Connector name must be a string, got {}",
                super::json_kind(other)
            )));
        }
    };
    if name.is_empty() {
        return Err(ApiError::bad_request("Connector name must be specified and not be blank"));
    }
    if name.contains('/') {
        return Err(ApiError::bad_request("connector name should not contain '/'"));
    }
    let config = match obj.get("config") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "Connector config must be specified in the field \"config\"",
            ));
        }
        Some(c) => strict_config_from_json(c)?,
    };
    check_config_name(&config, &name)?;
    let initial = initial_state(obj.get("initial_state"))?;
    if let Some(initial) = initial {
        let info = app
            .herder
            .create_connector_in_state(&name, config, initial)
            .await
            .map_err(put_error)?;
        return Ok(created(&headers, &name, info));
    }
    let (info, _) = put(&app, &name, config, false).await?;
    Ok(created(&headers, &name, info))
}

/// `GET /connectors/{name}`.
pub async fn info(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.herder.info(&name).await?).into_response())
}

/// `GET /connectors/{name}/config`, secrets masked.
pub async fn get_config(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let config = app.herder.connector_config(&name).await?;
    Ok(Json(app.herder.mask(&config)).into_response())
}

/// `PUT /connectors/{name}/config`: 201 with the info when it created the connector,
/// 200 when it replaced the config.
pub async fn put_config(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("Connector name must not be blank"));
    }
    let config = strict_config_from_json(&body)?;
    check_config_name(&config, &name)?;
    let (info, was_created) = put(&app, &name, config, true).await?;
    if was_created { Ok(created(&headers, &name, info)) } else { Ok(Json(info).into_response()) }
}

/// `PATCH /connectors/{name}/config` (Kafka 3.8): merges the given keys into the
/// config; a `null` value removes its key. 200 with the info.
pub async fn patch_config(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let patch = config_from_json(&body)?;
    let mut config = app.herder.connector_config(&name).await?;
    for (k, v) in patch {
        if k == "name" {
            match &v {
                Some(n) if n != &name => return Err(name_mismatch(n, &name)),
                _ => continue,
            }
        }
        match v {
            Some(v) => {
                config.insert(k, v);
            }
            None => {
                config.remove(&k);
            }
        }
    }
    let (info, _) = put(&app, &name, config, true).await?;
    Ok(Json(info).into_response())
}

/// `GET /connectors/{name}/status`.
pub async fn status(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.herder.status(&name).await?).into_response())
}

/// `GET /connectors/{name}/tasks`.
pub async fn tasks(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.herder.task_infos(&name).await?).into_response())
}

/// A task number from the path; anything but an integer is a 404, as JAX-RS answers
/// for an unconvertible path parameter.
fn task_number(task: &str) -> ApiResult<u32> {
    task.parse::<u32>().map_err(|_| ApiError::not_found("HTTP 404 Not Found"))
}

/// `GET /connectors/{name}/tasks/{task}/status`.
pub async fn task_status(
    State(app): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> ApiResult<Response> {
    let task = task_number(&task)?;
    Ok(Json(app.herder.task_status(&name, task).await?).into_response())
}

/// `POST /connectors/{name}/tasks/{task}/restart`: 204.
pub async fn restart_task(
    State(app): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let task = task_number(&task)?;
    app.herder.restart_task(&name, task).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /connectors/{name}/tasks` (internal): task configs a follower hands the leader,
/// signed with the cluster's session key (`X-Connect-Authorization`). 204 when accepted;
/// 400 without the signature headers, 403 with a bad signature.
pub async fn put_task_configs(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let header = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    app.herder
        .put_task_configs(
            &name,
            &body,
            // Kafka's headers of a signed internal request (KIP-507).
            header("X-Connect-Request-Signature-Algorithm"),
            header("X-Connect-Authorization"),
        )
        .await
        .map_err(|(status, message)| {
            ApiError::new(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                message,
            )
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{name}/topics`: `{"<name>": {"topics": [...]}}`.
pub async fn topics(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    let topics = app.herder.active_topics(&name).await?;
    Ok(Json(json!({ name: { "topics": topics } })).into_response())
}

/// `PUT /connectors/{name}/topics/reset`: 202, as Kafka answers.
pub async fn reset_topics(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    app.herder.reset_active_topics(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/pause`: 202.
pub async fn pause(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<StatusCode> {
    app.herder.set_target_state(&name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/resume`: 202.
pub async fn resume(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    app.herder.set_target_state(&name, TargetState::Started).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/stop`: 204 once stopped (Kafka's handler completes the stop
/// before answering, with no body).
pub async fn stop(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<StatusCode> {
    app.herder.set_target_state(&name, TargetState::Stopped).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /connectors/{name}/restart?includeTasks=&onlyFailed=`: 204 for a plain
/// connector restart (both false), otherwise 202 with the status marking what restarts.
pub async fn restart(
    State(app): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let pairs = query_pairs(query.as_deref());
    let include_tasks = query_bool(&pairs, "includeTasks", false);
    let only_failed = query_bool(&pairs, "onlyFailed", false);
    // The worker gives no body for a connector-only restart; Kafka answers 202 with one
    // when onlyFailed is set, so take the status first.
    let before =
        if !include_tasks && only_failed { Some(app.herder.status(&name).await?) } else { None };
    let result = app.herder.restart_connector(&name, include_tasks, only_failed).await?;
    match (result, before) {
        (Some(state), _) => Ok((StatusCode::ACCEPTED, Json(state)).into_response()),
        (None, Some(mut state)) => {
            if state.connector.state == RunState::Failed {
                state.connector.state = RunState::Restarting;
            }
            Ok((StatusCode::ACCEPTED, Json(state)).into_response())
        }
        (None, None) => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `DELETE /connectors/{name}`: 204.
pub async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    app.herder.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_absolute_and_encoded() {
        let mut h = HeaderMap::new();
        assert_eq!(location(&h, "a b/c").unwrap(), "/connectors/a%20b%2Fc");
        h.insert(header::HOST, HeaderValue::from_static("localhost:8083"));
        assert_eq!(location(&h, "src-1").unwrap(), "http://localhost:8083/connectors/src-1");
    }

    #[test]
    fn initial_states_read_in_any_case() {
        let state = |v: Value| initial_state(Some(&v));
        assert_eq!(state(json!("paused")).unwrap(), Some(TargetState::Paused));
        assert_eq!(state(json!("Stopped")).unwrap(), Some(TargetState::Stopped));
        assert_eq!(state(json!("RUNNING")).unwrap(), Some(TargetState::Started));
        assert_eq!(initial_state(None).unwrap(), None);
        assert_eq!(state(Value::Null).unwrap(), None);
        for bad in [json!("RESTARTING"), json!(1)] {
            let e = state(bad).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
            assert!(e.message.contains("initial_state"), "{}", e.message);
        }
        let e = state(json!({"connection.password": "hunter2-secret"})).unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
    }

    #[test]
    fn config_names_must_match() {
        let mut c = RawConfig::new();
        assert!(check_config_name(&c, "a").is_ok());
        c.insert("name".into(), "b".into());
        let e = check_config_name(&c, "a").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("(b)") && e.message.contains("(a)"), "{}", e.message);
    }
}
