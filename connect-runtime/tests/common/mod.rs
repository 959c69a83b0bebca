//! Shared helpers of the runtime's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod numbers;
pub mod sinks;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_runtime::PluginRegistry;
use connect_runtime::standalone::{Standalone, StandaloneOptions};

/// The real broker the test script started (Apache Kafka). Tests fail, never skip, without one.
pub fn bootstrap() -> String {
    std::env::var("CONNECT_TEST_BOOTSTRAP").unwrap_or_else(|_| {
        panic!(
            "CONNECT_TEST_BOOTSTRAP is not set: this test needs a real Kafka-protocol broker. \
             Run scripts/test.sh (it starts Apache Kafka; scripts/kafka.sh starts one alone), or start a broker and \
             export CONNECT_TEST_BOOTSTRAP=host:port"
        )
    })
}

/// `java` with a small heap and the classpath of Java Kafka Connect and our tools
/// (`scripts/test.sh` resolves it; see `ensure_java_connect`), logging as the tests want.
/// Tests fail, never skip, without it.
pub fn java_command() -> std::process::Command {
    let cp = std::env::var("CONNECT_TEST_JAVA_CONNECT_CP").ok().filter(|v| !v.is_empty());
    let cp = cp.unwrap_or_else(|| {
        panic!(
            "CONNECT_TEST_JAVA_CONNECT_CP is not set: this test needs Java Kafka Connect's jars. \
             Run scripts/test.sh (it resolves them with Maven), or \
             `. scripts/lib/services.sh; ensure_java_connect` in your shell"
        )
    });
    let mut cmd = std::process::Command::new("java");
    cmd.args(["-Xmx384m", "-XX:+UseSerialGC", "-cp", &cp]);
    if let Ok(config) = std::env::var("CONNECT_TEST_JAVA_LOG4J") {
        cmd.arg(format!("-Dlog4j2.configurationFile={config}"));
    }
    cmd
}

/// A name no other test run uses: tests share one broker, so they never share topics.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// Builds a raw config from pairs.
pub fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Waits until `check` holds, failing with `what` after `timeout`.
pub async fn wait_for(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes `n` numbered lines.
pub fn write_lines(path: &Path, from: usize, n: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(
        std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap(),
    );
    for i in from..from + n {
        writeln!(f, "line {i:07} of the test input").unwrap();
    }
    f.flush().unwrap();
}

/// Number of lines in a file (0 when missing).
pub fn line_count(path: &Path) -> usize {
    std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0)
}

/// The runtime's converters, the FileStream connectors and Kafka's transformations.
pub fn registry() -> PluginRegistry {
    let mut r = PluginRegistry::new();
    r.register(connect_file::plugins()).unwrap();
    r.register(connect_transforms::plugins()).unwrap();
    r
}

/// Starts an in-process standalone worker on a random REST port with [`registry`].
pub async fn standalone(worker: &[(&str, &str)], connectors: Vec<RawConfig>) -> Standalone {
    standalone_with(registry(), worker, connectors).await
}

/// Starts an in-process standalone worker on a random REST port with `plugins`.
pub async fn standalone_with(
    plugins: PluginRegistry,
    worker: &[(&str, &str)],
    connectors: Vec<RawConfig>,
) -> Standalone {
    let mut worker_config = raw(&[("listeners", "http://127.0.0.1:0")]);
    worker_config.extend(raw(worker));
    Standalone::start(StandaloneOptions { worker_config, connectors }, plugins).await.unwrap()
}
