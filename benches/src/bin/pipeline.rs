//! `pipeline [--scale F] [--pairs N] [--only B1,B2,…] [--latency-secs S]`: the end-to-end
//! harness behind `scripts/bench.sh`.
//!
//! It starts `connect-mock-broker` (librdkafka's mock cluster on loopback) so ours and the
//! baseline talk to the same broker process, generates data with a fixed seed, runs
//! baseline and ours interleaved (`--pairs` pairs, the order alternating), checks record
//! counts after every run, prints one line per figure (median ratio and the spread of the
//! per-pair ratios) and writes `benches/results/latest.json` and `latest.md`.
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
}

fn parse_opts(args: &[String]) -> R<Opts> {
    let mut o = Opts { scale: 0.25, pairs: 3, only: None, latency_secs: 3.0 };
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
            "-h" | "--help" => {
                return Err("usage: pipeline [--scale F] [--pairs N] [--only B1,B2,B3,B8,B9,B10] [--latency-secs S]".into());
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
        let ratio = self.ratio().map_or("n/a".into(), |r| format!("{r:.2}"));
        format!(
            "{:<4}{:<34} ours={:<16} baseline={:<16} ratio={:<5} (spread {})  target {}  {}",
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
            "note": self.note,
        })
    }
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
        format!("{prefix}-{}", self.seq)
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
    child: Child,
    bootstrap: String,
    probe: BaseConsumer,
}

impl Broker {
    fn start(ctx: &Ctx, topics: &[String]) -> R<Broker> {
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
        Ok(Broker { child, bootstrap, probe })
    }

    fn high(&self, topic: &str) -> R<i64> {
        self.probe
            .fetch_watermarks(topic, 0, Duration::from_secs(5))
            .map(|(_, h)| h)
            .map_err(|e| format!("watermarks of {topic}: {e}"))
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

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
    let wp = dir.join("worker.properties");
    write_props(&wp, worker)?;
    let mut files = vec![wp];
    for (i, c) in connectors.iter().enumerate() {
        let p = dir.join(format!("connector{i}.properties"));
        write_props(&p, c)?;
        files.push(p);
    }
    let log_path = dir.join("worker.log");
    let log = std::fs::File::create(&log_path).map_err(|e| format!("log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| format!("log: {e}"))?;
    let t0 = Instant::now();
    let child = Command::new(exe)
        .args(&files)
        .env("NO_COLOR", "1")
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
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
                "{} is missing: run `cargo build --release -p connect-runtime -p benches`",
                bin.join(b).display()
            ));
        }
    }
    let work = bin.parent().ok_or("no target directory")?.join("bench-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("mkdir {}: {e}", work.display()))?;
    let kcat = std::env::var("BENCH_KCAT").unwrap_or_else(|_| "kcat".into());
    let kcat_ld = std::env::var("BENCH_KCAT_LD_LIBRARY_PATH").ok().filter(|s| !s.is_empty());
    let mut ctx = Ctx { opts, bin, work, kcat, kcat_ld, figures: vec![], b1_rate: None, seq: 0 };

    let ours_lib = rdkafka::util::get_rdkafka_version().1;
    let kcat_lib = kcat_librdkafka(&ctx);
    let started = Instant::now();
    println!(
        "broker: connect-mock-broker (librdkafka {ours_lib} mock cluster, loopback, one process per figure group)"
    );
    println!(
        "librdkafka: ours {ours_lib} (static, rdkafka-sys); kcat {kcat_lib}{}",
        ctx.kcat_ld.as_ref().map_or(String::new(), |l| format!(" via LD_LIBRARY_PATH={l}"))
    );
    println!(
        "scale={} (issue sizes × scale; --scale 1 for the issue's 2 M × 100 B and 500 k × 1 KB), {} pairs, baseline and ours interleaved",
        ctx.opts.scale, ctx.opts.pairs
    );
    println!(
        "ratio = ours / baseline per pair, median over pairs; spread = min–max of the per-pair ratios"
    );
    println!("throughput: higher is better; time and memory: lower is better");
    println!();

    let mut errors = Vec::new();
    type Step = fn(&mut Ctx) -> R<()>;
    let steps: [(&str, Step); 7] =
        [("B9", b9), ("B1", b1), ("B2", b2), ("B3", b3), ("B4", b4), ("B8", b8_idle), ("B10", b10)];
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
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
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
        "broker": format!("connect-mock-broker (librdkafka {ours_lib} mock cluster)"),
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
        "Commit `{}`{}, {date}, scale {}, {} pairs; broker connect-mock-broker; librdkafka ours {ours_lib}, kcat {kcat_lib}.\n",
        commit.get(..12).unwrap_or(&commit),
        if dirty { " (with uncommitted changes)" } else { "" },
        ctx.opts.scale,
        ctx.opts.pairs
    );
    let _ = writeln!(md, "| figure | | ours | baseline | ratio | spread | target | |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for f in &ctx.figures {
        let ours = median(&f.ours).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), f.unit));
        let base = median(&f.base).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), f.unit));
        let ratio = f.ratio().map_or("n/a".into(), |r| format!("{r:.2}"));
        let _ = writeln!(
            md,
            "| {} | {} | {ours} | {base} | {ratio} | {} | {} | {} |",
            f.id,
            f.name,
            f.spread_text(),
            f.target_text(),
            f.status()
        );
    }
    for e in errors {
        let _ = writeln!(md, "\nERROR {e}");
    }
    std::fs::write(dir.join("latest.md"), md).map_err(|e| format!("write latest.md: {e}"))
}

