//! A cluster behind TLS and basic authentication: two workers with https listeners that
//! require client certificates and Kafka's basic authentication extension. A connector
//! created through the follower reaches the leader over TLS (the follower presenting its
//! keystore, and the caller's credentials forwarded) and runs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use crate::harness::{Worker, free_port, leader_of, wait_for_group, wait_until};
use crate::pki::{self, Pki};

const USER: &str = "operator";
const PASSWORD: &str = "cluster-Secret-42";

fn start_secured(dir: &Path, group: &str, n: usize, worker_tls: &str, auth: &str) -> Worker {
    let port = free_port();
    let props = dir.join(format!("worker-{n}.properties"));
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nlisteners=https://127.0.0.1:{port}\ngroup.id={group}\n\
             config.storage.topic={group}-configs\noffset.storage.topic={group}-offsets\n\
             status.storage.topic={group}-status\nconfig.storage.replication.factor=1\n\
             offset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n\
             offset.storage.partitions=5\nstatus.storage.partitions=3\n\
             heartbeat.interval.ms=1000\nsession.timeout.ms=6000\n\
             scheduled.rebalance.max.delay.ms=10000\noffset.flush.interval.ms=1000\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n{worker_tls}{auth}",
            common::bootstrap()
        ),
    )
    .unwrap();
    let log = dir.join(format!("worker-{n}-run-0.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_connect-distributed"))
        .arg(&props)
        .env_remove("KAFKA_OPTS")
        .env("RUST_LOG", "debug,rdkafka=warn,hyper=info,h2=info,rustls=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Worker { child, base: format!("https://127.0.0.1:{port}"), log }
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.timeout(Duration::from_secs(60)).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_created_through_the_follower_runs_over_tls_with_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new("cluster CA");
    let keystore = pki::write(dir.path(), "worker.pem", &pki.worker().combined());
    let truststore = pki::write(dir.path(), "ca.pem", &pki.ca_pem);
    let tls = format!(
        "listeners.https.ssl.keystore.type=PEM\nlisteners.https.ssl.keystore.location={}\n\
         listeners.https.ssl.truststore.type=PEM\nlisteners.https.ssl.truststore.location={}\n\
         listeners.https.ssl.client.auth=required\n",
        keystore.display(),
        truststore.display()
    );
    let creds = pki::write(dir.path(), "credentials.properties", &format!("{USER}: {PASSWORD}\n"));
    let jaas = pki::write(
        dir.path(),
        "jaas.conf",
        &format!(
            "KafkaConnect {{ org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file=\"{}\"; }};",
            creds.display()
        ),
    );
    let auth = format!(
        "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension\n\
         rest.basic.auth.jaas.config={}\n",
        jaas.display()
    );
    let group = common::unique("secured");
    let workers: Vec<Worker> =
        (0..2).map(|n| start_secured(dir.path(), &group, n, &tls, &auth)).collect();
    let client = pki::client_builder()
        .add_root_certificate(pki.root())
        .identity(pki.client("operator").identity())
        .build()
        .unwrap();
    for w in &workers {
        let url = format!("{}/", w.base);
        wait_until(&workers, &format!("{url} over TLS"), async || {
            let r = client.get(&url).basic_auth(USER, Some(PASSWORD)).send().await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
    }
    wait_for_group(&workers).await;
    let leader = wait_until(&workers, "a leader", async || leader_of(&workers)).await;
    let follower = &workers[1 - leader];

    // The follower's own check: no credentials, no entry.
    let (code, body) = send(client.get(format!("{}/connectors", follower.base))).await;
    assert_eq!(code, 401, "{body}");

    let input = dir.path().join("input.txt");
    common::write_lines(&input, 0, 10);
    let name = "secured-src";
    let create = json!({"name": name, "config": {
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": common::unique("secured-topic"),
    }});
    let (code, body) = send(
        client
            .post(format!("{}/connectors", follower.base))
            .basic_auth(USER, Some(PASSWORD))
            .json(&create),
    )
    .await;
    assert_eq!(code, 201, "creating through the follower: {body}");
    for w in &workers {
        let status_url = format!("{}/connectors/{name}/status", w.base);
        wait_until(&workers, &format!("{name} RUNNING seen from {}", w.base), async || {
            let (code, v) = send(client.get(&status_url).basic_auth(USER, Some(PASSWORD))).await;
            (code == 200
                && v["connector"]["state"] == "RUNNING"
                && v["tasks"][0]["state"] == "RUNNING")
                .then_some(())
        })
        .await;
    }

    // The internal task-config endpoint is not behind basic authentication: an unsigned
    // request meets the signature check instead.
    let (code, body) = send(
        client.post(format!("{}/connectors/{name}/tasks", workers[leader].base)).json(&json!([{}])),
    )
    .await;
    assert_ne!(code, 401, "{body}");
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().starts_with("Internal request missing"),
        "{body}"
    );

    for w in &workers {
        let log = std::fs::read_to_string(&w.log).unwrap_or_default();
        assert!(!log.contains(PASSWORD), "{} logged the password", w.base);
    }
}
