//! The write-ahead log of one topic partition: `<logs.dir>/<topic>/<partition>/log`.
//!
//! Committing a group of temporary files (every open file of the topic partition at
//! once, so the committed files always hold one contiguous run of offsets) is:
//!
//! 1. the files are complete and synced under `+tmp`;
//! 2. one durable append of `begin` (with the number of files) followed by one
//!    `rename` entry per file (temporary → final name);
//! 3. the renames;
//! 4. one durable append of `end`.
//!
//! Entries are JSON lines. On recovery ([`Wal::recover`]) a group without `end`
//! whose `rename` entries are all there is rolled forward (a rename whose temporary
//! file is gone and whose final file exists was done already); a group whose
//! entries were cut short by a crash in step 2 renamed nothing and is rolled back
//! (its temporary files are deleted). A group whose files vanished (neither the
//! temporary nor the final name exists) is rolled back too: the final files it did
//! rename are deleted, so no partial group stays committed, and the records are
//! consumed again. Every group is then resolved and the log is removed.

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use connect_api::Result;

use crate::storage::Storage;

/// Once the log is larger than this after a finished group, it is removed (every
/// group in it is complete, so it holds nothing recovery needs).
const TRUNCATE_AFTER_BYTES: u64 = 256 * 1024;

/// Test hook, not for production: when this environment variable holds a number of
/// milliseconds, every commit waits that long after its `begin` and `rename` entries are
/// durable and before its first rename. Crash tests set it so that a `kill -9` lands in
/// that window (temporary files complete, the log saying to rename them, nothing
/// renamed yet) often enough to show that recovery finishes such commits. Unset, the
/// default, commits do not wait; the variable is read once per process.
pub const TEST_COMMIT_DELAY_ENV: &str = "CONNECT_HDFS_TEST_COMMIT_DELAY_MS";

/// The wait [`TEST_COMMIT_DELAY_ENV`] asks for, if any.
pub(crate) fn test_commit_delay() -> Option<std::time::Duration> {
    static DELAY: std::sync::OnceLock<Option<std::time::Duration>> = std::sync::OnceLock::new();
    *DELAY.get_or_init(|| {
        let ms: u64 = std::env::var(TEST_COMMIT_DELAY_ENV).ok()?.trim().parse().ok()?;
        Some(std::time::Duration::from_millis(ms))
    })
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum WalEntry {
    /// A group of `files` renames starts.
    Begin {
        /// The group's number, unique within the log.
        id: u64,
        /// How many `rename` entries follow.
        files: usize,
    },
    /// One file of a group: its temporary and final paths.
    Rename {
        /// The group.
        id: u64,
        /// The temporary file.
        from: String,
        /// The committed file.
        to: String,
    },
    /// Every rename of the group is done.
    End {
        /// The group.
        id: u64,
    },
}

/// What recovery did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Renames finished for groups a crash interrupted.
    pub rolled_forward: Vec<String>,
    /// Files deleted from groups that could not be finished (temporary or final).
    pub rolled_back: Vec<String>,
}

/// A group as read back from the log.
struct LoggedGroup {
    id: u64,
    files: usize,
    renames: Vec<(String, String)>,
    ended: bool,
}

/// The write-ahead log of one topic partition.
#[derive(Debug)]
pub struct Wal {
    storage: Storage,
    path: String,
    next_id: u64,
    size: u64,
}

