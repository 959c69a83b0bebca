//! The harness's command line.

use super::*;

pub(super) struct Opts {
    pub(super) scale: f64,
    pub(super) pairs: usize,
    pub(super) only: Option<Vec<String>>,
    pub(super) latency_secs: f64,
    /// `--broker mock`: the mock cluster even when Apache Kafka is given.
    pub(super) mock: bool,
    /// `--no-java`: no Java Kafka Connect column.
    pub(super) no_java: bool,
}

pub(super) fn parse_opts(args: &[String]) -> R<Opts> {
    let mut o =
        Opts { scale: 0.25, pairs: 3, only: None, latency_secs: 3.0, mock: false, no_java: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val =
            |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--scale" => o.scale = val("--scale")?.parse().map_err(|e| format!("--scale: {e}"))?,
            "--pairs" => o.pairs = val("--pairs")?.parse().map_err(|e| format!("--pairs: {e}"))?,
            "--latency-secs" => {
                o.latency_secs =
                    val("--latency-secs")?.parse().map_err(|e| format!("--latency-secs: {e}"))?
            }
            "--only" => {
                o.only = Some(val("--only")?.split(',').map(|s| s.trim().to_uppercase()).collect())
            }
            "--broker" => match val("--broker")?.as_str() {
                "mock" => o.mock = true,
                "kafka" => o.mock = false,
                other => return Err(format!("--broker takes mock or kafka, not {other}")),
            },
            "--no-java" => o.no_java = true,
            "-h" | "--help" => {
                return Err("usage: pipeline [--scale F] [--pairs N] [--only B1,B2,B3,B4,B5,B6,B7,B8,B9,B10,B12] [--latency-secs S] [--broker mock|kafka] [--no-java]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !o.scale.is_finite() || o.scale <= 0.0 || o.pairs == 0 {
        return Err("--scale must be > 0 and --pairs ≥ 1".into());
    }
    Ok(o)
}
