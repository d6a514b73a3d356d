//! Unit tests of the AWS walk and the per-provider resolutions over hand-built inventories:
//! no I/O, so each asserts exactly which listener, rule, behavior or record a request meets,
//! and that a scope that failed to read is a gap, never "not found".

use super::*;
use crate::discover::RoutePins;
use crate::model::{GapCode, Provider};
use crate::providers::alb::{
    AlbRequest, AlbSelector, Condition, Forward, LbEntry, LbKind, ListenerEntry, ListenerSnapshot,
    LoadBalancerSnapshot, RegionInventory, Rule, RulePriority, TargetGroupEntry, TargetGroupRef,
    TargetGroupSnapshot,
};
use crate::providers::aws::Scope;
use crate::providers::cloudfront::{
    BehaviorSnapshot, CloudFrontInventory, CloudFrontRequest, CustomOrigin, Distribution,
    DistributionSelector, DistributionSummary, OriginSnapshot,
};
use crate::providers::route53::{DnsTarget, RecordSet, Route53Inventory, Zone, ZoneRecords};
use std::collections::BTreeMap;

const REGION: &str = "eu-west-1";
const LB_DNS: &str = "app-123.eu-west-1.elb.amazonaws.com";
const LB_ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/app/1";

fn rule(n: u32, conditions: Vec<Condition>, tg: &str) -> Rule {
    Rule {
        arn: format!("{LB_ARN}/rule/{n}"),
        priority: RulePriority::Number(n),
        conditions,
        action: "forward".into(),
        forward: Some(Forward {
            target_groups: vec![TargetGroupRef {
                arn: tg.into(),
                weight: None,
            }],
            group_stickiness: None,
        }),
        redirect: None,
        transforms: Vec::new(),
        auth: Vec::new(),
    }
}

fn listener(port: i32, protocol: &str, rules: Vec<Rule>, default_tg: &str) -> ListenerEntry {
    let arn = format!("{LB_ARN}/listener/{port}");
    let mut default = rule(0, Vec::new(), default_tg);
    default.arn.clone_from(&arn);
    default.priority = RulePriority::Default;
    ListenerEntry {
        listener: ListenerSnapshot {
            arn,
            port: Some(port),
            protocol: Some(protocol.into()),
            attributes: Ok(BTreeMap::new()),
        },
        default_rule: default,
        attributes: None,
        rules: Some(Ok(rules)),
    }
}

fn group(arn: &str) -> TargetGroupEntry {
    TargetGroupEntry {
        group: TargetGroupSnapshot {
            arn: arn.into(),
            name: arn.rsplit('/').next().unwrap_or_default().into(),
            protocol: Some("HTTP".into()),
            protocol_version: Some("HTTP1".into()),
            target_type: Some("instance".into()),
            target_control_port: None,
            weight: None,
            attributes: Ok(BTreeMap::from([(
                "stickiness.enabled".to_string(),
                "false".to_string(),
            )])),
            targets: Ok(2),
        },
    }
}

/// One ALB in a complete region: HTTPS 443 with host and path rules, HTTP 80 forwarding to
/// the default group.
fn region() -> RegionInventory {
    let rules = vec![
        rule(
            10,
            vec![
                Condition::Host(vec!["ws.example.com".into()]),
                Condition::Path(vec!["/ws/*".into()]),
            ],
            "tg/ws",
        ),
        rule(
            20,
            vec![Condition::Host(vec!["*.example.com".into()])],
            "tg/wild",
        ),
        rule(30, vec![Condition::Path(vec!["/api/*".into()])], "tg/api"),
    ];
    let lb = LbEntry {
        lb: LoadBalancerSnapshot {
            arn: LB_ARN.into(),
            name: "app".into(),
            dns_name: LB_DNS.into(),
            kind: LbKind::Application,
            attributes: BTreeMap::new(),
        },
        attributes: Some(Ok(BTreeMap::from([(
            "idle_timeout.timeout_seconds".to_string(),
            "120".to_string(),
        )]))),
        listeners: Some(Ok(vec![
            listener(443, "HTTPS", rules, "tg/default"),
            listener(80, "HTTP", Vec::new(), "tg/default"),
        ])),
    };
    RegionInventory {
        region: REGION.into(),
        listing: Scope::complete(),
        load_balancers: vec![lb],
        target_group_listing: Scope::complete(),
        target_groups: ["tg/ws", "tg/wild", "tg/api", "tg/default"]
            .iter()
            .map(|a| (a.to_string(), group(a)))
            .collect(),
        ..Default::default()
    }
}

