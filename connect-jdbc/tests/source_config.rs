//! Bad source configurations give validation errors naming the key, or a clear error
//! at start; never a panic. Also: the typed config agrees with its ConfigDef, and the
//! plugin answers to Confluent's names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod source_support;

use connect_api::Connector;
use connect_api::config::RawConfig;
use connect_jdbc::source::{JdbcSourceConfig, JdbcSourceConnector};
use source_support::raw;

fn errors_of(config: &RawConfig) -> Vec<(String, Vec<String>)> {
    let report = JdbcSourceConnector::new().validate(config);
    report
        .keys()
        .iter()
        .filter(|k| !k.errors.is_empty())
        .map(|k| (k.name.clone(), k.errors.clone()))
        .collect()
}

fn base(extra: &[(&str, &str)]) -> RawConfig {
    let mut c = raw(&[
        ("connection.url", "jdbc:postgresql://127.0.0.1:5432/test"),
        ("mode", "bulk"),
        ("topic.prefix", "p_"),
    ]);
    c.extend(raw(extra));
    c
}

#[test]
fn a_valid_config_has_no_errors_and_fits_the_typed_struct() {
    assert!(errors_of(&base(&[])).is_empty());
    let typed: JdbcSourceConfig =
        connect_testkit::check_typed_config(&JdbcSourceConfig::config_def(), &base(&[])).unwrap();
    assert_eq!(typed.batch_max_rows, 100);
    assert_eq!(typed.poll_interval_ms, 5000);
    assert_eq!(typed.table_poll_interval_ms, 60000);
    assert_eq!(typed.db_timezone, "UTC");
}

#[test]
fn missing_connection_url_names_the_key() {
    let mut c = base(&[]);
    c.remove("connection.url");
    let errors = errors_of(&c);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "connection.url");
    let e = JdbcSourceConfig::parse(&c).unwrap_err();
    assert!(e.message().contains("connection.url"), "{e}");
}

#[test]
fn unsupported_url_names_the_key() {
    let errors = errors_of(&base(&[("connection.url", "jdbc:oracle:thin:@h:1521:x")]));
    assert_eq!(errors[0].0, "connection.url", "{errors:?}");
}

#[test]
fn incrementing_mode_without_its_column_names_the_key() {
    let errors = errors_of(&base(&[("mode", "incrementing")]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "incrementing.column.name");
    let errors = errors_of(&base(&[("mode", "timestamp+incrementing")]));
    let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["incrementing.column.name", "timestamp.column.name"]);
}

#[test]
fn query_with_table_filters_names_the_filter() {
    let errors = errors_of(&base(&[("query", "SELECT 1"), ("table.whitelist", "users")]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "table.whitelist");
    assert!(errors[0].1[0].contains("query"), "{errors:?}");
}

#[test]
fn other_bad_values_name_their_keys() {
    for (key, value) in [
        ("mode", "sometimes"),
        ("mode", ""),
        ("numeric.mapping", "exact"),
        ("db.timezone", "Mars/Olympus"),
        ("batch.max.rows", "0"),
        ("quote.sql.identifiers", "maybe"),
        ("table.types", "TABLE,SHED"),
        ("table.include.list", "("),
    ] {
        let errors = errors_of(&base(&[(key, value)]));
        assert_eq!(errors.len(), 1, "{key}={value}: {errors:?}");
        assert_eq!(errors[0].0, key, "{key}={value}: {errors:?}");
    }
    let errors = errors_of(&base(&[("table.whitelist", "a"), ("table.blacklist", "b")]));
    assert_eq!(errors[0].0, "table.blacklist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_a_clear_error_at_start() {
    let mut connector = JdbcSourceConnector::new();
    let ctx = connect_testkit::MockConnectorContext::new();
    let config = base(&[
        ("connection.url", "jdbc:postgresql://127.0.0.1:1/test"),
        ("connection.attempts", "1"),
        ("connection.backoff.ms", "10"),
    ]);
    let e = connector.start(ctx.context(), config).await.unwrap_err();
    assert!(e.message().contains("127.0.0.1:1") && e.message().contains("1 attempt"), "{e}");
    assert!(e.is_retriable(), "{e}");
}

#[test]
fn the_plugin_answers_to_confluents_names() {
    let plugins = connect_jdbc::source::plugins();
    for name in [
        "io.confluent.connect.jdbc.JdbcSourceConnector",
        "JdbcSourceConnector",
        "JdbcSource",
        "connect_jdbc::JdbcSourceConnector",
    ] {
        assert!(plugins.iter().any(|p| p.matches(name)), "{name}");
    }
}
