//! Scenarios 3, 4 and 5: a worker, then the leader, killed with SIGKILL.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common;
use crate::harness::*;

/// Scenario 3: the worker running a file source is killed with SIGKILL while lines keep
/// coming; after the scheduled rebalance delay its task runs on another worker, resumes
/// from the offsets topic, and the sink file ends with every line (duplicates counted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_source_resumes_elsewhere_and_no_line_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("failover");
    let mut workers: Vec<Worker> = (0..3).map(|n| start(dir.path(), &group, n, 0)).collect();
    wait_for_rest(&workers).await;
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    common::write_lines(&input, 0, 1000);
    let topic = format!("{group}-lines");
    create_file_pipeline(&workers[0].base, &input, &output, &topic).await;
    let all: Vec<&Worker> = workers.iter().collect();
    let owner =
        wait_until(&workers, "src's task RUNNING", async || task_owner(&all, "src").await).await;
    wait_until(&workers, "the first 1000 lines through", async || {
        (line_count(&output) >= 1000).then_some(())
    })
    .await;
    // Lines keep coming while the source's worker dies.
    let appender = Appender::start(&input, 1000, 50);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let victim =
        workers.iter().position(|w| w.base.ends_with(&owner)).expect("the owner is one of ours");
    let mut dead = workers.remove(victim);
    dead.child.kill().unwrap();
    let _ = dead.child.wait();
    let killed = Instant::now();
    let live: Vec<&Worker> = workers.iter().collect();
    let new_owner = wait_until(&workers, "src's task on another worker", async || {
        task_owner(&live, "src").await.filter(|o| *o != owner)
    })
    .await;
    let recovered = killed.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let total = appender.finish();
    wait_until(&workers, "every line in the sink file", async || {
        (line_count(&output) >= total).then_some(())
    })
    .await;
    // Let the sink catch up with any duplicates, then count.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (missing, duplicates) = missing_and_duplicates(&output, total);
    eprintln!(
        "SIGKILL of {owner}: src moved to {new_owner} after {recovered:?}; {total} lines, {missing} missing, {duplicates} duplicates"
    );
    assert_eq!(missing, 0, "lines lost");
    for w in workers {
        w.stop();
    }
}

/// Scenarios 4 and 5: the leader is killed with SIGKILL; the other workers elect a new
/// one, and REST writes sent to them (create, pause, resume, restart, delete) keep
/// working cluster-wide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_keep_working_after_the_leader_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("leaderless");
    let mut workers: Vec<Worker> = (0..3).map(|n| start(dir.path(), &group, n, 0)).collect();
    wait_for_rest(&workers).await;
    let sink = |name: &str| {
        json!({"name": name, "config": {"connector.class": "FileStreamSink", "tasks.max": "2",
            "topics": format!("{group}-{name}"), "file": dir.path().join(name).to_str().unwrap()}})
    };
    let (code, body) = call(
        reqwest::Method::POST,
        format!("{}/connectors", workers[0].base),
        Some(sink("before")),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    wait_until(&workers, "before's tasks RUNNING", async || {
        placement_of(&workers[1].base, "before", 2, "RUNNING").await
    })
    .await;
    let leader = wait_until(&workers, "a leader in the logs", async || leader_of(&workers)).await;
    let mut dead = workers.remove(leader);
    dead.child.kill().unwrap();
    let _ = dead.child.wait();
    let killed = Instant::now();
    // A write right away: the survivors still name the dead leader until the group
    // rebalances; the write waits for the new one (bounded) instead of failing.
    let (code, body) =
        call(reqwest::Method::POST, format!("{}/connectors", workers[0].base), Some(sink("after")))
            .await;
    assert_eq!(code, 201, "create after the leader died: {body}");
    eprintln!(
        "a write through a follower succeeded {:?} after the leader's SIGKILL",
        killed.elapsed()
    );
    wait_until(&workers, "after's tasks RUNNING", async || {
        placement_of(&workers[1].base, "after", 2, "RUNNING").await
    })
    .await;
    let ops = [
        (reqwest::Method::PUT, "pause", 202, "PAUSED"),
        (reqwest::Method::PUT, "resume", 202, "RUNNING"),
        (reqwest::Method::POST, "restart?includeTasks=true", 202, "RUNNING"),
    ];
    for (i, (method, op, want, state)) in ops.into_iter().enumerate() {
        let via = &workers[i % 2].base;
        let (code, body) = call(method, format!("{via}/connectors/after/{op}"), None).await;
        assert_eq!(code, want, "{op} through {via}: {body}");
        let other = workers[(i + 1) % 2].base.clone();
        wait_until(&workers, &format!("after {state} after {op}"), async || {
            placement_of(&other, "after", 2, state).await
        })
        .await;
    }
    let (code, _) =
        call(reqwest::Method::DELETE, format!("{}/connectors/after", workers[1].base), None).await;
    assert_eq!(code, 204);
    for w in &workers {
        let base = w.base.clone();
        wait_until(&workers, &format!("the deletion on {base}"), async || {
            let (_, list) = call(reqwest::Method::GET, format!("{base}/connectors"), None).await;
            (list == json!(["before"])).then_some(())
        })
        .await;
    }
    for w in workers {
        w.stop();
    }
}
