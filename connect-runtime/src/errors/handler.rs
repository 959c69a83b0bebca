//! The error handler of one task: counts, logs, dead-letters and tolerates failures; for
//! sink tasks it is also the errant record reporter.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::ErrantRecordReporter;
use connect_api::error::ErrorKind;
use connect_api::record::SinkRecord;
use connect_api::{ConnectError, Result};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use tracing::{error, info, warn};

use super::{ErrorMetrics, RawRecord, RetryPolicy, Stage};
use crate::config::connector::{ErrorPolicy, Tolerance, client_overrides};
use crate::kafka::{KafkaClients, TopicSpec};
use crate::task::TaskId;

/// The prefix of Kafka's error context headers.
const HEADER_PREFIX: &str = "__connect.errors.";

/// One failure to handle.
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    /// Where it happened.
    pub stage: Stage,
    /// The class (or plugin) that was running: a converter, a transformation, the task.
    pub class: &'a str,
    /// What went wrong.
    pub error: &'a ConnectError,
    /// The record as read from Kafka (sinks), when known.
    pub original: Option<&'a RawRecord>,
}

/// The dead letter queue of a sink connector: a topic and a producer of raw bytes.
pub struct DeadLetterQueue {
    topic: String,
    producer: FutureProducer,
    context_headers: bool,
}

impl std::fmt::Debug for DeadLetterQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetterQueue").field("topic", &self.topic).finish()
    }
}

impl DeadLetterQueue {
    /// The dead letter queue a sink connector's config asks for, if any: creates the
    /// topic when missing (1 partition, `errors.deadletterqueue.topic.replication.factor`)
    /// and a producer with the connector's `producer.override.*` settings.
    pub async fn open(
        kafka: &KafkaClients,
        id: &TaskId,
        connector: &RawConfig,
    ) -> Result<Option<DeadLetterQueue>> {
        let policy = ErrorPolicy::from_config(connector);
        let Some(topic) = policy.dlq_topic else { return Ok(None) };
        let key = "errors.deadletterqueue.topic.replication.factor";
        let replication = match connector.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => 3,
            Some(v) => v.parse::<i16>().ok().filter(|r| *r >= 1 || *r == -1).ok_or_else(|| {
                ConnectError::config(format!(
                    "Invalid value {v} for configuration {key}: must be a positive number or -1 (the broker's default)"
                ))
            })?,
        };
        let spec = TopicSpec {
            name: topic.clone(),
            partitions: Some(1),
            replication: Some(replication),
            configs: Vec::new(),
        };
        kafka.ensure_topic_spec(&spec).await.map_err(|e| {
            e.context(format!("Could not initialize dead letter queue with topic={topic}"))
        })?;
        let producer = kafka
            .producer_config(
                &format!("connector-dlq-producer-{id}"),
                &client_overrides(connector, "producer"),
            )
            .create()
            .map_err(|e| {
                ConnectError::config(format!("cannot create the dead letter queue producer: {e}"))
                    .with_source(e)
            })?;
        info!(task = %id, topic = %topic, "dead letter queue ready");
        Ok(Some(DeadLetterQueue { topic, producer, context_headers: policy.dlq_context_headers }))
    }

    fn send(
        &self,
        id: &TaskId,
        failure: &Failure<'_>,
        original: &RawRecord,
    ) -> Result<DeliveryFuture> {
        let mut headers = OwnedHeaders::new_with_capacity(original.headers.len() + 10);
        for (k, v) in &original.headers {
            headers = headers.insert(Header { key: k, value: v.as_deref() });
        }
        if self.context_headers {
            let partition = original.partition.to_string();
            let offset = original.offset.to_string();
            let task = id.task.to_string();
            let trace = failure.error.trace();
            let context: [(&str, &str); 10] = [
                ("topic", &original.topic),
                ("partition", &partition),
                ("offset", &offset),
                ("connector.name", &id.connector),
                ("task.id", &task),
                ("stage", failure.stage.as_str()),
                ("class.name", failure.class),
                ("exception.class.name", exception_class(failure.error.kind())),
                ("exception.message", failure.error.message()),
                ("exception.stacktrace", &trace),
            ];
            for (name, value) in context {
                let key = format!("{HEADER_PREFIX}{name}");
                headers = headers.insert(Header { key: &key, value: Some(value.as_bytes()) });
            }
        }
        let mut record = FutureRecord::<[u8], [u8]>::to(&self.topic).headers(headers);
        if let Some(k) = original.key.as_deref() {
            record = record.key(k);
        }
        if let Some(v) = original.value.as_deref() {
            record = record.payload(v);
        }
        if let Some((t, _)) = original.timestamp {
            record = record.timestamp(t);
        }
        self.producer.send_result(record).map_err(|(e, _)| {
            ConnectError::retriable(format!(
                "could not queue a record for the dead letter queue topic {}: {e}",
                self.topic
            ))
        })
    }
}

