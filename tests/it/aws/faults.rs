//! Faults between wsaudit and AWS: a loopback proxy in front of the emulator injects
//! throttling, AccessDenied, 500s, delays and garbage. Each fault becomes a named gap on its
//! layer; the rest of the chain is still read, and so is the rest of the layer once the load
//! balancer itself is; credentials never appear in any output.

use crate::support::aws;

use aws::fixtures::{self, forward, Behavior, Origin as Orig};
use aws::proxy::{Fault, Proxy, Rule};
use aws::{fast_options, moto_url, sdk_config, unique, TEST_KEY_ID, TEST_SECRET};
use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use std::time::{Duration, Instant};
use wsaudit::discover::{aws_task, discover, AwsSource, ChainRequest, Discovered};
use wsaudit::model::{Gap, Layer, Origin, Seconds};
use wsaudit::providers::aws::sdk_loader;

struct Stack {
    domain: String,
    lb_name: String,
}

async fn stack(moto: &str) -> Stack {
    let sdk = sdk_config(moto, &fast_options()).await;
    let domain = format!("ws.{}.test", unique("flt"));
    let lb = fixtures::load_balancer(&sdk, &unique("flt"), false).await;
    let tg =
        fixtures::target_group(&sdk, &lb, &unique("t"), ProtocolEnum::Http, None, 2, &[]).await;
    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&tg)).await;
    fixtures::distribution(
        &sdk,
        &[&domain],
        &[Orig {
            id: "alb",
            domain: &lb.dns,
            custom: Some((OriginProtocolPolicy::HttpsOnly, 30, 5)),
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
    Stack {
        domain,
        lb_name: lb.name,
    }
}

/// Discovers through the proxy with the ALB pinned, so a CloudFront fault cannot hide it.
async fn run(proxy: &Proxy, s: &Stack, timeout: Duration) -> Discovered {
    let opts = fast_options();
    let sdk = sdk_config(&proxy.url, &opts).await;
    let mut req = ChainRequest::new(&s.domain, "/ws/");
    req.alb = Some(s.lb_name.clone());
    req.regions = vec!["us-east-1".into()];
    req.timeout = timeout;
    let found = discover(
        &req,
        vec![aws_task(&req, AwsSource::Config(Box::new(sdk)), opts)],
    )
    .await;
    assert_no_secrets(&found);
    found
}

/// Runs the pinned walk with a 2 s `--timeout` while `call` stalls for 8 s, and checks that
/// the deadline, not the stalled call, ended the walk.
async fn run_with_stalled_call(moto: &str, s: &Stack, call: &str) -> Discovered {
    let proxy = Proxy::start(
        moto,
        vec![Rule::always(call, Fault::Delay(Duration::from_secs(8)))],
    )
    .await;
    let started = Instant::now();
    let found = run(&proxy, s, Duration::from_secs(2)).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(4),
        "deadline not enforced: {elapsed:?}"
    );
    found
}

fn assert_no_secrets(found: &Discovered) {
    let text = format!(
        "{}{:?}{:?}",
        serde_json::to_string(&found.chain).unwrap(),
        found.chain.not_consulted,
        found.chain.gaps
    );
    assert!(
        !text.contains(TEST_SECRET) && !text.contains(TEST_KEY_ID),
        "credential in output: {text}"
    );
}

fn gap<'a>(found: &'a Discovered, layer: &str) -> &'a Gap {
    found
        .chain
        .gaps
        .iter()
        .find(|g| g.layer == layer)
        .unwrap_or_else(|| panic!("no gap on {layer}: {:?}", found.chain.gaps))
}

fn has_layer(found: &Discovered, id: &str) -> bool {
    found.chain.layers.iter().any(|l| l.id == id)
}

fn layer<'a>(found: &'a Discovered, id: &str) -> &'a Layer {
    found
        .chain
        .layers
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("no {id} layer: {:?}", found.chain.gaps))
}

/// The reason an unknown setting gives.
fn unknown_reason(o: &Origin) -> &str {
    match o {
        Origin::Unknown { reason: Some(r) } => r,
        other => panic!("not unknown with a reason: {other:?}"),
    }
}

