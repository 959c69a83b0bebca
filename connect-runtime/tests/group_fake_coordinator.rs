//! Connect group membership against a fake group coordinator: a TCP server in the test
//! that decodes Kafka's requests with the `kafka-protocol` codecs, answers them from a
//! per-test script of error codes and records what the client sent. No broker is needed.
//! It proves how [`GroupMember`] goes through the coordinator's answers: the member-id
//! handshake of KIP-394, a forgotten member id, the coordinator moving or not yet
//! available, SyncGroup telling it to rejoin, heartbeats announcing a rebalance, fencing
//! the member or not getting through in time, LeaveGroup, and the instance id of a static
//! member, with each API sent at the version the client caps itself to.
#![cfg(feature = "distributed")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use connect_runtime::distributed::group::{
    GroupMember, HeartbeatEvent, Joined, Member, MembershipConfig, Synced,
};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, FindCoordinatorRequest, FindCoordinatorResponse,
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, RequestHeader, ResponseHeader, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

// Kafka's error codes the script uses.
const COORDINATOR_NOT_AVAILABLE: i16 = 15;
const NOT_COORDINATOR: i16 = 16;
const ILLEGAL_GENERATION: i16 = 22;
const UNKNOWN_MEMBER_ID: i16 = 25;
const REBALANCE_IN_PROGRESS: i16 = 27;
const MEMBER_ID_REQUIRED: i16 = 79;

/// The versions the fake advertises, those of a recent Apache Kafka: above what the client
/// sends, so the tests see its caps hold.
const ADVERTISED: [(ApiKey, i16); 6] = [
    (ApiKey::ApiVersions, 4),
    (ApiKey::FindCoordinator, 6),
    (ApiKey::JoinGroup, 9),
    (ApiKey::SyncGroup, 5),
    (ApiKey::Heartbeat, 4),
    (ApiKey::LeaveGroup, 5),
];

/// A request the fake received, with the fields the tests check.
#[derive(Debug, Clone)]
struct Seen {
    version: i16,
    key: ApiKey,
    member_id: String,
    /// `-1` for requests without one.
    generation: i32,
    instance_id: Option<String>,
}

/// The fake's state, shared by its connections.
#[derive(Default)]
struct State {
    port: u16,
    /// The error codes to answer, in order, by API key; `0` once a queue is empty.
    script: HashMap<ApiKey, VecDeque<i16>>,
    seen: Vec<Seen>,
    /// Member ids handed out so far (`fake-member-<n>`).
    members: u32,
    /// The generation of the last successful JoinGroup.
    generation: i32,
    /// Requests are still read and recorded, but never answered.
    mute: bool,
    stopped: bool,
    /// The accept loop and every connection, to abort on [`Fake::stop`].
    tasks: Vec<JoinHandle<()>>,
}

/// A fake group coordinator on 127.0.0.1, which is also the bootstrap broker.
struct Fake {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Fake {
    /// Listens on an ephemeral port and serves every connection on its own task.
    async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { port: addr.port(), ..State::default() }));
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let conn = tokio::spawn(serve(stream, shared.clone()));
                let mut st = shared.lock().unwrap();
                if st.stopped {
                    conn.abort();
                    return;
                }
                st.tasks.push(conn);
            }
        });
        state.lock().unwrap().tasks.push(accept);
        Fake { addr, state }
    }

    /// Queues error codes to answer the next requests of `key` with.
    fn script(&self, key: ApiKey, codes: &[i16]) {
        self.state.lock().unwrap().script.entry(key).or_default().extend(codes);
    }

    /// The requests of `key` received so far, in order.
    fn seen(&self, key: ApiKey) -> Vec<Seen> {
        self.state.lock().unwrap().seen.iter().filter(|s| s.key == key).cloned().collect()
    }

    /// From now on, reads requests but answers none: a coordinator that hangs.
    fn mute(&self) {
        self.state.lock().unwrap().mute = true;
    }

    /// Closes the listener and every connection: a coordinator that went away.
    fn stop(&self) {
        let mut st = self.state.lock().unwrap();
        st.stopped = true;
        st.tasks.drain(..).for_each(|t| t.abort());
    }
}

