//! The sink task driver.
//!
//! One consumer group per connector (`connect-<name>`), manual commits. The consumer is
//! polled on a thread of its own, up to two batches ahead of the driver, so that polling
//! overlaps with converting and `put` (see `poller`); its rebalance callback hands
//! assignments and revocations to the driver and waits, so `open`/`close` and the final
//! commit of revoked partitions happen before the partitions move, as in Kafka Connect.
//! What was polled ahead still obeys the task: records of a partition it pauses are held
//! until it resumes, and a seek drops what was polled of the partition before it.
//! Batches go to `put`; a retriable error redelivers the same batch; consumer offsets are
//! committed only up to what `pre_commit` returned.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::error::ErrorKind;
use connect_api::record::{OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Result, SinkTask};
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

mod convert;
mod delivery;
mod poller;

use poller::{Fetched, PollThread, Polled, Poller};

use super::{Converters, TargetState, TaskId, TaskSetup};
use crate::config::connector::client_overrides;
use crate::errors::ErrorHandler;
use crate::kafka::KafkaClients;
use crate::metrics::{Count, TaskMetrics};
use crate::status::{State, Status, StatusBackingStore};
use crate::transforms::TransformChain;

/// librdkafka's key for how often it reports its statistics.
const STATISTICS_INTERVAL: &str = "statistics.interval.ms";

enum RebalanceEvent {
    Assigned(Vec<TopicPartition>, oneshot::Sender<HashMap<TopicPartition, i64>>),
    Revoked(Vec<TopicPartition>, oneshot::Sender<HashMap<TopicPartition, i64>>),
}

/// Consumer context that hands rebalances to the driver and applies its answers.
pub struct SinkConsumerContext {
    events: mpsc::UnboundedSender<RebalanceEvent>,
    /// Partitions the last rebalances revoked, for the poll thread to drop what it
    /// polled of them before the callback.
    revoked: Mutex<Vec<TopicPartition>>,
    /// Whether `revoked` holds any (checked after every poll without the lock).
    any_revoked: AtomicBool,
    /// How many assignments and revocations began: a seek asked under an older count is
    /// not made (its partition moved since).
    rebalances: AtomicU64,
    /// The task's counters: lag and the commits of revoked partitions are counted here.
    metrics: Arc<TaskMetrics>,
}

impl SinkConsumerContext {
    /// Partitions revoked since the last call, if any.
    fn take_revoked(&self) -> Option<Vec<TopicPartition>> {
        // A load first: this runs after every poll, and a revocation is rare.
        if !self.any_revoked.load(Ordering::Acquire)
            || !self.any_revoked.swap(false, Ordering::AcqRel)
        {
            return None;
        }
        let mut revoked = self.revoked.lock().unwrap_or_else(PoisonError::into_inner);
        Some(std::mem::take(&mut *revoked))
    }
}

impl ClientContext for SinkConsumerContext {
    /// `sink-record-lag-max`: the largest lag of an assigned partition behind the
    /// consumer's position (its end, the last stable offset under `read_committed`, less
    /// the offset after the last message handed to the task), from the client's statistics
    /// (every `statistics.interval.ms`). Not librdkafka's `consumer_lag`, which counts from
    /// the last commit, a minute behind by default.
    fn stats(&self, statistics: rdkafka::Statistics) {
        let lag = statistics
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .filter(|p| p.partition >= 0 && p.app_offset >= 0)
            .map(|p| {
                let end = if p.ls_offset >= 0 { p.ls_offset } else { p.hi_offset };
                (end - p.app_offset).max(0)
            })
            .max();
        self.metrics.set_lag_max(lag.unwrap_or(-1));
    }

    fn error(&self, error: KafkaError, reason: &str) {
        match error.rdkafka_error_code() {
            // A subscribed topic that does not exist yet: the consumer waits for it.
            Some(RDKafkaErrorCode::UnknownTopicOrPartition) => {
                debug!(reason, "subscribed topic not available yet")
            }
            _ => error!(error = %error, reason, "Kafka client error"),
        }
    }
}

