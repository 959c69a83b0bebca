//! Windows over a task's counters, kept by the scrapes themselves: each scrape adds a
//! sample (the cumulative counts, and the maxima since the previous scrape) and reads
//! rates, averages and maxima against the oldest sample still in the window. Kafka keeps
//! `metrics.num.samples` windows of `metrics.sample.window.ms` each (two of 30 s by
//! default) and reads its rates and averages over them; this reads over the same span.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{COUNTS, Count, Gauges, MAXES, Max};

/// Scrapes closer together than this share a sample.
const MERGE: Duration = Duration::from_secs(1);

/// One scrape's reading of a task.
#[derive(Debug, Clone)]
struct Sample {
    at: Instant,
    counts: [u64; COUNTS],
    /// Maxima since the sample before this one.
    maxes: [u64; MAXES],
}

/// The samples of one task still needed: the newest one at least a window old (the
/// baseline) and every one after it.
#[derive(Debug)]
pub struct History {
    samples: VecDeque<Sample>,
}

impl History {
    /// A history that starts with zeros at `created`, when the task started.
    pub fn new(created: Instant) -> History {
        let zero = Sample { at: created, counts: [0; COUNTS], maxes: [0; MAXES] };
        History { samples: VecDeque::from([zero]) }
    }

    /// Adds a sample taken `now` and returns what it shows over `window`.
    pub(super) fn observe(
        &mut self,
        now: Instant,
        window: Duration,
        counts: [u64; COUNTS],
        maxes: [u64; MAXES],
        gauges: Gauges,
    ) -> View {
        // Scrapes less than a second apart share one sample, so that however often
        // clients scrape, a window holds at most one sample a second.
        let merge = self.samples.len() >= 2
            && self
                .samples
                .back()
                .is_some_and(|last| now.saturating_duration_since(last.at) < MERGE);
        match self.samples.back_mut() {
            Some(last) if merge => {
                for (m, v) in last.maxes.iter_mut().zip(maxes) {
                    *m = (*m).max(v);
                }
                last.at = now;
                last.counts = counts;
            }
            _ => self.samples.push_back(Sample { at: now, counts, maxes }),
        }
        let start = now.checked_sub(window);
        while self.samples.len() > 2
            && start.is_some_and(|s| self.samples.get(1).is_some_and(|next| next.at <= s))
        {
            self.samples.pop_front();
        }
        let (base_at, base) = self.samples.front().map_or((now, [0; COUNTS]), |b| (b.at, b.counts));
        let mut window_max = [0u64; MAXES];
        for s in self.samples.iter().skip(1) {
            for (m, v) in window_max.iter_mut().zip(s.maxes) {
                *m = (*m).max(v);
            }
        }
        View {
            elapsed: now.saturating_duration_since(base_at),
            totals: counts,
            deltas: std::array::from_fn(|i| counts[i].saturating_sub(base[i])),
            maxes: window_max,
            gauges,
        }
    }
}

/// A task's counters as one scrape sees them.
#[derive(Debug, Clone)]
pub struct View {
    /// The span the deltas cover.
    elapsed: Duration,
    totals: [u64; COUNTS],
    deltas: [u64; COUNTS],
    maxes: [u64; MAXES],
    pub(super) gauges: Gauges,
}

impl View {
    /// A cumulative count.
    pub fn total(&self, c: Count) -> f64 {
        self.totals[c as usize] as f64
    }

    /// How much a count grew over the window.
    pub fn delta(&self, c: Count) -> u64 {
        self.deltas[c as usize]
    }

