//! The chain a connector's `transforms=…` / `predicates=…` settings build, from the
//! transformations and predicates of the [`PluginRegistry`]. Kafka's own (`RegexRouter`,
//! `InsertField`, `TopicNameMatches`, …) are in the `connect-transforms` crate.
//!
//! ```properties
//! transforms=route,onlyOrders
//! transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
//! transforms.route.regex=(.*)-raw
//! transforms.route.replacement=$1
//! transforms.onlyOrders.type=org.apache.kafka.connect.transforms.Filter
//! transforms.onlyOrders.predicate=isOrders
//! transforms.onlyOrders.negate=true
//! predicates=isOrders
//! predicates.isOrders.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches
//! predicates.isOrders.pattern=orders.*
//! ```

use connect_api::config::RawConfig;
use connect_api::record::ConnectRecord;
use connect_api::transform::{Predicate, Transformation};
use connect_api::{ConnectError, Result};

use crate::registry::{PluginRecord, PluginRegistry};

mod enrich;

pub use enrich::enrich;

/// Fails with every problem of one alias's own settings, each naming its full key
/// (`transforms.<alias>.<key>`), as validation reports them.
fn check_settings(
    prefix: &str,
    def: &connect_api::config::ConfigDef,
    masked: &[&str],
    raw: &RawConfig,
) -> Result<()> {
    let report = enrich::validate_settings(prefix, def, masked, raw);
    if report.is_valid() { Ok(()) } else { Err(report.to_errors().into()) }
}

struct Stage<R: ConnectRecord> {
    alias: String,
    class: String,
    transform: Box<dyn Transformation<R>>,
    predicate: Option<(Box<dyn Predicate<R>>, bool)>,
}

/// The transformations of one task, in order, each with its optional predicate.
pub struct TransformChain<R: ConnectRecord> {
    stages: Vec<Stage<R>>,
    /// The stage whose transformation failed last, for error reports.
    last_failed: usize,
}

impl<R: ConnectRecord> std::fmt::Debug for TransformChain<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stages.iter().map(|s| &s.alias)).finish()
    }
}

fn list(raw: &RawConfig, key: &str) -> Vec<String> {
    raw.get(key)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

fn settings(raw: &RawConfig, prefix: &str) -> RawConfig {
    raw.iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}

impl<R: PluginRecord> TransformChain<R> {
    /// No transformations.
    pub fn empty() -> Self {
        TransformChain { stages: Vec::new(), last_failed: 0 }
    }

    /// Builds the chain a connector config describes from the plugins of `registry`; an
    /// unknown class or a bad setting is a config error naming the full key
    /// (`transforms.<alias>.<key>`, `predicates.<alias>.<key>`): each plugin's settings
    /// are checked against its definition before it is configured.
    pub fn from_config(registry: &PluginRegistry, raw: &RawConfig) -> Result<Self> {
        let mut stages = Vec::new();
        for alias in list(raw, "transforms") {
            let prefix = format!("transforms.{alias}.");
            let mut own = settings(raw, &prefix);
            let class = own.remove("type").ok_or_else(|| {
                ConnectError::config(format!(
                    "Missing required configuration \"{prefix}type\" which has no default value."
                ))
            })?;
            let mut transform = registry.transformation::<R>(&class).map_err(|e| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {prefix}type: {}",
                    e.message()
                ))
            })?;
            let predicate_alias = own.remove("predicate");
            let negate =
                own.remove("negate").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            check_settings(&prefix, &transform.config_def(), &enrich::MASKED, raw)?;
            transform.configure(&own).map_err(|e| e.context(format!("transformation {alias}")))?;
            let predicate = match predicate_alias.filter(|p| !p.trim().is_empty()) {
                None => None,
                Some(p) => {
                    let p = p.trim().to_string();
                    if !list(raw, "predicates").contains(&p) {
                        return Err(ConnectError::config(format!(
                            "Invalid value {p} for configuration {prefix}predicate: the predicate is not listed in 'predicates'"
                        )));
                    }
                    let pprefix = format!("predicates.{p}.");
                    let mut pown = settings(raw, &pprefix);
                    let pclass = pown.remove("type").ok_or_else(|| {
                        ConnectError::config(format!("Missing required configuration \"{pprefix}type\" which has no default value."))
                    })?;
                    let mut pred = registry.predicate::<R>(&pclass).map_err(|e| {
                        ConnectError::config(format!(
                            "Invalid value {pclass} for configuration {pprefix}type: {}",
                            e.message()
                        ))
                    })?;
                    check_settings(&pprefix, &pred.config_def(), &[], raw)?;
                    pred.configure(&pown).map_err(|e| e.context(format!("predicate {p}")))?;
                    Some((pred, negate))
                }
            };
            stages.push(Stage { alias, class, transform, predicate });
        }
        Ok(TransformChain { stages, last_failed: 0 })
    }

    /// The class of the transformation that failed last (for error reports).
    pub fn last_failed_class(&self) -> &str {
        self.stages.get(self.last_failed).map_or("", |s| s.class.as_str())
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs a record through every stage; `Ok(None)` when one dropped it.
    pub fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        for (i, stage) in self.stages.iter_mut().enumerate() {
            if let Some((pred, negate)) = &stage.predicate
                && pred.test(&record) == *negate
            {
                continue;
            }
            let applied = stage.transform.apply(record).map_err(|e| {
                self.last_failed = i;
                e.context(format!("transformation {}", stage.alias))
            })?;
            match applied {
                Some(r) => record = r,
                None => return Ok(None),
            }
        }
        Ok(Some(record))
    }
}
