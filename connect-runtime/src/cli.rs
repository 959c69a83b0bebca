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

use tracing::{error, info};

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
                _ = wait_for_signal() => {}
                _ = eof.wait_all_finished() => info!("every source task reached the end of its input"),
            }
        } else {
            wait_for_signal().await;
        }
        info!("stopping: committing offsets and closing tasks");
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
        wait_for_signal().await;
        info!("stopping: committing offsets, closing tasks, leaving the group");
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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
