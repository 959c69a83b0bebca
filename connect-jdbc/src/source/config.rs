//! The source connector's configuration: key names and defaults of Confluent's
//! `JdbcSourceConnectorConfig`, the [`ConfigDef`], the typed [`JdbcSourceConfig`] and the
//! cross-key checks (`mode` against its column settings, `query` against table filters).

use std::time::Duration;

use connect_api::config::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigReport, ConfigValue, Importance, Range, RawConfig,
    Type, ValidList, ValidString, custom,
};
use connect_api::{ConnectError, Result};
use serde::{Deserialize, Serialize};

use crate::connection::{CONNECTION_URL, ConnectionSettings, connection_config_def};
use crate::dialect::ConnectionUrl;

/// `mode`: how each poll decides which rows are new.
pub const MODE: &str = "mode";
/// `incrementing.column.name`.
pub const INCREMENTING_COLUMN_NAME: &str = "incrementing.column.name";
/// `timestamp.column.name` (a list: the COALESCE of the columns).
pub const TIMESTAMP_COLUMN_NAME: &str = "timestamp.column.name";
/// `timestamp.initial`.
pub const TIMESTAMP_INITIAL: &str = "timestamp.initial";
/// `timestamp.delay.interval.ms`.
pub const TIMESTAMP_DELAY_INTERVAL_MS: &str = "timestamp.delay.interval.ms";
/// `validate.non.null`.
pub const VALIDATE_NON_NULL: &str = "validate.non.null";
/// `query`.
pub const QUERY: &str = "query";
/// `query.suffix`.
pub const QUERY_SUFFIX: &str = "query.suffix";
/// `table.whitelist`.
pub const TABLE_WHITELIST: &str = "table.whitelist";
/// `table.blacklist`.
pub const TABLE_BLACKLIST: &str = "table.blacklist";
/// `table.include.list` (regular expressions).
pub const TABLE_INCLUDE_LIST: &str = "table.include.list";
/// `table.exclude.list` (regular expressions).
pub const TABLE_EXCLUDE_LIST: &str = "table.exclude.list";
/// `table.types`.
pub const TABLE_TYPES: &str = "table.types";
/// `schema.pattern`.
pub const SCHEMA_PATTERN: &str = "schema.pattern";
/// `catalog.pattern`.
pub const CATALOG_PATTERN: &str = "catalog.pattern";
/// `topic.prefix`.
pub const TOPIC_PREFIX: &str = "topic.prefix";
/// `poll.interval.ms`.
pub const POLL_INTERVAL_MS: &str = "poll.interval.ms";
/// `batch.max.rows`.
pub const BATCH_MAX_ROWS: &str = "batch.max.rows";
/// `table.poll.interval.ms`.
pub const TABLE_POLL_INTERVAL_MS: &str = "table.poll.interval.ms";
/// `numeric.mapping`.
pub const NUMERIC_MAPPING: &str = "numeric.mapping";
/// `numeric.precision.mapping` (deprecated: `true` means `numeric.mapping=precision_only`).
pub const NUMERIC_PRECISION_MAPPING: &str = "numeric.precision.mapping";
/// `db.timezone`.
pub const DB_TIMEZONE: &str = "db.timezone";
/// `quote.sql.identifiers`.
pub const QUOTE_SQL_IDENTIFIERS: &str = "quote.sql.identifiers";
/// `dialect.name`.
pub const DIALECT_NAME: &str = "dialect.name";
/// The task-config key carrying the tables of one task (a JSON array of
/// `[schema-or-null, table]` pairs); set by the connector, not by users.
pub const TABLES: &str = "tables";

const MODES: [&str; 5] = ["", "bulk", "incrementing", "timestamp", "timestamp+incrementing"];
const NUMERIC_MAPPINGS: [&str; 4] = ["none", "precision_only", "best_fit", "best_fit_eager_double"];
const TABLE_TYPE_VALUES: [&str; 8] = [
    "TABLE",
    "VIEW",
    "SYSTEM TABLE",
    "GLOBAL TEMPORARY",
    "LOCAL TEMPORARY",
    "ALIAS",
    "SYNONYM",
    "PARTITIONED TABLE",
];
const DIALECT_NAMES: [&str; 4] =
    ["", "PostgreSqlDatabaseDialect", "MySqlDatabaseDialect", "SqliteDatabaseDialect"];

