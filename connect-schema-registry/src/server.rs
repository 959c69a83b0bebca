//! A registry serving its REST API on a background task.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::{RegistryError, Result};
use crate::registry::Registry;

/// A registry serving HTTP on a background task until [`RegistryServer::shutdown`] or drop.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> connect_schema_registry::Result<()> {
/// let server = connect_schema_registry::RegistryServer::start_in_memory("127.0.0.1:0").await?;
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RegistryServer {
    addr: SocketAddr,
    registry: Registry,
    shutdown: CancellationToken,
    stopped: CancellationToken,
}

impl RegistryServer {
    /// Serves `registry` on `addr` (`"127.0.0.1:0"` picks a free port).
    pub async fn start(registry: Registry, addr: &str) -> Result<RegistryServer> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| RegistryError::store(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| RegistryError::store(format!("cannot read the listening address: {e}")))?;
        let shutdown = CancellationToken::new();
        let stopped = CancellationToken::new();
        let (r, s, done) = (registry.clone(), shutdown.clone(), stopped.clone());
        tokio::spawn(async move {
            if let Err(e) = crate::rest::serve(r, listener, s).await {
                tracing::warn!(error = %e, "schema registry server stopped with an error");
            }
            done.cancel();
        });
        Ok(RegistryServer { addr: local, registry, shutdown, stopped })
    }

    /// Serves a new in-memory registry (level BACKWARD) on `addr`.
    pub async fn start_in_memory(addr: &str) -> Result<RegistryServer> {
        Self::start(Registry::in_memory(), addr).await
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Stops accepting requests now; awaiting the result waits until the server is done.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.cancel();
        Shutdown { stopped: self.stopped.clone() }
    }
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The result of [`RegistryServer::shutdown`]: await it to wait until the server stopped.
#[derive(Debug)]
pub struct Shutdown {
    stopped: CancellationToken,
}

impl IntoFuture for Shutdown {
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.stopped.cancelled_owned())
    }
}
