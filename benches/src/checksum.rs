//! Order-independent digests of record contents, so the harness checks what arrived, not
//! only how many records: a 64-bit hash per record, combined by count, wrapping sum and
//! xor. Two multisets of records get equal digests when they hold the same records (up to
//! hash collisions); a lost, duplicated, corrupted or extra record changes the count or
//! the sum. Not cryptographic: it catches harness and pipeline bugs, not an adversary.

use std::io::Read;
use std::path::Path;

/// A 64-bit hash of `bytes` (8-byte words, multiply-rotate, a splitmix64 finalizer).
pub fn hash64(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x2545_F491_4F6C_DD1D;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    // splitmix64's finalizer spreads every input bit over the result.
    h ^= h >> 30;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The digest of a multiset of records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Digest {
    /// Records added.
    pub count: u64,
    /// Wrapping sum of their hashes.
    pub sum: u64,
    /// Xor of their hashes.
    pub xor: u64,
}

impl Digest {
    /// Adds one record.
    pub fn add(&mut self, record: &[u8]) {
        self.add_hash(hash64(record));
    }

    /// Adds one record by its [`hash64`].
    pub fn add_hash(&mut self, h: u64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(h);
        self.xor ^= h;
    }

    /// Adds every record of `other`.
    pub fn merge(&mut self, other: &Digest) {
        self.count += other.count;
        self.sum = self.sum.wrapping_add(other.sum);
        self.xor ^= other.xor;
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} records, sum {:016x}, xor {:016x}", self.count, self.sum, self.xor)
    }
}

/// The digest of the lines of a file, each without its `\n` (a record of a line-based
/// source or sink); a last line without `\n` counts too.
pub fn of_lines(path: &Path) -> std::io::Result<Digest> {
    let mut file = std::fs::File::open(path)?;
    let mut d = Digest::default();
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut rest = &buf[..n];
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            if carry.is_empty() {
                d.add(&rest[..pos]);
            } else {
                carry.extend_from_slice(&rest[..pos]);
                d.add(&carry);
                carry.clear();
            }
            rest = &rest[pos + 1..];
        }
        carry.extend_from_slice(rest);
    }
    if !carry.is_empty() {
        d.add(&carry);
    }
    Ok(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_but_contents_do() {
        let (mut a, mut b, mut c) = (Digest::default(), Digest::default(), Digest::default());
        for r in [&b"one"[..], b"two", b"three"] {
            a.add(r);
        }
        for r in [&b"three"[..], b"one", b"two"] {
            b.add(r);
        }
        for r in [&b"three"[..], b"one", b"twO"] {
            c.add(r);
        }
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut dup = Digest::default();
        for r in [&b"one"[..], b"one", b"two", b"three"] {
            dup.add(r);
        }
        assert_ne!(a, dup);
    }

    #[test]
    fn lines_of_a_file() {
        let dir = std::env::temp_dir().join(format!("checksum-{}", std::process::id()));
        std::fs::write(&dir, b"alpha\nbeta\ngamma").unwrap();
        let mut want = Digest::default();
        for r in [&b"alpha"[..], b"beta", b"gamma"] {
            want.add(r);
        }
        assert_eq!(of_lines(&dir).unwrap(), want);
        std::fs::remove_file(&dir).unwrap();
    }
}
