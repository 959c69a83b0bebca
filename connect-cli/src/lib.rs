//! # connect-cli
//!
//! Kafka Connect for Rust, ready to run: the `connect-standalone` binary (Kafka's
//! `connect-standalone.sh`) and `connect-mock-broker`, with the reference plugins
//! assembled here, each behind a cargo feature (all on by default):
//!
//! | feature | plugins |
//! | --- | --- |
//! | `file` | `FileStreamSource`, `FileStreamSink` |
//! | `jdbc-postgres`, `jdbc-mysql`, `jdbc-sqlite` | Confluent's `JdbcSourceConnector`, `JdbcSinkConnector`, with these drivers |
//! | `hdfs` | Confluent's `HdfsSinkConnector` |
//! | `avro` | Confluent's `AvroConverter` |
//! | `transforms` | Kafka's transformations and predicates |
//! | `schema-registry` | the schema registry `schema.registry.listeners` starts in the worker |
//!
//! The runtime's own converters (JSON, String, ByteArray, numeric) are always there.
//! A program that wants another set builds its own [`PluginRegistry`] and calls
//! [`connect_runtime::cli::run`], as the binary does with [`registry`].

#[cfg(feature = "schema-registry")]
pub mod schema_registry;

use connect_api::Result;
use connect_runtime::PluginRegistry;

/// The runtime's converters and every reference plugin this build has (see the features).
pub fn registry() -> Result<PluginRegistry> {
    #[allow(unused_mut)]
    let mut r = PluginRegistry::new();
    #[cfg(feature = "transforms")]
    r.register(connect_transforms::plugins())?;
    #[cfg(feature = "avro")]
    r.register(connect_avro::plugins())?;
    #[cfg(feature = "file")]
    r.register(connect_file::plugins())?;
    #[cfg(feature = "jdbc")]
    r.register(connect_jdbc::plugins())?;
    #[cfg(feature = "hdfs")]
    r.register(connect_hdfs::plugins())?;
    #[cfg(feature = "schema-registry")]
    r.register_service(schema_registry::EmbeddedSchemaRegistry);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::plugin::PluginKind;

    #[test]
    fn the_default_build_has_every_reference_plugin() {
        let r = registry().unwrap();
        for class in [
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "io.confluent.connect.jdbc.JdbcSinkConnector",
            "io.confluent.connect.hdfs.HdfsSinkConnector",
        ] {
            assert!(r.connector(class).is_ok(), "{class}");
        }
        assert!(r.converter("io.confluent.connect.avro.AvroConverter").is_ok());
        // Kafka's 16 built-in transformations, 10 of them as $Key and $Value.
        let transforms = r.all().iter().filter(|p| p.kind() == PluginKind::Transformation);
        assert_eq!(transforms.count(), 26);
        assert!(
            r.transformation::<connect_api::record::SinkRecord>(
                "org.apache.kafka.connect.transforms.Cast$Value"
            )
            .is_ok()
        );
        let names: Vec<&str> = r.services().iter().map(|s| s.name()).collect();
        assert_eq!(names, ["schema-registry"]);
    }
}
