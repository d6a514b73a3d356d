//! The ALB a Helm render declares against the live one read from the AWS emulator through the
//! real SDK (`chain --k8s … --alb NAME`): one load balancer layer, the live one, and drift for
//! every attribute the manifests declare that the load balancer does not have.

use crate::support;
use crate::support::aws::{self, fixtures, moto_url, sdk_config};
use std::process::Command;

#[tokio::test]
async fn the_declared_alb_is_compared_with_the_live_one() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &aws::fast_options()).await;
    let lb = fixtures::simple_alb(&sdk, "k8s", 2, 443).await;
    // Live: the 120 s the Ingress's annotation asks for (which the controller ignores, since
    // the class's IngressClassParams set 45 s): set by hand; and the default 300 s
    // deregistration delay where the Ingress asks for 30 s.
    fixtures::lb_attributes(&sdk, &lb.arn, &[("idle_timeout.timeout_seconds", "120")]).await;

    let home = tempfile::tempdir().unwrap();
    let helm = support::repo().join("tests/fixtures/k8s/helm");
    let out = Command::new(env!("CARGO_BIN_EXE_wsaudit"))
        .args([
            "chain",
            "--domain",
            "chat.example.com",
            "--path",
            "/socket/1",
            "--alb",
        ])
        .arg(&lb.name)
        .arg("--k8s")
        .arg(&helm)
        .args(["--no-nginx", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", &moto)
        .env("AWS_ACCESS_KEY_ID", aws::TEST_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", aws::TEST_SECRET)
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(support::report_layer_ids(&v), ["alb"], "{stderr}");
    let alb = &v["chain"]["layers"][0];
    assert_eq!(
        alb["locator"],
        lb.arn.as_str(),
        "the live load balancer is the layer"
    );
    assert_eq!(alb["idle_timeout"]["value"], 120.0);
    let drift = v["chain"]["drift"].as_array().unwrap();
    let of = |s: &str| {
        drift
            .iter()
            .find(|d| d["setting"] == s)
            .unwrap_or_else(|| panic!("no drift on {s}: {drift:#?}"))
    };
    assert_eq!(of("idle_timeout")["live"], 120.0);
    assert_eq!(of("idle_timeout")["planned"], 45.0);
    assert_eq!(of("idle_timeout")["planned_origin"]["line"], 89);
    assert_eq!(of("drain_timeout")["live"], 300.0);
    assert_eq!(of("drain_timeout")["planned"], 30.0);
    assert_eq!(of("upstream_http_version")["planned"], "2");
    assert!(
        support::has_finding(&v, "WS901", "alb"),
        "{:#}",
        v["findings"]
    );
}
