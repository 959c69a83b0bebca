//! KIP-980 and config providers on a cluster (two workers on `connect-mock-broker`): a
//! connector created STOPPED or PAUSED through either worker stays so until resumed, and
//! a source whose `file` is a `${file:…}` variable moves data while the config topic,
//! and so every worker's REST answers, keep the variable.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common;
use crate::harness::*;
use crate::outage::MockBroker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_stopped_or_paused_and_variables_stay_unresolved() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("created");
    let topic = format!("{group}-lines");
    let broker = MockBroker::start(
        dir.path(),
        &[
            format!("{group}-configs:1"),
            format!("{group}-offsets:5"),
            format!("{group}-status:3"),
            topic.clone(),
        ],
    );
    let secrets = dir.path().join("secrets.properties");
    let input = dir.path().join("in-resolved-secret.txt");
    let output = dir.path().join("out.txt");
    std::fs::write(&secrets, format!("path={}\n", input.display())).unwrap();
    common::write_lines(&input, 0, 5);
    let providers = "config.providers=file\nconfig.providers.file.class=FileConfigProvider\n";
    let workers: Vec<Worker> =
        (0..2).map(|n| start_on(&broker.bootstrap, dir.path(), &group, n, 0, providers)).collect();
    wait_for_rest(&workers).await;
    wait_for_group(&workers).await;
    let var = format!("${{file:{}:path}}", secrets.display());
    let create = |w: usize, name: &str, config: Value, state: &str| {
        let url = format!("{}/connectors", workers[w].base);
        let body = json!({"name": name, "config": config, "initial_state": state});
        async move { call(Method::POST, url, Some(body)).await }
    };
    let state_of = |name: &str| {
        let url = format!("{}/connectors/{name}/status", workers[0].base);
        async move { call(Method::GET, url, None).await.1 }
    };

    // Created through each worker (one of them forwards to the leader).
    let source = json!({"connector.class": "FileStreamSource", "file": var, "topic": topic});
    let (code, body) = create(1, "src", source, "STOPPED").await;
    assert_eq!(code, 201, "{body}");
    let sink = json!({"connector.class": "FileStreamSink", "file": output.to_str().unwrap(),
        "topics": topic});
    let (code, body) = create(0, "dst", sink, "paused").await;
    assert_eq!(code, 201, "{body}");
    wait_until(&workers, "src STOPPED and dst PAUSED", async || {
        let (s, d) = (state_of("src").await, state_of("dst").await);
        (s["connector"]["state"] == "STOPPED"
            && s["tasks"] == json!([])
            && d["connector"]["state"] == "PAUSED"
            && d["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "PAUSED")))
        .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(line_count(&output), 0, "a stopped source or a paused sink moved data");

    for (name, verb) in [("src", "resume"), ("dst", "resume")] {
        let (code, body) =
            call(Method::PUT, format!("{}/connectors/{name}/{verb}", workers[0].base), None).await;
        assert_eq!(code, 202, "{body}");
    }
    wait_until(&workers, "the 5 lines through", async || (line_count(&output) >= 5).then_some(()))
        .await;
    for w in &workers {
        for path in ["/connectors/src/config", "/connectors/src/tasks"] {
            let (code, body) = call(Method::GET, format!("{}{path}", w.base), None).await;
            assert_eq!(code, 200, "{body}");
            let text = body.to_string();
            assert!(
                text.contains("${file:") && !text.contains("resolved-secret"),
                "{path}: {text}"
            );
        }
    }
}
