//! Tables: their ids, listing them (with `table.types`, `schema.pattern` and the
//! white/black and include/exclude lists), checking that one still exists, and
//! reading a table's column metadata.

use std::fmt;

use connect_api::Result;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::connection::{Db, classify};
use crate::dialect::Dialect;

use super::config::{JdbcSourceConfig, non_empty};

/// A table: its schema (PostgreSQL schema, MySQL database; none for SQLite) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableId {
    /// The schema, or `None`.
    pub schema: Option<String>,
    /// The table name.
    pub name: String,
}

impl TableId {
    /// A table in `schema`.
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        TableId { schema: schema.map(str::to_string), name: name.to_string() }
    }

    /// `schema.name`, or `name` without a schema.
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The table as it goes into SQL.
    pub fn sql(&self, dialect: Dialect, quote: bool) -> String {
        dialect.table_name(self.schema.as_deref(), &self.name, quote)
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.qualified())
    }
}

/// Which tables the connector copies, from the configuration.
#[derive(Debug, Clone)]
pub struct TableFilter {
    whitelist: Vec<String>,
    blacklist: Vec<String>,
    include: Vec<regex::Regex>,
    exclude: Vec<regex::Regex>,
    types: Vec<String>,
    schema_pattern: Option<String>,
}

fn regexes(list: &[String]) -> Result<Vec<regex::Regex>> {
    non_empty(list)
        .iter()
        .map(|p| {
            regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                connect_api::ConnectError::config(format!("Invalid regular expression {p:?}: {e}"))
            })
        })
        .collect()
}

impl TableFilter {
    /// The filter a configuration describes.
    pub fn from_config(config: &JdbcSourceConfig) -> Result<Self> {
        Ok(TableFilter {
            whitelist: non_empty(&config.table_whitelist),
            blacklist: non_empty(&config.table_blacklist),
            include: regexes(&config.table_include_list)?,
            exclude: regexes(&config.table_exclude_list)?,
            types: non_empty(&config.table_types).iter().map(|t| t.to_ascii_uppercase()).collect(),
            schema_pattern: config
                .schema_pattern
                .clone()
                .or_else(|| config.catalog_pattern.clone())
                .filter(|p| !p.trim().is_empty()),
        })
    }

    /// Whether `table` passes the white/black and include/exclude lists.
    pub fn accepts(&self, table: &TableId) -> bool {
        let qualified = table.qualified();
        let named = |list: &[String]| list.iter().any(|n| *n == table.name || *n == qualified);
        let matched = |list: &[regex::Regex]| {
            list.iter().any(|r| r.is_match(&table.name) || r.is_match(&qualified))
        };
        if !self.whitelist.is_empty() && !named(&self.whitelist) {
            return false;
        }
        if named(&self.blacklist) {
            return false;
        }
        if !self.include.is_empty() && !matched(&self.include) {
            return false;
        }
        !matched(&self.exclude)
    }

    fn wants_tables(&self) -> bool {
        self.types.iter().any(|t| t == "TABLE" || t == "PARTITIONED TABLE")
    }

    fn wants_views(&self) -> bool {
        self.types.iter().any(|t| t == "VIEW")
    }

