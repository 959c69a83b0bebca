//! The SQL dialects this crate speaks and how a `connection.url` selects one.
//!
//! `connection.url` is accepted in JDBC form, as Confluent's connectors take it
//! (`jdbc:postgresql://host:5432/db?user=u`, `jdbc:mysql://…`, `jdbc:mariadb://…`,
//! `jdbc:sqlite:/path/file.db`), and in the native form the drivers use
//! (`postgres://…`, `postgresql://…`, `mysql://…`, `mariadb://…`, `sqlite:…`).

use connect_api::{ConnectError, Result};

/// The database family behind a connection; everything dialect-specific keys off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
    /// SQLite (embedded).
    Sqlite,
}

impl Dialect {
    /// The dialect's name as logged and shown in errors.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL",
            Dialect::Sqlite => "SQLite",
        }
    }

    /// Quotes one identifier (a table, schema or column name) for this dialect,
    /// doubling any quote character inside it.
    pub fn quote_identifier(self, ident: &str) -> String {
        let q = match self {
            Dialect::MySql => '`',
            Dialect::Postgres | Dialect::Sqlite => '"',
        };
        let mut out = String::with_capacity(ident.len() + 2);
        out.push(q);
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// An identifier as it goes into SQL: quoted when `quote` is true (the
    /// `quote.sql.identifiers=always` behaviour), verbatim otherwise.
    pub fn identifier(self, ident: &str, quote: bool) -> String {
        if quote { self.quote_identifier(ident) } else { ident.to_string() }
    }

    /// A possibly schema-qualified table name (`schema.table`), each part quoted.
    pub fn table_name(self, schema: Option<&str>, table: &str, quote: bool) -> String {
        match schema {
            Some(s) if !s.is_empty() => {
                format!("{}.{}", self.identifier(s, quote), self.identifier(table, quote))
            }
            _ => self.identifier(table, quote),
        }
    }

    /// The bind-parameter placeholder for the 1-based position `n`.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::MySql | Dialect::Sqlite => "?".to_string(),
        }
    }
}

/// A parsed `connection.url`: the dialect and the URL its native driver takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionUrl {
    /// The database family.
    pub dialect: Dialect,
    /// The URL in the driver's own form (credentials from `connection.user` /
    /// `connection.password` are applied separately, never written into it).
    pub native: String,
}

impl ConnectionUrl {
    /// Parses a JDBC or native URL.
    ///
    /// ```
    /// use connect_jdbc::dialect::{ConnectionUrl, Dialect};
    /// let u = ConnectionUrl::parse("jdbc:mysql://127.0.0.1:3306/test").unwrap();
    /// assert_eq!(u.dialect, Dialect::MySql);
    /// assert_eq!(u.native, "mysql://127.0.0.1:3306/test");
    /// let s = ConnectionUrl::parse("jdbc:sqlite:/tmp/x.db").unwrap();
    /// assert_eq!(s.native, "sqlite:/tmp/x.db");
    /// assert!(ConnectionUrl::parse("jdbc:oracle:thin:@h:1521:x").is_err());
    /// ```
    pub fn parse(url: &str) -> Result<Self> {
        let trimmed = url.trim();
        let body = trimmed.strip_prefix("jdbc:").unwrap_or(trimmed);
        let lower = body.to_ascii_lowercase();
        let (dialect, native) = if let Some(rest) = strip_scheme(&lower, body, "postgresql://") {
            (Dialect::Postgres, format!("postgres://{rest}"))
        } else if let Some(rest) = strip_scheme(&lower, body, "postgres://") {
            (Dialect::Postgres, format!("postgres://{rest}"))
        } else if let Some(rest) = strip_scheme(&lower, body, "mysql://") {
            (Dialect::MySql, format!("mysql://{rest}"))
        } else if let Some(rest) = strip_scheme(&lower, body, "mariadb://") {
            (Dialect::MySql, format!("mysql://{rest}"))
        } else if let Some(rest) = strip_scheme(&lower, body, "sqlite:") {
            if rest.is_empty() {
                return Err(ConnectError::config(format!(
                    "connection.url {url} names no SQLite database file"
                )));
            }
            (Dialect::Sqlite, format!("sqlite:{rest}"))
        } else {
            return Err(ConnectError::config(format!(
                "connection.url {url} is not a supported database URL: expected jdbc:postgresql://, \
                 jdbc:mysql://, jdbc:mariadb://, jdbc:sqlite: or their native forms"
            )));
        };
        Ok(ConnectionUrl { dialect, native })
    }
}

fn strip_scheme<'a>(lower: &str, body: &'a str, scheme: &str) -> Option<&'a str> {
    if lower.starts_with(scheme) { Some(&body[scheme.len()..]) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdbc_and_native_urls() {
        let cases = [
            (
                "jdbc:postgresql://localhost:5432/test",
                Dialect::Postgres,
                "postgres://localhost:5432/test",
            ),
            ("postgres://h/db", Dialect::Postgres, "postgres://h/db"),
            (
                "postgresql://h/db?sslmode=disable",
                Dialect::Postgres,
                "postgres://h/db?sslmode=disable",
            ),
            ("jdbc:mariadb://127.0.0.1:3306/test", Dialect::MySql, "mysql://127.0.0.1:3306/test"),
            ("mysql://root@127.0.0.1/test", Dialect::MySql, "mysql://root@127.0.0.1/test"),
            ("jdbc:sqlite:test.db", Dialect::Sqlite, "sqlite:test.db"),
            ("sqlite::memory:", Dialect::Sqlite, "sqlite::memory:"),
        ];
        for (url, d, native) in cases {
            let p = ConnectionUrl::parse(url).unwrap();
            assert_eq!((p.dialect, p.native.as_str()), (d, native), "{url}");
        }
    }

    #[test]
    fn unsupported_urls_name_the_url() {
        for bad in ["jdbc:oracle:thin:@h:1521:x", "http://x", "", "jdbc:sqlite:"] {
            let e = ConnectionUrl::parse(bad).unwrap_err();
            assert!(e.message().contains("connection.url"), "{e}");
        }
    }

    #[test]
    fn quoting_doubles_quote_characters() {
        assert_eq!(Dialect::Postgres.quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::MySql.quote_identifier("a`b"), "`a``b`");
        assert_eq!(Dialect::Sqlite.table_name(Some("main"), "t", true), "\"main\".\"t\"");
        assert_eq!(Dialect::MySql.table_name(None, "users", false), "users");
        assert_eq!(Dialect::Postgres.placeholder(3), "$3");
        assert_eq!(Dialect::MySql.placeholder(3), "?");
    }
}
