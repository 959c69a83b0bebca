//! The internal topics of a Connect cluster in Kafka's formats, proven on what Java Kafka
//! Connect itself writes: a Java distributed worker runs a FileStream source on Apache
//! Kafka, is stopped through REST, and its config, status and offsets topics are then read
//! raw with our log reader and decoded with our record formats (scenario 8 of the
//! distributed-mode issue). Our producer puts an offset key in the partition Java's
//! murmur2 partitioner chose, and a non-compacted internal topic is refused.
#![cfg(feature = "distributed")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use connect_runtime::distributed::kafka_log::{KafkaLog, LogRecord};
use connect_runtime::distributed::records::{
    ClusterConfigState, ConfigEvent, StatusKey, parse_status,
};
use connect_runtime::kafka::{InternalTopic, KafkaClients};
use connect_runtime::status::State;
use connect_runtime::task::TargetState;
use serde_json::{Value, json};

struct JavaWorker {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for JavaWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Topics {
    configs: String,
    offsets: String,
    status: String,
}

async fn start_java_distributed(dir: &Path, group: &str, topics: &Topics) -> JavaWorker {
    let port = free_port();
    let worker = dir.join("distributed.properties");
    std::fs::write(
        &worker,
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\ngroup.id={group}\n\
             config.storage.topic={}\noffset.storage.topic={}\nstatus.storage.topic={}\n\
             config.storage.replication.factor=1\noffset.storage.replication.factor=1\n\
             status.storage.replication.factor=1\noffset.flush.interval.ms=500\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n",
            common::bootstrap(),
            topics.configs,
            topics.offsets,
            topics.status
        ),
    )
    .unwrap();
    let log = dir.join("java-distributed.log");
    let child = common::java_command()
        .arg("org.apache.kafka.connect.cli.ConnectDistributed")
        .arg(&worker)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::from(std::fs::File::options().append(true).open(&log).unwrap()))
        .spawn()
        .expect("cannot run java");
    let java = JavaWorker { child, base: format!("http://127.0.0.1:{port}"), log };
    wait_json(&java, "the Java worker's REST API", "/connectors", |v| v.is_array()).await;
    java
}

