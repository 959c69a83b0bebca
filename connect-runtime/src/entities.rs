//! The JSON bodies of Kafka Connect's REST API that describe connectors and tasks.

use connect_api::config::RawConfig;
use serde::{Deserialize, Serialize};

use crate::status::State;

/// Identifies a task in REST bodies: `{"connector": "name", "task": 0}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorTaskId {
    /// The connector.
    pub connector: String,
    /// The task number.
    pub task: u32,
}

/// `GET /connectors/{name}`: name, config, tasks and type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    /// The name.
    pub name: String,
    /// The config (passwords masked).
    pub config: RawConfig,
    /// The tasks.
    pub tasks: Vec<ConnectorTaskId>,
    /// `"source"` or `"sink"`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The state part of a status body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateInfo {
    /// The state.
    pub state: State,
    /// The worker's id.
    pub worker_id: String,
    /// The connector plugin's version (Kafka 4's `version`, KIP-891).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
}

/// One task in a status body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// The task number.
    pub id: u32,
    /// The state.
    pub state: State,
    /// The worker's id.
    pub worker_id: String,
    /// The connector plugin's version, which its tasks share (Kafka 4's `version`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
}

/// `GET /connectors/{name}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorStateInfo {
    /// The name.
    pub name: String,
    /// The connector's state.
    pub connector: StateInfo,
    /// The tasks' states.
    pub tasks: Vec<TaskState>,
    /// `"source"` or `"sink"`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `GET /connectors/{name}/tasks` element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// The task's id.
    pub id: ConnectorTaskId,
    /// The task's config (passwords masked).
    pub config: RawConfig,
}

/// One entry of `GET /connectors/{name}/offsets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffset {
    /// The source partition, or `{"kafka_topic": …, "kafka_partition": …}` for sinks.
    pub partition: serde_json::Value,
    /// The offset, or `{"kafka_offset": …}` for sinks; `null` in a request resets it.
    pub offset: Option<serde_json::Value>,
}

/// `GET /connectors/{name}/offsets` and the body of `PATCH`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    /// The offsets.
    pub offsets: Vec<ConnectorOffset>,
}