// ---------------------------------------------------------------------------------------
// B1: FileStreamSource → topic vs kcat -P -l
// ---------------------------------------------------------------------------------------

fn b1(ctx: &mut Ctx) -> R<()> {
    let mut mem_ours = vec![];
    let mut mem_base = vec![];
    for (size, full, target, label) in
        [(100usize, 2_000_000u64, 0.90, "100B"), (1000, 500_000, 0.95, "1KB")]
    {
        let n = ctx.scaled(full);
        let input = ctx.work.join(format!("b1-{label}.txt"));
        data::write_lines(&input, n, size)
            .map_err(|e| format!("generate {}: {e}", input.display()))?;
        let mut f = Figure::new(
            "B1",
            format!("file→topic {label} ({n} lines)"),
            "rec/s",
            Target::RatioAtLeast(target),
        );
        for pair in 0..ctx.opts.pairs {
            let (t_base, t_ours) = (ctx.unique("b1-kcat"), ctx.unique("b1-ours"));
            let broker = Broker::start(ctx, &[t_base.clone(), t_ours.clone()])?;
            let mut run_base = |ctx: &mut Ctx| -> R<()> {
                let mut cmd = ctx.kcat();
                kcat_producer_args(&mut cmd, &broker.bootstrap, &t_base);
                cmd.arg("-l").arg(&input).stdout(Stdio::null()).stderr(Stdio::null());
                let (secs, hwm) = run_timed(cmd, "kcat -P", Duration::from_secs(120))?;
                check_count("B1 kcat", broker.high(&t_base)?, n)?;
                f.base.push(n as f64 / secs);
                if size == 100 {
                    mem_base.push(hwm as f64 / 1024.0);
                }
                Ok(())
            };
            let mut run_ours = |ctx: &mut Ctx| -> R<()> {
                let dir = ctx.run_dir("b1")?;
                let worker = worker_props(&broker.bootstrap, &dir, free_port()?, STRING_CONVERTER);
                let conn = vec![
                    ("name", format!("src-{}", t_ours)),
                    ("connector.class", "FileStreamSource".into()),
                    ("tasks.max", "1".into()),
                    ("file", input.display().to_string()),
                    ("topic", t_ours.clone()),
                ];
                let (mut p, t0, log) =
                    spawn_worker(&ctx.bin.join("connect-standalone"), &dir, &worker, &[conn])?;
                let secs = wait_for(
                    &mut p,
                    &log,
                    t0,
                    Duration::from_secs(120),
                    Duration::from_millis(5),
                    || Ok(broker.high(&t_ours)? >= n as i64),
                )?;
                let hwm = vm_hwm_kib(p.pid()).unwrap_or(0);
                drop(p);
                check_count("B1 ours", broker.high(&t_ours)?, n)?;
                f.ours.push(n as f64 / secs);
                if size == 100 {
                    mem_ours.push(hwm as f64 / 1024.0);
                }
                Ok(())
            };
            if pair % 2 == 0 {
                run_base(ctx)?;
                run_ours(ctx)?;
            } else {
                run_ours(ctx)?;
                run_base(ctx)?;
            }
        }
        if size == 100 {
            ctx.b1_rate = median(&f.ours);
        }
        f.note = "ours: connect-standalone, StringConverter, producer acks=all idempotent linger 5 ms; timed from process start to high watermark = lines; kcat -P -l with the same -X producer settings, timed start to exit".into();
        ctx.push(f);
    }
    let mut m = Figure::new("B8", "peak RSS, B1 pipeline (100B)", "MiB", Target::OursAtMost(100.0));
    m.ours = mem_ours;
    m.base = mem_base;
    m.note = "VmHWM of connect-standalone just before it is killed; kcat's VmHWM sampled every 2 ms until exit".into();
    ctx.push(m);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// B2: topic → FileStreamSink vs kcat -C -e
// ---------------------------------------------------------------------------------------

fn b2(ctx: &mut Ctx) -> R<()> {
    let (size, label) = (100usize, "100B");
    let n = ctx.scaled(2_000_000);
    let input = ctx.work.join(format!("b2-{label}.txt"));
    let bytes = data::write_lines(&input, n, size).map_err(|e| format!("generate: {e}"))?;
    let topic = ctx.unique("b2");
    let parts = partitions_for(n, size as u64);
    let broker = Broker::start(ctx, &[format!("{topic}:{parts}")])?;
    let mut fill = ctx.kcat();
    kcat_producer_args(&mut fill, &broker.bootstrap, &topic);
    // One random partition per message, so no partition outgrows the mock's limit.
    fill.args(["-X", "sticky.partitioning.linger.ms=0"]);
    fill.arg("-l").arg(&input).stdout(Stdio::null()).stderr(Stdio::null());
    run_timed(fill, "kcat -P (fill)", Duration::from_secs(120))?;
    check_count("B2 fill", broker.total(&topic, parts)?, n)?;
    let mut f = Figure::new(
        "B2",
        format!("topic→file {label} ({n} lines, {parts} part.)"),
        "rec/s",
        Target::RatioAtLeast(1.0),
    );
    let mut mem =
        Figure::new("B8", "peak RSS, B2 pipeline (100B)", "MiB", Target::OursAtMost(100.0));
    for pair in 0..ctx.opts.pairs {
        let mut run_base = |ctx: &mut Ctx| -> R<()> {
            let dir = ctx.run_dir("b2-kcat")?;
            let out = dir.join("out.txt");
            let file = std::fs::File::create(&out).map_err(|e| format!("create: {e}"))?;
            let mut cmd = ctx.kcat();
            cmd.args(["-C", "-q", "-e", "-o", "beginning", "-b", &broker.bootstrap, "-t", &topic]);
            for (k, v) in CONSUMER {
                cmd.arg("-X").arg(format!("{k}={v}"));
            }
            cmd.stdout(Stdio::from(file)).stderr(Stdio::null());
            let (secs, hwm) = run_timed(cmd, "kcat -C", Duration::from_secs(120))?;
            check_count("B2 kcat", data::count_lines(&out) as i64, n)?;
            f.base.push(n as f64 / secs);
            mem.base.push(hwm as f64 / 1024.0);
            let _ = std::fs::remove_file(&out);
            Ok(())
        };
        let mut run_ours = |ctx: &mut Ctx| -> R<()> {
            let dir = ctx.run_dir("b2-ours")?;
            let out = dir.join("out.txt");
            let worker = worker_props(&broker.bootstrap, &dir, free_port()?, STRING_CONVERTER);
            let name = ctx.unique("sink");
            let conn = vec![
                ("name", name),
                ("connector.class", "FileStreamSink".into()),
                ("tasks.max", "1".into()),
                ("file", out.display().to_string()),
                ("topics", topic.clone()),
            ];
            let (mut p, t0, log) =
                spawn_worker(&ctx.bin.join("connect-standalone"), &dir, &worker, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(120),
                Duration::from_millis(5),
                || Ok(std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) >= bytes),
            )?;
            let hwm = vm_hwm_kib(p.pid()).unwrap_or(0);
            drop(p);
            check_count("B2 ours", data::count_lines(&out) as i64, n)?;
            f.ours.push(n as f64 / secs);
            mem.ours.push(hwm as f64 / 1024.0);
            let _ = std::fs::remove_file(&out);
            Ok(())
        };
        if pair % 2 == 0 {
            run_base(ctx)?;
            run_ours(ctx)?;
        } else {
            run_ours(ctx)?;
            run_base(ctx)?;
        }
    }
    f.note = "ours: connect-standalone with FileStreamSink only, StringConverter, consumer group join included, offset.flush.interval.ms=100 (the sink writes its last partial 256 KiB buffer only on flush); timed until the file holds every byte; kcat -C -e -o beginning (no group), timed start to exit".into();
    mem.note =
        "VmHWM of connect-standalone just before it is killed; kcat -C's VmHWM sampled every 2 ms"
            .into();
    ctx.push(f);
    ctx.push(mem);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// B3: framework overhead: generator → topic → discard vs raw rdkafka loops
// ---------------------------------------------------------------------------------------

fn b3(ctx: &mut Ctx) -> R<()> {
    let n = ctx.scaled(2_000_000);
    let size = 100u64;
    let self_exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let bench_worker = ctx.bin.join("bench-worker");
    let parts = partitions_for(n, size);
    let mut src = Figure::new(
        "B3",
        format!("generator→topic 100B ({n} rec)"),
        "rec/s",
        Target::RatioAtLeast(0.90),
    );
    let mut snk = Figure::new(
        "B3",
        format!("topic→discard 100B ({n} rec, {parts} part.)"),
        "rec/s",
        Target::RatioAtLeast(0.90),
    );
    let filled = ctx.unique("b3-filled");
    let mut topics = vec![format!("{filled}:{parts}")];
    let names: Vec<(String, String)> =
        (0..ctx.opts.pairs).map(|_| (ctx.unique("b3-raw"), ctx.unique("b3-ours"))).collect();
    for (a, b) in &names {
        topics.push(a.clone());
        topics.push(b.clone());
    }
    let broker = Broker::start(ctx, &topics)?;
    let mut fill = Command::new(&self_exe);
    fill.args(["raw-produce", &broker.bootstrap, &filled, &n.to_string(), &size.to_string()]);
    run_timed(fill, "raw-produce (fill)", Duration::from_secs(120))?;
    check_count("B3 fill", broker.total(&filled, parts)?, n)?;
    for (pair, (t_raw, t_ours)) in names.iter().enumerate() {
        // Source side.
        let mut base_src = |ctx: &mut Ctx| -> R<()> {
            let mut cmd = Command::new(&self_exe);
            cmd.args(["raw-produce", &broker.bootstrap, t_raw, &n.to_string(), &size.to_string()]);
            let (secs, _) = run_timed(cmd, "raw-produce", Duration::from_secs(120))?;
            check_count("B3 raw produce", broker.high(t_raw)?, n)?;
            src.base.push(n as f64 / secs);
            let _ = ctx;
            Ok(())
        };
        let mut ours_src = |ctx: &mut Ctx| -> R<()> {
            let dir = ctx.run_dir("b3-src")?;
            let worker = worker_props(&broker.bootstrap, &dir, free_port()?, BYTES_CONVERTER);
            let conn = vec![
                ("name", format!("gen-{t_ours}")),
                ("connector.class", "GeneratorSource".into()),
                ("topic", t_ours.clone()),
                ("count", n.to_string()),
                ("size", size.to_string()),
            ];
            let (mut p, t0, log) = spawn_worker(&bench_worker, &dir, &worker, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(120),
                Duration::from_millis(5),
                || Ok(broker.high(t_ours)? >= n as i64),
            )?;
            drop(p);
            check_count("B3 ours source", broker.high(t_ours)?, n)?;
            src.ours.push(n as f64 / secs);
            Ok(())
        };
        // Sink side, on the pre-filled topic.
        let mut base_snk = |ctx: &mut Ctx| -> R<()> {
            let group = ctx.unique("raw-group");
            let mut cmd = Command::new(&self_exe);
            cmd.args(["raw-consume", &broker.bootstrap, &filled, &n.to_string(), &group]);
            cmd.stdout(Stdio::null());
            let (secs, _) = run_timed(cmd, "raw-consume", Duration::from_secs(120))?;
            snk.base.push(n as f64 / secs);
            Ok(())
        };
        let mut ours_snk = |ctx: &mut Ctx| -> R<()> {
            let dir = ctx.run_dir("b3-snk")?;
            let done = dir.join("done");
            let worker = worker_props(&broker.bootstrap, &dir, free_port()?, BYTES_CONVERTER);
            let conn = vec![
                ("name", ctx.unique("discard")),
                ("connector.class", "DiscardSink".into()),
                ("topics", filled.clone()),
                ("expected", n.to_string()),
                ("done.file", done.display().to_string()),
            ];
            let (mut p, t0, log) = spawn_worker(&bench_worker, &dir, &worker, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(120),
                Duration::from_millis(2),
                // The sink writes the count after creating the file: wait for the number.
                || {
                    Ok(std::fs::read_to_string(&done).ok().is_some_and(|t| {
                        t.split_whitespace().next().is_some_and(|w| w.parse::<i64>().is_ok())
                    }))
                },
            )?;
            drop(p);
            let text = std::fs::read_to_string(&done).unwrap_or_default();
            let got: i64 =
                text.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(-1);
            check_count("B3 ours sink", got, n)?;
            snk.ours.push(n as f64 / secs);
            Ok(())
        };
        if pair % 2 == 0 {
            base_src(ctx)?;
            ours_src(ctx)?;
            base_snk(ctx)?;
            ours_snk(ctx)?;
        } else {
            ours_src(ctx)?;
            base_src(ctx)?;
            ours_snk(ctx)?;
            base_snk(ctx)?;
        }
    }
    src.note = "ours: bench-worker (GeneratorSource, ByteArrayConverter, runtime producer defaults), start to high watermark; baseline: `pipeline raw-produce` (BaseProducer loop, same producer settings), start to exit after flush".into();
    snk.note = "ours: bench-worker (DiscardSink, ByteArrayConverter, group consumer), start to the sink seeing every record; baseline: `pipeline raw-consume` (BaseConsumer, subscribe with a group, same caps), start to last record".into();
    ctx.push(src);
    ctx.push(snk);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// B8 idle and B9 start-up
// ---------------------------------------------------------------------------------------

/// B4: converter throughput per core, in-process (see `benches::codecs`).
fn b4(ctx: &mut Ctx) -> R<()> {
    let n = ((200_000.0 * ctx.opts.scale.max(0.05)) as usize).max(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let mut enc = Figure::new(
        "B4",
        format!("Avro encode 10 fields ({n} rec)"),
        "rec/s",
        Target::OursAtLeast(1_000_000.0),
    );
    let mut dec =
        Figure::new("B4", format!("Avro decode 10 fields ({n} rec)"), "rec/s", Target::None);
    let mut jenc =
        Figure::new("B4", "JSON encode (schemas.enable=false)", "MB/s", Target::OursAtLeast(300.0));
    let mut jdec = Figure::new("B4", "JSON decode (schemas.enable=false)", "MB/s", Target::None);
    enc.note = "baseline: apache-avro GenericDatumWriter on the same record; ours adds the registry wire format".into();
    dec.note = "baseline: apache-avro GenericDatumReader".into();
    jenc.note = "baseline: serde_json::to_vec of the same object".into();
    jdec.note = "baseline: serde_json::from_slice into serde_json::Value".into();
    rt.block_on(async {
        let registry = connect_schema_registry::RegistryServer::start_in_memory("127.0.0.1:0")
            .await
            .map_err(|e| format!("schema registry: {e}"))?;
        for _ in 0..ctx.opts.pairs {
            let p = benches::codecs::run_pair(&registry.url(), n).await?;
            for (f, pair) in [
                (&mut enc, p.avro_encode),
                (&mut dec, p.avro_decode),
                (&mut jenc, p.json_encode),
                (&mut jdec, p.json_decode),
            ] {
                f.ours.push(pair.ours);
                f.base.push(pair.baseline);
            }
        }
        registry.shutdown().await;
        Ok::<(), String>(())
    })?;
    for f in [enc, dec, jenc, jdec] {
        println!("{}", f.line());
        ctx.figures.push(f);
    }
    Ok(())
}

fn b8_idle(ctx: &mut Ctx) -> R<()> {
    let topic = ctx.unique("b8-idle");
    let broker = Broker::start(ctx, std::slice::from_ref(&topic))?;
    let mut f = Figure::new("B8", "peak RSS, idle worker", "MiB", Target::OursAtMost(20.0));
    for _ in 0..ctx.opts.pairs {
        // Baseline: an idle kcat consumer on an empty topic.
        let mut cmd = ctx.kcat();
        cmd.args(["-C", "-q", "-b", &broker.bootstrap, "-t", &topic]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let child = cmd.spawn().map_err(|e| format!("kcat: {e}"))?;
        let p = Proc(child);
        std::thread::sleep(Duration::from_secs(2));
        f.base.push(vm_hwm_kib(p.pid()).unwrap_or(0) as f64 / 1024.0);
        drop(p);
        let dir = ctx.run_dir("b8")?;
        let port = free_port()?;
        let worker = worker_props(&broker.bootstrap, &dir, port, STRING_CONVERTER);
        let (mut p, t0, log) =
            spawn_worker(&ctx.bin.join("connect-standalone"), &dir, &worker, &[])?;
        wait_for(&mut p, &log, t0, Duration::from_secs(30), Duration::from_millis(5), || {
            Ok(http_ok(port))
        })?;
        std::thread::sleep(Duration::from_secs(2));
        f.ours.push(vm_hwm_kib(p.pid()).unwrap_or(0) as f64 / 1024.0);
    }
    f.note = "connect-standalone with no connector, REST up, 2 s after start; baseline: kcat -C idle on an empty topic, 2 s after start".into();
    ctx.push(f);
    Ok(())
}

fn b9(ctx: &mut Ctx) -> R<()> {
    let topics: Vec<(String, String)> =
        (0..ctx.opts.pairs).map(|_| (ctx.unique("b9-kcat"), ctx.unique("b9-ours"))).collect();
    let all: Vec<String> = topics.iter().flat_map(|(a, b)| [a.clone(), b.clone()]).collect();
    let broker = Broker::start(ctx, &all)?;
    let one = ctx.work.join("b9-one-line.txt");
    data::write_lines(&one, 1, 100).map_err(|e| format!("generate: {e}"))?;
    let mut ready = Figure::new("B9", "start→REST ready", "ms", Target::OursAtMost(100.0));
    let mut first = Figure::new("B9", "start→first record acked", "ms", Target::None);
    for (t_kcat, t_ours) in &topics {
        // Baseline: kcat -P of one line, start to the record's high watermark.
        let mut cmd = ctx.kcat();
        kcat_producer_args(&mut cmd, &broker.bootstrap, t_kcat);
        cmd.arg("-l").arg(&one).stdout(Stdio::null()).stderr(Stdio::null());
        let t0 = Instant::now();
        let mut p = Proc(cmd.spawn().map_err(|e| format!("kcat: {e}"))?);
        let secs = loop {
            if broker.high(t_kcat)? >= 1 {
                break t0.elapsed().as_secs_f64();
            }
            if t0.elapsed() > Duration::from_secs(30) {
                return Err("kcat's first record never arrived".into());
            }
            if let Ok(Some(st)) = p.0.try_wait()
                && !st.success()
            {
                return Err(format!("kcat failed: {st}"));
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        drop(p);
        first.base.push(secs * 1000.0);
        // Ours.
        let dir = ctx.run_dir("b9")?;
        let port = free_port()?;
        let worker = worker_props(&broker.bootstrap, &dir, port, STRING_CONVERTER);
        let conn = vec![
            ("name", format!("src-{t_ours}")),
            ("connector.class", "FileStreamSource".into()),
            ("file", one.display().to_string()),
            ("topic", t_ours.clone()),
        ];
        let (mut p, t0, log) =
            spawn_worker(&ctx.bin.join("connect-standalone"), &dir, &worker, &[conn])?;
        // REST readiness on its own thread: the first GET / may take long, and must not
        // delay the watermark polling of the first record.
        let ready_thread = std::thread::spawn(move || {
            while t0.elapsed() < Duration::from_secs(30) {
                if http_ok(port) {
                    return Some(t0.elapsed().as_secs_f64());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            None
        });
        let a =
            wait_for(&mut p, &log, t0, Duration::from_secs(30), Duration::from_millis(1), || {
                Ok(broker.high(t_ours)? >= 1)
            })?;
        let r = ready_thread.join().ok().flatten().ok_or("REST never answered GET / with 200")?;
        drop(p);
        check_count("B9 ours", broker.high(t_ours)?, 1)?;
        ready.ours.push(r * 1000.0);
        first.ours.push(a * 1000.0);
    }
    ready.note = "connect-standalone with one FileStreamSource, process start until GET / answers 200 (polled every 1 ms); no fair baseline (kcat has no REST server)".into();
    first.note = "process start until the first record is in the topic (high watermark polled every 1 ms); baseline kcat -P -l of a one-line file, same settings".into();
    ctx.push(ready);
    ctx.push(first);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// B10: append-to-consume latency
// ---------------------------------------------------------------------------------------

enum Side {
    Ours,
    Kcat,
}

fn b10(ctx: &mut Ctx) -> R<()> {
    let full_rate = match ctx.b1_rate {
        Some(r) => r,
        None => {
            println!("B10 note: B1 not run; basing the rates on 100,000 rec/s");
            100_000.0
        }
    };
    for frac in [0.1, 0.5] {
        let rate = full_rate * frac;
        let pct = (frac * 100.0) as u32;
        let topics: Vec<(String, String)> =
            (0..ctx.opts.pairs).map(|_| (ctx.unique("b10-kcat"), ctx.unique("b10-ours"))).collect();
        let all: Vec<String> = topics.iter().flat_map(|(a, b)| [a.clone(), b.clone()]).collect();
        let broker = Broker::start(ctx, &all)?;
        let target = if pct == 50 { Target::OursAtMost(20.0) } else { Target::None };
        let mut p50 =
            Figure::new("B10", format!("latency p50 @{pct}% ({rate:.0}/s)"), "ms", Target::None);
        let mut p99 =
            Figure::new("B10", format!("latency p99 @{pct}% ({rate:.0}/s)"), "ms", target);
        for (pair, (t_kcat, t_ours)) in topics.iter().enumerate() {
            let order =
                if pair % 2 == 0 { [Side::Kcat, Side::Ours] } else { [Side::Ours, Side::Kcat] };
            for side in order {
                let (topic, is_ours) = match side {
                    Side::Kcat => (t_kcat, false),
                    Side::Ours => (t_ours, true),
                };
                let (a, b) = latency_run(ctx, &broker, topic, rate, side)?;
                if is_ours {
                    p50.ours.push(a);
                    p99.ours.push(b);
                } else {
                    p50.base.push(a);
                    p99.base.push(b);
                }
            }
        }
        let note = "lines appended every 1 ms at the given rate (100 B, fixed seed); latency = consumer receive time − append time of that line, one clock, in this process; ours: FileStreamSource following a file; baseline: kcat -P reading a pipe, same producer settings".to_string();
        p50.note = note.clone();
        p99.note = note;
        ctx.push(p50);
        ctx.push(p99);
    }
    Ok(())
}

/// One latency run; returns (p50 ms, p99 ms).
fn latency_run(
    ctx: &mut Ctx,
    broker: &Broker,
    topic: &str,
    rate: f64,
    side: Side,
) -> R<(f64, f64)> {
    let dir = ctx.run_dir("b10")?;
    let secs = ctx.opts.latency_secs;
    // The consumer, on its own thread.
    let stop = Arc::new(AtomicBool::new(false));
    let max_seen = Arc::new(AtomicU64::new(0));
    let seen_any = Arc::new(AtomicBool::new(false));
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.bootstrap)
        .set("group.id", "bench-latency")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "5")
        .create()
        .map_err(|e| format!("latency consumer: {e}"))?;
    {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Beginning).map_err(|e| format!("tpl: {e}"))?;
        consumer.assign(&tpl).map_err(|e| format!("assign: {e}"))?;
    }
    let (stop2, max2, any2) = (stop.clone(), max_seen.clone(), seen_any.clone());
    let reader = std::thread::spawn(move || {
        let mut got: Vec<(u64, Instant)> = Vec::new();
        while !stop2.load(Ordering::Relaxed) {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(20)) {
                let now = Instant::now();
                if let Some(seq) = m.payload().and_then(data::parse_seq) {
                    got.push((seq, now));
                    max2.fetch_max(seq, Ordering::Relaxed);
                    any2.store(true, Ordering::Relaxed);
                }
            }
        }
        drop(consumer);
        got
    });
    // The producer side; each variant holds its process so dropping it kills it.
    #[allow(dead_code)]
    enum Sink {
        File(std::fs::File, Proc),
        Pipe(std::process::ChildStdin, Proc),
        Done(Proc),
    }
    let input = dir.join("in.txt");
    let mut sink = match side {
        Side::Ours => {
            let file = std::fs::File::create(&input).map_err(|e| format!("create: {e}"))?;
            let port = free_port()?;
            let worker = worker_props(&broker.bootstrap, &dir, port, STRING_CONVERTER);
            let conn = vec![
                ("name", format!("lat-{topic}")),
                ("connector.class", "FileStreamSource".into()),
                ("file", input.display().to_string()),
                ("topic", topic.to_string()),
            ];
            let (mut p, t0, log) =
                spawn_worker(&ctx.bin.join("connect-standalone"), &dir, &worker, &[conn])?;
            wait_for(&mut p, &log, t0, Duration::from_secs(30), Duration::from_millis(5), || {
                Ok(http_ok(port))
            })?;
            Sink::File(file, p)
        }
        Side::Kcat => {
            let mut cmd = ctx.kcat();
            kcat_producer_args(&mut cmd, &broker.bootstrap, topic);
            cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
            let mut child = cmd.spawn().map_err(|e| format!("kcat: {e}"))?;
            let stdin = child.stdin.take().ok_or("kcat has no stdin")?;
            Sink::Pipe(stdin, Proc(child))
        }
    };
    let mut write = |buf: &[u8]| -> R<()> {
        match &mut sink {
            Sink::File(f, ..) => f.write_all(buf),
            Sink::Pipe(s, _) => s.write_all(buf).and_then(|()| s.flush()),
            Sink::Done(_) => Ok(()),
        }
        .map_err(|e| format!("append: {e}"))
    };
    let mut rng = data::Rng::new(data::SEED);
    let mut buf = Vec::new();
    // Warm-up: 1,000 lines, until half of them are consumed (connects, fills metadata
    // caches; kcat reads its pipe in blocks, so the tail of a small write waits).
    const WARM: u64 = 1000;
    for seq in 0..WARM {
        data::line(&mut rng, seq, 100, &mut buf);
    }
    write(&buf)?;
    let t0 = Instant::now();
    while !(seen_any.load(Ordering::Relaxed) && max_seen.load(Ordering::Relaxed) >= WARM / 2) {
        if t0.elapsed() > Duration::from_secs(30) {
            stop.store(true, Ordering::Relaxed);
            return Err("latency warm-up records never arrived".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Timed phase.
    let total = WARM + (rate * secs) as u64;
    let mut written_at: Vec<Instant> = Vec::with_capacity(total as usize);
    let start = Instant::now();
    let mut next = WARM;
    while next < total {
        let due = (WARM + (rate * start.elapsed().as_secs_f64()) as u64).min(total);
        if due > next {
            buf.clear();
            for seq in next..due {
                data::line(&mut rng, seq, 100, &mut buf);
            }
            let now = Instant::now();
            write(&buf)?;
            written_at.resize(written_at.len() + (due - next) as usize, now);
            next = due;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // kcat holds a partial block of its pipe until more input or end of input comes.
    if let Sink::Pipe(stdin, p) = sink {
        drop(stdin);
        sink = Sink::Done(p);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while max_seen.load(Ordering::Relaxed) < total - 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    let got = reader.join().map_err(|_| "latency reader thread failed".to_string())?;
    drop(sink);
    let mut lat: Vec<f64> = got
        .iter()
        .filter(|(seq, _)| *seq >= WARM && *seq < total)
        .filter_map(|(seq, at)| {
            written_at
                .get((seq - WARM) as usize)
                .map(|w| at.duration_since(*w).as_secs_f64() * 1000.0)
        })
        .collect();
    let expected = total - WARM;
    if lat.len() as u64 != expected {
        return Err(format!(
            "latency run on {topic}: expected {expected} records, consumed {}",
            lat.len()
        ));
    }
    let p50 = quantile(&mut lat, 0.5).unwrap_or(f64::NAN);
    let p99 = quantile(&mut lat, 0.99).unwrap_or(f64::NAN);
    Ok((p50, p99))
}
