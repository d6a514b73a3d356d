//! `wsaudit probe` against a real nginx in front of a real WebSocket backend, on loopback.
//! The idle cases each take seconds of wall time; cargo runs them concurrently.

use crate::support::probe;

use probe::{rules_fired, start_backend, Backend, Nginx, WS_LOCATION};
use std::time::Duration;
use wsaudit::model::Seconds;
use wsaudit::providers::probe::{probe, ProbeOptions};

fn idle_opts(url: String, max_s: u64) -> ProbeOptions {
    let mut o = ProbeOptions::new(url);
    o.connect_timeout = Duration::from_secs(5);
    o.idle = Some(Duration::from_secs(max_s));
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_location_answers_101_with_a_valid_accept() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    let backend = start_backend(Backend::Echo).await;
    let nginx = Nginx::start(&bin, backend, WS_LOCATION);

    let facts = probe(&ProbeOptions::new(nginx.url())).await.expect("probe");
    assert!(!rules_fired(&nginx.url(), facts.clone()).contains(&"WS105".to_string()));
    let hs = facts.handshake.expect("handshake facts");
    assert_eq!(hs.status, 101, "{hs:?}");
    assert!(hs.accept_ok, "{hs:?}");
    assert_eq!(hs.error, None);
    assert!(
        hs.headers["server"].starts_with("nginx"),
        "{:?}",
        hs.headers
    );
    assert_eq!(facts.fingerprint, vec!["nginx".to_string()]);
    assert!(facts.tls.is_none(), "ws:// has no TLS step");
    let c = facts.connect.expect("connect facts");
    assert_eq!(c.peer, format!("127.0.0.1:{}", nginx.port));
    let t = facts.timings.expect("timings");
    assert!(t.upgrade_ms.is_some() && t.total_ms >= t.connect_ms);
    // No --idle: no hold, no idle facts.
    assert!(facts.idle.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn location_without_upgrade_lines_is_reported_as_not_101() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    let backend = start_backend(Backend::Echo).await;
    // Upgrade and Connection are hop-by-hop: without the two proxy_set_header lines the
    // backend never sees an upgrade request.
    let nginx = Nginx::start(&bin, backend, "proxy_http_version 1.1;");

    let mut opts = ProbeOptions::new(nginx.url());
    opts.idle = Some(Duration::from_secs(5));
    let facts = probe(&opts)
        .await
        .expect("probe runs; the failure is a fact");
    let hs = facts.handshake.expect("handshake facts");
    assert_ne!(hs.status, 101);
    assert!(hs.status >= 400, "an HTTP error status, got {}", hs.status);
    assert!(!hs.accept_ok);
    let err = hs.error.expect("an explanation");
    assert!(err.contains("expected 101"), "{err}");
    assert!(err.contains(&hs.status.to_string()), "{err}");
    assert!(!hs.headers.is_empty());
    let body = hs.body_snippet.expect("the error page");
    assert!(body.contains(&hs.status.to_string()), "{body}");
    // Nothing to hold after a refused upgrade.
    assert!(facts.idle.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_read_timeout_cut_is_measured_as_a_fin_without_close_frame() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    let backend = start_backend(Backend::Echo).await;
    let nginx = Nginx::start(
        &bin,
        backend,
        &format!("{WS_LOCATION}\n      proxy_read_timeout 3s;"),
    );

    let mut opts = idle_opts(nginx.url(), 10);
    opts.samples = 3;
    let started = std::time::Instant::now();
    let facts = probe(&opts).await.expect("probe");
    let took = started.elapsed().as_secs_f64();
    let idle = facts.idle.expect("idle facts");
    let cut = idle.closed_after_s.expect("nginx cut it").0;
    assert!((2.7..=3.3).contains(&cut), "cut at {cut} s, want 3 ± 0.3 s");
    assert_eq!(idle.how, "fin", "{idle:?}");
    assert_eq!(idle.close_code, None, "nginx sends no close frame");
    assert_eq!(idle.samples.len(), 3);
    for s in &idle.samples {
        let at = s.closed_after_s.expect("every sample cut").0;
        assert!((2.7..=3.3).contains(&at), "sample cut at {at}: {s:?}");
        assert_eq!(s.how, "fin");
    }
    // Discovery within 1.05 × the true timeout + 1 s (plus the handshakes).
    assert!(took <= 1.05 * 3.0 + 1.0 + 1.0, "took {took} s");
    assert_eq!(idle.max_hold_s, Some(Seconds(10.0)));
    assert!(nginx.error_log().contains("upstream timed out"));
    let hb = facts.heartbeat.expect("heartbeat facts");
    assert_eq!(hb.server_pings, 0);
    assert_eq!(hb.server_ping_interval_s, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_pings_keep_it_open_and_the_interval_is_reported() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    // The backend also closes with 1002 if a ping goes unanswered: "open" below proves the
    // probe answers pings.
    let backend = start_backend(Backend::PingEvery(Duration::from_secs(1))).await;
    let nginx = Nginx::start(
        &bin,
        backend,
        &format!("{WS_LOCATION}\n      proxy_read_timeout 3s;"),
    );

    let facts = probe(&idle_opts(nginx.url(), 6)).await.expect("probe");
    let idle = facts.idle.expect("idle facts");
    assert_eq!(idle.how, "open", "{idle:?}");
    assert_eq!(idle.closed_after_s, None);
    let hb = facts.heartbeat.expect("heartbeat facts");
    let interval = hb.server_ping_interval_s.expect("interval").0;
    assert!((0.9..=1.1).contains(&interval), "interval {interval}");
    assert!(hb.server_pings >= 4, "{hb:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_pings_keep_it_open_through_the_same_timeout() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    // Same nginx and silent backend as the cut case: only the client's pings differ.
    let backend = start_backend(Backend::Echo).await;
    let nginx = Nginx::start(
        &bin,
        backend,
        &format!("{WS_LOCATION}\n      proxy_read_timeout 3s;"),
    );

    let mut opts = idle_opts(nginx.url(), 6);
    opts.client_ping = Some(Duration::from_secs(1));
    let facts = probe(&opts).await.expect("probe");
    let idle = facts.idle.expect("idle facts");
    assert_eq!(idle.how, "open", "{idle:?}");
    assert_eq!(idle.closed_after_s, None);
    assert_eq!(idle.client_ping_s, Some(Seconds(1.0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_frame_is_reported_with_its_code_and_reason() {
    let Some(bin) = crate::support::nginx() else {
        return;
    };
    let backend = start_backend(Backend::CloseAfter(Duration::from_secs(1), 4000)).await;
    let nginx = Nginx::start(&bin, backend, WS_LOCATION);

    let facts = probe(&idle_opts(nginx.url(), 5)).await.expect("probe");
    let idle = facts.idle.expect("idle facts");
    assert_eq!(idle.how, "close_frame", "{idle:?}");
    assert_eq!(idle.close_code, Some(4000));
    assert_eq!(idle.close_reason.as_deref(), Some("backend says bye"));
    let at = idle.closed_after_s.expect("closed").0;
    assert!((0.9..=1.3).contains(&at), "closed at {at}");
}
