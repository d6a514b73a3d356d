//! Rules firing from real Cloudflare data: the layer comes from the provider reading a
//! loopback API server, the inner layer is built by hand, and the real rule pack judges.
//!
//! Each rule is asserted both ways: it fires on the Cloudflare layer when the zone is
//! configured badly and stays quiet when the same zone is configured well, and the model value
//! that drives it is asserted too.

use crate::support::cloudflare::*;
use serde_json::json;
use wsaudit::model::{
    Chain, Layer, LayerKind, Provider, Scheme, Seconds, Setting, Target, WebsocketSupport,
};
use wsaudit::policy::{Config, Evaluation, RulePack};
use wsaudit::providers::cloudflare::{read_domain, CloudflareOutcome};

fn nginx(idle_s: f64) -> Layer {
    let mut l = Layer::new("nginx", LayerKind::ReverseProxy, Provider::Nginx, "nginx");
    l.locator = Some("nginx.conf".into());
    l.idle_timeout = Setting::explicit(Seconds(idle_s), "nginx.conf", Some(12));
    l
}

fn chain_with(out: &CloudflareOutcome, inner: Layer) -> Chain {
    let mut chain = Chain::new(Target {
        domain: "ws.example.com".into(),
        path: "/ws/".into(),
        scheme: Scheme::Wss,
    });
    chain
        .layers
        .push(out.layer.clone().expect("the host is proxied"));
    chain.layers.push(inner);
    chain.gaps.extend(out.gaps.iter().cloned());
    chain
}

fn judge(chain: &Chain) -> (RulePack, Evaluation) {
    let mut pack = RulePack::load(None).unwrap();
    let eval = pack.evaluate(chain, &Config::default()).unwrap();
    (pack, eval)
}

fn fired_on(eval: &Evaluation, rule: &str) -> Vec<String> {
    eval.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.layer.clone())
        .collect()
}

async fn read(overrides: &[(&str, serde_json::Value)]) -> CloudflareOutcome {
    let cf = FakeCloudflare::start().await;
    cf.proxied_to_alb(overrides).await;
    read_domain(&cf.client(), "ws.example.com").await
}

#[tokio::test]
async fn ws401_fires_on_cloudflare_when_its_idle_limit_is_below_nginx() {
    let out = read(&[]).await;
    let chain = chain_with(&out, nginx(3600.0));
    let (_, eval) = judge(&chain);
    assert_eq!(fired_on(&eval, "WS401"), vec!["cloudflare".to_string()]);
    let f = eval.findings.iter().find(|f| f.rule == "WS401").unwrap();
    // The finding says the value is an assumption, not a published number.
    assert!(f.message.contains("assumed"), "{}", f.message);
    let loc = f.locator.as_ref().expect("a locator");
    assert_eq!(loc.target, format!("zone/{ZONE_ID}"));
}

#[tokio::test]
async fn ws401_stays_quiet_when_nginx_cuts_first() {
    let out = read(&[]).await;
    let chain = chain_with(&out, nginx(60.0));
    let (_, eval) = judge(&chain);
    assert!(fired_on(&eval, "WS401").is_empty(), "{:?}", eval.findings);
}

#[tokio::test]
async fn websockets_off_is_modelled_as_disabled_for_ws104() {
    let out = read(&[("websockets", json!("off"))]).await;
    let layer = out.layer.as_ref().unwrap();
    assert_eq!(layer.websocket.value, Some(WebsocketSupport::Disabled));
    assert_eq!(layer.forwards_upgrade.value, Some(false));
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    assert_eq!(fired_on(&eval, "WS104"), vec!["cloudflare".to_string()]);
    // The fix is the API call for this zone's setting, with the token from the environment.
    let fix = eval.findings.iter().find(|f| f.rule == "WS104").unwrap();
    let fix = fix.fix.as_ref().expect("a concrete fix");
    assert_eq!(fix.kind, "cloudflare-api");
    assert!(
        fix.text
            .contains(&format!("/zones/{ZONE_ID}/settings/websockets\""))
            && fix.text.contains("--data '{\"value\":\"on\"}'")
            && fix.text.contains("Bearer $CLOUDFLARE_API_TOKEN"),
        "{}",
        fix.text
    );
    assert!(fix.also.iter().any(|a| a.kind == "dashboard"));

    let out = read(&[("websockets", json!("on"))]).await;
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    assert!(fired_on(&eval, "WS104").is_empty());
}

