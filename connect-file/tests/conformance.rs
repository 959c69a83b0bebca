#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The testkit's conformance checks run against the shipped FileStream connectors, on
//! temporary files.
//!
//! The source runs the whole `source_task_conformance!` suite. The sink cannot run
//! `sink_task_conformance!`: its file is opened at `start` and kept open, so no outside
//! action on a regular file makes a later `put` fail (a transiently failing
//! destination, which the retry check needs, cannot be made without unsafe code such as
//! `setrlimit`). It runs the checks it can be given a real fault for: the fatal check
//! on a full device (`/dev/full`, which fails every write with ENOSPC), and the opt-in
//! idempotence check, which the sink's README promises (it skips offsets it already
//! accepted).

use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

use connect_api::config::RawConfig;
use connect_api::record::SinkRecord;
use connect_api::{SinkTask, SourceTask};
use connect_file::{FileStreamSinkTask, FileStreamSourceTask};
use connect_testkit::conformance::{self, ConformanceError, block_on};
use connect_testkit::{Fault, SinkRecords};
use tempfile::TempDir;

/// Holds every file of this test binary; removed when the process ends.
static DIR: LazyLock<TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

/// How many lines the source's input holds: enough for the resume check's two runs.
const LINES: usize = 40;

/// A file of `LINES` numbered lines, written once.
fn source_input() -> PathBuf {
    static INPUT: LazyLock<PathBuf> = LazyLock::new(|| {
        let path = DIR.path().join("input.txt");
        let mut file = std::fs::File::create(&path).unwrap();
        for i in 0..LINES {
            writeln!(file, "line {i}").unwrap();
        }
        file.sync_all().unwrap();
        path
    });
    INPUT.clone()
}

/// The source config: one line per poll, so the checks see several batches.
fn source_config() -> RawConfig {
    RawConfig::from([
        ("file".to_string(), source_input().display().to_string()),
        ("topic".to_string(), "lines".to_string()),
        ("batch.size".to_string(), "1".to_string()),
    ])
}

connect_testkit::source_task_conformance! {
    name: file_stream_source,
    task: || Box::new(FileStreamSourceTask::new()) as Box<dyn SourceTask>,
    config: source_config,
}

/// A sink config appending to a new file under the temporary directory.
fn fresh_sink_config() -> RawConfig {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = DIR.path().join(format!("sink-{n}.txt"));
    RawConfig::from([
        ("file".to_string(), path.display().to_string()),
        ("topics".to_string(), "orders".to_string()),
    ])
}

/// The lines the run of `config` left in its file.
fn lines(config: &RawConfig) -> Vec<String> {
    std::fs::read_to_string(&config["file"])
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Records whose lines add up to more than the sink buffers (256 KiB), so that `put`
/// itself writes to the file.
fn big_records() -> Vec<SinkRecord> {
    let line = "x".repeat(100 * 1024);
    SinkRecords::new("orders", 0).strings((0..4).map(|i| format!("{i}:{line}")))
}

#[test]
fn file_stream_sink_redelivery_is_idempotent() -> Result<(), ConformanceError> {
    block_on(conformance::sink_redelivery_is_idempotent(
        || Box::new(FileStreamSinkTask::new()) as Box<dyn SinkTask>,
        fresh_sink_config,
        SinkRecords::new("orders", 0).strings(["a", "b", "c"]),
        async |config: &RawConfig| lines(config),
    ))
}

#[test]
fn file_stream_sink_fails_without_retry_on_a_full_device() -> Result<(), ConformanceError> {
    let full = RawConfig::from([
        ("file".to_string(), "/dev/full".to_string()),
        ("topics".to_string(), "orders".to_string()),
    ]);
    // The device is full from the start: the hook has nothing to break or repair.
    block_on(conformance::sink_fatal_errors_are_not_retried(
        || Box::new(FileStreamSinkTask::new()) as Box<dyn SinkTask>,
        full,
        big_records(),
        async |_: &RawConfig, _: Option<Fault>| {},
    ))
}
