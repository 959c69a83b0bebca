//! The writer of one topic partition: records into temporary files (one per encoded
//! partition), rotation, the commit of all open files as one write-ahead-logged
//! group, and recovery of the committed position.

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::data::{Compatibility, Schema, SchemaProjector, Value};
use connect_api::record::{ConnectRecord as _, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Result};
use tracing::{debug, info, warn};

use crate::commit;
use crate::format::{Format, FormatWriter};
use crate::hive_sync::HiveSync;
use crate::layout::{self, Layout};
use crate::partitioner::Partitioner;
use crate::rotation::{RotationPolicy, RotationReason};
use crate::storage::{Storage, StorageWriter};
use crate::wal::{RecoveryReport, Wal};

/// What every topic partition writer of a task shares.
#[derive(Debug, Clone)]
pub struct Env {
    /// The store.
    pub storage: Storage,
    /// Directory and file names.
    pub layout: Layout,
    /// The file format.
    pub format: Arc<dyn Format>,
    /// The partitioner.
    pub partitioner: Arc<dyn Partitioner>,
    /// When to commit.
    pub policy: RotationPolicy,
    /// `schema.compatibility`.
    pub compatibility: Compatibility,
    /// Hive, when enabled.
    pub hive: Option<Arc<HiveSync>>,
    /// `retry.backoff.ms`: the least time between recovery attempts after a storage
    /// error.
    pub retry_backoff_ms: i64,
}

/// What the files on storage say about a topic partition, listed once per topic.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    /// Files under `<topics.dir>/<topic>/`.
    pub committed: Vec<String>,
    /// Files under `<topics.dir>/+tmp/<topic>/`.
    pub temporary: Vec<String>,
}

impl Listing {
    /// Lists both directories of `topic`.
    pub async fn of(env: &Env, topic: &str) -> Result<Listing> {
        Ok(Listing {
            committed: env.storage.list_files(&env.layout.topic_dir(topic)).await?,
            temporary: env.storage.list_files(&env.layout.temp_topic_dir(topic)).await?,
        })
    }
}

struct OpenFile {
    temp: String,
    writer: Box<dyn FormatWriter>,
    out: StorageWriter,
    start: i64,
    end: i64,
}

/// The open group: every file written since the last commit.
struct Group {
    files: BTreeMap<String, OpenFile>,
    records: u64,
    /// Record time of the first record (for `rotate.interval.ms`).
    first_record_ms: Option<i64>,
    /// Wall clock when the group got its first record.
    opened_wall_ms: i64,
    /// The next `rotate.schedule.interval.ms` boundary.
    scheduled_ms: Option<i64>,
}

/// The state of a topic partition writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Ready,
    /// A storage error left the open files or the log in doubt: records are skipped
    /// until recovery (the same as at open) succeeds and the consumer is rewound.
    NeedsRecovery,
}

/// Writes one topic partition.
pub struct TopicPartitionWriter {
    tp: TopicPartition,
    wal: Wal,
    /// The next offset after the last committed file (what `pre_commit` returns).
    committed: Option<i64>,
    /// The next offset to write; records before it were written (or committed).
    next_offset: Option<i64>,
    /// The first offset seen since the last commit that is not committed (written or
    /// skipped): where to rewind when there is no committed file yet.
    resume_from: Option<i64>,
    group: Option<Group>,
    /// The commit handed to the background, if any (at most one).
    inflight: Option<commit::InFlight>,
    /// `Some(schema)` once a record fixed the current schema (`Some(None)`: schemaless).
    schema: Option<Option<Schema>>,
    /// A handle of another schema object found equal to the current schema, so
    /// records carrying it skip the deep comparison.
    schema_alias: Option<Schema>,
    /// The last encoded partition, by Kafka partition, when the partitioner says the
    /// encoding depends on nothing else.
    encoded_cache: Option<(Option<i32>, String)>,
    health: Health,
    /// Where the consumer must be rewound to, to be handed to the context.
    pending_seek: Option<i64>,
    /// After a storage error, no recovery attempt before this wall-clock time.
    retry_at: i64,
}

impl std::fmt::Debug for TopicPartitionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicPartitionWriter")
            .field("tp", &self.tp)
            .field("committed", &self.committed)
            .field("next_offset", &self.next_offset)
            .field("open_files", &self.group.as_ref().map_or(0, |g| g.files.len()))
            .field("health", &self.health)
            .finish()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The wall clock in ms since the epoch.
