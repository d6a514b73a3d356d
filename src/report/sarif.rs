//! SARIF 2.1.0 for code-scanning dashboards: rule descriptors from the rule metadata, config
//! findings located at their file and line, cloud findings as logical locations.

use super::Report;
use crate::policy::{Finding, RuleMeta, Severity};
use serde_json::{json, Value};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning ranks by `security-severity` (a CVSS-like number as a string).
pub(crate) fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

pub fn render(report: &Report, rules: &[RuleMeta]) -> String {
    let descriptors: Vec<Value> = rules.iter().map(descriptor).collect();
    let index = |f: &Finding| rules.iter().position(|r| r.id == f.rule);
    // Each other route's findings, said to be of that route: the same rule on the same layer
    // id is a different result when it is another load balancer.
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, index(f)))
        .chain(report.routes.iter().flat_map(|r| {
            r.findings.iter().map(move |f| {
                let mut v = result(f, index(f));
                v["message"]["text"] = json!(format!("Via {}: {}", r.route.label(), message(f)));
                v["properties"]["route"] = json!(r.route);
                v
            })
        }))
        .collect();
    let gaps = report.chain.gaps.iter().map(|g| (None, g)).chain(
        report
            .routes
            .iter()
            .flat_map(|r| r.chain.gaps.iter().map(move |g| (Some(r.route.label()), g))),
    );
    let complete =
        report.chain.gaps.is_empty() && report.routes.iter().all(|r| r.chain.gaps.is_empty());
    let notifications: Vec<Value> = gaps
        .map(|(via, g)| {
            let via = via.map(|v| format!("via {v}: ")).unwrap_or_default();
            json!({
                "level": "error",
                "message": {"text": format!("{via}{} ({}) could not be read: {}", g.layer, g.provider.as_str(), g.reason)},
            })
        })
        .chain(report.notices.iter().map(|n| {
            json!({"level": "note", "message": {"text": n}})
        }))
        .collect();
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "wsaudit",
                "version": report.tool.version,
                "informationUri": "https://github.com/wsaudit/wsaudit",
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": complete,
                "toolExecutionNotifications": notifications,
            }],
            "properties": {
                "target": report.target_url(),
                "effective_idle_s": report.summary.effective_idle_s,
                "cuts_first": report.summary.cuts_first,
            },
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF is plain JSON");
    s.push('\n');
    s
}

pub(crate) fn descriptor(r: &RuleMeta) -> Value {
    json!({
        "id": r.id,
        "name": pascal(&r.title),
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.why},
        "help": {
            "text": format!("{}\n\n{}", r.remediation, r.snippet),
            "markdown": format!("{}\n\n```\n{}\n```", r.remediation, r.snippet),
        },
        "helpUri": r.references.first(),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "category": r.category,
            "tags": ["websocket", r.category],
            "security-severity": security_severity(r.severity),
        },
    })
}

fn result(f: &Finding, index: Option<usize>) -> Value {
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": message(f)},
        "properties": {
            "severity": f.severity,
            "layer": f.layer,
            "provider": f.provider,
            "evidence": f.evidence,
        },
    });
    if let Some(fix) = &f.fix {
        r["properties"]["fix"] = json!(fix);
    }
    if let Some(i) = index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(l) = &f.locator {
        let loc = if l.kind == "file" {
            let mut region = json!({"startLine": l.line.unwrap_or(1)});
            if let Some(c) = l.column {
                region["startColumn"] = json!(c);
            }
            json!({"physicalLocation": {
                "artifactLocation": {"uri": l.target},
                "region": region,
            }})
        } else {
            json!({"logicalLocations": [{
                "name": l.field.clone().unwrap_or_else(|| f.layer.clone()),
                "fullyQualifiedName": l.display(),
                "kind": "resource",
            }]})
        };
        r["locations"] = json!([loc]);
    }
    r
}

/// The finding and, when there is one, the concrete fix: code scanning shows only the message
/// of a result, and SARIF's own `fixes` need the exact bytes to replace, which a setting that
/// is not written yet does not have.
pub(crate) fn message(f: &Finding) -> String {
    match &f.fix {
        Some(fix) => format!("{}\n\nFix ({}):\n{}", f.message, fix.kind, fix.text),
        None => f.message.clone(),
    }
}

/// "An outer layer's idle timeout…" → "AnOuterLayersIdleTimeout…", SARIF's `name` style.
fn pascal(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
