//! Scenario 2: a fourth worker joins a loaded cluster. The work spreads over the four,
//! lines keep flowing from a file source to three file sinks with none lost, and no task
//! ever ran on two workers at once: neither in the task logs (each run's start and stop
//! times) nor in the status topic (a task's RUNNING moves to another worker only in a
//! later generation).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common;
use crate::harness::*;

/// Tasks per worker once every connector in `names` and its `tasks[name]` tasks run.
async fn running_tasks(
    base: &str,
    names: &[String],
    tasks: &BTreeMap<String, usize>,
) -> Option<BTreeMap<String, usize>> {
    let all = statuses(base, names).await?;
    let mut per_worker = BTreeMap::new();
    for (name, s) in &all {
        let ts = s["tasks"].as_array()?;
        if s["connector"]["state"] != "RUNNING"
            || ts.len() != tasks[name]
            || ts.iter().any(|t| t["state"] != "RUNNING")
        {
            return None;
        }
        for t in ts {
            *per_worker.entry(t["worker_id"].as_str()?.to_string()).or_insert(0) += 1;
        }
    }
    Some(per_worker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_worker_joins_under_load_and_no_task_runs_twice() {
    fourth_worker_joins("").await;
}

/// The same with `connect.protocol=eager` on every worker: each rebalance stops all work
/// and starts it again, and still no task runs twice and no line is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_worker_joins_an_eager_cluster_and_no_task_runs_twice() {
    fourth_worker_joins("connect.protocol=eager\n").await;
}

async fn fourth_worker_joins(extra: &str) {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("joining");
    let start = |n| start_with(dir.path(), &group, n, 0, extra);
    let mut workers: Vec<Worker> = (0..3).map(start).collect();
    wait_for_rest(&workers).await;
    let input = dir.path().join("input.txt");
    common::write_lines(&input, 0, 500);
    let topic = format!("{group}-lines");
    let sinks = ["sink-a", "sink-b", "sink-c"];
    let mut connectors = vec![(
        "src".to_string(),
        json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": topic}),
    )];
    for s in sinks {
        let file = dir.path().join(format!("{s}.txt"));
        connectors.push((
            s.to_string(),
            json!({"connector.class": "FileStreamSink", "tasks.max": "4",
                "file": file.to_str().unwrap(), "topics": topic}),
        ));
    }
    for (i, (name, config)) in connectors.iter().enumerate() {
        let base = &workers[i % 3].base;
        let (code, body) = call(
            reqwest::Method::POST,
            format!("{base}/connectors"),
            Some(json!({"name": name, "config": config})),
        )
        .await;
        assert_eq!(code, 201, "{body}");
    }
    let names: Vec<String> = connectors.iter().map(|(n, _)| n.clone()).collect();
    let mut task_counts: BTreeMap<String, usize> = names.iter().map(|n| (n.clone(), 4)).collect();
    task_counts.insert("src".into(), 1);
    wait_until(&workers, "13 tasks RUNNING on 3 workers", async || {
        running_tasks(&workers[0].base, &names, &task_counts).await.filter(|p| p.len() == 3)
    })
    .await;

    // Lines keep coming while the fourth worker joins.
    let appender = Appender::start(&input, 500, 20);
    tokio::time::sleep(Duration::from_secs(1)).await;
    workers.push(start(3));
    let joined = Instant::now();
    wait_for_rest(&workers).await;
    let newcomer = workers[3].base.trim_start_matches("http://").to_string();
    let spread = wait_until(&workers, "13 tasks balanced over 4 workers", async || {
        let p = running_tasks(&workers[3].base, &names, &task_counts).await?;
        let (lo, hi) = (p.values().min()?, p.values().max()?);
        (p.len() == 4 && hi - lo <= 1).then_some(p)
    })
    .await;
    let balanced = joined.elapsed();
    assert!(spread.contains_key(&newcomer), "the newcomer runs tasks: {spread:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let total = appender.finish();
    let mut report = Vec::new();
    for s in sinks {
        let file = dir.path().join(format!("{s}.txt"));
        wait_until(&workers, &format!("{total} lines in {s}.txt"), async || {
            (line_count(&file) >= total).then_some(())
        })
        .await;
        let (missing, duplicates) = missing_and_duplicates(&file, total);
        report.push(format!("{s}: {missing} missing, {duplicates} duplicates"));
        assert_eq!(missing, 0, "{s} lost lines");
    }
    eprintln!(
        "4th worker joined ({extra:?}): balanced after {balanced:?} as {spread:?}; {total} lines; {}",
        report.join("; ")
    );
    // Every worker stops first, so every run in the logs has its end.
    let logs: Vec<(String, std::path::PathBuf)> =
        workers.iter().map(|w| (w.base.clone(), w.log.clone())).collect();
    for w in workers {
        w.stop();
    }
    let logs: Vec<(String, String)> =
        logs.into_iter().map(|(base, log)| (base, std::fs::read_to_string(log).unwrap())).collect();
    let moved = no_task_ran_twice_in_the_logs(&logs);
    assert!(moved > 0, "no task moved to the newcomer: the check proved nothing");
    no_task_ran_twice_in_the_status_topic(&format!("{group}-status"));
}

/// From every worker's log: each task's runs (started, stopped) by worker. Fails if two
/// runs of a task on different workers overlap in time; returns how many tasks ran on
/// more than one worker.
fn no_task_ran_twice_in_the_logs(logs: &[(String, String)]) -> usize {
    // task -> [(start, stop, worker)]; timestamps are RFC 3339 UTC of one clock, so they
    // compare as strings.
    let mut runs: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for (worker, log) in logs {
        let mut open: BTreeMap<String, String> = BTreeMap::new();
        for line in log.lines() {
            let Some(time) = line.split_whitespace().next() else { continue };
            let Some(task) = line.split(" task=").nth(1).map(|t| t.trim().to_string()) else {
                continue;
            };
            if line.contains(" task started") {
                assert!(
                    open.insert(task.clone(), time.to_string()).is_none(),
                    "{task} started twice on {worker}"
                );
            } else if line.contains(" task stopped") || line.contains(" task failed") {
                let started = open
                    .remove(&task)
                    .unwrap_or_else(|| panic!("{task} stopped on {worker} without starting"));
                runs.entry(task).or_default().push((started, time.to_string(), worker.clone()));
            }
        }
        for (task, started) in open {
            runs.entry(task).or_default().push((started, "~".into(), worker.clone()));
        }
    }
    let mut moved = 0;
    for (task, mut list) in runs {
        list.sort();
        for pair in list.windows(2) {
            let ((_, stop_a, a), (start_b, _, b)) = (&pair[0], &pair[1]);
            assert!(stop_a < start_b, "{task} ran on {a} until {stop_a} and on {b} from {start_b}");
        }
        let workers: std::collections::BTreeSet<&String> = list.iter().map(|r| &r.2).collect();
        if workers.len() > 1 {
            moved += 1;
        }
    }
    moved
}

/// From the status topic, read raw: a task's RUNNING reported by a worker other than the
/// last one to report it RUNNING comes in a later generation (Kafka's rule that fences a
/// stale owner).
fn no_task_ran_twice_in_the_status_topic(topic: &str) {
    let mut last_running: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for (key, value) in read_raw(topic) {
        let (Some(task), Some(v)) = (key.strip_prefix("status-task-"), value) else { continue };
        if v["state"] != "RUNNING" {
            continue;
        }
        let worker = v["worker_id"].as_str().unwrap().to_string();
        let generation = v["generation"].as_i64().unwrap();
        if let Some((before, g)) = last_running.get(task)
            && *before != worker
        {
            assert!(
                generation > *g,
                "{task} RUNNING on {before} in generation {g}, then on {worker} in {generation}"
            );
        }
        last_running.insert(task.to_string(), (worker, generation));
    }
    assert!(!last_running.is_empty(), "no task status in {topic}");
}
