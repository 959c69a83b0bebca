//! [`DistributedHerder`]: the herder of one worker of a Connect cluster. Workers with the
//! same `group.id` join Kafka's group coordinator; the leader it elects assigns
//! connectors and tasks ([`super::assignor`]); configs, target states and task configs
//! live in the config topic (only the leader writes it; followers forward REST writes to
//! the leader's URL), statuses in the status topic, source offsets in the offsets topic.
//!
//! One loop per worker does the herder's work in order, as Kafka's `tick` does: read the
//! config topic to its end and act on what changed for the work assigned here, rejoin
//! the group when asked to (a rebalance, a fenced member, a leader whose configured work
//! changed), publish task configs of connectors running here, and wait for the next
//! event. Heartbeats run on their own task; a worker whose heartbeats fail for longer than
//! its session stops its work before another worker takes it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::config::{ConfigInfos, RawConfig};
use connect_api::context::{ConnectorContext, ConnectorEvent};
use connect_api::plugin::PluginKind;
use connect_api::{ConnectError, Result};
use serde_json::Value;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::assignor::{AssignorState, Round, assign, assign_eager};
use super::config_topic::ConfigTopic;
use super::group::{GroupMember, HeartbeatEvent, MembershipConfig, Synced};
use super::kafka_log::KafkaLog;
use super::protocol::{
    Assignment, ConnectProtocol, ConnectorsAndTasks, WorkerState, decode_assignment,
    decode_metadata, encode_assignment, encode_metadata,
};
use super::records::{ClusterConfigState, ConfigEvent};
use super::signature;
use super::stores::{KafkaOffsetStore, KafkaStatusStore};
use crate::config::connector::tasks_max;
use crate::config::worker::{DistributedSettings, WorkerConfig};
use crate::entities::{
    ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ConnectorTaskId, TaskInfo, TaskState,
};
use crate::herder::Herder;
use crate::herder::validation;
use crate::herder::views::{plugin_version, state_info};
use crate::kafka::{InternalTopic, KafkaClients};
use crate::registry::PluginRegistry;
use crate::status::{State, StatusBackingStore};
use crate::task::{TargetState, TaskId};
use crate::worker::Worker;

/// How long a REST write waits for a leader (during a rebalance) or for its record to be
/// read back.
const WRITE_WAIT: Duration = Duration::from_secs(30);
/// How often the loop reads the config topic when nothing else wakes it.
const TICK: Duration = Duration::from_millis(500);

/// What the loop knows of the group and of the work assigned here.
#[derive(Debug)]
struct View {
    assignment: ConnectorsAndTasks,
    leader_id: String,
    leader_url: String,
    member_id: String,
    generation: i32,
    last_completed_generation: i32,
    /// No assignment applied since the last join began.
    rebalancing: bool,
    need_rejoin: bool,
    rejoin_at: Option<Instant>,
    assignor: AssignorState,
    /// What was configured when the leader last assigned (it rejoins when this changes).
    assigned_config: ConnectorsAndTasks,
    /// Task configs of the tasks running here, as started.
    task_configs: BTreeMap<TaskId, RawConfig>,
    /// Connectors here whose task configs are to be asked for and published.
    reconfigure: BTreeSet<String>,
    protocol: ConnectProtocol,
}

