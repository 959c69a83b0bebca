//! The figures against Java Kafka Connect (`JAVA`): the same pipelines run by ours and by
//! Java's `ConnectStandalone` (Kafka 4.3.1, started as `bin/connect-standalone.sh` starts it:
//! its default heap and G1 settings), side by side on one Apache Kafka broker, since Java's
//! worker cannot start on librdkafka's mock cluster (it answers no DescribeCluster).
//!
//! Needs `BENCH_KAFKA_BOOTSTRAP` (a running Apache Kafka) and `BENCH_JAVA_CONNECT_CP` (Java
//! Kafka Connect's classpath); `scripts/bench.sh --java` sets both. Each figure's baseline is
//! Java Kafka Connect and its ratio ours ÷ Java; our goal is to be ahead on every one.

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

struct Java {
    classpath: String,
    log4j: Option<String>,
    broker: Broker,
}

impl Java {
    fn from_env() -> R<Java> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (Some(bootstrap), Some(classpath)) =
            (var("BENCH_KAFKA_BOOTSTRAP"), var("BENCH_JAVA_CONNECT_CP"))
        else {
            return Err("BENCH_KAFKA_BOOTSTRAP and BENCH_JAVA_CONNECT_CP are not set: run scripts/bench.sh --java (it starts Apache Kafka and resolves Java Kafka Connect)".into());
        };
        Ok(Java {
            classpath,
            log4j: var("BENCH_JAVA_LOG4J"),
            broker: Broker::existing(&bootstrap)?,
        })
    }

    /// Starts Java's `ConnectStandalone` with the same worker and connector files as ours.
    fn spawn(
        &self,
        dir: &Path,
        worker: &[(&str, String)],
        connectors: &[Vec<(&str, String)>],
    ) -> R<(Proc, Instant, PathBuf)> {
        let mut cmd = Command::new("java");
        cmd.args(JVM_OPTS).arg("-cp").arg(&self.classpath);
        if let Some(l) = &self.log4j {
            cmd.arg(format!("-Dlog4j2.configurationFile={l}"));
        }
        cmd.arg("org.apache.kafka.connect.cli.ConnectStandalone");
        spawn_with(cmd, "java-", dir, worker, connectors)
    }
}

/// Which worker a run starts.
#[derive(Clone, Copy)]
enum Side {
    Ours,
    Java,
}

pub(super) fn vs_java(ctx: &mut Ctx) -> R<()> {
    let java = Java::from_env()?;
    file_to_topic(ctx, &java)?;
    topic_to_file(ctx, &java)?;
    idle(ctx, &java)
}

/// Starts `side` with `connectors`; (process, start, log).
fn start(
    ctx: &mut Ctx,
    java: &Java,
    side: Side,
    dir: &Path,
    port: u16,
    connectors: &[Vec<(&str, String)>],
) -> R<(Proc, Instant, PathBuf)> {
    let worker = worker_props(&java.broker.bootstrap, dir, port, STRING_CONVERTER);
    match side {
        Side::Ours => spawn_worker(&ctx.bin.join("connect-standalone"), dir, &worker, connectors),
        Side::Java => java.spawn(dir, &worker, connectors),
    }
}

fn order(pair: usize) -> [Side; 2] {
    if pair.is_multiple_of(2) { [Side::Java, Side::Ours] } else { [Side::Ours, Side::Java] }
}

fn push(f: &mut Figure, side: Side, v: f64) {
    match side {
        Side::Ours => f.ours.push(v),
        Side::Java => f.base.push(v),
    }
}

