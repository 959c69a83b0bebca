//! Task drivers: the worker runs each on a thread of its own. [`source`] drives
//! `poll → transformations → converters → producer` and commits source offsets of
//! acknowledged records; [`sink`] drives `consumer → converters → transformations →
//! put` and commits consumer offsets after `pre_commit`.

pub mod producer;
pub mod sink;
pub mod source;

use std::fmt;

use connect_api::config::RawConfig;
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::{ConnectError, Result};

use crate::config::worker::WorkerConfig;
use crate::registry::PluginRegistry;

pub use crate::status::{ActiveTopics, lock_topics};

/// Identifies a task: its connector and number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    /// The connector's name.
    pub connector: String,
    /// The task's number, from 0.
    pub task: u32,
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// What an operator asked a connector to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    /// Running.
    Started,
    /// Paused: tasks stay up but move no data.
    Paused,
    /// Stopped: tasks shut down, config kept.
    Stopped,
}

/// What every task driver is made of, besides the task and the worker's environment.
pub struct TaskSetup {
    /// The task's id.
    pub id: TaskId,
    /// The task's config, as the connector made it.
    pub task_config: connect_api::config::RawConfig,
    /// The connector's config (runtime keys: converters, `errors.*`, client overrides).
    pub connector_config: connect_api::config::RawConfig,
    /// The task's converters.
    pub converters: Converters,
    /// The plugins the task builds its transformations and predicates from.
    pub plugins: std::sync::Arc<PluginRegistry>,
    /// The connector's target state.
    pub state: tokio::sync::watch::Receiver<TargetState>,
    /// Fires when the task must stop.
    pub cancel: tokio_util::sync::CancellationToken,
    /// The task's error counters.
    pub error_metrics: std::sync::Arc<crate::errors::ErrorMetrics>,
    /// The task's counters (`GET /metrics`).
    pub metrics: std::sync::Arc<crate::metrics::TaskMetrics>,
}

/// The key, value and header converters of one task.
pub struct Converters {
    /// For record keys.
    pub key: Box<dyn Converter>,
    /// For record values.
    pub value: Box<dyn Converter>,
    /// For header values.
    pub header: Box<dyn HeaderConverter>,
    /// The classes of the three, in that order (for error reports).
    pub classes: [String; 3],
}

impl Converters {
    /// The class of the converter that runs at `stage`, when a converter does.
    pub fn class_of(&self, stage: crate::errors::Stage) -> Option<&str> {
        use crate::errors::Stage;
        match stage {
            Stage::KeyConverter => Some(&self.classes[0]),
            Stage::ValueConverter => Some(&self.classes[1]),
            Stage::HeaderConverter => Some(&self.classes[2]),
            _ => None,
        }
    }

    /// Builds a task's converters from the plugins of `registry` as Kafka Connect does: a
    /// converter class set in the connector config wins, with the connector's
    /// `<side>.converter.*` settings; otherwise the worker's class and settings.
    pub fn build(
        registry: &PluginRegistry,
        worker: &WorkerConfig,
        connector: &RawConfig,
    ) -> Result<Converters> {
        let pick = |side: &str| -> (String, RawConfig) {
            let key = format!("{side}.converter");
            let prefix = format!("{key}.");
            let from = |cfg: &RawConfig| -> RawConfig {
                cfg.iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone()))
                    })
                    .collect()
            };
            match connector.get(&key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                Some(class) => (class.to_string(), from(connector)),
                None => (worker.class(&key), from(worker.originals())),
            }
        };
        let make = |side: &str, is_key: bool| -> Result<Box<dyn Converter>> {
            let (class, settings) = pick(side);
            let mut c = registry.converter(&class).map_err(|e| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {side}.converter: {}",
                    e.message()
                ))
            })?;
            c.configure(&settings, is_key)
                .map_err(|e| e.context(format!("{side}.converter {class}")))?;
            Ok(c)
        };
        let (hclass, hsettings) = pick("header");
        let classes = [pick("key").0, pick("value").0, hclass.clone()];
        let mut header = registry.header_converter(&hclass).map_err(|e| {
            ConnectError::config(format!(
                "Invalid value {hclass} for configuration header.converter: {}",
                e.message()
            ))
        })?;
        header
            .configure(&hsettings)
            .map_err(|e| e.context(format!("header.converter {hclass}")))?;
        Ok(Converters { key: make("key", true)?, value: make("value", false)?, header, classes })
    }
}

/// Counts the source tasks of a worker that reached the end of their input (bounded
/// mode, `exit.on.source.eof`): each running source task registers, and reports once
/// its input ended and every record it returned was acknowledged and committed.
#[derive(Debug, Clone, Default)]
pub struct EndOfInput {
    inner: std::sync::Arc<EndOfInputInner>,
}

#[derive(Debug, Default)]
struct EndOfInputInner {
    /// Bounded mode is on: tasks that reach the end of their input commit and report.
    enabled: bool,
    /// (running source tasks, of them finished).
    counts: std::sync::Mutex<(usize, usize)>,
    notify: tokio::sync::Notify,
}

impl EndOfInput {
    /// A tracker for a worker in bounded mode (`exit.on.source.eof=true`); the default
    /// one is off, and source tasks then ignore the end of their input.
    pub fn bounded() -> Self {
        EndOfInput {
            inner: std::sync::Arc::new(EndOfInputInner { enabled: true, ..Default::default() }),
        }
    }

    /// Whether the worker runs in bounded mode.
    pub fn is_bounded(&self) -> bool {
        self.inner.enabled
    }

    fn update(&self, f: impl FnOnce(&mut (usize, usize))) {
        if let Ok(mut c) = self.inner.counts.lock() {
            f(&mut c);
        }
        self.inner.notify.notify_waiters();
    }

    /// A source task started.
    pub fn task_started(&self) {
        self.update(|c| c.0 += 1);
    }

    /// A running source task reached the end of its input with everything committed.
    pub fn task_finished(&self) {
        self.update(|c| c.1 += 1);
    }

    /// A source task stopped; `finished` says whether it had reported the end of input.
    pub fn task_stopped(&self, finished: bool) {
        self.update(|c| {
            c.0 = c.0.saturating_sub(1);
            if finished {
                c.1 = c.1.saturating_sub(1);
            }
        });
    }

    fn all_finished(&self) -> bool {
        self.inner.counts.lock().map(|c| c.0 > 0 && c.1 >= c.0).unwrap_or(false)
    }

    /// Resolves once at least one source task runs and every running source task
    /// reached the end of its input.
    pub async fn wait_all_finished(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.all_finished() {
                return;
            }
            notified.await;
        }
    }
}