/// Reads size-prefixed requests off one connection and writes their answers.
async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    while let Ok(size) = stream.read_i32().await {
        let mut frame = vec![0u8; usize::try_from(size).unwrap()];
        if stream.read_exact(&mut frame).await.is_err() {
            return;
        }
        let mut frame = Bytes::from(frame);
        let key = ApiKey::try_from(i16::from_be_bytes([frame[0], frame[1]])).unwrap();
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        let header =
            RequestHeader::decode(&mut frame, key.request_header_version(version)).unwrap();
        let Some(body) = answer(&state, key, version, &mut frame) else { continue };
        let mut out = BytesMut::new();
        ResponseHeader::default()
            .with_correlation_id(header.correlation_id)
            .encode(&mut out, key.response_header_version(version))
            .unwrap();
        out.extend_from_slice(&body);
        let size = i32::try_from(out.len()).unwrap();
        if stream.write_i32(size).await.is_err() || stream.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// `message` encoded at `version`.
fn encode<M: Encodable>(message: &M, version: i16) -> BytesMut {
    let mut out = BytesMut::new();
    message.encode(&mut out, version).unwrap();
    out
}

/// `s` as the protocol's string type.
fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Decodes one request body, records it and encodes its answer from the script (`None`
/// when muted). A successful JoinGroup hands an empty member id a new one, bumps the
/// generation and makes the member the leader of a group of one; a SyncGroup gives the
/// member the assignment the request carries for it.
fn answer(state: &Mutex<State>, key: ApiKey, version: i16, body: &mut Bytes) -> Option<BytesMut> {
    let mut st = state.lock().unwrap();
    let code = st.script.get_mut(&key).and_then(VecDeque::pop_front).unwrap_or(0);
    let mut seen =
        Seen { version, key, member_id: String::new(), generation: -1, instance_id: None };
    let reply = match key {
        ApiKey::ApiVersions => {
            let keys = ADVERTISED.iter().map(|&(k, max)| {
                ApiVersion::default().with_api_key(k as i16).with_max_version(max)
            });
            encode(&ApiVersionsResponse::default().with_api_keys(keys.collect()), version)
        }
        ApiKey::FindCoordinator => {
            FindCoordinatorRequest::decode(body, version).unwrap();
            let response = FindCoordinatorResponse::default()
                .with_error_code(code)
                .with_node_id(BrokerId(1))
                .with_host(text("127.0.0.1"))
                .with_port(i32::from(st.port));
            encode(&response, version)
        }
        ApiKey::JoinGroup => {
            let r = JoinGroupRequest::decode(body, version).unwrap();
            seen.member_id = r.member_id.to_string();
            seen.instance_id = r.group_instance_id.as_ref().map(|i| i.to_string());
            let mut member_id = r.member_id.to_string();
            if member_id.is_empty() && (code == 0 || code == MEMBER_ID_REQUIRED) {
                st.members += 1;
                member_id = format!("fake-member-{}", st.members);
            }
            let mut response = JoinGroupResponse::default().with_error_code(code);
            if code == 0 {
                st.generation += 1;
                let first = r.protocols.first().unwrap();
                let me = JoinGroupResponseMember::default()
                    .with_member_id(text(&member_id))
                    .with_group_instance_id(r.group_instance_id.clone())
                    .with_metadata(first.metadata.clone());
                response = response
                    .with_generation_id(st.generation)
                    .with_protocol_name(Some(first.name.clone()))
                    .with_leader(text(&member_id))
                    .with_members(vec![me]);
            } else {
                response = response.with_generation_id(-1);
            }
            if code == 0 || code == MEMBER_ID_REQUIRED {
                response = response.with_member_id(text(&member_id));
            }
            encode(&response, version)
        }
        ApiKey::SyncGroup => {
            let r = SyncGroupRequest::decode(body, version).unwrap();
            (seen.member_id, seen.generation) = (r.member_id.to_string(), r.generation_id);
            seen.instance_id = r.group_instance_id.map(|i| i.to_string());
            let mine = r.assignments.iter().find(|a| a.member_id == r.member_id);
            let assignment = mine.map(|a| a.assignment.clone()).unwrap_or_default();
            let response = SyncGroupResponse::default().with_error_code(code);
            encode(&response.with_assignment(assignment), version)
        }
        ApiKey::Heartbeat => {
            let r = HeartbeatRequest::decode(body, version).unwrap();
            (seen.member_id, seen.generation) = (r.member_id.to_string(), r.generation_id);
            seen.instance_id = r.group_instance_id.map(|i| i.to_string());
            encode(&HeartbeatResponse::default().with_error_code(code), version)
        }
        ApiKey::LeaveGroup => {
            let r = LeaveGroupRequest::decode(body, version).unwrap();
            seen.member_id = r.member_id.to_string();
            if let Some(m) = r.members.first() {
                seen.member_id = m.member_id.to_string();
                seen.instance_id = m.group_instance_id.as_ref().map(|i| i.to_string());
            }
            encode(&LeaveGroupResponse::default().with_error_code(code), version)
        }
        other => panic!("the fake coordinator does not answer {other:?}"),
    };
    st.seen.push(seen);
    (!st.mute).then_some(reply)
}

/// `session.timeout.ms` of the tests' members.
const SESSION: Duration = Duration::from_secs(3);
/// `heartbeat.interval.ms` of the tests' members.
const HEARTBEAT: Duration = Duration::from_millis(100);

/// A member's config against `fake`, static with `instance`: timeouts short enough for
/// the tests to run in seconds (heartbeats well within a third of the session, as Kafka
/// recommends; a request timeout shorter than the session, unlike Connect's defaults).
fn config(fake: &Fake, instance: Option<&str>) -> MembershipConfig {
    MembershipConfig {
        bootstrap: vec![fake.addr.to_string()],
        group_id: "fake-group".into(),
        group_instance_id: instance.map(str::to_string),
        session_timeout: SESSION,
        rebalance_timeout: Duration::from_secs(5),
        heartbeat_interval: HEARTBEAT,
        request_timeout: Duration::from_secs(1),
        client_id: "fake-coordinator-test".into(),
    }
}

/// The protocols a member offers: opaque metadata, which the fake does not read.
fn offer() -> Vec<(String, Vec<u8>)> {
    vec![("sessioned".into(), b"meta-s".to_vec()), ("compatible".into(), b"meta-c".to_vec())]
}

/// Joins `member` with [`offer`]; the test fails if it cannot within 20 s.
async fn join(member: &mut GroupMember) -> Joined {
    let deadline = Instant::now() + Duration::from_secs(20);
    member.join(&offer(), deadline).await.unwrap()
}

/// Joins and syncs `member`, which leads its group of one and assigns itself `mine`.
async fn join_and_sync(member: &mut GroupMember) -> Joined {
    let joined = join(member).await;
    let got = member.sync(&joined, vec![(joined.member_id.clone(), b"mine".to_vec())]).await;
    assert_eq!(got.unwrap(), Synced::Assigned(b"mine".to_vec()));
    joined
}

/// The member ids of `requests`, in order.
fn ids(requests: &[Seen]) -> Vec<&str> {
    requests.iter().map(|s| s.member_id.as_str()).collect()
}

/// Waits up to `within` for a heartbeat event `want` accepts: it and when it came.
async fn wait_event(
    rx: &mut watch::Receiver<HeartbeatEvent>,
    within: Duration,
    want: impl Fn(&HeartbeatEvent) -> bool,
) -> (HeartbeatEvent, Instant) {
    let got =
        tokio::time::timeout(within, async { rx.wait_for(|e| want(e)).await.map(|e| e.clone()) })
            .await;
    match got {
        Ok(Ok(e)) => (e, Instant::now()),
        _ => panic!("no such heartbeat event within {within:?} (last: {:?})", *rx.borrow()),
    }
}

/// Waits until the fake has received `n` requests of `key`.
async fn wait_seen(fake: &Fake, key: ApiKey, n: usize) {
    let enough = async {
        while fake.seen(key).len() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let waited = tokio::time::timeout(Duration::from_secs(10), enough).await;
    waited.unwrap_or_else(|_| panic!("fewer than {n} {key:?} requests: {:?}", fake.seen(key)));
}

/// KIP-394: a JoinGroup without a member id is answered MEMBER_ID_REQUIRED with the id to
/// use; the member joins again at once with it, through the same coordinator, and gets
/// the generation, the leader and the members.
#[tokio::test]
async fn member_id_required_then_joins_with_the_given_id() {
    let fake = Fake::start().await;
    fake.script(ApiKey::JoinGroup, &[MEMBER_ID_REQUIRED]);
    let mut member = GroupMember::new(config(&fake, None));
    let joined = join(&mut member).await;

    let joins = fake.seen(ApiKey::JoinGroup);
    assert_eq!(ids(&joins), ["", "fake-member-1"]);
    assert!(joins.iter().all(|j| j.version == 5), "JoinGroup above v5: {joins:?}");
    assert_eq!(fake.seen(ApiKey::FindCoordinator).len(), 1, "the handshake is no coordinator move");
    let me = Member {
        member_id: "fake-member-1".into(),
        group_instance_id: None,
        metadata: b"meta-s".to_vec(),
    };
    let want = Joined {
        generation: 1,
        member_id: "fake-member-1".into(),
        leader_id: "fake-member-1".into(),
        protocol: "sessioned".into(),
        members: vec![me],
    };
    assert_eq!(joined, want);
    assert!(joined.is_leader());
    assert_eq!((member.member_id(), member.generation()), ("fake-member-1", 1));
}

/// UNKNOWN_MEMBER_ID on a rejoin: the member forgets its id, joins again at once without
/// one, and takes the new id the coordinator gives.
#[tokio::test]
async fn unknown_member_id_on_join_resets_the_id_and_joins_again() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, None));
    assert_eq!(join(&mut member).await.member_id, "fake-member-1");
    fake.script(ApiKey::JoinGroup, &[UNKNOWN_MEMBER_ID]);
    let joined = join(&mut member).await;

    assert_eq!(ids(&fake.seen(ApiKey::JoinGroup)), ["", "fake-member-1", ""]);
    assert_eq!((joined.member_id.as_str(), joined.generation), ("fake-member-2", 2));
    assert_eq!((member.member_id(), member.generation()), ("fake-member-2", 2));
}

