//! The scan as SARIF 2.1.0 for GitHub code scanning: ONE run, a result per finding of every
//! target, located by the target and the layer (logical locations) and by the file or
//! resource to change (the physical location GitHub requires of every result), tracked across
//! runs by the stable fingerprint (`partialFingerprints`), with the baseline's verdict in
//! `baselineState` (`new`, `unchanged`). Findings fixed since the baseline are not results:
//! GitHub code scanning opens an alert for every result whatever its `kind` or
//! `baselineState` (microsoft/PSRule#955, complytime/complyctl#868), and closes an alert by
//! itself when its result is no longer uploaded; they are listed in the run's `fixed` property.
//! Kept under GitHub's upload limits (25,000 results per run, 10 MB gzipped): beyond them the
//! most severe results are kept and the run says how many were left out.

use super::{FindingStatus, ScanFinding, ScanReport, ScanTarget};
use crate::policy::{RuleMeta, Severity};
use crate::report::sarif::{descriptor, level, message, SCHEMA_URI};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;

/// GitHub code scanning accepts at most this many results in one run (and stores and shows
/// the 5,000 most severe); a run over it is rejected whole.
pub const GITHUB_MAX_RESULTS: usize = 25_000;
/// GitHub's limit on an uploaded SARIF file, gzip-compressed ("10 MB"; counted here in
/// decimal megabytes, the smaller reading).
pub const GITHUB_MAX_GZIP_BYTES: usize = 10_000_000;

/// The key under `partialFingerprints`: GitHub reserves `primaryLocationLineHash` (the upload
/// action computes it from a file's text), so the scan's own fingerprint has a key of its own.
pub const FINGERPRINT_KEY: &str = "wsauditFingerprint/v1";

struct Candidate {
    severity: Severity,
    value: Value,
}

pub fn render(report: &ScanReport, rules: &[RuleMeta]) -> String {
    render_with_limits(report, rules, GITHUB_MAX_RESULTS, GITHUB_MAX_GZIP_BYTES)
}

/// `render` with the limits as parameters (the tests use small ones).
pub fn render_with_limits(
    report: &ScanReport,
    rules: &[RuleMeta],
    max_results: usize,
    max_gzip_bytes: usize,
) -> String {
    let index = |rule: &str| rules.iter().position(|r| r.id == rule);
    let mut candidates: Vec<Candidate> = Vec::new();
    for t in &report.scan.targets {
        for f in &t.findings {
            candidates.push(Candidate {
                severity: f.finding.severity,
                value: result(t, f, index(&f.finding.rule)),
            });
        }
    }
    // Stable: within one severity, the report's order (targets by id, then the policy's).
    candidates.sort_by_key(|c| std::cmp::Reverse(c.severity));
    let total = candidates.len();
    let mut keep = total.min(max_results);
    loop {
        let text = document(report, rules, &candidates[..keep], total);
        if keep == 0 || fits(&text, max_gzip_bytes) {
            return text;
        }
        // Too large compressed: drop the least severe tenth and measure again.
        keep -= (keep / 10).max(1);
    }
}

