//! The `wsaudit chain` binary against the AWS emulator: endpoints and credentials reach it only
//! through the environment (AWS_ENDPOINT_URL, key variables), as in production.

use crate::support;
use crate::support::aws;

use aws::fixtures::{self, forward, Behavior, Origin as Orig};
use aws::{fast_options, moto_url, sdk_config, unique, TEST_KEY_ID, TEST_SECRET};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use std::process::{Command, Output};

/// Runs the binary with a clean AWS environment: an empty HOME (no profiles), no IMDS, and
/// only the variables given.
pub(super) fn wsaudit(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsaudit"));
    // This machine's own /etc/nginx/nginx.conf (the test command installs nginx) is not part
    // of the chains these tests build, unless a test names its own.
    let no_nginx: &[&str] = if args.first() == Some(&"chain") && !args.contains(&"--nginx-conf") {
        &["--no-nginx"]
    } else {
        &[]
    };
    cmd.args(args)
        .args(no_nginx)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run wsaudit")
}

pub(super) fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", TEST_KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", TEST_SECRET.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ]
}

pub(super) fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub(super) fn assert_no_secret(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(TEST_SECRET), "secret in output: {text}");
        assert!(!text.contains(TEST_KEY_ID), "key id in output: {text}");
    }
}

#[tokio::test]
async fn chain_command_discovers_cloudfront_and_the_alb() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let domain = format!("ws.{}.test", unique("cli"));
    let lb = fixtures::load_balancer(&sdk, &unique("cli"), false).await;
    let tg =
        fixtures::target_group(&sdk, &lb, &unique("t"), ProtocolEnum::Http, None, 2, &[]).await;
    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&tg)).await;
    fixtures::distribution(
        &sdk,
        &[&domain],
        &[Orig {
            id: "alb",
            domain: &lb.dns,
            custom: Some((OriginProtocolPolicy::HttpOnly, 30, 5)),
        }],
        &[Behavior {
            pattern: None,
            origin: "alb",
            origin_request_policy: None,
            headers: &["*"],
            viewer: None,
        }],
        HttpVersion::Http2,
    )
    .await;

    let env = aws_env(&moto);
    let out = wsaudit(
        &[
            "chain",
            "--domain",
            &domain,
            "--path",
            "/ws/",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &as_refs(&env),
    );
    assert_no_secret(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let layers = support::report_layer_ids(&report);
    assert_eq!(layers, ["cloudfront", "alb"]);
    assert_eq!(report["chain"]["layers"][1]["idle_timeout"]["value"], 60);
    assert_eq!(
        report["chain"]["layers"][1]["idle_timeout"]["origin"]["kind"],
        "default"
    );
    assert_eq!(report["chain"]["gaps"].as_array().unwrap().len(), 0);
}

#[test]
fn an_unreadable_layer_exits_3_and_names_why() {
    let Some(moto) = moto_url() else { return };
    let env = aws_env(&moto);
    let missing = unique("missing");
    let out = wsaudit(
        &[
            "chain",
            "--domain",
            "nothing.invalid",
            "--alb",
            &missing,
            "--format",
            "json",
        ],
        &as_refs(&env),
    );
    assert_no_secret(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gap = &report["chain"]["gaps"][0];
    assert_eq!(gap["layer"], "alb");
    assert_eq!(gap["code"], "not-found");
    assert!(gap["reason"].as_str().unwrap().contains(&missing));
}

#[test]
fn without_credentials_pinned_layers_are_gaps_and_others_not_consulted() {
    let out = wsaudit(
        &[
            "chain",
            "--domain",
            "ws.example.invalid",
            "--cloudfront",
            "E123",
            "--format",
            "json",
        ],
        &[("AWS_REGION", "us-east-1")],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["chain"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["no-credentials", "no-credentials"]);

    // Nothing pinned and nothing configured: the AWS layers are not consulted, not gaps.
    let out = wsaudit(
        &[
            "chain",
            "--domain",
            "ws.example.invalid",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["chain"]["gaps"].as_array().unwrap().len(), 0);
    let aws_not_consulted = report["chain"]["not_consulted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["provider"] == "cloudfront" || n["provider"] == "alb")
        .count();
    assert_eq!(aws_not_consulted, 2);
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = wsaudit(
        &["chain", "--domain", "ws.example.com", "--path", "ws"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = wsaudit(
        &["chain", "--domain", "ws.example.com", "--timeout", "soon"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// nginx in front of the app: the WebSocket location waits an hour for data but closes idle
/// keep-alive connections after 20 s, less than the ALB's 60 s default.
fn nginx_conf(domain: &str) -> String {
    format!(
        r#"events {{}}
http {{
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream chat {{
        hash $remote_addr consistent;
        server 127.0.0.1:9001;
        server 127.0.0.1:9002;
    }}
    server {{
        listen 127.0.0.1:8080;
        server_name {domain};
        location /ws/ {{
            proxy_pass http://chat;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            keepalive_timeout 20s;
        }}
    }}
}}
"#
    )
}

/// The whole judgement through the binary: an ALB read from the emulator (HTTP2 target group,
/// two targets, no stickiness, 60 s default idle timeout) in front of a real nginx.conf.
#[tokio::test]
async fn alb_and_nginx_conf_findings_through_the_binary() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let domain = format!("ws.{}.test", unique("e2e"));
    let lb = fixtures::load_balancer(&sdk, &unique("e2e"), false).await;
    let other =
        fixtures::target_group(&sdk, &lb, &unique("o"), ProtocolEnum::Http, None, 1, &[]).await;
    let h2 = fixtures::target_group(
        &sdk,
        &lb,
        &unique("h2"),
        ProtocolEnum::Http,
        Some("HTTP2"),
        2,
        &[],
    )
    .await;
    let l = fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&other)).await;
    fixtures::rule(&sdk, &l, 10, &[&domain], &["/ws/*"], forward(&h2)).await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, nginx_conf(&domain)).unwrap();
    if let Some(nginx) = support::nginx() {
        let (ok, err) = support::nginx_t(&nginx, &conf, dir.path());
        assert!(ok, "nginx -t rejects the test's nginx.conf: {err}");
    }

    let env = aws_env(&moto);
    let conf = conf.display().to_string();
    let out = wsaudit(
        &[
            "chain",
            "--domain",
            &domain,
            "--path",
            "/ws/",
            "--alb",
            &lb.name,
            "--nginx-conf",
            &conf,
            "--format",
            "json",
        ],
        &as_refs(&env),
    );
    assert_no_secret(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let nginx_id = format!("nginx:{domain}/ws/");
    let ids = support::report_layer_ids(&v);
    assert_eq!(ids, ["alb", nginx_id.as_str()], "{stderr}");
    assert!(
        v["chain"]["gaps"].as_array().unwrap().is_empty(),
        "{}",
        v["chain"]["gaps"]
    );
    let has = |rule: &str, layer: &str| support::has_finding(&v, rule, layer);
    let findings = &v["findings"];
    // The target group speaks HTTP/2 to the app.
    assert!(has("WS501", "alb"), "{findings}");
    // Two targets and no stickiness.
    assert!(has("WS301", "alb"), "{findings}");
    // The ALB's 60 s cuts before nginx's hour.
    assert!(has("WS401", "alb"), "{findings}");
    // nginx closes keep-alive connections (20 s) the ALB still pools (60 s): reported on the
    // backend, nginx, whose setting is the one to raise.
    assert!(has("WS403", &nginx_id), "{findings}");
    // The fixes are for these resources, with the value the rule chose: the load balancer's
    // real ARN and nginx's hour for the idle timeout, the target group that has no stickiness.
    let fix = |rule: &str| {
        support::finding(&v, rule)["fix"]["text"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        fix("WS401").contains(&format!("--load-balancer-arn {} \\", lb.arn))
            && fix("WS401").contains("Key=idle_timeout.timeout_seconds,Value=3600"),
        "{}",
        fix("WS401")
    );
    assert!(
        fix("WS301").contains(&format!("--target-group-arn {h2} \\")),
        "{}",
        fix("WS301")
    );
    assert!(fix("WS301").contains("Key=stickiness.enabled,Value=true"));
    // WS501 and WS401 are high, at the default --fail-on.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}
