//! Throughput of the JDBC sink and source tasks against PostgreSQL (and MariaDB), driven
//! through the connect-api traits with no broker, side by side with `psql \copy`.
//!
//! ```text
//! export CONNECT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test
//! export CONNECT_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test   # for sink-mysql
//! cargo run --release -p connect-jdbc --example jdbc_throughput -- all
//! ```
//!
//! Arguments: `sink-insert`, `sink-copy`, `sink-mysql`, `source`, `psql` or `all`
//! (default). Environment: `ROWS` (250000), `PUT_BATCH` (records per `put`, 5000),
//! `BATCH_MAX_ROWS` (the source's `batch.max.rows`, 1000 here; Confluent's default is
//! 100 and is measured too), `VARY=1` (put sizes vary between PUT_BATCH/2 and
//! PUT_BATCH, as a consumer's polls do), `REPEAT` (3). Rows are (bigint, text, double, timestamp, boolean, text).
//! Prints one line per figure: rows/s and, for ours, the ratio to psql.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write as _;
use std::process::Command;
use std::time::Instant;

use connect_api::config::RawConfig;
use connect_api::data::{Schema, SchemaBuilder, Struct, Timestamp, Value};
use connect_api::record::SinkRecord;
use connect_api::{SinkTask, SourceTask};
use connect_jdbc::sink::JdbcSinkTask;
use connect_jdbc::source::JdbcSourceTask;
use connect_jdbc::{ConnectionSettings, Db};
use connect_testkit::{InMemoryOffsetReader, sink_task_context, source_task_context};

const TABLE: &str = "bench_rows";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn schema() -> Schema {
    SchemaBuilder::struct_()
        .name("BenchRow")
        .field("id", Schema::int64())
        .field("name", Schema::string())
        .field("score", Schema::float64())
        .field("ts", Timestamp::schema())
        .field("flag", Schema::boolean())
        .field("note", Schema::optional_string())
        .build()
        .unwrap()
}

fn name_of(i: usize) -> String {
    format!("user-{i:08}")
}

fn note_of(i: usize) -> String {
    format!("note number {i} with some text")
}

const T0_MS: i64 = 1_700_000_000_000;

fn records(n: usize) -> Vec<SinkRecord> {
    let s = schema();
    (0..n)
        .map(|i| {
            let v = Struct::new(s.clone())
                .unwrap()
                .with("id", i as i64)
                .unwrap()
                .with("name", name_of(i))
                .unwrap()
                .with("score", i as f64 * 0.5)
                .unwrap()
                .with("ts", Value::Timestamp(Timestamp(T0_MS + i as i64)))
                .unwrap()
                .with("flag", i % 2 == 0)
                .unwrap()
                .with("note", note_of(i))
                .unwrap();
            SinkRecord::builder("bench", 0, i as i64).value(Some(s.clone()), v).build()
        })
        .collect()
}

/// The same rows as CSV, for `psql \copy`.
fn write_csv(n: usize, path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let ts = chrono::DateTime::from_timestamp_millis(T0_MS + i as i64).unwrap();
        writeln!(
            f,
            "{i},{},{},{},{},{}",
            name_of(i),
            i as f64 * 0.5,
            ts.naive_utc().format("%Y-%m-%d %H:%M:%S%.3f"),
            if i % 2 == 0 { "t" } else { "f" },
            note_of(i)
        )
        .unwrap();
    }
    f.flush().unwrap();
}

fn psql(url: &str, cmd: &str) -> f64 {
    let t = Instant::now();
    let out = Command::new("psql")
        .arg(url)
        .arg("-q")
        .arg("-c")
        .arg(cmd)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("psql");
    assert!(out.success(), "psql {cmd} failed");
    t.elapsed().as_secs_f64()
}

async fn recreate(db: &Db, mysql: bool) {
    db.execute(&format!("DROP TABLE IF EXISTS {TABLE}")).await.unwrap();
    let (dbl, ts, b) = if mysql {
        ("DOUBLE", "DATETIME(3)", "BOOLEAN")
    } else {
        ("DOUBLE PRECISION", "TIMESTAMP", "BOOLEAN")
    };
    db.execute(&format!(
        "CREATE TABLE {TABLE} (id BIGINT NOT NULL, name TEXT NOT NULL, score {dbl} NOT NULL, \
         ts {ts} NOT NULL, flag {b} NOT NULL, note TEXT)"
    ))
    .await
    .unwrap();
}

async fn count(db: &Db) -> i64 {
    match db {
        Db::Postgres(p) => sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {TABLE}"))
            .fetch_one(p)
            .await
            .unwrap(),
        Db::MySql(p) => sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {TABLE}"))
            .fetch_one(p)
            .await
            .unwrap(),
        #[allow(unreachable_patterns)]
        _ => unreachable!("the measurement uses PostgreSQL and MariaDB"),
    }
}

