//! The JDBC source connector (`io.confluent.connect.jdbc.JdbcSourceConnector`).

use connect_api::plugin::PluginDescriptor;

/// The source connector's plugin descriptors.
pub fn plugins() -> Vec<PluginDescriptor> {
    Vec::new()
}
