//! A Confluent-compatible schema registry for Avro: the REST API of Confluent Schema
//! Registry (subjects, versions, global ids, compatibility levels and checks), so
//! Confluent's clients and `schema_registry_converter` work against it, with its state in
//! memory or in a compacted Kafka topic in Confluent's own record format.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> connect_schema_registry::Result<()> {
//! use connect_schema_registry::{CompatibilityLevel, Registry, RegistryServer};
//!
//! // Embedded, for tests and local use:
//! let server = RegistryServer::start_in_memory("127.0.0.1:0").await?;
//! let url = server.url(); // give this to `schema.registry.url`
//! # let _ = url;
//!
//! // Or the library API directly:
//! let registry = server.registry();
//! let v1 = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
//! let id = registry.register("users-value", v1, None).await?;
//! assert_eq!(registry.register("users-value", v1, None).await?, id);
//! assert_eq!(registry.compatibility(None).await, CompatibilityLevel::Backward);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The binary `connect-schema-registry` runs it standalone:
//! `connect-schema-registry --listeners http://127.0.0.1:8081 [registry.properties]`.

pub mod compat;
pub mod config;
pub mod error;
pub mod registry;
pub mod rest;
pub mod schema;
pub mod server;
mod state;
pub mod store;

pub use compat::CompatibilityLevel;
pub use config::RegistryConfig;
pub use error::{RegistryError, Result};
pub use registry::{Registry, SchemaVersion, VersionSpec};
pub use rest::{router, serve};
pub use server::RegistryServer;
pub use store::{KafkaStore, KafkaStoreConfig, MemoryStore, SchemaStore};
