//! `GET /metrics` on a two-worker cluster: the record counters of the tasks, wherever the
//! group put them, add up to exactly the lines written, and each worker reports its group
//! membership (`connect-worker-rebalance-metrics`) with the leader the group agreed on.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common;
use crate::harness::*;

/// One worker's `/metrics`, parsed by a Prometheus text parser.
async fn scrape(base: &str) -> Option<prometheus_parse::Scrape> {
    let resp = reqwest::get(format!("{base}/metrics")).await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let text = resp.text().await.ok()?;
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).ok()
}

fn value(v: &prometheus_parse::Value) -> f64 {
    match v {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => *v,
        _ => f64::NAN,
    }
}

/// The sum of `name` over the scrapes, for samples of `connector`.
fn sum(scrapes: &[prometheus_parse::Scrape], name: &str, connector: &str) -> f64 {
    scrapes
        .iter()
        .flat_map(|s| s.samples.iter())
        .filter(|s| s.metric == name && s.labels.get("connector") == Some(connector))
        .map(|s| value(&s.value))
        .sum()
}

fn single<'a>(s: &'a prometheus_parse::Scrape, name: &str) -> Option<&'a prometheus_parse::Sample> {
    s.samples.iter().find(|x| x.metric == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_counters_add_up_across_workers_and_each_reports_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("metrics-cluster");
    let workers = vec![start(dir.path(), &group, 0, 0), start(dir.path(), &group, 1, 0)];
    wait_for_rest(&workers).await;
    wait_for_group(&workers).await;
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    common::write_lines(&input, 0, 300);
    let topic = common::unique("metrics-cluster-lines");
    create_file_pipeline(&workers[0].base, &input, &output, &topic).await;
    wait_until(&workers, "300 lines in the sink file", async || {
        (line_count(&output) >= 300).then_some(())
    })
    .await;
    let bases: Vec<String> = workers.iter().map(|w| w.base.clone()).collect();
    let scrapes = wait_until(&workers, "every counter at 300", async || {
        let mut scrapes = Vec::new();
        for b in &bases {
            scrapes.push(scrape(b).await?);
        }
        let written =
            sum(&scrapes, "kafka_connect_source_task_metrics_source_record_write_total", "src");
        let sent = sum(&scrapes, "kafka_connect_sink_task_metrics_sink_record_send_total", "dst");
        (written == 300.0 && sent == 300.0).then_some(scrapes)
    })
    .await;
    assert_eq!(
        sum(&scrapes, "kafka_connect_source_task_metrics_source_record_poll_total", "src"),
        300.0
    );
    assert_eq!(
        sum(&scrapes, "kafka_connect_sink_task_metrics_sink_record_read_total", "dst"),
        300.0
    );
    let counts: f64 = scrapes
        .iter()
        .filter_map(|s| single(s, "kafka_connect_connect_worker_metrics_connector_count"))
        .map(|s| value(&s.value))
        .sum();
    assert_eq!(counts, 2.0, "each connector runs on one worker");

    let mut leaders = BTreeSet::new();
    for (s, base) in scrapes.iter().zip(&bases) {
        let m = |n: &str| {
            let name = format!("kafka_connect_connect_worker_rebalance_metrics_{n}");
            single(s, &name).unwrap_or_else(|| panic!("{base} has no {name}"))
        };
        assert!(value(&m("completed_rebalances_total").value) >= 1.0, "{base}");
        assert!(value(&m("epoch").value) >= 1.0, "{base}");
        assert_eq!(value(&m("rebalancing").value), 0.0, "{base}");
        assert!(value(&m("rebalance_max_time_ms").value) >= 0.0, "{base}");
        assert_eq!(
            m("connect_protocol").labels.get("connect_protocol"),
            Some("SESSIONED"),
            "{base}"
        );
        leaders.insert(m("leader_name").labels.get("leader_name").unwrap().to_string());
    }
    assert_eq!(leaders.len(), 1, "the workers name different leaders: {leaders:?}");
    let leader = leaders.into_iter().next().unwrap();
    assert!(
        bases.iter().any(|b| leader.starts_with(b.as_str())),
        "leader {leader} is none of {bases:?}"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    for w in workers {
        w.stop();
    }
}
