//! Producing the users records of the tests to Kafka, as the JsonConverter's
//! `{"schema": …, "payload": …}` envelope.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

/// 2024-05-17T09:00:00Z.
pub const BASE_TS: i64 = 1_715_936_400_000;

/// The JSON schema of the users table, version 1 (with `name`) or 2 (without).
pub fn users_schema_json(version: i32) -> serde_json::Value {
    let mut fields = vec![json!({"field": "id", "type": "int64", "optional": false})];
    if version == 1 {
        fields.push(json!({"field": "name", "type": "string", "optional": true}));
    }
    fields.push(json!({"field": "email", "type": "string", "optional": false}));
    fields.push(json!({"field": "department", "type": "string", "optional": false}));
    fields.push(json!({"field": "modified", "type": "int64", "optional": false}));
    json!({"type": "struct", "name": "users", "version": version, "optional": false, "fields": fields})
}

/// One users record of the tests: id `partition * 1_000_000 + offset`, department
/// alternating by offset, `modified` (and the Kafka timestamp) 3 minutes apart.
pub struct UserMessage {
    pub partition: i32,
    pub offset: i64,
    pub version: i32,
}

impl UserMessage {
    /// The id the record carries.
    pub fn id(&self) -> i64 {
        i64::from(self.partition) * 1_000_000 + self.offset
    }

    /// Its department.
    pub fn department(&self) -> &'static str {
        if self.offset % 2 == 0 { "engineering" } else { "sales" }
    }

    /// Its timestamp.
    pub fn timestamp(&self) -> i64 {
        BASE_TS + self.offset * 180_000
    }

    /// The JsonConverter envelope.
    pub fn envelope(&self) -> String {
        let mut payload = json!({
            "id": self.id(),
            "email": format!("user{}@example.com", self.id()),
            "department": self.department(),
            "modified": self.timestamp(),
        });
        if self.version == 1 {
            payload["name"] = json!(format!("user{}", self.id()));
        }
        json!({"schema": users_schema_json(self.version), "payload": payload}).to_string()
    }
}

/// An idempotent producer (so offsets follow production order in each partition).
pub fn producer(bootstrap: &str) -> BaseProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .unwrap()
}

/// Produces `messages` (each to its partition, with its timestamp) and waits until
/// all are acknowledged.
pub fn produce(producer: &BaseProducer, topic: &str, messages: &[UserMessage]) {
    produce_at(producer, topic, messages, UserMessage::timestamp)
}

/// [`produce`] with the Kafka timestamps `timestamp` gives.
pub fn produce_at(
    producer: &BaseProducer,
    topic: &str,
    messages: &[UserMessage],
    timestamp: impl Fn(&UserMessage) -> i64,
) {
    for m in messages {
        let key = m.id().to_string();
        let value = m.envelope();
        let mut record = BaseRecord::to(topic)
            .partition(m.partition)
            .key(&key)
            .payload(&value)
            .timestamp(timestamp(m));
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, r)) => {
                    assert!(
                        matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ),
                        "produce failed: {e}"
                    );
                    producer.poll(Duration::from_millis(50));
                    record = r;
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// The messages of offsets `from..to` of each of `partitions`.
pub fn messages(partitions: i32, from: i64, to: i64, version: i32) -> Vec<UserMessage> {
    let mut out = Vec::new();
    for offset in from..to {
        for partition in 0..partitions {
            out.push(UserMessage { partition, offset, version });
        }
    }
    out
}
