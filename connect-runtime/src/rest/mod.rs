//! Kafka Connect's REST API: the endpoints, status codes and JSON bodies of Apache Kafka
//! Connect 3.6+ (with the 3.8 `PATCH /connectors/{name}/config` and the 3.9 `/health`).
//!
//! - [`connectors`] serves `/connectors` and everything under it but offsets.
//! - [`offsets`] serves `GET|PATCH|DELETE /connectors/{name}/offsets`.
//! - [`plugins`] serves `/connector-plugins`.
//! - [`admin`] serves `GET /`, `/health` and `/admin/loggers`.
//! - [`metrics`] serves `GET /metrics` (Prometheus).
//! - [`error`] makes the `{"error_code", "message"}` error bodies.
//! - [`server`] binds the `listeners` (http and https) and serves the router;
//!   [`tls`] reads the TLS keys; [`auth`] is basic authentication; [`forward`] keeps the
//!   caller's credentials for requests forwarded to the leader.
//!
//! Every error, including a malformed body, an unknown route (404) and a wrong method
//! (405), answers `{"error_code": <status>, "message": "…"}`.

pub mod admin;
pub mod auth;
pub mod connectors;
pub mod error;
pub mod forward;
pub mod metrics;
pub mod offsets;
pub mod plugins;
pub mod server;
pub mod tls;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post, put};
use connect_api::config::RawConfig;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::reload;

use crate::herder::Herder;
use admin::LogControl;
use error::ApiError;

/// What every handler shares: the herder, the logger levels, and the Kafka cluster id
/// once known.
#[derive(Clone)]
pub struct AppState {
    /// The herder every operation goes to.
    pub herder: Arc<dyn Herder>,
    /// The `/admin/loggers` levels and how to apply them.
    pub loggers: Arc<LogControl>,
    /// The Kafka cluster id, fetched by the first `GET /` that could.
    pub cluster_id: Arc<tokio::sync::OnceCell<String>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("loggers", &self.loggers).finish()
    }
}

/// The REST router over a herder (a standalone [`Worker`](crate::worker::Worker) is one).
/// `/admin/loggers` keeps the levels set through it but cannot change what is logged; see
/// [`router_with_logging`].
pub fn router(herder: Arc<dyn Herder>) -> Router {
    router_with_control(herder, LogControl::new())
}

/// The REST router over a herder whose `/admin/loggers` changes apply to the process's
/// `tracing` filter through `handle`. Logger names are `tracing` targets (module paths
/// such as `connect_runtime::task`); `root` is the default level.
pub fn router_with_logging<S>(
    herder: Arc<dyn Herder>,
    handle: reload::Handle<EnvFilter, S>,
) -> Router
where
    S: tracing::Subscriber + Send + Sync + 'static,
{
    router_with_control(herder, LogControl::with_reload(handle))
}

