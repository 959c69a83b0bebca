//! The seed's JDBC → Kafka (Avro) → HDFS walk-through, chained as a user runs it: the real
//! `connect-standalone` binary started with the shipped `config/connect-avro-standalone.properties`,
//! `config/quickstart-mysql.properties` and `config/quickstart-hdfs.properties` (pointed at
//! this test's database, ports and directories), its embedded broker and schema registry,
//! the JDBC source on a real MariaDB or PostgreSQL, and four HDFS sinks on the same topic
//! (Avro and Parquet under BACKWARD; Avro under FULL and NONE). After each step of the seed
//! (2 inserts, 2 updates, DROP COLUMN name + 2 inserts) and one more (ADD COLUMN phone + 2
//! inserts), every sink's committed files are read back with readers that are not ours
//! (apache-avro's `Reader` with the file's writer schema, parquet's row reader) and must
//! hold every row version exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The runtime's test helpers, shared rather than copied.
#[path = "../../connect-runtime/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::unique;
use connect_jdbc::{ConnectionSettings, Db};

/// One row version as the sinks must hold it: (id, email, department, phone).
type Row = (i64, String, String, Option<String>);

/// A committed file read back: its columns and rows (column → text, `None` for null).
struct SinkFile {
    path: PathBuf,
    start: i64,
    columns: Vec<String>,
    rows: Vec<BTreeMap<String, Option<String>>>,
}

/// The sinks the worker runs: (connector name, format.class, schema.compatibility).
const SINKS: &[(&str, &str, &str)] = &[
    ("hdfs-sink", "io.confluent.connect.hdfs.avro.AvroFormat", "BACKWARD"),
    ("hdfs-parquet", "io.confluent.connect.hdfs.parquet.ParquetFormat", "BACKWARD"),
    ("hdfs-full", "io.confluent.connect.hdfs.avro.AvroFormat", "FULL"),
    ("hdfs-none", "io.confluent.connect.hdfs.avro.AvroFormat", "NONE"),
];

const TOPIC: &str = "test_jdbc_users";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn service_url(var: &str) -> String {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| {
        panic!("{var} is not set: this test needs the database; run scripts/test.sh, which starts it and sets {var}")
    })
}

/// `base` (a native URL ending in a database name) with the database `name`.
fn with_database(base: &str, name: &str) -> String {
    let i = base.rfind('/').unwrap();
    format!("{}/{name}", &base[..i])
}

