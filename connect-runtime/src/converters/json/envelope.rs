//! The fast path of reading a `{"schema":…,"payload":…}` envelope: the schema's bytes
//! are looked up in a cache by their text, so only the payload is parsed per record
//! (records of one topic repeat one schema, often a large part of each record's bytes).
//! Only the compact form this converter and Kafka's write is recognised; anything else
//! (whitespace, other member order, bad JSON) takes the general path, which also gives
//! every error its usual message.

/// The schema's and the payload's bytes of a compact envelope, if `data` is one.
pub(super) fn split(data: &[u8]) -> Option<(&[u8], &[u8])> {
    const HEAD: &[u8] = b"{\"schema\":";
    const MIDDLE: &[u8] = b",\"payload\":";
    let rest = data.strip_prefix(HEAD)?;
    let schema_end = value_end(rest)?;
    let (schema, rest) = rest.split_at(schema_end);
    let rest = rest.strip_prefix(MIDDLE)?;
    let payload_end = value_end(rest)?;
    let (payload, rest) = rest.split_at(payload_end);
    (rest == b"}").then_some((schema, payload))
}

/// Where the JSON value at the start of `s` ends, without whitespace around it; `None`
/// when it is not one such value.
fn value_end(s: &[u8]) -> Option<usize> {
    match *s.first()? {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = 0;
            while i < s.len() {
                match s[i] {
                    b'"' => i = i + string_end(&s[i..])? - 1,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    b' ' | b'\t' | b'\n' | b'\r' => return None,
                    _ => {}
                }
                i += 1;
            }
            None
        }
        b'"' => string_end(s),
        _ => {
            let end = s.iter().position(|b| matches!(b, b',' | b'}' | b']')).unwrap_or(s.len());
            (end > 0
                && s[..end]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')))
            .then_some(end)
        }
    }
}

/// The length of the JSON string at the start of `s`, quotes included.
fn string_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn compact_envelopes_split_and_others_do_not() {
        let ok: &[(&str, &str, &str)] = &[
            (
                r#"{"schema":{"type":"string"},"payload":"a}b\"c"}"#,
                r#"{"type":"string"}"#,
                r#""a}b\"c""#,
            ),
            (r#"{"schema":null,"payload":[1,{"x":"]"}]}"#, "null", r#"[1,{"x":"]"}]"#),
            (r#"{"schema":{"type":"int64"},"payload":-12}"#, r#"{"type":"int64"}"#, "-12"),
            (r#"{"schema":{"type":"boolean"},"payload":true}"#, r#"{"type":"boolean"}"#, "true"),
        ];
        for (data, schema, payload) in ok {
            let got = split(data.as_bytes()).unwrap();
            assert_eq!((got.0, got.1), (schema.as_bytes(), payload.as_bytes()), "{data}");
        }
        for data in [
            r#"{"payload":1,"schema":null}"#,
            r#"{ "schema":null,"payload":1}"#,
            r#"{"schema":{"type": "int64"},"payload":1}"#,
            r#"{"schema":null,"payload":1,"extra":2}"#,
            r#"{"schema":null,"payload":1"#,
            r#"{"schema":"unterminated,"payload":1}"#,
            r#"{"schema":null,"payload":}"#,
        ] {
            assert!(split(data.as_bytes()).is_none(), "{data}");
        }
    }
}
