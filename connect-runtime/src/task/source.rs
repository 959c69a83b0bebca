//! The source task driver.
//!
//! `poll → converters → producer`, without waiting for one delivery per record. Each
//! record sent is remembered in order; delivery reports come back from the producer's
//! thread over a channel. A source offset is committed only once that record and every
//! earlier record of the same source partition were acknowledged by Kafka.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_api::context::SourceTaskContext;
use connect_api::record::{ConnectRecord, OffsetMap, RecordMetadata, SourceRecord};
use connect_api::{ConnectError, Result, SourceTask};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::producer::{Ack, SharedProducer, TaskProducer};
use super::{Converters, TargetState, TaskId, TaskSetup};
use crate::config::connector::client_overrides;
use crate::config::topic_creation::TopicCreation;
use crate::errors::{ErrorHandler, Failure, Retriable as _, Stage, StageError};
use crate::kafka::KafkaClients;
use crate::metrics::{Count, Max, TaskMetrics};
use crate::offsets::{ConnectorOffsetReader, OffsetStore};
use crate::status::{State, Status, StatusBackingStore};
use crate::transforms::TransformChain;

/// One record sent and not yet committed.
struct InFlight {
    seq: u64,
    /// The record as the task returned it, until `commit_record` was called (only for
    /// tasks that [use it](SourceTask::uses_commit_record)).
    record: Option<SourceRecord>,
    /// Its source partition (shared with the task's other records) and offset; moved
    /// out of the record after `commit_record`, or taken at once when the task has no
    /// use for `commit_record`.
    parts: Option<(Arc<OffsetMap>, OffsetMap)>,
    /// The topic the record went to after the transformations, for `commit_record`'s
    /// metadata (kept with the record only).
    sent_to: Option<Arc<str>>,
    acked: bool,
}

impl InFlight {
    fn partition(&self) -> Option<&Arc<OffsetMap>> {
        match (&self.record, &self.parts) {
            (Some(r), _) => Some(r.shared_source_partition()),
            (None, Some((p, _))) => Some(p),
            (None, None) => None,
        }
    }

    /// The partition and offset, taking them out of the entry.
    fn take_parts(&mut self) -> Option<(Arc<OffsetMap>, OffsetMap)> {
        match self.record.take() {
            Some(r) => {
                let (_, p, o) = r.into_parts();
                Some((p, o))
            }
            None => self.parts.take(),
        }
    }
}

/// The largest converter buffer kept from one batch to the next.
const MAX_KEPT_BUFFER: usize = 1 << 20;

/// The converters' output buffers, reused from record to record.
#[derive(Default)]
struct Buffers {
    key: Vec<u8>,
    value: Vec<u8>,
}

/// A record's key, value and headers as bytes: borrowed from the record or the
/// [`Buffers`] (the converters' synchronous path), or owned (their async path).
struct Encoded<'a> {
    key: Option<Cow<'a, [u8]>>,
    value: Option<Cow<'a, [u8]>>,
    headers: Option<OwnedHeaders>,
}

/// How a record left the transformation stage.
enum Transformed {
    /// Unchanged (no transformations): the converters read the original.
    Original,
    /// The transformations' result.
    Record(SourceRecord),
    /// Dropped by a transformation or skipped after a tolerated error: done.
    Done,
    /// The task is stopping during a retry: neither sent nor done.
    Stopped,
}

/// Everything a source driver needs from the worker.
#[derive(Clone)]
pub struct SourceEnv {
    /// The worker's id for statuses.
    pub worker_id: String,
    /// Where statuses go.
    pub status: Arc<dyn StatusBackingStore>,
    /// Kafka clients.
    pub kafka: KafkaClients,
    /// Where offsets go.
    pub offsets: Arc<dyn OffsetStore>,
    /// How often offsets are committed.
    pub flush_interval: Duration,
    /// How long the final flush may take.
    pub flush_timeout: Duration,
    /// Where the task reports reaching the end of its input (bounded mode).
    pub end_of_input: super::EndOfInput,
    /// The worker's `topic.creation.enable`: whether a connector's `topic.creation.*`
    /// rules apply.
    pub topic_creation_enable: bool,
    /// The producer tasks without `producer.override.*` settings share
    /// (`source.tasks.share.producer`); `None` gives every task its own.
    pub shared_producer: Option<Arc<SharedProducer>>,
}

