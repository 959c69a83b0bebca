//! # connect-hdfs
//!
//! Not built yet. This crate will hold the storage sink with the configuration names of
//! Confluent's HDFS connector (`io.confluent.connect.hdfs.HdfsSinkConnector`): partitioners,
//! rotation, exactly-once commits through a write-ahead log, schema evolution and Hive
//! integration, over one storage layer, exposed through `plugins()`.
