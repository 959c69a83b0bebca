//! The records of a Connect cluster's internal topics, in Apache Kafka's formats: string
//! keys, values written by the JsonConverter with schemas disabled (plain JSON), `null` as
//! a tombstone.
//!
//! Config topic (`config.storage.topic`, one partition, compacted):
//! - `connector-<c>` → `{"properties":{...}}`; a tombstone deletes the connector.
//! - `task-<c>-<n>` → `{"properties":{...}}`, applied only when a later
//!   `commit-<c>` → `{"tasks":N}` finds tasks `0..N` all written.
//! - `target-state-<c>` → `{"state":"PAUSED","state.v2":"STOPPED"}` (`state` says
//!   PAUSED for STOPPED, for workers older than KIP-875; readers prefer `state.v2`).
//! - `restart-connector-<c>` → `{"include-tasks":true,"only-failed":false}`.
//! - `session-key` → `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":ms}`.
//!
//! Status topic: `status-connector-<c>` and `status-task-<c>-<n>` →
//! `{"state":"RUNNING","trace":null,"worker_id":"host:port","generation":5}`;
//! `status-topic-<t>:connector-<c>` →
//! `{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":ms}}`.
//!
//! Offsets topic: key `["<connector>",{<partition>}]`, value the offset map
//! ([`crate::offsets::offset_key`]).

use std::collections::{BTreeMap, BTreeSet};

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use serde_json::{Value, json};

use crate::status::State;
use crate::task::{TargetState, TaskId};

/// Key prefix of connector configs.
pub const CONNECTOR_PREFIX: &str = "connector-";
/// Key prefix of task configs.
pub const TASK_PREFIX: &str = "task-";
/// Key prefix of task commits.
pub const COMMIT_PREFIX: &str = "commit-";
/// Key prefix of target states.
pub const TARGET_STATE_PREFIX: &str = "target-state-";
/// Key prefix of restart requests.
pub const RESTART_PREFIX: &str = "restart-connector-";
/// Key of the session key.
pub const SESSION_KEY: &str = "session-key";
/// Key prefix of connector statuses.
pub const CONNECTOR_STATUS_PREFIX: &str = "status-connector-";
/// Key prefix of task statuses.
pub const TASK_STATUS_PREFIX: &str = "status-task-";
/// Key prefix of topic statuses.
pub const TOPIC_STATUS_PREFIX: &str = "status-topic-";

fn json_bytes(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn parse(key: &str, value: &[u8]) -> Result<Value> {
    serde_json::from_slice(value)
        .map_err(|e| ConnectError::data(format!("record {key} is not JSON: {e}")))
}

fn properties(key: &str, v: &Value) -> Result<RawConfig> {
    let props = v
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| ConnectError::data(format!("record {key} has no \"properties\" object")))?;
    Ok(props
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.clone(), s.clone())),
            Value::Null => None,
            other => Some((k.clone(), other.to_string())),
        })
        .collect())
}

/// `connector-<c>` with its config.
pub fn connector_record(connector: &str, config: &RawConfig) -> (String, Vec<u8>) {
    (format!("{CONNECTOR_PREFIX}{connector}"), json_bytes(&json!({ "properties": config })))
}

/// `task-<c>-<n>` with its config.
pub fn task_record(task: &TaskId, config: &RawConfig) -> (String, Vec<u8>) {
    (
        format!("{TASK_PREFIX}{}-{}", task.connector, task.task),
        json_bytes(&json!({ "properties": config })),
    )
}

/// `commit-<c>`: the connector's `tasks` task configs are complete.
pub fn commit_record(connector: &str, tasks: u32) -> (String, Vec<u8>) {
    (format!("{COMMIT_PREFIX}{connector}"), json_bytes(&json!({ "tasks": tasks })))
}

