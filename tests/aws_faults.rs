//! Faults between wsaudit and AWS: a loopback proxy in front of the emulator injects
//! throttling, AccessDenied, 500s, delays and garbage. Each fault becomes a named gap on its
//! layer; the rest of the chain is still read; credentials never appear in any output.

mod aws_common;

use aws_common::fixtures::{self, forward, Behavior, Origin as Orig};
use aws_common::proxy::{Fault, Proxy, Rule};
use aws_common::{fast_options, moto_url, sdk_config, unique, TEST_KEY_ID, TEST_SECRET};
use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use std::time::{Duration, Instant};
use wsaudit::discover::{aws_task, discover, AwsSource, ChainRequest, Discovered};
use wsaudit::model::Gap;
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
    assert!(has_layer(&found, "cloudfront") && !has_layer(&found, "alb"));
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
    let proxy = Proxy::start(
        &moto,
        vec![Rule::always(
            "DescribeListeners",
            Fault::Delay(Duration::from_secs(8)),
        )],
    )
    .await;
    let started = Instant::now();
    let found = run(&proxy, &s, Duration::from_secs(2)).await;
    let elapsed = started.elapsed();
    assert_eq!(gap(&found, "alb").code.as_deref(), Some("timeout"));
    assert!(
        elapsed < Duration::from_secs(4),
        "deadline not enforced: {elapsed:?}"
    );
    assert!(has_layer(&found, "cloudfront"));
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
