//! `pipeline [--scale F] [--pairs N] [--only B1,B2,…] [--latency-secs S]`: the end-to-end
//! harness behind `scripts/bench.sh`.
//!
//! Every side of a figure talks to the same broker: Apache Kafka when `BENCH_KAFKA_BOOTSTRAP`
//! names one (`scripts/bench.sh` starts it), else (or with `--broker mock`) a
//! `connect-mock-broker` process (librdkafka's mock cluster on loopback). It generates data
//! with a fixed seed, runs the baseline, ours and, on Apache Kafka, Java Kafka Connect
//! (`BENCH_JAVA_CONNECT_CP`; not with `--no-java`) in rotating order (`--pairs` rounds),
//! checks record counts after every run, prints one line per figure (median ratios and the
//! spread of the per-round ratios) and writes `benches/results/latest.json` and `latest.md`.
//!
//! How ours is timed: the real release binaries (`connect-standalone`, or `bench-worker`
//! for B3) are started, and the clock runs from process start until the topic's high
//! watermark reaches the expected count (sources), the sink file holds every byte
//! (FileStreamSink) or the discarding sink reports the count (B3); then the worker is
//! killed. Baselines (`kcat`, the raw rdkafka loops of `pipeline raw-produce` and
//! `pipeline raw-consume`) are timed from process start to exit.
//!
//! `pipeline raw-produce BOOTSTRAP TOPIC COUNT SIZE` and
//! `pipeline raw-consume BOOTSTRAP TOPIC COUNT GROUP` are those raw loops.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use benches::data;
use benches::procfs::vm_hwm_kib;
use benches::stats::{median, min_max, quantile};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

mod java;
mod latency;
mod sql;
mod storage;
mod throughput;

use latency::{b8_idle, b9, b10};
use sql::{b5, b6};
use storage::b7;
use throughput::{b1, b2, b3, b4};

type R<T> = Result<T, String>;

/// The runtime's producer defaults (`connect-runtime/src/kafka/mod.rs`), given to every
/// baseline producer too.
const PRODUCER: &[(&str, &str)] = &[
    ("acks", "all"),
    ("enable.idempotence", "true"),
    ("linger.ms", "5"),
    ("queue.buffering.max.kbytes", "32768"),
    ("queue.buffering.max.messages", "200000"),
    ("compression.type", "none"),
];

/// The runtime's consumer caps, given to every baseline consumer too.
const CONSUMER: &[(&str, &str)] =
    &[("queued.max.messages.kbytes", "16384"), ("fetch.max.bytes", "16777216")];

const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
const BYTES_CONVERTER: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("raw-produce") => raw_produce(&args[1..]),
        Some("raw-consume") => raw_consume(&args[1..]),
        _ => harness(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pipeline: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------
// Raw rdkafka loops (the B3 baselines)
// ---------------------------------------------------------------------------------------

fn arg<'a>(args: &'a [String], i: usize, what: &str) -> R<&'a str> {
    args.get(i).map(String::as_str).ok_or_else(|| format!("missing argument {what}"))
}

fn num(args: &[String], i: usize, what: &str) -> R<u64> {
    arg(args, i, what)?.parse().map_err(|e| format!("bad {what}: {e}"))
}

fn raw_produce(args: &[String]) -> R<()> {
    let (bootstrap, topic) = (arg(args, 0, "BOOTSTRAP")?, arg(args, 1, "TOPIC")?);
    let (count, size) = (num(args, 2, "COUNT")?, num(args, 3, "SIZE")? as usize);
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap);
    for (k, v) in PRODUCER {
        cfg.set(*k, *v);
    }
    // A random partition per message: no partition of a multi-partition topic outgrows
    // the mock broker's per-partition limit (no effect on single-partition topics).
    cfg.set("sticky.partitioning.linger.ms", "0");
    let producer: BaseProducer = cfg.create().map_err(|e| format!("producer: {e}"))?;
    let mut payload = vec![0u8; size];
    data::Rng::new(data::SEED).fill_printable(&mut payload);
    for i in 0..count {
        loop {
            match producer.send(BaseRecord::<(), [u8]>::to(topic).payload(&payload)) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    producer.poll(Duration::from_millis(1));
                }
                Err((e, _)) => return Err(format!("send: {e}")),
            }
        }
        if i % 1024 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(120)).map_err(|e| format!("flush: {e}"))
}

