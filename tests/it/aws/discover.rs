//! Discovery against the AWS emulator: domain → CloudFront alias → origin → ALB by DNS name →
//! listener rule → target group, Route 53 alias records, pins, and concurrency.

use crate::support::aws;

use aws::fixtures::{self, forward, Behavior, Origin as Orig};
use aws::proxy::{Fault, Proxy, Rule};
use aws::{assert_finding, fast_options, judge, moto_url, nginx_layer, sdk_config, unique};
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use std::time::Duration;
use wsaudit::discover::{
    aws_task, discover, AwsSource, ChainRequest, Discovered, ProviderOutput, ProviderTask,
};
use wsaudit::model::{Layer, LayerKind, Provider, Seconds};
use wsaudit::providers::aws::AwsOptions;

/// Discovery with the AWS provider alone, against the emulator.
async fn discover_aws(
    req: &ChainRequest,
    sdk: &aws_config::SdkConfig,
    opts: &AwsOptions,
) -> Discovered {
    let source = AwsSource::Config(Box::new(sdk.clone()));
    discover(req, vec![aws_task(req, source, opts.clone())]).await
}

struct Stack {
    domain: String,
    lb: fixtures::Lb,
    ws_tg: String,
    dist: String,
}

/// An ALB (default attributes) with a host+path rule for the WebSocket target group, and a
/// distribution whose `/ws/*` behavior forwards to it (Host and handshake headers forwarded).
async fn stack(sdk: &aws_config::SdkConfig) -> Stack {
    let tag = unique("st");
    let domain = format!("ws.{tag}.test");
    let lb = fixtures::load_balancer(sdk, &unique("disc"), false).await;
    let other =
        fixtures::target_group(sdk, &lb, &unique("o"), ProtocolEnum::Http, None, 1, &[]).await;
    let ws_tg = fixtures::target_group(
        sdk,
        &lb,
        &unique("w"),
        ProtocolEnum::Http,
        Some("HTTP1"),
        2,
        &[],
    )
    .await;
    let l = fixtures::listener(sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&other)).await;
    fixtures::rule(sdk, &l, 10, &[&domain], &["/ws/*"], forward(&ws_tg)).await;
    let origin_dns = format!("dualstack.{}", lb.dns.to_uppercase());
    let (dist, _) = fixtures::distribution(
        sdk,
        &[&domain],
        &[Orig {
            id: "alb",
            domain: &origin_dns,
            custom: Some((OriginProtocolPolicy::HttpOnly, 30, 5)),
        }],
        &[
            Behavior {
                pattern: Some("/ws/*"),
                origin: "alb",
                origin_request_policy: None,
                headers: &["Host", "Sec-WebSocket-Key", "Sec-WebSocket-Version"],
                viewer: None,
            },
            Behavior {
                pattern: None,
                origin: "alb",
                origin_request_policy: None,
                headers: &[],
                viewer: None,
            },
        ],
        HttpVersion::Http2,
    )
    .await;
    Stack {
        domain,
        lb,
        ws_tg,
        dist,
    }
}

#[tokio::test]
async fn domain_to_cloudfront_to_alb_rule_to_target_group() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let s = stack(&sdk).await;

    let req = ChainRequest::new(&s.domain, "/ws/live");
    let found = discover_aws(&req, &sdk, &opts).await;
    let chain = &found.chain;
    assert!(chain.gaps.is_empty(), "{:?}", chain.gaps);
    assert!(
        found.chain.not_consulted.is_empty(),
        "{:?}",
        found.chain.not_consulted
    );
    let ids: Vec<&str> = chain.layers.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["cloudfront", "alb"]);
    assert_eq!(
        chain.layers[0]
            .locator
            .as_deref()
            .unwrap()
            .rsplit('/')
            .next(),
        Some(s.dist.as_str())
    );
    let alb = &chain.layers[1];
    assert_eq!(alb.locator.as_deref(), Some(s.lb.arn.as_str()));
    assert_eq!(
        alb.targets.value,
        Some(2),
        "the rule's target group, not the default"
    );
    assert_eq!(alb.idle_timeout.value, Some(Seconds(60.0)));
    match &alb.targets.origin {
        wsaudit::model::Origin::Explicit { locator, .. } => assert_eq!(locator, &s.ws_tg),
        o => panic!("{o:?}"),
    }

    // With nginx (built by hand until the nginx provider lands) behind: the ALB's 60 s default
    // cuts before nginx's 3600 s.
    let mut full = chain.clone();
    full.layers.push(nginx_layer(3600.0, 75.0));
    let (findings, pack) = judge(&full);
    assert_finding(&findings, &pack, "WS401", Some("alb"));
}