/// How rows are selected on each poll (`mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The whole table (or query result) on every poll.
    Bulk,
    /// Rows whose strictly increasing column is above the last one seen.
    Incrementing,
    /// Rows whose timestamp is new.
    Timestamp,
    /// Rows whose (timestamp, incrementing) pair is new.
    TimestampIncrementing,
}

impl Mode {
    /// Parses a `mode` value; `None` for the empty (unset) value or an unknown one.
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "bulk" => Mode::Bulk,
            "incrementing" => Mode::Incrementing,
            "timestamp" => Mode::Timestamp,
            "timestamp+incrementing" => Mode::TimestampIncrementing,
            _ => return None,
        })
    }

    /// Whether the mode uses `incrementing.column.name`.
    pub fn uses_incrementing(self) -> bool {
        matches!(self, Mode::Incrementing | Mode::TimestampIncrementing)
    }

    /// Whether the mode uses `timestamp.column.name`.
    pub fn uses_timestamp(self) -> bool {
        matches!(self, Mode::Timestamp | Mode::TimestampIncrementing)
    }
}

/// How NUMERIC/DECIMAL columns map to Connect types (`numeric.mapping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMapping {
    /// Always the Decimal logical type.
    None,
    /// Integers (INT8..INT64) by precision when the scale is 0, else Decimal.
    PrecisionOnly,
    /// Integers by precision when the scale is 0, FLOAT64 when the scale is positive
    /// and the precision at most 18, else Decimal.
    BestFit,
    /// As `best_fit`, but FLOAT64 whenever the scale is positive.
    BestFitEagerDouble,
}

impl NumericMapping {
    fn parse(s: &str) -> NumericMapping {
        match s {
            "precision_only" => NumericMapping::PrecisionOnly,
            "best_fit" => NumericMapping::BestFit,
            "best_fit_eager_double" => NumericMapping::BestFitEagerDouble,
            _ => NumericMapping::None,
        }
    }
}