    /// Lists the tables to copy, sorted.
    pub async fn list(&self, db: &Db) -> Result<Vec<TableId>> {
        let (tables, views) = (self.wants_tables(), self.wants_views());
        let mut out: Vec<TableId> = match db {
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => {
                let sql = "SELECT table_schema::text, table_name::text, table_type::text \
                           FROM information_schema.tables \
                           WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
                           AND table_schema NOT LIKE 'pg_toast%' AND table_schema NOT LIKE 'pg_temp%' \
                           AND ($1::text IS NULL OR table_schema LIKE $1)";
                let rows = sqlx::query(sql)
                    .bind(self.schema_pattern.as_deref())
                    .fetch_all(pool)
                    .await
                    .map_err(|e| classify(e).context("listing PostgreSQL tables"))?;
                rows.iter()
                    .filter_map(|r| {
                        let schema: String = r.try_get(0).ok()?;
                        let name: String = r.try_get(1).ok()?;
                        let ty: String = r.try_get(2).ok()?;
                        keep(&ty, tables, views).then(|| TableId::new(Some(&schema), &name))
                    })
                    .collect()
            }
            #[cfg(feature = "mysql")]
            Db::MySql(pool) => {
                let sql = "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), \
                           CAST(TABLE_TYPE AS CHAR) FROM information_schema.TABLES \
                           WHERE (? IS NULL AND TABLE_SCHEMA = DATABASE()) OR TABLE_SCHEMA LIKE ?";
                let rows = sqlx::query(sql)
                    .bind(self.schema_pattern.as_deref())
                    .bind(self.schema_pattern.as_deref())
                    .fetch_all(pool)
                    .await
                    .map_err(|e| classify(e).context("listing MySQL tables"))?;
                rows.iter()
                    .filter_map(|r| {
                        let schema: String = r.try_get(0).ok()?;
                        let name: String = r.try_get(1).ok()?;
                        let ty: String = r.try_get(2).ok()?;
                        keep(&ty, tables, views).then(|| TableId::new(Some(&schema), &name))
                    })
                    .collect()
            }
            #[cfg(feature = "sqlite")]
            Db::Sqlite(pool) => {
                let sql = "SELECT name, type FROM sqlite_master \
                           WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'";
                let rows = sqlx::query(sql)
                    .fetch_all(pool)
                    .await
                    .map_err(|e| classify(e).context("listing SQLite tables"))?;
                rows.iter()
                    .filter_map(|r| {
                        let name: String = r.try_get(0).ok()?;
                        let ty: String = r.try_get(1).ok()?;
                        let ty = if ty == "view" { "VIEW" } else { "BASE TABLE" };
                        keep(ty, tables, views).then(|| TableId::new(None, &name))
                    })
                    .collect()
            }
        };
        out.retain(|t| self.accepts(t));
        out.sort();
        out.dedup();
        Ok(out)
    }
}

fn keep(table_type: &str, tables: bool, views: bool) -> bool {
    match table_type {
        "VIEW" | "SYSTEM VIEW" => views,
        "BASE TABLE" | "SYSTEM VERSIONED" => tables,
        _ => false,
    }
}

/// Whether `table` exists now.
pub async fn exists(db: &Db, table: &TableId) -> Result<bool> {
    let n: i64 = match db {
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
        )
        .bind(table.schema.as_deref().unwrap_or("public"))
        .bind(&table.name)
        .fetch_one(pool)
        .await
        .map_err(classify)?,
        #[cfg(feature = "mysql")]
        Db::MySql(pool) => sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
        )
        .bind(table.schema.as_deref())
        .bind(&table.name)
        .fetch_one(pool)
        .await
        .map_err(classify)?,
        #[cfg(feature = "sqlite")]
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
        )
        .bind(&table.name)
        .fetch_one(pool)
        .await
        .map_err(classify)?,
    };
    Ok(n > 0)
}

/// What the catalog says about one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMeta {
    /// The column name.
    pub name: String,
    /// The declared type, lower case (`numeric`, `tinyint(1)`, `decimal(10,2)`, …).
    pub declared: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Declared precision of a NUMERIC/DECIMAL column.
    pub precision: Option<i64>,
    /// Declared scale of a NUMERIC/DECIMAL column.
    pub scale: Option<i64>,
}

