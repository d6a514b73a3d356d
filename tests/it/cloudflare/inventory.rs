//! The Cloudflare inventory of `wsaudit scan` against the loopback API v4 server: three zones
//! and 300 records read once, the routes it lists, requests resolved over it without another
//! call (and the same answer `wsaudit chain`'s live walk gives), a permission missing on one
//! zone, and a 429 storm paced by the rate budget.

use crate::support::cloudflare::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wsaudit::discover::{cloudflare_task, resolve_cloudflare, ChainRequest, CloudflareInventory};
use wsaudit::model::GapCode;
use wsaudit::providers::calls::{CallCounter, RateBudget};

const Z1: &str = ZONE_ID;
const Z2: &str = "1b2c3d4e5f60718293a4b5c6d7e8f901";
const Z3: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const ZONES: [(&str, &str); 3] = [
    (Z1, "example.com"),
    (Z2, "example.org"),
    (Z3, "example.net"),
];

/// 101 records a zone: 90 `svcN` names (a third DNS-only A records, the rest proxied CNAMEs
/// to the zone's ALB), `ws`, `www` and the apex proxied, a proxied wildcard, five TXT names,
/// an MX at the apex and an ACME validation CNAME.
fn records(zone: &str, z: usize) -> Vec<Value> {
    let alb = format!("ws-alb-{z}.eu-west-1.elb.amazonaws.com");
    let mut out = Vec::new();
    for i in 0..90 {
        let name = format!("svc{i}.{zone}");
        if i % 3 == 0 {
            out.push(record_object(&name, "A", &format!("198.51.100.{i}"), false));
        } else {
            out.push(record_object(&name, "CNAME", &alb, true));
        }
    }
    out.push(record_object(&format!("ws.{zone}"), "CNAME", &alb, true));
    out.push(record_object(&format!("www.{zone}"), "CNAME", zone, true));
    out.push(record_object(zone, "A", "192.0.2.1", true));
    out.push(record_object(
        &format!("*.apps.{zone}"),
        "A",
        "192.0.2.9",
        true,
    ));
    for i in 0..5 {
        out.push(record_object(
            &format!("txt{i}.{zone}"),
            "TXT",
            "v=spf1 -all",
            false,
        ));
    }
    out.push(record_object(zone, "MX", &format!("mail.{zone}"), false));
    out.push(record_object(
        &format!("_acme-challenge.{zone}"),
        "CNAME",
        "validate.acme.test",
        false,
    ));
    out
}

/// The three zones; example.com has an Origin Rule for `/ws/` on ws.example.com, and
/// example.org a proxied load balancer `live.example.org` with one pool.
async fn three_zones() -> FakeCloudflare {
    three_zones_paged(usize::MAX).await
}

async fn three_zones_paged(max_per_page: usize) -> FakeCloudflare {
    let cf = FakeCloudflare::start().await;
    let specs: Vec<ZoneSpec> = ZONES
        .iter()
        .enumerate()
        .map(|(i, (id, name))| ZoneSpec {
            id: id.to_string(),
            name: name.to_string(),
            records: records(name, i + 1),
        })
        .collect();
    cf.zones_paged(&specs, max_per_page).await;
    cf.get(
        &format!("/zones/{Z1}/rulesets/phases/http_request_origin/entrypoint"),
        json_ok(fixture("ruleset_origin_route.json")),
    )
    .await;
    let mut lbs = fixture("load_balancers_page2.json");
    lbs["result"][0]["name"] = json!("live.example.org");
    lbs["result_info"] =
        json!({"page": 1, "per_page": 25, "count": 1, "total_count": 1, "total_pages": 1});
    cf.first(&format!("/zones/{Z2}/load_balancers"), json_ok(lbs))
        .await;
    cf.pool().await;
    let pool = fixture("pool_web.json")["result"].clone();
    cf.get(
        &format!("/accounts/{ACCOUNT_ID}/load_balancers/pools"),
        json_ok(
            json!({"success": true, "errors": [], "messages": [], "result": [pool],
                       "result_info": {"page": 1, "per_page": 100, "count": 1, "total_count": 1}}),
        ),
    )
    .await;
    cf
}

fn req(domain: &str, path: &str) -> ChainRequest {
    ChainRequest::new(domain, path)
}