fn target_name(t: TargetState) -> &'static str {
    match t {
        TargetState::Started => "STARTED",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

/// `target-state-<c>`.
pub fn target_state_record(connector: &str, target: TargetState) -> (String, Vec<u8>) {
    let legacy = if target == TargetState::Stopped { "PAUSED" } else { target_name(target) };
    (
        format!("{TARGET_STATE_PREFIX}{connector}"),
        json_bytes(&json!({ "state": legacy, "state.v2": target_name(target) })),
    )
}

/// `restart-connector-<c>`.
pub fn restart_record(
    connector: &str,
    include_tasks: bool,
    only_failed: bool,
) -> (String, Vec<u8>) {
    (
        format!("{RESTART_PREFIX}{connector}"),
        json_bytes(&json!({ "include-tasks": include_tasks, "only-failed": only_failed })),
    )
}

/// The key that signs internal REST requests (KIP-507).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// The raw key bytes.
    pub key: Vec<u8>,
    /// The MAC algorithm (`HmacSHA256`).
    pub algorithm: String,
    /// When the leader made it (ms).
    pub created_ms: i64,
}

/// `session-key`.
pub fn session_key_record(k: &SessionKey) -> (String, Vec<u8>) {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(&k.key);
    (
        SESSION_KEY.to_string(),
        json_bytes(
            &json!({ "key": key, "algorithm": k.algorithm, "creation-timestamp": k.created_ms }),
        ),
    )
}

/// What reading one config record changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigEvent {
    /// A connector was created or its config replaced.
    ConnectorUpdated(String),
    /// A connector was deleted.
    ConnectorRemoved(String),
    /// A connector's target state changed.
    TargetStateChanged(String),
    /// A connector's task configs were committed.
    TasksCommitted(String),
    /// A restart was asked for.
    RestartRequested {
        /// The connector.
        connector: String,
        /// Its tasks too.
        include_tasks: bool,
        /// Only what FAILED.
        only_failed: bool,
    },
    /// The leader distributed a new session key.
    SessionKeyUpdated,
}

/// The cluster's configuration as the config topic says, read record by record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfigState {
    /// The offset after the last record read (`-1` before any).
    pub offset: i64,
    /// Connector configs.
    pub connectors: BTreeMap<String, RawConfig>,
    /// Target states.
    pub target_states: BTreeMap<String, TargetState>,
    /// Committed task configs.
    pub tasks: BTreeMap<String, Vec<RawConfig>>,
    /// Connectors whose last commit came without all its task configs.
    pub inconsistent: BTreeSet<String>,
    /// The session key.
    pub session_key: Option<SessionKey>,
    /// Task configs written but not committed yet.
    deferred: BTreeMap<String, BTreeMap<u32, RawConfig>>,
}

impl ClusterConfigState {
    /// An empty state, before the topic is read.
    pub fn new() -> Self {
        ClusterConfigState { offset: -1, ..Default::default() }
    }

    /// A connector's target state (STARTED when a config exists without one).
    pub fn target_state(&self, connector: &str) -> Option<TargetState> {
        self.connectors.get(connector)?;
        Some(self.target_states.get(connector).copied().unwrap_or(TargetState::Started))
    }

    /// Every configured connector and its committed tasks, for the assignor.
    pub fn assignable(&self) -> super::protocol::ConnectorsAndTasks {
        let mut all = super::protocol::ConnectorsAndTasks::default();
        for name in self.connectors.keys() {
            all.connectors.insert(name.clone());
            for n in 0..self.tasks.get(name).map_or(0, Vec::len) {
                all.tasks.insert(TaskId { connector: name.clone(), task: n as u32 });
            }
        }
        all
    }

