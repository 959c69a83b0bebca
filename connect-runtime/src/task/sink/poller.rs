//! The sink task's poll thread: it polls the consumer while the driver converts and puts
//! the batch before, so consuming overlaps with delivery (a pipeline, as the consumer's
//! own fetcher already overlaps with the application).
//!
//! Memory stays bounded: at most [`BATCHES_AHEAD`] batches wait for the driver, each of
//! at most `max.poll.records` records; when they are full the thread waits. Rebalance
//! callbacks run on this thread, as they run inside `poll`, and wait for the driver's
//! answer as before. Seeks run on this thread too, between polls, so that the driver can
//! tell what it polled before a seek from what it polled after: the thread answers each
//! seek with a [`Polled::Seeked`] marker in the same stream as the batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use connect_api::record::{SinkRecord, TimestampType, TopicPartition};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers as _, Message};
use rdkafka::topic_partition_list::Offset;
use tokio::sync::mpsc;

use super::SinkConsumerContext;
use super::convert::{Ahead, convert_ahead};
use crate::errors::RawRecord;
use crate::task::Converters;

/// The consumer a sink task and its poll thread share.
pub(super) type Poller = Arc<BaseConsumer<SinkConsumerContext>>;

/// How many polled batches may wait for the driver.
pub(super) const BATCHES_AHEAD: usize = 2;

/// How long one poll waits for a first message; also how long a seek or stop waits for
/// the thread at most.
const POLL_WAIT: Duration = Duration::from_millis(100);

/// A polled message and, when the converters could decode it on the poll thread (see
/// [`convert_ahead`]), the record it became.
pub(super) struct Fetched {
    /// The message as polled.
    pub raw: RawRecord,
    /// The converted record, not yet transformed.
    pub converted: Option<SinkRecord>,
}

impl std::ops::Deref for Fetched {
    type Target = RawRecord;
    fn deref(&self) -> &RawRecord {
        &self.raw
    }
}

/// What the poll thread hands the driver, in order.
pub(super) enum Polled {
    /// Messages, in the order the consumer returned them.
    Batch(Vec<Fetched>),
    /// A seek the driver asked for was made (or failed, or was dropped because a
    /// rebalance began after it was asked): later batches hold what the partition has
    /// from the new position on (or from its new assignment).
    Seeked(TopicPartition, i64, Result<(), KafkaError>),
    /// The consumer reported an error instead of messages.
    Failed(KafkaError),
}

/// A seek to make: the partition, the offset, and the consumer context's rebalance count
/// when it was asked.
type Seek = (TopicPartition, i64, u64);

/// How long stopping waits for the thread (it may be in a synchronous commit of revoked
/// partitions, or in a seek).
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The handle of a running poll thread.
pub(super) struct PollThread {
    seeks: std_mpsc::Sender<Seek>,
    batches: mpsc::Receiver<Polled>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PollThread {
    /// Starts polling `consumer` on a thread of its own, in batches of at most `max`,
    /// converting what it can ahead with `converters`.
    pub(super) fn start(
        name: String,
        consumer: Poller,
        max: usize,
        converters: Arc<Converters>,
    ) -> std::io::Result<PollThread> {
        let (seeks, seek_rx) = std_mpsc::channel();
        let (tx, batches) = mpsc::channel(BATCHES_AHEAD);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || poll_loop(&consumer, max, &converters, &seek_rx, &tx, &stopping))?;
        Ok(PollThread { seeks, batches, stop, thread: Some(thread) })
    }

    /// Asks the thread to seek, unless a rebalance begins after `rebalances` (the
    /// context's count when the seek was asked); the answer comes as
    /// [`Polled::Seeked`]. `false` when the thread is gone.
    pub(super) fn seek(&self, tp: TopicPartition, offset: i64, rebalances: u64) -> bool {
        self.seeks.send((tp, offset, rebalances)).is_ok()
    }

    /// The next thing polled; `None` once the thread has stopped.
    pub(super) async fn recv(&mut self) -> Option<Polled> {
        self.batches.recv().await
    }

    /// What was polled and waits, without waiting.
    pub(super) fn try_recv(&mut self) -> Option<Polled> {
        self.batches.try_recv().ok()
    }

