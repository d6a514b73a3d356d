//! The Cloudflare provider against a real HTTP server on loopback answering in API v4 shapes:
//! what is read for a hostname, and what becomes of it in the chain model.


use serde_json::json;
use crate::support::cloudflare::*;
use wsaudit::model::{LayerKind, Origin, Provider, Seconds, WebsocketSupport};
use wsaudit::providers::cloudflare::{
    read_domain, read_domain_in, ClientOptions, CloudflareClient, NextHopKind, Presence, ZonePin,
};

fn explicit_locator(origin: &Origin) -> (String, Option<String>) {
    match origin {
        Origin::Explicit { locator, field, .. } => (locator.clone(), field.clone()),
        other => panic!("expected an explicit origin, got {other:?}"),
    }
}

#[tokio::test]
async fn proxied_cname_becomes_a_cdn_layer_with_provenance() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;

    let out = read_domain(&cf.client(), "WS.Example.com.").await;

    assert_eq!(out.presence, Presence::Proxied);
    assert_eq!(out.in_chain(), Some(true));
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);
    let layer = out.layer.as_ref().expect("a proxied host has a layer");
    assert_eq!(layer.id, "cloudflare");
    assert_eq!(layer.kind, LayerKind::Cdn);
    assert_eq!(layer.provider, Provider::Cloudflare);
    assert_eq!(layer.name, "example.com");
    assert_eq!(layer.locator.as_deref(), Some(&*format!("zone/{ZONE_ID}")));

    assert_eq!(layer.websocket.value, Some(WebsocketSupport::Enabled));
    assert_eq!(
        explicit_locator(&layer.websocket.origin),
        (
            format!("zone/{ZONE_ID}/settings/websockets"),
            Some("value".into())
        )
    );
    assert_eq!(layer.forwards_upgrade.value, Some(true));
    assert_eq!(layer.tls_to_origin.value, Some(true));
    assert_eq!(
        explicit_locator(&layer.tls_to_origin.origin).0,
        format!("zone/{ZONE_ID}/settings/ssl")
    );
    assert_eq!(
        layer.client_protocols.value,
        Some(vec!["http1.1".to_string(), "h2".into(), "h3".into()])
    );
    assert_eq!(layer.upstream_http_version.value.as_deref(), Some("1.1"));
    assert_eq!(layer.targets.value, Some(1));

    // The WebSocket idle timeout is an assumption, labelled as one, naming the live
    // proxy_read_timeout it is not to be confused with.
    assert_eq!(layer.idle_timeout.value, Some(Seconds(100.0)));
    match &layer.idle_timeout.origin {
        Origin::Assumed { basis, source } => {
            assert!(basis.contains("does not publish"), "{basis}");
            assert!(basis.contains("proxy_read_timeout is 100 s"), "{basis}");
            assert!(basis.contains("not editable on this plan"), "{basis}");
            assert!(source.as_deref().unwrap().contains("websockets"));
        }
        other => panic!("idle timeout must be assumed, got {other:?}"),
    }

    assert_eq!(out.next_hops.len(), 1);
    assert_eq!(
        out.next_hops[0].host,
        "ws-alb-1234567890.eu-west-1.elb.amazonaws.com"
    );
    assert_eq!(out.next_hops[0].kind, NextHopKind::AwsLoadBalancer);
    assert_eq!(out.next_hops[0].via, "CNAME");

    let details = out.details.as_ref().unwrap();
    assert_eq!(
        details.zone.plan.as_ref().unwrap().legacy_id.as_deref(),
        Some("pro")
    );
    let settings = details.settings.as_ref().unwrap();
    assert_eq!(settings.str_value("min_tls_version"), Some("1.2"));

    // Read-only, authenticated with the bearer token, nothing outside the API base.
    let reqs = cf.requests().await;
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(r.method.as_str(), "GET", "{}", r.url);
        assert_eq!(
            r.headers.get("authorization").unwrap().to_str().unwrap(),
            format!("Bearer {TOKEN}")
        );
        assert!(r.url.path().starts_with(API), "{}", r.url);
    }
    // The zone walk asked for ws.example.com before finding example.com.
    assert!(reqs.iter().any(
        |r| r.url.query().unwrap_or("").contains("name=ws.example.com")
            && r.url.path() == format!("{API}/zones")
    ));
}

#[tokio::test]
async fn dns_only_record_is_not_in_the_chain_and_names_the_next_hop() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_ws_cname_dns_only.json")
        .await;
    cf.load_balancers("load_balancers_empty.json").await;

    let out = read_domain(&cf.client(), "ws.example.com").await;

    assert_eq!(out.presence, Presence::DnsOnly);
    assert_eq!(out.in_chain(), Some(false));
    assert!(out.layer.is_none());
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);
    assert_eq!(out.next_hops[0].host, "d111111abcdef8.cloudfront.net");
    assert_eq!(out.next_hops[0].kind, NextHopKind::Cloudfront);
    // Settings of a zone that does not proxy the host are irrelevant and not fetched.
    let settings_calls = cf
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path().contains("/settings/"))
        .count();
    assert_eq!(settings_calls, 0);
}

