//! # connect-jdbc
//!
//! Not built yet. This crate will hold the SQL source and sink connectors with the
//! configuration names of Confluent's JDBC connectors
//! (`io.confluent.connect.jdbc.JdbcSourceConnector`, `JdbcSinkConnector`), over one dialect
//! layer for PostgreSQL, MySQL/MariaDB and SQLite, exposed through `plugins()`.
