//! [`FileStreamSourceConnector`] and [`FileStreamSourceTask`]: each line of a file (or of
//! standard input) becomes one record, and the task follows the file as it grows.

use std::collections::HashMap;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::connector::ExactlyOnceSupport;
use connect_api::context::{ConnectorContext, SourceTaskContext};
use connect_api::data::{Schema, Value};
use connect_api::record::{OffsetMap, OffsetValue, SourceRecord};
use connect_api::{ConnectError, Connector, Result, SourceConnector, SourceTask};
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::{FILE_CONFIG, FILENAME_FIELD, FileStreamSourceConfig, POSITION_FIELD};
use crate::reader::{LineBuffer, READ_BUFFER_SIZE};

/// The first wait when no new data is there; doubled on each empty poll.
pub(crate) const MIN_IDLE: Duration = Duration::from_millis(5);
/// The longest wait between two looks at a file that does not grow (or is missing).
pub(crate) const MAX_IDLE: Duration = Duration::from_millis(250);

/// Reads one file line by line into one topic (Kafka's
/// `org.apache.kafka.connect.file.FileStreamSourceConnector`).
///
/// It checks its configuration ([`FileStreamSourceConfig`]) and plans exactly one
/// [`FileStreamSourceTask`], whatever `tasks.max` says: one file is one stream.
#[derive(Debug, Default)]
pub struct FileStreamSourceConnector {
    config: Option<FileStreamSourceConfig>,
}

impl FileStreamSourceConnector {
    /// A connector that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for FileStreamSourceConnector {
    fn version(&self) -> String {
        crate::VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        FileStreamSourceConfig::config_def()
    }

    async fn start(&mut self, _context: ConnectorContext, config: RawConfig) -> Result<()> {
        let parsed = FileStreamSourceConfig::parse(&config)?;
        match parsed.path() {
            Some(path) => {
                info!(file = %path.display(), topic = %parsed.topic, "FileStreamSourceConnector starting")
            }
            None => {
                info!(topic = %parsed.topic, "FileStreamSourceConnector starting on standard input")
            }
        }
        self.config = Some(parsed);
        Ok(())
    }

    async fn task_configs(&mut self, _max_tasks: usize) -> Result<Vec<RawConfig>> {
        let config = self.config.as_ref().ok_or_else(|| {
            ConnectError::fatal("FileStreamSourceConnector asked for task configs before start")
        })?;
        // Only one input stream makes sense.
        Ok(vec![config.to_task_config()])
    }

    async fn stop(&mut self) -> Result<()> {
        self.config = None;
        Ok(())
    }
}

