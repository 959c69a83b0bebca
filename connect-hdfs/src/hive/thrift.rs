//! The Thrift binary protocol, by hand: a generic value tree ([`TValue`]) with its
//! encoder and decoder, and message framing (strict binary messages, over a buffered
//! socket or the framed transport). Enough for the metastore calls the sink makes;
//! unknown struct fields survive a decode/encode round trip, so a table read from a
//! newer metastore is written back whole.

use connect_api::ConnectError;

/// Thrift type ids of the binary protocol.
pub mod ttype {
    /// End of a struct's fields.
    pub const STOP: u8 = 0;
    /// bool.
    pub const BOOL: u8 = 2;
    /// byte.
    pub const BYTE: u8 = 3;
    /// double.
    pub const DOUBLE: u8 = 4;
    /// i16.
    pub const I16: u8 = 6;
    /// i32 (and enums).
    pub const I32: u8 = 8;
    /// i64.
    pub const I64: u8 = 10;
    /// string / binary.
    pub const STRING: u8 = 11;
    /// struct.
    pub const STRUCT: u8 = 12;
    /// map.
    pub const MAP: u8 = 13;
    /// set.
    pub const SET: u8 = 14;
    /// list.
    pub const LIST: u8 = 15;
}

/// Message types.
pub mod mtype {
    /// A call.
    pub const CALL: u8 = 1;
    /// A reply.
    pub const REPLY: u8 = 2;
    /// A TApplicationException.
    pub const EXCEPTION: u8 = 3;
}

/// Any Thrift value.
#[derive(Debug, Clone, PartialEq)]
pub enum TValue {
    /// bool.
    Bool(bool),
    /// byte.
    Byte(i8),
    /// double.
    Double(f64),
    /// i16.
    I16(i16),
    /// i32.
    I32(i32),
    /// i64.
    I64(i64),
    /// string or binary.
    Binary(Vec<u8>),
    /// struct: (field id, value) in wire order.
    Struct(Vec<(i16, TValue)>),
    /// map: key type, value type, entries.
    Map(u8, u8, Vec<(TValue, TValue)>),
    /// set: element type, elements.
    Set(u8, Vec<TValue>),
    /// list: element type, elements.
    List(u8, Vec<TValue>),
}

impl TValue {
    /// A string value.
    pub fn str(s: &str) -> TValue {
        TValue::Binary(s.as_bytes().to_vec())
    }

    /// A `list<string>`.
    pub fn str_list<S: AsRef<str>>(items: &[S]) -> TValue {
        TValue::List(ttype::STRING, items.iter().map(|s| TValue::str(s.as_ref())).collect())
    }

    /// A `map<string,string>`.
    pub fn str_map<K: AsRef<str>, V: AsRef<str>>(entries: &[(K, V)]) -> TValue {
        TValue::Map(
            ttype::STRING,
            ttype::STRING,
            entries
                .iter()
                .map(|(k, v)| (TValue::str(k.as_ref()), TValue::str(v.as_ref())))
                .collect(),
        )
    }

    /// The wire type id.
    pub fn ttype(&self) -> u8 {
        match self {
            TValue::Bool(_) => ttype::BOOL,
            TValue::Byte(_) => ttype::BYTE,
            TValue::Double(_) => ttype::DOUBLE,
            TValue::I16(_) => ttype::I16,
            TValue::I32(_) => ttype::I32,
            TValue::I64(_) => ttype::I64,
            TValue::Binary(_) => ttype::STRING,
            TValue::Struct(_) => ttype::STRUCT,
            TValue::Map(..) => ttype::MAP,
            TValue::Set(..) => ttype::SET,
            TValue::List(..) => ttype::LIST,
        }
    }