/// REBALANCE_IN_PROGRESS and ILLEGAL_GENERATION on SyncGroup mean "join again", keeping
/// the member id; UNKNOWN_MEMBER_ID means the same and forgets the id. Each SyncGroup
/// carries the member id and generation of the join, at version 3.
#[tokio::test]
async fn sync_group_errors_ask_for_a_rejoin() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, None));
    let joined = join(&mut member).await;
    fake.script(ApiKey::SyncGroup, &[REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION]);
    for code in [REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION] {
        let got = member.sync(&joined, Vec::new()).await.unwrap();
        assert!(matches!(got, Synced::Rejoin(_)), "SyncGroup error {code}: {got:?}");
        assert_eq!(member.member_id(), "fake-member-1", "error {code} keeps the member id");
    }
    let mine = vec![(joined.member_id.clone(), b"mine".to_vec())];
    assert_eq!(member.sync(&joined, mine).await.unwrap(), Synced::Assigned(b"mine".to_vec()));
    fake.script(ApiKey::SyncGroup, &[UNKNOWN_MEMBER_ID]);
    assert!(matches!(member.sync(&joined, Vec::new()).await.unwrap(), Synced::Rejoin(_)));
    assert_eq!(member.member_id(), "", "UNKNOWN_MEMBER_ID forgets the member id");

    let syncs = fake.seen(ApiKey::SyncGroup);
    assert_eq!(syncs.len(), 4);
    for s in &syncs {
        assert_eq!((s.member_id.as_str(), s.generation, s.version), ("fake-member-1", 1, 3));
    }
}