#[tokio::test]
async fn no_zone_for_the_host_means_cloudflare_is_not_in_the_chain() {
    let cf = FakeCloudflare::start().await;
    let out = read_domain(&cf.client(), "ws.other.example").await;
    assert_eq!(
        out.presence,
        Presence::NoZone {
            tried: vec!["ws.other.example".into(), "other.example".into()]
        }
    );
    assert_eq!(out.in_chain(), Some(false));
    assert!(out.gaps.is_empty());
}

#[tokio::test]
async fn without_a_token_cloudflare_is_not_consulted() {
    let cf = FakeCloudflare::start().await;
    let client = CloudflareClient::from_lookup(
        |k| (k == "WSAUDIT_CLOUDFLARE_API_URL").then(|| cf.base_url()),
        ClientOptions::default(),
    )
    .unwrap();
    assert!(!client.is_configured());
    let out = read_domain(&client, "ws.example.com").await;
    assert_eq!(out.presence, Presence::NotConsulted);
    assert_eq!(out.in_chain(), None);
    assert!(out.gaps.is_empty());
    assert!(cf.requests().await.is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn env_lookup_reads_token_and_base() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;
    let base = cf.base_url();
    let client = CloudflareClient::from_lookup(
        |k| match k {
            "CLOUDFLARE_API_TOKEN" => Some(format!("{TOKEN}\n")),
            "WSAUDIT_CLOUDFLARE_API_URL" => Some(base.clone()),
            _ => None,
        },
        fast_options(),
    )
    .unwrap();
    let out = read_domain(&client, "ws.example.com").await;
    assert_eq!(out.presence, Presence::Proxied);
}

#[tokio::test]
async fn load_balancer_on_the_second_page_without_affinity() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    // A DNS-only record of the same name exists; the load balancer takes precedence.
    cf.records("ws.example.com", "dns_records_ws_cname_dns_only.json")
        .await;
    cf.get_query(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        ("page", "1"),
        json_ok(fixture("load_balancers_page1.json")),
    )
    .await;
    cf.get_query(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        ("page", "2"),
        json_ok(fixture("load_balancers_page2.json")),
    )
    .await;
    cf.pool().await;
    cf.settings(&[]).await;

    let out = read_domain(&cf.client(), "ws.example.com").await;

    assert_eq!(out.presence, Presence::Proxied);
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);
    let layer = out.layer.as_ref().unwrap();
    let lb_loc = format!("zone/{ZONE_ID}/load_balancers/699d98642c564d2e855e9661899b7252");
    assert_eq!(layer.stickiness.value.as_ref().unwrap().mode, "none");
    assert_eq!(
        explicit_locator(&layer.stickiness.origin),
        (lb_loc.clone(), Some("session_affinity".into()))
    );
    // Two enabled origins; the disabled one does not count.
    assert_eq!(layer.targets.value, Some(2));
    assert_eq!(
        explicit_locator(&layer.targets.origin).0,
        format!("account/{ACCOUNT_ID}/load_balancers/pools/{POOL_ID}")
    );
    assert_eq!(layer.drain_timeout.value, Some(Seconds(100.0)));
    let hosts: Vec<_> = out.next_hops.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(hosts, vec!["ws-1.origin.example.net", "198.51.100.20"]);
    assert_eq!(out.next_hops[0].via, format!("pool {POOL_ID}"));
    assert_eq!(out.next_hops[1].kind, NextHopKind::IpAddress);
    assert_eq!(
        cf.requests_to(&format!("/zones/{ZONE_ID}/load_balancers"))
            .await,
        2,
        "both pages read"
    );
}

#[tokio::test]
async fn cookie_affinity_is_modelled_with_its_cookie_and_ttl() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_empty.json").await;
    cf.records("*.example.com", "dns_records_empty.json").await;
    cf.load_balancers("load_balancers_cookie.json").await;
    cf.pool().await;
    cf.settings(&[]).await;

    let out = read_domain(&cf.client(), "ws.example.com").await;
    let s = out
        .layer
        .as_ref()
        .unwrap()
        .stickiness
        .value
        .clone()
        .unwrap();
    assert_eq!(s.mode, "cookie");
    assert_eq!(s.key.as_deref(), Some("__cflb"));
    assert_eq!(s.ttl_s, Some(Seconds(1800.0)));
}

