//! Worker lifecycle end to end: graceful shutdown on SIGTERM commits offsets, connectors
//! that ask for task reconfiguration get new tasks, and sink tasks see open/close as
//! partitions move between them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The runtime's test helpers, shared rather than copied.
#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::{ConnectorContext, SinkTaskContext, SourceTaskContext};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::{SinkRecord, SourceRecord, TopicPartition};
use connect_api::{Connector, Result, SinkConnector, SinkTask, SourceConnector, SourceTask};
use connect_runtime::standalone::{Standalone, StandaloneOptions};
use connect_runtime::status::State;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// Starts the real `connect-standalone` binary with one FileStreamSource reading `input`
/// into `topic`, offsets in `offsets`, a flush interval far beyond any test (so only a
/// shutdown commit writes offsets), and `extra` worker lines.
fn spawn_file_source_worker(
    dir: &Path,
    input: &Path,
    offsets: &Path,
    topic: &str,
    extra: &str,
) -> std::process::Child {
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:0\noffset.storage.file.filename={}\noffset.flush.interval.ms=600000\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\n{extra}",
            bootstrap(),
            offsets.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("source.properties"),
        format!(
            "name={}\nconnector.class=org.apache.kafka.connect.file.FileStreamSourceConnector\nfile={}\ntopic={topic}\n",
            unique("src"),
            input.display()
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
        .arg(dir.join("worker.properties"))
        .arg(dir.join("source.properties"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_worker_gracefully_and_commits_source_offsets() {
    const LINES: usize = 5_000;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let offsets = dir.path().join("connect.offsets");
    write_lines(&input, 0, LINES);
    let topic = unique("sigterm");
    let mut child = spawn_file_source_worker(dir.path(), &input, &offsets, &topic, "");
    let t = topic.clone();
    let watermark = move || -> i64 {
        let c: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", "watermarks")
            .create()
            .unwrap();
        c.fetch_watermarks(&t, 0, Duration::from_secs(5)).map(|(_, h)| h).unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let w = watermark.clone();
        if tokio::task::spawn_blocking(w).await.unwrap() >= LINES as i64 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the source did not produce every line");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!offsets.exists(), "offsets were committed before shutdown");
    let status = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(exit.success(), "worker exit status {exit:?}");
    let text = std::fs::read_to_string(&offsets).unwrap();
    let len = std::fs::metadata(&input).unwrap().len();
    assert!(text.contains(&format!("\"position\": {len}")), "offsets after SIGTERM: {text}");
}

/// Task count the reconfiguring connector plans, changed by the test.
static PLANNED: AtomicUsize = AtomicUsize::new(1);
/// The connector's context, so the test can ask for reconfiguration as a monitor would.
static CONTEXT: OnceLock<Mutex<Option<ConnectorContext>>> = OnceLock::new();

#[derive(Default)]
struct Reconfiguring;

#[async_trait]
impl Connector for Reconfiguring {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, ctx: ConnectorContext, _: RawConfig) -> Result<()> {
        *CONTEXT.get_or_init(Default::default).lock().unwrap() = Some(ctx);
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        let n = PLANNED.load(Ordering::SeqCst).min(max);
        Ok((0..n).map(|i| RawConfig::from([("slot".to_string(), i.to_string())])).collect())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SourceConnector for Reconfiguring {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(IdleSource)
    }
}

struct IdleSource;

#[async_trait]
impl SourceTask for IdleSource {
    async fn start(&mut self, _: SourceTaskContext, _: RawConfig) -> Result<()> {
        Ok(())
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Bounded mode (`exit.on.source.eof=true`, what the benchmarks use to compare with
/// `kcat -P`): the worker exits by itself, with status 0, once the FileStreamSource read
/// its whole file and every record was acknowledged; the topic holds every line and the
/// committed position is the file's end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_mode_exits_once_the_source_input_is_acknowledged() {
    const LINES: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let offsets = dir.path().join("connect.offsets");
    write_lines(&input, 0, LINES);
    let topic = unique("bounded");
    let mut child =
        spawn_file_source_worker(dir.path(), &input, &offsets, &topic, "exit.on.source.eof=true\n");
    let exit = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return Some(st);
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    let exit = exit.expect("the bounded worker did not exit by itself within 90 s");
    assert!(exit.success(), "worker exit status {exit:?}");
    let t = topic.clone();
    let high = tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .set("group.id", "watermarks")
            .create()
            .unwrap();
        c.fetch_watermarks(&t, 0, Duration::from_secs(5)).map(|(_, h)| h).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(high, LINES as i64, "records on {topic} when the worker exited");
    let text = std::fs::read_to_string(&offsets).unwrap();
    let len = std::fs::metadata(&input).unwrap().len();
    assert!(text.contains(&format!("\"position\": {len}")), "offsets at exit: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_asking_for_reconfiguration_gets_new_tasks() {
    let mut registry = connect_cli::registry().unwrap();
    registry
        .register([PluginDescriptor::source("test.Reconfiguring", "test", || {
            Box::new(Reconfiguring)
        })])
        .unwrap();
    let worker = Standalone::start(
        StandaloneOptions {
            worker_config: raw(&[("listeners", "http://127.0.0.1:0")]),
            connectors: vec![raw(&[
                ("name", "reconf"),
                ("connector.class", "test.Reconfiguring"),
                ("tasks.max", "4"),
            ])],
        },
        registry,
    )
    .await
    .unwrap();
    let w = worker.herder().clone();
    assert_eq!(w.info("reconf").await.unwrap().tasks.len(), 1);
    PLANNED.store(3, Ordering::SeqCst);
    let ctx = CONTEXT.get().unwrap().lock().unwrap().clone().unwrap();
    ctx.request_task_reconfiguration();
    let mut running = 0;
    for _ in 0..200 {
        let status = w.status("reconf").await.unwrap();
        running = status.tasks.iter().filter(|t| t.state == State::Running).count();
        if running == 3 && w.info("reconf").await.unwrap().tasks.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(running, 3, "tasks after reconfiguration");
    let configs = w.task_infos("reconf").await.unwrap();
    assert_eq!(configs[2].config.get("slot").map(String::as_str), Some("2"));
    worker.shutdown().await;
}

type Calls = Arc<Mutex<HashMap<String, Vec<TopicPartition>>>>;

fn calls() -> &'static Mutex<HashMap<String, Calls>> {
    static CALLS: OnceLock<Mutex<HashMap<String, Calls>>> = OnceLock::new();
    CALLS.get_or_init(Default::default)
}

/// A sink that records, per task slot, which partitions are currently open.
#[derive(Default)]
struct Recording(RawConfig);

#[async_trait]
impl Connector for Recording {
    fn version(&self) -> String {
        "test".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.0 = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        Ok((0..max)
            .map(|i| {
                let mut c = self.0.clone();
                c.insert("slot".into(), i.to_string());
                c
            })
            .collect())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SinkConnector for Recording {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(RecordingTask::default())
    }
}

#[derive(Default)]
struct RecordingTask {
    slot: String,
    calls: Option<Calls>,
}

#[async_trait]
impl SinkTask for RecordingTask {
    async fn start(&mut self, _: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.slot = config["slot"].clone();
        let key = config["calls"].clone();
        self.calls = calls().lock().unwrap().get(&key).cloned();
        Ok(())
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        if let Some(c) = &self.calls {
            c.lock()
                .unwrap()
                .entry(self.slot.clone())
                .or_default()
                .extend(partitions.iter().cloned());
        }
        Ok(())
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        if let Some(c) = &self.calls {
            c.lock()
                .unwrap()
                .entry(self.slot.clone())
                .or_default()
                .retain(|p| !partitions.contains(p));
        }
        Ok(())
    }
    async fn put(&mut self, _: &[SinkRecord]) -> Result<()> {
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_tasks_open_and_close_partitions_as_they_move() {
    partitions_move_between_sink_tasks(Some(bootstrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_tasks_open_and_close_partitions_as_they_move_on_the_embedded_broker() {
    partitions_move_between_sink_tasks(None).await;
}

async fn partitions_move_between_sink_tasks(bootstrap: Option<String>) {
    let topic = unique("rebalance");
    let key = unique("calls");
    let open: Calls = Arc::default();
    calls().lock().unwrap().insert(key.clone(), open.clone());
    let mut registry = connect_cli::registry().unwrap();
    registry
        .register([PluginDescriptor::sink("test.Recording", "test", || {
            Box::new(Recording::default())
        })])
        .unwrap();
    let worker = Standalone::start(
        StandaloneOptions {
            worker_config: {
                let mut c = raw(&[
                    ("listeners", "http://127.0.0.1:0"),
                    ("offset.flush.interval.ms", "200"),
                ]);
                if let Some(b) = bootstrap {
                    c.insert("bootstrap.servers".into(), b);
                }
                c
            },
            connectors: vec![],
        },
        registry,
    )
    .await
    .unwrap();
    let w = worker.herder().clone();
    w.worker().kafka().create_topic(&topic, 2).await.unwrap();
    let config = raw(&[
        ("connector.class", "test.Recording"),
        ("topics", &topic),
        ("tasks.max", "2"),
        ("calls", &key),
    ]);
    w.put_connector("rebalancing", config.clone(), true).await.unwrap();
    let snapshot = |open: &Calls| -> Vec<usize> {
        let m = open.lock().unwrap();
        let mut v: Vec<usize> = m.values().map(Vec::len).filter(|n| *n > 0).collect();
        v.sort();
        v
    };
    let mut seen = Vec::new();
    for _ in 0..600 {
        seen = snapshot(&open);
        if seen == vec![1, 1] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, vec![1, 1], "two tasks should each have one partition open");
    // One task fewer: its partition moves to the remaining task.
    let mut one = config.clone();
    one.insert("tasks.max".into(), "1".into());
    open.lock().unwrap().clear();
    w.put_connector("rebalancing", one, true).await.unwrap();
    for _ in 0..600 {
        seen = snapshot(&open);
        if seen == vec![2] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, vec![2], "the remaining task should have both partitions open");
    worker.shutdown().await;
}
