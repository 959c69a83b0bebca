//! Avro schema → Connect schema (Confluent's `AvroData.toConnectSchema`), and the
//! [`Node`] plan the binary codec follows for that pair.
//!
//! Works on the schema's JSON, not on a parsed `apache_avro::Schema`, because the
//! `connect.*` properties Confluent puts on primitive types (`connect.type`, …) matter
//! here and are not kept by a parsed schema.

use std::collections::HashMap;

use connect_api::data::logical::{DATE_NAME, DECIMAL_NAME, TIME_NAME, TIMESTAMP_NAME};
use connect_api::data::{Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type};
use connect_api::error::{ConnectError, Result};
use serde_json::Value as Json;

use super::data::{
    AVRO_NAMESPACE, CONNECT_DEFAULT, CONNECT_DOC, CONNECT_NAME, CONNECT_PARAMETERS, CONNECT_TYPE,
    CONNECT_VERSION, DEFAULT_SCHEMA_NAME, ENUM_NAME, FIXED_SIZE_PARAMETER, MAP_ENTRY_TYPE_NAME,
    PRECISION_PARAMETER, UNION_NAME,
};
use super::defaults::json_to_value;

/// Which Connect value an Avro `int` reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntKind {
    Int8,
    Int16,
    Int32,
    Date,
    Time,
}

/// One branch of a general union: null, or the struct field it fills.
#[derive(Debug, Clone)]
pub(crate) enum Branch {
    Null,
    Field(usize, Node),
}

/// How one Avro type is written and read, with the Connect schemas values need.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Boolean,
    Int(IntKind),
    /// `long`; `true` when it reads as a Timestamp.
    Long(bool),
    Float,
    Double,
    String,
    Bytes,
    Fixed(usize),
    Decimal {
        schema: Schema,
        fixed: Option<usize>,
    },
    Enum(Vec<String>),
    Array(Box<Node>),
    Map(Box<Node>),
    MapEntries(Box<Node>, Box<Node>),
    Record(Schema, Vec<Node>),
    Optional {
        null_index: u8,
        inner: Box<Node>,
    },
    Union {
        schema: Schema,
        branches: Vec<Branch>,
    },
}

/// The Connect schema of an Avro schema (JSON), and the plan to read and write it.
pub(crate) fn avro_to_connect(avro: &Json) -> Result<(Schema, Node)> {
    let mut ctx = Ctx { named: HashMap::new(), stack: Vec::new() };
    ctx.convert(avro, "", false, None)
}

/// Points the plan's struct and decimal schemas at the very objects of `schema` (which
/// the plan was derived from), so values of that schema take the positional fast path.
pub(crate) fn bind(node: &mut Node, schema: &Schema) {
    match node {
        Node::Record(s, fields)
            if schema.schema_type() == Type::Struct && schema.fields().len() == fields.len() =>
        {
            for (n, f) in fields.iter_mut().zip(schema.fields()) {
                bind(n, f.schema());
            }
            *s = schema.clone();
        }
        Node::Decimal { schema: s, .. } if schema.schema_type() == Type::Bytes => {
            *s = schema.clone()
        }
        Node::Optional { inner, .. } => bind(inner, schema),
        Node::Array(inner) => {
            if let Some(es) = schema.value_schema() {
                bind(inner, es);
            }
        }
        Node::Map(inner) => {
            if let Some(vs) = schema.value_schema() {
                bind(inner, vs);
            }
        }
        Node::MapEntries(k, v) => {
            if let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) {
                bind(k, ks);
                bind(v, vs);
            }
        }
        _ => {}
    }
}

fn err(message: impl Into<String>) -> ConnectError {
    ConnectError::schema(message.into())
}

struct Ctx {
    /// Full name → (definition, its namespace) of every named type seen.
    named: HashMap<String, (Json, String)>,
    /// Named types being converted, to refuse recursive schemas.
    stack: Vec<String>,
}

fn qualify(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}.{name}")
    }
}

fn named_full_name(obj: &serde_json::Map<String, Json>, ns: &str) -> Result<String> {
    let name = obj
        .get("name")
        .and_then(Json::as_str)
        .ok_or_else(|| err("named Avro type without name"))?;
    let ns = obj.get("namespace").and_then(Json::as_str).unwrap_or(ns);
    Ok(qualify(name, ns))
}

fn namespace_of(full: &str) -> &str {
    full.rsplit_once('.').map_or("", |(ns, _)| ns)
}

