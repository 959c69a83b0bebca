//! Fuzzed REST request bodies against a standalone worker's real REST server (port 0,
//! embedded broker), with a fixed budget: a fixed number of requests generated from a
//! fixed seed. Every body is sent to the endpoints that read one (`POST /connectors`,
//! `PUT|PATCH /connectors/{name}/config`, `PUT /connector-plugins/{class}/config/validate`,
//! `PUT|PATCH /connectors/{name}/offsets`, the restarts) with a random `Content-Type`.
//! The answer is never a 5xx, every 4xx is Kafka's `{"error_code": <status>, "message":
//! "…"}`, and no answer shows the password the body held.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fuzz_checks;
mod fuzz_strategies;
mod rest_util;

use std::time::Instant;

use fuzz_checks::secrets::SECRET_SINK;
use fuzz_strategies::{budget, connector_config, json, mutate, mutation};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::Method;
use rest_util::Rest;
use serde_json::{Value as Json, json};

/// Requests sent (about 2 ms each in a debug build).
const REQUESTS: u32 = 2000;

/// One fuzzed request: where it goes, its content type and body, and the password the
/// body holds (if it holds one).
#[derive(Debug, Clone)]
struct Case {
    method: Method,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
    secret: String,
}

fn endpoint() -> impl Strategy<Value = (Method, String)> {
    let name = prop::sample::select(&["fz", "fz-new", "fz%20spaced", "fz%2Fslash"][..]);
    let class = prop::sample::select(
        &[SECRET_SINK, "FileStreamSource", "FileStreamSink", "NoSuchConnector", "%20"][..],
    );
    let query = prop::sample::select(
        &["", "?includeTasks=true", "?includeTasks=true&onlyFailed=true", "?expand=x%ZZ"][..],
    );
    prop_oneof![
        Just((Method::POST, "/connectors".to_string())),
        name.clone().prop_map(|n| (Method::PUT, format!("/connectors/{n}/config"))),
        Just((Method::PATCH, "/connectors/fz/config".to_string())),
        name.prop_map(|n| (Method::PATCH, format!("/connectors/{n}/config"))),
        class.prop_map(|c| (Method::PUT, format!("/connector-plugins/{c}/config/validate"))),
        Just((Method::PATCH, "/connectors/fz/offsets".to_string())),
        Just((Method::PUT, "/connectors/fz/offsets".to_string())),
        query.prop_map(|q| (Method::POST, format!("/connectors/fz/restart{q}"))),
        Just((Method::POST, "/connectors/fz/tasks/0/restart".to_string())),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(Some("application/json".to_string())),
        1 => Just(Some("application/json; charset=utf-8".to_string())),
        1 => Just(Some("application/vnd.kafka+json".to_string())),
        1 => Just(None),
        1 => Just(Some("text/plain".to_string())),
        1 => Just(Some("application/x-www-form-urlencoded".to_string())),
        1 => "[a-z/+;= -]{0,24}".prop_map(Some),
    ]
}

/// A body shaped like what the endpoint reads, with the password somewhere in it, then
/// mutated: as JSON (members dropped, replaced or added), and as bytes (cut short, a
/// byte flipped, or garbage instead).
fn body() -> impl Strategy<Value = (Vec<u8>, String)> {
    let secret = "pw-[a-z0-9]{12}";
    let shaped =
        (connector_config(), secret, 0..6u8, json()).prop_map(|(raw, secret, shape, j)| {
            let mut config: serde_json::Map<String, Json> =
                raw.into_iter().map(|(k, v)| (k, Json::String(v))).collect();
            let password = match shape % 3 {
                0 => Json::String(secret.clone()),
                1 => json!([secret]),
                _ => json!({"value": secret}),
            };
            config.insert("connection.password".into(), password);
            let body = match shape {
                0 | 1 => json!({"name": "fz-new", "config": config}),
                2 => Json::Object(config),
                3 => json!({"offsets": [{"partition": {"filename": j}, "offset": config}]}),
                4 => json!({"name": config, "config": j, "initial_state": config}),
                _ => json!([config]),
            };
            (body, secret)
        });
    let mutated = (shaped, prop::collection::vec(mutation(), 0..3))
        .prop_map(|((body, secret), m)| (mutate(body, &m), secret));
    let bytes =
        (mutated, any::<usize>(), proptest::option::of((any::<usize>(), any::<u8>())), 0..4u8)
            .prop_map(|((body, secret), cut, flip, how)| {
                let mut bytes = body.to_string().into_bytes();
                match how {
                    0 => bytes.truncate(cut % (bytes.len() + 1)),
                    1 => {
                        if let Some((at, b)) = flip {
                            let at = at % bytes.len().max(1);
                            if let Some(x) = bytes.get_mut(at) {
                                *x ^= b.max(1);
                            }
                        }
                    }
                    _ => {}
                }
                (bytes, secret)
            });
    prop_oneof![
        8 => bytes,
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| (b, String::new())),
        1 => Just((Vec::new(), String::new())),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (endpoint(), content_type(), body()).prop_map(
        |((method, path), content_type, (body, secret))| Case {
            method,
            path,
            content_type,
            body,
            secret,
        },
    )
}

/// Checks one answer: no 5xx, Kafka's error shape for a 4xx, the password not shown.
fn check(case: &Case, status: u16, text: &str) {
    let what = || {
        let body = String::from_utf8_lossy(&case.body);
        format!("{} {} ({:?}) with {body:?}", case.method, case.path, case.content_type)
    };
    assert!(status < 500, "{status} for {}: {text}", what());
    if (400..500).contains(&status) {
        let body: Json = serde_json::from_str(text)
            .unwrap_or_else(|_| panic!("{status} without a JSON body for {}: {text}", what()));
        let obj = body.as_object().unwrap_or_else(|| panic!("{text} for {}", what()));
        assert_eq!(obj.len(), 2, "{text} for {}", what());
        assert_eq!(obj.get("error_code"), Some(&json!(status)), "{text} for {}", what());
        let message = obj.get("message").and_then(Json::as_str).unwrap_or_default();
        assert!(!message.trim().is_empty(), "{text} for {}", what());
    }
    if !case.secret.is_empty() {
        assert!(!text.contains(&case.secret), "{status} shows the password for {}: {text}", what());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_answer_4xx_in_kafkas_error_shape_without_passwords() {
    let rest = Rest::start_with(fuzz_checks::registry(), &[]).await;
    // A stopped connector to patch, restart and alter the offsets of.
    let input = rest.path("in.txt");
    let a = rest
        .post(
            "/connectors",
            Some(json!({
                "name": "fz",
                "config": {
                    "connector.class": "FileStreamSource",
                    "file": input.to_str().unwrap(),
                    "topic": "fz",
                },
                "initial_state": "STOPPED",
            })),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);

    let mut runner = TestRunner::new(budget(REQUESTS));
    let strategy = case();
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for _ in 0..REQUESTS {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let mut req = rest.http.request(case.method.clone(), format!("{}{}", rest.base, case.path));
        if let Some(ct) = &case.content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        let resp = req.body(case.body.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        check(&case, status, &text);
        *statuses.entry(status).or_default() += 1;
    }
    eprintln!("{REQUESTS} fuzzed requests in {:?}: {statuses:?}", started.elapsed());
    // The stopped connector is still there, still stopped, and its config hides nothing
    // it should not show.
    let a = rest.get("/connectors/fz/status").await;
    assert_eq!(a.status, 200, "{}", a.text);
    rest.shutdown().await;
}
