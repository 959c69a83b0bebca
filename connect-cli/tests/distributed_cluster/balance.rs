//! Scenarios 1, 6 and 8: work spread evenly; a whole cluster stopped and started again
//! (PAUSED and STOPPED connectors and offsets back from the topics); those topics read raw.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::common;
use crate::harness::*;

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

    // A file source reads 100 lines, then is stopped (KIP-875): its offset is the input's
    // length in bytes, and stays readable.
    let input = dir.path().join("input.txt");
    common::write_lines(&input, 0, 100);
    let input_len = std::fs::metadata(&input).unwrap().len();
    let src_topic = format!("{group}-src");
    let (code, body) = call(
        reqwest::Method::POST,
        format!("{}/connectors", workers[1].base),
        Some(json!({"name": "src", "config": {"connector.class": "FileStreamSource",
            "file": input.to_str().unwrap(), "topic": src_topic}})),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let offsets_url = |base: &str| format!("{base}/connectors/src/offsets");
    let want_offsets = json!({"offsets": [{"partition": {"filename": input.to_str().unwrap()},
        "offset": {"position": input_len}}]});
    wait_until(&workers, "src's offset at the end of its input", async || {
        let (_, v) = call(reqwest::Method::GET, offsets_url(&workers[0].base), None).await;
        (v == want_offsets).then_some(())
    })
    .await;
    let (code, _) =
        call(reqwest::Method::PUT, format!("{}/connectors/src/stop", workers[0].base), None).await;
    assert_eq!(code, 204, "stop answers No Content, as Kafka's");
    wait_until(&workers, "src STOPPED with no tasks", async || {
        let (_, v) =
            call(reqwest::Method::GET, format!("{}/connectors/src/status", workers[2].base), None)
                .await;
        (v["connector"]["state"] == "STOPPED" && v["tasks"] == json!([])).then_some(())
    })
    .await;

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
        if code != 200 || list.as_array()?.len() != 5 {
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
    let (_, src) =
        call(reqwest::Method::GET, format!("{}/connectors/src/status", workers[0].base), None)
            .await;
    assert_eq!((&src["connector"]["state"], &src["tasks"]), (&json!("STOPPED"), &json!([])));
    let (_, offsets) = call(reqwest::Method::GET, offsets_url(&workers[2].base), None).await;
    assert_eq!(offsets, want_offsets, "src's offsets after the restart");
    internal_topics_in_kafkas_formats(&group, &src_topic, &input);
    for w in workers {
        w.stop();
    }
}

/// Scenario 8: the cluster's internal topics, read raw, hold the keys and JSON values
/// Kafka documents for its config, status and offsets topics (`KafkaConfigBackingStore`,
/// `KafkaStatusBackingStore`, `KafkaOffsetBackingStore`; JsonConverter, schemas off).
fn internal_topics_in_kafkas_formats(group: &str, src_topic: &str, input: &std::path::Path) {
    let last = |records: &[(String, Option<Value>)], key: &str| -> Value {
        let found = records.iter().rev().find(|(k, _)| k == key);
        found.and_then(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no record {key}"))
    };
    let configs = read_raw(&format!("{group}-configs"));
    let c = last(&configs, "connector-sink-0");
    assert_eq!(c["properties"]["connector.class"], "FileStreamSink", "{c}");
    assert_eq!(c["properties"]["topics"], format!("{group}-in-0"), "{c}");
    for n in 0..4 {
        let t = last(&configs, &format!("task-sink-0-{n}"));
        assert_eq!(t["properties"]["topics"], format!("{group}-in-0"), "{t}");
        assert!(t["properties"]["task.class"].is_string(), "{t}");
    }
    assert_eq!(last(&configs, "commit-sink-0"), json!({"tasks": 4}));
    assert_eq!(
        last(&configs, "target-state-sink-1"),
        json!({"state": "PAUSED", "state.v2": "PAUSED"})
    );
    // Older workers know no STOPPED: `state` says PAUSED to them, `state.v2` the truth.
    assert_eq!(
        last(&configs, "target-state-src"),
        json!({"state": "PAUSED", "state.v2": "STOPPED"})
    );
    let key = last(&configs, "session-key");
    assert_eq!(key["algorithm"], "HmacSHA256", "{key}");
    assert!(key["key"].is_string() && key["creation-timestamp"].is_i64(), "{key}");

    let statuses = read_raw(&format!("{group}-status"));
    for k in ["status-connector-sink-0", "status-task-sink-0-0", "status-connector-sink-1"] {
        let s = last(&statuses, k);
        let fields: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["generation", "state", "trace", "worker_id"], "{k}: {s}");
        assert!(s["generation"].is_i64() && s["trace"].is_null(), "{k}: {s}");
        assert!(s["worker_id"].as_str().unwrap().starts_with("127.0.0.1:"), "{k}: {s}");
    }
    assert_eq!(last(&statuses, "status-connector-sink-1")["state"], "PAUSED");
    let topic = last(&statuses, &format!("status-topic-{src_topic}:connector-src"));
    assert_eq!(
        (&topic["topic"]["name"], &topic["topic"]["connector"], &topic["topic"]["task"]),
        (&json!(src_topic), &json!("src"), &json!(0)),
        "{topic}"
    );
    assert!(topic["topic"]["discoverTimestamp"].is_i64(), "{topic}");

    let offsets = read_raw(&format!("{group}-offsets"));
    let key = json!(["src", {"filename": input.to_str().unwrap()}]).to_string();
    let written = offsets
        .iter()
        .rev()
        .find(|(k, _)| serde_json::from_str::<Value>(k).ok() == serde_json::from_str(&key).ok());
    let value =
        written.and_then(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no offset under {key}"));
    assert_eq!(value, json!({"position": std::fs::metadata(input).unwrap().len()}));
}
