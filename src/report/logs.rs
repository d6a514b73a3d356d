//! The log facts in words and small terminal charts (a bar per lifetime range, a sparkline of
//! disconnects per minute), for the table and Markdown reports.

use crate::model::{Bucket, LogFacts, Series};

const BAR: usize = 30;
const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPARK_WIDTH: usize = 72;

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// `0–1 s`, `60–70 s`, `≥ 48 h`.
fn range(b: &Bucket) -> String {
    if b.to_s.0 <= b.from_s.0 {
        return format!("≥ {}", b.from_s);
    }
    format!("{}–{}", b.from_s.0, b.to_s)
}

/// The histogram in at most 16 rows: the buckets themselves when few, else grouped at fixed
/// edges.
fn rows(buckets: &[Bucket]) -> Vec<Bucket> {
    if buckets.len() <= 16 {
        return buckets.to_vec();
    }
    const EDGES: [f64; 17] = [
        0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 300.0, 600.0, 1800.0,
        3600.0, 7200.0, 172_800.0,
    ];
    let mut out: Vec<Bucket> = Vec::new();
    for w in EDGES.windows(2) {
        let count: u64 = buckets
            .iter()
            .filter(|b| b.from_s.0 >= w[0] && b.from_s.0 < w[1])
            .map(|b| b.count)
            .sum();
        if count > 0 {
            out.push(Bucket {
                from_s: crate::model::Seconds(w[0]),
                to_s: crate::model::Seconds(w[1]),
                count,
            });
        }
    }
    let over: u64 = buckets
        .iter()
        .filter(|b| b.from_s.0 >= 172_800.0)
        .map(|b| b.count)
        .sum();
    if over > 0 {
        out.push(Bucket {
            from_s: crate::model::Seconds(172_800.0),
            to_s: crate::model::Seconds(172_800.0),
            count: over,
        });
    }
    out
}

/// `▁▂█▁` over the series, squeezed to [`SPARK_WIDTH`] by taking each slot's maximum.
pub fn sparkline(values: &[u64]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let per = values.len().div_ceil(SPARK_WIDTH);
    let slots: Vec<u64> = values
        .chunks(per)
        .map(|c| c.iter().copied().max().unwrap_or(0))
        .collect();
    let max = slots.iter().copied().max().unwrap_or(0).max(1);
    slots
        .iter()
        .map(|v| {
            if *v == 0 {
                ' '
            } else {
                SPARK[((*v as f64 / max as f64) * 7.0).round() as usize]
            }
        })
        .collect()
}

fn series_line(label: &str, s: &Series) -> String {
    let max = s.values.iter().copied().max().unwrap_or(0);
    format!(
        "{label} (every {} s from {}, max {max}): {}",
        s.step_s,
        s.start,
        sparkline(&s.values)
    )
}