pub fn wall_ms() -> i64 {
    now_ms()
}

/// What a record becomes before it is written.
enum Placement {
    /// Write the record's own value.
    AsIs,
    /// Write this projection of the value onto the current schema.
    Projected(Value),
}

impl TopicPartitionWriter {
    /// A writer for `tp`; call [`recover`](Self::recover) before writing.
    pub fn new(env: &Env, tp: TopicPartition) -> TopicPartitionWriter {
        let wal = Wal::new(env.storage.clone(), env.layout.wal_file(&tp.topic, tp.partition));
        TopicPartitionWriter {
            tp,
            wal,
            committed: None,
            next_offset: None,
            resume_from: None,
            group: None,
            inflight: None,
            schema: None,
            schema_alias: None,
            encoded_cache: None,
            health: Health::Ready,
            pending_seek: None,
            retry_at: 0,
        }
    }

    /// The next offset after the last committed file, if any file is committed.
    pub fn committed(&self) -> Option<i64> {
        self.committed
    }

    /// The offset the consumer must be moved to, once (after recovery).
    pub fn take_seek(&mut self) -> Option<i64> {
        self.pending_seek.take()
    }

    /// Finishes or rolls back what the log says a crash interrupted, deletes this
    /// partition's temporary files, and finds the committed position from the
    /// committed file names. Afterwards [`take_seek`](Self::take_seek) gives where the
    /// consumer must resume.
    pub async fn recover(&mut self, env: &Env, listing: Option<&Listing>) -> Result<()> {
        self.discard(env).await;
        let report: RecoveryReport = self.wal.recover().await?;
        // The listing taken before the log was replayed misses what it renamed.
        let fresh;
        let listing = match listing {
            Some(l) if report.rolled_forward.is_empty() && report.rolled_back.is_empty() => l,
            _ => {
                fresh = Listing::of(env, &self.tp.topic).await?;
                &fresh
            }
        };
        for temp in &listing.temporary {
            if layout::is_temp_of(temp, &self.tp.topic, self.tp.partition) {
                env.storage.delete(temp).await?;
                debug!(tp = %self.tp, file = %temp, "deleted a temporary file of an earlier run");
            }
        }
        let last = listing
            .committed
            .iter()
            .filter_map(|f| layout::committed_offsets(f, &self.tp.topic, self.tp.partition))
            .map(|(_, end)| end)
            .max();
        let rewind = self.resume_from;
        self.committed = last.map(|end| end + 1);
        self.next_offset = self.committed;
        self.pending_seek = self.committed.or(rewind);
        self.resume_from = None;
        self.schema = None;
        self.schema_alias = None;
        self.health = Health::Ready;
        info!(tp = %self.tp, committed = ?self.committed, rolled_forward = report.rolled_forward.len(), rolled_back = report.rolled_back.len(), "recovered");
        Ok(())
    }

    /// Waits for the commit in flight, then drops the open files and deletes them
    /// (best effort).
    pub async fn discard(&mut self, env: &Env) {
        if let Err(e) = self.settle().await {
            warn!(tp = %self.tp, error = %e, "a commit failed; its records are consumed again");
        }
        if let Some(group) = self.group.take() {
            for (_, mut f) in group.files {
                let _ = f.out.close().await;
                if let Err(e) = env.storage.delete(&f.temp).await {
                    warn!(file = %f.temp, error = %e, "could not delete a temporary file; the next recovery removes it");
                }
            }
        }
    }

    /// Retries recovery when a storage error put the writer in doubt (at most once
    /// per `retry.backoff.ms`); true when the writer is ready.
    pub async fn ensure_ready(&mut self, env: &Env) -> bool {
        if self.health == Health::Ready {
            return true;
        }
        if now_ms() < self.retry_at {
            return false;
        }
        match self.recover(env, None).await {
            Ok(()) => true,
            Err(e) => {
                warn!(tp = %self.tp, error = %e, "recovery after a storage error failed; will try again");
                self.health = Health::NeedsRecovery;
                self.retry_at = now_ms().saturating_add(env.retry_backoff_ms);
                false
            }
        }
    }

    /// Marks the writer in doubt (recovery at open failed): records are skipped and
    /// the consumer rewound once recovery succeeds.
    pub fn mark_failed(&mut self, env: &Env) {
        self.health = Health::NeedsRecovery;
        self.retry_at = now_ms().saturating_add(env.retry_backoff_ms);
    }

