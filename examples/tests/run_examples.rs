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
    let mut registry = PluginRegistry::new();
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
    let status = worker.herder().status("numbers").await.unwrap();
    assert_eq!(status.connector.state, connect_runtime::status::State::Running);
    worker.shutdown().await;
}

/// The `embedded` program, run as a user runs it: it moves its records and exits 0.
#[test]
fn the_embedded_program_moves_its_records_and_stops() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_embedded"))
        .arg("250")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("moved 250 records from SequenceSource to CollectSink"), "{stdout}");
}

/// What embedding the runtime costs: this crate (connect-api, connect-runtime and the
/// example connectors) pulls in no SQL driver, Arrow/Parquet, HDFS client or Avro.
#[test]
fn the_embedding_crate_depends_on_no_connector_stack() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["tree", "-p", "examples", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    let packages: std::collections::BTreeSet<&str> =
        tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for banned in [
        "sqlx",
        "arrow-array",
        "parquet",
        "opendal",
        "hdfs-native",
        "apache-avro",
        "connect-jdbc",
        "connect-hdfs",
        "connect-avro",
        "connect-schema-registry",
    ] {
        assert!(!packages.contains(banned), "{banned} is in the tree:\n{tree}");
    }
    assert!(packages.contains("connect-runtime"), "{tree}");
    // 132 at issue 17: the REST API's TLS (rustls on ring, its PKI types, tokio-rustls),
    // encrypted PKCS#8 keys (pkcs8/pkcs5: pbkdf2, scrypt, aes, cbc) and the metrics'
    // encoder (prometheus-client) came with it; none is a connector stack.
    assert!(packages.len() < 140, "{} packages:\n{tree}", packages.len());
}
