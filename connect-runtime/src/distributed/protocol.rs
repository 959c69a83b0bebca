//! The bytes Connect workers exchange through the group coordinator, in Apache Kafka's
//! layouts (`ConnectProtocol` for the eager protocol, `IncrementalCooperativeConnectProtocol`
//! for `compatible` and `sessioned`), so a Java worker reads ours and we read its.
//!
//! Every field is big-endian. A string is an `i16` length and UTF-8 bytes; an array is an
//! `i32` count (`-1`: null) and its elements; nullable bytes are an `i32` length (`-1`:
//! null) and the bytes.
//!
//! - Member metadata (JoinGroup): `version i16, url string, config_offset i64`, and from
//!   version 1 `allocation nullable-bytes` (the member's current assignment, serialized as
//!   below, or null when it has none).
//! - Assignment (SyncGroup): `version i16, error i16, leader string, leader_url string,
//!   config_offset i64, assignment [connector string, tasks [i32]]`, and from version 1
//!   `revoked [connector string, tasks [i32]]` and `delay i32`. Task `-1` stands for the
//!   connector itself. A reader tolerates missing trailing fields (a version-0 layout read
//!   as version 1 has no allocation, no revocation, no delay).

use std::collections::{BTreeMap, BTreeSet};

use connect_api::{ConnectError, Result};

use crate::task::TaskId;

/// The task number that stands for the connector itself in an assignment.
const CONNECTOR_TASK: i32 = -1;

/// Which protocol a group runs (`connect.protocol`), by the name members offer it under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnectProtocol {
    /// Stop everything at each rebalance, then start the new assignment (version 0).
    Eager,
    /// Incremental cooperative rebalancing, KIP-415 (version 1).
    Compatible,
    /// Incremental cooperative with signed internal requests, KIP-507 (version 2).
    Sessioned,
}

impl ConnectProtocol {
    /// The name members offer the protocol under in JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            ConnectProtocol::Eager => "default",
            ConnectProtocol::Compatible => "compatible",
            ConnectProtocol::Sessioned => "sessioned",
        }
    }

    /// The protocol named `name` in JoinGroup (case-insensitive, as Kafka compares).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Eager, Self::Compatible, Self::Sessioned]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The `connect.protocol` value naming this protocol (`eager`, `compatible`,
    /// `sessioned`).
    pub fn config_value(self) -> &'static str {
        match self {
            ConnectProtocol::Eager => "eager",
            ConnectProtocol::Compatible => "compatible",
            ConnectProtocol::Sessioned => "sessioned",
        }
    }

    /// The protocol a `connect.protocol` value names.
    pub fn from_config(value: &str) -> Option<Self> {
        [Self::Eager, Self::Compatible, Self::Sessioned]
            .into_iter()
            .find(|p| p.config_value().eq_ignore_ascii_case(value.trim()))
    }

    /// The version its metadata and assignments carry.
    pub fn version(self) -> i16 {
        match self {
            ConnectProtocol::Eager => 0,
            ConnectProtocol::Compatible => 1,
            ConnectProtocol::Sessioned => 2,
        }
    }

    /// The protocols a worker configured with this one offers, most preferred first (a
    /// `sessioned` worker also offers `compatible` and `default`, so a group of mixed
    /// workers settles on what all of them speak).
    pub fn offered(self) -> Vec<ConnectProtocol> {
        match self {
            ConnectProtocol::Eager => vec![ConnectProtocol::Eager],
            ConnectProtocol::Compatible => {
                vec![ConnectProtocol::Compatible, ConnectProtocol::Eager]
            }
            ConnectProtocol::Sessioned => {
                vec![
                    ConnectProtocol::Sessioned,
                    ConnectProtocol::Compatible,
                    ConnectProtocol::Eager,
                ]
            }
        }
    }
}

/// Connectors and tasks: what a worker runs, is assigned or gives up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorsAndTasks {
    /// Connector instances.
    pub connectors: BTreeSet<String>,
    /// Tasks.
    pub tasks: BTreeSet<TaskId>,
}

