//! [`StandaloneHerder`]: the herder of a one-worker cluster. It keeps connector configs
//! and target states in a [`ConfigBackingStore`] (a file beside the offsets file, or
//! memory), plans tasks by asking connectors for their configs, and tells its
//! [`Worker`] what to run.

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::Result;
use connect_api::config::RawConfig;
use connect_api::context::{ConnectorContext, ConnectorEvent};
use connect_api::plugin::PluginKind;
use tokio::sync::{Mutex, mpsc};
use tracing::{info, warn};

use super::store::{ConfigBackingStore, FileConfigStore, MemoryConfigStore, StoredConnector};
use crate::config::worker::WorkerConfig;
use crate::offsets::{FileOffsetStore, MemoryOffsetStore, OffsetStore};
use crate::registry::PluginRegistry;
use crate::status::{StatusBackingStore, StatusBoard};
use crate::task::TargetState;
use crate::worker::Worker;

/// What the herder knows of one connector.
pub(crate) struct ConnectorState {
    /// Its config.
    pub(crate) config: RawConfig,
    /// Source or sink.
    pub(crate) kind: PluginKind,
    /// What the operator asked it to be.
    pub(crate) target: TargetState,
    /// Its tasks' configs, as the connector last gave them (empty while STOPPED or when
    /// it failed to start).
    pub(crate) task_configs: Vec<RawConfig>,
}

pub(crate) struct Inner {
    pub(crate) worker: Worker,
    pub(crate) store: Arc<dyn ConfigBackingStore>,
    pub(crate) status: Arc<dyn StatusBackingStore>,
    /// The connectors. Held only to read or change an entry, never across a connector's
    /// own code.
    pub(crate) connectors: Mutex<BTreeMap<String, ConnectorState>>,
    /// One lock per connector name, held across each of its lifecycle operations
    /// (create, reconfigure, pause, resume, stop, restart, delete, offsets) so they do
    /// not interleave; operations on other connectors and REST reads do not wait for it.
    pub(crate) ops: std::sync::Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
    pub(crate) events: mpsc::UnboundedSender<(String, ConnectorEvent)>,
}

/// The standalone herder; clones share it.
#[derive(Clone)]
pub struct StandaloneHerder {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for StandaloneHerder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandaloneHerder").field("worker", &self.inner.worker).finish()
    }
}

/// The standalone stores: source offsets in `offset.storage.file.filename` and connector
/// configs beside it (`<file>.connectors.json`), or both in memory when no file is set.
fn standalone_stores(
    config: &WorkerConfig,
) -> Result<(Arc<dyn OffsetStore>, Arc<dyn ConfigBackingStore>)> {
    Ok(match config.offset_file() {
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
    })
}

impl StandaloneHerder {
    /// Starts a standalone herder and its worker: Kafka clients (an embedded broker when
    /// no `bootstrap.servers` is given), the offsets file, the connector config store
    /// beside it, and every connector stored there. Connector configs in `initial` (the
    /// command line's connector files) are validated and stored first, replacing stored
    /// configs of the same name but keeping their target state, so each connector starts
    /// once.
    pub async fn start(
        config: WorkerConfig,
        registry: PluginRegistry,
        worker_id: String,
        initial: Vec<RawConfig>,
    ) -> Result<StandaloneHerder> {
        let (offsets, store) = standalone_stores(&config)?;
        let status: Arc<dyn StatusBackingStore> = Arc::new(StatusBoard::new());
        let worker =
            Worker::new(config, Arc::new(registry), worker_id, offsets, status.clone()).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let herder = StandaloneHerder {
            inner: Arc::new(Inner {
                worker,
                store,
                status,
                connectors: Mutex::new(BTreeMap::new()),
                ops: std::sync::Mutex::new(BTreeMap::new()),
                events: tx,
            }),
        };
        herder.spawn_event_loop(rx);
        let stored = herder.inner.store.all().await;
        for config in initial {
            let name = crate::config::connector::connector_name(&config)?;
            super::validation::check_config_for(
                herder.registry(),
                herder.worker().config(),
                &config,
            )
            .map_err(|e| e.context(format!("connector {name}")))?;
            let target_state = stored.get(&name).map_or(TargetState::Started, |s| s.target_state);
            herder.inner.store.put(&name, StoredConnector { config, target_state }).await?;
        }
        for (name, stored) in herder.inner.store.all().await {
            let _op = herder.op_lock(&name).await;
            if let Err(e) = herder.launch(&name, stored.config, stored.target_state).await {
                warn!(connector = %name, error = %e, "stored connector failed to start");
            }
        }
        Ok(herder)
    }

