//! What the runtime does when a record fails (Kafka's `RetryWithToleranceOperator`,
//! `LogReporter`, `DeadLetterQueueReporter` and `WorkerErrantRecordReporter`), driven by
//! a connector's `errors.*` settings:
//!
//! - [`RetryPolicy`]: retriable failures are tried again with exponential backoff (300 ms,
//!   doubling, capped by `errors.retry.delay.max.ms`) until `errors.retry.timeout`
//!   (0: no retry, -1: forever);
//! - [`ErrorHandler`]: a failure that is not retried, or whose retries ran out, is
//!   counted, logged (`errors.log.enable`, with the record when
//!   `errors.log.include.messages`), written to the dead letter queue
//!   (`errors.deadletterqueue.topic.name`, sinks only) with the record's original bytes
//!   and, when `errors.deadletterqueue.context.headers.enable`, Kafka's
//!   `__connect.errors.*` headers; then `errors.tolerance` decides: `none` fails the task,
//!   `all` skips the record.

mod handler;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use tokio_util::sync::CancellationToken;
use tracing::debug;

pub use handler::{DeadLetterQueue, ErrorHandler, Failure};

/// Where in the pipeline an operation failed (Kafka's `Stage`; the names are the values
/// of the `__connect.errors.stage` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The source task's `poll`.
    TaskPoll,
    /// The sink task's `put`.
    TaskPut,
    /// A transformation.
    Transformation,
    /// The key converter.
    KeyConverter,
    /// The value converter.
    ValueConverter,
    /// The header converter.
    HeaderConverter,
    /// Sending a record to Kafka.
    KafkaProduce,
    /// Reading a record from Kafka.
    KafkaConsume,
}

impl Stage {
    /// Kafka's name of the stage.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::TaskPoll => "TASK_POLL",
            Stage::TaskPut => "TASK_PUT",
            Stage::Transformation => "TRANSFORMATION",
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }
}

/// The first wait between two attempts (Kafka's `RETRIES_DELAY_MIN_MS`).
const FIRST_DELAY: Duration = Duration::from_millis(300);

/// How retriable failures are retried: `errors.retry.timeout` and
/// `errors.retry.delay.max.ms`.
///
/// ```
/// use std::time::Duration;
/// use connect_runtime::errors::RetryPolicy;
///
/// let raw = [("errors.retry.timeout", "60000"), ("errors.retry.delay.max.ms", "1000")]
///     .into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
/// let policy = RetryPolicy::from_config(&raw).unwrap();
/// assert_eq!(policy.timeout, Some(Duration::from_secs(60)));
/// assert_eq!(policy.delay(1), Duration::from_millis(300));
/// assert_eq!(policy.delay(2), Duration::from_millis(600));
/// assert_eq!(policy.delay(5), Duration::from_secs(1)); // capped
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long an operation is retried in all; `None` for ever (`-1`), zero for no
    /// retry (the default).
    pub timeout: Option<Duration>,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// Whether `errors.retry.timeout` was set in the config (a sink's `put` is retried
    /// for ever when it was not, as in Kafka).
    pub explicit: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            timeout: Some(Duration::ZERO),
            max_delay: Duration::from_secs(60),
            explicit: false,
        }
    }
}

