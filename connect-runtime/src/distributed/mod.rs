//! Distributed mode: workers with the same `group.id` form a Connect cluster through
//! Kafka's group membership (protocol type `connect`), agree on connector configs,
//! statuses and offsets through Kafka topics, and share the connectors and tasks.
//!
//! - [`protocol`]: the member metadata and assignment bytes, in Apache Kafka's layouts.
//! - [`assignor`]: the leader's incremental cooperative (KIP-415) and eager assignment.
//! - [`group`]: membership through Kafka's group coordinator, over [`wire`], a small
//!   Kafka protocol client.

pub mod assignor;
pub mod group;
pub mod protocol;
pub mod wire;
