//! [`Herder`]: the cluster's view of its connectors, what the REST API talks to. A herder
//! owns connector configs (in a [`store::ConfigBackingStore`]), target states and task
//! plans, answers every REST operation, and tells its [`Worker`](crate::worker::Worker)
//! what to run. [`StandaloneHerder`] is the herder of a one-worker cluster; the
//! distributed mode adds one that agrees with the other workers through Kafka topics.

use std::time::Duration;

use async_trait::async_trait;
use connect_api::Result;
use connect_api::config::{ConfigInfos, RawConfig};

use crate::kafka::KafkaClients;
use crate::registry::PluginRegistry;
use crate::task::TargetState;

mod lifecycle;
pub(crate) mod offsets;
mod standalone;
pub mod store;
pub mod validation;
pub(crate) mod views;

use crate::entities::{ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, TaskInfo, TaskState};
pub use standalone::StandaloneHerder;

/// The operations of Kafka Connect's REST API, on whatever runs the cluster's connectors.
#[async_trait]
pub trait Herder: Send + Sync {
    /// The plugins connectors are built from.
    fn plugins(&self) -> &PluginRegistry;
    /// The Kafka clients (cluster id, broker reachability).
    fn kafka(&self) -> &KafkaClients;
    /// Whether the herder can take requests within `within` (`GET /health`).
    async fn answers_within(&self, within: Duration) -> bool;
    /// The worker's metrics as OpenMetrics text (`GET /metrics`).
    async fn metrics_text(&self) -> String;

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
    /// `POST /connectors` with an `initial_state` (KIP-980): creates connector `name` in
    /// target state `initial` (`RUNNING` is [`TargetState::Started`]): a PAUSED one
    /// starts paused, a STOPPED one runs nothing until resumed. Fails when it exists.
    async fn create_connector_in_state(
        &self,
        name: &str,
        config: RawConfig,
        initial: TargetState,
    ) -> Result<ConnectorInfo>;
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

    /// `POST /connectors/{name}/tasks` (internal, between the workers of a cluster): the
    /// task configs a follower's connector gave, the request `body` signed with the
    /// session key. Refusals carry their HTTP status. A standalone worker has no such
    /// endpoint.
    async fn put_task_configs(
        &self,
        _name: &str,
        _body: &[u8],
        _algorithm: Option<&str>,
        _signature: Option<&str>,
    ) -> std::result::Result<(), (u16, String)> {
        Err((404, "This worker is not part of a Connect cluster (standalone mode)".into()))
    }
}

/// The standalone herder answers with its inherent methods (usable without this trait).
#[async_trait]
impl Herder for StandaloneHerder {
    fn plugins(&self) -> &PluginRegistry {
        StandaloneHerder::registry(self)
    }
    fn kafka(&self) -> &KafkaClients {
        self.worker().kafka()
    }
    async fn answers_within(&self, within: Duration) -> bool {
        StandaloneHerder::answers_within(self, within).await
    }
    async fn metrics_text(&self) -> String {
        self.worker().render_metrics(None).await
    }
    async fn connector_names(&self) -> Vec<String> {
        StandaloneHerder::connector_names(self).await
    }
    async fn connector_config(&self, name: &str) -> Result<RawConfig> {
        StandaloneHerder::connector_config(self, name).await
    }
    async fn info(&self, name: &str) -> Result<ConnectorInfo> {
        StandaloneHerder::info(self, name).await
    }
    async fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>> {
        StandaloneHerder::task_infos(self, name).await
    }
    async fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        StandaloneHerder::status(self, name).await
    }
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        StandaloneHerder::task_status(self, name, task).await
    }
    async fn active_topics(&self, name: &str) -> Result<Vec<String>> {
        StandaloneHerder::active_topics(self, name).await
    }
    async fn reset_active_topics(&self, name: &str) -> Result<()> {
        StandaloneHerder::reset_active_topics(self, name).await
    }
    fn mask(&self, config: &RawConfig) -> RawConfig {
        StandaloneHerder::mask(self, config)
    }
    fn validate(&self, class: &str, config: &RawConfig) -> Result<ConfigInfos> {
        validation::validate_for(self.registry(), self.worker().config(), class, config)
    }
    async fn put_connector(
        &self,
        name: &str,
        config: RawConfig,
        replace: bool,
    ) -> Result<(ConnectorInfo, bool)> {
        StandaloneHerder::put_connector(self, name, config, replace).await
    }
    async fn create_connector_in_state(
        &self,
        name: &str,
        config: RawConfig,
        initial: TargetState,
    ) -> Result<ConnectorInfo> {
        StandaloneHerder::create_connector_in_state(self, name, config, initial).await
    }
    async fn delete_connector(&self, name: &str) -> Result<()> {
        StandaloneHerder::delete_connector(self, name).await
    }
    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        StandaloneHerder::set_target_state(self, name, target).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>> {
        StandaloneHerder::restart_connector(self, name, include_tasks, only_failed).await
    }
    async fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        StandaloneHerder::restart_task(self, name, task).await
    }
    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        StandaloneHerder::connector_offsets(self, name).await
    }
    async fn alter_connector_offsets(&self, name: &str, request: ConnectorOffsets) -> Result<bool> {
        StandaloneHerder::alter_connector_offsets(self, name, request).await
    }
    async fn reset_connector_offsets(&self, name: &str) -> Result<bool> {
        StandaloneHerder::reset_connector_offsets(self, name).await
    }
}