fn alb_req(host: &str, path: &str, port: Option<u16>) -> AlbRequest {
    AlbRequest {
        selector: AlbSelector::DnsName(LB_DNS.into()),
        host: host.into(),
        path: path.into(),
        port,
        page_size: None,
        deadline: None,
    }
}

fn picked(inv: &RegionInventory, host: &str, path: &str, port: Option<u16>) -> (String, String) {
    let r = alb::resolve(inv, &alb_req(host, path, port))
        .expect("a complete inventory needs nothing read")
        .expect("the load balancer is there");
    let listener = r.snapshot.listener.unwrap().unwrap();
    let tg = r.snapshot.target_groups.unwrap()[0].arn.clone();
    (listener.arn.rsplit('/').next().unwrap().to_string(), tg)
}

#[test]
fn alb_rule_by_host_and_path_and_listener_by_port() {
    let inv = region();
    assert_eq!(
        picked(&inv, "ws.example.com", "/ws/chat", Some(443)),
        ("443".into(), "tg/ws".into())
    );
    // Same host, another path: the wildcard host rule (priority 20) is next.
    assert_eq!(
        picked(&inv, "ws.example.com", "/other", Some(443)).1,
        "tg/wild"
    );
    assert_eq!(picked(&inv, "other.test", "/api/x", Some(443)).1, "tg/api");
    assert_eq!(picked(&inv, "other.test", "/", Some(443)).1, "tg/default");
    // Port 80 is the HTTP listener, which has only its default rule.
    assert_eq!(
        picked(&inv, "ws.example.com", "/ws/chat", Some(80)),
        ("80".into(), "tg/default".into())
    );
    // No listener on the port: 443 is the one a client most likely reaches.
    assert_eq!(picked(&inv, "ws.example.com", "/ws/", Some(8443)).0, "443");
}

#[test]
fn alb_partial_region_names_what_to_read_and_a_failed_listing_is_the_error() {
    let empty = RegionInventory::new(REGION);
    let need = alb::resolve(&empty, &alb_req("ws.example.com", "/", None)).unwrap_err();
    assert_eq!(
        need,
        vec![alb::AlbNeed::Find(AlbSelector::DnsName(LB_DNS.into()))]
    );

    // Rules not read yet: both the handshake's listener and the cleartext one are asked for.
    let mut partial = region();
    partial.target_group_listing = Scope::default();
    for l in partial.load_balancers[0]
        .listeners
        .as_mut()
        .unwrap()
        .as_mut()
        .unwrap()
    {
        l.rules = None;
    }
    let needs = alb::resolve(&partial, &alb_req("ws.example.com", "/ws/", Some(443))).unwrap_err();
    assert_eq!(needs.len(), 2, "{needs:?}");
    assert!(needs.iter().all(|n| matches!(n, alb::AlbNeed::Rules(_))));

    let mut failed = RegionInventory::new(REGION);
    failed.listing = Scope::failed(AwsError::AccessDenied {
        action: "elasticloadbalancing:DescribeLoadBalancers".into(),
        code: "AccessDenied".into(),
    });
    let e = alb::resolve(&failed, &alb_req("ws.example.com", "/", None))
        .unwrap()
        .unwrap_err();
    assert_eq!(e.code(), GapCode::AccessDenied);

    // A complete listing without it: not found, in so many words.
    let mut other = region();
    other.load_balancers.clear();
    let e = alb::resolve(&other, &alb_req("ws.example.com", "/", None))
        .unwrap()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("no load balancer with DNS name {LB_DNS} in {REGION}")
    );
}

fn origin(id: &str, domain: &str, custom: bool) -> OriginSnapshot {
    OriginSnapshot {
        id: id.into(),
        domain_name: domain.into(),
        custom: custom.then(|| CustomOrigin {
            http_port: 80,
            https_port: 443,
            protocol_policy: "https-only".into(),
            read_timeout: Some(60),
            keepalive_timeout: Some(5),
        }),
        vpc_origin_id: None,
        vpc_endpoint_arn: None,
        response_completion_timeout: None,
    }
}

