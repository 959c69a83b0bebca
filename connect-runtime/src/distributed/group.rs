//! Group membership through Kafka's group coordinator, as a Connect worker uses it:
//! protocol type `connect`, the member metadata and assignments of [`super::protocol`]
//! carried as opaque bytes. FindCoordinator, JoinGroup (with the member-id-required retry
//! of KIP-394), SyncGroup, Heartbeat (on its own task and connection, so connector code
//! never delays it) and LeaveGroup; the coordinator moving, rebalances and fencing come
//! back as errors or [`HeartbeatEvent`]s the caller acts on.

use std::time::{Duration, Instant};

use bytes::Bytes;
use connect_api::{ConnectError, Result};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::find_coordinator_response::FindCoordinatorResponse;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::wire::Connection;

/// The group protocol type of Connect workers.
pub const PROTOCOL_TYPE: &str = "connect";

// The highest version of each group API this member sends: the last layouts before the
// flexible (tagged-field) ones, and LeaveGroup before its batch layout. They carry all
// Connect needs (member ids, instance ids, the member-id handshake), every Kafka since 2.3
// speaks them, and librdkafka's mock cluster drops the connection on the flexible ones
// (JoinGroup v6, SyncGroup v4) and reads every LeaveGroup as version 0.
const JOIN_GROUP_MAX: i16 = 5;
const SYNC_GROUP_MAX: i16 = 3;
const HEARTBEAT_MAX: i16 = 3;
const LEAVE_GROUP_MAX: i16 = 2;

