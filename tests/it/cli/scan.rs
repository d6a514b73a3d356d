//! `wsaudit scan` through the binary, on nginx configurations in a temp dir (the AWS and
//! Cloudflare inventories have their own tests): declared and discovered targets, the list,
//! shards, the baseline and `--fail-on-new`, and every bad input ending in exit 2 with where.

use crate::support::run::{wsaudit_full, Run, NO_AWS};
use serde_json::Value;
use std::path::Path;

/// `servers` WebSocket servers `s0.example.com` …: each proxies `/ws/` with the upgrade
/// headers and a 1 h read timeout, except those in `broken`, which forget the headers.
fn nginx_conf(servers: usize, broken: &[usize]) -> String {
    let mut s = String::from("events {}\nhttp {\n");
    for i in 0..servers {
        let headers = if broken.contains(&i) {
            ""
        } else {
            "            proxy_http_version 1.1;\n            proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection \"upgrade\";\n"
        };
        s.push_str(&format!(
            "    server {{\n        listen 80;\n        server_name s{i}.example.com;\n        location /ws/ {{\n            proxy_pass http://127.0.0.1:{};\n{headers}            proxy_read_timeout 3600s;\n            proxy_send_timeout 3600s;\n        }}\n    }}\n",
            9000 + i
        ));
    }
    s.push_str("}\n");
    s
}

const DISCOVER: &str = "[scan]\ndiscover = [\"nginx\"]\nnginx_conf = \"conf/nginx.conf\"\n";

fn setup(settings: &str, conf: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf")).unwrap();
    std::fs::write(dir.path().join("conf/nginx.conf"), conf).unwrap();
    std::fs::write(dir.path().join("wsaudit.toml"), settings).unwrap();
    dir
}

