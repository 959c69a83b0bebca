//! The example connectors, registered with a real runtime and run end to end through the
//! embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_runtime::PluginRegistry;
use connect_runtime::standalone::{Standalone, StandaloneOptions};

fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequence_source_feeds_collect_sink_through_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("collected.txt");
    let mut registry = PluginRegistry::with_reference_connectors();
    registry.register(examples::plugins()).unwrap();
    let options = StandaloneOptions {
        worker_config: raw(&[
            ("listeners", "http://127.0.0.1:0"),
            ("offset.flush.interval.ms", "200"),
        ]),
        connectors: vec![
            raw(&[
                ("name", "numbers"),
                ("connector.class", "SequenceSource"),
                ("topic", "numbers"),
                ("count", "50"),
            ]),
            raw(&[
                ("name", "collect"),
                ("connector.class", "CollectSink"),
                ("topics", "numbers"),
                ("path", out.to_str().unwrap()),
            ]),
        ],
    };
    let worker = Standalone::start(options, registry).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let expected: Vec<String> = (0..50).map(|n| format!("{n}i64")).collect();
    loop {
        let got: Vec<String> =
            std::fs::read_to_string(&out).unwrap_or_default().lines().map(str::to_string).collect();
        if got == expected {
            break;
        }
        assert!(Instant::now() < deadline, "collected {} of 50 numbers: {got:?}", got.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = worker.worker().status("numbers").await.unwrap();
    assert_eq!(status.connector.state, connect_runtime::status::State::Running);
    worker.shutdown().await;
}
