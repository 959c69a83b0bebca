//! # connect-jdbc
//!
//! SQL source and sink connectors with the configuration names and behaviour of
//! Confluent's JDBC connectors (`io.confluent.connect.jdbc.JdbcSourceConnector`,
//! `io.confluent.connect.jdbc.JdbcSinkConnector`), over one dialect layer for
//! PostgreSQL, MySQL/MariaDB and SQLite. See the crate README for every key, its
//! default and the delivery guarantee of each mode.

// A build with fewer drivers leaves helpers shared by the others unused; the default build
// (all three) keeps these lints strict.
#![cfg_attr(
    not(all(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused_imports, unused_macros, dead_code, irrefutable_let_patterns)
)]

#[cfg(not(any(feature = "postgres", feature = "mysql", feature = "sqlite")))]
compile_error!(
    "connect-jdbc needs at least one driver: the cargo feature postgres, mysql or sqlite"
);

pub mod connection;
pub mod dialect;
pub mod sink;
pub mod source;

pub use connection::{ConnectionSettings, Db};
pub use dialect::{ConnectionUrl, Dialect};

use connect_api::plugin::PluginDescriptor;

/// The connectors of this crate, for the runtime's plugin registry.
pub fn plugins() -> Vec<PluginDescriptor> {
    let mut plugins = source::plugins();
    plugins.extend(sink::plugins());
    plugins
}
