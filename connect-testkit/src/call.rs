//! Bounded calls into tasks: every call a harness makes into a task has a time limit, so
//! a test fails with an error that names the call instead of hanging.

use std::future::Future;
use std::time::Duration;

use connect_api::{ConnectError, Result};

/// How long a harness waits for one call into a task unless told otherwise.
pub(crate) const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `call`, failing with an error naming `what` when it takes longer than `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    what: &str,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(what, limit)),
    }
}

/// The error of a call that did not finish in time.
pub(crate) fn timed_out(what: &str, limit: Duration) -> ConnectError {
    ConnectError::fatal(format!("{what} did not return within {limit:?}"))
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the kit's
/// shared state is plain data that stays usable.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
