//! The sink's configuration: Confluent's `JdbcSinkConnector` keys and defaults, plus
//! our `insert.method`, as a [`ConfigDef`] and the typed [`JdbcSinkConfig`].

use std::time::Duration;

use connect_api::config::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigReport, Importance, Password, Range, RawConfig, Type,
    ValidString,
};
use connect_api::{ConnectError, Result};
use serde::{Deserialize, Serialize};

use crate::connection::{ConnectionSettings, connection_config_def};
use crate::dialect::{ConnectionUrl, Dialect};

/// `insert.mode`: `insert`, `upsert` or `update`.
pub const INSERT_MODE: &str = "insert.mode";
/// `insert.method` (ours): `insert` (multi-row INSERT) or `copy` (PostgreSQL COPY).
pub const INSERT_METHOD: &str = "insert.method";
/// `batch.size`: the most rows one statement carries.
pub const BATCH_SIZE: &str = "batch.size";
/// `delete.enabled`: tombstones delete the row with the record key.
pub const DELETE_ENABLED: &str = "delete.enabled";
/// `table.name.format`: the destination table, `${topic}` replaced by the topic.
pub const TABLE_NAME_FORMAT: &str = "table.name.format";
/// `pk.mode`: `none`, `kafka`, `record_key` or `record_value`.
pub const PK_MODE: &str = "pk.mode";
/// `pk.fields`: the primary key fields, meaning depends on `pk.mode`.
pub const PK_FIELDS: &str = "pk.fields";
/// `fields.whitelist`: the value fields written (all when empty).
pub const FIELDS_WHITELIST: &str = "fields.whitelist";
/// `db.timezone`: the zone timestamps are written in to columns without a time zone.
pub const DB_TIMEZONE: &str = "db.timezone";
/// `auto.create`: create a missing table from the record schema.
pub const AUTO_CREATE: &str = "auto.create";
/// `auto.evolve`: add missing columns with `ALTER TABLE`.
pub const AUTO_EVOLVE: &str = "auto.evolve";
/// `quote.sql.identifiers`: `always` or `never`.
pub const QUOTE_SQL_IDENTIFIERS: &str = "quote.sql.identifiers";
/// `max.retries`: retries of a batch after a transient database error.
pub const MAX_RETRIES: &str = "max.retries";
/// `retry.backoff.ms`: the wait between those retries.
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
/// `dialect.name`: optional; when set it must agree with `connection.url`.
pub const DIALECT_NAME: &str = "dialect.name";

/// The default `pk.mode=kafka` column names, as Confluent's.
pub const DEFAULT_KAFKA_PK_NAMES: [&str; 3] =
    ["__connect_topic", "__connect_partition", "__connect_offset"];

/// How records become rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    /// `INSERT`: a duplicate key is an error.
    Insert,
    /// Insert, or update the row with the same key (idempotent).
    Upsert,
    /// `UPDATE … WHERE key`: records without a row change nothing.
    Update,
}

/// How insert-mode rows reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMethod {
    /// Multi-row `INSERT … VALUES (…), (…)` with bind parameters.
    Insert,
    /// PostgreSQL `COPY … FROM STDIN` (binary format; text when a column has no binary
    /// form here), insert mode only.
    Copy,
}

/// Where the primary key columns come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    /// No primary key.
    None,
    /// The record's topic, partition and offset.
    Kafka,
    /// The record key (a primitive, or fields of a struct).
    RecordKey,
    /// Fields of the record value.
    RecordValue,
}

