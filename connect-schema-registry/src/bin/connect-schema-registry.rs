//! `connect-schema-registry --listeners http://127.0.0.1:8081 [registry.properties]`:
//! a Confluent-compatible schema registry. Without `kafkastore.bootstrap.servers` in the
//! properties it keeps its schemas in memory and says so.

use std::process::ExitCode;

use connect_schema_registry::{RegistryConfig, serve};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

const USAGE: &str =
    "usage: connect-schema-registry [--listeners http://host:port] [registry.properties]";

async fn run() -> Result<(), String> {
    let mut listeners: Option<String> = None;
    let mut file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listeners" => listeners = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            a if a.starts_with("--listeners=") => {
                listeners = Some(a.trim_start_matches("--listeners=").to_string());
            }
            a if a.starts_with('-') => return Err(format!("unknown option {a}\n{USAGE}")),
            a if file.is_none() => file = Some(a.to_string()),
            _ => return Err(USAGE.to_string()),
        }
    }
    let mut config = match &file {
        Some(f) => RegistryConfig::load(std::path::Path::new(f)).map_err(|e| e.message)?,
        None => RegistryConfig::default(),
    };
    if let Some(l) = listeners {
        config.listeners = vec![l];
    }
    let addr = config.bind_address().map_err(|e| e.message)?;
    if config.kafka.is_none() {
        tracing::warn!(
            "no kafkastore.bootstrap.servers given: schemas are kept in memory and lost on exit"
        );
    }
    let registry = config.open_registry().await.map_err(|e| e.message)?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        url = %format!("http://{local}"),
        store = %registry.describe_store(),
        compatibility = %config.compatibility,
        "schema registry started"
    );
    let shutdown = CancellationToken::new();
    let s = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("stopping");
        }
        s.cancel();
    });
    serve(registry, listener, shutdown).await.map_err(|e| format!("server failed: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colours on a terminal only: log files and pipes get plain text.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("connect-schema-registry: {e}");
            ExitCode::FAILURE
        }
    }
}
