//! The sink task through its SinkTask methods, on the local filesystem, without
//! Kafka: rotation, exact offsets in file names, recovery after a crash, the
//! write-ahead log, schema evolution, the commit timer and Hive calls.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::*;
use connect_api::SinkTask;
use connect_api::context::SinkTaskContext;
use connect_api::data::Schema;
use connect_api::record::{SinkRecord, TopicPartition};
use connect_hdfs::HdfsSinkTask;
use connect_hdfs::hive::HiveMetastore;

fn config(dir: &Path, extra: &[(&str, &str)]) -> connect_api::config::RawConfig {
    let mut c = raw(&[
        ("store.url", dir.to_str().unwrap()),
        ("format.class", "io.confluent.connect.hdfs.json.JsonFormat"),
        ("flush.size", "3"),
    ]);
    c.extend(raw(extra));
    c
}

async fn started(
    task: &mut HdfsSinkTask,
    dir: &Path,
    extra: &[(&str, &str)],
    tps: &[TopicPartition],
) -> SinkTaskContext {
    let cfg = config(dir, extra);
    let ctx = SinkTaskContext::new(cfg.clone(), None, Default::default());
    ctx.set_assignment(tps.iter().cloned());
    task.start(ctx.clone(), cfg).await.unwrap();
    task.open(tps).await.unwrap();
    ctx
}

/// Records `from..to` of a partition; the id carries partition and offset.
fn batch(topic: &str, partition: i32, from: i64, to: i64, schema: &Schema) -> Vec<SinkRecord> {
    (from..to)
        .map(|o| {
            let dept = if o % 2 == 0 { "engineering" } else { "sales" };
            user_record(
                topic,
                partition,
                o,
                schema,
                i64::from(partition) * 1_000_000 + o,
                dept,
                1_700_000_000_000 + o,
            )
        })
        .collect()
}

fn temp_files(dir: &Path) -> Vec<std::path::PathBuf> {
    all_files(&dir.join("topics/+tmp"))
}

async fn committed_offsets(task: &mut HdfsSinkTask) -> BTreeMap<TopicPartition, i64> {
    task.pre_commit(Default::default())
        .await
        .unwrap()
        .into_iter()
        .map(|(tp, o)| (tp, o.offset))
        .collect()
}

/// Waits for the commits `put` handed to the background (through `pre_commit`, which
/// reports only finished commits and so waits for them).
async fn settle(task: &mut HdfsSinkTask) {
    task.pre_commit(Default::default()).await.unwrap();
}

#[tokio::test]
async fn flush_size_commits_files_named_by_their_exact_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let tps = [TopicPartition::new("users", 0), TopicPartition::new("users", 1)];
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[], &tps).await;
    let mut records = batch("users", 0, 0, 7, &users_v1());
    records.extend(batch("users", 1, 0, 7, &users_v1()));
    task.put(&records).await.unwrap();
    settle(&mut task).await;

    let names: Vec<String> = all_files(&dir.path().join("topics/users"))
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "partition=0/users+0+0000000000+0000000002.json",
            "partition=0/users+0+0000000003+0000000005.json",
            "partition=1/users+1+0000000000+0000000002.json",
            "partition=1/users+1+0000000003+0000000005.json",
        ]
    );
    // Offset 6 of each partition is only in a temporary file: not offered for commit.
    assert_eq!(temp_files(dir.path()).len(), 2);
    let offsets = committed_offsets(&mut task).await;
    assert_eq!(offsets, BTreeMap::from([(tps[0].clone(), 6), (tps[1].clone(), 6)]));
    let rows = check_exactly_once(dir.path(), "topics", "users", &BTreeMap::from([(0, 6), (1, 6)]));
    assert_eq!(rows[&0][0]["name"], "user0");
    assert_eq!(rows[&1][5]["department"], "sales");
    task.stop().await.unwrap();
    assert!(temp_files(dir.path()).is_empty(), "stop leaves no temporary file");
}