    /// A storage error happened: forget the open group and recover before writing
    /// again (records are redelivered from the committed position).
    async fn fail(&mut self, env: &Env, e: &ConnectError) {
        warn!(tp = %self.tp, error = %e, "storage error; discarding the open files and rewinding to the committed offset");
        if let Some(group) = &self.group {
            let first = group.files.values().map(|f| f.start).min();
            self.resume_from = earliest(self.resume_from, first);
        }
        self.discard(env).await;
        self.mark_failed(env);
    }

    /// Writes one record (or skips it when it was written already). `now` is the
    /// wall clock ([`wall_ms`]), read once per batch of records. Storage errors
    /// are absorbed: the writer rewinds (see [`take_seek`](Self::take_seek)). Data
    /// errors (a record the partitioner or the format cannot place, a schema that
    /// cannot be projected) are returned.
    pub async fn write(&mut self, env: &Env, record: &SinkRecord, now: i64) -> Result<()> {
        let offset = record.kafka_offset();
        if self.health != Health::Ready {
            self.resume_from = earliest(self.resume_from, Some(offset));
            return Ok(());
        }
        if self.next_offset.is_some_and(|next| offset < next) {
            return Ok(());
        }
        if let Err(e) = self.write_inner(env, record, now).await {
            if e.is_retriable() {
                self.fail(env, &e).await;
                self.resume_from = earliest(self.resume_from, Some(offset));
                return Ok(());
            }
            return Err(e);
        }
        Ok(())
    }

    async fn write_inner(&mut self, env: &Env, record: &SinkRecord, now: i64) -> Result<()> {
        let offset = record.kafka_offset();
        let placement = self.place_schema(env, record).await?;
        if let Some(reason) = self.rotation_before(env, record, now) {
            self.commit(env, reason).await?;
        }
        let owned;
        let encoded: &str = if env.partitioner.depends_only_on_kafka_partition() {
            let partition = record.kafka_partition();
            match &mut self.encoded_cache {
                Some((p, e)) if *p == partition => e,
                cache => {
                    let e = env.partitioner.encode_partition(record, now)?;
                    &cache.insert((partition, e)).1
                }
            }
        } else {
            owned = env.partitioner.encode_partition(record, now)?;
            &owned
        };
        let value = match &placement {
            Placement::AsIs => record.value(),
            Placement::Projected(v) => v,
        };
        let group = match &mut self.group {
            Some(g) => g,
            None => self.group.insert(Group {
                files: BTreeMap::new(),
                records: 0,
                first_record_ms: None,
                opened_wall_ms: now,
                scheduled_ms: env.policy.next_scheduled(now),
            }),
        };
        let file = match group.files.get_mut(encoded) {
            Some(f) => f,
            None => {
                let writer =
                    env.format.new_writer(self.schema.as_ref().and_then(Option::as_ref))?;
                let temp = env.layout.temp_file(
                    &self.tp.topic,
                    self.tp.partition,
                    encoded,
                    env.format.extension(),
                );
                let out = env.storage.create(&temp).await?;
                group.files.entry(encoded.to_string()).or_insert(OpenFile {
                    temp,
                    writer,
                    out,
                    start: offset,
                    end: offset,
                })
            }
        };
        file.writer.write(value).map_err(|e| {
            e.context(format_args!(
                "writing the record at {}-{} offset {offset}",
                self.tp.topic, self.tp.partition
            ))
        })?;
        file.end = offset;
        group.records += 1;
        if group.first_record_ms.is_none() {
            group.first_record_ms = Some(record_time(env, record, now));
        }
        if self.resume_from.is_none() && self.committed.is_none_or(|c| offset >= c) {
            self.resume_from = Some(offset);
        }
        self.next_offset = Some(offset + 1);
        if group.records >= env.policy.flush_size {
            self.commit(env, RotationReason::FlushSize).await?;
        }
        Ok(())
    }

