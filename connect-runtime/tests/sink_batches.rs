//! `consumer.override.max.poll.records` bounds the batches a sink task gets, end to end
//! through a standalone worker on the embedded broker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::record::SinkRecord;
use connect_api::{Result, SinkTask};
use connect_runtime::standalone::{Standalone, StandaloneOptions};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// The batch sizes one sink task saw.
type Sizes = Arc<Mutex<Vec<usize>>>;

/// Batch sizes seen by each test's sink, by the `sizes` key of its config.
fn sizes() -> &'static Mutex<HashMap<String, Sizes>> {
    static S: OnceLock<Mutex<HashMap<String, Sizes>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

#[derive(Default)]
struct BatchSizesTask(Option<Sizes>);

#[async_trait]
impl SinkTask for BatchSizesTask {
    async fn start(&mut self, _: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.0 = sizes().lock().unwrap().get(&config["sizes"]).cloned();
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        if let Some(s) = &self.0
            && !records.is_empty()
        {
            s.lock().unwrap().push(records.len());
        }
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_poll_records_bounds_every_put() {
    const RECORDS: usize = 300;
    const MAX: usize = 7;
    let key = unique("sizes");
    let seen: Sizes = Arc::default();
    sizes().lock().unwrap().insert(key.clone(), seen.clone());
    let mut registry = common::registry();
    registry
        .register([common::sinks::sink_plugin("test.BatchSizes", || {
            Box::new(BatchSizesTask::default())
        })])
        .unwrap();
    let worker = Standalone::start(
        StandaloneOptions {
            worker_config: raw(&[("listeners", "http://127.0.0.1:0")]),
            connectors: vec![],
        },
        registry,
    )
    .await
    .unwrap();
    let w = worker.herder().clone();
    let topic = unique("batches");
    w.worker().kafka().create_topic(&topic, 1).await.unwrap();
    // Every record is in the topic before the sink starts, so without the limit the
    // consumer would hand over far more than MAX at once.
    let bootstrap = w.worker().kafka().bootstrap_servers().to_string();
    let t = topic.clone();
    tokio::task::spawn_blocking(move || {
        let p: BaseProducer =
            rdkafka::ClientConfig::new().set("bootstrap.servers", &bootstrap).create().unwrap();
        for i in 0..RECORDS {
            let v = i.to_string();
            p.send(BaseRecord::<(), str>::to(&t).payload(v.as_str())).unwrap();
        }
        p.flush(Duration::from_secs(30)).unwrap();
    })
    .await
    .unwrap();
    let config = raw(&[
        ("connector.class", "test.BatchSizes"),
        ("topics", &topic),
        ("tasks.max", "1"),
        ("sizes", &key),
        ("consumer.override.max.poll.records", &MAX.to_string()),
        ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
    ]);
    w.put_connector("batches", config, true).await.unwrap();
    wait_for(Duration::from_secs(60), "every record put", || {
        seen.lock().unwrap().iter().sum::<usize>() >= RECORDS
    })
    .await;
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.iter().sum::<usize>(), RECORDS, "batches {got:?}");
    assert!(got.iter().all(|n| *n <= MAX), "a batch over max.poll.records={MAX}: {got:?}");
    assert!(got.contains(&MAX), "no batch was full, so the limit was never exercised: {got:?}");
    worker.shutdown().await;
}
