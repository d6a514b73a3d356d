//! A loopback HTTP server answering in Cloudflare API v4 shapes (fixtures in
//! `tests/fixtures/cloudflare/`, sources in its README), and a client pointed at it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use wsaudit::providers::cloudflare::{ClientOptions, CloudflareClient};

/// A token with a recognisable shape, so a leak anywhere is easy to search for.
pub const TOKEN: &str = "wsaudit-test-token-Zq7XkP2mVb9RtL4cN8sJ";
pub const ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const ACCOUNT_ID: &str = "01a7362d577a6c3019a474fd6f485823";
pub const POOL_ID: &str = "17b5962d775c646f3f9725cbc7a53df4";
pub const API: &str = "/client/v4";

pub fn fixture(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cloudflare")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `GET /zones/{id}/settings/{id}` answer (API reference, "Get zone setting").
pub fn setting_body(id: &str, value: Value, editable: bool) -> Value {
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": {
            "id": id,
            "value": value,
            "editable": editable,
            "modified_on": "2014-01-01T05:20:00.12345Z"
        }
    })
}

/// Retries and timeouts shortened so fault tests finish in well under a second each; the
/// logic is the same as with the defaults.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_secs(3),
        max_attempts: 3,
        max_retry_wait: Duration::from_secs(2),
        backoff: Duration::from_millis(10),
        max_pages: 5,
    }
}

pub struct FakeCloudflare {
    pub server: MockServer,
}

