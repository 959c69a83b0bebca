//! `benches/results/latest.svg`: one row per figure, drawn by hand as plain SVG.
//!
//! Each row shows where the figure stands against its target on one logarithmic axis
//! (0.01 to 10): for a ratio target, ours ÷ baseline with a tick at the target ratio; for an
//! absolute target, ours ÷ target with a tick at 1 (for "at most" targets lower is better,
//! the row says so). Green bars pass, red bars miss, grey bars are `report` rows (their
//! ratio to the baseline, no target).

use std::fmt::Write as _;

use super::*;

const WIDTH: f64 = 1180.0;
const ROW: f64 = 22.0;
const TOP: f64 = 58.0;
const LABEL_W: f64 = 360.0;
const PLOT_W: f64 = 400.0;
/// The axis covers 10^LO_EXP ..= 10^HI_EXP.
const LO_EXP: f64 = -2.0;
const HI_EXP: f64 = 1.0;

fn x_of(v: f64) -> f64 {
    let e = v.max(1e-12).log10().clamp(LO_EXP, HI_EXP);
    LABEL_W + (e - LO_EXP) / (HI_EXP - LO_EXP) * PLOT_W
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What a row draws: (bar value on the axis, target on the axis, text after the bar).
fn row_values(f: &Figure) -> (Option<f64>, Option<f64>, String) {
    let ours = median(&f.ours);
    match f.target {
        Target::RatioAtLeast(t) => {
            let r = f.ratio();
            let text =
                r.map_or("n/a".into(), |r| format!("ratio {} (target ≥{t:.2})", fmt_ratio(r)));
            (r, Some(t), text)
        }
        Target::OursAtLeast(t) => (
            ours.map(|v| v / t),
            Some(1.0),
            ours.map_or("n/a".into(), |v| {
                format!(
                    "{} {} of ≥{} {} (higher is better)",
                    fmt_num(v),
                    f.unit,
                    fmt_num(t),
                    f.unit
                )
            }),
        ),
        Target::OursAtMost(t) => (
            ours.map(|v| v / t),
            Some(1.0),
            ours.map_or("n/a".into(), |v| {
                format!("{} {} of ≤{} {} (lower is better)", fmt_num(v), f.unit, fmt_num(t), f.unit)
            }),
        ),
        Target::None => match f.ratio() {
            Some(r) => (Some(r), None, format!("ratio {} (report)", fmt_ratio(r))),
            None => (
                None,
                None,
                ours.map_or("n/a".into(), |v| format!("{} {} (report)", fmt_num(v), f.unit)),
            ),
        },
    }
}

/// The chart of `figures`, titled with `caption` (commit, date, scale).
pub(super) fn svg(figures: &[Figure], caption: &str) -> String {
    let height = TOP + ROW * figures.len() as f64 + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="8" y="18" font-size="14" font-weight="bold">Each figure against its target (log axis: ratio to the baseline, or value ÷ target)</text>"#
    );
    let _ = writeln!(s, r##"<text x="8" y="34" fill="#555555">{}</text>"##, esc(caption));
    // Axis: gridlines and labels at every power of ten and at 0.5, 2, 5.
    let plot_bottom = TOP + ROW * figures.len() as f64;
    let mut e = LO_EXP;
    while e <= HI_EXP {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powf(e);
            if v > 10f64.powf(HI_EXP) + 1e-9 {
                continue;
            }
            let x = x_of(v);
            let (stroke, width) = if m == 1.0 { ("#999999", 1.0) } else { ("#dddddd", 0.5) };
            let (stroke, width) =
                if (v - 1.0).abs() < 1e-9 { ("#333333", 1.2) } else { (stroke, width) };
            let _ = writeln!(
                s,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{plot_bottom:.1}" stroke="{stroke}" stroke-width="{width}"/>"#,
                TOP - 6.0
            );
            let _ = writeln!(
                s,
                r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555555" font-size="10">{}</text>"##,
                TOP - 9.0,
                if v < 1.0 { format!("{v}") } else { format!("{v:.0}") }
            );
        }
        e += 1.0;
    }
    for (i, f) in figures.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        if i % 2 == 1 {
            let _ = writeln!(
                s,
                r##"<rect x="0" y="{y:.1}" width="{WIDTH}" height="{ROW}" fill="#f4f4f4" fill-opacity="0.6"/>"##
            );
        }
        let status = f.status();
        let color = match status {
            "PASS" => "#2e7d32",
            "MISS" => "#c62828",
            _ => "#9e9e9e",
        };
        let _ = writeln!(
            s,
            r#"<text x="8" y="{:.1}"><tspan font-weight="bold">{}</tspan> {}</text>"#,
            y + 15.0,
            esc(f.id),
            esc(&f.name)
        );
        let (bar, target, text) = row_values(f);
        if let Some(v) = bar {
            let x0 = LABEL_W;
            let x1 = x_of(v);
            let _ = writeln!(
                s,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
                y + 5.0,
                (x1 - x0).max(1.0),
                ROW - 10.0
            );
            if v > 10f64.powf(HI_EXP) || v < 10f64.powf(LO_EXP) {
                // Off the axis: a marker at the edge says so.
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" fill="{color}" font-weight="bold">{}</text>"##,
                    x1 + 2.0,
                    y + 15.0,
                    if v > 1.0 { "»" } else { "«" }
                );
            }
        }
        if let Some(t) = target {
            let x = x_of(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#000000" stroke-width="2"/>"##,
                y + 2.0,
                y + ROW - 2.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}"><tspan fill="{color}" font-weight="bold">{status}</tspan> {}</text>"#,
            LABEL_W + PLOT_W + 12.0,
            y + 15.0,
            esc(&text)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="8" y="{:.1}" fill="#555555" font-size="11">Bars: green PASS, red MISS, grey report (no target). Black tick: the target. » or «: off the axis.</text>"##,
        plot_bottom + 24.0
    );
    s.push_str("</svg>\n");
    s
}