fn raw_consume(args: &[String]) -> R<()> {
    let (bootstrap, topic) = (arg(args, 0, "BOOTSTRAP")?, arg(args, 1, "TOPIC")?);
    let (count, group) = (num(args, 2, "COUNT")?, arg(args, 3, "GROUP")?);
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    for (k, v) in CONSUMER {
        cfg.set(*k, *v);
    }
    let consumer: BaseConsumer = cfg.create().map_err(|e| format!("consumer: {e}"))?;
    consumer.subscribe(&[topic]).map_err(|e| format!("subscribe: {e}"))?;
    let (mut seen, mut bytes) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen < count {
        if Instant::now() > deadline {
            return Err(format!("timed out with {seen} of {count} records"));
        }
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m = m.map_err(|e| format!("poll: {e}"))?;
            bytes += m.payload().map_or(0, |p| p.len() as u64);
            seen += 1;
        }
    }
    println!("{seen} {bytes}");
    let _ = std::io::stdout().flush();
    // Like the timed sink, stop the clock at the last record, not after a group leave.
    std::process::exit(0)
}

// ---------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------

struct Opts {
    scale: f64,
    pairs: usize,
    only: Option<Vec<String>>,
    latency_secs: f64,
    /// `--broker mock`: the mock cluster even when Apache Kafka is given.
    mock: bool,
    /// `--no-java`: no Java Kafka Connect column.
    no_java: bool,
}

