//! Configuration the worker and the task drivers both read: [`worker`] (Kafka Connect's
//! worker keys) and [`connector`] (the runtime's connector keys: `tasks.max`, converters,
//! `errors.*`, client overrides), [`providers`] (`${provider:path:key}` variables) and
//! [`override_policy`] (`connector.client.config.override.policy`).

pub mod connector;
pub mod override_policy;
pub mod providers;
pub mod worker;
