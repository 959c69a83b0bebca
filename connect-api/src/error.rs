//! The one error type of the API: [`ConnectError`], classified by [`ErrorKind`].
//!
//! Errors classify themselves where they are raised; the runtime decides what to do
//! (retry, tolerate, fail the task) from the kind alone, never from the message text.

use std::fmt;

/// A boxed error usable as the cause of a [`ConnectError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type used throughout the API.
pub type Result<T, E = ConnectError> = std::result::Result<T, E>;

/// What kind of failure a [`ConnectError`] reports; the runtime's retry and tolerance
/// policy is decided by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A transient failure: the same operation may succeed if tried again
    /// (Kafka's `RetriableException`).
    Retriable,
    /// A record or value does not fit its schema or cannot be converted
    /// (Kafka's `DataException`).
    Data,
    /// A configuration is missing, malformed or inconsistent (Kafka's `ConfigException`).
    Config,
    /// A schema was built or used wrongly (Kafka's `SchemaBuilderException` and
    /// `SchemaProjectorException`).
    Schema,
    /// Something that was asked for does not exist (Kafka's `NotFoundException`).
    NotFound,
    /// The operation conflicts with the current state (for example a connector that
    /// already exists).
    Conflict,
    /// The operation is not supported by this connector, converter or store.
    Unsupported,
    /// The operation was cancelled because the task or worker is stopping.
    Cancelled,
    /// An unrecoverable failure: the task or connector must stop
    /// (any other `ConnectException`).
    Fatal,
}

impl ErrorKind {
    /// The name of the kind, as printed in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Retriable => "retriable",
            ErrorKind::Data => "data",
            ErrorKind::Config => "config",
            ErrorKind::Schema => "schema",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Fatal => "fatal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of every fallible operation in the API.
///
/// ```
/// use connect_api::error::{ConnectError, ErrorKind};
///
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let err = ConnectError::retriable("database unreachable").with_source(io);
/// assert!(err.is_retriable());
/// assert_eq!(err.kind(), ErrorKind::Retriable);
/// assert_eq!(err.to_string(), "database unreachable");
/// ```
#[derive(Debug)]
pub struct ConnectError {
    kind: ErrorKind,
    message: String,
    source: Option<BoxError>,
}

impl ConnectError {
    /// An error of the given kind with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ConnectError { kind, message: message.into(), source: None }
    }

    /// A transient failure worth retrying.
    pub fn retriable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Retriable, message)
    }

    /// A value that does not fit its schema or cannot be converted.
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Data, message)
    }

    /// A bad or missing configuration.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// A schema built or used wrongly.
    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, message)
    }

    /// Something asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// An operation that conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// An operation that is not supported.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// An operation cancelled by shutdown.
    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Cancelled, message)
    }

    /// An unrecoverable failure.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Fatal, message)
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Prefixes the message with context, keeping kind and cause.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the operation may succeed if retried.
    pub fn is_retriable(&self) -> bool {
        self.kind == ErrorKind::Retriable
    }

    /// Whether the error must stop the task or connector.
    pub fn is_fatal(&self) -> bool {
        !matches!(self.kind, ErrorKind::Retriable | ErrorKind::Cancelled)
    }

    /// The message followed by every cause in the chain, one per line, as the
    /// `trace` of a FAILED status shows it.
    pub fn trace(&self) -> String {
        let mut out = format!("{} error: {}", self.kind, self.message);
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(c) = cause {
            out.push_str("\nCaused by: ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for ConnectError {
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match e.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::Interrupted
            | Io::WouldBlock
            | Io::TimedOut
            | Io::ConnectionRefused
            | Io::ConnectionReset
            | Io::ConnectionAborted
            | Io::NotConnected
            | Io::BrokenPipe => ErrorKind::Retriable,
            _ => ErrorKind::Fatal,
        };
        ConnectError::new(kind, format!("I/O error: {e}")).with_source(e)
    }
}

impl From<serde_json::Error> for ConnectError {
    fn from(e: serde_json::Error) -> Self {
        ConnectError::data(format!("JSON error: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lists_the_cause_chain() {
        let inner = ConnectError::retriable("socket closed");
        let outer = ConnectError::fatal("poll failed").with_source(inner);
        assert_eq!(outer.trace(), "fatal error: poll failed\nCaused by: socket closed");
        assert!(outer.is_fatal());
        assert!(!outer.is_retriable());
    }

    #[test]
    fn io_errors_classify_themselves() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "no");
        assert!(ConnectError::from(refused).is_retriable());
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert_eq!(ConnectError::from(missing).kind(), ErrorKind::NotFound);
    }

    #[test]
    fn context_keeps_kind_and_prefixes_message() {
        let e = ConnectError::data("bad value").context("field 'age'");
        assert_eq!(e.kind(), ErrorKind::Data);
        assert_eq!(e.message(), "field 'age': bad value");
    }
}