/// REBALANCE_IN_PROGRESS on a heartbeat gives `RebalanceNeeded`, after which the task
/// sends no more heartbeats; until then each carried the member id and generation.
#[tokio::test]
async fn heartbeat_rebalance_in_progress_asks_for_a_rejoin() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, None));
    join_and_sync(&mut member).await;
    fake.script(ApiKey::Heartbeat, &[0, 0, REBALANCE_IN_PROGRESS]);
    let stop = CancellationToken::new();
    let mut beats = member.start_heartbeats(stop.clone());
    wait_event(&mut beats, SESSION, |e| *e == HeartbeatEvent::RebalanceNeeded).await;

    tokio::time::sleep(HEARTBEAT * 4).await;
    let sent = fake.seen(ApiKey::Heartbeat);
    assert_eq!(sent.len(), 3, "heartbeats went on after the rebalance began: {sent:?}");
    for s in &sent {
        assert_eq!((s.member_id.as_str(), s.generation, s.version), ("fake-member-1", 1, 3));
    }
    stop.cancel();
}

/// UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION on a heartbeat fence the member: it is out of
/// the group and must stop its work.
#[tokio::test]
async fn heartbeat_unknown_member_or_illegal_generation_fences() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, None));
    join_and_sync(&mut member).await;
    for code in [UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION] {
        fake.script(ApiKey::Heartbeat, &[0, code]);
        let stop = CancellationToken::new();
        let mut beats = member.start_heartbeats(stop.clone());
        let fenced = |e: &HeartbeatEvent| matches!(e, HeartbeatEvent::Fenced(_));
        wait_event(&mut beats, SESSION, fenced).await;
        stop.cancel();
    }
    assert_eq!(fake.seen(ApiKey::Heartbeat).len(), 4);
}

