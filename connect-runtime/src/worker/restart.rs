//! Restarting FAILED tasks by themselves (beyond Kafka, where an operator or a script
//! calls `POST …/restart`): off unless a connector sets `task.restart.max.attempts`.
//!
//! ```properties
//! task.restart.max.attempts=5        # 0 (default): never; -1: without limit
//! task.restart.backoff.ms=1000       # first wait, doubling after each failure
//! task.restart.backoff.max.ms=60000  # longest wait
//! ```
//!
//! A task that ran for at least `task.restart.backoff.max.ms` before failing starts
//! counting its attempts afresh. Between a failure and its restart the task shows
//! FAILED with the failure's trace, as without the policy.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::Worker;
use crate::status::State;
use crate::task::TaskId;

/// The `task.restart.*` settings of a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Most restarts in a row; `None` for no limit; `Some(0)` for none (the default).
    pub max_attempts: Option<u32>,
    /// The wait before the first restart.
    pub backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            max_attempts: Some(0),
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// Reads `task.restart.max.attempts`, `task.restart.backoff.ms` and
    /// `task.restart.backoff.max.ms`; a bad value is a config error naming its key.
    pub fn from_config(raw: &RawConfig) -> Result<RestartPolicy> {
        let number = |key: &str, min: i64| -> Result<Option<i64>> {
            match raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse::<i64>().ok().filter(|n| *n >= min).map(Some).ok_or_else(|| {
                    ConnectError::config(format!(
                        "Invalid value {v} for configuration {key}: Value must be at least {min}"
                    ))
                }),
            }
        };
        let mut p = RestartPolicy::default();
        match number("task.restart.max.attempts", -1)? {
            Some(-1) => p.max_attempts = None,
            Some(n) => p.max_attempts = Some(u32::try_from(n).unwrap_or(u32::MAX)),
            None => {}
        }
        if let Some(ms) = number("task.restart.backoff.ms", 1)? {
            p.backoff = Duration::from_millis(ms as u64);
        }
        if let Some(ms) = number("task.restart.backoff.max.ms", 1)? {
            p.max_backoff = Duration::from_millis(ms as u64);
        }
        Ok(p)
    }

    /// The wait before restart number `attempt` (from 1); `None` when the policy allows
    /// no such restart.
    pub fn wait_before(&self, attempt: u32) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| attempt > max) {
            return None;
        }
        let doubled = self.backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        Some(doubled.min(self.max_backoff))
    }
}

impl Worker {
    /// Runs a task driver (`run` resolves to whether the task failed) and, when it failed
    /// and the connector's [`RestartPolicy`] allows, starts the task again after the
    /// policy's wait, unless it is stopped meanwhile. `attempt` is how many restarts in
    /// a row led to this run. The driver runs on a thread of its own (see
    /// [`super::task_thread`]); the returned handle supervises it on the runtime.
    pub(super) fn supervise(
        &self,
        id: TaskId,
        run: impl Future<Output = bool> + Send + 'static,
        policy: RestartPolicy,
        attempt: u32,
        task_config: RawConfig,
        cancel: CancellationToken,
    ) -> Result<tokio::task::JoinHandle<()>> {
        let worker = self.clone();
        // On a thread of its own: a task blocking its thread holds up nothing else.
        let run = super::task_thread::spawn(format!("task-{id}"), run)?;
        Ok(tokio::spawn(async move {
            let started = Instant::now();
            let failed = match run.await {
                Some(Ok(failed)) => failed,
                // The driver panicked: the task is FAILED with the panic's message (a
                // bug, in the plugin or ours: not restarted).
                Some(Err(panic)) => {
                    let trace = format!("the task panicked: {panic}");
                    error!(task = %id, "{trace}");
                    worker.inner.status.set_task(
                        &id.connector,
                        id.task,
                        worker.status_of(State::Failed, Some(trace)),
                    );
                    return;
                }
                None => return,
            };
            if !failed || cancel.is_cancelled() || policy.max_attempts == Some(0) {
                return;
            }
            let attempt = if started.elapsed() >= policy.max_backoff { 1 } else { attempt + 1 };
            let Some(wait) = policy.wait_before(attempt) else {
                warn!(task = %id, attempts = attempt - 1, "the task failed again; task.restart.max.attempts reached, it stays FAILED");
                return;
            };
            info!(task = %id, attempt, wait_ms = wait.as_millis() as u64, "restarting the failed task (task.restart.max.attempts)");
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let restart: Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> =
                Box::pin(worker.start_task_attempt(
                    &id.connector,
                    id.task,
                    task_config,
                    attempt,
                    Some(&cancel),
                ));
            if let Err(e) = restart.await {
                warn!(task = %id, error = %e, "could not restart the failed task");
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn off_by_default_and_bounded_when_set() {
        assert_eq!(RestartPolicy::from_config(&raw(&[])).unwrap().wait_before(1), None);
        let p = RestartPolicy::from_config(&raw(&[
            ("task.restart.max.attempts", "3"),
            ("task.restart.backoff.ms", "500"),
            ("task.restart.backoff.max.ms", "1500"),
        ]))
        .unwrap();
        let waits: Vec<Option<u128>> =
            (1..=4).map(|a| p.wait_before(a).map(|d| d.as_millis())).collect();
        assert_eq!(waits, vec![Some(500), Some(1000), Some(1500), None]);
        let unlimited =
            RestartPolicy::from_config(&raw(&[("task.restart.max.attempts", "-1")])).unwrap();
        assert_eq!(unlimited.wait_before(1000), Some(Duration::from_secs(60)));
        let e = RestartPolicy::from_config(&raw(&[("task.restart.backoff.ms", "0")])).unwrap_err();
        assert!(e.message().contains("task.restart.backoff.ms"), "{e}");
    }
}
