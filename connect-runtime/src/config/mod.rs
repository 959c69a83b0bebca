//! Configuration the worker and the task drivers both read: [`worker`] (Kafka Connect's
//! worker keys) and [`connector`] (the runtime's connector keys: `tasks.max`, converters,
//! `errors.*`, client overrides), [`providers`] (`${provider:path:key}` variables) and
//! [`override_policy`] (`connector.client.config.override.policy`) and [`topic_creation`]
//! (`topic.creation.*`, KIP-158).

pub mod connector;
pub mod override_policy;
pub mod providers;
pub mod topic_creation;
pub mod worker;