impl ConnectorsAndTasks {
    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// How many connectors and tasks it holds.
    pub fn len(&self) -> usize {
        self.connectors.len() + self.tasks.len()
    }
}

/// A member's assignment as the leader sends it in SyncGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The protocol version it was written with (0 eager, 1 compatible, 2 sessioned).
    pub version: i16,
    /// [`Assignment::NO_ERROR`] or [`Assignment::CONFIG_MISMATCH`].
    pub error: i16,
    /// The leader's member id.
    pub leader: String,
    /// The leader's REST URL (where followers forward writes).
    pub leader_url: String,
    /// The config topic offset the assignment was computed at.
    pub config_offset: i64,
    /// What the member is to run: with the eager protocol, everything; with a cooperative
    /// one, what it starts now.
    pub assigned: ConnectorsAndTasks,
    /// What the member is to stop (cooperative protocols).
    pub revoked: ConnectorsAndTasks,
    /// Milliseconds until the leader plans a rebalance to hand out lost work (cooperative).
    pub delay_ms: i32,
}

impl Assignment {
    /// No error.
    pub const NO_ERROR: i16 = 0;
    /// The leader's config was behind a member's: members read the config topic to its
    /// end and rejoin.
    pub const CONFIG_MISMATCH: i16 = 1;
}

/// A member's metadata as it sends it in JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerState {
    /// The worker's REST URL.
    pub url: String,
    /// The config topic offset it has read to.
    pub config_offset: i64,
    /// What it runs now (cooperative protocols; `None` before its first assignment).
    pub assignment: Option<Assignment>,
}

struct Writer(Vec<u8>);

impl Writer {
    fn i16(&mut self, v: i16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn string(&mut self, s: &str) -> Result<()> {
        let len = i16::try_from(s.len())
            .map_err(|_| ConnectError::config(format!("string too long for the protocol: {s}")))?;
        self.i16(len);
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
    fn connectors_and_tasks(&mut self, set: &ConnectorsAndTasks) -> Result<()> {
        // Grouped by connector, the connector itself (-1) before its tasks.
        let mut by_connector: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for c in &set.connectors {
            by_connector.entry(c).or_default().push(CONNECTOR_TASK);
        }
        for t in &set.tasks {
            let n = i32::try_from(t.task)
                .map_err(|_| ConnectError::config(format!("task number too large: {t}")))?;
            by_connector.entry(&t.connector).or_default().push(n);
        }
        self.i32(by_connector.len() as i32);
        for (connector, tasks) in by_connector {
            self.string(connector)?;
            self.i32(tasks.len() as i32);
            for t in tasks {
                self.i32(t);
            }
        }
        Ok(())
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(ConnectError::data(format!(
                "truncated Connect protocol {}: {} more bytes expected, {} left",
                self.what,
                n,
                self.buf.len()
            )));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn done(&self) -> bool {
        self.buf.is_empty()
    }
    fn i16(&mut self) -> Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(i64::from_be_bytes(a))
    }
    fn string(&mut self) -> Result<String> {
        let len = self.i16()?;
        let len = usize::try_from(len).map_err(|_| {
            ConnectError::data(format!(
                "Connect protocol {}: null or negative string length",
                self.what
            ))
        })?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            ConnectError::data(format!("Connect protocol {}: a string is not UTF-8", self.what))
        })
    }
    /// A nullable array of (connector, tasks); `None` when null or absent (a trailing
    /// field a shorter layout leaves out).
    fn connectors_and_tasks(&mut self) -> Result<ConnectorsAndTasks> {
        let mut set = ConnectorsAndTasks::default();
        if self.done() {
            return Ok(set);
        }
        let count = self.i32()?;
        for _ in 0..count.max(0) {
            let connector = self.string()?;
            let tasks = self.i32()?;
            for _ in 0..tasks.max(0) {
                match self.i32()? {
                    CONNECTOR_TASK => {
                        set.connectors.insert(connector.clone());
                    }
                    n => {
                        let task = u32::try_from(n).map_err(|_| {
                            ConnectError::data(format!(
                                "Connect protocol {}: bad task number {n} for {connector}",
                                self.what
                            ))
                        })?;
                        set.tasks.insert(TaskId { connector: connector.clone(), task });
                    }
                }
            }
        }
        Ok(set)
    }
}

