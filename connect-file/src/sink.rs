//! [`FileStreamSinkConnector`] and [`FileStreamSinkTask`]: each record's value becomes
//! one line appended to a file (or written to standard output).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::context::{ConnectorContext, SinkTaskContext};
use connect_api::record::{ConnectRecord, OffsetAndMetadata, SinkRecord, TopicPartition};
use connect_api::{ConnectError, Connector, Result, SinkConnector, SinkTask};
use tracing::{debug, info};

use crate::config::FileStreamSinkConfig;
use crate::render::render_line;

/// Rendered lines are written out once this many bytes are buffered (and at every
/// flush).
pub(crate) const WRITE_THRESHOLD: usize = 256 * 1024;

/// Writes the values of records to a file, one line each (Kafka's
/// `org.apache.kafka.connect.file.FileStreamSinkConnector`).
///
/// Plans `tasks.max` tasks, each with the same configuration, all appending to the
/// same file; use one task when the order of lines across partitions matters.
#[derive(Debug, Default)]
pub struct FileStreamSinkConnector {
    config: Option<RawConfig>,
}

impl FileStreamSinkConnector {
    /// A connector that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for FileStreamSinkConnector {
    fn version(&self) -> String {
        crate::VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        FileStreamSinkConfig::config_def()
    }

    async fn start(&mut self, _context: ConnectorContext, config: RawConfig) -> Result<()> {
        let parsed = FileStreamSinkConfig::parse(&config)?;
        match parsed.path() {
            Some(path) => info!(file = %path.display(), "FileStreamSinkConnector starting"),
            None => info!("FileStreamSinkConnector starting on standard output"),
        }
        self.config = Some(config);
        Ok(())
    }

    async fn task_configs(&mut self, max_tasks: usize) -> Result<Vec<RawConfig>> {
        connect_api::util::same_config_per_task(
            self.config.as_ref(),
            max_tasks,
            "FileStreamSinkConnector",
        )
    }

    async fn stop(&mut self) -> Result<()> {
        self.config = None;
        Ok(())
    }
}

#[async_trait]
impl SinkConnector for FileStreamSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(FileStreamSinkTask::new())
    }

    /// Nothing to do: the sink keeps no offsets of its own.
    async fn alter_offsets(
        &mut self,
        _config: &RawConfig,
        _offsets: &HashMap<TopicPartition, Option<i64>>,
    ) -> Result<bool> {
        Ok(true)
    }
}

/// Appends each record's value as a line (see [`render_value`](crate::render_value)
/// for the text of each kind of value; keys and headers are not written).
///
/// - The file is opened in append mode and created if missing.
/// - `put` renders into a buffer and writes it out every 256 KiB; `flush` (and so
///   `pre_commit`) writes the rest and calls `fsync` (`sync_data`) before returning,
///   so committed Kafka offsets never run ahead of what the file durably holds; `stop`
///   flushes too.
/// - A record the task already accepted (same original topic, partition and an offset
///   not above the highest accepted there) is skipped, so a batch delivered again
///   after a retriable error, or after a rebalance back to this task, is not written
///   twice.
/// - A failed write keeps the unwritten bytes buffered; the error is classified by its
///   I/O kind (a full disk or a permission error is fatal, a timeout retriable).
#[derive(Debug, Default)]
pub struct FileStreamSinkTask {
    state: Option<SinkState>,
}

impl FileStreamSinkTask {
    /// A task that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone)]
enum Output {
    File(Arc<std::fs::File>, PathBuf),
    Stdout,
}

impl Output {
    fn describe(&self) -> String {
        match self {
            Output::File(_, path) => path.display().to_string(),
            Output::Stdout => "stdout".to_string(),
        }
    }

