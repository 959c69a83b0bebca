//! The sink driver polls ahead of `put` (a poll thread feeds it batches while it delivers
//! the one before). What was polled ahead must still obey the task: a partition it
//! pauses gets no more records until it resumes, and a seek drops whatever of the
//! partition was polled before it. Both run end to end through a standalone worker on the
//! test broker, with small batches and a slow `put`, so that batches are always waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use connect_api::config::RawConfig;
use connect_api::context::SinkTaskContext;
use connect_api::record::{OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{Result, SinkTask};
use connect_runtime::standalone::{Standalone, StandaloneOptions};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// What one test's sink task saw and did, in order.
#[derive(Default)]
struct Seen {
    /// Every `put`, as the (partition, offset) of its records.
    puts: Vec<Vec<(i32, i64)>>,
    /// Index in `puts` of the put that paused partition 0, and of the first put that may
    /// follow its resumption.
    paused_at: Option<usize>,
    resumed_at: Option<usize>,
    /// The offset of partition 0 whose put asked for the seek.
    seek_asked_at: Option<i64>,
    /// Index in `puts` of the first put after the `pre_commit` that asked for the seek.
    seek_asked_before_put: Option<usize>,
    /// The partitions open now (`open` minus `close`), how many were closed, and every
    /// record put for a partition that was not open.
    open: std::collections::BTreeSet<i32>,
    closed: usize,
    put_unopened: Vec<(i32, i64)>,
}

type Shared = Arc<Mutex<Seen>>;

fn seen() -> &'static Mutex<HashMap<String, Shared>> {
    static S: OnceLock<Mutex<HashMap<String, Shared>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// A sink that records its puts and, by its `mode`, pauses partition 0 for a while
/// (`pause`) or rewinds it once (`seek` from `put`, `seek-at-commit` from `pre_commit`).
#[derive(Default)]
struct SteeringTask {
    seen: Option<Shared>,
    ctx: Option<SinkTaskContext>,
    mode: String,
    topic: String,
}

/// Partition 0 is paused at its first record at or past this offset, or rewound there.
const STEER_AT: i64 = 40;
/// Where the seek rewinds partition 0 to.
const REWIND_TO: i64 = 15;
/// How long partition 0 stays paused.
const PAUSED_FOR: Duration = Duration::from_millis(400);

#[async_trait]
impl SinkTask for SteeringTask {
    async fn start(&mut self, ctx: SinkTaskContext, config: RawConfig) -> Result<()> {
        self.seen = seen().lock().unwrap().get(&config["seen"]).cloned();
        self.mode = config["mode"].clone();
        self.topic = config["topics"].clone();
        self.ctx = Some(ctx);
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.steer(records)?;
        // A slow sink: the poll thread gets ahead and batches wait.
        tokio::time::sleep(Duration::from_millis(3)).await;
        Ok(())
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        if let Some(seen) = &self.seen {
            seen.lock().unwrap().open.extend(partitions.iter().map(|tp| tp.partition));
        }
        Ok(())
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        if let Some(seen) = &self.seen {
            let mut s = seen.lock().unwrap();
            for tp in partitions {
                s.open.remove(&tp.partition);
            }
            s.closed += partitions.len();
        }
        Ok(())
    }
    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<HashMap<TopicPartition, OffsetAndMetadata>> {
        if let (Some(seen), Some(ctx)) = (&self.seen, &self.ctx)
            && self.mode == "seek-at-commit"
        {
            let mut s = seen.lock().unwrap();
            let reached = s.puts.iter().flatten().any(|(p, o)| *p == 0 && *o >= STEER_AT);
            if reached && s.seek_asked_before_put.is_none() {
                ctx.offset(TopicPartition::new(&self.topic, 0), REWIND_TO)?;
                s.seek_asked_before_put = Some(s.puts.len());
            }
        }
        Ok(offsets)
    }
    async fn stop(&mut self) -> Result<()> {
        Ok(())
    }
}

impl SteeringTask {
    /// Records a put and pauses, resumes or seeks as the mode says.
    fn steer(&self, records: &[SinkRecord]) -> Result<()> {
        let (Some(seen), Some(ctx)) = (&self.seen, &self.ctx) else { return Ok(()) };
        let mut s = seen.lock().unwrap();
        let unopened: Vec<(i32, i64)> = records
            .iter()
            .map(|r| (r.original_kafka_partition(), r.original_kafka_offset()))
            .filter(|(p, _)| !s.open.contains(p))
            .collect();
        s.put_unopened.extend(unopened);
        let put: Vec<(i32, i64)> = records
            .iter()
            .map(|r| (r.original_kafka_partition(), r.original_kafka_offset()))
            .collect();
        let reaches = put.iter().find(|(p, o)| *p == 0 && *o >= STEER_AT).map(|(_, o)| *o);
        s.puts.push(put);
        let index = s.puts.len() - 1;
        let p0 = [TopicPartition::new(&self.topic, 0)];
        match self.mode.as_str() {
            "pause" => {
                if s.paused_at.is_none() && reaches.is_some() {
                    ctx.pause(&p0)?;
                    s.paused_at = Some(index);
                    // Resumed from outside `put`, later: the driver applies it between
                    // batches whether or not more records come.
                    let (ctx, seen, p0) = (ctx.clone(), seen.clone(), p0.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(PAUSED_FOR).await;
                        let mut s = seen.lock().unwrap();
                        ctx.resume(&p0).unwrap();
                        s.resumed_at = Some(s.puts.len());
                    });
                }
            }
            "seek" => {
                if s.seek_asked_at.is_none()
                    && let Some(at) = reaches
                {
                    ctx.offset(p0[0].clone(), REWIND_TO)?;
                    s.seek_asked_at = Some(at);
                }
            }
            "seek-at-commit" => {
                if reaches.is_some() && s.seek_asked_before_put.is_none() {
                    ctx.request_commit();
                }
            }
            "track" => {}
            other => panic!("unknown mode {other}"),
        }
        Ok(())
    }
}