fn behavior(pattern: Option<&str>, origin: &str) -> BehaviorSnapshot {
    BehaviorSnapshot {
        path_pattern: pattern.map(str::to_string),
        target_origin_id: origin.into(),
        viewer_protocol_policy: "https-only".into(),
        origin_request_policy_id: None,
        forwarded_headers: Some(vec!["*".into()]),
        viewer_request_code: Vec::new(),
    }
}

/// A distribution whose `/ws/*` behavior goes to the load balancer and whose default goes to
/// an S3 bucket.
fn distribution(id: &str, aliases: &[&str]) -> Distribution {
    Distribution {
        id: id.into(),
        arn: format!("arn:aws:cloudfront::222222222222:distribution/{id}"),
        domain_name: format!("{}.cloudfront.net", id.to_ascii_lowercase()),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        http_version: Some("http2".into()),
        logging: None,
        default_behavior: behavior(None, "s3"),
        behaviors: vec![behavior(Some("/ws/*"), "alb")],
        origins: vec![
            origin("s3", "assets.s3.amazonaws.com", false),
            origin("alb", LB_DNS, true),
        ],
        origin_groups: Vec::new(),
        continuous_deployment_policy_id: None,
    }
}

fn cloudfront_inv(dists: Vec<Distribution>) -> CloudFrontInventory {
    CloudFrontInventory {
        listing: Scope::complete(),
        summaries: dists
            .iter()
            .map(|d| DistributionSummary {
                id: d.id.clone(),
                domain_name: d.domain_name.clone(),
                aliases: d.aliases.clone(),
            })
            .collect(),
        distributions: dists.into_iter().map(|d| (d.id.clone(), Ok(d))).collect(),
        tenant_listing: Scope::complete(),
        ..Default::default()
    }
}

fn cf_req(host: &str, path: &str) -> CloudFrontRequest {
    CloudFrontRequest {
        selector: DistributionSelector::Alias(host.into()),
        path: path.into(),
        scheme: crate::model::Scheme::Wss,
        page_size: None,
    }
}

#[test]
fn cloudfront_alias_wildcard_alias_and_behavior_by_path() {
    let inv = cloudfront_inv(vec![
        distribution("EWILD", &["*.example.com"]),
        distribution("EEXACT", &["ws.example.com"]),
    ]);
    let read = |host: &str, path: &str| {
        cloudfront::resolve(&inv, &cf_req(host, path))
            .expect("complete")
            .expect("readable")
    };
    // The exact alias beats the wildcard, wherever it is listed.
    let r = read("ws.example.com", "/ws/chat").unwrap();
    assert_eq!(r.snapshot.id, "EEXACT");
    assert_eq!(r.snapshot.behavior.path_pattern.as_deref(), Some("/ws/*"));
    assert_eq!(r.snapshot.origin.unwrap().id, "alb");
    let r = read("chat.example.com", "/index.html").unwrap();
    assert_eq!(r.snapshot.id, "EWILD");
    assert_eq!(r.snapshot.behavior.path_pattern, None);
    assert_eq!(r.snapshot.origin.unwrap().id, "s3");
    // Not an alias of any distribution (complete listing, no tenants): not CloudFront.
    assert!(read("example.org", "/").is_none());
}

#[test]
fn cloudfront_failed_listing_is_an_error_not_absence() {
    let mut inv = cloudfront_inv(vec![distribution("EEXACT", &["ws.example.com"])]);
    inv.listing = Scope::failed(AwsError::Throttled {
        action: "cloudfront:ListDistributions".into(),
        code: "Throttling".into(),
    });
    inv.summaries.clear();
    let r = cloudfront::resolve(&inv, &cf_req("ws.example.com", "/")).unwrap();
    assert_eq!(r.unwrap_err().code(), GapCode::Throttled);
}

fn zone_inv(records: Vec<RecordSet>) -> Route53Inventory {
    Route53Inventory {
        zone_scope: Scope::complete(),
        zones: vec![Zone {
            id: "/hostedzone/Z1".into(),
            name: "example.com.".into(),
        }],
        records: BTreeMap::from([(
            "/hostedzone/Z1".to_string(),
            ZoneRecords {
                scope: Scope::complete(),
                sets: records,
                names: Vec::new(),
            },
        )]),
    }
}

