//! [`HdfsSinkTask`]: the sink task.
//!
//! ## The commit timer
//!
//! A `SinkTask` has no timer of its own, and the runtime calls `put` only with
//! records (never with an empty batch). What it does call periodically is
//! `pre_commit` (every `offset.flush.interval.ms`), and it calls it promptly, between
//! two consumer polls (about every 100 ms), when the task asks through
//! [`SinkTaskContext::request_commit`]. So the task keeps the earliest deadline of
//! its open files (the wall-clock end of `rotate.interval.ms` for a partition that
//! went idle, the next `rotate.schedule.interval.ms` boundary) in a watch channel; a
//! small background tokio task sleeps until that deadline and then requests a
//! commit. All file work stays in `pre_commit`, on the task's own `&mut self`, so no
//! lock is shared with the background task, and an idle partition's files are
//! committed within about 100 ms of their deadline with no new record arriving.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::record::{OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Result, SinkTask};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::config::HdfsSinkConfig;
use crate::format::{self, FormatKind};
use crate::hive::{self, HiveMetastore};
use crate::hive_sync::HiveSync;
use crate::layout::Layout;
use crate::partitioner;
use crate::rotation::{RotationPolicy, parse_timezone};
use crate::storage::Storage;
use crate::writer::{Env, Listing, TopicPartitionWriter, wall_ms};

/// Writes records into files on the store, exactly once (see the crate README for
/// the delivery guarantee and the crash-point table).
///
/// - `open` recovers each partition: the write-ahead log is replayed, temporary
///   files of an earlier run are deleted, and the consumer is moved to the offset
///   after the last committed file.
/// - `put` writes records into temporary files (one per encoded partition) and
///   commits all of a partition's open files together on `flush.size`,
///   `rotate.interval.ms`, `rotate.schedule.interval.ms` or a schema change.
/// - a commit runs in the background (see `commit.rs`) while `put` writes the next
///   files; at most one per partition is in flight.
/// - `pre_commit` commits files whose timer is due, waits for the commits in
///   flight, and returns, per partition, the offset after the last committed file:
///   never the offset of a record that is only in a temporary file or in a commit
///   that has not finished.
/// - `close` and `stop` wait for the commits in flight, then discard temporary
///   files; their records are consumed again.
#[derive(Debug, Default)]
pub struct HdfsSinkTask {
    metastore: Option<Arc<dyn HiveMetastore>>,
    state: Option<Running>,
}

struct Running {
    ctx: SinkTaskContext,
    env: Env,
    writers: BTreeMap<TopicPartition, TopicPartitionWriter>,
    deadline: watch::Sender<Option<i64>>,
    timer: tokio::task::JoinHandle<()>,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").field("writers", &self.writers).finish()
    }
}

impl HdfsSinkTask {
    /// A task that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A task that uses `metastore` instead of connecting to `hive.metastore.uris`
    /// when `hive.integration=true` (for embedding and tests).
    pub fn with_metastore(metastore: Arc<dyn HiveMetastore>) -> Self {
        HdfsSinkTask { metastore: Some(metastore), state: None }
    }

    fn running(&mut self) -> Result<&mut Running> {
        self.state
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("HdfsSinkTask used before start or after stop"))
    }
}

/// Builds what the writers share from a parsed configuration.
pub(crate) async fn build_env(
    cfg: &HdfsSinkConfig,
    metastore: Option<Arc<dyn HiveMetastore>>,
) -> Result<Env> {
    let storage = Storage::open(cfg.url())?.with_operation_timeout(Duration::from_millis(
        u64::try_from(cfg.store_operation_timeout_ms).unwrap_or(1),
    ));
    let format = format::from_settings(&cfg.format_settings())?;
    let partitioner = partitioner::from_settings(&cfg.partitioner_settings())?;
    let schedule = if cfg.rotate_schedule_interval_ms > 0 {
        Some((cfg.rotate_schedule_interval_ms, parse_timezone(&cfg.timezone)?))
    } else {
        None
    };
    let policy = RotationPolicy {
        flush_size: u64::try_from(cfg.flush_size).unwrap_or(1).max(1),
        interval_ms: (cfg.rotate_interval_ms > 0).then_some(cfg.rotate_interval_ms),
        schedule,
    };
    let hive = if cfg.hive_integration {
        let metastore = match metastore {
            Some(m) => Some(m),
            None => hive::connect(&cfg.hive_settings()).await?,
        };
        metastore.map(|m| {
            Arc::new(HiveSync::new(
                m,
                cfg.hive_database.clone(),
                cfg.hive_table_name.clone(),
                FormatKind::from_class(&cfg.format_class).map(FormatKind::as_str).unwrap_or("avro"),
                partitioner.partition_fields(),
            ))
        })
    } else {
        None
    };
    let pad = usize::try_from(cfg.zero_pad_width).unwrap_or(0);
    Ok(Env {
        storage,
        layout: Layout::new(&cfg.topics_dir, &cfg.logs_dir, pad),
        format,
        partitioner,
        policy,
        compatibility: cfg.compatibility()?,
        hive,
        retry_backoff_ms: cfg.retry_backoff_ms.max(0),
    })
}

