//! One scrape of a worker's metrics as Prometheus (OpenMetrics) text.
//!
//! Names follow Prometheus' JMX exporter run over a Java worker with its default rules:
//! `kafka.connect:type=<group>,connector=<c>,task=<t>` attribute `<attr>` becomes
//! `kafka_connect_<group>_<attr>{connector="<c>",task="<t>"}` with `-` made `_`. Kafka's
//! cumulative `*-total` attributes are counters; everything else is a gauge. String
//! attributes (`status`, `connector-type`, `connector-class`, `connector-version`, the
//! rebalance `leader-name`) become a gauge of 1 with the value as a label named after the
//! attribute, as the usual exporter rule for Kafka Connect's `status` does:
//! `kafka_connect_connector_metrics_status{connector="c",status="running"} 1`.

use std::time::Instant;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::window::View;
use super::{Count, Max, TaskKind, WorkerMetrics};
use crate::errors::ErrorCounts;
use crate::task::TaskId;

/// What a scrape shows of one connector running here.
#[derive(Debug, Clone)]
pub struct ConnectorFacts {
    /// Its name.
    pub name: String,
    /// Its state, lower case (`running`, `paused`, `failed`, …), when known.
    pub status: Option<String>,
    /// `source` or `sink`, when known.
    pub kind: Option<&'static str>,
    /// Its `connector.class`.
    pub class: String,
    /// Its plugin's version.
    pub version: String,
    /// Whether the connector itself runs here (not only some of its tasks).
    pub here: bool,
    /// How many of its tasks are in each state, by lower-case state name.
    pub task_states: Vec<(String, u64)>,
}

/// What a scrape shows of one task running here, besides its counters.
#[derive(Debug, Clone)]
pub struct TaskFacts {
    /// The task.
    pub id: TaskId,
    /// Its state, lower case, when known.
    pub status: Option<String>,
    /// Its error counters.
    pub errors: ErrorCounts,
}

/// A distributed worker's group membership (`connect-worker-rebalance-metrics`).
#[derive(Debug, Clone, Default)]
pub struct RebalanceFacts {
    /// `connect-protocol`.
    pub protocol: String,
    /// `leader-name`: the leader's URL.
    pub leader: String,
    /// `epoch`: the group generation.
    pub epoch: i64,
    /// `completed-rebalances-total`.
    pub completed: u64,
    /// `rebalancing`: 1 while a rebalance is under way.
    pub rebalancing: bool,
    /// `rebalance-avg-time-ms` (NaN before the first).
    pub avg_ms: f64,
    /// `rebalance-max-time-ms` (NaN before the first).
    pub max_ms: f64,
    /// `time-since-last-rebalance-ms` (NaN before the first).
    pub since_last_ms: f64,
}

/// Everything one scrape reports.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The connectors with a connector instance or a task here.
    pub connectors: Vec<ConnectorFacts>,
    /// The tasks running here.
    pub tasks: Vec<TaskFacts>,
    /// Group membership, in distributed mode.
    pub rebalance: Option<RebalanceFacts>,
}

/// Which of Kafka's metric groups (MBean `type`s) a metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Worker,
    Rebalance,
    Connector,
    Task,
    Source,
    Sink,
    Errors,
}

impl Group {
    fn name(self) -> &'static str {
        match self {
            Group::Worker => "connect-worker-metrics",
            Group::Rebalance => "connect-worker-rebalance-metrics",
            Group::Connector => "connector-metrics",
            Group::Task => "connector-task-metrics",
            Group::Source => "source-task-metrics",
            Group::Sink => "sink-task-metrics",
            Group::Errors => "task-error-metrics",
        }
    }
}

type Labels = Vec<(String, String)>;

/// One metric family and its samples.
#[derive(Debug)]
struct Family {
    /// The name without `_total` for counters (the encoder adds it).
    name: String,
    help: &'static str,
    counter: bool,
    samples: Vec<(Labels, f64)>,
}

/// The families of one scrape, in the order they were first given.
#[derive(Debug, Default)]
struct Families(Vec<Family>);

