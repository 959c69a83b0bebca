//! B8 (idle), B9 and B10: memory, start-up and latency figures.

use super::*;

pub(super) fn b8_idle(ctx: &mut Ctx) -> R<()> {
    let topic = ctx.unique("b8-idle");
    let broker = Broker::start(ctx, std::slice::from_ref(&topic))?;
    let mut f = Figure::new("B8", "peak RSS, idle worker", "MiB", Target::OursAtMost(20.0));
    for round in 0..ctx.opts.pairs {
        // Baseline: an idle kcat consumer on an empty topic.
        let mut run_base = |ctx: &mut Ctx| -> R<()> {
            let mut cmd = ctx.kcat();
            cmd.args(["-C", "-q", "-b", &broker.bootstrap, "-t", &topic]);
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            let p = Proc(cmd.spawn().map_err(|e| format!("kcat: {e}"))?);
            std::thread::sleep(Duration::from_secs(2));
            f.base.push(peak_kib(&p)? as f64 / 1024.0);
            Ok(())
        };
        let mut run_worker = |ctx: &mut Ctx, is_java: bool| -> R<()> {
            let dir = ctx.run_dir("b8")?;
            let port = free_port()?;
            let worker = worker_props(&broker.bootstrap, &dir, port, STRING_CONVERTER);
            let exe = ctx.bin.join("connect-standalone");
            let (mut p, t0, log) = spawn_side(ctx, is_java, &exe, &dir, &worker, &[])?;
            wait_for(&mut p, &log, t0, Duration::from_secs(120), Duration::from_millis(5), || {
                Ok(http_ok(port))
            })?;
            std::thread::sleep(Duration::from_secs(2));
            let mib = peak_kib(&p)? as f64 / 1024.0;
            if is_java { &mut f.java } else { &mut f.ours }.push(mib);
            Ok(())
        };
        with_java_worker(ctx, round, &mut run_base, &mut run_worker)?;
    }
    f.note = "connect-standalone with no connector, REST up, 2 s after start; baseline: kcat -C idle on an empty topic, 2 s after start; Java: ConnectStandalone, no connector, 2 s after REST is up".into();
    ctx.push(f);
    Ok(())
}

