//! Proptest strategies of fuzzed inputs, shared by `tests/fuzzed_inputs.rs` and
//! `tests/fuzzed_rest.rs`: JSON of any shape biased towards Kafka's vocabulary, mutations
//! of JSON trees, properties text and connector configs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connect_api::config::RawConfig;
use connect_runtime::converters::json::{schema_to_json, value_to_json};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use serde_json::Value as Json;

use crate::fuzz_checks::{cases, secrets};

/// The budget of each property: `cases` inputs from a fixed seed, no persisted failures
/// (a failure prints its minimal input; add it to a unit test).
pub fn budget(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x18_05),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

/// Words of Kafka's JSON schema form, of connector configs and of JSON itself, which
/// random text would seldom hit.
pub const WORDS: &[&str] = &[
    "type",
    "optional",
    "fields",
    "field",
    "name",
    "version",
    "doc",
    "default",
    "parameters",
    "keys",
    "values",
    "items",
    "schema",
    "payload",
    "int8",
    "int16",
    "int32",
    "int64",
    "float",
    "float32",
    "float64",
    "double",
    "boolean",
    "string",
    "bytes",
    "array",
    "map",
    "struct",
    "org.apache.kafka.connect.data.Decimal",
    "org.apache.kafka.connect.data.Date",
    "org.apache.kafka.connect.data.Time",
    "org.apache.kafka.connect.data.Timestamp",
    "scale",
    "connect.decimal.precision",
    "",
    "null",
    "true",
    "1e400",
    "-0",
    "NaN",
];

/// One of [`WORDS`].
pub fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

/// Any JSON, biased towards the schema vocabulary.
pub fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        word().prop_map(Json::from),
        any::<String>().prop_map(Json::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((prop_oneof![word(), "[a-z]{1,4}"], inner), 0..4)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// A change to a JSON tree: at the `at`-th node (pre-order), replace it, drop one of
/// its members, add a member, or swap a string for a schema word.
#[derive(Debug, Clone)]
pub enum Mutation {
    Replace(usize, Json),
    Drop(usize, usize),
    Add(usize, String, Json),
    Word(usize, String),
}

/// Any [`Mutation`].
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), json()).prop_map(|(at, j)| Mutation::Replace(at, j)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, i)| Mutation::Drop(at, i)),
        (any::<usize>(), word(), json()).prop_map(|(at, k, j)| Mutation::Add(at, k, j)),
        (any::<usize>(), word()).prop_map(|(at, w)| Mutation::Word(at, w)),
    ]
}

/// The number of nodes of `j`.
fn count(j: &Json) -> usize {
    1 + match j {
        Json::Array(a) => a.iter().map(count).sum(),
        Json::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`-th node of `j` in pre-order.
fn node(j: &mut Json, n: usize) -> Option<&mut Json> {
    if n == 0 {
        return Some(j);
    }
    let mut n = n - 1;
    let children: Vec<&mut Json> = match j {
        Json::Array(a) => a.iter_mut().collect(),
        Json::Object(o) => o.values_mut().collect(),
        _ => return None,
    };
    for c in children {
        let size = count(c);
        if n < size {
            return node(c, n);
        }
        n -= size;
    }
    None
}

/// `j` with `mutations` applied in turn (one whose node does not fit does nothing).
pub fn mutate(mut j: Json, mutations: &[Mutation]) -> Json {
    for m in mutations {
        let total = count(&j);
        let (Mutation::Replace(at, _)
        | Mutation::Drop(at, _)
        | Mutation::Add(at, _, _)
        | Mutation::Word(at, _)) = m;
        let Some(target) = node(&mut j, at % total) else { continue };
        match (m, target) {
            (Mutation::Replace(_, with), t) => *t = with.clone(),
            (Mutation::Drop(_, i), Json::Object(o)) if !o.is_empty() => {
                let key = o.keys().nth(i % o.len()).cloned().unwrap();
                o.remove(&key);
            }
            (Mutation::Add(_, k, v), Json::Object(o)) => {
                o.insert(k.clone(), v.clone());
            }
            (Mutation::Word(_, w), t @ Json::String(_)) => *t = Json::String(w.clone()),
            _ => {}
        }
    }
    j
}

/// A generated schema's JSON, mutated, with its value's JSON.
pub fn mutated_envelope() -> impl Strategy<Value = (Json, Json)> {
    (prop::collection::vec(any::<u8>(), 0..96), prop::collection::vec(mutation(), 0..3)).prop_map(
        |(seed, mutations)| {
            let (schema, value) = cases::schema_and_value(&seed);
            let payload = value_to_json(Some(&schema), &value, &Default::default()).unwrap();
            (mutate(schema_to_json(&schema), &mutations), payload)
        },
    )
}

/// Pieces of properties text: escapes (good and bad), continuations, separators,
/// comments, unicode and line ends of every kind.
pub fn properties_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "\\",
                "\\\\",
                "\\\n",
                "\\\r\n",
                "\\u",
                "\\u00e9",
                "\\uD800",
                "\\uDC00x",
                "\\uZZZZ",
                "\\u12",
                "\\t",
                "\\=",
                "\\:",
                "\\ ",
                "=",
                ":",
                " ",
                "\t",
                "\u{c}",
                "\n",
                "\r",
                "\r\n",
                "#",
                "!",
                "é",
                "😀",
                "\u{0}",
                "{",
                "}",
                "\"",
                "name",
                "connector.class",
                "connection.password",
                "tasks.max",
                "topics",
            ][..]
        )
        .prop_map(str::to_string),
        "[a-zA-Z0-9._-]{1,8}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// Keys and values of connector configs, valid and not.
pub fn connector_config() -> impl Strategy<Value = RawConfig> {
    let key = prop::sample::select(
        &[
            "connector.class",
            "tasks.max",
            "topics",
            "topics.regex",
            "topic",
            "file",
            "name",
            "connection.url",
            "connection.password",
            "CONNECTION.PASSWORD",
            "batch.size",
            "transforms",
            "transforms.a.type",
            "transforms.a.field",
            "transforms.a.negate",
            "transforms.a.predicate",
            "predicates",
            "predicates.p.type",
            "predicates.p.pattern",
            "key.converter",
            "value.converter",
            "value.converter.schemas.enable",
            "header.converter",
            "errors.tolerance",
            "errors.retry.timeout",
            "errors.deadletterqueue.topic.name",
            "producer.override.ssl.key.password",
            "consumer.override.sasl.jaas.config",
            "topic.creation.default.replication.factor",
            "topic.creation.default.partitions",
            "topic.creation.groups",
        ][..],
    );
    let value = prop_oneof![
        prop::sample::select(
            &[
                "FileStreamSource",
                "FileStreamSink",
                secrets::SECRET_SINK,
                "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "NoSuchConnector",
                "-1",
                "0",
                "1",
                "2147483648",
                "a",
                "a,b",
                "",
                " ",
                "true",
                "none",
                "all",
                "Common",
                "org.apache.kafka.connect.transforms.InsertField$Value",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                "JsonConverter",
                "org.apache.kafka.connect.json.JsonConverter",
                "[",
                "(",
                "${file:/nonexistent:key}",
                "p",
                "a;b",
            ][..],
        )
        .prop_map(str::to_string),
        "pw-[a-z0-9]{10}",
        any::<String>(),
    ];
    prop::collection::btree_map(key.prop_map(str::to_string), value, 0..10)
        .prop_map(|m| m.into_iter().collect())
}