/// Polls `GET path` until `ok` holds for its JSON body.
async fn wait_json(
    java: &JavaWorker,
    what: &str,
    path: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = reqwest::get(format!("{}{path}", java.base)).await
            && let Ok(v) = r.json::<Value>().await
            && ok(&v)
        {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what} not seen within 120 s; the Java worker's log:\n{}",
            std::fs::read_to_string(&java.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn clients() -> KafkaClients {
    KafkaClients::new(
        common::bootstrap(),
        Default::default(),
        Default::default(),
        Default::default(),
    )
}

async fn read_all(kafka: &KafkaClients, name: &str, partitions: i32) -> (KafkaLog, Vec<LogRecord>) {
    let spec = InternalTopic {
        name: name.to_string(),
        property: "test".into(),
        partitions,
        replication_factor: 1,
    };
    let log = KafkaLog::open(kafka, &spec, &common::unique("reader")).await.unwrap();
    let records = log.read_to_end(Duration::from_secs(30)).await.unwrap();
    (log, records)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_read_the_internal_topics_a_java_cluster_writes() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("java-cluster");
    let topics = Topics {
        configs: format!("{group}-configs"),
        offsets: format!("{group}-offsets"),
        status: format!("{group}-status"),
    };
    let input = dir.path().join("input.txt");
    common::write_lines(&input, 0, 20);
    let size = std::fs::metadata(&input).unwrap().len() as i64;
    let data_topic = common::unique("java-fs");
    let java = start_java_distributed(dir.path(), &group, &topics).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/connectors", java.base))
        .json(&json!({"name": "fs-src", "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": input.to_str().unwrap(), "topic": data_topic, "tasks.max": "1"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201, "{}", created.text().await.unwrap());
    wait_json(&java, "fs-src's task RUNNING", "/connectors/fs-src/status", |v| {
        v["tasks"][0]["state"] == "RUNNING"
    })
    .await;
    wait_json(
        &java,
        "fs-src's offsets at the end of its file",
        "/connectors/fs-src/offsets",
        |v| v["offsets"][0]["offset"]["position"] == json!(size),
    )
    .await;
    let stopped = http.put(format!("{}/connectors/fs-src/stop", java.base)).send().await.unwrap();
    // A distributed worker answers 204 (the standalone one 202).
    assert_eq!(stopped.status().as_u16(), 204);
    let status = wait_json(&java, "fs-src STOPPED", "/connectors/fs-src/status", |v| {
        v["connector"]["state"] == "STOPPED"
    })
    .await;
    let java_worker_id = status["connector"]["worker_id"].as_str().unwrap().to_string();
    drop(java);

    let kafka = clients();
    // Configs: the connector, its committed task, then STOPPED with its tasks emptied.
    let (_, records) = read_all(&kafka, &topics.configs, 1).await;
    let mut state = ClusterConfigState::new();
    let mut events = Vec::new();
    for r in &records {
        match state.apply(r.offset, &r.key, r.value.as_deref()) {
            Ok(Some(e)) => events.push(e),
            Ok(None) => {}
            Err(e) => panic!("a record Java wrote does not read: {} ({e})", r.key),
        }
    }
    let config = &state.connectors["fs-src"];
    assert_eq!(
        config["connector.class"],
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    );
    assert_eq!(config["topic"], data_topic);
    assert_eq!(state.target_state("fs-src"), Some(TargetState::Stopped));
    let raw_target = records.iter().rev().find(|r| r.key == "target-state-fs-src").unwrap();
    let raw: Value = serde_json::from_slice(raw_target.value.as_deref().unwrap()).unwrap();
    assert_eq!(raw, json!({"state": "PAUSED", "state.v2": "STOPPED"}));
    let commits =
        events.iter().filter(|e| **e == ConfigEvent::TasksCommitted("fs-src".into())).count();
    assert!(commits >= 2, "one commit for the task, one emptying it at STOPPED: {events:?}");
    assert_eq!(state.tasks["fs-src"], Vec::<std::collections::BTreeMap<String, String>>::new());
    assert!(state.inconsistent.is_empty());
    assert!(state.session_key.is_some(), "a sessioned cluster distributes a session key");
    assert_eq!(state.offset, records.last().unwrap().offset + 1);

    // Statuses: the task ran, the connector is STOPPED, written by the Java worker with a
    // generation; the topic the task used is recorded.
    let (_, records) = read_all(&kafka, &topics.status, 5).await;
    let mut task_ran = false;
    let mut last_connector = None;
    let mut topic_record = None;
    for r in &records {
        let Some(value) = r.value.as_deref() else { continue };
        match StatusKey::parse(&r.key) {
            Some(StatusKey::Connector(c)) if c == "fs-src" => {
                last_connector = Some(parse_status(&r.key, value).unwrap())
            }
            Some(StatusKey::Task(t)) if t.connector == "fs-src" && t.task == 0 => {
                task_ran |= parse_status(&r.key, value).unwrap().state == State::Running
            }
            Some(StatusKey::Topic { topic, connector }) if connector == "fs-src" => {
                topic_record = Some((topic, serde_json::from_slice::<Value>(value).unwrap()))
            }
            _ => {}
        }
    }
    assert!(task_ran, "no RUNNING status of task fs-src-0 in {records:?}");
    let last = last_connector.expect("no connector status");
    assert_eq!(last.state, State::Stopped);
    assert_eq!(last.worker_id, java_worker_id);
    assert!(last.generation >= 1, "{last:?}");
    let (topic, value) = topic_record.expect("no topic status record");
    assert_eq!(topic, data_topic);
    assert_eq!(value["topic"]["name"], json!(data_topic));
    assert_eq!(value["topic"]["connector"], "fs-src");
    assert_eq!(value["topic"]["task"], 0);
    assert!(value["topic"]["discoverTimestamp"].as_i64().unwrap() > 0);

    // Offsets: Kafka's key and value; our producer hashes the key to Java's partition.
    let (log, records) = read_all(&kafka, &topics.offsets, 25).await;
    assert_eq!(log.partitions(), 25, "Kafka's default offset.storage.partitions");
    let r = records.iter().rev().find(|r| r.value.is_some()).expect("no offset record");
    let (connector, partition) = connect_runtime::offsets::parse_offset_key(&r.key).unwrap();
    assert_eq!(connector, "fs-src");
    assert_eq!(partition.to_json(), json!({"filename": input.to_str().unwrap()}));
    let offset: Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
    assert_eq!(offset, json!({"position": size}));
    let (ours, _) = log.send(&r.key, r.value.as_deref()).await.unwrap();
    assert_eq!(
        ours, r.partition,
        "Java put key {} in partition {}, we in {ours}",
        r.key, r.partition
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_compacted_internal_topic_is_refused() {
    let kafka = clients();
    let name = common::unique("not-compacted");
    kafka.create_topic_admin(&name, 1, 1).await.unwrap();
    let spec = InternalTopic {
        name: name.clone(),
        property: "config.storage.topic".into(),
        partitions: 1,
        replication_factor: 1,
    };
    let e = KafkaLog::open(&kafka, &spec, "refused").await.unwrap_err();
    assert!(e.message().contains("'cleanup.policy=compact'"), "{e}");
    assert!(e.message().contains("config.storage.topic"), "{e}");
    assert!(e.message().contains("cleanup.policy=delete"), "{e}");
    // A missing one is created compacted.
    let fresh = InternalTopic { name: common::unique("compacted"), ..spec };
    KafkaLog::open(&kafka, &fresh, "created").await.unwrap();
    assert_eq!(kafka.topic_config(&fresh.name, "cleanup.policy").await.unwrap(), "compact");
}