#[tokio::test]
async fn route53_alias_leads_to_the_alb_without_cloudfront() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let zone = format!("{}.test", unique("r53"));
    let domain = format!("ws.{zone}");
    let lb = fixtures::simple_alb(&sdk, "r53lb", 3, 80).await;
    fixtures::alias_record(&sdk, &zone, &domain, &format!("dualstack.{}.", lb.dns)).await;

    let mut req = ChainRequest::new(&domain, "/");
    req.scheme = wsaudit::model::Scheme::Ws;
    let found = discover_aws(&req, &sdk, &opts).await;
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    assert_eq!(found.chain.layers.len(), 1);
    assert_eq!(
        found.chain.layers[0].locator.as_deref(),
        Some(lb.arn.as_str())
    );
    assert_eq!(found.chain.layers[0].targets.value, Some(3));
    assert_eq!(found.chain.not_consulted.len(), 1);
    assert_eq!(found.chain.not_consulted[0].provider, Provider::Cloudfront);
}

/// A name with no record of its own is answered by the zone's wildcard record, as DNS does:
/// `*.zone` → the ALB leads `chat.zone` to it.
#[tokio::test]
async fn a_wildcard_record_leads_to_the_alb() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let zone = format!("{}.test", unique("wild"));
    let lb = fixtures::simple_alb(&sdk, "wildlb", 2, 80).await;
    fixtures::alias_record(&sdk, &zone, &format!("*.{zone}"), &lb.dns).await;

    for domain in [format!("chat.{zone}"), format!("a.b.{zone}")] {
        let mut req = ChainRequest::new(&domain, "/");
        req.scheme = wsaudit::model::Scheme::Ws;
        let found = discover_aws(&req, &sdk, &opts).await;
        assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
        assert_eq!(
            found
                .chain
                .layers
                .first()
                .and_then(|l| l.locator.as_deref()),
            Some(lb.arn.as_str()),
            "{domain}"
        );
    }
}

/// A distribution that does not list the domain among its alternate domain names, reached
/// through a Route 53 alias record (domain -> `dxxxx.cloudfront.net`): discovery finds it by
/// its own DNS name and follows its origin to the ALB.
#[tokio::test]
async fn route53_alias_to_a_distribution_without_the_domain_as_alias() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let zone = format!("{}.test", unique("r53cf"));
    let domain = format!("ws.{zone}");
    let lb = fixtures::load_balancer(&sdk, &unique("r53cf"), false).await;
    let other =
        fixtures::target_group(&sdk, &lb, &unique("o"), ProtocolEnum::Http, None, 1, &[]).await;
    let ws_tg =
        fixtures::target_group(&sdk, &lb, &unique("w"), ProtocolEnum::Http, None, 2, &[]).await;
    let l = fixtures::listener(&sdk, &lb.arn, ProtocolEnum::Http, 80, forward(&other)).await;
    fixtures::rule(&sdk, &l, 10, &[&domain], &["/ws/*"], forward(&ws_tg)).await;
    let behavior = |pattern| Behavior {
        pattern,
        origin: "alb",
        origin_request_policy: None,
        headers: &["Host", "Sec-WebSocket-Key", "Sec-WebSocket-Version"],
        viewer: None,
    };
    let (dist, dist_dns) = fixtures::distribution(
        &sdk,
        &[&format!("other.{zone}")],
        &[Orig {
            id: "alb",
            domain: &lb.dns,
            custom: Some((OriginProtocolPolicy::HttpOnly, 30, 5)),
        }],
        &[behavior(Some("/ws/*")), behavior(None)],
        HttpVersion::Http2,
    )
    .await;
    assert!(dist_dns.ends_with(".cloudfront.net"), "{dist_dns}");
    fixtures::alias_record(&sdk, &zone, &domain, &format!("{dist_dns}.")).await;

    let chain = cloudfront_then_alb(sdk, opts, &domain, &dist, &lb.arn).await;
    // CloudFront forwards the viewer's Host, so the ALB's host rule for the domain matches.
    assert_eq!(chain.layers[1].targets.value, Some(2));
}

