//! Logging set-up shared by the binaries: a `tracing` subscriber on standard error,
//! filtered by `RUST_LOG` (or a default), with terminal colours only when standard error is
//! a terminal and `NO_COLOR` is unset, so log files and pipes get plain text. Its filter can
//! be changed while the process runs: [`log_control`] hands the REST API's
//! `/admin/loggers` a control that applies new levels to it.

use std::io::IsTerminal;
use std::sync::OnceLock;

use crate::rest::admin::LogControl;

/// Makes controls over the filter [`init`] installed.
type ControlFactory = Box<dyn Fn() -> LogControl + Send + Sync>;

static CONTROL: OnceLock<ControlFactory> = OnceLock::new();

/// Whether log lines written to standard error may carry ANSI colour codes.
pub fn stderr_wants_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber: `RUST_LOG` if set, else `default_filter`
/// (e.g. `info,rdkafka=warn`), with a filter [`log_control`] can change. Does nothing if a
/// subscriber is already installed.
pub fn init(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(stderr_wants_colour())
        .with_writer(std::io::stderr)
        .with_filter_reloading();
    let handle = builder.reload_handle();
    if builder.try_init().is_ok() {
        let _ = CONTROL.set(Box::new(move || LogControl::with_reload(handle.clone())));
    }
}

/// The `/admin/loggers` control for this process: one that changes the filter of the
/// subscriber [`init`] installed, or, without it, one that only remembers levels.
pub fn log_control() -> LogControl {
    CONTROL.get().map_or_else(LogControl::new, |make| make())
}