fn as_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[tokio::test]
async fn the_inventory_is_read_once_and_resolves_like_the_live_walk() {
    let cf = three_zones().await;
    let counter = CallCounter::new();
    let client = cf.client().with_counter(counter.clone());

    let t0 = Instant::now();
    let inv = CloudflareInventory::read_all("CF_TEST", &client, RateBudget::cloudflare()).await;
    let took = t0.elapsed();
    eprintln!("read_all: 3 zones, 303 records: {took:?}");

    // One zone list; per zone its load balancers, its records (one page), seven settings,
    // two rule phases and three products; one pool list for the account.
    assert_eq!(
        counter.total(),
        1 + 3 * 14 + 1,
        "{:?}",
        counter.per_operation()
    );
    assert_eq!(cf.requests().await.len() as u64, counter.total());
    let ops = counter.per_operation();
    assert_eq!(ops["cloudflare:GET /zones/:id/dns_records"], 3);
    assert_eq!(ops["cloudflare:GET /accounts/:id/load_balancers/pools"], 1);
    assert!(inv.unread().is_empty(), "{:?}", inv.unread());

    let routes = inv.routes();
    // 90 svc names, ws, www and the apex in each zone, and the load balancer; not the
    // wildcard, the TXT-only names or the ACME name.
    assert_eq!(routes.len(), 3 * 93 + 1);
    let find = |d: &str| routes.iter().find(|r| r.domain == d);
    let lb = find("live.example.org").expect("the load balancer's name");
    assert_eq!(
        lb.from,
        "cloudflare zone example.org load balancer live.example.org (token CF_TEST)"
    );
    assert_eq!(
        find("svc3.example.net").unwrap().from,
        "cloudflare zone example.net record svc3.example.net, DNS-only (token CF_TEST)"
    );
    assert_eq!(
        find("ws.example.com")
            .unwrap()
            .pins
            .cloudflare_zone
            .as_deref(),
        Some("example.com")
    );
    assert!(find("txt0.example.com").is_none());
    assert!(routes
        .iter()
        .all(|r| !r.domain.starts_with('*') && !r.domain.contains('_')));

    // Every route resolves from the inventory alone: no further request.
    let before = cf.requests().await.len();
    let mut proxied = 0;
    for r in &routes {
        let pin =
            wsaudit::providers::cloudflare::ZonePin::Name(r.pins.cloudflare_zone.clone().unwrap());
        let out = resolve_cloudflare(&inv, &req(&r.domain, "/"), Some(&pin));
        assert!(out.gaps.is_empty(), "{}: {:?}", r.domain, out.gaps);
        proxied += out.layers.len();
    }
    assert_eq!(
        proxied,
        3 * 63 + 1,
        "60 proxied svc names, ws, www, apex a zone, and the LB"
    );
    assert_eq!(
        cf.requests().await.len(),
        before,
        "resolution makes no call"
    );

    // The same answers the live walk of `wsaudit chain` gives, request by request.
    let asks = [
        ("ws.example.com", "/ws/chat"),
        ("ws.example.com", "/"),
        ("svc3.example.org", "/"),
        ("svc4.example.net", "/ws"),
        ("a.apps.example.com", "/"),
        ("live.example.org", "/"),
        ("nope.example.com", "/"),
        ("ws.elsewhere.test", "/"),
    ];
    for (domain, path) in asks {
        let r = req(domain, path);
        let scan = resolve_cloudflare(&inv, &r, None);
        let chain = cloudflare_task(&r, Ok(cf.client()), None).run.await;
        let what = format!("{domain}{path}");
        assert_eq!(as_json(&scan.layers), as_json(&chain.layers), "{what}");
        assert_eq!(as_json(&scan.gaps), as_json(&chain.gaps), "{what}");
        assert_eq!(
            as_json(&scan.not_consulted),
            as_json(&chain.not_consulted),
            "{what}"
        );
        assert_eq!(as_json(&scan.notices), as_json(&chain.notices), "{what}");
        assert_eq!(scan.next_hops, chain.next_hops, "{what}");
        assert_eq!(scan.next_host_header, chain.next_host_header, "{what}");
        assert_eq!(scan.next_port, chain.next_port, "{what}");
    }
    // The Origin Rule applies to /ws/ only, and the load balancer's pool origins are the
    // next hops.
    let ws = resolve_cloudflare(&inv, &req("ws.example.com", "/ws/chat"), None);
    assert_eq!(ws.next_host_header.as_deref(), Some("app.internal"));
    let root = resolve_cloudflare(&inv, &req("ws.example.com", "/"), None);
    assert_eq!(root.next_host_header, None);
    let live = resolve_cloudflare(&inv, &req("live.example.org", "/"), None);
    assert_eq!(
        live.next_hops,
        vec!["ws-1.origin.example.net", "198.51.100.20"]
    );
    let gone = resolve_cloudflare(&inv, &req("nope.example.com", "/"), None);
    assert_eq!(gone.gaps[0].code, GapCode::NotFound);
}

