//! Tables as the database describes them: reading columns, `CREATE TABLE` for
//! `auto.create` and `ALTER TABLE … ADD` for `auto.evolve`.

use connect_api::Result;
use connect_api::data::Schema;
use sqlx::Row;

use crate::connection::{Db, classify};
use crate::dialect::Dialect;
use crate::sink::types::{BindKind, default_literal, sql_type};

/// A destination table: an optional schema (database for MySQL) and a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableId {
    /// `schema` of `schema.table`, if given.
    pub schema: Option<String>,
    /// The table name.
    pub name: String,
}

impl TableId {
    /// Parses `table` or `schema.table` (a leading catalog is ignored).
    pub fn parse(s: &str) -> TableId {
        let mut parts: Vec<&str> = s.split('.').collect();
        let name = parts.pop().unwrap_or_default().to_string();
        TableId { schema: parts.pop().map(str::to_string), name }
    }

    /// The table name as it goes into SQL.
    pub fn sql(&self, dialect: Dialect, quote: bool) -> String {
        dialect.table_name(self.schema.as_deref(), &self.name, quote)
    }
}

impl std::fmt::Display for TableId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// One existing column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    /// The column's name as the database spells it.
    pub name: String,
    /// How values are bound to it.
    pub kind: BindKind,
}

/// The columns of an existing table, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableInfo {
    /// The columns.
    pub columns: Vec<ColumnInfo>,
}

impl TableInfo {
    /// The column named `name` (exactly, else ignoring ASCII case).
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .or_else(|| self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
    }
}

/// Reads a table's columns; `None` when the table does not exist.
pub async fn describe(db: &Db, table: &TableId, quote: bool) -> Result<Option<TableInfo>> {
    let found = describe_exact(db, table).await?;
    if found.is_some() || quote || db.dialect() != Dialect::Postgres {
        return Ok(found);
    }
    // Unquoted identifiers are folded to lower case by PostgreSQL.
    let lower = TableId {
        schema: table.schema.as_ref().map(|s| s.to_lowercase()),
        name: table.name.to_lowercase(),
    };
    describe_exact(db, &lower).await
}

