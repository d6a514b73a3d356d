//! Real servers on loopback for the probe tests: a WebSocket backend written with
//! tokio-tungstenite, a real nginx in front of it (temporary prefix, free port), and a real
//! HAProxy that can stand in front of either (a hop wsaudit has no provider for).
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// What the backend does once a client is upgraded.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// Echoes data frames, sends nothing of its own.
    Echo,
    /// Pings at this interval and closes with 1002 when a ping is not answered by the next
    /// tick: a probe that stops answering pings is caught.
    PingEvery(Duration),
    /// Sends a Close frame with this code after the delay.
    CloseAfter(Duration, u16),
    /// Pings at the first interval, then sends a Close frame with this code after the delay.
    PingThenClose(Duration, Duration, u16),
}

/// Serves WebSocket upgrades on a free loopback port until the test's runtime ends.
pub async fn start_backend(mode: Backend) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind backend");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve(tcp, mode));
        }
    });
    addr
}

/// One upgraded connection, over any stream (plain or TLS).
pub async fn serve<S>(stream: S, mode: Backend)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    match mode {
        Backend::Echo => {
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_text() || msg.is_binary() {
                    let _ = ws.send(msg).await;
                }
            }
        }
        Backend::PingThenClose(every, after, code) => {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            let end = tokio::time::sleep(after);
            tokio::pin!(end);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if ws.send(Message::Ping(b"hb".to_vec().into())).await.is_err() { return; }
                    }
                    _ = &mut end => {
                        let _ = ws.close(Some(CloseFrame { code: CloseCode::from(code), reason: "done".into() })).await;
                        while let Some(Ok(_)) = ws.next().await {}
                        return;
                    }
                    m = ws.next() => if !matches!(m, Some(Ok(_))) { return },
                }
            }
        }
        Backend::PingEvery(every) => {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            let mut awaiting_pong = false;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if awaiting_pong {
                            let _ = ws.close(Some(CloseFrame { code: CloseCode::Protocol, reason: "no pong".into() })).await;
                            return;
                        }
                        if ws.send(Message::Ping(b"hb".to_vec().into())).await.is_err() { return; }
                        awaiting_pong = true;
                    }
                    m = ws.next() => match m {
                        Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                }
            }
        }
        Backend::CloseAfter(after, code) => {
            tokio::time::sleep(after).await;
            let _ = ws
                .close(Some(CloseFrame {
                    code: CloseCode::from(code),
                    reason: "backend says bye".into(),
                }))
                .await;
            while let Some(Ok(_)) = ws.next().await {}
        }
    }
}

/// A server process a test started, killed when dropped.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server on a free loopback port and waits, with a deadline, until it accepts. A free
/// port is found by binding and releasing it; another process may take it in between, so a
/// start whose error output says the address was taken (`in_use`) is retried on a new port.
/// `spawn` writes its configuration into the directory it is given and starts the server with
/// its standard error in `stderr.log` there.
fn start_on_free_port(
    what: &str,
    in_use: &[&str],
    spawn: impl Fn(u16, &Path) -> Child,
) -> (u16, Process, tempfile::TempDir) {
    let mut last_err = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let mut child = Process(spawn(port, dir.path()));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.0.try_wait() {
                let log = |name: &str| std::fs::read_to_string(dir.path().join(name));
                last_err = format!(
                    "{what} exited ({status}): {}{}",
                    log("stderr.log").unwrap_or_default(),
                    log("error.log").unwrap_or_default()
                );
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (port, child, dir);
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not listen on 127.0.0.1:{port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        if !in_use.iter().any(|m| last_err.contains(m)) {
            break;
        }
    }
    panic!("{last_err}");
}

/// Where `spawn` sends a server's standard error: `stderr.log` in its directory.
fn stderr_file(dir: &Path) -> std::fs::File {
    std::fs::File::create(dir.join("stderr.log")).unwrap()
}

/// A real nginx in the foreground, killed when dropped.
pub struct Nginx {
    pub port: u16,
    _process: Process,
    pub prefix: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx proxying `location /ws/` to `backend`; `location_body` holds the
    /// location's directives besides `proxy_pass`.
    pub fn start(bin: &PathBuf, backend: SocketAddr, location_body: &str) -> Nginx {
        Self::start_with(bin, backend, "", "", location_body)
    }

    /// Like [`Nginx::start`], with directives added to the `http` block (a `log_format`) and to
    /// the server (more locations). Relative paths are under the prefix ([`Nginx::prefix`]).
    pub fn start_with(
        bin: &PathBuf,
        backend: SocketAddr,
        http_extra: &str,
        server_extra: &str,
        location_body: &str,
    ) -> Nginx {
        let (port, process, prefix) = start_on_free_port("nginx", &["in use"], |port, dir| {
            let p = dir.display().to_string();
            std::fs::create_dir_all(dir.join("tmp")).unwrap();
            let conf = format!(
                r#"daemon off;
master_process off;
worker_processes 1;
error_log {p}/error.log info;
pid {p}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {p}/tmp/body;
  proxy_temp_path {p}/tmp/proxy;
  fastcgi_temp_path {p}/tmp/fastcgi;
  uwsgi_temp_path {p}/tmp/uwsgi;
  scgi_temp_path {p}/tmp/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  {http_extra}
  server {{
    listen 127.0.0.1:{port};
    {server_extra}
    location /ws/ {{
      proxy_pass http://{backend};
      {location_body}
    }}
  }}
}}
"#
            );
            let conf_path = dir.join("nginx.conf");
            std::fs::write(&conf_path, conf).unwrap();
            Command::new(bin)
                .arg("-p")
                .arg(dir)
                .arg("-e")
                .arg(dir.join("error.log"))
                .arg("-c")
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr_file(dir))
                .spawn()
                .expect("spawn nginx")
        });
        Nginx {
            port,
            _process: process,
            prefix,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws/", self.port)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("error.log")).unwrap_or_default()
    }
}

