//! Offsets operations of the REST API: read, alter and reset a connector's offsets
//! (Kafka's KIP-875).
//!
//! A source connector's offsets are the worker's offset store entries under its name.
//! A sink connector's offsets are the committed offsets of its consumer group
//! `connect-<name>`, read and written through a short-lived consumer of that group
//! (which never subscribes, so it never joins the group). Altering or resetting (which
//! the herder allows only for a STOPPED connector) calls the connector's `alter_offsets`
//! hook first, on a fresh instance, as Kafka does.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use connect_api::config::RawConfig;
use connect_api::plugin::{PluginFactory, PluginKind};
use connect_api::record::{OffsetMap, TopicPartition};
use connect_api::{ConnectError, Result};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::{Value, json};

use super::Worker;
use crate::entities::{ConnectorOffset, ConnectorOffsets};

/// How long one Kafka request of an offsets operation may take.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(15);
/// How long joining a sink's group to commit may take: the mock cluster makes a new
/// member wait out the rebalance the last member's leave began, which lasts the
/// session timeout (45 s by default) less one second.
const MEMBER_JOIN_TIMEOUT: Duration = Duration::from_secs(50);
/// How long a whole blocking offsets operation may take.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(80);

/// The consumer group of a sink connector.
pub fn sink_group(connector: &str) -> String {
    format!("connect-{connector}")
}

/// One sink partition's committed offset: `(topic, partition, offset)`.
type SinkOffset = (String, i32, i64);

/// Which topics a sink connector's offsets may be in.
enum SinkTopics {
    /// These topics.
    Listed(BTreeSet<String>),
    /// Every topic but the internal ones (`topics.regex` connectors).
    All,
}

impl SinkTopics {
    fn wants(&self, topic: &str) -> bool {
        match self {
            SinkTopics::Listed(t) => t.contains(topic),
            SinkTopics::All => !topic.starts_with("__"),
        }
    }
}

fn kafka_error(what: &str, e: rdkafka::error::KafkaError) -> ConnectError {
    ConnectError::retriable(format!("{what}: {e}")).with_source(e)
}

/// Runs a blocking Kafka operation on its own thread with a deadline.
async fn blocking<T, F>(what: &str, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    match tokio::time::timeout(OPERATION_TIMEOUT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(ConnectError::fatal(format!("{what} panicked: {e}"))),
        Err(_) => Err(ConnectError::retriable(format!(
            "{what} did not finish within {} s",
            OPERATION_TIMEOUT.as_secs()
        ))),
    }
}

/// The committed offsets of a group over the partitions of the wanted topics. Every
/// partition list and the metadata are dropped before the consumer.
fn read_committed(cfg: ClientConfig, topics: SinkTopics) -> Result<Vec<SinkOffset>> {
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| ConnectError::config(format!("cannot create consumer: {e}")).with_source(e))?;
    let result = (|| {
        let mut tpl = TopicPartitionList::new();
        {
            let md = consumer
                .fetch_metadata(None, KAFKA_TIMEOUT)
                .map_err(|e| kafka_error("cannot fetch topic metadata", e))?;
            for t in md.topics().iter().filter(|t| topics.wants(t.name())) {
                for p in t.partitions() {
                    tpl.add_partition(t.name(), p.id());
                }
            }
        }
        if tpl.count() == 0 {
            return Ok(Vec::new());
        }
        let committed = consumer
            .committed_offsets(tpl, KAFKA_TIMEOUT)
            .map_err(|e| kafka_error("cannot fetch committed offsets", e))?;
        let mut out: Vec<SinkOffset> = committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some((e.topic().to_string(), e.partition(), o)),
                _ => None,
            })
            .collect();
        drop(committed);
        out.sort();
        Ok(out)
    })();
    drop(consumer);
    result
}