fn encode(entries: &[WalEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        // Serializing these plain structs cannot fail; a failure would only drop the
        // line, which recovery treats as a cut-short group.
        if let Ok(line) = serde_json::to_vec(e) {
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
    out
}

/// Parses the log; parsing stops at the first line that is not a whole entry (the
/// tail a crash cut short).
pub fn parse(bytes: &[u8]) -> Vec<WalEntry> {
    let mut out = Vec::new();
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let Some(line) = line.strip_suffix(b"\n") else { break };
        match serde_json::from_slice::<WalEntry>(line) {
            Ok(e) => out.push(e),
            Err(_) => break,
        }
    }
    out
}

impl Wal {
    /// The log at `path` (not read until [`recover`](Self::recover)).
    pub fn new(storage: Storage, path: String) -> Wal {
        Wal { storage, path, next_id: 1, size: 0 }
    }

    /// The log's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Resolves every group a crash left unfinished (see the module docs), then
    /// removes the log.
    pub async fn recover(&mut self) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        let Some(bytes) = self.storage.read(&self.path).await? else {
            return Ok(report);
        };
        let entries = parse(&bytes);
        // Groups in log order.
        let mut groups: Vec<LoggedGroup> = Vec::new();
        for e in entries {
            match e {
                WalEntry::Begin { id, files } => {
                    groups.push(LoggedGroup { id, files, renames: Vec::new(), ended: false })
                }
                WalEntry::Rename { id, from, to } => {
                    if let Some(g) = groups.iter_mut().rev().find(|g| g.id == id) {
                        g.renames.push((from, to));
                    }
                }
                WalEntry::End { id } => {
                    if let Some(g) = groups.iter_mut().rev().find(|g| g.id == id) {
                        g.ended = true;
                    }
                }
            }
        }
        for LoggedGroup { id, files, renames, ended } in groups {
            if ended {
                continue;
            }
            if renames.len() < files {
                // Cut short while logging: no rename happened yet.
                warn!(wal = %self.path, group = id, "rolling back a commit the crash cut short while it was logged");
                for (from, _) in &renames {
                    self.storage.delete(from).await?;
                    report.rolled_back.push(from.clone());
                }
                continue;
            }
            let mut missing = false;
            let mut done = Vec::new();
            for (from, to) in &renames {
                if self.storage.exists(from).await? {
                    self.storage.rename(from, to).await?;
                    report.rolled_forward.push(to.clone());
                    done.push(to.clone());
                } else if self.storage.exists(to).await? {
                    done.push(to.clone());
                } else {
                    missing = true;
                }
            }
            if missing {
                warn!(wal = %self.path, group = id, "files of an unfinished commit are gone; rolling the commit back");
                for to in done {
                    self.storage.delete(&to).await?;
                    report.rolled_forward.retain(|f| f != &to);
                    report.rolled_back.push(to);
                }
            } else {
                info!(wal = %self.path, group = id, files = renames.len(), "finished a commit a crash interrupted");
            }
        }
        self.storage.delete(&self.path).await?;
        self.size = 0;
        Ok(report)
    }

    /// Logs the start of a group renaming each `(temporary, final)` pair; durable
    /// when this returns. Returns the group id for [`end`](Self::end).
    pub async fn begin(&mut self, renames: &[(String, String)]) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let mut entries = Vec::with_capacity(renames.len() + 1);
        entries.push(WalEntry::Begin { id, files: renames.len() });
        for (from, to) in renames {
            entries.push(WalEntry::Rename { id, from: from.clone(), to: to.clone() });
        }
        let bytes = encode(&entries);
        self.size += bytes.len() as u64;
        self.storage.append(&self.path, bytes).await?;
        Ok(id)
    }

    /// Logs the end of group `id` (all its renames done); removes the log when it has
    /// grown large, as it then holds only finished groups.
    pub async fn end(&mut self, id: u64) -> Result<()> {
        let bytes = encode(&[WalEntry::End { id }]);
        self.size += bytes.len() as u64;
        self.storage.append(&self.path, bytes).await?;
        if self.size > TRUNCATE_AFTER_BYTES {
            self.storage.delete(&self.path).await?;
            self.size = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::open(&dir.path().display().to_string()).unwrap();
        (dir, s)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn a_torn_tail_ends_the_log() {
        let bytes = encode(&[WalEntry::Begin { id: 1, files: 1 }, WalEntry::End { id: 1 }]);
        let mut torn = bytes.clone();
        torn.extend_from_slice(b"{\"op\":\"begin\",\"id\":2,\"fi");
        assert_eq!(parse(&torn).len(), 2);
        assert_eq!(parse(&bytes[..bytes.len() - 1]).len(), 1);
    }

    #[tokio::test]
    async fn an_interrupted_group_is_rolled_forward() {
        let (_d, s) = store();
        s.write("tmp/a", b"A".to_vec()).await.unwrap();
        s.write("tmp/b", b"B".to_vec()).await.unwrap();
        let mut wal = Wal::new(s.clone(), "logs/t/0/log".into());
        wal.begin(&pairs(&[("tmp/a", "final/a"), ("tmp/b", "final/b")])).await.unwrap();
        s.rename("tmp/a", "final/a").await.unwrap(); // crash after the first rename
        let report = Wal::new(s.clone(), "logs/t/0/log".into()).recover().await.unwrap();
        assert_eq!(report.rolled_forward, vec!["final/b".to_string()]);
        assert_eq!(s.read("final/a").await.unwrap().unwrap(), b"A");
        assert_eq!(s.read("final/b").await.unwrap().unwrap(), b"B");
        assert!(!s.exists("logs/t/0/log").await.unwrap());
    }

    #[tokio::test]
    async fn a_finished_group_needs_nothing() {
        let (_d, s) = store();
        s.write("tmp/a", b"A".to_vec()).await.unwrap();
        let mut wal = Wal::new(s.clone(), "log".into());
        let id = wal.begin(&pairs(&[("tmp/a", "final/a")])).await.unwrap();
        s.rename("tmp/a", "final/a").await.unwrap();
        wal.end(id).await.unwrap();
        let report = Wal::new(s.clone(), "log".into()).recover().await.unwrap();
        assert_eq!(report, RecoveryReport::default());
        assert!(s.exists("final/a").await.unwrap());
    }

    #[tokio::test]
    async fn a_group_cut_short_while_logged_is_rolled_back() {
        let (_d, s) = store();
        s.write("tmp/a", b"A".to_vec()).await.unwrap();
        s.write("tmp/b", b"B".to_vec()).await.unwrap();
        let mut log = encode(&[
            WalEntry::Begin { id: 1, files: 2 },
            WalEntry::Rename { id: 1, from: "tmp/a".into(), to: "final/a".into() },
        ]);
        log.extend_from_slice(b"{\"op\":\"rename\",\"id\":1,\"from\":\"tmp/b\",\"t");
        s.write("log", log).await.unwrap();
        let report = Wal::new(s.clone(), "log".into()).recover().await.unwrap();
        assert_eq!(report.rolled_back, vec!["tmp/a".to_string()]);
        assert!(!s.exists("final/a").await.unwrap());
        assert!(!s.exists("final/b").await.unwrap());
    }

    #[tokio::test]
    async fn a_group_whose_files_vanished_is_undone() {
        let (_d, s) = store();
        s.write("tmp/a", b"A".to_vec()).await.unwrap();
        let mut wal = Wal::new(s.clone(), "log".into());
        wal.begin(&pairs(&[("tmp/a", "final/a"), ("tmp/gone", "final/gone")])).await.unwrap();
        let report = Wal::new(s.clone(), "log".into()).recover().await.unwrap();
        assert_eq!(report.rolled_back, vec!["final/a".to_string()]);
        assert!(report.rolled_forward.is_empty());
        assert!(!s.exists("final/a").await.unwrap());
    }
}