/// A real HAProxy in the foreground (`-db`), killed when dropped.
pub struct Haproxy {
    pub port: u16,
    _process: Process,
    pub dir: tempfile::TempDir,
}

impl Haproxy {
    /// Starts HAProxy in `mode http` proxying to `backend`, with `timeout tunnel` (the idle
    /// timeout of an upgraded connection) set to `tunnel`. The configuration is checked with
    /// `haproxy -c` first, so a bad one fails with HAProxy's own words.
    pub fn start(bin: &PathBuf, backend: SocketAddr, tunnel: &str) -> Haproxy {
        let in_use = ["Address already in use", "cannot bind"];
        let (port, process, dir) = start_on_free_port("haproxy", &in_use, |port, dir| {
            let conf = format!(
                r#"global
  maxconn 64

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout tunnel {tunnel}

frontend ws
  bind 127.0.0.1:{port}
  default_backend app

backend app
  server app1 {backend}
"#
            );
            let conf_path = dir.join("haproxy.cfg");
            std::fs::write(&conf_path, conf).unwrap();
            let check = Command::new(bin)
                .arg("-c")
                .arg("-f")
                .arg(&conf_path)
                .output()
                .expect("run haproxy -c");
            assert!(
                check.status.success(),
                "haproxy -c rejected the test configuration: {}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
            Command::new(bin)
                .arg("-f")
                .arg(&conf_path)
                .arg("-db")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr_file(dir))
                .spawn()
                .expect("spawn haproxy")
        });
        Haproxy {
            port,
            _process: process,
            dir,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws/", self.port)
    }
}

/// A real Caddy in the foreground (JSON config, its admin API on its own loopback port),
/// killed when dropped.
pub struct Caddy {
    pub port: u16,
    pub admin_port: u16,
    _process: Process,
    pub dir: tempfile::TempDir,
}

impl Caddy {
    /// The JSON config with one plain-HTTP server on `port` proxying everything to `backend`.
    pub fn config(port: u16, admin_port: u16, backend: SocketAddr) -> serde_json::Value {
        serde_json::json!({
            "admin": {"listen": format!("127.0.0.1:{admin_port}")},
            "apps": {"http": {"servers": {"ws": {
                "listen": [format!("127.0.0.1:{port}")],
                "automatic_https": {"disable": true},
                "routes": [{"handle": [{
                    "handler": "reverse_proxy",
                    "upstreams": [{"dial": backend.to_string()}]
                }]}]
            }}}}
        })
    }

    /// Starts Caddy on a free port with `config` (written to `caddy.json` in its directory).
    pub fn start(bin: &PathBuf, backend: SocketAddr) -> Caddy {
        let in_use = ["address already in use"];
        let admin_port = std::cell::Cell::new(0);
        let (port, process, dir) = start_on_free_port("caddy", &in_use, |port, dir| {
            let admin = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            admin_port.set(admin);
            let conf = dir.join("caddy.json");
            std::fs::write(&conf, Caddy::config(port, admin, backend).to_string()).unwrap();
            Command::new(bin)
                .args(["run", "--config"])
                .arg(&conf)
                .env("HOME", dir)
                .env("XDG_DATA_HOME", dir)
                .env("XDG_CONFIG_HOME", dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr_file(dir))
                .spawn()
                .expect("spawn caddy")
        });
        Caddy {
            port,
            admin_port: admin_port.get(),
            _process: process,
            dir,
        }
    }
}

/// The location lines DESIGN's nginx checks want for a WebSocket.
pub const WS_LOCATION: &str = "proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;";

/// The rule ids the built-in pack raises for a `wsaudit probe` run on its own.
pub fn rules_fired(url: &str, facts: wsaudit::model::ProbeFacts) -> Vec<String> {
    use wsaudit::providers::probe::{probe_chain, ProbeTarget};
    let chain = probe_chain(&ProbeTarget::parse(url).unwrap(), facts);
    let mut pack = wsaudit::policy::RulePack::load(None).expect("built-in pack");
    let eval = pack
        .evaluate(&chain, &wsaudit::policy::Config::default())
        .expect("evaluate");
    eval.findings.into_iter().map(|f| f.rule).collect()
}