/// Commits offsets for a group; `None` commits the partition's earliest available
/// offset. Every partition list is dropped before the consumer.
fn commit_offsets(cfg: ClientConfig, offsets: Vec<(TopicPartition, Option<i64>)>) -> Result<()> {
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| ConnectError::config(format!("cannot create consumer: {e}")).with_source(e))?;
    let result = (|| {
        let partitions: HashMap<String, usize> = {
            let md = consumer
                .fetch_metadata(None, KAFKA_TIMEOUT)
                .map_err(|e| kafka_error("cannot fetch topic metadata", e))?;
            md.topics().iter().map(|t| (t.name().to_string(), t.partitions().len())).collect()
        };
        let mut tpl = TopicPartitionList::with_capacity(offsets.len());
        for (tp, offset) in &offsets {
            let count = partitions.get(&tp.topic).copied().unwrap_or(0);
            if tp.partition < 0 || usize::try_from(tp.partition).map_or(true, |p| p >= count) {
                return Err(ConnectError::data(format!(
                    "Cannot alter the offset of {tp}: topic {} has no partition {}",
                    tp.topic, tp.partition
                )));
            }
            let offset = match offset {
                Some(o) => *o,
                // Kafka resets a sink by deleting the group's committed offsets, so the
                // next consumer starts from auto.offset.reset (earliest for Connect
                // sinks). librdkafka's safe API has no offset deletion that every broker
                // (the embedded mock among them) supports, so commit the earliest
                // available offset instead: the consumer resumes at the same place.
                None => {
                    consumer
                        .fetch_watermarks(&tp.topic, tp.partition, KAFKA_TIMEOUT)
                        .map_err(|e| {
                            kafka_error(&format!("cannot fetch the watermarks of {tp}"), e)
                        })?
                        .0
                }
            };
            tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(offset))
                .map_err(|e| kafka_error(&format!("bad offset {offset} for {tp}"), e))?;
        }
        if tpl.count() == 0 {
            return Ok(());
        }
        // A commit from outside the group, as Kafka's admin client makes it: a real
        // broker accepts it while the group has no members (the connector is stopped).
        let committed = match consumer.commit(&tpl, CommitMode::Sync) {
            Err(KafkaError::ConsumerCommit(
                RDKafkaErrorCode::UnknownMemberId | RDKafkaErrorCode::IllegalGeneration,
            )) => {
                // librdkafka's mock cluster (the embedded broker) accepts commits from
                // members only, once a group exists: join it, then commit. Joining
                // waits out the rebalance the stopped sink's leave began (its
                // `session.timeout.ms` less a second: set `consumer.session.timeout.ms`
                // low on workers of the embedded broker to keep this short).
                let topics: BTreeSet<&str> =
                    offsets.iter().map(|(tp, _)| tp.topic.as_str()).collect();
                commit_as_member(&consumer, &tpl, &topics.into_iter().collect::<Vec<_>>())
            }
            other => other.map_err(|e| kafka_error("cannot commit offsets", e)),
        };
        drop(tpl);
        committed
    })();
    drop(consumer);
    result
}

/// Joins the group (subscribing to `topics`), commits `tpl` as a member, and leaves.
/// Every message polled is dropped at once.
fn commit_as_member(
    consumer: &BaseConsumer,
    tpl: &TopicPartitionList,
    topics: &[&str],
) -> Result<()> {
    consumer.subscribe(topics).map_err(|e| kafka_error("cannot join the consumer group", e))?;
    let deadline = std::time::Instant::now() + MEMBER_JOIN_TIMEOUT;
    let joined = loop {
        drop(consumer.poll(Duration::from_millis(100)));
        let assigned = consumer.assignment().map(|a| a.count() > 0).unwrap_or(false);
        if assigned {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
    };
    let result = if joined {
        consumer.commit(tpl, CommitMode::Sync).map_err(|e| kafka_error("cannot commit offsets", e))
    } else {
        Err(ConnectError::retriable(format!(
            "cannot commit offsets: the consumer group did not take a new member within {} s; is a consumer of it still running?",
            MEMBER_JOIN_TIMEOUT.as_secs()
        )))
    };
    consumer.unsubscribe();
    result
}

/// Reads an integer that may be given as a JSON number or a numeric string.
fn json_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads one sink offset entry of a request.
fn sink_entry(entry: &ConnectorOffset) -> Result<(TopicPartition, Option<i64>)> {
    let p = entry.partition.as_object().ok_or_else(|| {
        ConnectError::data(format!(
            "Partition objects cannot be null, but one was {}",
            entry.partition
        ))
    })?;
    let topic = p.get("kafka_topic").and_then(Value::as_str).filter(|t| !t.is_empty());
    let partition = p.get("kafka_partition");
    let (Some(topic), Some(partition)) = (topic, partition) else {
        return Err(ConnectError::data(format!(
            "The partition for a sink connector offset must contain the keys 'kafka_topic' (a topic name) and 'kafka_partition', but was: {}",
            entry.partition
        )));
    };
    let partition = json_int(partition)
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| *p >= 0)
        .ok_or_else(|| {
            ConnectError::data(format!(
                "Kafka partitions must be non-negative integers, but 'kafka_partition' was {partition}"
            ))
        })?;
    let offset = match &entry.offset {
        None | Some(Value::Null) => None,
        Some(o) => {
            let v = o.as_object().and_then(|m| m.get("kafka_offset")).ok_or_else(|| {
                ConnectError::data(format!(
                    "The offset for a sink connector should either be null or contain the key 'kafka_offset', but was: {o}"
                ))
            })?;
            Some(json_int(v).filter(|o| *o >= 0).ok_or_else(|| {
                ConnectError::data(format!(
                    "Kafka offsets must be non-negative integers, but 'kafka_offset' was {v}"
                ))
            })?)
        }
    };
    Ok((TopicPartition::new(topic, partition), offset))
}