fn partitions_of(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements().iter().map(|e| TopicPartition::new(e.topic(), e.partition())).collect()
}

fn tpl_of(offsets: &HashMap<TopicPartition, i64>) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(offsets.len());
    for (tp, off) in offsets {
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
    }
    tpl
}

impl ConsumerContext for SinkConsumerContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.rebalances.fetch_add(1, Ordering::AcqRel);
                let parts = partitions_of(tpl);
                let (tx, rx) = oneshot::channel();
                let seeks = if self.events.send(RebalanceEvent::Assigned(parts.clone(), tx)).is_ok()
                {
                    rx.blocking_recv().unwrap_or_default()
                } else {
                    HashMap::new()
                };
                let mut assign = TopicPartitionList::with_capacity(parts.len());
                for tp in &parts {
                    let off = seeks.get(tp).map_or(Offset::Invalid, |o| Offset::Offset(*o));
                    let _ = assign.add_partition_offset(&tp.topic, tp.partition, off);
                }
                if let Err(e) = consumer.assign(&assign) {
                    error!(error = %e, "could not take the partitions assigned to this sink task");
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                self.rebalances.fetch_add(1, Ordering::AcqRel);
                let parts = partitions_of(tpl);
                self.revoked
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(parts.iter().cloned());
                self.any_revoked.store(true, Ordering::Release);
                let (tx, rx) = oneshot::channel();
                if self.events.send(RebalanceEvent::Revoked(parts, tx)).is_ok() {
                    let commit = rx.blocking_recv().unwrap_or_default();
                    if !commit.is_empty() {
                        match consumer.commit(&tpl_of(&commit), CommitMode::Sync) {
                            Ok(()) => self.metrics.sink_commit_completed(),
                            Err(e) => {
                                warn!(error = %e, "commit of revoked partitions failed; they will be delivered again")
                            }
                        }
                    }
                }
                let _ = consumer.unassign();
            }
            other => warn!(error = ?other, "rebalance error"),
        }
    }
}

/// Everything a sink driver needs from the worker.
#[derive(Clone)]
pub struct SinkEnv {
    /// The worker's id for statuses.
    pub worker_id: String,
    /// Where statuses go.
    pub status: Arc<dyn StatusBackingStore>,
    /// Kafka clients.
    pub kafka: KafkaClients,
    /// How often consumer offsets are committed.
    pub commit_interval: Duration,
}

/// Drives one sink task until cancelled or failed.
pub struct SinkDriver {
    id: TaskId,
    task: Box<dyn SinkTask>,
    config: RawConfig,
    env: SinkEnv,
    converters: Arc<Converters>,
    transforms: TransformChain<SinkRecord>,
    errors: Arc<ErrorHandler>,
    connector_config: RawConfig,
    consumer: Poller,
    /// The thread that polls `consumer` ahead of the driver (from `run` on).
    poller: Option<PollThread>,
    events: mpsc::UnboundedReceiver<RebalanceEvent>,
    ctx: SinkTaskContext,
    assigned: BTreeSet<TopicPartition>,
    /// Most records per `put` (`max.poll.records`).
    max_poll_records: usize,
    /// Next offset to commit per partition: one past the last record put.
    delivered: HashMap<TopicPartition, i64>,
    paused: BTreeSet<TopicPartition>,
    /// Messages polled ahead (while the partitions were paused for a retry, or before a
    /// rebalance), handled next.
    stash: Vec<Fetched>,
    /// Messages of partitions paused (by the task or the operator) that were polled ahead
    /// before the pause took effect: handed to `put` once the partition resumes.
    held: Vec<Fetched>,
    /// Partitions with a seek asked of the poll thread and not yet made: what comes of
    /// them before the thread's answer was polled before the seek, and is dropped.
    seeking: HashMap<TopicPartition, usize>,
    /// How many revocations happened: a batch in hand drops the records of partitions
    /// revoked while it was polled or retried.
    revocations: u64,
    /// Next offsets past records of the batch in hand that need no `put` (dropped by a
    /// transformation, or skipped): merged into `delivered` only once every record of the
    /// batch before them was put.
    done: HashMap<TopicPartition, i64>,
    /// `revocations` when the batch in hand was polled.
    batch_since: u64,
    last_commit: Instant,
    state: watch::Receiver<TargetState>,
    cancel: CancellationToken,
    /// The task's counters (`GET /metrics`).
    metrics: Arc<TaskMetrics>,
}

