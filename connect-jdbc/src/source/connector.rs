//! [`JdbcSourceConnector`]: lists the tables to copy, divides them over the tasks,
//! and watches for tables that appear or disappear.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigReport, RawConfig};
use connect_api::context::ConnectorContext;
use connect_api::util::group_partitions;
use connect_api::{ConnectError, Connector, Result, SourceConnector, SourceTask};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::config::{JdbcSourceConfig, TABLES};
use super::tables::{TableFilter, TableId};
use super::task::JdbcSourceTask;
use crate::connection::Db;

/// Copies tables (or the result of a query) of a PostgreSQL, MySQL/MariaDB or SQLite
/// database into Kafka (Confluent's `io.confluent.connect.jdbc.JdbcSourceConnector`).
///
/// Without `query` every table passing the filters is copied, each to the topic
/// `topic.prefix` + table name; tables are divided over at most `tasks.max` tasks. A
/// background monitor lists the tables every `table.poll.interval.ms` and asks the
/// runtime to re-plan the tasks when the list changed.
#[derive(Default)]
pub struct JdbcSourceConnector {
    started: Option<Started>,
}

struct Started {
    raw: RawConfig,
    config: JdbcSourceConfig,
    tables: Arc<Mutex<Vec<TableId>>>,
    stop: CancellationToken,
    db: Option<Db>,
}

impl std::fmt::Debug for JdbcSourceConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JdbcSourceConnector").field("started", &self.started.is_some()).finish()
    }
}

impl JdbcSourceConnector {
    /// A connector that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }
}

fn lock(tables: &Mutex<Vec<TableId>>) -> std::sync::MutexGuard<'_, Vec<TableId>> {
    tables.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl Connector for JdbcSourceConnector {
    fn version(&self) -> String {
        super::VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        JdbcSourceConfig::config_def()
    }

    fn validate(&self, config: &RawConfig) -> ConfigReport {
        JdbcSourceConfig::validate(config)
    }

    async fn start(&mut self, context: ConnectorContext, raw: RawConfig) -> Result<()> {
        let config = JdbcSourceConfig::parse(&raw)?;
        let settings = config.connection_settings()?;
        let db = settings.connect(1).await?;
        let stop = CancellationToken::new();
        let tables = Arc::new(Mutex::new(Vec::new()));
        let mut kept_db = None;
        if config.query().is_none() {
            let filter = TableFilter::from_config(&config)?;
            let listed = filter.list(&db).await?;
            info!(tables = listed.len(), "JDBC source connector found its tables");
            *lock(&tables) = listed;
            let monitor = Monitor {
                db: db.clone(),
                filter,
                tables: tables.clone(),
                context: context.clone(),
                interval: config.table_poll_interval(),
                stop: stop.clone(),
            };
            tokio::spawn(monitor.run());
            kept_db = Some(db);
        } else {
            db.close().await;
        }
        self.started = Some(Started { raw, config, tables, stop, db: kept_db });
        Ok(())
    }

    async fn task_configs(&mut self, max_tasks: usize) -> Result<Vec<RawConfig>> {
        let s = self.started.as_ref().ok_or_else(|| {
            ConnectError::fatal("JdbcSourceConnector asked for task configs before start")
        })?;
        if s.config.query().is_some() {
            return Ok(vec![s.raw.clone()]);
        }
        let tables = lock(&s.tables).clone();
        if tables.is_empty() || max_tasks == 0 {
            return Ok(Vec::new());
        }
        let groups = group_partitions(&tables, max_tasks.min(tables.len()))?;
        groups
            .into_iter()
            .map(|group| {
                let mut raw = s.raw.clone();
                let json = serde_json::to_string(&group).map_err(|e| {
                    ConnectError::fatal(format!("cannot encode the task's tables: {e}"))
                })?;
                raw.insert(TABLES.to_string(), json);
                Ok(raw)
            })
            .collect()
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(s) = self.started.take() {
            s.stop.cancel();
            if let Some(db) = s.db {
                db.close().await;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SourceConnector for JdbcSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(JdbcSourceTask::new())
    }
}

/// Lists the tables every `table.poll.interval.ms` and asks for new task configs when
/// the list changed.
struct Monitor {
    db: Db,
    filter: TableFilter,
    tables: Arc<Mutex<Vec<TableId>>>,
    context: ConnectorContext,
    interval: std::time::Duration,
    stop: CancellationToken,
}

impl Monitor {
    async fn run(self) {
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
            match self.filter.list(&self.db).await {
                Ok(now) => {
                    let changed = {
                        let mut known = lock(&self.tables);
                        if *known != now {
                            info!(
                                before = known.len(),
                                after = now.len(),
                                "the set of tables changed"
                            );
                            *known = now;
                            true
                        } else {
                            false
                        }
                    };
                    if changed && !self.stop.is_cancelled() {
                        self.context.request_task_reconfiguration();
                    }
                }
                // A database that is briefly unreachable is not a reason to fail the
                // connector: the tasks report their own errors.
                Err(e) => warn!(error = %e, "could not list the tables; trying again later"),
            }
        }
    }
}
