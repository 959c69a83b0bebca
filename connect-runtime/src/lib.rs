//! # connect-runtime
//!
//! The runtime of Kafka Connect for Rust: it drives the connectors and tasks defined with
//! `connect-api`, moving their records through Kafka.
//!
//! - [`worker`]: the worker — connectors, tasks, configs, target states, statuses.
//! - [`task`]: the source and sink task drivers.
//! - [`offsets`]: source offset stores (memory, file; Kafka topic in distributed mode).
//! - [`converters`]: JSON, String, ByteArray and numeric converters.
//! - [`transforms`]: single message transformations and predicates.
//! - [`kafka`]: Kafka clients, topic creation and the embedded broker.
//! - [`rest`]: Kafka Connect's REST API.
//! - [`registry`]: the explicit plugin registry.
//!
//! The binary `connect-standalone` runs a standalone worker exactly as Kafka's
//! `connect-standalone.sh` does:
//! `connect-standalone worker.properties connector1.properties [connector2.properties …]`.

pub mod converters;
pub mod kafka;
pub mod logging;
pub mod offsets;
pub mod properties;
pub mod registry;
pub mod rest;
pub mod standalone;
pub mod status;
pub mod task;
pub mod transforms;
pub mod worker;

pub use registry::PluginRegistry;
pub use worker::Worker;
