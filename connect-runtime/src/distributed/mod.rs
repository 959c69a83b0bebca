//! Distributed mode: workers with the same `group.id` form a Connect cluster through
//! Kafka's group membership (protocol type `connect`), agree on connector configs,
//! statuses and offsets through Kafka topics, and share the connectors and tasks.
//!
//! - [`protocol`]: the member metadata and assignment bytes, in Apache Kafka's layouts.
//! - [`assignor`]: the leader's incremental cooperative (KIP-415) and eager assignment.
//! - [`records`]: the config, status and offsets topics' records in Kafka's formats, and
//!   the cluster's config as the config topic says ([`records::ClusterConfigState`]).
//! - [`stores`]: the offset and status stores on those topics ([`kafka_log`]).
//! - [`herder`]: the [`DistributedHerder`]; [`worker`]: [`Distributed`], the herder with
//!   its REST server (`connect-distributed`).
//! - [`signature`]: internal requests signed with the session key.
//! - [`group`]: membership through Kafka's group coordinator, over [`wire`], a small
//!   Kafka protocol client.

pub mod assignor;
pub mod config_topic;
pub mod group;
pub mod herder;
pub mod kafka_log;
pub mod protocol;
pub mod records;
pub mod signature;
pub mod stores;
pub mod wire;
pub mod worker;

pub use herder::DistributedHerder;
pub use worker::Distributed;
