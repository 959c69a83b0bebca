//! The config store: connector configs created over REST and their target states, behind
//! [`ConfigBackingStore`]; a standalone worker keeps them in a JSON file beside the offsets
//! file so they survive a restart ([`FileConfigStore`]), or in memory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;
use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::offsets::file::write_atomically;
use crate::task::TargetState;

/// One stored connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredConnector {
    /// Its config.
    pub config: RawConfig,
    /// What the operator asked it to be.
    pub target_state: TargetState,
}

/// Where connector configs and target states are kept: [`MemoryConfigStore`],
/// [`FileConfigStore`] for a standalone worker; the distributed mode keeps them in the
/// config topic.
#[async_trait]
pub trait ConfigBackingStore: Send + Sync + std::fmt::Debug {
    /// Every stored connector.
    async fn all(&self) -> BTreeMap<String, StoredConnector>;
    /// Stores or replaces a connector.
    async fn put(&self, name: &str, entry: StoredConnector) -> Result<()>;
    /// Removes a connector.
    async fn remove(&self, name: &str) -> Result<()>;
}

/// Connector configs and target states in memory only: forgotten on exit.
#[derive(Debug, Default)]
pub struct MemoryConfigStore {
    data: Mutex<BTreeMap<String, StoredConnector>>,
}

#[async_trait]
impl ConfigBackingStore for MemoryConfigStore {
    async fn all(&self) -> BTreeMap<String, StoredConnector> {
        self.data.lock().await.clone()
    }

    async fn put(&self, name: &str, entry: StoredConnector) -> Result<()> {
        self.data.lock().await.insert(name.to_string(), entry);
        Ok(())
    }

    async fn remove(&self, name: &str) -> Result<()> {
        self.data.lock().await.remove(name);
        Ok(())
    }
}

/// Connector configs and target states in a JSON file (beside the offsets file), written
/// atomically on every change, so they survive a restart.
#[derive(Debug)]
pub struct FileConfigStore {
    path: PathBuf,
    data: Mutex<BTreeMap<String, StoredConnector>>,
}

impl FileConfigStore {
    /// A store kept in `path` (read now if it exists).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let data = match std::fs::read(&path) {
            Ok(bytes) if !bytes.is_empty() => serde_json::from_slice(&bytes).map_err(|e| {
                ConnectError::config(format!(
                    "connector config file {} is not valid JSON: {e}",
                    path.display()
                ))
            })?,
            Ok(_) => BTreeMap::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(ConnectError::fatal(format!("cannot read {}: {e}", path.display()))
                    .with_source(e));
            }
        };
        Ok(FileConfigStore { path, data: Mutex::new(data) })
    }

    /// Applies `change` to a copy, writes the copy, and only then keeps it.
    async fn change(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, StoredConnector>),
    ) -> Result<()> {
        let mut data = self.data.lock().await;
        let mut next = data.clone();
        change(&mut next);
        let bytes = serde_json::to_vec_pretty(&next)?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|e| ConnectError::fatal(format!("config writer panicked: {e}")))?
            .map_err(|e| {
                ConnectError::retriable(format!("cannot write connector configs: {e}"))
                    .with_source(e)
            })?;
        *data = next;
        Ok(())
    }
}

#[async_trait]
impl ConfigBackingStore for FileConfigStore {
    async fn all(&self) -> BTreeMap<String, StoredConnector> {
        self.data.lock().await.clone()
    }

    async fn put(&self, name: &str, entry: StoredConnector) -> Result<()> {
        self.change(|d| {
            d.insert(name.to_string(), entry);
        })
        .await
    }

    async fn remove(&self, name: &str) -> Result<()> {
        self.change(|d| {
            d.remove(name);
        })
        .await
    }
}
