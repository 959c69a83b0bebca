//! Topic creation for source connectors (Kafka's KIP-158): a connector config with
//! `topic.creation.*` keys (and a worker with `topic.creation.enable=true`, the default)
//! has the topics its records go to created with the settings of the first group that
//! matches, before the first record is sent.
//!
//! ```properties
//! topic.creation.groups=compacted
//! topic.creation.default.replication.factor=3
//! topic.creation.default.partitions=5
//! topic.creation.compacted.include=status-.*,config-.*
//! topic.creation.compacted.partitions=1
//! topic.creation.compacted.cleanup.policy=compact
//! ```
//!
//! Groups are tried in the order `topic.creation.groups` lists them, then `default`
//! (which includes every topic). A group matches a topic that one of its `include`
//! regexes matches whole and none of its `exclude` regexes does. A group without
//! `replication.factor` or `partitions` takes the default group's; `-1` means the
//! broker's default. Every other `topic.creation.<group>.<key>` is a topic config.

use connect_api::config::{ConfigReport, RawConfig};
use connect_api::{ConnectError, Result};
use regex::Regex;

use crate::kafka::TopicSpec;

const PREFIX: &str = "topic.creation.";
const DEFAULT: &str = "default";
const OWN_KEYS: [&str; 4] = ["include", "exclude", "replication.factor", "partitions"];

/// One group of topic settings.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    include: Option<Regex>,
    exclude: Option<Regex>,
    partitions: i32,
    replication: i16,
    configs: Vec<(String, String)>,
}

impl Group {
    fn matches(&self, topic: &str) -> bool {
        self.include.as_ref().is_some_and(|r| r.is_match(topic))
            && !self.exclude.as_ref().is_some_and(|r| r.is_match(topic))
    }
}

/// The topic creation rules of one source connector.
#[derive(Debug, Clone)]
pub struct TopicCreation {
    groups: Vec<Group>,
    default: Group,
}

/// One problem with a key, for `validate`.
type KeyError = (String, String);

fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

/// The regexes of a list key, joined into one that must match a whole topic name; `None`
/// for an empty list (which matches nothing).
fn patterns(key: &str, value: Option<&String>, errors: &mut Vec<KeyError>) -> Option<Regex> {
    let items = list(value?);
    if items.is_empty() {
        return None;
    }
    for item in &items {
        if let Err(e) = Regex::new(item) {
            errors.push((
                key.to_string(),
                format!("Invalid value {item} for configuration {key}: Syntax error in regular expression: {e}"),
            ));
            return None;
        }
    }
    Regex::new(&format!("^(?:{})$", items.join("|"))).ok()
}

fn number<T: std::str::FromStr + PartialOrd + From<i8> + Copy>(
    key: &str,
    value: Option<&String>,
    what: &str,
    errors: &mut Vec<KeyError>,
) -> Option<T> {
    let v = value?.trim();
    match v.parse::<T>() {
        Ok(n) if n >= T::from(1) || n == T::from(-1) => Some(n),
        _ => {
            errors.push((
                key.to_string(),
                format!("Invalid value {v} for configuration {key}: {what} must be positive, or -1 to use the broker's default"),
            ));
            None
        }
    }
}

impl TopicCreation {
    /// Whether a connector config asks for topic creation (has a `topic.creation.` key).
    pub fn requested(raw: &RawConfig) -> bool {
        raw.keys().any(|k| k.starts_with(PREFIX))
    }

    /// The rules of a connector config; `None` when it has no `topic.creation.` key or
    /// the worker disabled topic creation (`worker_enabled`). A bad or missing key is a
    /// config error naming it.
    pub fn from_config(worker_enabled: bool, raw: &RawConfig) -> Result<Option<TopicCreation>> {
        if !worker_enabled || !Self::requested(raw) {
            return Ok(None);
        }
        let (rules, errors) = Self::parse(raw);
        match errors.into_iter().next() {
            Some((_, message)) => Err(ConnectError::config(message)),
            None => Ok(rules),
        }
    }

    /// Adds the problems of a connector config's `topic.creation.*` keys to a report
    /// (for `validate`), each on its key.
    pub fn validate_into(raw: &RawConfig, report: &mut ConfigReport) {
        if !Self::requested(raw) {
            return;
        }
        for (key, message) in Self::parse(raw).1 {
            report.add_error(&key, message);
        }
    }