    /// Writes `buf` (counting what got out even on failure), then makes it durable
    /// when `sync` is set.
    fn write_blocking(&self, buf: &[u8], sync: bool) -> (usize, std::io::Result<()>) {
        match self {
            Output::File(file, _) => {
                let mut writer: &std::fs::File = file;
                let (n, result) = write_counted(&mut writer, buf);
                let result = result.and_then(|()| if sync { file.sync_data() } else { Ok(()) });
                (n, result)
            }
            Output::Stdout => {
                let mut stdout = std::io::stdout().lock();
                let (n, result) = write_counted(&mut stdout, buf);
                let result = result.and_then(|()| if sync { stdout.flush() } else { Ok(()) });
                (n, result)
            }
        }
    }
}

fn write_counted(writer: &mut impl Write, buf: &[u8]) -> (usize, std::io::Result<()>) {
    let mut written = 0;
    while written < buf.len() {
        match writer.write(&buf[written..]) {
            Ok(0) => return (written, Err(std::io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Err(e)),
        }
    }
    (written, Ok(()))
}

#[derive(Debug)]
struct SinkState {
    output: Output,
    buf: Vec<u8>,
    /// The highest original offset accepted per original topic and partition.
    accepted: HashMap<String, HashMap<i32, i64>>,
    /// Whether bytes were written since the last successful sync.
    unsynced: bool,
}

impl SinkState {
    /// Whether `record` is new to this task; marks it accepted.
    fn accept(&mut self, record: &SinkRecord) -> bool {
        let offset = record.original_kafka_offset();
        let partition = record.original_kafka_partition();
        let per_topic = match self.accepted.get_mut(record.original_topic()) {
            Some(per_topic) => per_topic,
            None => self.accepted.entry(record.original_topic().to_string()).or_default(),
        };
        match per_topic.get_mut(&partition) {
            Some(highest) if offset <= *highest => false,
            Some(highest) => {
                *highest = offset;
                true
            }
            None => {
                per_topic.insert(partition, offset);
                true
            }
        }
    }

    /// Writes the buffer out (on a blocking thread); with `sync`, also flushes it to
    /// stable storage. Unwritten bytes stay buffered on failure.
    async fn write_out(&mut self, sync: bool) -> Result<()> {
        if self.buf.is_empty() && !(sync && self.unsynced) {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let output = self.output.clone();
        let (mut buf, written, result) = tokio::task::spawn_blocking(move || {
            let (written, result) = output.write_blocking(&buf, sync);
            (buf, written, result)
        })
        .await
        .map_err(|e| ConnectError::fatal("The task writing the file failed").with_source(e))?;
        buf.drain(..written);
        self.buf = buf;
        if written > 0 {
            self.unsynced = true;
        }
        if sync && result.is_ok() {
            self.unsynced = false;
        }
        result.map_err(|e| {
            ConnectError::from(e)
                .context(format_args!("Couldn't write to {}", self.output.describe()))
        })
    }
}

#[async_trait]
impl SinkTask for FileStreamSinkTask {
    fn version(&self) -> String {
        crate::VERSION.to_string()
    }

    async fn start(&mut self, _context: SinkTaskContext, config: RawConfig) -> Result<()> {
        let config = FileStreamSinkConfig::parse(&config)?;
        let output = match config.path() {
            Some(path) => {
                let open_path = path.clone();
                let file = tokio::task::spawn_blocking(move || {
                    std::fs::OpenOptions::new().create(true).append(true).open(open_path)
                })
                .await
                .map_err(|e| {
                    ConnectError::fatal("The task opening the file failed").with_source(e)
                })?
                .map_err(|e| {
                    ConnectError::from(e).context(format_args!(
                        "Couldn't find or create file '{}' for FileStreamSinkTask",
                        path.display()
                    ))
                })?;
                Output::File(Arc::new(file), path)
            }
            None => Output::Stdout,
        };
        debug!(output = %output.describe(), "FileStreamSinkTask started");
        self.state = Some(SinkState {
            output,
            buf: Vec::with_capacity(WRITE_THRESHOLD + WRITE_THRESHOLD / 4),
            accepted: HashMap::new(),
            unsynced: false,
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<()> {
        let state = self.state.as_mut().ok_or_else(|| {
            ConnectError::fatal("FileStreamSinkTask received records while not started")
        })?;
        for record in records {
            if !state.accept(record) {
                continue;
            }
            render_line(record.value(), &mut state.buf);
            if state.buf.len() >= WRITE_THRESHOLD {
                state.write_out(false).await?;
            }
        }
        // Hand the batch to the file at once, as Kafka's sink does line by line: readers
        // see it without waiting for the next offset commit. Durability (fsync) still
        // comes with flush/pre_commit.
        if !state.buf.is_empty() {
            state.write_out(false).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        match self.state.as_mut() {
            Some(state) => state.write_out(true).await,
            None => Ok(()),
        }
    }

    async fn stop(&mut self) -> Result<()> {
        match self.state.take() {
            Some(mut state) => {
                debug!(output = %state.output.describe(), "FileStreamSinkTask closing");
                state.write_out(true).await
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Takes `room` bytes, then fails with `kind`.
    struct Failing {
        room: usize,
        kind: std::io::ErrorKind,
        got: Vec<u8>,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(self.kind.into());
            }
            let n = buf.len().min(self.room).min(2);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_reports_how_much_got_out() {
        let mut w = Failing { room: 5, kind: std::io::ErrorKind::TimedOut, got: Vec::new() };
        let (n, result) = write_counted(&mut w, b"abcdefgh");
        assert_eq!(n, 5);
        assert_eq!(w.got, b"abcde");
        assert!(ConnectError::from(result.unwrap_err()).is_retriable());
        let mut ok = Failing { room: 100, kind: std::io::ErrorKind::Other, got: Vec::new() };
        assert_eq!(write_counted(&mut ok, b"abc").0, 3);
    }

    #[test]
    fn accept_tracks_each_partition_separately() {
        let mut state = SinkState {
            output: Output::Stdout,
            buf: Vec::new(),
            accepted: HashMap::new(),
            unsynced: false,
        };
        let r = |topic: &str, p: i32, o: i64| SinkRecord::builder(topic, p, o).build();
        assert!(state.accept(&r("a", 0, 10)));
        assert!(!state.accept(&r("a", 0, 10)));
        assert!(!state.accept(&r("a", 0, 3)));
        assert!(state.accept(&r("a", 1, 3)));
        assert!(state.accept(&r("b", 0, 0)));
        assert!(state.accept(&r("a", 0, 11)));
    }
}
