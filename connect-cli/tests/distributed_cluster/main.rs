//! A Connect cluster of real `connect-distributed` processes on Apache Kafka: the
//! scenarios of the distributed-mode issue, one module per group of scenarios, on one
//! harness.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../connect-runtime/tests/common/mod.rs"]
mod common;

mod balance;
mod bounce;
mod created_states;
mod failover;
mod harness;
mod health;
mod joining;
mod metrics;
mod mixed;
mod outage;
#[path = "../support/pki.rs"]
mod pki;
mod secured;