#[tokio::test]
async fn transient_throttling_is_retried_with_backoff() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(
        &moto,
        vec![Rule::first(
            2,
            "DescribeLoadBalancerAttributes",
            Fault::Throttle,
        )],
    )
    .await;
    let found = run(&proxy, &s, Duration::from_secs(20)).await;
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    assert!(has_layer(&found, "alb") && has_layer(&found, "cloudfront"));
    assert_eq!(
        proxy.count("DescribeLoadBalancerAttributes"),
        3,
        "two throttled, one through"
    );
}

#[tokio::test]
async fn persistent_throttling_is_a_named_gap_and_cloudfront_is_still_read() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(&moto, vec![Rule::always("DescribeRules", Fault::Throttle)]).await;
    let found = run(&proxy, &s, Duration::from_secs(20)).await;
    let g = gap(&found, "alb");
    assert_eq!(g.code.as_deref(), Some("throttled"));
    assert!(
        g.reason.contains("elasticloadbalancing:DescribeRules"),
        "{}",
        g.reason
    );
    assert_eq!(proxy.count("DescribeRules"), 3, "max attempts");
    assert_eq!(found.chain.gaps.len(), 1, "{:?}", found.chain.gaps);
    assert!(has_layer(&found, "cloudfront"));
    // Without the rule the target side is unknown; the idle timeout was read before it.
    let alb = layer(&found, "alb");
    assert_eq!(alb.idle_timeout.value, Some(Seconds(60.0)));
    assert!(alb.targets.value.is_none());
    assert!(unknown_reason(&alb.targets.origin).contains("elasticloadbalancing:DescribeRules"));
}

#[tokio::test]
async fn access_denied_names_the_refused_action_and_is_not_retried() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always("DescribeTargetGroups", Fault::AccessDenied)],
    )
    .await;
    let found = run(&proxy, &s, Duration::from_secs(20)).await;
    let g = gap(&found, "alb");
    assert_eq!(g.code.as_deref(), Some("access-denied"));
    assert!(
        g.reason
            .contains("elasticloadbalancing:DescribeTargetGroups"),
        "{}",
        g.reason
    );
    assert_eq!(proxy.count("DescribeTargetGroups"), 1);
    assert!(has_layer(&found, "cloudfront"));
    let alb = layer(&found, "alb");
    assert_eq!(alb.idle_timeout.value, Some(Seconds(60.0)));
    assert!(
        alb.stickiness.value.is_none(),
        "unread, not 'none by default'"
    );
}

/// Only the target count depends on DescribeTargetHealth: the layer keeps the rest.
#[tokio::test]
async fn a_refused_target_health_call_leaves_only_the_targets_unknown() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always("DescribeTargetHealth", Fault::AccessDenied)],
    )
    .await;
    let found = run(&proxy, &s, Duration::from_secs(20)).await;
    let gaps: Vec<_> = found.chain.gaps.iter().collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].layer, "alb");
    assert_eq!(gaps[0].code.as_deref(), Some("access-denied"));
    assert!(
        gaps[0]
            .reason
            .contains("elasticloadbalancing:DescribeTargetHealth"),
        "{}",
        gaps[0].reason
    );
    let alb = layer(&found, "alb");
    assert_eq!(alb.idle_timeout.value, Some(Seconds(60.0)));
    assert!(matches!(alb.idle_timeout.origin, Origin::Default { .. }));
    assert!(alb.targets.value.is_none());
    assert!(
        unknown_reason(&alb.targets.origin).contains("elasticloadbalancing:DescribeTargetHealth")
    );
    // Read from the calls that did answer.
    assert_eq!(alb.upstream_http_version.value.as_deref(), Some("1.1"));
    assert_eq!(alb.stickiness.value.as_ref().unwrap().mode, "none");
    assert_eq!(alb.cleartext_from_client.value.as_deref(), Some("allow"));
}

