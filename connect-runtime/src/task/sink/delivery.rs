//! Handing batches to `put`: retries with the partitions paused while the consumer keeps
//! polling, and, under `errors.tolerance=all`, bisection of a batch that `put` rejects
//! for bad data so that only the records at fault are dead-lettered.

use std::collections::HashMap;
use std::time::Duration;

use connect_api::error::ErrorKind;
use connect_api::record::{SinkRecord, TopicPartition};
use connect_api::{ConnectError, Result};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::SinkDriver;
use crate::errors::{Failure, Stage};
use crate::metrics::{Count, Max};

/// The class Kafka names in error reports for a failed `put`.
const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.sink.SinkTask";

/// Why a chunk was not put.
enum NotPut {
    /// `put` refused it (after the retries for a retriable error).
    Put(ConnectError),
    /// The task is stopping.
    Cancelled,
    /// Something else failed meanwhile (opening or closing partitions in a rebalance).
    Other(ConnectError),
}

impl SinkDriver {
    /// Hands a batch to `put`; `false` when the task is stopping before it was all put
    /// (what was put is noted). Retriable errors are retried (see
    /// [`SinkDriver::put_retrying`]); when the retries run out the task fails, whatever
    /// `errors.tolerance` says, as a `put` that cannot reach its system is no record's
    /// fault (Kafka never tolerates `put` failures). With `errors.tolerance=all`, a batch
    /// rejected for its data (a data or schema error) is split in halves, each put on its
    /// own, down to single records: only a record that fails alone is reported to the
    /// error handler (dead letter queue, log) and skipped. Kafka instead fails the task or,
    /// through the errant record reporter, leaves it to the task. Bisection suits a `put`
    /// that writes all or nothing; a sink that writes part of a batch before refusing a
    /// record should report that record through the errant record reporter instead (the
    /// JDBC and HDFS sinks do), or its good records may be put twice (at-least-once still
    /// holds).
    pub(super) async fn deliver(&mut self, records: Vec<SinkRecord>) -> Result<bool> {
        if records.is_empty() {
            return Ok(true);
        }
        // Chunks still to put, the next one last.
        let mut todo = vec![records];
        while let Some(mut chunk) = todo.pop() {
            let e = match self.put_retrying(&mut chunk).await {
                Ok(()) => {
                    self.note_delivered(&chunk);
                    continue;
                }
                Err(NotPut::Cancelled) => return Ok(false),
                Err(NotPut::Other(e)) => return Err(e),
                Err(NotPut::Put(e)) => e,
            };
            let bad_data = matches!(e.kind(), ErrorKind::Data | ErrorKind::Schema);
            if !(bad_data && self.errors.tolerates()) {
                let e = e.context(format!("task {} put failed", self.id));
                if e.is_retriable() {
                    return Err(ConnectError::fatal(format!(
                        "retries of put ran out (errors.retry.timeout): {}",
                        e.message()
                    ))
                    .with_source(e));
                }
                return Err(e);
            }
            if chunk.len() > 1 {
                debug!(task = %self.id, records = chunk.len(), error = %e, "put rejected the batch for its data; putting each half on its own");
                let right = chunk.split_off(chunk.len() / 2);
                todo.push(right);
                todo.push(chunk);
                continue;
            }
            // A record the sink refuses on its own: reported and skipped.
            let e = e.context(format!("task {} put failed", self.id));
            for r in &chunk {
                let original = self.errors.original_of(r);
                self.errors.fail(Failure {
                    stage: Stage::TaskPut,
                    class: SINK_TASK_CLASS,
                    error: &e,
                    original: original.as_ref(),
                })?;
            }
            self.note_delivered(&chunk);
        }
        Ok(true)
    }

