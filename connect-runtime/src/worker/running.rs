//! Running what the herder asks: connector instances (start, task configs, restart, stop)
//! and their tasks (start, stop), and passing target-state changes to them.

use std::collections::BTreeMap;
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::context::ConnectorContext;
use connect_api::plugin::PluginFactory;
use connect_api::{ConnectError, Result};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::{Instance, Running, TaskHandle, Worker};
use crate::config::providers::reverse_transform;
use crate::metrics::TaskKind;
use crate::status::State;
use crate::task::sink::{SinkDriver, SinkEnv};
use crate::task::source::{SourceDriver, SourceEnv};
use crate::task::{Converters, TargetState, TaskId, TaskSetup};

fn not_running(name: &str) -> ConnectError {
    ConnectError::not_found(format!("Connector {name} is not running on this worker"))
}

impl Worker {
    /// Stops connector `name`'s instance, giving its `stop` the graceful shutdown timeout
    /// (`task.shutdown.graceful.timeout.ms`); a `stop` that takes longer is abandoned (its
    /// future dropped with the instance) and logged, so a connector stuck in its own
    /// `stop` holds up no delete, restart or shutdown for longer.
    async fn stop_instance(&self, name: &str, instance: &mut Instance) -> Result<()> {
        let timeout = self.inner.config.graceful_shutdown_timeout().max(Duration::from_millis(100));
        let stop = async {
            match instance {
                Instance::Source(c) => c.stop().await,
                Instance::Sink(c) => c.stop().await,
            }
        };
        tokio::time::timeout(timeout, stop).await.unwrap_or_else(|_| {
            warn!(connector = %name, timeout_ms = timeout.as_millis() as u64, "connector did not stop in time; abandoning it");
            Ok(())
        })
    }

