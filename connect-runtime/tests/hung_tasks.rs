//! Tasks stuck in their own code hold up nothing else: a source task whose `poll` and a
//! sink task whose `put` never return (a future pending for ever, or a plugin blocking its
//! thread), and a connector whose `stop` never returns. While they hang the REST API
//! answers and a FileStream pipeline beside them keeps moving lines; pausing, restarting
//! and deleting them return within `task.shutdown.graceful.timeout.ms` and a margin; a
//! task that did not stop in time is logged and, when its method is a pending future,
//! never runs alongside its replacement (a blocked thread ends once its method returns);
//! the worker shuts down within its timeouts with them still stuck.
//!
//! The worker runs on a runtime of its own with two worker threads (what the
//! `connect-standalone` command gets on a two-core machine); the test's HTTP client and
//! its timeouts run on the test's runtime, so a worker whose threads are all blocked
//! fails the test instead of hanging it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::{ConnectorContext, SinkTaskContext, SourceTaskContext};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::{SinkRecord, SourceRecord};
use connect_api::{Connector, Result, SinkConnector, SinkTask, SourceConnector, SourceTask};
use rest_util::*;
use serde_json::{Value, json};

/// `task.shutdown.graceful.timeout.ms` of the worker under test.
const GRACE: Duration = Duration::from_millis(2000);
/// What a stop, pause, restart or delete may take with a hung plugin: the graceful
/// timeout and a margin (a bound, not a performance figure).
const BOUND: Duration = Duration::from_millis(2000 + 3000);
/// Fails the test if a REST read takes longer than this while plugins hang.
const QUICK: Duration = Duration::from_secs(5);

/// How a hung plugin method hangs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hang {
    /// Does not hang.
    None,
    /// Awaits a future that never completes.
    Pending,
    /// Blocks its thread (`std::thread::sleep`) until its test releases it.
    Block,
}

impl Hang {
    fn name(self) -> &'static str {
        match self {
            Hang::None => "none",
            Hang::Pending => "pending",
            Hang::Block => "block",
        }
    }

    fn of(config: &RawConfig) -> Hang {
        match config.get("hang").map(String::as_str) {
            Some("pending") => Hang::Pending,
            Some("block") => Hang::Block,
            _ => Hang::None,
        }
    }
}

/// What the tasks of one hung connector did; tests of this file run side by side, each
/// with its own probes (named by the `probe` key of the connector's config).
#[derive(Default)]
struct Probe {
    /// Task instances started so far; each instance's number is its rank here.
    started: AtomicUsize,
    /// Instances started and not dropped yet, and the most there ever were.
    live: AtomicIsize,
    max_live: AtomicIsize,
    /// `poll`/`put` calls of each instance (by number): the source driver calls `poll`
    /// again after each offset flush (the call it dropped is cancel-safe).
    calls: Mutex<Vec<usize>>,
    /// Calls that went into their hang.
    hanging: AtomicUsize,
    /// Instances numbered below this are let go from a blocking hang.
    released_below: AtomicUsize,
}

fn probe(name: &str) -> Arc<Probe> {
    static PROBES: Mutex<BTreeMap<String, Arc<Probe>>> = Mutex::new(BTreeMap::new());
    PROBES.lock().unwrap().entry(name.to_string()).or_default().clone()
}

impl Probe {
    fn calls_of(&self, instance: usize) -> usize {
        self.calls.lock().unwrap().get(instance).copied().unwrap_or(0)
    }

    fn release_below(&self, n: usize) {
        self.released_below.fetch_max(n, Ordering::SeqCst);
    }
}

/// One task instance's hold on its probe: counts it live until dropped.
struct Instance {
    probe: Arc<Probe>,
    number: usize,
    hang: Hang,
}