    /// Stops the thread and waits for it (it ends within one poll, unless a rebalance
    /// callback waits for an answer: the caller must have closed the rebalance channel).
    pub(super) async fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.batches.close();
        while self.batches.try_recv().is_ok() {}
        if let Some(thread) = self.thread.take() {
            let joined = tokio::task::spawn_blocking(move || thread.join());
            if tokio::time::timeout(STOP_WAIT, joined).await.is_err() {
                tracing::warn!(
                    "a sink poll thread did not stop within {STOP_WAIT:?}; leaving it to end on its own"
                );
            }
        }
    }
}

impl Drop for PollThread {
    fn drop(&mut self) {
        // A driver dropped without `stop` (a panic): the thread ends at its next send.
        self.stop.store(true, Ordering::Release);
    }
}

fn poll_loop(
    consumer: &Poller,
    max: usize,
    converters: &Converters,
    seeks: &std_mpsc::Receiver<Seek>,
    tx: &mpsc::Sender<Polled>,
    stop: &AtomicBool,
) {
    // Whether converting ahead is worth trying: not once a converter had no synchronous
    // path (the driver converts everything then, and nothing is converted twice).
    let mut ahead = true;
    while !stop.load(Ordering::Acquire) {
        while let Ok((tp, offset, asked_at)) = seeks.try_recv() {
            // A rebalance began since the seek was asked: the partition may be gone, or
            // back with the offset its new assignment starts from; either way the seek
            // is not for it any more.
            let done = if consumer.context().rebalances.load(Ordering::Acquire) != asked_at {
                Ok(())
            } else {
                consumer.seek(
                    &tp.topic,
                    tp.partition,
                    Offset::Offset(offset),
                    Duration::from_secs(5),
                )
            };
            if tx.blocking_send(Polled::Seeked(tp, offset, done)).is_err() {
                return;
            }
        }
        let polled = match poll_batch(consumer, POLL_WAIT, max) {
            Ok(b) if b.is_empty() => continue,
            Ok(b) => Polled::Batch(
                b.into_iter().map(|raw| fetched(raw, converters, &mut ahead)).collect(),
            ),
            Err(e) => Polled::Failed(e),
        };
        if tx.blocking_send(polled).is_err() {
            return;
        }
    }
}

/// A polled message, converted ahead when `ahead` (which turns off for good once a
/// converter has no synchronous path).
fn fetched(raw: RawRecord, converters: &Converters, ahead: &mut bool) -> Fetched {
    let converted = if *ahead {
        match convert_ahead(converters, &raw) {
            Ahead::Converted(r) => Some(r),
            Ahead::Failed => None,
            Ahead::NoSyncPath => {
                *ahead = false;
                None
            }
        }
    } else {
        None
    };
    Fetched { converted, raw }
}

/// Polls up to `max` messages, owned (so nothing borrowed from the consumer outlives a
/// poll), waiting at most `wait` for the first. Messages of partitions revoked by a
/// rebalance that one of these polls served are dropped: they belong to the task that
/// gets the partitions next.
fn poll_batch(
    consumer: &Poller,
    wait: Duration,
    max: usize,
) -> std::result::Result<Vec<RawRecord>, KafkaError> {
    let mut out = Vec::new();
    let mut timeout = wait;
    // Messages come in runs of one topic: one shared name per run.
    let mut topic: Option<Arc<str>> = None;
    while out.len() < max {
        let polled = consumer.poll(timeout);
        if let Some(revoked) = consumer.context().take_revoked() {
            out.retain(|m: &RawRecord| !m.is_of_any(&revoked));
        }
        match polled {
            None => break,
            Some(Err(e)) => {
                if out.is_empty() {
                    return Err(e);
                }
                break;
            }
            Some(Ok(m)) => {
                let timestamp = match m.timestamp() {
                    rdkafka::Timestamp::NotAvailable => None,
                    rdkafka::Timestamp::CreateTime(t) => Some((t, TimestampType::CreateTime)),
                    rdkafka::Timestamp::LogAppendTime(t) => Some((t, TimestampType::LogAppendTime)),
                };
                let headers = m
                    .headers()
                    .map(|hs| {
                        hs.iter()
                            .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default();
                let topic = match &topic {
                    Some(t) if **t == *m.topic() => t.clone(),
                    _ => topic.insert(Arc::from(m.topic())).clone(),
                };
                out.push(RawRecord {
                    topic,
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    timestamp,
                    headers,
                });
                timeout = Duration::ZERO;
            }
        }
    }
    Ok(out)
}
