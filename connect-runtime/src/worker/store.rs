//! The standalone config store: connector configs created over REST and their target
//! states, kept in a JSON file beside the offsets file so they survive a restart.

use std::collections::BTreeMap;
use std::path::PathBuf;

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

/// Connector configs and target states, in memory and optionally in a file.
#[derive(Debug)]
pub struct ConfigStore {
    path: Option<PathBuf>,
    data: Mutex<BTreeMap<String, StoredConnector>>,
}

impl ConfigStore {
    /// A store that forgets everything on exit.
    pub fn in_memory() -> Self {
        ConfigStore { path: None, data: Mutex::new(BTreeMap::new()) }
    }

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
        Ok(ConfigStore { path: Some(path), data: Mutex::new(data) })
    }

    /// Every stored connector.
    pub async fn all(&self) -> BTreeMap<String, StoredConnector> {
        self.data.lock().await.clone()
    }

    /// Stores or replaces a connector.
    pub async fn put(&self, name: &str, entry: StoredConnector) -> Result<()> {
        let mut data = self.data.lock().await;
        let mut next = data.clone();
        next.insert(name.to_string(), entry);
        self.persist(&next).await?;
        *data = next;
        Ok(())
    }

    /// Removes a connector.
    pub async fn remove(&self, name: &str) -> Result<()> {
        let mut data = self.data.lock().await;
        let mut next = data.clone();
        next.remove(name);
        self.persist(&next).await?;
        *data = next;
        Ok(())
    }

    async fn persist(&self, data: &BTreeMap<String, StoredConnector>) -> Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(data)?;
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|e| ConnectError::fatal(format!("config writer panicked: {e}")))?
            .map_err(|e| {
                ConnectError::retriable(format!("cannot write connector configs: {e}"))
                    .with_source(e)
            })
    }
}
