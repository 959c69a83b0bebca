//! [`KafkaStore`]: the registry's log in a compacted, single-partition Kafka topic
//! (`_schemas` by default), in Confluent Schema Registry's record format (see
//! [`super::records`]).
//!
//! At open the topic is created when missing (Admin API, `cleanup.policy=compact`, one
//! partition; a broker without the Admin API, such as librdkafka's mock cluster, needs the
//! topic created beforehand). [`SchemaStore::load`] reads it from the beginning to the
//! high watermark read at that moment; [`SchemaStore::append`] produces one record and
//! waits for the broker's acknowledgement (`acks=all`). Only one registry should write to
//! a topic.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::{SchemaStore, StoreRecord};
use crate::error::{RegistryError, Result};

/// The default topic, as Confluent's `kafkastore.topic`.
pub const DEFAULT_TOPIC: &str = "_schemas";

/// How to reach the topic.
#[derive(Debug, Clone)]
pub struct KafkaStoreConfig {
    /// `bootstrap.servers` (from `kafkastore.bootstrap.servers`).
    pub bootstrap_servers: String,
    /// The topic (`kafkastore.topic`, default `_schemas`).
    pub topic: String,
    /// The replication factor when the topic is created
    /// (`kafkastore.topic.replication.factor`, default 1).
    pub replication_factor: i32,
    /// How long opening may take to read the topic (`kafkastore.init.timeout.ms`, default 60 s).
    pub init_timeout: Duration,
    /// How long a write may wait for its acknowledgement (`kafkastore.timeout.ms`, default 30 s).
    pub write_timeout: Duration,
    /// More librdkafka settings for every client (`kafkastore.security.protocol` →
    /// `security.protocol`, and the same for `sasl.*` and `ssl.*`).
    pub client: Vec<(String, String)>,
}

impl KafkaStoreConfig {
    /// Settings for `bootstrap_servers` and `topic`, with the defaults for the rest.
    pub fn new(bootstrap_servers: impl Into<String>, topic: impl Into<String>) -> Self {
        KafkaStoreConfig {
            bootstrap_servers: bootstrap_servers.into(),
            topic: topic.into(),
            replication_factor: 1,
            init_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            client: Vec::new(),
        }
    }

    fn client_config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in &self.client {
            cfg.set(k, v);
        }
        cfg
    }
}

/// The registry's records in a Kafka topic.
pub struct KafkaStore {
    config: KafkaStoreConfig,
    producer: FutureProducer,
}

impl std::fmt::Debug for KafkaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaStore").field("config", &self.config).finish_non_exhaustive()
    }
}

fn kafka_err(what: &str) -> impl FnOnce(rdkafka::error::KafkaError) -> RegistryError + '_ {
    move |e| RegistryError::store(format!("{what}: {e}"))
}

impl KafkaStore {
    /// Connects, creating the topic when it is missing.
    pub async fn open(config: KafkaStoreConfig) -> Result<KafkaStore> {
        ensure_topic(&config).await?;
        let mut cfg = config.client_config();
        cfg.set("client.id", "schema-registry-producer")
            .set("acks", "all")
            .set("linger.ms", "0")
            .set("compression.type", "none")
            .set("max.in.flight.requests.per.connection", "1")
            .set("allow.auto.create.topics", "false")
            .set("message.timeout.ms", config.write_timeout.as_millis().to_string());
        let producer: FutureProducer =
            cfg.create().map_err(kafka_err("cannot create the Kafka producer"))?;
        Ok(KafkaStore { config, producer })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.config.topic
    }
}

