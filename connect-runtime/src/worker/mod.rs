//! The worker: runs the connectors and tasks its herder tells it to, with their Kafka
//! clients, converters, offsets and statuses. What should run (configs, target states,
//! task plans) is the herder's business ([`crate::herder`]); the worker neither stores
//! configs nor decides anything about them.

mod offsets_api;
mod restart;
mod running;
mod scrape;
mod task_thread;

pub use restart::RestartPolicy;

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result, SinkConnector, SourceConnector};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::config::worker::WorkerConfig;
use crate::kafka::{EmbeddedBroker, KafkaClients};
use crate::offsets::OffsetStore;
use crate::registry::PluginRegistry;
use crate::status::{State, Status, StatusBackingStore};
use crate::task::TargetState;
use crate::task::TaskId;

/// A connector instance.
pub(crate) enum Instance {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

/// A running task.
pub(crate) struct TaskHandle {
    pub(crate) cancel: CancellationToken,
    pub(crate) join: JoinHandle<()>,
}

/// A connector this worker runs, with its tasks.
struct Running {
    /// The config it was started with (its tasks' converters and runtime keys).
    config: RawConfig,
    /// Out of the slot (`None`) while the connector's own code runs (`start`, `stop`,
    /// `task_configs`), so the table stays free meanwhile; `None` too when only tasks
    /// of the connector run here (distributed mode).
    instance: Option<Instance>,
    /// Whether the connector instance itself runs here (not only some of its tasks).
    connector_here: bool,
    /// Tells `instance` apart from one that replaced it while it was out.
    generation: u64,
    target: watch::Sender<TargetState>,
    tasks: BTreeMap<u32, TaskHandle>,
}

struct Inner {
    config: WorkerConfig,
    worker_id: String,
    registry: Arc<PluginRegistry>,
    kafka: KafkaClients,
    offsets: Arc<dyn OffsetStore>,
    status: Arc<dyn StatusBackingStore>,
    /// The connectors running here. Held only to read or change an entry, never across a
    /// connector's or task's own code.
    running: Mutex<BTreeMap<String, Running>>,
    generations: std::sync::atomic::AtomicU64,
    end_of_input: crate::task::EndOfInput,
    /// Each task's error counters (Kafka's task-error metrics), kept across restarts.
    error_metrics: std::sync::Mutex<BTreeMap<TaskId, Arc<crate::errors::ErrorMetrics>>>,
    /// Kafka Connect's worker and task metrics (`GET /metrics`).
    metrics: Arc<crate::metrics::WorkerMetrics>,
    /// The producer source tasks share (`source.tasks.share.producer`), made with the
    /// first such task.
    /// Replaced when it reports a fatal error.
    shared_producer: std::sync::Mutex<Option<Arc<crate::task::producer::SharedProducer>>>,
}

/// A worker; clones share it.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("worker_id", &self.inner.worker_id).finish()
    }
}

impl Worker {
    /// The producer source tasks share, created on first use; `None` when the worker
    /// gives every task its own (`source.tasks.share.producer=false`).
    pub(crate) fn shared_producer(
        &self,
    ) -> Result<Option<Arc<crate::task::producer::SharedProducer>>> {
        if !self.inner.config.source_tasks_share_producer() {
            return Ok(None);
        }
        let mut slot = self.inner.shared_producer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = slot.as_ref().filter(|p| !p.is_fatal()) {
            return Ok(Some(p.clone()));
        }
        // None yet, or the last one hit a fatal error (its tasks fail and restart here).
        let cfg = self.inner.kafka.producer_config(
            &format!("connect-worker-producer-{}", self.inner.worker_id),
            &RawConfig::new(),
        );
        let created = crate::task::producer::SharedProducer::create(&cfg, "shared producer")
            .map_err(|e| {
                ConnectError::config(format!("cannot create the worker's shared producer: {e}"))
                    .with_source(e)
            })?;
        *slot = Some(created.clone());
        Ok(Some(created))
    }

