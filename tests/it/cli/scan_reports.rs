//! The scan report in every format, from shards merged by the real binary: SARIF (one run,
//! logical locations, fingerprints, baseline states, the official 2.1.0 schema, GitHub's
//! 25,000-result cap on a 30,000-finding scan), JUnit (a suite per target, unresolved targets
//! and unread layers as errors), and the exact bytes of the Markdown and table summaries.

use super::reports::{sarif_schema, validate};
use crate::support::run::*;
use crate::support::scan::*;
use serde_json::{json, Value};
use std::path::Path;

fn merge_in(dir: &Path, args: &[&str]) -> Run {
    let mut argv = vec!["merge"];
    argv.extend_from_slice(args);
    wsaudit_in(dir, &argv)
}

/// A small scan: the bundled incident (declared), the same chain with a layer not read and a
/// 25 s heartbeat (discovered), and a target that could not be resolved; and a baseline from
/// a run before in which the ALB of the incident had a longer timeout and one more target.
fn small_scan(dir: &Path) -> (String, String) {
    let ws = target(
        &chain_for("ws.example.com", "/ws/"),
        ("declared", "wsaudit.toml:3"),
        &[],
    );
    let mut gap = chain_for("api.example.com", "/cable/");
    gap["gaps"] = json!([{"layer": "cloudflare", "provider": "cloudflare",
        "reason": "the token lacks Zone Read", "code": "access-denied"}]);
    let api = target(
        &gap,
        ("discovered", "cloudfront E2EXAMPLE1234 alias"),
        &["--heartbeat", "25s"],
    );
    let gone = unresolved(
        "old.example.com",
        "/ws/",
        "no DNS record for old.example.com",
    );
    let s1 = write(
        dir,
        "shard-1.json",
        &shard(
            Some("1/2"),
            vec![ws, gone],
            &[("elasticloadbalancing", 7), ("cloudfront", 2)],
        ),
    );
    let s2 = write(
        dir,
        "shard-2.json",
        &shard(
            Some("2/2"),
            vec![api],
            &[("elasticloadbalancing", 5), ("cloudflare", 4)],
        ),
    );

    let mut before = chain_for("ws.example.com", "/ws/");
    before["layers"][1]["idle_timeout"]["value"] = json!(3600);
    let prev = write(
        dir,
        "prev.json",
        &shard(
            None,
            vec![
                target(&before, ("declared", "wsaudit.toml:3"), &[]),
                target(
                    &chain_for("retired.example.com", "/ws/"),
                    ("declared", "wsaudit.toml:12"),
                    &["--heartbeat", "25s"],
                ),
            ],
            &[],
        ),
    );
    let r = merge_in(dir, &[&prev, "--format", "json", "-o", "baseline.json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    (s1, s2)
}

fn args<'a>(s: &'a (String, String), format: &'a str) -> Vec<&'a str> {
    vec![
        &s.0,
        &s.1,
        "--baseline",
        "baseline.json",
        "--format",
        format,
    ]
}

#[test]
fn sarif_is_one_run_tracked_by_fingerprint_with_baseline_states() {
    let dir = tempfile::tempdir().unwrap();
    let shards = small_scan(dir.path());
    let r = merge_in(dir.path(), &args(&shards, "sarif"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let errors = validate(&sarif_schema(), &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let typed: serde_sarif::sarif::Sarif = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(typed.runs.len(), 1, "one run for the whole scan");

    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let metas: Vec<Value> =
        serde_json::from_str(&wsaudit(&["rules", "--format", "json"]).stdout).unwrap();
    assert_eq!(rules.len(), metas.len(), "the pack's descriptors");
    let results = run["results"].as_array().unwrap();
    let json_report: Value =
        serde_json::from_str(&merge_in(dir.path(), &args(&shards, "json")).stdout).unwrap();
    let findings: Vec<&Value> = json_report["scan"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap())
        .collect();
    let fixed = json_report["scan"]["fixed"].as_array().unwrap();
    assert!(!fixed.is_empty());
    // Fixed findings are no results (GitHub would open an alert for each): the run lists them.
    assert_eq!(results.len(), findings.len());

    for res in results {
        // GitHub rejects a result without a physical location; the target and the layer are
        // the logical ones.
        let loc = &res["locations"][0];
        assert!(
            loc["physicalLocation"]["artifactLocation"]["uri"].is_string(),
            "{res}"
        );
        let target = res["properties"]["target"].as_str().unwrap();
        assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], target);
        assert_eq!(loc["logicalLocations"][0]["kind"], "module");
        assert_eq!(
            loc["logicalLocations"][1]["fullyQualifiedName"],
            format!("{target}#{}", res["properties"]["layer"].as_str().unwrap())
        );
        assert_eq!(
            rules[res["ruleIndex"].as_u64().unwrap() as usize]["id"],
            res["ruleId"]
        );
        assert!(res["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{target}: ")));
    }
    // The fingerprint GitHub tracks across runs is the report's own.
    let by_fp = |fp: &str| {
        results
            .iter()
            .find(|r| r["partialFingerprints"]["wsauditFingerprint/v1"] == fp)
            .unwrap_or_else(|| panic!("no result for {fp}"))
    };
    for f in &findings {
        let res = by_fp(f["fingerprint"].as_str().unwrap());
        let want = match f["status"].as_str().unwrap() {
            "new" => "new",
            "unchanged" => "unchanged",
            other => panic!("{other}"),
        };
        assert_eq!(res["baselineState"], want, "{res}");
        assert_eq!(res["kind"], Value::Null);
    }
    let listed = run["properties"]["fixed"].as_array().unwrap();
    assert_eq!(listed.len(), fixed.len());
    for (f, l) in fixed.iter().zip(listed) {
        assert_eq!(l["fingerprint"], f["fingerprint"]);
        assert_eq!(l["ruleId"], f["rule"]);
        assert_eq!(l["target"], f["target"]);
        assert!(!results
            .iter()
            .any(
                |r| r["partialFingerprints"]["wsauditFingerprint/v1"] == f["fingerprint"]
                    && r["baselineState"] == "absent"
            ));
    }
    let alb = results
        .iter()
        .find(|r| r["ruleId"] == "WS301" && r["properties"]["target"] == "ws.example.com/ws/")
        .unwrap();
    assert!(
        alb["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:elasticloadbalancing:eu-west-1:123456789012:")
    );
    // The unread layer and the unresolved target are said in the run, which did not succeed.
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes: Vec<&str> = inv["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"]["text"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(
            &"old.example.com/ws/: could not be resolved: no DNS record for old.example.com"
        ),
        "{notes:?}"
    );
    assert!(notes.contains(&"api.example.com/cable/: cloudflare (cloudflare) could not be read: the token lacks Zone Read"), "{notes:?}");
    assert_eq!(run["properties"]["results_omitted"], 0);
    assert_eq!(run["properties"]["api_calls"]["elasticloadbalancing"], 12);
}

/// GitHub accepts 25,000 results per run: a 30,000-finding scan keeps the 25,000 most severe
/// and says in the run how many it left out, and stays under the 10 MB gzipped upload limit.
#[test]
fn sarif_keeps_the_most_severe_25000_of_a_30000_finding_scan() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain_for("t.example.com", "/ws/");
    let severities = ["low", "high", "medium"];
    let mut targets = Vec::new();
    for t in 0..300 {
        let mut c = chain.clone();
        c["target"]["domain"] = json!(format!("t{t}.example.com"));
        let findings: Vec<Value> = (0..100)
            .map(|i| {
                let n = t * 100 + i;
                json!({
                    "rule": "WS401", "title": "Outer idle timeout shorter than inner",
                    "severity": severities[n % 3], "category": "idle", "layer": "alb",
                    "provider": "alb",
                    "message": format!("synthetic finding {n}: web-alb closes idle WebSockets after 60 s"),
                    "evidence": {"n": n}, "remediation": "Raise the ALB idle timeout.",
                    "locator": {"kind": "resource", "target": format!("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/lb{n}/1"), "field": "idle_timeout"},
                    "root_cause": format!("alb.setting{i}"),
                    "fingerprint": "",
                })
            })
            .collect();
        targets.push(json!({
            "target": format!("t{t}.example.com/ws/"),
            "source": {"kind": "discovered", "from": "alb listener rule"},
            "chain": c,
            "findings": findings,
            "summary": {"findings": {"critical": 0, "high": 34, "medium": 33, "low": 33, "info": 0},
                "total": 100, "suppressed": 0, "effective_idle_s": 60, "cuts_first": "alb",
                "incomplete": false, "fail_on": "never", "failed": false, "exit_code": 0},
        }));
    }
    let big = write(dir.path(), "big.json", &shard(None, targets, &[]));
    let r = merge_in(
        dir.path(),
        &[
            &big,
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "-o",
            "big.sarif",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read(dir.path().join("big.sarif")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &text).unwrap();
    let gzipped = gz.finish().unwrap().len();
    assert!(gzipped <= 10_000_000, "{gzipped} bytes gzipped");
    let doc: Value = serde_json::from_slice(&text).unwrap();
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    let count = |level: &str| results.iter().filter(|r| r["level"] == level).count();
    assert_eq!(count("error"), 10_000, "every high kept");
    assert_eq!(count("warning"), 10_000, "every medium kept");
    assert_eq!(count("note"), 5_000, "the low ones fill the rest");
    let fps: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["wsauditFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fps.len(), 25_000, "one fingerprint per finding");
    assert_eq!(run["properties"]["results_total"], 30_000);
    assert_eq!(run["properties"]["results_omitted"], 5_000);
    let note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        note.starts_with("5000 of 30000 results left out: GitHub code scanning accepts at most 25000 results per run"),
        "{note}"
    );
    assert!(note.contains("the least severe kept is low"), "{note}");
    eprintln!(
        "30,000-finding scan: SARIF {} bytes, {gzipped} gzipped",
        text.len()
    );
}

#[test]
fn junit_has_one_suite_per_target_with_unresolved_and_unread_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    let shards = small_scan(dir.path());
    let r = merge_in(dir.path(), &args(&shards, "junit"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut reader = quick_xml::Reader::from_str(&r.stdout);
    let mut suites: Vec<(String, String)> = Vec::new();
    let mut errors: Vec<(String, String, String)> = Vec::new();
    let mut case = String::new();
    let attr = |e: &quick_xml::events::BytesStart, k: &str| {
        e.try_get_attribute(k)
            .unwrap()
            .unwrap()
            .unescape_value()
            .unwrap()
            .to_string()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                suites.push((attr(&e, "name"), attr(&e, "errors")));
            }
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == b"testcase" =>
            {
                case = attr(&e, "name");
            }
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == b"error" => {
                errors.push((case.clone(), attr(&e, "type"), attr(&e, "message")));
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        suites,
        [
            ("api.example.com/cable/".to_string(), "1".to_string()),
            ("old.example.com/ws/".to_string(), "1".to_string()),
            ("ws.example.com/ws/".to_string(), "0".to_string()),
        ]
    );
    assert!(
        errors.contains(&(
            "resolve old.example.com/ws/".into(),
            "unresolved".into(),
            "no DNS record for old.example.com".into()
        )),
        "{errors:?}"
    );
    assert!(
        errors.contains(&(
            "read cloudflare".into(),
            "access-denied".into(),
            "the token lacks Zone Read".into()
        )),
        "{errors:?}"
    );
    assert!(
        r.stdout
            .contains("<testcase name=\"WS401 on alb\" classname=\"wsaudit.WS401\">"),
        "{}",
        r.stdout
    );
}

fn check_golden(name: &str, got: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("WSAUDIT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run with WSAUDIT_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert!(
        got == want,
        "{name} differs from the golden file\n--- got ---\n{got}"
    );
}

/// The exact bytes of the Markdown and the table for the small scan (regenerate with
/// `WSAUDIT_UPDATE_GOLDEN=1 cargo test --test it cli::scan_reports` after an intended change).
#[test]
fn markdown_and_table_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let shards = small_scan(dir.path());
    let md = merge_in(dir.path(), &args(&shards, "markdown"));
    assert_eq!(md.code, 1, "{}", md.stderr);
    // The summary table comes first, one row per target, before any target's details.
    let table_at = md
        .stdout
        .find("| Target | Source | Worst | Cuts first | Top finding | Read | New |")
        .unwrap();
    assert!(table_at < md.stdout.find("## wsaudit: ").unwrap());
    check_golden("scan.md", &md.stdout);
    let table = merge_in(dir.path(), &args(&shards, "table"));
    assert_eq!(table.code, 1);
    check_golden("scan.table.txt", &table.stdout);
}
