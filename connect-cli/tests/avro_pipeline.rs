//! file source → AvroConverter (Confluent wire format, our schema registry) → Kafka →
//! AvroConverter → file sink, configured with the worker keys Confluent's quickstart uses
//! (`key.converter.schema.registry.url`, `value.converter.schema.registry.url`). Real broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The runtime's test helpers, shared rather than copied.
#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::*;
use connect_schema_registry::RegistryServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_to_avro_topic_to_file_through_the_schema_registry() {
    let registry = RegistryServer::start_in_memory("127.0.0.1:0").await.unwrap();
    let url = registry.url();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_lines(&input, 0, 2_000);
    let topic = unique("avro");
    let worker = standalone_with(
        connect_cli::registry().unwrap(),
        &[
            ("bootstrap.servers", &bootstrap()),
            ("offset.flush.interval.ms", "300"),
            ("key.converter", "io.confluent.connect.avro.AvroConverter"),
            ("key.converter.schema.registry.url", &url),
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", &url),
        ],
        vec![
            raw(&[
                ("name", &unique("src")),
                ("connector.class", "FileStreamSource"),
                ("file", input.to_str().unwrap()),
                ("topic", &topic),
            ]),
            raw(&[
                ("name", &unique("sink")),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", &topic),
            ]),
        ],
    )
    .await;
    wait_for(Duration::from_secs(120), "2000 lines in the sink file", || {
        line_count(&output) >= 2_000
    })
    .await;
    worker.shutdown().await;
    assert_eq!(std::fs::read(&input).unwrap(), std::fs::read(&output).unwrap());
    // The value schema was registered under Confluent's default subject name.
    let subjects: Vec<String> =
        reqwest::get(format!("{url}/subjects")).await.unwrap().json().await.unwrap();
    assert!(subjects.contains(&format!("{topic}-value")), "subjects: {subjects:?}");
    let latest: serde_json::Value =
        reqwest::get(format!("{url}/subjects/{topic}-value/versions/latest"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(latest["schema"], "\"string\"", "{latest}");
    registry.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_with_an_embedded_schema_registry_keeps_it_in_the_schemas_topic() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    write_lines(&input, 0, 100);
    let topic = unique("avro-embedded");
    let schemas_topic = unique("schemas");
    let worker = standalone_with(
        connect_cli::registry().unwrap(),
        &[
            ("bootstrap.servers", &bootstrap()),
            ("offset.flush.interval.ms", "300"),
            ("schema.registry.listeners", &url),
            ("schema.registry.topic", &schemas_topic),
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", &url),
        ],
        vec![
            raw(&[
                ("name", &unique("src")),
                ("connector.class", "FileStreamSource"),
                ("file", input.to_str().unwrap()),
                ("topic", &topic),
            ]),
            raw(&[
                ("name", &unique("sink")),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", &topic),
            ]),
        ],
    )
    .await;
    assert_eq!(worker.service_url("schema-registry").as_deref(), Some(url.as_str()));
    wait_for(Duration::from_secs(120), "100 lines in the sink file", || line_count(&output) >= 100)
        .await;
    let id: serde_json::Value =
        reqwest::get(format!("{url}/subjects/{topic}-value/versions/latest"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    worker.shutdown().await;
    assert_eq!(std::fs::read(&input).unwrap(), std::fs::read(&output).unwrap());
    // A second worker on the same topic serves the same schema under the same id.
    let again = standalone_with(
        connect_cli::registry().unwrap(),
        &[
            ("bootstrap.servers", &bootstrap()),
            ("schema.registry.listeners", &url),
            ("schema.registry.topic", &schemas_topic),
        ],
        vec![],
    )
    .await;
    let after: serde_json::Value =
        reqwest::get(format!("{url}/subjects/{topic}-value/versions/latest"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(after["id"], id["id"]);
    assert_eq!(after["version"], id["version"]);
    again.shutdown().await;
}
