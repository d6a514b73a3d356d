//! The scan as Markdown for a ticket or a job summary: the summary table first (target ×
//! worst severity × the layer that cuts first × top finding), then each target in the
//! single-chain Markdown, then what the baseline had that is gone.

use super::render::{api_calls, headline, row, target_report};
use super::{FindingStatus, ScanReport};
use crate::report::markdown::{self as single, cell};

pub fn render(report: &ScanReport, rules_evaluated: &[String]) -> String {
    let mut o = String::from("# wsaudit scan\n\n");
    o.push_str(&format!("**{}.**\n\n", headline(report)));
    if let Some(s) = &report.scan.shard {
        o.push_str(&format!("Shard {s}.\n\n"));
    }
    let rows: Vec<_> = report.scan.targets.iter().map(row).collect();
    let with_new = report
        .scan
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.status.is_some());
    o.push_str("| Target | Source | Worst | Cuts first | Top finding | Read |");
    o.push_str(if with_new { " New |\n" } else { "\n" });
    o.push_str("|---|---|---|---|---|---|");
    o.push_str(if with_new { "---|\n" } else { "\n" });
    for r in &rows {
        let read = if r.read == "complete" {
            r.read.clone()
        } else {
            format!("**{}**", cell(&r.read))
        };
        o.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |",
            r.target.replace('`', "'"),
            cell(&r.source),
            r.worst,
            cell(&r.cuts_first),
            cell(&r.top),
            read
        ));
        if with_new {
            o.push_str(&format!(" {} |", r.new));
        }
        o.push('\n');
    }
    o.push('\n');
    o.push_str(&format!("API calls: {}.\n\n", api_calls(report)));
    for s in &report.scan.missing_shards {
        o.push_str(&format!(
            "- **Shard {s} was not merged**: its targets were not audited.\n"
        ));
    }
    for u in &report.scan.unread {
        o.push_str(&format!("- **Could not read**: {u}.\n"));
    }
    if !report.scan.missing_shards.is_empty() || !report.scan.unread.is_empty() {
        o.push('\n');
    }
    for t in &report.scan.targets {
        o.push_str("---\n\n");
        if let Some(why) = &t.unresolved {
            o.push_str(&format!(
                "## wsaudit: `{}`\n\n**Not resolved: {}.**\n\nSource: {}.\n\n",
                t.target,
                why,
                super::render::source_text(t)
            ));
            continue;
        }
        let mut text = single::render(&target_report(t, rules_evaluated));
        // The target's provenance and its findings' verdicts against the baseline, under
        // its heading.
        let mut extra = format!("Source: {}.\n\n", super::render::source_text(t));
        let new: Vec<String> = t
            .findings
            .iter()
            .filter(|f| f.status == Some(FindingStatus::New))
            .map(|f| format!("{} on `{}`", f.finding.rule, f.finding.layer))
            .collect();
        if !new.is_empty() {
            extra.push_str(&format!("New since the baseline: {}.\n\n", new.join(", ")));
        }
        let at = text.find("\n\n").map_or(text.len(), |i| i + 2);
        text.insert_str(at, &extra);
        o.push_str(&text);
        if !text.ends_with("\n\n") {
            o.push('\n');
        }
    }
    if !report.scan.fixed.is_empty() {
        o.push_str("---\n\n## Fixed since the baseline\n\n");
        o.push_str("| Target | Rule | Layer | Was | Fingerprint |\n|---|---|---|---|---|\n");
        for f in &report.scan.fixed {
            o.push_str(&format!(
                "| `{}` | {} | `{}` | {} | `{}` |\n",
                f.target.as_deref().unwrap_or("").replace('`', "'"),
                f.finding.rule,
                f.finding.layer,
                f.finding.severity,
                f.fingerprint
            ));
        }
        o.push('\n');
    }
    o
}
