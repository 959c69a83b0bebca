//! What the REST API shows of the standalone herder's connectors: names, configs, infos,
//! task infos, statuses, active topics.

use connect_api::config::RawConfig;
use connect_api::plugin::PluginKind;
use connect_api::{ConnectError, Result};

use super::lifecycle::not_found;
use super::standalone::{ConnectorState, StandaloneHerder};
use crate::entities::{
    ConnectorInfo, ConnectorStateInfo, ConnectorTaskId, StateInfo, TaskInfo, TaskState,
};
use crate::status::State;
use crate::task::TargetState;

impl StandaloneHerder {
    /// Reads what the herder knows of connector `name`.
    async fn read<T>(&self, name: &str, f: impl FnOnce(&ConnectorState) -> T) -> Result<T> {
        let map = self.inner.connectors.lock().await;
        map.get(name).map(f).ok_or_else(|| not_found(name))
    }

    /// Names of every connector.
    pub async fn connector_names(&self) -> Vec<String> {
        self.inner.connectors.lock().await.keys().cloned().collect()
    }

    /// A connector's config as given (secrets included: for internal use).
    pub async fn connector_config(&self, name: &str) -> Result<RawConfig> {
        self.read(name, |c| c.config.clone()).await
    }

    /// A config with its secrets replaced by `[hidden]`.
    pub fn mask(&self, config: &RawConfig) -> RawConfig {
        super::validation::mask(self.registry(), config)
    }

    /// `GET /connectors/{name}`.
    pub async fn info(&self, name: &str) -> Result<ConnectorInfo> {
        self.read(name, |c| ConnectorInfo {
            name: name.to_string(),
            config: self.mask(&c.config),
            tasks: (0..c.task_configs.len() as u32)
                .map(|task| ConnectorTaskId { connector: name.to_string(), task })
                .collect(),
            kind: c.kind.as_str().to_string(),
        })
        .await
    }

    /// `GET /connectors/{name}/tasks`.
    pub async fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>> {
        self.read(name, |c| {
            c.task_configs
                .iter()
                .enumerate()
                .map(|(i, t)| TaskInfo {
                    id: ConnectorTaskId { connector: name.to_string(), task: i as u32 },
                    config: self.mask(t),
                })
                .collect()
        })
        .await
    }

    /// `GET /connectors/{name}/status`.
    pub async fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let (kind, version) =
            self.read(name, |c| (c.kind, plugin_version(self.registry(), &c.config))).await?;
        let unassigned = self.inner.worker.status_of(State::Unassigned, None);
        Ok(state_info(self.inner.status.as_ref(), name, kind, version, unassigned))
    }

    /// `GET /connectors/{name}/tasks/{id}/status`.
    pub async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let version = self.read(name, |c| plugin_version(self.registry(), &c.config)).await?;
        let s = self.inner.status.task(name, task).ok_or_else(|| {
            ConnectError::not_found(format!("No status found for task {name}-{task}"))
        })?;
        Ok(TaskState { id: task, state: s.state, worker_id: s.worker_id, version, trace: s.trace })
    }

    /// `GET /connectors/{name}/topics`: topics the connector used.
    pub async fn active_topics(&self, name: &str) -> Result<Vec<String>> {
        self.read(name, |_| ()).await?;
        let topics = self.inner.status.topics(name);
        Ok(crate::status::lock_topics(&topics).iter().cloned().collect())
    }

    /// `PUT /connectors/{name}/topics/reset`.
    pub async fn reset_active_topics(&self, name: &str) -> Result<()> {
        self.read(name, |_| ()).await?;
        self.inner.status.reset_topics(name);
        Ok(())
    }

    /// The connector's kind and target state.
    pub async fn kind_and_target(&self, name: &str) -> Result<(PluginKind, TargetState)> {
        self.read(name, |c| (c.kind, c.target)).await
    }
}

/// The version of the connector plugin `config` names.
pub(crate) fn plugin_version(
    registry: &crate::registry::PluginRegistry,
    config: &RawConfig,
) -> Option<String> {
    let class = config.get("connector.class")?;
    registry.connector(class).ok().map(|p| p.version().to_string())
}

/// A connector's status body from a status store: its state (`unassigned` when the store
/// has none) and its tasks'.
pub(crate) fn state_info(
    status: &dyn crate::status::StatusBackingStore,
    name: &str,
    kind: PluginKind,
    version: Option<String>,
    unassigned: crate::status::Status,
) -> ConnectorStateInfo {
    let c = status.connector(name).unwrap_or(unassigned);
    ConnectorStateInfo {
        name: name.to_string(),
        connector: StateInfo {
            state: c.state,
            worker_id: c.worker_id,
            version: version.clone(),
            trace: c.trace,
        },
        tasks: status
            .tasks(name)
            .into_iter()
            .map(|(id, s)| TaskState {
                id,
                state: s.state,
                worker_id: s.worker_id,
                version: version.clone(),
                trace: s.trace,
            })
            .collect(),
        kind: kind.as_str().to_string(),
    }
}