    fn parse(raw: &RawConfig) -> (Option<TopicCreation>, Vec<KeyError>) {
        let mut errors = Vec::new();
        let key = |g: &str, k: &str| format!("{PREFIX}{g}.{k}");
        let mut names: Vec<String> =
            raw.get("topic.creation.groups").map(|v| list(v)).unwrap_or_default();
        names.retain(|n| n != DEFAULT);
        let group = |name: &str, errors: &mut Vec<KeyError>, fallback: Option<&Group>| {
            let rf_key = key(name, "replication.factor");
            let parts_key = key(name, "partitions");
            let replication =
                number::<i16>(&rf_key, raw.get(&rf_key), "Replication factor", errors)
                    .or(fallback.map(|d| d.replication));
            let partitions =
                number::<i32>(&parts_key, raw.get(&parts_key), "Number of partitions", errors)
                    .or(fallback.map(|d| d.partitions));
            for (k, value) in [(&rf_key, replication.is_some()), (&parts_key, partitions.is_some())]
            {
                if !value && raw.get(k).is_none() {
                    errors.push((
                        k.clone(),
                        format!(
                            "Missing required configuration \"{k}\" which has no default value."
                        ),
                    ));
                }
            }
            let include_key = key(name, "include");
            let include = if name == DEFAULT && raw.get(&include_key).is_none() {
                Regex::new("^(?:.*)$").ok()
            } else {
                patterns(&include_key, raw.get(&include_key), errors)
            };
            let exclude_key = key(name, "exclude");
            let exclude = patterns(&exclude_key, raw.get(&exclude_key), errors);
            let own = format!("{PREFIX}{name}.");
            let configs = raw
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&own).map(|c| (c.to_string(), v.clone())))
                .filter(|(c, _)| !OWN_KEYS.contains(&c.as_str()))
                .collect();
            Group {
                name: name.to_string(),
                include,
                exclude,
                partitions: partitions.unwrap_or(-1),
                replication: replication.unwrap_or(-1),
                configs,
            }
        };
        let default = group(DEFAULT, &mut errors, None);
        let groups = names.iter().map(|n| group(n, &mut errors, Some(&default))).collect();
        let rules = errors.is_empty().then_some(TopicCreation { groups, default });
        (rules, errors)
    }

    /// The name of the group whose settings `topic` gets.
    pub fn group_of(&self, topic: &str) -> &str {
        &self.group(topic).name
    }

    fn group(&self, topic: &str) -> &Group {
        self.groups.iter().find(|g| g.matches(topic)).unwrap_or(&self.default)
    }

    /// How `topic` is to be created.
    pub fn spec_for(&self, topic: &str) -> TopicSpec {
        let g = self.group(topic);
        TopicSpec {
            name: topic.to_string(),
            partitions: (g.partitions != -1).then_some(g.partitions),
            replication: (g.replication != -1).then_some(g.replication),
            configs: g.configs.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Kafka's documented example (KIP-158).
    fn kip_example() -> RawConfig {
        raw(&[
            ("topic.creation.groups", "inorder,compacted"),
            ("topic.creation.default.replication.factor", "3"),
            ("topic.creation.default.partitions", "5"),
            ("topic.creation.inorder.include", "status, orders.*"),
            ("topic.creation.inorder.partitions", "1"),
            ("topic.creation.compacted.include", "configurations.*"),
            ("topic.creation.compacted.exclude", "configurations.old"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.default.retention.ms", "86400000"),
        ])
    }

    #[test]
    fn topics_get_the_first_matching_group_and_default_values_fill_in() {
        let rules = TopicCreation::from_config(true, &kip_example()).unwrap().unwrap();
        let orders = rules.spec_for("orders-2026");
        assert_eq!((orders.partitions, orders.replication), (Some(1), Some(3)));
        assert!(orders.configs.is_empty());
        assert_eq!(rules.group_of("status"), "inorder");
        // "status" must match whole: "statuses" falls to the default group.
        assert_eq!(rules.group_of("statuses"), "default");
        let conf = rules.spec_for("configurations.users");
        assert_eq!((conf.partitions, conf.replication), (Some(5), Some(3)));
        assert_eq!(conf.configs, vec![("cleanup.policy".to_string(), "compact".to_string())]);
        assert_eq!(rules.group_of("configurations.old"), "default", "exclude wins");
        let other = rules.spec_for("clicks");
        assert_eq!(other.configs, vec![("retention.ms".to_string(), "86400000".to_string())]);
        assert_eq!((other.partitions, other.replication), (Some(5), Some(3)));
    }

    #[test]
    fn minus_one_means_the_brokers_default_and_the_worker_can_turn_it_off() {
        let cfg = raw(&[
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.default.partitions", "-1"),
        ]);
        let spec = TopicCreation::from_config(true, &cfg).unwrap().unwrap().spec_for("t");
        assert_eq!((spec.partitions, spec.replication), (None, None));
        assert!(TopicCreation::from_config(false, &cfg).unwrap().is_none());
        assert!(TopicCreation::from_config(true, &raw(&[("topic", "x")])).unwrap().is_none());
    }

    #[test]
    fn bad_and_missing_keys_are_named() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("topic.creation.default.partitions", "3")],
                "topic.creation.default.replication.factor",
            ),
            (
                &[
                    ("topic.creation.default.partitions", "0"),
                    ("topic.creation.default.replication.factor", "1"),
                ],
                "topic.creation.default.partitions",
            ),
            (
                &[
                    ("topic.creation.default.partitions", "1"),
                    ("topic.creation.default.replication.factor", "x"),
                ],
                "topic.creation.default.replication.factor",
            ),
            (
                &[
                    ("topic.creation.default.partitions", "1"),
                    ("topic.creation.default.replication.factor", "1"),
                    ("topic.creation.groups", "g"),
                    ("topic.creation.g.include", "a(b"),
                ],
                "topic.creation.g.include",
            ),
        ];
        for (pairs, key) in cases {
            let cfg = raw(pairs);
            let e = TopicCreation::from_config(true, &cfg).unwrap_err();
            assert!(e.message().contains(key), "{key}: {e}");
            let mut report = ConfigReport::default();
            TopicCreation::validate_into(&cfg, &mut report);
            assert!(report.get(key).is_some_and(|k| !k.errors.is_empty()), "{key}");
        }
    }
}