/// How a member joins and stays in its group.
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    /// `bootstrap.servers`, split.
    pub bootstrap: Vec<String>,
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id` (static membership), if any.
    pub group_instance_id: Option<String>,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `rebalance.timeout.ms`.
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `request.timeout.ms` for requests other than JoinGroup.
    pub request_timeout: Duration,
    /// The client id the requests carry.
    pub client_id: String,
}

/// A member of the group, as JoinGroup tells the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its member id.
    pub member_id: String,
    /// Its `group.instance.id`, if static.
    pub group_instance_id: Option<String>,
    /// Its metadata for the chosen protocol.
    pub metadata: Vec<u8>,
}

/// A completed JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The generation the group is in.
    pub generation: i32,
    /// This member's id.
    pub member_id: String,
    /// The leader's member id.
    pub leader_id: String,
    /// The protocol the coordinator chose (one every member offered).
    pub protocol: String,
    /// Every member with its metadata: only the leader is told.
    pub members: Vec<Member>,
}

impl Joined {
    /// Whether this member leads the group this generation.
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

/// What SyncGroup gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// This member's assignment bytes.
    Assigned(Vec<u8>),
    /// The group moved on meanwhile (a rebalance began, or this member's generation or
    /// id is stale): join again.
    Rejoin(String),
}

/// What the heartbeat task reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeartbeatEvent {
    /// The coordinator accepted the last heartbeat.
    Alive,
    /// A rebalance began: the member must rejoin (its work stays assigned until then).
    RebalanceNeeded,
    /// The coordinator no longer knows this member or generation: it is out of the group
    /// and must stop its work and rejoin.
    Fenced(String),
    /// No heartbeat got through since the given instant: past the session timeout the
    /// coordinator considers this member dead.
    Unreachable(Instant),
}

/// A group member: the coordinator connection for joins and syncs, and its identity.
#[derive(Debug)]
pub struct GroupMember {
    config: MembershipConfig,
    coordinator: Option<Connection>,
    member_id: String,
    generation: i32,
}

fn error_of(code: i16) -> Option<ResponseError> {
    if code == 0 { None } else { ResponseError::try_from_code(code) }
}

fn str(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Errors after which the coordinator must be looked up again.
fn coordinator_moved(e: Option<ResponseError>) -> bool {
    matches!(
        e,
        Some(ResponseError::NotCoordinator)
            | Some(ResponseError::CoordinatorNotAvailable)
            | Some(ResponseError::CoordinatorLoadInProgress)
    )
}

impl GroupMember {
    /// A member that has not joined yet.
    pub fn new(config: MembershipConfig) -> Self {
        GroupMember { config, coordinator: None, member_id: String::new(), generation: -1 }
    }

    /// This member's id (empty before its first join).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The generation of the last join (`-1` before).
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// The config it runs with.
    pub fn config(&self) -> &MembershipConfig {
        &self.config
    }

    /// Finds the group coordinator through any bootstrap broker and connects to it.
    async fn coordinator(&mut self) -> Result<&mut Connection> {
        if self.coordinator.is_none() {
            let conn = find_coordinator(&self.config).await?;
            info!(group = %self.config.group_id, coordinator = conn.addr(), "found the group coordinator");
            self.coordinator = Some(conn);
        }
        self.coordinator.as_mut().ok_or_else(|| ConnectError::fatal("no coordinator"))
    }

    /// Joins (or rejoins) the group offering `protocols` (name, metadata) in order of
    /// preference; retries through coordinator moves and the member-id handshake until
    /// `deadline`.
    pub async fn join(
        &mut self,
        protocols: &[(String, Vec<u8>)],
        deadline: Instant,
    ) -> Result<Joined> {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.join_once(protocols).await {
                Ok(Ok(joined)) => return Ok(joined),
                Ok(Err(retry)) => {
                    debug!(group = %self.config.group_id, reason = %retry, "joining again")
                }
                Err(e) if e.kind() == connect_api::ErrorKind::Retriable => {
                    warn!(group = %self.config.group_id, error = %e, "join failed; retrying");
                    self.coordinator = None;
                    if Instant::now() + backoff > deadline {
                        return Err(e.context("cannot join the Connect group"));
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
            if Instant::now() > deadline {
                return Err(ConnectError::retriable(format!(
                    "could not join group {} in time",
                    self.config.group_id
                )));
            }
        }
    }

    /// One JoinGroup: the outcome, or why to send another at once.
    async fn join_once(
        &mut self,
        protocols: &[(String, Vec<u8>)],
    ) -> Result<std::result::Result<Joined, String>> {
        let cfg = self.config.clone();
        let member_id = self.member_id.clone();
        let conn = self.coordinator().await?;
        let version = conn.version::<JoinGroupRequest>(JOIN_GROUP_MAX)?;
        let request = JoinGroupRequest::default()
            .with_group_id(GroupId(str(&cfg.group_id)))
            .with_session_timeout_ms(cfg.session_timeout.as_millis() as i32)
            .with_rebalance_timeout_ms(cfg.rebalance_timeout.as_millis() as i32)
            .with_member_id(str(&member_id))
            .with_group_instance_id(cfg.group_instance_id.as_deref().map(str))
            .with_protocol_type(str(PROTOCOL_TYPE))
            .with_protocols(
                protocols
                    .iter()
                    .map(|(name, meta)| {
                        JoinGroupRequestProtocol::default()
                            .with_name(str(name))
                            .with_metadata(Bytes::from(meta.clone()))
                    })
                    .collect(),
            );
        // The coordinator holds a JoinGroup until every member rejoined or the rebalance
        // timeout passed.
        let wait = cfg.rebalance_timeout + cfg.request_timeout;
        let response =
            tokio::time::timeout(wait, conn.send(&request, version)).await.map_err(|_| {
                ConnectError::retriable(format!("no JoinGroup answer within {wait:?}"))
            })??;
        match error_of(response.error_code) {
            None => {
                self.member_id = response.member_id.to_string();
                self.generation = response.generation_id;
                let joined = Joined {
                    generation: response.generation_id,
                    member_id: response.member_id.to_string(),
                    leader_id: response.leader.to_string(),
                    protocol: response.protocol_name.map(|p| p.to_string()).unwrap_or_default(),
                    members: response
                        .members
                        .into_iter()
                        .map(|m| Member {
                            member_id: m.member_id.to_string(),
                            group_instance_id: m.group_instance_id.map(|i| i.to_string()),
                            metadata: m.metadata.to_vec(),
                        })
                        .collect(),
                };
                info!(
                    group = %cfg.group_id,
                    generation = joined.generation,
                    member = %joined.member_id,
                    leader = joined.is_leader(),
                    protocol = %joined.protocol,
                    "joined the Connect group"
                );
                Ok(Ok(joined))
            }
            Some(ResponseError::MemberIdRequired) => {
                // KIP-394: the coordinator hands out the id to join with.
                self.member_id = response.member_id.to_string();
                Ok(Err("the coordinator gave this member its id".into()))
            }
            Some(ResponseError::UnknownMemberId) => {
                self.member_id.clear();
                Ok(Err("the coordinator forgot this member".into()))
            }
            Some(ResponseError::RebalanceInProgress) => {
                Ok(Err("a rebalance is in progress".into()))
            }
            e if coordinator_moved(e) => {
                self.coordinator = None;
                Err(ConnectError::retriable(format!("group coordinator moved: {e:?}")))
            }
            Some(e) => Err(ConnectError::config(format!(
                "the coordinator refused this worker into group {}: {e} (error code {})",
                cfg.group_id, response.error_code
            ))),
        }
    }

    /// SyncGroup for `joined`: the leader sends every member's assignment.
    pub async fn sync(
        &mut self,
        joined: &Joined,
        assignments: Vec<(String, Vec<u8>)>,
    ) -> Result<Synced> {
        let cfg = self.config.clone();
        let conn = self.coordinator().await?;
        let version = conn.version::<SyncGroupRequest>(SYNC_GROUP_MAX)?;
        let request = SyncGroupRequest::default()
            .with_group_id(GroupId(str(&cfg.group_id)))
            .with_generation_id(joined.generation)
            .with_member_id(str(&joined.member_id))
            .with_group_instance_id(cfg.group_instance_id.as_deref().map(str))
            .with_protocol_type(Some(str(PROTOCOL_TYPE)))
            .with_protocol_name(Some(str(&joined.protocol)))
            .with_assignments(
                assignments
                    .into_iter()
                    .map(|(m, a)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(str(&m))
                            .with_assignment(Bytes::from(a))
                    })
                    .collect(),
            );
        let wait = cfg.rebalance_timeout + cfg.request_timeout;
        let sent = tokio::time::timeout(wait, conn.send(&request, version)).await;
        let response = match sent {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                self.coordinator = None;
                return Ok(Synced::Rejoin(format!("SyncGroup failed: {e}")));
            }
            Err(_) => {
                self.coordinator = None;
                return Ok(Synced::Rejoin(format!("no SyncGroup answer within {wait:?}")));
            }
        };
        match error_of(response.error_code) {
            None => Ok(Synced::Assigned(response.assignment.to_vec())),
            Some(ResponseError::UnknownMemberId) => {
                self.member_id.clear();
                Ok(Synced::Rejoin("the coordinator forgot this member".into()))
            }
            Some(e @ (ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration)) => {
                Ok(Synced::Rejoin(e.to_string()))
            }
            e if coordinator_moved(e) => {
                self.coordinator = None;
                Ok(Synced::Rejoin(format!("group coordinator moved: {e:?}")))
            }
            Some(e) => Err(ConnectError::config(format!(
                "SyncGroup refused in group {}: {e} (error code {})",
                cfg.group_id, response.error_code
            ))),
        }
    }

    /// Starts heartbeats for the current generation on their own task and connection;
    /// they stop when `stop` fires. The receiver sees the latest [`HeartbeatEvent`].
    pub fn start_heartbeats(&self, stop: CancellationToken) -> watch::Receiver<HeartbeatEvent> {
        let (tx, rx) = watch::channel(HeartbeatEvent::Alive);
        let cfg = self.config.clone();
        let member_id = self.member_id.clone();
        let generation = self.generation;
        tokio::spawn(async move {
            let mut conn: Option<Connection> = None;
            let mut last_ok = Instant::now();
            let mut tick = tokio::time::interval(cfg.heartbeat_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {}
                }
                // A coordinator that hangs may hold the answer up to `request_timeout`, which
                // can be longer than the session: say it is unreachable while the caller
                // still has time to stop its work, then keep waiting for the answer.
                let alarm = last_ok + cfg.session_timeout.saturating_sub(cfg.heartbeat_interval);
                let event = {
                    let beat = heartbeat_once(&cfg, &mut conn, &member_id, generation);
                    tokio::pin!(beat);
                    tokio::select! {
                        biased;
                        event = &mut beat => event,
                        _ = tokio::time::sleep_until(alarm.into()) => {
                            tx.send_replace(HeartbeatEvent::Unreachable(last_ok));
                            beat.await
                        }
                    }
                };
                let event = match event {
                    Ok(None) => {
                        last_ok = Instant::now();
                        HeartbeatEvent::Alive
                    }
                    Ok(Some(e)) => e,
                    Err(e) => {
                        debug!(group = %cfg.group_id, error = %e, "heartbeat failed");
                        conn = None;
                        HeartbeatEvent::Unreachable(last_ok)
                    }
                };
                let end =
                    matches!(event, HeartbeatEvent::Fenced(_) | HeartbeatEvent::RebalanceNeeded);
                tx.send_replace(event);
                if end || tx.is_closed() {
                    break;
                }
            }
        });
        rx
    }

    /// Leaves the group (a static member does not: its instance id keeps its place until
    /// its session times out, so a bounced worker keeps its work).
    pub async fn leave(&mut self) -> Result<()> {
        if self.member_id.is_empty() || self.config.group_instance_id.is_some() {
            return Ok(());
        }
        let cfg = self.config.clone();
        let member_id = self.member_id.clone();
        let conn = self.coordinator().await?;
        let version = conn.version::<LeaveGroupRequest>(LEAVE_GROUP_MAX)?;
        let mut request = LeaveGroupRequest::default().with_group_id(GroupId(str(&cfg.group_id)));
        if version >= 3 {
            request = request
                .with_members(vec![MemberIdentity::default().with_member_id(str(&member_id))]);
        } else {
            request = request.with_member_id(str(&member_id));
        }
        let response = tokio::time::timeout(cfg.request_timeout, conn.send(&request, version))
            .await
            .map_err(|_| ConnectError::retriable("no LeaveGroup answer"))??;
        self.member_id.clear();
        self.generation = -1;
        match error_of(response.error_code) {
            None | Some(ResponseError::UnknownMemberId) => {
                info!(group = %cfg.group_id, member = %member_id, "left the Connect group");
                Ok(())
            }
            Some(e) => Err(ConnectError::retriable(format!("LeaveGroup failed: {e}"))),
        }
    }
}

/// One heartbeat: `None` when accepted, else what the coordinator said.
async fn heartbeat_once(
    cfg: &MembershipConfig,
    conn: &mut Option<Connection>,
    member_id: &str,
    generation: i32,
) -> Result<Option<HeartbeatEvent>> {
    if conn.is_none() {
        *conn = Some(find_coordinator(cfg).await?);
    }
    let Some(c) = conn.as_mut() else { return Err(ConnectError::fatal("no coordinator")) };
    let version = c.version::<HeartbeatRequest>(HEARTBEAT_MAX)?;
    let request = HeartbeatRequest::default()
        .with_group_id(GroupId(str(&cfg.group_id)))
        .with_generation_id(generation)
        .with_member_id(str(member_id))
        .with_group_instance_id(cfg.group_instance_id.as_deref().map(str));
    let response = tokio::time::timeout(cfg.request_timeout, c.send(&request, version))
        .await
        .map_err(|_| ConnectError::retriable("no heartbeat answer"))??;
    Ok(match error_of(response.error_code) {
        None => None,
        Some(ResponseError::RebalanceInProgress) => Some(HeartbeatEvent::RebalanceNeeded),
        Some(
            e @ (ResponseError::IllegalGeneration
            | ResponseError::UnknownMemberId
            | ResponseError::FencedInstanceId),
        ) => Some(HeartbeatEvent::Fenced(e.to_string())),
        e if coordinator_moved(e) => {
            *conn = None;
            return Err(ConnectError::retriable(format!("group coordinator moved: {e:?}")));
        }
        Some(e) => return Err(ConnectError::retriable(format!("heartbeat refused: {e}"))),
    })
}

/// Asks the bootstrap brokers, in turn, for the group's coordinator and connects to it.
async fn find_coordinator(cfg: &MembershipConfig) -> Result<Connection> {
    let mut last = ConnectError::config("bootstrap.servers is empty");
    for broker in &cfg.bootstrap {
        let mut conn = match Connection::open(broker, &cfg.client_id, cfg.request_timeout).await {
            Ok(c) => c,
            Err(e) => {
                last = e;
                continue;
            }
        };
        let version = conn.version::<FindCoordinatorRequest>(3)?;
        let request =
            FindCoordinatorRequest::default().with_key(str(&cfg.group_id)).with_key_type(0);
        let response: FindCoordinatorResponse =
            match tokio::time::timeout(cfg.request_timeout, conn.send(&request, version)).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    last = e;
                    continue;
                }
                Err(_) => {
                    last = ConnectError::retriable(format!("{broker}: no FindCoordinator answer"));
                    continue;
                }
            };
        if let Some(e) = error_of(response.error_code) {
            last = ConnectError::retriable(format!(
                "{broker}: no coordinator for group {} yet: {e}",
                cfg.group_id
            ));
            continue;
        }
        let addr = format!("{}:{}", response.host, response.port);
        if addr == broker.as_str() {
            return Ok(conn);
        }
        return Connection::open(&addr, &cfg.client_id, cfg.request_timeout).await;
    }
    Err(last)
}
