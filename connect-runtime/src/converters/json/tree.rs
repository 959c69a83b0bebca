//! The JSON document model the converter works on: [`Json`], its parser and writer.
//!
//! `serde_json::Value` cannot serve here: without its `arbitrary_precision` feature it
//! turns every non-integer number into an `f64` (a `NUMERIC` decimal of 38 digits would
//! lose most of them), and without `preserve_order` it sorts object keys, while Kafka
//! writes schema objects in a fixed order and struct payloads in field order. [`Json`]
//! keeps number text exactly and object members in order; conversions to and from
//! `serde_json::Value` serve the public functions.

use std::collections::HashMap;

/// A JSON number: an `i64` when the text is a plain integer that fits, else the exact
/// (validated) number text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Num {
    /// An integer without fraction or exponent that fits in `i64`.
    Int(i64),
    /// Any other number, as valid JSON number text.
    Text(Box<str>),
}

impl Num {
    /// Whether the number is written without fraction or exponent (Jackson's
    /// `isIntegralNumber`).
    pub(crate) fn is_integral_text(&self) -> bool {
        match self {
            Num::Int(_) => true,
            Num::Text(t) => !t.contains(['.', 'e', 'E']),
        }
    }

    /// The number's text.
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Num::Int(i) => std::borrow::Cow::Owned(i.to_string()),
            Num::Text(t) => std::borrow::Cow::Borrowed(t),
        }
    }
}

/// A JSON value with exact numbers and ordered object members.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Num),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object; keys are unique (a repeated key keeps its first position and its
    /// last value, as Jackson's `ObjectNode` does).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Jackson's name of the node type, for error messages (`STRING`, `OBJECT`, …).
    pub(crate) fn node_type(&self) -> &'static str {
        match self {
            Json::Null => "NULL",
            Json::Bool(_) => "BOOLEAN",
            Json::Number(_) => "NUMBER",
            Json::String(_) => "STRING",
            Json::Array(_) => "ARRAY",
            Json::Object(_) => "OBJECT",
        }
    }

    /// A string node.
    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::String(s.into())
    }
}

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

/// Appends the compact JSON text of `json` to `out`.
pub(crate) fn write(out: &mut Vec<u8>, json: &Json) {
    match json {
        Json::Null => out.extend_from_slice(b"null"),
        Json::Bool(true) => out.extend_from_slice(b"true"),
        Json::Bool(false) => out.extend_from_slice(b"false"),
        Json::Number(Num::Int(i)) => {
            use std::io::Write as _;
            let _ = write!(out, "{i}");
        }
        Json::Number(Num::Text(t)) => out.extend_from_slice(t.as_bytes()),
        Json::String(s) => write_str(out, s),
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item);
            }
            out.push(b']');
        }
        Json::Object(members) => {
            out.push(b'{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write(out, v);
            }
            out.push(b'}');
        }
    }
}

/// The compact JSON text of `json`.
pub(crate) fn to_bytes(json: &Json) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write(&mut out, json);
    out
}

pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

// ---------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------

/// How deeply arrays and objects may nest before the parser gives up.
const MAX_DEPTH: usize = 256;

/// Parses one JSON document; `Ok(None)` for empty (all-whitespace) input, which Kafka
/// reads as a missing node. The error is a human-readable description with position.
pub(crate) fn parse(input: &[u8]) -> Result<Option<Json>, String> {
    let text = std::str::from_utf8(input)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    let mut p = Parser { src: text, bytes: text.as_bytes(), pos: 0, depth: 0 };
    p.skip_ws();
    if p.pos == p.bytes.len() {
        return Ok(None);
    }
    let value = p.value()?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(Some(value))
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        let upto = &self.src.as_bytes()[..self.pos.min(self.bytes.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        format!("{what} at line {line} column {col}")
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, lit: &str, value: Json) -> Result<Json, String> {
        if self.bytes[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            Ok(value)
        } else {
            Err(self.error("expected value"))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'n') => self.expect_literal("null", Json::Null),
            Some(b't') => self.expect_literal("true", Json::Bool(true)),
            Some(b'f') => self.expect_literal("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Json, String>) -> Result<Json, String> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn array(&mut self) -> Result<Json, String> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self) -> Result<Json, String> {
        self.pos += 1; // '{'
        let mut members = Members::default();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members.finish()));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            members.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members.finish()));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            integral = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        let text = &self.src[start..self.pos];
        if integral && let Ok(i) = text.parse::<i64>() {
            return Ok(Json::Number(Num::Int(i)));
        }
        Ok(Json::Number(Num::Text(text.into())))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        let mut start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    out.push_str(&self.src[start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.src[start..self.pos]);
                    self.pos += 1;
                    self.escape(&mut out)?;
                    start = self.pos;
                }
                Some(0x00..=0x1f) => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    if !self.bytes[self.pos..].starts_with(b"\\u") {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.error("invalid low surrogate in hex escape"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let c =
                    char::from_u32(c).ok_or_else(|| self.error("invalid unicode code point"))?;
                out.push(c);
                return Ok(());
            }
            None => return Err(self.error("EOF while parsing a string")),
            Some(_) => return Err(self.error("invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("EOF while parsing a string"))?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("invalid escape"));
        }
        self.pos += 4;
        Ok(v)
    }
}

