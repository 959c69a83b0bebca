//! `Struct` build and access against a baseline dynamic record (a `serde_json` object
//! with the same ten fields), side by side in one criterion group.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use connect_api::data::{Schema, SchemaBuilder, Struct};
use criterion::{Criterion, criterion_group, criterion_main};

fn schema() -> Schema {
    let mut b = SchemaBuilder::struct_().name("bench.Row");
    for i in 0..5 {
        b = b.field(format!("i{i}"), Schema::int64());
        b = b.field(format!("s{i}"), Schema::string());
    }
    b.build().unwrap()
}

fn bench(c: &mut Criterion) {
    let schema = schema();
    let names: Vec<(String, String)> = (0..5).map(|i| (format!("i{i}"), format!("s{i}"))).collect();
    let mut g = c.benchmark_group("struct_build_10_fields");
    g.bench_function("ours_connect_struct", |b| {
        b.iter(|| {
            let mut s = Struct::new(schema.clone()).unwrap();
            for (i, (ni, ns)) in names.iter().enumerate() {
                s.put(ni, i as i64).unwrap();
                s.put(ns, "value").unwrap();
            }
            black_box(s)
        })
    });
    g.bench_function("baseline_json_object", |b| {
        b.iter(|| {
            let mut m = serde_json::Map::new();
            for (i, (ni, ns)) in names.iter().enumerate() {
                m.insert(ni.clone(), serde_json::Value::from(i as i64));
                m.insert(ns.clone(), serde_json::Value::from("value"));
            }
            black_box(m)
        })
    });
    g.finish();

    let mut s = Struct::new(schema.clone()).unwrap();
    let mut m = serde_json::Map::new();
    for (i, (ni, ns)) in names.iter().enumerate() {
        s.put(ni, i as i64).unwrap();
        s.put(ns, "value").unwrap();
        m.insert(ni.clone(), serde_json::Value::from(i as i64));
        m.insert(ns.clone(), serde_json::Value::from("value"));
    }
    let mut g = c.benchmark_group("struct_access_10_fields");
    g.bench_function("ours_connect_struct", |b| {
        b.iter(|| {
            let mut total = 0i64;
            for (ni, ns) in &names {
                total += s.get_int64(ni).unwrap();
                total += s.get_string(ns).unwrap().len() as i64;
            }
            black_box(total)
        })
    });
    g.bench_function("baseline_json_object", |b| {
        b.iter(|| {
            let mut total = 0i64;
            for (ni, ns) in &names {
                total += m.get(ni).and_then(|v| v.as_i64()).unwrap();
                total += m.get(ns).and_then(|v| v.as_str()).unwrap().len() as i64;
            }
            black_box(total)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