#[tokio::test]
async fn a_restarted_task_resumes_after_the_last_committed_file_and_deletes_old_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("users", 0);
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[], std::slice::from_ref(&tp)).await;
    task.put(&batch("users", 0, 0, 5, &users_v1())).await.unwrap();
    settle(&mut task).await;
    assert_eq!(temp_files(dir.path()).len(), 1);
    drop(task); // a crash: no close, no stop

    let mut task = HdfsSinkTask::new();
    let ctx = started(&mut task, dir.path(), &[], std::slice::from_ref(&tp)).await;
    assert_eq!(ctx.take_offsets().get(&tp), Some(&3), "the consumer is moved after offset 2");
    assert!(temp_files(dir.path()).is_empty(), "the crashed run's temporary file is deleted");
    // Redelivery from before the committed position is skipped; the rest is written once.
    task.put(&batch("users", 0, 1, 9, &users_v1())).await.unwrap();
    settle(&mut task).await;
    check_exactly_once(dir.path(), "topics", "users", &BTreeMap::from([(0, 9)]));
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&9));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_commit_interrupted_after_it_was_logged_is_finished_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("users", 0);
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[], std::slice::from_ref(&tp)).await;
    task.put(&batch("users", 0, 0, 2, &users_v1())).await.unwrap();
    settle(&mut task).await;
    let temp = temp_files(dir.path()).pop().unwrap();
    let temp_rel = Path::new("topics/+tmp").join(&temp);
    drop(task);
    // What a crash between logging the renames and doing them leaves behind: a
    // complete temporary file (a commit closes and syncs it before logging) and a log
    // that says begin + rename, no end.
    let lines: String = (0..2).map(|i| format!("{{\"id\":{i},\"name\":\"user{i}\"}}\n")).collect();
    std::fs::write(dir.path().join(&temp_rel), lines).unwrap();
    let target = "topics/users/partition=0/users+0+0000000000+0000000001.json";
    let log = format!(
        "{{\"op\":\"begin\",\"id\":1,\"files\":1}}\n{{\"op\":\"rename\",\"id\":1,\"from\":\"{}\",\"to\":\"{target}\"}}\n",
        temp_rel.display()
    );
    std::fs::create_dir_all(dir.path().join("logs/users/0")).unwrap();
    std::fs::write(dir.path().join("logs/users/0/log"), log).unwrap();

    let mut task = HdfsSinkTask::new();
    let ctx = started(&mut task, dir.path(), &[], std::slice::from_ref(&tp)).await;
    assert_eq!(ctx.take_offsets().get(&tp), Some(&2));
    assert!(dir.path().join(target).exists(), "the logged rename was finished");
    assert!(!dir.path().join("logs/users/0/log").exists(), "the resolved log is removed");
    check_exactly_once(dir.path(), "topics", "users", &BTreeMap::from([(0, 2)]));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn field_partitioning_writes_department_directories_committed_together() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("test_jdbc_users", 0);
    let mut task = HdfsSinkTask::new();
    let extra = [
        ("partitioner.class", "io.confluent.connect.hdfs.partitioner.FieldPartitioner"),
        ("partition.field.name", "department"),
        ("flush.size", "4"),
    ];
    started(&mut task, dir.path(), &extra, std::slice::from_ref(&tp)).await;
    task.put(&batch("test_jdbc_users", 0, 0, 4, &users_v1())).await.unwrap();
    settle(&mut task).await;
    let names: Vec<String> = all_files(&dir.path().join("topics/test_jdbc_users"))
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "department=engineering/test_jdbc_users+0+0000000000+0000000002.json",
            "department=sales/test_jdbc_users+0+0000000001+0000000003.json",
        ]
    );
    let sales = json_lines(&dir.path().join("topics/test_jdbc_users").join(&names[1]));
    assert!(sales.iter().all(|r| r["department"] == "sales"));
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&4));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn backward_evolution_rotates_on_a_newer_version_and_projects_older_records() {
    // Seed 000: BACKWARD; `ALTER TABLE users DROP COLUMN name` makes version 2.
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("test_jdbc_users", 0);
    let mut task = HdfsSinkTask::new();
    started(
        &mut task,
        dir.path(),
        &[("schema.compatibility", "BACKWARD")],
        std::slice::from_ref(&tp),
    )
    .await;
    let (v1, v2) = (users_v1(), users_v2());
    let t = "test_jdbc_users";
    let records = vec![
        user_record(t, 0, 0, &v1, 0, "engineering", 1_450_305_345_000), // alice
        user_record(t, 0, 1, &v1, 1, "sales", 1_450_305_346_000),       // bob
        user_record(t, 0, 2, &v2, 2, "sales", 1_450_306_766_000),       // after the drop
        user_record(t, 0, 3, &v1, 3, "engineering", 1_450_306_396_000), // late, old schema
        user_record(t, 0, 4, &v2, 4, "engineering", 1_450_306_767_000),
    ];
    task.put(&records).await.unwrap();
    settle(&mut task).await;
    let files = committed(dir.path(), "topics", t);
    let spans: Vec<(i64, i64)> = files.iter().map(|f| (f.start, f.end)).collect();
    assert_eq!(spans, [(0, 1), (2, 4)], "the new version starts a new file");
    let old = json_lines(&dir.path().join(&files[0].path));
    assert_eq!(old[0]["name"], "user0", "files before the change keep the column");
    let new = json_lines(&dir.path().join(&files[1].path));
    assert_eq!(new.len(), 3);
    for row in &new {
        assert!(row.get("name").is_none(), "the dropped column is gone: {row}");
        assert!(row["email"].as_str().unwrap().ends_with("@example.com"));
    }
    assert_eq!(new[1]["id"], 3, "the late version-1 record was projected to version 2");
    assert_eq!(new[1]["department"], "engineering");
    task.stop().await.unwrap();
}