/// An NLB whose TCP listener attributes are refused: its idle timeout is unknown (not the
/// 350 s default), and the target side is still read.
#[tokio::test]
async fn a_refused_listener_attributes_call_leaves_the_nlb_idle_timeout_unknown() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_config(&moto, &fast_options()).await;
    let lb = fixtures::load_balancer(&sdk, &unique("nlbf"), true).await;
    let tg = fixtures::target_group(&sdk, &lb, &unique("t"), ProtocolEnum::Tcp, None, 2, &[]).await;
    fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Tcp, 443, forward(&tg)).await;
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always(
            "DescribeListenerAttributes",
            Fault::AccessDenied,
        )],
    )
    .await;
    let s = Stack {
        domain: format!("ws.{}.test", unique("nlbf")),
        lb_name: lb.name,
    };
    let found = run(&proxy, &s, Duration::from_secs(20)).await;
    let g = gap(&found, "nlb");
    assert_eq!(g.code.as_deref(), Some("access-denied"));
    assert!(
        g.reason
            .contains("elasticloadbalancing:DescribeListenerAttributes"),
        "{}",
        g.reason
    );
    let nlb = layer(&found, "nlb");
    assert!(nlb.idle_timeout.value.is_none());
    assert!(unknown_reason(&nlb.idle_timeout.origin)
        .contains("elasticloadbalancing:DescribeListenerAttributes"));
    assert_eq!(nlb.targets.value, Some(2));
}

/// Through the binary: a layer read in part is an incomplete audit (exit 3), and the JSON
/// report carries both the layer and the gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_read_alb_makes_the_binary_exit_3() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always("DescribeTargetHealth", Fault::AccessDenied)],
    )
    .await;
    let endpoint = proxy.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_wsaudit"))
            .args(["chain", "--domain", &s.domain, "--path", "/ws/"])
            .args(["--alb", &s.lb_name, "--no-nginx", "--format", "json"])
            .args(["--fail-on", "never"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(TEST_SECRET) && !stderr.contains(TEST_SECRET));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let alb = v["chain"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "alb")
        .expect("the alb layer is in the report");
    assert_eq!(alb["idle_timeout"]["value"], 60);
    assert!(alb["targets"]["value"].is_null(), "{}", alb["targets"]);
    let gaps = v["chain"]["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["layer"], "alb");
    assert_eq!(gaps[0]["code"], "access-denied");
    assert!(gaps[0]["reason"]
        .as_str()
        .unwrap()
        .contains("elasticloadbalancing:DescribeTargetHealth"));
    assert_eq!(v["summary"]["incomplete"], true);
}

#[tokio::test]
async fn server_errors_and_garbage_are_gaps_on_cloudfront_only() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always("/distribution/", Fault::ServerError)],
    )
    .await;
    let found = run(&proxy, &s, Duration::from_secs(20)).await;
    let g = gap(&found, "cloudfront");
    assert_eq!(g.code.as_deref(), Some("server-error"), "{}", g.reason);
    assert!(g.reason.contains("cloudfront:GetDistribution"));
    assert_eq!(proxy.count("/distribution/"), 3, "5xx answers are retried");
    assert!(has_layer(&found, "alb"), "the pinned ALB is still read");

    let garbage = Proxy::start(
        &moto,
        vec![Rule::always("GET /2020-05-31/distribution", Fault::Garbage)],
    )
    .await;
    let found = run(&garbage, &s, Duration::from_secs(20)).await;
    let g = gap(&found, "cloudfront");
    assert_eq!(
        g.code.as_deref(),
        Some("malformed-response"),
        "{}",
        g.reason
    );
    assert!(g.reason.contains("cloudfront:ListDistributions"));
    assert!(has_layer(&found, "alb"));
}

#[tokio::test]
async fn a_stalled_call_hits_the_provider_deadline() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let found = run_with_stalled_call(&moto, &s, "DescribeLoadBalancers").await;
    let g = gap(&found, "alb");
    assert_eq!(g.code.as_deref(), Some("timeout"));
    assert!(
        g.reason.contains("did not finish within 2 s")
            && g.reason.contains("it was reading the load balancer"),
        "{}",
        g.reason
    );
    assert!(has_layer(&found, "cloudfront"));
}

