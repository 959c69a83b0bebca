//! Logging set-up shared by the binaries: a `tracing` subscriber on standard error,
//! filtered by `RUST_LOG` (or a default), with terminal colours only when standard error is
//! a terminal and `NO_COLOR` is unset, so log files and pipes get plain text.

use std::io::IsTerminal;

/// Whether log lines written to standard error may carry ANSI colour codes.
pub fn stderr_wants_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber: `RUST_LOG` if set, else `default_filter`
/// (e.g. `info,rdkafka=warn`). Does nothing if a subscriber is already installed.
pub fn init(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(stderr_wants_colour())
        .with_writer(std::io::stderr)
        .try_init();
}