fn parse_opts(args: &[String]) -> R<Opts> {
    let mut o =
        Opts { scale: 0.25, pairs: 3, only: None, latency_secs: 3.0, mock: false, no_java: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val =
            |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--scale" => o.scale = val("--scale")?.parse().map_err(|e| format!("--scale: {e}"))?,
            "--pairs" => o.pairs = val("--pairs")?.parse().map_err(|e| format!("--pairs: {e}"))?,
            "--latency-secs" => {
                o.latency_secs =
                    val("--latency-secs")?.parse().map_err(|e| format!("--latency-secs: {e}"))?
            }
            "--only" => {
                o.only = Some(val("--only")?.split(',').map(|s| s.trim().to_uppercase()).collect())
            }
            "--broker" => match val("--broker")?.as_str() {
                "mock" => o.mock = true,
                "kafka" => o.mock = false,
                other => return Err(format!("--broker takes mock or kafka, not {other}")),
            },
            "--no-java" => o.no_java = true,
            "-h" | "--help" => {
                return Err("usage: pipeline [--scale F] [--pairs N] [--only B1,B2,B3,B4,B5,B6,B7,B8,B9,B10] [--latency-secs S] [--broker mock|kafka] [--no-java]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !o.scale.is_finite() || o.scale <= 0.0 || o.pairs == 0 {
        return Err("--scale must be > 0 and --pairs ≥ 1".into());
    }
    Ok(o)
}

/// What a figure's target is.
#[derive(Clone, Copy)]
enum Target {
    /// The median ratio ours/baseline must be at least this.
    RatioAtLeast(f64),
    /// The median of ours must be at most this (in the figure's unit).
    OursAtMost(f64),
    /// The median of ours must be at least this (in the figure's unit).
    OursAtLeast(f64),
    /// Reported only.
    None,
}

struct Figure {
    id: &'static str,
    name: String,
    unit: &'static str,
    ours: Vec<f64>,
    base: Vec<f64>,
    /// Java Kafka Connect's runs, when it ran this figure too.
    java: Vec<f64>,
    target: Target,
    note: String,
}

impl Figure {
    fn new(id: &'static str, name: impl Into<String>, unit: &'static str, target: Target) -> Self {
        Figure {
            id,
            name: name.into(),
            unit,
            ours: vec![],
            base: vec![],
            java: vec![],
            target,
            note: String::new(),
        }
    }

    fn ratios(&self) -> Vec<f64> {
        self.ours.iter().zip(&self.base).filter(|(_, b)| **b > 0.0).map(|(o, b)| o / b).collect()
    }

    fn ratio(&self) -> Option<f64> {
        median(&self.ratios())
    }

    /// Ours ÷ Java per round.
    fn java_ratios(&self) -> Vec<f64> {
        self.ours.iter().zip(&self.java).filter(|(_, j)| **j > 0.0).map(|(o, j)| o / j).collect()
    }

    /// Ahead of Java Kafka Connect: more per second, or less time or memory.
    fn java_status(&self) -> &'static str {
        let higher_is_better = self.unit.ends_with("/s");
        match median(&self.java_ratios()) {
            Some(r) if (higher_is_better && r >= 1.0) || (!higher_is_better && r <= 1.0) => "ahead",
            Some(_) => "BEHIND",
            None => "",
        }
    }

    /// Java's median, ours ÷ Java and its spread, or `None` without Java runs.
    fn java_text(&self) -> Option<(String, String, String)> {
        let j = median(&self.java)?;
        let ratios = self.java_ratios();
        let ratio = median(&ratios).map_or("n/a".into(), fmt_ratio);
        let spread = min_max(&ratios)
            .map_or("n/a".into(), |(lo, hi)| format!("{}–{}", fmt_ratio(lo), fmt_ratio(hi)));
        Some((format!("{} {}", fmt_num(j), self.unit), ratio, spread))
    }

    fn status(&self) -> &'static str {
        match self.target {
            Target::RatioAtLeast(t) => match self.ratio() {
                Some(r) if r >= t => "PASS",
                Some(_) => "MISS",
                None => "n/a",
            },
            Target::OursAtMost(t) => match median(&self.ours) {
                Some(v) if v <= t => "PASS",
                Some(_) => "MISS",
                None => "n/a",
            },
            Target::OursAtLeast(t) => match median(&self.ours) {
                Some(v) if v >= t => "PASS",
                Some(_) => "MISS",
                None => "n/a",
            },
            Target::None => "report",
        }
    }

    fn target_text(&self) -> String {
        match self.target {
            Target::RatioAtLeast(t) => format!("ratio ≥{t:.2}"),
            Target::OursAtMost(t) => format!("≤{} {}", fmt_num(t), self.unit),
            Target::OursAtLeast(t) => format!("≥{} {}", fmt_num(t), self.unit),
            Target::None => "—".into(),
        }
    }

    fn spread_text(&self) -> String {
        match min_max(&self.ratios()) {
            Some((lo, hi)) => format!("{lo:.2}–{hi:.2}"),
            None => match min_max(&self.ours) {
                Some((lo, hi)) => format!("ours {}–{}", fmt_num(lo), fmt_num(hi)),
                None => "n/a".into(),
            },
        }
    }

    fn line(&self) -> String {
        let ours =
            median(&self.ours).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), self.unit));
        let base =
            median(&self.base).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), self.unit));
        let ratio = self.ratio().map_or("n/a".into(), fmt_ratio);
        let java = self.java_text().map_or(String::new(), |(j, r, spread)| {
            format!("  java={j} ours/java={r} (spread {spread}) {}", self.java_status())
        });
        format!(
            "{:<4}{:<34} ours={:<16} baseline={:<16} ratio={:<5} (spread {})  target {}  {}{java}",
            self.id,
            self.name,
            ours,
            base,
            ratio,
            self.spread_text(),
            self.target_text(),
            self.status()
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "ours_median": median(&self.ours),
            "baseline_median": median(&self.base),
            "ratio_median": self.ratio(),
            "ratio_min_max": min_max(&self.ratios()),
            "ours_runs": self.ours,
            "baseline_runs": self.base,
            "target": self.target_text(),
            "status": self.status(),
            "java_median": median(&self.java),
            "java_runs": self.java,
            "ours_over_java_median": median(&self.java_ratios()),
            "ours_over_java_min_max": min_max(&self.java_ratios()),
            "vs_java": self.java_status(),
            "note": self.note,
        })
    }
}

/// A ratio with two decimals, or three significant digits when it is below 0.1.
fn fmt_ratio(r: f64) -> String {
    if r < 0.1 { format!("{r:.3}") } else { format!("{r:.2}") }
}

