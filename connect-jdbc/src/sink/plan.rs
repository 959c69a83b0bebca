//! Insert plans: which columns a record shape becomes (from `pk.mode`, `pk.fields`,
//! `fields.whitelist` and the key and value schemas), the SQL of each statement, and
//! how one record becomes a row of bound values. A plan is made once per
//! (topic, key shape, value shape) and cached; records only run [`Plan::row`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use connect_api::data::{Schema, Type, Value};
use connect_api::record::{ConnectRecord, SinkRecord};

use crate::dialect::Dialect;
use crate::sink::config::{DEFAULT_KAFKA_PK_NAMES, InsertMode, PkMode};
use crate::sink::metadata::TableId;
use crate::sink::types::{BindKind, SqlValue, TimeZone, convert};

/// Where a column's value comes from in a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// The record's topic.
    Topic,
    /// The record's Kafka partition.
    Partition,
    /// The record's Kafka offset.
    Offset,
    /// The whole (primitive) key.
    Key,
    /// A field of the key struct, by position.
    KeyField(usize),
    /// An entry of a schemaless key map.
    KeyEntry(String),
    /// A field of the value struct, by position.
    ValueField(usize),
    /// An entry of a schemaless value map.
    ValueEntry(String),
}

/// A column a record shape needs: its name, its Connect schema when the record has one,
/// where its value comes from, and whether it is part of the primary key.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// Column name.
    pub name: String,
    /// The schema (`None` for schemaless data: the column must exist).
    pub schema: Option<Schema>,
    /// Where the value comes from.
    pub source: Source,
    /// Part of the primary key.
    pub key: bool,
}

/// The shape of one side (key or value) of a record, for the plan cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Not used by the plan.
    Unused,
    /// A schema (compared by content, cheaply when the same handle).
    Schema(Schema),
    /// A schemaless primitive.
    Primitive,
    /// A schemaless map, by its entry names in order.
    Names(Vec<String>),
}

/// What a plan is cached under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanKey {
    /// The record's topic.
    pub topic: String,
    /// Whether this plan deletes (tombstones with `delete.enabled`).
    pub delete: bool,
    /// The key's shape.
    pub key: Shape,
    /// The value's shape.
    pub value: Shape,
}

/// The settings field derivation reads.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// `pk.mode`.
    pub pk_mode: PkMode,
    /// `pk.fields`.
    pub pk_fields: Vec<String>,
    /// `fields.whitelist`.
    pub whitelist: Vec<String>,
}

fn map_names(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Map(entries) => {
            entries.iter().map(|(k, _)| k.as_str().map(str::to_string)).collect()
        }
        _ => None,
    }
}

fn struct_schema<'a>(schema: Option<&'a Schema>, value: &Value) -> Option<&'a Schema> {
    match (schema, value) {
        (Some(s), Value::Struct(_)) if s.schema_type() == Type::Struct => Some(s),
        _ => None,
    }
}

impl Mapping {
    /// The cache key of a record.
    pub fn plan_key(&self, record: &SinkRecord, delete: bool) -> PlanKey {
        let key = match self.pk_mode {
            PkMode::RecordKey => match (record.key_schema(), record.key()) {
                (Some(s), _) => Shape::Schema(s.clone()),
                (None, k) => map_names(k).map_or(Shape::Primitive, Shape::Names),
            },
            _ => Shape::Unused,
        };
        let value = if delete {
            Shape::Unused
        } else {
            match (record.value_schema(), record.value()) {
                (Some(s), _) => Shape::Schema(s.clone()),
                (None, v) => map_names(v).map_or(Shape::Primitive, Shape::Names),
            }
        };
        PlanKey { topic: record.topic().to_string(), delete, key, value }
    }