impl RetryPolicy {
    /// Reads `errors.retry.timeout` and `errors.retry.delay.max.ms`; a value that is not
    /// a number (or a timeout below -1, a delay below 1) is a config error naming the key.
    pub fn from_config(raw: &RawConfig) -> Result<RetryPolicy> {
        let number = |key: &str| -> Result<Option<i64>> {
            match raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                    ConnectError::config(format!(
                        "Invalid value {v} for configuration {key}: Not a number of type LONG"
                    ))
                }),
            }
        };
        let mut policy = RetryPolicy::default();
        match number("errors.retry.timeout")? {
            None => {}
            Some(-1) => (policy.timeout, policy.explicit) = (None, true),
            Some(ms) if ms >= 0 => {
                (policy.timeout, policy.explicit) = (Some(Duration::from_millis(ms as u64)), true)
            }
            Some(ms) => {
                return Err(ConnectError::config(format!(
                    "Invalid value {ms} for configuration errors.retry.timeout: must be -1 (retry for ever), 0 (no retry) or a positive number of milliseconds"
                )));
            }
        }
        match number("errors.retry.delay.max.ms")? {
            None => {}
            Some(ms) if ms >= 1 => policy.max_delay = Duration::from_millis(ms as u64),
            Some(ms) => {
                return Err(ConnectError::config(format!(
                    "Invalid value {ms} for configuration errors.retry.delay.max.ms: Value must be at least 1"
                )));
            }
        }
        Ok(policy)
    }

    /// The wait before attempt `attempt + 1` after attempt `attempt` (from 1) failed.
    pub fn delay(&self, attempt: u32) -> Duration {
        let doubled = FIRST_DELAY.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        doubled.min(self.max_delay)
    }

    /// Whether a retriable failure is tried again at all (`errors.retry.timeout` is not 0).
    pub fn retries(&self) -> bool {
        self.timeout != Some(Duration::ZERO)
    }

    /// When retries started at `start` must end; `None` for never.
    pub fn deadline(&self, start: Instant) -> Option<Instant> {
        self.timeout.map(|t| start + t)
    }

    /// Runs `op`, trying again after retriable failures until the policy's timeout, and
    /// returns its result or its last error. Stops early (with the last error) when
    /// `cancel` fires.
    pub async fn run<T, E, F, Fut>(
        &self,
        cancel: &CancellationToken,
        metrics: &ErrorMetrics,
        mut op: F,
    ) -> std::result::Result<T, E>
    where
        E: Retriable + std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let mut result = op().await;
        let start = Instant::now();
        let mut attempt = 1;
        while let Err(e) = &result {
            if !e.is_retriable() {
                break;
            }
            metrics.failure();
            let Some(wait) = self.next_wait(start, attempt) else { break };
            debug!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "retrying after a retriable error");
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            metrics.retry();
            attempt += 1;
            result = op().await;
        }
        result
    }

    /// How long to wait before the next attempt, after attempt `attempt` (from 1) of an
    /// operation first tried at `start` failed; `None` once the timeout is spent.
    pub fn next_wait(&self, start: Instant, attempt: u32) -> Option<Duration> {
        let wait = self.delay(attempt);
        match self.deadline(start) {
            None => Some(wait),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| wait.min(left))
            }
        }
    }
}

/// An error that says whether trying again may help.
pub trait Retriable {
    /// Whether the same operation may succeed if tried again.
    fn is_retriable(&self) -> bool;
}

impl Retriable for ConnectError {
    fn is_retriable(&self) -> bool {
        ConnectError::is_retriable(self)
    }
}

/// An error and the stage that raised it.
#[derive(Debug)]
pub struct StageError {
    /// Where it happened.
    pub stage: Stage,
    /// What went wrong.
    pub error: ConnectError,
}

impl Retriable for StageError {
    fn is_retriable(&self) -> bool {
        self.error.is_retriable()
    }
}

impl std::fmt::Display for StageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.stage.as_str(), self.error)
    }
}

/// Kafka's task-error metrics of one task (`task-error-metrics`): counters a metrics
/// endpoint reads; updating one costs an atomic add.
#[derive(Debug, Default)]
pub struct ErrorMetrics {
    record_failures: AtomicU64,
    records_skipped: AtomicU64,
    retries: AtomicU64,
    errors_logged: AtomicU64,
    dlq_produce_requests: AtomicU64,
    dlq_produce_failures: AtomicU64,
    last_error_millis: AtomicU64,
}

/// A copy of a task's [`ErrorMetrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ErrorCounts {
    /// `total-record-failures`: failed attempts, retried or not.
    pub record_failures: u64,
    /// `total-records-skipped`: records skipped under `errors.tolerance=all`.
    pub records_skipped: u64,
    /// `total-retries`.
    pub retries: u64,
    /// `total-errors-logged`.
    pub errors_logged: u64,
    /// `deadletterqueue-produce-requests`.
    pub dlq_produce_requests: u64,
    /// `deadletterqueue-produce-failures`.
    pub dlq_produce_failures: u64,
    /// `last-error-timestamp`, milliseconds since the epoch (0: none).
    pub last_error_millis: u64,
}

impl ErrorMetrics {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// An attempt failed.
    pub fn failure(&self) {
        Self::add(&self.record_failures);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.last_error_millis.store(now, Ordering::Relaxed);
    }

    /// A record was skipped.
    pub fn skipped(&self) {
        Self::add(&self.records_skipped);
    }

    /// An operation was tried again.
    pub fn retry(&self) {
        Self::add(&self.retries);
    }

    /// An error was logged.
    pub fn logged(&self) {
        Self::add(&self.errors_logged);
    }

    /// A record was sent to the dead letter queue.
    pub fn dlq_request(&self) {
        Self::add(&self.dlq_produce_requests);
    }

    /// The dead letter queue refused a record.
    pub fn dlq_failure(&self) {
        Self::add(&self.dlq_produce_failures);
    }

    /// The counters now.
    pub fn counts(&self) -> ErrorCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ErrorCounts {
            record_failures: get(&self.record_failures),
            records_skipped: get(&self.records_skipped),
            retries: get(&self.retries),
            errors_logged: get(&self.errors_logged),
            dlq_produce_requests: get(&self.dlq_produce_requests),
            dlq_produce_failures: get(&self.dlq_produce_failures),
            last_error_millis: get(&self.last_error_millis),
        }
    }
}

