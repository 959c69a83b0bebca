#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The source task harness: polling, committing with the runtime's offset rule,
//! restarting on committed offsets, and never hanging.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use connect_api::ErrorKind;
use connect_api::data::Value;
use connect_api::record::{ConnectRecord, OffsetMap};
use connect_testkit::{FlakySourceTask, InMemoryOffsetReader, SourceTaskHarness, values_of};

use common::{
    CounterTask, HangingStopSource, ScriptedSource, WaitingSource, counter_offset,
    counter_partition, file_record, raw,
};

const SECOND: Duration = Duration::from_secs(1);

fn ints(values: &[i64]) -> Vec<Value> {
    values.iter().map(|n| Value::Int64(*n)).collect()
}

#[tokio::test]
async fn restarted_task_resumes_after_the_committed_offset() {
    let mut harness =
        SourceTaskHarness::start(Box::new(CounterTask::default()), raw(&[])).await.unwrap();
    let first = harness.poll_until(3, SECOND).await.unwrap();
    assert_eq!(values_of(&first), ints(&[0, 1, 2]));
    harness.commit().await.unwrap();
    assert_eq!(harness.committed_offsets().get(&counter_partition()), Some(&counter_offset(2)));

    harness.restart(Box::new(CounterTask::default())).await.unwrap();
    let resumed = harness.poll_until(2, SECOND).await.unwrap();
    assert_eq!(values_of(&resumed), ints(&[3, 4]));
    harness.stop().await.unwrap();
}

#[tokio::test]
async fn starts_from_offsets_given_up_front() {
    let reader = InMemoryOffsetReader::new().with_offset(counter_partition(), counter_offset(41));
    let mut harness = SourceTaskHarness::start_with_offsets(
        Box::new(CounterTask::default()),
        raw(&[("topic", "numbers")]),
        reader.clone(),
    )
    .await
    .unwrap();
    let batch = harness.poll().await.unwrap();
    assert_eq!(batch[0].value(), &Value::Int64(42));
    assert_eq!(reader.lookups(), [counter_partition()]);
    harness.commit().await.unwrap();
    assert_eq!(reader.offset_of(&counter_partition()), Some(counter_offset(42)));
}

#[tokio::test]
async fn commit_stores_the_latest_offset_of_each_source_partition() {
    let (task, log) = ScriptedSource::new(vec![
        vec![file_record("lines", "a", 1), file_record("lines", "b", 1)],
        vec![file_record("lines", "a", 2), file_record("other", "a", 3)],
        vec![file_record("lines", "b", 2)],
    ]);
    let mut harness = SourceTaskHarness::start(Box::new(task), raw(&[])).await.unwrap();
    let polled = harness.poll_until(5, SECOND).await.unwrap();
    assert_eq!(polled.len(), 5);
    assert_eq!(harness.unacknowledged().len(), 5);
    assert!(harness.committed_offsets().is_empty(), "nothing before commit");

    let stored = harness.commit().await.unwrap();
    let a = OffsetMap::new().with("filename", "a");
    let b = OffsetMap::new().with("filename", "b");
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[&a], OffsetMap::new().with("position", 3i64));
    assert_eq!(stored[&b], OffsetMap::new().with("position", 2i64));
    assert_eq!(harness.committed_offsets(), stored);
    assert!(harness.unacknowledged().is_empty());
    assert_eq!(log.commits.load(Ordering::SeqCst), 1);

    // commit_record saw every record in poll order, with per-topic-partition offsets.
    let acked = log.committed_records.lock().unwrap().clone();
    let coordinates: Vec<(String, i32, i64)> = acked
        .iter()
        .map(|(_, m)| {
            let m = m.clone().unwrap();
            (m.topic, m.partition, m.offset)
        })
        .collect();
    assert_eq!(
        coordinates,
        [
            ("lines".into(), 0, 0),
            ("lines".into(), 0, 1),
            ("lines".into(), 0, 2),
            ("other".into(), 0, 0),
            ("lines".into(), 0, 3),
        ]
    );
    assert_eq!(harness.acknowledged().len(), 5);
}

#[tokio::test]
async fn uncommitted_records_are_polled_again_after_a_crash() {
    let mut harness =
        SourceTaskHarness::start(Box::new(CounterTask::default()), raw(&[])).await.unwrap();
    harness.poll_until(2, SECOND).await.unwrap();
    harness.commit().await.unwrap();
    let lost = harness.poll_until(2, SECOND).await.unwrap();
    assert_eq!(values_of(&lost), ints(&[2, 3]));

    harness.restart_after_crash(Box::new(CounterTask::default())).await.unwrap();
    let again = harness.poll_until(2, SECOND).await.unwrap();
    assert_eq!(values_of(&again), ints(&[2, 3]), "at least once");
    assert_eq!(harness.committed_offsets()[&counter_partition()], counter_offset(1));
}

#[tokio::test]
async fn poll_until_fails_with_a_clear_error_instead_of_hanging() {
    let mut harness =
        SourceTaskHarness::start(Box::new(WaitingSource::default()), raw(&[])).await.unwrap();
    // A bounded wait: a poll_until that hangs fails here instead of hanging the test.
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        harness.poll_until(1, Duration::from_millis(100)),
    )
    .await
    .expect("poll_until did not return within 30 s")
    .unwrap_err();
    assert!(err.message().contains("wanted 1 record(s)"), "{err}");
    assert!(err.message().contains("got 0"), "{err}");
    harness.stop().await.unwrap();
}

#[tokio::test]
async fn retriable_poll_errors_are_polled_through_and_fatal_ones_returned() {
    let flaky = FlakySourceTask::retriable(Box::new(CounterTask::default()), 3);
    let stats = flaky.stats();
    let mut harness = SourceTaskHarness::start(Box::new(flaky), raw(&[])).await.unwrap();
    let got = harness.poll_until(1, SECOND).await.unwrap();
    assert_eq!(values_of(&got), ints(&[0]));
    assert_eq!(harness.poll_retries(), 3);
    assert_eq!((stats.injected(), stats.delegated()), (3, 1));

    let fatal = FlakySourceTask::fatal(Box::new(CounterTask::default()), 1);
    let mut harness = SourceTaskHarness::start(Box::new(fatal), raw(&[])).await.unwrap();
    let err = harness.poll_until(1, SECOND).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Fatal);
    assert!(err.message().contains("injected fault #1"), "{err}");
}

#[tokio::test]
async fn a_stopped_harness_refuses_to_poll_and_stopping_twice_is_harmless() {
    let (task, log) = ScriptedSource::new(vec![]);
    let mut harness = SourceTaskHarness::start(Box::new(task), raw(&[])).await.unwrap();
    let token = harness.cancellation().clone();
    harness.stop().await.unwrap();
    assert!(token.is_cancelled());
    assert!(!harness.is_running());
    harness.stop().await.unwrap();
    assert_eq!(log.stops.load(Ordering::SeqCst), 1);
    let err = harness.poll().await.unwrap_err();
    assert!(err.message().contains("no task is running"), "{err}");
}

#[tokio::test]
async fn a_hanging_stop_is_reported_after_the_call_timeout() {
    let mut harness = SourceTaskHarness::builder(raw(&[]))
        .call_timeout(Duration::from_millis(50))
        .start(Box::new(HangingStopSource))
        .await
        .unwrap();
    let err = harness.stop().await.unwrap_err();
    assert!(err.message().contains("SourceTask::stop did not return"), "{err}");
}
