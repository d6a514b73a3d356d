//! The whole walk through the binary: a proxied Cloudflare record (loopback API v4 server)
//! whose target is an ALB (the AWS API emulator, read through the real SDK), in front of nginx
//! (a real configuration file). The ALB is found only through Cloudflare's record.

use crate::support;
use crate::support::aws;
use crate::support::cloudflare;

use aws::fixtures::{self, forward};
use aws::{fast_options, moto_url, sdk_config, unique, TEST_KEY_ID, TEST_SECRET};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use cloudflare::{json_ok, FakeCloudflare, TOKEN, ZONE_ID};
use serde_json::{json, Value};

/// `wsaudit chain ARGS` with only the emulator's AWS credentials and the loopback Cloudflare
/// API in its environment, off the async runtime so both keep answering.
async fn run_chain(moto: &str, cf: &FakeCloudflare, args: &[&str]) -> std::process::Output {
    let (moto, base) = (moto.to_string(), cf.base_url());
    let mut all = vec!["chain".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_wsaudit"))
            .args(&all)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &moto)
            .env("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("WSAUDIT_CLOUDFLARE_API_URL", base)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudflare_record_leads_to_the_alb_then_nginx() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("walk"), false).await;
    // Two targets, no stickiness: WS301 on the ALB.
    let tg =
        fixtures::target_group(&sdk, &lb, &unique("t"), ProtocolEnum::Http, None, 2, &[]).await;
    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&tg)).await;

    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    let mut record = cloudflare::fixture("dns_records_ws_cname_proxied.json");
    record["result"][0]["content"] = json!(lb.dns);
    cf.get_query(
        &format!("/zones/{ZONE_ID}/dns_records"),
        ("name", "ws.example.com"),
        json_ok(record),
    )
    .await;
    cf.load_balancers("load_balancers_empty.json").await;
    cf.settings(&[]).await;

    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/nginx/nginx.conf")
        .display()
        .to_string();
    let out = run_chain(
        &moto,
        &cf,
        &[
            "--domain",
            "ws.example.com",
            "--path",
            "/ws/",
            "--nginx-conf",
            &conf,
            "--format",
            "json",
            "--fail-on",
            "never",
            "--heartbeat",
            "20s",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for secret in [TOKEN, TEST_SECRET] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a secret leaked"
        );
    }
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let ids = support::report_layer_ids(&v);
    assert_eq!(
        ids,
        ["cloudflare", "alb", "nginx:ws.example.com/ws/"],
        "{stderr}"
    );
    assert!(
        v["chain"]["gaps"].as_array().unwrap().is_empty(),
        "{}",
        v["chain"]["gaps"]
    );
    let has = |rule: &str, layer: &str| support::has_finding(&v, rule, layer);
    // The ALB's 60 s default is the shortest: it cuts before Cloudflare's assumed 100 s
    // (WS402: inner cuts first) and before nginx's hour (WS401).
    assert_eq!(v["summary"]["cuts_first"], "alb");
    assert!(has("WS401", "alb"), "{}", v["findings"]);
    assert!(has("WS402", "alb"), "{}", v["findings"]);
    assert!(has("WS301", "alb"), "{}", v["findings"]);
    // Cloudflare pools idle origin connections for up to 900 s; the ALB closes them after its
    // 60 s idle timeout: the 520 race (client_keep_alive.seconds plays no part in it).
    assert!(has("WS403", "alb"), "{}", v["findings"]);
    assert!(
        support::finding(&v, "WS403")["message"]
            .as_str()
            .is_some_and(|m| m.contains("520")),
        "{}",
        v["findings"]
    );
    assert!(
        has("WS301", "nginx:ws.example.com/ws/"),
        "{}",
        v["findings"]
    );
}

/// A Cloudflare load balancer whose pool sends clients to two ALBs (one per region, say): each
/// is walked as a route of its own behind the same edge, and the one whose idle timeout is
/// below the heartbeat has the finding, with the exit code failing for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloudflare_pool_over_two_albs_audits_each_as_a_route() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let blue = fixtures::simple_alb(&sdk, "pblue", 1, 80).await;
    let green = fixtures::simple_alb(&sdk, "pgreen", 1, 80).await;
    fixtures::lb_attributes(&sdk, &blue.arn, &[("idle_timeout.timeout_seconds", "3600")]).await;
    fixtures::lb_attributes(&sdk, &green.arn, &[("idle_timeout.timeout_seconds", "10")]).await;

    let cf = FakeCloudflare::start().await;
    cf.zone_example_com().await;
    cf.settings(&[]).await;
    cf.load_balancers("load_balancers_cookie.json").await;
    cf.get(
        &format!(
            "/accounts/{}/load_balancers/pools/{}",
            cloudflare::ACCOUNT_ID,
            cloudflare::POOL_ID
        ),
        json_ok(
            json!({"success": true, "errors": [], "messages": [], "result": {
            "id": cloudflare::POOL_ID, "name": "web", "enabled": true, "minimum_origins": 1,
            "origins": [
                {"name": "blue", "address": blue.dns, "enabled": true, "weight": 1},
                {"name": "green", "address": green.dns, "enabled": true, "weight": 1}
            ]}}),
        ),
    )
    .await;
    let out = run_chain(
        &moto,
        &cf,
        &[
            "--domain",
            "ws.example.com",
            "--path",
            "/ws/",
            "--no-nginx",
            "--format",
            "json",
            "--fail-on",
            "high",
            "--heartbeat",
            "25s",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    // The pool's first load balancer is the report's chain, the second a route.
    let alb_name = |chain: &Value| {
        chain["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == "alb")
            .map(|l| l["name"].as_str().unwrap().to_string())
    };
    assert_eq!(
        alb_name(&v["chain"]).as_deref(),
        Some(blue.name.as_str()),
        "{stderr}"
    );
    assert_eq!(v["chain"]["route"]["source"], "cloudflare");
    let routes = v["routes"].as_array().expect("routes");
    assert_eq!(routes.len(), 1, "{routes:?}");
    let r = &routes[0];
    assert_eq!(
        r["route"]["target"],
        green.dns.to_ascii_lowercase().as_str()
    );
    assert_eq!(r["route"]["set_identifier"], cloudflare::POOL_ID);
    assert_eq!(alb_name(&r["chain"]).as_deref(), Some(green.name.as_str()));
    // Both behind the same Cloudflare edge.
    assert_eq!(r["chain"]["layers"][0]["id"], "cloudflare");
    let rules = support::rules_of;
    assert!(
        rules(&r["findings"]).contains(&"WS202".to_string()),
        "{}",
        r["findings"]
    );
    assert!(
        !rules(&v["findings"]).contains(&"WS202".to_string()),
        "{}",
        v["findings"]
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}
