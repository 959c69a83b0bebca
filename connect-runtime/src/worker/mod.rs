//! The worker: runs connectors and their tasks, keeps their configs, target states and
//! statuses, and answers what the REST API asks.

mod offsets_api;

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::config::RawConfig;
use connect_api::context::ConnectorEvent;
use connect_api::plugin::PluginKind;
use connect_api::{ConnectError, Result, SinkConnector, SourceConnector};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::worker::WorkerConfig;
use crate::herder::store::{self, ConfigBackingStore, FileConfigStore, MemoryConfigStore};
use crate::kafka::{EmbeddedBroker, KafkaClients};
use crate::offsets::{FileOffsetStore, MemoryOffsetStore, OffsetStore};
use crate::registry::PluginRegistry;
use crate::status::{StatusBackingStore, StatusBoard};
use crate::task::{ActiveTopics, TargetState};

/// A running connector instance.
pub(crate) enum Instance {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

/// A running task.
pub(crate) struct TaskHandle {
    pub(crate) cancel: CancellationToken,
    pub(crate) join: JoinHandle<()>,
}

/// Everything the worker knows of one connector.
pub(crate) struct Slot {
    pub(crate) config: RawConfig,
    pub(crate) kind: PluginKind,
    pub(crate) instance: Option<Instance>,
    pub(crate) target: watch::Sender<TargetState>,
    pub(crate) task_configs: Vec<RawConfig>,
    pub(crate) tasks: BTreeMap<u32, TaskHandle>,
    pub(crate) topics: ActiveTopics,
}

pub(crate) struct Inner {
    pub(crate) config: WorkerConfig,
    pub(crate) worker_id: String,
    pub(crate) registry: Arc<PluginRegistry>,
    pub(crate) kafka: KafkaClients,
    pub(crate) offsets: Arc<dyn OffsetStore>,
    pub(crate) status: Arc<dyn StatusBackingStore>,
    pub(crate) store: Arc<dyn ConfigBackingStore>,
    /// The connectors. Held only to read or change a slot, never across a connector's
    /// `start`, `stop` or `task_configs` (the instance is taken out of its slot for those).
    pub(crate) connectors: Mutex<BTreeMap<String, Slot>>,
    /// One lock per connector name, held across each of its lifecycle operations
    /// (create, reconfigure, pause, resume, stop, restart, delete) so they do not
    /// interleave; operations on other connectors and REST reads do not wait for it.
    pub(crate) ops: std::sync::Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
    pub(crate) events: mpsc::UnboundedSender<(String, ConnectorEvent)>,
    pub(crate) end_of_input: crate::task::EndOfInput,
}

/// A worker; clones share it.
#[derive(Clone)]
pub struct Worker {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("worker_id", &self.inner.worker_id).finish()
    }
}

impl Worker {
    /// Starts a standalone worker: Kafka clients (an embedded broker when no
    /// `bootstrap.servers` is given), the offsets file, the connector config store
    /// beside it, and every connector stored there.
    pub async fn start(
        config: WorkerConfig,
        registry: PluginRegistry,
        worker_id: String,
    ) -> Result<Worker> {
        Self::start_with(config, registry, worker_id, Vec::new()).await
    }

