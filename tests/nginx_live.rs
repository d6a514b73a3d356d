//! Routing checked against a real nginx: the select fixture is served on a free loopback port
//! with each location tagging its responses with its own line number, and every case must be
//! answered by the location `route` picked (or with the 301 it predicted).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;
use wsaudit::providers::nginx::{read_config, route, Input, NginxVersion, Query, VersionSource};

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// (status, X-Loc header) of `GET path` with `Host: host`.
fn get(port: u16, host: &str, path: &str) -> (u16, Option<String>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let loc = buf
        .lines()
        .find_map(|l| l.strip_prefix("X-Loc: "))
        .map(|v| v.trim().to_string());
    (status, loc)
}

#[test]
fn routing_matches_a_real_nginx() {
    let Some(bin) = nginx() else { return };
    let fixture = repo().join("tests/fixtures/nginx/select/nginx.conf");
    let original = std::fs::read_to_string(&fixture).unwrap();
    let port = free_port();
    // Tag every location with its line in the original file; serve on the free port.
    let mut tagged = String::new();
    for (i, line) in original.lines().enumerate() {
        tagged.push_str(&line.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")));
        tagged.push('\n');
        if line.trim_start().starts_with("location ") && line.trim_end().ends_with('{') {
            tagged.push_str(&format!("add_header X-Loc \"L{}\" always;\n", i + 1));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, tagged).unwrap();
    let child = Command::new(&bin)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(format!("{}/", dir.path().display()))
        .args([
            "-e",
            "stderr",
            "-g",
            "daemon off; master_process off; pid logs/nginx.pid;",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start on {port}");
        std::thread::yield_now();
    }

    let cfg = read_config(&Input::File(fixture.to_string_lossy().to_string())).unwrap();
    let v = VersionSource::Given(NginxVersion(1, 22, 1));
    let cases = [
        ("ws.example.com", "/socket/x"),
        ("ws.example.com", "/socket/a.io"),
        ("ws.example.com", "/static/a.io"),
        ("ws.example.com", "/x/Y.JS"),
        ("ws.example.com", "/socket/exact"),
        ("ws.example.com", "/app/x"),
        ("ws.example.com", "/app/live"),
        ("ws.example.com", "/other/live"),
        ("ws.example.com", "/socket"),
        ("ws.example.com", "/news/feed"),
        ("ws.example.com", "/app/feed"),
        ("foo.example.com", "/socket/x"),
        ("www.example.org", "/static/a.io"),
        ("api7.example.net", "/x"),
        ("nobody.org", "/ws/"),
    ];
    for (host, path) in cases {
        let q = Query {
            host: host.into(),
            path: path.into(),
            port: None,
        };
        let r = route(&cfg, &q, &v).unwrap();
        let (status, tag) = get(port, host, path);
        if r.redirect.is_some() {
            assert_eq!(status, 301, "{host}{path}: nginx did not redirect");
            continue;
        }
        let line = r.at.rsplit(':').next().unwrap();
        assert_eq!(
            tag.as_deref(),
            Some(format!("L{line}").as_str()),
            "{host}{path}: wsaudit picked {} (status {status})",
            r.at
        );
    }
}
