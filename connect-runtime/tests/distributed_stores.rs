//! The distributed worker's offset and status stores on Apache Kafka: what one worker
//! writes, another reads (and a restarted one reads again), in Kafka's formats, with
//! Kafka's generation rules for statuses.
#![cfg(feature = "distributed")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use connect_api::record::OffsetMap;
use connect_runtime::distributed::kafka_log::KafkaLog;
use connect_runtime::distributed::records::{StatusKey, StatusRecord, parse_status, status_value};
use connect_runtime::distributed::stores::{KafkaOffsetStore, KafkaStatusStore};
use connect_runtime::kafka::{InternalTopic, KafkaClients};
use connect_runtime::offsets::OffsetStore;
use connect_runtime::status::{State, Status, StatusBackingStore};
use connect_runtime::task::TaskId;
use serde_json::json;

fn clients() -> KafkaClients {
    KafkaClients::new(
        common::bootstrap(),
        Default::default(),
        Default::default(),
        Default::default(),
    )
}

async fn log(name: &str, partitions: i32) -> KafkaLog {
    let spec = InternalTopic {
        name: name.to_string(),
        property: "test".into(),
        partitions,
        replication_factor: 1,
    };
    KafkaLog::open(&clients(), &spec, &common::unique("store")).await.unwrap()
}

fn file(name: &str) -> OffsetMap {
    OffsetMap::new().with("filename", name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_written_by_one_worker_are_read_by_another_and_after_a_restart() {
    let topic = common::unique("offsets");
    let a = KafkaOffsetStore::open(log(&topic, 5).await).await.unwrap();
    let b = KafkaOffsetStore::open(log(&topic, 5).await).await.unwrap();
    a.put(
        "src",
        vec![
            (file("/a"), Some(OffsetMap::new().with("position", 10i64))),
            (file("/b"), Some(OffsetMap::new().with("position", 20i64))),
        ],
    )
    .await
    .unwrap();
    let got = b.get("src", &[file("/a"), file("/b"), file("/c")]).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[&file("/a")], OffsetMap::new().with("position", 10i64));
    // A reset (tombstone) from B is seen by A.
    b.put("src", vec![(file("/a"), None)]).await.unwrap();
    assert_eq!(
        a.all("src").await.unwrap(),
        vec![(file("/b"), OffsetMap::new().with("position", 20i64))]
    );
    // A worker started later reads the same.
    let c = KafkaOffsetStore::open(log(&topic, 5).await).await.unwrap();
    assert_eq!(c.all("src").await.unwrap(), a.all("src").await.unwrap());
    assert!(c.all("other").await.unwrap().is_empty());
    // On the topic: Kafka's key and value.
    let raw = log(&topic, 5).await.read_to_end(Duration::from_secs(30)).await.unwrap();
    let r =
        raw.iter().find(|r| r.key == r#"["src",{"filename":"/b"}]"#).expect("Kafka's offset key");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(r.value.as_deref().unwrap()).unwrap(),
        json!({"position": 20})
    );
    assert!(raw.iter().any(|r| r.key == r#"["src",{"filename":"/a"}]"# && r.value.is_none()));
}

fn status(state: State, worker: &str) -> Status {
    Status { state, worker_id: worker.into(), trace: None }
}

async fn eventually(
    store: &KafkaStatusStore,
    what: &str,
    check: impl Fn(&KafkaStatusStore) -> bool,
) {
    for _ in 0..100 {
        store.catch_up().await.unwrap();
        if check(store) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} not seen within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_follow_kafkas_generation_rules_across_workers() {
    let topic = common::unique("status");
    let a: Arc<KafkaStatusStore> = KafkaStatusStore::open(log(&topic, 5).await).await.unwrap();
    let b: Arc<KafkaStatusStore> = KafkaStatusStore::open(log(&topic, 5).await).await.unwrap();
    a.set_generation(1);
    b.set_generation(2);
    a.set_connector("c", status(State::Running, "a:8083"));
    a.set_task("c", 0, status(State::Running, "a:8083"));
    eventually(&b, "a's statuses on b", |s| {
        s.task("c", 0).is_some_and(|t| t.worker_id == "a:8083") && s.connector("c").is_some()
    })
    .await;
    // The task moves to b in generation 2; a, still in generation 1, cannot overwrite it.
    b.set_task("c", 0, status(State::Running, "b:8083"));
    eventually(&a, "b's status on a", |s| s.task("c", 0).is_some_and(|t| t.worker_id == "b:8083"))
        .await;
    a.set_task("c", 0, status(State::Failed, "a:8083"));
    assert_eq!(
        a.task("c", 0).unwrap().worker_id,
        "b:8083",
        "an older generation overwrote a newer one"
    );
    // An UNASSIGNED of an older generation read from the topic does not replace RUNNING.
    let raw = log(&topic, 5).await;
    let key = StatusKey::Task(TaskId { connector: "c".into(), task: 0 }).key();
    let stale = StatusRecord {
        state: State::Unassigned,
        trace: None,
        worker_id: "a:8083".into(),
        generation: 1,
    };
    raw.send(&key, Some(&status_value(&stale))).await.unwrap();
    b.catch_up().await.unwrap();
    assert_eq!(b.task("c", 0).unwrap().state, State::Running);
    // The records: Kafka's keys and JSON, the generation each was written in.
    let records = raw.read_to_end(Duration::from_secs(30)).await.unwrap();
    let task: Vec<StatusRecord> = records
        .iter()
        .filter(|r| r.key == key)
        .map(|r| parse_status(&r.key, r.value.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(
        task.iter().map(|s| (s.worker_id.as_str(), s.generation, s.state)).collect::<Vec<_>>(),
        vec![
            ("a:8083", 1, State::Running),
            ("b:8083", 2, State::Running),
            ("a:8083", 1, State::Unassigned)
        ],
        "a's refused FAILED must not be on the topic"
    );
    // Deleting a connector tombstones its statuses.
    b.remove_connector("c");
    eventually(&a, "the deletion on a", |s| s.connector("c").is_none() && s.tasks("c").is_empty())
        .await;
}
