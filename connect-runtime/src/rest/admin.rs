//! `GET /`, `GET /health` and `/admin/loggers`.
//!
//! Logger names are `tracing` targets (module paths such as `connect_runtime::task`, or
//! a crate name such as `rdkafka`); `root` stands for the default level. Levels are
//! Kafka's (log4j's) names: `OFF`, `FATAL`, `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`.
//! When the router was given a `tracing_subscriber::reload` handle, every change
//! rebuilds the process's `EnvFilter` from the level map; without one the levels are
//! only remembered and shown.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::reload;

use super::error::{ApiError, ApiResult, JsonBody};
use super::{AppState, query_pairs};

/// The name of the default level.
pub const ROOT_LOGGER: &str = "root";

/// How a new filter is applied: a closure over the reload handle.
type Apply = Arc<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

/// One logger's level (Kafka's `LoggerLevel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggerLevel {
    /// The level's upper-case name.
    pub level: String,
    /// When it was last set through the API (ms since the epoch); `null` if never.
    pub last_modified: Option<i64>,
}

/// The logger levels of `/admin/loggers` and, optionally, how to apply them.
pub struct LogControl {
    levels: Mutex<BTreeMap<String, LoggerLevel>>,
    apply: Option<Apply>,
}

impl std::fmt::Debug for LogControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogControl")
            .field("levels", &self.snapshot())
            .field("applies", &self.apply.is_some())
            .finish()
    }
}

impl Default for LogControl {
    fn default() -> Self {
        Self::new()
    }
}

/// A Kafka level name as an `EnvFilter` level; `None` for an unknown name.
pub fn filter_level(kafka_level: &str) -> Option<&'static str> {
    Some(match kafka_level.trim().to_ascii_uppercase().as_str() {
        "OFF" => "off",
        "FATAL" | "ERROR" => "error",
        "WARN" => "warn",
        "INFO" => "info",
        "DEBUG" => "debug",
        "TRACE" | "ALL" => "trace",
        _ => return None,
    })
}

/// Whether `child` is `parent` or below it (`a::b` and `a.b` are below `a`).
fn is_descendant(child: &str, parent: &str) -> bool {
    parent == ROOT_LOGGER
        || child == parent
        || child
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with("::") || rest.starts_with('.'))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl LogControl {
    /// Levels that are remembered and shown only; `root` starts at `INFO`.
    pub fn new() -> Self {
        let mut levels = BTreeMap::new();
        levels.insert(
            ROOT_LOGGER.to_string(),
            LoggerLevel { level: "INFO".into(), last_modified: None },
        );
        LogControl { levels: Mutex::new(levels), apply: None }
    }

    /// Levels applied through a reload handle; the initial levels are read from the
    /// filter the handle holds now.
    pub fn with_reload<S>(handle: reload::Handle<EnvFilter, S>) -> Self
    where
        S: tracing::Subscriber + Send + Sync + 'static,
    {
        let control = Self::new();
        if let Ok(current) = handle.with_current(|f| f.to_string()) {
            control.seed_from_directives(&current);
        }
        let apply: Apply = Arc::new(move |filter| handle.reload(filter).map_err(|e| e.to_string()));
        LogControl { apply: Some(apply), ..control }
    }

    /// Reads `level` and `target=level` directives into the map; others are skipped.
    fn seed_from_directives(&self, directives: &str) {
        let mut levels = self.lock();
        for d in directives.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            if d.contains('[') || d.contains('{') {
                continue;
            }
            let (target, level) = match d.rsplit_once('=') {
                Some((t, l)) => (t.to_string(), l),
                None => (ROOT_LOGGER.to_string(), d),
            };
            if filter_level(level).is_some() {
                let level = level.trim().to_ascii_uppercase();
                levels.insert(target, LoggerLevel { level, last_modified: None });
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, LoggerLevel>> {
        self.levels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every known logger and its level.
    pub fn snapshot(&self) -> BTreeMap<String, LoggerLevel> {
        self.lock().clone()
    }

    /// One logger's level.
    pub fn get(&self, name: &str) -> Option<LoggerLevel> {
        self.lock().get(name).cloned()
    }

    /// The `EnvFilter` directives of a level map.
    fn directives(levels: &BTreeMap<String, LoggerLevel>) -> String {
        let root = levels.get(ROOT_LOGGER).and_then(|l| filter_level(&l.level)).unwrap_or("info");
        std::iter::once(root.to_string())
            .chain(
                levels
                    .iter()
                    .filter(|(k, _)| k.as_str() != ROOT_LOGGER)
                    .filter_map(|(k, l)| filter_level(&l.level).map(|f| format!("{k}={f}"))),
            )
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Sets a logger and every known logger below it to `level`; returns the affected
    /// names. An invalid level or name changes nothing.
    pub fn set(&self, name: &str, level: &str) -> ApiResult<Vec<String>> {
        if filter_level(level).is_none() {
            return Err(ApiError::not_found(format!("Invalid log level '{level}'.")));
        }
        let bad = |c: char| c.is_whitespace() || matches!(c, ',' | '=' | '[' | ']' | '{' | '}');
        if name.is_empty() || name.contains(bad) {
            return Err(ApiError::bad_request(format!("Invalid logger name '{name}'.")));
        }
        let level = level.trim().to_ascii_uppercase();
        let mut levels = self.lock();
        let mut next = levels.clone();
        let stamp = Some(now_ms());
        next.insert(name.to_string(), LoggerLevel { level: level.clone(), last_modified: stamp });
        let mut affected = Vec::new();
        for (k, v) in next.iter_mut() {
            if is_descendant(k, name) {
                v.level = level.clone();
                v.last_modified = stamp;
                affected.push(k.clone());
            }
        }
        if let Some(apply) = &self.apply {
            let filter = EnvFilter::try_new(Self::directives(&next))
                .map_err(|e| ApiError::bad_request(format!("Cannot set logger {name}: {e}")))?;
            apply(filter).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Cannot apply log levels: {e}"),
                )
            })?;
        }
        *levels = next;
        Ok(affected)
    }
}

/// `GET /`: the worker's version, commit and Kafka cluster id.
pub async fn server_info(State(app): State<AppState>) -> Response {
    let cluster_id = app.cluster_id.get().cloned();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("CONNECT_GIT_COMMIT").unwrap_or("unknown"),
        "kafka_cluster_id": cluster_id,
    }))
    .into_response()
}

