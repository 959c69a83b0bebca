//! Shared helpers for the connector's integration tests: where the real databases
//! are, and unique names so tests can run side by side.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The PostgreSQL URL the tests use (`scripts/test.sh` exports it after making
/// sure the server runs); fails with what to start when it is unset.
pub fn postgres_url() -> String {
    service_url(
        "CONNECT_TEST_POSTGRES_URL",
        "PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test)",
    )
}

/// The MariaDB/MySQL URL the tests use.
pub fn mysql_url() -> String {
    service_url("CONNECT_TEST_MYSQL_URL", "MariaDB (e.g. mysql://root@127.0.0.1:3306/test)")
}

fn service_url(var: &str, what: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!(
            "{var} is not set: these tests need a running {what}. Run scripts/test.sh, which \
             starts it and sets {var}, or start it yourself and export {var}."
        ),
    }
}

/// A name unique to this process and call, for tables, schemas and topics.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}
