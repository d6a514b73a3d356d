//! The scan's AWS inventory against the emulator: one account of its own (so the call counts
//! are this test's alone) with six load balancers, three distributions and a hosted zone,
//! read once with `AwsInventory::read_account` through counted SDK clients; then the routes it
//! discovers and several requests resolved over it without another call.

use crate::support::aws;

use aws::ec2;
use aws::fixtures::{self, Behavior, Origin as Orig};
use aws::proxy::{Fault, Proxy, Rule};
use aws::{fast_options, moto_url, own_account_config, unique};
use aws_config::SdkConfig;
use aws_sdk_cloudfront::types::{HttpVersion, OriginProtocolPolicy};
use aws_sdk_elasticloadbalancingv2::types as elb;
use std::collections::BTreeMap;
use std::time::Instant;
use wsaudit::discover::{aws_task, discover, resolve_aws, AwsInventory, AwsSource, ChainRequest};
use wsaudit::model::{GapCode, Provider};
use wsaudit::providers::aws::AwsClients;
use wsaudit::providers::calls::{CallCounter, RateBudget};

/// A load balancer in an existing VPC (one VPC for many load balancers keeps the setup fast).
async fn lb_in(
    sdk: &SdkConfig,
    vpc: &(String, Vec<String>),
    name: &str,
    network: bool,
) -> fixtures::Lb {
    let out = fixtures::elbv2(sdk)
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(vpc.1.clone()))
        .r#type(if network {
            elb::LoadBalancerTypeEnum::Network
        } else {
            elb::LoadBalancerTypeEnum::Application
        })
        .send()
        .await
        .expect("create load balancer");
    let lb = &out.load_balancers()[0];
    fixtures::Lb {
        arn: lb.load_balancer_arn().unwrap().to_string(),
        name: name.to_string(),
        dns: lb.dns_name().unwrap().to_string(),
        vpc: vpc.0.clone(),
    }
}

struct Alb {
    lb: fixtures::Lb,
    /// The listener's default target group and the one its `/ws/*` rule forwards to.
    default_tg: String,
    ws_tg: String,
}

/// An ALB with an HTTP listener on 80: rule 10 `app{i}.{base}` + `/ws/*` to its own group, rule
/// 20 `*.w{i}.{base}` (a wildcard: no route of its own) to the default group.
async fn alb(sdk: &SdkConfig, vpc: &(String, Vec<String>), i: usize, base: &str) -> Alb {
    let lb = lb_in(sdk, vpc, &unique(&format!("inv{i}")), false).await;
    let (d, w) = (unique("d"), unique("w"));
    let tg = |n| fixtures::target_group(sdk, &lb, n, elb::ProtocolEnum::Http, None, 1, &[]);
    let (default_tg, ws_tg) = (tg(&d).await, tg(&w).await);
    let listener = fixtures::listener(
        sdk,
        &lb.arn,
        elb::ProtocolEnum::Http,
        80,
        fixtures::forward(&default_tg),
    )
    .await;
    let host = format!("app{i}.{base}");
    fixtures::rule(
        sdk,
        &listener,
        10,
        &[&host],
        &["/ws/*"],
        fixtures::forward(&ws_tg),
    )
    .await;
    let wild = format!("*.w{i}.{base}");
    fixtures::rule(
        sdk,
        &listener,
        20,
        &[&wild],
        &[],
        fixtures::forward(&default_tg),
    )
    .await;
    Alb {
        lb,
        default_tg,
        ws_tg,
    }
}

/// An NLB with one TCP listener on 443.
async fn nlb(sdk: &SdkConfig, vpc: &(String, Vec<String>), i: usize) -> fixtures::Lb {
    let lb = lb_in(sdk, vpc, &unique(&format!("nlb{i}")), true).await;
    let tg =
        fixtures::target_group(sdk, &lb, &unique("n"), elb::ProtocolEnum::Tcp, None, 1, &[]).await;
    fixtures::listener(
        sdk,
        &lb.arn,
        elb::ProtocolEnum::Tcp,
        443,
        fixtures::forward(&tg),
    )
    .await;
    lb
}

