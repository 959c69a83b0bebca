//! Checks of fuzzed inputs, shared by the property tests (`tests/fuzzed_inputs.rs`,
//! `tests/fuzzed_rest.rs`) and the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs` include
//! this folder by path). Each takes raw input and panics (failing the test, or making
//! libFuzzer report a crash) when the library panics or an invariant does not hold:
//! errors are `Err`s with a message, what was read writes back and reads the same, and
//! no answer shows a password the input held.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cases;
pub mod secrets;

use connect_api::config::RawConfig;
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::data::{Schema, SchemaAndValue};
use connect_api::error::{ConnectError, ErrorKind};
use connect_runtime::PluginRegistry;
use connect_runtime::converters::json::{schema_from_json, schema_to_json};
use connect_runtime::converters::{
    ByteArrayConverter, DecimalFormat, DoubleConverter, FloatConverter, IntegerConverter,
    JsonConverter, JsonOptions, LongConverter, ShortConverter, SimpleHeaderConverter,
    StringConverter,
};
use connect_runtime::herder::validation;
use connect_runtime::properties;
use connect_runtime::rest::{config_from_json, strict_config_from_json};
use serde_json::Value as Json;

use secrets::{assert_not_echoed, raw_secrets, raw_without_secrets, secrets_in, without_secrets};

/// The input as text for a failure message.
fn shown(data: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(data))
}

/// A converter's error: a data or schema problem, with a message.
fn assert_data_error(e: &ConnectError, what: &str, data: &[u8]) {
    assert!(
        matches!(e.kind(), ErrorKind::Data | ErrorKind::Schema),
        "{what}: error of kind {:?} for {}: {}",
        e.kind(),
        shown(data),
        e.message()
    );
    assert!(!e.message().trim().is_empty(), "{what}: empty error message for {}", shown(data));
}

/// The JSON converters checked: schemas on (both decimal formats) and off.
pub fn json_converters() -> Vec<(&'static str, JsonConverter)> {
    let numeric = JsonOptions { decimal_format: DecimalFormat::Numeric, ..Default::default() };
    vec![
        ("schemas", JsonConverter::new()),
        ("schemas+numeric", JsonConverter::new().with_options(numeric)),
        ("schemas+uncached", JsonConverter::new().with_cache_size(0)),
        ("schemaless", JsonConverter::new().with_schemas_enable(false)),
    ]
}

/// Arbitrary bytes through the JSON converters: an error is a data error with a
/// message; what is read writes back to bytes that read the same.
pub fn check_json_bytes(converters: &[(&str, JsonConverter)], data: &[u8]) {
    for (name, c) in converters {
        match c.deserialize(Some(data)) {
            Err(e) => assert_data_error(&e, name, data),
            Ok(read) => {
                let bytes = c.serialize(read.schema.as_ref(), &read.value).unwrap_or_else(|e| {
                    panic!(
                        "{name}: what was read from {} does not write: {}",
                        shown(data),
                        e.trace()
                    )
                });
                let again = c.deserialize(bytes.as_deref()).unwrap_or_else(|e| {
                    panic!(
                        "{name}: {} (written from what {} read as) does not read: {}",
                        shown(bytes.as_deref().unwrap_or_default()),
                        shown(data),
                        e.trace()
                    )
                });
                assert_eq!(again, read, "{name}: {} reads differently once rewritten", shown(data));
            }
        }
    }
}

