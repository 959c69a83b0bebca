//! [`run`]: the `connect-standalone` command, for any set of plugins. The shipped binary,
//! the benchmarks' worker and a program that embeds the runtime call it with their own
//! [`PluginRegistry`]:
//!
//! ```no_run
//! use connect_runtime::PluginRegistry;
//!
//! fn main() -> std::process::ExitCode {
//!     let mut registry = PluginRegistry::new();
//!     // registry.register(my_connector::plugins()).unwrap();
//!     connect_runtime::cli::run(registry, std::env::args().skip(1).collect())
//! }
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tracing::{error, info, warn};

use crate::config::worker::WorkerConfig;

use crate::registry::PluginRegistry;
use crate::standalone::Standalone;

/// The command line `run` takes.
pub const USAGE: &str =
    "usage: connect-standalone worker.properties [connector1.properties connector2.json ...]";

/// Runs a standalone worker as `connect-standalone` does: `args` (the arguments after the
/// program name) are the worker config file and connector config files. Logs to standard
/// error (`RUST_LOG`, else the worker file's `log.filter`, else `info,rdkafka=warn`; as
/// JSON lines with `log.format=json`), stops on SIGINT or SIGTERM, or, in bounded
/// mode (`exit.on.source.eof=true`), once every source task read all its input and every
/// record was acknowledged; offsets are committed on the way out.
pub fn run(registry: PluginRegistry, args: Vec<String>) -> ExitCode {
    if !init_logging(args.first()) {
        return ExitCode::FAILURE;
    }
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("{USAGE}");
        return if args.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS };
    }
    block_on(async move {
        let mut signals = StopSignals::new();
        let worker_file = PathBuf::from(&args[0]);
        let connector_files: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();
        let started = async {
            let options = Standalone::options_from_files(&worker_file, &connector_files)?;
            Standalone::start(options, registry).await
        }
        .await;
        let standalone = match started {
            Ok(s) => s,
            Err(e) => {
                error!("{}", e.trace());
                return ExitCode::FAILURE;
            }
        };
        info!(rest = %standalone.rest_url(), "Kafka Connect standalone worker started; Ctrl-C to stop");
        if standalone.worker().config().exit_on_source_eof() {
            let eof = standalone.worker().end_of_input().clone();
            info!(
                "bounded mode (exit.on.source.eof=true): stopping once every source task read all its input and every record was acknowledged"
            );
            tokio::select! {
                _ = signals.recv() => {}
                _ = eof.wait_all_finished() => info!("every source task reached the end of its input"),
            }
        } else {
            signals.recv().await;
        }
        info!("stopping: committing offsets and closing tasks");
        arm_exit_watchdog(standalone.worker().config(), signals);
        standalone.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// The command line [`run_distributed`] takes.
#[cfg(feature = "distributed")]
pub const DISTRIBUTED_USAGE: &str = "usage: connect-distributed worker.properties";

/// Runs a distributed worker as `connect-distributed` does: `args` is the worker config
/// file. It joins the Connect cluster of its `group.id` on the Kafka cluster of its
/// `bootstrap.servers`, serves the REST API, and leaves the group on SIGINT or SIGTERM.
#[cfg(feature = "distributed")]
pub fn run_distributed(registry: PluginRegistry, args: Vec<String>) -> ExitCode {
    if !init_logging(args.first()) {
        return ExitCode::FAILURE;
    }
    if args.len() != 1 || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("{DISTRIBUTED_USAGE}");
        return if args.iter().any(|a| a == "-h" || a == "--help") {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    block_on(async move {
        let mut signals = StopSignals::new();
        let worker = match crate::distributed::Distributed::start_from_file(
            &PathBuf::from(&args[0]),
            registry,
        )
        .await
        {
            Ok(w) => w,
            Err(e) => {
                error!("{}", e.trace());
                return ExitCode::FAILURE;
            }
        };
        info!(rest = %worker.rest_url(), "Kafka Connect distributed worker started; Ctrl-C to stop");
        signals.recv().await;
        info!("stopping: committing offsets, closing tasks, leaving the group");
        arm_exit_watchdog(worker.herder().worker().config(), signals);
        worker.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// Sets up logging from the worker file's `log.filter` and `log.format` (`RUST_LOG` wins
/// over the file). A file that cannot be read is reported later, when the worker starts;
/// a bad `log.*` value is reported now, and `false` returned.
fn init_logging(worker_file: Option<&String>) -> bool {
    const DEFAULT: &str = "info,rdkafka=warn";
    let raw = worker_file.and_then(|f| crate::properties::load_file(std::path::Path::new(f)).ok());
    match raw.as_ref().map(crate::logging::LogSettings::from_config).transpose() {
        Ok(settings) => {
            crate::logging::init_with(DEFAULT, &settings.unwrap_or_default());
            true
        }
        Err(e) => {
            crate::logging::init(DEFAULT);
            error!("{}", e.trace());
            false
        }
    }
}

/// How long a stopping worker may take before the process ends anyway: a connector may
/// take `task.shutdown.graceful.timeout.ms` to leave its own code, its tasks as long
/// again to stop and commit, and the connector's `stop` as long once more (connectors
/// stop side by side); the last offset flush `offset.flush.timeout.ms`; the REST server
/// its drain; plus a margin for closing the Kafka clients.
pub fn exit_deadline(config: &WorkerConfig) -> Duration {
    let graceful = config.graceful_shutdown_timeout().max(Duration::from_secs(1));
    3 * graceful
        + config.offset_flush_timeout()
        + crate::rest::server::REST_DRAIN
        + Duration::from_secs(10)
}

/// Called once the worker starts stopping: ends the process if it has not ended within
/// [`exit_deadline`], whatever a plugin or a Kafka client is still doing (a client whose
/// close waits on a broker that went away, a task blocked in a system call), so that a
/// supervisor waiting for the exit never waits forever; and ends it at once on a second
/// SIGINT or SIGTERM. Offsets that could be committed were committed by then.
fn arm_exit_watchdog(config: &WorkerConfig, mut signals: StopSignals) {
    let deadline = exit_deadline(config);
    let spawned = std::thread::Builder::new().name("exit-watchdog".into()).spawn(move || {
        std::thread::sleep(deadline);
        error!(
            "the worker did not finish stopping within {deadline:?} of the stop signal (a task, connector or Kafka client is stuck; see the warnings above): exiting now"
        );
        std::process::exit(1);
    });
    if let Err(e) = spawned {
        warn!(error = %e, "cannot start the exit watchdog; a stuck plugin may keep the process alive");
    }
    tokio::spawn(async move {
        signals.recv().await;
        warn!("second stop signal: exiting now, without waiting for tasks to stop");
        std::process::exit(130);
    });
}

/// Runs a command's body on a multi-threaded tokio runtime.
fn block_on(body: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => {
            let code = runtime.block_on(body);
            // The worker stopped cleanly (offsets committed, clients flushed and closed).
            // What may still run are blocking lookups (the REST server's cluster-id
            // query), whose client takes up to a second to close: do not wait for them.
            runtime.shutdown_background();
            code
        }
        Err(e) => {
            error!(error = %e, "cannot start the async runtime");
            ExitCode::FAILURE
        }
    }
}

/// SIGINT (Ctrl-C) and SIGTERM, listened to from the moment this is made: a signal that
/// arrives while nobody waits is kept for the next [`StopSignals::recv`], so a second
/// signal sent while the worker is stopping is never missed.
pub struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Starts listening (on a tokio runtime).
    pub fn new() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Resolves on the next SIGINT or SIGTERM.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let term = async {
                match self.term.as_mut() {
                    Some(t) => t.recv().await,
                    None => std::future::pending().await,
                }
            };
            let int = async {
                match self.int.as_mut() {
                    Some(i) => i.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = term => {}
                _ = int => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

impl Default for StopSignals {
    fn default() -> Self {
        StopSignals::new()
    }
}