fn str_prop<'a>(obj: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Json::as_str)
}

/// `connect.doc`, `connect.version`, `connect.parameters` and `connect.name` applied.
fn apply_meta(
    mut b: SchemaBuilder,
    obj: &serde_json::Map<String, Json>,
    name: Option<String>,
    logical: bool,
) -> SchemaBuilder {
    if let Some(doc) = str_prop(obj, CONNECT_DOC) {
        b = b.doc(doc);
    }
    if let Some(params) = obj.get(CONNECT_PARAMETERS).and_then(Json::as_object) {
        for (k, v) in params {
            if let Some(v) = v.as_str() {
                b = b.parameter(k.clone(), v.to_string());
            }
        }
    }
    if !logical {
        if let Some(v) = obj.get(CONNECT_VERSION).and_then(Json::as_i64) {
            b = b.version(i32::try_from(v).unwrap_or(i32::MAX));
        }
        if let Some(n) = str_prop(obj, CONNECT_NAME).map(str::to_string).or(name) {
            b = b.name(n);
        }
    }
    b
}

impl Ctx {
    fn convert(
        &mut self,
        avro: &Json,
        ns: &str,
        optional: bool,
        default: Option<&Json>,
    ) -> Result<(Schema, Node)> {
        match avro {
            Json::String(t) => match t.as_str() {
                "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string" => {
                    let mut obj = serde_json::Map::new();
                    obj.insert("type".into(), Json::String(t.clone()));
                    self.object(&obj, ns, optional, default)
                }
                other => {
                    let full = qualify(other, ns);
                    let Some((def, def_ns)) = self.named.get(&full).cloned() else {
                        return Err(err(format!("Unknown Avro type {other:?}")));
                    };
                    if self.stack.contains(&full) {
                        return Err(err(format!(
                            "Recursive Avro type {full} cannot be mapped to a Connect schema"
                        )));
                    }
                    self.convert(&def, &def_ns, optional, default)
                }
            },
            Json::Array(branches) => self.union(branches, ns, optional, default),
            Json::Object(obj) => self.object(obj, ns, optional, default),
            other => Err(err(format!("Invalid Avro schema: {other}"))),
        }
    }

    fn union(
        &mut self,
        branches: &[Json],
        ns: &str,
        optional: bool,
        default: Option<&Json>,
    ) -> Result<(Schema, Node)> {
        let null_at = branches.iter().position(|b| b.as_str() == Some("null"));
        if let (Some(null_index), 2) = (null_at, branches.len()) {
            let other = &branches[1 - null_index];
            let default = default.filter(|d| !d.is_null());
            let (schema, inner) = self.convert(other, ns, true, default)?;
            let null_index = u8::from(null_index == 1);
            return Ok((schema, Node::Optional { null_index, inner: Box::new(inner) }));
        }
        let mut b = SchemaBuilder::struct_().name(UNION_NAME);
        let mut parts = Vec::new();
        for branch in branches {
            if branch.as_str() == Some("null") {
                parts.push(None);
                continue;
            }
            let field_name = branch_name(branch, ns);
            let (s, node) = self.convert(branch, ns, true, None)?;
            b = b.field(field_name, s);
            parts.push(Some(node));
        }
        if optional || null_at.is_some() {
            b = b.optional();
        }
        let schema = b.build()?;
        let mut index = 0;
        let branches = parts
            .into_iter()
            .map(|p| match p {
                None => Branch::Null,
                Some(node) => {
                    index += 1;
                    Branch::Field(index - 1, node)
                }
            })
            .collect();
        Ok((schema.clone(), Node::Union { schema, branches }))
    }

