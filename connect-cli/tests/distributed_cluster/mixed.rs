//! A Java Kafka Connect worker and ours in one cluster.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use crate::harness::*;

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