/// The typed configuration of the source connector and its tasks. Field names are
/// the configuration keys.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct JdbcSourceConfig {
    /// `connection.url`.
    #[serde(rename = "connection.url")]
    pub connection_url: String,
    /// `connection.user`.
    #[serde(rename = "connection.user")]
    pub connection_user: Option<String>,
    /// `connection.password`.
    #[serde(rename = "connection.password", skip_serializing)]
    pub connection_password: Option<String>,
    /// `connection.attempts`.
    #[serde(rename = "connection.attempts")]
    pub connection_attempts: i32,
    /// `connection.backoff.ms`.
    #[serde(rename = "connection.backoff.ms")]
    pub connection_backoff_ms: i64,
    /// `mode`.
    pub mode: String,
    /// `incrementing.column.name`.
    #[serde(rename = "incrementing.column.name")]
    pub incrementing_column_name: String,
    /// `timestamp.column.name`.
    #[serde(rename = "timestamp.column.name")]
    pub timestamp_column_name: Vec<String>,
    /// `timestamp.initial`.
    #[serde(rename = "timestamp.initial")]
    pub timestamp_initial: Option<i64>,
    /// `timestamp.delay.interval.ms`.
    #[serde(rename = "timestamp.delay.interval.ms")]
    pub timestamp_delay_interval_ms: i64,
    /// `validate.non.null`.
    #[serde(rename = "validate.non.null")]
    pub validate_non_null: bool,
    /// `query`.
    pub query: String,
    /// `query.suffix`.
    #[serde(rename = "query.suffix")]
    pub query_suffix: String,
    /// `table.whitelist`.
    #[serde(rename = "table.whitelist")]
    pub table_whitelist: Vec<String>,
    /// `table.blacklist`.
    #[serde(rename = "table.blacklist")]
    pub table_blacklist: Vec<String>,
    /// `table.include.list`.
    #[serde(rename = "table.include.list")]
    pub table_include_list: Vec<String>,
    /// `table.exclude.list`.
    #[serde(rename = "table.exclude.list")]
    pub table_exclude_list: Vec<String>,
    /// `table.types`.
    #[serde(rename = "table.types")]
    pub table_types: Vec<String>,
    /// `schema.pattern`.
    #[serde(rename = "schema.pattern")]
    pub schema_pattern: Option<String>,
    /// `catalog.pattern`.
    #[serde(rename = "catalog.pattern")]
    pub catalog_pattern: Option<String>,
    /// `topic.prefix`.
    #[serde(rename = "topic.prefix")]
    pub topic_prefix: String,
    /// `poll.interval.ms`.
    #[serde(rename = "poll.interval.ms")]
    pub poll_interval_ms: i32,
    /// `batch.max.rows`.
    #[serde(rename = "batch.max.rows")]
    pub batch_max_rows: i32,
    /// `table.poll.interval.ms`.
    #[serde(rename = "table.poll.interval.ms")]
    pub table_poll_interval_ms: i64,
    /// `numeric.mapping`.
    #[serde(rename = "numeric.mapping")]
    pub numeric_mapping: Option<String>,
    /// `numeric.precision.mapping`.
    #[serde(rename = "numeric.precision.mapping")]
    pub numeric_precision_mapping: bool,
    /// `db.timezone`.
    #[serde(rename = "db.timezone")]
    pub db_timezone: String,
    /// `quote.sql.identifiers`.
    #[serde(rename = "quote.sql.identifiers")]
    pub quote_sql_identifiers: String,
    /// `dialect.name`.
    #[serde(rename = "dialect.name")]
    pub dialect_name: String,
}

fn key(
    name: &str,
    ty: Type,
    importance: Importance,
    doc: &str,
    group: &str,
    order: i32,
) -> ConfigKey {
    ConfigKey::new(name, ty, importance, doc).group(group).order_in_group(order)
}