/// Reads the columns of `table` from the catalog, in table order.
pub async fn columns(db: &Db, table: &TableId) -> Result<Vec<ColumnMeta>> {
    let what = || format!("reading the columns of {table}");
    match db {
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => {
            let rows = sqlx::query(
                "SELECT column_name::text, data_type::text, udt_name::text, is_nullable::text, \
                 numeric_precision::int8, numeric_scale::int8 \
                 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 \
                 ORDER BY ordinal_position",
            )
            .bind(table.schema.as_deref().unwrap_or("public"))
            .bind(&table.name)
            .fetch_all(pool)
            .await
            .map_err(|e| classify(e).context(what()))?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    let udt: String = r.try_get(2).ok()?;
                    let is_numeric = udt == "numeric";
                    Some(ColumnMeta {
                        name: r.try_get(0).ok()?,
                        declared: udt,
                        nullable: r.try_get::<String, _>(3).ok()? == "YES",
                        precision: if is_numeric { r.try_get(4).ok()? } else { None },
                        scale: if is_numeric { r.try_get(5).ok()? } else { None },
                    })
                })
                .collect())
        }
        #[cfg(feature = "mysql")]
        Db::MySql(pool) => {
            let rows = sqlx::query(
                "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
                 CAST(IS_NULLABLE AS CHAR), CAST(NUMERIC_PRECISION AS SIGNED), \
                 CAST(NUMERIC_SCALE AS SIGNED), CAST(DATA_TYPE AS CHAR) \
                 FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
                 ORDER BY ORDINAL_POSITION",
            )
            .bind(table.schema.as_deref())
            .bind(&table.name)
            .fetch_all(pool)
            .await
            .map_err(|e| classify(e).context(what()))?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    let data_type: String = r.try_get(5).ok()?;
                    let is_decimal = data_type.eq_ignore_ascii_case("decimal");
                    Some(ColumnMeta {
                        name: r.try_get(0).ok()?,
                        declared: r.try_get::<String, _>(1).ok()?.to_ascii_lowercase(),
                        nullable: r.try_get::<String, _>(2).ok()? == "YES",
                        precision: if is_decimal { r.try_get(3).ok()? } else { None },
                        scale: if is_decimal { r.try_get(4).ok()? } else { None },
                    })
                })
                .collect())
        }
        #[cfg(feature = "sqlite")]
        Db::Sqlite(pool) => {
            let sql =
                format!("PRAGMA table_info({})", Dialect::Sqlite.quote_identifier(&table.name));
            let rows = sqlx::query(&sql)
                .persistent(false)
                .fetch_all(pool)
                .await
                .map_err(|e| classify(e).context(what()))?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    let declared: String =
                        r.try_get::<String, _>("type").ok()?.to_ascii_lowercase();
                    let notnull: i64 = r.try_get("notnull").ok()?;
                    // INTEGER PRIMARY KEY is the rowid: never null, whatever notnull says.
                    let pk: i64 = r.try_get("pk").ok()?;
                    let notnull = if pk > 0 && declared == "integer" { 1 } else { notnull };
                    let (precision, scale) = precision_scale(&declared);
                    Some(ColumnMeta {
                        name: r.try_get("name").ok()?,
                        declared,
                        nullable: notnull == 0,
                        precision,
                        scale,
                    })
                })
                .collect())
        }
    }
}

/// `(p, s)` from a declared type such as `decimal(10,2)` or `numeric(5)`.
pub fn precision_scale(declared: &str) -> (Option<i64>, Option<i64>) {
    let Some(open) = declared.find('(') else { return (None, None) };
    let Some(close) = declared[open..].find(')') else { return (None, None) };
    let inner = &declared[open + 1..open + close];
    let mut parts = inner.split(',').map(|p| p.trim().parse::<i64>().ok());
    let p = parts.next().flatten();
    let s = parts.next().flatten().or(p.map(|_| 0));
    (p, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_precision_and_scale() {
        assert_eq!(precision_scale("decimal(10,2)"), (Some(10), Some(2)));
        assert_eq!(precision_scale("numeric(5)"), (Some(5), Some(0)));
        assert_eq!(precision_scale("numeric"), (None, None));
    }

    #[test]
    fn lists_filter_by_name_and_qualified_name() {
        let f = TableFilter {
            whitelist: vec![],
            blacklist: vec!["s.b".into()],
            include: vec![regex::Regex::new("^(?:a.*|s\\.b)$").unwrap_or_else(|_| unreachable!())],
            exclude: vec![],
            types: vec!["TABLE".into()],
            schema_pattern: None,
        };
        assert!(f.accepts(&TableId::new(Some("s"), "abc")));
        assert!(!f.accepts(&TableId::new(Some("s"), "b")));
        assert!(!f.accepts(&TableId::new(Some("s"), "c")));
    }
}
