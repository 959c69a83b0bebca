//! Content checks: what a topic or a sink file holds, as a [`Digest`], against what was
//! sent. A mismatch fails the figure with a message naming the figure and the side.

use benches::checksum::{self, Digest};

use super::*;

/// The digest of every record value in partitions `0..parts` of `topic`, read from the
/// beginning up to the high watermarks as they are now.
pub(super) fn topic_digest(bootstrap: &str, topic: &str, parts: u64) -> R<Digest> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "bench-verify")
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| format!("verify consumer: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    // The offset each partition has to reach, and the next offset seen in it.
    let mut ends = Vec::new();
    for p in 0..parts as i32 {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .map_err(|e| format!("watermarks of {topic}/{p}: {e}"))?;
        if high > low {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .map_err(|e| format!("tpl: {e}"))?;
        }
        ends.push((high, low));
    }
    consumer.assign(&tpl).map_err(|e| format!("assign {topic}: {e}"))?;
    let mut d = Digest::default();
    let deadline = Instant::now() + Duration::from_secs(300);
    while ends.iter().any(|(high, next)| next < high) {
        if Instant::now() > deadline {
            return Err(format!("reading {topic} back timed out after {} records", d.count));
        }
        let Some(m) = consumer.poll(Duration::from_millis(100)) else { continue };
        let m = m.map_err(|e| format!("reading {topic} back: {e}"))?;
        let Some(end) = ends.get_mut(m.partition() as usize) else { continue };
        if m.offset() < end.0 {
            d.add(m.payload().unwrap_or_default());
            end.1 = m.offset() + 1;
        }
    }
    Ok(d)
}

/// The digest of a file's lines.
pub(super) fn lines_digest(path: &Path) -> R<Digest> {
    checksum::of_lines(path).map_err(|e| format!("read {}: {e}", path.display()))
}

/// Fails with a message naming `what` (figure and side) when `got` is not `want`.
pub(super) fn check_digest(what: &str, got: &Digest, want: &Digest) -> R<()> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: contents differ from what was sent: expected {want}, found {got}{}",
            if got.count == want.count { " (same count: some record changed)" } else { "" }
        ))
    }
}