/// CloudFront and the load balancer share one deadline: when CloudFront uses most of it, the
/// gap must not claim the load balancer had the whole timeout.
#[tokio::test]
async fn a_deadline_after_a_slow_cloudfront_names_the_shared_walk() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let proxy = Proxy::start(
        &moto,
        vec![
            // ListDistributions (finding the domain's alias) takes 1.2 s of the 3 s (a margin for a
            // loaded machine: CloudFront itself must still finish in time).
            Rule::always(
                "GET /2020-05-31/distribution",
                Fault::Delay(Duration::from_millis(1200)),
            ),
            Rule::always(
                "DescribeLoadBalancers",
                Fault::Delay(Duration::from_secs(8)),
            ),
        ],
    )
    .await;
    let opts = fast_options();
    let sdk = sdk_config(&proxy.url, &opts).await;
    // Nothing pinned: the load balancer is found through the CloudFront origin.
    let mut req = ChainRequest::new(&s.domain, "/ws/");
    req.timeout = Duration::from_secs(3);
    let found = discover(
        &req,
        vec![aws_task(&req, AwsSource::Config(Box::new(sdk)), opts)],
    )
    .await;
    assert_no_secrets(&found);
    assert!(has_layer(&found, "cloudfront"), "{:?}", found.chain.gaps);
    let g = gap(&found, "alb");
    assert_eq!(g.code.as_deref(), Some("timeout"));
    assert!(
        g.reason.contains(
            "the AWS walk (CloudFront, Route 53, load balancer) did not finish within 3 s"
        ),
        "{}",
        g.reason
    );
    // The load balancer step began only after CloudFront's 1.2 s.
    let began: f64 = g
        .reason
        .split_once("it was reading the load balancer, begun ")
        .and_then(|(_, rest)| rest.split_once(" s into the walk"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", g.reason));
    assert!((1.2..=3.0).contains(&began), "{}", g.reason);
}

/// A call still running when `--timeout` ends, after the load balancer and its idle timeout
/// were read, costs only its own facts: the layer is kept with the targets unknown, and the
/// gap names the call and the deadline.
#[tokio::test]
async fn a_late_call_at_the_deadline_keeps_what_was_read() {
    let Some(moto) = moto_url() else { return };
    let s = stack(&moto).await;
    let found = run_with_stalled_call(&moto, &s, "DescribeTargetHealth").await;
    // The ALB layer is kept.
    let alb = layer(&found, "alb");
    assert_eq!(alb.idle_timeout.value, Some(wsaudit::model::Seconds(60.0)));
    assert_eq!(alb.targets.value, None);
    let g = gap(&found, "alb");
    assert_eq!(g.code.as_deref(), Some("timeout"));
    assert!(
        g.reason
            .contains("elasticloadbalancing:DescribeTargetHealth")
            && g.reason.contains("--timeout deadline (2 s)"),
        "{}",
        g.reason
    );
}

#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded("nothing configured")))
    }
}

#[tokio::test]
async fn missing_credentials_are_gaps_when_aws_layers_are_pinned() {
    let Some(moto) = moto_url() else { return };
    let sdk = sdk_loader(&fast_options())
        .endpoint_url(&moto)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(NoCredentials)
        .load()
        .await;
    let mut req = ChainRequest::new("ws.example.test", "/");
    req.alb = Some("some-alb".into());
    let found = discover(
        &req,
        vec![aws_task(
            &req,
            AwsSource::Config(Box::new(sdk)),
            fast_options(),
        )],
    )
    .await;
    assert!(found.chain.layers.is_empty());
    let codes: Vec<_> = found
        .chain
        .gaps
        .iter()
        .map(|g| (g.layer.as_str(), g.code.as_deref()))
        .collect();
    assert_eq!(
        codes,
        [
            ("cloudfront", Some("no-credentials")),
            ("alb", Some("no-credentials"))
        ]
    );
}
