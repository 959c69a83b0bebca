//! An in-memory [`OffsetStore`], for tests and for workers without an offsets file.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use connect_api::Result;
use connect_api::record::OffsetMap;

use super::OffsetStore;

/// Offsets kept in memory; lost when the process exits.
#[derive(Debug, Default)]
pub struct MemoryOffsetStore {
    data: Mutex<BTreeMap<String, BTreeMap<OffsetMap, OffsetMap>>>,
}

impl MemoryOffsetStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, BTreeMap<OffsetMap, OffsetMap>>> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl OffsetStore for MemoryOffsetStore {
    async fn get(
        &self,
        connector: &str,
        partitions: &[OffsetMap],
    ) -> Result<HashMap<OffsetMap, OffsetMap>> {
        let data = self.lock();
        let Some(c) = data.get(connector) else {
            return Ok(HashMap::new());
        };
        Ok(partitions.iter().filter_map(|p| c.get(p).map(|o| (p.clone(), o.clone()))).collect())
    }

    async fn put(
        &self,
        connector: &str,
        offsets: Vec<(OffsetMap, Option<OffsetMap>)>,
    ) -> Result<()> {
        let mut data = self.lock();
        let c = data.entry(connector.to_string()).or_default();
        for (p, o) in offsets {
            match o {
                Some(o) => c.insert(p, o),
                None => c.remove(&p),
            };
        }
        Ok(())
    }

    async fn all(&self, connector: &str) -> Result<Vec<(OffsetMap, OffsetMap)>> {
        Ok(self
            .lock()
            .get(connector)
            .map(|c| c.iter().map(|(p, o)| (p.clone(), o.clone())).collect())
            .unwrap_or_default())
    }
}
