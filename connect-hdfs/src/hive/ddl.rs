//! Connect → Hive types, the table each format needs, and its HiveQL.

use connect_api::data::logical::{Decimal, LogicalType};
use connect_api::data::{Schema, Type};
use connect_api::{ConnectError, Result};

/// Hive's serde, input and output format of each format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiveStorage {
    /// `avro`, `parquet` or `json`.
    pub format: &'static str,
    /// The SerDe class.
    pub serde: &'static str,
    /// The InputFormat class.
    pub input_format: &'static str,
    /// The OutputFormat class.
    pub output_format: &'static str,
}

/// The storage of `format` (`avro`, `parquet`, `json`, or a `format.class` name).
pub fn storage(format: &str) -> Result<HiveStorage> {
    let kind = crate::format::FormatKind::from_class(format)?;
    Ok(match kind {
        crate::format::FormatKind::Avro => HiveStorage {
            format: "avro",
            serde: "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
            input_format: "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
            output_format: "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        },
        crate::format::FormatKind::Parquet => HiveStorage {
            format: "parquet",
            serde: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            input_format: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            output_format: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        },
        crate::format::FormatKind::Json => HiveStorage {
            format: "json",
            serde: "org.apache.hive.hcatalog.data.JsonSerDe",
            input_format: "org.apache.hadoop.mapred.TextInputFormat",
            output_format: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        },
    })
}

/// The Hive type of a Connect schema: tinyint, smallint, int, bigint, float, double,
/// boolean, string, binary, decimal(p,s) (precision from `connect.decimal.precision`,
/// else 38), date, int for Time (Hive has no time of day type), timestamp,
/// `array<…>`, `map<…,…>`, `struct<name:type,…>`.
pub fn hive_type(schema: &Schema) -> Result<String> {
    if let Some(logical) = LogicalType::of(schema) {
        return Ok(match logical {
            LogicalType::Decimal => {
                let scale = Decimal::schema_scale(schema)?;
                let precision = schema
                    .parameters()
                    .get("connect.decimal.precision")
                    .and_then(|p| p.parse::<u32>().ok())
                    .unwrap_or(38);
                format!("decimal({precision},{scale})")
            }
            LogicalType::Date => "date".into(),
            LogicalType::Time => "int".into(),
            LogicalType::Timestamp => "timestamp".into(),
        });
    }
    Ok(match schema.schema_type() {
        Type::Int8 => "tinyint".into(),
        Type::Int16 => "smallint".into(),
        Type::Int32 => "int".into(),
        Type::Int64 => "bigint".into(),
        Type::Float32 => "float".into(),
        Type::Float64 => "double".into(),
        Type::Boolean => "boolean".into(),
        Type::String => "string".into(),
        Type::Bytes => "binary".into(),
        Type::Array => {
            let e = schema
                .value_schema()
                .ok_or_else(|| ConnectError::data("array schema has no element schema"))?;
            format!("array<{}>", hive_type(e)?)
        }
        Type::Map => {
            let (Some(k), Some(v)) = (schema.key_schema(), schema.value_schema()) else {
                return Err(ConnectError::data("map schema lacks its key or value schema"));
            };
            format!("map<{},{}>", hive_type(k)?, hive_type(v)?)
        }
        Type::Struct => {
            let mut parts = Vec::with_capacity(schema.fields().len());
            for f in schema.fields() {
                parts.push(format!("{}:{}", f.name(), hive_type(f.schema())?));
            }
            format!("struct<{}>", parts.join(","))
        }
    })
}

/// The table columns of a value schema: one per field of a STRUCT; a value of any
/// other type is one column named `value`.
pub fn columns(schema: &Schema) -> Result<Vec<(String, String)>> {
    if schema.schema_type() == Type::Struct {
        schema.fields().iter().map(|f| Ok((f.name().to_string(), hive_type(f.schema())?))).collect()
    } else {
        Ok(vec![("value".to_string(), hive_type(schema)?)])
    }
}

/// Everything the metastore needs to know about a topic's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiveTableSpec {
    /// The database.
    pub database: String,
    /// The table (the topic's name).
    pub table: String,
    /// The table location (the topic's directory).
    pub location: String,
    /// Data columns: (name, Hive type).
    pub columns: Vec<(String, String)>,
    /// Partition columns: (name, Hive type).
    pub partition_columns: Vec<(String, String)>,
    /// Serde and formats.
    pub storage: HiveStorage,
    /// Table parameters beyond `EXTERNAL` (for Avro: `avro.schema.literal`).
    pub parameters: Vec<(String, String)>,
}

