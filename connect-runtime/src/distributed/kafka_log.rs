//! A compacted internal topic read as a log, as Kafka's `KafkaBasedLog` does: a consumer
//! with no group assigned every partition from the beginning, read "to the end" (the
//! high watermarks of the moment) on demand, and a producer that writes keyed records
//! and waits for each to be acknowledged.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_api::{ConnectError, Result};
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::kafka::{InternalTopic, KafkaClients};

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset in the partition.
    pub offset: i64,
    /// Its key (UTF-8; records with no or non-UTF-8 keys are skipped with a warning).
    pub key: String,
    /// Its value; `None` for a tombstone.
    pub value: Option<Vec<u8>>,
}

/// An internal topic read and written as a log.
#[derive(Clone)]
pub struct KafkaLog {
    topic: String,
    partitions: i32,
    consumer: Arc<Mutex<BaseConsumer>>,
    producer: FutureProducer,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog").field("topic", &self.topic).finish()
    }
}

fn kafka(what: &str, e: rdkafka::error::KafkaError) -> ConnectError {
    ConnectError::retriable(format!("{what}: {e}")).with_source(e)
}

impl KafkaLog {
    /// Opens the log of `spec`, creating the topic when missing (see
    /// [`KafkaClients::ensure_internal_topic`]). Keys are hashed to partitions with
    /// murmur2, as Java's producer does, so a key lands where a Java worker puts it.
    pub async fn open(
        kafka_clients: &KafkaClients,
        spec: &InternalTopic,
        client_id: &str,
    ) -> Result<Self> {
        kafka_clients.ensure_internal_topic(spec).await?;
        let mut pcfg =
            kafka_clients.producer_config(&format!("{client_id}-producer"), &Default::default());
        pcfg.set("partitioner", "murmur2").set("linger.ms", "0");
        let producer: FutureProducer = pcfg.create().map_err(|e| {
            ConnectError::config(format!("cannot create a producer for {}: {e}", spec.name))
        })?;
        let consumer: BaseConsumer =
            kafka_clients.reader_config(&format!("{client_id}-reader")).create().map_err(|e| {
                ConnectError::config(format!("cannot create a reader of {}: {e}", spec.name))
            })?;
        let topic = spec.name.clone();
        let consumer = tokio::task::spawn_blocking(move || -> Result<(BaseConsumer, i32)> {
            let deadline = Instant::now() + Duration::from_secs(30);
            let partitions = loop {
                let md = consumer.fetch_metadata(Some(&topic), Duration::from_secs(5));
                let n = md
                    .ok()
                    .and_then(|m| m.topics().first().map(|t| t.partitions().len()))
                    .unwrap_or(0);
                if n > 0 {
                    break n as i32;
                }
                if Instant::now() > deadline {
                    return Err(ConnectError::retriable(format!(
                        "topic {topic} has no partitions"
                    )));
                }
                std::thread::sleep(Duration::from_millis(200));
            };
            let mut tpl = TopicPartitionList::new();
            for p in 0..partitions {
                tpl.add_partition_offset(&topic, p, Offset::Beginning)
                    .map_err(|e| kafka("cannot assign the log's partitions", e))?;
            }
            consumer.assign(&tpl).map_err(|e| kafka("cannot assign the log's partitions", e))?;
            Ok((consumer, partitions))
        })
        .await
        .map_err(|e| ConnectError::fatal(format!("log reader set-up panicked: {e}")))??;
        Ok(KafkaLog {
            topic: spec.name.clone(),
            partitions: consumer.1,
            consumer: Arc::new(Mutex::new(consumer.0)),
            producer,
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// How many partitions it has.
    pub fn partitions(&self) -> i32 {
        self.partitions
    }

    /// Reads every record not read yet up to the end of each partition as of now, in
    /// offset order per partition; fails past `timeout`.
    pub async fn read_to_end(&self, timeout: Duration) -> Result<Vec<LogRecord>> {
        let consumer = self.consumer.clone();
        let (topic, partitions) = (self.topic.clone(), self.partitions);
        tokio::task::spawn_blocking(move || {
            let consumer = consumer.lock().unwrap_or_else(|p| p.into_inner());
            let deadline = Instant::now() + timeout;
            let mut ends = Vec::with_capacity(partitions as usize);
            for p in 0..partitions {
                let (_, high) = consumer
                    .fetch_watermarks(&topic, p, timeout)
                    .map_err(|e| kafka(&format!("cannot read the end of {topic}"), e))?;
                ends.push(high);
            }
            let mut next: Vec<i64> = vec![-1; partitions as usize];
            if let Ok(pos) = consumer.position() {
                for e in pos.elements_for_topic(&topic) {
                    if let Offset::Offset(o) = e.offset() {
                        next[e.partition() as usize] = o;
                    }
                }
            }
            let mut out = Vec::new();
            let behind = |next: &[i64]| next.iter().zip(&ends).any(|(n, h)| *h > 0 && *n < *h);
            // Errors while polling (the brokers gone a moment, or queued while they were
            // gone) are passed over until the deadline, then reported.
            let mut last_error = None;
            while behind(&next) {
                if Instant::now() > deadline {
                    let why = last_error.map(|e| format!(": {e}")).unwrap_or_default();
                    return Err(ConnectError::retriable(format!(
                        "could not read {topic} to its end within {timeout:?}{why}"
                    )));
                }
                let m = match consumer.poll(Duration::from_millis(100)) {
                    None => continue,
                    Some(Err(e)) => {
                        tracing::debug!(topic = %topic, error = %e, "error while reading; polling again");
                        last_error = Some(e);
                        continue;
                    }
                    Some(Ok(m)) => m,
                };
                next[m.partition() as usize] = m.offset() + 1;
                let Some(key) = m.key().and_then(|k| std::str::from_utf8(k).ok()) else {
                    tracing::warn!(topic = %topic, offset = m.offset(), "record without a UTF-8 key skipped");
                    continue;
                };
                out.push(LogRecord {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: key.to_string(),
                    value: m.payload().map(<[u8]>::to_vec),
                });
            }
            Ok(out)
        })
        .await
        .map_err(|e| ConnectError::fatal(format!("log reader panicked: {e}")))?
    }

    /// Writes one record (`None`: a tombstone) and waits until Kafka acknowledged it.
    pub async fn send(&self, key: &str, value: Option<&[u8]>) -> Result<(i32, i64)> {
        let mut record: FutureRecord<'_, str, [u8]> = FutureRecord::to(&self.topic).key(key);
        if let Some(v) = value {
            record = record.payload(v);
        }
        self.producer
            .send(record, Duration::from_secs(30))
            .await
            .map(|d| (d.partition, d.offset))
            .map_err(|(e, _)| kafka(&format!("cannot write {key} to {}", self.topic), e))
    }
}
