//! The storage layer: one [Apache OpenDAL](https://opendal.apache.org) operator for
//! every kind of store, chosen by the scheme of `store.url` / `hdfs.url`.
//!
//! Compiled-in services: the local filesystem (a path or `file:///path`) and HDFS
//! (`hdfs://namenode:port[/root]`, through the pure-Rust `hdfs-native` client). Other
//! schemes (`s3://`, `gs://`, …) are refused with a config error naming what is
//! supported, as their services are not built in.
//!
//! Paths given to [`Storage`] are relative to the URL's root and use `/`.
//!
//! Every operation is bounded by the operation timeout (`store.operation.timeout.ms`,
//! a minute by default; a write gets a second more per MiB it carries): `hdfs-native`
//! bounds its datanode reads but not its namenode calls, so a namenode that stops
//! answering (a long pause, a half-open connection after a network partition) would
//! hold a task forever. An operation that runs out of time is a retriable error naming
//! the operation, and the store's clients, shared by the whole task, are built again,
//! so the next attempt opens new connections instead of queueing behind the silent
//! one; the files the task had open on the old clients are given up, and their
//! partitions rewind to their committed offsets.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_api::{ConnectError, Result};
use opendal::{EntryMode, ErrorKind, Operator};
use tracing::warn;

/// The schemes this build can write to.
pub const SUPPORTED_SCHEMES: &[&str] = &["file (or a plain path)", "hdfs"];

/// How long one operation may take unless [`Storage::with_operation_timeout`] says
/// otherwise.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(60);

/// A store: the files of the sink, its temporary files and its write-ahead logs.
/// Clones share their clients.
#[derive(Debug, Clone)]
pub struct Storage {
    url: String,
    place: Place,
    clients: Arc<Shared>,
    timeout: Duration,
}

/// Where the store is, to build its clients from.
#[derive(Debug, Clone)]
enum Place {
    /// A local directory (absolute).
    Local(String),
    /// A namenode (`hdfs://host:port`) and the root path under it.
    Hdfs { namenode: String, root: String },
}

/// The clients every clone of a [`Storage`] uses, replaced after a timeout.
#[derive(Debug)]
struct Shared {
    current: Mutex<Clients>,
    /// Bumped each time the clients are replaced.
    generation: AtomicU64,
}

#[derive(Debug, Clone)]
struct Clients {
    op: Operator,
    /// HDFS only: hdfs-native's client, for [`rename`](Storage::rename).
    hdfs: Option<HdfsDirect>,
}

impl Clients {
    /// Builds the clients of `place` (no connection is opened here).
    fn build(place: &Place, url: &str) -> Result<Clients> {
        match place {
            Place::Local(root) => {
                let builder = opendal::services::Fs::default().root(root);
                let op = Operator::new(builder).map_err(|e| {
                    storage_error(format_args!("Cannot open the directory {root}"), e)
                })?;
                Ok(Clients { op, hdfs: None })
            }
            Place::Hdfs { namenode, root } => {
                let builder =
                    opendal::services::HdfsNative::default().name_node(namenode).root(root);
                let op = Operator::new(builder)
                    .map_err(|e| storage_error(format_args!("Cannot open HDFS at {url}"), e))?;
                let client = hdfs_native::ClientBuilder::new()
                    .with_url(namenode)
                    .build()
                    .map_err(|e| hdfs_error(format_args!("Cannot open HDFS at {url}"), e))?;
                let root = root.trim_end_matches('/').to_string();
                Ok(Clients { op, hdfs: Some(HdfsDirect { client, root }) })
            }
        }
    }
}

/// The HDFS client under OpenDAL's service, used directly for the commit's rename:
/// OpenDAL 0.59's `hdfs-native` rename first *creates an empty file* at the target when
/// none exists (to get its parent directories) and drops that writer unclosed, so a
/// crash in between leaves an empty file under a committed name, every commit logs
/// "FileWriter dropped without being closed", and each file costs three namenode calls.
/// Here: `mkdirs` of the parent, then one atomic `rename` with overwrite.
#[derive(Debug, Clone)]
struct HdfsDirect {
    client: hdfs_native::Client,
    /// The URL's path, without a trailing `/` (`""` for the namenode's root).
    root: String,
}