    /// Applies the record at `offset`. Malformed records are errors the caller logs and
    /// skips (the state is unchanged); unknown keys are ignored.
    pub fn apply(
        &mut self,
        offset: i64,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<Option<ConfigEvent>> {
        self.offset = offset + 1;
        if let Some(c) = key.strip_prefix(CONNECTOR_PREFIX) {
            let Some(value) = value else {
                self.connectors.remove(c);
                self.target_states.remove(c);
                self.tasks.remove(c);
                self.deferred.remove(c);
                self.inconsistent.remove(c);
                return Ok(Some(ConfigEvent::ConnectorRemoved(c.to_string())));
            };
            let config = properties(key, &parse(key, value)?)?;
            self.connectors.insert(c.to_string(), config);
            self.target_states.entry(c.to_string()).or_insert(TargetState::Started);
            return Ok(Some(ConfigEvent::ConnectorUpdated(c.to_string())));
        }
        if let Some(c) = key.strip_prefix(TARGET_STATE_PREFIX) {
            let Some(value) = value else {
                self.target_states.remove(c);
                return Ok(None);
            };
            let v = parse(key, value)?;
            let name = v
                .get("state.v2")
                .and_then(Value::as_str)
                .or_else(|| v.get("state").and_then(Value::as_str))
                .ok_or_else(|| ConnectError::data(format!("record {key} has no state")))?;
            let target = match name {
                "STARTED" => TargetState::Started,
                "PAUSED" => TargetState::Paused,
                "STOPPED" => TargetState::Stopped,
                other => {
                    return Err(ConnectError::data(format!("record {key}: unknown state {other}")));
                }
            };
            self.target_states.insert(c.to_string(), target);
            return Ok(Some(ConfigEvent::TargetStateChanged(c.to_string())));
        }
        if let Some(rest) = key.strip_prefix(TASK_PREFIX) {
            let Some(value) = value else { return Ok(None) };
            let (c, n) = rest
                .rsplit_once('-')
                .and_then(|(c, n)| Some((c, n.parse::<u32>().ok()?)))
                .ok_or_else(|| ConnectError::data(format!("bad task config key {key}")))?;
            let config = properties(key, &parse(key, value)?)?;
            self.deferred.entry(c.to_string()).or_default().insert(n, config);
            return Ok(None);
        }
        if let Some(c) = key.strip_prefix(COMMIT_PREFIX) {
            let Some(value) = value else { return Ok(None) };
            let v = parse(key, value)?;
            let count = v
                .get("tasks")
                .and_then(Value::as_u64)
                .ok_or_else(|| ConnectError::data(format!("record {key} has no task count")))?
                as u32;
            let deferred = self.deferred.remove(c).unwrap_or_default();
            if (0..count).all(|n| deferred.contains_key(&n)) {
                let configs: Vec<RawConfig> =
                    deferred.into_iter().filter(|(n, _)| *n < count).map(|(_, c)| c).collect();
                self.tasks.insert(c.to_string(), configs);
                self.inconsistent.remove(c);
            } else {
                self.inconsistent.insert(c.to_string());
            }
            return Ok(Some(ConfigEvent::TasksCommitted(c.to_string())));
        }
        if let Some(c) = key.strip_prefix(RESTART_PREFIX) {
            let Some(value) = value else { return Ok(None) };
            let v = parse(key, value)?;
            let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
            return Ok(Some(ConfigEvent::RestartRequested {
                connector: c.to_string(),
                include_tasks: flag("include-tasks"),
                only_failed: flag("only-failed"),
            }));
        }
        if key == SESSION_KEY {
            let Some(value) = value else { return Ok(None) };
            use base64::Engine;
            let v = parse(key, value)?;
            let field = |k: &str| {
                v.get(k)
                    .ok_or_else(|| ConnectError::data(format!("session key record without {k}")))
            };
            let key_bytes = base64::engine::general_purpose::STANDARD
                .decode(field("key")?.as_str().unwrap_or_default())
                .map_err(|e| ConnectError::data(format!("session key is not base64: {e}")))?;
            self.session_key = Some(SessionKey {
                key: key_bytes,
                algorithm: field("algorithm")?.as_str().unwrap_or_default().to_string(),
                created_ms: field("creation-timestamp")?.as_i64().unwrap_or_default(),
            });
            return Ok(Some(ConfigEvent::SessionKeyUpdated));
        }
        Ok(None)
    }
}

/// A connector's or task's status as the status topic holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    /// The state.
    pub state: State,
    /// Why it failed.
    pub trace: Option<String>,
    /// The worker that wrote it.
    pub worker_id: String,
    /// The group generation it was written in.
    pub generation: i32,
}

