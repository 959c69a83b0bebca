//! The offsets file of Java Kafka Connect's standalone worker (`FileOffsetBackingStore`):
//! a `java.util.HashMap<byte[], byte[]>` written with Java object serialization, keys and
//! values the JSON bytes of the offset key (`["<connector>",{partition}]`) and offset.
//!
//! Read so that a connector moved from a Java worker to ours resumes where it was, and
//! written back in the same form, so that it can move back. Only this one shape is
//! understood: anything else in such a file is an error that names what was found.

use connect_api::{ConnectError, Result};

/// The stream header of Java object serialization.
pub const MAGIC: [u8; 4] = [0xAC, 0xED, 0x00, 0x05];

const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_ARRAY: u8 = 0x75;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const BASE_HANDLE: u32 = 0x7E_0000;

const HASHMAP_UID: u64 = 0x0507_DAC1_C316_60D1;
const BYTE_ARRAY_UID: u64 = 0xACF3_17F8_0608_54E0;

/// Whether `bytes` start like a Java serialization stream.
pub fn is_java_serialized(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

fn bad(what: impl Into<String>) -> ConnectError {
    ConnectError::config(format!(
        "the offsets file is Java-serialized but not Kafka Connect's HashMap<byte[], byte[]>: {}",
        what.into()
    ))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Handles in assignment order: `Some(true)` for the `[B` class descriptor.
    handles: Vec<Handle>,
}

#[derive(Clone, PartialEq)]
enum Handle {
    ByteArrayClass,
    OtherClass,
    Object,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end =
            end.ok_or_else(|| bad(format!("it ends at byte {} inside a value", self.bytes.len())))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?))
    }

    fn utf(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<()> {
        let at = self.pos;
        match self.u8()? {
            b if b == byte => Ok(()),
            b => Err(bad(format!("expected {what} at byte {at}, found 0x{b:02x}"))),
        }
    }

    /// A new class descriptor (after TC_CLASSDESC): its name, with its handle assigned.
    fn class_desc(&mut self) -> Result<String> {
        let name = self.utf()?;
        let uid = self.u64()?;
        let _flags = self.u8()?;
        let is_bytes = name == "[B" && uid == BYTE_ARRAY_UID;
        self.handles.push(if is_bytes { Handle::ByteArrayClass } else { Handle::OtherClass });
        let fields = self.u16()?;
        for _ in 0..fields {
            let kind = self.u8()?;
            let _field = self.utf()?;
            if kind == b'L' || kind == b'[' {
                // The field's class name: a string or a reference to one.
                match self.u8()? {
                    TC_STRING => {
                        self.utf()?;
                        self.handles.push(Handle::Object);
                    }
                    TC_REFERENCE => {
                        self.u32()?;
                    }
                    b => return Err(bad(format!("unexpected 0x{b:02x} in a field descriptor"))),
                }
            }
        }
        self.expect(TC_ENDBLOCKDATA, "the end of the class annotations")?;
        self.expect(TC_NULL, "no superclass")?;
        Ok(name)
    }

    /// One map key or value: a byte array or null.
    fn byte_array(&mut self) -> Result<Option<Vec<u8>>> {
        match self.u8()? {
            TC_NULL => Ok(None),
            TC_ARRAY => {
                match self.u8()? {
                    TC_CLASSDESC => {
                        let name = self.class_desc()?;
                        if name != "[B" {
                            return Err(bad(format!("an array of {name}, not of bytes")));
                        }
                    }
                    TC_REFERENCE => {
                        let h = self.u32()?.wrapping_sub(BASE_HANDLE) as usize;
                        if self.handles.get(h) != Some(&Handle::ByteArrayClass) {
                            return Err(bad("an array whose class is not byte[]"));
                        }
                    }
                    b => return Err(bad(format!("unexpected 0x{b:02x} for an array's class"))),
                }
                self.handles.push(Handle::Object);
                let n = self.u32()? as usize;
                Ok(Some(self.take(n)?.to_vec()))
            }
            b => Err(bad(format!("a key or value that is not a byte array (0x{b:02x})"))),
        }
    }
}

/// One entry of the map: key bytes, and value bytes or `None` (a removed offset).
pub type Entry = (Vec<u8>, Option<Vec<u8>>);

