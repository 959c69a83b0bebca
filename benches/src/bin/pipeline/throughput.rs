//! B1–B4: throughput figures (file and generator sources, sinks, converters).

use super::*;

// ---------------------------------------------------------------------------------------
// B1: FileStreamSource → topic vs kcat -P -l
// ---------------------------------------------------------------------------------------

pub(super) fn b1(ctx: &mut Ctx) -> R<()> {
    let mut mem =
        Figure::new("B8", "peak RSS, B1 pipeline (100B)", "MiB", Target::OursAtMost(100.0));
    for (size, full, target, label) in
        [(100usize, 2_000_000u64, 0.90, "100B"), (1000, 500_000, 0.95, "1KB")]
    {
        let n = ctx.scaled(full);
        let input = ctx.work.join(format!("b1-{label}.txt"));
        data::write_lines(&input, n, size)
            .map_err(|e| format!("generate {}: {e}", input.display()))?;
        // What every side must leave on its topic: the input's lines, in any order.
        let sent = lines_digest(&input)?;
        let mut f = Figure::new(
            "B1",
            format!("file→topic {label} ({n} lines)"),
            "rec/s",
            Target::RatioAtLeast(target),
        );
        let keep_mem = size == 100;
        for pair in 0..ctx.opts.pairs {
            let (t_base, t_ours, t_java) =
                (ctx.unique("b1-kcat"), ctx.unique("b1-ours"), ctx.unique("b1-java"));
            let broker = Broker::start(ctx, &[t_base.clone(), t_ours.clone(), t_java.clone()])?;
            let source = |topic: &str| {
                vec![
                    ("name", format!("src-{topic}")),
                    ("connector.class", "FileStreamSource".into()),
                    ("tasks.max", "1".into()),
                    ("file", input.display().to_string()),
                    ("topic", topic.to_string()),
                ]
            };
            let mut run_base = |ctx: &mut Ctx| -> R<()> {
                let mut cmd = ctx.kcat();
                kcat_producer_args(&mut cmd, &broker.bootstrap, &t_base);
                cmd.arg("-l").arg(&input).stdout(Stdio::null()).stderr(Stdio::null());
                let (secs, hwm) = run_timed(cmd, "kcat -P", Duration::from_secs(120))?;
                check_count("B1 kcat", broker.high(&t_base)?, n)?;
                let got = topic_digest(&broker.bootstrap, &t_base, 1)?;
                check_digest(&format!("B1 {label} kcat (topic vs input lines)"), &got, &sent)?;
                f.base.push(n as f64 / secs);
                if keep_mem {
                    mem.base.push(hwm as f64 / 1024.0);
                }
                Ok(())
            };
            let mut run_ours = |ctx: &mut Ctx| -> R<()> {
                let dir = ctx.run_dir("b1")?;
                let mut worker =
                    worker_props(&broker.bootstrap, &dir, free_port()?, STRING_CONVERTER);
                // Bounded mode: the worker exits once the file is read and acknowledged,
                // so it is timed start to exit like kcat.
                worker.push(("exit.on.source.eof", "true".into()));
                let (mut p, t0, log) = spawn_worker(
                    &ctx.bin.join("connect-standalone"),
                    &dir,
                    &worker,
                    &[source(&t_ours)],
                )?;
                let (secs, hwm) = wait_exit(&mut p, &log, t0, Duration::from_secs(120))?;
                drop(p);
                check_count("B1 ours", broker.high(&t_ours)?, n)?;
                let got = topic_digest(&broker.bootstrap, &t_ours, 1)?;
                check_digest(&format!("B1 {label} ours (topic vs input lines)"), &got, &sent)?;
                f.ours.push(n as f64 / secs);
                if keep_mem {
                    mem.ours.push(hwm as f64 / 1024.0);
                }
                Ok(())
            };
            let mut run_java = |ctx: &mut Ctx| -> R<()> {
                let dir = ctx.run_dir("b1-java")?;
                let worker = worker_props(&broker.bootstrap, &dir, free_port()?, STRING_CONVERTER);
                let (mut p, t0, log) = java::spawn(ctx, &dir, &worker, &[source(&t_java)])?;
                // Java has no bounded mode: timed until the topic holds every line.
                let secs = wait_for(
                    &mut p,
                    &log,
                    t0,
                    Duration::from_secs(300),
                    Duration::from_millis(5),
                    || Ok(broker.high(&t_java).unwrap_or(0) >= n as i64),
                )?;
                let hwm = peak_kib(&p)?;
                drop(p);
                check_count("B1 Java", broker.high(&t_java)?, n)?;
                let got = topic_digest(&broker.bootstrap, &t_java, 1)?;
                check_digest(&format!("B1 {label} Java (topic vs input lines)"), &got, &sent)?;
                f.java.push(n as f64 / secs);
                if keep_mem {
                    mem.java.push(hwm as f64 / 1024.0);
                }
                Ok(())
            };
            with_java(ctx, pair, &mut run_base, &mut run_ours, &mut run_java)?;
        }
        if size == 100 {
            ctx.b1_rate = median(&f.ours);
        }
        f.note = "ours: connect-standalone in bounded mode (exit.on.source.eof=true), StringConverter, producer acks=all idempotent linger 5 ms; timed from process start to exit (every line acknowledged, offsets committed), count checked on the topic; kcat -P -l with the same -X producer settings, timed start to exit; Java: ConnectStandalone with the same files (no bounded mode), timed from process start until the topic's high watermark holds every line".into();
        ctx.push(f);
    }
    mem.note = "VmHWM of connect-standalone sampled every 2 ms until it exits; kcat's VmHWM sampled every 2 ms until exit; Java's VmHWM when the topic holds every line".into();
    ctx.push(mem);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// B2: topic → FileStreamSink vs kcat -G (a group consumer) and kcat -C (no group)
// ---------------------------------------------------------------------------------------

/// Which kcat consumer a B2 baseline run is.
#[derive(Clone, Copy)]
enum KcatMode {
    /// `kcat -G`: joins a consumer group, as our sink task does.
    Group,
    /// `kcat -C`: assigns every partition itself, no group.
    Assign,
}

pub(super) fn b2(ctx: &mut Ctx) -> R<()> {
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
    // What every side's file must hold: the topic's contents, which are the input lines.
    let on_topic = topic_digest(&broker.bootstrap, &topic, parts)?;
    check_digest("B2 fill (topic vs input lines)", &on_topic, &lines_digest(&input)?)?;
    let mut f = Figure::new(
        "B2",
        format!("topic→file {label} ({n} lines, {parts} part.)"),
        "rec/s",
        Target::RatioAtLeast(1.0),
    );
    let mut assign = Figure::new(
        "B2",
        format!("topic→file {label} vs kcat -C (no group)"),
        "rec/s",
        Target::None,
    );
    let mut mem =
        Figure::new("B8", "peak RSS, B2 pipeline (100B)", "MiB", Target::OursAtMost(100.0));
    for pair in 0..ctx.opts.pairs {
        let mut run_kcat = |ctx: &mut Ctx, mode: KcatMode| -> R<()> {
            let dir = ctx.run_dir("b2-kcat")?;
            let out = dir.join("out.txt");
            let file = std::fs::File::create(&out).map_err(|e| format!("create: {e}"))?;
            let group = ctx.unique("b2-kcat-group");
            let mut cmd = ctx.kcat_consumer();
            let what = match mode {
                KcatMode::Group => {
                    cmd.args(["-G", &group, "-q", "-e", "-b", &broker.bootstrap]);
                    "kcat -G"
                }
                KcatMode::Assign => {
                    cmd.args(["-C", "-q", "-e", "-o", "beginning", "-b", &broker.bootstrap]);
                    cmd.args(["-t", &topic]);
                    "kcat -C"
                }
            };
            cmd.args(clients::kcat_args(
                &clients::consumer_config(&broker.bootstrap, &group),
                clients::KCAT_CONSUMER_SKIP,
            ));
            if let KcatMode::Group = mode {
                // kcat -G takes its topics after the options.
                cmd.arg(&topic);
            }
            cmd.stdout(Stdio::from(file)).stderr(Stdio::null());
            let (secs, hwm) = run_timed(cmd, what, Duration::from_secs(120))?;
            check_count(&format!("B2 {what}"), data::count_lines(&out) as i64, n)?;
            check_digest(&format!("B2 {what} (file vs topic)"), &lines_digest(&out)?, &on_topic)?;
            match mode {
                KcatMode::Group => {
                    f.base.push(n as f64 / secs);
                    mem.base.push(hwm as f64 / 1024.0);
                }
                KcatMode::Assign => assign.base.push(n as f64 / secs),
            }
            let _ = std::fs::remove_file(&out);
            Ok(())
        };
        // Ours and Java: the same worker and connector files.
        let mut run_worker = |ctx: &mut Ctx, is_java: bool| -> R<()> {
            let dir = ctx.run_dir(if is_java { "b2-java" } else { "b2-ours" })?;
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
            let exe = ctx.bin.join("connect-standalone");
            let (mut p, t0, log) = spawn_side(ctx, is_java, &exe, &dir, &worker, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(300),
                Duration::from_millis(5),
                || Ok(std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) >= bytes),
            )?;
            let hwm = peak_kib(&p)?;
            drop(p);
            let side = if is_java { "Java" } else { "ours" };
            check_count(&format!("B2 {side}"), data::count_lines(&out) as i64, n)?;
            check_digest(&format!("B2 {side} (file vs topic)"), &lines_digest(&out)?, &on_topic)?;
            if is_java {
                f.java.push(n as f64 / secs);
                mem.java.push(hwm as f64 / 1024.0);
            } else {
                f.ours.push(n as f64 / secs);
                assign.ours.push(n as f64 / secs);
                mem.ours.push(hwm as f64 / 1024.0);
            }
            let _ = std::fs::remove_file(&out);
            Ok(())
        };
        let kcat = std::cell::RefCell::new(&mut run_kcat);
        let worker = std::cell::RefCell::new(&mut run_worker);
        let mut sides: Vec<Side<'_>> = Vec::new();
        let mut g = |ctx: &mut Ctx| (kcat.borrow_mut())(ctx, KcatMode::Group);
        let mut c = |ctx: &mut Ctx| (kcat.borrow_mut())(ctx, KcatMode::Assign);
        let mut o = |ctx: &mut Ctx| (worker.borrow_mut())(ctx, false);
        let mut j = |ctx: &mut Ctx| (worker.borrow_mut())(ctx, true);
        sides.extend([&mut g as Side<'_>, &mut c, &mut o]);
        if ctx.java.is_some() {
            sides.push(&mut j);
        }
        rotated(ctx, pair, &mut sides)?;
    }
    f.note = format!(
        "ours: connect-standalone with FileStreamSink only, StringConverter, consumer group join included, offset.flush.interval.ms=100 (the sink writes its last partial 256 KiB buffer only on flush); timed until the file holds every byte; baseline: kcat -G (a group consumer, like ours: group join included) -e, the runtime's consumer settings as -X (but {}), timed start to exit; Java: ConnectStandalone with the same files, timed like ours. Every side's file is checked against the topic's contents (count and an order-independent checksum of the lines)",
        clients::KCAT_CONSUMER_SKIP.join(", ")
    );
    assign.note = "the same runs of ours against kcat -C -e -o beginning (assigns every partition itself, no group join), the same -X settings; reported only".into();
    mem.note =
        "VmHWM of connect-standalone (and Java's worker) just before it is killed; kcat -G's VmHWM sampled every 2 ms"
            .into();
    ctx.push(f);
    ctx.push(assign);
    ctx.push(mem);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// B3: framework overhead: generator → topic → discard vs raw rdkafka loops
// ---------------------------------------------------------------------------------------

pub(super) fn b3(ctx: &mut Ctx) -> R<()> {
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
    let names: Vec<(String, String, String)> = (0..ctx.opts.pairs)
        .map(|_| (ctx.unique("b3-raw"), ctx.unique("b3-ours"), ctx.unique("b3-java")))
        .collect();
    for (a, b, c) in &names {
        topics.extend([a.clone(), b.clone(), c.clone()]);
    }
    let broker = Broker::start(ctx, &topics)?;
    let mut fill = Command::new(&self_exe);
    fill.args(["raw-produce", &broker.bootstrap, &filled, &n.to_string(), &size.to_string()]);
    fill.arg("spread");
    run_timed(fill, "raw-produce (fill)", Duration::from_secs(120))?;
    check_count("B3 fill", broker.total(&filled, parts)?, n)?;
    for (pair, (t_raw, t_ours, t_java)) in names.iter().enumerate() {
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
        // Ours (bench-worker) and Java (ConnectStandalone with the Java GeneratorSource).
        let mut worker_src = |ctx: &mut Ctx, is_java: bool| -> R<()> {
            let topic = if is_java { t_java } else { t_ours };
            let dir = ctx.run_dir("b3-src")?;
            let worker = worker_props(&broker.bootstrap, &dir, free_port()?, BYTES_CONVERTER);
            let conn = vec![
                ("name", format!("gen-{topic}")),
                ("connector.class", "GeneratorSource".into()),
                ("topic", topic.clone()),
                ("count", n.to_string()),
                ("size", size.to_string()),
            ];
            let (mut p, t0, log) = spawn_side(ctx, is_java, &bench_worker, &dir, &worker, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(300),
                Duration::from_millis(5),
                || Ok(broker.high(topic)? >= n as i64),
            )?;
            drop(p);
            check_count("B3 source", broker.high(topic)?, n)?;
            if is_java { &mut src.java } else { &mut src.ours }.push(n as f64 / secs);
            Ok(())
        };
        // Sink side, on the pre-filled topic.
        let mut base_snk = |ctx: &mut Ctx| -> R<()> {
            let group = ctx.unique("raw-group");
            let out = ctx.run_dir("b3-raw")?.join("out.txt");
            let file = std::fs::File::create(&out).map_err(|e| format!("create: {e}"))?;
            let mut cmd = Command::new(&self_exe);
            cmd.args(["raw-consume", &broker.bootstrap, &filled, &n.to_string(), &group]);
            cmd.stdout(Stdio::from(file));
            let (secs, _) = run_timed(cmd, "raw-consume", Duration::from_secs(120))?;
            // raw-consume prints "records bytes" once it has seen every record.
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            check_records_bytes("B3 sink raw-consume", &text, n, n * size)?;
            snk.base.push(n as f64 / secs);
            Ok(())
        };
        // Ours (bench-worker) and Java (ConnectStandalone with the Java DiscardSink).
        let mut worker_snk = |ctx: &mut Ctx, is_java: bool| -> R<()> {
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
            let (mut p, t0, log) = spawn_side(ctx, is_java, &bench_worker, &dir, &worker, &[conn])?;
            let secs = wait_for(
                &mut p,
                &log,
                t0,
                Duration::from_secs(300),
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
            let side = if is_java { "B3 sink Java" } else { "B3 sink ours" };
            check_records_bytes(side, &text, n, n * size)?;
            if is_java { &mut snk.java } else { &mut snk.ours }.push(n as f64 / secs);
            Ok(())
        };
        with_java_worker(ctx, pair, &mut base_src, &mut worker_src)?;
        with_java_worker(ctx, pair, &mut base_snk, &mut worker_snk)?;
    }
    src.note = "ours: bench-worker (GeneratorSource, ByteArrayConverter, runtime producer defaults), start to high watermark; baseline: `pipeline raw-produce` (BaseProducer loop, same producer settings), start to exit after flush; Java: ConnectStandalone with its twin GeneratorSource (scripts/lib/connect-java), timed like ours".into();
    snk.note = "ours: bench-worker (DiscardSink, ByteArrayConverter, group consumer), start to the sink seeing every record; baseline: `pipeline raw-consume` (BaseConsumer, subscribe with a group, same caps), start to last record; Java: ConnectStandalone with its twin DiscardSink, timed like ours. Every side reports records and value bytes when it has seen every record; both are checked (no per-record checksum: it would add work to the timed sink of ours and raw-consume but not to Java's twin)".into();
    ctx.push(src);
    ctx.push(snk);
    Ok(())
}

/// Checks a B3 sink side's "records bytes" report: every record seen once, every value
/// byte with it (each value is `size` bytes, so a changed length or a duplicate shows).
fn check_records_bytes(what: &str, text: &str, n: u64, bytes: u64) -> R<()> {
    let mut fields = text.split_whitespace().map(|s| s.parse::<i64>().unwrap_or(-1));
    check_count(what, fields.next().unwrap_or(-1), n)?;
    match fields.next() {
        Some(got) if got == bytes as i64 => Ok(()),
        got => Err(format!("{what}: expected {bytes} value bytes, found {}", got.unwrap_or(-1))),
    }
}

// ---------------------------------------------------------------------------------------
// B8 idle and B9 start-up
// ---------------------------------------------------------------------------------------

/// B4: converter throughput per core, in-process (see `benches::codecs`).
pub(super) fn b4(ctx: &mut Ctx) -> R<()> {
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
    enc.note = "baseline: apache-avro GenericDatumWriter::write_ser of the same record as a #[derive(Serialize)] struct (its fastest path: no Value tree, clone or validation pass per record), a new Vec per record as ours; ours adds the registry wire format".into();
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
