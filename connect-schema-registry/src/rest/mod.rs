//! Confluent Schema Registry's REST API over a [`Registry`].
//!
//! Bodies are read as JSON whatever their content type (`application/vnd.schemaregistry.v1+json`,
//! `application/json`, …); answers are sent as `application/vnd.schemaregistry.v1+json`.
//! Every error, including unknown routes (404) and wrong methods (405), answers
//! `{"error_code": <code>, "message": "…"}`.

mod handlers;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::RegistryError;
use crate::registry::Registry;

/// The content type of every answer.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The REST router over a registry.
pub fn router(registry: Registry) -> Router {
    use handlers as h;
    Router::new()
        .route("/", get(h::root))
        .route("/subjects", get(h::list_subjects))
        .route("/subjects/{subject}", post(h::lookup).delete(h::delete_subject))
        .route("/subjects/{subject}/versions", get(h::list_versions).post(h::register))
        .route(
            "/subjects/{subject}/versions/{version}",
            get(h::get_version).delete(h::delete_version),
        )
        .route("/subjects/{subject}/versions/{version}/schema", get(h::get_version_schema))
        .route("/schemas/types", get(h::schema_types))
        .route("/schemas/ids/{id}", get(h::get_by_id))
        .route("/schemas/ids/{id}/schema", get(h::get_raw_by_id))
        .route("/schemas/ids/{id}/versions", get(h::versions_of_id))
        .route("/schemas/ids/{id}/subjects", get(h::subjects_of_id))
        .route("/compatibility/subjects/{subject}/versions", post(h::compatibility_all))
        .route("/compatibility/subjects/{subject}/versions/{version}", post(h::compatibility))
        .route("/config", get(h::get_global_config).put(h::put_global_config))
        .route(
            "/config/{subject}",
            get(h::get_subject_config).put(h::put_subject_config).delete(h::delete_subject_config),
        )
        .fallback(h::not_found)
        .method_not_allowed_fallback(h::method_not_allowed)
        .with_state(registry)
}

/// Serves the REST API on `listener` until `shutdown` is cancelled; requests under way
/// finish first.
pub async fn serve(
    registry: Registry,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(registry)).with_graceful_shutdown(shutdown.cancelled_owned()).await
}

/// A JSON answer with the registry's content type.
pub(crate) fn reply<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => raw(status, bytes),
        Err(e) => {
            let err = RegistryError::store(format!("cannot encode the answer: {e}"));
            let message = serde_json::Value::String(err.message.clone());
            raw(err.status(), format!("{{\"error_code\":{},\"message\":{message}}}", err.code))
        }
    }
}

/// An answer whose body is already JSON text.
pub(crate) fn raw(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}
