//! A source that writes `0, 1, …, count-1` and resumes after the last committed number.
use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance::*, RawConfig, Type};
use connect_api::context::{ConnectorContext, SourceTaskContext};
use connect_api::data::{Schema, Value};
use connect_api::record::{OffsetMap, SourceRecord};
use connect_api::{Connector, Result, SourceConnector, SourceTask};

/// The connector: one task with the connector's config.
#[derive(Default)]
pub struct SequenceSource(RawConfig);

#[async_trait]
impl Connector for SequenceSource {
    fn version(&self) -> String {
        "1.0".into()
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("topic", Type::String, High, "Topic to write to."))
            .define(ConfigKey::new("count", Type::Long, Low, "How many.").default_value(100i64))
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.0 = config;
        Ok(())
    }
    async fn task_configs(&mut self, _max: usize) -> Result<Vec<RawConfig>> {
        Ok(vec![self.0.clone()])
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SourceConnector for SequenceSource {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(SequenceTask::default())
    }
}

/// The task: numbers in batches of 10, with source offset `{"next": n}`.
#[derive(Default)]
pub struct SequenceTask {
    topic: String,
    next: i64,
    count: i64,
}

#[async_trait]
impl SourceTask for SequenceTask {
    async fn start(&mut self, ctx: SourceTaskContext, config: RawConfig) -> Result<()> {
        let parsed = SequenceSource::default().config_def().parse(&config)?;
        (self.topic, self.count) = (parsed.get_string("topic")?.into(), parsed.get_long("count")?);
        let committed = ctx.offset_storage_reader().offset(&partition()).await?;
        self.next = committed.and_then(|o| o.get_i64("next")).unwrap_or(0);
        Ok(())
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if self.next >= self.count {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let (start, end) = (self.next, (self.next + 10).min(self.count));
        self.next = end.max(start);
        let record = |n: i64| {
            let offset = OffsetMap::new().with("next", n + 1);
            let b = SourceRecord::builder(self.topic.clone()).source_partition(partition());
            b.source_offset(offset).value(Some(Schema::int64()), Value::Int64(n)).build()
        };
        Ok((start..end).map(record).collect())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

fn partition() -> OffsetMap {
    OffsetMap::new().with("sequence", "main")
}
