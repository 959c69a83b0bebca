//! The REST side of a distributed worker: reads from the config snapshot and the status
//! topic, writes on the leader (followers forward them), and the signed internal
//! endpoint for task configs.

use super::*;
use crate::metrics::scrape::RebalanceFacts;

impl DistributedHerder {
    pub(super) fn leader_url(&self) -> Result<String> {
        let url = self.view(|v| v.leader_url.clone());
        if url.is_empty() {
            return Err(ConnectError::retriable("no leader known yet"));
        }
        Ok(if url.ends_with('/') { url } else { format!("{url}/") })
    }

    /// Waits (bounded) until a rebalance is over; `true` when this worker leads.
    pub(super) async fn await_leader(&self) -> Result<bool> {
        let deadline = Instant::now() + WRITE_WAIT;
        loop {
            let (rebalancing, leader, known) = self.view(|v| {
                (
                    v.rebalancing,
                    !v.member_id.is_empty() && v.member_id == v.leader_id,
                    !v.leader_url.is_empty(),
                )
            });
            if !rebalancing && known {
                return Ok(leader);
            }
            if Instant::now() > deadline {
                return Err(ConnectError::conflict(
                    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Where a REST write goes: `None` when this worker leads (it does the write), else
    /// the leader's answer to the same request: status and JSON body, an error status
    /// becoming the error the leader gave. A leader that cannot be reached (it died, and
    /// the group has not elected the next yet) is tried again until the write's bound,
    /// with whichever worker leads then, this one included.
    pub(super) async fn via_leader(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Option<(u16, Value)>> {
        let deadline = Instant::now() + WRITE_WAIT;
        let resp = loop {
            if self.await_leader().await? {
                return Ok(None);
            }
            let url = format!("{}{}", self.leader_url()?, path.trim_start_matches('/'));
            let mut req = self.inner.http.request(method.clone(), &url);
            // The caller's credentials go along, as Kafka's RestClient forwards them: the
            // leader's basic authentication checks the user who called this worker.
            if let Some(auth) = crate::rest::forward::authorization() {
                req = req.header(reqwest::header::AUTHORIZATION, auth);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            match req.send().await {
                Ok(r) => break r,
                Err(e) if Instant::now() < deadline => {
                    warn!(leader = %url, error = %e, "cannot reach the leader; waiting for the group to settle");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => {
                    return Err(ConnectError::retriable(format!(
                        "cannot reach the leader at {url}: {e}"
                    )));
                }
            }
        };
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status < 400 {
            return Ok(Some((status, value)));
        }
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("the leader refused the request")
            .to_string();
        Err(match status {
            404 => ConnectError::not_found(message),
            409 => ConnectError::conflict(message),
            400 => ConnectError::config(message),
            503 => ConnectError::retriable(message),
            _ => ConnectError::fatal(message),
        })
    }

    /// Waits until the config topic, read by the loop, satisfies `done`.
    pub(super) async fn read_back(
        &self,
        what: &str,
        done: impl Fn(&ClusterConfigState) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + WRITE_WAIT;
        while !self.inner.config.read(&done) {
            if Instant::now() > deadline {
                return Err(ConnectError::retriable(format!(
                    "{what} was written but not read back in time"
                )));
            }
            self.inner.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    pub(super) fn kind_of(&self, config: &RawConfig) -> Result<PluginKind> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        Ok(self.inner.worker.registry().connector(&class)?.kind())
    }

    pub(super) fn existing(&self, name: &str) -> Result<(RawConfig, TargetState, Vec<RawConfig>)> {
        self.inner.config.read(|s| {
            let config = s.connectors.get(name).cloned().ok_or_else(|| not_found(name))?;
            let target = s.target_state(name).unwrap_or(TargetState::Started);
            Ok((config, target, s.tasks.get(name).cloned().unwrap_or_default()))
        })
    }

    pub(super) fn info_of(&self, name: &str) -> Result<ConnectorInfo> {
        let (config, _, tasks) = self.existing(name)?;
        Ok(ConnectorInfo {
            name: name.to_string(),
            config: validation::mask(self.inner.worker.registry(), &config),
            tasks: (0..tasks.len() as u32)
                .map(|task| ConnectorTaskId { connector: name.to_string(), task })
                .collect(),
            kind: self.kind_of(&config)?.as_str().to_string(),
        })
    }

    /// `POST /connectors/{name}/tasks` on the leader: task configs a follower's connector
    /// gave, accepted only with a valid session-key signature while the group speaks the
    /// `sessioned` protocol (under `eager` and `compatible` no worker has a key, as in
    /// Kafka).
    pub async fn accept_task_configs(
        &self,
        name: &str,
        body: &[u8],
        algorithm: Option<&str>,
        signature_b64: Option<&str>,
    ) -> std::result::Result<(), (u16, String)> {
        if self.view(|v| v.protocol == ConnectProtocol::Sessioned) {
            let key = self.inner.config.read(|s| s.session_key.clone());
            signature::verify(key.as_ref(), algorithm, signature_b64, body)
                .map_err(|r| (r.status(), r.message().to_string()))?;
        }
        if !self.is_leader() {
            return Err((
                409,
                "Cannot complete request because this worker is not the leader".into(),
            ));
        }
        let configs: Vec<RawConfig> =
            serde_json::from_slice(body).map_err(|e| (400, format!("bad task configs: {e}")))?;
        if self.inner.config.read(|s| !s.connectors.contains_key(name)) {
            return Err((404, format!("Connector {name} not found")));
        }
        self.inner.config.put_task_configs(name, &configs).await.map_err(|e| (500, e.to_string()))
    }
    /// Creates or replaces (`replace`) a connector on the leader (a follower forwards the
    /// request); a new one with target state `initial` (KIP-980), whose record is written
    /// before the config, as Kafka's workers write them.
    pub(super) async fn put_connector_as(
        &self,
        name: &str,
        mut config: RawConfig,
        replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(ConnectorInfo, bool)> {
        let path =
            if replace { format!("connectors/{name}/config") } else { "connectors".to_string() };
        let (method, body) = if replace {
            (reqwest::Method::PUT, serde_json::to_value(&config)?)
        } else {
            let mut body = serde_json::json!({"name": name, "config": config});
            if let Some(t) = initial {
                body["initial_state"] = Value::from(initial_state_name(t));
            }
            (reqwest::Method::POST, body)
        };
        if let Some((status, v)) = self.via_leader(method, &path, Some(body)).await? {
            let info: ConnectorInfo = serde_json::from_value(v).map_err(|e| {
                ConnectError::fatal(format!("the leader's answer is not a connector: {e}"))
            })?;
            return Ok((info, status == 201));
        }
        config.insert("name".into(), name.to_string());
        validation::check_config_for(
            self.inner.worker.registry(),
            self.inner.worker.config(),
            &config,
        )?;
        let _one = self.inner.writes.lock().await;
        let exists = self.inner.config.read(|s| s.connectors.contains_key(name));
        if exists && !replace {
            return Err(ConnectError::conflict(format!("Connector {name} already exists")));
        }
        if let (Some(t), false) = (initial, exists) {
            self.inner.config.put_target_state(name, t).await?;
        }
        self.inner.config.put_connector(name, &config).await?;
        self.read_back("the connector config", |s| {
            s.connectors.get(name) == Some(&config)
                && (exists || initial.is_none() || s.target_state(name) == initial)
        })
        .await?;
        Ok((self.info_of(name)?, !exists))
    }
}

/// KIP-980's name of a target state in a create request.
fn initial_state_name(t: TargetState) -> &'static str {
    match t {
        TargetState::Started => "RUNNING",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

#[async_trait]
impl Herder for DistributedHerder {
    fn plugins(&self) -> &PluginRegistry {
        self.inner.worker.registry()
    }
    fn kafka(&self) -> &KafkaClients {
        self.inner.worker.kafka()
    }
    async fn answers_within(&self, within: Duration) -> bool {
        self.inner.worker.answers_within(within).await
    }
    async fn metrics_text(&self) -> String {
        let rebalance = self.view(|v| {
            let r = &v.rebalances;
            let (avg, max) = match r.completed {
                0 => (f64::NAN, f64::NAN),
                n => (r.total_ms / n as f64, r.max_ms),
            };
            RebalanceFacts {
                protocol: match v.protocol {
                    ConnectProtocol::Eager => "EAGER",
                    ConnectProtocol::Compatible => "COMPATIBLE",
                    ConnectProtocol::Sessioned => "SESSIONED",
                }
                .to_string(),
                leader: v.leader_url.clone(),
                epoch: i64::from(v.generation),
                completed: r.completed,
                rebalancing: v.rebalancing,
                avg_ms: avg,
                max_ms: max,
                since_last_ms: r.last_done.map_or(f64::NAN, |t| t.elapsed().as_secs_f64() * 1e3),
            }
        });
        self.inner.worker.render_metrics(Some(rebalance)).await
    }
    async fn connector_names(&self) -> Vec<String> {
        self.inner.config.read(|s| s.connectors.keys().cloned().collect())
    }
    async fn connector_config(&self, name: &str) -> Result<RawConfig> {
        Ok(self.existing(name)?.0)
    }
    async fn info(&self, name: &str) -> Result<ConnectorInfo> {
        self.info_of(name)
    }
    async fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let (_, _, tasks) = self.existing(name)?;
        Ok(tasks
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId { connector: name.to_string(), task: i as u32 },
                config: validation::mask(self.inner.worker.registry(), c),
            })
            .collect())
    }
    async fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let (config, _, _) = self.existing(name)?;
        self.inner.status.catch_up().await?;
        let kind = self.kind_of(&config)?;
        let version = plugin_version(self.inner.worker.registry(), &config);
        let unassigned = self.inner.worker.status_of(State::Unassigned, None);
        Ok(state_info(self.inner.status.as_ref(), name, kind, version, unassigned))
    }
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let (config, _, _) = self.existing(name)?;
        self.inner.status.catch_up().await?;
        let s = self.inner.status.task(name, task).ok_or_else(|| {
            ConnectError::not_found(format!("No status found for task {name}-{task}"))
        })?;
        Ok(TaskState {
            id: task,
            state: s.state,
            worker_id: s.worker_id,
            version: plugin_version(self.inner.worker.registry(), &config),
            trace: s.trace,
        })
    }
    async fn active_topics(&self, name: &str) -> Result<Vec<String>> {
        self.existing(name)?;
        self.inner.status.catch_up().await?;
        let topics = self.inner.status.topics(name);
        Ok(crate::status::lock_topics(&topics).iter().cloned().collect())
    }
    async fn reset_active_topics(&self, name: &str) -> Result<()> {
        self.existing(name)?;
        self.inner.status.reset_topics(name);
        Ok(())
    }
    fn mask(&self, config: &RawConfig) -> RawConfig {
        validation::mask(self.inner.worker.registry(), config)
    }
    fn validate(&self, class: &str, config: &RawConfig) -> Result<ConfigInfos> {
        validation::validate_for(
            self.inner.worker.registry(),
            self.inner.worker.config(),
            class,
            config,
        )
    }
    async fn put_connector(
        &self,
        name: &str,
        config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        self.put_connector_as(name, config, replace, None).await
    }
    async fn create_connector_in_state(
        &self,
        name: &str,
        config: RawConfig,
        initial: TargetState,
    ) -> Result<ConnectorInfo> {
        Ok(self.put_connector_as(name, config, false, Some(initial)).await?.0)
    }
    async fn delete_connector(&self, name: &str) -> Result<()> {
        let path = format!("connectors/{name}");
        if self.via_leader(reqwest::Method::DELETE, &path, None).await?.is_some() {
            return Ok(());
        }
        let _one = self.inner.writes.lock().await;
        self.existing(name)?;
        self.inner.config.remove_connector(name).await?;
        self.read_back("the deletion", |s| !s.connectors.contains_key(name)).await
    }
    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        let verb = match target {
            TargetState::Started => "resume",
            TargetState::Paused => "pause",
            TargetState::Stopped => "stop",
        };
        let path = format!("connectors/{name}/{verb}");
        if self.via_leader(reqwest::Method::PUT, &path, None).await?.is_some() {
            return Ok(());
        }
        let _one = self.inner.writes.lock().await;
        self.existing(name)?;
        if target == TargetState::Stopped {
            // Kafka empties a stopped connector's tasks, then records the state.
            self.inner.config.put_task_configs(name, &[]).await?;
        }
        self.inner.config.put_target_state(name, target).await?;
        self.read_back("the target state", |s| s.target_state(name) == Some(target)).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        let path = format!(
            "connectors/{name}/restart?includeTasks={include_tasks}&onlyFailed={only_failed}"
        );
        if let Some((status, v)) = self.via_leader(reqwest::Method::POST, &path, None).await? {
            return Ok(if status == 202 { serde_json::from_value(v).ok() } else { None });
        }
        self.existing(name)?;
        let mut plan = self.status(name).await?;
        let restart_connector = !only_failed || plan.connector.state == State::Failed;
        if restart_connector {
            plan.connector.state = State::Restarting;
        }
        for t in &mut plan.tasks {
            if include_tasks && (!only_failed || t.state == State::Failed) {
                t.state = State::Restarting;
            }
        }
        self.inner.config.request_restart(name, include_tasks, only_failed).await?;
        Ok(include_tasks.then_some(plan))
    }
    async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        self.existing(name)?;
        let id = TaskId { connector: name.to_string(), task };
        if self.assignment().tasks.contains(&id) {
            let snapshot = self.inner.config.snapshot();
            self.inner.worker.stop_tasks(name, Some(&[task])).await;
            self.start_task_here(&id, &snapshot).await;
            return Ok(());
        }
        // The worker running it answers (its id is its REST host:port).
        self.inner.status.catch_up().await?;
        let owner = self
            .inner
            .status
            .task(name, task)
            .map(|s| s.worker_id)
            .ok_or_else(|| ConnectError::not_found(format!("Task {name}-{task} not found")))?;
        // Its id is host:port; the cluster's workers share one protocol, this one's.
        let scheme = if self.inner.url.starts_with("https://") { "https" } else { "http" };
        let url = format!("{scheme}://{owner}/connectors/{name}/tasks/{task}/restart");
        let mut req = self.inner.http.post(url);
        if let Some(auth) = crate::rest::forward::authorization() {
            req = req.header(reqwest::header::AUTHORIZATION, auth);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ConnectError::retriable(format!("cannot reach worker {owner}: {e}")))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(ConnectError::retriable(format!("worker {owner} answered {}", resp.status())))
        }
    }
    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let (config, _, _) = self.existing(name)?;
        let kind = self.kind_of(&config)?;
        self.inner.worker.connector_offsets(name, kind, &config).await
    }
    async fn alter_connector_offsets(&self, name: &str, request: ConnectorOffsets) -> Result<bool> {
        let (config, target, _) = self.existing(name)?;
        if target != TargetState::Stopped {
            return Err(crate::herder::offsets::not_stopped(name));
        }
        let kind = self.kind_of(&config)?;
        self.inner.worker.alter_connector_offsets(name, kind, &config, request).await
    }
    async fn reset_connector_offsets(&self, name: &str) -> Result<bool> {
        let (config, target, _) = self.existing(name)?;
        if target != TargetState::Stopped {
            return Err(crate::herder::offsets::not_stopped(name));
        }
        let kind = self.kind_of(&config)?;
        self.inner.worker.reset_connector_offsets(name, kind, &config).await
    }
    async fn put_task_configs(
        &self,
        name: &str,
        body: &[u8],
        algorithm: Option<&str>,
        signature: Option<&str>,
    ) -> std::result::Result<(), (u16, String)> {
        self.accept_task_configs(name, body, algorithm, signature).await
    }
}
