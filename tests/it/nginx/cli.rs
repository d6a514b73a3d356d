//! `wsaudit nginx` as a user runs it: exit codes, the finding's file:line, and `nginx parse`
//! bytes equal to `crossplane parse`.

use crate::support;

use std::process::{Command, Output, Stdio};
use support::*;

fn wsaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsaudit"))
        .args(args)
        .current_dir(repo())
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/nginx/{name}/nginx.conf")
}

#[test]
fn a_broken_location_exits_1_with_the_line_to_change() {
    let conf = fixture("inherit");
    let out = wsaudit(&[
        "nginx",
        &conf,
        "--domain",
        "ws.example.com",
        "--path",
        "/ws/",
        "--nginx-version",
        "1.22.1",
        "--heartbeat",
        "25s",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ws101 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WS101")
        .expect("WS101");
    assert_eq!(ws101["locator"]["target"], conf.as_str());
    assert_eq!(ws101["locator"]["line"], 19);
    assert_eq!(v["chain"]["layers"][0]["id"], "nginx:ws.example.com/ws/");
}

#[test]
fn a_correct_configuration_exits_0() {
    let out = wsaudit(&[
        "nginx",
        &fixture("good"),
        "--nginx-version",
        "1.22.1",
        "--heartbeat",
        "25s",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_read_error_exits_2_and_never_reports_no_findings() {
    let out = wsaudit(&["nginx", "tests/fixtures/nginx-errors/unterminated.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tests/fixtures/nginx-errors/unterminated.conf:4:20: unexpected end of file"),
        "{err}"
    );
}

#[test]
fn parse_prints_what_crossplane_prints() {
    let Some(cp) = crossplane() else { return };
    for name in ["syntax", "includes", "select"] {
        let conf = repo().join(fixture(name)).to_string_lossy().to_string();
        let out = wsaudit(&["nginx", "parse", &conf]);
        assert_eq!(out.status.code(), Some(0));
        let ours = String::from_utf8(out.stdout).unwrap();
        assert_eq!(ours.trim_end(), crossplane_parse(&cp, &conf), "{name}");
    }
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read(repo().join(fixture("keepalive_recipe"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsaudit"))
        .args([
            "nginx",
            "-",
            "--nginx-version",
            "1.22.1",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    let ws102 = f.iter().find(|f| f["rule"] == "WS102").expect("WS102");
    assert_eq!(ws102["locator"]["target"], "-");
    assert_eq!(ws102["locator"]["line"], 18);
}

/// Every location is judged as its own chain, but a suppression applies to the report: one that
/// silences a finding of one location is used, not "matches no finding" because the other
/// locations lack it.
#[test]
fn a_suppression_of_one_location_is_used_across_all_locations() {
    let conf = fixture("inherit");
    let base = [
        "nginx",
        &conf,
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
    ];
    let before: serde_json::Value = serde_json::from_slice(&wsaudit(&base).stdout).unwrap();
    assert!(
        before["chain"]["layers"].as_array().unwrap().len() >= 2,
        "the fixture has several WebSocket locations"
    );
    let target = &before["findings"][0];
    let (rule, layer) = (
        target["rule"].as_str().unwrap(),
        target["layer"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("w.toml");
    std::fs::write(
        &cfg,
        format!("[[suppress]]\nrule = {rule:?}\nlayer = {layer:?}\nreason = \"tracked in OPS-1\"\nexpires = \"2099-01-01\"\n"),
    )
    .unwrap();
    let mut args = base.to_vec();
    let cfg = cfg.to_string_lossy().to_string();
    args.extend(["--config", &cfg]);
    let out = wsaudit(&args);
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        after["notices"],
        serde_json::json!([]),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let suppressed = after["suppressed"].as_array().unwrap();
    assert!(
        suppressed
            .iter()
            .any(|s| s["finding"]["rule"] == rule && s["finding"]["layer"] == layer),
        "{suppressed:?}"
    );
    assert!(!support::has_finding(&after, rule, layer));
}

/// A path nginx rewrites internally is judged as the location it ends in, and both the
/// report and the progress lines say which rewrite took it there.
#[test]
fn a_rewritten_path_is_judged_where_nginx_sends_it() {
    let conf = fixture("rewrite");
    let out = wsaudit(&[
        "nginx",
        &conf,
        "--domain",
        "rw.example.com",
        "--path",
        "/legacy/chat",
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "/legacy/chat rewritten to /socket/chat by {conf}:31"
        )),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let layer = &v["chain"]["layers"][0];
    assert_eq!(layer["id"], "nginx:rw.example.com/socket/");
    assert_eq!(
        layer["name"],
        format!("server rw.example.com location /socket/ (reached by the rewrite at {conf}:31)")
    );
    // /legacy/ itself would cut at 5 s; /socket/ at 3600 s.
    assert_eq!(layer["idle_timeout"]["value"], 3600);
}
