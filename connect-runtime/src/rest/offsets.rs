//! `GET|PATCH|DELETE /connectors/{name}/offsets` (Kafka's KIP-875).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::{ApiResult, JsonBody};
use crate::entities::ConnectorOffsets;

/// The answer to an alter when the connector keeps no offsets of its own.
pub const ALTERED_FRAMEWORK_ONLY: &str = "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.";
/// The answer to an alter when the connector also altered its own offsets.
pub const ALTERED: &str = "The offsets for this connector have been altered successfully";
/// The answer to a reset when the connector keeps no offsets of its own.
pub const RESET_FRAMEWORK_ONLY: &str = "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses.";
/// The answer to a reset when the connector also reset its own offsets.
pub const RESET: &str = "The offsets for this connector have been reset successfully";

/// `GET /connectors/{name}/offsets`: `{"offsets": [{"partition": …, "offset": …}]}`.
pub async fn get_offsets(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(app.herder.connector_offsets(&name).await?).into_response())
}

/// `PATCH /connectors/{name}/offsets` with `{"offsets": [...]}`: 200 with a message;
/// 400 unless the connector is STOPPED.
pub async fn alter_offsets(
    State(app): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<ConnectorOffsets>,
) -> ApiResult<Response> {
    let external = app.herder.alter_connector_offsets(&name, body).await?;
    let message = if external { ALTERED } else { ALTERED_FRAMEWORK_ONLY };
    Ok(Json(json!({ "message": message })).into_response())
}

/// `DELETE /connectors/{name}/offsets`: 200 with a message; 400 unless the connector is
/// STOPPED.
pub async fn reset_offsets(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let external = app.herder.reset_connector_offsets(&name).await?;
    let message = if external { RESET } else { RESET_FRAMEWORK_ONLY };
    Ok(Json(json!({ "message": message })).into_response())
}
