//! The work assigned here: starting connectors and tasks from the config snapshot, acting
//! on config changes, restarts, the leader's session key, and publishing task configs.

use super::*;

impl DistributedHerder {
    pub(super) async fn start_connector_here(&self, name: &str, snapshot: &ClusterConfigState) {
        let (Some(config), Some(target)) =
            (snapshot.connectors.get(name), snapshot.target_state(name))
        else {
            return;
        };
        if target == TargetState::Stopped {
            self.inner
                .status
                .set_connector(name, self.inner.worker.status_of(State::Stopped, None));
            return;
        }
        match self
            .inner
            .worker
            .start_connector(name, config.clone(), target, self.context(name))
            .await
        {
            Ok(true) => {
                self.view(|v| v.reconfigure.insert(name.to_string()));
            }
            Ok(false) => {}
            Err(e) => {
                warn!(connector = %name, error = %e.trace(), "connector failed to start");
                self.inner.status.set_connector(
                    name,
                    self.inner.worker.status_of(State::Failed, Some(e.trace())),
                );
            }
        }
    }

    pub(super) async fn start_task_here(&self, t: &TaskId, snapshot: &ClusterConfigState) {
        let (Some(config), Some(target)) =
            (snapshot.connectors.get(&t.connector), snapshot.target_state(&t.connector))
        else {
            return;
        };
        let Some(task_config) =
            snapshot.tasks.get(&t.connector).and_then(|ts| ts.get(t.task as usize))
        else {
            return;
        };
        if target == TargetState::Stopped {
            return;
        }
        match self
            .inner
            .worker
            .start_task_of(&t.connector, config.clone(), target, t.task, task_config.clone())
            .await
        {
            Ok(()) => {
                self.view(|v| v.task_configs.insert(t.clone(), task_config.clone()));
            }
            Err(e) => warn!(task = %t, error = %e.trace(), "task failed to start"),
        }
    }

    /// Acts on config changes for what runs here; the leader rejoins when the configured
    /// connectors or tasks changed, so the group's assignment follows.
    pub(super) async fn on_config(&self, changes: Vec<ConfigEvent>) {
        if changes.is_empty() {
            return;
        }
        let snapshot = self.inner.config.snapshot();
        let here = self.assignment();
        for change in changes {
            match change {
                ConfigEvent::ConnectorUpdated(c) if here.connectors.contains(&c) => {
                    let _ = self.inner.worker.stop_connector_instance(&c).await;
                    self.start_connector_here(&c, &snapshot).await;
                }
                ConfigEvent::ConnectorRemoved(c)
                    if here.connectors.contains(&c)
                        || here.tasks.iter().any(|t| t.connector == c) =>
                {
                    let _ = self.inner.worker.stop_connector(&c).await;
                    self.inner.status.remove_connector(&c);
                }
                ConfigEvent::TargetStateChanged(c) => self.retarget(&c, &snapshot, &here).await,
                ConfigEvent::TasksCommitted(c) => {
                    for t in here.tasks.iter().filter(|t| t.connector == c) {
                        let new = snapshot.tasks.get(&c).and_then(|ts| ts.get(t.task as usize));
                        let old = self.view(|v| v.task_configs.get(t).cloned());
                        if new.is_some() && new != old.as_ref() {
                            self.inner.worker.stop_tasks(&c, Some(&[t.task])).await;
                            self.start_task_here(t, &snapshot).await;
                        }
                    }
                }
                ConfigEvent::RestartRequested { connector, include_tasks, only_failed } => {
                    self.restart_here(&connector, include_tasks, only_failed, &snapshot, &here)
                        .await;
                }
                _ => {}
            }
        }
        let leader = self.is_leader();
        let configured = snapshot.assignable();
        self.view(|v| {
            if leader && !v.rebalancing && v.assigned_config != configured {
                v.need_rejoin = true;
            }
        });
    }

    pub(super) async fn retarget(
        &self,
        c: &str,
        snapshot: &ClusterConfigState,
        here: &ConnectorsAndTasks,
    ) {
        let Some(target) = snapshot.target_state(c) else { return };
        let connector_here = here.connectors.contains(c);
        let tasks_here: Vec<TaskId> =
            here.tasks.iter().filter(|t| t.connector == c).cloned().collect();
        let worker = &self.inner.worker;
        if target == TargetState::Stopped {
            let _ = worker.stop_connector(c).await;
            for t in &tasks_here {
                self.view(|v| v.task_configs.remove(t));
            }
            if connector_here {
                // A stopped connector has no tasks (KIP-875): its worker drops their statuses.
                self.inner.status.remove_tasks_from(c, 0);
                self.inner.status.set_connector(c, worker.status_of(State::Stopped, None));
            }
            return;
        }
        let (running_connector, _) = worker.running_parts(c).await;
        if connector_here && !running_connector {
            self.start_connector_here(c, snapshot).await;
        }
        for t in &tasks_here {
            if !worker.running_parts(c).await.1.contains(&t.task) {
                self.start_task_here(t, snapshot).await;
            }
        }
        let _ = worker.set_target_state(c, target).await;
        if connector_here && self.inner.status.connector(c).map(|s| s.state) != Some(State::Failed)
        {
            let state = if target == TargetState::Paused { State::Paused } else { State::Running };
            self.inner.status.set_connector(c, worker.status_of(state, None));
        }
    }

