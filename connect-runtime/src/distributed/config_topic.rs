//! The config topic as a distributed herder uses it: read to its end into a
//! [`ClusterConfigState`] (returning what changed), and written record by record in
//! Kafka's formats (only the leader writes, as in Kafka).

use std::sync::Mutex;
use std::time::Duration;

use connect_api::Result;
use connect_api::config::RawConfig;
use tracing::warn;

use super::kafka_log::KafkaLog;
use super::records::{
    CONNECTOR_PREFIX, ClusterConfigState, ConfigEvent, SessionKey, TARGET_STATE_PREFIX,
    commit_record, connector_record, restart_record, session_key_record, target_state_record,
    task_record,
};
use crate::task::{TargetState, TaskId};

/// The cluster's config topic.
#[derive(Debug)]
pub struct ConfigTopic {
    log: KafkaLog,
    state: Mutex<ClusterConfigState>,
    reading: tokio::sync::Mutex<()>,
    timeout: Duration,
}

impl ConfigTopic {
    /// The topic of `log`, not read yet; reads give up after `timeout`.
    pub fn new(log: KafkaLog, timeout: Duration) -> Self {
        ConfigTopic {
            log,
            state: Mutex::new(ClusterConfigState::new()),
            reading: tokio::sync::Mutex::new(()),
            timeout,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClusterConfigState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads what was written since the last read; returns what changed. A record that
    /// does not read is logged and skipped.
    pub async fn refresh(&self) -> Result<Vec<ConfigEvent>> {
        let _one = self.reading.lock().await;
        let records = self.log.read_to_end(self.timeout).await?;
        let mut state = self.lock();
        let mut events = Vec::new();
        for r in records {
            match state.apply(r.offset, &r.key, r.value.as_deref()) {
                Ok(Some(e)) => events.push(e),
                Ok(None) => {}
                Err(e) => {
                    warn!(key = %r.key, offset = r.offset, error = %e, "config record skipped")
                }
            }
        }
        Ok(events)
    }

    /// The state as last read.
    pub fn snapshot(&self) -> ClusterConfigState {
        self.lock().clone()
    }

    /// Reads with `f` the state as last read.
    pub fn read<T>(&self, f: impl FnOnce(&ClusterConfigState) -> T) -> T {
        f(&self.lock())
    }

    /// Writes a connector's config.
    pub async fn put_connector(&self, name: &str, config: &RawConfig) -> Result<()> {
        let (k, v) = connector_record(name, config);
        self.log.send(&k, Some(&v)).await.map(drop)
    }

    /// Deletes a connector (its config and target state).
    pub async fn remove_connector(&self, name: &str) -> Result<()> {
        self.log.send(&format!("{CONNECTOR_PREFIX}{name}"), None).await?;
        self.log.send(&format!("{TARGET_STATE_PREFIX}{name}"), None).await.map(drop)
    }

    /// Writes a connector's target state.
    pub async fn put_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        let (k, v) = target_state_record(name, target);
        self.log.send(&k, Some(&v)).await.map(drop)
    }

    /// Writes a connector's task configs, then the commit that applies them.
    pub async fn put_task_configs(&self, name: &str, configs: &[RawConfig]) -> Result<()> {
        for (n, c) in configs.iter().enumerate() {
            let (k, v) = task_record(&TaskId { connector: name.to_string(), task: n as u32 }, c);
            self.log.send(&k, Some(&v)).await?;
        }
        let (k, v) = commit_record(name, configs.len() as u32);
        self.log.send(&k, Some(&v)).await.map(drop)
    }

    /// Asks every worker to restart what it runs of a connector.
    pub async fn request_restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<()> {
        let (k, v) = restart_record(name, include_tasks, only_failed);
        self.log.send(&k, Some(&v)).await.map(drop)
    }

    /// Writes a new session key.
    pub async fn put_session_key(&self, key: &SessionKey) -> Result<()> {
        let (k, v) = session_key_record(key);
        self.log.send(&k, Some(&v)).await.map(drop)
    }
}
