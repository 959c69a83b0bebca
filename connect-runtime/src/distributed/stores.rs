//! The offset and status stores of a distributed worker, on the cluster's internal
//! topics ([`KafkaLog`]), in Kafka's formats so every worker (ours or Java's) reads what
//! any other wrote.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::Result;
use connect_api::record::OffsetMap;
use tracing::warn;

use super::kafka_log::KafkaLog;
use super::records::{StatusKey, StatusRecord, parse_status, status_value, topic_status_value};
use crate::offsets::{MemoryOffsetStore, OffsetStore, offset_key, parse_offset_key};
use crate::status::{ActiveTopics, State, Status, StatusBackingStore};
use crate::task::TaskId;

/// How long reading an internal topic to its end may take.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Source offsets in the offsets topic (`offset.storage.topic`): key
/// `["<connector>",{partition}]`, value the offset as JSON, tombstone for a reset. Reads
/// first catch up with the topic, so offsets another worker committed are seen.
#[derive(Debug)]
pub struct KafkaOffsetStore {
    log: KafkaLog,
    cache: MemoryOffsetStore,
    /// One catch-up at a time.
    reading: tokio::sync::Mutex<()>,
}

impl KafkaOffsetStore {
    /// A store on `log`, read to its end now.
    pub async fn open(log: KafkaLog) -> Result<Self> {
        let store = KafkaOffsetStore {
            log,
            cache: MemoryOffsetStore::new(),
            reading: tokio::sync::Mutex::new(()),
        };
        store.catch_up().await?;
        Ok(store)
    }

