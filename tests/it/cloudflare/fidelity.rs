//! The Cloudflare provider reading the API as it really answers (issue 14, items 6–10),
//! through the real binary: `wsaudit chain --domain ws.example.com --format json` against the
//! loopback API v4 server. Each test names the API behaviour its answers stand for.

use crate::support;
use crate::support::cloudflare::*;
use crate::support::run::*;
use serde_json::{json, Value};
use wiremock::ResponseTemplate;

/// `wsaudit chain ARGS --format json` with Cloudflare pointed at the fake and AWS absent, off
/// the runtime's threads (the fake lives on them).
async fn chain(cf: &FakeCloudflare, args: &[&str]) -> (Run, Value) {
    let base = cf.base_url();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let env = [
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("WSAUDIT_CLOUDFLARE_API_URL", base.as_str()),
            ("AWS_CONFIG_FILE", "/nonexistent/wsaudit-test"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/wsaudit-test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        let mut full = vec!["chain", "--format", "json", "--fail-on", "never"];
        full.extend(args.iter().map(String::as_str));
        if !args.iter().any(|a| a.starts_with("--nginx")) {
            full.push("--no-nginx");
        }
        if !args.iter().any(|a| a == "--domain") {
            full.extend(["--domain", "ws.example.com", "--path", "/ws/"]);
        }
        let r = wsaudit_full(&repo(), &full, None, &env);
        assert!(
            !r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN),
            "the token leaked"
        );
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
        (r, v)
    })
    .await
    .unwrap()
}

fn gaps(v: &Value) -> Vec<(String, String)> {
    v["chain"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["code"].as_str().unwrap().to_string(),
                g["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn notices(v: &Value) -> String {
    v["notices"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn layer<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no layer {id} in {:#}", v["chain"]["layers"]))
}

fn list(result: Value, info: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": result, "result_info": info})
}

fn record(id: &str, name: &str, kind: &str, content: &str, proxied: bool) -> Value {
    json!({"id": id, "zone_id": ZONE_ID, "zone_name": "example.com", "name": name, "type": kind,
           "content": content, "proxiable": kind != "TXT", "proxied": proxied, "ttl": 1,
           "created_on": "2014-01-01T05:20:00.12345Z", "modified_on": "2014-01-01T05:20:00.12345Z"})
}

fn records_of(records: Vec<Value>) -> ResponseTemplate {
    let n = records.len();
    json_ok(list(
        json!(records),
        json!({"page": 1, "per_page": 100, "count": n, "total_count": n, "total_pages": 1}),
    ))
}

/// Zone example.com, `ws.example.com` a proxied CNAME to a plain host name (so no AWS walk
/// follows), no load balancers, WebSocket-friendly settings with `overrides`.
async fn proxied_zone(cf: &FakeCloudflare, overrides: &[(&str, Value)]) {
    cf.zone_example_com().await;
    cf.get_query(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ("name", "ws.example.com"),
        records_of(vec![record(
            "372e67954025e0ba6aaa6d586b9e0b59",
            "ws.example.com",
            "CNAME",
            "origin.example.net",
            true,
        )]),
    )
    .await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(overrides).await;
}

fn denied_10000() -> ResponseTemplate {
    json_status(403, fixture("error_auth_10000.json"))
}

// ---- 6. a missing permission is not a bad token --------------------------------------------

/// A token without "Load Balancers Read" is refused the list (403, 10000) while token verify
/// says it is active: the load balancers are a gap that names the permission, and the record
/// and settings that were read still make the layer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_load_balancer_permission_is_a_gap_naming_it_and_the_rest_stays() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(&format!("/zones/{ZONE_ID}/load_balancers"), denied_10000())
        .await;
    let (r, v) = chain(&cf, &[]).await;
    assert_eq!(r.code, 3, "incomplete: {}", r.stderr);
    let g = gaps(&v);
    let lb = g
        .iter()
        .find(|(_, reason)| reason.contains("load balancers"))
        .unwrap_or_else(|| panic!("{g:?}"));
    assert_eq!(lb.0, "access-denied");
    assert!(lb.1.contains("\"Load Balancers Read\""), "{}", lb.1);
    assert!(lb.1.contains("token is valid"), "{}", lb.1);
    let cf_layer = layer(&v, "cloudflare");
    assert_eq!(cf_layer["websocket"]["value"], "enabled");
    assert_eq!(cf_layer["tls_to_origin"]["value"], true);
}

/// 9109 on a settings read is "Unauthorized to access requested resource" when verify says the
/// token is active: access denied, naming "Zone Settings Read", not "invalid token".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_9109_with_an_active_token_is_a_missing_permission_asked_once() {
    let cf = FakeCloudflare::start().await;
    for id in ["http2", "http3", "proxy_read_timeout"] {
        cf.first(
            &format!("/zones/{ZONE_ID}/settings/{id}"),
            json_status(403, fixture("error_unauthorized_9109.json")),
        )
        .await;
    }
    proxied_zone(&cf, &[]).await;
    let (_, v) = chain(&cf, &[]).await;
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "access-denied");
    assert!(g[0].1.contains("\"Zone Settings Read\""), "{}", g[0].1);
    assert!(g[0].1.contains("http3"), "{}", g[0].1);
    // The settings that were read stay.
    assert_eq!(layer(&v, "cloudflare")["websocket"]["value"], "enabled");
    // Three refusals, one verify.
    assert_eq!(cf.requests_to("/user/tokens/verify").await, 1);
}

/// An invalid token gets 9109 everywhere, verify included: that is a bad token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_9109_that_verify_confirms_is_an_invalid_token() {
    let cf = FakeCloudflare::start().await;
    cf.first(
        "/zones",
        json_status(400, fixture("error_invalid_token.json")),
    )
    .await;
    cf.first(
        "/user/tokens/verify",
        json_status(401, fixture("error_verify_invalid.json")),
    )
    .await;
    let (r, v) = chain(&cf, &[]).await;
    assert_eq!(r.code, 3);
    let g = gaps(&v);
    assert_eq!(g[0].0, "invalid-credentials", "{g:?}");
    assert!(g[0].1.contains("token verify refuses it too"), "{}", g[0].1);
}