/// The report's lines for the log facts.
pub fn lines(l: &LogFacts) -> Vec<String> {
    let mut out = Vec::new();
    let formats: Vec<String> = {
        let mut f: Vec<String> = l.sources.iter().map(|s| s.format.clone()).collect();
        f.dedup();
        f
    };
    out.push(format!(
        "{} source(s) ({}), {} line(s){}{}",
        l.sources.len(),
        formats.join(", "),
        l.lines,
        if l.malformed > 0 {
            format!(", {} malformed", l.malformed)
        } else {
            String::new()
        },
        match (&l.from, &l.until) {
            (Some(a), Some(b)) => format!(", {a} → {b}"),
            _ => String::new(),
        }
    ));
    for s in &l.malformed_samples {
        out.push(format!("  malformed: {s}"));
    }
    if let Some(s) = l.sources.iter().find(|s| s.log_format.is_some()) {
        out.push(format!(
            "nginx log_format: {}{}",
            s.log_format.as_deref().unwrap_or(""),
            s.log_format_origin
                .as_deref()
                .map(|o| format!(" (from {o})"))
                .unwrap_or_else(|| " (nginx's combined: no configuration given)".into())
        ));
    }
    let u = &l.upgrades;
    let failing: Vec<String> = u
        .failing
        .iter()
        .take(5)
        .map(|f| {
            format!(
                "{} ×{}{}",
                f.status,
                f.count,
                f.top_path
                    .as_deref()
                    .map(|p| format!(" (mostly {p})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    out.push(match u.ratio {
        Some(r) => format!(
            "Upgrades: {} attempts, {} answered 101 ({}){}",
            u.attempts,
            u.succeeded,
            pct(r),
            if failing.is_empty() {
                String::new()
            } else {
                format!("; failing: {}", failing.join(", "))
            }
        ),
        None => format!(
            "Upgrades: {} answered 101; the 101 ratio is unknown (the format does not say which requests asked for a WebSocket)",
            u.succeeded
        ),
    });
    if let Some(lt) = &l.lifetimes {
        out.push(format!(
            "Lifetimes of {} WebSockets: median {}, p90 {}, max {}",
            lt.count, lt.median_s, lt.p90_s, lt.max_s
        ));
        let rows = rows(&lt.buckets);
        let max = rows.iter().map(|b| b.count).max().unwrap_or(1).max(1);
        let width = rows
            .iter()
            .map(|b| range(b).chars().count())
            .max()
            .unwrap_or(0);
        for b in &rows {
            let n = ((b.count as f64 / max as f64) * BAR as f64).round() as usize;
            let peak = l.peaks.iter().find(|p| {
                p.at_s.0 >= b.from_s.0 && (p.at_s.0 < b.to_s.0 || b.to_s.0 <= b.from_s.0)
            });
            let r = range(b);
            out.push(format!(
                "  {r}{pad} {bar:<BAR$} {count}{mark}",
                pad = " ".repeat(width - r.chars().count()),
                bar = "█".repeat(n.max(1)),
                count = b.count,
                mark = peak
                    .map(|p| format!("  ← peak at {}", p.at_s))
                    .unwrap_or_default()
            ));
        }
    }
    for p in &l.peaks {
        out.push(format!(
            "Peak: {} WebSockets ({}) lived {} ± {} ({}× denser than around it){}{}",
            p.count,
            pct(p.share),
            p.at_s,
            p.half_width_s,
            p.prominence,
            p.multiple_of_s
                .map(|t| format!(", {}× the peak at {t}", (p.at_s.0 / t.0).round()))
                .unwrap_or_default(),
            match (&p.explained_by, &p.explained_setting) {
                (Some(id), _) if id == crate::providers::logs::LOGGED_LAYER_ID => {
                    format!(": no layer read has that timeout (the `{id}` hop)")
                }
                (Some(id), Some(s)) => format!(": {id}'s {s}"),
                (Some(id), None) => format!(": {id}"),
                _ => ": no layer read has that timeout".into(),
            }
        ));
    }
    if let Some(s) = &l.disconnects_per_minute {
        out.push(series_line("Disconnects", s));
    }
    if let Some(s) = &l.connects_per_minute {
        out.push(series_line("New WebSockets", s));
    }
    if let (Some(s), Some(p)) = (&l.live_connections, &l.live_peak) {
        out.push(format!(
            "{}; at most {} at {} (a lower bound)",
            series_line("Live connections", s),
            p.connections,
            p.at
        ));
    }
    for s in &l.storms {
        out.push(format!(
            "Storm: {} new WebSockets in {} min from {} (peak {}/min, baseline {}/min), {} reconnects within {} of a close",
            s.new_connections, s.minutes, s.start, s.peak_per_minute, s.baseline_per_minute, s.reconnects, s.reconnect_window_s
        ));
    }
    for m in l.mass_disconnects.iter().take(5) {
        out.push(format!(
            "Mass disconnect: {} WebSockets ended at {} (typical second: {}), lifetimes {} ± {}{}{}",
            m.count,
            m.at,
            m.baseline_per_second,
            m.lifetime_mean_s,
            m.lifetime_stddev_s,
            if m.at_peak { ", at a lifetime peak" } else { "" },
            m.top_upstream
                .as_deref()
                .map(|u| format!(", mostly on {u}"))
                .unwrap_or_default()
        ));
    }
    for (title, groups) in [("By path", &l.by_path), ("By backend", &l.by_upstream)] {
        if groups.is_empty() {
            continue;
        }
        out.push(format!("{title}:"));
        for g in groups.iter().take(8) {
            out.push(format!(
                "  {}: {} attempts, {} ×101{}{}{}",
                g.key,
                g.attempts,
                g.succeeded,
                g.ratio
                    .map(|r| format!(" ({})", pct(r)))
                    .unwrap_or_default(),
                g.top_failure
                    .as_ref()
                    .map(|f| format!(", mostly failing {} ×{}", f.status, f.count))
                    .unwrap_or_default(),
                g.mode_lifetime_s
                    .map(|m| format!(", most end at {m}"))
                    .unwrap_or_default()
            ));
        }
    }
    for c in l.close_reasons.iter().take(5) {
        out.push(format!(
            "Closed by {} ({}): {}",
            c.source, c.reason, c.count
        ));
    }
    for m in &l.impossible {
        out.push(format!(
            "Not in this log format: {}; add {}{}",
            m.metric,
            m.add,
            m.format_at
                .as_deref()
                .map(|a| format!(" to the log_format at {a}"))
                .unwrap_or_default()
        ));
    }
    for n in &l.notes {
        out.push(format!("Note: {n}"));
    }
    out
}

/// The Markdown section: the same lines, the charts in a code block so they keep their
/// columns, and the SVG linked when one was drawn.
pub fn markdown(l: &LogFacts, plot: Option<&str>) -> String {
    let mut o = String::from("### Access logs\n\n");
    if let Some(p) = plot {
        o.push_str(&format!("![lifetimes and disconnects per minute]({p})\n\n"));
    }
    o.push_str("```text\n");
    for line in lines(l) {
        o.push_str(&line);
        o.push('\n');
    }
    o.push_str("```\n\n");
    o
}
