//! When the open files of a topic partition are committed: `flush.size`,
//! `rotate.interval.ms` (record time, plus a wall-clock deadline for idle
//! partitions) and `rotate.schedule.interval.ms` (wall clock, aligned to midnight in
//! `timezone`).

use chrono::{TimeZone as _, Timelike as _};
use chrono_tz::Tz;
use connect_api::{ConnectError, Result};

/// The rotation settings of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// `flush.size`: records per topic partition.
    pub flush_size: u64,
    /// `rotate.interval.ms`, when positive.
    pub interval_ms: Option<i64>,
    /// `rotate.schedule.interval.ms`, when positive, with its time zone.
    pub schedule: Option<(i64, Tz)>,
}

/// Why a group of open files is committed (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationReason {
    /// `flush.size` records were written.
    FlushSize,
    /// The record-time span reached `rotate.interval.ms`.
    RecordTime,
    /// The files were open `rotate.interval.ms` of wall-clock time (idle partition).
    IdleTimer,
    /// A `rotate.schedule.interval.ms` boundary passed.
    Schedule,
    /// A record with a schema the open files cannot hold arrived.
    SchemaChange,
}

impl RotationPolicy {
    /// The next scheduled commit after `now_ms` (ms since the epoch): the first
    /// multiple of the schedule interval, counted from midnight of `now_ms`'s day in
    /// the schedule's time zone, that is later than `now_ms`. `None` without a schedule.
    pub fn next_scheduled(&self, now_ms: i64) -> Option<i64> {
        let (interval, tz) = self.schedule?;
        Some(next_aligned(now_ms, interval, tz))
    }
}

/// The first multiple of `interval_ms` since local midnight (in `tz`) of `now_ms`'s
/// day that is later than `now_ms`.
pub fn next_aligned(now_ms: i64, interval_ms: i64, tz: Tz) -> i64 {
    let interval = interval_ms.max(1);
    let midnight = tz
        .timestamp_millis_opt(now_ms)
        .single()
        .map(|local| {
            let since_midnight = i64::from(local.num_seconds_from_midnight()) * 1000
                + i64::from(local.timestamp_subsec_millis());
            now_ms - since_midnight
        })
        .unwrap_or(now_ms - now_ms.rem_euclid(86_400_000));
    let elapsed = now_ms - midnight;
    midnight + (elapsed / interval + 1) * interval
}

/// Parses a `timezone` value (an IANA name such as `UTC` or `America/Los_Angeles`).
pub fn parse_timezone(name: &str) -> Result<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        ConnectError::config(format!(
            "Invalid value {name:?} for configuration timezone: not an IANA time zone name \
             (e.g. UTC, Europe/Paris, America/Los_Angeles)"
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn schedule_aligns_to_interval_boundaries_in_the_time_zone() {
        // 2024-05-17T09:17:03.250Z
        let now = 1_715_937_423_250;
        let hour = 3_600_000;
        assert_eq!(next_aligned(now, hour, Tz::UTC), 1_715_940_000_000); // 10:00Z
        // Paris is UTC+2 in May: local 11:17 -> next local hour 12:00 = 10:00Z too.
        assert_eq!(
            next_aligned(now, hour, parse_timezone("Europe/Paris").unwrap()),
            1_715_940_000_000
        );
        // 90-minute slots from local midnight in Kolkata (UTC+5:30): local 14:47:03 ->
        // 15:00 local = 09:30Z.
        let kolkata = parse_timezone("Asia/Kolkata").unwrap();
        assert_eq!(next_aligned(now, 90 * 60_000, kolkata), 1_715_938_200_000);
        // Exactly on a boundary: the next one.
        assert_eq!(next_aligned(1_715_940_000_000, hour, Tz::UTC), 1_715_943_600_000);
    }

    #[test]
    fn unknown_time_zones_are_config_errors() {
        assert!(parse_timezone("Mars/Olympus").unwrap_err().message().contains("timezone"));
    }
}