/// What a status topic key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKey {
    /// `status-connector-<c>`.
    Connector(String),
    /// `status-task-<c>-<n>`.
    Task(TaskId),
    /// `status-topic-<t>:connector-<c>`.
    Topic {
        /// The topic.
        topic: String,
        /// The connector that used it.
        connector: String,
    },
}

impl StatusKey {
    /// The record key.
    pub fn key(&self) -> String {
        match self {
            StatusKey::Connector(c) => format!("{CONNECTOR_STATUS_PREFIX}{c}"),
            StatusKey::Task(t) => format!("{TASK_STATUS_PREFIX}{}-{}", t.connector, t.task),
            StatusKey::Topic { topic, connector } => {
                format!("{TOPIC_STATUS_PREFIX}{topic}:connector-{connector}")
            }
        }
    }

    /// Reads a record key (`None` for keys of no status).
    pub fn parse(key: &str) -> Option<StatusKey> {
        if let Some(c) = key.strip_prefix(CONNECTOR_STATUS_PREFIX) {
            return (!c.is_empty()).then(|| StatusKey::Connector(c.to_string()));
        }
        if let Some(rest) = key.strip_prefix(TASK_STATUS_PREFIX) {
            let (c, n) = rest.rsplit_once('-')?;
            return Some(StatusKey::Task(TaskId {
                connector: c.to_string(),
                task: n.parse().ok()?,
            }));
        }
        let rest = key.strip_prefix(TOPIC_STATUS_PREFIX)?;
        let (topic, connector) = rest.split_once(":connector-")?;
        Some(StatusKey::Topic { topic: topic.to_string(), connector: connector.to_string() })
    }
}

/// A status value.
pub fn status_value(s: &StatusRecord) -> Vec<u8> {
    json_bytes(&json!({
        "state": s.state.as_str(),
        "trace": s.trace,
        "worker_id": s.worker_id,
        "generation": s.generation,
    }))
}

/// Reads a status value.
pub fn parse_status(key: &str, value: &[u8]) -> Result<StatusRecord> {
    let v = parse(key, value)?;
    let state: State = serde_json::from_value(v.get("state").cloned().unwrap_or(Value::Null))
        .map_err(|e| ConnectError::data(format!("record {key}: bad state: {e}")))?;
    Ok(StatusRecord {
        state,
        trace: v.get("trace").and_then(Value::as_str).map(str::to_string),
        worker_id: v.get("worker_id").and_then(Value::as_str).unwrap_or_default().to_string(),
        generation: v.get("generation").and_then(Value::as_i64).unwrap_or_default() as i32,
    })
}