#[tokio::test]
async fn none_compatibility_rotates_on_every_schema_change() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[("flush.size", "10")], std::slice::from_ref(&tp)).await;
    let (v1, v2) = (users_v1(), users_v2());
    let records = vec![
        user_record("u", 0, 0, &v1, 0, "a", 0),
        user_record("u", 0, 1, &v2, 1, "a", 0),
        user_record("u", 0, 2, &v2, 2, "a", 0),
        user_record("u", 0, 3, &v1, 3, "a", 0),
    ];
    task.put(&records).await.unwrap();
    settle(&mut task).await;
    let spans: Vec<(i64, i64)> =
        committed(dir.path(), "topics", "u").iter().map(|f| (f.start, f.end)).collect();
    assert_eq!(spans, [(0, 0), (1, 2)]);
    let rows = json_lines(&dir.path().join(&committed(dir.path(), "topics", "u")[0].path));
    assert_eq!(rows[0]["name"], "user0");
    task.stop().await.unwrap();
}

#[tokio::test]
async fn forward_projects_newer_records_and_rotates_on_an_older_version() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    started(
        &mut task,
        dir.path(),
        &[("flush.size", "10"), ("schema.compatibility", "FORWARD")],
        std::slice::from_ref(&tp),
    )
    .await;
    let (v1, v2) = (users_v1(), users_v2());
    let records = vec![
        user_record("u", 0, 0, &v2, 0, "a", 0),
        user_record("u", 0, 1, &v1, 1, "a", 0), // older: new files
        user_record("u", 0, 2, &v2, 2, "a", 0), // newer: projected to version 1
        user_record("u", 0, 3, &v2, 3, "a", 0),
    ];
    task.put(&records).await.unwrap();
    settle(&mut task).await;
    let files = committed(dir.path(), "topics", "u");
    assert_eq!(files.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>(), [(0, 0)]);
    let first = json_lines(&dir.path().join(&files[0].path));
    assert!(first[0].get("name").is_none());
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&1));
    // Three version-1 rows are open (flush.size 10); a version-0 record commits them.
    let v0 = connect_api::data::SchemaBuilder::struct_()
        .name("users")
        .version(0)
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .field("email", Schema::string())
        .field("department", Schema::string())
        .field("modified", Schema::int64())
        .build()
        .unwrap();
    task.put(&[user_record("u", 0, 4, &v0, 4, "a", 0)]).await.unwrap();
    settle(&mut task).await;
    let files = committed(dir.path(), "topics", "u");
    assert_eq!(files.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>(), [(0, 0), (1, 3)]);
    let rows = json_lines(&dir.path().join(&files[1].path));
    assert_eq!(rows[0]["name"], "user1");
    assert_eq!(
        rows[1]["name"],
        serde_json::Value::Null,
        "the version-2 record projected to version 1"
    );
    assert_eq!(rows[1]["id"], 2);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn compatibility_modes_need_schema_versions() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[("schema.compatibility", "FULL")], std::slice::from_ref(&tp))
        .await;
    let unversioned = connect_api::data::SchemaBuilder::struct_()
        .name("users")
        .field("id", Schema::int64())
        .field("email", Schema::string())
        .field("department", Schema::string())
        .field("modified", Schema::int64())
        .build()
        .unwrap();
    let records = vec![
        user_record("u", 0, 0, &users_v1(), 0, "a", 0),
        user_record("u", 0, 1, &unversioned, 1, "a", 0),
    ];
    let err = task.put(&records).await.unwrap_err();
    assert_eq!(err.kind(), connect_api::error::ErrorKind::Data);
    assert!(
        err.message().contains("schema.compatibility=FULL needs schema versions"),
        "{}",
        err.message()
    );
    task.stop().await.unwrap();
}