/// The Java exception class Kafka would name for an error of this kind, so tools that
/// read `__connect.errors.exception.class.name` work unchanged.
fn exception_class(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Retriable => "org.apache.kafka.connect.errors.RetriableException",
        ErrorKind::Data => "org.apache.kafka.connect.errors.DataException",
        ErrorKind::Schema => "org.apache.kafka.connect.errors.SchemaProjectorException",
        ErrorKind::Config => "org.apache.kafka.common.config.ConfigException",
        ErrorKind::NotFound => "org.apache.kafka.connect.errors.NotFoundException",
        _ => "org.apache.kafka.connect.errors.ConnectException",
    }
}

/// Handles the failures of one task as its connector's `errors.*` settings say.
pub struct ErrorHandler {
    id: TaskId,
    policy: ErrorPolicy,
    retry: RetryPolicy,
    dlq: std::sync::OnceLock<DeadLetterQueue>,
    metrics: Arc<ErrorMetrics>,
    /// The records of the batch a sink task is handling, as read, so a record the task
    /// reports can be dead-lettered with its original bytes.
    batch: Mutex<Arc<Vec<RawRecord>>>,
    /// DLQ writes not yet known to be acknowledged.
    pending: Mutex<Vec<DeliveryFuture>>,
    /// Why a write to the dead letter queue failed, once one did: from then on nothing
    /// may be committed past the records it carried, so every flush fails.
    dlq_failed: Mutex<Option<String>>,
}

impl std::fmt::Debug for ErrorHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorHandler").field("id", &self.id).field("dlq", &self.dlq).finish()
    }
}

impl ErrorHandler {
    /// A handler for `id` under its connector's config, counting in `metrics`; a sink's
    /// dead letter queue is opened later with [`ErrorHandler::open_dead_letter_queue`].
    pub fn new(id: TaskId, connector: &RawConfig, metrics: Arc<ErrorMetrics>) -> Result<Self> {
        Ok(ErrorHandler {
            id,
            policy: ErrorPolicy::from_config(connector),
            retry: RetryPolicy::from_config(connector)?,
            dlq: std::sync::OnceLock::new(),
            metrics,
            batch: Mutex::default(),
            pending: Mutex::default(),
            dlq_failed: Mutex::default(),
        })
    }

    /// The retry settings.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Whether failed records are skipped (`errors.tolerance=all`).
    pub fn tolerates(&self) -> bool {
        self.policy.tolerance == Tolerance::All
    }

    /// Opens the dead letter queue the connector config asks for, if any (sinks; see
    /// [`DeadLetterQueue::open`]).
    pub async fn open_dead_letter_queue(
        &self,
        kafka: &KafkaClients,
        connector: &RawConfig,
    ) -> Result<()> {
        if self.dlq.get().is_none()
            && let Some(dlq) = DeadLetterQueue::open(kafka, &self.id, connector).await?
        {
            let _ = self.dlq.set(dlq);
        }
        Ok(())
    }

