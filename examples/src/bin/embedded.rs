//! `cargo run -p examples --bin embedded [-- COUNT]`: a program that embeds the runtime
//! with only its own connectors and the JSON converter. It starts a standalone worker
//! in-process on the embedded broker (no Kafka to install), has `SequenceSource` write
//! COUNT numbers (default 100) to a topic and `CollectSink` append them to a file, waits
//! until all arrived, stops the worker and prints what moved.
//!
//! Its crate depends on `connect-api` and `connect-runtime` only: no SQL drivers, no
//! Arrow/Parquet, no HDFS client, no Avro (`cargo tree -p examples -e normal`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_api::plugin::PluginDescriptor;
use connect_runtime::PluginRegistry;
use connect_runtime::converters::{JSON_CONVERTER_CLASS, JsonConverter};
use connect_runtime::standalone::{Standalone, StandaloneOptions};

fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// This program's plugins: its two connectors and the JSON converter, nothing else.
fn plugins() -> connect_api::Result<PluginRegistry> {
    let mut registry = PluginRegistry::empty();
    registry.register(examples::plugins())?;
    registry.register([
        PluginDescriptor::converter(JSON_CONVERTER_CLASS, "1", || Box::new(JsonConverter::new())),
        PluginDescriptor::header_converter(JSON_CONVERTER_CLASS, "1", || {
            Box::new(JsonConverter::new())
        }),
    ])?;
    Ok(registry)
}

async fn run(count: u64) -> connect_api::Result<()> {
    let dir = std::env::temp_dir().join(format!("embedded-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("collected.txt");
    let options = StandaloneOptions {
        // No bootstrap.servers: the worker starts librdkafka's mock cluster in-process.
        worker_config: raw(&[
            ("listeners", "http://127.0.0.1:0"),
            ("offset.flush.interval.ms", "200"),
            ("header.converter", JSON_CONVERTER_CLASS),
        ]),
        connectors: vec![
            raw(&[
                ("name", "numbers"),
                ("connector.class", "SequenceSource"),
                ("topic", "numbers"),
                ("count", &count.to_string()),
            ]),
            raw(&[
                ("name", "collect"),
                ("connector.class", "CollectSink"),
                ("topics", "numbers"),
                ("path", &out.display().to_string()),
            ]),
        ],
    };
    let worker = Standalone::start(options, plugins()?).await?;
    println!("worker started; REST on {}", worker.rest_url());
    let t0 = Instant::now();
    let lines = || std::fs::read_to_string(&out).map_or(0, |s| s.lines().count() as u64);
    while lines() < count && t0.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let moved = lines();
    worker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    if moved != count {
        return Err(connect_api::ConnectError::fatal(format!(
            "only {moved} of {count} records arrived within 60 s"
        )));
    }
    println!("moved {moved} records from SequenceSource to CollectSink; worker stopped");
    Ok(())
}

fn main() -> ExitCode {
    connect_runtime::logging::init("warn");
    let count = match std::env::args().nth(1).map(|a| a.parse::<u64>()) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: embedded [COUNT]  (COUNT: records to move, > 0)");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(count)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.trace());
            ExitCode::FAILURE
        }
    }
}
