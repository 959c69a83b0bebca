#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The sink task harness: redelivery after retriable errors, fatal errors, seeks,
//! commits and rebalances.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::record::{ConnectRecord, OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, ErrorKind, Result, SinkTask};
use connect_testkit::{
    Fault, FlakySinkTask, SinkRecords, SinkTaskHarness, partitions_of, values_of,
};

use common::{
    MemorySink, RetryingSink, fresh_buffered_sink_config, fresh_sink_config, set_outage, stored,
};

fn tp(partition: i32) -> TopicPartition {
    TopicPartition::new("orders", partition)
}

#[tokio::test]
async fn retriable_errors_redeliver_the_same_batch_after_the_requested_timeout() {
    let sink = RetryingSink::new(2, Some(Duration::from_millis(30)));
    let batches = sink.batches.clone();
    let records = SinkRecords::new("orders", 0).strings(["a", "b", "c"]);
    let mut harness = SinkTaskHarness::start(Box::new(sink), RawConfig::new()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.put(&records).await.unwrap();
    assert_eq!(harness.last_put_attempts(), 3);
    assert_eq!(*batches.lock().unwrap(), vec![vec![0, 1, 2]; 3], "the same batch each time");
    assert_eq!(harness.retry_waits(), [Duration::from_millis(30); 2]);
    assert_eq!(harness.position(&tp(0)), Some(3));
}

#[tokio::test]
async fn without_a_requested_timeout_the_default_wait_applies() {
    let sink = RetryingSink::new(1, None);
    let records = SinkRecords::new("orders", 0).strings(["a"]);
    let mut harness = SinkTaskHarness::builder(RawConfig::new())
        .default_retry_wait(Duration::from_millis(7))
        .start(Box::new(sink))
        .await
        .unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.put(&records).await.unwrap();
    assert_eq!(harness.retry_waits(), [Duration::from_millis(7)]);
    assert_eq!(harness.put_attempts(), 2);
}

#[tokio::test]
async fn redelivery_gives_up_after_the_configured_attempts() {
    let sink = RetryingSink::new(10, None);
    let records = SinkRecords::new("orders", 0).strings(["a"]);
    let mut harness = SinkTaskHarness::builder(RawConfig::new())
        .max_attempts(4)
        .default_retry_wait(Duration::from_millis(1))
        .start(Box::new(sink))
        .await
        .unwrap();
    harness.assign([tp(0)]).await.unwrap();
    let err = harness.put(&records).await.unwrap_err();
    assert!(err.is_retriable(), "the last error is returned as it was");
    assert!(err.message().contains("gave up after 4 attempts"), "{err}");
    assert_eq!(harness.last_put_attempts(), 4);
    assert_eq!(harness.position(&tp(0)), None, "nothing was delivered");
}

#[tokio::test]
async fn flaky_sink_records_end_up_written_once_after_redelivery() {
    let config = fresh_sink_config();
    let flaky = FlakySinkTask::retriable(Box::new(MemorySink::default()), 2)
        .requesting_timeout(Duration::from_millis(5));
    let stats = flaky.stats();
    let records = SinkRecords::new("orders", 0).strings(["a", "b"]);
    let mut harness = SinkTaskHarness::start(Box::new(flaky), config.clone()).await.unwrap();
    harness.assign(partitions_of(&records)).await.unwrap();
    harness.put(&records).await.unwrap();
    assert_eq!(harness.last_put_attempts(), 3);
    assert_eq!((stats.injected(), stats.delegated()), (2, 1));
    assert_eq!(harness.retry_waits(), [Duration::from_millis(5); 2]);
    assert_eq!(stored(&config), values_of(&records));
}

#[tokio::test]
async fn fatal_errors_are_returned_after_one_attempt() {
    let flaky = FlakySinkTask::fatal(Box::new(MemorySink::default()), 1);
    let stats = flaky.stats();
    let records = SinkRecords::new("orders", 0).strings(["a"]);
    let mut harness = SinkTaskHarness::start(Box::new(flaky), fresh_sink_config()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    let err = harness.put(&records).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Fatal);
    assert_eq!(harness.last_put_attempts(), 1);
    assert_eq!((stats.injected(), stats.delegated()), (1, 0));
    assert!(harness.retry_waits().is_empty());
}

#[tokio::test]
async fn a_fatal_put_fails_the_task_and_stop_commits_nothing_of_it() {
    let config = fresh_sink_config();
    let sink = MemorySink::default();
    let log = sink.log.clone();
    let mut p0 = SinkRecords::new("orders", 0);
    let first = p0.strings(["a", "b"]);
    let second = p0.strings(["c"]);
    let mut harness = SinkTaskHarness::start(Box::new(sink), config.clone()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.put(&first).await.unwrap();
    set_outage(&config, Some(Fault::Fatal));
    let err = harness.put(&second).await.unwrap_err();
    set_outage(&config, None);
    assert_eq!(err.kind(), ErrorKind::Fatal);
    assert_eq!(harness.last_put_attempts(), 1);
    assert!(harness.failure().unwrap().contains("store is read-only"));
    assert!(!harness.is_running());
    // The runtime gives a failed task nothing more but stop.
    let refused = harness.put(&second).await.unwrap_err();
    assert!(refused.message().contains("the task failed"), "{refused}");
    assert!(harness.commit().await.is_err());
    harness.stop().await.unwrap();
    assert!(harness.committed_offsets().is_empty(), "{:?}", harness.committed_offsets());
    assert!(log.pre_commits.lock().unwrap().is_empty());
    assert_eq!(*log.closed.lock().unwrap(), [vec![tp(0)]]);
    assert_eq!(log.stops.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_hook_before_redelivery_can_end_the_outage() {
    let config = fresh_sink_config();
    let records = SinkRecords::new("orders", 0).strings(["a", "b"]);
    let mut harness =
        SinkTaskHarness::start(Box::new(MemorySink::default()), config.clone()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    set_outage(&config, Some(Fault::Retriable));
    let mut calls = Vec::new();
    harness
        .put_with_hook(&records, async |n| {
            calls.push(n);
            if n == 2 {
                set_outage(&config, None);
            }
        })
        .await
        .unwrap();
    assert_eq!(calls, [1, 2]);
    assert_eq!(harness.last_put_attempts(), 3);
    assert_eq!(stored(&config), values_of(&records));
}

#[tokio::test]
async fn fault_after_delegating_reaches_the_task_each_time() {
    let config = fresh_sink_config();
    let flaky = FlakySinkTask::retriable(Box::new(MemorySink::default()), 1).after_delegating();
    let records = SinkRecords::new("orders", 0).strings(["a"]);
    let mut harness = SinkTaskHarness::start(Box::new(flaky), config.clone()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.put(&records).await.unwrap();
    assert_eq!(stored(&config).len(), 2, "an appending sink duplicates on redelivery");
}

/// Seeks in `open` to a configured offset, and back to the batch start on a
/// "rewind" value.
struct SeekingSink {
    ctx: Option<SinkTaskContext>,
}

#[async_trait]
impl SinkTask for SeekingSink {
    async fn start(&mut self, ctx: SinkTaskContext, _config: RawConfig) -> Result<()> {
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let ctx = self.ctx.as_ref().unwrap();
        ctx.offsets(partitions.iter().map(|tp| (tp.clone(), 100)))
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let ctx = self.ctx.as_ref().unwrap();
        for r in records {
            if r.value().as_str() == Some("rewind") {
                ctx.offset(r.original_topic_partition(), r.kafka_offset())?;
            }
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn seeks_requested_through_the_context_are_reported_and_move_the_position() {
    let mut harness = SinkTaskHarness::start(Box::new(SeekingSink { ctx: None }), RawConfig::new())
        .await
        .unwrap();
    harness.assign([tp(0), tp(1)]).await.unwrap();
    assert_eq!(harness.requested_seeks().get(&tp(0)), Some(&100));
    assert_eq!(harness.requested_seeks().get(&tp(1)), Some(&100));
    assert_eq!(harness.position(&tp(1)), Some(100));

    let records = SinkRecords::new("orders", 0).starting_at(100).strings(["x", "rewind", "y"]);
    harness.put(&records).await.unwrap();
    assert_eq!(harness.requested_seeks().get(&tp(0)), Some(&101));
    assert_eq!(harness.position(&tp(0)), Some(101), "the seek wins over the batch end");

    let taken = harness.take_requested_seeks();
    assert_eq!(taken.len(), 2);
    assert!(harness.requested_seeks().is_empty());
    let committed = harness.commit().await.unwrap();
    assert_eq!(committed[&tp(0)], OffsetAndMetadata::new(101));
}

#[tokio::test]
async fn commit_passes_delivered_offsets_to_pre_commit_and_keeps_the_answer() {
    let config = fresh_buffered_sink_config();
    let sink = MemorySink::default();
    let log = sink.log.clone();
    let mut p0 = SinkRecords::new("orders", 0);
    let mut p1 = SinkRecords::new("orders", 1).starting_at(10);
    let mut harness = SinkTaskHarness::start(Box::new(sink), config.clone()).await.unwrap();
    harness.assign([tp(0), tp(1), tp(2)]).await.unwrap();
    harness.put(&p0.strings(["a", "b"])).await.unwrap();
    harness.put(&p1.strings(["c"])).await.unwrap();
    assert!(stored(&config).is_empty(), "buffered until flush");

    let committed = harness.commit().await.unwrap();
    assert_eq!(committed[&tp(0)], OffsetAndMetadata::new(2));
    assert_eq!(committed[&tp(1)], OffsetAndMetadata::new(11));
    assert!(!committed.contains_key(&tp(2)), "nothing delivered there");
    assert_eq!(stored(&config).len(), 3, "pre_commit flushed");
    let seen = log.pre_commits.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].get(&tp(0)), Some(&2));
    assert_eq!(harness.committed_offsets(), &committed);
}

/// Commits nothing through Kafka: keeps its progress elsewhere.
struct SelfCommittingSink;

#[async_trait]
impl SinkTask for SelfCommittingSink {
    async fn start(&mut self, _ctx: SinkTaskContext, _config: RawConfig) -> Result<()> {
        Ok(())
    }
    async fn put(&mut self, _records: &[SinkRecord]) -> Result<()> {
        Ok(())
    }
    async fn pre_commit(
        &mut self,
        _offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        Ok(HashMap::from([
            (tp(0), OffsetAndMetadata::new(1)),
            (TopicPartition::new("not-assigned", 0), OffsetAndMetadata::new(5)),
        ]))
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn committed_offsets_are_what_pre_commit_returned_for_assigned_partitions() {
    let mut harness =
        SinkTaskHarness::start(Box::new(SelfCommittingSink), RawConfig::new()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.put(&SinkRecords::new("orders", 0).strings(["a", "b", "c"])).await.unwrap();
    let committed = harness.commit().await.unwrap();
    assert_eq!(committed.len(), 1);
    assert_eq!(committed[&tp(0)], OffsetAndMetadata::new(1));
}

#[tokio::test]
async fn assign_opens_new_partitions_and_revoke_commits_then_closes() {
    let config = fresh_buffered_sink_config();
    let sink = MemorySink::default();
    let log = sink.log.clone();
    let mut harness = SinkTaskHarness::start(Box::new(sink), config.clone()).await.unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.assign([tp(0), tp(1)]).await.unwrap();
    assert_eq!(*log.opened.lock().unwrap(), vec![vec![tp(0)], vec![tp(1)]]);
    assert_eq!(harness.assignment(), [tp(0), tp(1)]);

    harness.put(&SinkRecords::new("orders", 1).strings(["a"])).await.unwrap();
    harness.revoke([tp(1), tp(7)]).await.unwrap();
    assert_eq!(*log.closed.lock().unwrap(), vec![vec![tp(1)]]);
    assert_eq!(harness.assignment(), [tp(0)]);
    assert_eq!(harness.committed_offsets()[&tp(1)], OffsetAndMetadata::new(1));
    assert_eq!(stored(&config).len(), 1, "revoking flushed");

    let err = harness
        .put(&SinkRecords::new("orders", 1).starting_at(1).strings(["b"]))
        .await
        .unwrap_err();
    assert!(err.message().contains("not assigned"), "{err}");

    harness.stop().await.unwrap();
    assert_eq!(*log.closed.lock().unwrap(), vec![vec![tp(1)], vec![tp(0)]]);
    assert_eq!(log.stops.load(Ordering::SeqCst), 1);
    assert!(harness.context().cancellation().is_cancelled());
    harness.stop().await.unwrap();
    assert_eq!(log.stops.load(Ordering::SeqCst), 1);
}

/// Sends records whose value is not a number to the errant record reporter.
struct ReportingSink {
    ctx: Option<SinkTaskContext>,
}

#[async_trait]
impl SinkTask for ReportingSink {
    async fn start(&mut self, ctx: SinkTaskContext, _config: RawConfig) -> Result<()> {
        self.ctx = Some(ctx);
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let ctx = self.ctx.as_ref().unwrap();
        for r in records {
            if r.value().as_str().is_some_and(|s| s.parse::<i64>().is_err()) {
                let reporter = ctx
                    .errant_record_reporter()
                    .ok_or_else(|| ConnectError::data("bad record and no reporter"))?;
                reporter.report(r, &ConnectError::data("not a number")).await?;
            }
        }
        Ok(())
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn errant_records_reach_the_harness_reporter_unless_disabled() {
    let records = SinkRecords::new("orders", 0).strings(["1", "two", "3"]);
    let mut harness =
        SinkTaskHarness::start(Box::new(ReportingSink { ctx: None }), RawConfig::new())
            .await
            .unwrap();
    harness.assign([tp(0)]).await.unwrap();
    harness.put(&records).await.unwrap();
    let reporter = harness.errant_reporter().unwrap();
    assert_eq!(reporter.records(), [records[1].clone()]);

    let mut harness = SinkTaskHarness::builder(RawConfig::new())
        .without_errant_reporter()
        .start(Box::new(ReportingSink { ctx: None }))
        .await
        .unwrap();
    harness.assign([tp(0)]).await.unwrap();
    let err = harness.put(&records).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(harness.errant_reporter().is_none());
}
