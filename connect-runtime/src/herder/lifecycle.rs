//! Connector and task lifecycle: create, reconfigure, pause, resume, stop, restart,
//! delete. Checking configs is in `validation`, what the REST API shows in `views`.

use std::collections::BTreeMap;
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::context::ConnectorContext;
use connect_api::plugin::{PluginFactory, PluginKind};
use connect_api::{ConnectError, Result};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::info::{ConnectorInfo, ConnectorStateInfo};
use super::store::StoredConnector;
use crate::config::connector::{connector_name, tasks_max};
use crate::status::{State, Status};
use crate::task::sink::{SinkDriver, SinkEnv};
use crate::task::source::{SourceDriver, SourceEnv};
use crate::task::{Converters, TargetState, TaskId, TaskSetup};
use crate::worker::{Instance, Slot, TaskHandle, Worker};

pub(super) fn kind_name(kind: PluginKind) -> String {
    kind.as_str().to_string()
}

impl Worker {
    pub(crate) fn status_of(&self, state: State, trace: Option<String>) -> Status {
        Status { state, worker_id: self.inner.worker_id.clone(), trace }
    }

    /// Creates a connector, or replaces the config of an existing one when `replace`.
    /// Returns its info and whether it was created.
    pub async fn put_connector(
        &self,
        name: &str,
        config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        let (w, name) = (self.clone(), name.to_string());
        self.detached(async move { w.put_connector_op(&name, config, replace).await }).await
    }

    /// Creates a connector, or replaces the config of an existing one when `replace`.
    /// Returns its info and whether it was created.
    async fn put_connector_op(
        &self,
        name: &str,
        mut config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        config.insert("name".into(), name.to_string());
        self.check_config(&config)?;
        let _op = self.op_lock(name).await;
        let existing = {
            let map = self.inner.connectors.lock().await;
            map.get(name).map(|s| *s.target.borrow())
        };
        let created = existing.is_none();
        if !created && !replace {
            return Err(ConnectError::conflict(format!("Connector {name} already exists")));
        }
        if !created {
            self.halt(name, true).await?;
        }
        let target = existing.unwrap_or(TargetState::Started);
        self.inner
            .store
            .put(name, StoredConnector { config: config.clone(), target_state: target })
            .await?;
        self.launch(name.to_string(), config, target).await?;
        Ok((self.info(name).await?, created))
    }

    /// Creates a connector from a config that names itself (`name` key).
    pub async fn create_connector(&self, config: RawConfig) -> Result<ConnectorInfo> {
        let name = connector_name(&config)?;
        Ok(self.put_connector(&name, config, false).await?.0)
    }

    /// Instantiates and starts a connector and its tasks in the given target state.
    pub(crate) async fn launch(
        &self,
        name: String,
        config: RawConfig,
        target: TargetState,
    ) -> Result<()> {
        let (kind, instance) = self.instantiate(&config)?;
        let (tx, _) = watch::channel(target);
        let slot = Slot {
            config: config.clone(),
            kind,
            instance: Some(instance),
            target: tx,
            task_configs: Vec::new(),
            tasks: BTreeMap::new(),
            topics: Default::default(),
        };
        self.inner.connectors.lock().await.insert(name.clone(), slot);
        if target == TargetState::Stopped {
            self.inner.status.set_connector(&name, self.status_of(State::Stopped, None));
            return Ok(());
        }
        self.start_connector(&name).await
    }

