//! Mock contexts: [`MockConnectorContext`] records what a connector asks of the
//! runtime, [`RecordingErrantReporter`] keeps what a sink task reports, and
//! [`source_task_context`] / [`sink_task_context`] build task contexts for tests.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::{
    ConnectorContext, ConnectorEvent, ErrantRecordReporter, SinkTaskContext, SourceTaskContext,
};
use connect_api::record::SinkRecord;
use connect_api::{ConnectError, ErrorKind, Result};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::call::{lock, timed_out};
use crate::offsets::InMemoryOffsetReader;

/// A copy of a [`ConnectError`] (which is not `Clone`) that tests can keep and compare:
/// its kind, message and full trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedError {
    /// The error's kind.
    pub kind: ErrorKind,
    /// The error's message, without causes.
    pub message: String,
    /// The message with every cause, as [`ConnectError::trace`] renders it.
    pub trace: String,
}

impl From<&ConnectError> for RecordedError {
    fn from(error: &ConnectError) -> Self {
        RecordedError {
            kind: error.kind(),
            message: error.message().to_string(),
            trace: error.trace(),
        }
    }
}

impl fmt::Display for RecordedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.trace)
    }
}

struct ConnectorLog {
    events: Mutex<Vec<ConnectorEvent>>,
    count: watch::Sender<usize>,
}

/// A [`ConnectorContext`] that records every [`ConnectorEvent`] the connector sends.
///
/// Clones share the record. A connector that reports from a background task can be
/// awaited with [`wait_for_events`](Self::wait_for_events).
///
/// ```
/// use connect_api::ConnectError;
/// use connect_testkit::MockConnectorContext;
///
/// let mock = MockConnectorContext::new();
/// let ctx = mock.context(); // hand this to Connector::start
/// ctx.request_task_reconfiguration();
/// ctx.raise_error(ConnectError::fatal("table vanished"));
/// assert_eq!(mock.reconfiguration_requests(), 1);
/// assert_eq!(mock.raised_errors()[0].message, "table vanished");
/// ```
#[derive(Clone)]
pub struct MockConnectorContext {
    log: Arc<ConnectorLog>,
}

impl Default for MockConnectorContext {
    fn default() -> Self {
        Self::new()
    }
}

impl MockConnectorContext {
    /// A mock that has recorded nothing yet.
    pub fn new() -> Self {
        let (count, _) = watch::channel(0);
        MockConnectorContext {
            log: Arc::new(ConnectorLog { events: Mutex::new(Vec::new()), count }),
        }
    }

    /// A [`ConnectorContext`] whose events this mock records; any number may be made.
    pub fn context(&self) -> ConnectorContext {
        let log = Arc::clone(&self.log);
        ConnectorContext::new(move |event| {
            lock(&log.events).push(event);
            log.count.send_modify(|n| *n += 1);
        })
    }

    /// How many times the connector asked for task reconfiguration.
    pub fn reconfiguration_requests(&self) -> usize {
        lock(&self.log.events)
            .iter()
            .filter(|e| matches!(e, ConnectorEvent::TaskReconfigurationRequested))
            .count()
    }

    /// The errors the connector raised, in order.
    pub fn raised_errors(&self) -> Vec<RecordedError> {
        lock(&self.log.events)
            .iter()
            .filter_map(|e| match e {
                ConnectorEvent::ErrorRaised(error) => Some(RecordedError::from(error)),
                _ => None,
            })
            .collect()
    }

    /// How many events were recorded in all (taken ones included).
    pub fn event_count(&self) -> usize {
        *self.log.count.borrow()
    }

    /// Removes and returns the events recorded so far, with the original errors.
    pub fn take_events(&self) -> Vec<ConnectorEvent> {
        std::mem::take(&mut *lock(&self.log.events))
    }

