//! # connect-transforms
//!
//! Kafka Connect's single message transformations and predicates, under Kafka's class
//! names (with `$Key`/`$Value` where a transformation has both), as plugins for the
//! runtime's plugin registry:
//!
//! ```
//! let mut registry = connect_runtime::PluginRegistry::new();
//! registry.register(connect_transforms::plugins()).unwrap();
//! ```
//!
//! | class (`org.apache.kafka.connect.transforms.`) | type |
//! | --- | --- |
//! | `RegexRouter` | [`RegexRouter`] |
//! | `Filter` | [`Filter`] |
//! | `InsertField$Key`, `InsertField$Value` | [`InsertField`] |
//! | `ReplaceField$Key`, `ReplaceField$Value` | [`ReplaceField`] |
//! | `HoistField$Key`, `HoistField$Value` | [`HoistField`] |
//! | `ExtractField$Key`, `ExtractField$Value` | [`ExtractField`] |
//! | `Cast$Key`, `Cast$Value` | [`Cast`] |
//! | `Flatten$Key`, `Flatten$Value` | [`Flatten`] |
//! | `MaskField$Key`, `MaskField$Value` | [`MaskField`] |
//! | `SetSchemaMetadata$Key`, `SetSchemaMetadata$Value` | [`SetSchemaMetadata`] |
//! | `ValueToKey` | [`ValueToKey`] |
//! | `TimestampConverter$Key`, `TimestampConverter$Value` | [`TimestampConverter`] |
//! | `TimestampRouter` | [`TimestampRouter`] |
//! | `DropHeaders` | [`DropHeaders`] |
//! | `InsertHeader` | [`InsertHeader`] |
//! | `HeaderFrom$Key`, `HeaderFrom$Value` | [`HeaderFrom`] |
//! | `predicates.TopicNameMatches` | [`TopicNameMatches`] |
//! | `predicates.HasHeaderKey` | [`HasHeaderKey`] |
//! | `predicates.RecordIsTombstone` | [`RecordIsTombstone`] |
//!
//! Each transformation takes Kafka's config keys with Kafka's defaults; the ones from
//! `Cast` on parse their settings through their `ConfigDef`. The runtime checks a
//! connector's settings against each plugin's `ConfigDef` under its prefix, so a bad
//! setting is a config error naming the full key
//! (`Invalid value … for configuration transforms.<alias>.spec: …`).

mod cast;
mod common;
mod dateformat;
mod fields;
mod flatten;
mod headers;
mod mask;
mod metadata;
mod predicates;
mod route;
mod timestamp;
mod values;

use connect_api::plugin::PluginDescriptor;

pub use cast::Cast;
pub use fields::{ExtractField, HoistField, InsertField, ReplaceField, Side};
pub use flatten::Flatten;
pub use headers::{DropHeaders, HeaderFrom, InsertHeader};
pub use mask::MaskField;
pub use metadata::{SetSchemaMetadata, ValueToKey};
pub use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
pub use route::{Filter, RegexRouter};
pub use timestamp::{TimestampConverter, TimestampRouter};

/// The version the built-in transformations and predicates report.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The built-in transformations and predicates as plugins, under Kafka's class names (with
/// `$Key`/`$Value` where a transformation has both), for the
/// runtime's `PluginRegistry`.
pub fn plugins() -> Vec<PluginDescriptor> {
    const T: &str = "org.apache.kafka.connect.transforms.";
    const P: &str = "org.apache.kafka.connect.transforms.predicates.";
    vec![
        PluginDescriptor::transformation(format!("{T}RegexRouter"), VERSION, RegexRouter::default),
        PluginDescriptor::transformation(format!("{T}Filter"), VERSION, || Filter),
        PluginDescriptor::transformation(format!("{T}InsertField$Key"), VERSION, || {
            InsertField::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}InsertField$Value"), VERSION, || {
            InsertField::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}ReplaceField$Key"), VERSION, || {
            ReplaceField::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}ReplaceField$Value"), VERSION, || {
            ReplaceField::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}HoistField$Key"), VERSION, || {
            HoistField::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}HoistField$Value"), VERSION, || {
            HoistField::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}ExtractField$Key"), VERSION, || {
            ExtractField::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}ExtractField$Value"), VERSION, || {
            ExtractField::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}Cast$Key"), VERSION, || Cast::new(Side::Key)),
        PluginDescriptor::transformation(format!("{T}Cast$Value"), VERSION, || {
            Cast::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}DropHeaders"), VERSION, DropHeaders::default),
        PluginDescriptor::transformation(
            format!("{T}InsertHeader"),
            VERSION,
            InsertHeader::default,
        ),
        PluginDescriptor::transformation(format!("{T}HeaderFrom$Key"), VERSION, || {
            HeaderFrom::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}HeaderFrom$Value"), VERSION, || {
            HeaderFrom::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}Flatten$Key"), VERSION, || {
            Flatten::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}Flatten$Value"), VERSION, || {
            Flatten::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}MaskField$Key"), VERSION, || {
            MaskField::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}MaskField$Value"), VERSION, || {
            MaskField::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}SetSchemaMetadata$Key"), VERSION, || {
            SetSchemaMetadata::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}SetSchemaMetadata$Value"), VERSION, || {
            SetSchemaMetadata::new(Side::Value)
        }),
        PluginDescriptor::transformation(format!("{T}ValueToKey"), VERSION, ValueToKey::default),
        PluginDescriptor::transformation(format!("{T}TimestampConverter$Key"), VERSION, || {
            TimestampConverter::new(Side::Key)
        }),
        PluginDescriptor::transformation(format!("{T}TimestampConverter$Value"), VERSION, || {
            TimestampConverter::new(Side::Value)
        }),
        PluginDescriptor::transformation(
            format!("{T}TimestampRouter"),
            VERSION,
            TimestampRouter::default,
        ),
        PluginDescriptor::predicate(
            format!("{P}TopicNameMatches"),
            VERSION,
            TopicNameMatches::default,
        ),
        PluginDescriptor::predicate(format!("{P}HasHeaderKey"), VERSION, HasHeaderKey::default),
        PluginDescriptor::predicate(format!("{P}RecordIsTombstone"), VERSION, || RecordIsTombstone),
    ]
}

#[cfg(test)]
mod tests;