    /// Like [`start`](Self::start), with connector configs given at start-up (the
    /// command line's connector files): they are validated and stored first, replacing
    /// stored configs of the same name but keeping their target state, so each
    /// connector starts once.
    pub async fn start_with(
        config: WorkerConfig,
        registry: PluginRegistry,
        worker_id: String,
        initial: Vec<RawConfig>,
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
        let (offsets, store): (Arc<dyn OffsetStore>, Arc<dyn ConfigBackingStore>) = match config
            .offset_file()
        {
            Some(path) => {
                let mut cpath = path.clone().into_os_string();
                cpath.push(".connectors.json");
                info!(offsets = %path.display(), "source offsets are kept in a file");
                (
                    Arc::new(FileOffsetStore::open(&path)?),
                    Arc::new(FileConfigStore::open(std::path::PathBuf::from(cpath))?),
                )
            }
            None => {
                warn!(
                    "no offset.storage.file.filename configured: source offsets and REST-created connectors are kept in memory only"
                );
                (Arc::new(MemoryOffsetStore::new()), Arc::new(MemoryConfigStore::default()))
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let end_of_input = if config.exit_on_source_eof() {
            crate::task::EndOfInput::bounded()
        } else {
            crate::task::EndOfInput::default()
        };
        let worker = Worker {
            inner: Arc::new(Inner {
                config,
                worker_id,
                registry: Arc::new(registry),
                kafka,
                offsets,
                status: Arc::new(StatusBoard::new()),
                store,
                connectors: Mutex::new(BTreeMap::new()),
                ops: std::sync::Mutex::new(BTreeMap::new()),
                events: tx,
                end_of_input,
            }),
        };
        worker.spawn_event_loop(rx);
        let stored = worker.inner.store.all().await;
        for config in initial {
            let name = crate::config::connector::connector_name(&config)?;
            worker.check_config(&config).map_err(|e| e.context(format!("connector {name}")))?;
            let target_state =
                stored.get(&name).map_or(crate::task::TargetState::Started, |s| s.target_state);
            worker.inner.store.put(&name, store::StoredConnector { config, target_state }).await?;
        }
        for (name, stored) in worker.inner.store.all().await {
            let _op = worker.op_lock(&name).await;
            if let Err(e) = worker.launch(name.clone(), stored.config, stored.target_state).await {
                warn!(connector = %name, error = %e, "stored connector failed to start");
            }
        }
        Ok(worker)
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

    /// Runs a lifecycle operation on its own task, so it runs to its end (and puts every
    /// connector instance it took out back in its slot) even when the caller, say a REST
    /// request whose client went away, is dropped midway.
    pub(crate) async fn detached<T: Send + 'static>(
        &self,
        op: impl std::future::Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        tokio::spawn(op)
            .await
            .map_err(|e| ConnectError::fatal(format!("connector operation failed: {e}")))?
    }

    /// Takes the lifecycle lock of connector `name` (see `Inner::ops`).
    pub(crate) async fn op_lock(&self, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut ops = self.inner.ops.lock().unwrap_or_else(|p| p.into_inner());
            ops.entry(name.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Whether the worker's connector table can be taken within `within` (what
    /// `GET /health` reports). It is only held for short reads and changes, never across
    /// a connector's own code, so a connector stuck in `start` does not make this false.
    pub async fn answers_within(&self, within: std::time::Duration) -> bool {
        tokio::time::timeout(within, self.inner.connectors.lock()).await.is_ok()
    }

    fn spawn_event_loop(&self, mut rx: mpsc::UnboundedReceiver<(String, ConnectorEvent)>) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            while let Some((name, event)) = rx.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                let worker = Worker { inner };
                // On its own task: a connector busy in its own code (its lifecycle lock
                // taken) holds up nobody else's events.
                tokio::spawn(async move {
                    match event {
                        ConnectorEvent::TaskReconfigurationRequested => {
                            if let Err(e) = worker.reconfigure(&name).await {
                                warn!(connector = %name, error = %e, "task reconfiguration failed");
                            }
                        }
                        ConnectorEvent::ErrorRaised(e) => worker.fail_connector(&name, &e).await,
                    }
                });
            }
        });
    }

    /// Stops every connector and task gracefully, committing offsets.
    pub async fn shutdown(&self) {
        let names: Vec<String> = self.inner.connectors.lock().await.keys().cloned().collect();
        let wait =
            self.inner.config.graceful_shutdown_timeout().max(std::time::Duration::from_secs(1));
        for name in names {
            // A connector stuck in its own start or stop keeps its lifecycle lock: do not
            // let it hold the whole worker's shutdown.
            let Ok(_op) = tokio::time::timeout(wait, self.op_lock(&name)).await else {
                warn!(connector = %name, "connector still busy in its own code after {wait:?}: not stopping it");
                continue;
            };
            if let Err(e) = self.halt(&name, false).await {
                warn!(connector = %name, error = %e, "error while stopping connector");
            }
        }
        info!("worker stopped");
    }
}