impl HdfsDirect {
    /// The absolute HDFS path of a store-relative `path`.
    fn abs(&self, path: &str) -> String {
        format!("{}/{}", self.root, path.trim_start_matches('/'))
    }
}

/// Maps an hdfs-native error to a Connect error: a denied access is fatal, everything
/// else (I/O, a namenode away, a lease held elsewhere) retriable.
fn hdfs_error(what: impl std::fmt::Display, e: hdfs_native::HdfsError) -> ConnectError {
    let message = format!("{what}: {e}");
    let denied = matches!(
        &e,
        hdfs_native::HdfsError::RPCError(class, _) | hdfs_native::HdfsError::FatalRPCError(class, _)
            if class.contains("AccessControlException")
    );
    let err = if denied { ConnectError::fatal(message) } else { ConnectError::retriable(message) };
    err.with_source(e)
}

/// An open file being written; bytes are visible under its path as they are written
/// on the filesystem and HDFS, and durable once [`close`](StorageWriter::close)d.
pub struct StorageWriter {
    inner: opendal::Writer,
    path: String,
    written: u64,
    /// The store, for its timeout and to see whether the clients were replaced.
    storage: Storage,
    /// The clients' generation this file was opened with.
    generation: u64,
    /// An operation on this file failed or timed out: it cannot be finished.
    broken: bool,
}

impl std::fmt::Debug for StorageWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageWriter")
            .field("path", &self.path)
            .field("written", &self.written)
            .finish()
    }
}

/// Maps an OpenDAL error to a Connect error: configuration, permission and
/// unsupported-operation errors are fatal, everything else (I/O, a namenode that is
/// away, rate limits) is retriable, so the runtime delivers the batch again.
fn storage_error(what: impl std::fmt::Display, e: opendal::Error) -> ConnectError {
    let message = format!("{what}: {e}");
    let err = match e.kind() {
        ErrorKind::ConfigInvalid => ConnectError::config(message),
        ErrorKind::PermissionDenied | ErrorKind::Unsupported => ConnectError::fatal(message),
        _ => ConnectError::retriable(message),
    };
    err.with_source(e)
}

