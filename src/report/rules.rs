//! The rule pack as documentation: `wsaudit rules` (table, JSON, Markdown), `wsaudit explain`,
//! and the README table (which a test keeps identical to `rules --format markdown`).

use super::markdown::cell;
use crate::policy::RuleMeta;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

pub fn table(rules: &[RuleMeta], width: Option<u16>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .force_no_tty();
    if let Some(w) = width {
        t.set_width(w);
    }
    t.set_header(vec!["Rule", "Severity", "Category", "Title"]);
    for r in rules {
        t.add_row(vec![
            r.id.as_str(),
            r.severity.as_str(),
            r.category.as_str(),
            r.title.as_str(),
        ]);
    }
    format!("{t}\n")
}

pub fn markdown(rules: &[RuleMeta]) -> String {
    let mut o = String::from("| Rule | Severity | Category | Title |\n|---|---|---|---|\n");
    for r in rules {
        o.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.id,
            r.severity,
            r.category,
            cell(&r.title)
        ));
    }
    o
}

pub fn json(rules: &[RuleMeta]) -> String {
    let mut s = serde_json::to_string_pretty(rules).expect("metadata serializes");
    s.push('\n');
    s
}

pub fn explain(r: &RuleMeta) -> String {
    let mut o = format!("{}: {}\n", r.id, r.title);
    o.push_str(&format!(
        "Severity: {}   Category: {}\n\n",
        r.severity, r.category
    ));
    o.push_str("Why it breaks WebSockets:\n");
    o.push_str(&indent(&wrap(&r.why, 96)));
    o.push_str("\nFix:\n");
    o.push_str(&indent(&wrap(&r.remediation, 96)));
    o.push_str("\nExample:\n");
    o.push_str(&indent(&r.snippet));
    if !r.references.is_empty() {
        o.push_str("\nReferences:\n");
        for u in &r.references {
            o.push_str(&format!("  {u}\n"));
        }
    }
    o
}

pub fn explain_markdown(r: &RuleMeta) -> String {
    let mut o = format!("## {}: {}\n\n", r.id, r.title);
    o.push_str(&format!(
        "Severity: **{}**, category: {}\n\n",
        r.severity, r.category
    ));
    o.push_str(&format!("**Why it breaks WebSockets.** {}\n\n", r.why));
    o.push_str(&format!(
        "**Fix.** {}\n\n```\n{}\n```\n",
        r.remediation, r.snippet
    ));
    if !r.references.is_empty() {
        o.push('\n');
        for u in &r.references {
            o.push_str(&format!("- {u}\n"));
        }
    }
    o
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

fn wrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in s.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
