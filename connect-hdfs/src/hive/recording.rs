//! An in-process metastore that records every call and the HiveQL it stands for:
//! for tests of the sink, and as a dry run that shows what a real metastore would do.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use connect_api::data::Schema;
use connect_api::{ConnectError, Result};

use super::HiveMetastore;
use super::ddl::{
    HiveTableSpec, add_partition_ddl, alter_table_ddl, create_table_ddl, parse_partition,
};

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetastoreCall {
    /// `ensure_table` created the table.
    CreateTable(HiveTableSpec),
    /// `ensure_table` changed an existing table's schema.
    AlterTable(HiveTableSpec),
    /// `ensure_table` found the table already as wanted.
    TableUnchanged {
        /// `database.table`.
        table: String,
    },
    /// `add_partition` added a partition.
    AddPartition {
        /// `database.table`.
        table: String,
        /// The (column, value) pairs.
        values: Vec<(String, String)>,
        /// Its location.
        location: String,
    },
    /// `add_partition` found the partition already there.
    PartitionExists {
        /// `database.table`.
        table: String,
        /// The encoded partition.
        encoded: String,
    },
}

#[derive(Debug, Default)]
struct State {
    tables: BTreeMap<String, HiveTableSpec>,
    partitions: BTreeMap<String, BTreeMap<String, String>>,
    calls: Vec<MetastoreCall>,
    ddl: Vec<String>,
}

/// A metastore kept in memory that records calls and the equivalent HiveQL.
#[derive(Debug, Default)]
pub struct RecordingMetastore {
    state: Mutex<State>,
}

impl RecordingMetastore {
    /// An empty metastore.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| ConnectError::fatal("recording metastore lock poisoned"))
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<MetastoreCall> {
        self.lock().map(|s| s.calls.clone()).unwrap_or_default()
    }

    /// The HiveQL statements the calls stand for, in order.
    pub fn ddl(&self) -> Vec<String> {
        self.lock().map(|s| s.ddl.clone()).unwrap_or_default()
    }

    /// The current spec of `database.table`.
    pub fn table(&self, database: &str, table: &str) -> Option<HiveTableSpec> {
        self.lock().ok()?.tables.get(&format!("{database}.{table}")).cloned()
    }

    /// The partitions of `database.table`: encoded partition → location.
    pub fn partitions(&self, database: &str, table: &str) -> BTreeMap<String, String> {
        self.lock()
            .ok()
            .and_then(|s| s.partitions.get(&format!("{database}.{table}")).cloned())
            .unwrap_or_default()
    }
}

#[async_trait]
impl HiveMetastore for RecordingMetastore {
    async fn ensure_table(
        &self,
        database: &str,
        table: &str,
        location: &str,
        schema: &Schema,
        partition_fields: &[(String, Schema)],
        format: &str,
    ) -> Result<()> {
        let spec = HiveTableSpec::new(database, table, location, schema, partition_fields, format)?;
        let key = format!("{}.{}", spec.database, spec.table);
        let mut st = self.lock()?;
        match st.tables.get(&key) {
            None => {
                st.ddl.push(create_table_ddl(&spec));
                st.calls.push(MetastoreCall::CreateTable(spec.clone()));
            }
            Some(old) if old.columns == spec.columns && old.parameters == spec.parameters => {
                st.calls.push(MetastoreCall::TableUnchanged { table: key.clone() });
                return Ok(());
            }
            Some(_) => {
                let ddl = alter_table_ddl(&spec);
                st.ddl.extend(ddl);
                st.calls.push(MetastoreCall::AlterTable(spec.clone()));
            }
        }
        st.tables.insert(key, spec);
        Ok(())
    }

    async fn add_partition(
        &self,
        database: &str,
        table: &str,
        encoded_partition: &str,
        location: &str,
    ) -> Result<()> {
        let db = if database.is_empty() { "default" } else { database };
        let key = format!("{db}.{table}");
        let values = parse_partition(encoded_partition)?;
        let mut st = self.lock()?;
        let spec = st.tables.get(&key).ok_or_else(|| {
            ConnectError::not_found(format!(
                "Hive table {key} does not exist; ensure_table must run first"
            ))
        })?;
        let names: Vec<&String> = values.iter().map(|(k, _)| k).collect();
        let wanted: Vec<&String> = spec.partition_columns.iter().map(|(k, _)| k).collect();
        if names != wanted {
            return Err(ConnectError::data(format!(
                "encoded partition {encoded_partition:?} does not match the partition columns {wanted:?} of {key}"
            )));
        }
        if st.partitions.get(&key).is_some_and(|p| p.contains_key(encoded_partition)) {
            st.calls.push(MetastoreCall::PartitionExists {
                table: key,
                encoded: encoded_partition.into(),
            });
            return Ok(());
        }
        let ddl = add_partition_ddl(db, table, encoded_partition, location)?;
        st.ddl.push(ddl);
        st.partitions
            .entry(key.clone())
            .or_default()
            .insert(encoded_partition.to_string(), location.to_string());
        st.calls.push(MetastoreCall::AddPartition {
            table: key,
            values,
            location: location.into(),
        });
        Ok(())
    }
}
