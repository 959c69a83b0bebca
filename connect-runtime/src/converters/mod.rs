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
//! All of them but `SimpleHeaderConverter` are [`Converter`]s, and all of them are
//! [`HeaderConverter`]s, as in Kafka. [`converter_by_name`] and
//! [`header_converter_by_name`] create one from a worker or connector setting
//! (`value.converter=org.apache.kafka.connect.json.JsonConverter`, or a short alias).

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

/// The class names of every [`Converter`], for the plugin listing (type `converter`).
pub const CONVERTER_CLASSES: &[&str] = &[
    #[cfg(feature = "avro")]
    AVRO_CONVERTER_CLASS,
    BYTE_ARRAY_CONVERTER_CLASS,
    DOUBLE_CONVERTER_CLASS,
    FLOAT_CONVERTER_CLASS,
    INTEGER_CONVERTER_CLASS,
    LONG_CONVERTER_CLASS,
    SHORT_CONVERTER_CLASS,
    JSON_CONVERTER_CLASS,
    STRING_CONVERTER_CLASS,
];

/// The class names of every [`HeaderConverter`], for the plugin listing (type
/// `header_converter`).
pub const HEADER_CONVERTER_CLASSES: &[&str] = &[
    BYTE_ARRAY_CONVERTER_CLASS,
    DOUBLE_CONVERTER_CLASS,
    FLOAT_CONVERTER_CLASS,
    INTEGER_CONVERTER_CLASS,
    LONG_CONVERTER_CLASS,
    SHORT_CONVERTER_CLASS,
    JSON_CONVERTER_CLASS,
    SIMPLE_HEADER_CONVERTER_CLASS,
    STRING_CONVERTER_CLASS,
];

/// The class name a converter setting denotes: the class name itself, its simple name
/// (`JsonConverter`) or, as Kafka's plugin aliases, the simple name without the plugin
/// type suffix (`Json`, or `Simple` for `SimpleHeaderConverter`).
fn resolve(name: &str, classes: &[&'static str], suffix: &str) -> Option<&'static str> {
    let name = name.trim();
    classes.iter().copied().find(|class| {
        let simple = class.rsplit('.').next().unwrap_or(class);
        *class == name
            || simple == name
            || simple
                .strip_suffix(suffix)
                .is_some_and(|pruned| !pruned.is_empty() && pruned == name)
    })
}

/// A new, unconfigured converter of the given class (Kafka's class name, simple name
/// or alias); `None` for an unknown class.
///
/// ```
/// use connect_runtime::converters::converter_by_name;
///
/// assert!(converter_by_name("org.apache.kafka.connect.json.JsonConverter").is_some());
/// assert!(converter_by_name("StringConverter").is_some());
/// assert!(converter_by_name("com.example.AvroConverter").is_none());
/// ```
pub fn converter_by_name(class: &str) -> Option<Box<dyn Converter>> {
    let converter: Box<dyn Converter> = match resolve(class, CONVERTER_CLASSES, "Converter")? {
        JSON_CONVERTER_CLASS => Box::new(JsonConverter::new()),
        STRING_CONVERTER_CLASS => Box::new(StringConverter::new()),
        BYTE_ARRAY_CONVERTER_CLASS => Box::new(ByteArrayConverter::new()),
        SHORT_CONVERTER_CLASS => Box::new(ShortConverter::new()),
        INTEGER_CONVERTER_CLASS => Box::new(IntegerConverter::new()),
        LONG_CONVERTER_CLASS => Box::new(LongConverter::new()),
        FLOAT_CONVERTER_CLASS => Box::new(FloatConverter::new()),
        DOUBLE_CONVERTER_CLASS => Box::new(DoubleConverter::new()),
        #[cfg(feature = "avro")]
        AVRO_CONVERTER_CLASS => Box::new(AvroConverter::new()),
        _ => return None,
    };
    Some(converter)
}

/// A new, unconfigured header converter of the given class (Kafka's class name,
/// simple name or alias); `None` for an unknown class.
///
/// ```
/// use connect_runtime::converters::header_converter_by_name;
///
/// assert!(header_converter_by_name("org.apache.kafka.connect.storage.SimpleHeaderConverter").is_some());
/// assert!(header_converter_by_name("JsonConverter").is_some());
/// ```
pub fn header_converter_by_name(class: &str) -> Option<Box<dyn HeaderConverter>> {
    let converter: Box<dyn HeaderConverter> =
        match resolve(class, HEADER_CONVERTER_CLASSES, "HeaderConverter")? {
            SIMPLE_HEADER_CONVERTER_CLASS => Box::new(SimpleHeaderConverter::new()),
            JSON_CONVERTER_CLASS => Box::new(JsonConverter::new()),
            STRING_CONVERTER_CLASS => Box::new(StringConverter::new()),
            BYTE_ARRAY_CONVERTER_CLASS => Box::new(ByteArrayConverter::new()),
            SHORT_CONVERTER_CLASS => Box::new(ShortConverter::new()),
            INTEGER_CONVERTER_CLASS => Box::new(IntegerConverter::new()),
            LONG_CONVERTER_CLASS => Box::new(LongConverter::new()),
            FLOAT_CONVERTER_CLASS => Box::new(FloatConverter::new()),
            DOUBLE_CONVERTER_CLASS => Box::new(DoubleConverter::new()),
            _ => return None,
        };
    Some(converter)
}

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
    fn every_listed_class_resolves() {
        for class in CONVERTER_CLASSES {
            assert!(converter_by_name(class).is_some(), "{class}");
        }
        for class in HEADER_CONVERTER_CLASSES {
            assert!(header_converter_by_name(class).is_some(), "{class}");
        }
    }

    #[test]
    fn short_names_and_aliases_resolve() {
        for name in [
            "JsonConverter",
            "Json",
            "StringConverter",
            "String",
            "ByteArray",
            "LongConverter",
            "Double",
        ] {
            assert!(converter_by_name(name).is_some(), "{name}");
        }
        for name in ["SimpleHeaderConverter", "Simple", "JsonConverter", "StringConverter"] {
            assert!(header_converter_by_name(name).is_some(), "{name}");
        }
        assert!(converter_by_name("SimpleHeaderConverter").is_none());
        assert!(
            converter_by_name("org.apache.kafka.connect.storage.SimpleHeaderConverter").is_none()
        );
        assert!(converter_by_name("Converter").is_none());
        #[cfg(feature = "avro")]
        for name in ["io.confluent.connect.avro.AvroConverter", "AvroConverter", "Avro"] {
            assert!(converter_by_name(name).is_some(), "{name}");
        }
        assert_eq!(resolve("Json", CONVERTER_CLASSES, "Converter"), Some(JSON_CONVERTER_CLASS));
    }

    #[test]
    fn converter_type_is_set_by_configure() {
        let def = ConfigDef::new().define(converter_type_key());
        let parsed = parse_config(&def, &RawConfig::new(), ConverterType::Key).unwrap();
        assert_eq!(parsed.get_string(CONVERTER_TYPE_CONFIG).unwrap(), "key");
    }
}