    /// A struct's field by id.
    pub fn field(&self, id: i16) -> Option<&TValue> {
        match self {
            TValue::Struct(fields) => fields.iter().find(|(i, _)| *i == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A struct's field by id, to change it.
    pub fn field_mut(&mut self, id: i16) -> Option<&mut TValue> {
        match self {
            TValue::Struct(fields) => fields.iter_mut().find(|(i, _)| *i == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets (or adds) a struct field.
    pub fn set_field(&mut self, id: i16, value: TValue) {
        if let TValue::Struct(fields) = self {
            match fields.iter_mut().find(|(i, _)| *i == id) {
                Some(slot) => slot.1 = value,
                None => fields.push((id, value)),
            }
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            TValue::Binary(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    /// The elements of a list or set.
    pub fn as_list(&self) -> Option<&[TValue]> {
        match self {
            TValue::List(_, items) | TValue::Set(_, items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map.
    pub fn as_map(&self) -> Option<&[(TValue, TValue)]> {
        match self {
            TValue::Map(_, _, entries) => Some(entries),
            _ => None,
        }
    }

    /// Appends the binary encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TValue::Bool(b) => out.push(u8::from(*b)),
            TValue::Byte(b) => out.push(*b as u8),
            TValue::Double(d) => out.extend_from_slice(&d.to_bits().to_be_bytes()),
            TValue::I16(v) => out.extend_from_slice(&v.to_be_bytes()),
            TValue::I32(v) => out.extend_from_slice(&v.to_be_bytes()),
            TValue::I64(v) => out.extend_from_slice(&v.to_be_bytes()),
            TValue::Binary(b) => {
                out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                out.extend_from_slice(b);
            }
            TValue::Struct(fields) => {
                for (id, v) in fields {
                    out.push(v.ttype());
                    out.extend_from_slice(&id.to_be_bytes());
                    v.encode(out);
                }
                out.push(ttype::STOP);
            }
            TValue::Map(kt, vt, entries) => {
                out.push(*kt);
                out.push(*vt);
                out.extend_from_slice(&(entries.len() as i32).to_be_bytes());
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
            }
            TValue::Set(et, items) | TValue::List(et, items) => {
                out.push(*et);
                out.extend_from_slice(&(items.len() as i32).to_be_bytes());
                for i in items {
                    i.encode(out);
                }
            }
        }
    }
}

/// Why a decode stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// More bytes are needed (an unframed message arriving in pieces).
    Incomplete,
    /// The bytes are not a valid message.
    Invalid(String),
}

impl From<DecodeError> for ConnectError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Incomplete => ConnectError::retriable("Thrift message was cut short"),
            DecodeError::Invalid(m) => ConnectError::fatal(format!("invalid Thrift message: {m}")),
        }
    }
}

/// A cursor over received bytes.
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 64;
const MAX_LEN: usize = 256 * 1024 * 1024;

impl<'a> Decoder<'a> {
    /// A decoder at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Decoder { data, pos: 0, depth: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Incomplete)?;
        let s = self.data.get(self.pos..end).ok_or(DecodeError::Incomplete)?;
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> std::result::Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn i16(&mut self) -> std::result::Result<i16, DecodeError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> std::result::Result<i32, DecodeError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self) -> std::result::Result<i64, DecodeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    fn len(&mut self) -> std::result::Result<usize, DecodeError> {
        let n = self.i32()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_LEN)
            .ok_or_else(|| DecodeError::Invalid(format!("bad length {n}")))
    }

    /// One value of wire type `t`.
    pub fn value(&mut self, t: u8) -> std::result::Result<TValue, DecodeError> {
        Ok(match t {
            ttype::BOOL => TValue::Bool(self.u8()? != 0),
            ttype::BYTE => TValue::Byte(self.u8()? as i8),
            ttype::DOUBLE => TValue::Double(f64::from_bits(self.i64()? as u64)),
            ttype::I16 => TValue::I16(self.i16()?),
            ttype::I32 => TValue::I32(self.i32()?),
            ttype::I64 => TValue::I64(self.i64()?),
            ttype::STRING => {
                let n = self.len()?;
                TValue::Binary(self.take(n)?.to_vec())
            }
            ttype::STRUCT => self.strukt()?,
            ttype::MAP => {
                let (kt, vt) = (self.u8()?, self.u8()?);
                let n = self.len()?;
                let mut entries = Vec::with_capacity(n.min(1024));
                self.nest()?;
                for _ in 0..n {
                    let k = self.value(kt)?;
                    let v = self.value(vt)?;
                    entries.push((k, v));
                }
                self.depth -= 1;
                TValue::Map(kt, vt, entries)
            }
            ttype::SET | ttype::LIST => {
                let et = self.u8()?;
                let n = self.len()?;
                let mut items = Vec::with_capacity(n.min(1024));
                self.nest()?;
                for _ in 0..n {
                    items.push(self.value(et)?);
                }
                self.depth -= 1;
                if t == ttype::SET { TValue::Set(et, items) } else { TValue::List(et, items) }
            }
            other => return Err(DecodeError::Invalid(format!("unknown type id {other}"))),
        })
    }

    fn nest(&mut self) -> std::result::Result<(), DecodeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(DecodeError::Invalid("nested too deep".into()));
        }
        Ok(())
    }

    /// A struct (fields up to STOP).
    pub fn strukt(&mut self) -> std::result::Result<TValue, DecodeError> {
        self.nest()?;
        let mut fields = Vec::new();
        loop {
            let t = self.u8()?;
            if t == ttype::STOP {
                break;
            }
            let id = self.i16()?;
            fields.push((id, self.value(t)?));
        }
        self.depth -= 1;
        Ok(TValue::Struct(fields))
    }

    /// A strict binary message header and body: (name, type, seqid, body struct).
    pub fn message(&mut self) -> std::result::Result<Message, DecodeError> {
        let head = self.i32()?;
        if (head as u32) & 0xffff_0000 != 0x8001_0000 {
            return Err(DecodeError::Invalid(format!(
                "not a strict binary protocol message (header {head:#x})"
            )));
        }
        let kind = (head & 0xff) as u8;
        let n = self.len()?;
        let name = String::from_utf8_lossy(self.take(n)?).into_owned();
        let seqid = self.i32()?;
        let body = self.strukt()?;
        Ok(Message { name, kind, seqid, body })
    }
}

/// One Thrift message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The method name.
    pub name: String,
    /// [`mtype`] CALL, REPLY or EXCEPTION.
    pub kind: u8,
    /// The sequence id.
    pub seqid: i32,
    /// The argument or result struct.
    pub body: TValue,
}

impl Message {
    /// The strict binary encoding (without a frame length).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&(0x8001_0000u32 | u32::from(self.kind)).to_be_bytes());
        TValue::str(&self.name).encode(&mut out);
        out.extend_from_slice(&self.seqid.to_be_bytes());
        self.body.encode(&mut out);
        out
    }