    pub(super) async fn restart_here(
        &self,
        c: &str,
        include_tasks: bool,
        only_failed: bool,
        snapshot: &ClusterConfigState,
        here: &ConnectorsAndTasks,
    ) {
        let failed = |s: Option<crate::status::Status>| s.map(|s| s.state) == Some(State::Failed);
        if here.connectors.contains(c) && (!only_failed || failed(self.inner.status.connector(c))) {
            let _ = self.inner.worker.stop_connector_instance(c).await;
            self.inner
                .status
                .set_connector(c, self.inner.worker.status_of(State::Restarting, None));
            self.start_connector_here(c, snapshot).await;
        }
        if include_tasks {
            for t in here.tasks.iter().filter(|t| t.connector == c) {
                if !only_failed || failed(self.inner.status.task(c, t.task)) {
                    self.inner.worker.stop_tasks(c, Some(&[t.task])).await;
                    self.start_task_here(t, snapshot).await;
                }
            }
        }
    }

    /// The leader keeps a session key in the config topic, renewed before it expires.
    pub(super) async fn leader_duties(&self) -> Result<()> {
        if !self.is_leader() || self.view(|v| v.protocol != ConnectProtocol::Sessioned) {
            return Ok(());
        }
        let ttl = self.inner.settings.key_ttl.as_millis() as i64;
        let due = self
            .inner
            .config
            .read(|s| s.session_key.as_ref().is_none_or(|k| now_ms() >= k.created_ms + ttl));
        if due {
            let key = signature::new_session_key(now_ms())?;
            self.inner.config.put_session_key(&key).await?;
            info!("distributed a new session key");
        }
        Ok(())
    }

    /// Asks connectors running here for their task configs and publishes those that
    /// changed: the leader writes them, a follower hands them to the leader, signed.
    pub(super) async fn publish_task_configs(&self) {
        let pending: Vec<String> =
            self.view(|v| std::mem::take(&mut v.reconfigure).into_iter().collect());
        for c in pending {
            let snapshot = self.inner.config.snapshot();
            let (Some(config), Some(target)) =
                (snapshot.connectors.get(&c), snapshot.target_state(&c))
            else {
                continue;
            };
            if target == TargetState::Stopped || !self.inner.worker.running_parts(&c).await.0 {
                continue;
            }
            let Ok(max) = tasks_max(config) else { continue };
            let configs = match self.inner.worker.connector_task_configs(&c, max).await {
                Ok(t) => self.as_kafka_task_configs(config, t),
                Err(e) => {
                    warn!(connector = %c, error = %e.trace(), "connector failed to give task configs");
                    self.inner.status.set_connector(
                        &c,
                        self.inner.worker.status_of(State::Failed, Some(e.trace())),
                    );
                    continue;
                }
            };
            if snapshot.tasks.get(&c) == Some(&configs) {
                continue;
            }
            let published = if self.is_leader() {
                self.inner.config.put_task_configs(&c, &configs).await
            } else {
                self.forward_task_configs(&c, &configs, &snapshot).await
            };
            if let Err(e) = published {
                warn!(connector = %c, error = %e, "cannot publish task configs; trying again");
                self.view(|v| v.reconfigure.insert(c));
            }
        }
    }

    /// Task configs as Kafka's workers write them: each names its task class
    /// (`task.class`), and a sink's carry the connector's `topics` or `topics.regex`, so
    /// a Java worker of the same cluster can run them.
    pub(super) fn as_kafka_task_configs(
        &self,
        connector: &RawConfig,
        configs: Vec<RawConfig>,
    ) -> Vec<RawConfig> {
        let class = connector.get("connector.class").cloned().unwrap_or_default();
        let Ok(plugin) = self.inner.worker.registry().connector(&class) else {
            return configs;
        };
        let task_class = plugin.task_class();
        let sink = plugin.kind() == PluginKind::Sink;
        configs
            .into_iter()
            .map(|mut t| {
                t.insert("task.class".into(), task_class.clone());
                if sink {
                    for key in ["topics", "topics.regex"] {
                        if let Some(v) = connector.get(key) {
                            t.insert(key.into(), v.clone());
                        }
                    }
                }
                t
            })
            .collect()
    }

    pub(super) async fn forward_task_configs(
        &self,
        c: &str,
        configs: &[RawConfig],
        snapshot: &ClusterConfigState,
    ) -> Result<()> {
        let body = serde_json::to_vec(configs)?;
        let url = format!("{}connectors/{c}/tasks?forward=true", self.leader_url()?);
        let mut request = self.inner.http.post(url).header("content-type", "application/json");
        // Signed with the session key under `sessioned`; the other protocols have none.
        if self.view(|v| v.protocol == ConnectProtocol::Sessioned) {
            let key = snapshot
                .session_key
                .as_ref()
                .ok_or_else(|| ConnectError::retriable("no session key yet"))?;
            request = request
                .header(signature::SIGNATURE_HEADER, signature::sign(key, &body)?)
                .header(signature::ALGORITHM_HEADER, signature::HMAC_SHA256);
        }
        let resp = request
            .body(body)
            .send()
            .await
            .map_err(|e| ConnectError::retriable(format!("cannot reach the leader: {e}")))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(ConnectError::retriable(format!(
                "the leader refused the task configs: {}",
                resp.status()
            )))
        }
    }
}