impl FakeCloudflare {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        // Any zone name not mounted explicitly exists nowhere (an empty page, as the API
        // answers a name filter with no match).
        Mock::given(method("GET"))
            .and(path(format!("{API}/zones")))
            .respond_with(json_ok(fixture("zones_empty.json")))
            .with_priority(100)
            .mount(&server)
            .await;
        zone_defaults(&server, ZONE_ID).await;
        Mock::given(method("GET"))
            .and(path(format!("{API}/user/tokens/verify")))
            .respond_with(json_ok(fixture("token_verify_active.json")))
            .with_priority(100)
            .mount(&server)
            .await;
        // A locally managed tunnel: Cloudflare holds no ingress rules for it. The API
        // reference documents `config` as the remote configuration; `null` is what this server
        // answers for "none" (the exact body for a local tunnel is not documented).
        Mock::given(method("GET"))
            .and(wiremock::matchers::path_regex(format!(
                r"^{API}/accounts/[0-9a-f]+/cfd_tunnel/[0-9a-f-]+/configurations$"
            )))
            .respond_with(json_ok(json!({
                "success": true, "errors": [], "messages": [],
                "result": {"tunnel_id": "", "version": 0, "config": null, "source": "local"}
            })))
            .with_priority(100)
            .mount(&server)
            .await;
        FakeCloudflare { server }
    }

    pub fn base_url(&self) -> String {
        format!("{}{API}", self.server.uri())
    }

    pub fn client(&self) -> CloudflareClient {
        self.client_with(fast_options())
    }

    pub fn client_with(&self, options: ClientOptions) -> CloudflareClient {
        CloudflareClient::new(Some(TOKEN.into()), Some(&self.base_url()), options).unwrap()
    }

    pub async fn zone_example_com(&self) {
        self.get_query(
            "/zones",
            ("name", "example.com"),
            json_ok(fixture("zones_example_com.json")),
        )
        .await;
    }

    pub async fn records(&self, name: &str, fixture_name: &str) {
        self.get_query(
            &format!("/zones/{ZONE_ID}/dns_records"),
            ("name", name),
            json_ok(fixture(fixture_name)),
        )
        .await;
    }

    pub async fn load_balancers(&self, fixture_name: &str) {
        self.get(
            &format!("/zones/{ZONE_ID}/load_balancers"),
            json_ok(fixture(fixture_name)),
        )
        .await;
    }

    pub async fn pool(&self) {
        self.get(
            &format!("/accounts/{ACCOUNT_ID}/load_balancers/pools/{POOL_ID}"),
            json_ok(fixture("pool_web.json")),
        )
        .await;
    }

    /// Zone settings as a WebSocket-friendly Pro zone has them, with overrides.
    pub async fn settings(&self, overrides: &[(&str, Value)]) {
        self.settings_of(ZONE_ID, overrides).await;
    }

    /// [`Self::settings`] for any zone.
    pub async fn settings_of(&self, zone_id: &str, overrides: &[(&str, Value)]) {
        let mut values: Vec<(&str, Value, bool)> = vec![
            ("websockets", json!("on"), true),
            ("ssl", json!("strict"), true),
            ("min_tls_version", json!("1.2"), true),
            ("http2", json!("on"), false),
            ("http3", json!("on"), true),
            ("origin_max_http_version", json!("1"), true),
            // Readable on every plan, editable only on Enterprise.
            ("proxy_read_timeout", json!(100), false),
        ];
        for (id, v) in overrides {
            if let Some(slot) = values.iter_mut().find(|(i, _, _)| i == id) {
                slot.1 = v.clone();
            }
        }
        for (id, v, editable) in values {
            self.get(
                &format!("/zones/{zone_id}/settings/{id}"),
                json_ok(setting_body(id, v, editable)),
            )
            .await;
        }
    }

    pub async fn setting_response(&self, id: &str, resp: ResponseTemplate) {
        self.get(&format!("/zones/{ZONE_ID}/settings/{id}"), resp)
            .await;
    }

    /// Mounted ahead of earlier mounts on the same path (wiremock: lower priority wins).
    pub async fn get(&self, p: &str, resp: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(format!("{API}{p}")))
            .respond_with(resp)
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    pub async fn get_query(&self, p: &str, q: (&str, &str), resp: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(format!("{API}{p}")))
            .and(query_param(q.0, q.1))
            .respond_with(resp)
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// Answers `GET p` with `pages[n-1]` for `?page=n` (what a paginated list endpoint does).
    pub async fn get_pages(&self, p: &str, q: Option<(&str, &str)>, pages: Vec<Value>) {
        for (i, body) in pages.into_iter().enumerate() {
            let mut m = Mock::given(method("GET"))
                .and(path(format!("{API}{p}")))
                .and(query_param("page", (i + 1).to_string()));
            if let Some((k, v)) = q {
                m = m.and(query_param(k, v));
            }
            m.respond_with(json_ok(body))
                .with_priority(5)
                .mount(&self.server)
                .await;
        }
    }

    /// Mounted ahead of everything else on the path (priority 1).
    pub async fn first(&self, p: &str, resp: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path(format!("{API}{p}")))
            .respond_with(resp)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    pub async fn requests_to(&self, p: &str) -> usize {
        let full = format!("{API}{p}");
        self.requests()
            .await
            .iter()
            .filter(|r| r.url.path() == full)
            .count()
    }

    /// The standard proxied setup: zone example.com, `ws.example.com` CNAME → ALB, proxied,
    /// no load balancers, WebSocket-friendly settings.
    pub async fn proxied_to_alb(&self, overrides: &[(&str, Value)]) {
        self.zone_example_com().await;
        self.records("ws.example.com", "dns_records_ws_cname_proxied.json")
            .await;
        self.load_balancers("load_balancers_empty.json").await;
        self.settings(overrides).await;
    }
}

/// A zone of the inventory tests, with its records as the API lists them.
pub struct ZoneSpec {
    pub id: String,
    pub name: String,
    pub records: Vec<Value>,
}

impl FakeCloudflare {
    /// Zones answered the way the API answers them: `GET /zones` with its `name` filter and
    /// pages, and each zone's `dns_records` with `name`, `name.endswith`, `page` and
    /// `per_page`, so a per-name walk (`chain`) and a whole listing (`scan`) read the same
    /// data. Each zone gets the defaults of a zone without products, no load balancer, and
    /// WebSocket-friendly settings; tests mount over them.
    pub async fn zones(&self, zones: &[ZoneSpec]) {
        self.zones_paged(zones, usize::MAX).await;
    }