/// The entries of a Java worker's offsets file.
pub fn read(bytes: &[u8]) -> Result<Vec<Entry>> {
    if !is_java_serialized(bytes) {
        return Err(bad("no Java serialization header"));
    }
    let mut r = Reader { bytes, pos: MAGIC.len(), handles: Vec::new() };
    r.expect(TC_OBJECT, "an object")?;
    r.expect(TC_CLASSDESC, "a class descriptor")?;
    let class = r.class_desc()?;
    if class != "java.util.HashMap" {
        return Err(bad(format!("an object of class {class}")));
    }
    r.handles.push(Handle::Object);
    // HashMap's serialized fields: loadFactor (float), threshold (int).
    r.take(8)?;
    r.expect(TC_BLOCKDATA, "HashMap's block data")?;
    let len = r.u8()?;
    if len != 8 {
        return Err(bad(format!("HashMap block data of {len} bytes")));
    }
    let _buckets = r.u32()?;
    let size = r.u32()? as usize;
    let mut out = Vec::with_capacity(size.min(1 << 16));
    for _ in 0..size {
        let key = r.byte_array()?.ok_or_else(|| bad("a null key"))?;
        let value = r.byte_array()?;
        out.push((key, value));
    }
    r.expect(TC_ENDBLOCKDATA, "the end of the HashMap")?;
    Ok(out)
}

/// The bytes Java's `ObjectOutputStream.writeObject` gives for a `HashMap<byte[], byte[]>`
/// holding `entries`, which Java's `FileOffsetBackingStore` reads.
pub fn write(entries: &[Entry]) -> Vec<u8> {
    fn utf(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[TC_OBJECT, TC_CLASSDESC]);
    utf(&mut out, "java.util.HashMap");
    out.extend_from_slice(&HASHMAP_UID.to_be_bytes());
    out.push(0x03); // SC_SERIALIZABLE | SC_WRITE_METHOD
    out.extend_from_slice(&2u16.to_be_bytes());
    out.push(b'F');
    utf(&mut out, "loadFactor");
    out.push(b'I');
    utf(&mut out, "threshold");
    out.extend_from_slice(&[TC_ENDBLOCKDATA, TC_NULL]);
    // Handles: 0 the HashMap class, 1 the map; the [B class comes next.
    let mut capacity: u32 = 16;
    while (capacity as f32) * 0.75 < entries.len() as f32 {
        capacity *= 2;
    }
    out.extend_from_slice(&0.75f32.to_be_bytes());
    out.extend_from_slice(&((capacity as f32 * 0.75) as u32).to_be_bytes());
    out.extend_from_slice(&[TC_BLOCKDATA, 8]);
    out.extend_from_slice(&capacity.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut class_written = false;
    let mut array = |out: &mut Vec<u8>, bytes: &Option<Vec<u8>>| match bytes {
        None => out.push(TC_NULL),
        Some(b) => {
            out.push(TC_ARRAY);
            if class_written {
                out.push(TC_REFERENCE);
                out.extend_from_slice(&(BASE_HANDLE + 2).to_be_bytes());
            } else {
                out.push(TC_CLASSDESC);
                utf(out, "[B");
                out.extend_from_slice(&BYTE_ARRAY_UID.to_be_bytes());
                out.push(0x02); // SC_SERIALIZABLE
                out.extend_from_slice(&0u16.to_be_bytes());
                out.extend_from_slice(&[TC_ENDBLOCKDATA, TC_NULL]);
                class_written = true;
            }
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
    };
    for (k, v) in entries {
        array(&mut out, &Some(k.clone()));
        array(&mut out, v);
    }
    out.push(TC_ENDBLOCKDATA);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_writing_and_reading() {
        let entries = vec![
            (
                br#"["src",{"filename":"/tmp/a.txt"}]"#.to_vec(),
                Some(br#"{"position":42}"#.to_vec()),
            ),
            (br#"["src",{"filename":"/tmp/b.txt"}]"#.to_vec(), None),
            (br#"["other",{"n":1}]"#.to_vec(), Some(Vec::new())),
        ];
        let bytes = write(&entries);
        assert!(is_java_serialized(&bytes));
        assert_eq!(read(&bytes).unwrap(), entries);
        assert_eq!(read(&write(&[])).unwrap(), Vec::new());
        let many: Vec<_> = (0..100).map(|i| (vec![i as u8], Some(vec![i as u8; 3]))).collect();
        assert_eq!(read(&write(&many)).unwrap(), many);
    }

    #[test]
    fn other_java_objects_and_truncation_are_errors_that_say_so() {
        let bytes = write(&[(b"k".to_vec(), Some(b"v".to_vec()))]);
        for n in [4, 10, 30, bytes.len() - 1] {
            let e = read(&bytes[..n]).unwrap_err();
            assert!(e.message().contains("HashMap<byte[], byte[]>"), "{e}");
        }
        let mut other = bytes.clone();
        other[8..25].copy_from_slice(b"java.util.TreeMap");
        assert!(read(&other).unwrap_err().message().contains("class java.util.TreeMap"));
        assert!(read(b"{}").is_err());
    }
}