    /// The worker that runs this herder's connectors and tasks.
    pub fn worker(&self) -> &Worker {
        &self.inner.worker
    }

    /// The plugin registry.
    pub fn registry(&self) -> &PluginRegistry {
        self.inner.worker.registry()
    }

    /// The context connector `name` reports its events through.
    pub(crate) fn context(&self, name: &str) -> ConnectorContext {
        let events = self.inner.events.clone();
        let name = name.to_string();
        ConnectorContext::new(move |e| {
            let _ = events.send((name.clone(), e));
        })
    }

    /// Runs a lifecycle operation on its own task, so it runs to its end (and leaves the
    /// herder and worker consistent) even when the caller, say a REST request whose
    /// client went away, is dropped midway.
    pub(crate) async fn detached<T: Send + 'static>(
        &self,
        op: impl std::future::Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        tokio::spawn(op).await.map_err(|e| {
            connect_api::ConnectError::fatal(format!("connector operation failed: {e}"))
        })?
    }

    /// Takes the lifecycle lock of connector `name` (see `Inner::ops`).
    pub(crate) async fn op_lock(&self, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut ops = self.inner.ops.lock().unwrap_or_else(|p| p.into_inner());
            ops.entry(name.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Whether the herder's and the worker's tables can be taken within `within` (what
    /// `GET /health` reports). Neither is held across a connector's own code, so a
    /// connector stuck in `start` does not make this false.
    pub async fn answers_within(&self, within: std::time::Duration) -> bool {
        tokio::time::timeout(within, self.inner.connectors.lock()).await.is_ok()
            && self.inner.worker.answers_within(within).await
    }

    fn spawn_event_loop(&self, mut rx: mpsc::UnboundedReceiver<(String, ConnectorEvent)>) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            while let Some((name, event)) = rx.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                let herder = StandaloneHerder { inner };
                // On its own task: a connector busy in its own code (its lifecycle lock
                // taken) holds up nobody else's events.
                tokio::spawn(async move {
                    match event {
                        ConnectorEvent::TaskReconfigurationRequested => {
                            if let Err(e) = herder.reconfigure(&name).await {
                                warn!(connector = %name, error = %e, "task reconfiguration failed");
                            }
                        }
                        ConnectorEvent::ErrorRaised(e) => herder.fail_connector(&name, &e),
                    }
                });
            }
        });
    }

    /// Stops every connector and task gracefully, committing offsets. Connectors stop side
    /// by side, as Kafka's worker stops its tasks, so that one stuck connector costs the
    /// others nothing and the whole stop takes about `task.shutdown.graceful.timeout.ms`
    /// twice at most (once for a connector's own code, once for its tasks).
    pub async fn shutdown(&self) {
        let names: Vec<String> = self.inner.connectors.lock().await.keys().cloned().collect();
        let wait = self
            .inner
            .worker
            .config()
            .graceful_shutdown_timeout()
            .max(std::time::Duration::from_secs(1));
        let mut stopping = tokio::task::JoinSet::new();
        for name in names {
            let herder = self.clone();
            stopping.spawn(async move {
                // A connector stuck in its own start or stop keeps its lifecycle lock: do
                // not let it hold the whole worker's shutdown.
                let Ok(_op) = tokio::time::timeout(wait, herder.op_lock(&name)).await else {
                    warn!(connector = %name, "connector still busy in its own code after {wait:?}: stopping its tasks without it");
                    // Its tasks still stop and commit; the connector itself is left to
                    // its own code (a start or stop that never returns).
                    herder.inner.worker.stop_tasks(&name, None).await;
                    return;
                };
                if let Err(e) = herder.inner.worker.stop_connector(&name).await {
                    warn!(connector = %name, error = %e, "error while stopping connector");
                }
            });
        }
        while stopping.join_next().await.is_some() {}
        info!("worker stopped");
    }
}
