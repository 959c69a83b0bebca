//! The JSON converter (schemas enabled and disabled) against a raw `serde_json` encoder
//! and decoder loop on the same record, side by side in one criterion group.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_runtime::converters::JsonConverter;
use criterion::{Criterion, criterion_group, criterion_main};

fn record() -> (Schema, Value, serde_json::Value) {
    let mut b = SchemaBuilder::struct_().name("bench.Row");
    for i in 0..5 {
        b = b.field(format!("i{i}"), Schema::int64());
        b = b.field(format!("s{i}"), Schema::string());
    }
    let schema = b.build().unwrap();
    let mut s = Struct::new(schema.clone()).unwrap();
    let mut m = serde_json::Map::new();
    for i in 0..5 {
        s.put(&format!("i{i}"), i as i64 * 1_000_003).unwrap();
        s.put(&format!("s{i}"), "some text of a row").unwrap();
        m.insert(format!("i{i}"), serde_json::Value::from(i as i64 * 1_000_003));
        m.insert(format!("s{i}"), serde_json::Value::from("some text of a row"));
    }
    (schema, Value::Struct(s), serde_json::Value::Object(m))
}

fn bench(c: &mut Criterion) {
    let (schema, value, json) = record();
    let with_schema = JsonConverter::new().with_schemas_enable(true);
    let plain = JsonConverter::new().with_schemas_enable(false);

    let mut g = c.benchmark_group("json_serialize");
    g.bench_function("ours_schemas_enable_false", |b| {
        b.iter(|| black_box(plain.serialize(Some(&schema), &value).unwrap()))
    });
    g.bench_function("ours_schemas_enable_true", |b| {
        b.iter(|| black_box(with_schema.serialize(Some(&schema), &value).unwrap()))
    });
    g.bench_function("baseline_serde_json_to_vec", |b| {
        b.iter(|| black_box(serde_json::to_vec(&json).unwrap()))
    });
    g.finish();

    let plain_bytes = plain.serialize(Some(&schema), &value).unwrap().unwrap();
    let schema_bytes = with_schema.serialize(Some(&schema), &value).unwrap().unwrap();
    let mut g = c.benchmark_group("json_deserialize");
    g.bench_function("ours_schemas_enable_false", |b| {
        b.iter(|| black_box(plain.deserialize(Some(&plain_bytes)).unwrap()))
    });
    g.bench_function("ours_schemas_enable_true", |b| {
        b.iter(|| black_box(with_schema.deserialize(Some(&schema_bytes)).unwrap()))
    });
    g.bench_function("baseline_serde_json_from_slice", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(&plain_bytes).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
