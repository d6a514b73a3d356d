//! Probe failures that are the user's or the network's, and the raw ways a connection ends,
//! against servers on loopback (no nginx needed).

use std::time::Duration;
use tokio::net::TcpListener;
use wsaudit::providers::probe::{probe, ProbeError, ProbeOptions};

#[tokio::test]
async fn bad_urls_are_refused_before_any_socket() {
    for url in [
        "http://127.0.0.1/",
        "127.0.0.1:80",
        "ws://",
        "wss://exa mple/",
    ] {
        let err = probe(&ProbeOptions::new(url)).await.unwrap_err();
        assert!(matches!(err, ProbeError::BadUrl { .. }), "{url}: {err}");
        assert!(err.is_input_error());
    }
}

#[tokio::test]
async fn a_closed_port_is_a_clear_connect_error() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = probe(&ProbeOptions::new(format!("ws://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Connect { .. }), "{err}");
    assert!(!err.is_input_error());
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn a_silent_server_hits_the_connect_timeout() {
    // Accepts TCP and never answers the upgrade.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let mut o = ProbeOptions::new(format!("ws://{addr}/"));
    o.connect_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let facts = probe(&o).await.expect("a silent server is a fact");
    assert!(started.elapsed() < Duration::from_secs(3));
    let hs = facts.handshake.unwrap();
    assert_eq!(hs.status, 0);
    assert!(hs.error.unwrap().contains("no complete HTTP response"));
}

#[tokio::test]
async fn localhost_resolves_and_a_reset_is_reported_as_rst() {
    // Upgrades, then resets the connection (SO_LINGER 0) after 500 ms.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Zero linger: closing sends RST instead of FIN.
                tcp.set_zero_linger().unwrap();
                let ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await;
                drop(ws);
            });
        }
    });
    let mut o = ProbeOptions::new(format!("ws://localhost:{port}/"));
    o.idle = Some(Duration::from_secs(5));
    let facts = probe(&o).await.expect("probe");
    let c = facts.connect.unwrap();
    assert!(
        c.addresses.iter().any(|a| a.starts_with("127.0.0.1")),
        "{c:?}"
    );
    let idle = facts.idle.unwrap();
    assert_eq!(idle.how, "rst", "{idle:?}");
    let at = idle.closed_after_s.unwrap().0;
    assert!((0.4..=1.0).contains(&at), "{at}");
}
