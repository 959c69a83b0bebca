//! The real binaries for process-level tests: `connect-standalone` and
//! `connect-mock-broker` from connect-cli (the shipped worker), built by cargo when missing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

/// cargo's output directory of this test run (`target/debug`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>-<hash>
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The path of a connect-cli binary, built (once per test process) with cargo so
/// it is never stale.
pub fn runtime_binary(name: &str) -> PathBuf {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let profile_dir = bin_dir();
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "-p",
            "connect-cli",
            "--bin",
            "connect-standalone",
            "--bin",
            "connect-mock-broker",
        ]);
        if profile_dir.file_name().and_then(|n| n.to_str()) == Some("release") {
            cmd.arg("--release");
        }
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
        let status = cmd.status().unwrap();
        assert!(status.success(), "building connect-cli's binaries failed");
    });
    let path = bin_dir().join(name);
    assert!(path.exists(), "{} is missing after the build", path.display());
    path
}

/// A `connect-mock-broker` process (librdkafka's mock cluster on loopback) that
/// outlives the workers a test kills; killed on drop.
pub struct MockBroker {
    child: Child,
    bootstrap: String,
}

impl MockBroker {
    /// Starts the broker with `topics` (name, partitions) created.
    pub fn start(topics: &[(&str, i32)], dir: &std::path::Path) -> MockBroker {
        let file = dir.join("bootstrap.txt");
        let mut cmd = Command::new(runtime_binary("connect-mock-broker"));
        for (name, parts) in topics {
            cmd.arg("--topic").arg(format!("{name}:{parts}"));
        }
        cmd.arg("--bootstrap-file").arg(&file);
        let log = std::fs::File::create(dir.join("broker.log")).unwrap();
        let child = cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let bootstrap = loop {
            if let Ok(s) = std::fs::read_to_string(&file)
                && !s.trim().is_empty()
            {
                break s.trim().to_string();
            }
            assert!(Instant::now() < deadline, "connect-mock-broker did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        MockBroker { child, bootstrap }
    }

    /// `bootstrap.servers` for clients.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }
}

impl Drop for MockBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