/// Partition 0 gets this many records before the sink starts.
const P0_RECORDS: i64 = 200;

/// Runs the steering sink in `mode` over a fresh two-partition topic until `done`. With
/// `rebalanced`, a second member joins the sink's group for a while once puts began
/// (two rebalances: partitions revoked and reassigned) and sets it when it has left.
async fn run_steering(
    mode: &str,
    rebalanced: Option<Arc<AtomicBool>>,
    done: impl Fn(&Seen) -> bool,
) -> Shared {
    let key = unique("seen");
    let shared: Shared = Arc::default();
    seen().lock().unwrap().insert(key.clone(), shared.clone());
    let mut registry = common::registry();
    registry
        .register([common::sinks::sink_plugin("test.Steering", || {
            Box::new(SteeringTask::default())
        })])
        .unwrap();
    let worker = Standalone::start(
        StandaloneOptions {
            worker_config: raw(&[("listeners", "http://127.0.0.1:0")]),
            connectors: vec![],
        },
        registry,
    )
    .await
    .unwrap();
    let w = worker.herder().clone();
    let topic = unique("steer");
    w.worker().kafka().create_topic(&topic, 2).await.unwrap();
    let bootstrap = w.worker().kafka().bootstrap_servers().to_string();
    let (t, b) = (topic.clone(), bootstrap.clone());
    tokio::task::spawn_blocking(move || {
        let p: BaseProducer =
            rdkafka::ClientConfig::new().set("bootstrap.servers", &b).create().unwrap();
        for i in 0..P0_RECORDS {
            let v = i.to_string();
            p.send(BaseRecord::<(), str>::to(&t).partition(0).payload(v.as_str())).unwrap();
        }
        p.flush(Duration::from_secs(30)).unwrap();
    })
    .await
    .unwrap();
    // Partition 1 gets records all along, so that puts go on while partition 0 waits,
    // whatever order the consumer fetches the partitions in.
    let stop = Arc::new(AtomicBool::new(false));
    let feeding = {
        let (bootstrap, t, stop) = (bootstrap.clone(), topic.clone(), stop.clone());
        tokio::task::spawn_blocking(move || {
            let p: BaseProducer = rdkafka::ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("linger.ms", "1")
                .create()
                .unwrap();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let v = i.to_string();
                p.send(BaseRecord::<(), str>::to(&t).partition(1).payload(v.as_str())).unwrap();
                p.poll(Duration::ZERO);
                i += 1;
                if i.is_multiple_of(10) {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            p.flush(Duration::from_secs(30)).unwrap();
        })
    };
    let config = raw(&[
        ("connector.class", "test.Steering"),
        ("topics", &topic),
        ("tasks.max", "1"),
        ("seen", &key),
        ("mode", mode),
        ("consumer.override.max.poll.records", "10"),
        ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
    ]);
    w.put_connector("steering", config, true).await.unwrap();
    if let Some(left) = rebalanced {
        wait_for(Duration::from_secs(60), "the first puts", || {
            shared.lock().unwrap().puts.len() >= 3
        })
        .await;
        let (bootstrap, t) = (bootstrap.clone(), topic.clone());
        tokio::task::spawn_blocking(move || {
            let member: BaseConsumer = rdkafka::ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("group.id", "connect-steering")
                .set("enable.auto.commit", "false")
                .create()
                .unwrap();
            member.subscribe(&[&t]).unwrap();
            // Polled (so that it joins, and the sink's task loses partitions) for a while,
            // never committing: what it read is the sink's again once it leaves.
            let until = std::time::Instant::now() + Duration::from_secs(3);
            while std::time::Instant::now() < until {
                let _ = member.poll(Duration::from_millis(50));
            }
            member.unsubscribe();
            drop(member);
            left.store(true, Ordering::Release);
        });
    }
    wait_for(Duration::from_secs(90), &format!("the {mode} run to finish"), || {
        done(&shared.lock().unwrap())
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    feeding.await.unwrap();
    worker.shutdown().await;
    shared
}

/// The offsets of one partition in the order they were put.
fn offsets_of(seen: &Seen, partition: i32) -> Vec<i64> {
    seen.puts.iter().flatten().filter(|(p, _)| *p == partition).map(|(_, o)| *o).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_partition_gets_nothing_polled_ahead_until_it_resumes() {
    let shared = run_steering("pause", None, |s| {
        s.resumed_at.is_some() && offsets_of(s, 0).len() as i64 >= P0_RECORDS
    })
    .await;
    let s = shared.lock().unwrap();
    let (paused, resumed) = (s.paused_at.unwrap(), s.resumed_at.unwrap());
    assert!(resumed > paused + 1, "no put while partition 0 was paused: nothing was tested");
    for (i, put) in s.puts.iter().enumerate().take(resumed).skip(paused + 1) {
        assert!(
            put.iter().all(|(p, _)| *p != 0),
            "put {i} (paused at put {paused}, resumed before put {resumed}) holds partition 0: {put:?}"
        );
    }
    // Nothing lost, nothing twice, in order, although records were held back.
    assert_eq!(offsets_of(&s, 0), (0..P0_RECORDS).collect::<Vec<_>>());
    let p1 = offsets_of(&s, 1);
    assert_eq!(p1, (0..p1.len() as i64).collect::<Vec<_>>());
    // The pause really overlapped records waiting to be put: partition 0 was not done.
    let before: usize = s.puts[..=paused].iter().flatten().filter(|(p, _)| *p == 0).count();
    assert!((before as i64) < P0_RECORDS, "partition 0 was put whole before the pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_drops_what_was_polled_ahead_of_it() {
    let shared = run_steering("seek", None, |s| {
        let p0 = offsets_of(s, 0);
        s.seek_asked_at.is_some() && p0.last() == Some(&(P0_RECORDS - 1)) && p0.len() > 1
    })
    .await;
    let s = shared.lock().unwrap();
    let asked = s.seek_asked_at.unwrap();
    let p0 = offsets_of(&s, 0);
    // The put that asked for the seek ends somewhere at or past `asked`; the next record
    // of partition 0 is the seek target, and from there the partition runs in order.
    let rewind = p0.iter().position(|o| *o == REWIND_TO).unwrap();
    let rewind = rewind
        + 1
        + p0[rewind + 1..]
            .iter()
            .position(|o| *o == REWIND_TO)
            .unwrap_or_else(|| panic!("partition 0 was never put again from {REWIND_TO}: {p0:?}"));
    let first_pass = &p0[..rewind];
    assert_eq!(first_pass, (0..first_pass.len() as i64).collect::<Vec<_>>());
    let last_before = *first_pass.last().unwrap();
    assert!(last_before >= asked, "the seek was applied before the put that asked for it ended");
    // Records polled ahead of the seek (after the asking put) must not come through:
    // the put that asked is followed directly by the seek target.
    let asking_put = s.puts.iter().position(|p| p.contains(&(0, asked))).unwrap();
    let last_of_asking = s.puts[asking_put].iter().filter(|(p, _)| *p == 0).map(|(_, o)| *o);
    assert_eq!(
        last_of_asking.max(),
        Some(last_before),
        "records of partition 0 after the asking put and before the rewind: {p0:?}"
    );
    assert_eq!(&p0[rewind..], (REWIND_TO..P0_RECORDS).collect::<Vec<_>>());
    let p1 = offsets_of(&s, 1);
    assert_eq!(p1, (0..p1.len() as i64).collect::<Vec<_>>());
}

/// A seek a task asks for in `pre_commit` is made before the next put, as Kafka's
/// WorkerSinkTask rewinds before its next poll: no record of the partition polled before
/// it is put after it (a task that recovers in `pre_commit` and rewinds relies on that).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_asked_in_pre_commit_is_made_before_the_next_put() {
    let after = |s: &Seen| -> Vec<i64> {
        let from = s.seek_asked_before_put.unwrap_or(s.puts.len());
        s.puts[from..].iter().flatten().filter(|(p, _)| *p == 0).map(|(_, o)| *o).collect()
    };
    let shared =
        run_steering("seek-at-commit", None, |s| after(s).contains(&(P0_RECORDS - 1))).await;
    let s = shared.lock().unwrap();
    assert!(s.seek_asked_before_put.is_some(), "pre_commit never asked for the seek");
    assert_eq!(
        after(&s),
        (REWIND_TO..P0_RECORDS).collect::<Vec<_>>(),
        "partition 0 after the seek pre_commit asked for"
    );
    let p1 = offsets_of(&s, 1);
    assert_eq!(p1, (0..p1.len() as i64).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_polled_ahead_of_a_revocation_are_not_put() {
    let left = Arc::new(AtomicBool::new(false));
    let gone = left.clone();
    let shared = run_steering("track", Some(left), move |s| {
        // Done once the other member left and the sink has partition 0 whole again.
        let mut p0 = offsets_of(s, 0);
        p0.sort_unstable();
        p0.dedup();
        gone.load(Ordering::Acquire) && p0.len() as i64 >= P0_RECORDS
    })
    .await;
    let s = shared.lock().unwrap();
    assert!(s.closed > 0, "no partition was ever revoked from the sink: nothing was tested");
    assert!(
        s.put_unopened.is_empty(),
        "records of partitions not open (revoked, polled ahead) were put: {:?}",
        &s.put_unopened[..s.put_unopened.len().min(20)]
    );
    // At least once, nothing lost: every offset of both partitions up to the last put.
    for partition in [0, 1] {
        let mut got = offsets_of(&s, partition);
        got.sort_unstable();
        got.dedup();
        let last = *got.last().unwrap();
        assert_eq!(got, (0..=last).collect::<Vec<_>>(), "partition {partition} has gaps");
    }
}
