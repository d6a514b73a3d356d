//! The fixes wsaudit prints are the fix: applied to the configuration exactly as printed (the
//! directive at the `file:line` it names, or added to the block it names), the configuration
//! still passes a real `nginx -t`, and a second audit no longer finds what they fixed.

use crate::support::run::wsaudit;
use serde_json::Value;
use std::path::Path;

const CONF: &str = "events {}
http {
    upstream app {
        server 127.0.0.1:9000;
        server 127.0.0.1:9001;
    }
    server {
        listen 127.0.0.1:8080;
        server_name ws.example.com;
        location /ws/ {
            proxy_pass http://app;
            proxy_read_timeout 30s;
        }
    }
}
";

fn audit(conf: &Path) -> Value {
    let conf = conf.to_str().unwrap();
    let r = wsaudit(&[
        "nginx",
        conf,
        "--domain",
        "ws.example.com",
        "--path",
        "/ws/",
        "--heartbeat",
        "10s",
        "--nginx-version",
        "1.22.1",
        "--format",
        "json",
    ]);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr))
}

/// One edit as the fix text says it: replace line N, or add after line N (a block's opening
/// line), or add inside the http block.
struct Edit {
    line: usize,
    replace: bool,
    text: Vec<String>,
}

fn edits(fix: &str, http_line: usize) -> Vec<Edit> {
    let mut lines = fix.lines();
    let head = lines.next().unwrap();
    let line_no = |s: &str| -> usize {
        let at = s.split(" at ").last().unwrap();
        let n = at.split(':').nth(1).unwrap();
        n.trim_end_matches(|c: char| !c.is_ascii_digit())
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("no line in {s:?}"))
    };
    let (line, replace) = if head.starts_with("at ") {
        (line_no(head.split(", change").next().unwrap()), true)
    } else {
        (line_no(head.trim_end_matches(", add:")), false)
    };
    let mut block = Edit {
        line,
        replace,
        text: Vec::new(),
    };
    let mut http = Edit {
        line: http_line,
        replace: false,
        text: Vec::new(),
    };
    let mut to_http = false;
    for l in lines {
        let l = l.trim();
        if l.starts_with("then:") {
            break;
        }
        if l == "# and once, in the http block:" {
            to_http = true;
            continue;
        }
        if to_http {
            http.text.push(l.to_string());
        } else {
            block.text.push(l.to_string());
        }
    }
    vec![block, http]
}

#[test]
fn the_printed_nginx_fixes_pass_nginx_t_and_clear_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, CONF).unwrap();

    let before = audit(&conf);
    let mut fixed = Vec::new();
    let mut all = Vec::new();
    for f in before["findings"].as_array().unwrap() {
        let fix = &f["fix"];
        if fix["kind"] != "nginx" {
            continue;
        }
        let text = fix["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("{}:", conf.display())),
            "the fix names the file to edit: {text}"
        );
        fixed.push(f["rule"].as_str().unwrap().to_string());
        all.extend(edits(text, 2));
    }
    for rule in ["WS101", "WS103", "WS201", "WS301", "WS601", "WS701"] {
        assert!(
            fixed.iter().any(|r| r == rule),
            "{rule} has an nginx fix: {before}"
        );
    }

    // Bottom-up, so earlier line numbers stay valid; a directive two fixes share (WS101's and
    // WS103's `proxy_http_version 1.1`) is written once, as a person would.
    let mut lines: Vec<String> = CONF.lines().map(String::from).collect();
    all.sort_by_key(|e| std::cmp::Reverse((e.line, e.replace)));
    let mut written: Vec<(usize, String)> = Vec::new();
    for e in all {
        let indent = "        ";
        let new: Vec<String> = e
            .text
            .iter()
            .filter(|t| !written.contains(&(e.line, t.to_string())))
            .map(|t| format!("{indent}{t}"))
            .collect();
        for t in &e.text {
            written.push((e.line, t.clone()));
        }
        if e.replace {
            lines.splice(e.line - 1..e.line, new);
        } else {
            let at = e.line;
            lines.splice(at..at, new);
        }
    }
    std::fs::write(&conf, lines.join("\n") + "\n").unwrap();
    let patched = std::fs::read_to_string(&conf).unwrap();

    if let Some(nginx) = crate::support::nginx() {
        let (ok, err) = crate::support::nginx_t(&nginx, &conf, dir.path());
        assert!(
            ok,
            "nginx -t rejects the fixed configuration: {err}\n{patched}"
        );
    }
    let after = audit(&conf);
    let left: Vec<&str> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in &fixed {
        assert!(
            !left.contains(&rule.as_str()),
            "{rule} is still found after its fix:\n{patched}\n{after}"
        );
    }
}