/// A generated schema and value (see [`cases`]) written by each JSON converter read back
/// equal (schemaless: the same bytes again).
pub fn check_json_round_trip(converters: &[(&str, JsonConverter)], data: &[u8]) {
    let (schema, value) = cases::schema_and_value(data);
    for (name, c) in converters {
        let bytes = c.serialize(Some(&schema), &value).unwrap_or_else(|e| {
            panic!("{name}: {value:?} of {schema} does not write: {}", e.trace())
        });
        let read = c.deserialize(bytes.as_deref()).unwrap_or_else(|e| {
            panic!(
                "{name}: {} does not read: {}",
                shown(bytes.as_deref().unwrap_or_default()),
                e.trace()
            )
        });
        if c.schemas_enabled() {
            let expected = SchemaAndValue::new(Some(schema.clone()), value.clone());
            assert_eq!(read, expected, "{name}: {}", shown(bytes.as_deref().unwrap_or_default()));
        } else if value.is_null() {
            // Without schemas a null reads as a null without schema: a tombstone.
            assert!(read.value.is_null(), "{name}: null read as {:?}", read.value);
        } else {
            let again = c.serialize(read.schema.as_ref(), &read.value).unwrap();
            assert_eq!(again, bytes, "{name}: schemaless JSON of {value:?} changes once read");
        }
    }
}

/// A JSON schema (Kafka's envelope `schema` form): refused with a message, or read as a
/// schema that writes back to JSON reading the same. Then the schema in an envelope
/// with a `null` payload and with `payload` (when given) goes through
/// [`check_json_bytes`].
pub fn check_schema_json(
    converters: &[(&str, JsonConverter)],
    schema: &Json,
    payload: Option<&Json>,
) {
    match schema_from_json(schema) {
        Err(e) => assert_data_error(&e, "schema_from_json", schema.to_string().as_bytes()),
        Ok(s) => {
            let back = schema_to_json(&s);
            let again: Schema = schema_from_json(&back).unwrap_or_else(|e| {
                panic!("{back} (written from {s} read from {schema}) does not read: {}", e.trace())
            });
            assert_eq!(again, s, "{schema} reads differently once rewritten as {back}");
        }
    }
    for p in [Some(&Json::Null), payload].into_iter().flatten() {
        let envelope = serde_json::json!({"schema": schema, "payload": p});
        check_json_bytes(converters, envelope.to_string().as_bytes());
    }
}

/// Arbitrary bytes through the String, ByteArray, numeric and simple header converters:
/// bytes round-trip exactly where the converter keeps them (ByteArray, valid UTF-8
/// through String, numbers of the right width), a wrong width is an error naming the
/// size, and the header converter's reading is stable once written.
pub fn check_simple_converters(data: &[u8]) {
    let read = ByteArrayConverter::new().deserialize(Some(data));
    let written = ByteArrayConverter::new().serialize(read.schema.as_ref(), &read.value).unwrap();
    assert_eq!(written.as_deref(), Some(data), "ByteArrayConverter");

    for encoding in ["UTF-8", "UTF-16", "UTF-16LE", "ISO-8859-1", "US-ASCII"] {
        let mut c = StringConverter::new();
        let config: RawConfig = [("converter.encoding".to_string(), encoding.to_string())].into();
        Converter::configure(&mut c, &config, false).unwrap();
        // Text that the charset cannot hold is replaced once (`?`, as Java's encoder
        // does); after that, writing and reading again changes nothing.
        let read = c.deserialize(Some(data));
        let bytes = c.serialize(&read.value).unwrap().unwrap_or_default();
        let again = c.deserialize(Some(&bytes));
        let bytes_again = c.serialize(&again.value).unwrap().unwrap_or_default();
        assert_eq!(
            bytes_again,
            bytes,
            "StringConverter ({encoding}) is not stable on {}",
            shown(data)
        );
        if encoding == "UTF-8" && std::str::from_utf8(data).is_ok() {
            assert_eq!(bytes, data, "StringConverter keeps valid UTF-8 as it is");
            assert_eq!(again, read, "StringConverter rereads valid UTF-8");
        }
    }

    macro_rules! numeric {
        ($($t:ident: $width:expr),*) => {$(
            let c = $t::new();
            match c.deserialize(Some(data)) {
                Ok(read) => {
                    assert_eq!(data.len(), $width, stringify!($t));
                    let bytes = c.serialize(&read.value).unwrap();
                    assert_eq!(bytes.as_deref(), Some(data), stringify!($t));
                }
                Err(e) => {
                    assert_ne!(data.len(), $width, stringify!($t));
                    assert_data_error(&e, stringify!($t), data);
                    assert!(e.message().contains(&$width.to_string()), "{}", e.message());
                }
            }
        )*};
    }
    numeric!(ShortConverter: 2, IntegerConverter: 4, LongConverter: 8, FloatConverter: 4, DoubleConverter: 8);

    // A value may change type once when written and read again (a FLOAT64 written in E
    // notation reads back as a Decimal; Kafka 4.3's `Values.parseString` reads both as
    // FLOAT32, a difference left for its own change); after that it must be stable.
    let h = SimpleHeaderConverter::new();
    let mut written = Some(data.to_vec());
    let mut history = Vec::new();
    for _ in 0..3 {
        let read = h.to_connect_header("t", "h", written.as_deref()).unwrap_or_else(|e| {
            panic!("SimpleHeaderConverter refused {}: {}", shown(data), e.trace())
        });
        written = h.from_connect_header("t", "h", read.schema.as_ref(), &read.value).unwrap();
        history.push(written.clone());
    }
    assert_eq!(
        history[2],
        history[1],
        "SimpleHeaderConverter: {} is not stable once written twice",
        shown(data)
    );
}

