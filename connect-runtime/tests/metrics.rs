//! `GET /metrics` while records flow: FileStream source → real broker → FileStream sink on
//! a standalone worker, scraped over HTTP (the REST listener and a `metrics.listeners`
//! one) and read with a Prometheus text parser; the counters move by exactly the records
//! written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;

/// One scrape, parsed.
struct Scrape(prometheus_parse::Scrape);

impl Scrape {
    async fn get(url: &str) -> Scrape {
        let resp = reqwest::get(url).await.unwrap();
        assert_eq!(resp.status(), 200);
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
        let text = resp.text().await.unwrap();
        let lines = text.lines().map(|l| Ok(l.to_string()));
        Scrape(prometheus_parse::Scrape::parse(lines).unwrap())
    }

    /// The value of `name` with every label of `labels`, if exactly one sample has them.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<f64> = self
            .0
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} has {} samples", found.len());
        found.first().copied()
    }

    fn task(&self, name: &str, connector: &str) -> f64 {
        self.value(name, &[("connector", connector), ("task", "0")])
            .unwrap_or_else(|| panic!("no {name} for {connector}"))
    }
}

/// Scrapes until `check` holds, failing after `timeout` with the last scrape's values.
async fn scrape_until(url: &str, what: &str, check: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = Scrape::get(url).await;
        if check(&s) {
            return s;
        }
        if Instant::now() > deadline {
            let names: Vec<String> =
                s.0.samples
                    .iter()
                    .map(|s| format!("{}{:?}={:?}", s.metric, s.labels, s.value))
                    .collect();
            panic!("timed out waiting for {what}; last scrape:\n{}", names.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const POLL_TOTAL: &str = "kafka_connect_source_task_metrics_source_record_poll_total";
const WRITE_TOTAL: &str = "kafka_connect_source_task_metrics_source_record_write_total";
const READ_TOTAL: &str = "kafka_connect_sink_task_metrics_sink_record_read_total";
const SEND_TOTAL: &str = "kafka_connect_sink_task_metrics_sink_record_send_total";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_by_exactly_the_records_that_flow() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let topic = unique("metrics");
    let (src, sink) = (unique("msrc"), unique("msink"));
    let offsets = dir.path().join("connect.offsets");
    let worker = standalone(
        &[
            ("bootstrap.servers", &bootstrap()),
            ("offset.storage.file.filename", offsets.to_str().unwrap()),
            ("offset.flush.interval.ms", "300"),
            ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
            ("metrics.listeners", "http://127.0.0.1:0"),
        ],
        vec![
            raw(&[
                ("name", &src),
                ("connector.class", "FileStreamSource"),
                ("file", input.to_str().unwrap()),
                ("topic", &topic),
            ]),
            raw(&[
                ("name", &sink),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", &topic),
            ]),
        ],
    )
    .await;
    let rest = format!("{}/metrics", worker.rest_url());
    let side = format!("http://{}/metrics", worker.metrics_addrs()[0]);

    write_lines(&input, 0, 1000);
    wait_for(Duration::from_secs(60), "1000 lines in the sink file", || {
        line_count(&output) >= 1000
    })
    .await;
    let s = scrape_until(&rest, "1000 records on both sides", |s| {
        s.value(WRITE_TOTAL, &[("connector", &src)]) == Some(1000.0)
            && s.value(SEND_TOTAL, &[("connector", &sink)]) == Some(1000.0)
    })
    .await;
    assert_eq!(s.task(POLL_TOTAL, &src), 1000.0);
    assert_eq!(s.task(READ_TOTAL, &sink), 1000.0);
    let worker_metric = |s: &Scrape, n: &str| {
        let name = format!("kafka_connect_connect_worker_metrics_{n}");
        s.value(&name, &[]).unwrap_or_else(|| {
            let names: Vec<&str> = s.0.samples.iter().map(|s| s.metric.as_str()).collect();
            panic!("no {name} in {names:?}")
        })
    };
    assert_eq!(worker_metric(&s, "connector_count"), 2.0);
    assert_eq!(worker_metric(&s, "task_count"), 2.0);
    assert_eq!(worker_metric(&s, "connector_startup_success_total"), 2.0);
    assert_eq!(worker_metric(&s, "task_startup_attempts_total"), 2.0);
    assert_eq!(worker_metric(&s, "task_startup_failure_total"), 0.0);
    for c in [&src, &sink] {
        let running = [("connector", c.as_str()), ("status", "running")];
        assert_eq!(s.value("kafka_connect_connector_metrics_status", &running), Some(1.0), "{c}");
        let task = [("connector", c.as_str()), ("task", "0"), ("status", "running")];
        assert_eq!(s.value("kafka_connect_connector_task_metrics_status", &task), Some(1.0));
        assert_eq!(s.task("kafka_connect_task_error_metrics_total_record_failures", c), 0.0);
        let ratio = s.task("kafka_connect_connector_task_metrics_running_ratio", c);
        assert!(ratio > 0.0 && ratio <= 1.0, "running ratio of {c}: {ratio}");
        let batch = s.task("kafka_connect_connector_task_metrics_batch_size_max", c);
        assert!((1.0..=1000.0).contains(&batch), "largest batch of {c}: {batch}");
    }
    let source_type = [("connector", src.as_str()), ("connector_type", "source")];
    assert_eq!(s.value("kafka_connect_connector_metrics_connector_type", &source_type), Some(1.0));
    assert!(s.task("kafka_connect_sink_task_metrics_partition_count", &sink) >= 1.0);
    let put_avg = s.task("kafka_connect_sink_task_metrics_put_batch_avg_time_ms", &sink);
    assert!(put_avg > 0.0 && put_avg < 10_000.0, "put-batch-avg-time-ms: {put_avg}");
    // Every record polled was acknowledged: none is in flight (the count follows the
    // acknowledgements a moment later).
    let active = "kafka_connect_source_task_metrics_source_record_active_count";
    scrape_until(&rest, "no record in flight", |s| {
        s.value(active, &[("connector", &src)]) == Some(0.0)
    })
    .await;

    // 500 more: every counter moves by exactly 500, on both listeners.
    write_lines(&input, 1000, 500);
    let s = scrape_until(&side, "1500 records on both sides", |s| {
        s.value(WRITE_TOTAL, &[("connector", &src)]) == Some(1500.0)
            && s.value(SEND_TOTAL, &[("connector", &sink)]) == Some(1500.0)
    })
    .await;
    assert_eq!(s.task(POLL_TOTAL, &src), 1500.0);
    assert_eq!(s.task(READ_TOTAL, &sink), 1500.0);
    assert_eq!(line_count(&output), 1500);
    // Offsets were committed on both sides meanwhile.
    scrape_until(&rest, "sink offset commits", |s| {
        s.value(
            "kafka_connect_sink_task_metrics_offset_commit_completion_total",
            &[("connector", &sink)],
        )
        .is_some_and(|v| v >= 1.0)
    })
    .await;
    let success = "kafka_connect_connector_task_metrics_offset_commit_success_percentage";
    let s = scrape_until(&rest, "a source offset commit", |s| {
        s.value(success, &[("connector", &src)]) == Some(1.0)
    })
    .await;
    let commit_max = s.task("kafka_connect_connector_task_metrics_offset_commit_max_time_ms", &src);
    assert!(commit_max > 0.0, "offset-commit-max-time-ms: {commit_max}");

    // Paused, the sink's task says so and its pause ratio grows.
    let http = reqwest::Client::new();
    let r =
        http.put(format!("{}/connectors/{sink}/pause", worker.rest_url())).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let s = scrape_until(&rest, "the paused sink task", |s| {
        let paused = [("connector", sink.as_str()), ("task", "0"), ("status", "paused")];
        s.value("kafka_connect_connector_task_metrics_status", &paused) == Some(1.0)
            && s.task("kafka_connect_connector_task_metrics_pause_ratio", &sink) > 0.0
    })
    .await;
    let paused = [("connector", sink.as_str()), ("status", "paused")];
    assert_eq!(s.value("kafka_connect_connector_metrics_status", &paused), Some(1.0));

    // A deleted connector's metrics go with it.
    let r = http.delete(format!("{}/connectors/{src}", worker.rest_url())).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let s = scrape_until(&rest, "the deleted source gone", |s| {
        s.value(POLL_TOTAL, &[("connector", &src)]).is_none()
    })
    .await;
    assert_eq!(worker_metric(&s, "connector_count"), 1.0);
    assert_eq!(worker_metric(&s, "task_count"), 1.0);
    worker.shutdown().await;
}
