//! Keeps the Hive metastore in step with committed files, through
//! [`HiveMetastore`](crate::hive::HiveMetastore): a table per topic created or
//! altered to the newest schema committed, and a partition added the first time a
//! file is committed in an encoded partition.
//!
//! Metastore failures do not fail the task (the files are committed and stay
//! readable); they are logged and the step is tried again at the next commit. When a
//! table exists but cannot be altered to a new schema, partitions are still added.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use connect_api::data::Schema;
use tracing::{debug, warn};

use crate::hive::HiveMetastore;
use crate::layout::Layout;
use crate::storage::Storage;

/// The Hive side of a task.
#[derive(Debug)]
pub struct HiveSync {
    metastore: Arc<dyn HiveMetastore>,
    database: String,
    table_pattern: String,
    format: &'static str,
    partition_fields: Vec<(String, Schema)>,
    state: Mutex<HiveState>,
}

#[derive(Debug, Default)]
struct HiveState {
    /// The schema each table was last ensured with.
    tables: HashMap<String, Schema>,
    /// `(table, encoded partition)` pairs added.
    partitions: HashSet<(String, String)>,
}

impl HiveSync {
    /// A sync over `metastore`.
    pub fn new(
        metastore: Arc<dyn HiveMetastore>,
        database: String,
        table_pattern: String,
        format: &'static str,
        partition_fields: Vec<(String, Schema)>,
    ) -> HiveSync {
        HiveSync {
            metastore,
            database,
            table_pattern,
            format,
            partition_fields,
            state: Mutex::new(HiveState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HiveState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// After files of `topic` with `schema` were committed in `encoded` partitions:
    /// ensures the table (when the schema is newer than the one it has, or the table
    /// was not ensured yet) and adds the partitions not added yet.
    pub async fn committed(
        &self,
        storage: &Storage,
        layout: &Layout,
        topic: &str,
        schema: Option<&Schema>,
        encoded: &[String],
    ) {
        let table = self.table_pattern.replace("${topic}", topic);
        let Some(schema) = schema else {
            warn!(
                topic,
                "Hive integration needs records with a schema; skipping the table of schemaless data"
            );
            return;
        };
        let newer = match self.state().tables.get(&table) {
            None => true,
            Some(known) => {
                known != schema
                    && match (known.version(), schema.version()) {
                        (Some(k), Some(s)) => s > k,
                        _ => true,
                    }
            }
        };
        let location = storage.location(&layout.topic_dir(topic));
        if newer {
            match self
                .metastore
                .ensure_table(
                    &self.database,
                    &table,
                    &location,
                    schema,
                    &self.partition_fields,
                    self.format,
                )
                .await
            {
                Ok(()) => {
                    debug!(table, "Hive table ensured");
                    self.state().tables.insert(table.clone(), schema.clone());
                }
                Err(e) => {
                    warn!(table, error = %e, "could not create or alter the Hive table; will try again at the next commit");
                    // A table that exists with an older schema (say a metastore refused the
                    // new columns) still gets the new partitions, so the committed files
                    // stay visible; a table never created gets nothing yet.
                    if !self.state().tables.contains_key(&table) {
                        return;
                    }
                }
            }
        }
        for enc in encoded {
            let key = (table.clone(), enc.clone());
            if self.state().partitions.contains(&key) {
                continue;
            }
            let location = storage.location(&layout.partition_dir(topic, enc));
            match self.metastore.add_partition(&self.database, &table, enc, &location).await {
                Ok(()) => {
                    self.state().partitions.insert(key);
                }
                Err(e) => {
                    warn!(table, partition = %enc, error = %e, "could not add the Hive partition; will try again at the next commit")
                }
            }
        }
    }
}
