//! Encoding errors that name the field they happened in.

use connect_api::ConnectError;

/// An encoding failure with the path of the field (innermost segment first while
/// it unwinds, so building it costs nothing on the happy path).
#[derive(Debug)]
pub(crate) struct EncodeError {
    rev_path: Vec<String>,
    message: String,
}

/// Result of the encoders.
pub(crate) type EncResult<T = ()> = std::result::Result<T, EncodeError>;

impl EncodeError {
    /// A failure at the current position.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        EncodeError { rev_path: Vec::new(), message: message.into() }
    }

    /// Adds the enclosing path segment (a field name, `[3]` or `{key}`).
    pub(crate) fn at(mut self, segment: impl Into<String>) -> Self {
        self.rev_path.push(segment.into());
        self
    }

    /// The dotted path, outermost first (`address.lines[2]`), or `<value>` at the top.
    pub(crate) fn path(&self) -> String {
        if self.rev_path.is_empty() {
            return "<value>".to_string();
        }
        let mut out = String::new();
        for seg in self.rev_path.iter().rev() {
            if !out.is_empty() && !seg.starts_with('[') {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }

    /// The data error the writer returns.
    pub(crate) fn into_connect(self, format: &str) -> ConnectError {
        ConnectError::data(format!(
            "{format} writer cannot encode field {:?}: {}",
            self.path(),
            self.message
        ))
    }
}

/// The error for a value of the wrong variant.
pub(crate) fn mismatch(expected: &str, got: &connect_api::data::Value) -> EncodeError {
    EncodeError::new(format!("expected a {expected} value but got {}", got.kind_name()))
}

/// The error for a null in a required field without a default.
pub(crate) fn null_required() -> EncodeError {
    EncodeError::new("null value for a required field without a default")
}