/// Waits (at most `within`) for the task to request a commit; returns the time since
/// `start`.
async fn wait_for_commit_request(
    ctx: &SinkTaskContext,
    start: Instant,
    within: Duration,
) -> Duration {
    loop {
        if ctx.take_commit_request() {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "no commit was requested within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_partitions_files_are_committed_by_the_timer() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("idle", 0);
    let mut task = HdfsSinkTask::new();
    let ctx = started(
        &mut task,
        dir.path(),
        &[("flush.size", "1000"), ("rotate.interval.ms", "400")],
        std::slice::from_ref(&tp),
    )
    .await;
    // Measured from before the records are written: the timer cannot fire sooner than
    // rotate.interval.ms after that, however slow the machine (a lower bound only).
    let before_put = Instant::now();
    task.put(&batch("idle", 0, 0, 3, &users_v1())).await.unwrap();
    settle(&mut task).await;
    let waited = wait_for_commit_request(&ctx, before_put, Duration::from_secs(30)).await;
    // rotate.interval.ms=400, less a margin for the millisecond wall clock it uses.
    assert!(waited >= Duration::from_millis(350), "the timer fired early, after {waited:?}");
    // The runtime answers a commit request with pre_commit.
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&3));
    check_exactly_once(dir.path(), "topics", "idle", &BTreeMap::from([(0, 3)]));
    task.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_commits_on_aligned_wall_clock_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("sched", 0);
    let mut task = HdfsSinkTask::new();
    let ctx = started(
        &mut task,
        dir.path(),
        &[("flush.size", "1000"), ("rotate.schedule.interval.ms", "500"), ("timezone", "UTC")],
        std::slice::from_ref(&tp),
    )
    .await;
    let wall_ms =
        || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    // The first 500 ms boundary of the UTC day after the records are written: the
    // commit cannot come before it (a lower bound, so a slow machine cannot fail it).
    // Where the boundaries lie is `rotation::next_aligned`'s unit test; this one shows
    // the task commits on its schedule with no new record and no earlier.
    let boundary = (wall_ms() / 500 + 1) * 500;
    task.put(&batch("sched", 0, 0, 2, &users_v1())).await.unwrap();
    settle(&mut task).await;
    wait_for_commit_request(&ctx, Instant::now(), Duration::from_secs(30)).await;
    let now = wall_ms();
    assert!(now >= boundary, "committed at {now}, before the boundary {boundary}");
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&2));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn rotate_interval_measures_record_time() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("rt", 0);
    let mut task = HdfsSinkTask::new();
    started(
        &mut task,
        dir.path(),
        &[("flush.size", "1000"), ("rotate.interval.ms", "1000")],
        std::slice::from_ref(&tp),
    )
    .await;
    let v1 = users_v1();
    // Kafka timestamps (record time): 0, 400, 999 | 1000, 1500 | 2500
    let times = [0, 400, 999, 1000, 1500, 2500];
    let records: Vec<SinkRecord> = times
        .iter()
        .enumerate()
        .map(|(o, t)| user_record("rt", 0, o as i64, &v1, o as i64, "a", *t))
        .collect();
    task.put(&records).await.unwrap();
    settle(&mut task).await;
    let spans: Vec<(i64, i64)> =
        committed(dir.path(), "topics", "rt").iter().map(|f| (f.start, f.end)).collect();
    assert_eq!(spans, [(0, 2), (3, 4)]);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn close_discards_the_temporary_files_of_revoked_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let tps = [TopicPartition::new("c", 0), TopicPartition::new("c", 1)];
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[], &tps).await;
    let mut records = batch("c", 0, 0, 4, &users_v1());
    records.extend(batch("c", 1, 0, 2, &users_v1()));
    task.put(&records).await.unwrap();
    settle(&mut task).await;
    assert_eq!(temp_files(dir.path()).len(), 2);
    task.close(std::slice::from_ref(&tps[0])).await.unwrap();
    let left = temp_files(dir.path());
    assert_eq!(left.len(), 1);
    assert!(left[0].file_name().unwrap().to_str().unwrap().starts_with("c+1+"), "{left:?}");
    let offsets = committed_offsets(&mut task).await;
    assert!(
        offsets.is_empty(),
        "partition 0 is closed and partition 1 has nothing committed: {offsets:?}"
    );
    task.stop().await.unwrap();
}