pub(super) fn b9(ctx: &mut Ctx) -> R<()> {
    let topics: Vec<[String; 3]> = (0..ctx.opts.pairs)
        .map(|_| [ctx.unique("b9-kcat"), ctx.unique("b9-ours"), ctx.unique("b9-java")])
        .collect();
    let all: Vec<String> = topics.iter().flatten().cloned().collect();
    let broker = Broker::start(ctx, &all)?;
    let one = ctx.work.join("b9-one-line.txt");
    data::write_lines(&one, 1, 100).map_err(|e| format!("generate: {e}"))?;
    let mut ready = Figure::new("B9", "start→REST ready", "ms", Target::OursAtMost(100.0));
    let mut first = Figure::new("B9", "start→first record acked", "ms", Target::None);
    for (round, [t_kcat, t_ours, t_java]) in topics.iter().enumerate() {
        // Baseline: kcat -P of one line, start to the record's high watermark.
        let mut run_base = |ctx: &mut Ctx| -> R<()> {
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
            Ok(())
        };
        // Ours and Java: one FileStreamSource of one line.
        let mut run_worker = |ctx: &mut Ctx, is_java: bool| -> R<()> {
            let topic = if is_java { t_java } else { t_ours };
            let dir = ctx.run_dir("b9")?;
            let port = free_port()?;
            let worker = worker_props(&broker.bootstrap, &dir, port, STRING_CONVERTER);
            let conn = vec![
                ("name", format!("src-{topic}")),
                ("connector.class", "FileStreamSource".into()),
                ("file", one.display().to_string()),
                ("topic", topic.clone()),
            ];
            let exe = ctx.bin.join("connect-standalone");
            let (mut p, t0, log) = spawn_side(ctx, is_java, &exe, &dir, &worker, &[conn])?;
            // REST readiness on its own thread: the first GET / may take long, and must not
            // delay the watermark polling of the first record.
            let ready_thread = std::thread::spawn(move || {
                while t0.elapsed() < Duration::from_secs(120) {
                    if http_ok(port) {
                        return Some(t0.elapsed().as_secs_f64());
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                None
            });
            let a = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(120),
                Duration::from_millis(1),
                || Ok(broker.high(topic)? >= 1),
            )?;
            let r =
                ready_thread.join().ok().flatten().ok_or("REST never answered GET / with 200")?;
            drop(p);
            check_count("B9", broker.high(topic)?, 1)?;
            if is_java { &mut ready.java } else { &mut ready.ours }.push(r * 1000.0);
            if is_java { &mut first.java } else { &mut first.ours }.push(a * 1000.0);
            Ok(())
        };
        with_java_worker(ctx, round, &mut run_base, &mut run_worker)?;
    }
    ready.note = "connect-standalone with one FileStreamSource, process start until GET / answers 200 (polled every 1 ms); no fair baseline (kcat has no REST server); Java: ConnectStandalone with the same files".into();
    first.note = "process start until the first record is in the topic (high watermark polled every 1 ms); baseline kcat -P -l of a one-line file, same settings; Java: ConnectStandalone with the same files".into();
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

pub(super) fn b10(ctx: &mut Ctx) -> R<()> {
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
        let note = "lines appended every 1 ms at the given rate (100 B, fixed seed); latency = consumer receive time − append time of that line, one clock, in this process; ours: FileStreamSource following a file; baseline: kcat -P reading a pipe, same producer settings; every run checked: each timed line consumed exactly once with its contents (hash per line); duplicates, gaps and changed records are counted apart and any fails the run".to_string();
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
        // (sequence number, receive time, hash of the value); u64::MAX for a value without
        // a sequence number.
        let mut got: Vec<(u64, Instant, u64)> = Vec::new();
        while !stop2.load(Ordering::Relaxed) {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(20)) {
                let now = Instant::now();
                let payload = m.payload().unwrap_or_default();
                let hash = benches::checksum::hash64(payload);
                match data::parse_seq(payload) {
                    Some(seq) => {
                        got.push((seq, now, hash));
                        max2.fetch_max(seq, Ordering::Relaxed);
                        any2.store(true, Ordering::Relaxed);
                    }
                    None => got.push((u64::MAX, now, hash)),
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
    // The hash of each timed line as a record value (without its `\n`).
    let mut sent_hash: Vec<u64> = Vec::with_capacity(total as usize);
    let start = Instant::now();
    let mut next = WARM;
    while next < total {
        let due = (WARM + (rate * start.elapsed().as_secs_f64()) as u64).min(total);
        if due > next {
            buf.clear();
            for seq in next..due {
                data::line(&mut rng, seq, 100, &mut buf);
            }
            sent_hash.extend(buf.chunks(100).map(|l| benches::checksum::hash64(&l[..l.len() - 1])));
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
    // Every timed line exactly once and unchanged: duplicates, gaps and changed records are
    // counted apart, and any of them fails the run.
    let expected = total - WARM;
    let mut seen = vec![0u32; expected as usize];
    let (mut changed, mut lat) = (0u64, Vec::with_capacity(expected as usize));
    for (seq, at, hash) in &got {
        if *seq == u64::MAX {
            changed += 1;
            continue;
        }
        if *seq < WARM || *seq >= total {
            continue;
        }
        let i = (seq - WARM) as usize;
        seen[i] += 1;
        if sent_hash.get(i) != Some(hash) {
            changed += 1;
        } else if seen[i] == 1
            && let Some(w) = written_at.get(i)
        {
            lat.push(at.duration_since(*w).as_secs_f64() * 1000.0);
        }
    }
    let dups: u64 = seen.iter().map(|c| u64::from(c.saturating_sub(1))).sum();
    let gaps = seen.iter().filter(|c| **c == 0).count() as u64;
    if dups + gaps + changed > 0 {
        let side = if matches!(side, Side::Ours) { "ours" } else { "kcat" };
        return Err(format!(
            "B10 {side} on {topic}: of {expected} timed lines, {dups} duplicates, {gaps} gaps (never consumed), {changed} changed or unreadable records"
        ));
    }
    let p50 = quantile(&mut lat, 0.5).unwrap_or(f64::NAN);
    let p99 = quantile(&mut lat, 0.99).unwrap_or(f64::NAN);
    Ok((p50, p99))
}
