//! The scan on a terminal: one compact row per target (the columns of the Markdown summary),
//! the scan's headline and the API calls per service. Per-target detail is in the other
//! formats.

use super::render::{api_calls, headline, row};
use super::ScanReport;
use crate::report::RenderOptions;
use comfy_table::{Attribute, Cell, Color};

pub fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let width = opts.width.map_or(120, usize::from);
    let mut out = String::from("wsaudit scan");
    if let Some(s) = &report.scan.shard {
        out.push_str(&format!(" (shard {s})"));
    }
    out.push('\n');
    crate::report::diagnostics::push_wrapped(&mut out, &headline(report), "  ", width);
    out.push('\n');

    let with_new = report
        .scan
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.status.is_some());
    let mut t = crate::report::table::new_table(opts);
    let mut header = vec![
        "Target",
        "Source",
        "Worst",
        "Cuts first",
        "Top finding",
        "Read",
    ];
    if with_new {
        header.push("New");
    }
    t.set_header(header);
    for r in report.scan.targets.iter().map(row) {
        let mut worst = Cell::new(&r.worst);
        let mut read = Cell::new(&r.read);
        if opts.color {
            if matches!(r.worst.as_str(), "critical" | "high") {
                worst = worst.fg(Color::Red).add_attribute(Attribute::Bold);
            }
            if r.read != "complete" {
                read = read.fg(Color::Yellow);
            }
        }
        let mut cells = vec![
            Cell::new(&r.target),
            Cell::new(&r.source),
            worst,
            Cell::new(&r.cuts_first),
            Cell::new(&r.top),
            read,
        ];
        if with_new {
            cells.push(Cell::new(r.new));
        }
        t.add_row(cells);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    out.push_str(&format!("API calls: {}\n", api_calls(report)));
    for s in &report.scan.missing_shards {
        out.push_str(&format!(
            "Shard {s} was not merged: its targets were not audited\n"
        ));
    }
    if !report.scan.fixed.is_empty() {
        out.push_str(&format!(
            "\nFixed since the baseline ({}):\n",
            report.scan.fixed.len()
        ));
        for f in &report.scan.fixed {
            out.push_str(&format!(
                "  {} ({}) on {} of {}\n",
                f.finding.rule,
                f.finding.severity,
                f.finding.layer,
                f.target.as_deref().unwrap_or("?")
            ));
        }
    }
    out.push_str("\nEach target's chain and fixes: --format markdown (or json).\n");
    out
}
