//! `/connector-plugins`: the plugin list, a plugin's config definition, and config
//! validation.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use connect_api::config::{ConfigDef, ConfigKeyInfo};
use connect_api::plugin::{PluginFactory, PluginKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, ApiResult, JsonBody};
use super::{AppState, query_bool, query_pairs, strict_config_from_json};

/// One entry of `GET /connector-plugins` (Kafka's `PluginInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// The class name.
    #[serde(rename = "class")]
    pub class_name: String,
    /// `source`, `sink`, `converter`, `header_converter`, `transformation` or `predicate`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The plugin's version.
    pub version: String,
}

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "sink" => 0,
        "source" => 1,
        "converter" => 2,
        "header_converter" => 3,
        "transformation" => 4,
        "predicate" => 5,
        _ => 6,
    }
}

/// Every plugin of this worker's registry, sorted by kind then class, as Kafka lists them.
pub fn plugin_infos(app: &AppState, connectors_only: bool) -> Vec<PluginInfo> {
    let mut out: Vec<PluginInfo> = app
        .herder
        .plugins()
        .all()
        .iter()
        .filter(|p| !connectors_only || matches!(p.kind(), PluginKind::Source | PluginKind::Sink))
        .map(|p| PluginInfo {
            class_name: p.class_name().to_string(),
            kind: p.kind().as_str().to_string(),
            version: p.version().to_string(),
        })
        .collect();
    out.sort_by(|a, b| {
        kind_rank(&a.kind).cmp(&kind_rank(&b.kind)).then_with(|| a.class_name.cmp(&b.class_name))
    });
    out
}

/// `GET /connector-plugins[?connectorsOnly=false]`: connectors only by default.
pub async fn list(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let pairs = query_pairs(query.as_deref());
    let connectors_only = query_bool(&pairs, "connectorsOnly", true);
    Json(plugin_infos(&app, connectors_only)).into_response()
}

/// The config definition of a plugin named by class name or alias.
pub fn plugin_config_def(app: &AppState, name: &str) -> ApiResult<ConfigDef> {
    if let Some(p) = app.herder.plugins().plugin(name) {
        let def = match p.factory() {
            PluginFactory::Source(make) => make().config_def(),
            PluginFactory::Sink(make) => make().config_def(),
            PluginFactory::Converter(make) => make().config_def(),
            PluginFactory::HeaderConverter(make) => make().config_def(),
            PluginFactory::Transformation { source, .. } => source().config_def(),
            PluginFactory::Predicate { source, .. } => source().config_def(),
        };
        return Ok(def);
    }
    Err(ApiError::not_found(format!("Unknown plugin {name}.")))
}

/// `GET /connector-plugins/{plugin}/config`: the plugin's own config keys.
pub async fn config(
    State(app): State<AppState>,
    Path(plugin): Path<String>,
) -> ApiResult<Response> {
    let def = plugin_config_def(&app, &plugin)?;
    let keys: Vec<ConfigKeyInfo> = def.keys().iter().map(ConfigKeyInfo::from).collect();
    Ok(Json(keys).into_response())
}

/// `PUT /connector-plugins/{plugin}/config/validate`: every key's value and errors
/// (Kafka's `ConfigInfos`). A missing `connector.class` is taken from the path; one
/// naming another plugin is refused as Kafka does.
pub async fn validate(
    State(app): State<AppState>,
    Path(plugin): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let mut config = strict_config_from_json(&body)?;
    let registry = app.herder.plugins();
    let requested = registry.connector(&plugin)?.class_name().to_string();
    match config.get("connector.class").map(|c| c.trim().to_string()) {
        Some(included) if !included.is_empty() => {
            let same =
                registry.connector(&included).map(|p| p.class_name() == requested).unwrap_or(false);
            if !same {
                return Err(ApiError::bad_request(format!(
                    "Included connector type {included} does not match request type {plugin}"
                )));
            }
        }
        _ => {
            config.insert("connector.class".into(), plugin.clone());
        }
    }
    let infos = app.herder.validate(&plugin, &config)?;
    Ok(Json(infos).into_response())
}
