//! Where files go, and what their names say.
//!
//! - committed: `<topics.dir>/<topic>/<encoded partition>/<topic>+<kafka partition>+<start>+<end><ext>`,
//!   the offsets zero-padded to `filename.offset.zero.pad.width` digits;
//! - temporary: `<topics.dir>/+tmp/<topic>/<encoded partition>/<topic>+<kafka partition>+<unique>_tmp<ext>`
//!   (the Kafka partition in the name lets a task clean up only its own partitions');
//! - write-ahead log: `<logs.dir>/<topic>/<kafka partition>/log`.

use std::sync::atomic::{AtomicU64, Ordering};

/// The directory of temporary files under `topics.dir`, as Confluent names it.
pub const TMP_DIR: &str = "+tmp";

/// The directory and file names of one connector's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    topics_dir: String,
    logs_dir: String,
    pad: usize,
}

fn clean_dir(dir: &str) -> String {
    dir.trim().trim_matches('/').to_string()
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

impl Layout {
    /// The layout for `topics.dir`, `logs.dir` and the offset width (directories are
    /// relative to the store URL; leading and trailing `/` are ignored).
    pub fn new(topics_dir: &str, logs_dir: &str, zero_pad_width: usize) -> Layout {
        Layout {
            topics_dir: clean_dir(topics_dir),
            logs_dir: clean_dir(logs_dir),
            pad: zero_pad_width,
        }
    }

    /// `<topics.dir>/<topic>`: the directory Hive's table points at.
    pub fn topic_dir(&self, topic: &str) -> String {
        join(&[&self.topics_dir, topic])
    }

    /// `<topics.dir>/<topic>/<encoded>`.
    pub fn partition_dir(&self, topic: &str, encoded: &str) -> String {
        join(&[&self.topics_dir, topic, encoded])
    }

    /// The committed file of offsets `start..=end`.
    pub fn committed_file(
        &self,
        topic: &str,
        partition: i32,
        encoded: &str,
        start: i64,
        end: i64,
        ext: &str,
    ) -> String {
        let name = format!("{topic}+{partition}+{start:0pad$}+{end:0pad$}{ext}", pad = self.pad);
        join(&[&self.topics_dir, topic, encoded, &name])
    }

    /// `<topics.dir>/+tmp/<topic>`: where the temporary files of a topic live.
    pub fn temp_topic_dir(&self, topic: &str) -> String {
        join(&[&self.topics_dir, TMP_DIR, topic])
    }

    /// A new, unique temporary file for a Kafka partition and encoded partition.
    pub fn temp_file(&self, topic: &str, partition: i32, encoded: &str, ext: &str) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let unique = format!(
            "{:x}-{:x}-{:x}",
            nanos,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let name = format!("{topic}+{partition}+{unique}_tmp{ext}");
        join(&[&self.topics_dir, TMP_DIR, topic, encoded, &name])
    }

    /// The write-ahead log of a topic partition.
    pub fn wal_file(&self, topic: &str, partition: i32) -> String {
        join(&[&self.logs_dir, topic, &partition.to_string(), "log"])
    }
}

/// The file name of a path (after its last `/`).
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `path` is a temporary file of `topic`'s Kafka partition `partition`.
pub fn is_temp_of(path: &str, topic: &str, partition: i32) -> bool {
    let name = file_name(path);
    name.strip_prefix(topic)
        .and_then(|r| r.strip_prefix('+'))
        .and_then(|r| r.strip_prefix(partition.to_string().as_str()))
        .is_some_and(|r| r.starts_with('+') && r.contains("_tmp"))
}

/// The offsets `(start, end)` a committed file name of `topic`'s Kafka partition
/// `partition` carries (`<topic>+<partition>+<start>+<end>.<ext>`), or `None` for
/// any other file.
pub fn committed_offsets(path: &str, topic: &str, partition: i32) -> Option<(i64, i64)> {
    let rest = file_name(path).strip_prefix(topic)?.strip_prefix('+')?;
    let (p, rest) = rest.split_once('+')?;
    if p.parse::<i32>().ok()? != partition {
        return None;
    }
    let (start, rest) = rest.split_once('+')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !rest[digits..].starts_with('.') {
        return None;
    }
    let start: i64 = start.parse().ok()?;
    let end: i64 = rest[..digits].parse().ok()?;
    (start <= end).then_some((start, end))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn committed_names_carry_padded_offsets_and_parse_back() {
        let l = Layout::new("/topics/", "logs", 10);
        let f = l.committed_file("orders", 2, "partition=2", 0, 41, ".json");
        assert_eq!(f, "topics/orders/partition=2/orders+2+0000000000+0000000041.json");
        assert_eq!(committed_offsets(&f, "orders", 2), Some((0, 41)));
        assert_eq!(committed_offsets(&f, "orders", 1), None);
        assert_eq!(committed_offsets(&f, "order", 2), None);
        assert_eq!(
            committed_offsets("x/orders+2+5+12345678901.avro", "orders", 2),
            Some((5, 12_345_678_901))
        );
        assert_eq!(committed_offsets("x/orders+2+5+7", "orders", 2), None);
        let narrow = Layout::new("t", "l", 0);
        assert_eq!(narrow.committed_file("a", 0, "p", 3, 12, ".json"), "t/a/p/a+0+3+12.json");
        assert_eq!(l.wal_file("orders", 2), "logs/orders/2/log");
    }

    #[test]
    fn temp_files_are_unique_and_name_their_partition() {
        let l = Layout::new("topics", "logs", 10);
        let a = l.temp_file("orders", 12, "department=sales", ".json");
        let b = l.temp_file("orders", 12, "department=sales", ".json");
        assert_ne!(a, b);
        assert!(a.starts_with("topics/+tmp/orders/department=sales/orders+12+"), "{a}");
        assert!(is_temp_of(&a, "orders", 12));
        assert!(!is_temp_of(&a, "orders", 1));
        assert_eq!(committed_offsets(&a, "orders", 12), None);
    }
}