impl Families {
    fn add(&mut self, group: Group, attr: &str, help: &'static str, labels: Labels, value: f64) {
        // prometheus-client writes label values as given: escape them as the text format
        // wants (a connector name may hold any character).
        let labels = labels.into_iter().map(|(k, v)| (k, escape(&v))).collect();
        let full = format!("kafka_connect_{}_{}", group.name(), attr).replace(['-', '.'], "_");
        let counter = attr.ends_with("-total");
        let name = if counter { full.trim_end_matches("_total").to_string() } else { full };
        match self.0.iter_mut().find(|f| f.name == name) {
            Some(f) => f.samples.push((labels, value)),
            None => self.0.push(Family { name, help, counter, samples: vec![(labels, value)] }),
        }
    }
}

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in &self.0 {
            let kind = if f.counter { MetricType::Counter } else { MetricType::Gauge };
            let mut family = encoder.encode_descriptor(&f.name, f.help, None, kind)?;
            match f.samples.as_slice() {
                // A metric without labels is written as `name value`, not `name{} value`.
                [(labels, value)] if labels.is_empty() => encode(f.counter, *value, family)?,
                samples => {
                    for (labels, value) in samples {
                        encode(f.counter, *value, family.encode_family(labels)?)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A label value in the text format: backslash, double quote and line feed escaped.
fn escape(value: &str) -> String {
    if !value.contains(['\\', '"', '\n']) {
        return value.to_string();
    }
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Writes one sample of a counter or a gauge.
fn encode(counter: bool, value: f64, sample: MetricEncoder) -> Result<(), std::fmt::Error> {
    match counter {
        true => ConstCounter::new(value).encode(sample),
        false => ConstGauge::new(value).encode(sample),
    }
}

fn connector_labels(name: &str) -> Labels {
    vec![("connector".to_string(), name.to_string())]
}

fn task_labels(id: &TaskId) -> Labels {
    vec![("connector".to_string(), id.connector.clone()), ("task".to_string(), id.task.to_string())]
}

fn with(mut labels: Labels, key: &str, value: &str) -> Labels {
    labels.push((key.to_string(), value.to_string()));
    labels
}

impl WorkerMetrics {
    /// Renders the worker's metrics, given what only the worker knows (statuses,
    /// connectors, error counters) as it was at `since`, as OpenMetrics text.
    pub fn render(&self, facts: &Facts, since: Instant) -> String {
        let here: Vec<TaskId> = facts.tasks.iter().map(|t| t.id.clone()).collect();
        let views = self.task_views(&here, since);
        let mut f = Families::default();
        self.worker_families(&mut f, facts);
        if let Some(r) = &facts.rebalance {
            rebalance_families(&mut f, r);
        }
        for c in &facts.connectors {
            connector_families(&mut f, c);
        }
        for t in &facts.tasks {
            let view = views.iter().find(|(id, _, _)| *id == t.id);
            task_families(&mut f, t, view.map(|(_, kind, v)| (*kind, v)));
        }
        let mut registry = Registry::default();
        registry.register_collector(Box::new(f));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }

    fn worker_families(&self, f: &mut Families, facts: &Facts) {
        let w = Group::Worker;
        let here = facts.connectors.iter().filter(|c| c.here).count();
        f.add(
            w,
            "connector-count",
            "The number of connectors run in this worker.",
            vec![],
            here as f64,
        );
        f.add(
            w,
            "task-count",
            "The number of tasks run in this worker.",
            vec![],
            facts.tasks.len() as f64,
        );
        for (what, startups) in
            [("connector", &self.connector_startups), ("task", &self.task_startups)]
        {
            let (attempts, ok, failed) = startups.read();
            let share = |n: u64| if attempts == 0 { 0.0 } else { n as f64 / attempts as f64 };
            let name = |s: &str| format!("{what}-startup-{s}");
            f.add(
                w,
                &name("attempts-total"),
                "The total number of startups that this worker has attempted.",
                vec![],
                attempts as f64,
            );
            f.add(
                w,
                &name("success-total"),
                "The total number of starts that succeeded.",
                vec![],
                ok as f64,
            );
            f.add(
                w,
                &name("failure-total"),
                "The total number of starts that failed.",
                vec![],
                failed as f64,
            );
            f.add(
                w,
                &name("success-percentage"),
                "The fraction of this worker's starts that succeeded.",
                vec![],
                share(ok),
            );
            f.add(
                w,
                &name("failure-percentage"),
                "The fraction of this worker's starts that failed.",
                vec![],
                share(failed),
            );
        }
        for c in &facts.connectors {
            let count = |state: &str| {
                c.task_states.iter().filter(|(s, _)| s == state).map(|(_, n)| *n).sum::<u64>()
                    as f64
            };
            let total: u64 = c.task_states.iter().map(|(_, n)| n).sum();
            let l = || connector_labels(&c.name);
            f.add(
                w,
                "connector-total-task-count",
                "The number of tasks of the connector on the worker.",
                l(),
                total as f64,
            );
            for state in ["running", "paused", "failed", "unassigned", "destroyed", "restarting"] {
                let attr = format!("connector-{state}-task-count");
                f.add(
                    w,
                    &attr,
                    "The number of tasks of the connector on the worker in this state.",
                    l(),
                    count(state),
                );
            }
        }
    }
}

fn rebalance_families(f: &mut Families, r: &RebalanceFacts) {
    let g = Group::Rebalance;
    f.add(
        g,
        "connect-protocol",
        "The Connect protocol used by this cluster.",
        vec![("connect_protocol".into(), r.protocol.clone())],
        1.0,
    );
    f.add(
        g,
        "leader-name",
        "The name of the group leader.",
        vec![("leader_name".into(), r.leader.clone())],
        1.0,
    );
    f.add(g, "epoch", "The epoch or generation number of this worker.", vec![], r.epoch as f64);
    f.add(
        g,
        "completed-rebalances-total",
        "The total number of rebalances completed by this worker.",
        vec![],
        r.completed as f64,
    );
    f.add(
        g,
        "rebalancing",
        "Whether this worker is currently rebalancing.",
        vec![],
        if r.rebalancing { 1.0 } else { 0.0 },
    );
    f.add(
        g,
        "rebalance-max-time-ms",
        "The maximum time in milliseconds spent by this worker to rebalance.",
        vec![],
        r.max_ms,
    );
    f.add(
        g,
        "rebalance-avg-time-ms",
        "The average time in milliseconds spent by this worker to rebalance.",
        vec![],
        r.avg_ms,
    );
    f.add(
        g,
        "time-since-last-rebalance-ms",
        "The time in milliseconds since this worker completed the most recent rebalance.",
        vec![],
        r.since_last_ms,
    );
}

fn connector_families(f: &mut Families, c: &ConnectorFacts) {
    if !c.here {
        return;
    }
    let g = Group::Connector;
    let l = || connector_labels(&c.name);
    if let Some(status) = &c.status {
        f.add(g, "status", "The status of the connector.", with(l(), "status", status), 1.0);
    }
    if let Some(kind) = c.kind {
        f.add(
            g,
            "connector-type",
            "The type of the connector. One of 'source' or 'sink'.",
            with(l(), "connector_type", kind),
            1.0,
        );
    }
    f.add(
        g,
        "connector-class",
        "The name of the connector class.",
        with(l(), "connector_class", &c.class),
        1.0,
    );
    f.add(
        g,
        "connector-version",
        "The version of the connector class, as reported by the connector.",
        with(l(), "connector_version", &c.version),
        1.0,
    );
}

fn task_families(f: &mut Families, t: &TaskFacts, view: Option<(TaskKind, &View)>) {
    let l = || task_labels(&t.id);
    let g = Group::Task;
    if let Some(status) = &t.status {
        f.add(g, "status", "The status of the connector task.", with(l(), "status", status), 1.0);
    }
    if let Some((kind, v)) = view {
        const MS: f64 = 1e-3;
        f.add(
            g,
            "running-ratio",
            "The fraction of time this task has spent in the running state.",
            l(),
            v.ratio(Count::StateRunning),
        );
        f.add(
            g,
            "pause-ratio",
            "The fraction of time this task has spent in the pause state.",
            l(),
            v.ratio(Count::StatePaused),
        );
        f.add(
            g,
            "offset-commit-max-time-ms",
            "The maximum time in milliseconds taken by this task to commit offsets.",
            l(),
            v.max(Max::CommitMicros, Count::CommitsOk, MS).max(v.max(
                Max::CommitMicros,
                Count::CommitsFailed,
                MS,
            )),
        );
        f.add(
            g,
            "offset-commit-avg-time-ms",
            "The average time in milliseconds taken by this task to commit offsets.",
            l(),
            commit_avg(v),
        );
        f.add(
            g,
            "offset-commit-success-percentage",
            "The average percentage of this task's offset commit attempts that succeeded.",
            l(),
            v.share(Count::CommitsOk, Count::CommitsFailed),
        );
        f.add(g, "offset-commit-failure-percentage", "The average percentage of this task's offset commit attempts that failed or had an error.", l(), v.share(Count::CommitsFailed, Count::CommitsOk));
        f.add(
            g,
            "batch-size-max",
            "The number of records in the largest batch the task has processed so far.",
            l(),
            v.max(Max::BatchRecords, Count::Batches, 1.0),
        );
        f.add(
            g,
            "batch-size-avg",
            "The average number of records in the batches the task has processed so far.",
            l(),
            v.avg(Count::BatchRecords, Count::Batches, 1.0),
        );
        match kind {
            TaskKind::Source => source_families(f, &t.id, v),
            TaskKind::Sink => sink_families(f, &t.id, v),
        }
    }
    let e = Group::Errors;
    let c = &t.errors;
    f.add(
        e,
        "total-record-failures",
        "The number of record processing failures in this task.",
        l(),
        c.record_failures as f64,
    );
    f.add(
        e,
        "total-records-skipped",
        "The number of records skipped due to errors.",
        l(),
        c.records_skipped as f64,
    );
    f.add(e, "total-retries", "The number of operations retried.", l(), c.retries as f64);
    f.add(
        e,
        "total-errors-logged",
        "The number of errors that were logged.",
        l(),
        c.errors_logged as f64,
    );
    f.add(
        e,
        "deadletterqueue-produce-requests",
        "The number of attempted writes to the dead letter queue.",
        l(),
        c.dlq_produce_requests as f64,
    );
    f.add(
        e,
        "deadletterqueue-produce-failures",
        "The number of failed writes to the dead letter queue.",
        l(),
        c.dlq_produce_failures as f64,
    );
    f.add(
        e,
        "last-error-timestamp",
        "The epoch timestamp when this task last encountered an error.",
        l(),
        c.last_error_millis as f64,
    );
}

/// The average commit time over every commit in the window, failed ones included.
fn commit_avg(v: &View) -> f64 {
    let n = v.delta(Count::CommitsOk) + v.delta(Count::CommitsFailed);
    if n == 0 { f64::NAN } else { v.delta(Count::CommitMicros) as f64 / n as f64 / 1000.0 }
}

fn source_families(f: &mut Families, id: &TaskId, v: &View) {
    let g = Group::Source;
    let l = || task_labels(id);
    f.add(g, "source-record-poll-rate", "The average per-second number of records produced/polled (before transformation) by this task.", l(), v.rate(Count::Polled));
    f.add(
        g,
        "source-record-poll-total",
        "The total number of records produced/polled (before transformation) by this task.",
        l(),
        v.total(Count::Polled),
    );
    f.add(
        g,
        "source-record-write-rate",
        "The average per-second number of records written to Kafka for this task.",
        l(),
        v.rate(Count::Written),
    );
    f.add(
        g,
        "source-record-write-total",
        "The number of records output written to Kafka for this task.",
        l(),
        v.total(Count::Written),
    );
    f.add(g, "poll-batch-max-time-ms", "The maximum time in milliseconds taken by this task to poll for a batch of source records.", l(), v.max(Max::PollMicros, Count::Polls, 1e-3));
    f.add(g, "poll-batch-avg-time-ms", "The average time in milliseconds taken by this task to poll for a batch of source records.", l(), v.avg(Count::PollMicros, Count::Polls, 1e-3));
    f.add(g, "source-record-active-count", "The number of records that have been produced by this task but not yet completely written to Kafka.", l(), v.gauges.active.max(0) as f64);
    f.add(g, "source-record-active-count-max", "The maximum number of records that have been produced by this task but not yet completely written to Kafka.", l(), v.max(Max::ActiveRecords, Count::Polls, 1.0));
}

fn sink_families(f: &mut Families, id: &TaskId, v: &View) {
    let g = Group::Sink;
    let l = || task_labels(id);
    f.add(g, "sink-record-read-rate", "The average per-second number of records read from Kafka for this task before transformations are applied.", l(), v.rate(Count::Read));
    f.add(
        g,
        "sink-record-read-total",
        "The total number of records read from Kafka by this task since it was last restarted.",
        l(),
        v.total(Count::Read),
    );
    f.add(g, "sink-record-send-rate", "The average per-second number of records output from the transformations and sent/put to this task.", l(), v.rate(Count::Sent));
    f.add(g, "sink-record-send-total", "The total number of records output from the transformations and sent/put to this task since it was last restarted.", l(), v.total(Count::Sent));
    let lag = if v.gauges.lag_max < 0 { f64::NAN } else { v.gauges.lag_max as f64 };
    f.add(g, "sink-record-lag-max", "The maximum lag in terms of number of records that the sink task is behind the consumer's position for any topic partitions.", l(), lag);
    f.add(g, "partition-count", "The number of topic partitions assigned to this task belonging to the named sink connector in this worker.", l(), v.gauges.partitions as f64);
    f.add(
        g,
        "offset-commit-seq-no",
        "The current sequence number for offset commits.",
        l(),
        v.gauges.commit_seq as f64,
    );
    f.add(g, "offset-commit-completion-rate", "The average per-second number of offset commit completions that were completed successfully.", l(), v.rate(Count::CommitCompletions));
    f.add(
        g,
        "offset-commit-completion-total",
        "The total number of offset commit completions that were completed successfully.",
        l(),
        v.total(Count::CommitCompletions),
    );
    f.add(g, "offset-commit-skip-rate", "The average per-second number of offset commit completions that were received too late and skipped/ignored.", l(), v.rate(Count::CommitSkips));
    f.add(g, "offset-commit-skip-total", "The total number of offset commit completions that were received too late and skipped/ignored.", l(), v.total(Count::CommitSkips));
    f.add(
        g,
        "put-batch-max-time-ms",
        "The maximum time taken by this task to put a batch of sinks records.",
        l(),
        v.max(Max::PutMicros, Count::Puts, 1e-3),
    );
    f.add(
        g,
        "put-batch-avg-time-ms",
        "The average time taken by this task to put a batch of sinks records.",
        l(),
        v.avg(Count::PutMicros, Count::Puts, 1e-3),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::TaskKind;

    #[test]
    fn names_labels_and_types_follow_the_jmx_exporter() {
        let metrics = WorkerMetrics::new(Duration::from_secs(60));
        let id = TaskId { connector: "my \"src\"".into(), task: 0 };
        let task = metrics.task_started(&id, TaskKind::Source);
        task.add(Count::Polled, 7);
        metrics.task_startups.record(true);
        let facts = Facts {
            connectors: vec![ConnectorFacts {
                name: id.connector.clone(),
                status: Some("running".into()),
                kind: Some("source"),
                class: "FileStreamSource".into(),
                version: "1".into(),
                here: true,
                task_states: vec![("running".into(), 1)],
            }],
            tasks: vec![TaskFacts {
                id,
                status: Some("running".into()),
                errors: ErrorCounts::default(),
            }],
            rebalance: None,
        };
        let text = metrics.render(&facts, Instant::now());
        let has = |line: &str| assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        has("kafka_connect_connect_worker_metrics_connector_count 1.0");
        has("kafka_connect_connect_worker_metrics_task_startup_success_total 1.0");
        has("# TYPE kafka_connect_connect_worker_metrics_task_startup_success counter");
        has("# TYPE kafka_connect_connect_worker_metrics_task_count gauge");
        has(
            r#"kafka_connect_source_task_metrics_source_record_poll_total{connector="my \"src\"",task="0"} 7.0"#,
        );
        has(
            r#"kafka_connect_connector_metrics_status{connector="my \"src\"",status="running"} 1.0"#,
        );
        has(
            r#"kafka_connect_connect_worker_metrics_connector_running_task_count{connector="my \"src\""} 1.0"#,
        );
        has("# EOF");
        assert!(!text.contains("sink_task_metrics"), "a source task has no sink metrics");
        assert!(!text.contains("rebalance"), "a standalone worker has no rebalance metrics");
    }

    #[test]
    fn the_grafana_dashboard_reads_only_metrics_a_worker_serves() {
        let metrics = WorkerMetrics::new(Duration::from_secs(60));
        let (source, sink) =
            (TaskId { connector: "s".into(), task: 0 }, TaskId { connector: "k".into(), task: 0 });
        metrics.task_started(&source, TaskKind::Source);
        metrics.task_started(&sink, TaskKind::Sink);
        let connector = |name: &str| ConnectorFacts {
            name: name.into(),
            status: Some("running".into()),
            kind: None,
            class: String::new(),
            version: String::new(),
            here: true,
            task_states: vec![],
        };
        let task = |id: &TaskId| TaskFacts {
            id: id.clone(),
            status: Some("running".into()),
            errors: ErrorCounts::default(),
        };
        let facts = Facts {
            connectors: vec![connector("s"), connector("k")],
            tasks: vec![task(&source), task(&sink)],
            rebalance: Some(RebalanceFacts::default()),
        };
        let text = metrics.render(&facts, Instant::now());
        let served: std::collections::BTreeSet<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split(['{', ' ']).next())
            .collect();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/grafana/kafka-connect-rs.json");
        let dashboard = std::fs::read_to_string(path).unwrap();
        let names = regex::Regex::new(r"kafka_connect_[a-z_]+").unwrap();
        let used: std::collections::BTreeSet<&str> =
            names.find_iter(&dashboard).map(|m| m.as_str()).collect();
        assert!(used.len() > 20, "{used:?}");
        let missing: Vec<_> = used.iter().filter(|n| !served.contains(**n)).collect();
        assert!(missing.is_empty(), "the dashboard reads metrics no worker serves: {missing:?}");
    }
}