/// Starts heartbeats for a joined `member` and waits until `n` got through.
async fn beating(fake: &Fake, member: &GroupMember, n: usize) -> watch::Receiver<HeartbeatEvent> {
    let beats = member.start_heartbeats(CancellationToken::new());
    wait_seen(fake, ApiKey::Heartbeat, n).await;
    assert_eq!(*beats.borrow(), HeartbeatEvent::Alive);
    beats
}

/// The coordinator goes away (listener and connections closed): `Unreachable` comes with
/// the instant of the last accepted heartbeat, early enough that the caller can stop its
/// work before the coordinator's session for the member runs out.
#[tokio::test]
async fn heartbeat_unreachable_when_the_coordinator_goes_away() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, None));
    join_and_sync(&mut member).await;
    let mut beats = beating(&fake, &member, 5).await;
    let stopped = Instant::now();
    fake.stop();

    let gone = |e: &HeartbeatEvent| matches!(e, HeartbeatEvent::Unreachable(_));
    let (event, at) = wait_event(&mut beats, SESSION, gone).await;
    let HeartbeatEvent::Unreachable(since) = event else { unreachable!() };
    let gap = stopped.max(since) - stopped.min(since);
    assert!(gap < Duration::from_millis(250), "Unreachable since {gap:?} away from the stop");
    assert!(at - since < SESSION - HEARTBEAT, "Unreachable only {:?} after", at - since);
}