    /// Applies every record written since the last read.
    pub async fn catch_up(&self) -> Result<()> {
        let _one = self.reading.lock().await;
        for r in self.log.read_to_end(READ_TIMEOUT).await? {
            let (connector, partition) = match parse_offset_key(&r.key) {
                Ok(k) => k,
                Err(e) => {
                    warn!(topic = self.log.topic(), key = %r.key, error = %e, "offset record with a bad key skipped");
                    continue;
                }
            };
            let offset = match r.value.as_deref().map(serde_json::from_slice::<serde_json::Value>) {
                None => None,
                Some(Ok(v)) => match OffsetMap::from_json(&v) {
                    Ok(o) => Some(o),
                    Err(e) => {
                        warn!(key = %r.key, error = %e, "offset record with a bad value skipped");
                        continue;
                    }
                },
                Some(Err(e)) => {
                    warn!(key = %r.key, error = %e, "offset record that is not JSON skipped");
                    continue;
                }
            };
            self.cache.put(&connector, vec![(partition, offset)]).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl OffsetStore for KafkaOffsetStore {
    async fn get(
        &self,
        connector: &str,
        partitions: &[OffsetMap],
    ) -> Result<HashMap<OffsetMap, OffsetMap>> {
        self.catch_up().await?;
        self.cache.get(connector, partitions).await
    }

    async fn put(
        &self,
        connector: &str,
        offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> Result<()> {
        for (partition, offset) in &offsets {
            let key = offset_key(connector, partition);
            let value = offset.as_ref().map(|o| o.to_json().to_string());
            self.log.send(&key, value.as_deref().map(str::as_bytes)).await?;
        }
        self.cache.put(connector, offsets).await
    }

    async fn all(&self, connector: &str) -> Result<Vec<(OffsetMap, OffsetMap)>> {
        self.catch_up().await?;
        self.cache.all(connector).await
    }
}

#[derive(Debug, Default)]
struct Statuses {
    connectors: BTreeMap<String, StatusRecord>,
    tasks: BTreeMap<TaskId, StatusRecord>,
    topics: BTreeMap<String, ActiveTopics>,
}

/// Statuses in the status topic (`status.storage.topic`), with the generation of the
/// group they were written in. Writes update this worker's view at once and go to the
/// topic in the background; [`catch_up`](Self::catch_up) reads what other workers wrote.
/// Kafka's rules hold: a worker does not overwrite a status another worker wrote in a
/// newer generation, and an UNASSIGNED of an older or the same generation does not
/// replace a RUNNING read from the topic.
#[derive(Debug)]
pub struct KafkaStatusStore {
    log: KafkaLog,
    generation: AtomicI32,
    view: Mutex<Statuses>,
    /// Writes, sent one after the other in the order they were made (a task's RUNNING
    /// then PAUSED must reach the topic in that order).
    outbox: tokio::sync::mpsc::UnboundedSender<(String, Option<Vec<u8>>)>,
}

impl KafkaStatusStore {
    /// A store on `log`, read to its end now; writes are sent in order by a task on the
    /// current runtime.
    pub async fn open(log: KafkaLog) -> Result<Arc<Self>> {
        let (outbox, mut queue) =
            tokio::sync::mpsc::unbounded_channel::<(String, Option<Vec<u8>>)>();
        let sender = log.clone();
        tokio::spawn(async move {
            while let Some((key, value)) = queue.recv().await {
                if let Err(e) = sender.send(&key, value.as_deref()).await {
                    warn!(key = %key, error = %e, "cannot write a status to the status topic");
                }
            }
        });
        let store = Arc::new(KafkaStatusStore {
            log,
            generation: AtomicI32::new(-1),
            view: Mutex::new(Statuses::default()),
            outbox,
        });
        store.catch_up().await?;
        Ok(store)
    }

    /// The group generation this worker writes statuses in.
    pub fn set_generation(&self, generation: i32) {
        self.generation.store(generation, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Statuses> {
        self.view.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies what was written to the topic since the last read.
    pub async fn catch_up(&self) -> Result<()> {
        for r in self.log.read_to_end(READ_TIMEOUT).await? {
            let Some(key) = StatusKey::parse(&r.key) else { continue };
            let mut view = self.lock();
            let value = match r.value.as_deref() {
                None => {
                    match key {
                        StatusKey::Connector(c) => {
                            view.connectors.remove(&c);
                        }
                        StatusKey::Task(t) => {
                            view.tasks.remove(&t);
                        }
                        StatusKey::Topic { topic, connector } => {
                            if let Some(set) = view.topics.get(&connector) {
                                crate::status::lock_topics(set).remove(&topic);
                            }
                        }
                    }
                    continue;
                }
                Some(v) => v,
            };
            match key {
                StatusKey::Connector(c) => match parse_status(&r.key, value) {
                    Ok(s) => {
                        view.connectors.insert(c, s);
                    }
                    Err(e) => warn!(key = %r.key, error = %e, "status record skipped"),
                },
                StatusKey::Task(t) => match parse_status(&r.key, value) {
                    Ok(s) => {
                        let stale = s.state == State::Unassigned
                            && view.tasks.get(&t).is_some_and(|cur| {
                                cur.state == State::Running && cur.generation >= s.generation
                            });
                        if !stale {
                            view.tasks.insert(t, s);
                        }
                    }
                    Err(e) => warn!(key = %r.key, error = %e, "status record skipped"),
                },
                StatusKey::Topic { topic, connector } => {
                    let set = view.topics.entry(connector).or_default().clone();
                    crate::status::lock_topics(&set).insert(topic);
                }
            }
        }
        Ok(())
    }

    /// Records `status` under `key` in this worker's view and sends it to the topic,
    /// unless another worker holds it in a newer generation.
    fn write(&self, key: StatusKey, status: Status) {
        let record = StatusRecord {
            state: status.state,
            trace: status.trace,
            worker_id: status.worker_id,
            generation: self.generation.load(Ordering::SeqCst),
        };
        {
            let mut view = self.lock();
            let current = match &key {
                StatusKey::Connector(c) => view.connectors.get(c),
                StatusKey::Task(t) => view.tasks.get(t),
                StatusKey::Topic { .. } => None,
            };
            if let Some(cur) = current
                && cur.worker_id != record.worker_id
                && cur.generation > record.generation
            {
                return;
            }
            match &key {
                StatusKey::Connector(c) => view.connectors.insert(c.clone(), record.clone()),
                StatusKey::Task(t) => view.tasks.insert(t.clone(), record.clone()),
                StatusKey::Topic { .. } => None,
            };
        }
        let _ = self.outbox.send((key.key(), Some(status_value(&record))));
    }

    fn tombstone(&self, key: StatusKey) {
        let _ = self.outbox.send((key.key(), None));
    }
}

fn status_of(r: &StatusRecord) -> Status {
    Status { state: r.state, worker_id: r.worker_id.clone(), trace: r.trace.clone() }
}

impl StatusBackingStore for KafkaStatusStore {
    fn set_connector(&self, name: &str, status: Status) {
        self.write(StatusKey::Connector(name.to_string()), status);
    }

    fn set_task(&self, connector: &str, task: u32, status: Status) {
        self.write(StatusKey::Task(TaskId { connector: connector.to_string(), task }), status);
    }

    fn connector(&self, name: &str) -> Option<Status> {
        self.lock().connectors.get(name).map(status_of)
    }

    fn task(&self, connector: &str, task: u32) -> Option<Status> {
        let id = TaskId { connector: connector.to_string(), task };
        self.lock().tasks.get(&id).map(status_of)
    }

    fn tasks(&self, connector: &str) -> Vec<(u32, Status)> {
        self.lock()
            .tasks
            .iter()
            .filter(|(t, _)| t.connector == connector)
            .map(|(t, s)| (t.task, status_of(s)))
            .collect()
    }

    fn topics(&self, connector: &str) -> ActiveTopics {
        self.lock().topics.entry(connector.to_string()).or_default().clone()
    }

    fn add_topic(&self, connector: &str, task: u32, topic: &str) {
        let added = crate::status::lock_topics(&self.topics(connector)).insert(topic.to_string());
        if added {
            let key =
                StatusKey::Topic { topic: topic.to_string(), connector: connector.to_string() };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let value = topic_status_value(topic, connector, task, now);
            let _ = self.outbox.send((key.key(), Some(value)));
        }
    }

    fn reset_topics(&self, connector: &str) {
        let topics = std::mem::take(&mut *crate::status::lock_topics(&self.topics(connector)));
        for topic in topics {
            self.tombstone(StatusKey::Topic { topic, connector: connector.to_string() });
        }
    }

    fn remove_connector(&self, name: &str) {
        self.reset_topics(name);
        let tasks: Vec<TaskId> = {
            let mut view = self.lock();
            view.connectors.remove(name);
            view.topics.remove(name);
            let tasks: Vec<TaskId> =
                view.tasks.keys().filter(|t| t.connector == name).cloned().collect();
            for t in &tasks {
                view.tasks.remove(t);
            }
            tasks
        };
        self.tombstone(StatusKey::Connector(name.to_string()));
        for t in tasks {
            self.tombstone(StatusKey::Task(t));
        }
    }

    fn remove_tasks_from(&self, connector: &str, from: u32) {
        let tasks: Vec<TaskId> = {
            let mut view = self.lock();
            let tasks: Vec<TaskId> = view
                .tasks
                .keys()
                .filter(|t| t.connector == connector && t.task >= from)
                .cloned()
                .collect();
            for t in &tasks {
                view.tasks.remove(t);
            }
            tasks
        };
        for t in tasks {
            self.tombstone(StatusKey::Task(t));
        }
    }
}
