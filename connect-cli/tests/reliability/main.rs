//! The reliability suite (issue 18): the real `connect-standalone` binary against Apache
//! Kafka (and PostgreSQL, MariaDB, HDFS where a scenario needs them), with faults injected
//! for real: SIGKILLs of the worker at seeded random points, the broker killed and
//! restarted from its data directory, SIGTERM while the broker goes away. Each scenario
//! counts what was sent, what arrived, what was lost and what arrived twice, and how long
//! recovery took; the suite prints one table row per scenario and fails when a scenario
//! loses data or breaks a promise (exactly-once, upsert, process exit).
//!
//! It runs its scenarios one after another (they kill and restart shared services), as a
//! test target without libtest's harness, in one of two modes:
//! - quick (the default, what `scripts/test.sh` runs): a few kills per loop;
//! - full (`CONNECT_RELIABILITY=full`, what `scripts/reliability.sh` runs): 20 kills.
//!
//! `CONNECT_RELIABILITY_SEED` replays a run (the seed is printed);
//! `CONNECT_RELIABILITY_ONLY=a,b` runs the scenarios whose names contain `a` or `b`;
//! `CONNECT_RELIABILITY_TABLE=path` also writes the table there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../connect-runtime/tests/common/mod.rs"]
mod common;
#[path = "../support/mod.rs"]
mod support;

mod broker_restart;
mod databases;
mod faults;
mod file_kills;
mod hdfs;
mod jdbc;
mod shutdown;

use databases::Db;

use std::process::ExitCode;

use faults::{Row, Suite};

fn main() -> ExitCode {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let suite = Suite::from_env();
    eprintln!(
        "reliability suite: {} mode, seed {} (CONNECT_RELIABILITY_SEED={} replays it)",
        suite.mode.name(),
        suite.seed,
        suite.seed
    );
    type Scenario =
        fn(&Suite) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Row>> + '_>>;
    let scenarios: Vec<(&str, Scenario)> = vec![
        ("kill-loop file-source", |s| Box::pin(file_kills::source_loop(s))),
        ("kill-loop file-sink", |s| Box::pin(file_kills::sink_loop(s))),
        ("kill-loop jdbc-source postgres", |s| Box::pin(jdbc::source_kill_loop(s, Db::Postgres))),
        ("kill-loop jdbc-source mariadb", |s| Box::pin(jdbc::source_kill_loop(s, Db::MariaDb))),
        ("kill-loop jdbc-sink postgres", |s| Box::pin(jdbc::sink_kill_loop(s, Db::Postgres))),
        ("kill-loop jdbc-sink mariadb", |s| Box::pin(jdbc::sink_kill_loop(s, Db::MariaDb))),
        ("outage postgres", |s| Box::pin(jdbc::outage(s, Db::Postgres))),
        ("outage mariadb", |s| Box::pin(jdbc::outage(s, Db::MariaDb))),
        ("broker-restart file", |s| Box::pin(broker_restart::file_pipeline(s))),
        ("shutdown broker-killed", |s| Box::pin(shutdown::sigterm_while_the_broker_goes_away(s))),
        (hdfs::SCENARIOS, |s| Box::pin(hdfs::scenarios(s))),
    ];
    let mut rows = Vec::new();
    for (name, run) in scenarios {
        if !suite.selected(name) {
            continue;
        }
        eprintln!("== {name}");
        let started = std::time::Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(run(&suite))
        }));
        match result {
            Ok(r) => rows.extend(r),
            Err(e) => {
                rows.push(Row::failed(name, &faults::panic_message(e.as_ref())));
            }
        }
        eprintln!("== {name}: {:.0} s", started.elapsed().as_secs_f64());
    }
    let table = faults::table(&rows);
    println!("{table}");
    if let Ok(path) = std::env::var("CONNECT_RELIABILITY_TABLE") {
        std::fs::write(&path, &table).unwrap();
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| !r.ok()).collect();
    if failed.is_empty() && !rows.is_empty() {
        eprintln!("reliability suite ({}): {} scenarios, all held", suite.mode.name(), rows.len());
        ExitCode::SUCCESS
    } else {
        for r in &failed {
            eprintln!("FAILED {}: {}", r.scenario, r.verdict);
        }
        if rows.is_empty() {
            eprintln!("no scenario ran (CONNECT_RELIABILITY_ONLY selects none)");
        }
        ExitCode::FAILURE
    }
}