    /// Whether a sink task gets an errant record reporter: as in Kafka, when a dead
    /// letter queue or error logging is configured, and also under
    /// `errors.tolerance=all` alone (Kafka gives none then, and a record the task cannot
    /// write fails it; here it is skipped and counted, as the tolerance says).
    pub fn reports_errant_records(&self) -> bool {
        self.policy.dlq_topic.is_some() || self.policy.log || self.tolerates()
    }

    /// The task's error counters.
    pub fn metrics(&self) -> &Arc<ErrorMetrics> {
        &self.metrics
    }

    /// Remembers the records of the batch in hand (sinks).
    pub fn set_batch(&self, batch: Arc<Vec<RawRecord>>) {
        *self.batch.lock().unwrap_or_else(|p| p.into_inner()) = batch;
    }

    /// The record as read from Kafka that `record` came from, if it is in the batch in
    /// hand.
    pub fn original_of(&self, record: &SinkRecord) -> Option<RawRecord> {
        let batch = self.batch.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (t, p, o) = (
            record.original_topic(),
            record.original_kafka_partition(),
            record.original_kafka_offset(),
        );
        batch.iter().find(|r| r.offset == o && r.partition == p && *r.topic == *t).cloned()
    }

    /// Between two attempts of a record's operation (a conversion) that failed with a
    /// retriable `error`: counts the failure and the retry, logs (a warning on the first
    /// retry of the record), moves `attempt` on, and says how long to wait before the
    /// next attempt ([`RetryPolicy::next_wait`]); `None` once the retries are spent.
    /// `start` is set at the first failure, so records that convert at once cost no clock
    /// read.
    pub fn retry_wait(
        &self,
        start: &mut Option<tokio::time::Instant>,
        attempt: &mut u32,
        error: &dyn std::fmt::Display,
    ) -> Option<Duration> {
        self.metrics.failure();
        let start = *start.get_or_insert_with(tokio::time::Instant::now);
        let wait = self.retry.next_wait(start, *attempt)?;
        if *attempt == 1 {
            warn!(task = %self.id, error = %error, "retrying a conversion after a retriable error, for up to errors.retry.timeout");
        } else {
            tracing::debug!(task = %self.id, error = %error, wait_ms = wait.as_millis() as u64, attempt = *attempt, "retrying a conversion");
        }
        self.metrics.retry();
        *attempt += 1;
        Some(wait)
    }

