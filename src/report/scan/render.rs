//! The one entry the scan and merge commands render through (`render_scan`/`write_scan`), and
//! what the summary formats share: one row per target (worst severity, the layer that cuts
//! first, the top finding) and the scan's headline.

use super::{FindingStatus, ScanFinding, ScanReport, ScanTarget};
use crate::cli::Format;
use crate::policy::RuleMeta;
use crate::report::{layer_title, RenderOptions, Report};

/// What rendering a scan needs besides the report: the pack's rules (SARIF descriptors), the
/// rules that ran (JUnit's cases) and the terminal options (table).
pub struct ScanRenderOptions<'a> {
    pub rules: &'a [RuleMeta],
    pub rules_evaluated: &'a [String],
    pub render: &'a RenderOptions,
}

/// The report in `format` as a string (JSON included).
pub fn render_scan(report: &ScanReport, format: Format, opts: &ScanRenderOptions<'_>) -> String {
    match format {
        Format::Json => {
            let mut out = Vec::new();
            super::json::write(report, &mut out).expect("writing to memory cannot fail");
            String::from_utf8(out).expect("serde_json writes UTF-8")
        }
        Format::Sarif => super::sarif::render(report, opts.rules),
        Format::Junit => super::junit::render(report, opts.rules_evaluated),
        Format::Markdown => super::markdown::render(report, opts.rules_evaluated),
        Format::Table => super::table::render(report, opts.render),
    }
}

/// Like `render_scan` into a writer the caller owns; JSON is streamed rather than built whole.
pub fn write_scan(
    report: &ScanReport,
    format: Format,
    opts: &ScanRenderOptions<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => super::json::write(report, out),
        other => out.write_all(render_scan(report, other, opts).as_bytes()),
    }
}

/// One target as the summary table shows it.
pub(super) struct Row {
    pub target: String,
    pub source: String,
    /// `high`, `none`, or `-` when nothing could be judged.
    pub worst: String,
    /// `web-alb (alb) after 60 s`.
    pub cuts_first: String,
    /// `WS401 high: cuts idle WebSockets after 60 s`.
    pub top: String,
    /// `complete`, `INCOMPLETE: 1 layer not read`, `UNRESOLVED: …`.
    pub read: String,
    /// Findings new against the baseline.
    pub new: usize,
}

pub(super) fn row(t: &ScanTarget) -> Row {
    let worst = t.findings.iter().map(|f| f.finding.severity).max();
    let top = top_finding(&t.findings);
    let cuts_first = match (&t.summary.cuts_first, t.summary.effective_idle_s) {
        (Some(id), Some(secs)) => match t.chain.layers.iter().find(|l| &l.id == id) {
            Some(l) => format!("{} ({}) after {secs}", layer_title(l), l.provider.as_str()),
            None => format!("{id} after {secs}"),
        },
        _ => "unknown".to_string(),
    };
    let read = match &t.unresolved {
        Some(why) => format!("UNRESOLVED: {why}"),
        None if t.chain.layers.is_empty() && t.chain.gaps.is_empty() => {
            "nothing judged: no layer".to_string()
        }
        None if !t.chain.gaps.is_empty() => {
            let n = t.chain.gaps.len();
            format!(
                "INCOMPLETE: {n} layer{} not read",
                if n == 1 { "" } else { "s" }
            )
        }
        None => "complete".to_string(),
    };
    let judged = t.unresolved.is_none() && !t.chain.layers.is_empty();
    Row {
        target: t.target.clone(),
        source: source_text(t),
        worst: match worst {
            Some(s) => s.to_string(),
            None if judged => "none".to_string(),
            None => "-".to_string(),
        },
        cuts_first,
        top: top
            .map(|f| {
                format!(
                    "{} {}: {}",
                    f.finding.rule,
                    f.finding.severity,
                    f.finding.short()
                )
            })
            .unwrap_or_else(|| "-".to_string()),
        read,
        new: t
            .findings
            .iter()
            .filter(|f| f.status == Some(FindingStatus::New))
            .count(),
    }
}

/// `declared (wsaudit.toml:12)`, `discovered (cloudfront E2ABC alias)`.
pub(super) fn source_text(t: &ScanTarget) -> String {
    if t.source.from.is_empty() {
        t.source.kind.clone()
    } else {
        format!("{} ({})", t.source.kind, t.source.from)
    }
}

/// The most severe finding, the first of them in the report's order (the policy sorts by
/// severity, then rule): the one a reader of a summary acts on first.
pub(super) fn top_finding(findings: &[ScanFinding]) -> Option<&ScanFinding> {
    let worst = findings.iter().map(|f| f.finding.severity).max()?;
    findings.iter().find(|f| f.finding.severity == worst)
}

/// One sentence over the scan: `12 targets, 7 findings (worst: high), 2 new, 1 fixed; 1
/// INCOMPLETE`.
pub(super) fn headline(report: &ScanReport) -> String {
    let s = &report.scan.summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = plural(s.targets, "target");
    out.push_str(", ");
    out.push_str(&plural(s.findings, "finding"));
    if let Some(w) = s.worst {
        out.push_str(&format!(" (worst: {w})"));
    }
    let has_baseline = report
        .scan
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.status.is_some())
        || !report.scan.fixed.is_empty();
    if has_baseline {
        out.push_str(&format!(
            "; against the baseline {} new, {} fixed",
            s.new, s.fixed
        ));
    }
    if s.incomplete > 0 {
        out.push_str(&format!(
            "; INCOMPLETE: {} could not be read in full",
            plural(s.incomplete, "target")
        ));
    }
    if !report.scan.unread.is_empty() {
        out.push_str(&format!(
            "; INCOMPLETE: could not read {}",
            report.scan.unread.join("; ")
        ));
    }
    if !report.scan.missing_shards.is_empty() {
        out.push_str(&format!(
            "; INCOMPLETE: shard{} {} not merged",
            if report.scan.missing_shards.len() == 1 {
                ""
            } else {
                "s"
            },
            report.scan.missing_shards.join(", ")
        ));
    }
    out
}

/// `cloudflare 4, cloudfront 3, elasticloadbalancing 12 (19 calls)`.
pub(super) fn api_calls(report: &ScanReport) -> String {
    let calls = &report.scan.api_calls;
    if calls.is_empty() {
        return "none".to_string();
    }
    let total: u64 = calls.values().sum();
    let each: Vec<String> = calls.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!(
        "{} ({total} call{})",
        each.join(", "),
        if total == 1 { "" } else { "s" }
    )
}

/// The target as a single-chain report for the per-target renderers (JUnit, Markdown).
pub(super) fn target_report(t: &ScanTarget, rules_evaluated: &[String]) -> Report {
    t.report(rules_evaluated)
}