impl JdbcSourceConfig {
    /// The definition of every key: the shared connection keys and the source keys,
    /// with Confluent's names and defaults.
    pub fn config_def() -> ConfigDef {
        let timezone =
            custom(|_, value: Option<&ConfigValue>| match value.and_then(ConfigValue::as_str) {
                Some(tz) => parse_timezone(tz).map(|_| ()),
                None => Ok(()),
            })
            .described_as("a time zone id such as UTC or Europe/Paris");
        let mut def = ConfigDef::new();
        for k in connection_config_def().keys() {
            let k = if k.name() == CONNECTION_URL {
                k.clone().validator(url_validator())
            } else {
                k.clone()
            };
            def.add(k);
        }
        const MODE_GROUP: &str = "Mode";
        const CONNECTOR_GROUP: &str = "Connector";
        const DATABASE: &str = "Database";
        def.define(
            key(
                MODE,
                Type::String,
                Importance::High,
                "The mode for updating a table each time it is polled: bulk (the whole table \
                 every poll), incrementing (a strictly incrementing column detects new rows), \
                 timestamp (a timestamp column detects new and modified rows), \
                 timestamp+incrementing (a timestamp column detects new and modified rows, an \
                 incrementing column breaks ties).",
                MODE_GROUP,
                1,
            )
            .default_value("")
            .validator(ValidString::in_list(MODES))
            .display_name("Table Loading Mode"),
        )
        .define(
            key(
                INCREMENTING_COLUMN_NAME,
                Type::String,
                Importance::Medium,
                "The name of the strictly incrementing column used to detect new rows \
                 (incrementing and timestamp+incrementing modes).",
                MODE_GROUP,
                2,
            )
            .default_value("")
            .display_name("Incrementing Column Name"),
        )
        .define(
            key(
                TIMESTAMP_COLUMN_NAME,
                Type::List,
                Importance::Medium,
                "Comma-separated list of timestamp columns used to detect new or modified rows; \
                 the first non-null one of each row (COALESCE) counts. Must be non-nullable \
                 unless validate.non.null=false.",
                MODE_GROUP,
                3,
            )
            .default_value("")
            .display_name("Timestamp Column Name"),
        )
        .define(
            key(
                TIMESTAMP_INITIAL,
                Type::Long,
                Importance::Low,
                "Epoch milliseconds to start timestamp modes from when no offset is committed; \
                 -1 means the database's current time. Unset reads from the beginning.",
                MODE_GROUP,
                4,
            )
            .optional()
            .display_name("Unix time value of initial timestamp"),
        )
        .define(
            key(
                VALIDATE_NON_NULL,
                Type::Boolean,
                Importance::Low,
                "Whether to check at start that the incrementing column and at least one \
                 timestamp column are NOT NULL.",
                MODE_GROUP,
                5,
            )
            .default_value("true")
            .display_name("Validate Non Null"),
        )
        .define(
            key(
                QUERY,
                Type::String,
                Importance::Medium,
                "A custom query to run instead of copying whole tables. With incrementing or \
                 timestamp modes the query is wrapped (SELECT * FROM (<query>) ...) and the \
                 mode's condition applied to its output columns. All records go to the topic \
                 named by topic.prefix.",
                MODE_GROUP,
                6,
            )
            .default_value("")
            .display_name("Query"),
        )
        .define(
            key(
                QUERY_SUFFIX,
                Type::String,
                Importance::Low,
                "A suffix appended to the generated query.",
                MODE_GROUP,
                7,
            )
            .default_value("")
            .display_name("Query suffix"),
        )
        .define(
            key(
                TIMESTAMP_DELAY_INTERVAL_MS,
                Type::Long,
                Importance::High,
                "How long after a row's timestamp it is read: rows newer than the database's \
                 current time minus this delay wait for a later poll. On SQLite it is also the \
                 lag the no-loss guarantee relies on (see the README).",
                MODE_GROUP,
                8,
            )
            .default_value("0")
            .validator(Range::at_least(0))
            .display_name("Delay Interval (ms)"),
        )
        .define(
            key(
                TABLE_WHITELIST,
                Type::List,
                Importance::Medium,
                "Tables to copy (names or schema.name); when set, no other table is copied. \
                 Exclusive with table.blacklist.",
                DATABASE,
                6,
            )
            .default_value("")
            .display_name("Table Whitelist"),
        )
        .define(
            key(
                TABLE_BLACKLIST,
                Type::List,
                Importance::Medium,
                "Tables not to copy (names or schema.name). Exclusive with table.whitelist.",
                DATABASE,
                7,
            )
            .default_value("")
            .display_name("Table Blacklist"),
        )
        .define(
            key(
                TABLE_INCLUDE_LIST,
                Type::List,
                Importance::Medium,
                "Regular expressions; a table is copied only when one of them matches its name \
                 or its schema-qualified name in full.",
                DATABASE,
                8,
            )
            .default_value("")
            .display_name("Table Include List"),
        )
        .define(
            key(
                TABLE_EXCLUDE_LIST,
                Type::List,
                Importance::Medium,
                "Regular expressions; a table is not copied when one of them matches its name \
                 or its schema-qualified name in full.",
                DATABASE,
                9,
            )
            .default_value("")
            .display_name("Table Exclude List"),
        )
        .define(
            key(
                SCHEMA_PATTERN,
                Type::String,
                Importance::Medium,
                "SQL LIKE pattern of the schemas (PostgreSQL) or databases (MySQL) to list \
                 tables from; unset means every non-system schema (PostgreSQL) or the \
                 connection's database (MySQL).",
                DATABASE,
                10,
            )
            .optional()
            .display_name("Schema pattern"),
        )
        .define(
            key(
                CATALOG_PATTERN,
                Type::String,
                Importance::Medium,
                "SQL LIKE pattern of the catalogs to list tables from: MySQL databases (as \
                 schema.pattern); ignored by PostgreSQL and SQLite.",
                DATABASE,
                11,
            )
            .optional()
            .display_name("Catalog pattern"),
        )
        .define(
            key(
                TABLE_TYPES,
                Type::List,
                Importance::Low,
                "The types of table to copy: TABLE, VIEW (and the other JDBC table types, of \
                 which these databases have TABLE and VIEW).",
                DATABASE,
                12,
            )
            .default_value("TABLE")
            .validator(ValidList::in_list(TABLE_TYPE_VALUES))
            .display_name("Table Types"),
        )
        .define(
            key(
                NUMERIC_PRECISION_MAPPING,
                Type::Boolean,
                Importance::Low,
                "Deprecated: true means numeric.mapping=precision_only.",
                DATABASE,
                13,
            )
            .default_value("false")
            .display_name("Map Numeric Values By Precision (deprecated)"),
        )
        .define(
            key(
                NUMERIC_MAPPING,
                Type::String,
                Importance::Low,
                "How NUMERIC/DECIMAL columns map to Connect types: none (Decimal), \
                 precision_only (integers when the scale is 0), best_fit (integers, or FLOAT64 \
                 when the precision is at most 18), best_fit_eager_double (FLOAT64 for any \
                 positive scale).",
                DATABASE,
                14,
            )
            .optional()
            .validator(ValidString::in_list(NUMERIC_MAPPINGS))
            .display_name("Map Numeric Values, Integral or Decimal, By Precision and Scale"),
        )
        .define(
            key(
                DIALECT_NAME,
                Type::String,
                Importance::Low,
                "The dialect to use; empty means the one connection.url names.",
                DATABASE,
                15,
            )
            .default_value("")
            .validator(ValidString::in_list(DIALECT_NAMES))
            .display_name("Database Dialect"),
        )
        .define(
            key(
                POLL_INTERVAL_MS,
                Type::Int,
                Importance::High,
                "How often to poll each table (or the query) for new data, in milliseconds.",
                CONNECTOR_GROUP,
                1,
            )
            .default_value("5000")
            .validator(Range::at_least(0))
            .display_name("Poll Interval (ms)"),
        )
        .define(
            key(
                BATCH_MAX_ROWS,
                Type::Int,
                Importance::Low,
                "The most rows one poll returns.",
                CONNECTOR_GROUP,
                2,
            )
            .default_value("100")
            .validator(Range::at_least(1))
            .display_name("Max Rows Per Batch"),
        )
        .define(
            key(
                TABLE_POLL_INTERVAL_MS,
                Type::Long,
                Importance::Low,
                "How often to look for new and dropped tables, in milliseconds; a change \
                 re-plans the tasks.",
                CONNECTOR_GROUP,
                3,
            )
            .default_value("60000")
            .validator(Range::at_least(1))
            .display_name("Metadata Change Monitoring Interval (ms)"),
        )
        .define(
            key(
                TOPIC_PREFIX,
                Type::String,
                Importance::High,
                "Prefix of the topic names: each table goes to <prefix><table>; in query mode \
                 every record goes to the topic <prefix>.",
                CONNECTOR_GROUP,
                4,
            )
            .display_name("Topic Prefix"),
        )
        .define(
            key(
                DB_TIMEZONE,
                Type::String,
                Importance::Medium,
                "The time zone of TIMESTAMP/DATETIME columns without a time zone (and of the \
                 timestamp.initial comparison against them).",
                CONNECTOR_GROUP,
                5,
            )
            .default_value("UTC")
            .validator(timezone)
            .display_name("DB time zone"),
        )
        .define(
            key(
                QUOTE_SQL_IDENTIFIERS,
                Type::String,
                Importance::Medium,
                "When to quote table and column names in generated SQL: always or never.",
                CONNECTOR_GROUP,
                6,
            )
            .default_value("always")
            .validator(ValidString::in_list_case_insensitive(["always", "never"]))
            .display_name("Quote Identifiers"),
        )
    }