async fn ensure_topic(config: &KafkaStoreConfig) -> Result<()> {
    let mut cfg = config.client_config();
    cfg.set("client.id", "schema-registry-admin").set("allow.auto.create.topics", "false");
    let admin: AdminClient<DefaultClientContext> =
        cfg.create().map_err(kafka_err("cannot create the Kafka admin client"))?;
    let admin = std::sync::Arc::new(admin);
    let topic = config.topic.clone();
    // Look first: a restart finds its topic, and brokers without the Admin API
    // (librdkafka's mock cluster) only work with a topic created beforehand.
    let (a, t) = (admin.clone(), topic.clone());
    let exists = tokio::task::spawn_blocking(move || {
        a.inner()
            .fetch_metadata(None, Duration::from_secs(30))
            .map(|m| m.topics().iter().any(|mt| mt.name() == t && mt.error().is_none()))
    })
    .await
    .map_err(|e| RegistryError::store(format!("metadata lookup failed: {e}")))?
    .map_err(kafka_err("cannot read the Kafka cluster's metadata"))?;
    if exists {
        return Ok(());
    }
    let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(config.replication_factor))
        .set("cleanup.policy", "compact");
    let opts = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(30)))
        .request_timeout(Some(Duration::from_secs(30)));
    let outcome = match admin.create_topics([&new], &opts).await {
        Ok(results) => match results.into_iter().next() {
            Some(Ok(_)) => {
                tracing::info!(topic = %topic, "created the schema registry topic (compacted)");
                Ok(())
            }
            Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) | None => Ok(()),
            Some(Err((_, code))) => Err(code.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    outcome.map_err(|reason| {
        RegistryError::store(format!(
            "the schema registry topic {topic} does not exist and could not be created ({reason}); create it with cleanup.policy=compact and one partition"
        ))
    })
}

fn read_topic(config: &KafkaStoreConfig) -> Result<Vec<StoreRecord>> {
    let topic = config.topic.as_str();
    let mut cfg = config.client_config();
    cfg.set("client.id", "schema-registry-reader")
        .set("group.id", "schema-registry-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("allow.auto.create.topics", "false")
        .set("auto.offset.reset", "earliest");
    let consumer: BaseConsumer =
        cfg.create().map_err(kafka_err("cannot create the Kafka consumer"))?;
    let deadline = Instant::now() + config.init_timeout;
    // A topic just created may not be in every broker's metadata yet (Apache Kafka answers
    // CreateTopics before its brokers know the partition): ask again until the deadline.
    let (low, high) = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match consumer.fetch_watermarks(topic, 0, left.max(Duration::from_millis(100))) {
            Ok(w) => break w,
            Err(KafkaError::MetadataFetch(
                RDKafkaErrorCode::UnknownPartition
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownTopic,
            )) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                return Err(kafka_err("cannot read the schema topic's watermarks")(e));
            }
        }
    };
    let mut records = Vec::new();
    if high <= low {
        return Ok(records);
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .map_err(kafka_err("cannot assign the schema topic"))?;
    consumer.assign(&tpl).map_err(kafka_err("cannot assign the schema topic"))?;
    let mut next = low;
    while next < high {
        if Instant::now() > deadline {
            return Err(RegistryError::store(format!(
                "timed out reading {topic}: at offset {next} of {high} after {:?}",
                config.init_timeout
            )));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(e)) => {
                tracing::warn!(topic, error = %e, "error while reading the schema topic")
            }
            Some(Ok(m)) => {
                next = m.offset() + 1;
                let Some(key) = m.key() else { continue };
                match StoreRecord::decode(key, m.payload()) {
                    Ok(Some(r)) => records.push(r),
                    Ok(None) => {}
                    Err(reason) => tracing::warn!(
                        topic,
                        offset = m.offset(),
                        %reason,
                        "skipping an unreadable schema topic record"
                    ),
                }
            }
        }
    }
    Ok(records)
}

#[async_trait]
impl SchemaStore for KafkaStore {
    async fn load(&self) -> Result<Vec<StoreRecord>> {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || read_topic(&config))
            .await
            .map_err(|e| RegistryError::store(format!("reading the schema topic failed: {e}")))?
    }

    async fn append(&self, record: &StoreRecord) -> Result<()> {
        let (key, value) = record.encode();
        let mut rec =
            FutureRecord::<Vec<u8>, Vec<u8>>::to(&self.config.topic).partition(0).key(&key);
        if let Some(v) = value.as_ref() {
            rec = rec.payload(v);
        }
        self.producer
            .send(rec, Timeout::After(self.config.write_timeout))
            .await
            .map(|_| ())
            .map_err(|(e, _)| {
                RegistryError::store(format!(
                    "cannot write to the schema topic {}: {e}",
                    self.config.topic
                ))
            })
    }

    fn describe(&self) -> String {
        format!("Kafka topic {} at {}", self.config.topic, self.config.bootstrap_servers)
    }
}
