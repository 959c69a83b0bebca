//! # connect-jdbc
//!
//! SQL source and sink connectors with the configuration names and behaviour of
//! Confluent's JDBC connectors (`io.confluent.connect.jdbc.JdbcSourceConnector`,
//! `io.confluent.connect.jdbc.JdbcSinkConnector`), over one dialect layer for
//! PostgreSQL, MySQL/MariaDB and SQLite. See the crate README for every key, its
//! default and the delivery guarantee of each mode.

pub mod connection;
pub mod dialect;

pub use connection::{ConnectionSettings, Db};
pub use dialect::{ConnectionUrl, Dialect};
