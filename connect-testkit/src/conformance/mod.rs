//! Conformance checks: behaviour every source or sink task should have, run against the
//! author's own task.
//!
//! Each check is a public async function (or a method of [`SourceConformance`]) that an
//! author can call from a test; the [`source_task_conformance!`](crate::source_task_conformance)
//! and [`sink_task_conformance!`](crate::sink_task_conformance) macros generate one test
//! per check. A failing check returns a [`ConformanceError`] that says which contract was
//! broken and how.
//!
//! | check | what it proves |
//! |---|---|
//! | [`source_starts_without_committed_offset`] | a task with no committed offset starts and produces records |
//! | [`source_resumes_from_committed_offset`] | after a commit and a restart, no committed record is polled again |
//! | [`source_stop_while_polling_is_safe`] | cancelling and stopping a task during `poll` neither hangs nor panics |
//! | [`sink_retriable_errors_are_retried`] | while its destination fails transiently the sink's own `put` raises a retriable error; the same batch is redelivered, nothing is committed meanwhile, and the sink ends up holding what a clean run writes |
//! | [`sink_fatal_errors_are_not_retried`] | while its destination fails for good the sink's own `put` raises a non-retriable error; the batch is not redelivered, the task fails, commits nothing of it and still stops cleanly |
//! | [`sink_redelivery_is_idempotent`] | (opt-in) a batch written but reported failed, then redelivered, leaves no duplicates |

mod sink;
mod source;

use std::fmt;
use std::future::Future;

use connect_api::ConnectError;

pub use sink::{
    sink_fatal_errors_are_not_retried, sink_redelivery_is_idempotent,
    sink_retriable_errors_are_retried,
};
pub use source::{
    SourceConformance, same_key_and_value, same_source_position,
    source_resumes_from_committed_offset, source_starts_without_committed_offset,
    source_stop_while_polling_is_safe,
};

/// A conformance check that failed: which check, what went wrong, and the task's own
/// error when one caused it.
///
/// `Debug` prints the same text as `Display`, so a test returning
/// `Result<(), ConformanceError>` shows a readable failure.
pub struct ConformanceError {
    check: String,
    message: String,
    cause: Option<ConnectError>,
}

impl ConformanceError {
    /// A failure of `check` described by `message`.
    pub fn new(check: impl Into<String>, message: impl Into<String>) -> Self {
        ConformanceError { check: check.into(), message: message.into(), cause: None }
    }

    /// A failure of `check` because a call into the task (or the harness) failed.
    pub fn caused_by(
        check: impl Into<String>,
        message: impl Into<String>,
        cause: ConnectError,
    ) -> Self {
        ConformanceError { check: check.into(), message: message.into(), cause: Some(cause) }
    }

    /// The name of the failed check.
    pub fn check(&self) -> &str {
        &self.check
    }

    /// What went wrong, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error that caused the failure, if one did.
    pub fn cause(&self) -> Option<&ConnectError> {
        self.cause.as_ref()
    }
}

impl fmt::Display for ConformanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conformance check `{}` failed: {}", self.check, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, "\nCaused by: {}", cause.trace())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ConformanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ConformanceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// What a `setup` step may return: nothing, or a `Result` whose error fails the check.
pub trait SetupOutcome {
    /// The outcome as the result of a check.
    fn into_setup_result(self) -> Result<(), ConformanceError>;
}

impl SetupOutcome for () {
    fn into_setup_result(self) -> Result<(), ConformanceError> {
        Ok(())
    }
}

impl<E: fmt::Display> SetupOutcome for Result<(), E> {
    fn into_setup_result(self) -> Result<(), ConformanceError> {
        self.map_err(|e| ConformanceError::new("setup", e.to_string()))
    }
}

/// Runs a check to completion on a fresh multi-threaded tokio runtime (with time and
/// I/O enabled), as the tests the macros generate do; so an author's crate needs no
/// tokio dependency of its own for them.
pub fn block_on<F>(check: F) -> Result<(), ConformanceError>
where
    F: Future<Output = Result<(), ConformanceError>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            ConformanceError::new("runtime", format!("cannot build a tokio runtime: {e}"))
        })?;
    runtime.block_on(check)
}
