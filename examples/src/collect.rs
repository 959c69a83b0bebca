//! A sink that appends each value to a file and makes it durable before commits.
use std::{collections::HashMap, io::Write};

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::context::{ConnectorContext, SinkTaskContext};
use connect_api::record::{ConnectRecord, OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Connector, Result, SinkConnector, SinkTask};

/// The connector: `tasks.max` tasks with the connector's config.
#[derive(Default)]
pub struct CollectSink(RawConfig);

#[async_trait]
impl Connector for CollectSink {
    fn version(&self) -> String {
        "1.0".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new("path", Type::String, Importance::High, "File."))
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.0 = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        Ok(vec![self.0.clone(); max])
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SinkConnector for CollectSink {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(CollectTask::default())
    }
}

/// The task: buffered appends, flushed and synced on `flush`.
#[derive(Default)]
pub struct CollectTask(Option<std::io::BufWriter<std::fs::File>>);

#[async_trait]
impl SinkTask for CollectTask {
    async fn start(&mut self, _: SinkTaskContext, config: RawConfig) -> Result<()> {
        let path = config.get("path").ok_or_else(|| ConnectError::config("path is required"))?;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        self.0 = Some(std::io::BufWriter::new(file));
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let out = self.0.as_mut().ok_or_else(|| ConnectError::fatal("not started"))?;
        for r in records {
            writeln!(out, "{:?}", r.value())?;
        }
        Ok(())
    }
    async fn flush(&mut self, _: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        if let Some(out) = self.0.as_mut() {
            out.flush()?;
            out.get_ref().sync_data()?;
        }
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        self.flush(&HashMap::new()).await
    }
}