fn alias(name: &str, target: &str, weight: Option<i64>) -> RecordSet {
    RecordSet {
        name: name.into(),
        target: Some(DnsTarget::from_name(target)),
        policy: if weight.is_some() {
            "weighted"
        } else {
            "simple"
        }
        .into(),
        set_identifier: weight.map(|w| format!("w{w}")),
        detail: weight.map(|w| format!("weight {w}")),
        rank: weight.unwrap_or(0),
    }
}

#[test]
fn route53_exact_then_wildcard_and_weighted_candidates() {
    let inv = zone_inv(vec![
        alias(
            "api.example.com.",
            "light-1.eu-west-1.elb.amazonaws.com",
            Some(10),
        ),
        alias("api.example.com.", LB_DNS, Some(90)),
        alias("*.example.com.", "d1.cloudfront.net", None),
    ]);
    let r = route53::resolve_name(&inv, "api.example.com")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        r.target,
        DnsTarget::Elb(LB_DNS.into()),
        "the heaviest weight"
    );
    assert_eq!(r.others.len(), 1);
    let r = route53::resolve_name(&inv, "chat.example.com")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(r.target, DnsTarget::CloudFront("d1.cloudfront.net".into()));
    assert!(route53::resolve_name(&inv, "example.org")
        .unwrap()
        .unwrap()
        .is_none());
}

fn request(domain: &str, path: &str) -> ChainRequest {
    ChainRequest::new(domain, path)
}

/// Account A holds the distribution, account B the load balancer it fronts.
fn two_accounts() -> AwsInventory {
    let a = AwsInventory {
        accounts: vec!["edge".into()],
        complete: true,
        cloudfront: cloudfront_inv(vec![distribution("EEXACT", &["ws.example.com"])]),
        route53: zone_inv(Vec::new()),
        ..Default::default()
    };
    let b = AwsInventory {
        accounts: vec!["app".into()],
        complete: true,
        regions: BTreeMap::from([(REGION.to_string(), region())]),
        cloudfront: cloudfront_inv(Vec::new()),
        route53: Route53Inventory {
            zone_scope: Scope::complete(),
            ..Default::default()
        },
        default_regions: vec![REGION.into()],
        ..Default::default()
    };
    AwsInventory::merge(vec![a, b])
}

#[test]
fn cross_account_cloudfront_to_alb_after_merge() {
    let inv = two_accounts();
    let out = resolve_aws(&inv, &request("ws.example.com", "/ws/chat"));
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);
    let ids: Vec<_> = out.layers.iter().map(|l| l.provider).collect();
    assert_eq!(ids, vec![Provider::Cloudfront, Provider::Alb]);
    let alb = &out.layers[1];
    assert_eq!(alb.locator.as_deref(), Some(LB_ARN));
    // CloudFront forwards the viewer's Host (`*` headers): the ALB's host+path rule matches.
    assert_eq!(alb.resource("target_group"), Some("tg/ws"));

    // The S3 default behavior: CloudFront is read, no load balancer behind it.
    let out = resolve_aws(&inv, &request("ws.example.com", "/index.html"));
    assert_eq!(out.layers.len(), 1);
    assert!(out
        .not_consulted
        .iter()
        .any(|n| n.provider == Provider::Alb && n.reason.contains("is not a load balancer")));
}

#[test]
fn route53_alias_to_the_load_balancer_without_cloudfront() {
    let mut inv = two_accounts();
    inv.route53 = zone_inv(vec![alias("api.example.com.", LB_DNS, None)]);
    let out = resolve_aws(&inv, &request("api.example.com", "/api/v1"));
    assert_eq!(out.layers.len(), 1, "{:?}", out.gaps);
    // The domain is the Host: `*.example.com` (priority 20) wins over `/api/*` (30).
    assert_eq!(out.layers[0].resource("target_group"), Some("tg/wild"));
    assert!(out
        .not_consulted
        .iter()
        .any(|n| n.provider == Provider::Cloudfront));
}

