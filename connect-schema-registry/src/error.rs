//! Errors of the registry, each with Confluent Schema Registry's error code.
//!
//! The REST API answers `{"error_code": <code>, "message": "…"}` with the HTTP status made
//! of the code's first three digits (40401 → 404, 42201 → 422, 409 → 409).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Confluent's error codes.
pub mod codes {
    /// The subject does not exist.
    pub const SUBJECT_NOT_FOUND: u32 = 40401;
    /// The version does not exist.
    pub const VERSION_NOT_FOUND: u32 = 40402;
    /// The schema does not exist (by id, or under a subject).
    pub const SCHEMA_NOT_FOUND: u32 = 40403;
    /// The subject was soft-deleted (a permanent delete needs a soft delete first).
    pub const SUBJECT_SOFT_DELETED: u32 = 40404;
    /// The subject was not soft-deleted before a permanent delete.
    pub const SUBJECT_NOT_SOFT_DELETED: u32 = 40405;
    /// The version was not soft-deleted before a permanent delete.
    pub const VERSION_NOT_SOFT_DELETED: u32 = 40407;
    /// The schema is incompatible with earlier versions of its subject.
    pub const INCOMPATIBLE_SCHEMA: u32 = 409;
    /// The schema does not parse, or is of an unsupported type.
    pub const INVALID_SCHEMA: u32 = 42201;
    /// The version is neither a positive 32-bit integer nor `latest`.
    pub const INVALID_VERSION: u32 = 42202;
    /// The compatibility level is not one of the known levels.
    pub const INVALID_COMPATIBILITY_LEVEL: u32 = 42203;
    /// The backing store failed.
    pub const STORE_ERROR: u32 = 50001;
}

/// A failure of a registry operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (error code {code})")]
pub struct RegistryError {
    /// Confluent's error code (`40401`, `409`, `42201`, …).
    pub code: u32,
    /// What went wrong.
    pub message: String,
}

/// The result of registry operations.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

impl RegistryError {
    /// An error with a code and message.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        RegistryError { code, message: message.into() }
    }

    /// 40401: the subject does not exist.
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(codes::SUBJECT_NOT_FOUND, format!("Subject '{subject}' not found."))
    }

    /// 40402: the version does not exist under the subject.
    pub fn version_not_found(subject: &str, version: impl std::fmt::Display) -> Self {
        Self::new(
            codes::VERSION_NOT_FOUND,
            format!("Version {version} not found for subject '{subject}'."),
        )
    }

    /// 40403: the schema does not exist.
    pub fn schema_not_found(message: impl Into<String>) -> Self {
        Self::new(codes::SCHEMA_NOT_FOUND, message)
    }

    /// 409: the schema is incompatible.
    pub fn incompatible(message: impl Into<String>) -> Self {
        Self::new(codes::INCOMPATIBLE_SCHEMA, message)
    }

    /// 42201: the schema is invalid.
    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_SCHEMA, message)
    }

    /// 42202: the version is invalid.
    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            codes::INVALID_VERSION,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    /// 42203: the compatibility level is invalid.
    pub fn invalid_compatibility_level(level: &str) -> Self {
        Self::new(
            codes::INVALID_COMPATIBILITY_LEVEL,
            format!(
                "Invalid compatibility level '{level}'. Valid values are none, backward, forward, full, backward_transitive, forward_transitive and full_transitive"
            ),
        )
    }

    /// 50001: the store failed.
    pub fn store(message: impl Into<String>) -> Self {
        Self::new(codes::STORE_ERROR, message)
    }

    /// The HTTP status: the first three digits of the code.
    pub fn status(&self) -> StatusCode {
        let mut c = self.code;
        while c >= 1000 {
            c /= 10;
        }
        u16::try_from(c)
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The JSON body of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Confluent's error code.
    pub error_code: u32,
    /// What went wrong.
    pub message: String,
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code, message = %self.message, "schema registry request failed");
        }
        let body = ErrorBody { error_code: self.code, message: self.message };
        crate::rest::reply(status, &body)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn status_is_the_first_three_digits_of_the_code() {
        assert_eq!(RegistryError::subject_not_found("s").status(), StatusCode::NOT_FOUND);
        assert_eq!(RegistryError::incompatible("x").status(), StatusCode::CONFLICT);
        assert_eq!(RegistryError::invalid_version("x").status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(RegistryError::store("x").status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(RegistryError::new(400, "x").status(), StatusCode::BAD_REQUEST);
    }
}
