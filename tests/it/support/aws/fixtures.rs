//! Resource builders: everything is created through the real SDK clients against the
//! emulator, the way an operator's tooling would create it.
// Legacy `ForwardedValues`/`MinTTL` are deprecated in the API but still accepted, and the
// provider must read distributions that use them.
#![allow(deprecated)]

use aws_config::SdkConfig;
use aws_sdk_cloudfront::types as cf;
use aws_sdk_elasticloadbalancingv2::types as elb;
use aws_sdk_route53::types as r53;

pub fn elbv2(sdk: &SdkConfig) -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::new(sdk)
}

pub fn cloudfront(sdk: &SdkConfig) -> aws_sdk_cloudfront::Client {
    aws_sdk_cloudfront::Client::new(sdk)
}

pub fn route53(sdk: &SdkConfig) -> aws_sdk_route53::Client {
    aws_sdk_route53::Client::new(sdk)
}

pub struct Lb {
    pub arn: String,
    pub name: String,
    pub dns: String,
    pub vpc: String,
}

pub async fn load_balancer(sdk: &SdkConfig, name: &str, network: bool) -> Lb {
    let (vpc, subnets) = super::ec2::vpc(sdk).await;
    load_balancer_in(sdk, name, network, vpc, subnets).await
}

/// A load balancer in a VPC already made (one VPC for many load balancers: each VPC costs a
/// boto3 process).
pub async fn load_balancer_in(
    sdk: &SdkConfig,
    name: &str,
    network: bool,
    vpc: String,
    subnets: Vec<String>,
) -> Lb {
    let out = elbv2(sdk)
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets))
        .r#type(if network {
            elb::LoadBalancerTypeEnum::Network
        } else {
            elb::LoadBalancerTypeEnum::Application
        })
        .send()
        .await
        .expect("create load balancer");
    let lb = &out.load_balancers()[0];
    Lb {
        arn: lb.load_balancer_arn().unwrap().to_string(),
        name: name.to_string(),
        dns: lb.dns_name().unwrap().to_string(),
        vpc,
    }
}

pub async fn lb_attributes(sdk: &SdkConfig, arn: &str, attrs: &[(&str, &str)]) {
    elbv2(sdk)
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(
            attrs
                .iter()
                .map(|(k, v)| {
                    elb::LoadBalancerAttribute::builder()
                        .key(*k)
                        .value(*v)
                        .build()
                })
                .collect(),
        ))
        .send()
        .await
        .expect("modify load balancer attributes");
}

/// A target group of `ip` targets with `targets` registered addresses.
pub async fn target_group(
    sdk: &SdkConfig,
    lb: &Lb,
    name: &str,
    protocol: elb::ProtocolEnum,
    protocol_version: Option<&str>,
    targets: usize,
    attrs: &[(&str, &str)],
) -> String {
    let c = elbv2(sdk);
    let out = c
        .create_target_group()
        .name(name)
        .protocol(protocol)
        .set_protocol_version(protocol_version.map(str::to_string))
        .port(8080)
        .vpc_id(&lb.vpc)
        .target_type(elb::TargetTypeEnum::Ip)
        .send()
        .await
        .expect("create target group");
    let arn = out.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    if targets > 0 {
        c.register_targets()
            .target_group_arn(&arn)
            .set_targets(Some(
                (0..targets)
                    .map(|i| {
                        elb::TargetDescription::builder()
                            .id(format!("10.0.0.{}", 10 + i))
                            .port(8080)
                            .build()
                    })
                    .collect(),
            ))
            .send()
            .await
            .expect("register targets");
    }
    if !attrs.is_empty() {
        c.modify_target_group_attributes()
            .target_group_arn(&arn)
            .set_attributes(Some(
                attrs
                    .iter()
                    .map(|(k, v)| {
                        elb::TargetGroupAttribute::builder()
                            .key(*k)
                            .value(*v)
                            .build()
                    })
                    .collect(),
            ))
            .send()
            .await
            .expect("modify target group attributes");
    }
    arn
}

/// The plainest ALB: one HTTP target group of `targets` targets, one HTTP listener on `port`
/// forwarding to it.
pub async fn simple_alb(sdk: &SdkConfig, prefix: &str, targets: usize, port: i32) -> Lb {
    let lb = load_balancer(sdk, &super::unique(prefix), false).await;
    let tg = target_group(
        sdk,
        &lb,
        &super::unique("t"),
        elb::ProtocolEnum::Http,
        None,
        targets,
        &[],
    )
    .await;
    listener(sdk, &lb.arn, elb::ProtocolEnum::Http, port, forward(&tg)).await;
    lb
}

pub fn forward(tg: &str) -> elb::Action {
    elb::Action::builder()
        .r#type(elb::ActionTypeEnum::Forward)
        .target_group_arn(tg)
        .build()
}

