//! [`StringConverter`]: values as text (`org.apache.kafka.connect.storage.StringConverter`).

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type as ConfigType, Width};
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::data::{Schema, SchemaAndValue, Value};
use connect_api::error::{ConnectError, Result};
use connect_api::record::Headers;

use super::text::java_to_string;
use super::{ConverterType, converter_type_key, parse_config};

/// The character set the text is written in (a Java charset name).
pub const ENCODING_CONFIG: &str = "converter.encoding";

/// The character sets the converter knows, by their canonical Java names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16,
    Utf16Be,
    Utf16Le,
    Latin1,
    Ascii,
}

impl Encoding {
    /// The charset of a Java charset name or alias, ignoring case, `-` and `_`.
    fn from_java_name(name: &str) -> Option<Encoding> {
        let norm: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Some(match norm.as_str() {
            "UTF8" | "UNICODE11UTF8" => Encoding::Utf8,
            "UTF16" | "UNICODE" | "UNICODEBIG" => Encoding::Utf16,
            "UTF16BE" | "XUTF16BE" | "UNICODEBIGUNMARKED" | "ISO10646UCS2" => Encoding::Utf16Be,
            "UTF16LE" | "XUTF16LE" | "UNICODELITTLEUNMARKED" => Encoding::Utf16Le,
            "ISO88591" | "ISO8859.1" | "88591" | "LATIN1" | "L1" | "CP819" | "IBM819" => {
                Encoding::Latin1
            }
            "USASCII" | "ASCII" | "ASCII7" | "US" | "ISO646US" | "646" | "CP367" | "IBM367"
            | "DEFAULT" => Encoding::Ascii,
            _ => return None,
        })
    }

    /// Encodes as Java's `String.getBytes` does: unmappable characters become `?`.
    fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => s.as_bytes().to_vec(),
            Encoding::Latin1 => s.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect(),
            Encoding::Ascii => {
                s.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).collect()
            }
            Encoding::Utf16 => {
                let mut out = vec![0xfe, 0xff];
                out.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
                out
            }
            Encoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Encoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        }
    }

    /// Decodes as Java's `new String(bytes, charset)` does: malformed input becomes
    /// U+FFFD.
    fn decode(self, b: &[u8]) -> String {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(b).into_owned(),
            Encoding::Latin1 => b.iter().map(|&x| char::from(x)).collect(),
            Encoding::Ascii => {
                b.iter().map(|&x| if x.is_ascii() { char::from(x) } else { '\u{fffd}' }).collect()
            }
            Encoding::Utf16 => match b {
                [0xff, 0xfe, rest @ ..] => utf16(rest, false),
                [0xfe, 0xff, rest @ ..] => utf16(rest, true),
                _ => utf16(b, true),
            },
            Encoding::Utf16Be => utf16(b, true),
            Encoding::Utf16Le => utf16(b, false),
        }
    }
}

fn utf16(b: &[u8], big_endian: bool) -> String {
    let units = b.chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if big_endian { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) }
    });
    let mut out: String = char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')).collect();
    if b.len() % 2 == 1 {
        out.push('\u{fffd}');
    }
    out
}

/// Kafka Connect's String converter (`org.apache.kafka.connect.storage.StringConverter`),
/// a [`Converter`] and a [`HeaderConverter`].
///
/// Writing renders any value as Java's `toString` would (strings as they are, numbers
/// and booleans as Java prints them, structs as `Struct{a=1}`, dates in UTC); a BYTES
/// value is written as its bytes. Reading always gives an optional STRING. The setting
/// `converter.encoding` (default `UTF8`) names the character set: UTF-8, UTF-16
/// (BE/LE), ISO-8859-1 and US-ASCII are supported, under their Java names and aliases.
///
/// ```
/// use connect_api::data::{Schema, Value};
/// use connect_runtime::converters::StringConverter;
///
/// let c = StringConverter::new();
/// assert_eq!(c.serialize(&Value::Float64(1e10))?, Some(b"1.0E10".to_vec()));
/// let back = c.deserialize(Some(b"hello"));
/// assert_eq!(back.schema, Some(Schema::optional_string()));
/// assert_eq!(back.value, Value::from("hello"));
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StringConverter {
    encoding: Encoding,
}

