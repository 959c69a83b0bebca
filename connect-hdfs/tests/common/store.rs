//! The stores the sink's end-to-end tests run against: a local directory, or a
//! directory of its own on the test HDFS (Hadoop's MiniDFSCluster, which
//! `scripts/test.sh` starts and names in `CONNECT_TEST_HDFS_URL`).
//!
//! What the sink wrote to HDFS is read back through Hadoop's own client, `FsShell`
//! (`-ls -R`, `-get`, `-cat`), never through OpenDAL or hdfs-native, so a bug in our
//! storage path cannot hide itself.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Which store a test writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A local temporary directory.
    Local,
    /// A fresh directory on the test HDFS.
    Hdfs,
}

#[derive(Debug)]
enum Backend {
    Local(PathBuf),
    Hdfs {
        /// `hdfs://127.0.0.1:<port>`.
        namenode: String,
        /// The test's directory on HDFS, `/<unique>`.
        base: String,
        /// Hadoop's jars (`CONNECT_TEST_HDFS_CLASSPATH`).
        classpath: String,
    },
}

/// A test's store: sinks write under [`url`](TestStore::url)`(sub)`, and
/// [`read`](TestStore::read) gives a local directory holding what is there now, with
/// `sub` under it.
#[derive(Debug)]
pub struct TestStore {
    backend: Backend,
    scratch: PathBuf,
    copies: AtomicU32,
}

fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => panic!(
            "{name} is not set: the HDFS tests need the test HDFS (Hadoop's MiniDFSCluster). \
             Run the tests through scripts/test.sh, which starts it, or start one with \
             scripts/hdfs.sh and export the CONNECT_TEST_HDFS_URL and \
             CONNECT_TEST_HDFS_CLASSPATH it prints"
        ),
    }
}

impl TestStore {
    /// A store of `kind`: for [`StoreKind::Local`] the directory `dir/store`, for
    /// [`StoreKind::Hdfs`] a new directory named after `name` on the test HDFS. Local
    /// copies of HDFS files go under `dir`.
    pub fn new(kind: StoreKind, dir: &Path, name: &str) -> TestStore {
        let backend = match kind {
            StoreKind::Local => Backend::Local(dir.join("store")),
            StoreKind::Hdfs => Backend::Hdfs {
                namenode: required_env("CONNECT_TEST_HDFS_URL").trim_end_matches('/').to_string(),
                base: format!("/{}", super::unique(name)),
                classpath: required_env("CONNECT_TEST_HDFS_CLASSPATH"),
            },
        };
        let scratch = dir.join("hdfs-copies");
        TestStore { backend, scratch, copies: AtomicU32::new(0) }
    }

    /// The kind of store.
    pub fn kind(&self) -> StoreKind {
        match self.backend {
            Backend::Local(_) => StoreKind::Local,
            Backend::Hdfs { .. } => StoreKind::Hdfs,
        }
    }

    /// The `store.url` of a sink that writes under `sub`.
    pub fn url(&self, sub: &str) -> String {
        match &self.backend {
            Backend::Local(base) => base.join(sub).display().to_string(),
            Backend::Hdfs { namenode, base, .. } => format!("{namenode}{base}/{sub}"),
        }
    }

    /// `host:port` of the test namenode (HDFS stores only).
    pub fn namenode_addr(&self) -> String {
        match &self.backend {
            Backend::Hdfs { namenode, .. } => namenode.trim_start_matches("hdfs://").to_string(),
            Backend::Local(_) => panic!("a local store has no namenode"),
        }
    }

    /// [`url`](TestStore::url) with the namenode reached at `addr` instead (a proxy in
    /// front of it).
    pub fn url_via(&self, sub: &str, addr: &str) -> String {
        match &self.backend {
            Backend::Hdfs { base, .. } => format!("hdfs://{addr}{base}/{sub}"),
            Backend::Local(_) => panic!("a local store has no namenode"),
        }
    }