pub fn weighted(tgs: &[(&str, i32)], group_stickiness: bool) -> elb::Action {
    elb::Action::builder()
        .r#type(elb::ActionTypeEnum::Forward)
        .forward_config(
            elb::ForwardActionConfig::builder()
                .set_target_groups(Some(
                    tgs.iter()
                        .map(|(arn, w)| {
                            elb::TargetGroupTuple::builder()
                                .target_group_arn(*arn)
                                .weight(*w)
                                .build()
                        })
                        .collect(),
                ))
                .target_group_stickiness_config(
                    elb::TargetGroupStickinessConfig::builder()
                        .enabled(group_stickiness)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// An ALB's HTTP listener default action that sends every request to HTTPS on 443 with a 301,
/// the usual companion of an HTTPS listener.
pub fn redirect_to_https() -> elb::Action {
    elb::Action::builder()
        .r#type(elb::ActionTypeEnum::Redirect)
        .redirect_config(
            elb::RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(elb::RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build()
}

/// The certificate HTTPS and TLS listeners are given. AWS requires exactly one; the emulator
/// checks that an ACM certificate ARN exists in its ACM backend but takes an IAM
/// server-certificate ARN as it is, so this needs no certificate API (and no extra SDK crate)
/// for a certificate nothing ever serves.
pub const TEST_CERTIFICATE_ARN: &str = "arn:aws:iam::123456789012:server-certificate/wsaudit-test";

pub async fn listener(
    sdk: &SdkConfig,
    lb_arn: &str,
    protocol: elb::ProtocolEnum,
    port: i32,
    default: elb::Action,
) -> String {
    let tls = matches!(protocol, elb::ProtocolEnum::Https | elb::ProtocolEnum::Tls);
    let out = elbv2(sdk)
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(protocol)
        .port(port)
        .set_certificates(tls.then(|| {
            vec![elb::Certificate::builder()
                .certificate_arn(TEST_CERTIFICATE_ARN)
                .build()]
        }))
        .default_actions(default)
        .send()
        .await
        .expect("create listener");
    out.listeners()[0].listener_arn().unwrap().to_string()
}

/// A rule with host-header and path-pattern conditions (either may be empty).
pub async fn rule(
    sdk: &SdkConfig,
    listener_arn: &str,
    priority: i32,
    hosts: &[&str],
    paths: &[&str],
    action: elb::Action,
) -> String {
    let mut conditions = Vec::new();
    if !hosts.is_empty() {
        conditions.push(
            elb::RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    elb::HostHeaderConditionConfig::builder()
                        .set_values(Some(hosts.iter().map(|s| s.to_string()).collect()))
                        .build(),
                )
                .build(),
        );
    }
    if !paths.is_empty() {
        conditions.push(
            elb::RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    elb::PathPatternConditionConfig::builder()
                        .set_values(Some(paths.iter().map(|s| s.to_string()).collect()))
                        .build(),
                )
                .build(),
        );
    }
    let out = elbv2(sdk)
        .create_rule()
        .listener_arn(listener_arn)
        .priority(priority)
        .set_conditions(Some(conditions))
        .actions(action)
        .send()
        .await
        .expect("create rule");
    out.rules()[0].rule_arn().unwrap().to_string()
}

pub struct Origin<'a> {
    pub id: &'a str,
    pub domain: &'a str,
    /// (protocol policy, read timeout, keepalive timeout); `None`: an S3 origin.
    pub custom: Option<(cf::OriginProtocolPolicy, i32, i32)>,
}

pub struct Behavior<'a> {
    /// `None`: the default behavior.
    pub pattern: Option<&'a str>,
    pub origin: &'a str,
    pub origin_request_policy: Option<&'a str>,
    /// Legacy `ForwardedValues.Headers`.
    pub headers: &'a [&'a str],
    /// `None`: `redirect-to-https` on the default behavior, `https-only` on path behaviors.
    pub viewer: Option<cf::ViewerProtocolPolicy>,
}

