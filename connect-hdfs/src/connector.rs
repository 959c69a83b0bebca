//! [`HdfsSinkConnector`]: validates the configuration and plans the tasks.

use std::collections::HashMap;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::ConnectorContext;
use connect_api::record::TopicPartition;
use connect_api::{Connector, Result, SinkConnector, SinkTask};
use tracing::{info, warn};

use crate::config::HdfsSinkConfig;
use crate::task::HdfsSinkTask;

/// The HDFS sink connector (Confluent's `io.confluent.connect.hdfs.HdfsSinkConnector`):
/// `tasks.max` tasks with the same configuration share the topics' partitions
/// through the consumer group.
#[derive(Debug, Default)]
pub struct HdfsSinkConnector {
    config: Option<RawConfig>,
}

impl HdfsSinkConnector {
    /// A connector that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for HdfsSinkConnector {
    fn version(&self) -> String {
        crate::VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        HdfsSinkConfig::config_def()
    }

    async fn start(&mut self, _context: ConnectorContext, config: RawConfig) -> Result<()> {
        let parsed = HdfsSinkConfig::parse(&config)?;
        // Fail at once on a URL this build cannot write to.
        crate::storage::Storage::open(parsed.url())?;
        for note in parsed.ignored_key_notes() {
            warn!("{note}");
        }
        info!(url = %parsed.url(), format = %parsed.format_class, "HdfsSinkConnector starting");
        self.config = Some(config);
        Ok(())
    }

    async fn task_configs(&mut self, max_tasks: usize) -> Result<Vec<RawConfig>> {
        connect_api::util::same_config_per_task(
            self.config.as_ref(),
            max_tasks,
            "HdfsSinkConnector",
        )
    }

    async fn stop(&mut self) -> Result<()> {
        self.config = None;
        Ok(())
    }
}

#[async_trait]
impl SinkConnector for HdfsSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(HdfsSinkTask::new())
    }

    /// Consumer offsets are only a hint for this sink: each task resumes after the
    /// last committed file it finds on storage, so altering or resetting them does
    /// not move it. Returns `false` ("not handled here"), so the runtime warns.
    async fn alter_offsets(
        &mut self,
        _config: &RawConfig,
        _offsets: &HashMap<TopicPartition, Option<i64>>,
    ) -> Result<bool> {
        Ok(false)
    }
}
