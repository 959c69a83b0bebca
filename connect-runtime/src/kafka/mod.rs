//! Kafka clients for the runtime: client settings, topic creation, and the embedded
//! broker.

pub mod embedded;
pub mod polled;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

pub use embedded::EmbeddedBroker;
pub use polled::PolledProducer;

/// Producer defaults: durable, ordered, and with a bounded queue so memory does not
/// grow with a slow broker.
const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("acks", "all"),
    ("enable.idempotence", "true"),
    ("linger.ms", "5"),
    ("queue.buffering.max.kbytes", "32768"),
    ("queue.buffering.max.messages", "200000"),
    ("compression.type", "none"),
];

/// Consumer defaults: manual commits, start from the beginning of new groups, and a
/// capped prefetch queue so memory does not track consumer lag.
/// The Java consumer's batch size key, applied by the sink driver.
const MAX_POLL_RECORDS: &str = "max.poll.records";

const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("auto.offset.reset", "earliest"),
    // A sink's memory is mostly librdkafka's: fetch responses (their buffers live until
    // every message in them was polled) and the prefetch queue. 8 MiB each kept B2's
    // 34-partition topic→file run at 83 MiB peak RSS (111 MiB at 16 MiB each) and was no
    // slower on B3's topic→discard (0.86–1.02 M rec/s against 0.83–0.86 M).
    ("queued.max.messages.kbytes", "8192"),
    ("fetch.max.bytes", "8388608"),
    ("enable.partition.eof", "false"),
    // librdkafka postpones a partition's next fetch by this much once its local queue
    // passed queued.min.messages / queued.max.messages.kbytes (default 1000 ms). A sink
    // that drains in batches touches that threshold all the time; profiling B3's sink
    // showed the worker idle most of the time for it (steady state 136 k rec/s at the
    // default, 600 k rec/s at 10 ms).
    ("fetch.queue.backoff.ms", "10"),
    // Notice topics created after the subscription (and new regex matches) within
    // seconds rather than librdkafka's default five minutes.
    ("topic.metadata.refresh.interval.ms", "2000"),
];

/// An internal topic of a Connect cluster (configs, offsets or statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalTopic {
    /// The topic.
    pub name: String,
    /// The worker property that names it (`config.storage.topic`), for messages.
    pub property: String,
    /// Partitions to create it with.
    pub partitions: i32,
    /// Replication factor to create it with (`-1`: the broker's default).
    pub replication_factor: i32,
}

/// How the worker reaches Kafka: brokers, per-client settings, and the embedded broker
/// when it runs one.
#[derive(Clone)]
pub struct KafkaClients {
    bootstrap: String,
    producer: RawConfig,
    consumer: RawConfig,
    admin: RawConfig,
    embedded: Option<Arc<EmbeddedBroker>>,
    known_topics: Arc<Mutex<HashSet<String>>>,
    /// Set once DescribeConfigs went unanswered (librdkafka's mock cluster ignores it):
    /// later internal topics are not described again, so a worker starts without one
    /// request timeout per topic.
    configs_undescribable: Arc<std::sync::atomic::AtomicBool>,
    /// Set once the brokers turned out to have no CreateTopics (the mock cluster, or an
    /// UnsupportedFeature answer): later topics are left to their auto-creation at once.
    creates_unanswered: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the brokers are librdkafka's mock cluster: 0 not known yet, 1 yes, 2 no.
    mock_cluster: Arc<std::sync::atomic::AtomicU8>,
    default_partitions: i32,
}

/// A topic the runtime creates when it is missing (a dead letter queue, a source
/// connector's topic under `topic.creation.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicSpec {
    /// The topic.
    pub name: String,
    /// Partitions; `None` for the broker's default.
    pub partitions: Option<i32>,
    /// Replication factor; `None` (or -1) for the broker's default.
    pub replication: Option<i16>,
    /// Topic configs (`cleanup.policy`, `retention.ms`, …).
    pub configs: Vec<(String, String)>,
}

/// What [`KafkaClients::ensure_topic_spec`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The topic was there already.
    Existed,
    /// It was created as asked.
    Created,
    /// The brokers answer no CreateTopics: the topic is left to their auto-creation
    /// when the first record is produced (a warning says so).
    LeftToAutoCreation,
}

