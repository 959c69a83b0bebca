//! # benches
//!
//! The side-by-side performance harness of Kafka Connect for Rust.
//!
//! - `benches/*.rs`: criterion micro-benchmarks (`Struct` build and access, the JSON
//!   converter); run with `cargo bench -p benches`.
//! - `src/bin/pipeline/`: the end-to-end harness that `scripts/bench.sh` runs. It starts
//!   `connect-mock-broker`, runs each figure's baseline (`kcat`, raw rdkafka loops) and
//!   ours interleaved, and prints one line per figure with the median ratio and its
//!   spread.
//! - `src/bin/bench-worker.rs`: a standalone worker that also knows this crate's test
//!   connectors ([`connectors`]), for the framework-overhead figure B3.
//!
//! - B4 ([`codecs`]): Avro and JSON converter throughput in-process against apache-avro
//!   and serde_json.
//!
//! The library holds what those share: data generation with a fixed seed ([`data`]),
//! order-independent content digests ([`checksum`]),
//! statistics ([`stats`]), peak-memory reads ([`procfs`]) and the test connectors.

pub mod checksum;
pub mod codecs;
pub mod connectors;
pub mod data;
pub mod procfs;
pub mod stats;