    /// The columns a record needs, primary key first; the error says why the record
    /// cannot be written with this configuration.
    pub fn fields(&self, record: &SinkRecord, delete: bool) -> Result<Vec<FieldSpec>, String> {
        let mut out: Vec<FieldSpec> = Vec::new();
        let key_spec = |name: &str, schema: Option<Schema>, source: Source| FieldSpec {
            name: name.to_string(),
            schema,
            source,
            key: true,
        };
        // The value side: struct fields or map entries, with their schemas if any.
        let value_fields: Vec<(String, Option<Schema>, Source)> = if delete {
            Vec::new()
        } else if let Some(s) = struct_schema(record.value_schema(), record.value()) {
            s.fields()
                .iter()
                .map(|f| {
                    (f.name().to_string(), Some(f.schema().clone()), Source::ValueField(f.index()))
                })
                .collect()
        } else if let (None, Some(names)) = (record.value_schema(), map_names(record.value())) {
            names.into_iter().map(|n| (n.clone(), None, Source::ValueEntry(n))).collect()
        } else {
            return Err(format!(
                "the value must be a struct with a schema, or a map of named fields \
                 (schemaless JSON); got {}{}",
                record.value().kind_name(),
                record.value_schema().map(|s| format!(" with schema {s}")).unwrap_or_default()
            ));
        };
        match self.pk_mode {
            PkMode::None => {}
            PkMode::Kafka => {
                let names: Vec<&str> = if self.pk_fields.is_empty() {
                    DEFAULT_KAFKA_PK_NAMES.to_vec()
                } else {
                    self.pk_fields.iter().map(String::as_str).collect()
                };
                let [t, p, o] = names.as_slice() else {
                    return Err("pk.mode=kafka needs three pk.fields".into());
                };
                out.push(key_spec(t, Some(Schema::string()), Source::Topic));
                out.push(key_spec(p, Some(Schema::int32()), Source::Partition));
                out.push(key_spec(o, Some(Schema::int64()), Source::Offset));
            }
            PkMode::RecordKey => {
                let key = record.key();
                if key.is_null() {
                    return Err("pk.mode=record_key but the record key is null".into());
                }
                if let Some(s) = struct_schema(record.key_schema(), key) {
                    let names: Vec<&str> = if self.pk_fields.is_empty() {
                        s.fields().iter().map(|f| f.name()).collect()
                    } else {
                        self.pk_fields.iter().map(String::as_str).collect()
                    };
                    for n in names {
                        let f = s.field(n).ok_or_else(|| {
                            format!("pk.fields names {n:?}, which is not a field of the key struct")
                        })?;
                        out.push(key_spec(
                            n,
                            Some(f.schema().clone()),
                            Source::KeyField(f.index()),
                        ));
                    }
                } else if let (None, Some(entries)) = (record.key_schema(), map_names(key)) {
                    let names =
                        if self.pk_fields.is_empty() { entries } else { self.pk_fields.clone() };
                    for n in names {
                        out.push(key_spec(&n, None, Source::KeyEntry(n.clone())));
                    }
                } else {
                    let [name] = self.pk_fields.as_slice() else {
                        return Err(format!(
                            "the record key is a primitive ({}), so pk.fields must name exactly \
                             one column for it (it names {})",
                            key.kind_name(),
                            self.pk_fields.len()
                        ));
                    };
                    if record.key_schema().is_some_and(|s| !s.schema_type().is_primitive()) {
                        return Err("the record key must be a primitive or a struct".into());
                    }
                    out.push(key_spec(name, record.key_schema().cloned(), Source::Key));
                }
            }
            PkMode::RecordValue => {
                let names: Vec<String> = if self.pk_fields.is_empty() {
                    value_fields.iter().map(|(n, _, _)| n.clone()).collect()
                } else {
                    self.pk_fields.clone()
                };
                for n in &names {
                    let (_, schema, source) =
                        value_fields.iter().find(|(vn, _, _)| vn == n).ok_or_else(|| {
                            format!("pk.fields names {n:?}, which is not a field of the value")
                        })?;
                    out.push(key_spec(n, schema.clone(), source.clone()));
                }
            }
        }
        for (name, schema, source) in value_fields {
            if out.iter().any(|f| f.key && f.name == name) {
                continue;
            }
            if !self.whitelist.is_empty() && !self.whitelist.contains(&name) {
                continue;
            }
            out.push(FieldSpec { name, schema, source, key: false });
        }
        Ok(out)
    }
}

