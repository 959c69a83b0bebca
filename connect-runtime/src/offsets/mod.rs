//! Source offset storage: the [`OffsetStore`] trait, an in-memory store for tests, and
//! the standalone file store. The distributed mode implements the trait on a Kafka topic.
//!
//! Keys use Kafka Connect's format — the JSON text `["<connector>",{<source partition>}]`
//! — and values the offset map as JSON, so offsets move between stores and clusters.

pub mod file;
pub mod java;
mod memory;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::context::OffsetStorageReader;
use connect_api::record::OffsetMap;
use connect_api::{ConnectError, Result};

pub use file::FileOffsetStore;
pub use memory::MemoryOffsetStore;

/// Where source offsets are kept.
#[async_trait]
pub trait OffsetStore: Send + Sync {
    /// The offsets of some source partitions of a connector.
    async fn get(
        &self,
        connector: &str,
        partitions: &[OffsetMap],
    ) -> Result<HashMap<OffsetMap, OffsetMap>>;

    /// Writes offsets atomically (all or none); `None` removes a partition's offset.
    async fn put(
        &self,
        connector: &str,
        offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> Result<()>;

    /// Every committed offset of a connector (for `GET /connectors/{name}/offsets`).
    async fn all(&self, connector: &str) -> Result<Vec<(OffsetMap, OffsetMap)>>;
}

/// Kafka Connect's offset key: `["<connector>",{<partition>}]`.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> String {
    serde_json::Value::Array(vec![connector.into(), partition.to_json()]).to_string()
}

/// Splits an offset key back into connector name and source partition.
pub fn parse_offset_key(key: &str) -> Result<(String, OffsetMap)> {
    let v: serde_json::Value = serde_json::from_str(key)
        .map_err(|e| ConnectError::data(format!("malformed offset key {key}: {e}")))?;
    match v.as_array().map(Vec::as_slice) {
        Some([serde_json::Value::String(name), partition]) => {
            Ok((name.clone(), OffsetMap::from_json(partition)?))
        }
        _ => Err(ConnectError::data(format!(
            "offset key must be [\"<connector>\", {{partition}}], got {key}"
        ))),
    }
}

/// The reader a source task of `connector` gets: reads go to the store.
pub struct ConnectorOffsetReader {
    store: Arc<dyn OffsetStore>,
    connector: String,
}

impl ConnectorOffsetReader {
    /// A reader of one connector's offsets.
    pub fn new(store: Arc<dyn OffsetStore>, connector: impl Into<String>) -> Self {
        ConnectorOffsetReader { store, connector: connector.into() }
    }
}

#[async_trait]
impl OffsetStorageReader for ConnectorOffsetReader {
    async fn offsets(&self, partitions: &[OffsetMap]) -> Result<HashMap<OffsetMap, OffsetMap>> {
        self.store.get(&self.connector, partitions).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_keys_use_kafka_connects_format() {
        let p = OffsetMap::new().with("filename", "/tmp/in.txt");
        let key = offset_key("file-source", &p);
        assert_eq!(key, r#"["file-source",{"filename":"/tmp/in.txt"}]"#);
        assert_eq!(parse_offset_key(&key).unwrap(), ("file-source".to_string(), p));
        assert!(parse_offset_key("[1,2]").is_err());
    }
}