/// Every call a metastore got.
#[derive(Debug, Default)]
struct RecordingMetastore {
    calls: Mutex<Vec<String>>,
    schemas: Mutex<Vec<Schema>>,
}

#[async_trait]
impl HiveMetastore for RecordingMetastore {
    async fn ensure_table(
        &self,
        database: &str,
        table: &str,
        location: &str,
        schema: &Schema,
        partition_fields: &[(String, Schema)],
        format: &str,
    ) -> connect_api::Result<()> {
        let fields: Vec<&str> = partition_fields.iter().map(|(n, _)| n.as_str()).collect();
        self.calls.lock().unwrap().push(format!(
            "table {database}.{table} v{} at {location} by {fields:?} as {format}",
            schema.version().unwrap_or(0)
        ));
        self.schemas.lock().unwrap().push(schema.clone());
        Ok(())
    }

    async fn add_partition(
        &self,
        database: &str,
        table: &str,
        encoded_partition: &str,
        location: &str,
    ) -> connect_api::Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("partition {database}.{table} {encoded_partition} at {location}"));
        Ok(())
    }
}

#[tokio::test]
async fn hive_gets_the_table_on_schema_change_and_each_new_partition() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("test_jdbc_users", 0);
    let metastore = Arc::new(RecordingMetastore::default());
    let mut task = HdfsSinkTask::with_metastore(metastore.clone());
    let extra = [
        ("hive.integration", "true"),
        ("hive.database", "demo"),
        ("schema.compatibility", "BACKWARD"),
        ("partitioner.class", "FieldPartitioner"),
        ("partition.field.name", "department"),
        ("flush.size", "2"),
    ];
    started(&mut task, dir.path(), &extra, std::slice::from_ref(&tp)).await;
    let (v1, v2) = (users_v1(), users_v2());
    let t = "test_jdbc_users";
    task.put(&[
        user_record(t, 0, 0, &v1, 0, "engineering", 0),
        user_record(t, 0, 1, &v1, 1, "sales", 0),
        user_record(t, 0, 2, &v2, 2, "sales", 0),
        user_record(t, 0, 3, &v2, 3, "sales", 0),
    ])
    .await
    .unwrap();
    settle(&mut task).await;
    let root = dir.path().display().to_string();
    let calls = metastore.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            format!("table demo.{t} v1 at {root}/topics/{t} by [\"department\"] as json"),
            format!(
                "partition demo.{t} department=engineering at {root}/topics/{t}/department=engineering"
            ),
            format!("partition demo.{t} department=sales at {root}/topics/{t}/department=sales"),
            format!("table demo.{t} v2 at {root}/topics/{t} by [\"department\"] as json"),
        ]
    );
    assert!(metastore.schemas.lock().unwrap()[1].field("name").is_none());
    task.stop().await.unwrap();
}

#[tokio::test]
async fn bad_configurations_fail_start_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, needle) in [
        (vec![("hdfs.authentication.kerberos", "true")], "hdfs.authentication.kerberos"),
        (vec![("store.url", "s3://bucket/data")], "not built into this connector"),
        (vec![("partitioner.class", "FieldPartitioner")], "partition.field.name"),
    ] {
        let cfg = config(dir.path(), &extra);
        let ctx = SinkTaskContext::new(cfg.clone(), None, Default::default());
        let err = HdfsSinkTask::new().start(ctx, cfg).await.unwrap_err();
        assert!(err.message().contains(needle), "{extra:?}: {}", err.message());
    }
}