/// A target as [`Figure::target_text`] writes it, read back.
fn parse_target(text: &str) -> Target {
    let num = |s: &str| -> Option<f64> {
        s.split_whitespace().next().and_then(|n| n.replace(',', "").parse().ok())
    };
    if let Some(t) = text.strip_prefix("ratio ≥").and_then(num) {
        Target::RatioAtLeast(t)
    } else if let Some(t) = text.strip_prefix('≤').and_then(num) {
        Target::OursAtMost(t)
    } else if let Some(t) = text.strip_prefix('≥').and_then(num) {
        Target::OursAtLeast(t)
    } else {
        Target::None
    }
}

/// `pipeline chart [RESULTS.json]`: draws `latest.svg` again from a results file
/// (`benches/results/latest.json` by default), beside it, without running anything.
pub(super) fn redraw(args: &[String]) -> R<()> {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("results").join("latest.json");
    let path = args.first().map_or(default, PathBuf::from);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let runs = |f: &serde_json::Value, key: &str| -> Vec<f64> {
        f.get(key)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
            .unwrap_or_default()
    };
    let s = |v: &serde_json::Value, key: &str| -> String {
        v.get(key).and_then(|x| x.as_str()).unwrap_or_default().to_string()
    };
    let mut figures = Vec::new();
    for f in json.get("figures").and_then(|v| v.as_array()).into_iter().flatten() {
        // The figure's id and unit are `&'static str`; this one-shot command leaks a few.
        let id: &'static str = Box::leak(s(f, "id").into_boxed_str());
        let unit: &'static str = Box::leak(s(f, "unit").into_boxed_str());
        let mut fig = Figure::new(id, s(f, "name"), unit, parse_target(&s(f, "target")));
        fig.ours = runs(f, "ours_runs");
        fig.base = runs(f, "baseline_runs");
        fig.java = runs(f, "java_runs");
        figures.push(fig);
    }
    let commit = s(&json, "commit");
    let caption = format!(
        "commit {}{}, {}, scale {}, {} pairs; {}",
        commit.get(..12).unwrap_or(&commit),
        if json.get("dirty").and_then(|d| d.as_bool()) == Some(true) {
            " (uncommitted changes)"
        } else {
            ""
        },
        s(&json, "date"),
        json.get("scale").and_then(|v| v.as_f64()).unwrap_or(f64::NAN),
        json.get("pairs").and_then(|v| v.as_u64()).unwrap_or(0),
        s(&json, "broker"),
    );
    let out = path.with_extension("svg");
    std::fs::write(&out, svg(&figures, &caption))
        .map_err(|e| format!("write {}: {e}", out.display()))?;
    println!("wrote {} ({} figures)", out.display(), figures.len());
    Ok(())
}
