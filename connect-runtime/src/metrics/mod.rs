//! Kafka Connect's worker, connector and task metrics, served as Prometheus text on
//! `GET /metrics`.
//!
//! The record path only touches [`TaskMetrics`]: plain atomics that a driver adds to once
//! per batch (no lock, no allocation, no clock read per record). Everything derived from
//! them (rates, averages and maxima over a window, ratios, percentages) is computed when
//! Prometheus scrapes, from samples the scrape itself keeps (see [`window`]); nothing runs
//! in the background. [`scrape`] names them as Prometheus' JMX exporter names Kafka
//! Connect's MBeans (`kafka.connect:type=source-task-metrics,connector=c,task=0`
//! attribute `source-record-poll-total` becomes
//! `kafka_connect_source_task_metrics_source_record_poll_total{connector="c",task="0"}`),
//! so a dashboard built on a Java worker's exporter needs no change; `docs/METRICS.md`
//! lists every metric.

pub mod scrape;
pub mod window;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::task::TaskId;

/// The cumulative counts of a task, indexed by [`Count`].
pub const COUNTS: usize = Count::StateOther as usize + 1;
/// The maxima of a task (reset at each scrape), indexed by [`Max`].
pub const MAXES: usize = Max::ActiveRecords as usize + 1;

/// A cumulative count of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Count {
    /// Batches the task processed (`poll` results, or batches handed to `put`).
    Batches,
    /// Records in those batches.
    BatchRecords,
    /// Offset commits that succeeded.
    CommitsOk,
    /// Offset commits that failed.
    CommitsFailed,
    /// Microseconds spent in offset commits.
    CommitMicros,
    /// Source: records `poll` returned.
    Polled,
    /// Source: records Kafka acknowledged.
    Written,
    /// Source: `poll` calls that returned records.
    Polls,
    /// Source: microseconds spent in those `poll` calls.
    PollMicros,
    /// Sink: records read from Kafka.
    Read,
    /// Sink: records `put` accepted, after the transformations.
    Sent,
    /// Sink: `put` calls.
    Puts,
    /// Sink: microseconds spent in `put`.
    PutMicros,
    /// Sink: consumer offset commits completed.
    CommitCompletions,
    /// Sink: consumer offset commit completions that came too late and were ignored
    /// (Kafka's `offset-commit-skip-*`; commits here never complete late, so it stays 0).
    CommitSkips,
    /// Nanoseconds the task spent running (kept by [`TaskMetrics::set_state`]).
    StateRunning,
    /// Nanoseconds the task spent paused.
    StatePaused,
    /// Nanoseconds in any other state (starting, failed, stopping).
    StateOther,
}

/// A maximum a task keeps until the next scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Max {
    /// Records in the largest batch.
    BatchRecords,
    /// Microseconds of the slowest offset commit.
    CommitMicros,
    /// Source: microseconds of the slowest `poll`.
    PollMicros,
    /// Sink: microseconds of the slowest `put`.
    PutMicros,
    /// Source: the most records polled and not yet acknowledged at once.
    ActiveRecords,
}

/// Which side a task is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A source task.
    Source,
    /// A sink task.
    Sink,
}

/// The coarse state a task spent its time in, for `running-ratio` and `pause-ratio`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Moving data.
    Running,
    /// Paused by the operator.
    Paused,
    /// Starting, failed or stopping.
    Other,
}

/// Where a task's time went, changed only when its state does.
#[derive(Debug)]
struct StateClock {
    current: RunState,
    since: Instant,
}

/// One task's counters. Its driver adds to them; the scrape reads them.
#[derive(Debug)]
pub struct TaskMetrics {
    kind: TaskKind,
    created: Instant,
    counts: [AtomicU64; COUNTS],
    maxes: [AtomicU64; MAXES],
    /// Source: records polled and not yet acknowledged, skipped or dropped.
    active: AtomicI64,
    /// Sink: partitions assigned.
    partitions: AtomicI64,
    /// Sink: the largest lag (records) of an assigned partition at the last poll.
    lag_max: AtomicI64,
    /// Sink: the number of the last consumer offset commit.
    commit_seq: AtomicI64,
    clock: Mutex<StateClock>,
}