    /// Parses and validates a raw configuration: every key, then the cross-key rules.
    /// The error (kind config) names every bad key.
    pub fn parse(raw: &RawConfig) -> Result<JdbcSourceConfig> {
        let def = Self::config_def();
        let parsed = def.parse(raw)?;
        let config: JdbcSourceConfig = parsed.into_typed()?;
        let errors = config.cross_check();
        if !errors.is_empty() {
            return Err(errors.into());
        }
        Ok(config)
    }

    /// Validates key by key (for the REST validate endpoint), cross-key rules included.
    pub fn validate(raw: &RawConfig) -> ConfigReport {
        let mut report = Self::config_def().validate(raw);
        if report.is_valid()
            && let Ok(parsed) = Self::config_def().parse(raw)
            && let Ok(config) = parsed.into_typed::<JdbcSourceConfig>()
        {
            for (key, message) in config.cross_check() {
                report.add_error(&key, message);
            }
        }
        report
    }

    fn cross_check(&self) -> ConfigErrors {
        let mut errors = ConfigErrors::new();
        let mode = Mode::parse(&self.mode);
        match mode {
            None => errors.push(
                MODE,
                format!(
                    "Invalid value '{}' for configuration {MODE}: set one of bulk, incrementing, \
                     timestamp, timestamp+incrementing",
                    self.mode
                ),
            ),
            Some(m) => {
                if m.uses_incrementing() && self.incrementing_column_name.trim().is_empty() {
                    errors.push(
                        INCREMENTING_COLUMN_NAME,
                        format!(
                            "Missing configuration {INCREMENTING_COLUMN_NAME}: mode {} needs the \
                             name of a strictly incrementing column",
                            self.mode
                        ),
                    );
                }
                if m.uses_timestamp() && self.timestamp_columns().is_empty() {
                    errors.push(
                        TIMESTAMP_COLUMN_NAME,
                        format!(
                            "Missing configuration {TIMESTAMP_COLUMN_NAME}: mode {} needs at least \
                             one timestamp column",
                            self.mode
                        ),
                    );
                }
            }
        }
        if !self.query.trim().is_empty() {
            for (k, v) in [
                (TABLE_WHITELIST, &self.table_whitelist),
                (TABLE_BLACKLIST, &self.table_blacklist),
                (TABLE_INCLUDE_LIST, &self.table_include_list),
                (TABLE_EXCLUDE_LIST, &self.table_exclude_list),
            ] {
                if !non_empty(v).is_empty() {
                    errors.push(
                        k,
                        format!("Do not specify table filtering configs ({k}) with '{QUERY}'"),
                    );
                }
            }
        }
        if !non_empty(&self.table_whitelist).is_empty()
            && !non_empty(&self.table_blacklist).is_empty()
        {
            errors.push(
                TABLE_BLACKLIST,
                format!("Only one of {TABLE_WHITELIST} and {TABLE_BLACKLIST} may be set"),
            );
        }
        for (k, list) in [
            (TABLE_INCLUDE_LIST, &self.table_include_list),
            (TABLE_EXCLUDE_LIST, &self.table_exclude_list),
        ] {
            for p in non_empty(list) {
                if let Err(e) = regex::Regex::new(&format!("^(?:{p})$")) {
                    errors.push(k, format!("Invalid regular expression {p:?} in {k}: {e}"));
                }
            }
        }
        if let Ok(url) = ConnectionUrl::parse(&self.connection_url) {
            let expected = match url.dialect {
                crate::Dialect::Postgres => "PostgreSqlDatabaseDialect",
                crate::Dialect::MySql => "MySqlDatabaseDialect",
                crate::Dialect::Sqlite => "SqliteDatabaseDialect",
            };
            if !self.dialect_name.is_empty() && self.dialect_name != expected {
                errors.push(
                    DIALECT_NAME,
                    format!(
                        "{DIALECT_NAME} {} does not match connection.url, which needs {expected}",
                        self.dialect_name
                    ),
                );
            }
        }
        errors
    }