#[async_trait]
impl SourceConnector for FileStreamSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(FileStreamSourceTask::new())
    }

    /// Supported when reading a file that is only appended to; standard input has no
    /// offsets and so no exactly-once delivery.
    fn exactly_once_support(&self, config: &RawConfig) -> Option<ExactlyOnceSupport> {
        let config = FileStreamSourceConfig::parse(config).ok()?;
        Some(match config.path() {
            Some(_) => ExactlyOnceSupport::Supported,
            None => ExactlyOnceSupport::Unsupported,
        })
    }

    /// Accepts offsets of the form `{"filename": …}` → `{"position": <n ≥ 0>}` (or a
    /// reset); the task checks the position against the file when it starts.
    async fn alter_offsets(
        &mut self,
        config: &RawConfig,
        offsets: &HashMap<OffsetMap, Option<OffsetMap>>,
    ) -> Result<bool> {
        let config = FileStreamSourceConfig::parse(config)?;
        if config.path().is_none() {
            return Err(ConnectError::unsupported(format!(
                "Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. \
                 This is because stdin is used for input and offsets are not tracked."
            )));
        }
        for (partition, offset) in offsets {
            // Resets are allowed for anything, so stale partitions can be cleaned up.
            let Some(offset) = offset else { continue };
            match offset.get(POSITION_FIELD) {
                None => {
                    return Err(ConnectError::data(format!(
                        "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                    )));
                }
                Some(OffsetValue::Int(n)) if *n < 0 => {
                    return Err(ConnectError::data(format!(
                        "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                    )));
                }
                Some(OffsetValue::Int(_)) => {}
                Some(_) => {
                    return Err(ConnectError::data(format!(
                        "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                    )));
                }
            }
            if partition.get(FILENAME_FIELD).is_none() {
                return Err(ConnectError::data(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }
}

/// Reads lines from a file (or standard input) and returns them as records.
///
/// - Each record: topic from `topic`, no key, value schema `Schema::string()`, value the
///   line without its terminator (`\n`, `\r\n` or a lone `\r`; invalid UTF-8 replaced by
///   U+FFFD), source partition `{"filename": <file>}`, source offset
///   `{"position": <byte position after the line>}`.
/// - Standard input: records carry empty partition and offset maps (no offsets, as
///   Kafka's null ones), and the last line is returned at end of input even without a
///   terminator.
/// - A file: resumes at the committed position (from 0 if the file is now shorter:
///   truncated or replaced), follows the file as it grows, holds a partial last line
///   until its terminator arrives, waits for a missing file to appear, and starts again
///   from 0 when it notices at end of file that the file was truncated.
///
/// `poll` is cancel-safe: read bytes and built records live in the task, not in the
/// `poll` future. When there is nothing new it waits 100 ms, doubling up to 1 s, and
/// returns an empty batch; the wait ends at once when the context's cancellation token
/// fires.
#[derive(Debug, Default)]
pub struct FileStreamSourceTask {
    state: Option<Running>,
}

impl FileStreamSourceTask {
    /// A task that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SourceTask for FileStreamSourceTask {
    fn version(&self) -> String {
        crate::VERSION.to_string()
    }

    async fn start(&mut self, context: SourceTaskContext, config: RawConfig) -> Result<()> {
        let config = FileStreamSourceConfig::parse(&config)?;
        let mut running = Running::new(&config, context.clone());
        if let Some(file) = &running.file {
            running.resume_from = committed_position(&context, &file.partition).await?;
        }
        // A missing file is not an error: `poll` waits for it.
        running.open().await?;
        self.state = Some(running);
        Ok(())
    }

    /// The task has no use for `commit_record`: offsets say everything it needs.
    fn uses_commit_record(&self) -> bool {
        false
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        match self.state.as_mut() {
            Some(running) => running.poll().await,
            None => Err(ConnectError::fatal("FileStreamSourceTask polled while not started")),
        }
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(running) = self.state.take() {
            debug!(input = %running.describe(), "FileStreamSourceTask closing its input");
        }
        Ok(())
    }
}

/// The committed position of `partition`, 0 when there is none.
async fn committed_position(context: &SourceTaskContext, partition: &OffsetMap) -> Result<u64> {
    let offset = context.offset_storage_reader().offset(partition).await?;
    match offset.as_ref().and_then(|o| o.get(POSITION_FIELD)) {
        None | Some(OffsetValue::Null) => Ok(0),
        Some(OffsetValue::Int(n)) if *n >= 0 => {
            debug!(position = n, "Found previous offset, skipping to it");
            Ok(n.unsigned_abs())
        }
        Some(other) => Err(ConnectError::data(format!(
            "Offset position is the incorrect type: expected a non-negative integer, got {other:?}"
        ))),
    }
}

/// The file being read and its source partition.
#[derive(Debug)]
struct FileInput {
    path: PathBuf,
    /// Shared by every record of the file (no map built per record).
    partition: Arc<OffsetMap>,
}

#[derive(Debug)]
enum Reader {
    File(tokio::fs::File),
    Stdin(tokio::io::Stdin),
}

impl Reader {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Reader::File(f) => f.read(buf).await,
            Reader::Stdin(s) => s.read(buf).await,
        }
    }
}

/// A started task's state; everything `poll` must not lose lives here.
#[derive(Debug)]
struct Running {
    /// Shared by every record (no topic name copied per record).
    topic: Arc<str>,
    batch_size: usize,
    schema: Schema,
    /// `None` for standard input.
    file: Option<FileInput>,
    reader: Option<Reader>,
    buf: LineBuffer,
    /// The input position of the first unreturned byte in `buf`.
    position: u64,
    /// Where to start when the file is (re)opened.
    resume_from: u64,
    pending: Vec<SourceRecord>,
    cancel: CancellationToken,
    /// To say "end of input" (bounded mode) when a read finds nothing more.
    context: SourceTaskContext,
    idle: Duration,
    warned_missing: bool,
    stdin_closed: bool,
}

enum Opened {
    Yes,
    Missing,
}

impl Running {
    fn new(config: &FileStreamSourceConfig, context: SourceTaskContext) -> Self {
        let cancel = context.cancellation().clone();
        // The partition names the file exactly as configured, as Kafka's does.
        let file = config.file.as_deref().filter(|name| !name.is_empty()).map(|name| FileInput {
            path: PathBuf::from(name),
            partition: Arc::new(OffsetMap::new().with(FILENAME_FIELD, name.to_string())),
        });
        Running {
            topic: Arc::from(config.topic.as_str()),
            batch_size: config.batch_size(),
            schema: Schema::string(),
            file,
            reader: None,
            buf: LineBuffer::with_capacity(READ_BUFFER_SIZE),
            position: 0,
            resume_from: 0,
            pending: Vec::new(),
            cancel,
            context,
            idle: MIN_IDLE,
            warned_missing: false,
            stdin_closed: false,
        }
    }

    fn describe(&self) -> String {
        match &self.file {
            Some(f) => f.path.display().to_string(),
            None => "stdin".to_string(),
        }
    }

    /// Opens the input at `resume_from` (from 0 if the file is shorter than that).
    async fn open(&mut self) -> Result<Opened> {
        let Some(file) = &self.file else {
            info!("FileStreamSourceTask reading from stdin");
            self.reader = Some(Reader::Stdin(tokio::io::stdin()));
            return Ok(Opened::Yes);
        };
        let path = file.path.clone();
        let wanted = self.resume_from;
        let opened = tokio::task::spawn_blocking(move || open_at(&path, wanted))
            .await
            .map_err(|e| ConnectError::fatal("The task opening the file failed").with_source(e))?;
        match opened {
            Ok((std_file, len)) => {
                let start = if len < wanted {
                    warn!(
                        file = %file.path.display(),
                        committed = wanted,
                        length = len,
                        "File is shorter than the committed position (truncated or replaced); reading it from the start"
                    );
                    0
                } else {
                    wanted
                };
                debug!(file = %file.path.display(), position = start, "Opened file for reading");
                self.reader = Some(Reader::File(tokio::fs::File::from_std(std_file)));
                self.position = start;
                self.resume_from = start;
                self.buf.clear();
                self.warned_missing = false;
                self.idle = MIN_IDLE;
                Ok(Opened::Yes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !self.warned_missing {
                    warn!(
                        file = %file.path.display(),
                        "Couldn't find file for FileStreamSourceTask, waiting for it to be created"
                    );
                    self.warned_missing = true;
                }
                Ok(Opened::Missing)
            }
            Err(e) => Err(ConnectError::from(e)
                .context(format_args!("Couldn't open {}", file.path.display()))),
        }
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        loop {
            if self.reader.is_none()
                && let Opened::Missing = self.open().await?
            {
                self.idle_wait().await;
                return Ok(self.take());
            }
            self.drain_lines();
            if self.pending.len() >= self.batch_size {
                return Ok(self.take());
            }
            if self.file.is_none() && (!self.pending.is_empty() || self.stdin_closed) {
                // A read of stdin may wait for input: return what is there first.
                if self.pending.is_empty() {
                    self.context.signal_end_of_input();
                    self.idle_wait().await;
                }
                return Ok(self.take());
            }
            let Some(reader) = self.reader.as_mut() else {
                continue;
            };
            let read = tokio::select! {
                biased;
                () = self.cancel.cancelled() => None,
                read = reader.read(self.buf.spare()) => Some(read),
            };
            let Some(read) = read else {
                return Ok(self.take());
            };
            let n = read.map_err(|e| {
                ConnectError::from(e)
                    .context(format_args!("Error reading from {}", self.describe()))
            })?;
            if n > 0 {
                self.buf.commit(n);
                self.idle = MIN_IDLE;
                continue;
            }
            // End of input.
            if self.file.is_none() {
                self.stdin_closed = true;
                info!("Reached the end of stdin");
                self.take_last_line();
                continue;
            }
            if !self.pending.is_empty() {
                return Ok(self.take());
            }
            if self.truncated().await? {
                continue;
            }
            self.context.signal_end_of_input();
            self.idle_wait().await;
            return Ok(self.take());
        }
    }

    /// Whether the open file is now shorter than what was read from it; if so the
    /// reader is dropped so the next loop reopens the file from the start.
    async fn truncated(&mut self) -> Result<bool> {
        let (Some(Reader::File(f)), Some(file)) = (&self.reader, &self.file) else {
            return Ok(false);
        };
        let len = f.metadata().await?.len();
        let read_up_to = self.position + self.buf.len() as u64;
        if len >= read_up_to {
            return Ok(false);
        }
        warn!(
            file = %file.path.display(),
            position = read_up_to,
            length = len,
            "File was truncated; reading it again from the start"
        );
        self.reader = None;
        self.resume_from = 0;
        self.buf.clear();
        self.position = 0;
        Ok(true)
    }

    /// Waits before the next look at the input: the current back-off, or until the
    /// task is cancelled.
    async fn idle_wait(&mut self) {
        let wait = self.idle;
        self.idle = (self.idle * 2).min(MAX_IDLE);
        tokio::select! {
            () = self.cancel.cancelled() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }

    /// Moves complete lines from the buffer into `pending`, up to the batch size.
    fn drain_lines(&mut self) {
        if self.pending.capacity() == 0 {
            self.pending.reserve(self.batch_size.min(4096));
        }
        while self.pending.len() < self.batch_size {
            let Some((line, consumed)) = self.buf.next_line() else {
                break;
            };
            let value = line_to_string(line);
            self.position += consumed as u64;
            let record = self.record(value);
            self.pending.push(record);
        }
    }

    /// At the end of standard input: the unterminated rest is the last line.
    /// `drain_lines` ran before the read that hit the end, so no complete line is left.
    fn take_last_line(&mut self) {
        if let Some((line, consumed)) = self.buf.take_rest() {
            let value = line_to_string(line);
            self.position += consumed as u64;
            let record = self.record(value);
            self.pending.push(record);
        }
    }

    fn record(&self, value: String) -> SourceRecord {
        let builder = SourceRecord::builder(self.topic.clone())
            .value(Some(self.schema.clone()), Value::String(value));
        match &self.file {
            Some(file) => builder
                .source_partition(file.partition.clone())
                .source_offset(
                    OffsetMap::new()
                        .with(POSITION_FIELD, i64::try_from(self.position).unwrap_or(i64::MAX)),
                )
                .build(),
            None => builder.build(),
        }
    }

    fn take(&mut self) -> Vec<SourceRecord> {
        std::mem::take(&mut self.pending)
    }
}

/// The line as a string: one allocation, invalid UTF-8 replaced by U+FFFD (as Java's
/// decoder does). The strict check first, because it is much faster than the lossy
/// one on the valid text that is the common case.
fn line_to_string(line: &[u8]) -> String {
    match std::str::from_utf8(line) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(line).into_owned(),
    }
}

/// Opens `path` and seeks to `position` when the file is at least that long; returns
/// the file and its length.
fn open_at(path: &Path, position: u64) -> std::io::Result<(std::fs::File, u64)> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if position > 0 && position <= len {
        file.seek(SeekFrom::Start(position))?;
    }
    Ok((file, len))
}
