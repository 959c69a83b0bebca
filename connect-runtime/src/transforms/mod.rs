//! Single message transformations and predicates: the built-in ones (Kafka's class names)
//! and the chain a connector's `transforms=…` / `predicates=…` settings build.
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

mod fields;
mod predicates;
mod route;

use connect_api::config::RawConfig;
use connect_api::record::ConnectRecord;
use connect_api::transform::{Predicate, Transformation};
use connect_api::{ConnectError, Result};

pub use fields::{ExtractField, HoistField, InsertField, ReplaceField, Side};
pub use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
pub use route::{Filter, RegexRouter};

/// Kafka's class names of the built-in transformations this runtime provides.
pub const TRANSFORMATION_CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.RegexRouter",
    "org.apache.kafka.connect.transforms.Filter",
    "org.apache.kafka.connect.transforms.InsertField$Key",
    "org.apache.kafka.connect.transforms.InsertField$Value",
    "org.apache.kafka.connect.transforms.ReplaceField$Key",
    "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "org.apache.kafka.connect.transforms.HoistField$Key",
    "org.apache.kafka.connect.transforms.HoistField$Value",
    "org.apache.kafka.connect.transforms.ExtractField$Key",
    "org.apache.kafka.connect.transforms.ExtractField$Value",
];

/// Kafka's class names of the built-in predicates.
pub const PREDICATE_CLASSES: &[&str] = &[
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
];

fn short(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// A built-in transformation by class name (Kafka's full name or the short one, with
/// `$Key`/`$Value` where the transformation has both).
pub fn transformation_by_name<R: ConnectRecord>(class: &str) -> Option<Box<dyn Transformation<R>>> {
    let t: Box<dyn Transformation<R>> = match short(class.trim()) {
        "RegexRouter" => Box::new(RegexRouter::default()),
        "Filter" => Box::new(Filter),
        "InsertField$Key" => Box::new(InsertField::new(Side::Key)),
        "InsertField$Value" => Box::new(InsertField::new(Side::Value)),
        "ReplaceField$Key" => Box::new(ReplaceField::new(Side::Key)),
        "ReplaceField$Value" => Box::new(ReplaceField::new(Side::Value)),
        "HoistField$Key" => Box::new(HoistField::new(Side::Key)),
        "HoistField$Value" => Box::new(HoistField::new(Side::Value)),
        "ExtractField$Key" => Box::new(ExtractField::new(Side::Key)),
        "ExtractField$Value" => Box::new(ExtractField::new(Side::Value)),
        _ => return None,
    };
    Some(t)
}

/// A built-in predicate by class name.
pub fn predicate_by_name<R: ConnectRecord>(class: &str) -> Option<Box<dyn Predicate<R>>> {
    let p: Box<dyn Predicate<R>> = match short(class.trim()) {
        "TopicNameMatches" => Box::new(TopicNameMatches::default()),
        "HasHeaderKey" => Box::new(HasHeaderKey::default()),
        "RecordIsTombstone" => Box::new(RecordIsTombstone),
        _ => return None,
    };
    Some(p)
}

struct Stage<R: ConnectRecord> {
    alias: String,
    transform: Box<dyn Transformation<R>>,
    predicate: Option<(Box<dyn Predicate<R>>, bool)>,
}

/// The transformations of one task, in order, each with its optional predicate.
pub struct TransformChain<R: ConnectRecord> {
    stages: Vec<Stage<R>>,
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

impl<R: ConnectRecord> TransformChain<R> {
    /// No transformations.
    pub fn empty() -> Self {
        TransformChain { stages: Vec::new() }
    }

    /// Builds the chain a connector config describes; an unknown class or a bad setting
    /// is a config error naming the alias and key.
    pub fn from_config(raw: &RawConfig) -> Result<Self> {
        let mut stages = Vec::new();
        for alias in list(raw, "transforms") {
            let prefix = format!("transforms.{alias}.");
            let mut own = settings(raw, &prefix);
            let class = own.remove("type").ok_or_else(|| {
                ConnectError::config(format!(
                    "Missing required configuration \"{prefix}type\" which has no default value."
                ))
            })?;
            let mut transform = transformation_by_name::<R>(&class).ok_or_else(|| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {prefix}type: Class {class} could not be found."
                ))
            })?;
            let predicate_alias = own.remove("predicate");
            let negate =
                own.remove("negate").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
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
                    let mut pred = predicate_by_name::<R>(&pclass).ok_or_else(|| {
                        ConnectError::config(format!(
                            "Invalid value {pclass} for configuration {pprefix}type: Class {pclass} could not be found."
                        ))
                    })?;
                    pred.configure(&pown).map_err(|e| e.context(format!("predicate {p}")))?;
                    Some((pred, negate))
                }
            };
            stages.push(Stage { alias, transform, predicate });
        }
        Ok(TransformChain { stages })
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs a record through every stage; `Ok(None)` when one dropped it.
    pub fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        for stage in &mut self.stages {
            if let Some((pred, negate)) = &stage.predicate
                && pred.test(&record) == *negate
            {
                continue;
            }
            match stage
                .transform
                .apply(record)
                .map_err(|e| e.context(format!("transformation {}", stage.alias)))?
            {
                Some(r) => record = r,
                None => return Ok(None),
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests;