/// Reads one source offset entry of a request.
fn source_entry(entry: &ConnectorOffset) -> Result<(OffsetMap, Option<OffsetMap>)> {
    if entry.partition.is_null() {
        return Err(ConnectError::data("Partition objects cannot be null"));
    }
    let partition = OffsetMap::from_json(&entry.partition)?;
    let offset = match &entry.offset {
        None | Some(Value::Null) => None,
        Some(o) => Some(OffsetMap::from_json(o)?),
    };
    Ok((partition, offset))
}

impl Worker {
    fn offsets_consumer(&self, name: &str) -> ClientConfig {
        self.inner.kafka.consumer_config(
            &sink_group(name),
            &format!("connector-offsets-{name}"),
            &RawConfig::new(),
        )
    }

    async fn sink_committed(&self, name: &str, config: &RawConfig) -> Result<Vec<SinkOffset>> {
        let topics = if config.get("topics.regex").is_some_and(|r| !r.trim().is_empty()) {
            SinkTopics::All
        } else {
            let mut set: BTreeSet<String> = config
                .get("topics")
                .map(|t| {
                    t.split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            set.extend(crate::status::lock_topics(&self.inner.status.topics(name)).iter().cloned());
            SinkTopics::Listed(set)
        };
        let cfg = self.offsets_consumer(name);
        blocking("reading sink offsets", move || read_committed(cfg, topics)).await
    }

    /// `GET /connectors/{name}/offsets` for connector `name` of `kind` with `config`: a
    /// source connector's stored offsets, or a sink connector's committed consumer
    /// offsets.
    pub async fn connector_offsets(
        &self,
        name: &str,
        kind: PluginKind,
        config: &RawConfig,
    ) -> Result<ConnectorOffsets> {
        let offsets = if kind == PluginKind::Sink {
            self.sink_committed(name, config)
                .await?
                .into_iter()
                .map(|(topic, partition, offset)| ConnectorOffset {
                    partition: json!({ "kafka_topic": topic, "kafka_partition": partition }),
                    offset: Some(json!({ "kafka_offset": offset })),
                })
                .collect()
        } else {
            self.inner
                .offsets
                .all(name)
                .await?
                .into_iter()
                .map(|(p, o)| ConnectorOffset { partition: p.to_json(), offset: Some(o.to_json()) })
                .collect()
        };
        Ok(ConnectorOffsets { offsets })
    }

    /// `PATCH /connectors/{name}/offsets`: alters the given offsets (a `null` offset
    /// resets its partition) of connector `name`, which the herder made sure is not
    /// running. Returns whether the connector said it also altered offsets it keeps
    /// outside Kafka Connect.
    pub async fn alter_connector_offsets(
        &self,
        name: &str,
        kind: PluginKind,
        config: &RawConfig,
        request: ConnectorOffsets,
    ) -> Result<bool> {
        if request.offsets.is_empty() {
            return Err(ConnectError::data(
                "Partitions / offsets need to be provided for an alter offsets request",
            ));
        }
        if kind == PluginKind::Sink {
            let entries = request.offsets.iter().map(sink_entry).collect::<Result<Vec<_>>>()?;
            self.apply_sink_offsets(name, config, entries).await
        } else {
            let entries = request.offsets.iter().map(source_entry).collect::<Result<Vec<_>>>()?;
            self.apply_source_offsets(name, config, entries).await
        }
    }

    /// `DELETE /connectors/{name}/offsets`: resets every offset of connector `name`,
    /// which the herder made sure is not running. Returns whether the connector said it
    /// also reset offsets it keeps outside Kafka Connect.
    pub async fn reset_connector_offsets(
        &self,
        name: &str,
        kind: PluginKind,
        config: &RawConfig,
    ) -> Result<bool> {
        if kind == PluginKind::Sink {
            let entries = self
                .sink_committed(name, config)
                .await?
                .into_iter()
                .map(|(t, p, _)| (TopicPartition::new(t, p), None))
                .collect();
            self.apply_sink_offsets(name, config, entries).await
        } else {
            let entries =
                self.inner.offsets.all(name).await?.into_iter().map(|(p, _)| (p, None)).collect();
            self.apply_source_offsets(name, config, entries).await
        }
    }

    async fn apply_source_offsets(
        &self,
        name: &str,
        config: &RawConfig,
        entries: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> Result<bool> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        // The connector's own code sees its config resolved, as when it runs.
        let config = &self.inner.config.config_providers().resolve(config)?;
        let PluginFactory::Source(make) = self.inner.registry.connector(&class)?.factory() else {
            return Err(ConnectError::fatal(format!("{class} is not a source connector")));
        };
        let hook_view: HashMap<OffsetMap, Option<OffsetMap>> = entries.iter().cloned().collect();
        let external = make()
            .alter_offsets(config, &hook_view)
            .await
            .map_err(|e| e.context(format!("Failed to alter offsets for connector {name}")))?;
        if !entries.is_empty() {
            self.inner.offsets.put(name, entries).await?;
        }
        Ok(external)
    }

    async fn apply_sink_offsets(
        &self,
        name: &str,
        config: &RawConfig,
        entries: Vec<(TopicPartition, Option<i64>)>,
    ) -> Result<bool> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        // The connector's own code sees its config resolved, as when it runs.
        let config = &self.inner.config.config_providers().resolve(config)?;
        let PluginFactory::Sink(make) = self.inner.registry.connector(&class)?.factory() else {
            return Err(ConnectError::fatal(format!("{class} is not a sink connector")));
        };
        let hook_view: HashMap<TopicPartition, Option<i64>> = entries.iter().cloned().collect();
        let external = make()
            .alter_offsets(config, &hook_view)
            .await
            .map_err(|e| e.context(format!("Failed to alter offsets for connector {name}")))?;
        if !entries.is_empty() {
            let cfg = self.offsets_consumer(name);
            blocking("committing sink offsets", move || commit_offsets(cfg, entries)).await?;
        }
        Ok(external)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn entry(partition: Value, offset: Value) -> ConnectorOffset {
        ConnectorOffset { partition, offset: Some(offset) }
    }

    #[test]
    fn sink_entries_follow_kafkas_rules() {
        let (tp, o) = sink_entry(&entry(
            json!({"kafka_topic": "t", "kafka_partition": 2}),
            json!({"kafka_offset": 7}),
        ))
        .unwrap();
        assert_eq!((tp, o), (TopicPartition::new("t", 2), Some(7)));
        let (_, o) =
            sink_entry(&entry(json!({"kafka_topic": "t", "kafka_partition": "0"}), Value::Null))
                .unwrap();
        assert_eq!(o, None);
        assert!(
            sink_entry(&entry(json!({"kafka_topic": "t"}), json!({"kafka_offset": 1}))).is_err()
        );
        assert!(
            sink_entry(&entry(
                json!({"kafka_topic": "t", "kafka_partition": -1}),
                json!({"kafka_offset": 1})
            ))
            .is_err()
        );
        assert!(
            sink_entry(&entry(
                json!({"kafka_topic": "t", "kafka_partition": 0}),
                json!({"offset": 1})
            ))
            .is_err()
        );
        assert!(
            sink_entry(&entry(
                json!({"kafka_topic": "t", "kafka_partition": 0}),
                json!({"kafka_offset": -5})
            ))
            .is_err()
        );
        assert!(sink_entry(&entry(Value::Null, Value::Null)).is_err());
    }

    #[test]
    fn source_entries_are_primitive_maps() {
        let (p, o) =
            source_entry(&entry(json!({"filename": "/x"}), json!({"position": 3}))).unwrap();
        assert_eq!(p, OffsetMap::new().with("filename", "/x"));
        assert_eq!(o, Some(OffsetMap::new().with("position", 3i64)));
        assert_eq!(source_entry(&entry(json!({"f": 1}), Value::Null)).unwrap().1, None);
        assert!(source_entry(&entry(Value::Null, Value::Null)).is_err());
        assert!(source_entry(&entry(json!({"f": {"nested": 1}}), Value::Null)).is_err());
    }
}