async fn describe_exact(db: &Db, table: &TableId) -> Result<Option<TableInfo>> {
    let ctx = |e: sqlx::Error| classify(e).context(format!("reading the columns of {table}"));
    let dialect = db.dialect();
    let columns: Vec<ColumnInfo> = match db {
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => sqlx::query(
            "SELECT column_name::text, data_type::text, udt_name::text \
             FROM information_schema.columns \
             WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2 \
             ORDER BY ordinal_position",
        )
        .bind(table.schema.as_deref())
        .bind(&table.name)
        .fetch_all(pool)
        .await
        .map_err(ctx)?
        .iter()
        .map(|r| -> std::result::Result<ColumnInfo, sqlx::Error> {
            let name: String = r.try_get(0)?;
            let data_type: String = r.try_get(1)?;
            let udt: String = r.try_get(2)?;
            Ok(ColumnInfo { name, kind: BindKind::from_db(dialect, &data_type, &udt) })
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(ctx)?,
        #[cfg(feature = "mysql")]
        Db::MySql(pool) => sqlx::query(
            "SELECT CAST(column_name AS CHAR(255)), CAST(data_type AS CHAR(255)) \
             FROM information_schema.columns \
             WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? \
             ORDER BY ordinal_position",
        )
        .bind(table.schema.as_deref())
        .bind(&table.name)
        .fetch_all(pool)
        .await
        .map_err(ctx)?
        .iter()
        .map(|r| -> std::result::Result<ColumnInfo, sqlx::Error> {
            let name: String = r.try_get(0)?;
            let data_type: String = r.try_get(1)?;
            Ok(ColumnInfo { name, kind: BindKind::from_db(dialect, &data_type, "") })
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(ctx)?,
        #[cfg(feature = "sqlite")]
        Db::Sqlite(pool) => {
            let q = match &table.schema {
                Some(_) => "SELECT name, COALESCE(type, '') FROM pragma_table_info(?1, ?2)",
                None => "SELECT name, COALESCE(type, '') FROM pragma_table_info(?1)",
            };
            let mut q = sqlx::query(q).bind(&table.name);
            if let Some(s) = &table.schema {
                q = q.bind(s);
            }
            q.fetch_all(pool)
                .await
                .map_err(ctx)?
                .iter()
                .map(|r| -> std::result::Result<ColumnInfo, sqlx::Error> {
                    let name: String = r.try_get(0)?;
                    let declared: String = r.try_get(1)?;
                    Ok(ColumnInfo { name, kind: BindKind::from_db(dialect, &declared, "") })
                })
                .collect::<std::result::Result<_, _>>()
                .map_err(ctx)?
        }
    };
    Ok(if columns.is_empty() { None } else { Some(TableInfo { columns }) })
}

/// A column to declare: its name, its Connect schema and whether it is part of the key.
#[derive(Debug, Clone)]
pub struct NewColumn<'a> {
    /// Column name.
    pub name: &'a str,
    /// The schema the type, nullability and default come from.
    pub schema: &'a Schema,
    /// Part of the primary key.
    pub key: bool,
}

fn column_definition(dialect: Dialect, col: &NewColumn<'_>, quote: bool) -> Result<String> {
    let ty = sql_type(dialect, col.schema, col.key).map_err(|e| {
        connect_api::ConnectError::data(format!("cannot declare column {}: {e}", col.name))
    })?;
    let mut def = format!("{} {ty}", dialect.identifier(col.name, quote));
    if let Some(lit) = col.schema.default_value().and_then(|v| default_literal(dialect, v)) {
        def.push_str(" DEFAULT ");
        def.push_str(&lit);
    }
    if col.key || !col.schema.is_optional() {
        def.push_str(" NOT NULL");
    } else {
        def.push_str(" NULL");
    }
    Ok(def)
}

/// `CREATE TABLE IF NOT EXISTS` with the columns and primary key given.
pub async fn create_table(
    db: &Db,
    table: &TableId,
    columns: &[NewColumn<'_>],
    quote: bool,
) -> Result<()> {
    let dialect = db.dialect();
    let mut defs = Vec::with_capacity(columns.len() + 1);
    for c in columns {
        defs.push(column_definition(dialect, c, quote)?);
    }
    let keys: Vec<String> =
        columns.iter().filter(|c| c.key).map(|c| dialect.identifier(c.name, quote)).collect();
    if !keys.is_empty() {
        defs.push(format!("PRIMARY KEY({})", keys.join(", ")));
    }
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{})",
        table.sql(dialect, quote),
        defs.join(",\n")
    );
    tracing::info!(table = %table, sql = %sql, "creating table (auto.create)");
    db.execute(&sql).await.map(|_| ())
}

/// `ALTER TABLE … ADD` one column (auto.evolve).
pub async fn add_column(
    db: &Db,
    table: &TableId,
    column: &NewColumn<'_>,
    quote: bool,
) -> Result<()> {
    let dialect = db.dialect();
    let sql = format!(
        "ALTER TABLE {} ADD {}",
        table.sql(dialect, quote),
        column_definition(dialect, column, quote)?
    );
    tracing::info!(table = %table, sql = %sql, "adding column (auto.evolve)");
    db.execute(&sql).await.map(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use connect_api::data::SchemaBuilder;

    #[test]
    fn table_ids_split_schema_and_name() {
        assert_eq!(TableId::parse("t"), TableId { schema: None, name: "t".into() });
        let t = TableId::parse("public.t");
        assert_eq!(t.schema.as_deref(), Some("public"));
        assert_eq!(t.sql(Dialect::Postgres, true), "\"public\".\"t\"");
        assert_eq!(TableId::parse("cat.s.t").schema.as_deref(), Some("s"));
    }

    #[test]
    fn column_definitions_carry_nullability_and_defaults() {
        let opt = Schema::optional_string();
        let def = SchemaBuilder::int32().default_value(7i32).build().unwrap();
        let c = NewColumn { name: "a", schema: &opt, key: false };
        assert_eq!(column_definition(Dialect::Postgres, &c, true).unwrap(), "\"a\" TEXT NULL");
        let c = NewColumn { name: "b", schema: &def, key: false };
        assert_eq!(
            column_definition(Dialect::MySql, &c, true).unwrap(),
            "`b` INT DEFAULT 7 NOT NULL"
        );
        let c = NewColumn { name: "k", schema: &opt, key: true };
        assert_eq!(
            column_definition(Dialect::MySql, &c, false).unwrap(),
            "k VARCHAR(256) NOT NULL"
        );
    }
}