    /// Applies `schema.compatibility` to the record's value schema: commits the open
    /// files when the record starts a new schema, projects it when it is to be
    /// written with the current one.
    async fn place_schema(&mut self, env: &Env, record: &SinkRecord) -> Result<Placement> {
        let incoming = record.value_schema();
        let Some(current) = &self.schema else {
            self.schema = Some(incoming.cloned());
            self.schema_alias = None;
            return Ok(Placement::AsIs);
        };
        match (current, incoming) {
            (None, None) => return Ok(Placement::AsIs),
            (Some(cur), Some(new)) => {
                // Records of a batch usually share one schema object: compare handles
                // before comparing schemas.
                if cur.ptr_eq(new) || self.schema_alias.as_ref().is_some_and(|a| a.ptr_eq(new)) {
                    return Ok(Placement::AsIs);
                }
                if cur == new {
                    self.schema_alias = Some(new.clone());
                    return Ok(Placement::AsIs);
                }
            }
            _ => {}
        }
        let (Some(cur), Some(new)) = (current.as_ref(), incoming) else {
            // Schemaless data after data with a schema, or the other way round.
            return self.switch_schema(env, incoming).await;
        };
        if env.compatibility == Compatibility::None {
            return self.switch_schema(env, incoming).await;
        }
        let (Some(cur_version), Some(new_version)) = (cur.version(), new.version()) else {
            return Err(ConnectError::data(format!(
                "schema.compatibility={} needs schema versions to order schemas, but the record at \
                 {}-{} offset {} has a value schema {} version and the current one {}; set \
                 versions on the schemas (the Avro converter does) or use schema.compatibility=NONE",
                env.compatibility,
                self.tp.topic,
                self.tp.partition,
                record.kafka_offset(),
                if new.version().is_some() { "with a" } else { "without a" },
                if cur.version().is_some() { "has one" } else { "has none" },
            )));
        };
        let newer_starts_files =
            matches!(env.compatibility, Compatibility::Backward | Compatibility::Full);
        let starts_files =
            if newer_starts_files { new_version > cur_version } else { new_version < cur_version };
        if starts_files {
            return self.switch_schema(env, incoming).await;
        }
        let projected = SchemaProjector::project(new, record.value(), cur).map_err(|e| {
            ConnectError::data(format!(
                "the record at {}-{} offset {} (schema version {new_version}) cannot be projected \
                 to the current schema (version {cur_version}) under schema.compatibility={}: {}",
                self.tp.topic,
                self.tp.partition,
                record.kafka_offset(),
                env.compatibility,
                e.message()
            ))
            .with_source(e)
        })?;
        Ok(Placement::Projected(projected))
    }

    async fn switch_schema(&mut self, env: &Env, schema: Option<&Schema>) -> Result<Placement> {
        if self.group.is_some() {
            self.commit(env, RotationReason::SchemaChange).await?;
        }
        self.schema = Some(schema.cloned());
        self.schema_alias = None;
        Ok(Placement::AsIs)
    }

    /// Whether the open files must be committed before `record` goes in (by record
    /// time or by schedule).
    fn rotation_before(&self, env: &Env, record: &SinkRecord, now: i64) -> Option<RotationReason> {
        let group = self.group.as_ref()?;
        if let (Some(interval), Some(first)) = (env.policy.interval_ms, group.first_record_ms)
            && record_time(env, record, now) - first >= interval
        {
            return Some(RotationReason::RecordTime);
        }
        if group.scheduled_ms.is_some_and(|at| now >= at) {
            return Some(RotationReason::Schedule);
        }
        None
    }

    /// Hands the bytes encoded so far to storage (after each batch).
    pub async fn drain(&mut self, env: &Env) {
        let Some(group) = &mut self.group else { return };
        let mut failure = None;
        for f in group.files.values_mut() {
            let result = match f.writer.drain() {
                Ok(bytes) => f.out.write(bytes).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                failure = Some(e);
                break;
            }
        }
        if let Some(e) = failure {
            self.fail(env, &e).await;
        }
    }