impl SinkDriver {
    /// Prepares a driver: creates the consumer and subscribes it.
    pub fn new(task: Box<dyn SinkTask>, setup: TaskSetup, env: SinkEnv) -> Result<SinkDriver> {
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
        let (tx, rx) = mpsc::unbounded_channel();
        let group = format!("connect-{}", id.connector);
        let overrides = client_overrides(connector_config, "consumer");
        let max_poll_records = env.kafka.max_poll_records(&overrides)?;
        let mut cfg =
            env.kafka.consumer_config(&group, &format!("connector-consumer-{id}"), &overrides);
        // The client's statistics carry each partition's lag (`sink-record-lag-max`).
        if cfg.get(STATISTICS_INTERVAL).is_none() {
            cfg.set(STATISTICS_INTERVAL, "5000");
        }
        let consumer: BaseConsumer<SinkConsumerContext> = cfg
            .create_with_context(SinkConsumerContext {
                events: tx,
                revoked: Mutex::new(Vec::new()),
                any_revoked: AtomicBool::new(false),
                rebalances: AtomicU64::new(0),
                metrics: metrics.clone(),
            })
            .map_err(|e| {
                ConnectError::config(format!("cannot create consumer for {id}: {e}")).with_source(e)
            })?;
        let topics: Vec<String> = connector_config
            .get("topics")
            .map(|t| {
                t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
            })
            .unwrap_or_default();
        let regex =
            connector_config.get("topics.regex").map(|s| s.trim()).filter(|s| !s.is_empty());
        let subscription: Vec<String> = match (topics.is_empty(), regex) {
            (false, None) => topics,
            (true, Some(r)) => {
                vec![if r.starts_with('^') { r.to_string() } else { format!("^{r}") }]
            }
            (false, Some(_)) => {
                return Err(ConnectError::config(
                    "topics and topics.regex are mutually exclusive: set only one",
                ));
            }
            (true, None) => {
                return Err(ConnectError::config("Must configure one of topics or topics.regex"));
            }
        };
        let refs: Vec<&str> = subscription.iter().map(String::as_str).collect();
        consumer.subscribe(&refs).map_err(|e| {
            ConnectError::config(format!("cannot subscribe to {subscription:?}: {e}"))
                .with_source(e)
        })?;
        let errors = Arc::new(ErrorHandler::new(id.clone(), connector_config, error_metrics)?);
        let reporter: Option<Arc<dyn connect_api::context::ErrantRecordReporter>> =
            if errors.reports_errant_records() { Some(errors.clone()) } else { None };
        let ctx = SinkTaskContext::new(config.clone(), reporter, cancel.child_token());
        Ok(SinkDriver {
            errors,
            connector_config: connector_config.clone(),
            transforms: TransformChain::from_config(&setup_plugins, connector_config)?,
            id,
            task,
            config,
            env,
            converters: Arc::new(converters),
            consumer: Arc::new(consumer),
            poller: None,
            events: rx,
            ctx,
            assigned: BTreeSet::new(),
            max_poll_records,
            delivered: HashMap::new(),
            paused: BTreeSet::new(),
            stash: Vec::new(),
            held: Vec::new(),
            seeking: HashMap::new(),
            revocations: 0,
            done: HashMap::new(),
            batch_since: 0,
            last_commit: Instant::now(),
            state,
            cancel,
            metrics,
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

    /// Runs the task: start, the delivery loop, then stop. Returns whether the task
    /// failed.
    pub async fn run(mut self) -> bool {
        let result = self.run_inner().await;
        if let Err(e) = &result {
            error!(task = %self.id, error = %e.trace(), "sink task failed");
        }
        let stop = self.shutdown(result.is_ok()).await;
        match (result, stop) {
            (Err(e), _) | (Ok(()), Err(e)) => {
                self.set_status(State::Failed, Some(e.trace()));
                true
            }
            (Ok(()), Ok(())) => {
                info!(task = %self.id, "sink task stopped");
                false
            }
        }
    }

    async fn run_inner(&mut self) -> Result<()> {
        self.errors.open_dead_letter_queue(&self.env.kafka, &self.connector_config).await?;
        self.task
            .start(self.ctx.clone(), self.config.clone())
            .await
            .map_err(|e| e.context(format!("task {} failed to start", self.id)))?;
        info!(task = %self.id, "sink task started");
        self.set_status(State::Running, None);
        let poller = PollThread::start(
            format!("sink-poll-{}", self.id),
            self.consumer.clone(),
            self.max_poll_records,
            self.converters.clone(),
        )
        .map_err(|e| {
            ConnectError::fatal(format!("cannot start the poll thread of {}: {e}", self.id))
        })?;
        self.poller = Some(poller);
        let mut paused_by_operator = false;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            let target = *self.state.borrow();
            match (target, paused_by_operator) {
                (TargetState::Started, true) => {
                    paused_by_operator = false;
                    self.set_status(State::Running, None);
                    self.apply_pauses()?;
                }
                (TargetState::Paused | TargetState::Stopped, false) => {
                    paused_by_operator = true;
                    self.set_status(State::Paused, None);
                    self.pause_all()?;
                }
                // Partitions assigned while paused are paused too.
                (TargetState::Paused | TargetState::Stopped, true)
                    if self.paused != self.assigned =>
                {
                    self.pause_all()?;
                }
                _ => {}
            }
            let mut batch = if self.stash.is_empty() {
                let wait = Duration::from_millis(if paused_by_operator { 200 } else { 100 });
                self.next_batch(wait).await?.unwrap_or_default()
            } else {
                self.take_stash()
            };
            self.hold_paused(&mut batch);
            if !batch.is_empty() {
                self.batch_since = self.revocations;
                let records = match self.convert_batch(batch).await {
                    Err(e) if e.kind() == ErrorKind::Cancelled => return Ok(()),
                    other => other?,
                };
                if !self.deliver(records).await? {
                    return Ok(());
                }
                self.merge_done();
            }
            self.apply_context_requests()?;
            let commit_due = self.last_commit.elapsed() >= self.env.commit_interval;
            if commit_due || self.ctx.take_commit_request() {
                self.commit(false).await?;
                // Seeks pre_commit asked for are made before the next batch is put, as
                // Kafka's WorkerSinkTask rewinds before its next poll.
                self.apply_context_requests()?;
            }
        }
    }

    async fn on_rebalance(&mut self, ev: RebalanceEvent) -> Result<()> {
        match ev {
            RebalanceEvent::Assigned(parts, reply) => {
                debug!(task = %self.id, partitions = ?parts, "partitions assigned");
                self.assigned.extend(parts.iter().cloned());
                self.metrics.set_partitions(self.assigned.len());
                for tp in &parts {
                    self.env.status.add_topic(&self.id.connector, self.id.task, &tp.topic);
                }
                self.ctx.set_assignment(self.assigned.iter().cloned());
                self.task.open(&parts).await?;
                // Seeks the task asked for while opening apply at assignment; others wait
                // for the driver's next round.
                let mut seeks = HashMap::new();
                for (tp, offset) in self.ctx.take_offsets() {
                    if parts.contains(&tp) {
                        seeks.insert(tp, offset);
                    } else {
                        let _ = self.ctx.offset(tp, offset);
                    }
                }
                let _ = reply.send(seeks);
            }
            RebalanceEvent::Revoked(parts, reply) => {
                debug!(task = %self.id, partitions = ?parts, "partitions revoked");
                // What went to the dead letter queue must be there before the offsets
                // that skip it are committed.
                let flushed = self.errors.flush().await;
                let offsets = match &flushed {
                    Ok(()) => self.pre_commit_offsets(&parts).await,
                    Err(_) => Ok(HashMap::new()),
                };
                let closed = self.task.close(&parts).await;
                self.revocations += 1;
                // What the poll thread polled ahead came before the revocation (it waits
                // in the callback now): keep the rest of it, in order.
                let drained = self.drain_polled();
                self.stash.retain(|m| !m.is_of_any(&parts));
                self.held.retain(|m| !m.is_of_any(&parts));
                for tp in &parts {
                    self.assigned.remove(tp);
                    self.delivered.remove(tp);
                    self.done.remove(tp);
                    self.paused.remove(tp);
                    // A seek still under way is not made (see `rebalances`): what comes
                    // of the partition from now on is from its new assignment.
                    self.seeking.remove(tp);
                }
                self.ctx.set_assignment(self.assigned.iter().cloned());
                self.metrics.set_partitions(self.assigned.len());
                let _ = reply.send(offsets.unwrap_or_default());
                flushed.and(closed).and(drained)?;
            }
        }
        Ok(())
    }

    /// The next batch the poll thread polled, waiting at most `wait` and serving
    /// rebalances meanwhile (the rebalance callback waits for the driver); `None` when
    /// nothing came.
    async fn next_batch(&mut self, wait: Duration) -> Result<Option<Vec<Fetched>>> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let poller = self.poller.as_mut().ok_or_else(|| {
                ConnectError::fatal(format!("the poll thread of {} is not running", self.id))
            })?;
            let polled = tokio::select! {
                biased;
                Some(ev) = self.events.recv() => {
                    self.on_rebalance(ev).await?;
                    // What a revocation moved from the channel into the stash was polled
                    // before anything still to come: it goes first.
                    if !self.stash.is_empty() {
                        return Ok(Some(self.take_stash()));
                    }
                    continue;
                }
                polled = poller.recv() => polled,
                () = tokio::time::sleep_until(until) => return Ok(None),
            };
            let Some(polled) = polled else {
                return Err(ConnectError::fatal(format!("the poll thread of {} stopped", self.id)));
            };
            if let Some(batch) = self.take_polled(polled)? {
                return Ok(Some(batch));
            }
        }
    }

