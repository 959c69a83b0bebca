//! Connecting to the database (with `connection.attempts` / `connection.backoff.ms`)
//! and the one place where database errors are classified as retriable or not.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use connect_api::config::{ConfigDef, ConfigKey, Importance, Type};
use connect_api::{ConnectError, Result};
#[cfg(feature = "mysql")]
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::dialect::{ConnectionUrl, Dialect};

/// How long one attempt waits for a connection. sqlx keeps retrying a refused
/// connection until this passes; `connection.attempts` and `connection.backoff.ms`
/// are the retry policy users configure, so one attempt stays short.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// `connection.url`.
pub const CONNECTION_URL: &str = "connection.url";
/// `connection.user`.
pub const CONNECTION_USER: &str = "connection.user";
/// `connection.password`.
pub const CONNECTION_PASSWORD: &str = "connection.password";
/// `connection.attempts`.
pub const CONNECTION_ATTEMPTS: &str = "connection.attempts";
/// `connection.backoff.ms`.
pub const CONNECTION_BACKOFF_MS: &str = "connection.backoff.ms";

/// The connection keys shared by the source and the sink, with Confluent's defaults.
pub fn connection_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(
                CONNECTION_URL,
                Type::String,
                Importance::High,
                "JDBC connection URL (jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb://, \
                 jdbc:sqlite:) or the driver's native URL (postgres://, mysql://, sqlite:).",
            )
            .group("Database")
            .order_in_group(1)
            .display_name("JDBC URL"),
        )
        .define(
            ConfigKey::new(
                CONNECTION_USER,
                Type::String,
                Importance::High,
                "JDBC connection user.",
            )
            .optional()
            .group("Database")
            .order_in_group(2)
            .display_name("JDBC User"),
        )
        .define(
            ConfigKey::new(
                CONNECTION_PASSWORD,
                Type::Password,
                Importance::High,
                "JDBC connection password.",
            )
            .optional()
            .group("Database")
            .order_in_group(3)
            .display_name("JDBC Password"),
        )
        .define(
            ConfigKey::new(
                CONNECTION_ATTEMPTS,
                Type::Int,
                Importance::Low,
                "Maximum number of attempts to retrieve a valid JDBC connection. Must be a \
                 positive integer.",
            )
            .default_value("3")
            .group("Database")
            .order_in_group(4)
            .display_name("JDBC connection attempts"),
        )
        .define(
            ConfigKey::new(
                CONNECTION_BACKOFF_MS,
                Type::Long,
                Importance::Low,
                "Backoff time in milliseconds between connection attempts.",
            )
            .default_value("10000")
            .group("Database")
            .order_in_group(5)
            .display_name("JDBC connection backoff in milliseconds"),
        )
}

/// Everything needed to open connections to one database.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// The parsed URL.
    pub url: ConnectionUrl,
    /// `connection.user`, applied over any user in the URL.
    pub user: Option<String>,
    /// `connection.password`, applied over any password in the URL.
    pub password: Option<String>,
    /// `connection.attempts` (at least 1).
    pub attempts: u32,
    /// `connection.backoff.ms`.
    pub backoff: Duration,
}

impl ConnectionSettings {
    /// Settings for `url` with no credentials, one attempt and no backoff.
    pub fn new(url: &str) -> Result<Self> {
        Ok(ConnectionSettings {
            url: ConnectionUrl::parse(url)?,
            user: None,
            password: None,
            attempts: 1,
            backoff: Duration::ZERO,
        })
    }

    /// The dialect the URL selects.
    pub fn dialect(&self) -> Dialect {
        self.url.dialect
    }

    /// Opens a pool of at most `max_connections`, trying `attempts` times with
    /// `backoff` between tries. The last failure is returned, classified by
    /// [`classify`] and naming the URL (without credentials).
    pub async fn connect(&self, max_connections: u32) -> Result<Db> {
        self.connect_observing(max_connections, None).await
    }