fn scan(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    let mut e: Vec<(&str, &str)> = NO_AWS.to_vec();
    e.push(("CLOUDFLARE_API_TOKEN", ""));
    e.extend_from_slice(env);
    wsaudit_full(dir, &all, None, &e)
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

fn ids(v: &Value) -> Vec<String> {
    v["scan"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect()
}

fn rules_of<'a>(v: &'a Value, target: &str) -> Vec<&'a str> {
    let t = v["scan"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn discovered_and_declared_targets_are_judged_each_on_its_own() {
    let settings = format!(
        "{DISCOVER}\n[[target]]\ndomain = \"s1.example.com\"\npath = \"/ws/\"\nnginx_conf = \"conf/nginx.conf\"\nheartbeat = \"30s\"\n"
    );
    let dir = setup(&settings, &nginx_conf(3, &[2]));
    let r = scan(dir.path(), &["--format", "json"], &[]);
    let v = json(&r);
    assert_eq!(
        ids(&v),
        [
            "s0.example.com/ws/",
            "s1.example.com/ws/",
            "s2.example.com/ws/"
        ]
    );
    let t = &v["scan"]["targets"];
    assert_eq!(t[1]["source"]["kind"], "declared");
    assert_eq!(t[1]["source"]["from"], "wsaudit.toml:5");
    assert_eq!(t[0]["source"]["kind"], "discovered");
    assert_eq!(t[0]["source"]["from"], "nginx conf/nginx.conf:6");
    // The broken server drops the upgrade headers: that target, and only it, fails.
    assert!(rules_of(&v, "s2.example.com/ws/").contains(&"WS101"), "{v}");
    assert!(!rules_of(&v, "s0.example.com/ws/").contains(&"WS101"));
    assert_eq!(v["scan"]["summary"]["targets"], 3);
    assert_eq!(v["scan"]["summary"]["exit_code"], r.code);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // No account was configured: the edge layers are "not consulted", not gaps, and no API
    // was called.
    assert_eq!(v["scan"]["api_calls"], serde_json::json!({}));
    assert!(
        r.stderr.contains("3 targets (1 declared, 2 discovered)"),
        "{}",
        r.stderr
    );
}

#[test]
fn list_targets_prints_each_target_with_its_source() {
    let dir = setup(DISCOVER, &nginx_conf(2, &[]));
    let r = scan(dir.path(), &["--list-targets"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "s0.example.com/ws/\tdiscovered\tnginx conf/nginx.conf:6\n\
         s1.example.com/ws/\tdiscovered\tnginx conf/nginx.conf:18\n"
    );
}

#[test]
fn shards_split_the_targets_and_an_indexed_job_picks_its_own() {
    let dir = setup(DISCOVER, &nginx_conf(12, &[]));
    let all = ids(&json(&scan(dir.path(), &["--format", "json"], &[])));
    assert_eq!(all.len(), 12);
    let mut union = Vec::new();
    for i in 1..=3 {
        let spec = format!("{i}/3");
        let r = scan(dir.path(), &["--format", "json", "--shard", &spec], &[]);
        let v = json(&r);
        assert_eq!(v["scan"]["shard"], spec.as_str());
        let part = ids(&v);
        // Kubernetes' JOB_COMPLETION_INDEX is 0-based.
        let index = (i - 1).to_string();
        let k = scan(
            dir.path(),
            &["--format", "json", "--shard-count", "3"],
            &[("JOB_COMPLETION_INDEX", &index)],
        );
        assert_eq!(ids(&json(&k)), part, "the pod index picks the same shard");
        union.extend(part);
    }
    union.sort();
    assert_eq!(union, all, "every target in exactly one shard");
}

#[test]
fn a_baseline_marks_findings_and_fail_on_new_fails_only_on_regressions() {
    let dir = setup(DISCOVER, &nginx_conf(3, &[0]));
    let first = scan(
        dir.path(),
        &["--format", "json", "-o", "baseline.json"],
        &[],
    );
    assert_eq!(first.code, 1, "{}", first.stderr);

    // Nothing changed: every finding unchanged, and --fail-on-new passes.
    let again = scan(
        dir.path(),
        &[
            "--format",
            "json",
            "--baseline",
            "baseline.json",
            "--fail-on-new",
        ],
        &[],
    );
    let v = json(&again);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(v["scan"]["summary"]["new"], 0);
    for t in v["scan"]["targets"].as_array().unwrap() {
        for f in t["findings"].as_array().unwrap() {
            assert_eq!(f["status"], "unchanged", "{f}");
        }
    }

    // s0 fixed, s2 broken: one finding fixed, one new, and the run fails on the new one.
    std::fs::write(dir.path().join("conf/nginx.conf"), nginx_conf(3, &[2])).unwrap();
    let later = scan(
        dir.path(),
        &[
            "--format",
            "json",
            "--baseline",
            "baseline.json",
            "--fail-on-new",
        ],
        &[],
    );
    let v = json(&later);
    assert_eq!(later.code, 1, "{}", later.stderr);
    let new: Vec<&Value> = v["scan"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap())
        .filter(|f| f["status"] == "new")
        .collect();
    assert!(new
        .iter()
        .any(|f| f["rule"] == "WS101" && f["layer"].as_str().unwrap().contains("s2.example.com")));
    let fixed = v["scan"]["fixed"].as_array().unwrap();
    assert!(
        fixed
            .iter()
            .any(|f| f["rule"] == "WS101" && f["target"] == "s0.example.com/ws/"),
        "{fixed:?}"
    );
    assert_eq!(v["scan"]["summary"]["fixed"], fixed.len());
}

#[test]
fn a_declared_target_nothing_serves_is_listed_unresolved_and_the_scan_incomplete() {
    let dir = setup(
        "[[target]]\ndomain = \"nowhere.example.com\"\npath = \"/ws\"\n",
        &nginx_conf(1, &[]),
    );
    let r = scan(dir.path(), &["--format", "json"], &[]);
    let v = json(&r);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let t = &v["scan"]["targets"][0];
    assert_eq!(t["target"], "nowhere.example.com/ws");
    assert!(
        t["unresolved"]
            .as_str()
            .unwrap()
            .starts_with("no layer read serves it"),
        "{t}"
    );
    assert_eq!(v["scan"]["summary"]["incomplete"], 1);
}

#[test]
fn bad_input_is_exit_2_with_where() {
    let conf = nginx_conf(1, &[]);
    let cases: &[(&str, &[&str], &str)] = &[
        (
            DISCOVER,
            &["--shard", "3/2"],
            "--shard \"3/2\": expected I/N",
        ),
        (
            DISCOVER,
            &["--shard", "1/2", "--shard-count", "3"],
            "disagree",
        ),
        (
            "[[target]]\npath = \"/ws\"\n",
            &[],
            "wsaudit.toml:1:1: a [[target]] needs a `domain`",
        ),
        (
            "[[aws.account]]\nrole_arn = \"arn:aws:iam::12:role/x\"\n",
            &[],
            "wsaudit.toml:2:12: role_arn",
        ),
        (
            "[scan]\ndiscover = [\"nginx\"]\nshards = 4\n",
            &[],
            "wsaudit.toml:3:1:",
        ),
        ("[scan]\nconcurrency = 4\n", &[], "nothing to scan"),
        (
            "[scan]\ndiscover = [\"nginx\"]\n",
            &[],
            "no `nginx_conf` names the configuration",
        ),
        (
            DISCOVER,
            &["--baseline", "conf/nginx.conf"],
            "conf/nginx.conf:1:1: not a wsaudit scan report",
        ),
    ];
    for (settings, args, expected) in cases {
        let dir = setup(settings, &conf);
        let r = scan(dir.path(), args, &[]);
        assert_eq!(r.code, 2, "{settings} {args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(expected),
            "{settings} {args:?}: expected {expected:?} in {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "nothing reported on a usage error");
    }
}