fn fmt_num(v: f64) -> String {
    if v >= 10_000.0 {
        let s = format!("{:.0}", v);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

struct Ctx {
    opts: Opts,
    bin: PathBuf,
    work: PathBuf,
    kcat: String,
    kcat_ld: Option<String>,
    figures: Vec<Figure>,
    /// Our median B1 100 B rate, the base of B10's rates.
    b1_rate: Option<f64>,
    seq: u64,
    /// Apache Kafka's bootstrap servers, when the figures run on it.
    kafka: Option<String>,
    /// Java Kafka Connect, the third side of the figures it can run (on Apache Kafka only).
    java: Option<java::Java>,
    /// Whether the checkout had uncommitted changes when the harness started (the
    /// binaries were just built from it; later edits do not change what was measured).
    dirty_at_start: bool,
}

impl Ctx {
    fn wants(&self, id: &str) -> bool {
        self.opts.only.as_ref().is_none_or(|o| o.iter().any(|x| x == id))
    }

    fn scaled(&self, n: u64) -> u64 {
        ((n as f64 * self.opts.scale).round() as u64).max(1000)
    }

    fn unique(&mut self, prefix: &str) -> String {
        self.seq += 1;
        // The process id keeps names apart on an Apache Kafka that outlives one run.
        format!("{prefix}-{}-{}", std::process::id(), self.seq)
    }

    fn run_dir(&mut self, prefix: &str) -> R<PathBuf> {
        let name = self.unique(prefix);
        let d = self.work.join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).map_err(|e| format!("mkdir {}: {e}", d.display()))?;
        Ok(d)
    }

    fn kcat(&self) -> Command {
        let mut c = Command::new(&self.kcat);
        if let Some(ld) = &self.kcat_ld {
            c.env("LD_LIBRARY_PATH", ld);
        }
        c
    }

    fn push(&mut self, f: Figure) {
        println!("{}", f.line());
        let _ = std::io::stdout().flush();
        self.figures.push(f);
    }
}

/// A `connect-mock-broker` process and a client that reads watermarks from it.
struct Broker {
    /// The `connect-mock-broker` process, `None` for a broker started elsewhere.
    child: Option<Child>,
    bootstrap: String,
    probe: BaseConsumer,
}

impl Broker {
    /// The broker of a figure group, with `topics` (`name` or `name:partitions`) created:
    /// a new `connect-mock-broker` process, or the running Apache Kafka of the run.
    fn start(ctx: &Ctx, topics: &[String]) -> R<Broker> {
        if let Some(bootstrap) = &ctx.kafka {
            let broker = Broker::existing(bootstrap)?;
            create_topics(bootstrap, topics)?;
            return Ok(broker);
        }
        let mut cmd = Command::new(ctx.bin.join("connect-mock-broker"));
        for t in topics {
            cmd.arg("--topic").arg(t);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start connect-mock-broker: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line).map_err(|e| format!("broker stdout: {e}"))?;
        }
        let bootstrap = line.trim().to_string();
        if bootstrap.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            return Err("connect-mock-broker printed no bootstrap servers".into());
        }
        let probe: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "bench-probe")
            .create()
            .map_err(|e| format!("probe client: {e}"))?;
        Ok(Broker { child: Some(child), bootstrap, probe })
    }

    /// A broker that runs already (Apache Kafka).
    fn existing(bootstrap: &str) -> R<Broker> {
        let probe: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", "bench-probe")
            .create()
            .map_err(|e| format!("probe client: {e}"))?;
        Ok(Broker { child: None, bootstrap: bootstrap.to_string(), probe })
    }

    fn high(&self, topic: &str) -> R<i64> {
        let high = || self.probe.fetch_watermarks(topic, 0, Duration::from_secs(5));
        match high() {
            Ok((_, h)) => Ok(h),
            // A topic asked for before it existed stays unknown to the client until its
            // metadata is refreshed (5 minutes by default): refresh it and ask again.
            Err(_) => {
                let _ = self.probe.fetch_metadata(Some(topic), Duration::from_secs(5));
                high().map(|(_, h)| h).map_err(|e| format!("watermarks of {topic}: {e}"))
            }
        }
    }
}

