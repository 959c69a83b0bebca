//! The converters of the runtime, wire-compatible with Kafka Connect's:
//!
//! | class | type | what it writes |
//! | --- | --- | --- |
//! | `org.apache.kafka.connect.json.JsonConverter` | [`JsonConverter`] | JSON, with or without a schema envelope |
//! | `org.apache.kafka.connect.storage.StringConverter` | [`StringConverter`] | the value's text |
//! | `org.apache.kafka.connect.converters.ByteArrayConverter` | [`ByteArrayConverter`] | bytes as they are |
//! | `org.apache.kafka.connect.converters.ShortConverter` … `DoubleConverter` | [`ShortConverter`] … [`DoubleConverter`] | big-endian numbers |
//! | `org.apache.kafka.connect.storage.SimpleHeaderConverter` | [`SimpleHeaderConverter`] | header values as text |
//!
//! All of them but `SimpleHeaderConverter` are [`Converter`]s, and all of them but Avro
//! are [`HeaderConverter`]s, as in Kafka. [`plugins`] lists them for the
//! [`PluginRegistry`](crate::PluginRegistry), which makes one for a worker or connector
//! setting (`value.converter=org.apache.kafka.connect.json.JsonConverter`, or a short alias).

#[cfg(feature = "avro")]
pub mod avro;
pub mod json;

mod bytearray;
mod numeric;
mod simple_header;
mod string;
mod text;

use connect_api::config::{
    ConfigDef, ConfigKey, Importance, ParsedConfig, RawConfig, Type as ConfigType, ValidString,
};
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::error::Result;
use connect_api::plugin::PluginDescriptor;

#[cfg(feature = "avro")]
pub use avro::AvroConverter;
pub use bytearray::ByteArrayConverter;
pub use json::{DecimalFormat, JsonConverter, JsonOptions};
pub use numeric::{
    DoubleConverter, FloatConverter, IntegerConverter, LongConverter, ShortConverter,
};
pub use simple_header::SimpleHeaderConverter;
pub use string::{ENCODING_CONFIG, StringConverter};

/// Kafka's class name of the JSON converter.
pub const JSON_CONVERTER_CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";
/// Confluent's class name of the Avro converter (feature `avro`).
#[cfg(feature = "avro")]
pub const AVRO_CONVERTER_CLASS: &str = "io.confluent.connect.avro.AvroConverter";
/// Kafka's class name of the String converter.
pub const STRING_CONVERTER_CLASS: &str = "org.apache.kafka.connect.storage.StringConverter";
/// Kafka's class name of the ByteArray converter.
pub const BYTE_ARRAY_CONVERTER_CLASS: &str =
    "org.apache.kafka.connect.converters.ByteArrayConverter";
/// Kafka's class name of the Short converter.
pub const SHORT_CONVERTER_CLASS: &str = "org.apache.kafka.connect.converters.ShortConverter";
/// Kafka's class name of the Integer converter.
pub const INTEGER_CONVERTER_CLASS: &str = "org.apache.kafka.connect.converters.IntegerConverter";
/// Kafka's class name of the Long converter.
pub const LONG_CONVERTER_CLASS: &str = "org.apache.kafka.connect.converters.LongConverter";
/// Kafka's class name of the Float converter.
pub const FLOAT_CONVERTER_CLASS: &str = "org.apache.kafka.connect.converters.FloatConverter";
/// Kafka's class name of the Double converter.
pub const DOUBLE_CONVERTER_CLASS: &str = "org.apache.kafka.connect.converters.DoubleConverter";
/// Kafka's class name of the simple header converter (the worker's default
/// `header.converter`).
pub const SIMPLE_HEADER_CONVERTER_CLASS: &str =
    "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// The runtime's converters and header converters as plugins, for the
/// [`PluginRegistry`](crate::PluginRegistry): every class above as a converter (but the
/// simple header converter) and every class as a header converter (but Avro), as in Kafka.
pub fn plugins() -> Vec<PluginDescriptor> {
    fn both<C: Converter + HeaderConverter + 'static>(
        out: &mut Vec<PluginDescriptor>,
        class: &str,
        make: fn() -> C,
    ) {
        out.push(PluginDescriptor::converter(class, VERSION, move || Box::new(make())));
        out.push(PluginDescriptor::header_converter(class, VERSION, move || Box::new(make())));
    }
    let mut out = Vec::new();
    #[cfg(feature = "avro")]
    out.push(PluginDescriptor::converter(AVRO_CONVERTER_CLASS, VERSION, || {
        Box::new(AvroConverter::new())
    }));
    both(&mut out, BYTE_ARRAY_CONVERTER_CLASS, ByteArrayConverter::new);
    both(&mut out, DOUBLE_CONVERTER_CLASS, DoubleConverter::new);
    both(&mut out, FLOAT_CONVERTER_CLASS, FloatConverter::new);
    both(&mut out, INTEGER_CONVERTER_CLASS, IntegerConverter::new);
    both(&mut out, LONG_CONVERTER_CLASS, LongConverter::new);
    both(&mut out, SHORT_CONVERTER_CLASS, ShortConverter::new);
    both(&mut out, JSON_CONVERTER_CLASS, JsonConverter::new);
    both(&mut out, STRING_CONVERTER_CLASS, StringConverter::new);
    out.push(PluginDescriptor::header_converter(SIMPLE_HEADER_CONVERTER_CLASS, VERSION, || {
        Box::new(SimpleHeaderConverter::new())
    }));
    out
}

/// The version the runtime's own plugins report (Kafka reports its own version).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a converter instance serves; `configure` records it as Kafka's
/// `converter.type` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConverterType {
    /// Record keys.
    Key,
    /// Record values.
    Value,
    /// Header values.
    Header,
}

impl ConverterType {
    fn as_str(self) -> &'static str {
        match self {
            ConverterType::Key => "key",
            ConverterType::Value => "value",
            ConverterType::Header => "header",
        }
    }
}

/// Kafka's `converter.type` setting (`ConverterConfig`).
pub(crate) const CONVERTER_TYPE_CONFIG: &str = "converter.type";

/// The definition of `converter.type`, shared by every converter's settings.
pub(crate) fn converter_type_key() -> ConfigKey {
    ConfigKey::new(
        CONVERTER_TYPE_CONFIG,
        ConfigType::String,
        Importance::Low,
        "How this converter will be used.",
    )
    .validator(ValidString::in_list(["key", "value", "header"]))
}

/// Parses a converter's settings, with `converter.type` set from its use as Kafka's
/// `configure` does.
pub(crate) fn parse_config(
    def: &ConfigDef,
    config: &RawConfig,
    ty: ConverterType,
) -> Result<ParsedConfig> {
    let mut raw = config.clone();
    raw.insert(CONVERTER_TYPE_CONFIG.to_string(), ty.as_str().to_string());
    def.parse(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converter_type_is_set_by_configure() {
        let def = ConfigDef::new().define(converter_type_key());
        let parsed = parse_config(&def, &RawConfig::new(), ConverterType::Key).unwrap();
        assert_eq!(parsed.get_string(CONVERTER_TYPE_CONFIG).unwrap(), "key");
    }

    #[test]
    fn every_converter_is_listed_once_per_kind() {
        let plugins = plugins();
        let count = |kind| plugins.iter().filter(|p| p.kind() == kind).count();
        let avro = usize::from(cfg!(feature = "avro"));
        assert_eq!(count(connect_api::plugin::PluginKind::Converter), 8 + avro);
        assert_eq!(count(connect_api::plugin::PluginKind::HeaderConverter), 9);
    }
}