/// Drives one source task until cancelled or failed.
pub struct SourceDriver {
    id: TaskId,
    task: Box<dyn SourceTask>,
    config: RawConfig,
    env: SourceEnv,
    converters: Converters,
    transforms: TransformChain<SourceRecord>,
    errors: ErrorHandler,
    /// The connector's `topic.creation.*` rules, when it has some.
    topic_creation: Option<TopicCreation>,
    producer: TaskProducer,
    /// Whether `producer` is the worker's, shared with other tasks.
    shared_producer: bool,
    acks: mpsc::UnboundedReceiver<Ack>,
    in_flight: VecDeque<InFlight>,
    /// Offsets of acknowledged records not yet written to the store.
    committable: HashMap<Arc<OffsetMap>, OffsetMap>,
    /// Whether the task wants `commit_record` calls (read once at creation).
    uses_commit_record: bool,
    /// The converters' output buffers, reused from record to record.
    bufs: Buffers,
    next_seq: u64,
    seen_topics: HashSet<String>,
    /// The topic of the last record sent: records of one task share one `Arc<str>`, so
    /// the usual record skips the `seen_topics` lookup by a pointer comparison.
    last_topic: Option<Arc<str>>,
    state: watch::Receiver<TargetState>,
    cancel: CancellationToken,
    /// Whether this task reported the end of its input to `env.end_of_input`.
    eof_reported: bool,
    /// The task's counters (`GET /metrics`).
    metrics: Arc<TaskMetrics>,
    /// Records polled, and of them done (acknowledged, dropped or skipped), since the
    /// start; acknowledgements not yet added to `metrics`.
    tally: Tally,
}

/// What the driver counts record by record and hands to [`TaskMetrics`] once per batch.
#[derive(Debug, Default)]
struct Tally {
    polled: u64,
    done: u64,
    written: u64,
}

impl SourceDriver {
    /// Prepares a driver: creates the producer and converters.
    pub fn new(
        task: Box<dyn SourceTask>,
        setup: TaskSetup,
        env: SourceEnv,
    ) -> Result<SourceDriver> {
        let TaskSetup {
            id,
            task_config: config,
            connector_config,
            converters,
            plugins: setup_plugins,
            state,
            cancel,
            error_metrics,
            metrics,
        } = setup;
        let connector_config = &connector_config;
        let uses_commit_record = task.uses_commit_record();
        let overrides = client_overrides(connector_config, "producer");
        // Tasks without producer overrides share the worker's producer (when it has one).
        let shared = env.shared_producer.clone().filter(|_| overrides.is_empty());
        let (producer, rx) = match &shared {
            Some(shared) => shared.register(),
            None => {
                let cfg =
                    env.kafka.producer_config(&format!("connector-producer-{id}"), &overrides);
                SharedProducer::create(&cfg, "producer poll")
                    .map_err(|e| {
                        ConnectError::config(format!("cannot create producer for {id}: {e}"))
                            .with_source(e)
                    })?
                    .register()
            }
        }
        .ok_or_else(|| {
            ConnectError::fatal(format!("cannot add task {id}: its producer serves too many tasks"))
        })?;
        Ok(SourceDriver {
            errors: ErrorHandler::new(id.clone(), connector_config, error_metrics)?,
            topic_creation: TopicCreation::from_config(
                env.topic_creation_enable,
                connector_config,
            )?,
            transforms: TransformChain::from_config(&setup_plugins, connector_config)?,
            id,
            task,
            config,
            env,
            converters,
            producer,
            shared_producer: shared.is_some(),
            acks: rx,
            in_flight: VecDeque::new(),
            committable: HashMap::new(),
            uses_commit_record,
            bufs: Buffers::default(),
            next_seq: 0,
            seen_topics: HashSet::new(),
            last_topic: None,
            state,
            cancel,
            eof_reported: false,
            metrics,
            tally: Tally::default(),
        })
    }

    fn set_status(&self, state: State, trace: Option<String>) {
        self.metrics.set_state(state.into());
        self.env.status.set_task(
            &self.id.connector,
            self.id.task,
            Status { state, worker_id: self.env.worker_id.clone(), trace },
        );
    }