/// One column of a plan.
#[derive(Debug, Clone)]
pub struct Column {
    /// The column name, quoted as configured.
    pub sql_name: String,
    /// Where the value comes from.
    pub source: Source,
    /// How it is bound.
    pub kind: BindKind,
}

/// What a statement does with its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// INSERT (or COPY).
    Insert,
    /// INSERT … ON CONFLICT / ON DUPLICATE KEY UPDATE.
    Upsert,
    /// UPDATE … WHERE key.
    Update,
    /// DELETE … WHERE key.
    Delete,
}

impl From<InsertMode> for Action {
    fn from(m: InsertMode) -> Action {
        match m {
            InsertMode::Insert => Action::Insert,
            InsertMode::Upsert => Action::Upsert,
            InsertMode::Update => Action::Update,
        }
    }
}

/// The most bind parameters one statement may carry.
pub fn parameter_limit(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Postgres | Dialect::MySql => 65_535,
        Dialect::Sqlite => 32_766,
    }
}

/// How a record shape is written to its table.
#[derive(Debug)]
pub struct Plan {
    /// The table.
    pub table: TableId,
    /// The dialect.
    pub dialect: Dialect,
    /// The columns, key columns first.
    pub columns: Vec<Column>,
    /// How many leading columns form the key.
    pub n_keys: usize,
    /// Rows per multi-row statement: `batch.size`, bounded by the parameter limit.
    pub rows_per_statement: usize,
    /// Whether `insert.method=copy` uses PostgreSQL's binary format (every column has
    /// a binary form, [`crate::sink::copy::binary_kind`]) rather than text.
    pub copy_binary: bool,
    table_sql: String,
    column_list: String,
    insert_cache: Mutex<HashMap<(Action, usize), Arc<str>>>,
    upsert_clause: String,
    update_sql: String,
    delete_sql: String,
}