fn custom<'a>(id: &'static str, domain: &'a str) -> Orig<'a> {
    Orig {
        id,
        domain,
        custom: Some((OriginProtocolPolicy::HttpOnly, 60, 5)),
    }
}

fn s3(domain: &str) -> Orig<'_> {
    Orig {
        id: "s3",
        domain,
        custom: None,
    }
}

fn behavior<'a>(pattern: Option<&'a str>, origin: &'a str) -> Behavior<'a> {
    Behavior {
        pattern,
        origin,
        origin_request_policy: None,
        headers: &[],
        viewer: None,
    }
}

async fn read(sdk: &SdkConfig, counter: &CallCounter) -> AwsInventory {
    let clients = AwsClients::counted(sdk.clone(), counter.clone());
    AwsInventory::read_account(
        "inventory-test",
        &clients,
        &["us-east-1".to_string()],
        &fast_options(),
        |_| RateBudget::elb(),
        RateBudget::global_aws(),
    )
    .await
}

#[tokio::test]
async fn an_account_is_read_once_and_every_request_resolves_over_it() {
    let Some(moto) = moto_url() else { return };
    let (sdk, _account) = own_account_config(&moto, &fast_options()).await;
    let base = format!("{}.test", unique("inv"));
    let vpc = ec2::vpc(&sdk).await;
    let mut albs = Vec::new();
    for i in 0..4 {
        albs.push(alb(&sdk, &vpc, i, &base).await);
    }
    let nlbs = [nlb(&sdk, &vpc, 0).await, nlb(&sdk, &vpc, 1).await];
    let bucket = "assets.s3.amazonaws.com";
    let (cdn1, cdn2, stat) = (
        format!("cdn1.{base}"),
        format!("cdn2.{base}"),
        format!("static.{base}"),
    );
    let wild2 = format!("*.cdn2.{base}");
    let (d1, _) = fixtures::distribution(
        &sdk,
        &[&cdn1],
        &[s3(bucket), custom("alb", &albs[0].lb.dns)],
        &[behavior(None, "s3"), behavior(Some("/ws/*"), "alb")],
        HttpVersion::Http2,
    )
    .await;
    let (d2, _) = fixtures::distribution(
        &sdk,
        &[&cdn2, &wild2],
        &[custom("alb", &albs[1].lb.dns)],
        &[behavior(None, "alb")],
        HttpVersion::Http2,
    )
    .await;
    let (d3, _) = fixtures::distribution(
        &sdk,
        &[&stat],
        &[s3(bucket)],
        &[behavior(None, "s3")],
        HttpVersion::Http2,
    )
    .await;
    let api = format!("api.{base}");
    fixtures::alias_record(&sdk, &base, &api, &albs[2].lb.dns).await;

    let counter = CallCounter::new();
    let inv = read(&sdk, &counter).await;

    // O(regions + resources): one listing per kind and region, then one call per resource.
    let ops = counter.per_operation();
    let expect: BTreeMap<String, u64> = [
        ("cloudfront:GetDistribution", 3),
        ("cloudfront:ListDistributionTenants", 1),
        ("cloudfront:ListDistributions", 1),
        ("elasticloadbalancing:DescribeListenerAttributes", 2),
        ("elasticloadbalancing:DescribeListeners", 6),
        ("elasticloadbalancing:DescribeLoadBalancerAttributes", 6),
        ("elasticloadbalancing:DescribeLoadBalancers", 1),
        ("elasticloadbalancing:DescribeRules", 4),
        ("elasticloadbalancing:DescribeTargetGroupAttributes", 10),
        ("elasticloadbalancing:DescribeTargetGroups", 1),
        ("elasticloadbalancing:DescribeTargetHealth", 10),
        ("route53:ListHostedZones", 1),
        ("route53:ListResourceRecordSets", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(ops, expect);
    let per_service = counter.per_service();
    assert_eq!(per_service["elasticloadbalancing"], 40);
    assert_eq!(per_service["cloudfront"], 5);
    assert_eq!(per_service["route53"], 2);

    // The routes: CloudFront aliases whose behaviors reach a custom origin (the S3-only
    // distribution and the wildcard alias have none), each ALB rule's concrete host with its
    // path, and every load balancer's own name.
    let routes = inv.routes();
    let mut found: Vec<(String, Vec<String>, String)> = routes
        .iter()
        .map(|r| {
            let pin = r
                .pins
                .cloudfront
                .clone()
                .or_else(|| r.pins.alb.clone())
                .unwrap_or_default();
            (r.domain.clone(), r.paths.clone(), pin)
        })
        .collect();
    found.sort();
    let ws = || vec!["/ws/*".to_string()];
    let mut want = vec![
        (cdn1.clone(), ws(), d1.clone()),
        // Its one (default) behavior reaches the load balancer: the alias at `/`.
        (cdn2.clone(), vec!["/".to_string()], d2.clone()),
    ];
    for (i, a) in albs.iter().enumerate() {
        want.push((format!("app{i}.{base}"), ws(), a.lb.arn.clone()));
        want.push((a.lb.dns.to_ascii_lowercase(), ws(), a.lb.arn.clone()));
    }
    for n in &nlbs {
        want.push((n.dns.to_ascii_lowercase(), Vec::new(), n.arn.clone()));
    }
    want.sort();
    assert_eq!(found, want);
    assert!(routes
        .iter()
        .all(|r| r.pins.cloudfront.as_ref().is_none_or(|c| *c != d3)));

    // Requests resolved over the inventory: no further call, whatever their number.
    let before = counter.total();
    let resolve = |domain: &str, path: &str, alb: Option<&str>| {
        let mut req = ChainRequest::new(domain, path);
        req.alb = alb.map(str::to_string);
        resolve_aws(&inv, &req)
    };
    // CloudFront's `/ws/*` behavior → the ALB by its DNS name (CloudFront sends the origin's
    // own name as Host here, so the listener's default rule applies).
    let out = resolve(&cdn1, "/ws/chat", None);
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);
    let providers: Vec<Provider> = out.layers.iter().map(|l| l.provider).collect();
    assert_eq!(providers, vec![Provider::Cloudfront, Provider::Alb]);
    assert_eq!(
        out.layers[1].locator.as_deref(),
        Some(albs[0].lb.arn.as_str())
    );
    assert_eq!(
        out.layers[1].resource("target_group"),
        Some(albs[0].default_tg.as_str())
    );
    // The S3 default behavior: no load balancer behind it.
    let out = resolve(&cdn1, "/index.html", None);
    assert_eq!(out.layers.len(), 1);
    assert!(out
        .not_consulted
        .iter()
        .any(|n| n.provider == Provider::Alb));
    // A wildcard alias serves a name no distribution lists exactly.
    let out = resolve(&format!("eu.cdn2.{base}"), "/ws", None);
    assert_eq!(out.layers.len(), 2, "{:?}", out.gaps);
    assert_eq!(
        out.layers[1].locator.as_deref(),
        Some(albs[1].lb.arn.as_str())
    );
    // Route 53 alias → the ALB; the Host `api.…` meets no rule: the default group.
    let out = resolve(&api, "/ws/x", None);
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
    assert_eq!(
        out.layers[0].locator.as_deref(),
        Some(albs[2].lb.arn.as_str())
    );
    assert!(out
        .not_consulted
        .iter()
        .any(|n| n.provider == Provider::Cloudfront));
    // A discovered rule route, pinned: the host + path rule's own group.
    let out = resolve(&format!("app3.{base}"), "/ws/room", Some(&albs[3].lb.arn));
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
    assert_eq!(
        out.layers[0].resource("target_group"),
        Some(albs[3].ws_tg.as_str())
    );
    // The NLB by its own name (pinned by DNS name), on its TCP listener.
    let out = resolve(&nlbs[0].dns, "/", Some(&nlbs[0].dns));
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
    assert_eq!(out.layers[0].id, "nlb");
    // A name nothing in the account serves: not consulted, no gap (every scope was read).
    let out = resolve("nowhere.example.org", "/", None);
    assert!(
        out.layers.is_empty() && out.gaps.is_empty(),
        "{:?}",
        out.gaps
    );
    assert_eq!(out.not_consulted.len(), 2);
    assert_eq!(counter.total(), before, "resolving made no call");

    // `wsaudit chain`'s live read (a narrow inventory of only what each request needs) gives
    // exactly what the scan's whole-account inventory resolves to: one walk, no drift.
    let requests = [
        (cdn1.clone(), "/ws/chat", None),
        (cdn1.clone(), "/index.html", None),
        (format!("eu.cdn2.{base}"), "/ws", None),
        (api.clone(), "/ws/x", None),
        (
            format!("app3.{base}"),
            "/ws/room",
            Some(albs[3].lb.arn.clone()),
        ),
        (nlbs[0].dns.clone(), "/", Some(nlbs[0].dns.clone())),
        ("nowhere.example.org".to_string(), "/", None),
    ];
    for (domain, path, alb) in requests {
        let mut req = ChainRequest::new(&domain, path);
        req.alb = alb;
        req.aws_in_env = true;
        let scanned = resolve_aws(&inv, &req);
        let live = discover(
            &req,
            vec![aws_task(
                &req,
                AwsSource::Config(Box::new(sdk.clone())),
                fast_options(),
            )],
        )
        .await
        .chain;
        assert_eq!(
            json(&live.layers),
            json(&scanned.layers),
            "{domain}{path}: layers"
        );
        assert_eq!(live.gaps, scanned.gaps, "{domain}{path}: gaps");
        assert_eq!(
            json(&live.not_consulted),
            json(&scanned.not_consulted),
            "{domain}{path}: not consulted"
        );
    }
}

/// JSON of a model value, to compare layers as a report would show them.
fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

/// A second account that cannot be read, merged with a readable one: what the readable one
/// holds is still resolved, and a name found nowhere is a gap naming the unreadable account.
#[tokio::test]
async fn an_unreadable_account_is_a_gap_on_what_it_may_hold() {
    let Some(moto) = moto_url() else { return };
    let (sdk, _) = own_account_config(&moto, &fast_options()).await;
    let base = format!("{}.test", unique("inv"));
    let lb = fixtures::simple_alb(&sdk, "invu", 1, 80).await;
    let api = format!("api.{base}");
    fixtures::alias_record(&sdk, &base, &api, &lb.dns).await;
    let counter = CallCounter::new();
    let inv = AwsInventory::merge(vec![
        read(&sdk, &counter).await,
        AwsInventory::unreadable(
            "audit",
            "the role could not be assumed (AccessDenied)".into(),
        ),
    ]);
    // The Route 53 alias names the load balancer, so it is read; whether the unreadable
    // account has a distribution with this alias stays a gap.
    let out = resolve_aws(&inv, &ChainRequest::new(&api, "/"));
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
    assert_eq!(out.layers[0].locator.as_deref(), Some(lb.arn.as_str()));
    assert_eq!(out.gaps.len(), 1, "{:?}", out.gaps);
    assert_eq!(out.gaps[0].layer, "cloudfront");
    let out = resolve_aws(&inv, &ChainRequest::new("nowhere.example.org", "/"));
    let g = out
        .gaps
        .iter()
        .find(|g| g.layer == "cloudfront")
        .expect("a gap, not 'not consulted'");
    assert_eq!(g.code, GapCode::NoCredentials);
    assert!(
        g.reason.contains("account audit could not be read"),
        "{}",
        g.reason
    );
}

/// Scopes that fail while an account is read are recorded, never an abort: the region whose
/// load balancers cannot be listed (AccessDenied) and CloudFront throttled past the SDK's
/// retries become gaps naming the account and scope on what they could hold; Route 53, read
/// fine, still leads to the load balancer's name.
#[tokio::test]
async fn failed_scopes_are_recorded_and_become_gaps_naming_them() {
    let Some(moto) = moto_url() else { return };
    let (sdk, _) = own_account_config(&moto, &fast_options()).await;
    let base = format!("{}.test", unique("invf"));
    let lb = fixtures::simple_alb(&sdk, "invf", 1, 80).await;
    let api = format!("api.{base}");
    fixtures::alias_record(&sdk, &base, &api, &lb.dns).await;
    let proxy = Proxy::start(
        &moto,
        vec![
            Rule::always("DescribeLoadBalancers", Fault::AccessDenied),
            Rule::always("GET /2020-05-31/distribution", Fault::Throttle),
        ],
    )
    .await;
    let through_proxy = sdk.to_builder().endpoint_url(&proxy.url).build();
    let counter = CallCounter::new();
    let clients = AwsClients::counted(through_proxy, counter.clone());
    let inv = AwsInventory::read_account(
        "ops",
        &clients,
        &["us-east-1".to_string()],
        &fast_options(),
        |_| RateBudget::elb(),
        RateBudget::global_aws(),
    )
    .await;
    // AccessDenied is not retried; throttling is, up to the attempts allowed.
    assert_eq!(proxy.count("DescribeLoadBalancers"), 1);
    assert_eq!(proxy.count("GET /2020-05-31/distribution"), 3);
    assert!(inv.routes().is_empty(), "{:?}", inv.routes());

    let out = resolve_aws(&inv, &ChainRequest::new(&api, "/"));
    assert!(out.layers.is_empty());
    let cf = out.gaps.iter().find(|g| g.layer == "cloudfront").unwrap();
    assert_eq!(cf.code, GapCode::Throttled);
    assert!(cf.reason.starts_with("account ops: "), "{}", cf.reason);
    assert!(
        cf.reason.contains("cloudfront:ListDistributions"),
        "{}",
        cf.reason
    );
    let alb = out.gaps.iter().find(|g| g.layer == "alb").unwrap();
    assert_eq!(alb.code, GapCode::AccessDenied);
    assert!(
        alb.reason
            .starts_with("account ops, region us-east-1: AccessDenied"),
        "{}",
        alb.reason
    );
    assert!(out.not_consulted.is_empty(), "{:?}", out.not_consulted);
}

/// The figure the issue asks for: `read_account` over 50 load balancers and 10 distributions.
/// Slow to set up (the emulator creates each resource), so run on demand:
/// `cargo test --test it aws::inventory::measure -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn measure_read_account_50_load_balancers_10_distributions() {
    let Some(moto) = moto_url() else { return };
    let (sdk, _) = own_account_config(&moto, &fast_options()).await;
    let base = format!("{}.test", unique("big"));
    let vpc = ec2::vpc(&sdk).await;
    let mut albs = Vec::new();
    for i in 0..45 {
        albs.push(alb(&sdk, &vpc, i, &base).await);
    }
    for i in 0..5 {
        nlb(&sdk, &vpc, i).await;
    }
    for (i, a) in albs.iter().enumerate().take(10) {
        let alias = format!("cdn{i}.{base}");
        fixtures::distribution(
            &sdk,
            &[&alias],
            &[s3("assets.s3.amazonaws.com"), custom("alb", &a.lb.dns)],
            &[behavior(None, "s3"), behavior(Some("/ws/*"), "alb")],
            HttpVersion::Http2,
        )
        .await;
    }
    let counter = CallCounter::new();
    let t0 = Instant::now();
    // The budget of a scan: the ELB bucket's refill (8/s past a burst of 30) dominates.
    let inv = read(&sdk, &counter).await;
    let budgeted = t0.elapsed();
    let counter2 = CallCounter::new();
    let clients = AwsClients::counted(sdk.clone(), counter2.clone());
    let t1 = Instant::now();
    let unbounded = AwsInventory::read_account(
        "inventory-test",
        &clients,
        &["us-east-1".to_string()],
        &fast_options(),
        |_| RateBudget::new(100_000, 100_000.0),
        RateBudget::new(100_000, 100_000.0),
    )
    .await;
    let free = t1.elapsed();
    assert_eq!(inv.routes().len(), unbounded.routes().len());
    eprintln!(
        "read_account, 50 load balancers + 10 distributions: {:.2} s with the scan's budget, \
         {:.2} s without; calls {:?}",
        budgeted.as_secs_f64(),
        free.as_secs_f64(),
        counter.per_service()
    );
}
