//! The source task's line buffer: bytes read but not yet returned as records, and a
//! fast scan for line terminators.
//!
//! The buffer belongs to the task, not to a `poll` future, so a dropped `poll` loses
//! nothing: what was read stays here for the next call. Lines end at `\n`, `\r\n` or a
//! lone `\r`, as Kafka's `FileStreamSourceTask` (and Java's `BufferedReader`) split
//! them; a `\r` that is the last byte read waits for the next byte to tell which.

/// Bytes read per call when the buffer is fresh; the buffer grows (doubling) only
/// when a single line does not fit.
pub(crate) const READ_BUFFER_SIZE: usize = 256 * 1024;

/// A growable byte buffer holding `buf[start..end]`: the unreturned input.
#[derive(Debug)]
pub(crate) struct LineBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Absolute index up to which `buf[start..checked]` is known to hold no line
    /// terminator, so a long partial line is not scanned again after every read.
    checked: usize,
}

impl LineBuffer {
    /// An empty buffer of `capacity` bytes (at least 16).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        LineBuffer { buf: vec![0; capacity.max(16)], start: 0, end: 0, checked: 0 }
    }

    /// The number of buffered, unreturned bytes.
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether nothing is buffered.
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The buffer's current size.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything buffered.
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.checked = 0;
    }

    /// The next complete line without its terminator, and the number of bytes it took
    /// (terminator included); `None` when no complete line is buffered yet.
    pub(crate) fn next_line(&mut self) -> Option<(&[u8], usize)> {
        let from = self.checked.max(self.start);
        let Some(found) = find_eol(&self.buf[from..self.end]) else {
            self.checked = self.end;
            return None;
        };
        let eol = from + found;
        let next = if self.buf[eol] == b'\r' {
            if eol + 1 == self.end {
                // `\r` or `\r\n`? Wait for the next byte.
                self.checked = eol;
                return None;
            }
            if self.buf[eol + 1] == b'\n' { eol + 2 } else { eol + 1 }
        } else {
            eol + 1
        };
        let line_start = self.start;
        self.start = next;
        self.checked = next;
        Some((&self.buf[line_start..eol], next - line_start))
    }

    /// Everything buffered as one final line (a trailing `\r` removed), for input that
    /// ended without a terminator; `None` when nothing is buffered.
    pub(crate) fn take_rest(&mut self) -> Option<(&[u8], usize)> {
        if self.is_empty() {
            return None;
        }
        let (start, end) = (self.start, self.end);
        let line_end = if self.buf[end - 1] == b'\r' { end - 1 } else { end };
        self.clear();
        Some((&self.buf[start..line_end], end - start))
    }

    /// Free space to read into, after making room: the unreturned bytes move to the
    /// front when that frees enough, otherwise the buffer doubles. Fill it, then call
    /// [`commit`](Self::commit) with the number of bytes read.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.is_empty() {
            self.clear();
        }
        let min_read = self.buf.len() / 4;
        if self.buf.len() - self.end < min_read && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.checked -= self.start.min(self.checked);
            self.start = 0;
        }
        if self.buf.len() - self.end < min_read {
            let doubled = self.buf.len() * 2;
            self.buf.resize(doubled, 0);
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes of the [`spare`](Self::spare) space as read.
    pub(crate) fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const NL: u64 = LO * b'\n' as u64;
const CR: u64 = LO * b'\r' as u64;

/// High bit set in the lowest byte of `v` that is zero (and maybe in higher bytes
/// after it, which the callers ignore).
#[inline]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(LO) & !v & HI
}

/// The index of the first `\n` or `\r` in `hay`, eight bytes at a time.
#[inline]
pub(crate) fn find_eol(hay: &[u8]) -> Option<usize> {
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or([0; 8]));
        let hits = zero_bytes(word ^ NL) | zero_bytes(word ^ CR);
        if hits != 0 {
            // Little-endian: the lowest set bit is the first matching byte in memory.
            return Some(base + (hits.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n' || b == b'\r').map(|i| base + i)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn fill(buf: &mut LineBuffer, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let spare = buf.spare();
            let n = spare.len().min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            buf.commit(n);
            rest = &rest[n..];
        }
    }

    fn lines(buf: &mut LineBuffer) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        while let Some((line, n)) = buf.next_line() {
            out.push((String::from_utf8_lossy(line).into_owned(), n));
        }
        out
    }

    #[test]
    fn find_eol_matches_a_naive_scan() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200 {
            for _ in 0..20 {
                let hay: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        match seed % 40 {
                            0 => b'\n',
                            1 => b'\r',
                            2 => 0x8a, // high bit set, low bits of '\n'
                            3 => 0,
                            n => b'a' + (n % 26) as u8,
                        }
                    })
                    .collect();
                let naive = hay.iter().position(|&b| b == b'\n' || b == b'\r');
                assert_eq!(find_eol(&hay), naive, "{hay:?}");
            }
        }
    }

    #[test]
    fn splits_on_lf_crlf_and_lone_cr() {
        let mut buf = LineBuffer::with_capacity(64);
        fill(&mut buf, b"a\nbb\r\nccc\rd");
        assert_eq!(lines(&mut buf), [("a".into(), 2), ("bb".into(), 4), ("ccc".into(), 4)]);
        assert_eq!(buf.len(), 1);
        fill(&mut buf, b"\n");
        assert_eq!(lines(&mut buf), [("d".into(), 2)]);
        assert!(buf.is_empty());
    }

    #[test]
    fn trailing_cr_waits_for_the_next_byte() {
        let mut buf = LineBuffer::with_capacity(64);
        fill(&mut buf, b"x\r");
        assert!(buf.next_line().is_none());
        fill(&mut buf, b"\ny\r");
        assert_eq!(lines(&mut buf), [("x".into(), 3)]);
        fill(&mut buf, b"z");
        assert_eq!(lines(&mut buf), [("y".into(), 2)]);
        assert_eq!(buf.take_rest().map(|(l, n)| (l.to_vec(), n)), Some((b"z".to_vec(), 1)));
        assert!(buf.take_rest().is_none());
    }

    #[test]
    fn take_rest_drops_a_final_cr() {
        let mut buf = LineBuffer::with_capacity(64);
        fill(&mut buf, b"end\r");
        assert!(buf.next_line().is_none());
        assert_eq!(buf.take_rest().map(|(l, n)| (l.to_vec(), n)), Some((b"end".to_vec(), 4)));
    }

    #[test]
    fn a_line_longer_than_the_buffer_grows_it() {
        let mut buf = LineBuffer::with_capacity(16);
        let long = vec![b'q'; 1000];
        fill(&mut buf, &long);
        assert!(buf.next_line().is_none());
        assert!(buf.capacity() >= 1000);
        fill(&mut buf, b"\nshort\n");
        let got = lines(&mut buf);
        assert_eq!(got[0].0.len(), 1000);
        assert_eq!(got[0].1, 1001);
        assert_eq!(got[1], ("short".into(), 6));
    }

    #[test]
    fn compaction_keeps_the_partial_line() {
        let mut buf = LineBuffer::with_capacity(16);
        for i in 0..100 {
            fill(&mut buf, format!("line{i}\npart").as_bytes());
            assert_eq!(lines(&mut buf), [(format!("line{i}"), format!("line{i}").len() + 1)]);
            fill(&mut buf, b"ial\n");
            assert_eq!(lines(&mut buf), [("partial".into(), 8)]);
        }
        assert!(buf.capacity() <= 32, "no growth without long lines");
    }
}