#[test]
fn a_failed_or_unreadable_scope_is_a_gap_naming_it() {
    // The region holding the load balancer failed to list in account B.
    let mut inv = two_accounts();
    let r = inv.regions.get_mut(REGION).unwrap();
    r.load_balancers.clear();
    r.listing = Scope::failed(in_account(
        "app, region eu-west-1",
        AwsError::AccessDenied {
            action: "elasticloadbalancing:DescribeLoadBalancers".into(),
            code: "AccessDenied".into(),
        },
    ));
    let out = resolve_aws(&inv, &request("ws.example.com", "/ws/chat"));
    let g = out.gaps.iter().find(|g| g.layer == "alb").expect("alb gap");
    assert_eq!(g.code, GapCode::AccessDenied);
    assert!(
        g.reason.contains("account app, region eu-west-1"),
        "{}",
        g.reason
    );
    assert!(out
        .not_consulted
        .iter()
        .all(|n| n.provider != Provider::Alb));

    // A third account could not be read: a domain found nowhere else is a gap, not "no
    // CloudFront distribution has it".
    let inv = AwsInventory::merge(vec![
        two_accounts(),
        AwsInventory::unreadable("audit", "the role could not be assumed".into()),
    ]);
    let out = resolve_aws(&inv, &request("nowhere.example.com", "/"));
    let g = out
        .gaps
        .iter()
        .find(|g| g.layer == "cloudfront")
        .expect("cloudfront gap");
    assert_eq!(g.code, GapCode::NoCredentials);
    assert!(g.reason.contains("account audit"), "{}", g.reason);
    // What the readable accounts hold still resolves cleanly.
    let out = resolve_aws(&inv, &request("ws.example.com", "/ws/chat"));
    assert!(out.gaps.is_empty(), "{:?}", out.gaps);
    assert_eq!(out.layers.len(), 2);
}

#[test]
fn pinned_alb_by_name_in_the_regions_read() {
    let inv = two_accounts();
    let mut req = request("ws.example.com", "/ws/x");
    req.alb = Some("app".into());
    let out = resolve_aws(&inv, &req);
    // The pin skips Route 53, not CloudFront's alias lookup (as a live read does).
    assert_eq!(out.layers.len(), 2, "{:?}", out.gaps);
    assert_eq!(out.layers[1].resource("target_group"), Some("tg/ws"));
    // A region not read in a complete inventory: a gap, with the reason.
    req.regions = vec!["ap-south-1".into()];
    let out = resolve_aws(&inv, &req);
    let g = out.gaps.iter().find(|g| g.layer == "alb").unwrap();
    assert!(g.reason.contains("the region was not read"), "{}", g.reason);
}

#[test]
fn routes_list_aliases_rules_and_dns_names_without_wildcards() {
    let inv = two_accounts();
    let routes = inv.routes();
    let find = |domain: &str| {
        routes
            .iter()
            .filter(|r| r.domain == domain)
            .collect::<Vec<_>>()
    };
    // CloudFront: the alias with the behavior that reaches a custom origin (the S3 default
    // cannot carry a WebSocket).
    let cf = find("ws.example.com");
    let cf_route = cf
        .iter()
        .find(|r| r.pins.cloudfront.is_some())
        .expect("cloudfront route");
    assert_eq!(cf_route.paths, vec!["/ws/*".to_string()]);
    assert_eq!(cf_route.from, "cloudfront EEXACT alias ws.example.com");
    // The ALB rule's host × path, pinned to the load balancer.
    let alb_route = cf
        .iter()
        .find(|r| r.pins.alb.is_some())
        .expect("alb rule route");
    assert_eq!(alb_route.paths, vec!["/ws/*".to_string()]);
    assert_eq!(alb_route.from, format!("alb {LB_ARN}/rule/10"));
    assert_eq!(
        alb_route.pins,
        RoutePins {
            alb: Some(LB_ARN.into()),
            ..Default::default()
        }
    );
    // The load balancer's own name, with every path condition of its rules.
    let dns = find(LB_DNS);
    assert_eq!(dns.len(), 1);
    assert_eq!(
        dns[0].paths,
        vec!["/ws/*".to_string(), "/api/*".to_string()]
    );
    // `*.example.com` is not dialable: no route for it.
    assert!(routes.iter().all(|r| !r.domain.contains('*')));
    // Deduplicated: one route per (domain, paths, pins).
    let mut seen = routes
        .iter()
        .map(|r| (&r.domain, &r.paths, &r.pins.alb, &r.pins.cloudfront))
        .collect::<Vec<_>>();
    let before = seen.len();
    seen.dedup();
    assert_eq!(seen.len(), before);
    assert_eq!(routes.len(), 3, "{routes:#?}");
}
