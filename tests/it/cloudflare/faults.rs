//! Faults of the Cloudflare API: each one is a named gap (or a clear error), never a panic,
//! and the token never shows up in anything wsaudit produces.

use crate::support::cloudflare::*;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::ResponseTemplate;
use wsaudit::providers::cloudflare::{
    read_domain, ClientOptions, CloudflareClient, CloudflareOutcome, Presence,
};

/// Everything a caller can print or log about an outcome: Debug dumps, gap reasons, the
/// layer's JSON.
fn everything_printable(out: &CloudflareOutcome) -> String {
    let mut s = format!("{out:?}\n{out:#?}\n");
    for g in &out.gaps {
        s.push_str(&serde_json::to_string(g).unwrap());
    }
    if let Some(l) = &out.layer {
        s.push_str(&serde_json::to_string(l).unwrap());
    }
    s
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "the API token leaked into:\n{text}");
}

fn gap_codes(out: &CloudflareOutcome) -> Vec<&'static str> {
    out.gaps.iter().map(|g| g.code.as_str()).collect()
}

#[tokio::test]
async fn an_invalid_token_is_a_named_gap() {
    let cf = FakeCloudflare::start().await;
    // Overrides the empty-zone fallback for every zone name.
    cf.get(
        "/zones",
        json_status(403, fixture("error_invalid_token.json")),
    )
    .await;
    // Token verify refuses an invalid token too: that is what makes 9109 "invalid".
    cf.get(
        "/user/tokens/verify",
        json_status(401, fixture("error_verify_invalid.json")),
    )
    .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::Unknown);
    assert_eq!(gap_codes(&out), vec!["invalid-credentials"]);
    let reason = &out.gaps[0].reason;
    assert!(reason.contains("9109 Invalid access token"), "{reason}");
    assert!(reason.contains("CLOUDFLARE_API_TOKEN"), "{reason}");
    assert_no_token(&everything_printable(&out));
}

#[tokio::test]
async fn missing_credentials_headers_are_a_named_gap() {
    let cf = FakeCloudflare::start().await;
    cf.get(
        "/zones",
        json_status(400, fixture("error_missing_auth.json")),
    )
    .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(gap_codes(&out), vec!["invalid-credentials"]);
    assert!(out.gaps[0].reason.contains("9106"));
}

#[tokio::test]
async fn settings_the_plan_cannot_read_leave_the_rest_of_the_layer() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_ws_cname_proxied.json")
        .await;
    cf.load_balancers("load_balancers_empty.json").await;
    // Mounted first, so these win over the readable versions mounted by `settings`.
    for id in ["http3", "proxy_read_timeout"] {
        cf.server
            .register(
                wiremock::Mock::given(wiremock::matchers::path(format!(
                    "{API}/zones/{ZONE_ID}/settings/{id}"
                )))
                .respond_with(json_status(403, fixture("error_auth_10000.json")))
                .with_priority(1),
            )
            .await;
    }
    cf.settings(&[]).await;

    let out = read_domain(&cf.client(), "ws.example.com").await;

    assert_eq!(out.presence, Presence::Proxied);
    let layer = out.layer.as_ref().unwrap();
    // What could be read is there…
    assert_eq!(layer.tls_to_origin.value, Some(true));
    assert!(layer.websocket.value.is_some());
    // …what could not is unknown, with the reason…
    assert!(layer.client_protocols.value.is_none());
    let why = layer.client_protocols.origin.describe();
    assert!(why.contains("settings/http3"), "{why}");
    // …and one gap names both settings.
    assert_eq!(gap_codes(&out), vec!["access-denied"]);
    let reason = &out.gaps[0].reason;
    assert!(
        reason.contains("http3") && reason.contains("proxy_read_timeout"),
        "{reason}"
    );
    assert!(reason.contains("10000"), "{reason}");
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_it_asks_for() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;
    let records = format!("{API}/zones/{ZONE_ID}/dns_records");
    cf.server
        .register(
            wiremock::Mock::given(wiremock::matchers::path(records.clone()))
                .respond_with(
                    json_status(429, fixture("error_rate_limited.json"))
                        .insert_header("Retry-After", "1"),
                )
                .up_to_n_times(1)
                .with_priority(1),
        )
        .await;

    let started = Instant::now();
    let out = read_domain(&cf.client(), "ws.example.com").await;
    let took = started.elapsed();

    assert_eq!(out.presence, Presence::Proxied, "{:?}", out.gaps);
    assert!(out.gaps.is_empty());
    assert!(
        took >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured ({took:?})"
    );
    assert_eq!(
        cf.requests_to(&format!("/zones/{ZONE_ID}/dns_records"))
            .await,
        2
    );
}

