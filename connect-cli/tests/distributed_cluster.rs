//! A Connect cluster of real `connect-distributed` processes on Apache Kafka (scenarios
//! of the distributed-mode issue): three workers share four connectors of four tasks each,
//! balanced, every task running once; REST writes sent to any worker reach the leader;
//! an unsigned internal request is refused; after every worker stopped and started again,
//! connectors, target states and tasks come back from the internal topics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Worker {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    /// Stops the worker as an operator does (SIGTERM) and waits for it to exit.
    fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("worker {} did not stop within 60 s", self.base);
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(dir: &Path, group: &str, n: usize, run: usize) -> Worker {
    let port = free_port();
    let props = dir.join(format!("worker-{n}.properties"));
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\ngroup.id={group}\n\
             config.storage.topic={group}-configs\noffset.storage.topic={group}-offsets\n\
             status.storage.topic={group}-status\nconfig.storage.replication.factor=1\n\
             offset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n\
             offset.storage.partitions=5\nstatus.storage.partitions=3\n\
             heartbeat.interval.ms=1000\nsession.timeout.ms=6000\n\
             scheduled.rebalance.max.delay.ms=10000\noffset.flush.interval.ms=1000\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n",
            common::bootstrap()
        ),
    )
    .unwrap();
    let log = dir.join(format!("worker-{n}-run-{run}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_connect-distributed"))
        .arg(&props)
        .env("RUST_LOG", "info,rdkafka=warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Worker { child, base: format!("http://127.0.0.1:{port}"), log }
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url).timeout(Duration::from_secs(60));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn wait_until<T>(
    workers: &[Worker],
    what: &str,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> =
                workers.iter().map(|w| format!("--- {} ---\n{}", w.base, w.log_tail())).collect();
            panic!("{what} not seen within 120 s\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn wait_for_rest(workers: &[Worker]) {
    for w in workers {
        let base = w.base.clone();
        wait_until(workers, &format!("{base}'s REST API"), async || {
            let r = reqwest::get(format!("{base}/connectors")).await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
    }
}

/// Every connector's status, from one worker: connector state and worker, task states
/// and workers.
async fn statuses(base: &str, names: &[String]) -> Option<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for n in names {
        let (code, v) =
            call(reqwest::Method::GET, format!("{base}/connectors/{n}/status"), None).await;
        if code != 200 {
            return None;
        }
        out.insert(n.clone(), v);
    }
    Some(out)
}

/// When every connector and its 4 tasks are RUNNING: who runs what.
fn placement(
    all: &BTreeMap<String, Value>,
    want: &str,
) -> Option<(BTreeMap<String, usize>, BTreeMap<String, usize>)> {
    let mut connectors = BTreeMap::new();
    let mut tasks = BTreeMap::new();
    for s in all.values() {
        if s["connector"]["state"] != want {
            return None;
        }
        *connectors.entry(s["connector"]["worker_id"].as_str()?.to_string()).or_insert(0) += 1;
        let ts = s["tasks"].as_array()?;
        if ts.len() != 4 || ts.iter().any(|t| t["state"] != want) {
            return None;
        }
        for t in ts {
            *tasks.entry(t["worker_id"].as_str()?.to_string()).or_insert(0) += 1;
        }
    }
    Some((connectors, tasks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_four_connectors_and_come_back_after_a_full_restart() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("cluster");
    let mut workers: Vec<Worker> = (0..3).map(|n| start(dir.path(), &group, n, 0)).collect();
    wait_for_rest(&workers).await;

    // Four sinks of four tasks each, each created through a different worker: at least
    // two of them are followers, which forward to the leader.
    let names: Vec<String> = (0..4).map(|i| format!("sink-{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let topic = format!("{group}-in-{i}");
        let file = dir.path().join(format!("out-{i}.txt"));
        let base = &workers[i % 3].base;
        let (code, body) = call(
            reqwest::Method::POST,
            format!("{base}/connectors"),
            Some(json!({"name": name, "config": {
                "connector.class": "FileStreamSink", "tasks.max": "4",
                "topics": topic, "file": file.to_str().unwrap()}})),
        )
        .await;
        assert_eq!(code, 201, "creating {name} through {base}: {body}");
        assert_eq!(body["name"], json!(name));
    }
    let started = Instant::now();
    let (connectors, tasks) = wait_until(&workers, "16 tasks RUNNING", async || {
        placement(&statuses(&workers[0].base, &names).await?, "RUNNING")
    })
    .await;
    eprintln!("balanced in {:?}: connectors {connectors:?}, tasks {tasks:?}", started.elapsed());
    assert_eq!(tasks.len(), 3, "every worker runs tasks: {tasks:?}");
    assert_eq!(tasks.values().sum::<usize>(), 16);
    let (lo, hi) = (tasks.values().min().unwrap(), tasks.values().max().unwrap());
    assert!(hi - lo <= 1, "tasks unbalanced: {tasks:?}");
    let (lo, hi) = (connectors.values().min().unwrap(), connectors.values().max().unwrap());
    assert!(hi - lo <= 1 && connectors.len() == 3, "connectors unbalanced: {connectors:?}");
    // Every worker answers the same.
    for w in &workers[1..] {
        let other = statuses(&w.base, &names).await.unwrap();
        assert_eq!(
            placement(&other, "RUNNING").map(|p| p.1),
            Some(tasks.clone()),
            "{} differs",
            w.base
        );
    }

    // One name created through the three workers at once: the leader takes the writes one
    // at a time, so one creation succeeds and the others conflict.
    let create = |w: &Worker| {
        call(
            reqwest::Method::POST,
            format!("{}/connectors", w.base),
            Some(json!({"name": "dup", "config": {
                "connector.class": "FileStreamSink", "tasks.max": "1",
                "topics": format!("{group}-dup"), "file": dir.path().join("dup.txt").to_str().unwrap()}})),
        )
    };
    let (a, b, c) = tokio::join!(create(&workers[0]), create(&workers[1]), create(&workers[2]));
    let mut codes = vec![a.0, b.0, c.0];
    codes.sort();
    assert_eq!(codes, vec![201, 409, 409], "concurrent creations of one name");
    let (code, _) =
        call(reqwest::Method::DELETE, format!("{}/connectors/dup", workers[2].base), None).await;
    assert_eq!(code, 204);

    // An internal request without the session key's signature is refused.
    let (code, body) = call(
        reqwest::Method::POST,
        format!("{}/connectors/sink-0/tasks", workers[1].base),
        Some(json!([{"task": "forged"}])),
    )
    .await;
    assert_eq!(code, 400, "unsigned task configs: {body}");
    let forged = reqwest::Client::new()
        .post(format!("{}/connectors/sink-0/tasks", workers[2].base))
        .header("X-Connect-Authorization", "AAAA")
        .header("X-Connect-Request-Signature-Algorithm", "HmacSHA256")
        .json(&json!([{"task": "forged"}]))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(forged.status().as_u16(), 403 | 409),
        "a forged signature: {}",
        forged.status()
    );

    // Pause one connector through a worker, then stop the whole cluster and start it again.
    let (code, _) =
        call(reqwest::Method::PUT, format!("{}/connectors/sink-1/pause", workers[2].base), None)
            .await;
    assert_eq!(code, 202);
    wait_until(&workers, "sink-1 PAUSED", async || {
        let s = statuses(&workers[0].base, &names[1..2]).await?;
        placement(&s, "PAUSED")
    })
    .await;
    for w in workers.drain(..) {
        w.stop();
    }
    let workers: Vec<Worker> = (0..3).map(|n| start(dir.path(), &group, n, 1)).collect();
    let restarted = Instant::now();
    wait_for_rest(&workers).await;
    let all = wait_until(&workers, "the cluster back from its topics", async || {
        let base = &workers[1].base;
        let (code, list) = call(reqwest::Method::GET, format!("{base}/connectors"), None).await;
        if code != 200 || list.as_array()?.len() != 4 {
            return None;
        }
        let s = statuses(base, &names).await?;
        let running: BTreeMap<String, Value> =
            s.iter().filter(|(n, _)| *n != "sink-1").map(|(n, v)| (n.clone(), v.clone())).collect();
        let paused: BTreeMap<String, Value> =
            s.iter().filter(|(n, _)| *n == "sink-1").map(|(n, v)| (n.clone(), v.clone())).collect();
        let (_, mut tasks) = placement(&running, "RUNNING")?;
        for (w, n) in placement(&paused, "PAUSED")?.1 {
            *tasks.entry(w).or_insert(0) += n;
        }
        // The workers came back one after another: wait for the rebalances to spread the
        // work over all three again.
        let (lo, hi) = (tasks.values().min()?, tasks.values().max()?);
        (tasks.len() == 3 && hi - lo <= 1).then_some(s)
    })
    .await;
    eprintln!("cluster back and balanced in {:?}", restarted.elapsed());
    assert_eq!(all["sink-1"]["connector"]["state"], "PAUSED");
    for w in workers {
        w.stop();
    }
}

fn line_count(path: &Path) -> usize {
    std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0)
}

/// The worker (REST host:port) that runs a task, from any live worker's answer.
async fn task_owner(workers: &[&Worker], name: &str) -> Option<String> {
    for w in workers {
        let (code, v) =
            call(reqwest::Method::GET, format!("{}/connectors/{name}/status", w.base), None).await;
        if code == 200 && v["tasks"][0]["state"] == "RUNNING" {
            return v["tasks"][0]["worker_id"].as_str().map(str::to_string);
        }
    }
    None
}

/// Scenario 3: the worker running a file source is killed with SIGKILL while lines keep
/// coming; after the scheduled rebalance delay its task runs on another worker, resumes
/// from the offsets topic, and the sink file ends with every line (duplicates counted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_source_resumes_elsewhere_and_no_line_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("failover");
    let mut workers: Vec<Worker> = (0..3).map(|n| start(dir.path(), &group, n, 0)).collect();
    wait_for_rest(&workers).await;
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    common::write_lines(&input, 0, 1000);
    let topic = format!("{group}-lines");
    for (name, config) in [
        (
            "src",
            json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": topic}),
        ),
        (
            "dst",
            json!({"connector.class": "FileStreamSink", "file": output.to_str().unwrap(), "topics": topic}),
        ),
    ] {
        let (code, body) = call(
            reqwest::Method::POST,
            format!("{}/connectors", workers[0].base),
            Some(json!({"name": name, "config": config})),
        )
        .await;
        assert_eq!(code, 201, "{body}");
    }
    let all: Vec<&Worker> = workers.iter().collect();
    let owner =
        wait_until(&workers, "src's task RUNNING", async || task_owner(&all, "src").await).await;
    wait_until(&workers, "the first 1000 lines through", async || {
        (line_count(&output) >= 1000).then_some(())
    })
    .await;
    // Lines keep coming while the source's worker dies.
    let appending = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (input, appending) = (input.clone(), appending.clone());
        std::thread::spawn(move || {
            let mut n = 1000;
            while appending.load(std::sync::atomic::Ordering::SeqCst) {
                common::write_lines(&input, n, 50);
                n += 50;
                std::thread::sleep(Duration::from_millis(50));
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let victim =
        workers.iter().position(|w| w.base.ends_with(&owner)).expect("the owner is one of ours");
    let mut dead = workers.remove(victim);
    dead.child.kill().unwrap();
    let _ = dead.child.wait();
    let killed = Instant::now();
    let live: Vec<&Worker> = workers.iter().collect();
    let new_owner = wait_until(&workers, "src's task on another worker", async || {
        task_owner(&live, "src").await.filter(|o| *o != owner)
    })
    .await;
    let recovered = killed.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    appending.store(false, std::sync::atomic::Ordering::SeqCst);
    let total = writer.join().unwrap();
    wait_until(&workers, "every line in the sink file", async || {
        (line_count(&output) >= total).then_some(())
    })
    .await;
    // Let the sink catch up with any duplicates, then count.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let text = std::fs::read_to_string(&output).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for l in text.lines() {
        *seen.entry(l.to_string()).or_insert(0usize) += 1;
    }
    let missing = (0..total)
        .filter(|i| !seen.contains_key(&format!("line {i:07} of the test input")))
        .count();
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    eprintln!(
        "SIGKILL of {owner}: src moved to {new_owner} after {recovered:?}; {total} lines, {missing} missing, {duplicates} duplicates"
    );
    assert_eq!(missing, 0, "lines lost");
    for w in workers {
        w.stop();
    }
}

/// The worker that leads now, from the workers' logs: the last assignment each applied
/// says whether it led.
fn leader_of(workers: &[Worker]) -> Option<usize> {
    workers.iter().position(|w| {
        let log = std::fs::read_to_string(&w.log).unwrap_or_default();
        log.lines()
            .rev()
            .find(|l| l.contains("assignment applied"))
            .is_some_and(|l| l.contains("leader=true"))
    })
}

/// Scenarios 4 and 5: the leader is killed with SIGKILL; the other workers elect a new
/// one, and REST writes sent to them (create, pause, resume, restart, delete) keep
/// working cluster-wide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_keep_working_after_the_leader_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("leaderless");
    let mut workers: Vec<Worker> = (0..3).map(|n| start(dir.path(), &group, n, 0)).collect();
    wait_for_rest(&workers).await;
    let sink = |name: &str| {
        json!({"name": name, "config": {"connector.class": "FileStreamSink", "tasks.max": "2",
            "topics": format!("{group}-{name}"), "file": dir.path().join(name).to_str().unwrap()}})
    };
    let (code, body) = call(
        reqwest::Method::POST,
        format!("{}/connectors", workers[0].base),
        Some(sink("before")),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    wait_until(&workers, "before's tasks RUNNING", async || {
        placement_of(&workers[1].base, "before", 2, "RUNNING").await
    })
    .await;
    let leader = wait_until(&workers, "a leader in the logs", async || leader_of(&workers)).await;
    let mut dead = workers.remove(leader);
    dead.child.kill().unwrap();
    let _ = dead.child.wait();
    let killed = Instant::now();
    // A write right away: the survivors still name the dead leader until the group
    // rebalances; the write waits for the new one (bounded) instead of failing.
    let (code, body) =
        call(reqwest::Method::POST, format!("{}/connectors", workers[0].base), Some(sink("after")))
            .await;
    assert_eq!(code, 201, "create after the leader died: {body}");
    eprintln!(
        "a write through a follower succeeded {:?} after the leader's SIGKILL",
        killed.elapsed()
    );
    wait_until(&workers, "after's tasks RUNNING", async || {
        placement_of(&workers[1].base, "after", 2, "RUNNING").await
    })
    .await;
    let ops = [
        (reqwest::Method::PUT, "pause", 202, "PAUSED"),
        (reqwest::Method::PUT, "resume", 202, "RUNNING"),
        (reqwest::Method::POST, "restart?includeTasks=true", 202, "RUNNING"),
    ];
    for (i, (method, op, want, state)) in ops.into_iter().enumerate() {
        let via = &workers[i % 2].base;
        let (code, body) = call(method, format!("{via}/connectors/after/{op}"), None).await;
        assert_eq!(code, want, "{op} through {via}: {body}");
        let other = workers[(i + 1) % 2].base.clone();
        wait_until(&workers, &format!("after {state} after {op}"), async || {
            placement_of(&other, "after", 2, state).await
        })
        .await;
    }
    let (code, _) =
        call(reqwest::Method::DELETE, format!("{}/connectors/after", workers[1].base), None).await;
    assert_eq!(code, 204);
    for w in &workers {
        let base = w.base.clone();
        wait_until(&workers, &format!("the deletion on {base}"), async || {
            let (_, list) = call(reqwest::Method::GET, format!("{base}/connectors"), None).await;
            (list == json!(["before"])).then_some(())
        })
        .await;
    }
    for w in workers {
        w.stop();
    }
}

/// `Some(())` when `name`'s connector and its `tasks` tasks are all in `state`.
async fn placement_of(base: &str, name: &str, tasks: usize, state: &str) -> Option<()> {
    let (code, v) =
        call(reqwest::Method::GET, format!("{base}/connectors/{name}/status"), None).await;
    let ts = v["tasks"].as_array()?;
    (code == 200
        && v["connector"]["state"] == state
        && ts.len() == tasks
        && ts.iter().all(|t| t["state"] == state))
    .then_some(())
}

/// The strongest check that our protocol bytes and topic formats are Kafka's: one Java
/// Kafka Connect worker and two of ours in one group share the work and records flow,
/// with the Java worker leading (it joins first: ours forward REST writes and task
/// configs, signed, to it) and with one of ours leading (the Java follower's signed task
/// configs are checked by ours).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_java_worker_and_two_of_ours_share_one_cluster_under_a_java_leader() {
    mixed_cluster(true).await;
}

/// See [`a_java_worker_and_two_of_ours_share_one_cluster_under_a_java_leader`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_java_worker_and_two_of_ours_share_one_cluster_under_our_leader() {
    mixed_cluster(false).await;
}

async fn mixed_cluster(java_first: bool) {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("mixed");
    // The Java worker first, with the same settings.
    let java_port = free_port();
    let java_props = dir.path().join("java.properties");
    let ours_props = {
        let probe = start(dir.path(), &group, 9, 0);
        let text = std::fs::read_to_string(dir.path().join("worker-9.properties")).unwrap();
        drop(probe);
        text
    };
    let java_text: String = ours_props
        .lines()
        .map(|l| {
            if l.starts_with("listeners=") {
                format!("listeners=http://127.0.0.1:{java_port}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&java_props, java_text + "\n").unwrap();
    let mut ours: Vec<Worker> = Vec::new();
    if !java_first {
        ours.extend((0..2).map(|n| start(dir.path(), &group, n, 0)));
        wait_for_rest(&ours).await;
        wait_until(&ours, "one of ours leading", async || leader_of(&ours)).await;
    }
    let java_log = dir.path().join("java.log");
    let java = common::java_command()
        .arg("org.apache.kafka.connect.cli.ConnectDistributed")
        .arg(&java_props)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&java_log).unwrap())
        .spawn()
        .expect("cannot run java");
    let java = Worker { child: java, base: format!("http://127.0.0.1:{java_port}"), log: java_log };
    let mut workers = vec![java];
    if java_first {
        wait_for_rest(&workers).await;
        ours.extend((0..2).map(|n| start(dir.path(), &group, n, 0)));
    }
    workers.extend(ours);
    wait_for_rest(&workers).await;
    let names = ["mixed-a", "mixed-b"];
    for (i, name) in names.iter().enumerate() {
        let (code, body) = call(
            reqwest::Method::POST,
            format!("{}/connectors", workers[1 + i % 2].base),
            Some(json!({"name": name, "config": {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "tasks.max": "3", "topics": format!("{group}-{name}"),
                "file": dir.path().join(format!("{name}.txt")).to_str().unwrap()}})),
        )
        .await;
        assert_eq!(code, 201, "{body}");
    }
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let tasks = wait_until(&workers, "6 tasks RUNNING on the three workers", async || {
        let (_, tasks) = placement_of_all(&statuses(&workers[0].base, &names).await?)?;
        (tasks.len() == 3).then_some(tasks)
    })
    .await;
    let ours_lead = leader_of(&workers[1..]).is_some();
    assert_eq!(ours_lead, !java_first, "who leads");
    eprintln!(
        "mixed cluster: tasks {tasks:?} (Java at 127.0.0.1:{java_port}); the leader is {}",
        if ours_lead { "one of ours" } else { "the Java worker" }
    );
    assert!(tasks.contains_key(&format!("127.0.0.1:{java_port}")), "the Java worker runs tasks");
    // Records flow through whichever worker runs the task reading them.
    let bootstrap = common::bootstrap();
    let topics: Vec<String> = names.iter().map(|n| format!("{group}-{n}")).collect();
    tokio::task::spawn_blocking(move || {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let p: BaseProducer =
            rdkafka::ClientConfig::new().set("bootstrap.servers", &bootstrap).create().unwrap();
        for t in &topics {
            for i in 0..100 {
                let v = format!("{t} record {i}");
                p.send(BaseRecord::<(), str>::to(t).payload(v.as_str())).unwrap();
            }
        }
        p.flush(Duration::from_secs(30)).unwrap();
    })
    .await
    .unwrap();
    for n in &names {
        let file = dir.path().join(format!("{n}.txt"));
        wait_until(&workers, &format!("100 records in {n}.txt"), async || {
            (line_count(&file) >= 100).then_some(())
        })
        .await;
    }
    for w in workers {
        w.stop();
    }
}

/// Who runs the tasks of connectors with 3 tasks each, once all RUNNING.
fn placement_of_all(all: &BTreeMap<String, Value>) -> Option<((), BTreeMap<String, usize>)> {
    let mut tasks = BTreeMap::new();
    for s in all.values() {
        let ts = s["tasks"].as_array()?;
        if s["connector"]["state"] != "RUNNING"
            || ts.len() != 3
            || ts.iter().any(|t| t["state"] != "RUNNING")
        {
            return None;
        }
        for t in ts {
            *tasks.entry(t["worker_id"].as_str()?.to_string()).or_insert(0) += 1;
        }
    }
    Some(((), tasks))
}
