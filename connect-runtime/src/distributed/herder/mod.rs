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
use crate::rest::tls::SslSettings;
use crate::status::{State, StatusBackingStore};
use crate::task::{TargetState, TaskId};
use crate::worker::Worker;

mod membership;
mod rest;
mod work;

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
    /// Rebalance counts and times (`connect-worker-rebalance-metrics`).
    rebalances: RebalanceStats,
}

/// How this worker's rebalances went.
#[derive(Debug, Default)]
struct RebalanceStats {
    /// When the rebalance under way began.
    started: Option<Instant>,
    completed: u64,
    total_ms: f64,
    max_ms: f64,
    last_done: Option<Instant>,
}

impl RebalanceStats {
    fn begin(&mut self) {
        self.started.get_or_insert_with(Instant::now);
    }

    fn end(&mut self) {
        if let Some(started) = self.started.take() {
            let ms = started.elapsed().as_secs_f64() * 1e3;
            self.completed += 1;
            self.total_ms += ms;
            self.max_ms = self.max_ms.max(ms);
            self.last_done = Some(Instant::now());
        }
    }
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

/// The client this worker calls other workers with (a write forwarded to the leader,
/// task configs, a task restart). It speaks TLS as Kafka's `RestClient` does, with the
/// REST listener's TLS keys ([`SslSettings`]): their truststore, and their keystore as
/// client certificate. When this worker's own URL is https, TLS settings that cannot be
/// used stop its start; otherwise they are reported and calls to https workers fail.
fn http_client(config: &WorkerConfig, url: &str) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder().timeout(Duration::from_secs(60));
    let builder = match SslSettings::from_worker(config).client_config() {
        Ok(tls) => builder.use_preconfigured_tls(tls),
        Err(e) if url.starts_with("https://") => {
            return Err(e.context("the TLS client calling other workers"));
        }
        Err(e) => {
            if config
                .listeners()
                .iter()
                .any(|l| l.trim().to_ascii_lowercase().starts_with("https://"))
            {
                warn!(error = %e.message(), "calls to https workers will fail: their TLS settings are unusable");
            }
            builder
        }
    };
    builder.build().map_err(|e| ConnectError::fatal(format!("cannot build an HTTP client: {e}")))
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
        let http = http_client(&config, &url)?;
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
                    rebalances: RebalanceStats::default(),
                }),
                wake: Notify::new(),
                events: tx,
                stop: CancellationToken::new(),
                http,
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
}
