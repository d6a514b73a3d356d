//! HAProxy as a layer, through the binary: the handshake routed as HAProxy routes it (ACLs,
//! `use_backend`, `default_backend`, `http-request` rules), the tunnel's idle timeout with the
//! line that sets it (inherited from `defaults` included), stickiness and logs, the printed
//! fixes accepted by a real `haproxy -c` and clearing their findings, and every fixture checked
//! by `haproxy -c` so none is a configuration HAProxy would refuse.

mod live;

use crate::support::run::{wsaudit, Run};
use crate::support::{finding, has_finding};
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> String {
    format!("tests/fixtures/haproxy/{name}")
}

fn routed(conf: &str, domain: &str, path: &str, extra: &[&str]) -> (Run, Value) {
    let mut args = vec![
        "haproxy", conf, "--domain", domain, "--path", path, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let r = wsaudit(&args);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    (r, v)
}

fn haproxy_check(conf: &Path) -> (bool, String) {
    let Some(bin) = crate::support::haproxy() else {
        return (true, String::new());
    };
    let out = std::process::Command::new(bin)
        .arg("-c")
        .arg("-f")
        .arg(conf)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn every_fixture_but_the_broken_one_passes_haproxy_c() {
    for e in std::fs::read_dir(crate::support::repo().join("tests/fixtures/haproxy")).unwrap() {
        let p = e.unwrap().path();
        let (ok, out) = haproxy_check(&p);
        if crate::support::haproxy().is_none() {
            return;
        }
        let broken = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("broken");
        assert_eq!(ok, !broken, "{}: {out}", p.display());
    }
}

#[test]
fn a_malformed_file_is_exit_2_with_file_line_and_column() {
    let r = wsaudit(&[
        "haproxy",
        &fixture("broken.cfg"),
        "--domain",
        "a",
        "--path",
        "/",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        "wsaudit: error: tests/fixtures/haproxy/broken.cfg:7:29: unmatched double quote"
    );
    let r = wsaudit(&["haproxy", "tests/fixtures/haproxy/nope.cfg"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("tests/fixtures/haproxy/nope.cfg: "),
        "{}",
        r.stderr
    );
}

#[test]
fn a_file_haproxy_c_refuses_is_exit_2_alone_and_a_gap_in_a_chain() {
    if crate::support::haproxy().is_none() {
        return;
    }
    let conf = fixture("broken-keyword.cfg");
    let r = wsaudit(&["haproxy", &conf, "--domain", "a", "--path", "/"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("broken-keyword.cfg:7:1: unknown keyword 'use_backen' in 'frontend' section")
            && r.stderr.contains("(haproxy -c)"),
        "{}",
        r.stderr
    );
    let r = wsaudit(&[
        "chain",
        "--domain",
        "a",
        "--path",
        "/",
        "--no-nginx",
        "--haproxy-conf",
        &conf,
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let gap = &v["chain"]["gaps"][0];
    assert_eq!(gap["layer"], "haproxy");
    assert_eq!(gap["code"], "unreadable-config");
    assert!(
        gap["reason"]
            .as_str()
            .unwrap()
            .contains("broken-keyword.cfg:7:1"),
        "{gap}"
    );
    assert_eq!(r.code, 3, "incomplete: {}", r.stderr);
}

#[test]
fn the_websocket_acls_pick_the_chat_backend_and_its_30_s_client_timeout_cuts() {
    let (r, v) = routed(&fixture("chat.cfg"), "chat.example.com", "/ws/room/1", &[]);
    assert!(
        r.stderr.contains("frontend public → backend chat"),
        "{}",
        r.stderr
    );
    let layer = &v["chain"]["layers"][0];
    assert_eq!(layer["id"], "haproxy:public>chat");
    assert_eq!(layer["provider"], "haproxy");
    // No `timeout tunnel`: the 30 s `timeout client` of the defaults section applies.
    assert_eq!(layer["idle_timeout"]["value"], 30.0);
    assert_eq!(layer["idle_timeout"]["origin"]["line"], 13);
    assert_eq!(layer["targets"]["value"], 2);
    assert_eq!(layer["stickiness"]["value"]["mode"], "none");
    let id = "haproxy:public>chat";
    assert!(has_finding(&v, "WS201", id), "{}", v["findings"]);
    assert!(has_finding(&v, "WS301", id));
    // httplog logs %Tt and the server: WS701 stays quiet.
    assert!(!has_finding(&v, "WS701", id));
    assert_eq!(
        r.code, 0,
        "medium findings are below the default --fail-on high"
    );

    // The same frontend sends /api/ elsewhere, and anything else to the default backend.
    let (_, v) = routed(&fixture("chat.cfg"), "chat.example.com", "/api/x", &[]);
    assert_eq!(v["chain"]["layers"][0]["id"], "haproxy:public>api");
    let (_, v) = routed(&fixture("chat.cfg"), "chat.example.com", "/", &[]);
    assert_eq!(v["chain"]["layers"][0]["id"], "haproxy:public>web");
}

#[test]
fn a_tuned_backend_inherits_its_tunnel_timeout_from_named_defaults() {
    let (_, v) = routed(
        &fixture("tuned.cfg"),
        "chat.example.com",
        "/ws/",
        &["--heartbeat", "25s"],
    );
    let layer = &v["chain"]["layers"][0];
    assert_eq!(layer["id"], "haproxy:public>chat");
    assert_eq!(layer["idle_timeout"]["value"], 3600.0);
    assert_eq!(layer["idle_timeout"]["origin"]["line"], 15);
    assert_eq!(
        layer["idle_timeout"]["origin"]["field"],
        "timeout tunnel 1h"
    );
    assert_eq!(layer["stickiness"]["value"]["mode"], "source_ip");
    assert_eq!(layer["drain_timeout"]["value"], 1800.0);
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        0,
        "{}",
        v["findings"]
    );
    // Another host misses the anonymous host ACL and goes to the web backend.
    let (_, v) = routed(&fixture("tuned.cfg"), "www.example.com", "/ws/", &[]);
    assert_eq!(v["chain"]["layers"][0]["id"], "haproxy:public>web");
}

#[test]
fn a_frontend_that_denies_or_strips_the_upgrade_is_judged_for_it() {
    let (r, v) = routed(&fixture("refuses.cfg"), "locked.example.com", "/ws/", &[]);
    assert_eq!(v["chain"]["layers"][0]["id"], "haproxy:public");
    assert!(
        has_finding(&v, "WS104", "haproxy:public"),
        "{}",
        v["findings"]
    );
    assert_eq!(
        finding(&v, "WS104")["locator"]["line"],
        12,
        "points at the http-request deny"
    );
    assert_eq!(r.code, 1);
    let (_, v) = routed(&fixture("refuses.cfg"), "stripped.example.com", "/ws/", &[]);
    assert!(
        has_finding(&v, "WS101", "haproxy:public>app"),
        "{}",
        v["findings"]
    );
    assert_eq!(finding(&v, "WS101")["locator"]["line"], 13);
    // An unrelated host passes both rules untouched.
    let (_, v) = routed(&fixture("refuses.cfg"), "open.example.com", "/ws/", &[]);
    assert!(!has_finding(&v, "WS101", "haproxy:public>app"));
    assert!(!has_finding(&v, "WS104", "haproxy:public>app"));
}

#[test]
fn tcp_mode_falls_back_to_the_shorter_of_client_and_server_timeouts() {
    let (_, v) = routed(&fixture("tcp.cfg"), "ws.example.com", "/ws/", &[]);
    let layer = &v["chain"]["layers"][0];
    assert_eq!(layer["id"], "haproxy:wss_passthrough");
    assert_eq!(layer["idle_timeout"]["value"], 20.0);
    assert_eq!(layer["idle_timeout"]["origin"]["line"], 6);
    // No HTTP is spoken in TCP mode: nothing about Upgrade or the HTTP version is judged.
    assert!(!has_finding(&v, "WS101", "haproxy:wss_passthrough"));
    assert!(!has_finding(&v, "WS103", "haproxy:wss_passthrough"));
    assert!(has_finding(&v, "WS201", "haproxy:wss_passthrough"));
}

#[test]
fn the_listing_judges_only_the_routes_that_carry_websockets() {
    let r = wsaudit(&["haproxy", &fixture("chat.cfg"), "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let ids: Vec<&str> = v["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["haproxy:public>chat"], "{}", r.stderr);
    assert!(
        r.stderr.contains("1 of 3 frontend → backend routes"),
        "{}",
        r.stderr
    );
}

/// The printed fixes, applied as printed, pass `haproxy -c` and clear their findings.
#[test]
fn the_printed_haproxy_fixes_pass_haproxy_c_and_clear_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("haproxy.cfg");
    std::fs::copy(fixture("chat.cfg"), &conf).unwrap();
    let conf_s = conf.to_str().unwrap();
    let (_, before) = routed(conf_s, "chat.example.com", "/ws/", &["--heartbeat", "25s"]);
    let mut lines: Vec<String> = std::fs::read_to_string(&conf)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let mut edits: Vec<(usize, bool, Vec<String>)> = Vec::new();
    let mut fixed = Vec::new();
    for f in before["findings"].as_array().unwrap() {
        if f["fix"]["kind"] != "haproxy" {
            continue;
        }
        fixed.push(f["rule"].as_str().unwrap().to_string());
        let text = f["fix"]["text"].as_str().unwrap();
        let head = text.lines().next().unwrap();
        let at = head.split(&format!("{conf_s}:")).nth(1).unwrap();
        let line: usize = at
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let replace = head.starts_with("at ");
        let body: Vec<String> = text
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("then:"))
            .map(|l| format!("  {}", l.trim().split("   #").next().unwrap()))
            .collect();
        edits.push((line, replace, body));
    }
    assert_eq!(fixed, ["WS201", "WS301"], "{}", before["findings"]);
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (line, replace, body) in edits {
        if replace {
            lines.splice(line - 1..line, body);
        } else {
            lines.splice(line..line, body);
        }
    }
    std::fs::write(&conf, lines.join("\n") + "\n").unwrap();
    let (ok, out) = haproxy_check(&conf);
    assert!(
        ok,
        "haproxy -c rejects the fixed file: {out}\n{}",
        lines.join("\n")
    );
    let (_, after) = routed(conf_s, "chat.example.com", "/ws/", &["--heartbeat", "25s"]);
    for rule in fixed {
        assert!(
            !has_finding(&after, &rule, "haproxy:public>chat"),
            "{rule}: {}",
            lines.join("\n")
        );
    }
}

#[test]
fn chain_places_haproxy_in_front_of_nginx() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let nginx = dir.path().join("nginx.conf");
    std::fs::write(
        &nginx,
        "events {}\nhttp {\n  server {\n    listen 127.0.0.1:9001;\n    server_name chat.example.com;\n    location /ws/ {\n      proxy_pass http://127.0.0.1:3000;\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection \"upgrade\";\n      proxy_read_timeout 3600s;\n    }\n  }\n}\n",
    )
    .unwrap();
    let r = crate::support::run::wsaudit_full(
        &crate::support::repo(),
        &[
            "chain",
            "--domain",
            "chat.example.com",
            "--path",
            "/ws/",
            "--haproxy-conf",
            &fixture("chat.cfg"),
            "--nginx-conf",
            nginx.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
        crate::support::run::NO_AWS,
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let ids = crate::support::report_layer_ids(&v);
    assert_eq!(
        ids,
        ["haproxy:public>chat", "nginx:chat.example.com/ws/"],
        "{}",
        r.stderr
    );
    // HAProxy's 30 s cuts before nginx's hour.
    assert!(
        has_finding(&v, "WS401", "haproxy:public>chat"),
        "{}",
        v["findings"]
    );
    assert_eq!(v["summary"]["cuts_first"], "haproxy:public>chat");
}
