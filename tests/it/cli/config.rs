//! wsaudit.toml and --policy: thresholds, selection, overrides, suppressions, user rules, and
//! the exit-2 errors that point at the file and line.

use crate::support::run::*;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}\n{}", r.stdout, r.stderr))
}

#[test]
fn severity_override_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "w.toml", "[rules.severity]\nWS401 = \"low\"\n");
    let r = wsaudit(&["audit", &example(), "--format", "json", "--config", &cfg]);
    assert_eq!(
        r.code, 0,
        "WS401 downgraded to low no longer fails --fail-on high"
    );
    let v = json(&r);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WS401")
        .unwrap();
    assert_eq!(f["severity"], "low");

    let cfg = write(dir.path(), "d.toml", "[rules]\ndisable = [\"WS401\"]\n");
    let r = wsaudit(&["audit", &example(), "--format", "json", "--config", &cfg]);
    let v = json(&r);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "WS401"));
}

#[test]
fn default_config_is_read_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "wsaudit.toml",
        "[rules]\ndisable = [\"WS401\"]\n",
    );
    let r = wsaudit_in(dir.path(), &["audit", &example(), "--format", "json"]);
    assert!(json(&r)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "WS401"));
}

#[test]
fn live_suppression_sets_the_finding_aside_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "w.toml",
        "[[suppress]]\nrule = \"WS401\"\nlayer = \"alb\"\nreason = \"raise planned in OPS-42\"\nexpires = \"2099-12-31\"\n",
    );
    let r = wsaudit(&["audit", &example(), "--format", "json", "--config", &cfg]);
    let v = json(&r);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "WS401"));
    assert_eq!(v["suppressed"][0]["finding"]["rule"], "WS401");
    assert_eq!(v["suppressed"][0]["reason"], "raise planned in OPS-42");
    assert_eq!(v["summary"]["suppressed"], 1);
}

#[test]
fn expired_suppression_stops_suppressing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "w.toml",
        "[[suppress]]\nrule = \"WS401\"\nreason = \"temporary\"\nexpires = \"2020-01-31\"\n",
    );
    let r = wsaudit(&["audit", &example(), "--format", "json", "--config", &cfg]);
    assert_eq!(r.code, 1);
    let v = json(&r);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "WS401"));
    let notice = v["notices"][0].as_str().unwrap();
    assert!(
        notice.contains("w.toml:1") && notice.contains("expired on 2020-01-31"),
        "{notice}"
    );
    assert!(
        r.stderr.contains("expired on 2020-01-31"),
        "notices also go to stderr"
    );
}

#[test]
fn suppression_matching_nothing_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "w.toml",
        "[[suppress]]\nrule = \"WS401\"\nlayer = \"cloudflare\"\nreason = \"old CDN\"\nexpires = \"2099-01-01\"\n",
    );
    let v = json(&wsaudit(&[
        "audit",
        &example(),
        "--format",
        "json",
        "--config",
        &cfg,
    ]));
    let notice = v["notices"][0].as_str().unwrap();
    assert!(notice.contains("matches no finding"), "{notice}");
}

#[test]
fn config_errors_point_at_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "baseline_idle_s = 300\nheartbeat_margine = 0.5\n",
            ":2:1:",
            "unknown field",
        ),
        (
            "[rules.severity]\nWS402 = \"urgent\"\n",
            ":2:",
            "unknown severity",
        ),
        (
            "[rules]\ndisable = [\"WS410\"]\n",
            ":2:",
            "unknown rule id `WS410`; did you mean",
        ),
        (
            "[[suppress]]\nrule = \"WS401\"\nexpires = \"2099-01-01\"\n",
            ":1:",
            "reason",
        ),
        (
            "[[suppress]]\nrule = \"WS401\"\nreason = \"x\"\nexpires = \"next week\"\n",
            ":4:",
            "YYYY-MM-DD",
        ),
        ("baseline_idle_s = \n", ":1:", ""),
    ];
    for (i, (text, at, says)) in cases.iter().enumerate() {
        let cfg = write(dir.path(), &format!("c{i}.toml"), text);
        let r = wsaudit(&["audit", &example(), "--config", &cfg]);
        assert_eq!(r.code, 2, "case {i}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("c{i}.toml{at}")),
            "case {i}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(says), "case {i}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "case {i}: nothing audited");
    }
    let r = wsaudit(&["audit", &example(), "--config", "no-such.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no-such.toml"), "{}", r.stderr);
}