/// Configuration text (Java properties or JSON): refused with a message, or read as a
/// config that, written as properties again, reads the same.
pub fn check_properties(text: &str) {
    match properties::parse(text) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Config, "{text:?}: {}", e.message());
            assert!(!e.message().trim().is_empty(), "{text:?}");
            if let Ok(json) = serde_json::from_str::<Json>(text) {
                let base = properties::parse(&without_secrets(&json).to_string());
                let base = base.err().map(|e| e.message().to_string()).unwrap_or_default();
                for s in secrets_in(&json) {
                    assert_not_echoed(&s, e.message(), &base, "a JSON config file's error");
                }
            }
        }
        Ok(raw) => {
            // Java writes a character beyond U+FFFF as two `\uXXXX` surrogates, which the
            // reader (the java-properties crate) refuses: such configs are not rewritten.
            let wide = |s: &String| s.chars().any(|c| u32::from(c) > 0xFFFF);
            if raw.iter().any(|(k, v)| wide(k) || wide(v)) {
                return;
            }
            let written = to_properties_text(&raw);
            let again = properties::parse(&written).unwrap_or_else(|e| {
                panic!("{written:?} (from {text:?}) does not read: {}", e.message())
            });
            assert_eq!(again, raw, "{text:?} written as {written:?}");
        }
    }
}

/// A config as ASCII properties text: every separator, comment mark, backslash and
/// space escaped, every other character outside printable ASCII as `\uXXXX` (UTF-16
/// units, as Java writes them).
pub fn to_properties_text(raw: &RawConfig) -> String {
    fn escape(s: &str, key: bool, out: &mut String) {
        for (i, c) in s.chars().enumerate() {
            match c {
                '\\' | '=' | ':' | '#' | '!' => {
                    out.push('\\');
                    out.push(c);
                }
                ' ' if key || i == 0 => out.push_str("\\ "),
                '{' if key && i == 0 => out.push_str("\\{"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\u{c}' => out.push_str("\\f"),
                ' '..='~' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04X}"));
                    }
                }
            }
        }
    }
    let mut out = String::new();
    for (k, v) in raw {
        escape(k, true, &mut out);
        out.push('=');
        escape(v, false, &mut out);
        out.push('\n');
    }
    out
}

/// The plugins the config checks validate against: the runtime's converters, the
/// FileStream connectors, Kafka's transformations and a connector with a PASSWORD key.
pub fn registry() -> PluginRegistry {
    let mut r = PluginRegistry::new();
    r.register(connect_file::plugins()).unwrap();
    r.register(connect_transforms::plugins()).unwrap();
    r.register(vec![secrets::secret_sink_plugin()]).unwrap();
    r
}