impl Storage {
    /// Opens the store `url` names: a local path (relative paths are taken from the
    /// current directory), `file:///path`, or `hdfs://namenode:port[/root]`.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let storage = connect_hdfs::storage::Storage::open(&dir.path().display().to_string())?;
    /// assert!(storage.url().ends_with(&dir.path().display().to_string()));
    /// let err = connect_hdfs::storage::Storage::open("s3://bucket/x").unwrap_err();
    /// assert!(err.message().contains("not built into this connector"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(url: &str) -> Result<Storage> {
        let url = url.trim();
        if url.is_empty() {
            return Err(ConnectError::config("The store URL (store.url / hdfs.url) is empty"));
        }
        if let Some(rest) = url.strip_prefix("hdfs://") {
            let (authority, root) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            if authority.is_empty() {
                return Err(ConnectError::config(format!(
                    "Invalid store URL {url:?}: an hdfs:// URL needs a namenode \
                     (hdfs://namenode:8020/path)"
                )));
            }
            let place =
                Place::Hdfs { namenode: format!("hdfs://{authority}"), root: root.to_string() };
            return Storage::with_place(url.trim_end_matches('/').to_string(), place);
        }
        let path = if let Some(rest) = url.strip_prefix("file://") {
            // file:///abs/path (empty authority) or file://localhost/abs/path.
            let rest = rest.strip_prefix("localhost").unwrap_or(rest);
            if !rest.starts_with('/') {
                return Err(ConnectError::config(format!(
                    "Invalid store URL {url:?}: a file URL needs an absolute path (file:///data/kafka)"
                )));
            }
            PathBuf::from(rest)
        } else if let Some((scheme, _)) = url.split_once("://") {
            return Err(ConnectError::config(format!(
                "Invalid store URL {url:?}: the {scheme} storage is not built into this \
                 connector; supported: {}",
                SUPPORTED_SCHEMES.join(", ")
            )));
        } else {
            PathBuf::from(url)
        };
        let path = if path.is_absolute() {
            path
        } else {
            std::env::current_dir()
                .map_err(|e| {
                    ConnectError::config(format!(
                        "Cannot resolve the relative store path {url:?}: {e}"
                    ))
                })?
                .join(path)
        };
        let root = path.display().to_string();
        Storage::with_place(root.clone(), Place::Local(root))
    }

    fn with_place(url: String, place: Place) -> Result<Storage> {
        let clients = Clients::build(&place, &url)?;
        let shared = Shared { current: Mutex::new(clients), generation: AtomicU64::new(0) };
        Ok(Storage { url, place, clients: Arc::new(shared), timeout: DEFAULT_OPERATION_TIMEOUT })
    }

    /// This store with each operation bounded by `timeout` (at least 1 ms).
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Storage {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The clients in use, and their generation.
    fn current(&self) -> (Clients, u64) {
        let current = match self.clients.current.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Read under the lock, which every replacement holds: the generation is that
        // of these clients.
        let generation = self.clients.generation.load(Ordering::Acquire);
        (current.clone(), generation)
    }

    /// Replaces the clients (after a timeout): later operations open new connections.
    fn renew_clients(&self, seen: u64) {
        let mut current = match self.clients.current.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Another clone may have replaced them since this operation started.
        if self.clients.generation.load(Ordering::Acquire) != seen {
            return;
        }
        match Clients::build(&self.place, &self.url) {
            Ok(fresh) => {
                *current = fresh;
                self.clients.generation.fetch_add(1, Ordering::AcqRel);
            }
            Err(e) => {
                warn!(store = %self.url, error = %e, "could not build the store's clients again")
            }
        }
    }

    /// Runs `op` within the operation timeout; on timeout the clients are replaced and
    /// the error names `what`.
    async fn timed<T>(
        &self,
        what: impl std::fmt::Display,
        generation: u64,
        op: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        self.timed_for(self.timeout, what, generation, op).await
    }

    /// [`timed`](Self::timed) with the bound `limit`.
    async fn timed_for<T>(
        &self,
        limit: Duration,
        what: impl std::fmt::Display,
        generation: u64,
        op: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(limit, op).await {
            Ok(out) => out,
            Err(_) => {
                self.renew_clients(generation);
                Err(ConnectError::retriable(format!(
                    "{what}: the store did not answer within {} ms ({}); the next attempt \
                     opens new connections",
                    limit.as_millis(),
                    crate::config::STORE_OPERATION_TIMEOUT_MS
                )))
            }
        }
    }

    /// The store's URL (for a local store, its absolute directory).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The full location of `path` (the store URL joined with it), as Hive needs it.
    pub fn location(&self, path: &str) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), path.trim_start_matches('/'))
    }

    /// Creates (or truncates) `path` for writing; parent directories are created.
    pub async fn create(&self, path: &str) -> Result<StorageWriter> {
        let (clients, generation) = self.current();
        let what = format!("Cannot create {path}");
        let inner = self
            .timed(&what, generation, async {
                clients.op.writer(path).await.map_err(|e| storage_error(&what, e))
            })
            .await?;
        Ok(StorageWriter {
            inner,
            path: path.to_string(),
            written: 0,
            storage: self.clone(),
            generation,
            broken: false,
        })
    }

    /// Writes all of `bytes` to a new (or truncated) `path` and makes it durable.
    pub async fn write(&self, path: &str, bytes: Vec<u8>) -> Result<()> {
        let mut w = self.create(path).await?;
        w.write(bytes).await?;
        w.close().await
    }

    /// Appends `bytes` to `path` (created when missing) and makes them durable: the
    /// write-ahead log's one write per step.
    pub async fn append(&self, path: &str, bytes: Vec<u8>) -> Result<()> {
        let (clients, generation) = self.current();
        self.timed(format!("Cannot append to {path}"), generation, async {
            let mut w = clients
                .op
                .writer_with(path)
                .append(true)
                .await
                .map_err(|e| storage_error(format_args!("Cannot open {path} to append"), e))?;
            w.write(bytes)
                .await
                .map_err(|e| storage_error(format_args!("Cannot append to {path}"), e))?;
            w.close().await.map_err(|e| storage_error(format_args!("Cannot sync {path}"), e))?;
            Ok(())
        })
        .await
    }

    /// The content of `path`, or `None` when it does not exist.
    pub async fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let (clients, generation) = self.current();
        let what = format!("Cannot read {path}");
        self.timed(&what, generation, async {
            match clients.op.read(path).await {
                Ok(buf) => Ok(Some(buf.to_vec())),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(storage_error(&what, e)),
            }
        })
        .await
    }

    /// Whether the file `path` exists.
    pub async fn exists(&self, path: &str) -> Result<bool> {
        let (clients, generation) = self.current();
        let what = format!("Cannot stat {path}");
        self.timed(&what, generation, async {
            clients.op.exists(path).await.map_err(|e| storage_error(&what, e))
        })
        .await
    }

    /// Renames `from` to `to` (the commit of a file), replacing a file already there;
    /// the target's directory is created when missing.
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        let (clients, generation) = self.current();
        self.timed(format!("Cannot rename {from} to {to}"), generation, async {
            Self::rename_with(&clients, from, to).await
        })
        .await
    }

    async fn rename_with(clients: &Clients, from: &str, to: &str) -> Result<()> {
        if let Some(hdfs) = &clients.hdfs {
            let (src, dst) = (hdfs.abs(from), hdfs.abs(to));
            if let Some((parent, _)) = dst.rsplit_once('/')
                && !parent.is_empty()
            {
                hdfs.client
                    .mkdirs(parent, 0o755, true)
                    .await
                    .map_err(|e| hdfs_error(format_args!("Cannot create {parent}"), e))?;
            }
            return hdfs
                .client
                .rename(&src, &dst, true)
                .await
                .map_err(|e| hdfs_error(format_args!("Cannot rename {from} to {to}"), e));
        }
        clients
            .op
            .rename(from, to)
            .await
            .map_err(|e| storage_error(format_args!("Cannot rename {from} to {to}"), e))
    }

    /// Deletes `path`; a missing file is not an error.
    pub async fn delete(&self, path: &str) -> Result<()> {
        let (clients, generation) = self.current();
        let what = format!("Cannot delete {path}");
        self.timed(&what, generation, async {
            clients.op.delete(path).await.map_err(|e| storage_error(&what, e))
        })
        .await
    }

    /// The files under the directory `dir`, at any depth, as paths relative to the
    /// store root; empty when the directory does not exist.
    pub async fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        let dir = format!("{}/", dir.trim_end_matches('/'));
        let (clients, generation) = self.current();
        let what = format!("Cannot list {dir}");
        self.timed(&what, generation, async {
            match clients.op.list_with(&dir).recursive(true).await {
                Ok(entries) => Ok(entries
                    .into_iter()
                    .filter(|e| e.metadata().mode() == EntryMode::FILE)
                    .map(|e| e.path().trim_start_matches('/').to_string())
                    .collect()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(storage_error(&what, e)),
            }
        })
        .await
    }
}