/// The REST router over a herder with the given logger control.
pub fn router_with_control(herder: Arc<dyn Herder>, loggers: LogControl) -> Router {
    let state = AppState {
        herder,
        loggers: Arc::new(loggers),
        cluster_id: Arc::new(tokio::sync::OnceCell::new()),
    };
    // Look the cluster id up once, in the background: `GET /` must answer at once (it is
    // what readiness probes call), with a null id until the brokers told it.
    if tokio::runtime::Handle::try_current().is_ok() {
        let app = state.clone();
        tokio::spawn(async move {
            if let Some(id) = admin::fetch_cluster_id(&app).await {
                let _ = app.cluster_id.set(id);
            }
        });
    }
    Router::new()
        .route("/", get(admin::server_info))
        .route("/health", get(admin::health))
        .route("/metrics", get(metrics::scrape))
        .route("/admin/loggers", get(admin::list_loggers))
        .route("/admin/loggers/{logger}", get(admin::get_logger).put(admin::set_logger))
        .route("/connectors", get(connectors::list).post(connectors::create))
        .route("/connectors/{name}", get(connectors::info).delete(connectors::delete))
        .route(
            "/connectors/{name}/config",
            get(connectors::get_config).put(connectors::put_config).patch(connectors::patch_config),
        )
        .route("/connectors/{name}/status", get(connectors::status))
        .route(
            "/connectors/{name}/tasks",
            get(connectors::tasks).post(connectors::put_task_configs),
        )
        .route("/connectors/{name}/tasks/{task}/status", get(connectors::task_status))
        .route("/connectors/{name}/tasks/{task}/restart", post(connectors::restart_task))
        .route("/connectors/{name}/topics", get(connectors::topics))
        .route("/connectors/{name}/topics/reset", put(connectors::reset_topics))
        .route("/connectors/{name}/pause", put(connectors::pause))
        .route("/connectors/{name}/resume", put(connectors::resume))
        .route("/connectors/{name}/stop", put(connectors::stop))
        .route("/connectors/{name}/restart", post(connectors::restart))
        .route(
            "/connectors/{name}/offsets",
            get(offsets::get_offsets).patch(offsets::alter_offsets).delete(offsets::reset_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route("/connector-plugins/{plugin}/config/validate", put(plugins::validate))
        .fallback(error::not_found_fallback)
        .method_not_allowed_fallback(error::method_not_allowed_fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn(forward::keep_authorization))
}

/// `router` behind basic authentication when `auth` is given (every route and the
/// fallbacks, except Kafka's signed internal requests; see [`auth`]).
pub fn with_basic_auth(router: Router, auth: Option<Arc<auth::BasicAuth>>) -> Router {
    match auth {
        Some(auth) => {
            router.layer(axum::middleware::from_fn_with_state(auth, auth::require_basic_auth))
        }
        None => router,
    }
}

/// The `key=value` pairs of a query string, percent-decoded, repeated keys kept in order.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The values of a query parameter, each repeated key and comma-separated item apart.
pub fn query_values(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A boolean query parameter as Java's `Boolean.parseBoolean` reads it (only `true`,
/// in any case, is true); absent gives `default`.
pub fn query_bool(pairs: &[(String, String)], key: &str, default: bool) -> bool {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map_or(default, |(_, v)| v.trim().eq_ignore_ascii_case("true"))
}

/// Decodes `%XX` escapes and `+` (a space in a query string).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What kind of JSON a value is (`an array`, `an object`, …), for error messages: a
/// body's values are never shown back, since one may be a password.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads a connector config from a JSON object. Numbers and booleans become their text
/// (Jackson coerces them the same way for Kafka's `Map<String, String>`); a `null` value
/// is kept as `None` for `PATCH` (removal) and refused elsewhere. Errors name the key and
/// the kind of JSON found, never the value.
pub fn config_from_json(
    value: &serde_json::Value,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let obj = value.as_object().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Connector configuration must be a JSON object, got {}",
            json_kind(value)
        ))
    })?;
    obj.iter()
        .map(|(k, v)| {
            let s = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                other => {
                    return Err(ApiError::bad_request(format!(
                        "Connector configuration values must be strings, but the value of {k} is {}",
                        json_kind(other)
                    )));
                }
            };
            Ok((k.clone(), s))
        })
        .collect()
}

/// Reads a connector config that may not hold `null` values.
pub fn strict_config_from_json(value: &serde_json::Value) -> Result<RawConfig, ApiError> {
    config_from_json(value)?
        .into_iter()
        .map(|(k, v)| match v {
            Some(v) => Ok((k, v)),
            None => Err(ApiError::bad_request(format!(
                "Connector configuration values must not be null, but the value of {k} is null"
            ))),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_keep_repeated_keys_and_decode() {
        let p = query_pairs(Some("expand=status&expand=info&x=a%20b+c&flag"));
        assert_eq!(query_values(&p, "expand"), vec!["status", "info"]);
        assert_eq!(p[2], ("x".to_string(), "a b c".to_string()));
        assert_eq!(p[3], ("flag".to_string(), String::new()));
        assert_eq!(
            query_values(&query_pairs(Some("expand=status,info")), "expand"),
            vec!["status", "info"]
        );
        assert!(query_pairs(None).is_empty());
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn booleans_read_like_java() {
        let p = query_pairs(Some("includeTasks=TRUE&onlyFailed=yes"));
        assert!(query_bool(&p, "includeTasks", false));
        assert!(!query_bool(&p, "onlyFailed", true));
        assert!(query_bool(&p, "absent", true));
    }

    #[test]
    fn configs_coerce_scalars() {
        let v = serde_json::json!({"tasks.max": 2, "a": true, "b": "x", "c": null});
        let c = config_from_json(&v).unwrap();
        assert!(c.contains(&("tasks.max".to_string(), Some("2".to_string()))));
        assert!(c.contains(&("c".to_string(), None)));
        assert!(strict_config_from_json(&v).is_err());
        assert!(config_from_json(&serde_json::json!({"a": [1]})).is_err());
        assert!(config_from_json(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn config_errors_never_show_the_values() {
        let secret = "hunter2-secret";
        for body in [
            serde_json::json!({"connection.password": [secret]}),
            serde_json::json!({"connection.password": {"v": secret}}),
            serde_json::json!([{"connection.password": secret}]),
        ] {
            for e in
                [config_from_json(&body).unwrap_err(), strict_config_from_json(&body).unwrap_err()]
            {
                assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
                assert!(!e.message.contains(secret), "{}", e.message);
            }
        }
        let e = config_from_json(&serde_json::json!({"a.password": [1]})).unwrap_err();
        assert!(e.message.contains("a.password is an array"), "{}", e.message);
    }
}