impl HiveTableSpec {
    /// The spec of the table for `schema`, partitioned by `partition_fields`,
    /// stored as `format`.
    pub fn new(
        database: &str,
        table: &str,
        location: &str,
        schema: &Schema,
        partition_fields: &[(String, Schema)],
        format: &str,
    ) -> Result<Self> {
        let storage = storage(format)?;
        let mut partition_columns = Vec::with_capacity(partition_fields.len());
        for (name, s) in partition_fields {
            partition_columns.push((name.clone(), hive_type(s)?));
        }
        let mut parameters = Vec::new();
        if storage.format == "avro" {
            let avro = crate::format::connect_to_avro_schema(schema)?;
            parameters.push(("avro.schema.literal".to_string(), avro.to_string()));
        }
        Ok(HiveTableSpec {
            database: if database.is_empty() { "default".into() } else { database.into() },
            table: table.to_string(),
            location: location.to_string(),
            columns: columns(schema)?,
            partition_columns,
            storage,
            parameters,
        })
    }
}

/// A HiveQL identifier in backquotes.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A HiveQL string literal in single quotes.
pub fn quote_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn column_list(cols: &[(String, String)]) -> String {
    cols.iter().map(|(n, t)| format!("  {} {t}", quote_ident(n))).collect::<Vec<_>>().join(",\n")
}

fn qualified(spec: &HiveTableSpec) -> String {
    format!("{}.{}", quote_ident(&spec.database), quote_ident(&spec.table))
}

fn tblproperties(spec: &HiveTableSpec) -> String {
    if spec.parameters.is_empty() {
        return String::new();
    }
    let props: Vec<String> = spec
        .parameters
        .iter()
        .map(|(k, v)| format!("{}={}", quote_literal(k), quote_literal(v)))
        .collect();
    format!("\nTBLPROPERTIES ({})", props.join(", "))
}

/// `CREATE EXTERNAL TABLE IF NOT EXISTS … PARTITIONED BY (…) STORED AS …
/// LOCATION …` for the spec.
pub fn create_table_ddl(spec: &HiveTableSpec) -> String {
    let mut ddl = format!("CREATE EXTERNAL TABLE IF NOT EXISTS {} (\n", qualified(spec));
    ddl.push_str(&column_list(&spec.columns));
    ddl.push_str("\n)");
    if !spec.partition_columns.is_empty() {
        ddl.push_str("\nPARTITIONED BY (\n");
        ddl.push_str(&column_list(&spec.partition_columns));
        ddl.push_str("\n)");
    }
    match spec.storage.format {
        "avro" => ddl.push_str("\nSTORED AS AVRO"),
        "parquet" => ddl.push_str("\nSTORED AS PARQUET"),
        _ => {
            ddl.push_str(&format!(
                "\nROW FORMAT SERDE {}\nSTORED AS TEXTFILE",
                quote_literal(spec.storage.serde)
            ));
        }
    }
    ddl.push_str(&format!("\nLOCATION {}", quote_literal(&spec.location)));
    ddl.push_str(&tblproperties(spec));
    ddl
}

/// The statements that bring an existing table to the spec's schema: for Avro the
/// new `avro.schema.literal` (Hive derives the columns from it), for the others
/// `REPLACE COLUMNS`.
pub fn alter_table_ddl(spec: &HiveTableSpec) -> Vec<String> {
    if spec.storage.format == "avro" {
        let props: Vec<String> = spec
            .parameters
            .iter()
            .map(|(k, v)| format!("{}={}", quote_literal(k), quote_literal(v)))
            .collect();
        vec![format!("ALTER TABLE {} SET TBLPROPERTIES ({})", qualified(spec), props.join(", "))]
    } else {
        vec![format!(
            "ALTER TABLE {} REPLACE COLUMNS (\n{}\n)",
            qualified(spec),
            column_list(&spec.columns)
        )]
    }
}

/// The (column, value) pairs of an encoded partition (`year=2024/month=05`); a
/// segment without `=` is a data error naming the partition.
pub fn parse_partition(encoded: &str) -> Result<Vec<(String, String)>> {
    encoded
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|seg| {
            seg.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| {
                ConnectError::data(format!(
                    "encoded partition {encoded:?} has a segment {seg:?} that is not name=value"
                ))
            })
        })
        .collect()
}

/// `ALTER TABLE … ADD IF NOT EXISTS PARTITION (…) LOCATION …`.
pub fn add_partition_ddl(
    database: &str,
    table: &str,
    encoded_partition: &str,
    location: &str,
) -> Result<String> {
    let spec: Vec<String> = parse_partition(encoded_partition)?
        .iter()
        .map(|(k, v)| format!("{}={}", quote_ident(k), quote_literal(v)))
        .collect();
    let db = if database.is_empty() { "default" } else { database };
    Ok(format!(
        "ALTER TABLE {}.{} ADD IF NOT EXISTS PARTITION ({}) LOCATION {}",
        quote_ident(db),
        quote_ident(table),
        spec.join(", "),
        quote_literal(location)
    ))
}