/// An account-owned token is refused by `/user/tokens/verify` (1000) and verified under its
/// account: a refusal is then a missing permission, not a bad token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_owned_token_is_verified_under_its_account() {
    let cf = FakeCloudflare::start().await;
    cf.first(
        "/user/tokens/verify",
        json_status(401, fixture("error_verify_invalid.json")),
    )
    .await;
    cf.first(
        &format!("/accounts/{ACCOUNT_ID}/tokens/verify"),
        json_ok(fixture("token_verify_active.json")),
    )
    .await;
    cf.first(
        &format!("/zones/{ZONE_ID}/settings/proxy_read_timeout"),
        json_status(400, fixture("error_unauthorized_9109.json")),
    )
    .await;
    proxied_zone(&cf, &[]).await;
    let (_, v) = chain(&cf, &[]).await;
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "access-denied");
    assert!(g[0].1.contains("\"Zone Settings Read\""), "{}", g[0].1);
    assert_eq!(
        cf.requests_to(&format!("/accounts/{ACCOUNT_ID}/tokens/verify"))
            .await,
        1
    );
}

/// 1001 is reused for refusals that have nothing to do with a missing zone: it is an API
/// error quoting the message, not "not found".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_1001_is_not_read_as_not_found_by_its_number() {
    let cf = FakeCloudflare::start().await;
    cf.first(
        &format!("/zones/{ZONE_ID}/settings/http3"),
        json_status(400, fixture("error_1001_other.json")),
    )
    .await;
    proxied_zone(&cf, &[]).await;
    let (_, v) = chain(&cf, &[]).await;
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "api-error");
    assert!(g[0].1.contains("1001"), "{}", g[0].1);
}

// ---- 7. pagination like the API ------------------------------------------------------------

/// cloudflare-go's own list bodies carry `total_count` and `per_page` but no `total_pages`:
/// the CNAME on page 2 is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_followed_from_total_count_when_total_pages_is_absent() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;
    let info = |page: u32| json!({"page": page, "per_page": 1, "count": 1, "total_count": 2});
    cf.get_pages(
        &format!("/zones/{ZONE_ID}/dns_records"),
        Some(("name", "ws.example.com")),
        vec![
            list(
                json!([record("r1", "ws.example.com", "TXT", "v=spf1 -all", false)]),
                info(1),
            ),
            list(
                json!([record(
                    "r2",
                    "ws.example.com",
                    "CNAME",
                    "origin.example.net",
                    true
                )]),
                info(2),
            ),
        ],
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    assert_eq!(layer(&v, "cloudflare")["targets"]["value"], 1);
    assert_eq!(
        layer(&v, "cloudflare")["targets"]["origin"]["locator"],
        format!("zone/{ZONE_ID}/dns_records/r2")
    );
}

/// With neither `total_pages` nor `total_count`, a full page means there may be more, and the
/// first short page ends the list: the load balancer on page 2 takes precedence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_without_counts_end_on_a_short_page() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    let mut other = fixture("load_balancers_cookie.json")["result"][0].clone();
    other["name"] = json!("other.example.com");
    other["id"] = json!("699d98642c564d2e855e9661899b7000");
    let ws = fixture("load_balancers_cookie.json")["result"][0].clone();
    cf.get_pages(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        None,
        vec![
            list(
                json!([other]),
                json!({"page": 1, "per_page": 1, "count": 1}),
            ),
            list(json!([ws]), json!({"page": 2, "per_page": 1, "count": 1})),
            list(json!([]), json!({"page": 3, "per_page": 1, "count": 0})),
        ],
    )
    .await;
    cf.pool().await;
    let (_, v) = chain(&cf, &[]).await;
    let l = layer(&v, "cloudflare");
    assert_eq!(l["stickiness"]["value"]["mode"], "cookie", "{l:#}");
    assert_eq!(
        cf.requests_to(&format!("/zones/{ZONE_ID}/load_balancers"))
            .await,
        3
    );
}

// ---- 8. load balancers whole ---------------------------------------------------------------

const POOL_REGION: &str = "de90f38ced07c2e2f4df50b1f61d4194";
const POOL_RULE: &str = "00920f38ce07c2e2f4df50b1f61d4194";

fn pool_body(id: &str, origins: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": {
        "id": id, "name": id, "enabled": true, "minimum_origins": 1, "origins": origins,
        "created_on": "2014-01-01T05:20:00.12345Z", "modified_on": "2014-01-01T05:20:00.12345Z"}})
}

/// The cookie-affinity load balancer for ws.example.com over one pool with `origins`.
async fn cookie_lb_over(origins: Value) -> FakeCloudflare {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.settings(&[]).await;
    cf.load_balancers("load_balancers_cookie.json").await;
    mount_pool(&cf, POOL_ID, origins).await;
    cf
}