#[tokio::test]
async fn the_connector_checks_its_config_and_plans_identical_tasks() {
    use connect_api::{Connector, SinkConnector};
    use connect_hdfs::HdfsSinkConnector;
    let dir = tempfile::tempdir().unwrap();
    let mut connector = HdfsSinkConnector::new();
    let ctx = connect_api::context::ConnectorContext::new(|_| {});
    let bad = config(dir.path(), &[("hdfs.url", "gs://bucket")]);
    let mut bad = bad;
    bad.remove("store.url");
    let err = connector.start(ctx.clone(), bad).await.unwrap_err();
    assert!(err.message().contains("gs storage is not built"), "{}", err.message());
    let good =
        config(dir.path(), &[("storage.class", "io.confluent.connect.hdfs.storage.HdfsStorage")]);
    connector.start(ctx, good.clone()).await.unwrap();
    let tasks = connector.task_configs(3).await.unwrap();
    assert_eq!(tasks, vec![good.clone(); 3]);
    assert!(connector.config_def().get("rotate.schedule.interval.ms").is_some());
    let _task = connector.create_task();
    connector.stop().await.unwrap();
}

#[tokio::test]
async fn a_storage_error_rewinds_the_partition_to_its_committed_offset() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    let ctx =
        started(&mut task, dir.path(), &[("retry.backoff.ms", "0")], std::slice::from_ref(&tp))
            .await;
    let v1 = users_v1();
    task.put(&batch("u", 0, 0, 4, &v1)).await.unwrap(); // 0-2 committed, 3 open
    settle(&mut task).await;
    // The write-ahead log cannot be written: a directory stands where it goes.
    let log = dir.path().join("logs/u/0/log");
    let _ = std::fs::remove_file(&log);
    std::fs::create_dir_all(log.join("blocker")).unwrap();
    // 3, 4, 5 reach flush.size; the commit fails; the put itself succeeds (the records
    // are not acknowledged) and the open files are dropped.
    task.put(&batch("u", 0, 4, 6, &v1)).await.unwrap();
    settle(&mut task).await;
    assert!(temp_files(dir.path()).is_empty());
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&3));
    // Still broken: recovery fails, records are skipped, nothing is rewound yet.
    task.put(&batch("u", 0, 6, 8, &v1)).await.unwrap();
    settle(&mut task).await;
    assert!(ctx.take_offsets().is_empty());
    std::fs::remove_dir_all(&log).unwrap();
    // Storage is back: the next put recovers and rewinds the consumer to offset 3; the
    // records of that batch come again after the seek.
    task.put(&batch("u", 0, 8, 9, &v1)).await.unwrap();
    settle(&mut task).await;
    assert_eq!(ctx.take_offsets().get(&tp), Some(&3));
    task.put(&batch("u", 0, 3, 9, &v1)).await.unwrap();
    settle(&mut task).await;
    check_exactly_once(dir.path(), "topics", "u", &BTreeMap::from([(0, 9)]));
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&9));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_partition_that_gets_no_more_records_is_rewound_once_storage_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    let ctx =
        started(&mut task, dir.path(), &[("retry.backoff.ms", "0")], std::slice::from_ref(&tp))
            .await;
    let v1 = users_v1();
    task.put(&batch("u", 0, 0, 4, &v1)).await.unwrap(); // 0-2 committed, 3 open
    settle(&mut task).await;
    let log = dir.path().join("logs/u/0/log");
    let _ = std::fs::remove_file(&log);
    std::fs::create_dir_all(log.join("blocker")).unwrap();
    // The last records (a full disk, say): 3, 4, 5 reach flush.size and their commit
    // fails; nothing more comes.
    task.put(&batch("u", 0, 4, 6, &v1)).await.unwrap();
    settle(&mut task).await;
    assert!(ctx.take_offsets().is_empty());
    std::fs::remove_dir_all(&log).unwrap();
    // Storage is back and no record comes: the offset commit recovers and rewinds.
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&3));
    assert_eq!(ctx.take_offsets().get(&tp), Some(&3), "the consumer is rewound without a put");
    task.put(&batch("u", 0, 3, 6, &v1)).await.unwrap();
    settle(&mut task).await;
    check_exactly_once(dir.path(), "topics", "u", &BTreeMap::from([(0, 6)]));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_storage_error_before_any_commit_rewinds_to_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    let ctx =
        started(&mut task, dir.path(), &[("retry.backoff.ms", "0")], std::slice::from_ref(&tp))
            .await;
    // The write-ahead log cannot be written from the start: nothing is ever committed,
    // so the rewind point is the earliest record not written, whatever came after it.
    let log = dir.path().join("logs/u/0/log");
    let _ = std::fs::remove_file(&log);
    std::fs::create_dir_all(log.join("blocker")).unwrap();
    let v1 = users_v1();
    // 0-2 reach flush.size and their commit fails; 3-5, then 6-7, are skipped.
    task.put(&batch("u", 0, 0, 3, &v1)).await.unwrap();
    settle(&mut task).await;
    task.put(&batch("u", 0, 3, 6, &v1)).await.unwrap();
    settle(&mut task).await;
    task.put(&batch("u", 0, 6, 8, &v1)).await.unwrap();
    settle(&mut task).await;
    assert!(!committed_offsets(&mut task).await.contains_key(&tp));
    std::fs::remove_dir_all(&log).unwrap();
    // Storage is back: the consumer goes back to offset 0, not to a later skipped one.
    task.put(&batch("u", 0, 8, 9, &v1)).await.unwrap();
    settle(&mut task).await;
    assert_eq!(ctx.take_offsets().get(&tp), Some(&0));
    task.put(&batch("u", 0, 0, 9, &v1)).await.unwrap();
    settle(&mut task).await;
    check_exactly_once(dir.path(), "topics", "u", &BTreeMap::from([(0, 9)]));
    task.stop().await.unwrap();
}