impl std::fmt::Debug for KafkaClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaClients")
            .field("bootstrap", &self.bootstrap)
            .field("embedded", &self.embedded.is_some())
            .finish()
    }
}

impl KafkaClients {
    /// Clients of a real cluster.
    pub fn new(
        bootstrap: impl Into<String>,
        producer: RawConfig,
        consumer: RawConfig,
        admin: RawConfig,
    ) -> Self {
        KafkaClients {
            bootstrap: bootstrap.into(),
            producer,
            consumer,
            admin,
            embedded: None,
            known_topics: Arc::default(),
            configs_undescribable: Arc::default(),
            creates_unanswered: Arc::default(),
            mock_cluster: Arc::default(),
            default_partitions: 1,
        }
    }

    /// Clients of an embedded broker, which they keep alive.
    pub fn embedded(broker: EmbeddedBroker, producer: RawConfig, mut consumer: RawConfig) -> Self {
        // The mock broker holds a departed member's partitions for its whole session
        // timeout; a short one keeps restarts and offset changes quick in local use.
        consumer.entry("session.timeout.ms".into()).or_insert_with(|| "6000".into());
        let mut c =
            Self::new(broker.bootstrap_servers().to_string(), producer, consumer, RawConfig::new());
        c.embedded = Some(Arc::new(broker));
        c
    }