    /// A count's growth per second over the window (0 over an empty span).
    pub fn rate(&self, c: Count) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.delta(c) as f64 / secs } else { 0.0 }
    }

    /// `sum` over `n` within the window, scaled by `scale`: NaN when nothing happened
    /// (as Kafka's averages of no samples).
    pub fn avg(&self, sum: Count, n: Count, scale: f64) -> f64 {
        match self.delta(n) {
            0 => f64::NAN,
            n => self.delta(sum) as f64 / n as f64 * scale,
        }
    }

    /// A maximum over the window, scaled: NaN when the `calls` count did not move.
    pub fn max(&self, m: Max, calls: Count, scale: f64) -> f64 {
        if self.delta(calls) == 0 { f64::NAN } else { self.maxes[m as usize] as f64 * scale }
    }

    /// The share of the window a state-time count covers (0 to 1).
    pub fn ratio(&self, c: Count) -> f64 {
        let span = self.elapsed.as_nanos() as f64;
        if span > 0.0 { (self.delta(c) as f64 / span).clamp(0.0, 1.0) } else { 0.0 }
    }

    /// `part` over `part + other` within the window (0 to 1); NaN when both are zero.
    pub fn share(&self, part: Count, other: Count) -> f64 {
        let (p, o) = (self.delta(part), self.delta(other));
        if p + o == 0 { f64::NAN } else { p as f64 / (p + o) as f64 }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn gauges() -> Gauges {
        Gauges { active: 0, partitions: 0, lag_max: -1, commit_seq: 0 }
    }

    fn counts(polled: u64) -> [u64; COUNTS] {
        let mut c = [0; COUNTS];
        c[Count::Polled as usize] = polled;
        c
    }

    #[test]
    fn rates_read_against_the_oldest_sample_in_the_window() {
        let t0 = Instant::now();
        let mut h = History::new(t0);
        let w = Duration::from_secs(60);
        let v = h.observe(t0 + Duration::from_secs(10), w, counts(100), [0; MAXES], gauges());
        assert_eq!(v.rate(Count::Polled), 10.0);
        assert_eq!(v.total(Count::Polled), 100.0);
        let v = h.observe(t0 + Duration::from_secs(70), w, counts(400), [0; MAXES], gauges());
        // The baseline is the sample at 10 s (the newest one a window old): 300 in 60 s.
        assert_eq!(v.rate(Count::Polled), 5.0);
        let v = h.observe(t0 + Duration::from_secs(200), w, counts(400), [0; MAXES], gauges());
        assert_eq!(v.rate(Count::Polled), 0.0);
        assert_eq!(v.total(Count::Polled), 400.0);
        assert!(h.samples.len() <= 3, "old samples are dropped: {}", h.samples.len());
    }

    #[test]
    fn maxima_cover_the_window_and_averages_need_samples() {
        let t0 = Instant::now();
        let mut h = History::new(t0);
        let w = Duration::from_secs(60);
        let mut c = [0; COUNTS];
        c[Count::Puts as usize] = 2;
        c[Count::PutMicros as usize] = 3000;
        let mut m = [0; MAXES];
        m[Max::PutMicros as usize] = 2500;
        let v = h.observe(t0 + Duration::from_secs(5), w, c, m, gauges());
        assert_eq!(v.avg(Count::PutMicros, Count::Puts, 1e-3), 1.5);
        assert_eq!(v.max(Max::PutMicros, Count::Puts, 1e-3), 2.5);
        // A later scrape in the same window still sees the earlier maximum.
        let v = h.observe(t0 + Duration::from_secs(20), w, c, [0; MAXES], gauges());
        assert_eq!(v.max(Max::PutMicros, Count::Puts, 1e-3), 2.5);
        // Once nothing happened for a whole window, there is no average and no maximum.
        let v = h.observe(t0 + Duration::from_secs(100), w, c, [0; MAXES], gauges());
        assert!(v.avg(Count::PutMicros, Count::Puts, 1e-3).is_nan());
        assert!(v.max(Max::PutMicros, Count::Puts, 1e-3).is_nan());
    }

    #[test]
    fn scrapes_a_moment_apart_share_a_sample() {
        let t0 = Instant::now();
        let mut h = History::new(t0);
        let w = Duration::from_secs(60);
        let mut m = [0; MAXES];
        m[Max::PutMicros as usize] = 7;
        h.observe(t0 + Duration::from_secs(2), w, counts(10), m, gauges());
        for i in 0..1000 {
            let at = t0 + Duration::from_secs(2) + Duration::from_micros(i * 100);
            h.observe(at, w, counts(10 + i), [0; MAXES], gauges());
        }
        assert_eq!(h.samples.len(), 2, "the zero sample and one merged sample");
        let mut c = counts(2000);
        c[Count::Puts as usize] = 1;
        let v = h.observe(t0 + Duration::from_secs(4), w, c, [0; MAXES], gauges());
        assert_eq!(v.max(Max::PutMicros, Count::Puts, 1.0), 7.0, "a merged maximum is kept");
        assert_eq!(v.total(Count::Polled), 2000.0);
        assert_eq!(v.rate(Count::Polled), 500.0);
    }

    #[test]
    fn ratios_and_shares() {
        let t0 = Instant::now();
        let mut h = History::new(t0);
        let mut c = [0; COUNTS];
        c[Count::StateRunning as usize] = 3_000_000_000;
        c[Count::StatePaused as usize] = 1_000_000_000;
        c[Count::CommitsOk as usize] = 3;
        c[Count::CommitsFailed as usize] = 1;
        let v = h.observe(
            t0 + Duration::from_secs(4),
            Duration::from_secs(60),
            c,
            [0; MAXES],
            gauges(),
        );
        assert_eq!(v.ratio(Count::StateRunning), 0.75);
        assert_eq!(v.ratio(Count::StatePaused), 0.25);
        assert_eq!(v.share(Count::CommitsOk, Count::CommitsFailed), 0.75);
        assert!(v.share(Count::Polled, Count::Written).is_nan());
    }
}
