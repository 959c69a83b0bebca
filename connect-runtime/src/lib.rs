//! # connect-runtime
//!
//! The runtime of Kafka Connect for Rust: it drives the connectors and tasks defined with
//! `connect-api`, moving their records through Kafka.
//!
//! - [`herder`]: the [`herder::Herder`] trait the REST API talks to, and the
//!   [`herder::StandaloneHerder`]: connector configs (behind a config store), target
//!   states, task plans. [`worker`]: runs the connectors and tasks a herder tells it to.
//! - [`status`] and [`offsets`]: the status and offset stores; [`entities`]: the JSON
//!   bodies of the REST API.
//! - [`task`]: the source and sink task drivers; [`errors`]: retries, error tolerance,
//!   the error log and the dead letter queue (`errors.*`).
//! - [`converters`]: JSON, String, ByteArray and numeric converters.
//! - [`transforms`]: the chain of transformations and predicates a connector config names.
//! - [`config`]: the worker and connector configuration keys.
//! - [`kafka`]: Kafka clients, topic creation and the embedded broker.
//! - [`rest`]: Kafka Connect's REST API.
//! - [`registry`]: the explicit plugin registry; [`service`]: services started beside a
//!   worker (the embedded schema registry).
//! - [`standalone`]: a standalone worker with its REST server, to embed; [`cli::run`]: the
//!   `connect-standalone` command for any set of plugins.
//!
//! The runtime holds no connector: the `connect-cli` crate assembles the reference plugins
//! into the shipped binaries, and a program that embeds the runtime registers its own.

pub mod cli;
pub mod config;
pub mod converters;
#[cfg(feature = "distributed")]
pub mod distributed;
pub mod entities;
pub mod errors;
pub mod herder;
pub mod kafka;
pub mod logging;
pub mod metrics;
pub mod offsets;
pub mod properties;
pub mod registry;
pub mod rest;
pub mod service;
pub mod standalone;
pub mod status;
pub mod task;
pub mod transforms;
pub mod worker;

pub use herder::StandaloneHerder;
pub use registry::PluginRegistry;
pub use worker::Worker;
