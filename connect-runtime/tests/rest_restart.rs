//! `POST /connectors/{name}/restart` and `/tasks/{id}/restart` over real HTTP, checked by
//! what really starts: a test connector counts every start of its connector instance and
//! of each task, and can make chosen tasks fail, so a restart that does nothing, restarts
//! too much or ignores `onlyFailed` shows up in the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod rest_util;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::context::{ConnectorContext, SourceTaskContext};
use connect_api::plugin::PluginDescriptor;
use connect_api::record::SourceRecord;
use connect_api::{ConnectError, Connector, Result, SourceConnector, SourceTask};
use rest_util::*;
use serde_json::json;

/// Starts per "<connector>" (the connector instance) and "<connector>-<task>".
fn starts() -> &'static Mutex<HashMap<String, u32>> {
    static STARTS: OnceLock<Mutex<HashMap<String, u32>>> = OnceLock::new();
    STARTS.get_or_init(Default::default)
}

fn count_start(key: String) {
    *starts().lock().unwrap().entry(key).or_default() += 1;
}

fn started(key: &str) -> u32 {
    starts().lock().unwrap().get(key).copied().unwrap_or(0)
}

/// A source whose tasks produce nothing; tasks listed in `fail.tasks` fail on their first
/// poll with a non-retriable error.
#[derive(Default)]
struct Counting {
    config: RawConfig,
}

#[async_trait]
impl Connector for Counting {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new("fail.tasks", Type::List, Importance::Low, "Tasks that fail.")
                .default_value(""),
        )
    }
    async fn start(&mut self, _: ConnectorContext, config: RawConfig) -> Result<()> {
        count_start(config["name"].clone());
        self.config = config;
        Ok(())
    }
    async fn task_configs(&mut self, max: usize) -> Result<Vec<RawConfig>> {
        Ok((0..max)
            .map(|i| {
                let mut c = self.config.clone();
                c.insert("task.index".into(), i.to_string());
                c
            })
            .collect())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SourceConnector for Counting {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(CountingTask::default())
    }
}

#[derive(Default)]
struct CountingTask {
    fail: bool,
}

#[async_trait]
impl SourceTask for CountingTask {
    async fn start(&mut self, _: SourceTaskContext, config: RawConfig) -> Result<()> {
        let index = &config["task.index"];
        count_start(format!("{}-{index}", config["name"]));
        self.fail = config
            .get("fail.tasks")
            .is_some_and(|l| l.split(',').any(|t| t.trim() == index.as_str()));
        Ok(())
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        if self.fail {
            return Err(ConnectError::fatal("this task fails, as the test asked"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Vec::new())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

async fn worker() -> Rest {
    let mut registry = rest_util::registry();
    registry
        .register([PluginDescriptor::source("test::Counting", "1", || {
            Box::new(Counting::default())
        })])
        .unwrap();
    Rest::start_with(registry, &[]).await
}

async fn create(rest: &Rest, name: &str, tasks: u32, fail: &str) {
    let a = rest
        .post(
            "/connectors",
            Some(json!({"name": name, "config": {
                "connector.class": "test::Counting",
                "tasks.max": tasks.to_string(),
                "fail.tasks": fail,
            }})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

/// Waits until the starts counted for each key reach the given numbers.
async fn wait_starts(want: &[(&str, u32)]) {
    let want: Vec<(String, u32)> = want.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    let what = format!("starts {want:?}");
    eventually(Duration::from_secs(30), &what, || {
        let want = want.clone();
        async move { want.iter().all(|(k, n)| started(k) >= *n).then_some(()) }
    })
    .await;
}

/// The task states of `name`'s status, by task id.
async fn task_states(rest: &Rest, name: &str) -> Vec<String> {
    let a = rest.get(&format!("/connectors/{name}/status")).await;
    a.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_start_exactly_what_they_name() {
    let rest = worker().await;
    create(&rest, "r1", 2, "").await;
    rest.wait_state("r1", "RUNNING", 2).await;
    wait_starts(&[("r1", 1), ("r1-0", 1), ("r1-1", 1)]).await;

    // One task: that task starts again, nothing else.
    let a = rest.post("/connectors/r1/tasks/1/restart", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    wait_starts(&[("r1-1", 2)]).await;
    rest.wait_state("r1", "RUNNING", 2).await;
    assert_eq!((started("r1"), started("r1-0")), (1, 1));

    // The connector and every task.
    let a = rest.post("/connectors/r1/restart?includeTasks=true&onlyFailed=false", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["connector"]["state"], "RESTARTING", "{}", a.text);
    wait_starts(&[("r1", 2), ("r1-0", 2), ("r1-1", 3)]).await;
    rest.wait_state("r1", "RUNNING", 2).await;

    // The connector alone (Kafka's plain restart): its instance starts again.
    let a = rest.post("/connectors/r1/restart", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    wait_starts(&[("r1", 3)]).await;
    rest.wait_state("r1", "RUNNING", 2).await;
    rest.shutdown().await;
    // Kafka restarts the connector instance only; its tasks keep running.
    assert_eq!((started("r1-0"), started("r1-1")), (2, 3), "a connector restart restarted tasks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_failed_restarts_the_failed_task_and_leaves_the_running_one() {
    let rest = worker().await;
    create(&rest, "r2", 2, "1").await;
    let states = eventually(Duration::from_secs(30), "task 1 FAILED, task 0 RUNNING", || async {
        let s = task_states(&rest, "r2").await;
        (s == ["RUNNING", "FAILED"]).then_some(s)
    })
    .await;
    assert_eq!(states, ["RUNNING", "FAILED"]);
    wait_starts(&[("r2", 1), ("r2-0", 1), ("r2-1", 1)]).await;

    let a = rest.post("/connectors/r2/restart?includeTasks=true&onlyFailed=true", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["connector"]["state"], "RUNNING", "{}", a.text);
    assert_eq!(a.body["tasks"][0]["state"], "RUNNING", "{}", a.text);
    assert_eq!(a.body["tasks"][1]["state"], "RESTARTING", "{}", a.text);
    // The failed task started again (and fails again); the running one and the connector
    // did not restart.
    wait_starts(&[("r2-1", 2)]).await;
    eventually(Duration::from_secs(30), "task 1 FAILED again", || async {
        (task_states(&rest, "r2").await == ["RUNNING", "FAILED"]).then_some(())
    })
    .await;
    assert_eq!((started("r2"), started("r2-0"), started("r2-1")), (1, 1, 2));

    // onlyFailed without includeTasks: the connector is not failed, so nothing restarts.
    let a = rest.post("/connectors/r2/restart?onlyFailed=true", None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    // includeTasks=false, onlyFailed=false restarts the connector instance only.
    let a = rest.post("/connectors/r2/restart?includeTasks=false&onlyFailed=false", None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    wait_starts(&[("r2", 2)]).await;
    rest.shutdown().await;
    assert_eq!((started("r2-0"), started("r2-1")), (1, 2), "a connector restart restarted tasks");
}