/// Object members under construction, with Jackson's handling of repeated keys.
#[derive(Default)]
pub(crate) struct Members {
    list: Vec<(String, Json)>,
    index: Option<HashMap<String, usize>>,
}

impl Members {
    /// Above this many members, repeated keys are found through a hash index.
    const LINEAR_LIMIT: usize = 16;

    /// Adds a member; a repeated key replaces the earlier value in its place.
    pub(crate) fn insert(&mut self, key: String, value: Json) {
        let existing = match &mut self.index {
            Some(index) => index.get(&key).copied(),
            None => self.list.iter().position(|(k, _)| *k == key),
        };
        if let Some(i) = existing {
            self.list[i].1 = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.list.len());
        } else if self.list.len() >= Self::LINEAR_LIMIT {
            let mut index: HashMap<String, usize> =
                self.list.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
            index.insert(key.clone(), self.list.len());
            self.index = Some(index);
        }
        self.list.push((key, value));
    }

    /// The members, in order.
    pub(crate) fn finish(self) -> Vec<(String, Json)> {
        self.list
    }
}

// ---------------------------------------------------------------------------------
// serde_json interop
// ---------------------------------------------------------------------------------

/// Converts to `serde_json::Value`; numbers that are neither `i64` nor `u64` become the
/// nearest `f64` (a number beyond `f64` range becomes null).
pub(crate) fn to_serde(json: &Json) -> serde_json::Value {
    use serde_json::Value as V;
    match json {
        Json::Null => V::Null,
        Json::Bool(b) => V::Bool(*b),
        Json::Number(Num::Int(i)) => V::Number((*i).into()),
        Json::Number(n @ Num::Text(t)) => {
            // Rust's float parsing is correctly rounded, serde_json's default is not.
            let number = match t.parse::<u64>() {
                Ok(u) if n.is_integral_text() => Some(serde_json::Number::from(u)),
                _ => t.parse::<f64>().ok().and_then(serde_json::Number::from_f64),
            };
            number.map_or(V::Null, V::Number)
        }
        Json::String(s) => V::String(s.clone()),
        Json::Array(items) => V::Array(items.iter().map(to_serde).collect()),
        Json::Object(members) => {
            V::Object(members.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect())
        }
    }
}

/// Converts from `serde_json::Value`.
pub(crate) fn from_serde(value: &serde_json::Value) -> Json {
    use serde_json::Value as V;
    match value {
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(*b),
        V::Number(n) => match n.as_i64() {
            Some(i) => Json::Number(Num::Int(i)),
            None => Json::Number(Num::Text(n.to_string().into())),
        },
        V::String(s) => Json::String(s.clone()),
        V::Array(items) => Json::Array(items.iter().map(from_serde).collect()),
        V::Object(map) => {
            Json::Object(map.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(text: &str) -> String {
        let json = parse(text.as_bytes()).unwrap().unwrap();
        String::from_utf8(to_bytes(&json)).unwrap()
    }

    #[test]
    fn parses_and_writes_compactly_in_order() {
        assert_eq!(
            round(r#" { "b" : [1, -2.50, 1e400, true, false, null], "a": {"x": "y"} } "#),
            r#"{"b":[1,-2.50,1e400,true,false,null],"a":{"x":"y"}}"#
        );
        assert_eq!(round("123456789012345678901234567890"), "123456789012345678901234567890");
        assert_eq!(parse(b"  \n ").unwrap(), None);
    }

    #[test]
    fn strings_escape_and_unescape() {
        let json = parse(br#""a\"b\\c\/d\n\u00e9\ud83d\ude00\u0001""#).unwrap().unwrap();
        assert_eq!(json, Json::str("a\"b\\c/d\n\u{e9}\u{1F600}\u{1}"));
        assert_eq!(
            String::from_utf8(to_bytes(&json)).unwrap(),
            "\"a\\\"b\\\\c/d\\n\u{e9}\u{1F600}\\u0001\""
        );
    }

    #[test]
    fn repeated_keys_keep_first_position_and_last_value() {
        let json = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap().unwrap();
        assert_eq!(String::from_utf8(to_bytes(&json)).unwrap(), r#"{"a":3,"b":2}"#);
        let many: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 20)).collect();
        let json = parse(format!("{{{}}}", many.join(",")).as_bytes()).unwrap().unwrap();
        match json {
            Json::Object(m) => {
                assert_eq!(m.len(), 20);
                assert_eq!(m[0], ("k0".to_string(), Json::Number(Num::Int(20))));
            }
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn rejects_malformed_input_with_position() {
        for bad in [
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "\"abc",
            "tru",
            "{\"a\":1} x",
            "\"\\x\"",
            "\"\\ud800\"",
            "[1 2]",
            "{1:2}",
            "\"a\u{1}\"",
        ] {
            let err = parse(bad.as_bytes()).unwrap_err();
            assert!(err.contains("line 1 column"), "{bad}: {err}");
        }
        assert!(parse(&[b'"', 0xff, b'"']).unwrap_err().contains("UTF-8"));
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes()).unwrap_err().contains("recursion limit"));
    }

    #[test]
    fn serde_round_trip() {
        let v = serde_json::json!({"a": [1, 2.5, "x", null, true], "b": {"c": -7}});
        assert_eq!(to_serde(&from_serde(&v)), v);
    }
}
