//! The offsets operations of the REST API (Kafka's KIP-875) on the standalone herder:
//! it checks the connector exists and, to change offsets, is STOPPED, and holds its
//! lifecycle lock meanwhile; the worker reads and writes the offsets.

use connect_api::config::RawConfig;
use connect_api::plugin::PluginKind;
use connect_api::{ConnectError, Result};

use super::standalone::StandaloneHerder;
use crate::entities::ConnectorOffsets;
use crate::task::TargetState;

/// Kafka's answer to an offsets change on a connector that is not STOPPED.
pub(crate) fn not_stopped(name: &str) -> ConnectError {
    ConnectError::config(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
    ))
}

impl StandaloneHerder {
    /// The kind and config of a connector whose offsets are to change: it must exist
    /// and be STOPPED.
    async fn stopped_connector(&self, name: &str) -> Result<(PluginKind, RawConfig)> {
        let (kind, target) = self.kind_and_target(name).await?;
        if target != TargetState::Stopped {
            return Err(not_stopped(name));
        }
        Ok((kind, self.connector_config(name).await?))
    }

    /// `GET /connectors/{name}/offsets`: a source connector's stored offsets, or a sink
    /// connector's committed consumer offsets.
    pub async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        let (kind, _) = self.kind_and_target(name).await?;
        let config = self.connector_config(name).await?;
        self.inner.worker.connector_offsets(name, kind, &config).await
    }

    /// `PATCH /connectors/{name}/offsets`: alters the given offsets (a `null` offset
    /// resets its partition) of a STOPPED connector, on its own task (see `detached`).
    /// Returns whether the connector said it also altered offsets it keeps outside Kafka
    /// Connect.
    pub async fn alter_connector_offsets(
        &self,
        name: &str,
        request: ConnectorOffsets,
    ) -> Result<bool> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move {
            // The connector stays STOPPED while its offsets change: no resume in between.
            let _op = h.op_lock(&name).await;
            let (kind, config) = h.stopped_connector(&name).await?;
            h.inner.worker.alter_connector_offsets(&name, kind, &config, request).await
        })
        .await
    }

    /// `DELETE /connectors/{name}/offsets`: resets every offset of a STOPPED connector,
    /// on its own task. Returns whether the connector said it also reset offsets it keeps
    /// outside Kafka Connect.
    pub async fn reset_connector_offsets(&self, name: &str) -> Result<bool> {
        let (h, name) = (self.clone(), name.to_string());
        self.detached(async move {
            let _op = h.op_lock(&name).await;
            let (kind, config) = h.stopped_connector(&name).await?;
            h.inner.worker.reset_connector_offsets(&name, kind, &config).await
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_state_error_is_kafkas() {
        let e = not_stopped("src");
        assert!(e.message().starts_with("Connectors must be in the STOPPED state"));
        assert!(e.message().ends_with("'/connectors/src/stop' endpoint"));
    }
}