#[tokio::test]
async fn round_robin_records_have_no_affinity() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_two_a_proxied.json")
        .await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;

    let out = read_domain(&cf.client(), "ws.example.com").await;
    let layer = out.layer.as_ref().unwrap();
    assert_eq!(layer.targets.value, Some(2));
    assert_eq!(layer.stickiness.value.as_ref().unwrap().mode, "none");
    assert!(matches!(layer.stickiness.origin, Origin::Default { .. }));
    assert_eq!(out.next_hops.len(), 2);
    assert!(out
        .next_hops
        .iter()
        .all(|h| h.kind == NextHopKind::IpAddress && h.via == "A"));
}

#[tokio::test]
async fn a_wildcard_record_answers_for_a_name_without_its_own() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_empty.json").await;
    cf.records("*.example.com", "dns_records_wildcard.json")
        .await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;

    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::Proxied);
    assert_eq!(out.next_hops[0].host, "origin.example.net");
    assert_eq!(out.next_hops[0].kind, NextHopKind::Hostname);
}

#[tokio::test]
async fn a_zone_without_the_record_is_a_named_gap() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_empty.json").await;
    cf.records("*.example.com", "dns_records_empty.json").await;
    cf.load_balancers("load_balancers_empty.json").await;

    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::Unknown);
    assert_eq!(out.gaps.len(), 1);
    assert_eq!(out.gaps[0].layer, "cloudflare");
    assert_eq!(out.gaps[0].code.as_deref(), Some("not-found"));
    assert!(out.gaps[0].reason.contains("ws.example.com"));
}

#[tokio::test]
async fn a_pinned_zone_id_is_read_directly_and_a_missing_one_is_a_gap() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;
    let zone_result = fixture("zones_example_com.json")["result"][0].clone();
    cf.get(
        &format!("/zones/{ZONE_ID}"),
        json_ok(json!({"success": true, "errors": [], "messages": [], "result": zone_result})),
    )
    .await;
    let out = read_domain_in(
        &cf.client(),
        "ws.example.com",
        Some(&ZonePin::parse(ZONE_ID)),
    )
    .await;
    assert_eq!(out.presence, Presence::Proxied);
    // The pin skips the name walk entirely.
    let zone_walks = cf.requests_to("/zones").await;
    assert_eq!(zone_walks, 0);

    let missing = "00000000000000000000000000000000";
    cf.get(
        &format!("/zones/{missing}"),
        json_status(400, fixture("error_zone_not_found.json")),
    )
    .await;
    let out = read_domain_in(
        &cf.client(),
        "ws.example.com",
        Some(&ZonePin::parse(missing)),
    )
    .await;
    assert_eq!(out.presence, Presence::Unknown);
    assert_eq!(out.gaps[0].code.as_deref(), Some("not-found"));
    assert!(
        out.gaps[0].reason.contains("1001"),
        "{}",
        out.gaps[0].reason
    );
    assert!(out.gaps[0].reason.contains(missing));
}

#[tokio::test]
async fn an_invalid_domain_is_refused_before_any_request() {
    let cf = FakeCloudflare::start().await;
    let out = read_domain(&cf.client(), "ws.example.com/evil?x=1").await;
    assert_eq!(out.presence, Presence::Unknown);
    assert_eq!(out.gaps[0].code.as_deref(), Some("invalid-domain"));
    assert!(cf.requests().await.is_empty());
}

#[tokio::test]
async fn a_pinned_zone_name_skips_the_walk() {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(&[]).await;
    let out = read_domain_in(
        &cf.client(),
        "ws.example.com",
        Some(&ZonePin::parse("example.com")),
    )
    .await;
    assert_eq!(out.presence, Presence::Proxied);
    let walked_host = cf.requests().await.iter().any(|r| {
        r.url.query().unwrap_or("").contains("name=ws.example.com")
            && r.url.path() == format!("{API}/zones")
    });
    assert!(!walked_host, "a pinned name is looked up alone");

    let out = read_domain_in(
        &cf.client(),
        "ws.example.com",
        Some(&ZonePin::parse("nope.example")),
    )
    .await;
    assert_eq!(out.presence, Presence::Unknown);
    assert_eq!(out.gaps[0].code.as_deref(), Some("not-found"));
}

#[tokio::test]
async fn a_dns_only_load_balancer_points_at_its_pool_origins() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_empty.json").await;
    cf.records("*.example.com", "dns_records_empty.json").await;
    let mut lbs = fixture("load_balancers_page2.json");
    lbs["result"][0]["proxied"] = json!(false);
    lbs["result_info"] =
        json!({"page": 1, "per_page": 25, "count": 1, "total_count": 1, "total_pages": 1});
    cf.get(&format!("/zones/{ZONE_ID}/load_balancers"), json_ok(lbs))
        .await;
    cf.pool().await;

    let out = read_domain(&cf.client(), "ws.example.com").await;
    assert_eq!(out.presence, Presence::DnsOnly);
    assert!(out.layer.is_none());
    let hosts: Vec<_> = out.next_hops.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(hosts, vec!["ws-1.origin.example.net", "198.51.100.20"]);
}