fn check_version(version: i16, what: &str) -> Result<()> {
    if version < 0 {
        return Err(ConnectError::data(format!("Unsupported {what} version: {version}")));
    }
    Ok(())
}

/// Serializes an assignment in the layout of its `version` (0: eager, 1 or 2: cooperative).
pub fn encode_assignment(a: &Assignment) -> Result<Vec<u8>> {
    let mut w = Writer(Vec::with_capacity(64));
    w.i16(a.version);
    w.i16(a.error);
    w.string(&a.leader)?;
    w.string(&a.leader_url)?;
    w.i64(a.config_offset);
    w.connectors_and_tasks(&a.assigned)?;
    if a.version >= 1 {
        w.connectors_and_tasks(&a.revoked)?;
        w.i32(a.delay_ms);
    }
    Ok(w.0)
}

/// Reads an assignment of any version.
pub fn decode_assignment(bytes: &[u8]) -> Result<Assignment> {
    let mut r = Reader { buf: bytes, what: "assignment" };
    let version = r.i16()?;
    check_version(version, "assignment")?;
    let error = r.i16()?;
    let leader = r.string()?;
    let leader_url = r.string()?;
    let config_offset = r.i64()?;
    let assigned = r.connectors_and_tasks()?;
    let (revoked, delay_ms) = if version >= 1 {
        let revoked = r.connectors_and_tasks()?;
        let delay = if r.done() { 0 } else { r.i32()? };
        (revoked, delay)
    } else {
        (ConnectorsAndTasks::default(), 0)
    };
    Ok(Assignment {
        version,
        error,
        leader,
        leader_url,
        config_offset,
        assigned,
        revoked,
        delay_ms,
    })
}

/// Serializes a worker's metadata for `protocol`: the eager layout has no allocation;
/// the cooperative ones carry the current assignment (re-versioned to the protocol's
/// version, as Kafka writes it) or null.
pub fn encode_metadata(state: &WorkerState, protocol: ConnectProtocol) -> Result<Vec<u8>> {
    let mut w = Writer(Vec::with_capacity(64));
    w.i16(protocol.version());
    w.string(&state.url)?;
    w.i64(state.config_offset);
    if protocol != ConnectProtocol::Eager {
        match &state.assignment {
            Some(a) => {
                let a = Assignment { version: protocol.version(), ..a.clone() };
                let bytes = encode_assignment(&a)?;
                w.i32(bytes.len() as i32);
                w.0.extend_from_slice(&bytes);
            }
            None => w.i32(-1),
        }
    }
    Ok(w.0)
}

