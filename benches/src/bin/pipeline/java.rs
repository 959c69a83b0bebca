//! Java Kafka Connect, the third side of the figures it can run (B1, B2, B3, B8, B9): its
//! `ConnectStandalone` (started as `bin/connect-standalone.sh` starts it: that script's
//! heap and G1 settings) with the same worker and connector files as ours, on the same
//! Apache Kafka broker (Java's worker cannot start on librdkafka's mock cluster: it answers
//! no DescribeCluster). B3 uses `GeneratorSource` and `DiscardSink`, Java twins of the
//! benches crate's connectors (`scripts/lib/connect-java/src`), under the same aliases.
//!
//! Needs `BENCH_JAVA_CONNECT_CP` (Java Kafka Connect's classpath with those connectors);
//! `scripts/bench.sh` sets it, with `BENCH_JAVA_CONNECT_VERSION` and `BENCH_JAVA_LOG4J`.

use super::*;

/// Kafka's `bin/connect-standalone.sh` defaults (`KAFKA_HEAP_OPTS`, `KAFKA_JVM_PERFORMANCE_OPTS`).
const JVM_OPTS: &[&str] = &[
    "-Xms256M",
    "-Xmx2G",
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
];

/// How to start Java Kafka Connect.
pub(super) struct Java {
    classpath: String,
    log4j: Option<String>,
    /// Its release, for the report.
    pub(super) version: String,
}

impl Java {
    /// Java Kafka Connect from `BENCH_JAVA_CONNECT_CP`, or `None` (with a note) without it.
    pub(super) fn from_env() -> R<Option<Java>> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let Some(classpath) = var("BENCH_JAVA_CONNECT_CP") else {
            println!(
                "note: BENCH_JAVA_CONNECT_CP is not set, so no Java Kafka Connect column (scripts/bench.sh sets it)"
            );
            return Ok(None);
        };
        if Command::new("java").arg("-version").output().is_err() {
            return Err("BENCH_JAVA_CONNECT_CP is set but `java` cannot be started".into());
        }
        Ok(Some(Java {
            classpath,
            log4j: var("BENCH_JAVA_LOG4J"),
            version: var("BENCH_JAVA_CONNECT_VERSION")
                .unwrap_or_else(|| "(version not given)".into()),
        }))
    }
}

/// Starts Java's `ConnectStandalone` with the given worker and connector files, like
/// [`spawn_worker`] starts ours (its files and log carry the prefix `java-`).
pub(super) fn spawn(
    ctx: &Ctx,
    dir: &Path,
    worker: &[(&str, String)],
    connectors: &[Vec<(&str, String)>],
) -> R<(Proc, Instant, PathBuf)> {
    let java = ctx.java.as_ref().ok_or("this run has no Java Kafka Connect")?;
    let mut cmd = Command::new("java");
    cmd.args(JVM_OPTS).arg("-cp").arg(&java.classpath);
    if let Some(l) = &java.log4j {
        cmd.arg(format!("-Dlog4j2.configurationFile={l}"));
    }
    cmd.arg("org.apache.kafka.connect.cli.ConnectStandalone");
    spawn_with(cmd, "java-", dir, worker, connectors)
}