/// The sink's configuration as the connector and its tasks read it.
///
/// ```
/// use connect_api::config::RawConfig;
/// use connect_jdbc::sink::{InsertMode, JdbcSinkConfig, PkMode};
///
/// let raw = RawConfig::from([
///     ("connection.url".to_string(), "jdbc:sqlite:/tmp/x.db".to_string()),
///     ("insert.mode".to_string(), "upsert".to_string()),
///     ("pk.mode".to_string(), "record_value".to_string()),
///     ("pk.fields".to_string(), "id".to_string()),
/// ]);
/// let cfg = JdbcSinkConfig::parse(&raw)?;
/// assert_eq!(cfg.insert_mode()?, InsertMode::Upsert);
/// assert_eq!(cfg.pk_mode()?, PkMode::RecordValue);
/// assert_eq!(cfg.batch_size, 3000);
/// assert_eq!(cfg.table_name("orders"), "orders");
///
/// let bad = RawConfig::from([
///     ("connection.url".to_string(), "jdbc:sqlite:/tmp/x.db".to_string()),
///     ("delete.enabled".to_string(), "true".to_string()),
/// ]);
/// assert!(JdbcSinkConfig::parse(&bad).unwrap_err().message().contains("pk.mode=record_key"));
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct JdbcSinkConfig {
    /// `connection.url`.
    #[serde(rename = "connection.url")]
    pub connection_url: String,
    /// `connection.user`.
    #[serde(rename = "connection.user", default)]
    pub connection_user: Option<String>,
    /// `connection.password`.
    #[serde(rename = "connection.password", default)]
    pub connection_password: Option<Password>,
    /// `connection.attempts`.
    #[serde(rename = "connection.attempts")]
    pub connection_attempts: i32,
    /// `connection.backoff.ms`.
    #[serde(rename = "connection.backoff.ms")]
    pub connection_backoff_ms: i64,
    /// `insert.mode`.
    #[serde(rename = "insert.mode")]
    pub insert_mode: String,
    /// `insert.method`.
    #[serde(rename = "insert.method")]
    pub insert_method: String,
    /// `batch.size`.
    #[serde(rename = "batch.size")]
    pub batch_size: i32,
    /// `delete.enabled`.
    #[serde(rename = "delete.enabled")]
    pub delete_enabled: bool,
    /// `table.name.format`.
    #[serde(rename = "table.name.format")]
    pub table_name_format: String,
    /// `pk.mode`.
    #[serde(rename = "pk.mode")]
    pub pk_mode: String,
    /// `pk.fields`.
    #[serde(rename = "pk.fields")]
    pub pk_fields: Vec<String>,
    /// `fields.whitelist`.
    #[serde(rename = "fields.whitelist")]
    pub fields_whitelist: Vec<String>,
    /// `db.timezone`.
    #[serde(rename = "db.timezone")]
    pub db_timezone: String,
    /// `auto.create`.
    #[serde(rename = "auto.create")]
    pub auto_create: bool,
    /// `auto.evolve`.
    #[serde(rename = "auto.evolve")]
    pub auto_evolve: bool,
    /// `quote.sql.identifiers`.
    #[serde(rename = "quote.sql.identifiers")]
    pub quote_sql_identifiers: String,
    /// `max.retries`.
    #[serde(rename = "max.retries")]
    pub max_retries: i32,
    /// `retry.backoff.ms`.
    #[serde(rename = "retry.backoff.ms")]
    pub retry_backoff_ms: i32,
    /// `dialect.name`.
    #[serde(rename = "dialect.name", default)]
    pub dialect_name: Option<String>,
}

const DIALECT_NAMES: [&str; 4] =
    ["", "PostgreSqlDatabaseDialect", "MySqlDatabaseDialect", "SqliteDatabaseDialect"];