    /// [`Self::zones`], with pages of DNS records no longer than `max_per_page` whatever
    /// `per_page` asks (a server that caps it), so a whole listing takes several pages.
    pub async fn zones_paged(&self, zones: &[ZoneSpec], max_per_page: usize) {
        let all: Vec<Value> = zones.iter().map(|z| zone_object(&z.id, &z.name)).collect();
        Mock::given(method("GET"))
            .and(path(format!("{API}/zones")))
            .respond_with(move |req: &Request| {
                let name = query(req, "name");
                let items = all
                    .iter()
                    .filter(|z| name.as_deref().is_none_or(|n| z["name"] == n))
                    .cloned()
                    .collect();
                paged(items, req, 20, 50)
            })
            .with_priority(10)
            .mount(&self.server)
            .await;
        for z in zones {
            let records = z.records.clone();
            Mock::given(method("GET"))
                .and(path(format!("{API}/zones/{}/dns_records", z.id)))
                .respond_with(move |req: &Request| {
                    let name = query(req, "name");
                    let below = query(req, "name.endswith");
                    let items = records
                        .iter()
                        .filter(|r| {
                            let n = r["name"].as_str().unwrap_or("");
                            name.as_deref().is_none_or(|x| n == x)
                                && below.as_deref().is_none_or(|x| n.ends_with(x))
                        })
                        .cloned()
                        .collect();
                    paged(items, req, 100, max_per_page)
                })
                .with_priority(10)
                .mount(&self.server)
                .await;
            if z.id != ZONE_ID {
                zone_defaults(&self.server, &z.id).await;
            }
            self.get(
                &format!("/zones/{}/load_balancers", z.id),
                json_ok(fixture("load_balancers_empty.json")),
            )
            .await;
            self.settings_of(&z.id, &[]).await;
        }
    }
}

/// A zone object as `GET /zones` lists it (the shape of `zones_example_com.json`).
pub fn zone_object(id: &str, name: &str) -> Value {
    let mut z = fixture("zones_example_com.json")["result"][0].clone();
    z["id"] = json!(id);
    z["name"] = json!(name);
    z
}

/// A DNS record object as `GET /zones/{id}/dns_records` lists it.
pub fn record_object(name: &str, kind: &str, content: &str, proxied: bool) -> Value {
    json!({
        "id": format!("{:032x}", fxhash(name) ^ fxhash(kind)),
        "name": name, "type": kind, "content": content,
        "proxied": proxied, "proxiable": kind != "TXT", "ttl": 1,
        "created_on": "2014-01-01T05:20:00.12345Z", "modified_on": "2014-01-01T05:20:00.12345Z"
    })
}

fn fxhash(s: &str) -> u128 {
    s.bytes().fold(0xcbf29ce484222325u128, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// One page of `items`, as `page` and `per_page` ask (at most `cap`), with the API's
/// `result_info`.
fn paged(
    items: Vec<Value>,
    req: &Request,
    default_per_page: usize,
    cap: usize,
) -> ResponseTemplate {
    let per_page = query(req, "per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p > 0)
        .unwrap_or(default_per_page)
        .min(cap);
    let page = query(req, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let result: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    json_ok(json!({
        "success": true, "errors": [], "messages": [],
        "result_info": {"page": page, "per_page": per_page, "count": result.len(),
                        "total_count": total, "total_pages": total.div_ceil(per_page)},
        "result": result
    }))
}

/// What a zone without these products answers, unless a test mounts otherwise: no entry
/// point ruleset in a phase (404, code 10003 "could not find entrypoint ruleset"), Argo off,
/// no Workers routes, no Spectrum applications, no DNS records for a name no test mounts.
async fn zone_defaults(server: &MockServer, zone_id: &str) {
    let zone = format!("{API}/zones/{zone_id}");
    let defaults: Vec<(String, ResponseTemplate)> = vec![
        (
            format!("{zone}/rulesets/phases/http_config_settings/entrypoint"),
            json_status(404, fixture("error_no_entrypoint.json")),
        ),
        (
            format!("{zone}/rulesets/phases/http_request_origin/entrypoint"),
            json_status(404, fixture("error_no_entrypoint.json")),
        ),
        (
            format!("{zone}/argo/smart_routing"),
            json_ok(setting_body("smart_routing", json!("off"), true)),
        ),
        (format!("{zone}/workers/routes"), json_ok(empty_list())),
        (format!("{zone}/dns_records"), json_ok(empty_list())),
        (format!("{zone}/spectrum/apps"), json_ok(empty_list())),
    ];
    for (p, resp) in defaults {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(resp)
            .with_priority(100)
            .mount(server)
            .await;
    }
}

/// An empty page of a list endpoint.
pub fn empty_list() -> Value {
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": [],
        "result_info": {"page": 1, "per_page": 100, "count": 0, "total_count": 0}
    })
}

pub fn json_ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

pub fn json_status(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}
