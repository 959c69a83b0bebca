//! `bench-worker worker.properties connector.properties…`: a standalone worker that knows
//! the reference connectors plus this crate's `GeneratorSource` and `DiscardSink`, for
//! the framework-overhead figure (B3). Runs until SIGTERM or Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use connect_runtime::PluginRegistry;
use connect_runtime::standalone::Standalone;

fn main() -> ExitCode {
    connect_runtime::logging::init("warn");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((worker, connectors)) = args.split_first() else {
        eprintln!("usage: bench-worker worker.properties [connector.properties ...]");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let worker = PathBuf::from(worker);
    let connectors: Vec<PathBuf> = connectors.iter().map(PathBuf::from).collect();
    runtime.block_on(async move {
        let started = async {
            let mut registry = PluginRegistry::with_reference_connectors();
            registry.register(benches::connectors::plugins())?;
            let options = Standalone::options_from_files(&worker, &connectors)?;
            Standalone::start(options, registry).await
        }
        .await;
        let standalone = match started {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}", e.trace());
                return ExitCode::FAILURE;
            }
        };
        wait_for_signal().await;
        standalone.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
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