    /// A new instance of the connector class `config` names.
    fn instantiate(&self, config: &RawConfig) -> Result<Instance> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        match self.inner.registry.connector(&class)?.factory() {
            PluginFactory::Source(make) => Ok(Instance::Source(make())),
            PluginFactory::Sink(make) => Ok(Instance::Sink(make())),
            _ => Err(ConnectError::not_found(format!("{class} is not a connector"))),
        }
    }

    /// Starts connector `name` from `config` in state `target` (its tasks are started
    /// apart, with [`start_task`](Self::start_task)). Returns whether it started; when
    /// its own `start` failed, its status says why and it stays here, FAILED, until
    /// stopped or restarted.
    pub async fn start_connector(
        &self,
        name: &str,
        config: RawConfig,
        target: TargetState,
        ctx: ConnectorContext,
    ) -> Result<bool> {
        let instance = self.instantiate(&config).inspect_err(|_| {
            self.inner.metrics.connector_startups.record(false);
        })?;
        let generation = {
            let mut running = self.inner.running.lock().await;
            let generation =
                self.inner.generations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match running.get_mut(name) {
                Some(r) if r.connector_here => {
                    return Err(ConnectError::conflict(format!(
                        "Connector {name} is already running on this worker"
                    )));
                }
                // Tasks of it run here already (distributed mode): the connector joins them.
                Some(r) => {
                    r.connector_here = true;
                    r.generation = generation;
                }
                None => {
                    let (tx, _) = watch::channel(target);
                    running.insert(
                        name.to_string(),
                        Running {
                            config: config.clone(),
                            instance: None,
                            connector_here: true,
                            generation,
                            target: tx,
                            tasks: BTreeMap::new(),
                        },
                    );
                }
            }
            generation
        };
        self.run_start(name, instance, generation, config, target, ctx).await
    }

    /// Starts `instance` (out of its slot), sets the connector's status and puts the
    /// instance back, unless its slot went or was replaced meanwhile: then it is stopped.
    async fn run_start(
        &self,
        name: &str,
        mut instance: Instance,
        generation: u64,
        config: RawConfig,
        target: TargetState,
        ctx: ConnectorContext,
    ) -> Result<bool> {
        // Variables (`${file:…}`) are resolved now, at use: the herder keeps them as given.
        let started = match self.inner.config.config_providers().resolve(&config) {
            Err(e) => Err(e.context(format!("Connector {name} cannot start"))),
            Ok(resolved) => match &mut instance {
                Instance::Source(c) => c.start(ctx, resolved).await,
                Instance::Sink(c) => c.start(ctx, resolved).await,
            },
        };
        self.inner.metrics.connector_startups.record(started.is_ok());
        let ok = match started {
            Ok(()) => {
                let state =
                    if target == TargetState::Paused { State::Paused } else { State::Running };
                self.inner.status.set_connector(name, self.status_of(state, None));
                true
            }
            Err(e) => {
                warn!(connector = %name, error = %e.trace(), "connector failed to start");
                self.inner
                    .status
                    .set_connector(name, self.status_of(State::Failed, Some(e.trace())));
                false
            }
        };
        let orphan = {
            let mut running = self.inner.running.lock().await;
            match running.get_mut(name) {
                Some(r) if r.generation == generation => {
                    r.instance = Some(instance);
                    None
                }
                _ => Some(instance),
            }
        };
        if let Some(mut orphan) = orphan {
            warn!(connector = %name, "connector was stopped while it started: stopping it");
            if let Err(e) = self.stop_instance(name, &mut orphan).await {
                warn!(connector = %name, error = %e, "error while stopping connector");
            }
            return Ok(false);
        }
        Ok(ok)
    }

    /// Takes connector `name`'s instance out of its slot, with what running it needs.
    async fn take_instance(&self, name: &str) -> Result<(Instance, u64, RawConfig, TargetState)> {
        let mut running = self.inner.running.lock().await;
        let r =
            running.get_mut(name).filter(|r| r.connector_here).ok_or_else(|| not_running(name))?;
        let instance = r.instance.take().ok_or_else(|| {
            ConnectError::retriable(format!("Connector {name} is busy in its own code"))
        })?;
        Ok((instance, r.generation, r.config.clone(), *r.target.borrow()))
    }

    /// Asks running connector `name` for at most `max` task configs. The connector built
    /// them from its resolved config: values of keys whose raw value holds a variable
    /// get the variable back (Kafka's reverse transform), so no resolved secret is stored.
    pub async fn connector_task_configs(&self, name: &str, max: usize) -> Result<Vec<RawConfig>> {
        let (mut instance, generation, raw, _) = self.take_instance(name).await?;
        let asked = match &mut instance {
            Instance::Source(c) => c.task_configs(max).await,
            Instance::Sink(c) => c.task_configs(max).await,
        };
        let mut running = self.inner.running.lock().await;
        match running.get_mut(name) {
            Some(r) if r.generation == generation => r.instance = Some(instance),
            _ => {
                drop(running);
                self.stop_instance(name, &mut instance).await?;
                return Err(not_running(name));
            }
        }
        Ok(reverse_transform(&raw, asked?.into_iter().take(max).collect()))
    }

    /// Restarts the connector instance alone, as Kafka's plain restart does: its tasks
    /// keep running. Returns whether the new instance started.
    pub async fn restart_connector(&self, name: &str, ctx: ConnectorContext) -> Result<bool> {
        let (mut old, _, config, target) = self.take_instance(name).await?;
        self.inner.status.set_connector(name, self.status_of(State::Restarting, None));
        if let Err(e) = self.stop_instance(name, &mut old).await {
            warn!(connector = %name, error = %e, "error while stopping the connector to restart it");
        }
        drop(old);
        let instance = self.instantiate(&config).inspect_err(|_| {
            self.inner.metrics.connector_startups.record(false);
        })?;
        let generation = {
            let mut running = self.inner.running.lock().await;
            let r = running.get_mut(name).ok_or_else(|| not_running(name))?;
            r.generation =
                self.inner.generations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            r.generation
        };
        self.run_start(name, instance, generation, config, target, ctx).await
    }

    /// Stops connector `name`'s tasks and the connector, and forgets it here. A
    /// connector not running here is no error.
    pub async fn stop_connector(&self, name: &str) -> Result<()> {
        let Some(r) = self.inner.running.lock().await.remove(name) else {
            return Ok(());
        };
        self.stop_task_handles(name, r.tasks).await;
        match r.instance {
            Some(mut instance) => self.stop_instance(name, &mut instance).await,
            // Out in its own `start` or `task_configs`: stopped when it comes back.
            None => Ok(()),
        }
    }

    /// Stops connector `name`'s instance alone; its tasks here keep running (distributed
    /// mode, where the connector and its tasks are assigned apart). A connector not
    /// running here is no error.
    pub async fn stop_connector_instance(&self, name: &str) -> Result<()> {
        let instance = {
            let mut running = self.inner.running.lock().await;
            let Some(r) = running.get_mut(name).filter(|r| r.connector_here) else {
                return Ok(());
            };
            r.connector_here = false;
            let instance = r.instance.take();
            if r.tasks.is_empty() {
                running.remove(name);
            }
            instance
        };
        match instance {
            Some(mut i) => self.stop_instance(name, &mut i).await,
            None => Ok(()),
        }
    }

    /// Starts task `index` of connector `name` whether or not the connector itself runs
    /// here (distributed mode): `config` is the connector's config, `target` its target
    /// state when nothing of it runs here yet.
    pub async fn start_task_of(
        &self,
        name: &str,
        config: RawConfig,
        target: TargetState,
        index: u32,
        task_config: RawConfig,
    ) -> Result<()> {
        {
            let mut running = self.inner.running.lock().await;
            if !running.contains_key(name) {
                let generation =
                    self.inner.generations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let (tx, _) = watch::channel(target);
                running.insert(
                    name.to_string(),
                    Running {
                        config,
                        instance: None,
                        connector_here: false,
                        generation,
                        target: tx,
                        tasks: BTreeMap::new(),
                    },
                );
            }
        }
        self.start_task(name, index, task_config).await
    }

    /// What of connector `name` runs here: whether the connector does, and its tasks.
    pub async fn running_parts(&self, name: &str) -> (bool, Vec<u32>) {
        let running = self.inner.running.lock().await;
        running
            .get(name)
            .map(|r| (r.connector_here, r.tasks.keys().copied().collect()))
            .unwrap_or_default()
    }

    /// Passes a new target state (paused or started) to connector `name`'s tasks.
    pub async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        let running = self.inner.running.lock().await;
        running.get(name).ok_or_else(|| not_running(name))?.target.send_replace(target);
        Ok(())
    }

    /// Starts task `index` of running connector `name` with `task_config`. A task that
    /// cannot be built (a converter's config, say) is FAILED with the reason, not an error.
    pub async fn start_task(&self, name: &str, index: u32, task_config: RawConfig) -> Result<()> {
        self.start_task_attempt(name, index, task_config, 0, None).await
    }

    /// [`Worker::start_task`] for the `attempt`-th restart in a row of a failed task
    /// (0: a start the herder asked for; see [`super::RestartPolicy`]). A restart
    /// (`failed` is the failed run's token) happens only while that run is still the
    /// task's current one: not once the herder stopped, moved or restarted the task.
    pub(super) async fn start_task_attempt(
        &self,
        name: &str,
        index: u32,
        task_config: RawConfig,
        attempt: u32,
        failed: Option<&CancellationToken>,
    ) -> Result<()> {
        let mut running = self.inner.running.lock().await;
        if let Some(failed) = failed {
            let current = running.get(name).is_some_and(|r| r.tasks.contains_key(&index));
            if failed.is_cancelled() || !current {
                return Ok(());
            }
        }
        let r = running.get_mut(name).ok_or_else(|| not_running(name))?;
        let id = TaskId { connector: name.to_string(), task: index };
        let cancel = CancellationToken::new();
        self.inner.status.set_task(name, index, self.status_of(State::Unassigned, None));
        let started = (|| -> Result<tokio::task::JoinHandle<()>> {
            // Resolved at use, each time a task starts (see `run_start`).
            let providers = self.inner.config.config_providers();
            let connector_config = providers.resolve(&r.config)?;
            let restart = super::RestartPolicy::from_config(&connector_config)?;
            let written_task_config = task_config.clone();
            let task_config = providers.resolve(&task_config)?;
            let converters =
                Converters::build(&self.inner.registry, &self.inner.config, &connector_config)?;
            // Tasks are made by the connector's class: where the connector does not run
            // (or is busy in its own code), an unstarted instance makes them.
            let fresh;
            let maker = match r.instance.as_ref() {
                Some(i) => i,
                None => {
                    fresh = self.instantiate(&connector_config)?;
                    &fresh
                }
            };
            let kind = match maker {
                Instance::Source(_) => TaskKind::Source,
                Instance::Sink(_) => TaskKind::Sink,
            };
            let setup = TaskSetup {
                id: id.clone(),
                task_config,
                connector_config: connector_config.clone(),
                converters,
                plugins: self.inner.registry.clone(),
                state: r.target.subscribe(),
                cancel: cancel.clone(),
                error_metrics: self.error_metrics_of(&id),
                metrics: self.inner.metrics.task_started(&id, kind),
            };
            match maker {
                Instance::Source(c) => {
                    let env = SourceEnv {
                        worker_id: self.inner.worker_id.clone(),
                        status: self.inner.status.clone(),
                        kafka: self.inner.kafka.clone(),
                        offsets: self.inner.offsets.clone(),
                        flush_interval: self.inner.config.offset_flush_interval(),
                        flush_timeout: self.inner.config.offset_flush_timeout(),
                        end_of_input: self.inner.end_of_input.clone(),
                        topic_creation_enable: self.inner.config.topic_creation_enable(),
                        // Tasks with producer overrides get their own (see SourceDriver).
                        shared_producer: if crate::config::connector::client_overrides(
                            &connector_config,
                            "producer",
                        )
                        .is_empty()
                        {
                            self.shared_producer()?
                        } else {
                            None
                        },
                    };
                    let driver = SourceDriver::new(c.create_task(), setup, env)?;
                    let run = driver.run();
                    self.supervise(
                        id.clone(),
                        run,
                        restart,
                        attempt,
                        written_task_config,
                        cancel.clone(),
                    )
                }
                Instance::Sink(c) => {
                    let env = SinkEnv {
                        worker_id: self.inner.worker_id.clone(),
                        status: self.inner.status.clone(),
                        kafka: self.inner.kafka.clone(),
                        commit_interval: self.inner.config.offset_flush_interval(),
                    };
                    let driver = SinkDriver::new(c.create_task(), setup, env)?;
                    let run = driver.run();
                    self.supervise(
                        id.clone(),
                        run,
                        restart,
                        attempt,
                        written_task_config,
                        cancel.clone(),
                    )
                }
            }
        })();
        self.inner.metrics.task_startups.record(started.is_ok());
        match started {
            Ok(join) => {
                if let Some(old) = r.tasks.insert(index, TaskHandle { cancel, join }) {
                    // The herder stops a task before it starts it again; never leave one
                    // running unseen.
                    old.cancel.cancel();
                }
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

    /// Stops the tasks of connector `name` numbered in `which` (all of them when `None`),
    /// given the graceful shutdown timeout, together, to commit.
    pub async fn stop_tasks(&self, name: &str, which: Option<&[u32]>) {
        let tasks = {
            let mut running = self.inner.running.lock().await;
            let Some(r) = running.get_mut(name) else { return };
            let tasks = match which {
                None => std::mem::take(&mut r.tasks),
                Some(ids) => ids.iter().filter_map(|i| r.tasks.remove_entry(i)).collect(),
            };
            if r.tasks.is_empty() && !r.connector_here {
                running.remove(name);
            }
            tasks
        };
        self.stop_task_handles(name, tasks).await;
    }

    async fn stop_task_handles(&self, name: &str, tasks: BTreeMap<u32, TaskHandle>) {
        let timeout = self.inner.config.graceful_shutdown_timeout().max(Duration::from_millis(100));
        for handle in tasks.values() {
            handle.cancel.cancel();
        }
        // One deadline for all of them, as Kafka's worker gives: tasks stuck in their own
        // code do not add up their timeouts.
        let deadline = tokio::time::Instant::now() + timeout;
        for (i, handle) in tasks {
            let abort = handle.join.abort_handle();
            if tokio::time::timeout_at(deadline, handle.join).await.is_err() {
                warn!(connector = %name, task = i, "task did not stop in time; abandoning it");
                abort.abort();
            }
        }
    }
}
