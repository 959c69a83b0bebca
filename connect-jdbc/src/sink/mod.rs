//! The JDBC sink connector (`io.confluent.connect.jdbc.JdbcSinkConnector`).

use connect_api::plugin::PluginDescriptor;

/// The sink connector's plugin descriptors.
pub fn plugins() -> Vec<PluginDescriptor> {
    Vec::new()
}
