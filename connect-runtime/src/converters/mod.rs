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
//! [`HeaderConverter`]s, as in Kafka. Confluent's Avro converter is in `connect-avro`. [`plugins`] lists them for the
//! [`PluginRegistry`](crate::PluginRegistry), which makes one for a worker or connector
//! setting (`value.converter=org.apache.kafka.connect.json.JsonConverter`, or a short alias).

pub mod json;

mod bytearray;
#[cfg(test)]
mod fast_path_tests;
mod numeric;
mod simple_header;
mod string;
mod text;

use connect_api::convert::{Converter, HeaderConverter};
use connect_api::plugin::PluginDescriptor;

pub use bytearray::ByteArrayConverter;
pub use json::{DecimalFormat, JsonConverter, JsonOptions};
pub use numeric::{
    DoubleConverter, FloatConverter, IntegerConverter, LongConverter, ShortConverter,
};
pub use simple_header::SimpleHeaderConverter;
pub use string::{ENCODING_CONFIG, StringConverter};

/// Kafka's class name of the JSON converter.
pub const JSON_CONVERTER_CLASS: &str = "org.apache.kafka.connect.json.JsonConverter";
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
/// simple header converter) and every class as a header converter, as in Kafka.
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

/// Kafka's `ConverterConfig` helpers, from `connect-api` where Kafka keeps them too.
pub(crate) use connect_api::convert::{
    ConverterType, converter_type_key, parse_converter_config as parse_config,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_converter_is_listed_once_per_kind() {
        let plugins = plugins();
        let count = |kind| plugins.iter().filter(|p| p.kind() == kind).count();
        assert_eq!(count(connect_api::plugin::PluginKind::Converter), 8);
        assert_eq!(count(connect_api::plugin::PluginKind::HeaderConverter), 9);
    }
}