/// The coordinator hangs (connections open, no answers) and `request.timeout.ms` is longer
/// than the session, as with Connect's defaults (40 s, capped at 30 s, against 10 s):
/// `Unreachable` must still come before the session runs out.
#[tokio::test]
async fn heartbeat_unreachable_in_time_when_the_coordinator_hangs() {
    let fake = Fake::start().await;
    let (request_timeout, heartbeat_interval) = (SESSION * 3, SESSION / 6);
    let cfg = MembershipConfig { request_timeout, heartbeat_interval, ..config(&fake, None) };
    let mut member = GroupMember::new(cfg);
    join_and_sync(&mut member).await;
    let mut beats = beating(&fake, &member, 2).await;
    fake.mute();

    let gone = |e: &HeartbeatEvent| matches!(e, HeartbeatEvent::Unreachable(_));
    let (event, at) = wait_event(&mut beats, SESSION, gone).await;
    let HeartbeatEvent::Unreachable(since) = event else { unreachable!() };
    assert!(at - since < SESSION, "Unreachable only {:?} after the last heartbeat", at - since);
}

/// NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE on JoinGroup, and
/// COORDINATOR_NOT_AVAILABLE on FindCoordinator: the member looks the coordinator up
/// again each time, and joins.
#[tokio::test]
async fn join_finds_the_coordinator_again_when_it_moves() {
    let fake = Fake::start().await;
    fake.script(ApiKey::FindCoordinator, &[COORDINATOR_NOT_AVAILABLE]);
    fake.script(ApiKey::JoinGroup, &[NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE]);
    let mut member = GroupMember::new(config(&fake, None));
    let joined = join(&mut member).await;

    assert_eq!((joined.member_id.as_str(), joined.generation), ("fake-member-1", 1));
    let lookups = fake.seen(ApiKey::FindCoordinator);
    assert_eq!(lookups.len(), 4, "a lookup at start, after its error and after each move");
    assert!(lookups.iter().all(|l| l.version == 3), "FindCoordinator above v3: {lookups:?}");
    assert_eq!(fake.seen(ApiKey::JoinGroup).len(), 3);
    assert!(fake.seen(ApiKey::ApiVersions).iter().all(|a| a.version == 0));
}

/// `leave` sends LeaveGroup (v2) with the member id and forgets the id and generation; a
/// member without an id sends none.
#[tokio::test]
async fn leave_sends_the_member_id_and_forgets_it() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, None));
    join_and_sync(&mut member).await;
    member.leave().await.unwrap();
    assert_eq!((member.member_id(), member.generation()), ("", -1));
    member.leave().await.unwrap();

    let leaves = fake.seen(ApiKey::LeaveGroup);
    assert_eq!(ids(&leaves), ["fake-member-1"]);
    assert_eq!(leaves[0].version, 2);
}

/// A static member does not send LeaveGroup on `leave`: its instance id keeps its place
/// until the session runs out (as Kafka's clients do since 2.3, KIP-345).
#[tokio::test]
async fn a_static_member_does_not_send_leave_group() {
    let fake = Fake::start().await;
    let mut member = GroupMember::new(config(&fake, Some("worker-a")));
    join_and_sync(&mut member).await;
    member.leave().await.unwrap();
    assert!(fake.seen(ApiKey::LeaveGroup).is_empty(), "a static member sent LeaveGroup");
}

/// A static member names its `group.instance.id` in JoinGroup, SyncGroup and Heartbeat; a
/// dynamic one in none.
#[tokio::test]
async fn a_static_member_names_its_instance_in_every_request() {
    for instance in [Some("worker-a"), None] {
        let fake = Fake::start().await;
        let mut member = GroupMember::new(config(&fake, instance));
        let joined = join_and_sync(&mut member).await;
        assert_eq!(joined.members[0].group_instance_id.as_deref(), instance);
        let stop = CancellationToken::new();
        let _beats = member.start_heartbeats(stop.clone());
        wait_seen(&fake, ApiKey::Heartbeat, 1).await;
        stop.cancel();
        for key in [ApiKey::JoinGroup, ApiKey::SyncGroup, ApiKey::Heartbeat] {
            for s in fake.seen(key) {
                assert_eq!(s.instance_id.as_deref(), instance, "{key:?}: {s:?}");
            }
        }
    }
}