fn document(report: &ScanReport, rules: &[RuleMeta], kept: &[Candidate], total: usize) -> String {
    let omitted = total - kept.len();
    let mut notifications: Vec<Value> = Vec::new();
    if omitted > 0 {
        let least = kept
            .iter()
            .map(|c| c.severity)
            .min()
            .map(|s| format!("; the least severe kept is {s}"))
            .unwrap_or_default();
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{omitted} of {total} results left out: GitHub code scanning accepts at most \
                 {GITHUB_MAX_RESULTS} results per run and {GITHUB_MAX_GZIP_BYTES} bytes of \
                 gzipped SARIF; the most severe were kept{least}. The JSON report has them all."
            )},
        }));
    }
    for t in &report.scan.targets {
        if let Some(why) = &t.unresolved {
            notifications.push(json!({
                "level": "error",
                "message": {"text": format!("{}: could not be resolved: {why}", t.target)},
            }));
        }
        for g in &t.chain.gaps {
            notifications.push(json!({
                "level": "error",
                "message": {"text": format!(
                    "{}: {} ({}) could not be read: {}",
                    t.target, g.layer, g.provider.as_str(), g.reason
                )},
            }));
        }
    }
    for u in &report.scan.unread {
        notifications.push(json!({
            "level": "error",
            "message": {"text": format!("could not read {u}")},
        }));
    }
    for s in &report.scan.missing_shards {
        notifications.push(json!({
            "level": "error",
            "message": {"text": format!("shard {s} was not merged: its targets were not audited")},
        }));
    }
    let summary = &report.scan.summary;
    let mut properties = json!({
        "targets": summary.targets,
        "incomplete": summary.incomplete,
        "findings": summary.findings,
        "new": summary.new,
        "fixed": summary.fixed,
        "api_calls": report.scan.api_calls,
        "results_total": total,
        "results_omitted": omitted,
    });
    if !report.scan.fixed.is_empty() {
        properties["fixed"] = report
            .scan
            .fixed
            .iter()
            .map(|f| {
                json!({
                    "fingerprint": f.fingerprint,
                    "ruleId": f.finding.rule,
                    "severity": f.finding.severity,
                    "target": f.target,
                    "layer": f.finding.layer,
                })
            })
            .collect();
    }
    if let Some(s) = &report.scan.shard {
        properties["shard"] = json!(s);
    }
    if !report.scan.missing_shards.is_empty() {
        properties["missing_shards"] = json!(report.scan.missing_shards);
    }
    // Serialized through borrowing structs: `json!` would deep-copy every result (tens of
    // thousands of them) into the document before writing it.
    #[derive(Serialize)]
    struct Log<'a> {
        #[serde(rename = "$schema")]
        schema: &'a str,
        version: &'a str,
        runs: [Run<'a>; 1],
    }
    #[derive(Serialize)]
    struct Run<'a> {
        tool: Value,
        invocations: Value,
        properties: Value,
        results: Vec<&'a Value>,
    }
    let doc = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": "wsaudit",
                "version": report.tool.version,
                "informationUri": "https://github.com/wsaudit/wsaudit",
                "rules": rules.iter().map(descriptor).collect::<Vec<_>>(),
            }}),
            invocations: json!([{
                "executionSuccessful": summary.incomplete == 0 && report.scan.missing_shards.is_empty(),
                "toolExecutionNotifications": notifications,
            }]),
            properties,
            results: kept.iter().map(|c| &c.value).collect(),
        }],
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF is plain JSON");
    s.push('\n');
    s
}

/// One finding of one target.
fn result(t: &ScanTarget, f: &ScanFinding, index: Option<usize>) -> Value {
    let target = t.target.as_str();
    let finding = &f.finding;
    let mut r = json!({
        "ruleId": finding.rule,
        "message": {"text": format!("{target}: {}", message(finding))},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "locations": [location(target, f)],
        "properties": {
            "severity": finding.severity,
            "target": target,
            "layer": finding.layer,
            "provider": finding.provider,
            "fingerprint": f.fingerprint,
        },
    });
    r["level"] = json!(level(finding.severity));
    // A fixed finding is no result (see the top of this file); should one come here, it says
    // what SARIF calls it.
    if let Some(state) = f.status.map(|s| match s {
        FindingStatus::New => "new",
        FindingStatus::Unchanged => "unchanged",
        FindingStatus::Fixed => "absent",
    }) {
        r["baselineState"] = json!(state);
    }
    if let Some(i) = index {
        r["ruleIndex"] = json!(i);
    }
    r["properties"]["source"] = json!(super::render::source_text(t));
    // The fix is in the message (what code scanning shows); the JSON report has it as data.
    r
}

/// The file (and line) or cloud resource to change as the physical location GitHub requires
/// (a result with logical locations only is rejected at upload), the target and the layer as
/// logical ones.
fn location(target: &str, f: &ScanFinding) -> Value {
    let finding = &f.finding;
    let mut logical = vec![
        json!({"name": target, "fullyQualifiedName": target, "kind": "module"}),
        json!({
            "name": finding.layer,
            "fullyQualifiedName": format!("{target}#{}", finding.layer),
            "kind": "resource",
        }),
    ];
    let physical = match &finding.locator {
        Some(l) if l.kind == "file" => {
            let mut region = json!({"startLine": l.line.unwrap_or(1).max(1)});
            if let Some(c) = l.column {
                region["startColumn"] = json!(c.max(1));
            }
            json!({"artifactLocation": {"uri": uri(&l.target)}, "region": region})
        }
        Some(l) => {
            logical.push(json!({
                "name": l.field.clone().unwrap_or_else(|| finding.layer.clone()),
                "fullyQualifiedName": l.display(),
                "kind": "resource",
            }));
            json!({"artifactLocation": {"uri": uri(&l.target)}})
        }
        None => json!({"artifactLocation": {"uri": uri(target)}}),
    };
    json!({"physicalLocation": physical, "logicalLocations": logical})
}

