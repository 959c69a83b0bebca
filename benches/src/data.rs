//! Deterministic test data: a small seeded generator and fixed-width line files.

use std::io::Write;
use std::path::Path;

/// A xorshift64* generator: fast, deterministic for a given seed, not cryptographic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (0 is replaced by a fixed non-zero constant).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Fills `buf` with printable ASCII letters and digits.
    pub fn fill_printable(&mut self, buf: &mut [u8]) {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for chunk in buf.chunks_mut(8) {
            let mut r = self.next_u64();
            for b in chunk {
                *b = ALPHABET[(r % ALPHABET.len() as u64) as usize];
                r /= ALPHABET.len() as u64;
            }
        }
    }
}

/// The fixed seed every generated file uses, so runs compare like with like.
pub const SEED: u64 = 20_240_601;

/// One line of `size` bytes including its `\n`: a 12-digit sequence number, a space,
/// then random printable characters.
pub fn line(rng: &mut Rng, seq: u64, size: usize, out: &mut Vec<u8>) {
    let start = out.len();
    let body = size.max(14) - 1;
    let _ = write!(out, "{seq:012} ");
    let filled = out.len() - start;
    out.resize(start + body, b'x');
    if body > filled {
        rng.fill_printable(&mut out[start + filled..start + body]);
    }
    out.push(b'\n');
}

/// Writes `count` lines of `size` bytes each (see [`line`]) to `path`, seeded with
/// [`SEED`]; returns the file's size in bytes.
pub fn write_lines(path: &Path, count: u64, size: usize) -> std::io::Result<u64> {
    let mut rng = Rng::new(SEED ^ size as u64);
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut buf = Vec::with_capacity(size * 1024);
    for seq in 0..count {
        line(&mut rng, seq, size, &mut buf);
        if buf.len() >= size * 1000 {
            f.write_all(&buf)?;
            buf.clear();
        }
    }
    f.write_all(&buf)?;
    f.flush()?;
    Ok(count * size.max(14) as u64)
}

/// Counts the `\n` in a file (0 when it is missing).
pub fn count_lines(path: &Path) -> u64 {
    std::fs::read(path).map(|b| b.iter().filter(|c| **c == b'\n').count() as u64).unwrap_or(0)
}

/// The sequence number at the start of a line written by [`line`].
pub fn parse_seq(payload: &[u8]) -> Option<u64> {
    std::str::from_utf8(payload.get(..12)?).ok()?.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_their_size_and_sequence() {
        let mut rng = Rng::new(SEED);
        let mut buf = Vec::new();
        line(&mut rng, 42, 100, &mut buf);
        assert_eq!(buf.len(), 100);
        assert_eq!(buf.last(), Some(&b'\n'));
        assert_eq!(parse_seq(&buf), Some(42));
        assert!(buf[..99].iter().all(|b| b.is_ascii_graphic() || *b == b' '));
    }
}