/// Discovers `domain`/ws/ with AWS alone and checks the chain is exactly the distribution
/// `dist` and then the load balancer `lb_arn`, nothing missing; returns the chain.
async fn cloudfront_then_alb(
    sdk: aws_config::SdkConfig,
    opts: wsaudit::providers::aws::AwsOptions,
    domain: &str,
    dist: &str,
    lb_arn: &str,
) -> wsaudit::model::Chain {
    let req = ChainRequest::new(domain, "/ws/");
    let found = discover_aws(&req, &sdk, &opts).await;
    let chain = found.chain;
    assert!(chain.gaps.is_empty(), "{:?}", chain.gaps);
    assert!(chain.not_consulted.is_empty(), "{:?}", chain.not_consulted);
    let ids: Vec<&str> = chain.layers.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["cloudfront", "alb"]);
    assert!(chain.layers[0].locator.as_deref().unwrap().ends_with(dist));
    assert_eq!(chain.layers[1].locator.as_deref(), Some(lb_arn));
    chain
}

/// A distribution for `domain` whose only origin is the custom (https-only) origin `origin`.
async fn distribution_to(sdk: &aws_config::SdkConfig, domain: &str, origin: &str) -> String {
    let behavior = |pattern| Behavior {
        pattern,
        origin: "app",
        origin_request_policy: None,
        headers: &["Host", "Sec-WebSocket-Key", "Sec-WebSocket-Version"],
        viewer: None,
    };
    fixtures::distribution(
        sdk,
        &[domain],
        &[Orig {
            id: "app",
            domain: origin,
            custom: Some((OriginProtocolPolicy::HttpsOnly, 30, 5)),
        }],
        &[behavior(Some("/ws/*")), behavior(None)],
        HttpVersion::Http11,
    )
    .await
    .0
}

/// An https-only origin is named by a host the origin's certificate covers, not by the ALB's
/// own DNS name: Route 53 (an alias record for that host) leads from the origin to the ALB.
#[tokio::test]
async fn cloudfront_custom_origin_name_leads_to_the_alb_through_route53() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let zone = format!("{}.test", unique("org"));
    let domain = format!("ws.{zone}");
    let origin = format!("origin.{zone}");
    let lb = fixtures::simple_alb(&sdk, "orglb", 2, 443).await;
    fixtures::alias_record(&sdk, &zone, &origin, &format!("dualstack.{}.", lb.dns)).await;
    let dist = distribution_to(&sdk, &domain, &origin).await;

    let chain = cloudfront_then_alb(sdk, opts, &domain, &dist, &lb.arn).await;
    assert_eq!(chain.layers[1].targets.value, Some(2));
}

/// An origin name Route 53 knows nothing about is not a load balancer: not consulted, with the
/// reason naming the origin and how to pin the ALB.
#[tokio::test]
async fn an_unknown_custom_origin_name_leaves_the_alb_not_consulted() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let domain = format!("ws.{}.test", unique("noorg"));
    let origin = format!("app.{}.invalid", unique("elsewhere"));
    distribution_to(&sdk, &domain, &origin).await;
    let req = ChainRequest::new(&domain, "/ws/");
    let found = discover_aws(&req, &sdk, &opts).await;
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    assert_eq!(found.chain.layers.len(), 1);
    let alb = found
        .chain
        .not_consulted
        .iter()
        .find(|n| n.provider == Provider::Alb)
        .expect("the ALB is listed as not consulted");
    assert!(alb.reason.contains(&origin), "{}", alb.reason);
    assert!(alb.reason.contains("--alb"), "{}", alb.reason);
}

#[tokio::test]
async fn unconfigured_layers_are_not_consulted_not_gaps() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let req = ChainRequest::new(format!("{}.invalid", unique("none")), "/");
    let found = discover_aws(&req, &sdk, &opts).await;
    assert!(found.chain.layers.is_empty());
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    let mut providers: Vec<Provider> = found
        .chain
        .not_consulted
        .iter()
        .map(|n| n.provider)
        .collect();
    providers.sort_by_key(|p| p.as_str());
    assert_eq!(providers, [Provider::Alb, Provider::Cloudfront]);
}