/// A `status-topic-<t>:connector-<c>` value: task `task` of `connector` used `topic`,
/// first seen at `discovered_ms` (milliseconds since the epoch), as Kafka writes it.
pub fn topic_status_value(topic: &str, connector: &str, task: u32, discovered_ms: i64) -> Vec<u8> {
    json_bytes(&json!({ "topic": {
        "name": topic, "connector": connector, "task": task, "discoverTimestamp": discovered_ms
    }}))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn apply(s: &mut ClusterConfigState, (k, v): (String, Vec<u8>)) -> Option<ConfigEvent> {
        let offset = s.offset.max(0);
        s.apply(offset, &k, Some(&v)).unwrap()
    }

    #[test]
    fn values_are_kafkas_json() {
        let (k, v) = target_state_record("c", TargetState::Stopped);
        assert_eq!(k, "target-state-c");
        let v: Value = serde_json::from_slice(&v).unwrap();
        assert_eq!(v, json!({"state": "PAUSED", "state.v2": "STOPPED"}));
        let (k, v) = commit_record("c", 3);
        assert_eq!(
            (k.as_str(), String::from_utf8(v).unwrap().as_str()),
            ("commit-c", r#"{"tasks":3}"#)
        );
        let s = StatusRecord {
            state: State::Running,
            trace: None,
            worker_id: "h:1".into(),
            generation: 4,
        };
        let v: Value = serde_json::from_slice(&status_value(&s)).unwrap();
        assert_eq!(
            v,
            json!({"state": "RUNNING", "trace": null, "worker_id": "h:1", "generation": 4})
        );
        assert_eq!(parse_status("k", &status_value(&s)).unwrap(), s);
        let t = StatusKey::Task(TaskId { connector: "my-conn".into(), task: 12 });
        assert_eq!(t.key(), "status-task-my-conn-12");
        assert_eq!(StatusKey::parse(&t.key()), Some(t));
        let topic = StatusKey::Topic { topic: "a:b".into(), connector: "c".into() };
        assert_eq!(topic.key(), "status-topic-a:b:connector-c");
        assert_eq!(StatusKey::parse(&topic.key()), Some(topic));
    }

    #[test]
    fn task_configs_apply_only_at_their_commit() {
        let mut s = ClusterConfigState::new();
        let c = cfg(&[("connector.class", "X"), ("tasks.max", "2")]);
        assert_eq!(
            apply(&mut s, connector_record("my-conn", &c)),
            Some(ConfigEvent::ConnectorUpdated("my-conn".into()))
        );
        assert_eq!(s.target_state("my-conn"), Some(TargetState::Started));
        let t0 = TaskId { connector: "my-conn".into(), task: 0 };
        let t1 = TaskId { connector: "my-conn".into(), task: 1 };
        apply(&mut s, task_record(&t0, &cfg(&[("n", "0")])));
        apply(&mut s, task_record(&t1, &cfg(&[("n", "1")])));
        assert!(s.tasks.is_empty(), "tasks applied before their commit");
        apply(&mut s, commit_record("my-conn", 2));
        assert_eq!(s.tasks["my-conn"], vec![cfg(&[("n", "0")]), cfg(&[("n", "1")])]);
        assert_eq!(s.assignable().tasks.len(), 2);
        // A commit missing a task config: inconsistent, the old tasks kept.
        apply(&mut s, task_record(&t0, &cfg(&[("n", "new")])));
        apply(&mut s, commit_record("my-conn", 2));
        assert!(s.inconsistent.contains("my-conn"));
        assert_eq!(s.tasks["my-conn"][0], cfg(&[("n", "0")]));
        // Stopped, then deleted.
        apply(&mut s, target_state_record("my-conn", TargetState::Stopped));
        assert_eq!(s.target_state("my-conn"), Some(TargetState::Stopped));
        let ev = s.apply(s.offset, "connector-my-conn", None).unwrap();
        assert_eq!(ev, Some(ConfigEvent::ConnectorRemoved("my-conn".into())));
        assert!(s.connectors.is_empty() && s.tasks.is_empty() && s.target_states.is_empty());
    }

    #[test]
    fn older_workers_state_and_other_records_read_as_kafka_reads_them() {
        let mut s = ClusterConfigState::new();
        apply(&mut s, connector_record("c", &cfg(&[])));
        s.apply(1, "target-state-c", Some(br#"{"state":"PAUSED"}"#)).unwrap();
        assert_eq!(s.target_state("c"), Some(TargetState::Paused));
        let ev = apply(&mut s, restart_record("c", true, false));
        assert_eq!(
            ev,
            Some(ConfigEvent::RestartRequested {
                connector: "c".into(),
                include_tasks: true,
                only_failed: false
            })
        );
        let key = SessionKey { key: vec![1, 2, 3], algorithm: "HmacSHA256".into(), created_ms: 99 };
        apply(&mut s, session_key_record(&key));
        assert_eq!(s.session_key, Some(key));
        assert_eq!(
            s.apply(9, "logger-cluster-org.x", Some(br#"{"level":"DEBUG"}"#)).unwrap(),
            None
        );
        assert_eq!(s.offset, 10);
        let e = s.apply(10, "connector-bad", Some(b"{not json")).unwrap_err();
        assert!(e.message().contains("connector-bad"), "{e}");
    }
}