async fn mount_pool(cf: &FakeCloudflare, id: &str, origins: Value) {
    cf.get(
        &format!("/accounts/{ACCOUNT_ID}/load_balancers/pools/{id}"),
        json_ok(pool_body(id, origins)),
    )
    .await;
}

/// The load balancer's region pools and a rule's PoP pools (the shape of cloudflare-go's
/// load balancer bodies) are pools traffic reaches: their origins count, and a rule that
/// overrides affinity to none leaves those clients without stickiness.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn region_pop_and_rule_pools_count_and_rule_overrides_reach_stickiness() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.settings(&[]).await;
    let lb = json!({
        "id": "699d98642c564d2e855e9661899b7252", "name": "ws.example.com", "enabled": true,
        "proxied": true, "ttl": 30, "steering_policy": "least_connections",
        "default_pools": [POOL_ID], "fallback_pool": POOL_ID,
        "region_pools": {"WNAM": [POOL_REGION]},
        "country_pools": {}, "pop_pools": null,
        "session_affinity": "cookie", "session_affinity_ttl": 1800,
        "session_affinity_attributes": {"drain_duration": 60, "headers": null},
        "rules": [{
            "name": "LAX goes elsewhere", "condition": "cf.load_balancer.region == \"WNAM\"",
            "disabled": false, "priority": 0,
            "overrides": {"pop_pools": {"LAX": [POOL_RULE]}, "session_affinity": "none"}
        }]
    });
    cf.get(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        json_ok(list(
            json!([lb]),
            json!({"page": 1, "per_page": 20, "count": 1, "total_count": 1}),
        )),
    )
    .await;
    cf.pool().await; // two enabled origins
    mount_pool(
        &cf,
        POOL_REGION,
        json!([{"name": "w1", "address": "198.51.100.31", "enabled": true, "weight": 1}]),
    )
    .await;
    mount_pool(
        &cf,
        POOL_RULE,
        json!([{"name": "l1", "address": "198.51.100.41", "enabled": true, "weight": 1}]),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let l = layer(&v, "cloudflare");
    assert_eq!(l["targets"]["value"], 4, "{l:#}");
    assert_eq!(l["balancing"]["value"], "least_connections");
    assert_eq!(l["stickiness"]["value"]["mode"], "none");
    assert!(l["stickiness"]["origin"]["field"]
        .as_str()
        .unwrap()
        .contains("rules[0].overrides.session_affinity"));
    assert!(support::has_finding(&v, "WS301", "cloudflare"));
    // The fix is on the rule: the load balancer's own affinity is already a cookie.
    let ws301 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "WS301")
        .unwrap();
    let fix = ws301["fix"]["text"].as_str().unwrap();
    assert!(
        fix.contains("the rule at rules[0].overrides.session_affinity")
            && fix.contains("LAX goes elsewhere")
            && !fix.contains("{\"session_affinity\":\"cookie\"}"),
        "{fix}"
    );
}

/// A wildcard load balancer takes precedence over a wildcard DNS record ("as specific"), and
/// an exact record over a wildcard load balancer ("more specific"): Load Balancing docs,
/// "DNS records", priority order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_load_balancer_wins_over_a_wildcard_record_only() {
    let wildcard_lb = || {
        let mut lb = fixture("load_balancers_cookie.json");
        lb["result"][0]["name"] = json!("*.example.com");
        lb
    };
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.settings(&[]).await;
    cf.records("*.example.com", "dns_records_wildcard.json")
        .await;
    cf.get(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        json_ok(wildcard_lb()),
    )
    .await;
    cf.pool().await;
    let (_, v) = chain(&cf, &[]).await;
    let l = layer(&v, "cloudflare");
    assert_eq!(l["stickiness"]["value"]["mode"], "cookie", "{l:#}");
    assert_eq!(l["targets"]["value"], 2);

    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        json_ok(wildcard_lb()),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    let l = layer(&v, "cloudflare");
    assert_eq!(l["stickiness"]["value"]["mode"], "none", "{l:#}");
    assert_eq!(l["targets"]["origin"]["field"], "content");
}

/// Two servers told apart by `server_name` only: both listen on every port the tests' edges
/// connect to (80, a pool origin's 8080, an Origin Rule's 8443), so the Host header decides.
fn nginx_two_servers(dir: &std::path::Path) -> String {
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp {\n  map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n  \
         server {\n    listen 80;\n    listen 8080;\n    listen 8443;\n    server_name ws.example.com;\n    location /ws/ {\n      \
         proxy_pass http://127.0.0.1:9001;\n      proxy_http_version 1.1;\n      \
         proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;\n      \
         proxy_read_timeout 30s;\n    }\n  }\n  server {\n    listen 80;\n    listen 8080;\n    listen 8443;\n    server_name app.internal;\n    \
         location /ws/ {\n      proxy_pass http://127.0.0.1:9002;\n      proxy_http_version 1.1;\n      \
         proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;\n      \
         proxy_read_timeout 3600s;\n    }\n  }\n}\n",
    )
    .unwrap();
    conf.display().to_string()
}

