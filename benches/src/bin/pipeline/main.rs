//! `pipeline [--scale F] [--pairs N] [--only B1,B2,…] [--latency-secs S]`: the end-to-end
//! harness behind `scripts/bench.sh`.
//!
//! Every side of a figure talks to the same broker: Apache Kafka when `BENCH_KAFKA_BOOTSTRAP`
//! names one (`scripts/bench.sh` starts it), else (or with `--broker mock`) a
//! `connect-mock-broker` process (librdkafka's mock cluster on loopback). It generates data
//! with a fixed seed, runs the baseline, ours and, on Apache Kafka, Java Kafka Connect
//! (`BENCH_JAVA_CONNECT_CP`; not with `--no-java`) in rotating order (`--pairs` rounds),
//! checks record counts and contents (order-independent checksums, [`verify`]) after every
//! run, prints one line per figure (median ratios and the spread of the per-round ratios)
//! and writes `benches/results/latest.json`, `latest.md` and the chart `latest.svg`.
//! Every baseline client gets the runtime's own client settings ([`clients`]).
//!
//! How ours is timed: the real release binaries (`connect-standalone`, or `bench-worker`
//! for B3) are started, and the clock runs from process start until the topic's high
//! watermark reaches the expected count (sources), the sink file holds every byte
//! (FileStreamSink) or the discarding sink reports the count (B3); then the worker is
//! killed. Baselines (`kcat`, the raw rdkafka loops of `pipeline raw-produce` and
//! `pipeline raw-consume`) are timed from process start to exit.
//!
//! `pipeline raw-produce BOOTSTRAP TOPIC COUNT SIZE [spread]` and
//! `pipeline raw-consume BOOTSTRAP TOPIC COUNT GROUP` are those raw loops;
//! `pipeline chart [RESULTS.json]` draws the chart of a results file again.

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

mod chart;
mod cli;
mod clients;
mod density;
mod java;
mod latency;
mod procs;
mod raw;
mod report;
mod sql;
mod storage;
mod throughput;
mod verify;

use density::b12;
use latency::{b8_idle, b9, b10};
use sql::{b5, b6};
use storage::b7;
use throughput::{b1, b2, b3, b4};

use cli::*;
use clients::kcat_accepts_settings;
use procs::*;
use raw::{raw_consume, raw_produce};
use report::*;
use verify::*;

type R<T> = Result<T, String>;

const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
const BYTES_CONVERTER: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("raw-produce") => raw_produce(&args[1..]),
        Some("raw-consume") => raw_consume(&args[1..]),
        Some("chart") => chart::redraw(&args[1..]),
        // For profiling one side by hand: `create-topics BOOTSTRAP name:partitions...`.
        Some("create-topics") => match args.get(1) {
            Some(bootstrap) => create_topics(bootstrap, &args[2..]),
            None => Err("usage: pipeline create-topics BOOTSTRAP name[:partitions]...".into()),
        },
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
// The harness
// ---------------------------------------------------------------------------------------

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

    /// kcat on its own librdkafka: its producers (`-P`) and B8's idle consumer.
    fn kcat(&self) -> Command {
        Command::new(&self.kcat)
    }

    /// kcat for the consuming baselines (`-G`, `-C` with the runtime's consumer settings):
    /// on the librdkafka of `BENCH_KCAT_CONSUMER_LD_LIBRARY_PATH` when given (see
    /// [`clients`] for why producers and consumers differ).
    fn kcat_consumer(&self) -> Command {
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
    let kcat_ld =
        std::env::var("BENCH_KCAT_CONSUMER_LD_LIBRARY_PATH").ok().filter(|s| !s.is_empty());
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
    let (kcat_p, kcat_c) = (kcat_librdkafka(ctx.kcat()), kcat_librdkafka(ctx.kcat_consumer()));
    let kcat_lib = format!(
        "{kcat_p} (kcat -P), {kcat_c} (kcat -G/-C{})",
        ctx.kcat_ld.as_ref().map_or(String::new(), |l| format!(" via LD_LIBRARY_PATH={l}"))
    );
    let started = Instant::now();
    println!("broker: {}", broker_text(&ctx, &ours_lib));
    if let Some(j) = &ctx.java {
        println!(
            "Java Kafka Connect {} (ConnectStandalone, connect-standalone.sh's JVM options): a third side of B1, B2, B3, B8, B9",
            j.version
        );
    }
    println!("librdkafka: ours {ours_lib} (static, rdkafka-sys); kcat {kcat_lib}");
    kcat_accepts_settings(&ctx, &kcat_p, &kcat_c)?;
    println!("client settings, from the runtime's builders (the same for every side but Java):");
    for line in clients::settings_text() {
        println!("  {line}");
    }
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
    let steps: [(&str, Step); 11] = [
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
        ("B12", b12),
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