    /// The bootstrap servers.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    /// Whether the brokers are the embedded, in-memory ones.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    fn build(
        &self,
        defaults: &[(&str, &str)],
        settings: &RawConfig,
        overrides: &RawConfig,
    ) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", &self.bootstrap);
        // Java's clients back off reconnecting to at most 1 s; librdkafka's 10 s would
        // leave a worker blind for up to 10 s after the brokers come back.
        cfg.set("reconnect.backoff.max.ms", "1000");
        for (k, v) in defaults {
            cfg.set(*k, *v);
        }
        for (k, v) in settings.iter().chain(overrides.iter()) {
            cfg.set(k, v);
        }
        cfg
    }

    /// Producer settings for a source task; `overrides` are the connector's
    /// `producer.override.*` keys.
    pub fn producer_config(&self, client_id: &str, overrides: &RawConfig) -> ClientConfig {
        let mut cfg = self.build(PRODUCER_DEFAULTS, &self.producer, overrides);
        cfg.set("client.id", client_id);
        cfg
    }

    /// Consumer settings for a sink task of consumer group `group`.
    pub fn consumer_config(
        &self,
        group: &str,
        client_id: &str,
        overrides: &RawConfig,
    ) -> ClientConfig {
        let mut cfg = self.build(CONSUMER_DEFAULTS, &self.consumer, overrides);
        cfg.set("group.id", group);
        cfg.set("client.id", client_id);
        // Java consumer keys librdkafka does not know; the runtime applies them itself.
        cfg.remove(MAX_POLL_RECORDS);
        cfg
    }

    /// Most records a sink task gets per `put`: the Java consumer's `max.poll.records`
    /// (`consumer.max.poll.records` in the worker config, or the connector's
    /// `consumer.override.max.poll.records`), 500 by default as in Kafka.
    pub fn max_poll_records(&self, overrides: &RawConfig) -> Result<usize> {
        let raw = overrides.get(MAX_POLL_RECORDS).or_else(|| self.consumer.get(MAX_POLL_RECORDS));
        match raw {
            None => Ok(500),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConnectError::config(format!(
                    "Invalid value {v} for configuration max.poll.records: must be a positive integer"
                ))),
            },
        }
    }

    /// Makes sure a topic exists, creating it with the brokers' default partitions and
    /// replication when it does not (see [`KafkaClients::ensure_topic_spec`]). Known
    /// topics are remembered, so this costs nothing after the first call per topic.
    pub async fn ensure_topic(&self, topic: &str) -> Result<()> {
        let spec = TopicSpec { name: topic.to_string(), ..TopicSpec::default() };
        self.ensure_topic_spec(&spec).await.map(|_| ())
    }

    /// Whether the cluster's metadata already lists `topic` with partitions. Asks for
    /// every topic's metadata (asking for one topic may auto-create it), so an existing
    /// topic needs no Admin API: brokers without CreateTopics (librdkafka's mock cluster
    /// in `connect-mock-broker`) and principals without create rights work. Any error
    /// answers `false`, and the caller creates the topic as before.
    async fn topic_exists(&self, topic: &str) -> bool {
        let mut cfg = self.build(&[], &self.admin, &RawConfig::new());
        cfg.set("client.id", "connect-admin");
        let Ok(admin) = cfg.create::<AdminClient<DefaultClientContext>>() else {
            return false;
        };
        let topic = topic.to_string();
        tokio::task::spawn_blocking(move || {
            admin
                .inner()
                .fetch_metadata(None, Duration::from_secs(10))
                .map(|md| {
                    md.topics().iter().any(|t| {
                        t.name() == topic && t.error().is_none() && !t.partitions().is_empty()
                    })
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }

    fn lock_known(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.known_topics.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a topic with `partitions` partitions on whichever broker this is (the
    /// embedded one has no Admin API); an existing topic is not an error.
    pub async fn create_topic(&self, topic: &str, partitions: i32) -> Result<()> {
        match &self.embedded {
            Some(b) => {
                let b = b.clone();
                let t = topic.to_string();
                tokio::task::spawn_blocking(move || b.create_topic(&t, partitions))
                    .await
                    .map_err(|e| ConnectError::fatal(format!("topic creation panicked: {e}")))??;
            }
            None => self.create_topic_admin(topic, partitions, 1).await?,
        }
        self.lock_known().insert(topic.to_string());
        Ok(())
    }

    /// An admin client of these brokers.
    pub fn admin(&self) -> Result<AdminClient<DefaultClientContext>> {
        let mut cfg = self.build(&[], &self.admin, &RawConfig::new());
        cfg.set("client.id", "connect-admin");
        cfg.create().map_err(|e| {
            ConnectError::config(format!("cannot create Kafka admin client: {e}")).with_source(e)
        })
    }

    /// Settings of a consumer that belongs to no group (it reads partitions it assigns
    /// itself, from their beginning), for the internal topics.
    pub fn reader_config(&self, client_id: &str) -> ClientConfig {
        let mut cfg = self.build(CONSUMER_DEFAULTS, &self.consumer, &RawConfig::new());
        cfg.set("client.id", client_id);
        // librdkafka wants a group id on a consumer even if it never joins the group.
        cfg.set("group.id", format!("{client_id}-unused"));
        cfg.remove(MAX_POLL_RECORDS);
        cfg
    }

    /// Makes sure an internal topic exists as `spec` asks, creating it compacted when
    /// missing; refuses one whose `cleanup.policy` is not `compact` alone, as Kafka's
    /// workers do. Where the broker cannot describe topic configs (the mock cluster),
    /// warns instead.
    pub async fn ensure_internal_topic(&self, spec: &InternalTopic) -> Result<()> {
        if let Some(b) = &self.embedded {
            let b = b.clone();
            let (t, n) = (spec.name.clone(), spec.partitions);
            tokio::task::spawn_blocking(move || b.create_topic(&t, n))
                .await
                .map_err(|e| ConnectError::fatal(format!("topic creation panicked: {e}")))??;
            tracing::warn!(topic = %spec.name, "the embedded broker does not compact: internal topic kept whole");
            return Ok(());
        }
        if !self.topic_exists(&spec.name).await {
            let admin = self.admin()?;
            let replication = TopicReplication::Fixed(spec.replication_factor);
            let new = NewTopic::new(&spec.name, spec.partitions, replication)
                .set("cleanup.policy", "compact");
            let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
            let created = admin.create_topics([&new], &opts).await.map_err(|e| {
                ConnectError::retriable(format!("cannot create topic {}: {e}", spec.name))
                    .with_source(e)
            })?;
            for r in created {
                match r {
                    Ok(t) => {
                        tracing::info!(topic = %t, partitions = spec.partitions, "created internal topic")
                    }
                    Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((t, code)) => {
                        return Err(ConnectError::config(format!(
                            "cannot create internal topic {t} ({}): {code}",
                            spec.property
                        )));
                    }
                }
            }
        }
        use std::sync::atomic::Ordering;
        if self.configs_undescribable.load(Ordering::Relaxed) {
            tracing::warn!(topic = %spec.name, "cannot check the internal topic's cleanup.policy: the brokers left DescribeConfigs unanswered");
            return Ok(());
        }
        let policy = match self.topic_config(&spec.name, "cleanup.policy").await {
            Ok(p) => p,
            Err(e) => {
                self.configs_undescribable.store(true, Ordering::Relaxed);
                tracing::warn!(topic = %spec.name, error = %e, "cannot check the internal topic's cleanup.policy");
                return Ok(());
            }
        };
        let policies: Vec<&str> = policy.split(',').map(str::trim).collect();
        if policies != ["compact"] {
            return Err(ConnectError::config(format!(
                "Topic '{}' supplied via the '{}' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of connector configurations, but found the topic currently has 'cleanup.policy={policy}'. Continuing would likely result in eventually losing connector configurations and problems restarting this Connect cluster in the future. Change the '{}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'.",
                spec.name, spec.property, spec.property
            )));
        }
        Ok(())
    }

    /// One config value of a topic, through DescribeConfigs.
    pub async fn topic_config(&self, topic: &str, key: &str) -> Result<String> {
        use rdkafka::admin::ResourceSpecifier;
        let admin = self.admin()?;
        let opts = AdminOptions::new().request_timeout(Some(Duration::from_secs(15)));
        let mut results =
            admin.describe_configs([&ResourceSpecifier::Topic(topic)], &opts).await.map_err(
                |e| ConnectError::retriable(format!("cannot describe topic {topic}: {e}")),
            )?;
        let resource = results
            .pop()
            .ok_or_else(|| ConnectError::retriable(format!("no config of topic {topic}")))?
            .map_err(|e| ConnectError::retriable(format!("cannot describe topic {topic}: {e}")))?;
        resource
            .get(key)
            .and_then(|e| e.value.clone())
            .ok_or_else(|| ConnectError::retriable(format!("topic {topic} has no {key}")))
    }

    /// Makes sure a topic exists, creating it as `spec` asks when it does not. Brokers
    /// without CreateTopics (librdkafka's mock cluster, which auto-creates topics on
    /// metadata requests instead, known by its cluster id) get a warning, and the topic
    /// is left to auto-creation; other refusals are errors naming the topic (retriable
    /// where the cause is, a timeout for one).
    pub async fn ensure_topic_spec(&self, spec: &TopicSpec) -> Result<Ensured> {
        use std::sync::atomic::Ordering;
        if self.lock_known().contains(&spec.name) {
            return Ok(Ensured::Existed);
        }
        if let Some(b) = &self.embedded {
            let b = b.clone();
            let t = spec.name.clone();
            let partitions = spec.partitions.unwrap_or(self.default_partitions).max(1);
            tokio::task::spawn_blocking(move || b.create_topic(&t, partitions))
                .await
                .map_err(|e| ConnectError::fatal(format!("topic creation panicked: {e}")))??;
            self.lock_known().insert(spec.name.clone());
            return Ok(Ensured::Created);
        }
        if self.topic_exists(&spec.name).await {
            self.lock_known().insert(spec.name.clone());
            return Ok(Ensured::Existed);
        }
        let auto = || {
            tracing::warn!(topic = %spec.name, "the brokers answer no CreateTopics request: leaving the topic to their auto-creation when the first record is produced (its partitions and replication are then the broker's defaults)");
            Ok(Ensured::LeftToAutoCreation)
        };
        if self.creates_unanswered.load(Ordering::Relaxed) || self.is_mock_cluster().await {
            self.creates_unanswered.store(true, Ordering::Relaxed);
            return auto();
        }
        let admin = self.admin()?;
        let partitions = spec.partitions.unwrap_or(-1);
        let replication = TopicReplication::Fixed(spec.replication.map_or(-1, i32::from));
        let mut new = NewTopic::new(&spec.name, partitions, replication);
        for (k, v) in &spec.configs {
            new = new.set(k, v);
        }
        let opts = AdminOptions::new()
            .operation_timeout(Some(Duration::from_secs(30)))
            .request_timeout(Some(Duration::from_secs(15)));
        let results = match admin.create_topics([&new], &opts).await {
            Ok(r) => r,
            Err(rdkafka::error::KafkaError::AdminOp(RDKafkaErrorCode::UnsupportedFeature)) => {
                self.creates_unanswered.store(true, Ordering::Relaxed);
                return auto();
            }
            Err(e) => {
                return Err(ConnectError::retriable(format!(
                    "cannot create topic {}: {e}",
                    spec.name
                ))
                .with_source(e));
            }
        };
        let mut outcome = Ensured::Created;
        for r in results {
            match r {
                Ok(_) => {
                    tracing::info!(topic = %spec.name, partitions, replication = ?spec.replication, "created topic")
                }
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => outcome = Ensured::Existed,
                Err((
                    t,
                    code @ (RDKafkaErrorCode::RequestTimedOut
                    | RDKafkaErrorCode::NotController
                    | RDKafkaErrorCode::OperationTimedOut),
                )) => {
                    return Err(ConnectError::retriable(format!(
                        "cannot create topic {t}: {code}"
                    )));
                }
                Err((t, code)) => {
                    return Err(ConnectError::config(format!(
                        "cannot create topic {t} ({partitions} partitions, replication factor {}): {code}",
                        spec.replication.map_or(-1, i32::from)
                    )));
                }
            }
        }
        self.lock_known().insert(spec.name.clone());
        Ok(outcome)
    }

    /// Whether the brokers are librdkafka's mock cluster (`connect-mock-broker`), which
    /// answers no CreateTopics request; known from its cluster id, asked once.
    async fn is_mock_cluster(&self) -> bool {
        use std::sync::atomic::Ordering;
        match self.mock_cluster.load(Ordering::Relaxed) {
            1 => return true,
            2 => return false,
            _ => {}
        }
        let Ok(admin) = self.admin() else { return false };
        let id = tokio::task::spawn_blocking(move || {
            admin.inner().fetch_cluster_id(Duration::from_secs(10))
        })
        .await
        .ok()
        .flatten();
        let Some(id) = id else { return false };
        let mock = id.starts_with("mockCluster");
        self.mock_cluster.store(if mock { 1 } else { 2 }, Ordering::Relaxed);
        mock
    }

    /// Creates a topic through the Admin API; an existing topic is not an error.
    pub async fn create_topic_admin(
        &self,
        topic: &str,
        partitions: i32,
        replication: i32,
    ) -> Result<()> {
        let mut cfg = self.build(&[], &self.admin, &RawConfig::new());
        cfg.set("client.id", "connect-admin");
        let admin: AdminClient<DefaultClientContext> = cfg.create().map_err(|e| {
            ConnectError::config(format!("cannot create Kafka admin client: {e}")).with_source(e)
        })?;
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = admin.create_topics([&new], &opts).await.map_err(|e| {
            ConnectError::retriable(format!("cannot create topic {topic}: {e}")).with_source(e)
        })?;
        for r in results {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((t, code)) => {
                    return Err(ConnectError::retriable(format!(
                        "cannot create topic {t}: {code}"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn max_poll_records_is_taken_by_the_runtime_not_librdkafka() {
        let clients = KafkaClients::new(
            "127.0.0.1:1",
            RawConfig::new(),
            raw(&[("max.poll.records", "2000")]),
            RawConfig::new(),
        );
        assert_eq!(clients.max_poll_records(&RawConfig::new()).unwrap(), 2000);
        assert_eq!(clients.max_poll_records(&raw(&[("max.poll.records", "50")])).unwrap(), 50);
        let e = clients.max_poll_records(&raw(&[("max.poll.records", "0")])).unwrap_err();
        assert!(e.message().contains("max.poll.records"), "{e}");
        let cfg = clients.consumer_config("g", "c", &RawConfig::new());
        assert_eq!(cfg.get("max.poll.records"), None);
        assert_eq!(cfg.get("fetch.queue.backoff.ms"), Some("10"));
        // librdkafka accepts what is left.
        let consumer: Result<rdkafka::consumer::BaseConsumer, _> = cfg.create();
        assert!(consumer.is_ok());
        let plain =
            KafkaClients::new("127.0.0.1:1", RawConfig::new(), RawConfig::new(), RawConfig::new());
        assert_eq!(plain.max_poll_records(&RawConfig::new()).unwrap(), 500);
    }
}