/// Reads a worker's metadata of any version (a missing allocation reads as none).
pub fn decode_metadata(bytes: &[u8]) -> Result<WorkerState> {
    let mut r = Reader { buf: bytes, what: "member metadata" };
    let version = r.i16()?;
    check_version(version, "subscription")?;
    let url = r.string()?;
    let config_offset = r.i64()?;
    let assignment = if version >= 1 && !r.done() {
        let len = r.i32()?;
        match usize::try_from(len) {
            Ok(n) => Some(decode_assignment(r.take(n)?)?),
            Err(_) => None,
        }
    } else {
        None
    };
    Ok(WorkerState { url, config_offset, assignment })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn task(c: &str, n: u32) -> TaskId {
        TaskId { connector: c.into(), task: n }
    }

    fn sample(version: i16) -> Assignment {
        Assignment {
            version,
            error: 0,
            leader: "connect-1-abc".into(),
            leader_url: "http://10.0.0.1:8083/".into(),
            config_offset: 42,
            assigned: ConnectorsAndTasks {
                connectors: ["a".to_string()].into(),
                tasks: [task("a", 0), task("a", 1)].into(),
            },
            revoked: if version == 0 {
                ConnectorsAndTasks::default()
            } else {
                ConnectorsAndTasks { connectors: BTreeSet::new(), tasks: [task("b", 3)].into() }
            },
            delay_ms: if version == 0 { 0 } else { 1500 },
        }
    }

    /// The bytes of Kafka's layout written out by hand from its documented schema.
    #[test]
    fn a_cooperative_assignment_has_kafkas_layout() {
        let bytes = encode_assignment(&sample(1)).unwrap();
        let mut want = vec![0, 1, 0, 0];
        want.extend([0, 13]);
        want.extend(b"connect-1-abc");
        want.extend([0, 21]);
        want.extend(b"http://10.0.0.1:8083/");
        want.extend(42i64.to_be_bytes());
        // assignment: 1 connector entry "a" with [-1, 0, 1]
        want.extend(1i32.to_be_bytes());
        want.extend([0, 1, b'a']);
        want.extend(3i32.to_be_bytes());
        for t in [-1i32, 0, 1] {
            want.extend(t.to_be_bytes());
        }
        // revoked: "b" with [3]
        want.extend(1i32.to_be_bytes());
        want.extend([0, 1, b'b']);
        want.extend(1i32.to_be_bytes());
        want.extend(3i32.to_be_bytes());
        want.extend(1500i32.to_be_bytes());
        assert_eq!(bytes, want);
    }

    #[test]
    fn assignments_and_metadata_round_trip_in_every_version() {
        for v in 0..=2 {
            let a = sample(v);
            assert_eq!(decode_assignment(&encode_assignment(&a).unwrap()).unwrap(), a);
        }
        for p in [ConnectProtocol::Eager, ConnectProtocol::Compatible, ConnectProtocol::Sessioned] {
            let state = WorkerState {
                url: "http://w:8083/".into(),
                config_offset: 7,
                assignment: Some(sample(p.version())),
            };
            let back = decode_metadata(&encode_metadata(&state, p).unwrap()).unwrap();
            if p == ConnectProtocol::Eager {
                assert_eq!(back.assignment, None);
            } else {
                assert_eq!(back, state);
            }
        }
        let none = WorkerState { url: "u".into(), config_offset: -1, assignment: None };
        let bytes = encode_metadata(&none, ConnectProtocol::Sessioned).unwrap();
        assert_eq!(&bytes[bytes.len() - 4..], &(-1i32).to_be_bytes());
        assert_eq!(decode_metadata(&bytes).unwrap(), none);
    }

    #[test]
    fn shorter_layouts_read_with_defaults_and_garbage_is_an_error() {
        // Eager metadata read by a cooperative reader: no allocation.
        let eager = encode_metadata(
            &WorkerState { url: "u".into(), config_offset: 3, assignment: None },
            ConnectProtocol::Eager,
        )
        .unwrap();
        assert_eq!(decode_metadata(&eager).unwrap().assignment, None);
        // A version-1 assignment cut after its assignment array: no revocation, no delay.
        let mut a = sample(0);
        a.version = 1;
        let mut bytes = encode_assignment(&sample(0)).unwrap();
        bytes[1] = 1;
        let read = decode_assignment(&bytes).unwrap();
        assert_eq!((read.revoked.is_empty(), read.delay_ms), (true, 0));
        assert_eq!(read.assigned, a.assigned);
        let e = decode_assignment(&bytes[..9]).unwrap_err();
        assert!(e.message().contains("truncated Connect protocol assignment"), "{e}");
        assert!(decode_assignment(&[0xff, 0xff]).is_err());
    }

    #[test]
    fn protocol_names_are_kafkas() {
        assert_eq!(ConnectProtocol::from_name("DEFAULT"), Some(ConnectProtocol::Eager));
        assert_eq!(ConnectProtocol::from_config("sessioned"), Some(ConnectProtocol::Sessioned));
        assert_eq!(
            ConnectProtocol::Sessioned.offered().iter().map(|p| p.name()).collect::<Vec<_>>(),
            ["sessioned", "compatible", "default"]
        );
    }
}