    /// A local directory with the store's content as it is now: the store itself when
    /// local, else a fresh copy made by Hadoop's `FsShell -get` (empty while the sink
    /// has written nothing). Files renamed or deleted while being copied make FsShell
    /// fail; the copy is then retried.
    pub fn read(&self) -> PathBuf {
        let base = match &self.backend {
            Backend::Local(base) => return base.clone(),
            Backend::Hdfs { base, .. } => base,
        };
        let mut last = String::new();
        for _ in 0..5 {
            let n = self.copies.fetch_add(1, Ordering::Relaxed);
            let parent = self.scratch.join(format!("copy-{n}"));
            std::fs::create_dir_all(&parent).unwrap();
            let copy = parent.join("store");
            let out = self.fs_shell(&["-get", base, copy.to_str().unwrap()]);
            if out.status.success() {
                return copy;
            }
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            if stderr.contains(&format!("`{base}': No such file or directory")) {
                std::fs::create_dir_all(&copy).unwrap();
                return copy;
            }
            last = stderr;
        }
        panic!("FsShell -get {base} kept failing; last stderr:\n{last}");
    }

    /// [`read`](TestStore::read) once the sink has stopped, checked against Hadoop's own
    /// view of HDFS: the copy holds exactly the files (and sizes) that `FsShell -ls -R`
    /// lists, and `-cat` of the largest one gives the copy's bytes. Local stores are
    /// returned as they are.
    pub fn read_verified(&self) -> PathBuf {
        let copy = self.read();
        let Backend::Hdfs { base, .. } = &self.backend else { return copy };
        let listed = self.list();
        let copied: Vec<(String, u64)> = super::all_files(&copy)
            .into_iter()
            .map(|rel| {
                let len = std::fs::metadata(copy.join(&rel)).unwrap().len();
                (rel.to_str().unwrap().to_string(), len)
            })
            .collect();
        assert_eq!(listed, copied, "FsShell -ls -R {base} and the copy FsShell -get made differ");
        if let Some((rel, _)) = listed.iter().max_by_key(|(_, len)| *len) {
            let cat = self.cat(rel);
            assert_eq!(
                cat,
                std::fs::read(copy.join(rel)).unwrap(),
                "FsShell -cat {base}/{rel} differs from its copy"
            );
        }
        copy
    }

    /// The files under the test's HDFS directory as Hadoop's `FsShell -ls -R` lists them:
    /// (path relative to the directory, length), sorted.
    pub fn list(&self) -> Vec<(String, u64)> {
        let Backend::Hdfs { base, .. } = &self.backend else { panic!("list() is for HDFS stores") };
        let out = self.fs_shell(&["-ls", "-R", base]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "FsShell -ls -R {base} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // -rw-r--r--   1 root supergroup   1234 2026-12-04 17:59 /base/topics/t/partition=0/f.json
        let prefix = format!("{base}/");
        let mut files: Vec<(String, u64)> = stdout
            .lines()
            .filter(|l| l.starts_with('-'))
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                assert!(cols.len() >= 8, "unexpected FsShell -ls line {l:?}");
                let path = cols[7..].join(" ");
                let rel = path
                    .strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("{path} is not under {base}"))
                    .to_string();
                (rel, cols[4].parse().unwrap())
            })
            .collect();
        files.sort();
        files
    }

    /// The bytes of `rel` (relative to the test's HDFS directory) through `FsShell -cat`.
    pub fn cat(&self, rel: &str) -> Vec<u8> {
        let Backend::Hdfs { base, .. } = &self.backend else { panic!("cat() is for HDFS stores") };
        let path = format!("{base}/{rel}");
        let out = self.fs_shell(&["-cat", &path]);
        assert!(
            out.status.success(),
            "FsShell -cat {path} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs Hadoop's FsShell against the test HDFS (a JVM of its own, about 2 s).
    fn fs_shell(&self, args: &[&str]) -> Output {
        let Backend::Hdfs { namenode, classpath, .. } = &self.backend else {
            panic!("FsShell is for HDFS stores")
        };
        Command::new("java")
            .args(["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp"])
            .arg(classpath)
            .args(["org.apache.hadoop.fs.FsShell", "-fs", namenode])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run java (FsShell {args:?}): {e}"))
    }
}