    /// The oldest stashed messages, at most `max.poll.records` (one `put`'s worth).
    fn take_stash(&mut self) -> Vec<Fetched> {
        let n = self.stash.len().min(self.max_poll_records);
        self.stash.drain(..n).collect()
    }

    /// Moves what the poll thread polled ahead into the stash, without waiting.
    fn drain_polled(&mut self) -> Result<()> {
        while let Some(polled) = self.poller.as_mut().and_then(PollThread::try_recv) {
            if let Some(batch) = self.take_polled(polled)? {
                self.stash.extend(batch);
            }
        }
        Ok(())
    }

    /// What of something polled is to be handled: the messages of a batch, less those of
    /// partitions with a seek under way.
    fn take_polled(&mut self, polled: Polled) -> Result<Option<Vec<Fetched>>> {
        match polled {
            Polled::Batch(mut batch) => {
                self.metrics.add(Count::Read, batch.len() as u64);
                if !self.seeking.is_empty() {
                    batch.retain(|m| !m.is_of_any(self.seeking.keys()));
                }
                Ok((!batch.is_empty()).then_some(batch))
            }
            Polled::Seeked(tp, offset, done) => {
                if let Some(n) = self.seeking.get_mut(&tp) {
                    *n -= 1;
                    if *n == 0 {
                        self.seeking.remove(&tp);
                    }
                }
                match done {
                    Ok(()) => {}
                    // The partition moved away before the seek was made: its next owner
                    // starts from the committed offset.
                    Err(e) if !self.assigned.contains(&tp) => {
                        debug!(task = %self.id, tp = %tp, offset, error = %e, "seek of a partition no longer assigned not made");
                    }
                    Err(e) => {
                        return Err(ConnectError::retriable(format!(
                            "seek of {tp} to {offset} failed: {e}"
                        )));
                    }
                }
                Ok(None)
            }
            Polled::Failed(KafkaError::MessageConsumption(
                RDKafkaErrorCode::UnknownTopicOrPartition,
            )) => {
                debug!(task = %self.id, "subscribed topic does not exist yet; waiting for it");
                Ok(None)
            }
            Polled::Failed(e) => {
                warn!(task = %self.id, error = %e, "consumer error; polling again");
                Ok(None)
            }
        }
    }