#[tokio::test]
async fn flexible_ssl_behind_wss_is_modelled_as_clear_text_for_ws503() {
    for mode in ["flexible"] {
        let out = read(&[("ssl", json!(mode))]).await;
        let layer = out.layer.as_ref().unwrap();
        assert_eq!(layer.tls_to_origin.value, Some(false), "ssl {mode}");
        let chain = chain_with(&out, nginx(3600.0));
        assert_eq!(chain.target.scheme, Scheme::Wss);
        let (_, eval) = judge(&chain);
        assert_eq!(
            fired_on(&eval, "WS503"),
            vec!["cloudflare".to_string()],
            "ssl {mode}"
        );
    }
    // Off is clear text to the origin too, but there is no TLS at the edge at all: wss://
    // fails there, which is WS505's finding and not WS503's.
    let out = read(&[("ssl", json!("off"))]).await;
    let layer = out.layer.as_ref().unwrap();
    assert_eq!(layer.tls_to_origin.value, Some(false));
    assert_eq!(layer.tls_from_client.value, Some(false));
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    assert!(fired_on(&eval, "WS503").is_empty(), "{:?}", eval.findings);
    assert_eq!(fired_on(&eval, "WS505"), vec!["cloudflare".to_string()]);
    // Full and Full (strict) are TLS all the way.
    for mode in ["full", "strict"] {
        let out = read(&[("ssl", json!(mode))]).await;
        assert_eq!(out.layer.as_ref().unwrap().tls_to_origin.value, Some(true));
        let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
        assert!(fired_on(&eval, "WS503").is_empty(), "ssl {mode}");
    }
}

#[tokio::test]
async fn a_pool_without_affinity_fires_ws301_and_cookie_affinity_does_not() {
    let lb = |fixture_name: &'static str| async move {
        let cf = FakeCloudflare::start().await;
        cf.zone_example_com().await;
        cf.records("ws.example.com", "dns_records_empty.json").await;
        cf.records("*.example.com", "dns_records_empty.json").await;
        cf.load_balancers(fixture_name).await;
        cf.pool().await;
        cf.settings(&[]).await;
        read_domain(&cf.client(), "ws.example.com").await
    };
    let out = lb("load_balancers_page2.json").await;
    let layer = out.layer.as_ref().unwrap();
    assert_eq!(layer.targets.value, Some(2));
    assert_eq!(layer.stickiness.value.as_ref().unwrap().mode, "none");
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    assert_eq!(fired_on(&eval, "WS301"), vec!["cloudflare".to_string()]);

    let out = lb("load_balancers_cookie.json").await;
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    assert!(fired_on(&eval, "WS301").is_empty(), "{:?}", eval.findings);
}

#[tokio::test]
async fn round_robin_records_fire_ws301() {
    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.records("ws.example.com", "dns_records_two_a_proxied.json")
        .await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;
    let out = read_domain(&cf.client(), "ws.example.com").await;
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    assert_eq!(fired_on(&eval, "WS301"), vec!["cloudflare".to_string()]);
}

/// A well-configured proxied zone: what the pack says about the Cloudflare layer is only what
/// follows from Cloudflare's unpublished idle timeout, nothing invented from unknowns.
#[tokio::test]
async fn a_well_configured_zone_draws_only_idle_findings() {
    let out = read(&[]).await;
    let (_, eval) = judge(&chain_with(&out, nginx(3600.0)));
    let on_cf: Vec<(String, String)> = eval
        .findings
        .iter()
        .filter(|f| f.layer == "cloudflare")
        .map(|f| (f.rule.clone(), f.message.clone()))
        .collect();
    assert!(on_cf.iter().any(|(r, _)| r == "WS401"), "{on_cf:?}");
    for (rule, message) in &on_cf {
        assert!(
            ["WS401", "WS201", "WS202"].contains(&rule.as_str()),
            "unexpected {rule} on the Cloudflare layer: {message}"
        );
    }
}