/// A shipped config file with `key=value` lines replaced (or added).
fn config(name: &str, set: &[(&str, String)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config").join(name);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (key, value) in set {
        let prefix = format!("{key}=");
        let mut found = false;
        text = text
            .lines()
            .map(|l| {
                if l.starts_with(&prefix) {
                    found = true;
                    format!("{key}={value}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        if !found {
            text.push_str(&format!("\n{key}={value}"));
        }
        text.push('\n');
    }
    text
}

struct Worker {
    child: Child,
    rest: String,
    log: PathBuf,
}

impl Worker {
    fn start(dir: &Path, source_url: &str) -> Worker {
        let (rest_port, registry_port) = (free_port(), free_port());
        let registry = format!("http://127.0.0.1:{registry_port}");
        let worker = config(
            "connect-avro-standalone.properties",
            &[
                ("key.converter.schema.registry.url", registry.clone()),
                ("value.converter.schema.registry.url", registry.clone()),
                ("schema.registry.listeners", registry.clone()),
                ("offset.storage.file.filename", dir.join("connect.offsets").display().to_string()),
                ("offset.flush.interval.ms", "1000".into()),
                ("listeners", format!("http://127.0.0.1:{rest_port}")),
            ],
        );
        let mut files = vec![dir.join("worker.properties")];
        std::fs::write(&files[0], worker).unwrap();
        let source =
            config("quickstart-mysql.properties", &[("connection.url", source_url.into())]);
        files.push(dir.join("source.properties"));
        std::fs::write(files.last().unwrap(), source).unwrap();
        for (name, format, compatibility) in SINKS {
            let sink = config(
                "quickstart-hdfs.properties",
                &[
                    ("name", name.to_string()),
                    ("hdfs.url", format!("file://{}", dir.join(name).display())),
                    ("format.class", format.to_string()),
                    ("schema.compatibility", compatibility.to_string()),
                ],
            );
            files.push(dir.join(format!("{name}.properties")));
            std::fs::write(files.last().unwrap(), sink).unwrap();
        }
        let log = dir.join("worker.log");
        // The log goes to a file, as an operator's would: it must carry no colour codes.
        let child = Command::new(env!("CARGO_BIN_EXE_connect-standalone"))
            .args(&files)
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Worker { child, rest: format!("http://127.0.0.1:{rest_port}"), log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    async fn statuses(&self) -> serde_json::Value {
        match reqwest::get(format!("{}/connectors?expand=status", self.rest)).await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(e) => serde_json::json!(format!("REST unreachable: {e}")),
        }
    }

    /// SIGTERM, then waits for a clean exit.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the worker exited with {status}: {}", self.log_tail());
                break;
            }
            assert!(Instant::now() < deadline, "the worker did not stop: {}", self.log_tail());
            std::thread::sleep(Duration::from_millis(100));
        }
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every committed file of the sink rooted at `root`, read back, in (directory, offset) order.
fn committed(root: &Path) -> Vec<SinkFile> {
    let mut out = Vec::new();
    let topic_dir = root.join("topics").join(TOPIC);
    let Ok(dirs) = std::fs::read_dir(&topic_dir) else { return out };
    for dir in dirs {
        let dir = dir.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            // <topic>+<partition>+<start>+<end>.<ext>
            let Some(rest) = name.strip_prefix(&format!("{TOPIC}+0+")) else {
                panic!("unexpected file {}", path.display())
            };
            let (start, end) = rest.split_once('.').unwrap().0.split_once('+').unwrap();
            let (start, end): (i64, i64) = (start.parse().unwrap(), end.parse().unwrap());
            assert!(start <= end, "{name}");
            let (columns, rows) = if name.ends_with(".avro") {
                read_avro(&path)
            } else {
                assert!(name.ends_with(".parquet"), "{name}");
                read_parquet(&path)
            };
            let department = dir.file_name().unwrap().to_str().unwrap();
            for row in &rows {
                let d = row["department"].as_deref().unwrap_or("NULL");
                assert_eq!(format!("department={d}"), department, "{row:?} in {name}");
            }
            out.push(SinkFile { path, start, columns, rows });
        }
    }
    out.sort_by_key(|f| f.start);
    out
}

fn avro_text(v: &apache_avro::types::Value) -> Option<String> {
    use apache_avro::types::Value as A;
    match v {
        A::Null => None,
        A::Union(_, inner) => avro_text(inner),
        A::Int(i) => Some(i.to_string()),
        A::Long(i) | A::TimestampMillis(i) | A::TimestampMicros(i) => Some(i.to_string()),
        A::String(s) => Some(s.clone()),
        A::Boolean(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Read with apache-avro's `Reader` and the writer schema in the file.
fn read_avro(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, Option<String>>>) {
    let data = std::fs::read(path).unwrap();
    let reader = apache_avro::Reader::new(&data[..]).unwrap();
    let apache_avro::Schema::Record(record) = reader.writer_schema().clone() else {
        panic!("{}: not a record schema", path.display())
    };
    let columns = record.fields.iter().map(|f| f.name.clone()).collect();
    let rows = reader
        .map(|v| match v.unwrap() {
            apache_avro::types::Value::Record(fields) => {
                fields.iter().map(|(k, v)| (k.clone(), avro_text(v))).collect()
            }
            other => panic!("{}: record read as {other:?}", path.display()),
        })
        .collect();
    (columns, rows)
}

/// Read with parquet's row reader (not through Arrow, as the sink writes).
fn read_parquet(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, Option<String>>>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let columns = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(k, f)| {
                    let text = match f {
                        Field::Null => None,
                        Field::Str(s) => Some(s.clone()),
                        Field::Int(i) => Some(i.to_string()),
                        Field::Long(i) => Some(i.to_string()),
                        Field::TimestampMillis(i) => Some(i.to_string()),
                        other => Some(other.to_string()),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .collect();
    (columns, rows)
}

/// The rows of a sink's files as (id, email, department, phone), sorted.
fn rows_of(files: &[SinkFile]) -> Vec<Row> {
    let mut rows: Vec<Row> = files
        .iter()
        .flat_map(|f| &f.rows)
        .map(|r| {
            let text = |c: &str| r.get(c).cloned().flatten();
            (
                text("id").unwrap().parse().unwrap(),
                text("email").unwrap(),
                text("department").unwrap(),
                text("phone"),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Waits until every sink's files hold `expected.len()` rows, then checks they are
/// exactly `expected` (each row version once).
async fn expect_rows(dir: &Path, worker: &Worker, expected: &[Row]) -> Vec<Vec<SinkFile>> {
    let mut expected = expected.to_vec();
    expected.sort();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut all = Vec::new();
    for (name, _, _) in SINKS {
        let root = dir.join(name);
        loop {
            let files = committed(&root);
            let n: usize = files.iter().map(|f| f.rows.len()).sum();
            if n >= expected.len() {
                assert_eq!(rows_of(&files), expected, "sink {name}");
                all.push(files);
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "sink {name}: {n} of {} rows after 120 s; statuses {}\nlog:\n{}",
                    expected.len(),
                    worker.statuses().await,
                    worker.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    all
}

fn row(id: i64, email: &str, department: &str, phone: Option<&str>) -> Row {
    (id, email.into(), department.into(), phone.map(str::to_string))
}

async fn exec(db: &Db, sql: &str) {
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        db.execute(stmt).await.unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
}

async fn seed_pipeline(base_url: &str, mysql: bool) {
    let database = unique("seed").replace('-', "_");
    let admin = ConnectionSettings::new(base_url).unwrap().connect(1).await.unwrap();
    exec(&admin, &format!("CREATE DATABASE {database}")).await;
    let url = with_database(base_url, &database);
    let db = ConnectionSettings::new(&url).unwrap().connect(1).await.unwrap();
    let index = if mysql { ", INDEX `modified_index` (`modified`)" } else { "" };
    exec(
        &db,
        &format!(
            "CREATE TABLE users (id serial NOT NULL PRIMARY KEY, name varchar(100), \
             email varchar(200), department varchar(200), \
             modified timestamp default CURRENT_TIMESTAMP NOT NULL{index});
             INSERT INTO users (name, email, department) VALUES ('alice', 'alice@abc.com', 'engineering');
             INSERT INTO users (name, email, department) VALUES ('bob', 'bob@abc.com', 'sales')"
        ),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let worker = Worker::start(dir.path(), &url);
    let mut expected =
        vec![row(1, "alice@abc.com", "engineering", None), row(2, "bob@abc.com", "sales", None)];
    expect_rows(dir.path(), &worker, &expected).await;
    for (name, _, _) in SINKS {
        let mut dirs: Vec<String> =
            std::fs::read_dir(dir.path().join(name).join("topics").join(TOPIC))
                .unwrap()
                .map(|d| d.unwrap().file_name().into_string().unwrap())
                .collect();
        dirs.sort();
        assert_eq!(dirs, ["department=engineering", "department=sales"], "sink {name}");
    }

    // Database change capture: two updates are two new row versions.
    exec(
        &db,
        "UPDATE users SET email = 'alice@new.abc.com', modified = CURRENT_TIMESTAMP WHERE name='alice';
         UPDATE users SET email = 'bob@new.abc.com', modified = CURRENT_TIMESTAMP WHERE name='bob'",
    )
    .await;
    expected.push(row(1, "alice@new.abc.com", "engineering", None));
    expected.push(row(2, "bob@new.abc.com", "sales", None));
    expect_rows(dir.path(), &worker, &expected).await;

    // Schema migration: dropping a column is a backward-compatible new schema version.
    exec(
        &db,
        "ALTER TABLE users DROP COLUMN name;
         INSERT INTO users (email, department) VALUES ('carol@abc.com', 'sales');
         INSERT INTO users (email, department) VALUES ('dave@abc.com', 'engineering')",
    )
    .await;
    expected.push(row(3, "carol@abc.com", "sales", None));
    expected.push(row(4, "dave@abc.com", "engineering", None));
    for (files, (name, _, _)) in expect_rows(dir.path(), &worker, &expected).await.iter().zip(SINKS)
    {
        let newest = files.last().unwrap();
        assert_eq!(newest.columns, ["id", "email", "department", "modified"], "sink {name}");
        assert!(files[0].columns.contains(&"name".to_string()), "sink {name}: {:?}", files[0].path);
        let names: Vec<_> =
            files.iter().flat_map(|f| &f.rows).filter_map(|r| r.get("name")).collect();
        assert_eq!(names.len(), 4, "sink {name}: the first four rows keep their name");
        assert!(names.contains(&&Some("alice".to_string())), "sink {name}: {names:?}");
    }

    // And a schema that gains an optional column.
    exec(
        &db,
        "ALTER TABLE users ADD COLUMN phone varchar(20);
         INSERT INTO users (email, department, phone) VALUES ('erin@abc.com', 'sales', '555-0100');
         INSERT INTO users (email, department) VALUES ('frank@abc.com', 'engineering')",
    )
    .await;
    expected.push(row(5, "erin@abc.com", "sales", Some("555-0100")));
    expected.push(row(6, "frank@abc.com", "engineering", None));
    for (files, (name, _, _)) in expect_rows(dir.path(), &worker, &expected).await.iter().zip(SINKS)
    {
        let newest = files.last().unwrap();
        assert_eq!(
            newest.columns,
            ["id", "email", "department", "modified", "phone"],
            "sink {name}"
        );
        // Three schemas, each in files of its own: a new version always starts new files.
        let schemas: Vec<&Vec<String>> = files.iter().map(|f| &f.columns).collect();
        let mut distinct = schemas.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "sink {name}: schemas in offset order {schemas:?}");
    }
    let registered: Vec<u32> =
        reqwest::get(format!("{}/subjects/{TOPIC}-value/versions", registry_of(dir.path())))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(registered, [1, 2, 3]);
    let statuses = worker.statuses().await;
    assert!(!statuses.to_string().contains("FAILED"), "{statuses}");

    // A definite end: the worker stops cleanly, and nothing more arrives.
    let log = worker.stop();
    assert!(!log.contains('\u{1b}'), "colour codes in a log written to a file:\n{log}");
    for (name, _, _) in SINKS {
        let mut want = expected.clone();
        want.sort();
        assert_eq!(rows_of(&committed(&dir.path().join(name))), want, "sink {name} after stop");
    }
    db.close().await;
    exec(&admin, &format!("DROP DATABASE {database}")).await;
}

/// The schema registry URL the worker config of `dir` names.
fn registry_of(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("worker.properties")).unwrap();
    text.lines().find_map(|l| l.strip_prefix("schema.registry.listeners=")).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_walkthrough_mariadb_to_avro_and_parquet_files() {
    seed_pipeline(&service_url("CONNECT_TEST_MYSQL_URL"), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_walkthrough_postgres_to_avro_and_parquet_files() {
    seed_pipeline(&service_url("CONNECT_TEST_POSTGRES_URL"), false).await;
}