/// A pool origin's `header.Host` is what the next hop selects its server by, and an origin
/// of weight 0 is not a backend: nginx is routed for `app.internal`, and one target counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_origin_host_header_picks_the_nginx_server_and_weight_zero_does_not_count() {
    let cf = cookie_lb_over(json!([
        {"name": "a", "address": "198.51.100.20", "enabled": true, "weight": 1, "port": 8080,
         "header": {"Host": ["app.internal"]}},
        {"name": "standby", "address": "198.51.100.21", "enabled": true, "weight": 0,
         "header": null}
    ]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_two_servers(dir.path());
    let (_, v) = chain(&cf, &["--nginx-conf", &conf, "--nginx-version", "1.26.0"]).await;
    assert_eq!(layer(&v, "cloudflare")["targets"]["value"], 1);
    let ids = support::report_layer_ids(&v);
    assert!(ids.contains(&"nginx:app.internal/ws/"), "{ids:?}");
}

/// nginx on two ports for the same names, told apart by the port only: 443 cuts after 30 s,
/// 8443 after an hour.
fn nginx_by_port(dir: &std::path::Path) -> String {
    nginx_on_ports(dir, &[(443, "30s"), (8443, "3600s")])
}

/// nginx with one server per `(port, proxy_read_timeout)` for the same names.
fn nginx_on_ports(dir: &std::path::Path, servers: &[(u16, &str)]) -> String {
    let conf = dir.join("nginx-ports.conf");
    let server = |port: u16, timeout: &str| {
        format!(
            "  server {{\n    listen {port};\n    server_name ws.example.com app.internal;\n    \
             location /ws/ {{\n      proxy_pass http://127.0.0.1:9001;\n      \
             proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      \
             proxy_set_header Connection $connection_upgrade;\n      \
             proxy_read_timeout {timeout};\n    }}\n  }}\n"
        )
    };
    std::fs::write(
        &conf,
        format!(
            "events {{}}\nhttp {{\n  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n{}}}\n",
            servers
                .iter()
                .map(|(port, timeout)| server(*port, timeout))
                .collect::<String>()
        ),
    )
    .unwrap();
    conf.display().to_string()
}

fn nginx_idle(v: &Value) -> f64 {
    let l = v["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["provider"] == "nginx")
        .unwrap_or_else(|| panic!("no nginx layer: {:#}", v["chain"]));
    l["idle_timeout"]["value"].as_f64().unwrap()
}

/// The port Cloudflare connects to (a pool origin's `port`, an Origin Rule's `origin.port`) is
/// the listen socket nginx picks its server on: the 8443 server's location is the one audited,
/// not the 443 one's. Without a port, nginx's usual default (443) stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_port_cloudflare_connects_to_picks_the_nginx_server() {
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_by_port(dir.path());
    let nginx = ["--nginx-conf", conf.as_str(), "--nginx-version", "1.26.0"];
    for (port, idle) in [(json!(8443), 3600.0), (json!(0), 30.0), (json!(null), 30.0)] {
        let cf = FakeCloudflare::start().await;
        cf.zone_example_com().await;
        cf.settings(&[]).await;
        cf.load_balancers("load_balancers_cookie.json").await;
        mount_pool(
            &cf,
            POOL_ID,
            json!([{"name": "a", "address": "198.51.100.20", "enabled": true, "port": port}]),
        )
        .await;
        let (_, v) = chain(&cf, &nginx).await;
        assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
        assert_eq!(nginx_idle(&v), idle, "pool origin port {port}");
    }

    // An Origin Rule's `origin.port` (8443, with Host: app.internal) does the same.
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(
        &format!("/zones/{ZONE_ID}/rulesets/phases/http_request_origin/entrypoint"),
        json_ok(fixture("ruleset_origin_route.json")),
    )
    .await;
    let (_, v) = chain(&cf, &nginx).await;
    assert_eq!(nginx_idle(&v), 3600.0);

    // cloudflared dials its service's port: 8443 when the URL names it, the scheme's (443 for
    // https) when it does not.
    let tunnel = "6ff42ae2-765d-4adf-8112-31c55c1551ef";
    for (service, idle) in [
        ("http://localhost:8443", 3600.0),
        ("https://localhost", 30.0),
    ] {
        let cf = tunnel_zone(tunnel).await;
        let mut config = fixture("tunnel_configuration.json");
        config["result"]["config"]["ingress"][1]["service"] = json!(service);
        cf.get(
            &format!("/accounts/{ACCOUNT_ID}/cfd_tunnel/{tunnel}/configurations"),
            json_ok(config),
        )
        .await;
        let (_, v) = chain(&cf, &nginx).await;
        assert!(gaps(&v).is_empty(), "{service}: {:?}", gaps(&v));
        assert_eq!(nginx_idle(&v), idle, "{service}");
    }

    // A port nginx does not listen on is no route, and the gap says whose port it is.
    let cf = cookie_lb_over(
        json!([{"name": "a", "address": "198.51.100.20", "enabled": true, "port": 9443}]),
    )
    .await;
    let (r, v) = chain(&cf, &nginx).await;
    assert_eq!(r.code, 3, "incomplete: {}", r.stderr);
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "no-route");
    assert!(
        g[0].1.contains("port 9443") && g[0].1.contains("layer in front of nginx"),
        "{}",
        g[0].1
    );
}

/// HAProxy's query takes the port too: the frontend binding 8443 is the one Cloudflare reaches.
/// nginx behind HAProxy receives on the port of HAProxy's `server` line, not Cloudflare's: it
/// keeps its default socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_port_cloudflare_connects_to_picks_the_haproxy_frontend_and_stops_there() {
    if support::haproxy().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_by_port(dir.path());
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(
        &cfg,
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\n\
         frontend plain\n  bind :443\n  default_backend short\n\n\
         frontend alt\n  bind :8443\n  timeout client 1h\n  default_backend long\n\n\
         backend short\n  server s1 127.0.0.1:9001\n\n\
         backend long\n  timeout server 1h\n  server l1 127.0.0.1:9002\n",
    )
    .unwrap();
    let cf = cookie_lb_over(
        json!([{"name": "a", "address": "198.51.100.20", "enabled": true, "port": 8443}]),
    )
    .await;
    let cfg = cfg.display().to_string();
    let (_, v) = chain(
        &cf,
        &[
            "--haproxy-conf",
            &cfg,
            "--nginx-conf",
            &conf,
            "--nginx-version",
            "1.26.0",
        ],
    )
    .await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let ids = support::report_layer_ids(&v);
    assert!(ids.contains(&"haproxy:alt>long"), "{ids:?}");
    assert_eq!(nginx_idle(&v), 30.0);
}

