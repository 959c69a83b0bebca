//! Distributed mode: workers with the same `group.id` form a Connect cluster through
//! Kafka's group membership (protocol type `connect`), agree on connector configs,
//! statuses and offsets through Kafka topics, and share the connectors and tasks.
//!
//! - [`protocol`]: the member metadata and assignment bytes, in Apache Kafka's layouts.
//! - [`assignor`]: the leader's incremental cooperative (KIP-415) and eager assignment.

pub mod assignor;
pub mod protocol;