/// A named pipe standing where the write-ahead log goes: a commit that opens it to
/// log its renames blocks until [`BlockedLog::release`] opens the other end (or 20 s
/// pass, so a failing test does not hang); returns what the commit wrote to it.
struct BlockedLog {
    release: std::sync::mpsc::Sender<()>,
    reader: std::thread::JoinHandle<Vec<u8>>,
}

impl BlockedLog {
    fn at(path: &Path) -> BlockedLog {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let made = std::process::Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success(), "mkfifo {}", path.display());
        let (release, rx) = std::sync::mpsc::channel::<()>();
        let path = path.to_path_buf();
        let reader = std::thread::spawn(move || {
            let _ = rx.recv_timeout(Duration::from_secs(20));
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::fs::File::open(&path).unwrap(), &mut bytes)
                .unwrap();
            bytes
        });
        BlockedLog { release, reader }
    }

    fn release(self) -> Vec<u8> {
        let _ = self.release.send(());
        self.reader.join().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_in_flight_is_not_reported_and_a_crash_during_it_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tp = TopicPartition::new("u", 0);
    let mut task = HdfsSinkTask::new();
    started(&mut task, dir.path(), &[], std::slice::from_ref(&tp)).await;
    let log_path = dir.path().join("logs/u/0/log");
    let blocked = BlockedLog::at(&log_path);
    let v1 = users_v1();
    // 0-2 fill a file whose commit then waits on the log; put goes on with 3 and 4.
    tokio::time::timeout(Duration::from_secs(10), task.put(&batch("u", 0, 0, 5, &v1)))
        .await
        .expect("put returns while the commit of the file it filled waits on the log")
        .unwrap();
    // The commit has not finished: its offsets are not reported (pre_commit waits or
    // reports nothing for the partition), and nothing is visible under a committed name.
    if let Ok(offsets) =
        tokio::time::timeout(Duration::from_millis(300), task.pre_commit(Default::default())).await
    {
        let offsets = offsets.unwrap();
        assert!(!offsets.contains_key(&tp), "an unfinished commit was reported: {offsets:?}");
    }
    assert!(all_files(&dir.path().join("topics/u")).is_empty());
    assert_eq!(temp_files(dir.path()).len(), 2, "the file being committed and the next one");
    // A crash with the commit in flight (before its log entry is written).
    drop(task);
    assert!(blocked.release().is_empty(), "the aborted commit logged nothing");
    std::fs::remove_file(&log_path).unwrap();

    let mut task = HdfsSinkTask::new();
    let ctx = started(&mut task, dir.path(), &[], std::slice::from_ref(&tp)).await;
    assert_eq!(ctx.take_offsets().get(&tp), None, "nothing was committed");
    assert!(temp_files(dir.path()).is_empty(), "the crashed run's temporary files are deleted");
    task.put(&batch("u", 0, 0, 7, &v1)).await.unwrap();
    assert_eq!(committed_offsets(&mut task).await.get(&tp), Some(&6));
    check_exactly_once(dir.path(), "topics", "u", &BTreeMap::from([(0, 6)]));
    task.stop().await.unwrap();
}