impl JdbcSinkConfig {
    /// The definition of every sink key (the connection keys included).
    pub fn config_def() -> ConfigDef {
        let key = |name: &str, ty: Type, imp: Importance, doc: &str, group: &str, order: i32| {
            ConfigKey::new(name, ty, imp, doc).group(group).order_in_group(order)
        };
        connection_config_def()
            .define(
                key(
                    INSERT_MODE,
                    Type::String,
                    Importance::High,
                    "The insertion mode to use. `insert`: standard INSERT statements. `upsert`: \
                     the upsert of the dialect (ON CONFLICT … DO UPDATE, ON DUPLICATE KEY \
                     UPDATE). `update`: UPDATE statements by primary key.",
                    "Writes",
                    1,
                )
                .default_value("insert")
                .validator(ValidString::in_list_case_insensitive(["insert", "upsert", "update"])),
            )
            .define(
                key(
                    INSERT_METHOD,
                    Type::String,
                    Importance::Medium,
                    "How insert-mode rows are sent (not a Confluent key): `insert` uses multi-row \
                     INSERT statements with bind parameters; `copy` streams them with \
                     PostgreSQL's COPY … FROM STDIN (PostgreSQL and insert.mode=insert only).",
                    "Writes",
                    2,
                )
                .default_value("insert")
                .validator(ValidString::in_list_case_insensitive(["insert", "copy"])),
            )
            .define(
                key(
                    BATCH_SIZE,
                    Type::Int,
                    Importance::Medium,
                    "Specifies how many records to attempt to batch together for insertion into \
                     the destination table, when possible (also bounded by the database's \
                     bind-parameter limit).",
                    "Writes",
                    3,
                )
                .default_value(3000)
                .validator(Range::at_least(1)),
            )
            .define(
                key(
                    DELETE_ENABLED,
                    Type::Boolean,
                    Importance::Medium,
                    "Whether to treat null record values as deletes. Requires pk.mode to be \
                     record_key.",
                    "Writes",
                    4,
                )
                .default_value(false),
            )
            .define(
                key(
                    TABLE_NAME_FORMAT,
                    Type::String,
                    Importance::Medium,
                    "A format string for the destination table name, which may contain \
                     '${topic}' as a placeholder for the originating topic name. A name with a \
                     dot is schema.table.",
                    "Data Mapping",
                    1,
                )
                .default_value("${topic}"),
            )
            .define(
                key(
                    PK_MODE,
                    Type::String,
                    Importance::High,
                    "The primary key mode: none, kafka (topic, partition and offset), \
                     record_key (the key, a primitive or a struct) or record_value (fields of \
                     the value).",
                    "Data Mapping",
                    2,
                )
                .default_value("none")
                .validator(ValidString::in_list_case_insensitive([
                    "none",
                    "kafka",
                    "record_key",
                    "record_value",
                ])),
            )
            .define(
                key(
                    PK_FIELDS,
                    Type::List,
                    Importance::Medium,
                    "List of comma-separated primary key field names. kafka: three names for \
                     topic, partition and offset (default __connect_topic, \
                     __connect_partition, __connect_offset); record_key: the key's column name \
                     for a primitive key, or the key struct's fields (all when empty); \
                     record_value: the value fields (all when empty).",
                    "Data Mapping",
                    3,
                )
                .default_value(""),
            )
            .define(
                key(
                    FIELDS_WHITELIST,
                    Type::List,
                    Importance::Medium,
                    "List of comma-separated record value field names. If empty, all fields \
                     from the record value are used.",
                    "Data Mapping",
                    4,
                )
                .default_value(""),
            )
            .define(
                key(
                    DB_TIMEZONE,
                    Type::String,
                    Importance::Medium,
                    "Name of the time zone (IANA name such as Europe/Paris, UTC, or a fixed \
                     offset such as +02:00) used when writing timestamps into columns \
                     without a time zone.",
                    "Data Mapping",
                    5,
                )
                .default_value("UTC"),
            )
            .define(
                key(
                    AUTO_CREATE,
                    Type::Boolean,
                    Importance::Medium,
                    "Whether to automatically create the destination table based on record \
                     schema if it is found to be missing by issuing CREATE.",
                    "DDL Support",
                    1,
                )
                .default_value(false),
            )
            .define(
                key(
                    AUTO_EVOLVE,
                    Type::Boolean,
                    Importance::Medium,
                    "Whether to automatically add columns in the table schema when found to be \
                     missing relative to the record schema by issuing ALTER. Columns are never \
                     dropped.",
                    "DDL Support",
                    2,
                )
                .default_value(false),
            )
            .define(
                key(
                    QUOTE_SQL_IDENTIFIERS,
                    Type::String,
                    Importance::Medium,
                    "When to quote table names, column names, and other identifiers in SQL \
                     statements: always or never.",
                    "DDL Support",
                    3,
                )
                .default_value("always")
                .validator(ValidString::in_list_case_insensitive(["always", "never"])),
            )
            .define(
                key(
                    MAX_RETRIES,
                    Type::Int,
                    Importance::Medium,
                    "The maximum number of times to retry a batch on transient errors before \
                     failing the put with a retriable error.",
                    "Retries",
                    1,
                )
                .default_value(10)
                .validator(Range::at_least(0)),
            )
            .define(
                key(
                    RETRY_BACKOFF_MS,
                    Type::Int,
                    Importance::Medium,
                    "The time in milliseconds to wait following a transient error before a \
                     retry attempt is made.",
                    "Retries",
                    2,
                )
                .default_value(3000)
                .validator(Range::at_least(0)),
            )
            .define(
                key(
                    DIALECT_NAME,
                    Type::String,
                    Importance::Low,
                    "The database dialect; empty means the one connection.url names. When set \
                     it must agree with connection.url.",
                    "Database",
                    6,
                )
                .optional()
                .validator(ValidString::in_list(DIALECT_NAMES)),
            )
    }

