//! What the REST API shows of connectors: names, configs, infos, task infos, statuses,
//! active topics.

use connect_api::config::RawConfig;
use connect_api::plugin::PluginKind;
use connect_api::{ConnectError, Result};

use super::info::{
    ConnectorInfo, ConnectorStateInfo, ConnectorTaskId, StateInfo, TaskInfo, TaskState,
};
use super::lifecycle::kind_name;
use crate::status::State;
use crate::task::TargetState;
use crate::worker::Worker;

impl Worker {
    /// Names of every connector.
    pub async fn connector_names(&self) -> Vec<String> {
        self.inner.connectors.lock().await.keys().cloned().collect()
    }

    /// A connector's config as given (secrets included: for internal use).
    pub async fn connector_config(&self, name: &str) -> Result<RawConfig> {
        let map = self.inner.connectors.lock().await;
        map.get(name)
            .map(|s| s.config.clone())
            .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))
    }

    /// `GET /connectors/{name}`.
    pub async fn info(&self, name: &str) -> Result<ConnectorInfo> {
        let map = self.inner.connectors.lock().await;
        let slot = map
            .get(name)
            .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
        Ok(ConnectorInfo {
            name: name.to_string(),
            config: self.mask(&slot.config),
            tasks: (0..slot.task_configs.len() as u32)
                .map(|task| ConnectorTaskId { connector: name.to_string(), task })
                .collect(),
            kind: kind_name(slot.kind),
        })
    }

    /// `GET /connectors/{name}/tasks`.
    pub async fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let map = self.inner.connectors.lock().await;
        let slot = map
            .get(name)
            .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
        Ok(slot
            .task_configs
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId { connector: name.to_string(), task: i as u32 },
                config: self.mask(c),
            })
            .collect())
    }

    /// `GET /connectors/{name}/status`.
    pub async fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let (kind, version) = {
            let map = self.inner.connectors.lock().await;
            let slot = map
                .get(name)
                .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
            (kind_name(slot.kind), self.plugin_version(&slot.config))
        };
        let c = self
            .inner
            .status
            .connector(name)
            .unwrap_or_else(|| self.status_of(State::Unassigned, None));
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector: StateInfo {
                state: c.state,
                worker_id: c.worker_id,
                version: version.clone(),
                trace: c.trace,
            },
            tasks: self
                .inner
                .status
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
            kind,
        })
    }

    /// `GET /connectors/{name}/tasks/{id}/status`.
    pub async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let config = self.connector_config(name).await?;
        let s = self.inner.status.task(name, task).ok_or_else(|| {
            ConnectError::not_found(format!("No status found for task {name}-{task}"))
        })?;
        Ok(TaskState {
            id: task,
            state: s.state,
            worker_id: s.worker_id,
            version: self.plugin_version(&config),
            trace: s.trace,
        })
    }

    /// The version of the connector plugin `config` names.
    fn plugin_version(&self, config: &RawConfig) -> Option<String> {
        let class = config.get("connector.class")?;
        self.inner.registry.connector(class).ok().map(|p| p.version().to_string())
    }

    /// `GET /connectors/{name}/topics`: topics the connector used.
    pub async fn active_topics(&self, name: &str) -> Result<Vec<String>> {
        let map = self.inner.connectors.lock().await;
        let slot = map
            .get(name)
            .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
        Ok(crate::task::lock_topics(&slot.topics).iter().cloned().collect())
    }

    /// `PUT /connectors/{name}/topics/reset`.
    pub async fn reset_active_topics(&self, name: &str) -> Result<()> {
        let map = self.inner.connectors.lock().await;
        let slot = map
            .get(name)
            .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
        crate::task::lock_topics(&slot.topics).clear();
        Ok(())
    }

    /// The connector's kind and target state.
    pub async fn kind_and_target(&self, name: &str) -> Result<(PluginKind, TargetState)> {
        let map = self.inner.connectors.lock().await;
        let slot = map
            .get(name)
            .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
        Ok((slot.kind, *slot.target.borrow()))
    }
}