/// FileStreamSource → topic, both timed from process start until the topic holds every line.
fn file_to_topic(ctx: &mut Ctx, java: &Java) -> R<()> {
    let n = ctx.scaled(2_000_000);
    let input = ctx.work.join("java-b1.txt");
    data::write_lines(&input, n, 100).map_err(|e| format!("generate: {e}"))?;
    let mut f = Figure::new(
        "B1",
        format!("file→topic 100B ({n} lines) vs Java"),
        "rec/s",
        Target::RatioAtLeast(1.0),
    );
    let mut m = Figure::new("B8", "peak RSS, file→topic vs Java", "MiB", Target::RatioAtMost(1.0));
    for pair in 0..ctx.opts.pairs {
        for side in order(pair) {
            let topic = ctx.unique("java-b1");
            let dir = ctx.run_dir("java-b1")?;
            let conn = vec![
                ("name", format!("src-{topic}")),
                ("connector.class", "FileStreamSource".into()),
                ("tasks.max", "1".into()),
                ("file", input.display().to_string()),
                ("topic", topic.clone()),
            ];
            let (mut p, t0, log) = start(ctx, java, side, &dir, free_port()?, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(300),
                Duration::from_millis(5),
                || Ok(java.broker.high(&topic).unwrap_or(0) >= n as i64),
            )?;
            // VmHWM is the kernel's high-water mark of the process: read once, at the end.
            let hwm = vm_hwm_kib(p.pid()).unwrap_or(0);
            drop(p);
            check_count("B1 vs Java", java.broker.high(&topic)?, n)?;
            push(&mut f, side, n as f64 / secs);
            push(&mut m, side, hwm as f64 / 1024.0);
        }
    }
    f.note = "on Apache Kafka: ours connect-standalone, Java ConnectStandalone 4.3.1 (connect-standalone.sh's JVM options), each FileStreamSource with StringConverter and the same worker settings, timed from process start until the topic's high watermark holds every line; baseline = Java".into();
    m.note = "VmHWM of each worker process at the end of the file→topic run".into();
    ctx.push(f);
    ctx.push(m);
    Ok(())
}

/// Topic → FileStreamSink, both timed from process start until the file holds every byte.
fn topic_to_file(ctx: &mut Ctx, java: &Java) -> R<()> {
    let n = ctx.scaled(2_000_000);
    let input = ctx.work.join("java-b2.txt");
    let bytes = data::write_lines(&input, n, 100).map_err(|e| format!("generate: {e}"))?;
    let topic = ctx.unique("java-b2");
    let mut fill = ctx.kcat();
    kcat_producer_args(&mut fill, &java.broker.bootstrap, &topic);
    fill.arg("-l").arg(&input).stdout(Stdio::null()).stderr(Stdio::null());
    run_timed(fill, "kcat -P (fill)", Duration::from_secs(300))?;
    check_count("B2 vs Java fill", java.broker.high(&topic)?, n)?;
    let mut f = Figure::new(
        "B2",
        format!("topic→file 100B ({n} lines) vs Java"),
        "rec/s",
        Target::RatioAtLeast(1.0),
    );
    for pair in 0..ctx.opts.pairs {
        for side in order(pair) {
            let dir = ctx.run_dir("java-b2")?;
            let out = dir.join("out.txt");
            let conn = vec![
                ("name", ctx.unique("sink")),
                ("connector.class", "FileStreamSink".into()),
                ("tasks.max", "1".into()),
                ("file", out.display().to_string()),
                ("topics", topic.clone()),
            ];
            let (mut p, t0, log) = start(ctx, java, side, &dir, free_port()?, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(300),
                Duration::from_millis(5),
                || Ok(std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) >= bytes),
            )?;
            drop(p);
            check_count("B2 vs Java", data::count_lines(&out) as i64, n)?;
            push(&mut f, side, n as f64 / secs);
            let _ = std::fs::remove_file(&out);
        }
    }
    f.note = "on Apache Kafka (one partition): ours and Java's FileStreamSink, StringConverter, offset.flush.interval.ms=100, consumer group join included, timed from process start until the file holds every byte; baseline = Java".into();
    ctx.push(f);
    Ok(())
}

/// Start-up and idle memory: start until `GET /` answers 200, and VmHWM 2 s later.
fn idle(ctx: &mut Ctx, java: &Java) -> R<()> {
    let mut ready = Figure::new("B9", "start→REST ready vs Java", "ms", Target::RatioAtMost(1.0));
    let mut mem =
        Figure::new("B8", "peak RSS, idle worker vs Java", "MiB", Target::RatioAtMost(1.0));
    for pair in 0..ctx.opts.pairs {
        for side in order(pair) {
            let dir = ctx.run_dir("java-idle")?;
            let port = free_port()?;
            let (mut p, t0, log) = start(ctx, java, side, &dir, port, &[])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(120),
                Duration::from_millis(2),
                || Ok(http_ok(port)),
            )?;
            std::thread::sleep(Duration::from_secs(2));
            push(&mut ready, side, secs * 1000.0);
            push(&mut mem, side, vm_hwm_kib(p.pid()).unwrap_or(0) as f64 / 1024.0);
        }
    }
    ready.note = "on Apache Kafka, no connector: process start until GET / answers 200 (polled every 2 ms); baseline = Java".into();
    mem.note = "VmHWM 2 s after REST is up, no connector; baseline = Java".into();
    ctx.push(ready);
    ctx.push(mem);
    Ok(())
}