impl Default for StringConverter {
    fn default() -> Self {
        Self::new()
    }
}

impl StringConverter {
    /// A UTF-8 converter.
    pub fn new() -> Self {
        StringConverter { encoding: Encoding::Utf8 }
    }

    /// The definition of the converter's settings.
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(converter_type_key()).define(
            ConfigKey::new(
                ENCODING_CONFIG,
                ConfigType::String,
                Importance::High,
                "The name of the Java character set to use for encoding strings as byte arrays.",
            )
            .default_value("UTF8")
            .group("Converter")
            .order_in_group(0)
            .width(Width::Medium)
            .display_name("Encoding"),
        )
    }

    fn apply(&mut self, config: &RawConfig, ty: ConverterType) -> Result<()> {
        let parsed = parse_config(&Self::definition(), config, ty)?;
        let name = parsed.get_string(ENCODING_CONFIG)?;
        self.encoding = Encoding::from_java_name(name).ok_or_else(|| {
            ConnectError::config(format!(
                "Invalid value {name} for configuration {ENCODING_CONFIG}: unsupported character set (use UTF8, UTF-16, UTF-16BE, UTF-16LE, ISO-8859-1 or US-ASCII)"
            ))
        })?;
        Ok(())
    }

    /// The bytes of a value: none for null, BYTES as they are, anything else as text.
    pub fn serialize(&self, value: &Value) -> Result<Option<Vec<u8>>> {
        Ok(match value {
            Value::Null => None,
            Value::Bytes(b) => Some(b.clone()),
            Value::String(s) => Some(self.encoding.encode(s)),
            other => Some(self.encoding.encode(&java_to_string(other))),
        })
    }

    /// The text of some bytes, as an optional STRING (null for no bytes).
    pub fn deserialize(&self, data: Option<&[u8]>) -> SchemaAndValue {
        let value = data.map_or(Value::Null, |b| Value::String(self.encoding.decode(b)));
        SchemaAndValue::new(Some(Schema::optional_string()), value)
    }
}

#[async_trait]
impl Converter for StringConverter {
    fn configure(&mut self, config: &RawConfig, is_key: bool) -> Result<()> {
        self.apply(config, if is_key { ConverterType::Key } else { ConverterType::Value })
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    async fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.serialize(value)
    }

    fn from_connect_data_into<'a>(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        _schema: Option<&Schema>,
        value: &'a Value,
        buf: &'a mut Vec<u8>,
    ) -> Option<Result<Option<&'a [u8]>>> {
        Some(Ok(match (value, self.encoding) {
            (Value::Null, _) => None,
            (Value::Bytes(b), _) => Some(b.as_slice()),
            // UTF-8 text is its own encoding: no copy.
            (Value::String(s), Encoding::Utf8) => Some(s.as_bytes()),
            (Value::String(s), encoding) => {
                *buf = encoding.encode(s);
                Some(buf.as_slice())
            }
            (other, encoding) => {
                *buf = encoding.encode(&java_to_string(other));
                Some(buf.as_slice())
            }
        }))
    }

    fn to_connect_data_sync(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Option<Result<SchemaAndValue>> {
        Some(Ok(self.deserialize(data)))
    }

    async fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        Ok(self.deserialize(data))
    }
}