#[tokio::test]
async fn a_zone_the_token_may_not_read_is_a_gap_on_its_names_only() {
    let cf = three_zones().await;
    cf.first(
        &format!("/zones/{Z3}/dns_records"),
        json_status(403, fixture("error_auth_10000.json")),
    )
    .await;
    let counter = CallCounter::new();
    let client = cf.client().with_counter(counter.clone());
    let inv = CloudflareInventory::read_all("CF_TEST", &client, RateBudget::cloudflare()).await;

    // Two zones whole, the third's load balancers and refused records (nothing known to be
    // proxied there, so no settings), token verify once, the pool list.
    assert_eq!(
        counter.total(),
        1 + 2 * 14 + 2 + 1 + 1,
        "{:?}",
        counter.per_operation()
    );
    assert_eq!(
        counter.per_operation()["cloudflare:GET /user/tokens/verify"],
        1
    );
    assert_eq!(inv.unread().len(), 1, "{:?}", inv.unread());
    assert!(inv.unread()[0].contains("example.net"));

    let routes = inv.routes();
    let net: Vec<_> = routes
        .iter()
        .filter(|r| r.domain.ends_with("example.net"))
        .collect();
    assert_eq!(net.len(), 1, "only the apex of the unreadable zone");
    assert!(net[0].from.contains("could not be read"), "{}", net[0].from);
    for domain in ["example.net", "svc1.example.net", "ws.example.net"] {
        let out = resolve_cloudflare(&inv, &req(domain, "/"), None);
        assert!(out.layers.is_empty(), "{domain}");
        assert_eq!(out.gaps.len(), 1, "{domain}: {:?}", out.gaps);
        assert_eq!(out.gaps[0].code, GapCode::AccessDenied);
        let reason = &out.gaps[0].reason;
        assert!(reason.contains("\"DNS Read\""), "{reason}");
        assert!(reason.contains("(token CF_TEST)"), "{reason}");
        assert!(!reason.contains(TOKEN));
    }
    for r in routes.iter().filter(|r| !r.domain.ends_with("example.net")) {
        let out = resolve_cloudflare(&inv, &req(&r.domain, "/"), None);
        assert!(out.gaps.is_empty(), "{}: {:?}", r.domain, out.gaps);
    }
}

#[tokio::test]
async fn a_429_storm_is_paced_by_the_budget_retried_and_then_a_gap() {
    let cf = three_zones().await;
    cf.first(
        &format!("/zones/{Z2}/dns_records"),
        json_status(429, fixture("error_rate_limited.json")),
    )
    .await;
    let counter = CallCounter::new();
    let client = cf.client().with_counter(counter.clone());
    // Ten at once, then 40 a second: the 46 requests below take at least 0.9 s.
    let budget = RateBudget::new(10, 40.0);
    let t0 = Instant::now();
    let inv = tokio::time::timeout(
        Duration::from_secs(30),
        CloudflareInventory::read_all("CF_TEST", &client, budget),
    )
    .await
    .expect("a storm of 429s ends in a gap, not a hang");
    let took = t0.elapsed();

    let sent = cf.requests().await.len() as u64;
    // Every zone whole (example.org's proxied load balancer still needs its edge), the
    // pool list; the throttled records list is one call, tried three times (the client's
    // attempts), each attempt paced by the budget.
    assert_eq!(counter.total(), 1 + 3 * 14 + 1);
    assert_eq!(sent, counter.total() + 2);
    assert_eq!(cf.requests_to(&format!("/zones/{Z2}/dns_records")).await, 3);
    assert!(
        took >= Duration::from_millis(850),
        "{sent} requests at 10 burst + 40/s cannot take {took:?}"
    );

    for domain in ["live.example.org", "svc1.example.org", "example.org"] {
        let out = resolve_cloudflare(&inv, &req(domain, "/"), None);
        assert_eq!(out.gaps.len(), 1, "{domain}: {:?}", out.gaps);
        assert_eq!(out.gaps[0].code, GapCode::Throttled);
        assert!(out.gaps[0].reason.contains("(token CF_TEST)"));
    }
    let fine = resolve_cloudflare(&inv, &req("ws.example.com", "/"), None);
    assert!(fine.gaps.is_empty(), "{:?}", fine.gaps);
    assert_eq!(fine.layers.len(), 1);
}