    /// `put` of one chunk; a retriable error is tried again after a wait (the task's
    /// `SinkTaskContext::timeout` if it set one, else the `errors.retry.*` backoff) until
    /// `errors.retry.timeout` ends (for ever when the key is not set, as Kafka redelivers
    /// without end). Meanwhile every assigned partition is paused and the consumer keeps
    /// polling, so the task stays in its group however long the outage lasts. Records of
    /// partitions revoked since the batch was polled are dropped from the chunk.
    async fn put_retrying(&mut self, chunk: &mut Vec<SinkRecord>) -> Result<(), NotPut> {
        let (start, mut attempt) = (Instant::now(), 1u32);
        loop {
            if self.revocations != self.batch_since {
                let assigned = &self.assigned;
                chunk.retain(|r| assigned.contains(&r.original_topic_partition()));
                if chunk.is_empty() {
                    return Ok(());
                }
            }
            let putting = std::time::Instant::now();
            let put = self.task.put(chunk).await;
            let e = match put {
                Ok(()) => {
                    // Kafka times the puts that succeeded only (WorkerSinkTask.recordPut).
                    self.metrics.timed(
                        Count::Puts,
                        Count::PutMicros,
                        Max::PutMicros,
                        putting.elapsed(),
                    );
                    self.metrics.add(Count::Sent, chunk.len() as u64);
                    self.metrics.batch(chunk.len());
                    return Ok(());
                }
                Err(e) if e.is_retriable() => e,
                Err(e) => return Err(NotPut::Put(e)),
            };
            self.errors.metrics().failure();
            let policy = self.errors.retry();
            let backoff = if policy.explicit {
                match policy.next_wait(start, attempt) {
                    Some(w) => w,
                    None => return Err(NotPut::Put(e)),
                }
            } else {
                policy.delay(attempt)
            };
            let wait = self.ctx.take_timeout().unwrap_or(backoff);
            warn!(task = %self.id, error = %e, attempt, wait_ms = wait.as_millis() as u64, "retriable error from put; the partitions are paused and the batch will be delivered again");
            match self.wait_polling(wait).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Cancelled => return Err(NotPut::Cancelled),
                Err(e) => return Err(NotPut::Other(e)),
            }
            self.errors.metrics().retry();
            attempt += 1;
        }
    }

    /// Waits `wait` with every assigned partition paused, polling the consumer (and
    /// serving rebalances) meanwhile. Messages that arrive anyway are kept for later. A
    /// cancelled error when the task must stop.
    pub(super) async fn wait_polling(&mut self, wait: Duration) -> Result<()> {
        self.pause_for_retry();
        let until = Instant::now() + wait;
        loop {
            if self.cancel.is_cancelled() {
                return Err(ConnectError::cancelled("the task is stopping"));
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            if let Some(batch) = self.next_batch(left.min(Duration::from_millis(100))).await? {
                self.stash.extend(batch);
            }
            // Partitions assigned meanwhile are paused too.
            if self.paused.len() != self.assigned.len() {
                self.pause_for_retry();
            }
        }
    }

    /// Pauses every assigned partition for a retry; a failure only costs the stash more
    /// messages, so it is logged.
    fn pause_for_retry(&mut self) {
        if let Err(e) = self.pause_all() {
            warn!(task = %self.id, error = %e, "could not pause the partitions during a retry; polling on");
        }
    }

    /// Moves the next offset to commit past a chunk that needs no more work.
    fn note_delivered(&mut self, records: &[SinkRecord]) {
        // Batches come in runs of one partition: update the map once per run, not once
        // per record.
        let mut run: Option<(&str, i32, i64)> = None;
        let note = |delivered: &mut HashMap<TopicPartition, i64>,
                    (t, p, next): (&str, i32, i64)| {
            let e = delivered.entry(TopicPartition::new(t, p)).or_insert(next);
            *e = (*e).max(next);
        };
        for r in records {
            let (t, p, next) =
                (r.original_topic(), r.original_kafka_partition(), r.original_kafka_offset() + 1);
            run = match run {
                Some((rt, rp, rn)) if rt == t && rp == p => Some((rt, rp, rn.max(next))),
                Some(done) => {
                    note(&mut self.delivered, done);
                    Some((t, p, next))
                }
                None => Some((t, p, next)),
            };
        }
        if let Some(done) = run {
            note(&mut self.delivered, done);
        }
    }
}
