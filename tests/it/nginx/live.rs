//! Routing checked against a real nginx: the select fixture is served on a free loopback port
//! with each location tagging its responses with its own line number, and every case must be
//! answered by the location `route` picked (or with the 301 it predicted). The `if` fixture is
//! served too: a WebSocket handshake nginx answers itself must be exactly the one wsaudit
//! says never reaches the upstream.

use crate::support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;
use wsaudit::providers::nginx::{
    read_config, route, Config, Input, NginxVersion, Query, Routed, VersionSource,
};

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

/// Serves `conf` (a fixture's text) with a real nginx on `port`, until the guard is dropped.
fn serve(conf: &str, port: u16) -> (Nginx, tempfile::TempDir) {
    let bin = nginx().expect("checked by the caller");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new(&bin)
        .arg("-c")
        .arg(&path)
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
    let guard = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start on {port}");
        std::thread::yield_now();
    }
    (guard, dir)
}

/// (status, X-Loc header) of `GET path` with `Host: host`.
fn get(port: u16, host: &str, path: &str) -> (u16, Option<String>) {
    request(port, host, path, "Connection: close\r\n")
}

/// The status nginx gives a browser's WebSocket handshake.
fn handshake(port: u16, host: &str, path: &str) -> u16 {
    let headers = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    request(port, host, path, headers).0
}

fn request(port: u16, host: &str, path: &str, headers: &str) -> (u16, Option<String>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n").unwrap();
    // Only the head is needed; a handshake's connection may stay open after it.
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let buf = String::from_utf8_lossy(&head);
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

/// A fixture's text (to serve) and wsaudit's reading of it.
fn fixture(name: &str) -> (String, Config) {
    let path = repo().join(format!("tests/fixtures/nginx/{name}/nginx.conf"));
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg = read_config(&Input::File(path.to_string_lossy().to_string())).unwrap();
    (text, cfg)
}

/// What wsaudit says nginx does for `host` + `path`.
fn routed(cfg: &Config, host: &str, path: &str) -> Routed {
    let q = Query {
        host: host.into(),
        path: path.into(),
        port: None,
    };
    route(cfg, &q, &VersionSource::Given(NginxVersion(1, 22, 1))).unwrap()
}

#[test]
fn routing_matches_a_real_nginx() {
    if nginx().is_none() {
        return;
    }
    let (original, cfg) = fixture("select");
    let port = free_port();
    let _nginx = serve(&tagged(&original, port), port);

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
        let r = routed(&cfg, host, path);
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

/// Every handshake wsaudit says nginx answers itself (a true `if` with `return`, a server-level
/// redirect) gets that answer from a real nginx; every other one is proxied (502: nothing
/// listens upstream).
#[test]
fn handshakes_nginx_answers_itself_match_a_real_nginx() {
    if nginx().is_none() {
        return;
    }
    let (original, cfg) = fixture("if");
    let (port, dead) = (free_port(), free_port());
    let conf = original
        .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
        .replace("127.0.0.1:9001", &format!("127.0.0.1:{dead}"))
        .replace("127.0.0.1:9002", &format!("127.0.0.1:{dead}"));
    let _nginx = serve(&conf, port);

    let cases = [
        ("ws.example.com", "/hub/chat", 502),
        ("ws.example.com", "/ws/", 403),
        ("ws.example.com", "/live/", 502),
        ("old.example.com", "/ws/", 301),
        ("guarded.example.com", "/ws/", 502),
        ("guarded.example.com", "/legacy/ws/", 301),
        ("guarded.example.com", "/closed/", 410),
        ("behind-lb.example.com", "/ws/", 301),
    ];
    for (host, path, status) in cases {
        let layer = routed(&cfg, host, path).layer;
        let answered = layer.websocket.value == Some(wsaudit::model::WebsocketSupport::Disabled);
        assert_eq!(handshake(port, host, path), status, "{host}{path}");
        assert_eq!(
            answered,
            status != 502,
            "{host}{path}: wsaudit says {layer:?}"
        );
    }
}

/// A real nginx sends each handshake through its internal rewrites to the location wsaudit
/// says it ends in (each location tags its answers with its line).
#[test]
fn internal_rewrites_end_where_a_real_nginx_ends() {
    if nginx().is_none() {
        return;
    }
    let (original, cfg) = fixture("rewrite");
    let port = free_port();
    let _nginx = serve(&tagged(&original, port), port);
    let headers = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    let host = "rw.example.com";
    for path in [
        "/old-socket/chat",
        "/v1/stream",
        "/v1/other",
        "/cable/x",
        "/legacy/a",
        "/pinned/a",
        "/maybe/a",
        "/socket/a",
    ] {
        let r = routed(&cfg, host, path);
        let (status, tag) = request(port, host, path, headers);
        let line = r.at.rsplit(':').next().unwrap();
        assert_eq!(
            (status, tag.as_deref()),
            (502, Some(format!("L{line}").as_str())),
            "{path}: wsaudit says {} via {:?}",
            r.at,
            r.rewrites
        );
    }
    // `$request_uri` keeps the path the client sent: the rewritten /gate/ handshake is refused
    // where a direct one to /inner/ is proxied.
    for (path, status) in [("/gate/x", 403), ("/inner/x", 502)] {
        let answered = routed(&cfg, host, path).layer.websocket.value
            == Some(wsaudit::model::WebsocketSupport::Disabled);
        assert_eq!(request(port, host, path, headers).0, status, "{path}");
        assert_eq!(answered, status == 403, "{path}");
    }
    // The rewrite loop: nginx gives up with a 500, wsaudit says the handshake never proxies.
    assert_eq!(request(port, host, "/loop/a", headers).0, 500);
    assert_eq!(
        routed(&cfg, host, "/loop/a").layer.websocket.value,
        Some(wsaudit::model::WebsocketSupport::Disabled)
    );
}

/// A fixture served on `port` with every location tagging its answers with its line in the
/// original file (`X-Loc: L19`), and every upstream (`127.0.0.1:90xx`) moved to a port where
/// nothing listens, so each proxied request is a 502 from the location that proxied it.
fn tagged(original: &str, port: u16) -> String {
    let dead = free_port();
    let mut out = String::new();
    for (i, line) in original.lines().enumerate() {
        let mut line = line.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
        if let Some(at) = line.find("127.0.0.1:90") {
            line.replace_range(at..at + 14, &format!("127.0.0.1:{dead}"));
        }
        out.push_str(&line);
        out.push('\n');
        if line.trim_start().starts_with("location ") && line.trim_end().ends_with('{') {
            out.push_str(&format!("add_header X-Loc \"L{}\" always;\n", i + 1));
        }
    }
    out
}
