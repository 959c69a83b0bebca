//! Where the registry keeps its records: a log of [`StoreRecord`]s behind [`SchemaStore`].
//!
//! The registry rebuilds its state by replaying [`SchemaStore::load`] at start, then
//! appends one record per change and answers only once [`SchemaStore::append`] returned.
//! [`MemoryStore`] keeps nothing beyond the process; [`KafkaStore`] writes Confluent's
//! record format to a compacted topic (`_schemas`), so a registry restarted on the same
//! topic, or Confluent's own registry, finds the same ids and versions.

pub mod kafka;
pub mod records;

use std::sync::Mutex;

use async_trait::async_trait;

pub use kafka::{KafkaStore, KafkaStoreConfig};
pub use records::StoreRecord;

use crate::error::Result;

/// A durable log of registry records.
///
/// ```
/// use connect_schema_registry::store::{MemoryStore, SchemaStore, StoreRecord};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> connect_schema_registry::Result<()> {
/// let store = MemoryStore::new();
/// store.append(&StoreRecord::Config { subject: None, level: None }).await?;
/// assert_eq!(store.load().await?.len(), 1);
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait SchemaStore: Send + Sync + 'static {
    /// Every record written so far, oldest first.
    async fn load(&self) -> Result<Vec<StoreRecord>>;

    /// Writes one record durably; returns once it is stored (50001 when it could not be).
    async fn append(&self, record: &StoreRecord) -> Result<()>;

    /// A short description for logs (`in memory`, `Kafka topic _schemas at …`).
    fn describe(&self) -> String;
}

/// A store that keeps records in memory only; everything is lost when the process exits.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<Vec<StoreRecord>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SchemaStore for MemoryStore {
    async fn load(&self) -> Result<Vec<StoreRecord>> {
        Ok(self.records.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    async fn append(&self, record: &StoreRecord) -> Result<()> {
        self.records.lock().unwrap_or_else(|p| p.into_inner()).push(record.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        "in memory (lost on exit)".to_string()
    }
}