fn forwarded(headers: &[&str]) -> cf::ForwardedValues {
    cf::ForwardedValues::builder()
        .query_string(true)
        .cookies(
            cf::CookiePreference::builder()
                .forward(cf::ItemSelection::All)
                .build()
                .unwrap(),
        )
        .headers(
            cf::Headers::builder()
                .quantity(headers.len() as i32)
                .set_items(Some(headers.iter().map(|s| s.to_string()).collect()))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// Creates a distribution; returns (id, domain name).
pub async fn distribution(
    sdk: &SdkConfig,
    aliases: &[&str],
    origins: &[Origin<'_>],
    behaviors: &[Behavior<'_>],
    http_version: cf::HttpVersion,
) -> (String, String) {
    let origins = origins
        .iter()
        .map(|o| {
            let b = cf::Origin::builder().id(o.id).domain_name(o.domain);
            let b = match &o.custom {
                Some((policy, read, keepalive)) => b.custom_origin_config(
                    cf::CustomOriginConfig::builder()
                        .http_port(80)
                        .https_port(443)
                        .origin_protocol_policy(policy.clone())
                        .origin_read_timeout(*read)
                        .origin_keepalive_timeout(*keepalive)
                        .build()
                        .unwrap(),
                ),
                None => b.s3_origin_config(
                    cf::S3OriginConfig::builder()
                        .origin_access_identity("")
                        .build(),
                ),
            };
            b.build().unwrap()
        })
        .collect::<Vec<_>>();
    let default = behaviors
        .iter()
        .find(|b| b.pattern.is_none())
        .expect("a default behavior");
    let default = cf::DefaultCacheBehavior::builder()
        .target_origin_id(default.origin)
        .viewer_protocol_policy(
            default
                .viewer
                .clone()
                .unwrap_or(cf::ViewerProtocolPolicy::RedirectToHttps),
        )
        .set_origin_request_policy_id(default.origin_request_policy.map(str::to_string))
        .forwarded_values(forwarded(default.headers))
        .min_ttl(0)
        .build()
        .unwrap();
    let paths: Vec<cf::CacheBehavior> = behaviors
        .iter()
        .filter_map(|b| {
            Some(
                cf::CacheBehavior::builder()
                    .path_pattern(b.pattern?)
                    .target_origin_id(b.origin)
                    .viewer_protocol_policy(
                        b.viewer
                            .clone()
                            .unwrap_or(cf::ViewerProtocolPolicy::HttpsOnly),
                    )
                    .set_origin_request_policy_id(b.origin_request_policy.map(str::to_string))
                    .forwarded_values(forwarded(b.headers))
                    .min_ttl(0)
                    .build()
                    .unwrap(),
            )
        })
        .collect();
    let config = cf::DistributionConfig::builder()
        .caller_reference(super::unique("ref"))
        .aliases(
            cf::Aliases::builder()
                .quantity(aliases.len() as i32)
                .set_items(Some(aliases.iter().map(|s| s.to_string()).collect()))
                .build()
                .unwrap(),
        )
        .origins(
            cf::Origins::builder()
                .quantity(origins.len() as i32)
                .set_items(Some(origins))
                .build()
                .unwrap(),
        )
        .default_cache_behavior(default)
        .cache_behaviors(
            cf::CacheBehaviors::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths))
                .build()
                .unwrap(),
        )
        .http_version(http_version)
        .comment("wsaudit test")
        .enabled(true)
        .build()
        .unwrap();
    let out = cloudfront(sdk)
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("create distribution");
    let d = out.distribution().unwrap();
    (d.id().to_string(), d.domain_name().to_string())
}

/// A public hosted zone with one alias A record: `domain` → `target_dns`.
/// A new hosted zone named `zone`: its id.
pub async fn hosted_zone(sdk: &SdkConfig, zone: &str) -> String {
    route53(sdk)
        .create_hosted_zone()
        .name(zone)
        .caller_reference(super::unique("zone"))
        .send()
        .await
        .expect("create hosted zone")
        .hosted_zone()
        .unwrap()
        .id()
        .to_string()
}

pub async fn alias_record(sdk: &SdkConfig, zone: &str, domain: &str, target_dns: &str) {
    let c = route53(sdk);
    let zone_id = hosted_zone(sdk, zone).await;
    c.change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(
            r53::ChangeBatch::builder()
                .changes(
                    r53::Change::builder()
                        .action(r53::ChangeAction::Create)
                        .resource_record_set(
                            r53::ResourceRecordSet::builder()
                                .name(domain)
                                .r#type(r53::RrType::A)
                                .alias_target(
                                    r53::AliasTarget::builder()
                                        .hosted_zone_id("Z35SXDOTRQ7X7K")
                                        .dns_name(target_dns)
                                        .evaluate_target_health(false)
                                        .build()
                                        .unwrap(),
                                )
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create alias record");
}

/// A hosted zone `zone` whose name `domain` has one weighted alias record set per
/// `(set identifier, load balancer DNS name, weight)`.
pub async fn weighted_aliases(
    sdk: &SdkConfig,
    zone: &str,
    domain: &str,
    sets: &[(&str, &str, i64)],
) {
    let c = route53(sdk);
    let zone_id = hosted_zone(sdk, zone).await;
    let changes = sets
        .iter()
        .map(|(set, dns, weight)| {
            let rrs = r53::ResourceRecordSet::builder()
                .name(domain)
                .r#type(r53::RrType::A)
                .set_identifier(*set)
                .weight(*weight)
                .alias_target(
                    r53::AliasTarget::builder()
                        .hosted_zone_id("Z35SXDOTRQ7X7K")
                        .dns_name(*dns)
                        .evaluate_target_health(false)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            r53::Change::builder()
                .action(r53::ChangeAction::Create)
                .resource_record_set(rrs)
                .build()
                .unwrap()
        })
        .collect();
    c.change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(
            r53::ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create weighted record sets");
}
