//! Static membership (`group.instance.id`, KIP-345): a worker stopped and started again
//! within its session keeps its place, so its connectors and tasks come back to it and
//! the other workers' work never moves, even with no scheduled-rebalance delay to hold
//! lost work.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common;
use crate::harness::*;

/// Who runs each task (`name-n` → worker), once every connector in `names` and its 3
/// tasks run.
async fn owners(base: &str, names: &[String]) -> Option<BTreeMap<String, String>> {
    let all = statuses(base, names).await?;
    let mut out = BTreeMap::new();
    for (name, s) in &all {
        let ts = s["tasks"].as_array()?;
        if s["connector"]["state"] != "RUNNING"
            || ts.len() != 3
            || ts.iter().any(|t| t["state"] != "RUNNING")
        {
            return None;
        }
        out.insert(name.clone(), s["connector"]["worker_id"].as_str()?.to_string());
        for t in ts {
            out.insert(format!("{name}-{}", t["id"]), t["worker_id"].as_str()?.to_string());
        }
    }
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounced_static_member_keeps_its_work_and_the_others_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let group = common::unique("static");
    let extra = |n: usize| {
        format!(
            "group.instance.id=worker-{n}\nsession.timeout.ms=20000\n\
             scheduled.rebalance.max.delay.ms=0\n"
        )
    };
    let mut workers: Vec<Worker> =
        (0..3).map(|n| start_with(dir.path(), &group, n, 0, &extra(n))).collect();
    wait_for_rest(&workers).await;
    let names: Vec<String> = (0..2).map(|i| format!("sink-{i}")).collect();
    for name in &names {
        let (code, body) = call(
            reqwest::Method::POST,
            format!("{}/connectors", workers[0].base),
            Some(json!({"name": name, "config": {"connector.class": "FileStreamSink",
                "tasks.max": "3", "topics": format!("{group}-{name}"),
                "file": dir.path().join(name).to_str().unwrap()}})),
        )
        .await;
        assert_eq!(code, 201, "{body}");
    }
    let before = wait_until(&workers, "6 tasks RUNNING on 3 workers", async || {
        let o = owners(&workers[0].base, &names).await?;
        let distinct: std::collections::BTreeSet<&String> = o.values().collect();
        (distinct.len() == 3).then_some(o)
    })
    .await;
    // Let the group settle, then bounce worker 1 (SIGTERM: a static member sends no
    // LeaveGroup) and start it again on the same port and instance id.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let bounced = workers[1].base.trim_start_matches("http://").to_string();
    let others: Vec<(String, std::path::PathBuf)> =
        [0, 2].iter().map(|i| (workers[*i].base.clone(), workers[*i].log.clone())).collect();
    let moves_before: Vec<usize> = others.iter().map(|(_, log)| task_moves(log)).collect();
    workers.remove(1).stop();
    let stopped = Instant::now();
    workers.insert(1, restart(dir.path(), 1, 1));
    wait_for_rest(&workers).await;
    let after = wait_until(&workers, "the same placement after the bounce", async || {
        let o = owners(&workers[0].base, &names).await?;
        (o == before).then_some(o)
    })
    .await;
    eprintln!(
        "static member {bounced} bounced: its work back in {:?}; placement {after:?}",
        stopped.elapsed()
    );
    for ((base, log), n) in others.iter().zip(moves_before) {
        assert_eq!(task_moves(log), n, "{base} stopped or started work during the bounce");
    }
    for w in workers {
        w.stop();
    }
}

/// How many times a worker's log says a task started or stopped, or a connector started.
fn task_moves(log: &std::path::Path) -> usize {
    log_lines_with(log, &[" task started", " task stopped", "Connector starting"])
}