    /// A worker with nothing running yet: its Kafka clients (an embedded broker when no
    /// `bootstrap.servers` is given), writing source offsets to `offsets` and statuses to
    /// `status`.
    pub async fn new(
        config: WorkerConfig,
        registry: Arc<PluginRegistry>,
        worker_id: String,
        offsets: Arc<dyn OffsetStore>,
        status: Arc<dyn StatusBackingStore>,
    ) -> Result<Worker> {
        let kafka = match config.bootstrap_servers() {
            Some(b) => KafkaClients::new(
                b,
                config.client_settings("producer"),
                config.client_settings("consumer"),
                config.client_settings("admin"),
            ),
            None => {
                let broker =
                    tokio::task::spawn_blocking(|| EmbeddedBroker::start(1)).await.map_err(
                        |e| ConnectError::fatal(format!("embedded broker start panicked: {e}")),
                    )??;
                warn!(
                    bootstrap = broker.bootstrap_servers(),
                    "no bootstrap.servers configured: started an embedded in-memory Kafka broker; its data lives in memory and is lost when the worker exits"
                );
                KafkaClients::embedded(
                    broker,
                    config.client_settings("producer"),
                    config.client_settings("consumer"),
                )
            }
        };
        let end_of_input = if config.exit_on_source_eof() {
            crate::task::EndOfInput::bounded()
        } else {
            crate::task::EndOfInput::default()
        };
        let metrics = Arc::new(crate::metrics::WorkerMetrics::new(config.metrics_window()));
        Ok(Worker {
            inner: Arc::new(Inner {
                config,
                worker_id,
                registry,
                kafka,
                offsets,
                status,
                running: Mutex::new(BTreeMap::new()),
                error_metrics: std::sync::Mutex::default(),
                metrics,
                shared_producer: std::sync::Mutex::new(None),
                generations: Default::default(),
                end_of_input,
            }),
        })
    }

    /// Where source tasks report reaching the end of their input; a worker in bounded
    /// mode (`exit.on.source.eof`) stops when [`EndOfInput::wait_all_finished`](crate::task::EndOfInput::wait_all_finished) resolves.
    pub fn end_of_input(&self) -> &crate::task::EndOfInput {
        &self.inner.end_of_input
    }

    /// This worker's id (`host:port` of its REST listener).
    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// The Kafka clients (to reach the same brokers, including the embedded one).
    pub fn kafka(&self) -> &KafkaClients {
        &self.inner.kafka
    }

    /// The plugin registry.
    pub fn registry(&self) -> &PluginRegistry {
        &self.inner.registry
    }

    /// The worker configuration.
    pub fn config(&self) -> &WorkerConfig {
        &self.inner.config
    }

    /// Where connector and task statuses go.
    pub fn status_store(&self) -> &Arc<dyn StatusBackingStore> {
        &self.inner.status
    }

    /// The error counters of task `id` (Kafka's task-error metrics: failures, skipped
    /// records, retries, errors logged, dead letter queue requests), once it has run here.
    pub fn task_error_counts(&self, id: &TaskId) -> Option<crate::errors::ErrorCounts> {
        let metrics = self.inner.error_metrics.lock().unwrap_or_else(|p| p.into_inner());
        metrics.get(id).map(|m| m.counts())
    }

    /// The counters task `id` updates (made on first use).
    pub(crate) fn error_metrics_of(&self, id: &TaskId) -> Arc<crate::errors::ErrorMetrics> {
        let mut metrics = self.inner.error_metrics.lock().unwrap_or_else(|p| p.into_inner());
        metrics.entry(id.clone()).or_default().clone()
    }

    /// The worker's metrics (startup counts and every task's counters).
    pub fn metrics(&self) -> &Arc<crate::metrics::WorkerMetrics> {
        &self.inner.metrics
    }

    /// A status of this worker.
    pub fn status_of(&self, state: State, trace: Option<String>) -> Status {
        Status { state, worker_id: self.inner.worker_id.clone(), trace }
    }

    /// Whether the worker's table of running connectors can be taken within `within`.
    /// It is only held for short reads and changes, never across a connector's own code,
    /// so a connector stuck in `start` does not make this false.
    pub async fn answers_within(&self, within: std::time::Duration) -> bool {
        tokio::time::timeout(within, self.inner.running.lock()).await.is_ok()
    }

    /// Names of the connectors running here.
    pub async fn running_connectors(&self) -> Vec<String> {
        self.inner.running.lock().await.keys().cloned().collect()
    }

    /// Stops every connector and task still running here, committing offsets; all at
    /// once, so that plugins stuck in their own code take the graceful shutdown timeout
    /// together rather than one after another.
    pub async fn stop_all(&self) {
        let mut stopping = tokio::task::JoinSet::new();
        for name in self.running_connectors().await {
            let worker = self.clone();
            stopping.spawn(async move {
                if let Err(e) = worker.stop_connector(&name).await {
                    warn!(connector = %name, error = %e, "error while stopping connector");
                }
            });
        }
        while stopping.join_next().await.is_some() {}
    }
}