    /// The encoding with the framed transport's 4-byte length prefix.
    pub fn encode_framed(&self) -> Vec<u8> {
        let body = self.encode();
        let mut out = Vec::with_capacity(body.len() + 4);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }
}

/// Decodes one message from the front of `data` (unframed); `Incomplete` when more
/// bytes are needed. Returns the message and the bytes it used.
pub fn decode_message(data: &[u8]) -> std::result::Result<(Message, usize), DecodeError> {
    let mut d = Decoder::new(data);
    let m = d.message()?;
    Ok((m, d.position()))
}

/// Decodes one framed message from the front of `data`.
pub fn decode_framed(data: &[u8]) -> std::result::Result<(Message, usize), DecodeError> {
    let len = data.get(..4).ok_or(DecodeError::Incomplete)?;
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if len > MAX_LEN {
        return Err(DecodeError::Invalid(format!("frame of {len} bytes")));
    }
    let frame = data.get(4..4 + len).ok_or(DecodeError::Incomplete)?;
    let (m, used) = decode_message(frame)?;
    if used != len {
        return Err(DecodeError::Invalid(format!("frame of {len} bytes held {used}")));
    }
    Ok((m, 4 + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type_and_detects_short_input() {
        let v = TValue::Struct(vec![
            (1, TValue::Bool(true)),
            (2, TValue::Byte(-3)),
            (3, TValue::Double(1.5)),
            (4, TValue::I16(-2)),
            (5, TValue::I32(70_000)),
            (6, TValue::I64(-1)),
            (7, TValue::str("hé")),
            (8, TValue::str_map(&[("k", "v")])),
            (9, TValue::Set(ttype::I32, vec![TValue::I32(1)])),
            (10, TValue::str_list(&["a", "b"])),
            (11, TValue::Struct(vec![])),
        ]);
        let m = Message { name: "m".into(), kind: mtype::CALL, seqid: 9, body: v };
        let bytes = m.encode();
        assert_eq!(decode_message(&bytes).unwrap(), (m.clone(), bytes.len()));
        assert_eq!(decode_message(&bytes[..bytes.len() - 1]), Err(DecodeError::Incomplete));
        let framed = m.encode_framed();
        assert_eq!(decode_framed(&framed).unwrap().0, m);
        assert!(matches!(decode_message(b"\x00\x00\x00\x01x"), Err(DecodeError::Invalid(_))));
    }
}