impl Broker {
    /// The sum of the high watermarks of partitions `0..parts` of `topic`.
    fn total(&self, topic: &str, parts: u64) -> R<i64> {
        let mut sum = 0;
        for p in 0..parts as i32 {
            let (_, h) = self
                .probe
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .map_err(|e| format!("watermarks of {topic}/{p}: {e}"))?;
            sum += h;
        }
        Ok(sum)
    }
}

/// Creates `topics` (`name` or `name:partitions`, replication 1) through the Admin API.
fn create_topics(bootstrap: &str, topics: &[String]) -> R<()> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| format!("admin client: {e}"))?;
    let specs: Vec<(String, i32)> = topics
        .iter()
        .map(|t| match t.rsplit_once(':') {
            Some((name, parts)) => (name.to_string(), parts.parse().unwrap_or(1)),
            None => (t.clone(), 1),
        })
        .collect();
    let new: Vec<NewTopic> =
        specs.iter().map(|(n, p)| NewTopic::new(n, *p, TopicReplication::Fixed(1))).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results =
        rt.block_on(admin.create_topics(&new, &opts)).map_err(|e| format!("create topics: {e}"))?;
    for r in results {
        if let Err((name, code)) = r
            && code != RDKafkaErrorCode::TopicAlreadyExists
        {
            return Err(format!("create topic {name}: {code}"));
        }
    }
    Ok(())
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A child process killed (and reaped) when dropped.
struct Proc(Child);

impl Proc {
    fn pid(&self) -> u32 {
        self.0.id()
    }
    fn alive(&mut self, what: &str, log: &Path) -> R<()> {
        match self.0.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(st)) => Err(format!("{what} exited early ({st}); see {}", log.display())),
            Err(e) => Err(format!("{what}: {e}")),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Partitions a topic needs so librdkafka's mock cluster keeps all of it: a mock
/// partition keeps at most 5 MiB or 100,000 messages and drops its oldest batches
/// beyond that (`rdkafka_mock.c`), which would make a topic filled up front unreadable
/// from the beginning.
fn partitions_for(n: u64, size: u64) -> u64 {
    let by_bytes = (n * (size + 70)).div_ceil(2_500_000);
    let by_count = n.div_ceil(50_000);
    by_bytes.max(by_count).max(1)
}

fn write_props(path: &Path, pairs: &[(&str, String)]) -> R<()> {
    let mut s = String::new();
    for (k, v) in pairs {
        let _ = writeln!(s, "{k}={v}");
    }
    std::fs::write(path, s).map_err(|e| format!("write {}: {e}", path.display()))
}

fn free_port() -> R<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| format!("local_addr: {e}"))
}

/// Worker settings shared by every run of ours.
fn worker_props(
    bootstrap: &str,
    dir: &Path,
    port: u16,
    converter: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("bootstrap.servers", bootstrap.to_string()),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("key.converter", converter.to_string()),
        ("value.converter", converter.to_string()),
        ("offset.storage.file.filename", dir.join("offsets").display().to_string()),
        // FileStreamSink writes its last partial buffer only on flush (offset commit).
        ("offset.flush.interval.ms", "100".to_string()),
    ]
}

/// Starts `exe` with a worker config and connector configs written into `dir`; its
/// output goes to `dir/worker.log`.
fn spawn_worker(
    exe: &Path,
    dir: &Path,
    worker: &[(&str, String)],
    connectors: &[Vec<(&str, String)>],
) -> R<(Proc, Instant, PathBuf)> {
    let mut cmd = Command::new(exe);
    cmd.env("NO_COLOR", "1");
    spawn_with(cmd, "", dir, worker, connectors)
}

