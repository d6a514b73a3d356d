//! The on-call view: the chain outermost→innermost with each layer's idle timeout and the
//! weakest link marked, then the findings by severity as compiler-style diagnostics
//! (`diagnostics.rs`).

use super::{idle_cell, RenderOptions, Report};
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, Color, ContentArrangement, Table,
};

/// The chain clients mostly get, then each other route the domain's DNS has, the same way.
pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let mut out = render_one(report, opts);
    for (i, r) in report.routes.iter().enumerate() {
        out.push_str(&format!(
            "\n== Route {} of {}: {} ==\n",
            i + 2,
            report.routes.len() + 1,
            r.route.label()
        ));
        out.push_str(&render_one(&r.as_report(report), opts));
    }
    out
}

fn render_one(report: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    out.push_str(&format!("wsaudit: {}\n", report.target_url()));
    let width = opts.width.map_or(120, usize::from);
    super::diagnostics::push_wrapped(&mut out, &report.headline(), "  ", width);
    if let Some(r) = &report.chain.route {
        out.push_str(&format!("  Route: {} ({})\n", r.label(), r.locator));
    }
    out.push('\n');

    let mut chain = new_table(opts);
    chain.set_header(vec!["#", "Layer", "Provider", "Idle timeout", "Set at", ""]);
    let cutter = report.summary.cuts_first.as_deref();
    out.push_str("Chain (client first):\n");
    for (i, l) in report.chain.layers.iter().enumerate() {
        let weakest = Some(l.id.as_str()) == cutter;
        let mark = if weakest { "<- cuts first" } else { "" };
        let mut mark_cell = Cell::new(mark);
        if weakest && opts.color {
            mark_cell = mark_cell.fg(Color::Red).add_attribute(Attribute::Bold);
        }
        chain.add_row(vec![
            Cell::new(i + 1),
            Cell::new(super::layer_title(l)),
            Cell::new(l.provider.as_str()),
            Cell::new(idle_cell(l)),
            Cell::new(l.idle_timeout.origin.short()),
            mark_cell,
        ]);
    }
    for g in &report.chain.gaps {
        chain.add_row(vec![
            Cell::new("?"),
            Cell::new(&g.layer),
            Cell::new(g.provider.as_str()),
            Cell::new("NOT READ"),
            Cell::new(&g.reason),
            Cell::new(""),
        ]);
    }
    out.push_str(&chain.to_string());
    out.push('\n');
    match &report.chain.heartbeat {
        Some(h) => out.push_str(&format!(
            "Heartbeat: every {} ({}, {})\n",
            h.interval_s,
            serde_json::to_value(h.direction)
                .unwrap()
                .as_str()
                .unwrap_or(""),
            serde_json::to_value(h.source)
                .unwrap()
                .as_str()
                .unwrap_or("")
        )),
        None => out.push_str("Heartbeat: none declared (--heartbeat or wsaudit.toml)\n"),
    }
    if let Some(p) = &report.chain.probe {
        out.push_str(&format!("\nLive probe ({}):\n", p.url));
        for l in super::probe::lines(p) {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if let Some(l) = &report.chain.logs {
        out.push_str("\nAccess logs:\n");
        for line in super::logs::lines(l) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for n in &report.chain.not_consulted {
        out.push_str(&format!(
            "Not consulted: {} ({})\n",
            n.provider.as_str(),
            n.reason
        ));
    }
    out.push('\n');

    if report.findings.is_empty() {
        out.push_str("Findings: none\n");
    } else {
        let fixes = super::diagnostics::block_count(&report.findings);
        out.push_str(&format!(
            "Findings ({}; {} change{} fix{} them):\n\n",
            report.findings.len(),
            fixes,
            if fixes == 1 { "" } else { "s" },
            if fixes == 1 { "es" } else { "" },
        ));
        out.push_str(&super::diagnostics::render(&report.findings, opts, width));
        out.push('\n');
        out.push_str("Run `wsaudit explain RULE` for the mechanism and the fix.\n");
    }
    if !report.suppressed.is_empty() {
        out.push_str(&format!("\nSuppressed ({}):\n", report.suppressed.len()));
        for s in &report.suppressed {
            out.push_str(&format!(
                "  {} on {}: {} (until {})\n",
                s.finding.rule, s.finding.layer, s.reason, s.expires
            ));
        }
    }
    if !report.notices.is_empty() {
        out.push_str("\nNotices:\n");
        for n in &report.notices {
            out.push_str(&format!("  {n}\n"));
        }
    }
    if !report.chain.gaps.is_empty() {
        out.push_str("\nIncomplete: these layers could not be read:\n");
        for g in &report.chain.gaps {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                g.layer,
                g.provider.as_str(),
                g.reason
            ));
        }
    }
    out
}

/// The comfy-table every table report draws with: condensed borders, the width and colour the
/// options give.
pub(crate) fn new_table(opts: &RenderOptions) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = opts.width {
        t.set_width(w);
    }
    if !opts.color {
        t.force_no_tty();
    }
    t
}
