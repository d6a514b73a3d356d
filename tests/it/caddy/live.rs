//! A real Caddy on loopback proxying a real WebSocket backend: a config reload through the
//! admin API closes an open WebSocket at once (close 1001), and wsaudit reads that same
//! config as a layer that gives open WebSockets no time on reload (WS302).

use crate::support::probe::{start_backend, Backend, Caddy};
use crate::support::run::wsaudit_full;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn handshake(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(
        b"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // One message there and back: the tunnel is up end to end (Caddy tracks the upgraded
    // connection once it has hijacked it, a moment after the 101 is written).
    s.write_all(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2])
        .unwrap();
    let mut echo = [0u8; 4];
    s.read_exact(&mut echo).unwrap();
    assert_eq!(echo, [0x81, 2, b'h', b'i']);
    s
}

/// POST /load with the config, as `caddy reload` does.
fn reload(admin: u16, config: &serde_json::Value) {
    let body = config.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", admin)).unwrap();
    write!(
        s,
        "POST /load HTTP/1.1\r\nHost: 127.0.0.1:{admin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_closes_an_open_websocket_and_ws302_says_so() {
    let Some(bin) = crate::support::caddy() else {
        return;
    };
    let backend = start_backend(Backend::Echo).await;
    let caddy = Caddy::start(&bin, backend);
    let (port, admin) = (caddy.port, caddy.admin_port);
    let dir = caddy.dir.path().to_path_buf();
    let closed = tokio::task::spawn_blocking(move || {
        let mut ws = handshake(port);
        // A changed config (a second, unused upstream) is a reload like any other.
        let mut config = Caddy::config(port, admin, backend);
        config["apps"]["http"]["servers"]["ws"]["routes"][0]["handle"][0]["upstreams"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"dial": "127.0.0.1:1"}));
        reload(admin, &config);
        ws.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut frame = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match ws.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    frame.extend_from_slice(&buf[..n]);
                    if frame.len() >= 4 {
                        break;
                    }
                }
                Err(_) => {}
            }
            assert!(
                Instant::now() < deadline,
                "the reload left the WebSocket open: {}",
                std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default()
            );
        }
        frame
    })
    .await
    .unwrap();
    // A close frame (opcode 8) with code 1001, going away.
    assert_eq!(closed.first(), Some(&0x88), "{closed:?}");
    assert_eq!(&closed[2..4], &1001u16.to_be_bytes(), "{closed:?}");

    let conf = caddy.dir.path().join("caddy.json");
    let r = wsaudit_full(
        &crate::support::repo(),
        &[
            "caddy",
            conf.to_str().unwrap(),
            "--domain",
            "127.0.0.1",
            "--path",
            "/ws/",
            "--format",
            "json",
        ],
        None,
        &[("WSAUDIT_CADDY_BIN", bin.to_str().unwrap())],
    );
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    assert!(
        crate::support::has_finding(&v, "WS302", "caddy:ws"),
        "{}",
        v["findings"]
    );
    assert_eq!(v["chain"]["layers"][0]["drain_timeout"]["value"], 0.0);
}