    /// [`connect`](Self::connect), and each new MySQL connection of the pool reports
    /// its `max_allowed_packet` to `packet` (read once per connection).
    pub async fn connect_observing(
        &self,
        max_connections: u32,
        packet: Option<&PacketLimit>,
    ) -> Result<Db> {
        let attempts = self.attempts.max(1);
        let mut last = None;
        for attempt in 1..=attempts {
            match self.connect_once(max_connections, packet).await {
                Ok(db) => return Ok(db),
                // A bad URL or a driver this build lacks: trying again cannot help.
                Err(e) if e.kind() == connect_api::ErrorKind::Config => return Err(e),
                Err(e) => {
                    tracing::warn!(
                        attempt,
                        attempts,
                        url = %redact(&self.url.native),
                        error = %e,
                        "could not connect to the database"
                    );
                    last = Some(e);
                    if attempt < attempts {
                        tokio::time::sleep(self.backoff).await;
                    }
                }
            }
        }
        let e = last.unwrap_or_else(|| ConnectError::retriable("no connection attempt made"));
        Err(ConnectError::new(
            e.kind(),
            format!(
                "could not connect to {} at {} after {attempts} attempt(s): {}",
                self.dialect().name(),
                redact(&self.url.native),
                e.message()
            ),
        ))
    }

    async fn connect_once(&self, max: u32, packet: Option<&PacketLimit>) -> Result<Db> {
        // Only MySQL connections report a packet size.
        #[cfg(not(feature = "mysql"))]
        let _ = packet;
        let bad_url = |e: sqlx::Error| {
            ConnectError::config(format!(
                "connection.url {} is not valid: {e}",
                redact(&self.url.native)
            ))
        };
        let max = max.max(1);
        match self.url.dialect {
            #[cfg(not(feature = "postgres"))]
            Dialect::Postgres => Err(not_built("postgres", "PostgreSQL")),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let mut o = PgConnectOptions::from_str(&self.url.native).map_err(bad_url)?;
                if let Some(u) = &self.user {
                    o = o.username(u);
                }
                if let Some(p) = &self.password {
                    o = o.password(p);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(o)
                    .await
                    .map_err(classify)?;
                Ok(Db::Postgres(pool))
            }
            #[cfg(not(feature = "mysql"))]
            Dialect::MySql => Err(not_built("mysql", "MySQL/MariaDB")),
            #[cfg(feature = "mysql")]
            Dialect::MySql => {
                let mut o = MySqlConnectOptions::from_str(&self.url.native).map_err(bad_url)?;
                if let Some(u) = &self.user {
                    o = o.username(u);
                }
                if let Some(p) = &self.password {
                    o = o.password(p);
                }
                let mut options =
                    MySqlPoolOptions::new().max_connections(max).acquire_timeout(ACQUIRE_TIMEOUT);
                if let Some(limit) = packet {
                    let limit = limit.clone();
                    options = options.after_connect(move |conn, _| {
                        let limit = limit.clone();
                        Box::pin(async move {
                            let bytes: i64 =
                                sqlx::query_scalar("SELECT CAST(@@max_allowed_packet AS SIGNED)")
                                    .persistent(false)
                                    .fetch_one(&mut *conn)
                                    .await?;
                            limit.observe(usize::try_from(bytes).unwrap_or(0));
                            Ok(())
                        })
                    });
                }
                let pool = options.connect_with(o).await.map_err(classify)?;
                Ok(Db::MySql(pool))
            }
            #[cfg(not(feature = "sqlite"))]
            Dialect::Sqlite => Err(not_built("sqlite", "SQLite")),
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => {
                let o = SqliteConnectOptions::from_str(&self.url.native)
                    .map_err(bad_url)?
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(o)
                    .await
                    .map_err(classify)?;
                Ok(Db::Sqlite(pool))
            }
        }
    }
}

/// The smallest MySQL `max_allowed_packet` of a pool's connections, as each new
/// connection reads it (the server's global value when the connection was opened; the
/// session value is read-only). Statements are sized below it.
#[derive(Debug, Clone)]
pub struct PacketLimit(Arc<AtomicUsize>);

impl Default for PacketLimit {
    fn default() -> Self {
        PacketLimit(Arc::new(AtomicUsize::new(usize::MAX)))
    }
}

