//! Kafka's JSON form of a Connect [`Schema`] (`JsonConverter.asJsonSchema` and
//! `asConnectSchema`).
//!
//! Members are written in Kafka's order: `type`, then `items` (arrays), `keys` and
//! `values` (maps) or `fields` (structs), then `optional`, `name`, `version`, `doc`,
//! `parameters` and `default`; each struct field's schema ends with `field`, its name.

use connect_api::data::{Schema, SchemaBuilder, Type};
use connect_api::error::{ConnectError, Result};

use super::tree::{Json, Num};
use super::{JsonOptions, Path, decode, encode};

/// The JSON form of `schema`; fails only if a default value cannot be written.
pub(crate) fn to_json(schema: &Schema, options: &JsonOptions) -> Result<Json> {
    build(schema, options, true)
}

/// The JSON form of `schema`, leaving out default values that cannot be written.
pub(crate) fn to_json_lenient(schema: &Schema, options: &JsonOptions) -> Json {
    build(schema, options, false).unwrap_or(Json::Null)
}

fn build(schema: &Schema, options: &JsonOptions, strict: bool) -> Result<Json> {
    let mut members: Vec<(String, Json)> = Vec::with_capacity(6);
    let ty = schema.schema_type();
    members.push(("type".into(), Json::str(ty.json_name())));
    match ty {
        Type::Array => {
            let items = schema
                .value_schema()
                .ok_or_else(|| ConnectError::data("Array schema without an element schema"))?;
            members.push(("items".into(), build(items, options, strict)?));
        }
        Type::Map => {
            let (keys, values) = schema
                .key_schema()
                .zip(schema.value_schema())
                .ok_or_else(|| ConnectError::data("Map schema without key and value schemas"))?;
            members.push(("keys".into(), build(keys, options, strict)?));
            members.push(("values".into(), build(values, options, strict)?));
        }
        Type::Struct => {
            let mut fields = Vec::with_capacity(schema.fields().len());
            for field in schema.fields() {
                let mut json = build(field.schema(), options, strict)?;
                if let Json::Object(m) = &mut json {
                    m.push(("field".into(), Json::str(field.name())));
                }
                fields.push(json);
            }
            members.push(("fields".into(), Json::Array(fields)));
        }
        _ => {}
    }
    members.push(("optional".into(), Json::Bool(schema.is_optional())));
    if let Some(name) = schema.name() {
        members.push(("name".into(), Json::str(name)));
    }
    if let Some(version) = schema.version() {
        members.push(("version".into(), Json::Number(Num::Int(version.into()))));
    }
    if let Some(doc) = schema.doc() {
        members.push(("doc".into(), Json::str(doc)));
    }
    if !schema.parameters().is_empty() {
        let params =
            schema.parameters().iter().map(|(k, v)| (k.clone(), Json::str(v.as_str()))).collect();
        members.push(("parameters".into(), Json::Object(params)));
    }
    if let Some(default) = schema.default_value() {
        match encode::encode(Some(schema), default, options, &Path::Root) {
            Ok(json) => members.push(("default".into(), json)),
            Err(e) if strict => return Err(e.context("Cannot write the schema's default value")),
            Err(_) => {}
        }
    }
    Ok(Json::Object(members))
}

/// The schema of a JSON schema; `None` for JSON `null` (schemaless data).
pub(crate) fn from_json(json: &Json, options: &JsonOptions) -> Result<Option<Schema>> {
    match json {
        Json::Null => Ok(None),
        json => parse(json, options).map(Some),
    }
}

fn nested(json: Option<&Json>, missing: &str, options: &JsonOptions) -> Result<Schema> {
    match json {
        None | Some(Json::Null) => Err(ConnectError::data(missing)),
        Some(json) => parse(json, options),
    }
}

fn built(builder: SchemaBuilder) -> Result<Schema> {
    // SchemaBuilderException is a DataException in Kafka.
    builder.build().map_err(|e| ConnectError::data(format!("Invalid schema: {}", e.message())))
}

fn parse(json: &Json, options: &JsonOptions) -> Result<Schema> {
    let type_name = match json.get("type") {
        Some(Json::String(t)) => t.as_str(),
        _ => return Err(ConnectError::data("Schema must contain 'type' field")),
    };
    let mut builder = match type_name {
        "boolean" => SchemaBuilder::boolean(),
        "int8" => SchemaBuilder::int8(),
        "int16" => SchemaBuilder::int16(),
        "int32" => SchemaBuilder::int32(),
        "int64" => SchemaBuilder::int64(),
        "float" => SchemaBuilder::float32(),
        "double" => SchemaBuilder::float64(),
        "bytes" => SchemaBuilder::bytes(),
        "string" => SchemaBuilder::string(),
        "array" => SchemaBuilder::array(nested(
            json.get("items"),
            "Array schema did not specify the element type",
            options,
        )?),
        "map" => {
            let keys =
                nested(json.get("keys"), "Map schema did not specify the key type", options)?;
            let values =
                nested(json.get("values"), "Map schema did not specify the value type", options)?;
            SchemaBuilder::map(keys, values)
        }
        "struct" => {
            let Some(Json::Array(fields)) = json.get("fields") else {
                return Err(ConnectError::data(
                    "Struct schema's \"fields\" argument is not an array.",
                ));
            };
            let mut builder = SchemaBuilder::struct_();
            for field in fields {
                let Some(Json::String(name)) = field.get("field") else {
                    return Err(ConnectError::data(
                        "Struct schema's field name not specified properly",
                    ));
                };
                builder = builder.field(name.as_str(), parse(field, options)?);
            }
            builder
        }
        other => return Err(ConnectError::data(format!("Unknown schema type: {other}"))),
    };
    if let Some(Json::Bool(true)) = json.get("optional") {
        builder = builder.optional();
    }
    if let Some(Json::String(name)) = json.get("name") {
        builder = builder.name(name.as_str());
    }
    if let Some(Json::Number(Num::Int(v))) = json.get("version")
        && let Ok(v) = i32::try_from(*v)
    {
        builder = builder.version(v);
    }
    if let Some(Json::String(doc)) = json.get("doc") {
        builder = builder.doc(doc.as_str());
    }
    if let Some(Json::Object(params)) = json.get("parameters") {
        for (k, v) in params {
            let Json::String(v) = v else {
                return Err(ConnectError::data("Schema parameters must have string values."));
            };
            builder = builder.parameter(k.as_str(), v.as_str());
        }
    }
    let schema = built(builder)?;
    match json.get("default") {
        // A struct default would have to hold a struct of the very schema that holds it,
        // which cannot be built; such a default is dropped. A null default is no default.
        None | Some(Json::Null) => Ok(schema),
        Some(_) if schema.schema_type() == Type::Struct => Ok(schema),
        Some(default) => {
            let value = decode::decode(Some(&schema), default, options, &Path::Root)
                .map_err(|e| e.context("Invalid default value in schema"))?;
            built(schema.to_builder().default_value(value))
        }
    }
}
