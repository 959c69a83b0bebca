//! # examples
//!
//! Two small custom connectors, each under 80 lines, showing what a connector author
//! writes: [`sequence::SequenceSource`] counts upwards and resumes from its committed
//! offset; [`collect::CollectSink`] appends every value it receives to a file.
//! [`plugins`] lists them for a runtime's plugin registry, as a connector crate does.

pub mod collect;
pub mod sequence;

use connect_api::plugin::PluginDescriptor;

/// The example connectors, for `PluginRegistry::register`.
pub fn plugins() -> Vec<PluginDescriptor> {
    vec![
        PluginDescriptor::source("examples::SequenceSource", "1.0", || {
            Box::new(sequence::SequenceSource::default())
        })
        .with_aliases(["SequenceSource"]),
        PluginDescriptor::sink("examples::CollectSink", "1.0", || {
            Box::new(collect::CollectSink::default())
        })
        .with_aliases(["CollectSink"]),
    ]
}