impl StorageWriter {
    /// Writes `bytes` (nothing when empty).
    pub async fn write(&mut self, bytes: Vec<u8>) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.usable()?;
        let n = bytes.len() as u64;
        let what = format!("Cannot write {}", self.path);
        let inner = &mut self.inner;
        // A large write (a Parquet row group) moves data, not just a call: it gets a
        // second more per MiB, so a slow but working pipeline is not taken for a dead one.
        let limit = self.storage.timeout + Duration::from_secs(n / (1024 * 1024));
        let out = self
            .storage
            .timed_for(limit, &what, self.generation, async {
                inner.write(bytes).await.map_err(|e| storage_error(&what, e))
            })
            .await;
        self.broken = out.is_err();
        out?;
        self.written += n;
        Ok(())
    }

    /// Flushes and syncs the file; it is complete and durable afterwards.
    pub async fn close(&mut self) -> Result<()> {
        self.usable()?;
        let what = format!("Cannot close {}", self.path);
        let inner = &mut self.inner;
        let out = self
            .storage
            .timed(&what, self.generation, async {
                inner.close().await.map(|_| ()).map_err(|e| storage_error(&what, e))
            })
            .await;
        self.broken = out.is_err();
        out
    }

    /// An error at once when this file cannot be finished: an operation on it failed,
    /// or it was opened on clients a timeout has since replaced (whose connections may
    /// never answer; waiting on them again would only cost another timeout).
    fn usable(&self) -> Result<()> {
        if self.broken {
            return Err(ConnectError::retriable(format!(
                "Cannot finish {}: an earlier operation on it failed",
                self.path
            )));
        }
        if self.storage.clients.generation.load(Ordering::Acquire) != self.generation {
            return Err(ConnectError::retriable(format!(
                "Cannot finish {}: it was opened on connections since replaced after a timeout",
                self.path
            )));
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_written_appended_renamed_listed_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::open(&format!("file://{}", dir.path().display())).unwrap();
        s.write("a/b/one.txt", b"one".to_vec()).await.unwrap();
        s.append("logs/t/0/log", b"x\n".to_vec()).await.unwrap();
        s.append("logs/t/0/log", b"y\n".to_vec()).await.unwrap();
        assert_eq!(s.read("logs/t/0/log").await.unwrap().unwrap(), b"x\ny\n");
        s.rename("a/b/one.txt", "c/d/two.txt").await.unwrap();
        assert!(!s.exists("a/b/one.txt").await.unwrap());
        assert_eq!(std::fs::read(dir.path().join("c/d/two.txt")).unwrap(), b"one");
        let mut files = s.list_files("").await.unwrap();
        files.sort();
        assert_eq!(files, vec!["c/d/two.txt".to_string(), "logs/t/0/log".to_string()]);
        assert!(s.list_files("nothing/here").await.unwrap().is_empty());
        assert!(s.read("nothing").await.unwrap().is_none());
        s.delete("c/d/two.txt").await.unwrap();
        s.delete("c/d/two.txt").await.unwrap();
        assert_eq!(s.list_files("c").await.unwrap(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_streamed_file_counts_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::open(&dir.path().display().to_string()).unwrap();
        let mut w = s.create("x/f.json").await.unwrap();
        w.write(b"{}\n".to_vec()).await.unwrap();
        w.write(Vec::new()).await.unwrap();
        w.write(b"[]\n".to_vec()).await.unwrap();
        assert_eq!(w.written(), 6);
        w.close().await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("x/f.json")).unwrap(), b"{}\n[]\n");
    }

    #[test]
    fn urls_select_the_service() {
        assert!(Storage::open("").is_err());
        assert!(Storage::open("file://relative").unwrap_err().message().contains("absolute"));
        let err = Storage::open("gs://b").unwrap_err();
        assert!(err.message().contains("gs storage is not built"), "{}", err.message());
        assert!(Storage::open("hdfs:///x").unwrap_err().message().contains("namenode"));
        let hdfs = Storage::open("hdfs://namenode:8020/data/").unwrap();
        assert_eq!(hdfs.location("topics/t"), "hdfs://namenode:8020/data/topics/t");
    }
}