    /// Handles a failure that is not (or no longer) retried: counts it, logs it when
    /// `errors.log.enable`, queues the record for the dead letter queue (see
    /// [`ErrorHandler::flush`]), then applies `errors.tolerance`: an error for `none` (the
    /// task must fail; the record is still dead-lettered first, as in Kafka), `Ok` for
    /// `all` (the record is skipped).
    pub fn fail(&self, failure: Failure<'_>) -> Result<()> {
        let (verdict, ack) = self.handle(&failure);
        if let Some(ack) = ack {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).push(ack);
        }
        verdict
    }

    /// [`ErrorHandler::fail`], handing back the dead letter queue write instead of
    /// queueing it.
    fn handle(&self, failure: &Failure<'_>) -> (Result<()>, Option<DeliveryFuture>) {
        self.metrics.failure();
        if self.policy.log {
            self.metrics.logged();
            let at = failure
                .original
                .map(|r| format!("{}-{}@{}", r.topic, r.partition, r.offset))
                .unwrap_or_else(|| "a record".into());
            if self.policy.log_messages {
                let record = failure.original.map(describe).unwrap_or_default();
                error!(task = %self.id, stage = failure.stage.as_str(), class = failure.class, error = %failure.error.trace(), record = %record, "error encountered in task; executing stage {} for {at}", failure.stage.as_str());
            } else {
                error!(task = %self.id, stage = failure.stage.as_str(), class = failure.class, error = %failure.error.trace(), "error encountered in task; executing stage {} for {at}", failure.stage.as_str());
            }
        }
        let mut ack = None;
        if let (Some(dlq), Some(original)) = (self.dlq.get(), failure.original) {
            self.metrics.dlq_request();
            match dlq.send(&self.id, failure, original) {
                Ok(a) => ack = Some(a),
                Err(e) => {
                    self.dlq_failure(e.message());
                    return (Err(e), None);
                }
            }
        }
        if self.policy.tolerance == Tolerance::None {
            // Retries that ran out leave a fatal error, not a retriable one.
            let kind = match failure.error.kind() {
                ErrorKind::Retriable => ErrorKind::Fatal,
                k => k,
            };
            let e = ConnectError::new(
                kind,
                format!(
                    "Tolerance exceeded in error handler: stage {} ({}) failed: {}",
                    failure.stage.as_str(),
                    failure.class,
                    failure.error.message()
                ),
            );
            return (Err(e), ack);
        }
        self.metrics.skipped();
        (Ok(()), ack)
    }

    fn dlq_topic(&self) -> &str {
        self.dlq.get().map(|d| d.topic.as_str()).unwrap_or_default()
    }

    /// Remembers that a write to the dead letter queue failed; the error to return.
    fn dlq_failure(&self, why: &str) -> ConnectError {
        self.metrics.dlq_failure();
        warn!(task = %self.id, topic = self.dlq_topic(), error = %why, "could not produce a record to the dead letter queue");
        let mut failed = self.dlq_failed.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert_with(|| why.to_string());
        ConnectError::fatal(format!(
            "could not produce a record to the dead letter queue topic {}: {why}",
            self.dlq_topic()
        ))
    }

    /// Waits for one write to the dead letter queue.
    async fn acknowledged(&self, ack: DeliveryFuture) -> Result<()> {
        let why = match tokio::time::timeout(Duration::from_secs(300), ack).await {
            Ok(Ok(Ok(_))) => return Ok(()),
            Ok(Ok(Err((e, _)))) => e.to_string(),
            Ok(Err(_)) => "the producer went away".to_string(),
            Err(_) => "no acknowledgement within 300 s".to_string(),
        };
        Err(self.dlq_failure(&why))
    }

    /// Waits until every record queued for the dead letter queue so far is acknowledged.
    /// An error once any write to it failed (now or before): the offsets of what it
    /// carried must never be committed, so the task fails.
    pub async fn flush(&self) -> Result<()> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        let mut first_error = None;
        for ack in pending {
            if let Err(e) = self.acknowledged(ack).await {
                first_error.get_or_insert(e);
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let failed = self.dlq_failed.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match failed {
            Some(why) => Err(ConnectError::fatal(format!(
                "a record could not be written to the dead letter queue topic {} earlier ({why}); nothing past it is committed",
                self.dlq_topic()
            ))),
            None => Ok(()),
        }
    }
}

/// A record for the error log (`errors.log.include.messages`): where it was read, its
/// key and value as text when they are UTF-8, their length otherwise.
fn describe(r: &RawRecord) -> String {
    let show = |b: &Option<Vec<u8>>| match b {
        None => "null".to_string(),
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => format!("{s:?}"),
            Err(_) => format!("<{} bytes>", b.len()),
        },
    };
    format!(
        "{{topic='{}', partition={}, offset={}, timestamp={:?}, key={}, value={}, headers={:?}}}",
        r.topic,
        r.partition,
        r.offset,
        r.timestamp,
        show(&r.key),
        show(&r.value),
        r.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
    )
}

#[async_trait]
impl ErrantRecordReporter for ErrorHandler {
    async fn report(&self, record: &SinkRecord, error: &ConnectError) -> Result<()> {
        let original = self.original_of(record);
        if original.is_none() {
            warn!(task = %self.id, topic = record.original_topic(), offset = record.original_kafka_offset(), "a reported record is not one of the batch in hand; it is logged but not dead-lettered");
        }
        let failure = Failure {
            stage: Stage::TaskPut,
            class: "org.apache.kafka.connect.sink.SinkTask",
            error,
            original: original.as_ref(),
        };
        // Completes once this record's own write is acknowledged (Kafka's future).
        let (verdict, ack) = self.handle(&failure);
        if let Some(ack) = ack {
            self.acknowledged(ack).await?;
        }
        verdict
    }
}