    /// Waits until at least `count` events were recorded in all, failing after
    /// `timeout`.
    pub async fn wait_for_events(&self, count: usize, timeout: Duration) -> Result<()> {
        let mut seen = self.log.count.subscribe();
        let reached = tokio::time::timeout(timeout, seen.wait_for(|n| *n >= count)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            // The sender lives in `self`, so the channel cannot close while we wait.
            Ok(Err(_)) | Err(_) => Err(timed_out(
                &format!(
                    "MockConnectorContext::wait_for_events({count}), with {} recorded,",
                    self.event_count()
                ),
                timeout,
            )),
        }
    }
}

impl fmt::Debug for MockConnectorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConnectorContext").field("events", &*lock(&self.log.events)).finish()
    }
}

/// One report a sink task made through its errant record reporter.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrantReport {
    /// The record reported.
    pub record: SinkRecord,
    /// The error it was reported with.
    pub error: RecordedError,
}

/// An [`ErrantRecordReporter`] that keeps every report (instead of writing to a dead
/// letter queue). Clones share the reports.
///
/// ```
/// use connect_testkit::{RecordingErrantReporter, sink_task_context_with_reporter};
///
/// let reporter = RecordingErrantReporter::new();
/// let ctx = sink_task_context_with_reporter(Default::default(), &reporter);
/// assert!(ctx.errant_record_reporter().is_some());
/// assert!(reporter.reports().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct RecordingErrantReporter {
    reports: Arc<Mutex<Vec<ErrantReport>>>,
    failure: Arc<Mutex<Option<ErrorKind>>>,
}

impl RecordingErrantReporter {
    /// A reporter with no reports.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later report fail with an error of `kind` (the dead letter queue
    /// being unreachable, say) instead of being kept; `None` makes reports succeed
    /// again.
    pub fn fail_reports_with(&self, kind: Option<ErrorKind>) {
        *lock(&self.failure) = kind;
    }

    /// Every report, in order.
    pub fn reports(&self) -> Vec<ErrantReport> {
        lock(&self.reports).clone()
    }

    /// The reported records, in order.
    pub fn records(&self) -> Vec<SinkRecord> {
        lock(&self.reports).iter().map(|r| r.record.clone()).collect()
    }

    /// The errors the records were reported with, in order.
    pub fn errors(&self) -> Vec<RecordedError> {
        lock(&self.reports).iter().map(|r| r.error.clone()).collect()
    }

    /// The reporter as the trait object a [`SinkTaskContext`] holds.
    pub fn as_reporter(&self) -> Arc<dyn ErrantRecordReporter> {
        Arc::new(self.clone())
    }
}

#[async_trait]
impl ErrantRecordReporter for RecordingErrantReporter {
    async fn report(&self, record: &SinkRecord, error: &ConnectError) -> Result<()> {
        if let Some(kind) = *lock(&self.failure) {
            return Err(ConnectError::new(
                kind,
                "RecordingErrantReporter: reporting was made to fail",
            ));
        }
        lock(&self.reports)
            .push(ErrantReport { record: record.clone(), error: RecordedError::from(error) });
        Ok(())
    }
}

impl fmt::Debug for RecordingErrantReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingErrantReporter")
            .field("reports", &lock(&self.reports).len())
            .finish()
    }
}

/// A [`SourceTaskContext`] over `config` and `offsets`, with a fresh cancellation
/// token (reach it through [`SourceTaskContext::cancellation`]).
pub fn source_task_context(config: RawConfig, offsets: &InMemoryOffsetReader) -> SourceTaskContext {
    SourceTaskContext::new(config, offsets.as_reader(), CancellationToken::new())
}

/// A [`SinkTaskContext`] over `config` without an errant record reporter (as when the
/// connector's `errors.*` settings enable none), with a fresh cancellation token.
pub fn sink_task_context(config: RawConfig) -> SinkTaskContext {
    SinkTaskContext::new(config, None, CancellationToken::new())
}

/// A [`SinkTaskContext`] over `config` whose errant record reporter is `reporter`.
pub fn sink_task_context_with_reporter(
    config: RawConfig,
    reporter: &RecordingErrantReporter,
) -> SinkTaskContext {
    SinkTaskContext::new(config, Some(reporter.as_reporter()), CancellationToken::new())
}
