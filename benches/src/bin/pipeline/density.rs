//! B12: density. One worker (`bench-worker`, i.e. `connect-standalone` plus the benches
//! crate's test connectors) runs one `GeneratorSource` connector with `idle=true` and
//! `tasks.max` = 1,000 (fewer below `--scale 0.25`): 1,000 source tasks that emit nothing.
//! Once every task is RUNNING (`GET /connectors/<name>/status`), the harness reads the
//! worker's `VmHWM`, `VmRSS` and `Threads` from `/proc/<pid>/status`, then times 200
//! `GET /connectors` and 200 `GET /connectors/<name>/status` (one connection per request,
//! as a script would) and reports their p99. There is no baseline: kcat runs no tasks.

use benches::procfs::{threads, vm_rss_kib};

use super::*;

/// Requests per REST endpoint.
const REQUESTS: usize = 200;

/// Idle tasks at this scale: 1,000 at `--scale 0.25` (the default) and above, scaled down
/// below it (at least 50) so a small run stays small.
fn task_count(scale: f64) -> usize {
    if scale >= 0.25 { 1000 } else { ((1000.0 * scale / 0.25).round() as usize).max(50) }
}

/// One `GET path` on a new connection; returns (status code, body, seconds).
fn http_get(port: u16, path: &str) -> R<(u16, String, f64)> {
    let t0 = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| format!("timeout: {e}"))?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).map_err(|e| format!("GET {path}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("GET {path}: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) =
        text.split_once("\r\n\r\n").ok_or_else(|| format!("GET {path}: no header"))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("GET {path}: no status line"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Ok((code, body, secs))
}

/// The body of a chunked HTTP/1.1 response.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// How many of the connector's tasks report RUNNING, or `None` before it has a status.
fn running_tasks(port: u16, name: &str) -> Option<usize> {
    let (code, body, _) = http_get(port, &format!("/connectors/{name}/status")).ok()?;
    if code != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let tasks = v.get("tasks")?.as_array()?;
    Some(
        tasks.iter().filter(|t| t.get("state").and_then(|s| s.as_str()) == Some("RUNNING")).count(),
    )
}

/// The p99 in milliseconds of `REQUESTS` GETs of `path`, each of which must answer 200.
fn rest_p99(port: u16, path: &str) -> R<(f64, f64)> {
    let mut ms = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let (code, _, secs) = http_get(port, path)?;
        if code != 200 {
            return Err(format!("GET {path} answered {code}"));
        }
        ms.push(secs * 1000.0);
    }
    let p50 = quantile(&mut ms, 0.5).unwrap_or(f64::NAN);
    let p99 = quantile(&mut ms, 0.99).unwrap_or(f64::NAN);
    Ok((p50, p99))
}

pub(super) fn b12(ctx: &mut Ctx) -> R<()> {
    let n = task_count(ctx.opts.scale);
    let topic = ctx.unique("b12");
    let broker = Broker::start(ctx, std::slice::from_ref(&topic))?;
    let mut hwm = Figure::new(
        "B12",
        format!("peak RSS, {n} idle source tasks"),
        "MiB",
        Target::OursAtMost(150.0),
    );
    let mut rss = Figure::new(
        "B12",
        format!("RSS all RUNNING, {n} idle tasks"),
        "MiB",
        Target::OursAtMost(150.0),
    );
    let mut thr = Figure::new("B12", format!("threads, {n} idle tasks"), "threads", Target::None);
    let mut up = Figure::new("B12", format!("start→{n} tasks RUNNING"), "s", Target::None);
    let mut list = Figure::new("B12", "REST p99 GET /connectors", "ms", Target::OursAtMost(50.0));
    let mut status = Figure::new(
        "B12",
        format!("REST p99 GET …/status ({n} tasks)"),
        "ms",
        Target::OursAtMost(50.0),
    );
    let mut p50s = Vec::new();
    for _ in 0..ctx.opts.pairs {
        let dir = ctx.run_dir("b12")?;
        let port = free_port()?;
        let worker = worker_props(&broker.bootstrap, &dir, port, BYTES_CONVERTER);
        let name = ctx.unique("idle");
        let conn = vec![
            ("name", name.clone()),
            ("connector.class", "GeneratorSource".into()),
            ("topic", topic.clone()),
            ("idle", "true".into()),
            ("tasks.max", n.to_string()),
        ];
        let (mut p, t0, log) = spawn_worker(&ctx.bin.join("bench-worker"), &dir, &worker, &[conn])?;
        let secs = wait_for(
            &mut p,
            &log,
            t0,
            Duration::from_secs(600),
            Duration::from_millis(200),
            || Ok(running_tasks(port, &name).is_some_and(|r| r >= n)),
        )?;
        // Let start-up allocations settle, as B8's idle figure does.
        std::thread::sleep(Duration::from_secs(2));
        p.alive("bench-worker", &log)?;
        let pid = p.pid();
        rss.ours.push(vm_rss_kib(pid).ok_or("cannot read VmRSS")? as f64 / 1024.0);
        thr.ours.push(threads(pid).ok_or("cannot read Threads")? as f64);
        let (l50, l99) = rest_p99(port, "/connectors")?;
        let (s50, s99) = rest_p99(port, &format!("/connectors/{name}/status"))?;
        hwm.ours.push(peak_kib(&p)? as f64 / 1024.0);
        drop(p);
        up.ours.push(secs);
        list.ours.push(l99);
        status.ours.push(s99);
        p50s.push(format!("{l50:.1}/{s50:.1}"));
    }
    let common = format!(
        "bench-worker (connect-standalone + the benches crate's connectors), one GeneratorSource connector with idle=true and tasks.max={n} (every task RUNNING, none emits a record), ByteArrayConverter, on the run's broker; no baseline (kcat runs no tasks); the issue's figure is 1,000 tasks (--scale 0.25 and above)"
    );
    hwm.note = format!(
        "{common}; VmHWM after all {n} tasks were RUNNING, 2 s of settling and the REST requests"
    );
    rss.note = format!("{common}; VmRSS once all {n} tasks were RUNNING plus 2 s");
    thr.note = format!(
        "{common}; Threads of /proc/<pid>/status at the same moment (each source task has its own librdkafka producer and its threads)"
    );
    up.note = format!(
        "{common}; process start until GET /connectors/<name>/status lists {n} RUNNING tasks (polled every 200 ms)"
    );
    let rest = format!(
        "{REQUESTS} sequential requests, a new connection each (connect + request + whole response), after all tasks were RUNNING; p50 per run (list/status): {} ms",
        p50s.join(", ")
    );
    list.note = format!("{common}; {rest}");
    status.note = format!("{common}; {rest}; the status body lists all {n} tasks");
    for f in [hwm, rss, thr, up, list, status] {
        ctx.push(f);
    }
    Ok(())
}