/// An origin without a port of its own is reached on the port of the protocol Cloudflare
/// speaks to it: under Flexible (cleartext to the origin) nginx's `listen 80` server answers,
/// under Full a `wss://` handshake arrives on 443.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ssl_mode_decides_the_port_an_origin_without_one_is_reached_on() {
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_on_ports(dir.path(), &[(80, "3600s"), (443, "30s")]);
    let nginx = ["--nginx-conf", conf.as_str(), "--nginx-version", "1.26.0"];
    for (mode, idle) in [("flexible", 3600.0), ("full", 30.0)] {
        let cf = FakeCloudflare::start().await;
        cf.zone_example_com().await;
        cf.settings(&[("ssl", json!(mode))]).await;
        cf.load_balancers("load_balancers_cookie.json").await;
        mount_pool(
            &cf,
            POOL_ID,
            json!([{"name": "a", "address": "198.51.100.20", "enabled": true}]),
        )
        .await;
        let (_, v) = chain(&cf, &nginx).await;
        assert!(gaps(&v).is_empty(), "{mode}: {:?}", gaps(&v));
        assert_eq!(nginx_idle(&v), idle, "ssl {mode}");
    }
}

/// The Host a pool origin sends is what HAProxy's `hdr(host)` ACLs see: the handshake for
/// ws.example.com arrives as app.internal and takes that backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_cloudflare_sends_picks_the_haproxy_backend() {
    if support::haproxy().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(
        &cfg,
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\n\
         frontend web\n  bind :443\n  timeout client 1h\n  acl internal hdr(host) -i app.internal\n  \
         use_backend long if internal\n  default_backend short\n\n\
         backend short\n  server s1 127.0.0.1:9001\n\n\
         backend long\n  timeout server 1h\n  server l1 127.0.0.1:9002\n",
    )
    .unwrap();
    let cf = cookie_lb_over(
        json!([{"name": "a", "address": "198.51.100.20", "enabled": true,
                "header": {"Host": ["app.internal"]}}]),
    )
    .await;
    let cfg = cfg.display().to_string();
    let (_, v) = chain(&cf, &["--haproxy-conf", &cfg]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let ids = support::report_layer_ids(&v);
    assert!(ids.contains(&"haproxy:web>long"), "{ids:?}");
}

/// A load balancer with cookie affinity for 1800 s, least-connections steering, and `rules`.
fn lb_with_rules(rules: Value) -> Value {
    let lb = json!({
        "id": "699d98642c564d2e855e9661899b7252", "name": "ws.example.com", "enabled": true,
        "proxied": true, "ttl": 30, "steering_policy": "least_connections",
        "default_pools": [POOL_ID], "fallback_pool": POOL_ID,
        "session_affinity": "cookie", "session_affinity_ttl": 1800,
        "session_affinity_attributes": {"drain_duration": 300},
        "rules": rules
    });
    list(
        json!([lb]),
        json!({"page": 1, "per_page": 20, "count": 1, "total_count": 1}),
    )
}

async fn lb_zone(rules: Value) -> FakeCloudflare {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.settings(&[]).await;
    cf.get(
        &format!("/zones/{ZONE_ID}/load_balancers"),
        json_ok(lb_with_rules(rules)),
    )
    .await;
    cf.pool().await; // two enabled origins
    cf
}

/// A rule whose condition matches the handshake gives it the rule's `session_affinity_ttl` and
/// `steering_policy`, with the rule's field as provenance; a rule whose condition does not
/// match (`/api`) changes nothing for `/ws/`, and applies, with its consequence (WS301), to
/// the handshakes it matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_overrides_reach_stickiness_and_steering_for_the_handshakes_they_match() {
    let rules = json!([
        {"name": "api unsticky", "condition": "http.request.uri.path eq \"/api\"",
         "disabled": false, "priority": 0, "overrides": {"session_affinity": "none"}},
        {"name": "ws short", "condition": "starts_with(http.request.uri.path, \"/ws/\")",
         "disabled": false, "priority": 1,
         "overrides": {"session_affinity_ttl": 60, "steering_policy": "random"}}
    ]);
    let cf = lb_zone(rules.clone()).await;
    let (_, v) = chain(&cf, &[]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let l = layer(&v, "cloudflare");
    assert_eq!(l["stickiness"]["value"]["mode"], "cookie", "{l:#}");
    assert_eq!(l["stickiness"]["value"]["ttl_s"], 60.0, "{l:#}");
    let field = l["stickiness"]["origin"]["field"].as_str().unwrap();
    assert!(
        field.contains(
            "rules[1].overrides.session_affinity_ttl (rule \"ws short\", when starts_with("
        ),
        "{field}"
    );
    assert_eq!(l["balancing"]["value"], "random");
    assert!(l["balancing"]["origin"]["field"]
        .as_str()
        .unwrap()
        .starts_with("rules[1].overrides.steering_policy"));
    assert!(!support::has_finding(&v, "WS301", "cloudflare"));

    let cf = lb_zone(rules).await;
    let (_, v) = chain(&cf, &["--domain", "ws.example.com", "--path", "/api"]).await;
    let l = layer(&v, "cloudflare");
    assert_eq!(l["stickiness"]["value"]["mode"], "none", "{l:#}");
    assert_eq!(l["balancing"]["value"], "least_connections");
    assert!(support::has_finding(&v, "WS301", "cloudflare"));
}

