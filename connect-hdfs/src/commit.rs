//! The commit of one group of files, run in the background while the writer of the
//! topic partition goes on with the next group.
//!
//! The steps and their order are those of [`crate::wal`]: each file is finished
//! (the format's tail: for Parquet, the encoding of the last row group and the
//! footer), written, closed and synced under its temporary name; one durable
//! `begin` + `rename` entries in the log; the renames; one durable `end`; then
//! Hive. A crash at any point leaves what a crash of the synchronous commit left,
//! and recovery resolves it the same way. The writer keeps at most one commit in
//! flight ([`InFlight`]), so commits of a partition finish in order and the log
//! is used by one commit at a time (the [`Wal`] moves into the job and back), and
//! it reports a commit's offsets only once it has finished.

use connect_api::data::Schema;
use connect_api::record::TopicPartition;
use connect_api::{ConnectError, Result};
use tracing::debug;

use crate::format::FormatWriter;
use crate::rotation::RotationReason;
use crate::storage::StorageWriter;
use crate::wal::Wal;
use crate::writer::Env;

/// A file whose last record is written: to be finished, synced and renamed.
pub(crate) struct SealedFile {
    /// The encoded partition.
    pub encoded: String,
    /// The temporary file.
    pub temp: String,
    /// The format writer (finished by [`finish_all`] before the commit is spawned; the
    /// commit only asks it for its record count).
    pub writer: Box<dyn FormatWriter>,
    /// The temporary file's storage writer, not closed yet.
    pub out: StorageWriter,
    /// The format's last bytes, once [`finish_all`] ran.
    pub tail: Vec<u8>,
    /// The first offset in the file.
    pub start: i64,
    /// The last offset in the file.
    pub end: i64,
}

/// Everything a commit needs, owned, so it can run on its own task.
pub(crate) struct CommitJob {
    pub env: Env,
    pub tp: TopicPartition,
    pub wal: Wal,
    pub files: Vec<SealedFile>,
    /// The schema of the group's records (for Hive).
    pub schema: Option<Schema>,
    pub reason: RotationReason,
}

/// What a finished commit hands back: the log, and the outcome.
pub(crate) type Outcome = (Wal, Result<()>);

/// A commit running in the background. Dropping it aborts the commit at its next
/// step, which leaves what a crash at that point leaves (recovery resolves it).
pub(crate) struct InFlight {
    handle: tokio::task::JoinHandle<Outcome>,
    /// The last offset the commit makes committed.
    pub last: Option<i64>,
    /// Where to rewind if the commit fails.
    pub rewind: Option<i64>,
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlight").field("last", &self.last).finish()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl InFlight {
    /// Starts `job` on a tokio task.
    pub fn spawn(job: CommitJob, last: Option<i64>, rewind: Option<i64>) -> InFlight {
        InFlight { handle: tokio::spawn(run(job)), last, rewind }
    }

    /// Whether the commit has finished (successfully or not).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for the commit; an error when its task panicked or was aborted (then
    /// the log handle is lost: the writer must recover, which reads the log anew).
    /// Cancel-safe.
    pub async fn wait(&mut self) -> Result<Outcome> {
        (&mut self.handle)
            .await
            .map_err(|e| ConnectError::retriable(format!("a commit in flight did not finish: {e}")))
    }
}

/// Finishes every file of the group: the format's tail (for Parquet, the encoding
/// of the rows still buffered and the footer). Done before the commit is handed to
/// the background, on the writer's thread, like the encoding of the rest of the file.
pub(crate) fn finish_all(files: &mut [SealedFile]) -> Result<()> {
    for f in files.iter_mut() {
        f.tail = f.writer.finish()?;
    }
    Ok(())
}

/// The commit of finished files: write their tails, close (sync) them, log the
/// renames, rename, log the end; then tell Hive.
async fn run(job: CommitJob) -> Outcome {
    let CommitJob { env, tp, mut wal, files, schema, reason } = job;
    let temps: Vec<String> = files.iter().map(|f| f.temp.clone()).collect();
    let mut renames = Vec::with_capacity(files.len());
    let mut encoded = Vec::with_capacity(files.len());
    let mut records = 0;
    let prepared: Result<u64> = async {
        for mut f in files {
            f.out.write(std::mem::take(&mut f.tail)).await?;
            f.out.close().await?;
            records += f.writer.record_count();
            let target = env.layout.committed_file(
                &tp.topic,
                tp.partition,
                &f.encoded,
                f.start,
                f.end,
                env.format.extension(),
            );
            renames.push((f.temp, target));
            encoded.push(f.encoded);
        }
        // From here on the log decides: recovery finishes this group if we crash.
        wal.begin(&renames).await
    }
    .await;
    let id = match prepared {
        Ok(id) => id,
        Err(e) => {
            // Nothing was renamed: the group is dropped (its records come again).
            for temp in &temps {
                let _ = env.storage.delete(temp).await;
            }
            return (wal, Err(e));
        }
    };
    if let Some(delay) = crate::wal::test_commit_delay() {
        // Test hook only (see `TEST_COMMIT_DELAY_ENV`): widen the window between
        // the logged intent and the renames for crash tests.
        tokio::time::sleep(delay).await;
    }
    for (from, to) in &renames {
        if let Err(e) = env.storage.rename(from, to).await {
            return (wal, Err(e));
        }
    }
    if let Err(e) = wal.end(id).await {
        return (wal, Err(e));
    }
    debug!(tp = %tp, ?reason, files = renames.len(), records, "committed");
    if let Some(hive) = &env.hive {
        hive.committed(&env.storage, &env.layout, &tp.topic, schema.as_ref(), &encoded).await;
    }
    (wal, Ok(()))
}
