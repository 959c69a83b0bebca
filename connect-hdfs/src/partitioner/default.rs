//! The DefaultPartitioner: one directory per Kafka partition, `partition=<n>`.

use connect_api::data::Schema;
use connect_api::record::{ConnectRecord as _, SinkRecord};
use connect_api::{ConnectError, Result};

use super::{Partitioner, describe};

/// Confluent's `DefaultPartitioner`: `partition=<kafka partition>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultPartitioner;

impl Partitioner for DefaultPartitioner {
    fn encode_partition(&self, record: &SinkRecord, _now_ms: i64) -> Result<String> {
        let partition = record.kafka_partition().ok_or_else(|| {
            ConnectError::data(format!("{} has no Kafka partition", describe(record)))
        })?;
        Ok(format!("partition={partition}"))
    }

    fn partition_fields(&self) -> Vec<(String, Schema)> {
        vec![("partition".to_string(), Schema::int32())]
    }

    fn depends_only_on_kafka_partition(&self) -> bool {
        true
    }
}
