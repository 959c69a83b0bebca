//! Test connectors for the framework-overhead figure (B3): a source that generates
//! fixed-size records as fast as it is polled, and a sink that discards what it gets.
//! With `idle=true` the source runs `tasks.max` tasks that emit nothing (B12, density).
//!
//! They do almost no work of their own, so a pipeline through them measures what the
//! runtime (task driver, converters, producer or consumer) costs on top of raw rdkafka.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::context::{ConnectorContext, SinkTaskContext, SourceTaskContext};
use connect_api::data::{Schema, Value};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::{ConnectRecord, OffsetMap, SinkRecord, SourceRecord};
use connect_api::{
    ConnectError, Connector, Result, SinkConnector, SinkTask, SourceConnector, SourceTask,
};
use tokio_util::sync::CancellationToken;

/// Class name of [`GeneratorSourceConnector`].
pub const GENERATOR_CLASS: &str = "benches::GeneratorSourceConnector";
/// Class name of [`DiscardSinkConnector`].
pub const DISCARD_CLASS: &str = "benches::DiscardSinkConnector";

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The plugins of this crate: `GeneratorSource` and `DiscardSink`.
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor::source(GENERATOR_CLASS, VERSION, || {
            Box::new(GeneratorSourceConnector::default())
        })
        .with_aliases(["GeneratorSource"]),
        PluginDescriptor::sink(
            DISCARD_CLASS,
            VERSION,
            || Box::new(DiscardSinkConnector::default()),
        )
        .with_aliases(["DiscardSink"]),
    ]
}

fn get<'a>(config: &'a RawConfig, key: &str) -> Result<&'a str> {
    config
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| ConnectError::config(format!("missing required configuration {key}")))
}

fn get_u64(config: &RawConfig, key: &str, default: u64) -> Result<u64> {
    match config.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            ConnectError::config(format!("Invalid value {v} for configuration {key}"))
        }),
    }
}

/// Emits `count` records of `size` random bytes to `topic`, `batch.size` per poll, then
/// idles until stopped. With `idle=true` it runs `tasks.max` tasks (one otherwise) that emit
/// nothing at all.
#[derive(Debug, Default)]
pub struct GeneratorSourceConnector {
    config: RawConfig,
}

#[async_trait]
impl Connector for GeneratorSourceConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("topic", Type::String, Importance::High, "Topic to write to."))
            .define(
                ConfigKey::new("count", Type::Long, Importance::High, "Records to emit.")
                    .default_value(1_000_000i64),
            )
            .define(
                ConfigKey::new("size", Type::Int, Importance::High, "Bytes per record value.")
                    .default_value(100),
            )
            .define(
                ConfigKey::new("batch.size", Type::Int, Importance::Low, "Records per poll.")
                    .default_value(2000),
            )
            .define(
                ConfigKey::new(
                    "idle",
                    Type::Boolean,
                    Importance::Low,
                    "Run tasks.max tasks that emit nothing (a density test); by default one task emits `count` records.",
                )
                .default_value(false),
            )
    }

    async fn start(&mut self, _context: ConnectorContext, config: RawConfig) -> Result<()> {
        get(&config, "topic")?;
        self.config = config;
        Ok(())
    }

    async fn task_configs(&mut self, max_tasks: usize) -> Result<Vec<RawConfig>> {
        if is_idle(&self.config)? {
            return Ok(vec![self.config.clone(); max_tasks.max(1)]);
        }
        Ok(vec![self.config.clone()])
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Whether a generator config asks for idle tasks (`idle=true`).
fn is_idle(config: &RawConfig) -> Result<bool> {
    match config.get("idle").map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "true" => Ok(true),
        Some(v) if v == "false" => Ok(false),
        Some(v) => Err(ConnectError::config(format!("Invalid value {v} for configuration idle"))),
    }
}

impl SourceConnector for GeneratorSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(GeneratorSourceTask::default())
    }
}