impl PacketLimit {
    /// A limit no connection reported yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a connection's `max_allowed_packet`.
    pub fn observe(&self, bytes: usize) {
        self.0.fetch_min(bytes, Ordering::Relaxed);
    }

    /// The smallest one reported, if any.
    pub fn get(&self) -> Option<usize> {
        match self.0.load(Ordering::Relaxed) {
            usize::MAX => None,
            n => Some(n),
        }
    }
}

/// The error for a URL whose driver this build left out.
#[allow(dead_code)]
fn not_built(feature: &str, database: &str) -> ConnectError {
    ConnectError::config(format!(
        "connection.url names a {database} database, but this build of connect-jdbc has no {database} driver (cargo feature `{feature}`)"
    ))
}

/// A pool of connections to one database of one dialect.
#[derive(Debug, Clone)]
pub enum Db {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
    /// MySQL / MariaDB.
    #[cfg(feature = "mysql")]
    MySql(MySqlPool),
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
}

impl Db {
    /// The pool's dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Db::MySql(_) => Dialect::MySql,
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Runs one statement with no parameters and no result rows (DDL and the like).
    pub async fn execute(&self, sql: &str) -> Result<u64> {
        let n = match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            #[cfg(feature = "mysql")]
            Db::MySql(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        };
        n.map_err(|e| classify(e).context(format!("executing `{}`", abbreviate(sql))))
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(p) => p.close().await,
            #[cfg(feature = "mysql")]
            Db::MySql(p) => p.close().await,
            #[cfg(feature = "sqlite")]
            Db::Sqlite(p) => p.close().await,
        }
    }
}

/// Maps a driver error to a [`ConnectError`]: lost connections, pool timeouts,
/// deadlocks, serialization failures, lock timeouts and busy databases are
/// retriable; everything else (syntax, constraint violations, bad data) is not.
pub fn classify(e: sqlx::Error) -> ConnectError {
    let retriable = is_transient(&e);
    let msg = e.to_string();
    let err = if retriable {
        ConnectError::retriable(format!("transient database error: {msg}"))
    } else {
        match &e {
            sqlx::Error::Configuration(_) => ConnectError::config(msg),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => ConnectError::data(msg),
            _ => ConnectError::fatal(format!("database error: {msg}")),
        }
    };
    err.with_source(e)
}

/// Whether a driver error is worth retrying (see [`classify`]).
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Tls(_) => false,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            is_transient_code(&code)
        }
        _ => false,
    }
}

/// Whether a database error code (PostgreSQL SQLSTATE, MySQL error number or
/// SQLite result code, as the driver reports it) names a transient condition.
pub fn is_transient_code(code: &str) -> bool {
    // PostgreSQL SQLSTATE classes: 08 connection exception, 40001 serialization
    // failure, 40P01 deadlock, 53 insufficient resources, 57P01-03 shutdown /
    // cannot connect now, 55P03 lock not available.
    if code.len() == 5 && code.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        if code.starts_with("08") || code.starts_with("53") {
            return true;
        }
        if matches!(code, "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "55P03") {
            return true;
        }
    }
    // MySQL / MariaDB error numbers: 1205 lock wait timeout, 1213 deadlock,
    // 1040 too many connections, 2006 server gone away, 2013 lost connection,
    // 1927 connection killed. SQLite: 5 BUSY, 6 LOCKED (and extended codes).
    matches!(code, "1205" | "1213" | "1040" | "2006" | "2013" | "1927" | "5" | "6" | "261" | "517")
        || code.parse::<u32>().is_ok_and(|n| n > 255 && matches!(n & 0xff, 5 | 6))
}

/// Whether a driver error is a row's own fault (a constraint it breaks, a value the column
/// cannot take), as opposed to the database's or the table's (permissions, a missing
/// table, a lost connection): only such rows go to the errant record reporter.
pub fn is_record_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            is_record_error_code(&code)
        }
        _ => false,
    }
}