impl Plan {
    /// A plan for `columns` (key columns first) of `table`.
    pub fn new(
        table: TableId,
        dialect: Dialect,
        quote: bool,
        columns: Vec<Column>,
        n_keys: usize,
        batch_size: usize,
    ) -> Plan {
        let table_sql = table.sql(dialect, quote);
        let names: Vec<&str> = columns.iter().map(|c| c.sql_name.as_str()).collect();
        let column_list = names.join(", ");
        let (keys, rest) = names.split_at(n_keys.min(names.len()));
        let upsert_clause = match dialect {
            Dialect::Postgres | Dialect::Sqlite => {
                let excluded = if dialect == Dialect::Postgres { "EXCLUDED" } else { "excluded" };
                if rest.is_empty() {
                    format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", "))
                } else {
                    let sets: Vec<String> =
                        rest.iter().map(|c| format!("{c}={excluded}.{c}")).collect();
                    format!(" ON CONFLICT ({}) DO UPDATE SET {}", keys.join(", "), sets.join(", "))
                }
            }
            Dialect::MySql => {
                let targets = if rest.is_empty() { keys } else { rest };
                let sets: Vec<String> =
                    targets.iter().map(|c| format!("{c}=VALUES({c})")).collect();
                format!(" ON DUPLICATE KEY UPDATE {}", sets.join(", "))
            }
        };
        let mut n = 0;
        let mut next = |col: &Column| {
            n += 1;
            placeholder(dialect, col, n)
        };
        let sets: Vec<String> =
            columns[n_keys..].iter().map(|c| format!("{}={}", c.sql_name, next(c))).collect();
        let wheres: Vec<String> =
            columns[..n_keys].iter().map(|c| format!("{}={}", c.sql_name, next(c))).collect();
        let update_sql =
            format!("UPDATE {table_sql} SET {} WHERE {}", sets.join(", "), wheres.join(" AND "));
        let mut n = 0;
        let wheres: Vec<String> = columns[..n_keys]
            .iter()
            .map(|c| {
                n += 1;
                format!("{}={}", c.sql_name, placeholder(dialect, c, n))
            })
            .collect();
        let delete_sql = format!("DELETE FROM {table_sql} WHERE {}", wheres.join(" AND "));
        let per_row = columns.len().max(1);
        let rows_per_statement = (parameter_limit(dialect) / per_row).clamp(1, batch_size.max(1));
        #[cfg(feature = "postgres")]
        let copy_binary = dialect == Dialect::Postgres
            && columns.iter().all(|c| crate::sink::copy::binary_kind(&c.kind));
        #[cfg(not(feature = "postgres"))]
        let copy_binary = false;
        Plan {
            table,
            dialect,
            columns,
            n_keys,
            rows_per_statement,
            copy_binary,
            table_sql,
            column_list,
            insert_cache: Mutex::default(),
            upsert_clause,
            update_sql,
            delete_sql,
        }
    }

    /// [`Plan::insert_sql`], built once per action and row count: the same text for
    /// every statement of that shape, which the driver prepares once per connection.
    pub fn insert_sql_cached(&self, action: Action, rows: usize) -> Arc<str> {
        let mut cache = self.insert_cache.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            cache.entry((action, rows)).or_insert_with(|| Arc::from(self.insert_sql(action, rows))),
        )
    }

    /// The multi-row INSERT (or upsert) of `rows` rows.
    pub fn insert_sql(&self, action: Action, rows: usize) -> String {
        let ncols = self.columns.len();
        let mut sql = String::with_capacity(64 + rows * ncols * 6);
        sql.push_str("INSERT INTO ");
        sql.push_str(&self.table_sql);
        sql.push_str(" (");
        sql.push_str(&self.column_list);
        sql.push_str(") VALUES ");
        let mut n = 0;
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for (i, c) in self.columns.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                n += 1;
                sql.push_str(&placeholder(self.dialect, c, n));
            }
            sql.push(')');
        }
        if action == Action::Upsert {
            sql.push_str(&self.upsert_clause);
        }
        sql
    }

    /// `UPDATE … SET non-key columns WHERE key columns` (parameters in that order);
    /// `None` when every column is a key column (nothing to update).
    pub fn update_sql(&self) -> Option<&str> {
        (self.columns.len() > self.n_keys).then_some(self.update_sql.as_str())
    }

    /// `DELETE … WHERE key columns`.
    pub fn delete_sql(&self) -> &str {
        &self.delete_sql
    }

    /// `COPY table (columns) FROM STDIN`, in binary format when [`Plan::copy_binary`].
    pub fn copy_sql(&self) -> String {
        let format = if self.copy_binary { " (FORMAT binary)" } else { "" };
        format!("COPY {} ({}) FROM STDIN{format}", self.table_sql, self.column_list)
    }

    /// The row of bound values for a record; the error names the column.
    pub fn row(&self, record: &SinkRecord, tz: &TimeZone) -> Result<Vec<SqlValue>, String> {
        let mut row = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let converted = match &c.source {
                Source::Topic => match c.kind {
                    BindKind::Text => Ok(SqlValue::Text(record.topic().to_string())),
                    _ => convert(&Value::String(record.topic().to_string()), &c.kind, tz),
                },
                Source::Partition => {
                    convert(&Value::Int32(record.kafka_partition().unwrap_or(-1)), &c.kind, tz)
                }
                Source::Offset => convert(&Value::Int64(record.kafka_offset()), &c.kind, tz),
                Source::Key => convert(record.key(), &c.kind, tz),
                Source::KeyField(i) => convert(struct_field(record.key(), *i), &c.kind, tz),
                Source::KeyEntry(n) => convert(entry(record.key(), n), &c.kind, tz),
                Source::ValueField(i) => convert(struct_field(record.value(), *i), &c.kind, tz),
                Source::ValueEntry(n) => convert(entry(record.value(), n), &c.kind, tz),
            };
            row.push(converted.map_err(|e| format!("column {}: {e}", c.sql_name))?);
        }
        Ok(row)
    }
}

static NULL: Value = Value::Null;

fn struct_field(v: &Value, i: usize) -> &Value {
    match v {
        Value::Struct(s) => s.get_at(i).unwrap_or(&NULL),
        _ => &NULL,
    }
}

fn entry<'a>(v: &'a Value, name: &str) -> &'a Value {
    match v {
        Value::Map(entries) => {
            entries.iter().find(|(k, _)| k.as_str() == Some(name)).map_or(&NULL, |(_, v)| v)
        }
        _ => &NULL,
    }
}

