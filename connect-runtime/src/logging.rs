//! Logging set-up shared by the binaries: a `tracing` subscriber on standard error,
//! filtered by `RUST_LOG`, else the worker file's `log.filter`, else a default; as text
//! (with terminal colours only when standard error is a terminal and `NO_COLOR` is unset,
//! so log files and pipes get plain text) or, with `log.format=json`, one JSON object per
//! line. Its filter can be changed while the process runs: [`log_control`] hands the REST
//! API's `/admin/loggers` a control that applies new levels to it.

use std::io::IsTerminal;
use std::sync::OnceLock;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};

use crate::rest::admin::LogControl;

/// Makes controls over the filter [`init`] installed.
type ControlFactory = Box<dyn Fn() -> LogControl + Send + Sync>;

static CONTROL: OnceLock<ControlFactory> = OnceLock::new();

/// The worker config key of the log filter (`RUST_LOG` syntax).
pub const LOG_FILTER: &str = "log.filter";
/// The worker config key of the log format (`text` or `json`).
pub const LOG_FORMAT: &str = "log.format";

/// How a worker logs, from its config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    /// `log.filter`: directives in `RUST_LOG` syntax (`info,connect_runtime::task=debug`).
    pub filter: Option<String>,
    /// `log.format=json`: one JSON object per line instead of text.
    pub json: bool,
}

impl LogSettings {
    /// Reads `log.filter` and `log.format` from a worker config; a bad value is an error
    /// naming its key.
    pub fn from_config(config: &RawConfig) -> Result<LogSettings> {
        let filter = config.get(LOG_FILTER).map(|f| f.trim()).filter(|f| !f.is_empty());
        if let Some(f) = filter {
            tracing_subscriber::EnvFilter::try_new(f).map_err(|e| {
                ConnectError::config(format!(
                    "Invalid value {f} for configuration {LOG_FILTER}: {e}"
                ))
            })?;
        }
        let json = match config.get(LOG_FORMAT).map(|f| f.trim()) {
            None | Some("" | "text") => false,
            Some("json") => true,
            Some(f) => {
                return Err(ConnectError::config(format!(
                    "Invalid value {f} for configuration {LOG_FORMAT}: String must be one of: text, json"
                )));
            }
        };
        Ok(LogSettings { filter: filter.map(String::from), json })
    }
}

/// Whether log lines written to standard error may carry ANSI colour codes.
pub fn stderr_wants_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber: `RUST_LOG` if set, else `default_filter`
/// (e.g. `info,rdkafka=warn`), as text, with a filter [`log_control`] can change. Does
/// nothing if a subscriber is already installed.
pub fn init(default_filter: &str) {
    init_with(default_filter, &LogSettings::default());
}

/// [`init`] with a worker file's settings: `RUST_LOG` if set, else `settings.filter`, else
/// `default_filter`; JSON lines when `settings.json`.
pub fn init_with(default_filter: &str, settings: &LogSettings) {
    let from_file = settings.filter.as_deref().unwrap_or(default_filter);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(from_file))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if settings.json {
        let builder = builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_filter_reloading();
        let handle = builder.reload_handle();
        if builder.try_init().is_ok() {
            let _ = CONTROL.set(Box::new(move || LogControl::with_reload(handle.clone())));
        }
    } else {
        let builder = builder.with_ansi(stderr_wants_colour()).with_filter_reloading();
        let handle = builder.reload_handle();
        if builder.try_init().is_ok() {
            let _ = CONTROL.set(Box::new(move || LogControl::with_reload(handle.clone())));
        }
    }
}

/// The `/admin/loggers` control for this process: one that changes the filter of the
/// subscriber [`init`] installed, or, without it, one that only remembers levels.
pub fn log_control() -> LogControl {
    CONTROL.get().map_or_else(LogControl::new, |make| make())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn settings_read_filter_and_format_and_name_bad_values() {
        assert_eq!(LogSettings::from_config(&raw(&[])).unwrap(), LogSettings::default());
        let s = LogSettings::from_config(&raw(&[
            ("log.filter", "warn,connect_runtime::task=debug"),
            ("log.format", "json"),
        ]))
        .unwrap();
        assert_eq!(s.filter.as_deref(), Some("warn,connect_runtime::task=debug"));
        assert!(s.json);
        let e = LogSettings::from_config(&raw(&[("log.format", "xml")])).unwrap_err();
        assert!(e.message().contains("log.format") && e.message().contains("xml"), "{e}");
        let e = LogSettings::from_config(&raw(&[("log.filter", "a=notalevel")])).unwrap_err();
        assert!(e.message().contains("log.filter"), "{e}");
    }
}