/// A record as it was read from Kafka, bytes untouched: what the dead letter queue gets.
#[derive(Debug, Clone, Default)]
pub struct RawRecord {
    /// Its topic, shared by the records of one poll (no copy per record).
    pub topic: std::sync::Arc<str>,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp and the timestamp's kind, when it has one.
    pub timestamp: Option<(i64, connect_api::record::TimestampType)>,
    /// Its key bytes.
    pub key: Option<Vec<u8>>,
    /// Its value bytes.
    pub value: Option<Vec<u8>>,
    /// Its headers, in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl RawRecord {
    /// Whether it was read from `tp`.
    pub fn is_of(&self, tp: &connect_api::record::TopicPartition) -> bool {
        self.partition == tp.partition && *self.topic == *tp.topic
    }

    /// Whether it was read from one of `tps`.
    pub fn is_of_any<'a>(
        &self,
        tps: impl IntoIterator<Item = &'a connect_api::record::TopicPartition>,
    ) -> bool {
        tps.into_iter().any(|tp| self.is_of(tp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_policy_reads_kafkas_keys_and_names_a_bad_one() {
        let p = RetryPolicy::from_config(&raw(&[])).unwrap();
        assert_eq!((p.timeout, p.explicit), (Some(Duration::ZERO), false));
        let p = RetryPolicy::from_config(&raw(&[("errors.retry.timeout", "-1")])).unwrap();
        assert_eq!((p.timeout, p.explicit), (None, true));
        for (k, v) in [
            ("errors.retry.timeout", "soon"),
            ("errors.retry.timeout", "-2"),
            ("errors.retry.delay.max.ms", "0"),
        ] {
            let e = RetryPolicy::from_config(&raw(&[(k, v)])).unwrap_err();
            assert!(e.message().contains(k), "{e}");
        }
    }

    #[test]
    fn delays_double_from_300_ms_up_to_the_cap() {
        let p = RetryPolicy { max_delay: Duration::from_millis(2000), ..Default::default() };
        let d: Vec<u128> = (1..=6).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(d, vec![300, 600, 1200, 2000, 2000, 2000]);
        assert_eq!(p.delay(200), Duration::from_millis(2000));
    }

    async fn attempts_until(
        policy: RetryPolicy,
        succeed_at: u32,
    ) -> (Result<u32>, u32, ErrorCounts) {
        let metrics = ErrorMetrics::default();
        let mut n = 0;
        let r: Result<u32> = policy
            .run(&CancellationToken::new(), &metrics, || {
                n += 1;
                let now = n;
                async move {
                    if now >= succeed_at {
                        Ok(now)
                    } else {
                        Err(ConnectError::retriable("not yet"))
                    }
                }
            })
            .await;
        (r, n, metrics.counts())
    }

    #[tokio::test(start_paused = true)]
    async fn retriable_failures_are_retried_until_the_timeout() {
        let quick = |ms| RetryPolicy {
            timeout: Some(Duration::from_millis(ms)),
            max_delay: Duration::from_millis(1000),
            explicit: true,
        };
        // 300 + 600 ms of waits: the third attempt is inside a 2 s budget.
        let (r, n, c) = attempts_until(quick(2000), 3).await;
        assert_eq!((r.unwrap(), n, c.retries, c.record_failures), (3, 3, 2, 2));
        // A 500 ms budget allows one wait of 300 ms and a second cut to 200 ms.
        let (r, n, _) = attempts_until(quick(500), 10).await;
        assert!(r.unwrap_err().is_retriable());
        assert_eq!(n, 3);
        // No retry at all by default.
        let (r, n, _) = attempts_until(RetryPolicy::default(), 2).await;
        assert!(r.is_err());
        assert_eq!(n, 1);
        // For ever: until it works.
        let forever = RetryPolicy { timeout: None, ..quick(0) };
        let (r, n, _) = attempts_until(forever, 40).await;
        assert_eq!((r.unwrap(), n), (40, 40));
    }

    #[tokio::test]
    async fn a_non_retriable_error_is_not_retried() {
        let metrics = ErrorMetrics::default();
        let policy = RetryPolicy { timeout: None, ..Default::default() };
        let mut n = 0;
        let r: Result<()> = policy
            .run(&CancellationToken::new(), &metrics, || {
                n += 1;
                async { Err(ConnectError::data("bad record")) }
            })
            .await;
        assert_eq!((r.unwrap_err().kind(), n), (connect_api::error::ErrorKind::Data, 1));
    }
}