    /// Keeps back the messages of paused partitions that were polled ahead, until the
    /// partitions resume.
    fn hold_paused(&mut self, batch: &mut Vec<Fetched>) {
        if self.paused.is_empty() || batch.is_empty() {
            return;
        }
        let paused = &self.paused;
        if !batch.iter().any(|m| m.is_of_any(paused)) {
            return;
        }
        let (held, rest): (Vec<Fetched>, Vec<Fetched>) =
            std::mem::take(batch).into_iter().partition(|m| m.is_of_any(paused));
        self.held.extend(held);
        *batch = rest;
    }
}

impl SinkDriver {
    fn apply_context_requests(&mut self) -> Result<()> {
        for (tp, offset) in self.ctx.take_offsets() {
            let rebalances = self.consumer.context().rebalances.load(Ordering::Acquire);
            let asked =
                self.poller.as_ref().is_some_and(|p| p.seek(tp.clone(), offset, rebalances));
            if !asked {
                return Err(ConnectError::retriable(format!(
                    "seek of {tp} to {offset} failed: the poll thread stopped"
                )));
            }
            *self.seeking.entry(tp.clone()).or_default() += 1;
            self.delivered.remove(&tp);
            self.done.remove(&tp);
            // Messages polled before the seek are not to be put.
            self.stash.retain(|m| !m.is_of(&tp));
            self.held.retain(|m| !m.is_of(&tp));
        }
        if *self.state.borrow() == TargetState::Started {
            self.apply_pauses()?;
        }
        Ok(())
    }