struct Inner {
    settings: DistributedSettings,
    protocol: ConnectProtocol,
    url: String,
    worker: Worker,
    config: ConfigTopic,
    status: Arc<KafkaStatusStore>,
    member: tokio::sync::Mutex<GroupMember>,
    view: Mutex<View>,
    wake: Notify,
    events: mpsc::UnboundedSender<(String, ConnectorEvent)>,
    stop: CancellationToken,
    http: reqwest::Client,
    /// The leader handles one REST write at a time (check, write, read back), as Kafka's
    /// herder does on its one thread: two creations of one name cannot both succeed.
    writes: tokio::sync::Mutex<()>,
    loop_done: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The herder of one worker of a Connect cluster; clones share it.
#[derive(Clone)]
pub struct DistributedHerder {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DistributedHerder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedHerder").field("url", &self.inner.url).finish()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn not_found(name: &str) -> ConnectError {
    ConnectError::not_found(format!("Connector {name} not found"))
}

impl DistributedHerder {
    /// Starts a distributed worker's herder: the internal topics (created compacted when
    /// missing, read to their ends), its worker, and the loop that joins the group. `url`
    /// is the REST URL other workers reach this one at (`http://host:port/`).
    pub async fn start(
        config: WorkerConfig,
        registry: PluginRegistry,
        worker_id: String,
        url: String,
    ) -> Result<DistributedHerder> {
        let settings = config.distributed()?;
        let protocol = ConnectProtocol::from_config(&settings.protocol).ok_or_else(|| {
            ConnectError::config(format!(
                "Invalid value {} for configuration connect.protocol",
                settings.protocol
            ))
        })?;
        let kafka = KafkaClients::new(
            settings.bootstrap.join(","),
            config.client_settings("producer"),
            config.client_settings("consumer"),
            config.client_settings("admin"),
        );
        let topic = |name: &str, property: &str, partitions: i32, rf: i16| InternalTopic {
            name: name.to_string(),
            property: property.to_string(),
            partitions,
            replication_factor: i32::from(rf),
        };
        let client = format!("connect-{}", settings.group_id);
        let s = &settings;
        let config_log = KafkaLog::open(
            &kafka,
            &topic(&s.config_topic, "config.storage.topic", 1, s.config_replication),
            &format!("{client}-configs"),
        )
        .await?;
        let offsets_log = KafkaLog::open(
            &kafka,
            &topic(
                &s.offset_topic,
                "offset.storage.topic",
                s.offset_partitions,
                s.offset_replication,
            ),
            &format!("{client}-offsets"),
        )
        .await?;
        let status_log = KafkaLog::open(
            &kafka,
            &topic(
                &s.status_topic,
                "status.storage.topic",
                s.status_partitions,
                s.status_replication,
            ),
            &format!("{client}-statuses"),
        )
        .await?;
        let offsets = Arc::new(KafkaOffsetStore::open(offsets_log).await?);
        let status = KafkaStatusStore::open(status_log).await?;
        let config_topic =
            ConfigTopic::new(config_log, settings.sync_timeout.max(Duration::from_secs(10)));
        config_topic.refresh().await?;
        let worker = Worker::new(
            config,
            Arc::new(registry),
            worker_id.clone(),
            offsets.clone(),
            status.clone(),
        )
        .await?;
        let member = GroupMember::new(MembershipConfig {
            bootstrap: settings.bootstrap.clone(),
            group_id: settings.group_id.clone(),
            group_instance_id: settings.group_instance_id.clone(),
            session_timeout: settings.session_timeout,
            rebalance_timeout: settings.rebalance_timeout,
            heartbeat_interval: settings.heartbeat_interval,
            request_timeout: settings.request_timeout.min(Duration::from_secs(30)),
            client_id: format!("{client}-{worker_id}"),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let herder = DistributedHerder {
            inner: Arc::new(Inner {
                protocol,
                url,
                worker,
                config: config_topic,
                status,
                member: tokio::sync::Mutex::new(member),
                view: Mutex::new(View {
                    assignment: ConnectorsAndTasks::default(),
                    leader_id: String::new(),
                    leader_url: String::new(),
                    member_id: String::new(),
                    generation: -1,
                    last_completed_generation: -1,
                    rebalancing: true,
                    need_rejoin: true,
                    rejoin_at: None,
                    assignor: AssignorState::default(),
                    assigned_config: ConnectorsAndTasks::default(),
                    task_configs: BTreeMap::new(),
                    reconfigure: BTreeSet::new(),
                    protocol,
                }),
                wake: Notify::new(),
                events: tx,
                stop: CancellationToken::new(),
                http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().map_err(
                    |e| ConnectError::fatal(format!("cannot build an HTTP client: {e}")),
                )?,
                writes: tokio::sync::Mutex::new(()),
                loop_done: Mutex::new(None),
                settings,
            }),
        };
        let looping = herder.clone();
        let handle = tokio::spawn(async move { looping.run(rx).await });
        *herder.inner.loop_done.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        Ok(herder)
    }

    /// The worker that runs what is assigned here.
    pub fn worker(&self) -> &Worker {
        &self.inner.worker
    }

    fn view<T>(&self, f: impl FnOnce(&mut View) -> T) -> T {
        f(&mut self.inner.view.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether this worker leads the group now.
    pub fn is_leader(&self) -> bool {
        self.view(|v| !v.member_id.is_empty() && v.member_id == v.leader_id)
    }

    /// What runs here: connectors and tasks assigned to this worker.
    pub fn assignment(&self) -> ConnectorsAndTasks {
        self.view(|v| v.assignment.clone())
    }

    /// Stops the loop and everything running here, and leaves the group.
    pub async fn shutdown(&self) {
        self.inner.stop.cancel();
        self.inner.wake.notify_one();
        let handle = self.inner.loop_done.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.await;
        }
    }

    fn context(&self, name: &str) -> ConnectorContext {
        let events = self.inner.events.clone();
        let name = name.to_string();
        ConnectorContext::new(move |e| {
            let _ = events.send((name.clone(), e));
        })
    }

    async fn run(&self, mut events: mpsc::UnboundedReceiver<(String, ConnectorEvent)>) {
        let mut beats: Option<(CancellationToken, watch::Receiver<HeartbeatEvent>)> = None;
        loop {
            if self.inner.stop.is_cancelled() {
                break;
            }
            match self.inner.config.refresh().await {
                Ok(changes) => self.on_config(changes).await,
                Err(e) => warn!(error = %e, "cannot read the config topic"),
            }
            let due =
                self.view(|v| v.need_rejoin || v.rejoin_at.is_some_and(|t| Instant::now() >= t));
            if due {
                if let Some((stop, _)) = beats.take() {
                    stop.cancel();
                }
                match self.rebalance().await {
                    Ok(true) => {
                        let stop = CancellationToken::new();
                        let rx = self.inner.member.lock().await.start_heartbeats(stop.clone());
                        beats = Some((stop, rx));
                    }
                    Ok(false) => continue,
                    Err(e) => {
                        warn!(error = %e.trace(), "rebalance failed; retrying");
                        tokio::select! {
                            _ = self.inner.stop.cancelled() => break,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        continue;
                    }
                }
            }
            if let Err(e) = self.leader_duties().await {
                warn!(error = %e, "leader duties failed");
            }
            self.publish_task_configs().await;
            let heartbeat = async {
                match beats.as_mut() {
                    Some((_, rx)) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.inner.stop.cancelled() => break,
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
                alive = heartbeat => {
                    if !alive {
                        beats = None;
                        self.view(|v| v.need_rejoin = true);
                    }
                }
                Some((name, event)) = events.recv() => match event {
                    ConnectorEvent::TaskReconfigurationRequested => {
                        self.view(|v| v.reconfigure.insert(name));
                    }
                    ConnectorEvent::ErrorRaised(e) => {
                        warn!(connector = %name, error = %e.trace(), "connector raised an error");
                        self.inner.status.set_connector(&name, self.inner.worker.status_of(State::Failed, Some(e.trace())));
                    }
                },
            }
            if let Some((_, rx)) = &beats {
                let event = rx.borrow().clone();
                match event {
                    HeartbeatEvent::Alive => {}
                    HeartbeatEvent::RebalanceNeeded => self.view(|v| v.need_rejoin = true),
                    HeartbeatEvent::Fenced(why) => {
                        warn!(reason = %why, "this worker is out of the group: stopping its work");
                        self.stop_everything().await;
                        self.view(|v| v.need_rejoin = true);
                    }
                    HeartbeatEvent::Unreachable(since) => {
                        let s = &self.inner.settings;
                        let limit = s.session_timeout.saturating_sub(s.heartbeat_interval);
                        if since.elapsed() >= limit && !self.assignment().is_empty() {
                            warn!(
                                "no heartbeat got through for {:?}: stopping this worker's work before another worker takes it",
                                since.elapsed()
                            );
                            self.stop_everything().await;
                            self.view(|v| v.need_rejoin = true);
                        }
                    }
                }
            }
        }
        if let Some((stop, _)) = beats.take() {
            stop.cancel();
        }
        self.stop_everything().await;
        if let Err(e) = self.inner.member.lock().await.leave().await {
            warn!(error = %e, "could not leave the group");
        }
        info!("distributed herder stopped");
    }

    /// Stops every connector and task running here and forgets the assignment.
    async fn stop_everything(&self) {
        self.inner.worker.stop_all().await;
        self.view(|v| {
            v.assignment = ConnectorsAndTasks::default();
            v.task_configs.clear();
            v.reconfigure.clear();
        });
    }

    /// Joins the group, assigns (as leader), syncs and applies the assignment. `Ok(false)`
    /// when the group must be joined again at once.
    async fn rebalance(&self) -> Result<bool> {
        self.view(|v| {
            v.need_rejoin = false;
            v.rejoin_at = None;
            v.rebalancing = true;
        });
        let offset = self.inner.config.read(|s| s.offset);
        let (current, leader, leader_url, generation) = self.view(|v| {
            (v.assignment.clone(), v.leader_id.clone(), v.leader_url.clone(), v.generation)
        });
        let state = WorkerState {
            url: self.inner.url.clone(),
            config_offset: offset,
            assignment: (generation >= 0).then(|| Assignment {
                version: 1,
                error: Assignment::NO_ERROR,
                leader,
                leader_url,
                config_offset: offset,
                assigned: current,
                revoked: ConnectorsAndTasks::default(),
                delay_ms: 0,
            }),
        };
        let protocols: Vec<(String, Vec<u8>)> = self
            .inner
            .protocol
            .offered()
            .into_iter()
            .map(|p| Ok((p.name().to_string(), encode_metadata(&state, p)?)))
            .collect::<Result<_>>()?;
        let deadline = Instant::now() + self.inner.settings.rebalance_timeout * 2;
        let mut member = self.inner.member.lock().await;
        let joined = member.join(&protocols, deadline).await?;
        let chosen = ConnectProtocol::from_name(&joined.protocol).unwrap_or(ConnectProtocol::Eager);
        self.inner.status.set_generation(joined.generation);
        let assignments = if joined.is_leader() {
            self.leader_assign(&joined, chosen).await?
        } else {
            Vec::new()
        };
        let bytes = match member.sync(&joined, assignments).await? {
            Synced::Assigned(b) => b,
            Synced::Rejoin(why) => {
                info!(reason = %why, "rejoining the group");
                self.view(|v| v.need_rejoin = true);
                return Ok(false);
            }
        };
        drop(member);
        if bytes.is_empty() {
            self.view(|v| v.need_rejoin = true);
            return Ok(false);
        }
        let a = decode_assignment(&bytes)?;
        if a.error == Assignment::CONFIG_MISMATCH {
            info!("the leader's config was behind; reading the config topic and rejoining");
            self.inner.config.refresh().await.map(drop)?;
            self.view(|v| v.need_rejoin = true);
            return Ok(false);
        }
        self.view(|v| {
            v.leader_id = a.leader.clone();
            v.leader_url = a.leader_url.clone();
            v.member_id = joined.member_id.clone();
            v.generation = joined.generation;
            v.last_completed_generation = joined.generation;
            v.protocol = chosen;
        });
        // Catch up to the offset the assignment was made at before running it.
        if self.inner.config.read(|s| s.offset) < a.config_offset {
            let events = self.inner.config.refresh().await?;
            self.on_config(events).await;
        }
        self.apply(&a, chosen).await;
        self.view(|v| {
            v.rebalancing = false;
            if a.delay_ms > 0 {
                v.rejoin_at = Some(Instant::now() + Duration::from_millis(a.delay_ms as u64));
            }
            if chosen != ConnectProtocol::Eager && !a.revoked.is_empty() {
                v.need_rejoin = true;
            }
        });
        info!(
            generation = joined.generation,
            leader = joined.is_leader(),
            protocol = chosen.name(),
            connectors = ?self.assignment().connectors,
            tasks = self.assignment().tasks.len(),
            "assignment applied"
        );
        Ok(true)
    }

    /// The leader's part of a rebalance: every member's assignment, serialized.
    async fn leader_assign(
        &self,
        joined: &super::group::Joined,
        chosen: ConnectProtocol,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let mut running = BTreeMap::new();
        let mut max_offset = -1;
        for m in &joined.members {
            let meta = decode_metadata(&m.metadata)?;
            max_offset = max_offset.max(meta.config_offset);
            running.insert(
                m.member_id.clone(),
                meta.assignment.map(|a| a.assigned).unwrap_or_default(),
            );
        }
        if self.inner.config.read(|s| s.offset) < max_offset {
            let events = self.inner.config.refresh().await?;
            self.on_config(events).await;
        }
        let snapshot = self.inner.config.snapshot();
        let base = |error: i16| Assignment {
            version: chosen.version(),
            error,
            leader: joined.member_id.clone(),
            leader_url: self.inner.url.clone(),
            config_offset: snapshot.offset,
            assigned: ConnectorsAndTasks::default(),
            revoked: ConnectorsAndTasks::default(),
            delay_ms: 0,
        };
        if snapshot.offset < max_offset {
            // A member has read further than this leader can: everyone rejoins.
            return running
                .keys()
                .map(|m| Ok((m.clone(), encode_assignment(&base(Assignment::CONFIG_MISMATCH))?)))
                .collect();
        }
        let configured = snapshot.assignable();
        let per_member: BTreeMap<String, (ConnectorsAndTasks, ConnectorsAndTasks, i32)> = if chosen
            == ConnectProtocol::Eager
        {
            let members: BTreeSet<String> = running.keys().cloned().collect();
            assign_eager(&configured, &members)
                .into_iter()
                .map(|(m, a)| (m, (a, ConnectorsAndTasks::default(), 0)))
                .collect()
        } else {
            let (last, state) = self.view(|v| (v.last_completed_generation, v.assignor.clone()));
            let round = Round {
                configured: &configured,
                members: &running,
                last_completed_generation: last,
                generation: joined.generation,
                now_ms: now_ms(),
                max_delay_ms: self.inner.settings.scheduled_rebalance_max_delay.as_millis() as i32,
            };
            let (next, out) = assign(&state, &round);
            self.view(|v| v.assignor = next);
            out.members
                .into_iter()
                .map(|(m, a)| (m, (a.assigned, a.revoked, out.delay_ms)))
                .collect()
        };
        self.view(|v| v.assigned_config = configured);
        per_member
            .into_iter()
            .map(|(m, (assigned, revoked, delay_ms))| {
                let a = Assignment { assigned, revoked, delay_ms, ..base(Assignment::NO_ERROR) };
                Ok((m, encode_assignment(&a)?))
            })
            .collect()
    }

    /// Stops what `a` revokes (with the eager protocol, everything not assigned again) and
    /// starts what it assigns.
    async fn apply(&self, a: &Assignment, chosen: ConnectProtocol) {
        let current = self.assignment();
        let revoked = if chosen == ConnectProtocol::Eager {
            ConnectorsAndTasks {
                connectors: current
                    .connectors
                    .difference(&a.assigned.connectors)
                    .cloned()
                    .collect(),
                tasks: current.tasks.difference(&a.assigned.tasks).cloned().collect(),
            }
        } else {
            a.revoked.clone()
        };
        for t in &revoked.tasks {
            self.inner.worker.stop_tasks(&t.connector, Some(&[t.task])).await;
            self.view(|v| v.task_configs.remove(t));
        }
        for c in &revoked.connectors {
            if let Err(e) = self.inner.worker.stop_connector_instance(c).await {
                warn!(connector = %c, error = %e, "error while stopping a revoked connector");
            }
        }
        let mut next = current;
        next.connectors.retain(|c| !revoked.connectors.contains(c));
        next.tasks.retain(|t| !revoked.tasks.contains(t));
        let start = ConnectorsAndTasks {
            connectors: a.assigned.connectors.difference(&next.connectors).cloned().collect(),
            tasks: a.assigned.tasks.difference(&next.tasks).cloned().collect(),
        };
        next.connectors.extend(a.assigned.connectors.iter().cloned());
        next.tasks.extend(a.assigned.tasks.iter().cloned());
        self.view(|v| v.assignment = next);
        let snapshot = self.inner.config.snapshot();
        for c in &start.connectors {
            self.start_connector_here(c, &snapshot).await;
        }
        for t in &start.tasks {
            self.start_task_here(t, &snapshot).await;
        }
    }

    async fn start_connector_here(&self, name: &str, snapshot: &ClusterConfigState) {
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

    async fn start_task_here(&self, t: &TaskId, snapshot: &ClusterConfigState) {
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
    async fn on_config(&self, changes: Vec<ConfigEvent>) {
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

    async fn retarget(&self, c: &str, snapshot: &ClusterConfigState, here: &ConnectorsAndTasks) {
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

    async fn restart_here(
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
    async fn leader_duties(&self) -> Result<()> {
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
    async fn publish_task_configs(&self) {
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
    fn as_kafka_task_configs(
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

    async fn forward_task_configs(
        &self,
        c: &str,
        configs: &[RawConfig],
        snapshot: &ClusterConfigState,
    ) -> Result<()> {
        let key = snapshot
            .session_key
            .as_ref()
            .ok_or_else(|| ConnectError::retriable("no session key yet"))?;
        let body = serde_json::to_vec(configs)?;
        let sig = signature::sign(key, &body)?;
        let url = format!("{}connectors/{c}/tasks?forward=true", self.leader_url()?);
        let resp = self
            .inner
            .http
            .post(url)
            .header("content-type", "application/json")
            .header(signature::SIGNATURE_HEADER, sig)
            .header(signature::ALGORITHM_HEADER, signature::HMAC_SHA256)
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

    fn leader_url(&self) -> Result<String> {
        let url = self.view(|v| v.leader_url.clone());
        if url.is_empty() {
            return Err(ConnectError::retriable("no leader known yet"));
        }
        Ok(if url.ends_with('/') { url } else { format!("{url}/") })
    }

    /// Waits (bounded) until a rebalance is over; `true` when this worker leads.
    async fn await_leader(&self) -> Result<bool> {
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
    async fn via_leader(
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
    async fn read_back(
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

    fn kind_of(&self, config: &RawConfig) -> Result<PluginKind> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        Ok(self.inner.worker.registry().connector(&class)?.kind())
    }

    fn existing(&self, name: &str) -> Result<(RawConfig, TargetState, Vec<RawConfig>)> {
        self.inner.config.read(|s| {
            let config = s.connectors.get(name).cloned().ok_or_else(|| not_found(name))?;
            let target = s.target_state(name).unwrap_or(TargetState::Started);
            Ok((config, target, s.tasks.get(name).cloned().unwrap_or_default()))
        })
    }

    fn info_of(&self, name: &str) -> Result<ConnectorInfo> {
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
    /// gave, accepted only with a valid session-key signature.
    pub async fn accept_task_configs(
        &self,
        name: &str,
        body: &[u8],
        algorithm: Option<&str>,
        signature_b64: Option<&str>,
    ) -> std::result::Result<(), (u16, String)> {
        let key = self.inner.config.read(|s| s.session_key.clone());
        signature::verify(key.as_ref(), algorithm, signature_b64, body)
            .map_err(|r| (r.status(), r.message().to_string()))?;
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
        crate::status::lock_topics(&self.inner.status.topics(name)).clear();
        Ok(())
    }
    fn mask(&self, config: &RawConfig) -> RawConfig {
        validation::mask(self.inner.worker.registry(), config)
    }
    fn validate(&self, class: &str, config: &RawConfig) -> Result<ConfigInfos> {
        validation::validate(self.inner.worker.registry(), class, config)
    }
    async fn put_connector(
        &self,
        name: &str,
        mut config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        let path =
            if replace { format!("connectors/{name}/config") } else { "connectors".to_string() };
        let (method, body) = if replace {
            (reqwest::Method::PUT, serde_json::to_value(&config)?)
        } else {
            (reqwest::Method::POST, serde_json::json!({"name": name, "config": config}))
        };
        if let Some((status, v)) = self.via_leader(method, &path, Some(body)).await? {
            let info: ConnectorInfo = serde_json::from_value(v).map_err(|e| {
                ConnectError::fatal(format!("the leader's answer is not a connector: {e}"))
            })?;
            return Ok((info, status == 201));
        }
        config.insert("name".into(), name.to_string());
        validation::check_config(self.inner.worker.registry(), &config)?;
        let _one = self.inner.writes.lock().await;
        let exists = self.inner.config.read(|s| s.connectors.contains_key(name));
        if exists && !replace {
            return Err(ConnectError::conflict(format!("Connector {name} already exists")));
        }
        self.inner.config.put_connector(name, &config).await?;
        self.read_back("the connector config", |s| s.connectors.get(name) == Some(&config)).await?;
        Ok((self.info_of(name)?, !exists))
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
        let url = format!("http://{owner}/connectors/{name}/tasks/{task}/restart");
        let resp =
            self.inner.http.post(url).send().await.map_err(|e| {
                ConnectError::retriable(format!("cannot reach worker {owner}: {e}"))
            })?;
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