/// Rules run by `priority` and a later override replaces an earlier one, until a matching rule
/// `terminates`. One whose condition wsaudit cannot evaluate (`ip.src`) is a notice: its
/// shorter TTL is taken (worse for WebSockets; a verdict is never clean on a guess), its
/// steering policy is not (nothing ranks it worse), and a rule after the terminating one never
/// applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_run_by_priority_until_one_terminates_and_undecided_ones_are_notices() {
    let rules = json!([
        {"name": "office", "condition": "ip.src in {192.0.2.0/24}", "disabled": false,
         "priority": 1,
         "overrides": {"session_affinity_ttl": 30, "steering_policy": "random"}},
        {"name": "ws", "condition": "starts_with(http.request.uri.path, \"/ws/\")",
         "disabled": false, "priority": 0, "overrides": {"session_affinity_ttl": 600}},
        {"name": "stop", "condition": "http.host eq \"ws.example.com\"", "disabled": false,
         "priority": 3, "terminates": true, "overrides": {}},
        {"name": "after stop", "condition": "", "disabled": false, "priority": 4,
         "overrides": {"session_affinity": "none"}}
    ]);
    let cf = lb_zone(rules).await;
    let (_, v) = chain(&cf, &[]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let l = layer(&v, "cloudflare");
    assert_eq!(l["stickiness"]["value"]["mode"], "cookie", "{l:#}");
    assert_eq!(l["stickiness"]["value"]["ttl_s"], 30.0, "{l:#}");
    let field = l["stickiness"]["origin"]["field"].as_str().unwrap();
    assert!(
        field.contains("rules[0].overrides.session_affinity_ttl (rule \"office\"")
            && field.contains("ip.src"),
        "{field}"
    );
    assert_eq!(l["balancing"]["value"], "least_connections", "{l:#}");
    assert_eq!(l["balancing"]["origin"]["field"], "steering_policy");
    assert!(!support::has_finding(&v, "WS301", "cloudflare"));
    let n = notices(&v);
    assert!(
        n.contains("rules[0].overrides.steering_policy (rule \"office\"")
            && n.contains("value without it is kept"),
        "{n}"
    );
    assert!(
        n.contains("rules[0].overrides.session_affinity_ttl (rule \"office\"")
            && n.contains("taken as applying"),
        "{n}"
    );
}

// ---- 9. the settings that decide the edge --------------------------------------------------

/// `ssl: off`: no TLS between visitors and Cloudflare, so wss:// fails at the edge (WS505),
/// which is not WS503's clear-text-to-origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_off_is_its_own_finding_at_the_edge() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[("ssl", json!("off"))]).await;
    let (_, v) = chain(&cf, &[]).await;
    let f = support::finding(&v, "WS505");
    assert_eq!(f["layer"], "cloudflare");
    assert_eq!(f["severity"], "critical");
    assert!(!support::has_finding(&v, "WS503", "cloudflare"));
}

/// A Configuration Rule (`set_config` with `ssl`) for the hostname overrides the zone's SSL
/// mode: Flexible for ws.example.com is clear text to the origin though the zone is strict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_rule_sets_the_ssl_mode_for_the_hostname() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(
        &format!("/zones/{ZONE_ID}/rulesets/phases/http_config_settings/entrypoint"),
        json_ok(fixture("ruleset_config_ssl_flexible.json")),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    let l = layer(&v, "cloudflare");
    assert_eq!(l["tls_to_origin"]["value"], false, "{l:#}");
    assert_eq!(
        l["tls_to_origin"]["origin"]["field"],
        "action_parameters.ssl"
    );
    let f = support::finding(&v, "WS503");
    assert!(
        f["message"].as_str().unwrap().contains("rulesets/"),
        "{f:#}"
    );
    // A later rule whose `ip.src` wsaudit cannot know is still decided by its host test;
    // one that only the client address decides makes the mode unknown, and says why.
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    let mut set = fixture("ruleset_config_ssl_flexible.json");
    set["result"]["rules"] = json!([{
        "id": "r-office", "action": "set_config", "action_parameters": {"ssl": "off"},
        "expression": "(ip.src in {192.0.2.0/24})", "enabled": true
    }]);
    cf.first(
        &format!("/zones/{ZONE_ID}/rulesets/phases/http_config_settings/entrypoint"),
        json_ok(set),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    let l = layer(&v, "cloudflare");
    assert!(l["tls_from_client"]["value"].is_null(), "{l:#}");
    assert!(!support::has_finding(&v, "WS505", "cloudflare"));
    let n = notices(&v);
    assert!(n.contains("r-office") && n.contains("ip.src"), "{n}");
}

