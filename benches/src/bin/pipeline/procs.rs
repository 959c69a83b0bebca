//! Process control shared by the figures: the broker of a figure group, starting and
//! timing workers and baselines, the rotation of sides, small helpers.

use super::*;

/// A `connect-mock-broker` process and a client that reads watermarks from it.
pub(super) struct Broker {
    /// The `connect-mock-broker` process, `None` for a broker started elsewhere.
    pub(super) child: Option<Child>,
    pub(super) bootstrap: String,
    pub(super) probe: BaseConsumer,
}

impl Broker {
    /// The broker of a figure group, with `topics` (`name` or `name:partitions`) created:
    /// a new `connect-mock-broker` process, or the running Apache Kafka of the run.
    pub(super) fn start(ctx: &Ctx, topics: &[String]) -> R<Broker> {
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
    pub(super) fn existing(bootstrap: &str) -> R<Broker> {
        let probe: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", "bench-probe")
            .create()
            .map_err(|e| format!("probe client: {e}"))?;
        Ok(Broker { child: None, bootstrap: bootstrap.to_string(), probe })
    }

    pub(super) fn high(&self, topic: &str) -> R<i64> {
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
    pub(super) fn total(&self, topic: &str, parts: u64) -> R<i64> {
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
pub(super) fn create_topics(bootstrap: &str, topics: &[String]) -> R<()> {
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
pub(super) struct Proc(pub(super) Child);

impl Proc {
    pub(super) fn pid(&self) -> u32 {
        self.0.id()
    }
    pub(super) fn alive(&mut self, what: &str, log: &Path) -> R<()> {
        match self.0.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(st)) => Err(format!("{what} exited early ({st}); see {}", log.display())),
            Err(e) => Err(format!("{what}: {e}")),
        }
    }
}

/// The peak resident memory (VmHWM) of a running process; failing to read it is an error,
/// never a zero that would count as a win.
pub(super) fn peak_kib(p: &Proc) -> R<u64> {
    vm_hwm_kib(p.pid()).ok_or_else(|| format!("cannot read VmHWM of process {}", p.pid()))
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
pub(super) fn partitions_for(n: u64, size: u64) -> u64 {
    let by_bytes = (n * (size + 70)).div_ceil(2_500_000);
    let by_count = n.div_ceil(50_000);
    by_bytes.max(by_count).max(1)
}

pub(super) fn write_props(path: &Path, pairs: &[(&str, String)]) -> R<()> {
    let mut s = String::new();
    for (k, v) in pairs {
        let _ = writeln!(s, "{k}={v}");
    }
    std::fs::write(path, s).map_err(|e| format!("write {}: {e}", path.display()))
}

pub(super) fn free_port() -> R<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| format!("local_addr: {e}"))
}

/// Worker settings shared by every run of ours.
pub(super) fn worker_props(
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
pub(super) fn spawn_worker(
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
pub(super) fn spawn_with(
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
pub(super) fn wait_for(
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
pub(super) type Side<'a> = &'a mut dyn FnMut(&mut Ctx) -> R<()>;

/// One pair of runs: the baseline first on even pairs, ours first on odd ones, so
/// neither side always runs on a warmer (or busier) machine.
pub(super) fn interleaved(ctx: &mut Ctx, pair: usize, base: Side<'_>, ours: Side<'_>) -> R<()> {
    rotated(ctx, pair, &mut [base, ours])
}

/// One round of runs, the order rotating with the round: round `i` starts with side
/// `i mod n`, so each side goes first equally often.
pub(super) fn rotated(ctx: &mut Ctx, round: usize, sides: &mut [Side<'_>]) -> R<()> {
    let n = sides.len();
    for i in 0..n {
        (sides[(round + i) % n])(ctx)?;
    }
    Ok(())
}

/// [`with_java`] where ours and Java share one run function, told whether it runs Java.
pub(super) fn with_java_worker(
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
pub(super) fn spawn_side(
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
pub(super) fn with_java(
    ctx: &mut Ctx,
    round: usize,
    base: Side<'_>,
    ours: Side<'_>,
    java: Side<'_>,
) -> R<()> {
    if ctx.java.is_some() {
        rotated(ctx, round, &mut [base, ours, java])
    } else {
        interleaved(ctx, round, base, ours)
    }
}

/// Waits for a worker in bounded mode to exit by itself, sampling its peak RSS; returns
/// (seconds since `t0`, KiB). A non-zero exit is an error naming the log.
pub(super) fn wait_exit(p: &mut Proc, log: &Path, t0: Instant, timeout: Duration) -> R<(f64, u64)> {
    let where_ = format!("; see {}", log.display());
    wait_sampling(p, "worker", &where_, t0, timeout)
}

/// Waits for `p` to exit, sampling its peak RSS every 2 ms; returns (seconds since `t0`,
/// KiB). A non-zero exit, an error or `timeout` is an error naming `what` (and `hint`).
fn wait_sampling(
    p: &mut Proc,
    what: &str,
    hint: &str,
    t0: Instant,
    timeout: Duration,
) -> R<(f64, u64)> {
    let mut hwm = 0;
    loop {
        match p.0.try_wait() {
            Ok(Some(st)) if st.success() => return Ok((t0.elapsed().as_secs_f64(), hwm)),
            Ok(Some(st)) => return Err(format!("{what} failed ({st}){hint}")),
            Ok(None) => {}
            Err(e) => return Err(format!("{what}: {e}")),
        }
        if let Some(h) = vm_hwm_kib(p.pid()) {
            hwm = hwm.max(h);
        }
        if t0.elapsed() > timeout {
            return Err(format!("{what} did not exit within {timeout:?}{hint}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Runs a baseline command to its end, sampling its peak RSS; returns (seconds, KiB).
pub(super) fn run_timed(mut cmd: Command, what: &str, timeout: Duration) -> R<(f64, u64)> {
    let t0 = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start {what}: {e}"))?;
    wait_sampling(&mut Proc(child), what, "", t0, timeout)
}

/// [`run_timed`] for a command whose output is one line per record: its stdout is read
/// through a pipe and its `\n` counted (instead of going to `/dev/null`); returns
/// (seconds, KiB, lines).
pub(super) fn run_timed_lines(
    mut cmd: Command,
    what: &str,
    timeout: Duration,
) -> R<(f64, u64, u64)> {
    let t0 = Instant::now();
    let mut child =
        cmd.stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut out = child.stdout.take().ok_or_else(|| format!("{what} has no stdout"))?;
    let counter = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut lines = 0u64;
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        lines
    });
    let (secs, hwm) = wait_sampling(&mut Proc(child), what, "", t0, timeout)?;
    let lines = counter.join().map_err(|_| format!("{what}: the line counter failed"))?;
    Ok((secs, hwm, lines))
}

pub(super) fn kcat_producer_args(cmd: &mut Command, bootstrap: &str, topic: &str) {
    cmd.args(["-P", "-q", "-b", bootstrap, "-t", topic]);
    cmd.args(clients::kcat_args(&clients::producer_config(bootstrap), &[]));
}

pub(super) fn check_count(what: &str, got: i64, want: u64) -> R<()> {
    if got == want as i64 {
        Ok(())
    } else {
        Err(format!("{what}: expected {want} records, found {got}"))
    }
}

pub(super) fn http_ok(port: u16) -> bool {
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