    /// Parses, validates every key and checks the keys against each other.
    pub fn parse(raw: &RawConfig) -> Result<Self> {
        let cfg: JdbcSinkConfig = Self::config_def().parse(raw)?.into_typed()?;
        let problems = cfg.cross_check();
        if problems.is_empty() { Ok(cfg) } else { Err(ConnectError::from(problems)) }
    }

    /// Adds the cross-key problems of `raw` to a per-key report (for `validate`).
    pub fn validate_into(raw: &RawConfig, report: &mut ConfigReport) {
        if !report.is_valid() {
            return;
        }
        let Ok(parsed) = Self::config_def().parse(raw) else { return };
        match parsed.into_typed::<JdbcSinkConfig>() {
            Ok(cfg) => {
                for (key, message) in cfg.cross_check() {
                    report.add_error(&key, message);
                }
            }
            Err(e) => report.add_error(INSERT_MODE, e.message().to_string()),
        }
    }

    fn cross_check(&self) -> ConfigErrors {
        let mut errors = ConfigErrors::new();
        let mode = self.insert_mode();
        let pk = self.pk_mode();
        let method = self.insert_method();
        if let (Ok(mode), Ok(PkMode::None)) = (&mode, &pk)
            && *mode != InsertMode::Insert
        {
            errors.push(
                PK_MODE,
                format!(
                    "insert.mode={} needs a primary key: set pk.mode to kafka, record_key or \
                     record_value",
                    self.insert_mode.to_ascii_lowercase()
                ),
            );
        }
        if self.delete_enabled && !matches!(pk, Ok(PkMode::RecordKey)) {
            errors.push(
                DELETE_ENABLED,
                format!(
                    "delete.enabled=true requires pk.mode=record_key (pk.mode is {})",
                    self.pk_mode
                ),
            );
        }
        if matches!(pk, Ok(PkMode::Kafka))
            && !self.pk_fields.is_empty()
            && self.pk_fields.len() != 3
        {
            errors.push(
                PK_FIELDS,
                format!(
                    "pk.mode=kafka takes either no pk.fields or exactly three (topic, partition, \
                     offset column names), got {}",
                    self.pk_fields.len()
                ),
            );
        }
        let url = ConnectionUrl::parse(&self.connection_url);
        if matches!(method, Ok(InsertMethod::Copy)) {
            if !matches!(mode, Ok(InsertMode::Insert)) {
                errors.push(INSERT_METHOD, "insert.method=copy works with insert.mode=insert only");
            }
            if let Ok(u) = &url
                && u.dialect != Dialect::Postgres
            {
                errors.push(
                    INSERT_METHOD,
                    format!("insert.method=copy needs PostgreSQL, not {}", u.dialect.name()),
                );
            }
        }
        match &url {
            Err(e) => errors.push(crate::connection::CONNECTION_URL, e.message().to_string()),
            Ok(u) => {
                let expected = match u.dialect {
                    Dialect::Postgres => "PostgreSqlDatabaseDialect",
                    Dialect::MySql => "MySqlDatabaseDialect",
                    Dialect::Sqlite => "SqliteDatabaseDialect",
                };
                if let Some(d) = self.dialect_name.as_deref()
                    && !d.is_empty()
                    && d != expected
                {
                    errors.push(
                        DIALECT_NAME,
                        format!("dialect.name={d} does not match connection.url ({expected})"),
                    );
                }
            }
        }
        if let Err(e) = crate::sink::types::TimeZone::parse(&self.db_timezone) {
            errors.push(DB_TIMEZONE, e);
        }
        if !self.table_name_format.contains("${topic}") && self.table_name_format.trim().is_empty()
        {
            errors.push(TABLE_NAME_FORMAT, "table.name.format must not be empty");
        }
        errors
    }