/// Rows/s of the sink task writing `recs` in `put` batches of `batch`.
async fn sink(url: &str, method: &str, recs: &[SinkRecord], batch: usize) -> f64 {
    let db = ConnectionSettings::new(url).unwrap().connect(1).await.unwrap();
    recreate(&db, url.starts_with("mysql")).await;
    let config: RawConfig = [
        ("connection.url", url),
        ("insert.method", method),
        ("topics", "bench"),
        ("table.name.format", TABLE),
        ("batch.size", "3000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut task = JdbcSinkTask::new();
    task.start(sink_task_context(config.clone()), config).await.unwrap();
    // One small put first so the plan and table description are cached.
    task.put(&recs[..1]).await.unwrap();
    // VARY=1: put sizes vary (as polls of a consumer do) between batch/2 and batch.
    let vary = std::env::var("VARY").is_ok_and(|v| v == "1");
    let t = Instant::now();
    let (mut at, mut k) = (1, 0usize);
    while at < recs.len() {
        let size = if vary { batch - (k * 7919) % (batch / 2).max(1) } else { batch };
        let end = (at + size).min(recs.len());
        task.put(&recs[at..end]).await.unwrap();
        at = end;
        k += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    task.stop().await.unwrap();
    assert_eq!(count(&db).await, recs.len() as i64, "every row written");
    db.close().await;
    (recs.len() - 1) as f64 / secs
}

/// Rows/s of the source task reading the whole table once in bulk mode.
async fn source(url: &str, n: usize, batch_max_rows: usize) -> f64 {
    let config: RawConfig = [
        ("connection.url", url.to_string()),
        ("mode", "bulk".to_string()),
        ("topic.prefix", "bench-".to_string()),
        ("batch.max.rows", batch_max_rows.to_string()),
        ("poll.interval.ms", "600000".to_string()),
        ("tables", format!("[{{\"name\":\"{TABLE}\"}}]")),
        ("table.whitelist", TABLE.to_string()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect();
    let offsets = InMemoryOffsetReader::new();
    let mut task = JdbcSourceTask::new();
    task.start(source_task_context(config.clone(), &offsets), config).await.unwrap();
    let t = Instant::now();
    let mut got = 0;
    let mut polls = 0;
    while got < n {
        let batch = task.poll().await.unwrap();
        assert!(batch.len() <= batch_max_rows, "batch.max.rows holds");
        got += batch.len();
        polls += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    task.stop().await.unwrap();
    assert_eq!(got, n);
    let _ = polls;
    n as f64 / secs
}

fn line(what: &str, rate: f64, base: Option<(&str, f64)>) {
    match base {
        Some((b, r)) => println!("{what:<44} {rate:>12.0} rows/s  {:.2}x {b}", rate / r),
        None => println!("{what:<44} {rate:>12.0} rows/s"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let all = what == "all";
    let n = env_usize("ROWS", 250_000);
    let put_batch = env_usize("PUT_BATCH", 5_000);
    let batch_max_rows = env_usize("BATCH_MAX_ROWS", 1_000);
    let repeat = env_usize("REPEAT", 3).max(1);
    let pg = std::env::var("CONNECT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    write_csv(n, &csv);
    let copy_from = format!("\\copy {TABLE} FROM '{}' CSV", csv.display());
    let pg_db = ConnectionSettings::new(&pg).unwrap().connect(1).await.unwrap();
    println!(
        "rows={n} put_batch={put_batch} batch.max.rows={batch_max_rows} repeat={repeat} (medians)"
    );
    let recs = if all || what.starts_with("sink") { records(n) } else { Vec::new() };
    let mut sinks: Vec<(&str, String, &str)> = Vec::new();
    if all || what == "sink-copy" {
        sinks.push(("sink insert.method=copy (PostgreSQL)", pg.clone(), "copy"));
    }
    if all || what == "sink-insert" {
        sinks.push(("sink insert.method=insert (PostgreSQL)", pg.clone(), "insert"));
    }
    if (all || what == "sink-mysql")
        && let Ok(my) = std::env::var("CONNECT_TEST_MYSQL_URL")
    {
        sinks.push(("sink insert.method=insert (MariaDB)", my, "insert"));
    }
    if !sinks.is_empty() {
        // psql \copy FROM (the sink's yardstick) and each of ours, alternated.
        let mut base = Vec::new();
        let mut ours = vec![Vec::new(); sinks.len()];
        for _ in 0..repeat {
            recreate(&pg_db, false).await;
            base.push(n as f64 / psql(&pg, &copy_from));
            for (k, (_, url, method)) in sinks.iter().enumerate() {
                ours[k].push(sink(url, method, &recs, put_batch).await);
            }
        }
        let b = median(base);
        line("psql \\copy FROM (csv)", b, None);
        for (k, (label, _, _)) in sinks.iter().enumerate() {
            line(label, median(ours[k].clone()), Some(("psql \\copy FROM", b)));
        }
    }
    if all || what == "source" {
        // The table the source reads, loaded by psql.
        recreate(&pg_db, false).await;
        psql(&pg, &copy_from);
        let (mut base, mut big, mut small) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..repeat {
            base.push(n as f64 / psql(&pg, &format!("\\copy (SELECT * FROM {TABLE}) TO STDOUT")));
            big.push(source(&pg, n, batch_max_rows).await);
            small.push(source(&pg, n, 100).await);
        }
        let b = median(base);
        line("psql \\copy (SELECT) TO STDOUT", b, None);
        let base = Some(("psql \\copy TO", b));
        line(&format!("source bulk batch.max.rows={batch_max_rows}"), median(big), base);
        line("source bulk batch.max.rows=100 (default)", median(small), base);
    }
    pg_db.execute(&format!("DROP TABLE IF EXISTS {TABLE}")).await.unwrap();
}
