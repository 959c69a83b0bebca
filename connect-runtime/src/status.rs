//! Connector and task states, as `GET /connectors/{name}/status` shows them, and the
//! topics each connector used (`GET /connectors/{name}/topics`): what the status store
//! keeps.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// The state of a connector or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not yet assigned to a worker.
    Unassigned,
    /// Running.
    Running,
    /// Paused by an operator.
    Paused,
    /// Stopped by an operator (tasks shut down, config kept).
    Stopped,
    /// Failed; the trace says why.
    Failed,
    /// Being restarted.
    Restarting,
}

impl State {
    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Stopped => "STOPPED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
        }
    }
}

/// A state with the worker that holds it and, when FAILED, the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The state.
    pub state: State,
    /// The worker's id (`host:port`).
    pub worker_id: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// The set of topics a connector used, shared between its tasks (which add to it) and the
/// REST API.
pub type ActiveTopics = Arc<Mutex<std::collections::BTreeSet<String>>>;

/// Locks an [`ActiveTopics`] set (a poisoned lock still holds usable data).
pub fn lock_topics(
    t: &ActiveTopics,
) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<String>> {
    t.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where the statuses of connectors and tasks are kept: [`StatusBoard`] in memory for a
/// standalone worker; the distributed mode keeps them in the status topic.
pub trait StatusBackingStore: Send + Sync + std::fmt::Debug {
    /// Sets a connector's status.
    fn set_connector(&self, name: &str, status: Status);
    /// Sets a task's status.
    fn set_task(&self, connector: &str, task: u32, status: Status);
    /// A connector's status.
    fn connector(&self, name: &str) -> Option<Status>;
    /// A task's status.
    fn task(&self, connector: &str, task: u32) -> Option<Status>;
    /// Every task status of a connector, by task number.
    fn tasks(&self, connector: &str) -> Vec<(u32, Status)>;
    /// The topics a connector used, as a set its tasks add to (created empty the first
    /// time a connector's set is asked for).
    fn topics(&self, connector: &str) -> ActiveTopics;
    /// Records that task `task` of `connector` used `topic` (added to [`Self::topics`]).
    fn add_topic(&self, connector: &str, task: u32, topic: &str) {
        let _ = task;
        lock_topics(&self.topics(connector)).insert(topic.to_string());
    }
    /// Forgets the topics a connector used (`PUT /connectors/{name}/topics/reset`).
    fn reset_topics(&self, connector: &str) {
        lock_topics(&self.topics(connector)).clear();
    }
    /// Forgets a connector, its tasks and its topics.
    fn remove_connector(&self, name: &str);
    /// Forgets tasks of a connector numbered `from` and above (after a reconfiguration
    /// that made fewer tasks).
    fn remove_tasks_from(&self, connector: &str, from: u32);
}

/// The statuses of every connector and task on this worker, in memory (the standalone
/// status store).
#[derive(Debug, Clone, Default)]
pub struct StatusBoard {
    inner: Arc<Mutex<Board>>,
}

#[derive(Debug, Default)]
struct Board {
    connectors: BTreeMap<String, Status>,
    tasks: BTreeMap<(String, u32), Status>,
    topics: BTreeMap<String, ActiveTopics>,
}

impl StatusBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StatusBackingStore for StatusBoard {
    /// Sets a connector's status.
    fn set_connector(&self, name: &str, status: Status) {
        self.lock().connectors.insert(name.to_string(), status);
    }

    /// Sets a task's status.
    fn set_task(&self, connector: &str, task: u32, status: Status) {
        self.lock().tasks.insert((connector.to_string(), task), status);
    }

    /// A connector's status.
    fn connector(&self, name: &str) -> Option<Status> {
        self.lock().connectors.get(name).cloned()
    }

    /// A task's status.
    fn task(&self, connector: &str, task: u32) -> Option<Status> {
        self.lock().tasks.get(&(connector.to_string(), task)).cloned()
    }

    /// Every task status of a connector, by task number.
    fn tasks(&self, connector: &str) -> Vec<(u32, Status)> {
        self.lock()
            .tasks
            .iter()
            .filter(|((c, _), _)| c == connector)
            .map(|((_, t), s)| (*t, s.clone()))
            .collect()
    }

    fn topics(&self, connector: &str) -> ActiveTopics {
        self.lock().topics.entry(connector.to_string()).or_default().clone()
    }

    /// Forgets a connector, its tasks and its topics.
    fn remove_connector(&self, name: &str) {
        let mut b = self.lock();
        b.connectors.remove(name);
        b.tasks.retain(|(c, _), _| c != name);
        b.topics.remove(name);
    }

    /// Forgets tasks of a connector numbered `from` and above (after a reconfiguration
    /// that made fewer tasks).
    fn remove_tasks_from(&self, connector: &str, from: u32) {
        self.lock().tasks.retain(|(c, t), _| !(c == connector && *t >= from));
    }
}