    /// When a timer must commit the open files: the wall-clock deadline of
    /// `rotate.interval.ms` for an idle partition, or the next schedule boundary.
    pub fn deadline(&self, env: &Env) -> Option<i64> {
        let group = self.group.as_ref()?;
        let idle = env.policy.interval_ms.map(|i| group.opened_wall_ms.saturating_add(i));
        match (idle, group.scheduled_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Commits the open files when their timer deadline has passed.
    pub async fn commit_if_due(&mut self, env: &Env, now: i64) {
        let Some(group) = &self.group else { return };
        let reason = if group.scheduled_ms.is_some_and(|at| now >= at) {
            RotationReason::Schedule
        } else if env
            .policy
            .interval_ms
            .is_some_and(|i| now >= group.opened_wall_ms.saturating_add(i))
        {
            RotationReason::IdleTimer
        } else {
            return;
        };
        if let Err(e) = self.commit(env, reason).await {
            // Only storage errors come out of a commit.
            self.fail(env, &e).await;
        }
    }

    /// Starts the commit of every open file (see [`crate::commit`]): the group is
    /// handed to a background task that finishes and syncs the files, logs the
    /// renames, renames and logs the end, while this writer goes on with the next
    /// group. At most one commit is in flight: an earlier one is waited for first
    /// (and its error, if any, returned). [`committed`](Self::committed) moves only
    /// when a commit is [settled](Self::settle).
    async fn commit(&mut self, env: &Env, reason: RotationReason) -> Result<()> {
        self.settle().await?;
        let Some(group) = self.group.take() else { return Ok(()) };
        let mut files: Vec<commit::SealedFile> = group
            .files
            .into_iter()
            .map(|(encoded, f)| commit::SealedFile {
                encoded,
                temp: f.temp,
                writer: f.writer,
                out: f.out,
                start: f.start,
                end: f.end,
                tail: Vec::new(),
            })
            .collect();
        if let Err(e) = commit::finish_all(&mut files) {
            // Nothing was logged: the group is dropped (its records come again).
            for f in &mut files {
                let _ = f.out.close().await;
                let _ = env.storage.delete(&f.temp).await;
            }
            return Err(e);
        }
        let first = files.iter().map(|f| f.start).min();
        let last = files.iter().map(|f| f.end).max();
        // Where to rewind if this commit fails: its first record, or an earlier one
        // not committed yet.
        let rewind = earliest(self.resume_from.take(), first);
        let wal = std::mem::replace(
            &mut self.wal,
            Wal::new(env.storage.clone(), env.layout.wal_file(&self.tp.topic, self.tp.partition)),
        );
        let job = commit::CommitJob {
            env: env.clone(),
            tp: self.tp.clone(),
            wal,
            files,
            schema: self.schema.clone().flatten(),
            reason,
        };
        self.inflight = Some(commit::InFlight::spawn(job, last, rewind));
        Ok(())
    }

    /// Waits for the commit in flight, if any: on success the committed offset moves
    /// past its files; on failure its records become the rewind point and the error
    /// is returned (the caller fails the writer, so it recovers and rewinds).
    /// Cancel-safe: dropped while waiting, the commit stays in flight.
    pub async fn settle(&mut self) -> Result<()> {
        let Some(inflight) = self.inflight.as_mut() else { return Ok(()) };
        let outcome = inflight.wait().await;
        let Some(inflight) = self.inflight.take() else { return Ok(()) };
        let error = match outcome {
            Ok((wal, Ok(()))) => {
                self.wal = wal;
                if let Some(last) = inflight.last {
                    self.committed = Some(self.committed.map_or(last + 1, |c| c.max(last + 1)));
                }
                return Ok(());
            }
            Ok((wal, Err(e))) => {
                self.wal = wal;
                e
            }
            Err(e) => e,
        };
        self.resume_from = earliest(self.resume_from, inflight.rewind);
        Err(error)
    }

    /// Settles the commit in flight if it has finished (without waiting).
    pub async fn settle_if_finished(&mut self) -> Result<()> {
        if self.inflight.as_ref().is_some_and(commit::InFlight::is_finished) {
            self.settle().await
        } else {
            Ok(())
        }
    }

    /// Settles the commit in flight (waiting for it when `wait`); a storage error
    /// fails the writer (it recovers and rewinds), other errors are returned.
    pub async fn settle_or_fail(&mut self, env: &Env, wait: bool) -> Result<()> {
        let settled = if wait { self.settle().await } else { self.settle_if_finished().await };
        match settled {
            Err(e) if e.is_retriable() => {
                self.fail(env, &e).await;
                Ok(())
            }
            other => other,
        }
    }
}

/// A record's time for `rotate.interval.ms`: the partitioner's, else the Kafka
/// timestamp, else the wall clock.
fn record_time(env: &Env, record: &SinkRecord, now: i64) -> i64 {
    env.partitioner.record_timestamp(record, now).or(record.timestamp()).unwrap_or(now)
}

/// The earlier of two optional offsets (`Option::min` would take `None` as earliest).
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