/// A connector config as creation and `/config/validate` check it, for its own class
/// and the test classes: no panic, error counts that add up, password values hidden,
/// and no error or answer that shows a `…password` value.
pub fn check_connector_config(registry: &PluginRegistry, raw: &RawConfig) {
    let baseline = raw_without_secrets(raw);
    let secrets = raw_secrets(raw);
    let own = raw.get("connector.class").map(String::as_str).unwrap_or("");
    for class in [own, "FileStreamSource", "FileStreamSink", secrets::SECRET_SINK] {
        let answer = validation::validate(registry, class, raw);
        let base = validation::validate(registry, class, &baseline);
        let (text, base_text) = match (&answer, &base) {
            (Ok(infos), _) => {
                let errors: usize = infos.configs.iter().map(|c| c.value.errors.len()).sum();
                assert_eq!(infos.error_count, errors, "{class}: error_count of {raw:?}");
                for info in &infos.configs {
                    if info.definition.as_ref().is_some_and(|d| d.ty == "PASSWORD") {
                        let v = info.value.value.as_deref();
                        assert!(
                            v.is_none_or(|v| v == "[hidden]"),
                            "{class}: {} shows {v:?}",
                            info.value.name
                        );
                    }
                }
                let base_text = base.as_ref().map(|b| serde_json::to_string(b).unwrap());
                (serde_json::to_string(infos).unwrap(), base_text.unwrap_or_default())
            }
            (Err(e), _) => {
                assert!(!e.message().trim().is_empty(), "{class}: {raw:?}");
                let base_text = base.as_ref().err().map(|b| b.message().to_string());
                (e.message().to_string(), base_text.unwrap_or_default())
            }
        };
        for s in &secrets {
            assert_not_echoed(s, &text, &base_text, &format!("validate {class}"));
        }
    }
    let checked = validation::check_config(registry, raw).err().map(|e| e.message().to_string());
    let base = validation::check_config(registry, &baseline).err().map(|e| e.message().to_string());
    for s in &secrets {
        let (a, b) = (checked.clone().unwrap_or_default(), base.clone().unwrap_or_default());
        assert_not_echoed(s, &a, &b, "check_config");
    }
    let masked = validation::mask(registry, raw);
    for (k, v) in &masked {
        if secrets::is_secret_key(k) {
            assert_eq!(v, "[hidden]", "mask shows {k}");
        }
    }
}

/// Configuration text read as a connector config ([`check_properties`] first), then
/// checked by [`check_connector_config`].
pub fn check_connector_config_text(registry: &PluginRegistry, text: &str) {
    check_properties(text);
    if let Ok(raw) = properties::parse(text) {
        check_connector_config(registry, &raw);
    }
}

/// A REST request body as the config endpoints read it (`PUT …/config`, `PATCH …/config`,
/// `…/config/validate`): refused with a message that shows no `…password` value, or read
/// as a config whose values are the body's scalars.
pub fn check_rest_config_body(data: &[u8]) {
    let Ok(json) = serde_json::from_slice::<Json>(data) else { return };
    let baseline = without_secrets(&json);
    let secrets = secrets_in(&json);
    let messages = |j: &Json| {
        [
            config_from_json(j).err().map(|e| e.message),
            strict_config_from_json(j).err().map(|e| e.message),
        ]
    };
    let (answers, bases) = (messages(&json), messages(&baseline));
    for (answer, base) in answers.iter().zip(&bases) {
        if let Some(m) = answer {
            assert!(!m.trim().is_empty(), "empty message for {json}");
        }
        for s in &secrets {
            let (a, b) = (answer.clone().unwrap_or_default(), base.clone().unwrap_or_default());
            assert_not_echoed(s, &a, &b, "a config body's error");
        }
    }
    if let Ok(pairs) = config_from_json(&json) {
        let obj = json.as_object().expect("only objects are configs");
        assert_eq!(pairs.len(), obj.len());
    }
}
