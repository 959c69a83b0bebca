//! Figures, their targets and ratios, and the report: one line per figure on stdout,
//! `benches/results/latest.json`, `latest.md` and the chart `latest.svg` ([`chart`]).

use super::*;

/// What a figure's target is.
#[derive(Clone, Copy)]
pub(super) enum Target {
    /// The median ratio ours/baseline must be at least this.
    RatioAtLeast(f64),
    /// The median of ours must be at most this (in the figure's unit).
    OursAtMost(f64),
    /// The median of ours must be at least this (in the figure's unit).
    OursAtLeast(f64),
    /// Reported only.
    None,
}

pub(super) struct Figure {
    pub(super) id: &'static str,
    pub(super) name: String,
    pub(super) unit: &'static str,
    pub(super) ours: Vec<f64>,
    pub(super) base: Vec<f64>,
    /// Java Kafka Connect's runs, when it ran this figure too.
    pub(super) java: Vec<f64>,
    pub(super) target: Target,
    pub(super) note: String,
}

impl Figure {
    pub(super) fn new(
        id: &'static str,
        name: impl Into<String>,
        unit: &'static str,
        target: Target,
    ) -> Self {
        Figure {
            id,
            name: name.into(),
            unit,
            ours: vec![],
            base: vec![],
            java: vec![],
            target,
            note: String::new(),
        }
    }

    pub(super) fn ratios(&self) -> Vec<f64> {
        self.ours.iter().zip(&self.base).filter(|(_, b)| **b > 0.0).map(|(o, b)| o / b).collect()
    }

    pub(super) fn ratio(&self) -> Option<f64> {
        median(&self.ratios())
    }

    /// Ours ÷ Java per round.
    pub(super) fn java_ratios(&self) -> Vec<f64> {
        self.ours.iter().zip(&self.java).filter(|(_, j)| **j > 0.0).map(|(o, j)| o / j).collect()
    }

    /// Ahead of Java Kafka Connect: more per second, or less time or memory.
    pub(super) fn java_status(&self) -> &'static str {
        let higher_is_better = self.unit.ends_with("/s");
        match median(&self.java_ratios()) {
            Some(r) if (higher_is_better && r >= 1.0) || (!higher_is_better && r <= 1.0) => "ahead",
            Some(_) => "BEHIND",
            None => "",
        }
    }

    /// Java's median, ours ÷ Java and its spread, or `None` without Java runs.
    pub(super) fn java_text(&self) -> Option<(String, String, String)> {
        let j = median(&self.java)?;
        let ratios = self.java_ratios();
        let ratio = median(&ratios).map_or("n/a".into(), fmt_ratio);
        let spread = min_max(&ratios)
            .map_or("n/a".into(), |(lo, hi)| format!("{}–{}", fmt_ratio(lo), fmt_ratio(hi)));
        Some((format!("{} {}", fmt_num(j), self.unit), ratio, spread))
    }

    pub(super) fn status(&self) -> &'static str {
        match self.target {
            Target::RatioAtLeast(t) => match self.ratio() {
                Some(r) if r >= t => "PASS",
                Some(_) => "MISS",
                None => "n/a",
            },
            Target::OursAtMost(t) => match median(&self.ours) {
                Some(v) if v <= t => "PASS",
                Some(_) => "MISS",
                None => "n/a",
            },
            Target::OursAtLeast(t) => match median(&self.ours) {
                Some(v) if v >= t => "PASS",
                Some(_) => "MISS",
                None => "n/a",
            },
            Target::None => "report",
        }
    }

    pub(super) fn target_text(&self) -> String {
        match self.target {
            Target::RatioAtLeast(t) => format!("ratio ≥{t:.2}"),
            Target::OursAtMost(t) => format!("≤{} {}", fmt_num(t), self.unit),
            Target::OursAtLeast(t) => format!("≥{} {}", fmt_num(t), self.unit),
            Target::None => "—".into(),
        }
    }

    pub(super) fn spread_text(&self) -> String {
        match min_max(&self.ratios()) {
            Some((lo, hi)) => format!("{lo:.2}–{hi:.2}"),
            None => match min_max(&self.ours) {
                Some((lo, hi)) => format!("ours {}–{}", fmt_num(lo), fmt_num(hi)),
                None => "n/a".into(),
            },
        }
    }

    pub(super) fn line(&self) -> String {
        let ours =
            median(&self.ours).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), self.unit));
        let base =
            median(&self.base).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), self.unit));
        let ratio = self.ratio().map_or("n/a".into(), fmt_ratio);
        let java = self.java_text().map_or(String::new(), |(j, r, spread)| {
            format!("  java={j} ours/java={r} (spread {spread}) {}", self.java_status())
        });
        format!(
            "{:<4}{:<34} ours={:<16} baseline={:<16} ratio={:<5} (spread {})  target {}  {}{java}",
            self.id,
            self.name,
            ours,
            base,
            ratio,
            self.spread_text(),
            self.target_text(),
            self.status()
        )
    }

    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "unit": self.unit,
            "ours_median": median(&self.ours),
            "baseline_median": median(&self.base),
            "ratio_median": self.ratio(),
            "ratio_min_max": min_max(&self.ratios()),
            "ours_runs": self.ours,
            "baseline_runs": self.base,
            "target": self.target_text(),
            "status": self.status(),
            "java_median": median(&self.java),
            "java_runs": self.java,
            "ours_over_java_median": median(&self.java_ratios()),
            "ours_over_java_min_max": min_max(&self.java_ratios()),
            "vs_java": self.java_status(),
            "note": self.note,
        })
    }
}

