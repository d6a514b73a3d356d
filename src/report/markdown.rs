//! Paste-ready for a ticket: headline, chain table, findings with their fixes.

use super::{idle_cell, Report};

/// The chain clients mostly get, then each other route the domain's DNS has, the same way.
pub fn render(report: &Report) -> String {
    let mut o = render_one(report);
    for (i, r) in report.routes.iter().enumerate() {
        o.push_str(&format!(
            "\n---\n\n# Route {} of {}: {}\n\n",
            i + 2,
            report.routes.len() + 1,
            cell(&r.route.label())
        ));
        o.push_str(&render_one(&r.as_report(report)));
    }
    o
}

fn render_one(report: &Report) -> String {
    let mut o = String::new();
    o.push_str(&format!("## wsaudit: `{}`\n\n", report.target_url()));
    o.push_str(&format!("**{}**\n\n", capitalise(&report.headline())));
    if let Some(r) = &report.chain.route {
        o.push_str(&format!(
            "Route: {} (`{} {}`)\n\n",
            cell(&r.label()),
            r.locator,
            r.field
        ));
    }
    o.push_str("### Chain (client first)\n\n");
    o.push_str("| # | Layer | Provider | Idle timeout | Set at |\n|---|---|---|---|---|\n");
    let cutter = report.summary.cuts_first.as_deref();
    for (i, l) in report.chain.layers.iter().enumerate() {
        let idle = if Some(l.id.as_str()) == cutter {
            format!("**{}** (cuts first)", idle_cell(l))
        } else {
            idle_cell(l)
        };
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            i + 1,
            cell(&super::layer_title(l)),
            l.provider.as_str(),
            idle,
            cell(&l.idle_timeout.origin.short())
        ));
    }
    for g in &report.chain.gaps {
        o.push_str(&format!(
            "| ? | {} | {} | **not read** | {} |\n",
            cell(&g.layer),
            g.provider.as_str(),
            cell(&g.reason)
        ));
    }
    o.push('\n');
    o.push_str(&flowchart(report));
    match &report.chain.heartbeat {
        Some(h) => o.push_str(&format!("Heartbeat: every {}.\n\n", h.interval_s)),
        None => o.push_str("Heartbeat: none declared.\n\n"),
    }
    if let Some(p) = &report.chain.probe {
        o.push_str(&format!("### Live probe (`{}`)\n\n", p.url));
        for l in super::probe::lines(p) {
            o.push_str(&format!("- {}\n", l.trim()));
        }
        o.push('\n');
    }
    if let Some(l) = &report.chain.logs {
        o.push_str(&super::logs::markdown(l, report.plot.as_deref()));
    }
    if report.findings.is_empty() {
        o.push_str("### Findings\n\nNone.\n");
    } else {
        let causes = report.root_causes();
        if !causes.is_empty() {
            o.push_str("### One setting, several findings\n\n");
            for c in &causes {
                let lead = c.lead();
                o.push_str(&format!("- **`{}`**", c.key));
                if let Some(l) = &lead.locator {
                    o.push_str(&format!(" at `{}`", l.display()));
                }
                o.push_str(&format!(": {}. Fix: {}\n", c.rules(), lead.remediation));
            }
            o.push('\n');
        }
        o.push_str("### Findings\n\n");
        for f in &report.findings {
            o.push_str(&format!(
                "#### {} ({}) on `{}`: {}\n\n",
                f.rule, f.severity, f.layer, f.title
            ));
            o.push_str(&format!("{}\n\n", f.message));
            if let Some(l) = &f.locator {
                o.push_str(&format!("- Change at: `{}`\n", l.display()));
            }
            match &f.fix {
                Some(fix) => {
                    o.push_str(&format!("- Fix ({}):\n\n", fix.kind));
                    o.push_str(&fenced(&fix.kind, &fix.text));
                    for alt in &fix.also {
                        o.push_str(&format!("  {}: `{}`\n\n", capitalise(&alt.kind), alt.text));
                    }
                    o.push_str(&format!("- Why this fix: {}\n", f.remediation));
                }
                None => o.push_str(&format!("- Fix: {}\n", f.remediation)),
            }
            o.push_str(&format!("- Details: `wsaudit explain {}`\n\n", f.rule));
        }
    }
    if !report.suppressed.is_empty() {
        o.push_str("### Suppressed\n\n");
        for s in &report.suppressed {
            o.push_str(&format!(
                "- {} on `{}`: {} (until {})\n",
                s.finding.rule, s.finding.layer, s.reason, s.expires
            ));
        }
        o.push('\n');
    }
    if !report.notices.is_empty() {
        o.push_str("### Notices\n\n");
        for n in &report.notices {
            o.push_str(&format!("- {n}\n"));
        }
        o.push('\n');
    }
    if !report.chain.not_consulted.is_empty() {
        o.push_str("### Not consulted\n\n");
        for n in &report.chain.not_consulted {
            o.push_str(&format!("- {}: {}\n", n.provider.as_str(), n.reason));
        }
        o.push('\n');
    }
    o
}

/// The chain as a Mermaid flowchart, which GitHub and GitLab draw in tickets and pull requests:
/// client → each layer with its idle timeout → app, the layer that cuts first marked. Layers
/// that could not be read are drawn apart, dashed, so the picture never looks complete when
/// the chain is not.
fn flowchart(report: &Report) -> String {
    let cutter = report.summary.cuts_first.as_deref();
    let mut o = String::from("```mermaid\nflowchart LR\n  client([client])\n");
    let mut prev = "client".to_string();
    for (i, l) in report.chain.layers.iter().enumerate() {
        let node = format!("l{}", i + 1);
        let mut label = format!(
            "{}<br/>{} · idle {}",
            mermaid_text(&super::layer_title(l)),
            l.provider.as_str(),
            mermaid_text(&idle_cell(l))
        );
        if Some(l.id.as_str()) == cutter {
            label.push_str(" · cuts first");
        }
        o.push_str(&format!("  {prev} --> {node}[\"{label}\"]\n"));
        if Some(l.id.as_str()) == cutter {
            o.push_str(&format!("  class {node} cuts\n"));
        }
        prev = node;
    }
    if report.chain.layers.last().map(|l| l.kind) != Some(crate::model::LayerKind::App) {
        o.push_str(&format!("  {prev} --> app([app])\n"));
    }
    for (i, g) in report.chain.gaps.iter().enumerate() {
        o.push_str(&format!(
            "  gap{}[\"not read: {} ({})\"]\n  class gap{} gap\n",
            i + 1,
            mermaid_text(&g.layer),
            g.provider.as_str(),
            i + 1
        ));
    }
    o.push_str("  classDef cuts stroke:#c00,stroke-width:3px\n");
    o.push_str("  classDef gap stroke-dasharray:5 5\n```\n\n");
    o
}

/// Text safe inside a quoted Mermaid label: quotes and angle brackets as entities (a `<`
/// would open an HTML tag in the rendered node).
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('\n', " ")
}

/// A fix as a fenced block inside a list item: shell for commands, nginx for directives,
/// plain text for prose (an application change).
fn fenced(kind: &str, text: &str) -> String {
    let lang = match kind {
        "aws-cli" | "cloudflare-api" => "sh",
        "nginx" => "nginx",
        "haproxy" => "haproxy",
        _ => "text",
    };
    let body: String = text.lines().map(|l| format!("  {l}\n")).collect();
    format!("  ```{lang}\n{body}  ```\n\n")
}

/// Escapes what would break a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