/// Sleeps until the deadline in `deadline` (wall-clock ms), then asks the runtime
/// for a commit (so `pre_commit` runs); ends when the task stops.
async fn commit_timer(ctx: SinkTaskContext, mut deadline: watch::Receiver<Option<i64>>) {
    let cancel = ctx.cancellation().clone();
    loop {
        let at = *deadline.borrow_and_update();
        let wait = match at {
            Some(at) => Duration::from_millis(u64::try_from(at - wall_ms()).unwrap_or(0)),
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = deadline.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(wait) => {
                if at.is_some() {
                    debug!("a file rotation deadline passed; requesting a commit");
                    ctx.request_commit();
                    // Give pre_commit time to act (it sets a new deadline); ask again
                    // if it did not.
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        changed = deadline.changed() => if changed.is_err() { return },
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }
}

impl Running {
    fn rearm_timer(&self) {
        let next = self.writers.values().filter_map(|w| w.deadline(&self.env)).min();
        self.deadline.send_if_modified(|current| {
            if *current == next {
                false
            } else {
                *current = next;
                true
            }
        });
    }

    /// Opens writers for `partitions`, recovering each; returns the seeks to make.
    async fn open(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<HashMap<TopicPartition, i64>> {
        let mut listings: HashMap<&str, Option<Listing>> = HashMap::new();
        for tp in partitions {
            if !listings.contains_key(tp.topic.as_str()) {
                let listing = match Listing::of(&self.env, &tp.topic).await {
                    Ok(l) => Some(l),
                    Err(e) => {
                        warn!(topic = %tp.topic, error = %e, "could not list the topic's files; each partition lists them again");
                        None
                    }
                };
                listings.insert(tp.topic.as_str(), listing);
            }
        }
        let mut seeks = HashMap::new();
        for tp in partitions {
            let mut writer = TopicPartitionWriter::new(&self.env, tp.clone());
            let listing = listings.get(tp.topic.as_str()).and_then(Option::as_ref);
            match writer.recover(&self.env, listing).await {
                Ok(()) => {
                    if let Some(seek) = writer.take_seek() {
                        seeks.insert(tp.clone(), seek);
                    }
                }
                Err(e) if e.is_retriable() => {
                    warn!(tp = %tp, error = %e, "recovery failed; records of this partition wait until it succeeds");
                    writer.mark_failed(&self.env);
                }
                Err(e) => return Err(e.context(format_args!("recovering {tp}"))),
            }
            if let Some(mut old) = self.writers.insert(tp.clone(), writer) {
                old.discard(&self.env).await;
            }
        }
        Ok(seeks)
    }
}

#[async_trait]
impl SinkTask for HdfsSinkTask {
    fn version(&self) -> String {
        crate::VERSION.to_string()
    }

    async fn start(&mut self, context: SinkTaskContext, config: RawConfig) -> Result<()> {
        let cfg = HdfsSinkConfig::parse(&config)?;
        for note in cfg.ignored_key_notes() {
            warn!("{note}");
        }
        let env = build_env(&cfg, self.metastore.clone()).await?;
        info!(url = %env.storage.url(), topics_dir = %cfg.topics_dir, logs_dir = %cfg.logs_dir, "HdfsSinkTask starting");
        let (deadline, rx) = watch::channel(None);
        let timer = tokio::spawn(commit_timer(context.clone(), rx));
        self.state = Some(Running {
            ctx: context,
            env,
            writers: BTreeMap::new(),
            deadline,
            timer,
            shutdown_timeout: Duration::from_millis(
                u64::try_from(cfg.shutdown_timeout_ms).unwrap_or(0),
            ),
        });
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let run = self.running()?;
        let seeks = run.open(partitions).await?;
        for (tp, offset) in seeks {
            debug!(tp = %tp, offset, "resuming after the last committed file");
            run.ctx.offset(tp, offset)?;
        }
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let run = self.running()?;
        // Writers that a storage error put in doubt recover first; their consumer is
        // rewound, and their records in this batch (all at or after the rewind
        // target) come again after the seek, which the runtime applies right after
        // this call.
        let mut rewinding = BTreeSet::new();
        for (tp, w) in run.writers.iter_mut() {
            // A commit that finished in the background moves the committed offset (or,
            // when it failed, puts the writer in doubt) before more records go in.
            w.settle_or_fail(&run.env, false).await?;
            if w.ensure_ready(&run.env).await
                && let Some(seek) = w.take_seek()
            {
                run.ctx.offset(tp.clone(), seek)?;
                rewinding.insert(tp.clone());
            }
        }
        let mut touched = BTreeSet::new();
        // One clock reading per batch (for the wall-clock partitioners and timers).
        let now = wall_ms();
        // Batches come in runs of one partition: find its writer once per run.
        let mut rest = records;
        while let Some(first) = rest.first() {
            let tp = first.original_topic_partition();
            let len = rest
                .iter()
                .position(|r| {
                    r.original_kafka_partition() != tp.partition || r.original_topic() != tp.topic
                })
                .unwrap_or(rest.len());
            let (batch, tail) = rest.split_at(len);
            rest = tail;
            if rewinding.contains(&tp) {
                continue;
            }
            if !run.writers.contains_key(&tp) {
                // Not opened through `open`: recover it now and rewind to it.
                warn!(tp = %tp, "a record arrived for a partition that was not opened; opening it");
                let seeks = run.open(std::slice::from_ref(&tp)).await?;
                if let Some(seek) = seeks.get(&tp) {
                    run.ctx.offset(tp.clone(), *seek)?;
                    rewinding.insert(tp);
                    continue;
                }
            }
            let Some(writer) = run.writers.get_mut(&tp) else { continue };
            for record in batch {
                if let Err(e) = writer.write(&run.env, record, now).await {
                    match run.ctx.errant_record_reporter() {
                        Some(reporter) => reporter.report(record, &e).await?,
                        None => return Err(e),
                    }
                }
            }
            touched.insert(tp);
        }
        for tp in &touched {
            if let Some(w) = run.writers.get_mut(tp) {
                w.drain(&run.env).await;
            }
        }
        run.rearm_timer();
        Ok(())
    }

    async fn pre_commit(
        &mut self,
        _offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        let run = self.running()?;
        let now = wall_ms();
        for (tp, w) in run.writers.iter_mut() {
            // A writer a storage error put in doubt recovers here too, so that it goes on
            // when no record comes (the runtime calls `put` only with records): its
            // rewind is asked now, and the runtime makes it before the next put.
            if w.ensure_ready(&run.env).await {
                if let Some(seek) = w.take_seek() {
                    run.ctx.offset(tp.clone(), seek)?;
                }
                w.commit_if_due(&run.env, now).await;
            }
            // Only finished commits count: wait for the one in flight.
            w.settle_or_fail(&run.env, true).await?;
        }
        run.rearm_timer();
        Ok(run
            .writers
            .iter()
            .filter_map(|(tp, w)| w.committed().map(|o| (tp.clone(), OffsetAndMetadata::new(o))))
            .collect())
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        let run = self.running()?;
        let timeout = run.shutdown_timeout;
        let work = async {
            for tp in partitions {
                if let Some(mut w) = run.writers.remove(tp) {
                    w.discard(&run.env).await;
                }
            }
        };
        if tokio::time::timeout(timeout, work).await.is_err() {
            warn!(
                "closing partitions took longer than shutdown.timeout.ms; the next recovery deletes what is left"
            );
        }
        run.rearm_timer();
        Ok(())
    }

    async fn stop(&mut self) -> Result<()> {
        let Some(mut run) = self.state.take() else { return Ok(()) };
        run.timer.abort();
        let timeout = run.shutdown_timeout;
        let env = run.env.clone();
        let work = async {
            for (_, mut w) in std::mem::take(&mut run.writers) {
                w.discard(&env).await;
            }
        };
        if tokio::time::timeout(timeout, work).await.is_err() {
            warn!(
                "stopping took longer than shutdown.timeout.ms; the next recovery deletes what is left"
            );
        }
        info!("HdfsSinkTask stopped");
        Ok(())
    }
}