    fn object(
        &mut self,
        obj: &serde_json::Map<String, Json>,
        ns: &str,
        optional: bool,
        default: Option<&Json>,
    ) -> Result<(Schema, Node)> {
        let ty = match obj.get("type") {
            Some(Json::String(t)) => t.as_str(),
            Some(nested) => return self.convert(nested, ns, optional, default),
            None => return Err(err("Avro schema object without type")),
        };
        let logical = str_prop(obj, "logicalType");
        let cname = str_prop(obj, CONNECT_NAME);
        let default = obj.get(CONNECT_DEFAULT).or(default);
        let (builder, node) = match ty {
            "null" => return Err(err("The Avro null type has no Connect equivalent")),
            "boolean" => (apply_meta(SchemaBuilder::boolean(), obj, None, false), Node::Boolean),
            "int" => {
                let kind = match (logical, cname, str_prop(obj, CONNECT_TYPE)) {
                    (Some("date"), _, _) | (_, Some(DATE_NAME), _) => IntKind::Date,
                    (Some("time-millis"), _, _) | (_, Some(TIME_NAME), _) => IntKind::Time,
                    (_, _, Some("int8")) => IntKind::Int8,
                    (_, _, Some("int16")) => IntKind::Int16,
                    _ => IntKind::Int32,
                };
                let b = match kind {
                    IntKind::Date => apply_meta(Date::builder(), obj, None, true),
                    IntKind::Time => apply_meta(Time::builder(), obj, None, true),
                    IntKind::Int8 => apply_meta(SchemaBuilder::int8(), obj, None, false),
                    IntKind::Int16 => apply_meta(SchemaBuilder::int16(), obj, None, false),
                    IntKind::Int32 => apply_meta(SchemaBuilder::int32(), obj, None, false),
                };
                (b, Node::Int(kind))
            }
            "long" => {
                if logical == Some("timestamp-millis") || cname == Some(TIMESTAMP_NAME) {
                    (apply_meta(Timestamp::builder(), obj, None, true), Node::Long(true))
                } else {
                    (apply_meta(SchemaBuilder::int64(), obj, None, false), Node::Long(false))
                }
            }
            "float" => (apply_meta(SchemaBuilder::float32(), obj, None, false), Node::Float),
            "double" => (apply_meta(SchemaBuilder::float64(), obj, None, false), Node::Double),
            "string" => (apply_meta(SchemaBuilder::string(), obj, None, false), Node::String),
            "bytes" | "fixed" => {
                let fixed = if ty == "fixed" {
                    let full = named_full_name(obj, ns)?;
                    self.named.insert(full, (Json::Object(obj.clone()), ns.to_string()));
                    let size = obj
                        .get("size")
                        .and_then(Json::as_u64)
                        .ok_or_else(|| err("fixed without size"))?;
                    Some(usize::try_from(size).map_err(|_| err("fixed size too large"))?)
                } else {
                    None
                };
                if logical == Some("decimal") || cname == Some(DECIMAL_NAME) {
                    let scale = obj.get("scale").and_then(Json::as_i64).unwrap_or(0);
                    let scale =
                        i32::try_from(scale).map_err(|_| err("decimal scale out of range"))?;
                    let mut b = Decimal::builder(scale);
                    if !obj.contains_key(CONNECT_PARAMETERS)
                        && let Some(p) = obj.get("precision").and_then(Json::as_u64)
                    {
                        b = b.parameter(PRECISION_PARAMETER, p.to_string());
                    }
                    let b = apply_meta(b, obj, None, true);
                    let placeholder = Decimal::schema(scale);
                    (b, Node::Decimal { schema: placeholder, fixed })
                } else if let Some(size) = fixed {
                    let full = named_full_name(obj, ns)?;
                    let b =
                        SchemaBuilder::bytes().parameter(FIXED_SIZE_PARAMETER, size.to_string());
                    (apply_meta(b, obj, Some(full), false), Node::Fixed(size))
                } else {
                    (apply_meta(SchemaBuilder::bytes(), obj, None, false), Node::Bytes)
                }
            }
            "enum" => {
                let full = named_full_name(obj, ns)?;
                self.named.insert(full.clone(), (Json::Object(obj.clone()), ns.to_string()));
                let symbols: Vec<String> = obj
                    .get("symbols")
                    .and_then(Json::as_array)
                    .ok_or_else(|| err("enum without symbols"))?
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect();
                let mut b = SchemaBuilder::string().parameter(ENUM_NAME, full.clone());
                for s in &symbols {
                    b = b.parameter(format!("{ENUM_NAME}.{s}"), s.clone());
                }
                (apply_meta(b, obj, Some(full), false), Node::Enum(symbols))
            }
            "array" => {
                let items = obj.get("items").ok_or_else(|| err("array without items"))?;
                let resolved = self.resolve(items, ns);
                if let Some((key, value, entry_ns)) = map_entry(&resolved, ns) {
                    let (ks, kn) = self.convert(&key, &entry_ns, false, None)?;
                    let (vs, vn) = self.convert(&value, &entry_ns, false, None)?;
                    let b = apply_meta(SchemaBuilder::map(ks, vs), obj, None, false);
                    (b, Node::MapEntries(Box::new(kn), Box::new(vn)))
                } else {
                    let (es, en) = self.convert(items, ns, false, None)?;
                    (
                        apply_meta(SchemaBuilder::array(es), obj, None, false),
                        Node::Array(Box::new(en)),
                    )
                }
            }
            "map" => {
                let values = obj.get("values").ok_or_else(|| err("map without values"))?;
                let (vs, vn) = self.convert(values, ns, false, None)?;
                let b = SchemaBuilder::map(Schema::string(), vs);
                (apply_meta(b, obj, None, false), Node::Map(Box::new(vn)))
            }
            "record" | "error" => return self.record(obj, ns, optional),
            other => return Err(err(format!("Unknown Avro type {other:?}"))),
        };
        let mut builder = if optional { builder.optional() } else { builder };
        if let Some(d) = default.filter(|d| !d.is_null())
            && let Ok(plain) = builder.clone().build()
            && let Some(v) = json_to_value(d, &node, &plain)
        {
            builder = builder.default_value(v);
        }
        let schema = builder.build()?;
        let node = match node {
            Node::Decimal { fixed, .. } => Node::Decimal { schema: schema.clone(), fixed },
            n => n,
        };
        Ok((schema, node))
    }

