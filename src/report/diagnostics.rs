//! Findings on a terminal, read like compiler diagnostics: one headline per finding
//! (severity, rule, layer, what happens), then indented `at:` (where to change it) and `fix:`
//! (the command or directive) lines. Findings that come from one setting are one block with
//! one `at:` and one `fix:`, because changing that setting once fixes them all.

use super::RenderOptions;
use crate::policy::{Finding, Fix, Severity};

/// The findings as blocks of lines, most severe first, `width` columns wide (commands are
/// never wrapped: they must paste as they are).
pub fn render(findings: &[Finding], opts: &RenderOptions, width: usize) -> String {
    let mut out = String::new();
    for (i, block) in blocks(findings).iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if block.len() > 1 {
            let key = block[0].root_cause.as_deref().unwrap_or_default();
            let rules: Vec<&str> = block.iter().map(|f| f.rule.as_str()).collect();
            push_wrapped(
                &mut out,
                &format!(
                    "{key}: one setting behind {} findings ({})",
                    block.len(),
                    rules.join(", ")
                ),
                "",
                width,
            );
        }
        for f in block {
            headline(&mut out, f, opts, width);
            if opts.verbose {
                push_wrapped(&mut out, &f.message, "       ", width);
            }
        }
        // The most severe finding of the block speaks for its location and fix.
        let lead = block[0];
        if let Some(at) = &lead.locator {
            // One locator, never wrapped: it is copied whole (a path, an ARN).
            out.push_str(&format!("   at: {}\n", at.display()));
        }
        match &lead.fix {
            Some(fix) => push_fix(&mut out, fix, width),
            None => push_wrapped(
                &mut out,
                &format!("  fix: {}", lead.remediation),
                "       ",
                width,
            ),
        }
    }
    out
}

/// How many separate changes the findings need: one per root cause, one per other finding.
pub fn block_count(findings: &[Finding]) -> usize {
    blocks(findings).len()
}

/// Findings grouped by root cause (a group sits where its most severe finding sorts), the
/// others one by one, in the findings' order (most severe first).
fn blocks(findings: &[Finding]) -> Vec<Vec<&Finding>> {
    let mut out: Vec<Vec<&Finding>> = Vec::new();
    for f in findings {
        let joined = f.root_cause.as_deref().and_then(|key| {
            out.iter_mut()
                .find(|b| b[0].root_cause.as_deref() == Some(key))
        });
        match joined {
            Some(b) => b.push(f),
            None => out.push(vec![f]),
        }
    }
    out
}

fn headline(out: &mut String, f: &Finding, opts: &RenderOptions, width: usize) {
    let sev = format!("{:<6}", f.severity.as_str().to_uppercase());
    let lead = format!("{sev} {} {}: ", f.rule, f.layer);
    let text = format!("{lead}{}", f.short());
    let indent = " ".repeat(7);
    let mut wrapped = String::new();
    push_wrapped(&mut wrapped, &text, &indent, width);
    if opts.color {
        let code = ansi(f.severity);
        wrapped = wrapped.replacen(&sev, &format!("\x1b[{code}m{sev}\x1b[0m"), 1);
    }
    out.push_str(&wrapped);
}

fn push_fix(out: &mut String, fix: &Fix, width: usize) {
    let command = matches!(fix.kind.as_str(), "aws-cli" | "cloudflare-api");
    for (i, line) in fix.text.lines().enumerate() {
        let label = if i == 0 { "  fix: " } else { "       " };
        if command {
            // Shell continuation lines paste as one command; a single token longer than the
            // line (an ARN) stays whole.
            for part in shell_lines(line, width.saturating_sub(label.len() + 2)) {
                out.push_str(if out.ends_with(" \\\n") && !part.is_empty() {
                    "         "
                } else {
                    label
                });
                out.push_str(&part);
                out.push('\n');
            }
        } else if line.starts_with("    ") {
            // An nginx directive: config text is pasted as it is, never wrapped.
            out.push_str(label);
            out.push_str(line);
            out.push('\n');
        } else {
            push_wrapped(out, &format!("{label}{line}"), "       ", width);
        }
    }
    for alt in &fix.also {
        push_wrapped(
            out,
            &format!("       {}: {}", alt.kind, alt.text),
            "         ",
            width,
        );
    }
}

/// One line of a shell command cut at spaces into lines of at most `room` columns, each but
/// the last ending in ` \` (a line already ending in ` \` keeps it).
fn shell_lines(line: &str, room: usize) -> Vec<String> {
    let body = line.trim_start().trim_end_matches(" \\");
    let continued = line.ends_with(" \\");
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in body.split(' ') {
        if !cur.is_empty() && cur.len() + 1 + word.len() > room.max(20) {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    let n = lines.len();
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 < n || continued {
                format!("{l} \\")
            } else {
                l
            }
        })
        .collect()
}

/// Word-wraps `text` to `width` columns, continuation lines indented by `indent`; a word
/// longer than the line (an ARN) stays whole.
pub fn push_wrapped(out: &mut String, text: &str, indent: &str, width: usize) {
    let opts = textwrap::Options::new(width.max(40))
        .subsequent_indent(indent)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, opts) {
        out.push_str(&line);
        out.push('\n');
    }
}

fn ansi(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "35;1",
        Severity::High => "31;1",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "90",
    }
}