#[test]
fn user_rules_load_run_and_document_themselves() {
    let dir = repo().join("tests/data/policy_ok");
    let dir = dir.to_str().unwrap();
    let rules = wsaudit(&["rules", "--format", "json", "--policy", dir]);
    assert_eq!(rules.code, 0, "{}", rules.stderr);
    assert!(rules.stdout.contains("\"ACME101\""));
    let explain = wsaudit(&["explain", "acme101", "--policy", dir]);
    assert!(explain
        .stdout
        .starts_with("ACME101: Public WebSocket endpoints must use wss://"));

    let mut chain = example_json();
    chain["target"]["scheme"] = "ws".into();
    let r = wsaudit_stdin(
        &["audit", "-", "--format", "json", "--policy", dir],
        &chain.to_string(),
    );
    let v = json(&r);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "ACME101")
        .unwrap();
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["layer"], "chain");
}

#[test]
fn malformed_user_rule_is_exit_2_with_file_and_line() {
    let dir = repo().join("tests/data/policy_bad");
    let r = wsaudit(&["audit", &example(), "--policy", dir.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken.rego:"), "{}", r.stderr);
    assert!(
        r.stderr.contains(":10:") || r.stderr.contains(":9:"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn user_rule_without_metadata_or_with_a_taken_id_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nometa.rego",
        "package wsaudit.rules.x1\n\nimport rego.v1\n\nfindings contains f if { false; f := {} }\n",
    );
    let r = wsaudit(&["rules", "--policy", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nometa.rego:1") && r.stderr.contains("no `metadata`"),
        "{}",
        r.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dup.rego",
        &std::fs::read_to_string(repo().join("policies/ws401_outer_idle_shorter.rego"))
            .unwrap()
            .replace("rules.ws401", "rules.mine"),
    );
    let r = wsaudit(&["rules", "--policy", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("rule WS401 is defined twice"),
        "{}",
        r.stderr
    );
}

/// The incident chain (CloudFront 600 s counting origin→client bytes only, ALB 60 s, nginx
/// 3600 s) with the heartbeat declared in wsaudit.toml: WS401/WS402 follow the consequence.
#[test]
fn a_heartbeat_that_keeps_every_layer_alive_turns_the_idle_mismatch_into_a_low_dead_setting() {
    let dir = tempfile::tempdir().unwrap();
    let sev = |v: &Value, rule: &str| crate::support::finding(v, rule).clone();
    let covered = write(
        dir.path(),
        "covered.toml",
        "[heartbeat]\ninterval = \"25s\"\ndirection = \"server_to_client\"\n",
    );
    let r = wsaudit(&[
        "audit",
        &example(),
        "--format",
        "json",
        "--config",
        &covered,
    ]);
    assert_eq!(r.code, 0, "nothing high is left\n{}", r.stdout);
    let v = json(&r);
    for rule in ["WS401", "WS402"] {
        let f = sev(&v, rule);
        assert_eq!(f["severity"], "low", "{f:#}");
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains("keeps every layer alive") && m.contains("dead setting"),
            "{m}"
        );
    }

    // Sent by the client, the same heartbeat does not reset CloudFront: the cut is real.
    let upstream = write(
        dir.path(),
        "upstream.toml",
        "[heartbeat]\ninterval = \"25s\"\ndirection = \"client_to_server\"\n",
    );
    let r = wsaudit(&[
        "audit",
        &example(),
        "--format",
        "json",
        "--config",
        &upstream,
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let v = json(&r);
    assert_eq!(sev(&v, "WS401")["severity"], "high");
    assert_eq!(sev(&v, "WS402")["severity"], "medium");

    // The user's override still wins over the rule's own grading.
    let pinned = write(
        dir.path(),
        "pinned.toml",
        "[heartbeat]\ninterval = \"25s\"\ndirection = \"server_to_client\"\n\n[rules.severity]\nWS401 = \"high\"\n",
    );
    let r = wsaudit(&["audit", &example(), "--format", "json", "--config", &pinned]);
    assert_eq!(r.code, 1);
    assert_eq!(sev(&json(&r), "WS401")["severity"], "high");

    let r = wsaudit(&["explain", "WS401"]);
    assert!(r.stdout.contains("drops to low"), "{}", r.stdout);
}