impl TaskMetrics {
    /// New counters, all zero, for a task starting now.
    pub fn new(kind: TaskKind) -> TaskMetrics {
        let now = Instant::now();
        TaskMetrics {
            kind,
            created: now,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            maxes: std::array::from_fn(|_| AtomicU64::new(0)),
            active: AtomicI64::new(0),
            partitions: AtomicI64::new(0),
            lag_max: AtomicI64::new(-1),
            commit_seq: AtomicI64::new(0),
            clock: Mutex::new(StateClock { current: RunState::Other, since: now }),
        }
    }

    /// Source or sink.
    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// A cumulative count as it is now.
    pub fn count(&self, count: Count) -> u64 {
        self.counts[count as usize].load(Ordering::Relaxed)
    }

    /// Adds `n` to a count.
    #[inline]
    pub fn add(&self, count: Count, n: u64) {
        self.counts[count as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// Raises a maximum to `value` if it is larger.
    #[inline]
    pub fn max(&self, max: Max, value: u64) {
        self.maxes[max as usize].fetch_max(value, Ordering::Relaxed);
    }

    /// A batch of `records` was processed.
    #[inline]
    pub fn batch(&self, records: usize) {
        self.add(Count::Batches, 1);
        self.add(Count::BatchRecords, records as u64);
        self.max(Max::BatchRecords, records as u64);
    }

    /// A timed call ended: adds its duration to `sum` and to `max`, and one to `calls`.
    #[inline]
    pub fn timed(&self, calls: Count, sum: Count, max: Max, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.add(calls, 1);
        self.add(sum, micros);
        self.max(max, micros);
    }

    /// An offset commit that took `took` ended, well or not.
    pub fn commit(&self, ok: bool, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.add(if ok { Count::CommitsOk } else { Count::CommitsFailed }, 1);
        self.add(Count::CommitMicros, micros);
        self.max(Max::CommitMicros, micros);
    }

    /// Source: `n` records are polled and not yet done (acknowledged, dropped or skipped).
    #[inline]
    pub fn set_active(&self, n: u64) {
        self.active.store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
        self.max(Max::ActiveRecords, n);
    }

    /// Sink: the task now has `n` partitions.
    pub fn set_partitions(&self, n: usize) {
        self.partitions.store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Sink: the largest lag of a partition seen at the last poll.
    pub fn set_lag_max(&self, lag: i64) {
        self.lag_max.store(lag, Ordering::Relaxed);
    }

    /// Sink: the broker confirmed a consumer offset commit.
    pub fn sink_commit_completed(&self) {
        self.add(Count::CommitCompletions, 1);
        self.commit_seq.fetch_add(1, Ordering::Relaxed);
    }

    /// The task entered `state`: the time since the last change goes to the old one.
    pub fn set_state(&self, state: RunState) {
        let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        self.add(state_count(clock.current), nanos(now - clock.since));
        clock.current = state;
        clock.since = now;
    }

    /// The counts as of now (the time of the current state included) and the maxima
    /// since the last call, which resets them.
    fn take_sample(&self, at: Instant) -> ([u64; COUNTS], [u64; MAXES]) {
        let mut counts: [u64; COUNTS];
        {
            // Under the clock's lock: a state change adds to the state counts under it.
            let clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
            counts = std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed));
            counts[state_count(clock.current) as usize] +=
                nanos(at.saturating_duration_since(clock.since));
        }
        let maxes = std::array::from_fn(|i| self.maxes[i].swap(0, Ordering::Relaxed));
        (counts, maxes)
    }

    /// Gauges read as they are.
    fn gauges(&self) -> Gauges {
        Gauges {
            active: self.active.load(Ordering::Relaxed),
            partitions: self.partitions.load(Ordering::Relaxed),
            lag_max: self.lag_max.load(Ordering::Relaxed),
            commit_seq: self.commit_seq.load(Ordering::Relaxed),
        }
    }
}

/// A task's gauges at a scrape.
#[derive(Debug, Clone, Copy)]
struct Gauges {
    active: i64,
    partitions: i64,
    lag_max: i64,
    commit_seq: i64,
}

impl From<crate::status::State> for RunState {
    fn from(state: crate::status::State) -> RunState {
        match state {
            crate::status::State::Running => RunState::Running,
            crate::status::State::Paused => RunState::Paused,
            _ => RunState::Other,
        }
    }
}

fn state_count(state: RunState) -> Count {
    match state {
        RunState::Running => Count::StateRunning,
        RunState::Paused => Count::StatePaused,
        RunState::Other => Count::StateOther,
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Startup attempts, successes and failures (of connectors or of tasks).
#[derive(Debug, Default)]
pub struct Startups {
    attempts: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
}

impl Startups {
    /// A start was tried and `ok` says how it went.
    pub fn record(&self, ok: bool) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let to = if ok { &self.successes } else { &self.failures };
        to.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self) -> (u64, u64, u64) {
        (
            self.attempts.load(Ordering::Relaxed),
            self.successes.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
        )
    }
}

/// A task's metrics with the samples past scrapes kept of it.
#[derive(Debug)]
struct Tracked {
    metrics: Arc<TaskMetrics>,
    history: window::History,
}

/// The metrics of one worker: its startup counts and every task's counters.
#[derive(Debug)]
pub struct WorkerMetrics {
    /// Connector starts (`connector-startup-*`).
    pub connector_startups: Startups,
    /// Task starts (`task-startup-*`).
    pub task_startups: Startups,
    /// How far back rates, averages and maxima look (Kafka: `metrics.sample.window.ms`
    /// times `metrics.num.samples`).
    window: Duration,
    tasks: Mutex<BTreeMap<TaskId, Tracked>>,
}

impl WorkerMetrics {
    /// Metrics whose rates and averages cover `window`.
    pub fn new(window: Duration) -> WorkerMetrics {
        WorkerMetrics {
            connector_startups: Startups::default(),
            task_startups: Startups::default(),
            window: window.max(Duration::from_millis(1)),
            tasks: Mutex::new(BTreeMap::new()),
        }
    }

    /// Fresh counters for task `id`, starting now (a restarted task starts from zero, as
    /// in Kafka, whose task metric group is made anew).
    pub fn task_started(&self, id: &TaskId, kind: TaskKind) -> Arc<TaskMetrics> {
        let metrics = Arc::new(TaskMetrics::new(kind));
        let tracked =
            Tracked { history: window::History::new(metrics.created), metrics: metrics.clone() };
        self.lock().insert(id.clone(), tracked);
        metrics
    }

    /// The counters of task `id`, if it started here.
    pub fn task(&self, id: &TaskId) -> Option<Arc<TaskMetrics>> {
        self.lock().get(id).map(|t| t.metrics.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TaskId, Tracked>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The windowed view of every task in `here`, the tasks running when the scrape
    /// began at `since`. Tasks no longer here are forgotten, but not one that started
    /// since (it is not in `here` yet).
    fn task_views(&self, here: &[TaskId], since: Instant) -> Vec<(TaskId, TaskKind, window::View)> {
        let mut tasks = self.lock();
        // Read under the lock, so that the samples of concurrent scrapes stay in order.
        let now = Instant::now();
        tasks.retain(|id, t| here.contains(id) || t.metrics.created >= since);
        tasks
            .iter_mut()
            .map(|(id, t)| {
                let (counts, maxes) = t.metrics.take_sample(now);
                let gauges = t.metrics.gauges();
                let view = t.history.observe(now, self.window, counts, maxes, gauges);
                (id.clone(), t.metrics.kind, view)
            })
            .collect()
    }
}