fn placeholder(dialect: Dialect, col: &Column, n: usize) -> String {
    match (dialect, &col.kind) {
        (Dialect::Postgres, BindKind::Other(t)) => {
            format!("CAST(${n} AS {})", Dialect::Postgres.quote_identifier(t))
        }
        _ => dialect.placeholder(n),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use connect_api::data::{SchemaBuilder, Struct};

    fn col(name: &str, kind: BindKind) -> Column {
        Column { sql_name: format!("\"{name}\""), source: Source::Topic, kind }
    }

    #[test]
    fn statements_per_dialect() {
        let cols = vec![col("id", BindKind::I64), col("v", BindKind::Text)];
        let p = Plan::new(TableId::parse("t"), Dialect::Postgres, true, cols.clone(), 1, 3000);
        assert_eq!(
            p.insert_sql(Action::Upsert, 2),
            "INSERT INTO \"t\" (\"id\", \"v\") VALUES ($1,$2),($3,$4) ON CONFLICT (\"id\") DO UPDATE SET \"v\"=EXCLUDED.\"v\""
        );
        assert_eq!(p.update_sql().unwrap(), "UPDATE \"t\" SET \"v\"=$1 WHERE \"id\"=$2");
        assert_eq!(p.delete_sql(), "DELETE FROM \"t\" WHERE \"id\"=$1");
        let m = Plan::new(TableId::parse("t"), Dialect::MySql, true, cols.clone(), 1, 3000);
        assert!(
            m.insert_sql(Action::Upsert, 1)
                .ends_with("ON DUPLICATE KEY UPDATE \"v\"=VALUES(\"v\")")
        );
        let wide: Vec<Column> = (0..10).map(|i| col(&format!("c{i}"), BindKind::I64)).collect();
        let s = Plan::new(TableId::parse("t"), Dialect::Sqlite, true, wide, 0, 100_000);
        assert_eq!(s.rows_per_statement, 3276);
        let other = vec![col("u", BindKind::Other("uuid".into()))];
        let p = Plan::new(TableId::parse("t"), Dialect::Postgres, true, other, 0, 10);
        assert_eq!(
            p.insert_sql(Action::Insert, 1),
            "INSERT INTO \"t\" (\"u\") VALUES (CAST($1 AS \"uuid\"))"
        );
    }

    #[test]
    fn fields_follow_pk_mode_and_whitelist() {
        let vs = SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .field("name", Schema::string())
            .field("secret", Schema::optional_string())
            .build()
            .unwrap();
        let v =
            Struct::new(vs.clone()).unwrap().with("id", 1i64).unwrap().with("name", "n").unwrap();
        let r = SinkRecord::builder("t", 0, 5).value(Some(vs), v).key(None, "k1").build();
        let names = |m: &Mapping| -> Vec<(String, bool)> {
            m.fields(&r, false).unwrap().into_iter().map(|f| (f.name, f.key)).collect()
        };
        let m = Mapping {
            pk_mode: PkMode::RecordValue,
            pk_fields: vec!["id".into()],
            whitelist: vec!["name".into()],
        };
        assert_eq!(names(&m), [("id".to_string(), true), ("name".to_string(), false)]);
        let m = Mapping { pk_mode: PkMode::Kafka, pk_fields: vec![], whitelist: vec![] };
        assert_eq!(
            names(&m)[..3].iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            DEFAULT_KAFKA_PK_NAMES
        );
        let m = Mapping { pk_mode: PkMode::RecordKey, pk_fields: vec![], whitelist: vec![] };
        assert!(m.fields(&r, false).unwrap_err().contains("exactly one"));
        let m =
            Mapping { pk_mode: PkMode::RecordKey, pk_fields: vec!["k".into()], whitelist: vec![] };
        assert_eq!(names(&m)[0], ("k".to_string(), true));
        let m = Mapping {
            pk_mode: PkMode::RecordValue,
            pk_fields: vec!["nope".into()],
            whitelist: vec![],
        };
        assert!(m.fields(&r, false).unwrap_err().contains("nope"));
    }
}