    /// The mode (valid after [`parse`](Self::parse)).
    pub fn mode(&self) -> Mode {
        Mode::parse(&self.mode).unwrap_or(Mode::Bulk)
    }

    /// The timestamp columns, empty entries dropped.
    pub fn timestamp_columns(&self) -> Vec<String> {
        non_empty(&self.timestamp_column_name)
    }

    /// The incrementing column, if set.
    pub fn incrementing_column(&self) -> Option<&str> {
        let c = self.incrementing_column_name.trim();
        if c.is_empty() { None } else { Some(c) }
    }

    /// The query of query mode, if set.
    pub fn query(&self) -> Option<&str> {
        let q = self.query.trim();
        if q.is_empty() { None } else { Some(q) }
    }

    /// The numeric mapping, honouring the deprecated `numeric.precision.mapping`.
    pub fn numeric_mapping(&self) -> NumericMapping {
        match &self.numeric_mapping {
            Some(m) => NumericMapping::parse(m),
            None if self.numeric_precision_mapping => NumericMapping::PrecisionOnly,
            None => NumericMapping::None,
        }
    }

    /// Whether to quote identifiers.
    pub fn quote(&self) -> bool {
        !self.quote_sql_identifiers.eq_ignore_ascii_case("never")
    }

    /// `db.timezone` as a time zone (UTC when it does not parse, which `parse` rejects).
    pub fn timezone(&self) -> chrono_tz::Tz {
        parse_timezone(&self.db_timezone).unwrap_or(chrono_tz::UTC)
    }