impl HeaderConverter for StringConverter {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.apply(config, ConverterType::Header)
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn from_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.serialize(value)
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        Ok(self.deserialize(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::data::logical::{Date, Decimal};
    use connect_api::data::{SchemaBuilder, Struct};

    fn configured(encoding: &str) -> Result<StringConverter> {
        let mut c = StringConverter::new();
        let mut raw = RawConfig::new();
        raw.insert(ENCODING_CONFIG.into(), encoding.into());
        Converter::configure(&mut c, &raw, false)?;
        Ok(c)
    }

    #[tokio::test]
    async fn round_trips_text_through_the_converter_trait() {
        let c = StringConverter::new();
        let mut headers = Headers::new();
        let bytes = c
            .from_connect_data("t", &mut headers, Some(&Schema::string()), &Value::from("héllo"))
            .await
            .unwrap();
        assert_eq!(bytes.as_deref(), Some("héllo".as_bytes()));
        let back = c.to_connect_data("t", &headers, bytes.as_deref()).await.unwrap();
        assert_eq!(
            back,
            SchemaAndValue::new(Some(Schema::optional_string()), Value::from("héllo"))
        );
        let null = c.to_connect_data("t", &headers, None).await.unwrap();
        assert_eq!(null, SchemaAndValue::new(Some(Schema::optional_string()), Value::Null));
        assert_eq!(c.serialize(&Value::Null).unwrap(), None);
    }

    #[test]
    fn renders_values_as_java_to_string() {
        let c = StringConverter::new();
        let text = |v: Value| String::from_utf8(c.serialize(&v).unwrap().unwrap()).unwrap();
        assert_eq!(text(Value::Int32(42)), "42");
        assert_eq!(text(Value::Float64(1.0)), "1.0");
        assert_eq!(text(Value::Float32(0.5)), "0.5");
        assert_eq!(text(Value::Boolean(true)), "true");
        assert_eq!(text(Value::Decimal(Decimal::new(12345, 2))), "123.45");
        assert_eq!(text(Value::Date(Date(0))), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(text(Value::Array(vec![Value::Int8(1), Value::from("a")])), "[1, a]");
        assert_eq!(text(Value::Map(vec![(Value::from("k"), Value::Int64(2))])), "{k=2}");
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::optional_string())
            .field("c", Schema::bytes())
            .build()
            .unwrap();
        let s =
            Struct::new(schema).unwrap().with("a", 1).unwrap().with("c", vec![1u8, 255]).unwrap();
        assert_eq!(text(Value::Struct(s)), "Struct{a=1,c=[1, -1]}");
        assert_eq!(c.serialize(&Value::Bytes(vec![0, 159])).unwrap(), Some(vec![0, 159]));
    }

    #[test]
    fn encodings_follow_java_charsets() {
        let latin1 = configured("ISO-8859-1").unwrap();
        assert_eq!(latin1.serialize(&Value::from("é€")).unwrap(), Some(vec![0xe9, b'?']));
        assert_eq!(latin1.deserialize(Some(&[0xe9])).value, Value::from("é"));
        let utf16 = configured("UTF-16").unwrap();
        assert_eq!(utf16.serialize(&Value::from("A")).unwrap(), Some(vec![0xfe, 0xff, 0, 0x41]));
        assert_eq!(utf16.deserialize(Some(&[0xff, 0xfe, 0x41, 0])).value, Value::from("A"));
        let le = configured("utf_16le").unwrap();
        assert_eq!(le.deserialize(Some(&[0x3d, 0xd8, 0x00, 0xde])).value, Value::from("\u{1F600}"));
        let ascii = configured("US-ASCII").unwrap();
        assert_eq!(ascii.deserialize(Some(&[b'a', 0x80])).value, Value::from("a\u{fffd}"));
        assert_eq!(
            configured("utf8").unwrap().deserialize(Some(&[0xff])).value,
            Value::from("\u{fffd}")
        );
        let err = configured("EBCDIC").unwrap_err();
        assert_eq!(err.kind(), connect_api::error::ErrorKind::Config);
        assert!(err.message().contains("converter.encoding"), "{}", err.message());
    }

    #[test]
    fn header_converter_uses_the_same_rules() {
        let mut c = StringConverter::new();
        HeaderConverter::configure(&mut c, &RawConfig::new()).unwrap();
        let bytes = c.from_connect_header("t", "h", None, &Value::Int64(7)).unwrap();
        assert_eq!(bytes.as_deref(), Some(&b"7"[..]));
        let back = c.to_connect_header("t", "h", bytes.as_deref()).unwrap();
        assert_eq!(back.value, Value::from("7"));
    }
}
