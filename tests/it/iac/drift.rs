//! A plan beside a live read (`chain --terraform-plan`): a value changed by hand is drift
//! (WS901) against the AWS emulator, and a planned layer stands in for one nothing live read
//! next to a live nginx configuration.

use super::{fired, fixture, wsaudit_env};
use crate::support::aws::{self, fixtures};
use serde_json::json;

/// A plan for an existing load balancer (its ARN and DNS name known), whose configuration
/// sets `idle_timeout` to `planned_idle`.
fn plan_for(lb: &fixtures::Lb, planned_idle: u32) -> String {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_lb.ws", "mode": "managed", "type": "aws_lb", "name": "ws",
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": {"arn": lb.arn, "dns_name": lb.dns, "name": lb.name, "idle_timeout": planned_idle,
                       "client_keep_alive": 3600, "enable_http2": true, "load_balancer_type": "application",
                       "access_logs": [{"bucket": "", "enabled": false, "prefix": ""}]},
            "sensitive_values": {}
        }]}},
        "resource_changes": [{"address": "aws_lb.ws", "mode": "managed", "type": "aws_lb", "name": "ws",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["no-op"], "before": {}, "after": {}, "after_unknown": {}}}],
        "configuration": {"root_module": {"resources": [{"address": "aws_lb.ws", "mode": "managed",
            "type": "aws_lb", "name": "ws", "provider_config_key": "aws",
            "expressions": {"name": {"constant_value": lb.name}, "idle_timeout": {"constant_value": planned_idle}},
            "schema_version": 0}]}}
    })
    .to_string()
}

#[tokio::test]
async fn a_live_value_changed_by_hand_is_drift() {
    let Some(moto) = aws::moto_url() else { return };
    let sdk = aws::sdk_config(&moto, &aws::fast_options()).await;
    let name = aws::unique("drift");
    let lb = fixtures::load_balancer(&sdk, &name, false).await;
    // Someone raised the idle timeout in the console during an incident.
    fixtures::lb_attributes(&sdk, &lb.arn, &[("idle_timeout.timeout_seconds", "3600")]).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, plan_for(&lb, 60)).unwrap();
    let plan = plan.display().to_string();
    let env = [
        ("AWS_ENDPOINT_URL", moto.as_str()),
        ("AWS_ACCESS_KEY_ID", aws::TEST_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", aws::TEST_SECRET),
        ("AWS_REGION", "us-east-1"),
    ];
    let run = wsaudit_env(
        &[
            "chain",
            "--domain",
            "ws.example.com",
            "--alb",
            &lb.name,
            "--no-nginx",
            "--terraform-plan",
            &plan,
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &env,
    );
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(
        report["chain"]["drift"],
        json!([{"layer": "alb", "setting": "idle_timeout", "live": 3600, "planned": 60,
                "planned_origin": {"kind": "explicit", "locator": "aws_lb.ws", "field": "idle_timeout"}}])
    );
    let ws901 = crate::support::finding(&report, "WS901");
    assert!(
        ws901["message"]
            .as_str()
            .unwrap()
            .contains("idle_timeout is 3600 s live but 60 s in the code (aws_lb.ws idle_timeout)"),
        "{ws901}"
    );
    // It points at the live resource, where the hand-made change is.
    assert_eq!(ws901["locator"]["target"], lb.arn.as_str());
    // The live layer stays the one judged: 3600 s is not below the baseline.
    assert!(
        !fired(&report).contains(&"WS201 alb".to_string()),
        "{:?}",
        fired(&report)
    );

    // Planned and live agree: no drift.
    std::fs::write(&plan, plan_for(&lb, 3600)).unwrap();
    let run = wsaudit_env(
        &[
            "chain",
            "--domain",
            "ws.example.com",
            "--alb",
            &lb.name,
            "--no-nginx",
            "--terraform-plan",
            &plan,
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &env,
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        report["chain"].get("drift").is_none(),
        "{}",
        report["chain"]["drift"]
    );
    assert!(!fired(&report).iter().any(|f| f.starts_with("WS901")));
}

#[test]
fn a_planned_edge_and_load_balancer_with_the_live_nginx_configuration() {
    let plan = fixture("cloudflare-v4.plan.json");
    let conf = crate::support::repo()
        .join("examples/nginx/nginx.conf")
        .display()
        .to_string();
    // No AWS credentials and no Cloudflare token: both come from the plan.
    let run = wsaudit_env(
        &[
            "chain",
            "--domain",
            "ws.example.com",
            "--path",
            "/ws/",
            "--nginx-conf",
            &conf,
            "--terraform-plan",
            &plan,
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &[],
    );
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    let ids = crate::support::report_layer_ids(&report);
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(&ids[..2], ["cloudflare", "alb"]);
    assert!(ids[2].starts_with("nginx"), "{ids:?}");
    assert_eq!(report["chain"]["layers"][1]["locator"], "aws_lb.ws");
    // Read from the plan, so no longer "not consulted"; nothing live to drift from.
    let nc = report["chain"]["not_consulted"].to_string();
    assert!(
        !nc.contains("\"alb\"") && !nc.contains("cloudflare"),
        "{nc}"
    );
    assert!(report["chain"].get("drift").is_none());
    // The planned ALB's 3600 s against nginx's /ws/ location: cross-layer rules see both.
    assert!(fired(&report).contains(&"WS401 cloudflare".to_string()));
}

#[test]
fn chain_takes_a_cloudformation_template_too() {
    let template = fixture("chat-stack.yaml");
    let run = wsaudit_env(
        &[
            "chain",
            "--domain",
            "chat.example.org",
            "--path",
            "/ws/",
            "--no-nginx",
            "--cloudformation",
            &template,
            "--format",
            "json",
        ],
        &[],
    );
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(
        crate::support::report_layer_ids(&report),
        ["cloudfront", "alb"]
    );
    assert_eq!(
        report["chain"]["layers"][1]["idle_timeout"]["origin"]["line"],
        21
    );
    // Medium findings only, nothing unread: exit 0, like `wsaudit iac` on the same template.
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("2 planned layers (from ChatDistribution), 0 settings drift"),
        "{}",
        run.stderr
    );
}