/// Writes `<prefix>worker.properties` and `<prefix>connector<i>.properties` into `dir` and
/// starts `cmd` with them as arguments, its output in `dir/<prefix>worker.log`.
fn spawn_with(
    mut cmd: Command,
    prefix: &str,
    dir: &Path,
    worker: &[(&str, String)],
    connectors: &[Vec<(&str, String)>],
) -> R<(Proc, Instant, PathBuf)> {
    let wp = dir.join(format!("{prefix}worker.properties"));
    write_props(&wp, worker)?;
    let mut files = vec![wp];
    for (i, c) in connectors.iter().enumerate() {
        let p = dir.join(format!("{prefix}connector{i}.properties"));
        write_props(&p, c)?;
        files.push(p);
    }
    let log_path = dir.join(format!("{prefix}worker.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| format!("log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| format!("log: {e}"))?;
    let what = format!("{:?}", cmd.get_program());
    let t0 = Instant::now();
    let child = cmd
        .args(&files)
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    Ok((Proc(child), t0, log_path))
}

/// Polls `done` every `every` until it holds, while the process stays up; returns the
/// time since `t0`.
fn wait_for(
    p: &mut Proc,
    log: &Path,
    t0: Instant,
    timeout: Duration,
    every: Duration,
    mut done: impl FnMut() -> R<bool>,
) -> R<f64> {
    loop {
        if done()? {
            return Ok(t0.elapsed().as_secs_f64());
        }
        p.alive("worker", log)?;
        if t0.elapsed() > timeout {
            return Err(format!("timed out after {timeout:?}; see {}", log.display()));
        }
        std::thread::sleep(every);
    }
}

/// One side of a figure's round: the baseline, ours or Java Kafka Connect.
type Side<'a> = &'a mut dyn FnMut(&mut Ctx) -> R<()>;

/// One pair of runs: the baseline first on even pairs, ours first on odd ones, so
/// neither side always runs on a warmer (or busier) machine.
fn interleaved(ctx: &mut Ctx, pair: usize, base: Side<'_>, ours: Side<'_>) -> R<()> {
    rotated(ctx, pair, &mut [base, ours])
}

/// One round of runs, the order rotating with the round: round `i` starts with side
/// `i mod n`, so each side goes first equally often.
fn rotated(ctx: &mut Ctx, round: usize, sides: &mut [Side<'_>]) -> R<()> {
    let n = sides.len();
    for i in 0..n {
        (sides[(round + i) % n])(ctx)?;
    }
    Ok(())
}

/// [`with_java`] where ours and Java share one run function, told whether it runs Java.
fn with_java_worker(
    ctx: &mut Ctx,
    round: usize,
    base: Side<'_>,
    worker: &mut dyn FnMut(&mut Ctx, bool) -> R<()>,
) -> R<()> {
    let worker = std::cell::RefCell::new(worker);
    with_java(
        ctx,
        round,
        base,
        &mut |ctx: &mut Ctx| (worker.borrow_mut())(ctx, false),
        &mut |ctx: &mut Ctx| (worker.borrow_mut())(ctx, true),
    )
}

/// Starts ours (`exe`) or, when `is_java`, Java Kafka Connect with the same files.
fn spawn_side(
    ctx: &Ctx,
    is_java: bool,
    exe: &Path,
    dir: &Path,
    worker: &[(&str, String)],
    connectors: &[Vec<(&str, String)>],
) -> R<(Proc, Instant, PathBuf)> {
    if is_java {
        java::spawn(ctx, dir, worker, connectors)
    } else {
        spawn_worker(exe, dir, worker, connectors)
    }
}

/// The baseline, ours and, when the run has it, Java Kafka Connect, in rotating order.
fn with_java(ctx: &mut Ctx, round: usize, base: Side<'_>, ours: Side<'_>, java: Side<'_>) -> R<()> {
    if ctx.java.is_some() {
        rotated(ctx, round, &mut [base, ours, java])
    } else {
        interleaved(ctx, round, base, ours)
    }
}

/// Waits for a worker in bounded mode to exit by itself, sampling its peak RSS; returns
/// (seconds since `t0`, KiB). A non-zero exit is an error naming the log.
fn wait_exit(p: &mut Proc, log: &Path, t0: Instant, timeout: Duration) -> R<(f64, u64)> {
    let mut hwm = 0;
    loop {
        match p.0.try_wait() {
            Ok(Some(st)) if st.success() => return Ok((t0.elapsed().as_secs_f64(), hwm)),
            Ok(Some(st)) => return Err(format!("worker failed ({st}); see {}", log.display())),
            Ok(None) => {}
            Err(e) => return Err(format!("worker: {e}")),
        }
        if let Some(h) = vm_hwm_kib(p.pid()) {
            hwm = hwm.max(h);
        }
        if t0.elapsed() > timeout {
            return Err(format!("worker did not exit within {timeout:?}; see {}", log.display()));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Runs a baseline command to its end, sampling its peak RSS; returns (seconds, KiB).
fn run_timed(mut cmd: Command, what: &str, timeout: Duration) -> R<(f64, u64)> {
    let t0 = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut p = Proc(child);
    let mut hwm = 0;
    loop {
        match p.0.try_wait() {
            Ok(Some(st)) if st.success() => return Ok((t0.elapsed().as_secs_f64(), hwm)),
            Ok(Some(st)) => return Err(format!("{what} failed: {st}")),
            Ok(None) => {}
            Err(e) => return Err(format!("{what}: {e}")),
        }
        if let Some(h) = vm_hwm_kib(p.pid()) {
            hwm = hwm.max(h);
        }
        if t0.elapsed() > timeout {
            return Err(format!("{what} timed out"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn kcat_producer_args(cmd: &mut Command, bootstrap: &str, topic: &str) {
    cmd.args(["-P", "-q", "-b", bootstrap, "-t", topic]);
    for (k, v) in PRODUCER {
        cmd.arg("-X").arg(format!("{k}={v}"));
    }
}

fn check_count(what: &str, got: i64, want: u64) -> R<()> {
    if got == want as i64 {
        Ok(())
    } else {
        Err(format!("{what}: expected {want} records, found {got}"))
    }
}

fn http_ok(port: u16) -> bool {
    let Ok(addr) = format!("127.0.0.1:{port}").parse() else { return false };
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
    if s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200")
}

fn harness(args: &[String]) -> R<()> {
    let opts = parse_opts(args)?;
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let bin = exe.parent().ok_or("no binary directory")?.to_path_buf();
    for b in ["connect-standalone", "connect-mock-broker", "bench-worker"] {
        if !bin.join(b).exists() {
            return Err(format!(
                "{} is missing: run `cargo build --release -p connect-cli -p benches`",
                bin.join(b).display()
            ));
        }
    }
    let work = bin.parent().ok_or("no target directory")?.join("bench-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("mkdir {}: {e}", work.display()))?;
    let kcat = std::env::var("BENCH_KCAT").unwrap_or_else(|_| "kcat".into());
    let kcat_ld = std::env::var("BENCH_KCAT_LD_LIBRARY_PATH").ok().filter(|s| !s.is_empty());
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let kafka = env("BENCH_KAFKA_BOOTSTRAP").filter(|_| !opts.mock);
    let java = match (&kafka, opts.no_java) {
        (Some(_), false) => java::Java::from_env()?,
        _ => None,
    };
    let mut ctx = Ctx {
        opts,
        bin,
        work,
        kcat,
        kcat_ld,
        figures: vec![],
        b1_rate: None,
        seq: 0,
        kafka,
        java,
        dirty_at_start: checkout_dirty(),
    };

    let ours_lib = rdkafka::util::get_rdkafka_version().1;
    let kcat_lib = kcat_librdkafka(&ctx);
    let started = Instant::now();
    println!("broker: {}", broker_text(&ctx, &ours_lib));
    if let Some(j) = &ctx.java {
        println!(
            "Java Kafka Connect {} (ConnectStandalone, connect-standalone.sh's JVM options): a third side of B1, B2, B3, B8, B9",
            j.version
        );
    }
    println!(
        "librdkafka: ours {ours_lib} (static, rdkafka-sys); kcat {kcat_lib}{}",
        ctx.kcat_ld.as_ref().map_or(String::new(), |l| format!(" via LD_LIBRARY_PATH={l}"))
    );
    println!(
        "scale={} (issue sizes × scale; --scale 1 for the issue's 2 M × 100 B and 500 k × 1 KB), {} pairs, the sides in rotating order",
        ctx.opts.scale, ctx.opts.pairs
    );
    println!(
        "ratio = ours / baseline per pair, median over pairs; spread = min–max of the per-pair ratios; ours/java likewise"
    );
    println!("throughput: higher is better; time and memory: lower is better");
    println!();

    let mut errors = Vec::new();
    type Step = fn(&mut Ctx) -> R<()>;
    let steps: [(&str, Step); 10] = [
        ("B9", b9),
        ("B1", b1),
        ("B2", b2),
        ("B3", b3),
        ("B4", b4),
        ("B5", b5),
        ("B6", b6),
        ("B7", b7),
        ("B8", b8_idle),
        ("B10", b10),
    ];
    for (id, step) in steps {
        if ctx.wants(id)
            && let Err(e) = step(&mut ctx)
        {
            println!("{id}  ERROR: {e}");
            errors.push(format!("{id}: {e}"));
        }
    }
    let total = started.elapsed().as_secs_f64();
    println!();
    println!("harness time {total:.0} s");
    write_results(&ctx, &ours_lib, &kcat_lib, total, &errors)?;
    if errors.is_empty() { Ok(()) } else { Err(format!("{} figure(s) failed", errors.len())) }
}

/// Whether the checkout has uncommitted changes to tracked files.
fn checkout_dirty() -> bool {
    Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false)
}

/// Which broker every side of the figures talked to.
fn broker_text(ctx: &Ctx, ours_lib: &str) -> String {
    match &ctx.kafka {
        Some(b) => format!(
            "Apache Kafka {} (KRaft, one node, {b}), shared by every side",
            std::env::var("BENCH_KAFKA_VERSION").unwrap_or_else(|_| "(version not given)".into())
        ),
        None => format!(
            "connect-mock-broker (librdkafka {ours_lib} mock cluster, loopback, one process per figure group)"
        ),
    }
}

fn kcat_librdkafka(ctx: &Ctx) -> String {
    let out = ctx.kcat().arg("-V").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
    text.split("librdkafka ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map_or_else(|| "unknown".into(), str::to_string)
}

fn write_results(
    ctx: &Ctx,
    ours_lib: &str,
    kcat_lib: &str,
    total: f64,
    errors: &[String],
) -> R<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("results");
    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "HEAD"]);
    let dirty = ctx.dirty_at_start;
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let json = serde_json::json!({
        "commit": commit,
        "dirty": dirty,
        "date": date,
        "scale": ctx.opts.scale,
        "pairs": ctx.opts.pairs,
        "broker": broker_text(ctx, ours_lib),
        "java_kafka_connect": ctx.java.as_ref().map(|j| j.version.clone()),
        "librdkafka": { "ours": ours_lib, "kcat": kcat_lib, "kcat_ld_library_path": ctx.kcat_ld },
        "harness_seconds": total,
        "figures": ctx.figures.iter().map(Figure::json).collect::<Vec<_>>(),
        "errors": errors,
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| format!("json: {e}"))?;
    std::fs::write(dir.join("latest.json"), text + "\n")
        .map_err(|e| format!("write latest.json: {e}"))?;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Commit `{}`{}, {date}, scale {}, {} pairs; broker {}{}; librdkafka ours {ours_lib}, kcat {kcat_lib}.\n",
        commit.get(..12).unwrap_or(&commit),
        if dirty { " (with uncommitted changes)" } else { "" },
        ctx.opts.scale,
        ctx.opts.pairs,
        broker_text(ctx, ours_lib),
        ctx.java.as_ref().map_or(String::new(), |j| format!("; Java Kafka Connect {}", j.version)),
    );
    let _ = writeln!(
        md,
        "| figure | | ours | baseline | ratio | spread | target | | Java Kafka Connect | ours ÷ Java | spread | |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for f in &ctx.figures {
        let ours = median(&f.ours).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), f.unit));
        let base = median(&f.base).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), f.unit));
        let ratio = f.ratio().map_or("n/a".into(), fmt_ratio);
        let (java, vs, spread) = f.java_text().unwrap_or(("—".into(), "—".into(), "".into()));
        let _ = writeln!(
            md,
            "| {} | {} | {ours} | {base} | {ratio} | {} | {} | {} | {java} | {vs} | {spread} | {} |",
            f.id,
            f.name,
            f.spread_text(),
            f.target_text(),
            f.status(),
            f.java_status()
        );
    }
    for e in errors {
        let _ = writeln!(md, "\nERROR {e}");
    }
    std::fs::write(dir.join("latest.md"), md).map_err(|e| format!("write latest.md: {e}"))
}
