#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The in-memory offset reader, the mock contexts and the errant record reporter.

mod common;

use std::time::Duration;

use connect_api::context::{ConnectorEvent, OffsetStorageReader};
use connect_api::record::{OffsetMap, TopicPartition};
use connect_api::{ConnectError, ErrorKind};
use connect_testkit::{
    InMemoryOffsetReader, MockConnectorContext, RecordingErrantReporter, SinkRecords,
    sink_task_context, sink_task_context_with_reporter, source_task_context,
};

use common::{counter_offset, counter_partition, raw};

#[tokio::test]
async fn offset_reader_clones_share_committed_offsets() {
    let reader = InMemoryOffsetReader::new().with_offset(counter_partition(), counter_offset(4));
    let handle = reader.clone();
    assert_eq!(reader.offset(&counter_partition()).await.unwrap(), Some(counter_offset(4)));
    handle.set_offset(counter_partition(), counter_offset(9));
    assert_eq!(reader.offset_of(&counter_partition()), Some(counter_offset(9)));
    let other = OffsetMap::new().with("counter", "other");
    let found = reader.offsets(&[counter_partition(), other.clone()]).await.unwrap();
    assert_eq!(found.len(), 1, "partitions without an offset are absent");
    assert_eq!(handle.lookups(), [counter_partition(), counter_partition(), other]);
    assert_eq!(handle.remove_offset(&counter_partition()), Some(counter_offset(9)));
    assert!(reader.snapshot().is_empty());
}

#[tokio::test]
async fn source_task_context_reads_through_the_given_reader() {
    let reader = InMemoryOffsetReader::new().with_offset(counter_partition(), counter_offset(1));
    let ctx = source_task_context(raw(&[("topic", "t")]), &reader);
    assert_eq!(ctx.config().get("topic").map(String::as_str), Some("t"));
    let offset = ctx.offset_storage_reader().offset(&counter_partition()).await.unwrap();
    assert_eq!(offset, Some(counter_offset(1)));
    assert!(!ctx.cancellation().is_cancelled());
}

#[test]
fn connector_context_records_reconfiguration_requests_and_errors() {
    let mock = MockConnectorContext::new();
    let ctx = mock.context();
    ctx.request_task_reconfiguration();
    ctx.request_task_reconfiguration();
    ctx.raise_error(
        ConnectError::fatal("monitor died").with_source(std::io::Error::other("socket closed")),
    );
    assert_eq!(mock.reconfiguration_requests(), 2);
    let errors = mock.raised_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Fatal);
    assert_eq!(errors[0].message, "monitor died");
    assert!(errors[0].trace.contains("socket closed"));
    assert_eq!(mock.event_count(), 3);
    let events = mock.take_events();
    assert!(matches!(events[2], ConnectorEvent::ErrorRaised(_)));
    assert_eq!(mock.reconfiguration_requests(), 0);
    assert_eq!(mock.event_count(), 3, "the count includes taken events");
}

#[tokio::test]
async fn connector_context_waits_for_events_from_background_work() {
    let mock = MockConnectorContext::new();
    let ctx = mock.context();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        ctx.request_task_reconfiguration();
    });
    mock.wait_for_events(1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(mock.reconfiguration_requests(), 1);
    let err = mock.wait_for_events(2, Duration::from_millis(20)).await.unwrap_err();
    assert!(err.message().contains("did not return within"), "{err}");
}

#[tokio::test]
async fn errant_reporter_keeps_reported_records_and_errors() {
    let reporter = RecordingErrantReporter::new();
    let ctx = sink_task_context_with_reporter(raw(&[]), &reporter);
    let records = SinkRecords::new("orders", 1).strings(["ok", "bad"]);
    let dlq = ctx.errant_record_reporter().unwrap();
    dlq.report(&records[1], &ConnectError::data("not a number")).await.unwrap();
    assert_eq!(reporter.records(), [records[1].clone()]);
    assert_eq!(reporter.errors()[0].kind, ErrorKind::Data);
    assert_eq!(reporter.reports()[0].error.message, "not a number");

    reporter.fail_reports_with(Some(ErrorKind::Retriable));
    let err = dlq.report(&records[0], &ConnectError::data("x")).await.unwrap_err();
    assert!(err.is_retriable());
    assert_eq!(reporter.reports().len(), 1);
}

#[test]
fn sink_task_context_without_reporter_has_none() {
    let ctx = sink_task_context(raw(&[("a", "b")]));
    assert!(ctx.errant_record_reporter().is_none());
    let tp = TopicPartition::new("t", 0);
    ctx.set_assignment([tp.clone()]);
    assert_eq!(ctx.assignment(), [tp]);
}