/// An Origin Rule (`route`) rewrites the Host header and port of the next hop: nginx is
/// routed by the rewritten Host, and the report says what changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_rule_changes_the_next_hop() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(
        &format!("/zones/{ZONE_ID}/rulesets/phases/http_request_origin/entrypoint"),
        json_ok(fixture("ruleset_origin_route.json")),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_two_servers(dir.path());
    let (_, v) = chain(&cf, &["--nginx-conf", &conf, "--nginx-version", "1.26.0"]).await;
    let ids = support::report_layer_ids(&v);
    assert!(ids.contains(&"nginx:app.internal/ws/"), "{ids:?}");
    let n = notices(&v);
    assert!(
        n.contains("Host: app.internal") && n.contains("port 8443"),
        "{n}"
    );
}

/// A token without "Config Settings Read" cannot see the Configuration Rules: a gap naming
/// it, while the zone's own SSL mode is still used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_configuration_rules_are_a_gap_naming_the_permission() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(
        &format!("/zones/{ZONE_ID}/rulesets/phases/http_config_settings/entrypoint"),
        denied_10000(),
    )
    .await;
    let (r, v) = chain(&cf, &[]).await;
    assert_eq!(r.code, 3);
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "access-denied");
    assert!(g[0].1.contains("Config Settings Read"), "{}", g[0].1);
    assert_eq!(layer(&v, "cloudflare")["tls_to_origin"]["value"], true);
}

/// Argo Smart Routing on, a Workers route over the hostname and a Spectrum application on
/// it are each reported with what Cloudflare documents about WebSockets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_workers_routes_and_spectrum_are_reported() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[]).await;
    cf.first(
        &format!("/zones/{ZONE_ID}/argo/smart_routing"),
        json_ok(setting_body("smart_routing", json!("on"), true)),
    )
    .await;
    cf.first(
        &format!("/zones/{ZONE_ID}/workers/routes"),
        json_ok(fixture("workers_routes.json")),
    )
    .await;
    cf.first(
        &format!("/zones/{ZONE_ID}/spectrum/apps"),
        json_ok(fixture("spectrum_apps.json")),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    let n = notices(&v);
    assert!(n.contains("Argo Smart Routing is on"), "{n}");
    assert!(n.contains("not compatible with WebSockets"), "{n}");
    assert!(n.contains("runs the Worker \"ws-gateway\""), "{n}");
    assert!(
        !n.contains("api.example.com/*"),
        "a route for another host: {n}"
    );
    assert!(!n.contains("catch-all"), "a less specific route: {n}");
    assert!(n.contains("Spectrum application"), "{n}");
    // Also on the table a person reads.
    let cf2 = FakeCloudflare::start().await;
    proxied_zone(&cf2, &[]).await;
    cf2.first(
        &format!("/zones/{ZONE_ID}/argo/smart_routing"),
        json_ok(setting_body("smart_routing", json!("on"), true)),
    )
    .await;
    let base = cf2.base_url();
    let table = tokio::task::spawn_blocking(move || {
        wsaudit_full(
            &repo(),
            &[
                "chain",
                "--domain",
                "ws.example.com",
                "--no-nginx",
                "--fail-on",
                "never",
            ],
            None,
            &[
                ("CLOUDFLARE_API_TOKEN", TOKEN),
                ("WSAUDIT_CLOUDFLARE_API_URL", &base),
                ("AWS_CONFIG_FILE", "/nonexistent/x"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/x"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(
        table.stdout.contains("Argo Smart Routing is on"),
        "{}",
        table.stdout
    );
}

/// A CNAME to `<uuid>.cfargotunnel.com` is a Cloudflare Tunnel: a `cloudflared` layer, and no
/// walk to an "unknown origin" of that name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cname_to_cfargotunnel_is_a_cloudflared_layer() {
    let cf = tunnel_zone("6ff42ae2-765d-4adf-8112-31c55c1551ef").await;
    let (_, v) = chain(&cf, &[]).await;
    let t = layer(&v, "cloudflared");
    assert_eq!(t["provider"], "cloudflared");
    assert_eq!(t["kind"], "reverse_proxy");
    assert!(t["name"].as_str().unwrap().contains("6ff42ae2"), "{t:#}");
    // Its settings live in cloudflared's own configuration: nothing is invented about them.
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["layer"] == "cloudflared"),
        "{:#}",
        v["findings"]
    );
    assert_eq!(support::report_layer_ids(&v)[0], "cloudflare");
    // No remote configuration (404): the ingress rules are in a local config.yml, and the
    // report says so.
    assert!(notices(&v).contains("managed locally"), "{}", notices(&v));
}

/// ws.example.com as a proxied CNAME to the tunnel `tunnel`, and nothing else in the zone.
async fn tunnel_zone(tunnel: &str) -> FakeCloudflare {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;
    cf.get_query(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ("name", "ws.example.com"),
        records_of(vec![record(
            "rt1",
            "ws.example.com",
            "CNAME",
            &format!("{tunnel}.cfargotunnel.com"),
            true,
        )]),
    )
    .await;
    cf
}

/// A remotely managed tunnel's ingress rule (cloudflare-go's configuration body) says where
/// cloudflared forwards the hostname and with which Host header: nginx is routed by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remotely_managed_tunnel_says_where_cloudflared_forwards() {
    let tunnel = "6ff42ae2-765d-4adf-8112-31c55c1551ef";
    let setup = || tunnel_zone(tunnel);
    let cf = setup().await;
    cf.get(
        &format!("/accounts/{ACCOUNT_ID}/cfd_tunnel/{tunnel}/configurations"),
        json_ok(fixture("tunnel_configuration.json")),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let conf = nginx_two_servers(dir.path());
    let (_, v) = chain(&cf, &["--nginx-conf", &conf, "--nginx-version", "1.26.0"]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let t = layer(&v, "cloudflared");
    assert_eq!(t["tls_to_origin"]["value"], false, "{t:#}");
    assert_eq!(
        t["tls_to_origin"]["origin"]["field"],
        "config.ingress[1].service"
    );
    assert_eq!(
        support::report_layer_ids(&v),
        vec!["cloudflare", "cloudflared", "nginx:app.internal/ws/"]
    );
    assert!(
        notices(&v).contains("http://localhost:8080"),
        "{}",
        notices(&v)
    );

    // Without "Cloudflare Tunnel Read" the ingress rules are a gap that names it.
    let cf = setup().await;
    cf.get(
        &format!("/accounts/{ACCOUNT_ID}/cfd_tunnel/{tunnel}/configurations"),
        denied_10000(),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "access-denied");
    assert!(g[0].1.contains("\"Cloudflare Tunnel Read\""), "{}", g[0].1);
}

/// `proxy_read_timeout` answered as a string ("2") is seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_read_timeout_as_a_string_is_seconds() {
    let cf = FakeCloudflare::start().await;
    proxied_zone(&cf, &[("proxy_read_timeout", json!("2"))]).await;
    let (_, v) = chain(&cf, &[]).await;
    let l = layer(&v, "cloudflare");
    assert_eq!(l["response_timeout"]["value"], 2.0, "{l:#}");
    assert_eq!(
        l["response_timeout"]["origin"]["locator"],
        format!("zone/{ZONE_ID}/settings/proxy_read_timeout")
    );
}

/// `*.example.com` covers `a.b.example.com` when `b.example.com` does not exist (not even as
/// an empty non-terminal), as DNS answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_covers_deeper_names_when_no_closer_name_exists() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;
    cf.records("*.example.com", "dns_records_wildcard.json")
        .await;
    let (_, v) = chain(&cf, &["--domain", "a.b.example.com", "--path", "/ws/"]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    let l = layer(&v, "cloudflare");
    assert_eq!(l["targets"]["value"], 1);

    // `b.example.com` exists (here as the parent of another name): the wildcard stops there.
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.records("*.example.com", "dns_records_wildcard.json")
        .await;
    cf.get_query(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ("name.endswith", ".b.example.com"),
        records_of(vec![record(
            "r9",
            "x.b.example.com",
            "A",
            "198.51.100.9",
            true,
        )]),
    )
    .await;
    let (_, v) = chain(&cf, &["--domain", "a.b.example.com", "--path", "/ws/"]).await;
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "not-found");
}

