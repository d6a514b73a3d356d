//! The issue's test: a real nginx on loopback with a 2 s `proxy_read_timeout` in front of a
//! real WebSocket server writes its own access log (connections cut idle, connections the
//! client closes, upgrades refused with 502); `wsaudit logs` reads it with the format from the
//! same configuration and finds the peak at the configured timeout, the 101 ratio and the
//! disconnects.

use super::{json, rules};
use crate::support::probe::{start_backend, Backend, Nginx};
use crate::support::run::wsaudit;
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const IDLE: usize = 8;
// Closed by the client well before the 2 s cut, at times of their own.
const CLIENT_CLOSES: [u64; 4] = [100, 250, 400, 600];
const REFUSED: usize = 8;

const LOG_FORMAT: &str = r#"log_format ws '$remote_addr - [$time_local] "$request" $status $body_bytes_sent rt=$request_time ua="$upstream_addr" up="$http_upgrade" host=$host';"#;

const LOCATION: &str = "proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 2s;
      access_log access.log ws;";

const REFUSING: &str = "location /ws/down/ {
      proxy_pass http://127.0.0.1:1;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      access_log access.log ws;
    }";

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connect(url: &str) -> Result<(Ws, ()), tokio_tungstenite::tungstenite::Error> {
    let host = url.trim_start_matches("ws://").split('/').next().unwrap();
    let tcp = tokio::net::TcpStream::connect(host).await?;
    tokio_tungstenite::client_async(url, tcp)
        .await
        .map(|(ws, _)| (ws, ()))
}

async fn idle_until_cut(url: String) -> Duration {
    let started = Instant::now();
    let (mut ws, _) = connect(&url).await.expect("upgrade");
    let cut = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(cut.is_ok(), "nginx did not cut the idle connection");
    started.elapsed()
}

async fn close_after(url: String, ms: u64) {
    let (mut ws, _) = connect(&url).await.expect("upgrade");
    ws.send(Message::Text("hi".into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_nginx_log_shows_its_idle_timeout() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    let backend = start_backend(Backend::Echo).await;
    let nginx = Nginx::start_with(&bin, backend, LOG_FORMAT, REFUSING, LOCATION);
    let mut tasks = Vec::new();
    for _ in 0..IDLE {
        let u = nginx.url();
        tasks.push(tokio::spawn(async move {
            let d = idle_until_cut(u).await;
            assert!(d >= Duration::from_millis(1900), "cut after {d:?}");
        }));
    }
    for ms in CLIENT_CLOSES {
        let u = nginx.url();
        tasks.push(tokio::spawn(close_after(u, ms)));
    }
    let down = format!("ws://127.0.0.1:{}/ws/down/", nginx.port);
    for _ in 0..REFUSED {
        let err = connect(&down).await.expect_err("the upgrade is refused");
        assert!(err.to_string().contains("502"), "{err}");
    }
    for t in tasks {
        t.await.unwrap();
    }
    // nginx writes each line when its connection closes: wait for all of them.
    let log = nginx.prefix.path().join("access.log");
    let want = IDLE + CLIENT_CLOSES.len() + REFUSED;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count();
        if n >= want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{n} of {want} lines in {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let conf = nginx.prefix.path().join("nginx.conf");
    let run = wsaudit(&[
        "logs",
        log.to_str().unwrap(),
        "--nginx-conf",
        conf.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = json(&run.stdout);
    let logs = &r["chain"]["logs"];
    assert_eq!(logs["sources"][0]["format"], "nginx");
    assert!(
        logs["sources"][0]["log_format_origin"]
            .as_str()
            .unwrap()
            .contains("nginx.conf"),
        "{}",
        logs["sources"][0]
    );
    assert_eq!(logs["malformed"], 0);
    let u = &logs["upgrades"];
    assert_eq!(u["attempts"], want as u64);
    assert_eq!(u["succeeded"], (IDLE + CLIENT_CLOSES.len()) as u64);
    assert_eq!(u["ratio"], 0.6);
    assert_eq!(u["failing"][0]["status"], 502);
    assert_eq!(u["failing"][0]["count"], REFUSED as u64);
    assert!(u["failing"][0]["top_path"]
        .as_str()
        .unwrap()
        .ends_with("/ws/down/"));
    // One peak, at the configured 2 s, holding the idle connections and nothing else.
    let peaks = logs["peaks"].as_array().unwrap();
    assert_eq!(peaks.len(), 1, "{peaks:?}");
    let at = peaks[0]["at_s"].as_f64().unwrap();
    assert!((2.0..2.2).contains(&at), "{at}");
    assert_eq!(peaks[0]["count"], IDLE as u64);
    let layer = peaks[0]["explained_by"].as_str().unwrap();
    assert!(layer.starts_with("nginx:"), "{layer}");
    assert_eq!(r["chain"]["layers"].as_array().unwrap().len(), 1);
    // Every WebSocket that was established closed once.
    let disconnects: u64 = logs["disconnects_per_minute"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(disconnects, (IDLE + CLIENT_CLOSES.len()) as u64);
    let ws801 = crate::support::finding(&r, "WS801");
    assert_eq!(ws801["layer"], layer);
    assert!(
        ws801["message"]
            .as_str()
            .unwrap()
            .contains("cuts idle WebSockets at 2 s (its idle_timeout"),
        "{ws801}"
    );
    let fired = rules(&r);
    assert!(fired.contains(&"WS804".to_string()), "{fired:?}");
    assert!(!fired.contains(&"WS803".to_string()), "{fired:?}");
}