/// A ratio with two decimals, or three significant digits when it is below 0.1.
pub(super) fn fmt_ratio(r: f64) -> String {
    if r < 0.1 { format!("{r:.3}") } else { format!("{r:.2}") }
}

pub(super) fn fmt_num(v: f64) -> String {
    if v >= 10_000.0 {
        let s = format!("{:.0}", v);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Whether the checkout has uncommitted changes to tracked files.
pub(super) fn checkout_dirty() -> bool {
    Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false)
}

/// Which broker every side of the figures talked to.
pub(super) fn broker_text(ctx: &Ctx, ours_lib: &str) -> String {
    match &ctx.kafka {
        Some(b) => format!(
            "Apache Kafka {} (KRaft, one node, {b}), shared by every side",
            std::env::var("BENCH_KAFKA_VERSION").unwrap_or_else(|_| "(version not given)".into())
        ),
        None => format!(
            "connect-mock-broker (librdkafka {ours_lib} mock cluster, loopback, one process per figure group)"
        ),
    }
}

/// The librdkafka version kcat reports when started as `kcat`.
pub(super) fn kcat_librdkafka(mut kcat: Command) -> String {
    let out = kcat.arg("-V").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
    text.split("librdkafka ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map_or_else(|| "unknown".into(), str::to_string)
}

pub(super) fn write_results(
    ctx: &Ctx,
    ours_lib: &str,
    kcat_lib: &str,
    total: f64,
    errors: &[String],
) -> R<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("results");
    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "HEAD"]);
    let dirty = ctx.dirty_at_start;
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let json = serde_json::json!({
        "commit": commit,
        "dirty": dirty,
        "date": date,
        "scale": ctx.opts.scale,
        "pairs": ctx.opts.pairs,
        "broker": broker_text(ctx, ours_lib),
        "java_kafka_connect": ctx.java.as_ref().map(|j| j.version.clone()),
        "librdkafka": { "ours": ours_lib, "kcat": kcat_lib, "kcat_consumer_ld_library_path": ctx.kcat_ld },
        "client_settings": clients::settings_text(),
        "harness_seconds": total,
        "figures": ctx.figures.iter().map(Figure::json).collect::<Vec<_>>(),
        "errors": errors,
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| format!("json: {e}"))?;
    std::fs::write(dir.join("latest.json"), text + "\n")
        .map_err(|e| format!("write latest.json: {e}"))?;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Commit `{}`{}, {date}, scale {}, {} pairs; broker {}{}; librdkafka ours {ours_lib}, kcat {kcat_lib}.\n",
        commit.get(..12).unwrap_or(&commit),
        if dirty { " (with uncommitted changes)" } else { "" },
        ctx.opts.scale,
        ctx.opts.pairs,
        broker_text(ctx, ours_lib),
        ctx.java.as_ref().map_or(String::new(), |j| format!("; Java Kafka Connect {}", j.version)),
    );
    let _ = writeln!(md, "Client settings, from the runtime's builders:\n");
    for line in clients::settings_text() {
        // The "used by" lines are indented: sub-items of the settings above them.
        match line.strip_prefix("  ") {
            Some(sub) => writeln!(md, "  - {sub}"),
            None => writeln!(md, "- `{line}`"),
        }
        .ok();
    }
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "| figure | | ours | baseline | ratio | spread | target | | Java Kafka Connect | ours ÷ Java | spread | |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for f in &ctx.figures {
        let ours = median(&f.ours).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), f.unit));
        let base = median(&f.base).map_or("n/a".into(), |v| format!("{} {}", fmt_num(v), f.unit));
        let ratio = f.ratio().map_or("n/a".into(), fmt_ratio);
        let (java, vs, spread) = f.java_text().unwrap_or(("—".into(), "—".into(), "".into()));
        let _ = writeln!(
            md,
            "| {} | {} | {ours} | {base} | {ratio} | {} | {} | {} | {java} | {vs} | {spread} | {} |",
            f.id,
            f.name,
            f.spread_text(),
            f.target_text(),
            f.status(),
            f.java_status()
        );
    }
    for e in errors {
        let _ = writeln!(md, "\nERROR {e}");
    }
    std::fs::write(dir.join("latest.md"), md).map_err(|e| format!("write latest.md: {e}"))?;
    let caption = format!(
        "commit {}{}, {date}, scale {}, {} pairs; {}",
        commit.get(..12).unwrap_or(&commit),
        if dirty { " (uncommitted changes)" } else { "" },
        ctx.opts.scale,
        ctx.opts.pairs,
        broker_text(ctx, ours_lib)
    );
    std::fs::write(dir.join("latest.svg"), chart::svg(&ctx.figures, &caption))
        .map_err(|e| format!("write latest.svg: {e}"))
}