    fn apply_pauses(&mut self) -> Result<()> {
        let wanted = self.ctx.paused_partitions();
        let to_pause: Vec<&TopicPartition> = wanted.difference(&self.paused).collect();
        let to_resume: Vec<&TopicPartition> = self.paused.difference(&wanted).collect();
        if !to_pause.is_empty() {
            self.consumer
                .pause(&tpl_list(&to_pause))
                .map_err(|e| ConnectError::retriable(format!("pause failed: {e}")))?;
        }
        if !to_resume.is_empty() {
            self.consumer
                .resume(&tpl_list(&to_resume))
                .map_err(|e| ConnectError::retriable(format!("resume failed: {e}")))?;
        }
        self.paused = wanted;
        self.release_held();
        Ok(())
    }

    /// Messages held for partitions that are no longer paused go first to the next
    /// `put`: they were polled before anything still waiting of their partitions.
    fn release_held(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let paused = &self.paused;
        let (held, free): (Vec<Fetched>, Vec<Fetched>) =
            std::mem::take(&mut self.held).into_iter().partition(|m| m.is_of_any(paused));
        self.held = held;
        if !free.is_empty() {
            let later = std::mem::replace(&mut self.stash, free);
            self.stash.extend(later);
        }
    }

    fn pause_all(&mut self) -> Result<()> {
        let all: Vec<&TopicPartition> = self.assigned.iter().collect();
        if !all.is_empty() {
            self.consumer
                .pause(&tpl_list(&all))
                .map_err(|e| ConnectError::retriable(format!("pause failed: {e}")))?;
        }
        self.paused = self.assigned.clone();
        Ok(())
    }

