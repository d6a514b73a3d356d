//! Shared test helpers: finding the real tools (and failing, not skipping, under CI when one
//! is missing), running them, and reading JSON reports.
#![allow(dead_code)]

pub mod aws;
pub mod cloudflare;
pub mod nginx_corpus;
pub mod probe;
pub mod run;
pub mod scan;

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The tool from `$env`, else from PATH (and `/usr/sbin`, where Debian puts nginx).
pub fn require(env: &str, name: &str) -> Option<PathBuf> {
    let found = std::env::var_os(env)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path(name));
    required(found, name, env)
}

/// The one gate for everything a test needs from outside the crate (a server binary, the
/// emulator): missing, it is a skip on a developer's machine and a failure under `CI=true`,
/// where a green run must mean the real thing ran.
pub fn required<T>(found: Option<T>, what: &str, env: &str) -> Option<T> {
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{what} is required under CI=true (set {env} or run scripts/test.sh)");
        }
        eprintln!("SKIP: {what} not found (set {env} or run scripts/test.sh)");
    }
    found
}

pub fn nginx() -> Option<PathBuf> {
    require("WSAUDIT_NGINX_BIN", "nginx")
}

pub fn haproxy() -> Option<PathBuf> {
    require("WSAUDIT_HAPROXY_BIN", "haproxy")
}

pub fn caddy() -> Option<PathBuf> {
    require("WSAUDIT_CADDY_BIN", "caddy")
}

pub fn tmux() -> Option<PathBuf> {
    require("WSAUDIT_TMUX_BIN", "tmux")
}

pub fn crossplane() -> Option<PathBuf> {
    require("WSAUDIT_CROSSPLANE_BIN", "crossplane")
}

/// Copies a fixture directory into a fresh temp dir (so `nginx -t` can use it as prefix).
pub fn stage(fixture: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture, dir.path());
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// `nginx -t` on `conf` with `prefix` as the prefix: (success, stderr).
pub fn nginx_t(bin: &Path, conf: &Path, prefix: &Path) -> (bool, String) {
    let out = Command::new(bin)
        .args(["-t", "-q", "-c"])
        .arg(conf)
        .arg("-p")
        .arg(format!("{}/", prefix.display()))
        .args(["-e", "stderr"])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `crossplane parse FILE` output, without the trailing newline.
pub fn crossplane_parse(bin: &Path, conf: &str) -> String {
    let out = Command::new(bin).args(["parse", conf]).output().unwrap();
    assert!(out.status.success(), "crossplane failed on {conf}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// The directories under tests/fixtures/nginx, each holding an nginx.conf.
pub fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/fixtures/nginx"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("nginx.conf").is_file())
        .collect();
    v.sort();
    v
}

/// The layer ids of a JSON report's chain, outermost first.
pub fn report_layer_ids(report: &serde_json::Value) -> Vec<&str> {
    report["chain"]["layers"]
        .as_array()
        .expect("a report's chain has layers")
        .iter()
        .map(|l| l["id"].as_str().expect("a layer id"))
        .collect()
}

/// The rule ids of a findings array (a report's, a route's or a scan target's `findings`).
pub fn rules_of(findings: &serde_json::Value) -> Vec<String> {
    findings
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| f["rule"].as_str().expect("a rule id").to_string())
        .collect()
}

/// The report's first finding of `rule`; its absence fails the test with the findings there are.
pub fn finding<'a>(report: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .expect("a report has findings")
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {:#}", report["findings"]))
}

/// Whether a JSON report has a finding of `rule` on `layer`.
pub fn has_finding(report: &serde_json::Value, rule: &str, layer: &str) -> bool {
    report["findings"]
        .as_array()
        .expect("a report has findings")
        .iter()
        .any(|f| f["rule"] == rule && f["layer"] == layer)
}