/// A provider task standing in for one that is slow (nginx over a slow disk, Cloudflare's
/// API): it sleeps, then reports a reverse-proxy layer.
fn slow_stand_in(delay: Duration) -> ProviderTask {
    ProviderTask {
        name: "stand-in",
        layers: vec![("nginx".into(), Provider::Nginx)],
        run: Box::pin(async move {
            tokio::time::sleep(delay).await;
            ProviderOutput {
                layers: vec![Layer::new(
                    "nginx",
                    LayerKind::ReverseProxy,
                    Provider::Nginx,
                    "nginx",
                )],
                ..Default::default()
            }
        }),
    }
}

#[tokio::test]
async fn pinned_layers_and_providers_are_read_concurrently() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let s = stack(&sdk).await;
    let delay = Duration::from_millis(1500);
    // Each pinned read is held up once by `delay`: in sequence they would take 3 delays.
    let proxy = Proxy::start(
        &moto,
        vec![
            Rule::always("DescribeLoadBalancers", Fault::Delay(delay)),
            Rule::always("/distribution/", Fault::Delay(delay)),
        ],
    )
    .await;
    let slow_sdk = sdk_config(&proxy.url, &opts).await;
    let mut req = ChainRequest::new(&s.domain, "/ws/");
    req.alb = Some(s.lb.name.clone());
    req.cloudfront = Some(s.dist.clone());
    req.regions = vec!["us-east-1".into()];
    let found = discover(
        &req,
        vec![
            aws_task(&req, AwsSource::Config(Box::new(slow_sdk)), opts),
            slow_stand_in(delay),
        ],
    )
    .await;
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    let ids: Vec<&str> = found.chain.layers.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["cloudfront", "alb", "nginx"], "outermost first");
    assert_eq!(proxy.count("DescribeLoadBalancers"), 1);
    eprintln!(
        "chain wall time with three {delay:?} providers: {:?}",
        found.elapsed
    );
    assert!(found.elapsed >= delay, "{:?}", found.elapsed);
    assert!(
        found.elapsed < delay * 2,
        "providers ran in sequence: {:?} for three reads of {delay:?} each",
        found.elapsed
    );
}

/// A load balancer pinned by name (which carries no region) is looked for in every `--regions`
/// entry at once, not only in the configured default region: it is found where it lives.
#[tokio::test]
async fn a_pinned_alb_is_found_in_whichever_listed_region_holds_it() {
    let Some(moto) = moto_url() else { return };
    let opts = fast_options();
    let sdk = sdk_config(&moto, &opts).await;
    let eu = sdk
        .to_builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let lb = fixtures::simple_alb(&eu, "eu", 2, 443).await;

    let mut req = ChainRequest::new(format!("ws.{}.test", unique("reg")), "/ws/");
    req.alb = Some(lb.name.clone());
    req.regions = vec!["us-west-2".into(), "eu-west-1".into()];
    let found = discover_aws(&req, &sdk, &opts).await;
    assert!(found.chain.gaps.is_empty(), "{:?}", found.chain.gaps);
    let alb = found
        .chain
        .layers
        .iter()
        .find(|l| l.id == "alb")
        .expect("alb");
    assert_eq!(alb.locator.as_deref(), Some(lb.arn.as_str()));
    assert!(lb.arn.contains(":eu-west-1:"), "{}", lb.arn);
    assert_eq!(alb.targets.value, Some(2));

    // Without the region among --regions (and not the default one) it is not found, and the
    // gap says so rather than reporting the chain as clean.
    req.regions = vec!["us-west-2".into()];
    let missed = discover_aws(&req, &sdk, &opts).await;
    assert!(missed.chain.layers.iter().all(|l| l.id != "alb"));
    let gap = missed
        .chain
        .gaps
        .iter()
        .find(|g| g.layer == "alb")
        .expect("a gap on the pinned ALB");
    assert!(gap.reason.contains(&lb.name), "{}", gap.reason);
}