    /// `poll.interval.ms`.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.poll_interval_ms).unwrap_or(0))
    }

    /// `table.poll.interval.ms`.
    pub fn table_poll_interval(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.table_poll_interval_ms).unwrap_or(1).max(1))
    }

    /// `batch.max.rows` as a count (at least 1).
    pub fn batch_max_rows(&self) -> usize {
        usize::try_from(self.batch_max_rows).unwrap_or(1).max(1)
    }

    /// `timestamp.delay.interval.ms`.
    pub fn timestamp_delay(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.timestamp_delay_interval_ms).unwrap_or(0))
    }

    /// The connection settings these keys describe.
    pub fn connection_settings(&self) -> Result<ConnectionSettings> {
        let mut s = ConnectionSettings::new(&self.connection_url)?;
        s.user = self.connection_user.clone().filter(|u| !u.is_empty());
        s.password = self.connection_password.clone().filter(|p| !p.is_empty());
        s.attempts = u32::try_from(self.connection_attempts).unwrap_or(1).max(1);
        s.backoff = Duration::from_millis(u64::try_from(self.connection_backoff_ms).unwrap_or(0));
        Ok(s)
    }
}

fn url_validator() -> connect_api::config::CustomValidator {
    custom(|_, value: Option<&ConfigValue>| match value.and_then(ConfigValue::as_str) {
        Some(url) => ConnectionUrl::parse(url).map(|_| ()).map_err(|e| e.message().to_string()),
        None => Ok(()),
    })
    .described_as("a jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb:// or jdbc:sqlite: URL")
}

/// Parses a `db.timezone` value.
pub fn parse_timezone(tz: &str) -> std::result::Result<chrono_tz::Tz, String> {
    tz.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        format!(
            "Invalid time zone {tz:?}: expected an IANA time zone id such as UTC or Europe/Paris"
        )
    })
}

/// The entries of a list setting with surrounding space trimmed and empty ones dropped.
pub fn non_empty(list: &[String]) -> Vec<String> {
    list.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Reads the `tables` key of a task config.
pub(crate) fn task_tables(raw: &RawConfig) -> Result<Vec<super::tables::TableId>> {
    match raw.get(TABLES) {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json).map_err(|e| {
            ConnectError::config(format!("Invalid task configuration {TABLES}={json}: {e}"))
        }),
    }
}