/// A name that exists with a TXT record only is not proxied by the wildcard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_txt_only_name_is_not_covered_by_the_wildcard() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;
    cf.get_query(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ("name", "ws.example.com"),
        records_of(vec![record(
            "t1",
            "ws.example.com",
            "TXT",
            "v=spf1 -all",
            false,
        )]),
    )
    .await;
    cf.records("*.example.com", "dns_records_wildcard.json")
        .await;
    let (r, v) = chain(&cf, &[]).await;
    assert_eq!(r.code, 3);
    assert!(v["chain"]["layers"].as_array().unwrap().is_empty());
    let g = gaps(&v);
    assert_eq!(g[0].0, "not-found");
    assert!(g[0].1.contains("other types only"), "{}", g[0].1);
}

// ---- 10. robust decoding -------------------------------------------------------------------

/// One record without `content` costs that record, with a notice; the other is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_malformed_record_costs_only_itself() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;
    let mut broken = record("bad1", "ws.example.com", "A", "x", true);
    broken.as_object_mut().unwrap().remove("content");
    cf.get_query(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ("name", "ws.example.com"),
        records_of(vec![
            broken,
            record("ok1", "ws.example.com", "A", "198.51.100.7", true),
        ]),
    )
    .await;
    let (_, v) = chain(&cf, &[]).await;
    assert!(gaps(&v).is_empty(), "{:?}", gaps(&v));
    assert_eq!(layer(&v, "cloudflare")["targets"]["value"], 1);
    let n = notices(&v);
    assert!(n.contains("bad1") && n.contains("content"), "{n}");
}

/// An error list of plain strings is read as messages: the gap quotes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_list_of_plain_strings_is_quoted() {
    let cf = FakeCloudflare::start().await;
    cf.first(
        &format!("/zones/{ZONE_ID}/settings/http2"),
        json_status(
            400,
            json!({"success": false, "errors": ["setting is locked by an administrator"],
                   "messages": [], "result": null}),
        ),
    )
    .await;
    proxied_zone(&cf, &[]).await;
    let (_, v) = chain(&cf, &[]).await;
    let g = gaps(&v);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].0, "api-error");
    assert!(g[0].1.contains("setting is locked"), "{}", g[0].1);
}

/// The zone itself malformed (no `id`) is a gap, not "no zone holds the host": that would
/// read as "Cloudflare is not in the path".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_zone_of_the_hosts_name_is_a_gap_not_absence() {
    let cf = FakeCloudflare::start().await;
    let mut zones = fixture("zones_example_com.json");
    zones["result"][0].as_object_mut().unwrap().remove("id");
    cf.get_query("/zones", ("name", "example.com"), json_ok(zones))
        .await;
    let (r, v) = chain(&cf, &[]).await;
    assert_eq!(r.code, 3);
    let g = gaps(&v);
    assert_eq!(g[0].0, "malformed-response", "{g:?}");
    assert!(g[0].1.contains("`id`"), "{}", g[0].1);
    assert!(
        !v["chain"]["not_consulted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["provider"] == "cloudflare"),
        "{:#}",
        v["chain"]["not_consulted"]
    );
}