#[tokio::test]
async fn several_tokens_merge_and_a_refused_token_is_named() {
    let cf = three_zones().await;
    let prod =
        CloudflareInventory::read_all("CF_PROD", &cf.client(), RateBudget::cloudflare()).await;
    let refused = FakeCloudflare::start().await;
    refused
        .get("/zones", json_status(403, fixture("error_auth_10000.json")))
        .await;
    refused
        .get(
            "/user/tokens/verify",
            json_status(401, fixture("error_verify_invalid.json")),
        )
        .await;
    let other =
        CloudflareInventory::read_all("CF_OTHER", &refused.client(), RateBudget::cloudflare())
            .await;
    assert_eq!(other.routes().len(), 0);
    assert_eq!(other.unread().len(), 1);
    assert!(
        other.unread()[0].contains("token CF_OTHER"),
        "{:?}",
        other.unread()
    );

    let both = CloudflareInventory::merge(vec![other, prod]);
    assert_eq!(both.routes().len(), 3 * 93 + 1);
    let out = resolve_cloudflare(&both, &req("ws.example.com", "/"), None);
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
    let out = resolve_cloudflare(&both, &req("ws.example.io", "/"), None);
    assert_eq!(
        out.gaps[0].code,
        GapCode::InvalidCredentials,
        "{:?}",
        out.gaps
    );
    assert!(out.gaps[0].reason.contains("(token CF_OTHER)"));
}

#[tokio::test]
async fn a_zone_listed_in_pages_is_read_to_its_last_page() {
    // A server that answers 40 records a page: 101 records are three pages a zone.
    let cf = three_zones_paged(40).await;
    let counter = CallCounter::new();
    let client = cf.client().with_counter(counter.clone());
    let inv = CloudflareInventory::read_all("CF_TEST", &client, RateBudget::cloudflare()).await;
    assert_eq!(cf.requests_to(&format!("/zones/{Z2}/dns_records")).await, 3);
    // Pages are requests, each counted.
    assert_eq!(
        counter.per_operation()["cloudflare:GET /zones/:id/dns_records"],
        9
    );
    assert_eq!(inv.routes().len(), 3 * 93 + 1);
    // svc89 is on the third page (records 81 to 101).
    let out = resolve_cloudflare(&inv, &req("svc89.example.org", "/"), None);
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
}

#[tokio::test]
async fn a_tunnel_a_proxied_record_points_at_is_read_once_with_the_inventory() {
    let tunnel = "6ff42ae2-765d-4adf-8112-31c55c1551ef";
    let cf = FakeCloudflare::start().await;
    let target = format!("{tunnel}.cfargotunnel.com");
    cf.zones(&[ZoneSpec {
        id: Z1.into(),
        name: "example.com".into(),
        records: vec![
            record_object("ws.example.com", "CNAME", &target, true),
            record_object("chat.example.com", "CNAME", &target, true),
        ],
    }])
    .await;
    cf.get(
        &format!("/accounts/{ACCOUNT_ID}/cfd_tunnel/{tunnel}/configurations"),
        json_ok(fixture("tunnel_configuration.json")),
    )
    .await;
    let counter = CallCounter::new();
    let client = cf.client().with_counter(counter.clone());
    let inv = CloudflareInventory::read_all("CF_TEST", &client, RateBudget::cloudflare()).await;
    // Two records, one tunnel: its configuration is read once.
    assert_eq!(
        counter.per_operation()["cloudflare:GET /accounts/:id/cfd_tunnel/:id/configurations"],
        1
    );
    assert_eq!(counter.total(), 1 + 14 + 1);
    for (domain, path) in [("ws.example.com", "/ws/chat"), ("chat.example.com", "/")] {
        let r = req(domain, path);
        let scan = resolve_cloudflare(&inv, &r, None);
        let ids: Vec<&str> = scan.layers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, vec!["cloudflare", "cloudflared"], "{domain}");
        // The tunnel's name resolves nowhere else: no next hop for the walk.
        assert!(scan.next_hops.is_empty(), "{:?}", scan.next_hops);
        let chain = cloudflare_task(&r, Ok(cf.client()), None).run.await;
        assert_eq!(as_json(&scan.layers), as_json(&chain.layers), "{domain}");
        assert_eq!(as_json(&scan.notices), as_json(&chain.notices), "{domain}");
        assert_eq!(scan.next_host_header, chain.next_host_header, "{domain}");
        assert_eq!(scan.next_port, chain.next_port, "{domain}");
    }
}