/// [`is_record_error`] for a database error code.
pub fn is_record_error_code(code: &str) -> bool {
    // PostgreSQL SQLSTATEs (five characters): classes 22 (data exception) and 23
    // (integrity constraint violation).
    if code.len() == 5 {
        return code.starts_with("22") || code.starts_with("23");
    }
    // MySQL / MariaDB: 1048 NULL into NOT NULL, 1062 duplicate key, 1264 out of range,
    // 1265 truncated, 1292 / 1366 incorrect value, 1406 too long, 1451 / 1452 foreign
    // key, 1690 out of range, 3819 / 4025 CHECK. SQLite: 18 TOOBIG, 19 CONSTRAINT (and its
    // extended codes), 20 MISMATCH.
    matches!(
        code,
        "1048"
            | "1062"
            | "1264"
            | "1265"
            | "1292"
            | "1366"
            | "1406"
            | "1451"
            | "1452"
            | "1690"
            | "3819"
            | "4025"
            | "18"
            | "19"
            | "20"
    ) || code.parse::<u32>().is_ok_and(|n| n > 255 && n & 0xff == 19)
}

/// The URL with any password replaced by `***`, for logs and errors.
pub fn redact(url: &str) -> String {
    // scheme://user:password@host…
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        if let Some(at) = rest.find('@') {
            let creds = &rest[..at];
            if let Some(colon) = creds.find(':') {
                return format!("{}{}:***{}", &url[..scheme_end + 3], &creds[..colon], &rest[at..]);
            }
        }
    }
    url.to_string()
}

/// The first 200 characters of a statement, for error messages.
pub fn abbreviate(sql: &str) -> String {
    if sql.chars().count() <= 200 {
        sql.to_string()
    } else {
        let mut s: String = sql.chars().take(200).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod record_error_tests {
    use super::is_record_error_code;

    #[test]
    fn constraint_and_data_errors_are_the_rows_fault_and_others_are_not() {
        // PostgreSQL: check, unique, not null, invalid text; permission, missing table.
        for c in ["23514", "23505", "23502", "22P02", "22003"] {
            assert!(is_record_error_code(c), "{c}");
        }
        for c in ["42501", "42P01", "08006", "40001"] {
            assert!(!is_record_error_code(c), "{c}");
        }
        // MySQL / MariaDB and SQLite (CHECK 275, UNIQUE 2067, NOT NULL 1299; READONLY 8).
        for c in ["1048", "1062", "4025", "3819", "19", "275", "2067", "1299"] {
            assert!(is_record_error_code(c), "{c}");
        }
        for c in ["1142", "1146", "2006", "8", "5", "1"] {
            assert!(!is_record_error_code(c), "{c}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes() {
        for c in ["40001", "40P01", "08006", "57P01", "1213", "1205", "2013", "5", "517"] {
            assert!(is_transient_code(c), "{c}");
        }
        for c in ["23505", "42601", "1062", "1146", "19", "2067"] {
            assert!(!is_transient_code(c), "{c}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("sqlite:x.db"), "sqlite:x.db");
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn unreachable_database_names_the_url_after_every_attempt() {
        let mut s = ConnectionSettings::new("jdbc:postgresql://127.0.0.1:1/test").unwrap();
        s.attempts = 2;
        s.backoff = Duration::from_millis(10);
        let e = s.connect(1).await.unwrap_err();
        assert!(e.is_retriable(), "{e}");
        assert!(e.message().contains("127.0.0.1:1") && e.message().contains("2 attempt"), "{e}");
    }

    /// In a build without the PostgreSQL driver (`--no-default-features --features mysql`,
    /// run by scripts/test.sh), a PostgreSQL URL fails at once, naming the feature.
    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn a_url_whose_driver_is_not_built_fails_at_once_naming_the_feature() {
        let mut s = ConnectionSettings::new("jdbc:postgresql://127.0.0.1:1/test").unwrap();
        s.attempts = 5;
        s.backoff = Duration::from_secs(10);
        let t0 = std::time::Instant::now();
        let e = s.connect(1).await.unwrap_err();
        assert_eq!(e.kind(), connect_api::ErrorKind::Config, "{e}");
        assert!(e.message().contains("cargo feature `postgres`"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(5), "retried: {e}");
    }
}