/// A locator as a URI reference: an ARN, a path or `ws.example.com/ws/` pass as they are;
/// what a URI cannot hold (a space in a zone's name) is percent-encoded.
fn uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether the document gzips within `max` bytes at the default level (the upload action's).
/// JSON text always compresses, so a text no longer than `max` fits without compressing it.
fn fits(text: &str, max: usize) -> bool {
    text.len() <= max || gzipped_len(text) <= max
}

fn gzipped_len(text: &str) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Count(0), flate2::Compression::default());
    gz.write_all(text.as_bytes())
        .expect("counting bytes cannot fail");
    gz.finish().expect("counting bytes cannot fail").0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Chain, Scheme, Target};
    use crate::policy::Finding;
    use crate::report::scan::{ScanTarget, TargetSource};
    use crate::report::{SeverityCounts, Summary};

    fn scan(findings: usize) -> ScanReport {
        let chain = Chain::new(Target {
            domain: "ws.example.com".into(),
            path: "/ws/".into(),
            scheme: Scheme::Wss,
        });
        let severities = [Severity::Low, Severity::High, Severity::Medium];
        let findings = (0..findings)
            .map(|n| ScanFinding {
                finding: Finding {
                    rule: "WS401".into(),
                    title: "t".into(),
                    severity: severities[n % 3],
                    category: "idle".into(),
                    layer: "alb".into(),
                    provider: None,
                    // Distinct text per finding, so that it does not compress to nothing.
                    message: format!("finding {n}: {:x}", n.wrapping_mul(2654435761)),
                    headline: None,
                    evidence: serde_json::Value::Null,
                    remediation: "r".into(),
                    locator: None,
                    root_cause: Some(format!("s{n}")),
                    fix: None,
                },
                fingerprint: String::new(),
                status: None,
                target: None,
            })
            .collect();
        let target = ScanTarget {
            target: "ws.example.com/ws/".into(),
            source: TargetSource {
                kind: "declared".into(),
                from: "wsaudit.toml:1".into(),
            },
            chain,
            findings,
            summary: Summary {
                findings: SeverityCounts::default(),
                total: 0,
                suppressed: 0,
                effective_idle_s: None,
                cuts_first: None,
                incomplete: false,
                fail_on: "never".into(),
                failed: false,
                exit_code: 0,
            },
            unresolved: None,
        };
        ScanReport::new(vec![target], None, None, false, Default::default(), None)
    }

    fn results(text: &str) -> Vec<serde_json::Value> {
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        doc["runs"][0]["results"].as_array().unwrap().clone()
    }

    /// Past the gzipped-size limit, results are dropped least severe first until the
    /// document fits, and the run says how many.
    #[test]
    fn the_gzipped_limit_drops_the_least_severe() {
        let report = scan(600);
        let full = render_with_limits(&report, &[], 10_000, usize::MAX);
        assert_eq!(results(&full).len(), 600);
        let limit = gzipped_len(&full) / 2;
        let capped = render_with_limits(&report, &[], 10_000, limit);
        assert!(gzipped_len(&capped) <= limit);
        let kept = results(&capped);
        assert!(kept.len() < 600 && kept.len() > 100, "{}", kept.len());
        let levels: Vec<&str> = kept.iter().map(|r| r["level"].as_str().unwrap()).collect();
        // Most severe first: the 200 highs (error), then mediums (warning), then lows.
        let rank = |l: &str| ["error", "warning", "note"].iter().position(|x| *x == l);
        assert!(
            levels.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
            "{levels:?}"
        );
        assert_eq!(levels.iter().filter(|l| **l == "error").count(), 200);
        let doc: serde_json::Value = serde_json::from_str(&capped).unwrap();
        assert_eq!(
            doc["runs"][0]["properties"]["results_omitted"],
            600 - kept.len()
        );
        assert!(
            doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{} of 600 results left out", 600 - kept.len()))
        );
    }

    #[test]
    fn locators_become_uri_references() {
        assert_eq!(
            uri("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/b"),
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/b"
        );
        assert_eq!(uri("zone example.com"), "zone%20example.com");
        assert_eq!(uri("100%"), "100%25");
        assert_eq!(uri("ws.example.com/ws/"), "ws.example.com/ws/");
    }
}