#[tokio::test]
async fn a_429_asking_for_too_long_is_a_throttled_gap_at_once() {
    let cf = FakeCloudflare::start().await;
    cf.get(
        "/zones",
        json_status(429, fixture("error_rate_limited.json")).insert_header("Retry-After", "3600"),
    )
    .await;
    let started = Instant::now();
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(gap_codes(&out), vec!["throttled"]);
    assert!(
        out.gaps[0].reason.contains("3600"),
        "{}",
        out.gaps[0].reason
    );
    assert_eq!(
        cf.requests_to("/zones").await,
        1,
        "no retry when told to wait an hour"
    );
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_a_bounded_number_of_times() {
    let cf = FakeCloudflare::start().await;
    cf.get(
        "/zones",
        json_status(429, fixture("error_rate_limited.json")),
    )
    .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(gap_codes(&out), vec!["throttled"]);
    assert_eq!(cf.requests_to("/zones").await, 3);
}

#[tokio::test]
async fn server_errors_are_retried_then_become_a_gap() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;
    // Two 502s then the real answer: recovered.
    cf.server
        .register(
            wiremock::Mock::given(wiremock::matchers::path(format!(
                "{API}/zones/{ZONE_ID}/load_balancers"
            )))
            .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
            .up_to_n_times(2)
            .with_priority(1),
        )
        .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::Proxied);
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);

    // Always 503 on the DNS records: a server-error gap after the bounded attempts.
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.get(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ResponseTemplate::new(503),
    )
    .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::Unknown);
    assert_eq!(gap_codes(&out), vec!["server-error"]);
    assert!(out.gaps[0].reason.contains("503"));
    assert_eq!(
        cf.requests_to(&format!("/zones/{ZONE_ID}/dns_records"))
            .await,
        3
    );
}

#[tokio::test]
async fn a_slow_api_times_out_into_a_gap() {
    let cf = FakeCloudflare::start().await;
    cf.get(
        "/zones",
        json_ok(fixture("zones_empty.json")).set_delay(Duration::from_secs(5)),
    )
    .await;
    let options = ClientOptions {
        request_timeout: Duration::from_millis(300),
        ..fast_options()
    };
    let started = Instant::now();
    let out = read_domain(&cf.client_with(options), "ws.example.com").await;
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(gap_codes(&out), vec!["timeout"]);
}

#[tokio::test]
async fn malformed_json_is_a_parse_gap_not_a_panic() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.get(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ResponseTemplate::new(200).set_body_string(r#"{"success":true,"result":[{"name":"#),
    )
    .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(gap_codes(&out), vec!["malformed-response"]);

    // A well-formed envelope whose result has the wrong shape names the field.
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.get(
        &format!("/zones/{ZONE_ID}/dns_records"),
        json_ok(json!({"success": true, "errors": [], "messages": [],
            "result": [{"name": "ws.example.com", "type": "CNAME", "content": 42}]})),
    )
    .await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(gap_codes(&out), vec!["malformed-response"]);
    assert!(
        out.gaps[0].reason.contains("content"),
        "{}",
        out.gaps[0].reason
    );
}

#[tokio::test]
async fn an_unrecognised_setting_value_is_unknown_not_guessed() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[("ssl", json!("paranoid"))]).await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    let layer = out.layer.as_ref().unwrap();
    assert!(layer.tls_to_origin.value.is_none());
    assert!(layer
        .tls_to_origin
        .origin
        .describe()
        .contains("does not recognise"));
}

#[tokio::test]
async fn an_unreachable_api_is_a_network_gap() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = CloudflareClient::new(
        Some(TOKEN.into()),
        Some(&format!("http://127.0.0.1:{port}/client/v4")),
        fast_options(),
    )
    .unwrap();
    let out = read_domain(&client, "ws.example.com").await;
    assert_eq!(gap_codes(&out), vec!["unreachable"]);
    assert_no_token(&everything_printable(&out));
}

#[tokio::test]
async fn the_token_never_appears_even_when_the_server_echoes_it() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.get(
        &format!("/zones/{ZONE_ID}/dns_records"),
        json_status(
            400,
            json!({"success": false, "result": null, "messages": [],
                "errors": [{"code": 1004, "message": format!("DNS Validation Error for token {TOKEN}")}]}),
        ),
    )
    .await;
    let client = cf.client();
    let out = read_domain(&client, "ws.example.com").await;
    assert_eq!(gap_codes(&out), vec!["api-error"]);
    assert!(out.gaps[0].reason.contains("[redacted]"));

    let mut all = everything_printable(&out);
    all.push_str(&format!("{client:?} {client:#?}"));
    // Configuration errors do not echo the token either.
    let bad = CloudflareClient::new(
        Some(format!("{TOKEN} with space")),
        Some(&cf.base_url()),
        fast_options(),
    )
    .unwrap_err();
    all.push_str(&format!("{bad} {bad:?}"));
    let insecure = CloudflareClient::new(
        Some(TOKEN.into()),
        Some("http://api.example.com/client/v4"),
        fast_options(),
    )
    .unwrap_err();
    all.push_str(&format!("{insecure} {insecure:?}"));
    assert_no_token(&all);
}

#[tokio::test]
async fn an_unreadable_pool_leaves_targets_unknown_with_a_gap() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_empty.json").await;
    cf.records("*.example.com", "dns_records_empty.json").await;
    cf.load_balancers("load_balancers_cookie.json").await;
    cf.get(
        &format!("/accounts/{ACCOUNT_ID}/load_balancers/pools/{POOL_ID}"),
        json_status(403, fixture("error_auth_10000.json")),
    )
    .await;
    cf.settings(&[]).await;

    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::Proxied);
    let layer = out.layer.as_ref().unwrap();
    assert!(layer.targets.value.is_none());
    assert!(layer.targets.origin.describe().contains(POOL_ID));
    // Stickiness comes from the load balancer itself and is still known.
    assert_eq!(layer.stickiness.value.as_ref().unwrap().mode, "cookie");
    assert_eq!(gap_codes(&out), vec!["access-denied"]);
    assert!(out.gaps[0].reason.contains(POOL_ID));
    assert!(out.next_hops.is_empty());
}