/// The task of [`GeneratorSourceConnector`].
#[derive(Debug, Default)]
pub struct GeneratorSourceTask {
    topic: Option<Arc<str>>,
    remaining: u64,
    emitted: u64,
    batch: u64,
    payload: Vec<u8>,
    partition: Arc<OffsetMap>,
    cancel: Option<CancellationToken>,
}

#[async_trait]
impl SourceTask for GeneratorSourceTask {
    async fn start(&mut self, context: SourceTaskContext, config: RawConfig) -> Result<()> {
        let topic = get(&config, "topic")?;
        self.topic = Some(Arc::from(topic));
        self.remaining = if is_idle(&config)? { 0 } else { get_u64(&config, "count", 1_000_000)? };
        self.batch = get_u64(&config, "batch.size", 2000)?.max(1);
        let size = usize::try_from(get_u64(&config, "size", 100)?).unwrap_or(100);
        let mut rng = crate::data::Rng::new(crate::data::SEED);
        self.payload = vec![0; size];
        rng.fill_printable(&mut self.payload);
        self.partition = Arc::new(OffsetMap::new().with("generator", topic.to_string()));
        self.cancel = Some(context.cancellation().clone());
        Ok(())
    }

    fn uses_commit_record(&self) -> bool {
        false
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let Some(topic) = self.topic.clone() else {
            return Err(connect_api::ConnectError::fatal(
                "GeneratorSourceTask polled while not started",
            ));
        };
        if self.remaining == 0 {
            // Done: idle until stopped, without spinning.
            match &self.cancel {
                Some(c) => {
                    tokio::select! {
                        _ = c.cancelled() => {}
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                }
                None => tokio::time::sleep(Duration::from_millis(500)).await,
            }
            return Ok(Vec::new());
        }
        let n = self.batch.min(self.remaining);
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            self.emitted += 1;
            out.push(
                SourceRecord::builder(&topic)
                    .source_partition(self.partition.clone())
                    .source_offset(OffsetMap::new().with("n", self.emitted as i64))
                    .value(Some(Schema::bytes()), Value::Bytes(self.payload.clone()))
                    .build(),
            );
        }
        self.remaining -= n;
        Ok(out)
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Discards every record; once it has seen `expected` records it creates the file
/// `done.file` (when set), so a harness can time the pipeline from outside.
#[derive(Debug, Default)]
pub struct DiscardSinkConnector {
    config: RawConfig,
}

#[async_trait]
impl Connector for DiscardSinkConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new("expected", Type::Long, Importance::High, "Records to wait for.")
                    .default_value(0i64),
            )
            .define(
                ConfigKey::new(
                    "done.file",
                    Type::String,
                    Importance::High,
                    "File created once `expected` records arrived.",
                )
                .default_value(""),
            )
    }

    async fn start(&mut self, _context: ConnectorContext, config: RawConfig) -> Result<()> {
        self.config = config;
        Ok(())
    }

    async fn task_configs(&mut self, _max_tasks: usize) -> Result<Vec<RawConfig>> {
        Ok(vec![self.config.clone()])
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SinkConnector for DiscardSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(DiscardSinkTask::default())
    }
}

/// The task of [`DiscardSinkConnector`].
#[derive(Debug, Default)]
pub struct DiscardSinkTask {
    seen: u64,
    bytes: u64,
    expected: u64,
    done_file: Option<PathBuf>,
}

#[async_trait]
impl SinkTask for DiscardSinkTask {
    async fn start(&mut self, _context: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.expected = get_u64(&config, "expected", 0)?;
        self.done_file = config.get("done.file").filter(|s| !s.is_empty()).map(PathBuf::from);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let before = self.seen;
        for r in records {
            if let Value::Bytes(b) = r.value() {
                self.bytes += b.len() as u64;
            }
        }
        self.seen += records.len() as u64;
        if self.expected > 0
            && before < self.expected
            && self.seen >= self.expected
            && let Some(path) = &self.done_file
        {
            std::fs::write(path, format!("{} {}\n", self.seen, self.bytes))
                .map_err(|e| ConnectError::from(e).context("cannot write done.file"))?;
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}