    /// A reference resolved to its definition (one level), for shape tests.
    fn resolve(&self, avro: &Json, ns: &str) -> Json {
        if let Json::String(name) = avro
            && let Some((def, _)) = self.named.get(&qualify(name, ns))
        {
            return def.clone();
        }
        avro.clone()
    }

    fn record(
        &mut self,
        obj: &serde_json::Map<String, Json>,
        ns: &str,
        optional: bool,
    ) -> Result<(Schema, Node)> {
        let full = named_full_name(obj, ns)?;
        self.named.insert(full.clone(), (Json::Object(obj.clone()), ns.to_string()));
        self.stack.push(full.clone());
        let inner_ns = namespace_of(&full).to_string();
        let generated = full.starts_with(&format!("{AVRO_NAMESPACE}.{DEFAULT_SCHEMA_NAME}"));
        let mut b =
            apply_meta(SchemaBuilder::struct_(), obj, (!generated).then(|| full.clone()), false);
        if str_prop(obj, CONNECT_DOC).is_none()
            && let Some(doc) = str_prop(obj, "doc")
        {
            b = b.doc(doc);
        }
        let mut nodes = Vec::new();
        for f in obj
            .get("fields")
            .and_then(Json::as_array)
            .ok_or_else(|| err("record without fields"))?
        {
            let name =
                f.get("name").and_then(Json::as_str).ok_or_else(|| err("field without name"))?;
            let ty = f.get("type").ok_or_else(|| err(format!("field {name} without type")))?;
            let (s, n) = self.convert(ty, &inner_ns, false, f.get("default"))?;
            b = b.field(name, s);
            nodes.push(n);
        }
        self.stack.pop();
        if optional {
            b = b.optional();
        }
        let schema = b.build()?;
        Ok((schema.clone(), Node::Record(schema, nodes)))
    }
}

/// The key and value types of a `MapEntry` record, and its namespace.
fn map_entry(items: &Json, ns: &str) -> Option<(Json, Json, String)> {
    let obj = items.as_object()?;
    if obj.get("type")?.as_str()? != "record" {
        return None;
    }
    let full = named_full_name(obj, ns).ok()?;
    if !full.starts_with(&format!("{AVRO_NAMESPACE}.{MAP_ENTRY_TYPE_NAME}")) {
        return None;
    }
    let fields = obj.get("fields")?.as_array()?;
    let [k, v] = fields.as_slice() else { return None };
    if k.get("name")?.as_str()? != "key" || v.get("name")?.as_str()? != "value" {
        return None;
    }
    Some((k.get("type")?.clone(), v.get("type")?.clone(), namespace_of(&full).to_string()))
}

/// The field name of a general union branch: its type name, or a named type's simple name.
fn branch_name(branch: &Json, ns: &str) -> String {
    let full = match branch {
        Json::String(s) => s.clone(),
        Json::Object(o) => match o.get("type").and_then(Json::as_str) {
            Some("record" | "enum" | "fixed" | "error") => {
                named_full_name(o, ns).unwrap_or_else(|_| "record".into())
            }
            Some(t) => t.to_string(),
            None => "union".into(),
        },
        Json::Array(_) => "array".into(),
        _ => "value".into(),
    };
    full.rsplit('.').next().unwrap_or(&full).to_string()
}
