#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The connectors: configuration validation, task planning, offsets API, plugins.

mod common;

use std::collections::HashMap;

use common::raw;
use connect_api::connector::ExactlyOnceSupport;
use connect_api::context::ConnectorContext;
use connect_api::plugin::{PluginFactory, PluginKind};
use connect_api::record::{OffsetMap, TopicPartition};
use connect_api::{Connector, ErrorKind, SinkConnector, SourceConnector};
use connect_file::{
    FileStreamSinkConnector, FileStreamSourceConfig, FileStreamSourceConnector, plugins,
};

fn source_errors(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let report = FileStreamSourceConnector::new().validate(&raw(pairs));
    report.to_errors().errors().to_vec()
}

#[test]
fn a_missing_topic_is_reported_by_name() {
    let errors = source_errors(&[("file", "/tmp/x")]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "topic");
    assert!(errors[0].1.contains("\"topic\""), "{}", errors[0].1);

    let err = FileStreamSourceConfig::parse(&raw(&[("file", "/tmp/x")])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("topic"));
}

#[test]
fn a_topic_list_is_rejected_as_kafka_does() {
    let errors = source_errors(&[("topic", "a,b")]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "topic");
    assert_eq!(
        errors[0].1,
        "Invalid value a,b for configuration topic: 'topic' in FileStreamSourceConnector \
         configuration requires definition of a single topic"
    );
    let errors = source_errors(&[("topic", "  ")]);
    assert_eq!(errors[0].0, "topic");
    assert!(errors[0].1.contains("may not be empty"), "{}", errors[0].1);
}

#[test]
fn a_zero_batch_size_is_rejected() {
    let errors = source_errors(&[("topic", "t"), ("batch.size", "0")]);
    assert_eq!(
        errors,
        [(
            "batch.size".to_string(),
            "Invalid value 0 for configuration batch.size: Value must be at least 1".to_string()
        )]
    );
    let errors = source_errors(&[("topic", "t"), ("batch.size", "many")]);
    assert_eq!(errors[0].0, "batch.size");
}

#[test]
fn every_bad_key_is_reported_at_once() {
    let errors = source_errors(&[("batch.size", "-1")]);
    let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["topic", "batch.size"]);
}

#[test]
fn the_sink_accepts_the_runtime_keys() {
    let sink = FileStreamSinkConnector::new();
    for pairs in [
        &[("file", "/tmp/out"), ("topics", "a,b")][..],
        &[("topics.regex", "logs-.*")][..],
        &[][..],
    ] {
        let report = sink.validate(&raw(pairs));
        assert!(report.is_valid(), "{pairs:?}: {:?}", report.to_errors());
    }
    let names: Vec<String> = sink.config_def().names().map(str::to_string).collect();
    assert_eq!(names, ["file"]);
}

#[tokio::test]
async fn the_source_plans_exactly_one_task() {
    let mut connector = FileStreamSourceConnector::new();
    let config = raw(&[("file", "/tmp/in"), ("topic", "t"), ("tasks.max", "8")]);
    connector.start(ConnectorContext::new(|_| {}), config).await.unwrap();
    let tasks = connector.task_configs(8).await.unwrap();
    assert_eq!(tasks, [raw(&[("file", "/tmp/in"), ("topic", "t"), ("batch.size", "2000")])]);
    connector.stop().await.unwrap();
}

#[tokio::test]
async fn a_bad_config_fails_the_source_start() {
    let mut connector = FileStreamSourceConnector::new();
    let err =
        connector.start(ConnectorContext::new(|_| {}), raw(&[("topic", "a,b")])).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(connector.task_configs(1).await.is_err());
}

#[tokio::test]
async fn the_sink_plans_max_tasks_identical_tasks() {
    let mut connector = FileStreamSinkConnector::new();
    let config = raw(&[("file", "/tmp/out"), ("topics", "a")]);
    connector.start(ConnectorContext::new(|_| {}), config.clone()).await.unwrap();
    let tasks = connector.task_configs(3).await.unwrap();
    assert_eq!(tasks, vec![config; 3]);
}

#[tokio::test]
async fn exactly_once_needs_a_real_file() {
    let connector = FileStreamSourceConnector::new();
    assert_eq!(
        connector.exactly_once_support(&raw(&[("file", "/f"), ("topic", "t")])),
        Some(ExactlyOnceSupport::Supported)
    );
    assert_eq!(
        connector.exactly_once_support(&raw(&[("topic", "t")])),
        Some(ExactlyOnceSupport::Unsupported)
    );
}

#[tokio::test]
async fn altered_source_offsets_must_be_positions() {
    let mut connector = FileStreamSourceConnector::new();
    let config = raw(&[("file", "/f"), ("topic", "t")]);
    let part = OffsetMap::new().with("filename", "/f");
    let ok = HashMap::from([
        (part.clone(), Some(OffsetMap::new().with("position", 10i64))),
        (OffsetMap::new().with("junk", 1i64), None),
    ]);
    assert!(connector.alter_offsets(&config, &ok).await.unwrap());

    for (bad, what) in [
        (OffsetMap::new().with("pos", 1i64), "contain the key 'position'"),
        (OffsetMap::new().with("position", -1i64), "non-negative"),
        (OffsetMap::new().with("position", "1"), "Long value"),
    ] {
        let offsets = HashMap::from([(part.clone(), Some(bad))]);
        let err = connector.alter_offsets(&config, &offsets).await.unwrap_err();
        assert!(err.message().contains(what), "{}", err.message());
    }
    let no_filename = HashMap::from([(
        OffsetMap::new().with("file", "/f"),
        Some(OffsetMap::new().with("position", 1i64)),
    )]);
    assert!(connector.alter_offsets(&config, &no_filename).await.is_err());

    let stdin = raw(&[("topic", "t")]);
    let err = connector.alter_offsets(&stdin, &ok).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn the_sink_accepts_any_offset_change() {
    let mut connector = FileStreamSinkConnector::new();
    let offsets = HashMap::from([(TopicPartition::new("t", 0), Some(5i64))]);
    assert!(connector.alter_offsets(&raw(&[]), &offsets).await.unwrap());
}

#[test]
fn plugins_lists_both_connectors_under_all_their_names() {
    let plugins = plugins();
    assert_eq!(plugins.len(), 2);
    let source = &plugins[0];
    assert_eq!(source.kind(), PluginKind::Source);
    assert_eq!(source.class_name(), "org.apache.kafka.connect.file.FileStreamSourceConnector");
    assert_eq!(
        source.aliases(),
        [
            "FileStreamSource",
            "FileStreamSourceConnector",
            "connect_file::FileStreamSourceConnector"
        ]
    );
    let sink = &plugins[1];
    assert_eq!(sink.kind(), PluginKind::Sink);
    assert_eq!(sink.class_name(), "org.apache.kafka.connect.file.FileStreamSinkConnector");
    for name in
        ["FileStreamSink", "FileStreamSinkConnector", "connect_file::FileStreamSinkConnector"]
    {
        assert!(sink.matches(name), "{name}");
    }
    for p in &plugins {
        assert_eq!(p.version(), env!("CARGO_PKG_VERSION"));
    }
    match (source.factory(), sink.factory()) {
        (PluginFactory::Source(make_source), PluginFactory::Sink(make_sink)) => {
            let s = make_source();
            assert_eq!(s.version(), env!("CARGO_PKG_VERSION"));
            assert!(s.config_def().contains("batch.size"));
            assert!(make_sink().config_def().contains("file"));
            assert_eq!(s.create_task().version(), env!("CARGO_PKG_VERSION"));
        }
        _ => panic!("wrong factories"),
    }
}