    /// `insert.mode` as an enum.
    pub fn insert_mode(&self) -> Result<InsertMode> {
        match self.insert_mode.to_ascii_lowercase().as_str() {
            "insert" => Ok(InsertMode::Insert),
            "upsert" => Ok(InsertMode::Upsert),
            "update" => Ok(InsertMode::Update),
            other => Err(ConnectError::config(format!("Invalid insert.mode {other}"))),
        }
    }

    /// `insert.method` as an enum.
    pub fn insert_method(&self) -> Result<InsertMethod> {
        match self.insert_method.to_ascii_lowercase().as_str() {
            "insert" => Ok(InsertMethod::Insert),
            "copy" => Ok(InsertMethod::Copy),
            other => Err(ConnectError::config(format!("Invalid insert.method {other}"))),
        }
    }

    /// `pk.mode` as an enum.
    pub fn pk_mode(&self) -> Result<PkMode> {
        match self.pk_mode.to_ascii_lowercase().as_str() {
            "none" => Ok(PkMode::None),
            "kafka" => Ok(PkMode::Kafka),
            "record_key" => Ok(PkMode::RecordKey),
            "record_value" => Ok(PkMode::RecordValue),
            other => Err(ConnectError::config(format!("Invalid pk.mode {other}"))),
        }
    }

    /// Whether identifiers are quoted.
    pub fn quote_identifiers(&self) -> bool {
        !self.quote_sql_identifiers.eq_ignore_ascii_case("never")
    }

    /// The destination table of a topic.
    pub fn table_name(&self, topic: &str) -> String {
        self.table_name_format.replace("${topic}", topic)
    }

    /// The wait between retries.
    pub fn retry_backoff(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.retry_backoff_ms).unwrap_or(0))
    }

    /// The connection settings.
    pub fn connection(&self) -> Result<ConnectionSettings> {
        let mut s = ConnectionSettings::new(&self.connection_url)?;
        s.user = self.connection_user.clone().filter(|u| !u.is_empty());
        s.password = self.connection_password.as_ref().map(|p| p.value().to_string());
        s.attempts = u32::try_from(self.connection_attempts).unwrap_or(1).max(1);
        s.backoff = Duration::from_millis(u64::try_from(self.connection_backoff_ms).unwrap_or(0));
        Ok(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        let mut r: RawConfig = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        r.entry("connection.url".into()).or_insert_with(|| "jdbc:postgresql://h/db".into());
        r
    }

    #[test]
    fn defaults_are_confluents() {
        let c = JdbcSinkConfig::parse(&raw(&[])).unwrap();
        assert_eq!(c.insert_mode().unwrap(), InsertMode::Insert);
        assert_eq!(c.pk_mode().unwrap(), PkMode::None);
        assert_eq!(c.batch_size, 3000);
        assert_eq!(c.max_retries, 10);
        assert_eq!(c.retry_backoff_ms, 3000);
        assert_eq!(c.db_timezone, "UTC");
        assert!(c.quote_identifiers());
        assert!(!c.auto_create && !c.auto_evolve && !c.delete_enabled);
        assert_eq!(c.table_name("t1"), "t1");
    }

    #[test]
    fn cross_key_rules_name_the_key() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("insert.mode", "upsert")], "pk.mode"),
            (&[("insert.mode", "update")], "pk.mode"),
            (&[("delete.enabled", "true"), ("pk.mode", "record_value")], "pk.mode=record_key"),
            (&[("pk.mode", "kafka"), ("pk.fields", "a,b")], "exactly three"),
            (&[("insert.method", "copy"), ("insert.mode", "upsert"), ("pk.mode", "kafka")], "copy"),
            (
                &[("insert.method", "copy"), ("connection.url", "jdbc:mysql://h/d")],
                "needs PostgreSQL",
            ),
            (&[("dialect.name", "MySqlDatabaseDialect")], "does not match"),
            (&[("db.timezone", "Mars/Olympus")], "db.timezone"),
        ];
        for (pairs, needle) in cases {
            let e = JdbcSinkConfig::parse(&raw(pairs)).unwrap_err();
            assert!(e.message().contains(needle), "{pairs:?}: {e}");
        }
        let mut report = JdbcSinkConfig::config_def().validate(&raw(&[("insert.mode", "upsert")]));
        JdbcSinkConfig::validate_into(&raw(&[("insert.mode", "upsert")]), &mut report);
        assert_eq!(report.get(PK_MODE).map(|k| k.errors.len()), Some(1));
    }
}