    /// Runs the task: start, the poll loop, then stop with a final offset commit.
    /// Returns whether the task failed.
    pub async fn run(mut self) -> bool {
        self.env.end_of_input.task_started();
        let result = self.run_inner().await;
        self.env.end_of_input.task_stopped(self.eof_reported);
        if let Err(e) = &result {
            error!(task = %self.id, error = %e.trace(), "source task failed");
        }
        let stop = self.shutdown().await;
        match (result, stop) {
            (Err(e), _) | (Ok(()), Err(e)) => {
                self.set_status(State::Failed, Some(e.trace()));
                true
            }
            (Ok(()), Ok(())) => {
                info!(task = %self.id, "source task stopped");
                false
            }
        }
    }

    async fn run_inner(&mut self) -> Result<()> {
        let reader = Arc::new(ConnectorOffsetReader::new(
            self.env.offsets.clone(),
            self.id.connector.clone(),
        ));
        let ctx = SourceTaskContext::new(self.config.clone(), reader, self.cancel.child_token());
        self.task
            .start(ctx.clone(), self.config.clone())
            .await
            .map_err(|e| e.context(format!("task {} failed to start", self.id)))?;
        info!(task = %self.id, "source task started");
        let mut tick = tokio::time::interval(self.env.flush_interval.max(Duration::from_millis(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        // What the status board last heard from this task; None until the first report.
        let mut reported: Option<State> = None;
        let mut retry_backoff = Duration::from_millis(100);
        loop {
            let target = *self.state.borrow();
            if target != TargetState::Started {
                if reported != Some(State::Paused) {
                    self.set_status(State::Paused, None);
                    reported = Some(State::Paused);
                }
                tokio::select! {
                    _ = self.cancel.cancelled() => return Ok(()),
                    changed = self.state.changed() => if changed.is_err() { return Ok(()) },
                    _ = tick.tick() => self.commit_offsets().await?,
                }
                continue;
            }
            if reported != Some(State::Running) {
                self.set_status(State::Running, None);
                reported = Some(State::Running);
            }
            let polling = Instant::now();
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Ok(()),
                changed = self.state.changed() => if changed.is_err() { return Ok(()) },
                _ = tick.tick() => self.commit_offsets().await?,
                polled = self.task.poll() => match polled {
                    Ok(records) => {
                        retry_backoff = Duration::from_millis(100);
                        self.polled(records.len(), polling.elapsed());
                        self.send_batch(records).await?;
                    }
                    Err(e) if e.is_retriable() => {
                        warn!(task = %self.id, error = %e, "retriable poll error; polling again");
                        tokio::time::sleep(retry_backoff).await;
                        retry_backoff = (retry_backoff * 2).min(Duration::from_secs(10));
                    }
                    Err(e) => return Err(e.context(format!("task {} poll failed", self.id))),
                },
            }
            self.drain_acks().await?;
            if self.env.end_of_input.is_bounded()
                && !self.eof_reported
                && ctx.is_end_of_input()
                && self.in_flight.is_empty()
            {
                // Everything returned so far is acknowledged: commit and report.
                self.commit_offsets().await?;
                self.eof_reported = true;
                self.env.end_of_input.task_finished();
                info!(task = %self.id, "source task reached the end of its input; every record acknowledged and committed");
            }
        }
    }

    /// Converts and sends one batch; returns once every record is queued in the producer.
    async fn send_batch(&mut self, records: Vec<SourceRecord>) -> Result<()> {
        let mut bufs = std::mem::take(&mut self.bufs);
        let mut result = Ok(());
        for record in records {
            match self.send_one(record, &mut bufs).await {
                Ok(true) => {}
                // Stopping: the rest of the batch is neither sent nor skipped, so its
                // offsets stay uncommitted.
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // One huge record must not keep its buffer's size for the task's life.
        for buf in [&mut bufs.key, &mut bufs.value] {
            if buf.capacity() > MAX_KEPT_BUFFER {
                *buf = Vec::new();
            }
        }
        self.bufs = bufs;
        result
    }

    /// Transforms, converts and sends one record; `false` when the task is stopping.
    async fn send_one(&mut self, mut record: SourceRecord, bufs: &mut Buffers) -> Result<bool> {
        // What the in-flight entry keeps: the record itself for `commit_record`, or only
        // its position (then the record moves on without a copy).
        let position = (!self.uses_commit_record).then(|| record.take_source_position());
        let transformed = self.transform(&mut record, position.is_some()).await?;
        let subject = match &transformed {
            Transformed::Original => &record,
            Transformed::Record(t) => t,
            Transformed::Done => {
                self.push_in_flight(record, position, None, true);
                return Ok(true);
            }
            Transformed::Stopped => return Ok(false),
        };
        let (mut start, mut attempt) = (None, 1);
        let encoded = loop {
            match convert(&self.converters, subject, bufs).await {
                Ok(encoded) => break encoded,
                Err(e) if e.is_retriable() => {
                    let Some(wait) = self.errors.retry_wait(&mut start, &mut attempt, &e) else {
                        self.fail_record(e, subject.topic())?;
                        drop(transformed);
                        self.push_in_flight(record, position, None, true);
                        return Ok(true);
                    };
                    tokio::select! {
                        _ = self.cancel.cancelled() => return Ok(false),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                Err(e) => {
                    self.fail_record(e, subject.topic())?;
                    drop(transformed);
                    self.push_in_flight(record, position, None, true);
                    return Ok(true);
                }
            }
        };
        let topic = subject.topic();
        let same_as_last =
            self.last_topic.as_ref().is_some_and(|t| Arc::ptr_eq(t, &subject.data().topic));
        if !same_as_last {
            if !self.seen_topics.contains(topic) {
                self.ensure_topic(topic).await?;
                self.env.status.add_topic(&self.id.connector, self.id.task, topic);
                self.seen_topics.insert(topic.to_string());
            }
            self.last_topic = Some(subject.data().topic.clone());
        }
        let mut br = BaseRecord::<[u8], [u8], usize>::with_opaque_to(
            topic,
            self.producer.opaque(self.next_seq),
        );
        if let Some(k) = encoded.key.as_deref() {
            br = br.key(k);
        }
        if let Some(v) = encoded.value.as_deref() {
            br = br.payload(v);
        }
        if let Some(p) = subject.kafka_partition() {
            br = br.partition(p);
        }
        if let Some(t) = subject.timestamp() {
            br = br.timestamp(t);
        }
        if let Some(h) = encoded.headers {
            br = br.headers(h);
        }
        loop {
            match self.producer.producer().send(br) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    br = back;
                    // The producer's queue is full: wait for deliveries to drain it. The
                    // queue may be full of another task's records (a shared producer), so
                    // a stop must not wait for it: the record is then neither sent nor
                    // done, and its offset stays uncommitted.
                    self.drain_acks().await?;
                    tokio::select! {
                        _ = self.cancel.cancelled() => return Ok(false),
                        _ = tokio::time::sleep(Duration::from_millis(2)) => {}
                    }
                }
                Err((e, _)) => {
                    return Err(ConnectError::fatal(format!(
                        "producer of task {} failed to send to {topic}: {e}",
                        self.id
                    ))
                    .with_source(e));
                }
            }
        }
        let sent_to = position.is_none().then(|| subject.data().topic.clone());
        drop(transformed);
        self.push_in_flight(record, position, sent_to, false);
        Ok(true)
    }

    /// Runs the transformations, retrying retriable failures as `errors.retry.*` allow.
    /// `movable` says the original is not needed afterwards, so without retries the
    /// transformations get it rather than a copy (its content is then gone from
    /// `record`; only its position, already taken, matters).
    async fn transform(&mut self, record: &mut SourceRecord, movable: bool) -> Result<Transformed> {
        if self.transforms.is_empty() {
            return Ok(Transformed::Original);
        }
        let (mut start, mut attempt) = (None, 1);
        loop {
            let input = if movable && !self.errors.retry().retries() {
                // Nothing needs the original again: hand it over, leaving only its topic.
                let topic = record.data().topic.clone();
                std::mem::replace(record, SourceRecord::builder(topic).build())
            } else {
                record.clone()
            };
            let error = match self.transforms.apply(input) {
                Ok(Some(t)) => return Ok(Transformed::Record(t)),
                Ok(None) => return Ok(Transformed::Done),
                Err(error) => error,
            };
            let stage_error = StageError { stage: Stage::Transformation, error };
            if stage_error.is_retriable()
                && let Some(wait) = self.errors.retry_wait(&mut start, &mut attempt, &stage_error)
            {
                tokio::select! {
                    _ = self.cancel.cancelled() => return Ok(Transformed::Stopped),
                    _ = tokio::time::sleep(wait) => {}
                }
                continue;
            }
            self.fail_record(stage_error, record.topic())?;
            return Ok(Transformed::Done);
        }
    }

    /// A record that failed a stage for good: reported, then skipped under
    /// `errors.tolerance=all`, or the task's error otherwise.
    fn fail_record(&mut self, e: StageError, topic: &str) -> Result<()> {
        let StageError { stage, error } = e;
        let class = self
            .converters
            .class_of(stage)
            .unwrap_or_else(|| self.transforms.last_failed_class())
            .to_string();
        let error = error.context(format!("a record of task {} for topic {topic}", self.id));
        let failure = Failure { stage, class: &class, error: &error, original: None };
        self.errors.fail(failure).map_err(|fatal| fatal.with_source(error))
    }

    /// Makes sure a topic exists before the first record goes to it, created as the
    /// connector's `topic.creation.*` rules say (or with the brokers' defaults), retrying
    /// retriable failures as `errors.retry.*` allow.
    async fn ensure_topic(&mut self, topic: &str) -> Result<()> {
        let (kafka, errors, cancel) = (&self.env.kafka, &self.errors, &self.cancel);
        let spec = match &self.topic_creation {
            Some(rules) => rules.spec_for(topic),
            None => crate::kafka::TopicSpec { name: topic.to_string(), ..Default::default() },
        };
        errors
            .retry()
            .run(cancel, errors.metrics(), || kafka.ensure_topic_spec(&spec))
            .await
            .map(drop)
            .map_err(|e| e.context(format!("task {}: the topic {topic} is not available", self.id)))
    }

    /// Remembers a sent (or done) record under the next sequence number: the record
    /// itself, or only its `position` when the task has no use for `commit_record`.
    fn push_in_flight(
        &mut self,
        record: SourceRecord,
        position: Option<(Arc<OffsetMap>, OffsetMap)>,
        sent_to: Option<Arc<str>>,
        acked: bool,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if acked {
            // Dropped by a transformation or skipped: done without a write.
            self.tally.done += 1;
        }
        let entry = match position {
            Some(parts) => InFlight { seq, record: None, parts: Some(parts), sent_to: None, acked },
            None => InFlight { seq, record: Some(record), parts: None, sent_to, acked },
        };
        self.in_flight.push_back(entry);
    }
}

/// Converts a record's key, value and headers to bytes, through the converters'
/// synchronous path into `bufs` where they have one.
async fn convert<'a>(
    converters: &Converters,
    record: &'a SourceRecord,
    bufs: &'a mut Buffers,
) -> std::result::Result<Encoded<'a>, StageError> {
    let staged = |stage| move |error| StageError { stage, error };
    let topic = record.topic();
    let mut headers = record.headers().clone();
    let Buffers { key: key_buf, value: value_buf } = bufs;
    let key = match converters.key.from_connect_data_into(
        topic,
        &mut headers,
        record.key_schema(),
        record.key(),
        key_buf,
    ) {
        Some(sync) => sync.map(|b| b.map(Cow::Borrowed)),
        None => converters
            .key
            .from_connect_data(topic, &mut headers, record.key_schema(), record.key())
            .await
            .map(|b| b.map(Cow::Owned)),
    }
    .map_err(|e| e.context("key converter"))
    .map_err(staged(Stage::KeyConverter))?;
    let value = match converters.value.from_connect_data_into(
        topic,
        &mut headers,
        record.value_schema(),
        record.value(),
        value_buf,
    ) {
        Some(sync) => sync.map(|b| b.map(Cow::Borrowed)),
        None => converters
            .value
            .from_connect_data(topic, &mut headers, record.value_schema(), record.value())
            .await
            .map(|b| b.map(Cow::Owned)),
    }
    .map_err(|e| e.context("value converter"))
    .map_err(staged(Stage::ValueConverter))?;
    let headers = if headers.is_empty() {
        None
    } else {
        let mut h = OwnedHeaders::new_with_capacity(headers.len());
        for header in headers.iter() {
            let bytes = converters
                .header
                .from_connect_header(topic, header.key(), header.schema(), header.value())
                .map_err(|e| e.context(format!("header converter, header {}", header.key())))
                .map_err(staged(Stage::HeaderConverter))?;
            h = h.insert(Header { key: header.key(), value: bytes.as_deref() });
        }
        Some(h)
    };
    Ok(Encoded { key, value, headers })
}

impl SourceDriver {
    /// Where the record with sequence number `seq` sits in the in-flight ring. Sequence
    /// numbers are contiguous until a commit removes records from the middle, so the
    /// direct index is almost always right; otherwise binary search.
    fn position_of(&self, seq: u64) -> Option<usize> {
        let front = self.in_flight.front()?.seq;
        let guess = seq.checked_sub(front)? as usize;
        if self.in_flight.get(guess).is_some_and(|f| f.seq == seq) {
            return Some(guess);
        }
        self.in_flight.binary_search_by_key(&seq, |f| f.seq).ok()
    }

    /// Calls the task's `commit_record`. Its failure is logged and the task goes on, as in
    /// Kafka: the record is in Kafka whatever the task says.
    async fn commit_record(&mut self, record: &SourceRecord, meta: Option<&RecordMetadata>) {
        Self::commit_record_of(&mut self.task, &self.id, record, meta).await;
    }

    async fn commit_record_of(
        task: &mut Box<dyn SourceTask>,
        id: &TaskId,
        record: &SourceRecord,
        meta: Option<&RecordMetadata>,
    ) {
        if let Err(e) = task.commit_record(record, meta).await {
            error!(task = %id, error = %e.trace(), "commit_record failed; going on, as the record is in Kafka");
        }
    }

    /// Applies delivery reports: marks records acknowledged, calls `commit_record`, and
    /// folds the acknowledged prefix into the committable offsets.
    async fn drain_acks(&mut self) -> Result<()> {
        while let Ok(ack) = self.acks.try_recv() {
            self.apply_ack(ack).await?;
        }
        self.flush_tally();
        self.fold_acked_prefix().await
    }

    /// Counts a `poll` that returned `n` records after `took`.
    fn polled(&mut self, n: usize, took: Duration) {
        if n == 0 {
            return;
        }
        let m = &self.metrics;
        m.timed(Count::Polls, Count::PollMicros, Max::PollMicros, took);
        m.add(Count::Polled, n as u64);
        m.batch(n);
        self.tally.polled += n as u64;
        self.metrics.set_active(self.tally.polled.saturating_sub(self.tally.done));
    }

    /// Hands the acknowledgements counted since the last call to the metrics.
    fn flush_tally(&mut self) {
        let written = std::mem::take(&mut self.tally.written);
        if written > 0 {
            self.metrics.add(Count::Written, written);
        }
        self.metrics.set_active(self.tally.polled.saturating_sub(self.tally.done));
    }

    /// Applies one delivery report: marks the record acknowledged and calls
    /// `commit_record`, or handles Kafka's refusal.
    async fn apply_ack(&mut self, (masked, report): Ack) -> Result<()> {
        let seq = TaskProducer::sequence(masked, self.next_seq);
        {
            let Some(idx) = self.position_of(seq) else {
                return Ok(());
            };
            match report {
                Ok((partition, offset, timestamp)) => {
                    self.tally.written += 1;
                    self.tally.done += 1;
                    let entry = &mut self.in_flight[idx];
                    entry.acked = true;
                    if let Some(record) = entry.record.take() {
                        let meta = RecordMetadata {
                            topic: entry.sent_to.as_deref().unwrap_or(record.topic()).to_string(),
                            partition,
                            offset,
                            timestamp,
                        };
                        self.commit_record(&record, Some(&meta)).await;
                        let (_, p, o) = record.into_parts();
                        self.in_flight[idx].parts = Some((p, o));
                    }
                }
                Err(e) => {
                    // librdkafka already retried what it could (`message.timeout.ms`).
                    let error = ConnectError::fatal(format!(
                        "Kafka did not accept a record of task {}: {e}",
                        self.id
                    ))
                    .with_source(e);
                    let failure = Failure {
                        stage: Stage::KafkaProduce,
                        class: "org.apache.kafka.clients.producer.KafkaProducer",
                        error: &error,
                        original: None,
                    };
                    if let Err(fatal) = self.errors.fail(failure) {
                        return Err(fatal.with_source(error));
                    }
                    // Skipped under errors.tolerance=all, as Kafka does (KIP-779).
                    self.tally.done += 1;
                    self.in_flight[idx].acked = true;
                }
            }
        }
        Ok(())
    }

    /// Folds the acknowledged prefix of the in-flight records into the committable
    /// offsets.
    async fn fold_acked_prefix(&mut self) -> Result<()> {
        // Records come in runs of one source partition: keep the latest offset of the
        // current run and touch the map once per run, not once per record.
        let mut run: Option<(Arc<OffsetMap>, OffsetMap)> = None;
        while self.in_flight.front().is_some_and(|f| f.acked) {
            if let Some(mut f) = self.in_flight.pop_front() {
                if let Some(record) = &f.record {
                    // Skipped records were never sent; they are done all the same.
                    Self::commit_record_of(&mut self.task, &self.id, record, None).await;
                }
                if let Some((p, o)) = f.take_parts().filter(|(p, o)| !p.is_empty() || !o.is_empty())
                {
                    match &mut run {
                        Some((rp, ro)) if *rp == p => *ro = o,
                        _ => {
                            if let Some((rp, ro)) = run.replace((p, o)) {
                                self.committable.insert(rp, ro);
                            }
                        }
                    }
                }
            }
        }
        if let Some((p, o)) = run {
            self.committable.insert(p, o);
        }
        Ok(())
    }

    /// Writes the offsets of every source partition whose records up to that offset
    /// were all acknowledged, then calls the task's `commit`.
    async fn commit_offsets(&mut self) -> Result<()> {
        self.drain_acks().await?;
        // One pass in send order: an acknowledged record whose partition has no earlier
        // unacknowledged record is done; records after an unacknowledged one of the same
        // partition wait, while those of other partitions need not.
        let mut blocked: HashSet<Arc<OffsetMap>> = HashSet::new();
        let mut kept = VecDeque::with_capacity(self.in_flight.len());
        let mut skipped = Vec::new();
        for mut f in std::mem::take(&mut self.in_flight) {
            let partition = f.partition().cloned().unwrap_or_default();
            if !f.acked {
                blocked.insert(partition);
                kept.push_back(f);
            } else if blocked.contains(&partition) {
                kept.push_back(f);
            } else {
                if let Some(record) = &f.record {
                    skipped.push(record.clone());
                }
                if let Some((p, o)) = f.take_parts().filter(|(p, o)| !p.is_empty() || !o.is_empty())
                {
                    self.committable.insert(p, o);
                }
            }
        }
        self.in_flight = kept;
        for record in skipped {
            self.commit_record(&record, None).await;
        }
        if self.committable.is_empty() {
            return Ok(());
        }
        let batch: Vec<(OffsetMap, Option<OffsetMap>)> =
            self.committable.drain().map(|(p, o)| (Arc::unwrap_or_clone(p), Some(o))).collect();
        let n = batch.len();
        let started = Instant::now();
        let written = self.env.offsets.put(&self.id.connector, batch).await;
        self.metrics.commit(written.is_ok(), started.elapsed());
        written?;
        debug!(task = %self.id, partitions = n, "committed source offsets");
        self.task.commit().await?;
        Ok(())
    }

    async fn shutdown(&mut self) -> Result<()> {
        let stop = self.task.stop().await;
        // Give outstanding records a chance to be acknowledged, then commit what was. A
        // producer of the task's own is flushed; on the shared one the task waits for
        // its own records only.
        let timeout = self.env.flush_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        // What is acknowledged already is saved first, whatever happens to the rest.
        let early = self.commit_offsets().await;
        if !self.shared_producer {
            let producer = self.producer.producer().clone();
            let _ = tokio::task::spawn_blocking(move || producer.flush(timeout)).await;
        }
        let waited = async {
            loop {
                self.drain_acks().await?;
                if self.in_flight.iter().all(|f| f.acked) {
                    return Ok(());
                }
                tokio::select! {
                    ack = self.acks.recv() => match ack {
                        Some(ack) => self.apply_ack(ack).await?,
                        None => return Ok(()),
                    },
                    _ = tokio::time::sleep_until(deadline) => return Ok(()),
                }
            }
        };
        let waited: Result<()> = waited.await;
        let commit = self.commit_offsets().await;
        stop.and(early).and(waited).and(commit)
    }
}
