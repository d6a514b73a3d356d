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
    let base = cf.base_url();
    let out = tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_wsaudit"))
            .args([
                "chain",
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
            ])
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
    .unwrap();
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