/// Asks the brokers for the cluster id, on a blocking thread with a deadline.
pub(crate) async fn fetch_cluster_id(app: &AppState) -> Option<String> {
    let cfg = app.herder.kafka().consumer_config(
        "connect-rest-cluster-id",
        "connect-rest-cluster-id",
        &Default::default(),
    );
    let lookup = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = cfg.create().ok()?;
        let id = consumer.client().fetch_cluster_id(Duration::from_secs(5));
        drop(consumer);
        id
    });
    match tokio::time::timeout(Duration::from_secs(10), lookup).await {
        Ok(Ok(id)) => id,
        _ => None,
    }
}

/// How long `GET /health` waits for the worker's connector table before it calls the
/// worker unhealthy (Kafka waits for its herder the same way).
const HEALTH_WORKER_WAIT: Duration = Duration::from_secs(10);

/// `GET /health` (Kafka's KIP-1017): 200 `healthy` when the worker's connector table
/// answers and the Kafka brokers can be reached; 503 `unhealthy` naming the brokers when
/// they cannot; 500 `unhealthy` when the table stays taken. A connector stuck in its own
/// `start` or `stop` does not hold the table (as a Kafka worker runs connectors off its
/// herder thread), so it leaves the worker healthy and its REST API answering.
pub async fn health(State(app): State<AppState>) -> Response {
    let unhealthy = |status: StatusCode, message: String| {
        (status, Json(json!({"status": "unhealthy", "message": message}))).into_response()
    };
    if !app.herder.answers_within(HEALTH_WORKER_WAIT).await {
        return unhealthy(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Worker was unable to handle this request and may be unable to handle other requests: its connectors have been busy for {} s",
                HEALTH_WORKER_WAIT.as_secs()
            ),
        );
    }
    if fetch_cluster_id(&app).await.is_none() {
        return unhealthy(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "Worker cannot reach the Kafka brokers at {}",
                app.herder.kafka().bootstrap_servers()
            ),
        );
    }
    Json(json!({
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }))
    .into_response()
}

/// `GET /admin/loggers`: every logger with a level set.
pub async fn list_loggers(State(app): State<AppState>) -> Response {
    Json(app.loggers.snapshot()).into_response()
}

/// `GET /admin/loggers/{logger}`.
pub async fn get_logger(
    State(app): State<AppState>,
    Path(logger): Path<String>,
) -> ApiResult<Response> {
    let level = app
        .loggers
        .get(&logger)
        .ok_or_else(|| ApiError::not_found(format!("Logger {logger} not found.")))?;
    Ok(Json(level).into_response())
}

/// `PUT /admin/loggers/{logger}` with `{"level": "DEBUG"}`: the list of affected
/// loggers; with `?scope=cluster`, 204 (a standalone worker is its own cluster).
pub async fn set_logger(
    State(app): State<AppState>,
    Path(logger): Path<String>,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let level = body.get("level").and_then(Value::as_str).ok_or_else(|| {
        ApiError::bad_request("Desired 'level' parameter was not specified in request.")
    })?;
    let pairs = query_pairs(query.as_deref());
    let scope = pairs.iter().rev().find(|(k, _)| k == "scope").map(|(_, v)| v.to_ascii_lowercase());
    let affected = app.loggers.set(&logger, level)?;
    match scope.as_deref() {
        Some("cluster") => Ok(StatusCode::NO_CONTENT.into_response()),
        _ => Ok(Json(affected).into_response()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn setting_a_parent_sets_its_known_children() {
        let c = LogControl::new();
        assert_eq!(c.set("connect_runtime::task", "debug").unwrap(), vec!["connect_runtime::task"]);
        let mut affected = c.set("connect_runtime", "TRACE").unwrap();
        affected.sort();
        assert_eq!(affected, vec!["connect_runtime", "connect_runtime::task"]);
        assert_eq!(c.get("connect_runtime::task").unwrap().level, "TRACE");
        assert_eq!(c.get(ROOT_LOGGER).unwrap().level, "INFO");
        assert_eq!(c.set("root", "WARN").unwrap().len(), 3);
        assert_eq!(c.set("x", "LOUD").unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(c.set("a b", "INFO").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert!(!is_descendant("connect_runtimex", "connect_runtime"));
    }

    #[test]
    fn reload_handles_get_the_rebuilt_filter() {
        let (layer, handle) = reload::Layer::<EnvFilter, tracing_subscriber::Registry>::new(
            EnvFilter::new("warn,rdkafka=error"),
        );
        let c = LogControl::with_reload(handle.clone());
        assert_eq!(c.get(ROOT_LOGGER).unwrap().level, "WARN");
        assert_eq!(c.get("rdkafka").unwrap().level, "ERROR");
        c.set("connect_runtime", "DEBUG").unwrap();
        let now = handle.with_current(|f| f.to_string()).unwrap();
        assert!(now.contains("connect_runtime=debug"), "{now}");
        assert!(now.contains("rdkafka=error"), "{now}");
        drop(layer);
    }
}
