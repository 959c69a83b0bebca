//! Errors of the REST API: every failure answers `{"error_code": <status>, "message": "…"}`
//! as Kafka Connect's `ConnectExceptionMapper` does, including malformed bodies, unknown
//! routes and wrong methods.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use connect_api::ConnectError;
use connect_api::error::ErrorKind;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An error answered by the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message shown to the caller.
    pub message: String,
}

/// The JSON body of an error (Kafka's `ErrorMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// The HTTP status code.
    pub error_code: u16,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

/// The HTTP status a [`ConnectError`] kind maps to.
///
/// Kafka answers 404 for `NotFoundException`, 409 for conflicts (an existing connector, a
/// rebalance under way), 400 for `BadRequestException` and config problems, and 500 for
/// the rest. Retriable and cancelled errors get 503 here: the worker is busy or stopping
/// and the same request may succeed later. An unsupported operation is a request this
/// connector or store cannot honour, hence 400.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Config | ErrorKind::Data | ErrorKind::Schema | ErrorKind::Unsupported => {
            StatusCode::BAD_REQUEST
        }
        ErrorKind::Retriable | ErrorKind::Cancelled => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ConnectError> for ApiError {
    fn from(e: ConnectError) -> Self {
        let status = status_of(e.kind());
        if status.is_server_error() {
            tracing::warn!(error = %e.trace(), "REST request failed");
        }
        ApiError::new(status, e.message().to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error_code: self.status.as_u16(), message: self.message };
        (self.status, Json(body)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match &rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "HTTP 415 Unsupported Media Type: the request body must be JSON, sent with the header 'Content-Type: application/json'",
            ),
            JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
                "Request body is not valid JSON: {}",
                inner_message(e)
            )),
            JsonRejection::JsonDataError(e) => ApiError::bad_request(format!(
                "Request body has the wrong shape: {}",
                inner_message(e)
            )),
            JsonRejection::BytesRejection(_) => ApiError::bad_request(format!(
                "Could not read the request body: {}",
                rejection.body_text()
            )),
            _ => ApiError::bad_request(rejection.body_text()),
        }
    }
}

/// The innermost cause of a rejection, which names the line and column.
fn inner_message(e: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// A JSON body whose rejections answer in the API's error shape.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(ApiError::from(rejection)),
        }
    }
}

/// The answer to a route that does not exist (Jersey's message).
pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found("HTTP 404 Not Found")
}

/// The answer to a method a route does not have (Jersey's message).
pub async fn method_not_allowed_fallback() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