    /// A new instance of the connector class `config` names.
    fn instantiate(&self, config: &RawConfig) -> Result<(PluginKind, Instance)> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let plugin = self.inner.registry.connector(&class)?;
        let instance = match plugin.factory() {
            PluginFactory::Source(make) => Instance::Source(make()),
            PluginFactory::Sink(make) => Instance::Sink(make()),
            _ => return Err(ConnectError::not_found(format!("{class} is not a connector"))),
        };
        Ok((plugin.kind(), instance))
    }

    async fn start_connector(&self, name: &str) -> Result<()> {
        // The instance leaves its slot while it starts: the table stays free meanwhile.
        let (mut instance, config, target) = {
            let mut map = self.inner.connectors.lock().await;
            let Some(slot) = map.get_mut(name) else {
                return Err(ConnectError::not_found(format!("Connector {name} not found")));
            };
            let Some(instance) = slot.instance.take() else {
                return Err(ConnectError::fatal("connector instance missing"));
            };
            (instance, slot.config.clone(), *slot.target.borrow())
        };
        let started = self.start_instance(name, &mut instance, &config, target).await;
        let mut map = self.inner.connectors.lock().await;
        let Some(slot) = map.get_mut(name) else {
            return Err(ConnectError::not_found(format!("Connector {name} not found")));
        };
        slot.instance = Some(instance);
        let Some(task_configs) = started? else {
            return Ok(());
        };
        slot.task_configs = task_configs;
        for i in 0..slot.task_configs.len() as u32 {
            self.start_task(name, slot, i)?;
        }
        Ok(())
    }

    /// Starts a connector instance (taken out of its slot) and asks it for its task
    /// configs (at most `tasks.max`); `None` when it failed to start (its status then says
    /// why).
    async fn start_instance(
        &self,
        name: &str,
        instance: &mut Instance,
        config: &RawConfig,
        target: TargetState,
    ) -> Result<Option<Vec<RawConfig>>> {
        let events = self.inner.events.clone();
        let n = name.to_string();
        let ctx = ConnectorContext::new(move |e| {
            let _ = events.send((n.clone(), e));
        });
        let max = tasks_max(config)?;
        let started = match instance {
            Instance::Source(c) => match c.start(ctx, config.clone()).await {
                Ok(()) => c.task_configs(max).await,
                Err(e) => Err(e),
            },
            Instance::Sink(c) => match c.start(ctx, config.clone()).await {
                Ok(()) => c.task_configs(max).await,
                Err(e) => Err(e),
            },
        };
        let task_configs = match started {
            Ok(t) => t,
            Err(e) => {
                warn!(connector = %name, error = %e.trace(), "connector failed to start");
                self.inner
                    .status
                    .set_connector(name, self.status_of(State::Failed, Some(e.trace())));
                return Ok(None);
            }
        };
        let state = if target == TargetState::Paused { State::Paused } else { State::Running };
        self.inner.status.set_connector(name, self.status_of(state, None));
        info!(connector = %name, tasks = task_configs.len(), "connector started");
        Ok(Some(task_configs.into_iter().take(max).collect()))
    }

    /// Restarts the connector instance alone, as Kafka's plain restart does: its tasks keep
    /// running, unless the new instance gives other task configs (then they are replaced).
    async fn restart_instance(&self, name: &str) -> Result<()> {
        let old = {
            let mut map = self.inner.connectors.lock().await;
            let slot = map
                .get_mut(name)
                .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
            if *slot.target.borrow() == TargetState::Stopped {
                return Ok(());
            }
            slot.instance.take()
        };
        self.inner.status.set_connector(name, self.status_of(State::Restarting, None));
        let stopped = match old {
            Some(Instance::Source(mut c)) => c.stop().await,
            Some(Instance::Sink(mut c)) => c.stop().await,
            None => Ok(()),
        };
        if let Err(e) = stopped {
            warn!(connector = %name, error = %e, "error while stopping the connector to restart it");
        }
        let (mut instance, config, target) = {
            let map = self.inner.connectors.lock().await;
            let slot = map
                .get(name)
                .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
            (self.instantiate(&slot.config)?.1, slot.config.clone(), *slot.target.borrow())
        };
        let started = self.start_instance(name, &mut instance, &config, target).await;
        let stale = {
            let mut map = self.inner.connectors.lock().await;
            let slot = map
                .get_mut(name)
                .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
            slot.instance = Some(instance);
            match started? {
                Some(configs) if configs != slot.task_configs => {
                    slot.task_configs = configs;
                    std::mem::take(&mut slot.tasks)
                }
                _ => return Ok(()),
            }
        };
        info!(connector = %name, "the restarted connector gave new task configs: restarting its tasks");
        self.replace_tasks(name, stale).await
    }

    fn start_task(&self, name: &str, slot: &mut Slot, index: u32) -> Result<()> {
        let id = TaskId { connector: name.to_string(), task: index };
        let task_config = slot.task_configs.get(index as usize).cloned().unwrap_or_default();
        let cancel = CancellationToken::new();
        self.inner.status.set_task(name, index, self.status_of(State::Unassigned, None));
        let started = (|| -> Result<tokio::task::JoinHandle<()>> {
            let converters =
                Converters::build(&self.inner.registry, &self.inner.config, &slot.config)?;
            let setup = TaskSetup {
                id: id.clone(),
                task_config,
                connector_config: slot.config.clone(),
                converters,
                plugins: self.inner.registry.clone(),
                state: slot.target.subscribe(),
                cancel: cancel.clone(),
            };
            match slot.instance.as_ref() {
                Some(Instance::Source(c)) => {
                    let env = SourceEnv {
                        worker_id: self.inner.worker_id.clone(),
                        status: self.inner.status.clone(),
                        kafka: self.inner.kafka.clone(),
                        offsets: self.inner.offsets.clone(),
                        flush_interval: self.inner.config.offset_flush_interval(),
                        flush_timeout: self.inner.config.offset_flush_timeout(),
                        active_topics: slot.topics.clone(),
                        end_of_input: self.inner.end_of_input.clone(),
                    };
                    let driver = SourceDriver::new(c.create_task(), setup, env)?;
                    Ok(tokio::spawn(driver.run()))
                }
                Some(Instance::Sink(c)) => {
                    let env = SinkEnv {
                        worker_id: self.inner.worker_id.clone(),
                        status: self.inner.status.clone(),
                        kafka: self.inner.kafka.clone(),
                        commit_interval: self.inner.config.offset_flush_interval(),
                        active_topics: slot.topics.clone(),
                    };
                    let driver = SinkDriver::new(c.create_task(), setup, env)?;
                    Ok(tokio::spawn(driver.run()))
                }
                None => Err(ConnectError::fatal("connector instance missing")),
            }
        })();
        match started {
            Ok(join) => {
                slot.tasks.insert(index, TaskHandle { cancel, join });
            }
            Err(e) => {
                warn!(task = %id, error = %e.trace(), "task failed to start");
                self.inner.status.set_task(
                    name,
                    index,
                    self.status_of(State::Failed, Some(e.trace())),
                );
            }
        }
        Ok(())
    }

    async fn stop_tasks(&self, name: &str, tasks: BTreeMap<u32, TaskHandle>) {
        let timeout = self.inner.config.graceful_shutdown_timeout().max(Duration::from_millis(100));
        for handle in tasks.values() {
            handle.cancel.cancel();
        }
        for (i, handle) in tasks {
            let abort = handle.join.abort_handle();
            if tokio::time::timeout(timeout, handle.join).await.is_err() {
                warn!(connector = %name, task = i, "task did not stop in time; abandoning it");
                abort.abort();
            }
        }
    }

    /// Stops a connector's tasks and the connector; `remove` forgets it entirely.
    pub(crate) async fn halt(&self, name: &str, remove: bool) -> Result<()> {
        let (tasks, instance) = {
            let mut map = self.inner.connectors.lock().await;
            let Some(slot) = map.get_mut(name) else {
                return Err(ConnectError::not_found(format!("Connector {name} not found")));
            };
            let tasks = std::mem::take(&mut slot.tasks);
            let instance = if remove { map.remove(name).and_then(|s| s.instance) } else { None };
            (tasks, instance)
        };
        self.stop_tasks(name, tasks).await;
        let stopped = match instance {
            Some(Instance::Source(mut c)) => c.stop().await,
            Some(Instance::Sink(mut c)) => c.stop().await,
            None => {
                // Kept (a stopped connector keeps its slot): out of the slot while it stops.
                let kept = self
                    .inner
                    .connectors
                    .lock()
                    .await
                    .get_mut(name)
                    .and_then(|s| s.instance.take());
                let Some(mut kept) = kept else { return Ok(()) };
                let stopped = match &mut kept {
                    Instance::Source(c) => c.stop().await,
                    Instance::Sink(c) => c.stop().await,
                };
                if let Some(slot) = self.inner.connectors.lock().await.get_mut(name) {
                    slot.instance.get_or_insert(kept);
                }
                stopped
            }
        };
        if remove {
            self.inner.status.remove_connector(name);
        }
        stopped
    }

    /// Asks the connector for task configs again and restarts the tasks if they changed.
    pub async fn reconfigure(&self, name: &str) -> Result<()> {
        let (w, name) = (self.clone(), name.to_string());
        self.detached(async move { w.reconfigure_op(&name).await }).await
    }

    /// Asks the connector for task configs again and restarts the tasks if they changed.
    async fn reconfigure_op(&self, name: &str) -> Result<()> {
        let _op = self.op_lock(name).await;
        let (mut instance, max) = {
            let mut map = self.inner.connectors.lock().await;
            let Some(slot) = map.get_mut(name) else { return Ok(()) };
            if *slot.target.borrow() == TargetState::Stopped {
                return Ok(());
            }
            let max = tasks_max(&slot.config)?;
            let Some(instance) = slot.instance.take() else { return Ok(()) };
            (instance, max)
        };
        let asked = match &mut instance {
            Instance::Source(c) => c.task_configs(max).await,
            Instance::Sink(c) => c.task_configs(max).await,
        };
        let old_tasks = {
            let mut map = self.inner.connectors.lock().await;
            let Some(slot) = map.get_mut(name) else { return Ok(()) };
            slot.instance = Some(instance);
            let new: Vec<RawConfig> = asked?.into_iter().take(max).collect();
            if new == slot.task_configs {
                return Ok(());
            }
            info!(connector = %name, tasks = new.len(), "task configs changed; restarting tasks");
            slot.task_configs = new;
            std::mem::take(&mut slot.tasks)
        };
        self.replace_tasks(name, old_tasks).await
    }

    /// Stops `old` tasks of `name`, forgets the statuses of task numbers beyond the new
    /// plan and starts the tasks of its (already updated) task configs.
    async fn replace_tasks(&self, name: &str, old: BTreeMap<u32, TaskHandle>) -> Result<()> {
        self.stop_tasks(name, old).await;
        let mut map = self.inner.connectors.lock().await;
        if let Some(slot) = map.get_mut(name) {
            self.inner.status.remove_tasks_from(name, slot.task_configs.len() as u32);
            for i in 0..slot.task_configs.len() as u32 {
                self.start_task(name, slot, i)?;
            }
        }
        Ok(())
    }

    pub(crate) async fn fail_connector(&self, name: &str, error: &ConnectError) {
        warn!(connector = %name, error = %error.trace(), "connector raised an error");
        self.inner.status.set_connector(name, self.status_of(State::Failed, Some(error.trace())));
    }

    /// Deletes a connector: stops it and forgets its config.
    pub async fn delete_connector(&self, name: &str) -> Result<()> {
        let (w, name) = (self.clone(), name.to_string());
        self.detached(async move { w.delete_connector_op(&name).await }).await
    }

    /// Deletes a connector: stops it and forgets its config.
    async fn delete_connector_op(&self, name: &str) -> Result<()> {
        let _op = self.op_lock(name).await;
        self.halt(name, true).await?;
        self.inner.store.remove(name).await?;
        info!(connector = %name, "connector deleted");
        Ok(())
    }

    /// Sets a connector's target state (`pause`, `resume`, `stop`).
    pub async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        let (w, name) = (self.clone(), name.to_string());
        self.detached(async move { w.set_target_state_op(&name, target).await }).await
    }

    /// Sets a connector's target state (`pause`, `resume`, `stop`).
    async fn set_target_state_op(&self, name: &str, target: TargetState) -> Result<()> {
        let _op = self.op_lock(name).await;
        let (previous, config) = {
            let map = self.inner.connectors.lock().await;
            let slot = map
                .get(name)
                .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
            (*slot.target.borrow(), slot.config.clone())
        };
        if previous == target {
            return Ok(());
        }
        self.inner
            .store
            .put(name, StoredConnector { config: config.clone(), target_state: target })
            .await?;
        match (previous, target) {
            (_, TargetState::Stopped) => {
                self.halt(name, false).await?;
                let mut map = self.inner.connectors.lock().await;
                if let Some(slot) = map.get_mut(name) {
                    slot.target.send_replace(target);
                    slot.task_configs.clear();
                }
                self.inner.status.remove_tasks_from(name, 0);
                self.inner.status.set_connector(name, self.status_of(State::Stopped, None));
            }
            (TargetState::Stopped, _) => {
                self.halt(name, true).await?;
                self.launch(name.to_string(), config, target).await?;
            }
            _ => {
                let map = self.inner.connectors.lock().await;
                if let Some(slot) = map.get(name) {
                    slot.target.send_replace(target);
                }
                let state =
                    if target == TargetState::Paused { State::Paused } else { State::Running };
                if self.inner.status.connector(name).map(|s| s.state) != Some(State::Failed) {
                    self.inner.status.set_connector(name, self.status_of(state, None));
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
        let (w, name) = (self.clone(), name.to_string());
        self.detached(
            async move { w.restart_connector_op(&name, include_tasks, only_failed).await },
        )
        .await
    }

    /// Restarts a connector and, with `include_tasks`, its tasks; with `only_failed`,
    /// only the failed ones. Returns the status with RESTARTING marks when tasks are
    /// involved (Kafka's 202 body), `None` for a plain connector restart (204).
    async fn restart_connector_op(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        let _op = self.op_lock(name).await;
        let config = self.connector_config(name).await?;
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
            if restart_connector {
                self.restart_instance(name).await?;
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
            self.restart_whole(name, config).await?;
        } else {
            for t in failed_tasks {
                self.restart_task_locked(name, t).await?;
            }
        }
        Ok(Some(status))
    }

    async fn restart_whole(&self, name: &str, config: RawConfig) -> Result<()> {
        let target = {
            let map = self.inner.connectors.lock().await;
            map.get(name).map(|s| *s.target.borrow()).unwrap_or(TargetState::Started)
        };
        self.inner.status.set_connector(name, self.status_of(State::Restarting, None));
        self.halt(name, true).await?;
        self.launch(name.to_string(), config, target).await
    }

    /// Restarts one task.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let (w, name) = (self.clone(), name.to_string());
        self.detached(async move { w.restart_task_op(&name, task).await }).await
    }

    /// Restarts one task.
    async fn restart_task_op(&self, name: &str, task: u32) -> Result<()> {
        let _op = self.op_lock(name).await;
        self.restart_task_locked(name, task).await
    }

    /// [`restart_task`](Self::restart_task) under the connector's lifecycle lock.
    async fn restart_task_locked(&self, name: &str, task: u32) -> Result<()> {
        let old = {
            let mut map = self.inner.connectors.lock().await;
            let slot = map
                .get_mut(name)
                .ok_or_else(|| ConnectError::not_found(format!("Connector {name} not found")))?;
            if task as usize >= slot.task_configs.len() {
                return Err(ConnectError::not_found(format!("Task {name}-{task} not found")));
            }
            slot.tasks.remove(&task)
        };
        if let Some(h) = old {
            self.stop_tasks(name, BTreeMap::from([(task, h)])).await;
        }
        let mut map = self.inner.connectors.lock().await;
        if let Some(slot) = map.get_mut(name) {
            self.start_task(name, slot, task)?;
        }
        Ok(())
    }
}
