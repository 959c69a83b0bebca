//! The storage layer: one [Apache OpenDAL](https://opendal.apache.org) operator for
//! every kind of store, chosen by the scheme of `store.url` / `hdfs.url`.
//!
//! Compiled-in services: the local filesystem (a path or `file:///path`) and HDFS
//! (`hdfs://namenode:port[/root]`, through the pure-Rust `hdfs-native` client). Other
//! schemes (`s3://`, `gs://`, …) are refused with a config error naming what is
//! supported, as their services are not built in.
//!
//! Paths given to [`Storage`] are relative to the URL's root and use `/`.

use std::path::PathBuf;

use connect_api::{ConnectError, Result};
use opendal::{EntryMode, ErrorKind, Operator};

/// The schemes this build can write to.
pub const SUPPORTED_SCHEMES: &[&str] = &["file (or a plain path)", "hdfs"];

/// A store: the files of the sink, its temporary files and its write-ahead logs.
#[derive(Debug, Clone)]
pub struct Storage {
    op: Operator,
    url: String,
    /// HDFS only: hdfs-native's client, for [`rename`](Storage::rename).
    hdfs: Option<HdfsDirect>,
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
            let builder = opendal::services::HdfsNative::default()
                .name_node(&format!("hdfs://{authority}"))
                .root(root);
            let op = Operator::new(builder)
                .map_err(|e| storage_error(format_args!("Cannot open HDFS at {url}"), e))?;
            let client = hdfs_native::ClientBuilder::new()
                .with_url(format!("hdfs://{authority}"))
                .build()
                .map_err(|e| hdfs_error(format_args!("Cannot open HDFS at {url}"), e))?;
            let hdfs = HdfsDirect { client, root: root.trim_end_matches('/').to_string() };
            return Ok(Storage {
                op,
                url: url.trim_end_matches('/').to_string(),
                hdfs: Some(hdfs),
            });
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
        let builder = opendal::services::Fs::default().root(&root);
        let op = Operator::new(builder)
            .map_err(|e| storage_error(format_args!("Cannot open the directory {root}"), e))?;
        Ok(Storage { op, url: root, hdfs: None })
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
        let inner = self
            .op
            .writer(path)
            .await
            .map_err(|e| storage_error(format_args!("Cannot create {path}"), e))?;
        Ok(StorageWriter { inner, path: path.to_string(), written: 0 })
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
        let mut w = self
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
    }

    /// The content of `path`, or `None` when it does not exist.
    pub async fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.op.read(path).await {
            Ok(buf) => Ok(Some(buf.to_vec())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage_error(format_args!("Cannot read {path}"), e)),
        }
    }

    /// Whether the file `path` exists.
    pub async fn exists(&self, path: &str) -> Result<bool> {
        self.op.exists(path).await.map_err(|e| storage_error(format_args!("Cannot stat {path}"), e))
    }

    /// Renames `from` to `to` (the commit of a file), replacing a file already there;
    /// the target's directory is created when missing.
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        if let Some(hdfs) = &self.hdfs {
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
        self.op
            .rename(from, to)
            .await
            .map_err(|e| storage_error(format_args!("Cannot rename {from} to {to}"), e))
    }

    /// Deletes `path`; a missing file is not an error.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.op
            .delete(path)
            .await
            .map_err(|e| storage_error(format_args!("Cannot delete {path}"), e))
    }

    /// The files under the directory `dir`, at any depth, as paths relative to the
    /// store root; empty when the directory does not exist.
    pub async fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        let dir = format!("{}/", dir.trim_end_matches('/'));
        match self.op.list_with(&dir).recursive(true).await {
            Ok(entries) => Ok(entries
                .into_iter()
                .filter(|e| e.metadata().mode() == EntryMode::FILE)
                .map(|e| e.path().trim_start_matches('/').to_string())
                .collect()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(storage_error(format_args!("Cannot list {dir}"), e)),
        }
    }
}

impl StorageWriter {
    /// Writes `bytes` (nothing when empty).
    pub async fn write(&mut self, bytes: Vec<u8>) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let n = bytes.len() as u64;
        self.inner
            .write(bytes)
            .await
            .map_err(|e| storage_error(format_args!("Cannot write {}", self.path), e))?;
        self.written += n;
        Ok(())
    }

    /// Flushes and syncs the file; it is complete and durable afterwards.
    pub async fn close(&mut self) -> Result<()> {
        self.inner
            .close()
            .await
            .map_err(|e| storage_error(format_args!("Cannot close {}", self.path), e))?;
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
