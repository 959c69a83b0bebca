//! The standalone herder's connector lifecycle: create, reconfigure, pause, resume, stop,
//! restart, delete. It decides and stores; its worker runs. Checking configs is in
//! `validation`, what the REST API shows in `views`.

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use tracing::{info, warn};

use super::standalone::{ConnectorState, StandaloneHerder};
use super::store::StoredConnector;
use crate::config::connector::{connector_name, tasks_max};
use crate::entities::{ConnectorInfo, ConnectorStateInfo};
use crate::status::State;
use crate::task::TargetState;

pub(super) fn not_found(name: &str) -> ConnectError {
    ConnectError::not_found(format!("Connector {name} not found"))
}

impl StandaloneHerder {
    /// Creates a connector, or replaces the config of an existing one when `replace`.
    /// Returns its info and whether it was created.
    pub async fn put_connector(
        &self,
        name: &str,
        config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move { h.put_connector_op(&name, config, replace, None).await }).await
    }

    /// Creates a connector in target state `initial` (KIP-980's `initial_state`): a
    /// PAUSED one starts paused, a STOPPED one runs nothing until resumed. Fails when it
    /// exists.
    pub async fn create_connector_in_state(
        &self,
        name: &str,
        config: RawConfig,
        initial: TargetState,
    ) -> Result<ConnectorInfo> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move { h.put_connector_op(&name, config, false, Some(initial)).await })
            .await
            .map(|(info, _)| info)
    }

    /// Creates or replaces (`replace`) a connector; a new one gets target state
    /// `initial` (STARTED when `None`), a replaced one keeps its own.
    async fn put_connector_op(
        &self,
        name: &str,
        mut config: RawConfig,
        replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(ConnectorInfo, bool)> {
        config.insert("name".into(), name.to_string());
        super::validation::check_config_for(self.registry(), self.inner.worker.config(), &config)?;
        let _op = self.op_lock(name).await;
        let existing = self.inner.connectors.lock().await.get(name).map(|c| c.target);
        let created = existing.is_none();
        if !created && !replace {
            return Err(ConnectError::conflict(format!("Connector {name} already exists")));
        }
        if !created {
            self.inner.worker.stop_connector(name).await?;
        }
        let target = existing.or(initial).unwrap_or(TargetState::Started);
        self.inner
            .store
            .put(name, StoredConnector { config: config.clone(), target_state: target })
            .await?;
        self.launch(name, config, target).await?;
        Ok((self.info(name).await?, created))
    }

    /// Creates a connector from a config that names itself (`name` key).
    pub async fn create_connector(&self, config: RawConfig) -> Result<ConnectorInfo> {
        let name = connector_name(&config)?;
        Ok(self.put_connector(&name, config, false).await?.0)
    }

    /// Records connector `name` with `config` in state `target` and, unless STOPPED,
    /// has the worker run it and its tasks.
    pub(super) async fn launch(
        &self,
        name: &str,
        config: RawConfig,
        target: TargetState,
    ) -> Result<()> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let kind = self.registry().connector(&class)?.kind();
        let state = ConnectorState { config, kind, target, task_configs: Vec::new() };
        self.inner.connectors.lock().await.insert(name.to_string(), state);
        if target == TargetState::Stopped {
            self.inner
                .status
                .set_connector(name, self.inner.worker.status_of(State::Stopped, None));
            return Ok(());
        }
        self.run(name).await
    }

    /// Has the worker start connector `name` as recorded, asks it for its task configs
    /// and starts its tasks.
    async fn run(&self, name: &str) -> Result<()> {
        let (config, target) = {
            let map = self.inner.connectors.lock().await;
            let c = map.get(name).ok_or_else(|| not_found(name))?;
            (c.config.clone(), c.target)
        };
        let max = tasks_max(&config)?;
        let worker = &self.inner.worker;
        if !worker.start_connector(name, config, target, self.context(name)).await? {
            return Ok(());
        }
        self.plan_tasks(name, max, true).await
    }

    /// Asks running connector `name` for its task configs; when they differ from the
    /// recorded ones (or `fresh`: none run yet) records them and (re)starts its tasks. A
    /// connector that cannot give them is FAILED.
    async fn plan_tasks(&self, name: &str, max: usize, fresh: bool) -> Result<()> {
        let configs = match self.inner.worker.connector_task_configs(name, max).await {
            Ok(c) => c,
            Err(e) => {
                warn!(connector = %name, error = %e.trace(), "connector failed to give task configs");
                let failed = self.inner.worker.status_of(State::Failed, Some(e.trace()));
                self.inner.status.set_connector(name, failed);
                return Ok(());
            }
        };
        {
            let mut map = self.inner.connectors.lock().await;
            let Some(c) = map.get_mut(name) else { return Ok(()) };
            if !fresh && c.task_configs == configs {
                return Ok(());
            }
            c.task_configs = configs.clone();
        }
        if fresh {
            info!(connector = %name, tasks = configs.len(), "connector started");
        } else {
            info!(connector = %name, tasks = configs.len(), "task configs changed; restarting tasks");
            self.inner.worker.stop_tasks(name, None).await;
        }
        self.inner.status.remove_tasks_from(name, configs.len() as u32);
        for (i, task_config) in configs.into_iter().enumerate() {
            self.inner.worker.start_task(name, i as u32, task_config).await?;
        }
        Ok(())
    }

    /// Asks the connector for task configs again and restarts the tasks if they changed.
    pub async fn reconfigure(&self, name: &str) -> Result<()> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move { h.reconfigure_op(&name).await }).await
    }

    async fn reconfigure_op(&self, name: &str) -> Result<()> {
        let _op = self.op_lock(name).await;
        let config = {
            let map = self.inner.connectors.lock().await;
            match map.get(name) {
                Some(c) if c.target != TargetState::Stopped => c.config.clone(),
                _ => return Ok(()),
            }
        };
        self.plan_tasks(name, tasks_max(&config)?, false).await
    }

    pub(super) fn fail_connector(&self, name: &str, error: &ConnectError) {
        warn!(connector = %name, error = %error.trace(), "connector raised an error");
        let failed = self.inner.worker.status_of(State::Failed, Some(error.trace()));
        self.inner.status.set_connector(name, failed);
    }

    /// Deletes a connector: stops it and forgets its config.
    pub async fn delete_connector(&self, name: &str) -> Result<()> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move { h.delete_connector_op(&name).await }).await
    }

    async fn delete_connector_op(&self, name: &str) -> Result<()> {
        let _op = self.op_lock(name).await;
        if !self.inner.connectors.lock().await.contains_key(name) {
            return Err(not_found(name));
        }
        let stopped = self.inner.worker.stop_connector(name).await;
        self.inner.connectors.lock().await.remove(name);
        self.inner.status.remove_connector(name);
        self.inner.store.remove(name).await?;
        info!(connector = %name, "connector deleted");
        stopped
    }

    /// Sets a connector's target state (`pause`, `resume`, `stop`).
    pub async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move { h.set_target_state_op(&name, target).await }).await
    }

    async fn set_target_state_op(&self, name: &str, target: TargetState) -> Result<()> {
        let _op = self.op_lock(name).await;
        let (previous, config) = {
            let map = self.inner.connectors.lock().await;
            let c = map.get(name).ok_or_else(|| not_found(name))?;
            (c.target, c.config.clone())
        };
        if previous == target {
            return Ok(());
        }
        self.inner.store.put(name, StoredConnector { config, target_state: target }).await?;
        if let Some(c) = self.inner.connectors.lock().await.get_mut(name) {
            c.target = target;
            if target == TargetState::Stopped {
                c.task_configs.clear();
            }
        }
        let worker = &self.inner.worker;
        match (previous, target) {
            (_, TargetState::Stopped) => {
                worker.stop_connector(name).await?;
                self.inner.status.remove_tasks_from(name, 0);
                self.inner.status.set_connector(name, worker.status_of(State::Stopped, None));
            }
            (TargetState::Stopped, _) => self.run(name).await?,
            _ => {
                worker.set_target_state(name, target).await?;
                let state =
                    if target == TargetState::Paused { State::Paused } else { State::Running };
                if self.inner.status.connector(name).map(|s| s.state) != Some(State::Failed) {
                    self.inner.status.set_connector(name, worker.status_of(state, None));
                }
            }
        }
        Ok(())
    }

    /// Restarts a connector and, with `include_tasks`, its tasks; with `only_failed`,
    /// only the failed ones. Returns the status with RESTARTING marks when tasks are
    /// involved (Kafka's 202 body), `None` for a plain connector restart (204).
    pub async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(
            async move { h.restart_connector_op(&name, include_tasks, only_failed).await },
        )
        .await
    }

    async fn restart_connector_op(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        let _op = self.op_lock(name).await;
        let (target, config) = {
            let map = self.inner.connectors.lock().await;
            let c = map.get(name).ok_or_else(|| not_found(name))?;
            (c.target, c.config.clone())
        };
        let connector_failed =
            self.inner.status.connector(name).map(|s| s.state) == Some(State::Failed);
        let failed_tasks: Vec<u32> = self
            .inner
            .status
            .tasks(name)
            .into_iter()
            .filter(|(_, s)| s.state == State::Failed)
            .map(|(i, _)| i)
            .collect();
        let restart_connector = !only_failed || connector_failed;
        if !include_tasks {
            if restart_connector && target != TargetState::Stopped {
                // Kafka's plain restart: the connector alone; its tasks are replaced only
                // when the new instance gives other task configs.
                if self.inner.worker.restart_connector(name, self.context(name)).await? {
                    self.plan_tasks(name, tasks_max(&config)?, false).await?;
                }
            }
            return Ok(None);
        }
        let mut status = self.status(name).await?;
        if restart_connector {
            status.connector.state = State::Restarting;
        }
        for t in &mut status.tasks {
            if !only_failed || failed_tasks.contains(&t.id) {
                t.state = State::Restarting;
            }
        }
        if restart_connector {
            let restarting = self.inner.worker.status_of(State::Restarting, None);
            self.inner.status.set_connector(name, restarting);
            self.inner.worker.stop_connector(name).await?;
            self.launch(name, config, target).await?;
        } else {
            for t in failed_tasks {
                self.restart_task_locked(name, t).await?;
            }
        }
        Ok(Some(status))
    }

    /// Restarts one task.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move {
            let _op = h.op_lock(&name).await;
            h.restart_task_locked(&name, task).await
        })
        .await
    }

    /// [`restart_task`](Self::restart_task) under the connector's lifecycle lock.
    async fn restart_task_locked(&self, name: &str, task: u32) -> Result<()> {
        let task_config = {
            let map = self.inner.connectors.lock().await;
            let c = map.get(name).ok_or_else(|| not_found(name))?;
            c.task_configs
                .get(task as usize)
                .cloned()
                .ok_or_else(|| ConnectError::not_found(format!("Task {name}-{task} not found")))?
        };
        self.inner.worker.stop_tasks(name, Some(&[task])).await;
        self.inner.worker.start_task(name, task, task_config).await
    }
}
