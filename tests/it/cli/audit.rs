//! `wsaudit audit`: the verdict, the exit-code contract and the errors a user sees.

use crate::support::run::*;
use serde_json::{json, Value};

#[test]
fn example_incident_names_the_alb_default_as_the_cut() {
    let r = wsaudit(&["audit", &example(), "--format", "json"]);
    assert_eq!(
        r.code, 1,
        "a high finding fails the default --fail-on high\n{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).expect("stdout is one JSON document");
    assert_eq!(v["summary"]["cuts_first"], "alb");
    assert_eq!(v["summary"]["effective_idle_s"], 60);
    assert_eq!(v["summary"]["exit_code"], 1);
    let ws401: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "WS401")
        .collect();
    assert_eq!(ws401.len(), 1);
    assert_eq!(ws401[0]["layer"], "alb");
    assert_eq!(ws401[0]["severity"], "high");
    assert_eq!(ws401[0]["locator"]["kind"], "resource");
    assert!(ws401[0]["message"]
        .as_str()
        .unwrap()
        .contains("60 s (default)"));
    assert!(
        r.stderr.is_empty() || !r.stderr.contains('{'),
        "no JSON on stderr"
    );
}

#[test]
fn table_marks_the_weakest_link() {
    let r = wsaudit(&["audit", &example()]);
    assert_eq!(r.code, 1);
    let alb_row = r
        .stdout
        .lines()
        .find(|l| l.contains("web-alb") && l.contains("┆"))
        .unwrap();
    assert!(alb_row.contains("<- cuts first"), "{alb_row}");
    assert!(r.stdout.contains("WS401"));
    assert!(!r.stdout.contains("\u{1b}["), "no colour codes when piped");
}

#[test]
fn fail_on_controls_the_exit_code() {
    assert_eq!(
        wsaudit(&["audit", &example(), "--fail-on", "never"]).code,
        0
    );
    assert_eq!(
        wsaudit(&["audit", &example(), "--fail-on", "critical"]).code,
        0
    );
    assert_eq!(wsaudit(&["audit", &example(), "--fail-on", "info"]).code, 1);
}

#[test]
fn gaps_make_the_audit_incomplete_exit_3() {
    let mut chain = example_json();
    // Align the timeouts so no high finding fails the run, then lose a layer.
    for l in chain["layers"].as_array_mut().unwrap() {
        if l.get("idle_timeout").is_some() {
            l["idle_timeout"]["value"] = json!(600);
        }
    }
    chain["gaps"] = json!([{"layer": "cloudflare", "provider": "cloudflare",
        "reason": "Cloudflare API answered 403 (code 9109: Invalid access token)", "code": "access-denied"}]);
    let r = wsaudit_stdin(
        &["audit", "-", "--format", "json", "--fail-on", "critical"],
        &chain.to_string(),
    );
    assert_eq!(r.code, 3, "{}", r.stdout);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["incomplete"], true);
    let table = wsaudit_stdin(&["audit", "-", "--fail-on", "critical"], &chain.to_string());
    assert!(table.stdout.contains("INCOMPLETE"), "{}", table.stdout);
    assert!(table.stdout.contains("Invalid access token"));
}

#[test]
fn a_saved_report_re_judges_like_the_chain() {
    let first = wsaudit(&["audit", &example(), "--format", "json"]);
    let again = wsaudit_stdin(&["audit", "-", "--format", "json"], &first.stdout);
    assert_eq!(again.code, first.code);
    assert_eq!(first.stdout, again.stdout);
}

#[test]
fn wrong_type_names_the_json_path() {
    let mut chain = example_json();
    chain["layers"][1]["idle_timeout"]["value"] = json!("sixty");
    let r = wsaudit_stdin(&["audit", "-"], &chain.to_string());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("layers[1].idle_timeout.value"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "nothing audited, nothing reported");
}

#[test]
fn missing_field_and_bad_version_and_bad_json() {
    let mut chain = example_json();
    chain["layers"][0].as_object_mut().unwrap().remove("kind");
    let r = wsaudit_stdin(&["audit", "-"], &chain.to_string());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("layers[0]") && r.stderr.contains("kind"),
        "{}",
        r.stderr
    );

    let mut chain = example_json();
    chain["schema_version"] = json!("7");
    let r = wsaudit_stdin(&["audit", "-"], &chain.to_string());
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("schema_version \"7\" is not supported"),
        "{}",
        r.stderr
    );

    let r = wsaudit_stdin(
        &["audit", "-"],
        "{\"schema_version\": \"1\",\n  \"layers\": [}",
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("<stdin>: not valid JSON at line 2"),
        "{}",
        r.stderr
    );

    let r = wsaudit(&["audit", "does-not-exist.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does-not-exist.json"), "{}", r.stderr);
}

#[test]
fn heartbeat_flag_is_recorded_in_the_chain() {
    let r = wsaudit(&[
        "audit",
        &example(),
        "--format",
        "json",
        "--heartbeat",
        "25s",
    ]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["chain"]["heartbeat"]["interval_s"], 25);
    assert_eq!(v["chain"]["heartbeat"]["direction"], "server_to_client");
    assert_eq!(v["chain"]["heartbeat"]["source"], "declared");
    let bad = wsaudit(&["audit", &example(), "--heartbeat", "soon"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--heartbeat"), "{}", bad.stderr);
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let r = wsaudit(&[
        "audit",
        &example(),
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["summary"]["cuts_first"], "alb");
}
