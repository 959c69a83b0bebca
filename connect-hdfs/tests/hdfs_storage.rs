//! The storage layer against a real HDFS (Hadoop's MiniDFSCluster that
//! `scripts/test.sh` starts): every operation the sink uses, checked through Hadoop's
//! own FsShell rather than through our storage code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::proxy::SilentProxy;
use common::store::{StoreKind, TestStore};
use connect_hdfs::storage::Storage;

/// Runs `f` and prints how long it took (operations on HDFS are RPCs to the namenode
/// and, for data, the datanode).
async fn timed<T>(what: &str, f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = f.await;
    let took = started.elapsed();
    eprintln!("{what}: {took:?}");
    (out, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hdfs_files_are_written_appended_renamed_listed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(StoreKind::Hdfs, dir.path(), "storage");
    let s = Storage::open(&store.url("root")).unwrap();

    timed("create+write+close", s.write("a/b/one.txt", b"one".to_vec())).await.0.unwrap();
    for i in 0..3 {
        let path = format!("x/{i}.txt");
        timed("create+write+close", s.write(&path, vec![b'x'; 1000])).await.0.unwrap();
        timed("append", s.append(&path, vec![b'y'; 100])).await.0.unwrap();
        timed("rename", s.rename(&path, &format!("y/{i}.txt"))).await.0.unwrap();
        timed("delete", s.delete(&format!("y/{i}.txt"))).await.0.unwrap();
    }
    timed("append (new file)", s.append("logs/t/0/log", b"x\n".to_vec())).await.0.unwrap();
    timed("append", s.append("logs/t/0/log", b"y\n".to_vec())).await.0.unwrap();
    let (log, _) = timed("read", s.read("logs/t/0/log")).await;
    assert_eq!(log.unwrap().unwrap(), b"x\ny\n");
    timed("rename (new directory)", s.rename("a/b/one.txt", "c/d/two.txt")).await.0.unwrap();
    s.write("a/b/three.txt", b"three".to_vec()).await.unwrap();
    timed("rename (same directory)", s.rename("a/b/three.txt", "c/d/four.txt")).await.0.unwrap();
    assert!(!timed("exists", s.exists("a/b/one.txt")).await.0.unwrap());
    let mut files = timed("list", s.list_files("")).await.0.unwrap();
    files.sort();
    assert_eq!(files, ["c/d/four.txt", "c/d/two.txt", "logs/t/0/log"]);

    // Hadoop's view: exactly these files, with these bytes; no placeholder left by a
    // rename and nothing open.
    assert_eq!(
        store.list(),
        [
            ("root/c/d/four.txt".to_string(), 5),
            ("root/c/d/two.txt".to_string(), 3),
            ("root/logs/t/0/log".to_string(), 4)
        ]
    );
    assert_eq!(store.cat("root/logs/t/0/log"), b"x\ny\n");
    assert_eq!(store.cat("root/c/d/two.txt"), b"one");

    // A rename onto an existing file replaces it (the recovery of a commit that a crash
    // interrupted after the rename may do that).
    s.write("a/b/five.txt", b"five".to_vec()).await.unwrap();
    timed("rename (over a file)", s.rename("a/b/five.txt", "c/d/two.txt")).await.0.unwrap();
    assert_eq!(store.cat("root/c/d/two.txt"), b"five");

    timed("delete", s.delete("c/d/two.txt")).await.0.unwrap();
    s.delete("c/d/two.txt").await.unwrap();
    assert!(s.read("c/d/two.txt").await.unwrap().is_none());
    assert!(s.list_files("nothing/here").await.unwrap().is_empty());
    assert_eq!(
        store.list(),
        [("root/c/d/four.txt".to_string(), 5), ("root/logs/t/0/log".to_string(), 4)]
    );
}

/// A namenode that stops answering costs one operation timeout, not the task: the
/// operation fails as retriable and names the key that bounds it, a file opened on the
/// old connections is given up at once, and the next operation opens new connections
/// and works while the silenced ones stay silent for good (as a half-open connection
/// after a network partition does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_namenode_times_out_and_new_connections_take_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(StoreKind::Hdfs, dir.path(), "silent");
    let proxy = SilentProxy::start(&store.namenode_addr());
    let s = Storage::open(&store.url_via("root", proxy.addr()))
        .unwrap()
        .with_operation_timeout(Duration::from_secs(2));
    s.write("before.txt", b"before".to_vec()).await.unwrap();
    let mut open = s.create("open.txt").await.unwrap();
    open.write(b"x".to_vec()).await.unwrap();

    proxy.silence();
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(30), s.write("during.txt", b"d".to_vec()))
        .await
        .expect("the operation outlived its timeout")
        .unwrap_err();
    assert!(err.is_retriable(), "{err}");
    assert!(err.message().contains("did not answer within 2000 ms"), "{err}");
    assert!(err.message().contains("store.operation.timeout.ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(proxy.swallowed() > 0, "the proxy swallowed nothing: nothing was silenced");
    let started = Instant::now();
    let err = open.close().await.unwrap_err();
    assert!(err.message().contains("connections since replaced"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());

    proxy.resume();
    let accepted = proxy.accepted();
    s.write("after.txt", b"after".to_vec()).await.unwrap();
    s.rename("after.txt", "renamed.txt").await.unwrap();
    assert!(proxy.accepted() > accepted, "no new connection after the timeout");
    assert_eq!(store.cat("root/before.txt"), b"before");
    assert_eq!(store.cat("root/renamed.txt"), b"after");
}
