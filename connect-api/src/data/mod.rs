//! The data model: [`Schema`], [`Value`], [`Struct`], logical types, and schema
//! projection and compatibility.
//!
//! Semantics follow Kafka Connect's `org.apache.kafka.connect.data` package: a schema
//! describes a value's type, optionality, default, name, version, documentation and
//! parameters; a struct holds one value per field of its schema.

mod compatibility;
pub mod logical;
mod projector;
mod schema;
mod structs;
mod validate;
mod value;

pub use compatibility::Compatibility;
pub use logical::{Date, Decimal, LogicalType, Time, Timestamp};
pub use projector::SchemaProjector;
pub use schema::{Field, Schema, SchemaBuilder, Type};
pub use structs::Struct;
pub use value::{SchemaAndValue, Value};