impl Instance {
    fn start(config: &RawConfig) -> Instance {
        let probe = probe(config.get("probe").map(String::as_str).unwrap_or("none"));
        let number = probe.started.fetch_add(1, Ordering::SeqCst);
        let live = probe.live.fetch_add(1, Ordering::SeqCst) + 1;
        probe.max_live.fetch_max(live, Ordering::SeqCst);
        probe.calls.lock().unwrap().resize(number + 1, 0);
        Instance { probe, number, hang: Hang::of(config) }
    }

    /// A `poll` or `put`: hangs as configured, else waits a little and returns.
    async fn call(&self) {
        self.probe.calls.lock().unwrap()[self.number] += 1;
        let released = || self.probe.released_below.load(Ordering::SeqCst) > self.number;
        match self.hang {
            Hang::Pending if !released() => {
                self.probe.hanging.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }
            Hang::Block if !released() => {
                self.probe.hanging.fetch_add(1, Ordering::SeqCst);
                let since = Instant::now();
                while !released() && since.elapsed() < Duration::from_secs(120) {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.probe.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connector of either kind whose tasks hang as its `hang` key says, and whose own
/// `stop` never returns when `stop.hangs` is `true`.
#[derive(Default)]
struct HungConnector {
    config: RawConfig,
}

#[async_trait]
impl Connector for HungConnector {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        self.config = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        Ok(vec![self.config.clone(); max])
    }
    async fn stop(&mut self) -> Result<()> {
        if self.config.get("stop.hangs").is_some_and(|v| v == "true") {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

impl SourceConnector for HungConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(HungSourceTask(None))
    }
}

impl SinkConnector for HungConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(HungSinkTask(None))
    }
}

struct HungSourceTask(Option<Instance>);

#[async_trait]
impl SourceTask for HungSourceTask {
    async fn start(&mut self, _: SourceTaskContext, config: RawConfig) -> Result<()> {
        self.0 = Some(Instance::start(&config));
        Ok(())
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if let Some(i) = &self.0 {
            i.call().await;
        }
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

struct HungSinkTask(Option<Instance>);

#[async_trait]
impl SinkTask for HungSinkTask {
    async fn start(&mut self, _: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.0 = Some(Instance::start(&config));
        Ok(())
    }
    async fn put(&mut self, _: &[SinkRecord]) -> Result<()> {
        if let Some(i) = &self.0 {
            i.call().await;
        }
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

/// What the worker logged, for the tests to read.
static LOGGED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGGED.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends the worker's logs to [`LOGGED`] (once per process).
fn capture_logs() {
    let _ = tracing_subscriber::fmt()
        .with_writer(|| LogWriter)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

/// Whether a logged line holds all of `parts`.
fn logged(parts: &[&str]) -> bool {
    let log = LOGGED.lock().unwrap_or_else(|p| p.into_inner());
    String::from_utf8_lossy(&log).lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// A standalone worker on a runtime of its own, knowing the hung plugins.
struct Worker {
    rest: Rest,
    runtime: tokio::runtime::Runtime,
}

impl Worker {
    async fn start() -> Worker {
        capture_logs();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("worker-under-test")
            .enable_all()
            .build()
            .unwrap();
        let mut plugins = registry();
        plugins
            .register([
                PluginDescriptor::source("test.HungSource", "1", || {
                    Box::new(HungConnector::default())
                }),
                PluginDescriptor::sink("test.HungSink", "1", || Box::new(HungConnector::default())),
            ])
            .unwrap();
        let grace = GRACE.as_millis().to_string();
        let rest = runtime
            .spawn(async move {
                Rest::start_with(plugins, &[("task.shutdown.graceful.timeout.ms", &grace)]).await
            })
            .await
            .unwrap();
        Worker { rest, runtime }
    }

    /// Creates connector `name` of `class` with `config`; asserts 201.
    async fn create(&self, name: &str, class: &str, config: Value) {
        let mut body = json!({"connector.class": class, "tasks.max": "1"});
        body.as_object_mut().unwrap().extend(config.as_object().unwrap().clone());
        let a = quick(
            "creating",
            self.rest.post("/connectors", Some(json!({"name": name, "config": body}))),
        )
        .await;
        assert_eq!(a.status, 201, "create {name}: {}", a.text);
    }

    /// Asserts the REST API answers reads quickly.
    async fn answers(&self, names: &[&str]) {
        let mut paths = vec!["/connectors".to_string(), "/".to_string()];
        paths.extend(names.iter().map(|n| format!("/connectors/{n}/status")));
        for path in &paths {
            let a = quick(path, self.rest.get(path)).await;
            assert_eq!(a.status, 200, "{path}: {}", a.text);
        }
        let health = quick("/health", self.rest.get("/health")).await;
        assert_eq!(health.status, 200, "{}", health.text);
        assert_eq!(health.body["status"], "healthy", "{}", health.text);
    }

    /// Shuts the worker down on its own runtime, failing the test past [`BOUND`].
    async fn shutdown(self) {
        let Worker { rest, runtime } = self;
        let stopping = runtime.spawn(async move { rest.standalone.shutdown().await });
        within(BOUND, "the worker's shutdown", stopping).await.unwrap();
        runtime.shutdown_background();
    }
}

async fn quick<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    within(QUICK, what, f).await
}

/// `f`'s output, failing the test when it takes longer than `bound`.
async fn within<T>(bound: Duration, what: &str, f: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = tokio::time::timeout(bound, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not return within {bound:?} while plugins hang"));
    eprintln!("{what}: {:?}", started.elapsed());
    out
}

async fn lines_arrive(path: &std::path::Path, n: usize) {
    eventually(Duration::from_secs(60), &format!("{n} lines through the pipeline"), || async {
        (line_count(path) >= n).then_some(())
    })
    .await;
}

async fn hung_plugins_hold_up_nothing(hang: Hang) {
    let tag = hang.name();
    let worker = Worker::start().await;
    let rest = &worker.rest;

    // The pipeline beside them.
    let (input, output) = (rest.path("in.txt"), rest.path("out.txt"));
    write_lines(&input, 0, 3);
    quick("creating a source", rest.create_source("file-src", &input, "lines")).await;
    quick("creating a sink", rest.create_sink("file-sink", &output, "lines")).await;
    lines_arrive(&output, 3).await;

    // A source stuck in `poll`, a sink stuck in `put` (of the pipeline's records), and a
    // connector that will not stop.
    let (src, sink, stuck) =
        (format!("{tag}-hung-src"), format!("{tag}-hung-sink"), format!("{tag}-stuck-stop"));
    let (src_probe, sink_probe) = (probe(&src), probe(&sink));
    worker.create(&src, "test.HungSource", json!({"hang": tag, "probe": src})).await;
    worker
        .create(&sink, "test.HungSink", json!({"hang": tag, "probe": sink, "topics": "lines"}))
        .await;
    worker.create(&stuck, "test.HungSource", json!({"stop.hangs": "true", "probe": stuck})).await;
    eventually(Duration::from_secs(60), "the poll and the put to hang", || async {
        (src_probe.hanging.load(Ordering::SeqCst) >= 1
            && sink_probe.hanging.load(Ordering::SeqCst) >= 1)
            .then_some(())
    })
    .await;

    // While they hang, the API answers and the pipeline moves.
    worker.answers(&[&src, &sink, &stuck, "file-src", "file-sink"]).await;
    write_lines(&input, 3, 3);
    lines_arrive(&output, 6).await;

    // Pausing the hung sink returns at once (the task cannot say PAUSED from its put).
    let paused =
        within(BOUND, "pausing", rest.put(&format!("/connectors/{sink}/pause"), None)).await;
    assert_eq!(paused.status, 202);

    // Restarting the hung source replaces its task; the old one never runs beside the new.
    let restart = format!("/connectors/{src}/restart?includeTasks=true");
    let restarted = within(BOUND, "restarting", rest.post(&restart, None)).await;
    assert_eq!(restarted.status, 202, "{}", restarted.text);
    eventually(Duration::from_secs(30), "the new source task to hang in poll", || async {
        (src_probe.started.load(Ordering::SeqCst) == 2 && src_probe.calls_of(1) >= 1).then_some(())
    })
    .await;
    match hang {
        // A pending poll is cancelled: the task stops cleanly, before its successor starts.
        Hang::Pending => assert_eq!(src_probe.max_live.load(Ordering::SeqCst), 1),
        // A blocked thread cannot be taken back: the task is abandoned, and once its poll
        // returns it is dropped without polling again.
        _ => {
            assert!(
                logged(&["task did not stop in time", &format!("connector={src}")]),
                "the abandoned source task was not logged"
            );
            src_probe.release_below(1);
            eventually(Duration::from_secs(10), "the abandoned source task to go", || async {
                (src_probe.live.load(Ordering::SeqCst) == 1).then_some(())
            })
            .await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(src_probe.calls_of(0), 1, "the abandoned source task polled again");
        }
    }
    assert_eq!(src_probe.live.load(Ordering::SeqCst), 1, "old and new source tasks both live");

    // Deleting the hung sink gives its put the graceful timeout, then abandons it.
    let deleted =
        within(BOUND, "deleting the hung sink", rest.delete(&format!("/connectors/{sink}"))).await;
    assert_eq!(deleted.status, 204);
    assert!(
        logged(&["task did not stop in time", &format!("connector={sink}")]),
        "the abandoned sink task was not logged"
    );
    let gone = quick("status", rest.get(&format!("/connectors/{sink}/status"))).await;
    assert_eq!(gone.status, 404, "{}", gone.text);

    // Deleting a connector whose own stop never returns.
    let deleted =
        within(BOUND, "deleting the stuck connector", rest.delete(&format!("/connectors/{stuck}")))
            .await;
    assert_eq!(deleted.status, 204);
    assert!(
        logged(&["connector did not stop in time", &format!("connector={stuck}")]),
        "the abandoned connector was not logged"
    );

    // All the while, the worker answers and the pipeline moves.
    worker.answers(&[&src, "file-src", "file-sink"]).await;
    write_lines(&input, 6, 3);
    lines_arrive(&output, 9).await;

    // The worker shuts down, within one graceful timeout and the margin, with several
    // plugins stuck: the new source task in its poll, three tasks of another source in
    // theirs, two other sinks in their puts and another connector in its stop, all given
    // the timeout at the same time (one after another, they would take it four times).
    let (src3, stuck2) = (format!("{tag}-hung-src-3"), format!("{tag}-stuck-stop-2"));
    let src3_probe = probe(&src3);
    worker
        .create(&src3, "test.HungSource", json!({"hang": tag, "probe": src3, "tasks.max": "3"}))
        .await;
    let mut stuck_probes = vec![src_probe, sink_probe, src3_probe.clone()];
    for n in 2..=3 {
        let name = format!("{tag}-hung-sink-{n}");
        stuck_probes.push(probe(&name));
        let config = json!({"hang": tag, "probe": name, "topics": "lines"});
        worker.create(&name, "test.HungSink", config).await;
    }
    worker.create(&stuck2, "test.HungSource", json!({"stop.hangs": "true", "probe": stuck2})).await;
    eventually(Duration::from_secs(60), "the other plugins to hang", || async {
        (src3_probe.started.load(Ordering::SeqCst) == 3
            && (0..3).all(|i| src3_probe.calls_of(i) >= 1)
            && stuck_probes[3..].iter().all(|p| p.hanging.load(Ordering::SeqCst) >= 1))
        .then_some(())
    })
    .await;
    worker.shutdown().await;
    for p in &stuck_probes {
        p.release_below(usize::MAX);
    }
}

/// Futures pending for ever in `poll`, `put` and a connector's `stop`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_pending_for_ever_hold_up_nothing() {
    hung_plugins_hold_up_nothing(Hang::Pending).await;
}

/// `poll` and `put` blocking their threads (and a connector's `stop` pending for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_blocking_their_threads_hold_up_nothing() {
    hung_plugins_hold_up_nothing(Hang::Block).await;
}