    /// `pre_commit` for some partitions: what is safe to commit.
    async fn pre_commit_offsets(
        &mut self,
        parts: &[TopicPartition],
    ) -> Result<HashMap<TopicPartition, i64>> {
        let offered: HashMap<TopicPartition, OffsetAndMetadata> = self
            .delivered
            .iter()
            .filter(|(tp, _)| parts.contains(tp))
            .map(|(tp, o)| (tp.clone(), OffsetAndMetadata::new(*o)))
            .collect();
        let accepted = self.task.pre_commit(offered).await?;
        Ok(accepted
            .into_iter()
            .filter(|(tp, _)| self.assigned.contains(tp))
            .map(|(tp, o)| (tp, o.offset))
            .collect())
    }

    /// Commits the consumer offsets `pre_commit` accepts.
    async fn commit(&mut self, wait: bool) -> Result<()> {
        self.last_commit = Instant::now();
        // Records sent to the dead letter queue must be there before the offsets that
        // skip them are committed.
        self.errors.flush().await?;
        let parts: Vec<TopicPartition> = self.assigned.iter().cloned().collect();
        if parts.is_empty() {
            return Ok(());
        }
        let offsets = self.pre_commit_offsets(&parts).await?;
        if offsets.is_empty() {
            return Ok(());
        }
        let consumer = self.consumer.clone();
        let mode = if wait { CommitMode::Sync } else { CommitMode::Async };
        let tpl = tpl_of(&offsets);
        let started = Instant::now();
        let res = tokio::task::spawn_blocking(move || consumer.commit(&tpl, mode))
            .await
            .map_err(|e| ConnectError::fatal(format!("commit panicked: {e}")))?;
        self.metrics.commit(res.is_ok(), started.elapsed());
        // librdkafka reports no result of a manual asynchronous commit (rd_kafka_commit
        // passes it no reply queue, and rust-rdkafka sets no offset_commit_cb, so
        // ConsumerContext::commit_callback never sees it; tried): one it accepted counts as
        // completed (a synchronous one, at shutdown, once the broker answered).
        if res.is_ok() {
            self.metrics.sink_commit_completed();
        }
        match res {
            Ok(()) => {
                debug!(task = %self.id, partitions = offsets.len(), "committed consumer offsets")
            }
            Err(e) => {
                warn!(task = %self.id, error = %e, "offset commit failed; records since the last commit may be delivered again")
            }
        }
        Ok(())
    }

    async fn shutdown(&mut self, clean: bool) -> Result<()> {
        let mut result = Ok(());
        if clean {
            result = self.commit(true).await;
        }
        let parts: Vec<TopicPartition> = self.assigned.iter().cloned().collect();
        let close = self.task.close(&parts).await;
        let stop = self.task.stop().await;
        // No more rebalance answers: the callback must not wait for us while closing
        // (dropping the events still queued drops their answer channels, which frees a
        // callback waiting for one).
        self.events.close();
        while self.events.try_recv().is_ok() {}
        if let Some(mut poller) = self.poller.take() {
            poller.stop().await;
        }
        let consumer = self.consumer.clone();
        let closing = tokio::task::spawn_blocking(move || {
            consumer.unsubscribe();
            drop(consumer);
        });
        if tokio::time::timeout(Duration::from_secs(10), closing).await.is_err() {
            warn!(task = %self.id, "consumer did not close within 10 s");
        }
        result.and(close).and(stop)
    }
}

fn tpl_list(parts: &[&TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(parts.len());
    for tp in parts {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}
