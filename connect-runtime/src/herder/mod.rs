//! [`Herder`]: the cluster's view of its connectors, what the REST API talks to. It owns
//! connector configs, target states and task plans and answers every REST operation; the
//! standalone worker ([`Worker`]) is the herder of a one-worker cluster, and the
//! distributed mode adds one that agrees with the other workers through Kafka topics.

use std::time::Duration;

use async_trait::async_trait;
use connect_api::Result;
use connect_api::config::{ConfigInfos, RawConfig};

use crate::kafka::KafkaClients;
use crate::registry::PluginRegistry;
use crate::task::TargetState;
use crate::worker::Worker;

pub mod info;
mod lifecycle;
pub mod store;
mod validation;
mod views;
use info::{ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, TaskInfo, TaskState};

/// The operations of Kafka Connect's REST API, on whatever runs the cluster's connectors.
#[async_trait]
pub trait Herder: Send + Sync {
    /// The plugins connectors are built from.
    fn plugins(&self) -> &PluginRegistry;
    /// The Kafka clients (cluster id, broker reachability).
    fn kafka(&self) -> &KafkaClients;
    /// Whether the herder can take requests within `within` (`GET /health`).
    async fn answers_within(&self, within: Duration) -> bool;

    /// `GET /connectors`.
    async fn connector_names(&self) -> Vec<String>;
    /// A connector's config as given (secrets included).
    async fn connector_config(&self, name: &str) -> Result<RawConfig>;
    /// `GET /connectors/{name}`.
    async fn info(&self, name: &str) -> Result<ConnectorInfo>;
    /// `GET /connectors/{name}/tasks`.
    async fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>>;
    /// `GET /connectors/{name}/status`.
    async fn status(&self, name: &str) -> Result<ConnectorStateInfo>;
    /// `GET /connectors/{name}/tasks/{task}/status`.
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState>;
    /// `GET /connectors/{name}/topics`.
    async fn active_topics(&self, name: &str) -> Result<Vec<String>>;
    /// `PUT /connectors/{name}/topics/reset`.
    async fn reset_active_topics(&self, name: &str) -> Result<()>;
    /// A config with its secrets replaced by `[hidden]`.
    fn mask(&self, config: &RawConfig) -> RawConfig;
    /// `PUT /connector-plugins/{plugin}/config/validate`.
    fn validate(&self, class: &str, config: &RawConfig) -> Result<ConfigInfos>;

    /// `POST /connectors` and `PUT /connectors/{name}/config`: creates, or replaces when
    /// `replace`; returns the info and whether it was created.
    async fn put_connector(
        &self,
        name: &str,
        config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)>;
    /// `DELETE /connectors/{name}`.
    async fn delete_connector(&self, name: &str) -> Result<()>;
    /// `PUT /connectors/{name}/pause`, `/resume`, `/stop`.
    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()>;
    /// `POST /connectors/{name}/restart`.
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>>;
    /// `POST /connectors/{name}/tasks/{task}/restart`.
    async fn restart_task(&self, name: &str, task: u32) -> Result<()>;

    /// `GET /connectors/{name}/offsets`.
    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets>;
    /// `PATCH /connectors/{name}/offsets`.
    async fn alter_connector_offsets(&self, name: &str, request: ConnectorOffsets) -> Result<bool>;
    /// `DELETE /connectors/{name}/offsets`.
    async fn reset_connector_offsets(&self, name: &str) -> Result<bool>;
}

/// The standalone worker is the herder of its own one-worker cluster.
#[async_trait]
impl Herder for Worker {
    fn plugins(&self) -> &PluginRegistry {
        Worker::registry(self)
    }
    fn kafka(&self) -> &KafkaClients {
        Worker::kafka(self)
    }
    async fn answers_within(&self, within: Duration) -> bool {
        Worker::answers_within(self, within).await
    }
    async fn connector_names(&self) -> Vec<String> {
        Worker::connector_names(self).await
    }
    async fn connector_config(&self, name: &str) -> Result<RawConfig> {
        Worker::connector_config(self, name).await
    }
    async fn info(&self, name: &str) -> Result<ConnectorInfo> {
        Worker::info(self, name).await
    }
    async fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>> {
        Worker::task_infos(self, name).await
    }
    async fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        Worker::status(self, name).await
    }
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        Worker::task_status(self, name, task).await
    }
    async fn active_topics(&self, name: &str) -> Result<Vec<String>> {
        Worker::active_topics(self, name).await
    }
    async fn reset_active_topics(&self, name: &str) -> Result<()> {
        Worker::reset_active_topics(self, name).await
    }
    fn mask(&self, config: &RawConfig) -> RawConfig {
        Worker::mask(self, config)
    }
    fn validate(&self, class: &str, config: &RawConfig) -> Result<ConfigInfos> {
        Worker::validate(self, class, config)
    }
    async fn put_connector(
        &self,
        name: &str,
        config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        Worker::put_connector(self, name, config, replace).await
    }
    async fn delete_connector(&self, name: &str) -> Result<()> {
        Worker::delete_connector(self, name).await
    }
    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        Worker::set_target_state(self, name, target).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        Worker::restart_connector(self, name, include_tasks, only_failed).await
    }
    async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        Worker::restart_task(self, name, task).await
    }
    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        Worker::connector_offsets(self, name).await
    }
    async fn alter_connector_offsets(&self, name: &str, request: ConnectorOffsets) -> Result<bool> {
        Worker::alter_connector_offsets(self, name, request).await
    }
    async fn reset_connector_offsets(&self, name: &str) -> Result<bool> {
        Worker::reset_connector_offsets(self, name).await
    }
}
