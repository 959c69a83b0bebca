//! Configuration the worker and the task drivers both read: [`worker`] (Kafka Connect's
//! worker keys) and [`connector`] (the runtime's connector keys: `tasks.max`, converters,
//! `errors.*`, client overrides).

pub mod connector;
pub mod worker;
