//! The ELBv2 `Describe*` calls and the conversion of their answers (SDK types) into the
//! snapshot and rule types. Listings page by their markers (stopping if the service repeats
//! one), each page first awaiting the scan's rate budget when there is one.

use super::rules::{
    self, AuthAction, Condition, Forward, Rule, RulePriority, TargetGroupRef, Transform,
    TransformKind,
};
use super::snapshot::{
    LbKind, ListenerSnapshot, LoadBalancerSnapshot, Read, TargetGroupSnapshot, Unread,
};
use super::{AlbRequest, AlbSelector};
use crate::providers::aws::{classify, normalize_dns, AwsError};
use crate::providers::calls::RateBudget;
use aws_sdk_elasticloadbalancingv2::types as t;
use aws_sdk_elasticloadbalancingv2::Client;
use futures_util::future::join_all;
use std::collections::BTreeMap;

pub(super) const DESCRIBE_LISTENERS: &str = "elasticloadbalancing:DescribeListeners";
pub(super) const DESCRIBE_LISTENER_ATTRIBUTES: &str =
    "elasticloadbalancing:DescribeListenerAttributes";
pub(super) const DESCRIBE_RULES: &str = "elasticloadbalancing:DescribeRules";
pub(super) const DESCRIBE_TARGET_GROUPS: &str = "elasticloadbalancing:DescribeTargetGroups";
pub(super) const DESCRIBE_TARGET_GROUP_ATTRIBUTES: &str =
    "elasticloadbalancing:DescribeTargetGroupAttributes";
pub(super) const DESCRIBE_TARGET_HEALTH: &str = "elasticloadbalancing:DescribeTargetHealth";

pub(super) async fn find_load_balancer(
    client: &Client,
    selector: &AlbSelector,
    page_size: Option<i32>,
) -> Result<LoadBalancerSnapshot, AwsError> {
    const ACTION: &str = "elasticloadbalancing:DescribeLoadBalancers";
    let region = client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let not_found =
        |what: String| AwsError::NotFound(format!("no load balancer {what} in {region}"));
    let found = match selector {
        AlbSelector::Arn(arn) | AlbSelector::Name(arn) => {
            let call = client.describe_load_balancers();
            let call = match selector {
                AlbSelector::Arn(_) => call.load_balancer_arns(arn),
                _ => call.names(arn),
            };
            match call.send().await {
                Ok(out) => out.load_balancers().first().cloned(),
                Err(e) => {
                    let err = classify(e, ACTION);
                    if matches!(&err, AwsError::Service { code, .. } if code == "LoadBalancerNotFound")
                    {
                        None
                    } else {
                        return Err(err);
                    }
                }
            }
        }
        AlbSelector::DnsName(dns) => {
            let want = normalize_dns(dns);
            // Pages are fetched as the search reaches them: it stops at the page with the hit.
            let mut all = client
                .describe_load_balancers()
                .set_page_size(page_size)
                .into_paginator()
                .items()
                .send();
            loop {
                match all.try_next().await.map_err(|e| classify(e, ACTION))? {
                    Some(lb) if lb.dns_name().is_some_and(|d| normalize_dns(d) == want) => {
                        break Some(lb)
                    }
                    Some(_) => {}
                    None => break None,
                }
            }
        }
    };
    let what = match selector {
        AlbSelector::Arn(a) => a.clone(),
        AlbSelector::Name(n) => format!("named {n}"),
        AlbSelector::DnsName(d) => format!("with DNS name {d}"),
    };
    let lb = found.ok_or_else(|| not_found(what))?;
    Ok(lb_snapshot(&lb))
}

fn lb_snapshot(lb: &t::LoadBalancer) -> LoadBalancerSnapshot {
    let kind = match lb.r#type() {
        Some(t::LoadBalancerTypeEnum::Network) => LbKind::Network,
        Some(t::LoadBalancerTypeEnum::Application) | None => LbKind::Application,
        Some(t::LoadBalancerTypeEnum::Gateway) => LbKind::Gateway,
        Some(_) => LbKind::Other,
    };
    LoadBalancerSnapshot {
        arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        kind,
        attributes: BTreeMap::new(),
    }
}

/// A marker the next page starts at: none when the service ends the list (or repeats itself).
fn next_marker(next: Option<&str>, current: &Option<String>) -> Option<String> {
    next.filter(|m| !m.is_empty() && current.as_deref() != Some(*m))
        .map(str::to_string)
}

async fn spend(budget: Option<&RateBudget>) {
    if let Some(b) = budget {
        b.take().await;
    }
}

/// Every load balancer of the client's region, each page first awaiting `budget`.
pub(super) async fn all_load_balancers(
    client: &Client,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> Result<Vec<LoadBalancerSnapshot>, AwsError> {
    let mut marker = None;
    let mut all = Vec::new();
    loop {
        budget.take().await;
        let out = client
            .describe_load_balancers()
            .set_page_size(page_size)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| classify(e, "elasticloadbalancing:DescribeLoadBalancers"))?;
        all.extend(out.load_balancers().iter().map(lb_snapshot));
        marker = next_marker(out.next_marker(), &marker);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

fn kv<'a>(
    pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or("").to_string())))
        .collect()
}

pub(super) async fn lb_attributes(
    client: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let out = client
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| classify(e, "elasticloadbalancing:DescribeLoadBalancerAttributes"))?;
    Ok(kv(out.attributes().iter().map(|a| (a.key(), a.value()))))
}

pub(super) async fn listener_attributes(
    client: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let out = client
        .describe_listener_attributes()
        .listener_arn(arn)
        .send()
        .await
        .map_err(|e| classify(e, DESCRIBE_LISTENER_ATTRIBUTES))?;
    Ok(kv(out.attributes().iter().map(|a| (a.key(), a.value()))))
}

pub(super) async fn listeners(
    client: &Client,
    lb_arn: &str,
    page_size: Option<i32>,
    budget: Option<&RateBudget>,
) -> Result<Vec<(ListenerSnapshot, t::Listener)>, AwsError> {
    let mut marker = None;
    let mut all = Vec::new();
    loop {
        spend(budget).await;
        let out = client
            .describe_listeners()
            .load_balancer_arn(lb_arn)
            .set_page_size(page_size)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| classify(e, DESCRIBE_LISTENERS))?;
        all.extend(out.listeners().iter().cloned());
        marker = next_marker(out.next_marker(), &marker);
        if marker.is_none() {
            break;
        }
    }
    Ok(all
        .into_iter()
        .map(|l| {
            let snap = ListenerSnapshot {
                arn: l.listener_arn().unwrap_or_default().to_string(),
                port: l.port(),
                protocol: l.protocol().map(|p| p.as_str().to_string()),
                attributes: Ok(BTreeMap::new()),
            };
            (snap, l)
        })
        .collect())
}

pub(super) async fn describe_rules(
    client: &Client,
    listener_arn: &str,
    page_size: Option<i32>,
) -> Result<Vec<Rule>, AwsError> {
    rules_paged(client, listener_arn, page_size, None).await
}

pub(super) async fn rules_budgeted(
    client: &Client,
    listener_arn: &str,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> Result<Vec<Rule>, AwsError> {
    rules_paged(client, listener_arn, page_size, Some(budget)).await
}

async fn rules_paged(
    client: &Client,
    listener_arn: &str,
    page_size: Option<i32>,
    budget: Option<&RateBudget>,
) -> Result<Vec<Rule>, AwsError> {
    let mut marker = None;
    let mut all = Vec::new();
    loop {
        spend(budget).await;
        let out = client
            .describe_rules()
            .listener_arn(listener_arn)
            .set_page_size(page_size)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| classify(e, DESCRIBE_RULES))?;
        all.extend(out.rules().iter().map(convert_rule));
        marker = next_marker(out.next_marker(), &marker);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

fn convert_rule(r: &t::Rule) -> Rule {
    let term = terminal_action(r.actions());
    Rule {
        arn: r.rule_arn().unwrap_or_default().to_string(),
        priority: rules::parse_priority(r.priority(), r.is_default().unwrap_or(false)),
        conditions: r.conditions().iter().map(convert_condition).collect(),
        action: term.action,
        forward: term.forward,
        redirect: term.redirect,
        transforms: r
            .transforms()
            .iter()
            .filter_map(convert_transform)
            .collect(),
        auth: term.auth,
    }
}

fn convert_transform(t: &t::RuleTransform) -> Option<Transform> {
    let pairs = |rw: &[t::RewriteConfig]| -> Vec<(String, String)> {
        rw.iter()
            .filter_map(|r| Some((r.regex()?.to_string(), r.replace()?.to_string())))
            .collect()
    };
    match t.r#type()? {
        t::TransformTypeEnum::HostHeaderRewrite => Some(Transform {
            kind: TransformKind::HostHeader,
            rewrites: pairs(t.host_header_rewrite_config()?.rewrites()),
        }),
        t::TransformTypeEnum::UrlRewrite => Some(Transform {
            kind: TransformKind::Url,
            rewrites: pairs(t.url_rewrite_config()?.rewrites()),
        }),
        _ => None,
    }
}

/// A listener's default actions as its default rule, named by the listener's ARN.
pub(super) fn default_rule(listener_arn: &str, actions: &[t::Action]) -> Rule {
    let term = terminal_action(actions);
    Rule {
        arn: listener_arn.to_string(),
        priority: RulePriority::Default,
        conditions: Vec::new(),
        action: term.action,
        forward: term.forward,
        redirect: term.redirect,
        // A default rule cannot carry transforms.
        transforms: Vec::new(),
        auth: term.auth,
    }
}

fn convert_condition(c: &t::RuleCondition) -> Condition {
    let field = c.field().unwrap_or_default();
    // Newer APIs carry values in a typed config; older rules only in `Values`.
    let pick = |typed: Option<&[String]>| -> Vec<String> {
        match typed {
            Some(v) if !v.is_empty() => v.to_vec(),
            _ => c.values().to_vec(),
        }
    };
    // `Values` and `RegexValues` exclude each other; a condition uses one kind. Regexes may
    // be in the typed config or at the condition's top level (`RuleCondition.RegexValues`).
    let regex = |typed: Option<&[String]>| -> Option<Vec<String>> {
        match typed {
            Some(r) if !r.is_empty() => Some(r.to_vec()),
            _ if !c.regex_values().is_empty() => Some(c.regex_values().to_vec()),
            _ => None,
        }
    };
    match field {
        "host-header" => match regex(c.host_header_config().map(|h| h.regex_values())) {
            Some(r) => Condition::HostRegex(r),
            None => Condition::Host(pick(c.host_header_config().map(|h| h.values()))),
        },
        "path-pattern" => match regex(c.path_pattern_config().map(|p| p.regex_values())) {
            Some(r) => Condition::PathRegex(r),
            None => Condition::Path(pick(c.path_pattern_config().map(|p| p.values()))),
        },
        "http-request-method" => {
            Condition::Method(pick(c.http_request_method_config().map(|m| m.values())))
        }
        "http-header" => match c.http_header_config() {
            Some(h) if regex(Some(h.regex_values())).is_some() => Condition::HeaderRegex {
                name: h.http_header_name().unwrap_or_default().to_string(),
                patterns: regex(Some(h.regex_values())).unwrap_or_default(),
            },
            Some(h) => Condition::Header {
                name: h.http_header_name().unwrap_or_default().to_string(),
                values: h.values().to_vec(),
            },
            None => Condition::Undecidable {
                field: field.to_string(),
            },
        },
        other => Condition::Undecidable {
            field: other.to_string(),
        },
    }
}

/// The action that ends an action list, with its forward or redirect.
struct Terminal {
    action: String,
    forward: Option<Forward>,
    redirect: Option<String>,
    auth: Vec<AuthAction>,
}

/// The authentication actions of a list, in order.
fn auth_actions(sorted: &[&t::Action]) -> Vec<AuthAction> {
    sorted
        .iter()
        .filter_map(|a| {
            let on = match a.r#type()? {
                t::ActionTypeEnum::AuthenticateOidc => Some(
                    a.authenticate_oidc_config()
                        .and_then(|c| c.on_unauthenticated_request())
                        .map(|b| b.as_str().to_string())
                        .unwrap_or_else(|| "authenticate".into()),
                ),
                t::ActionTypeEnum::AuthenticateCognito => Some(
                    a.authenticate_cognito_config()
                        .and_then(|c| c.on_unauthenticated_request())
                        .map(|b| b.as_str().to_string())
                        .unwrap_or_else(|| "authenticate".into()),
                ),
                t::ActionTypeEnum::JwtValidation => None,
                _ => return None,
            };
            Some(AuthAction {
                kind: a.r#type()?.as_str().to_string(),
                on_unauthenticated: on,
                order: a.order(),
            })
        })
        .collect()
}

/// The action that ends the list (authentication actions come first) and its forward.
fn terminal_action(actions: &[t::Action]) -> Terminal {
    let mut sorted: Vec<&t::Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    let auth = auth_actions(&sorted);
    let Some(last) = sorted.last() else {
        return Terminal {
            action: "none".into(),
            forward: None,
            redirect: None,
            auth,
        };
    };
    let kind = last
        .r#type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    if kind != "forward" {
        return Terminal {
            redirect: last.redirect_config().map(describe_redirect),
            action: kind,
            forward: None,
            auth,
        };
    }
    let forward = match last.forward_config() {
        Some(cfg) if !cfg.target_groups().is_empty() => Forward {
            target_groups: cfg
                .target_groups()
                .iter()
                .filter_map(|tg| {
                    Some(TargetGroupRef {
                        arn: tg.target_group_arn()?.to_string(),
                        weight: tg.weight(),
                    })
                })
                .collect(),
            group_stickiness: cfg
                .target_group_stickiness_config()
                .map(|s| (s.enabled().unwrap_or(false), s.duration_seconds())),
        },
        _ => Forward {
            target_groups: last
                .target_group_arn()
                .map(|arn| TargetGroupRef {
                    arn: arn.to_string(),
                    weight: None,
                })
                .into_iter()
                .collect(),
            group_stickiness: None,
        },
    };
    Terminal {
        action: kind,
        forward: Some(forward),
        redirect: None,
        auth,
    }
}

/// `HTTPS:443 (HTTP_301)`, with the host when the redirect changes it. Unset parts keep the
/// request's (`#{protocol}`, `#{port}`, `#{host}`).
fn describe_redirect(r: &t::RedirectActionConfig) -> String {
    let protocol = r.protocol().unwrap_or("#{protocol}");
    let port = r.port().unwrap_or("#{port}");
    let status = r.status_code().map(|s| s.as_str()).unwrap_or("");
    match r.host().filter(|h| *h != "#{host}") {
        Some(host) => format!("{protocol}://{host}:{port} ({status})"),
        None => format!("{protocol}:{port} ({status})"),
    }
}

/// The target groups named by `arns` (what a forward names), each with its attributes and
/// registered targets. A group's attributes or targets that cannot be read are [`Unread`] on
/// that group alone; the groups themselves are needed for anything else. Weights are the
/// forward's, set by the resolution.
pub(super) async fn target_groups_by_arn(
    client: &Client,
    arns: &[String],
    req: &AlbRequest,
) -> Read<Vec<TargetGroupSnapshot>> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let out = req
        .call(DESCRIBE_TARGET_GROUPS, async {
            client
                .describe_target_groups()
                .set_target_group_arns(Some(arns.to_vec()))
                .send()
                .await
                .map_err(|e| classify(e, DESCRIBE_TARGET_GROUPS))
        })
        .await?;
    Ok(join_all(
        out.target_groups()
            .iter()
            .map(|tg| group_details(client, tg, Some(req), None)),
    )
    .await)
}

/// Every target group of the client's region with its attributes and targets, each call
/// first awaiting `budget`.
pub(super) async fn all_target_groups(
    client: &Client,
    page_size: Option<i32>,
    budget: &RateBudget,
) -> Result<Vec<TargetGroupSnapshot>, AwsError> {
    let mut marker = None;
    let mut all = Vec::new();
    loop {
        budget.take().await;
        let out = client
            .describe_target_groups()
            .set_page_size(page_size)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| classify(e, DESCRIBE_TARGET_GROUPS))?;
        all.extend(out.target_groups().iter().cloned());
        marker = next_marker(out.next_marker(), &marker);
        if marker.is_none() {
            break;
        }
    }
    Ok(join_all(
        all.iter()
            .map(|tg| group_details(client, tg, None, Some(budget))),
    )
    .await)
}

/// One group's attributes and registered targets, read at once: bounded by the request's
/// deadline for a live read, by the budget for a scan.
async fn group_details(
    client: &Client,
    tg: &t::TargetGroup,
    req: Option<&AlbRequest>,
    budget: Option<&RateBudget>,
) -> TargetGroupSnapshot {
    let arn = tg.target_group_arn().unwrap_or_default();
    let attrs = async {
        spend(budget).await;
        client
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map(|o| kv(o.attributes().iter().map(|a| (a.key(), a.value()))))
            .map_err(|e| classify(e, DESCRIBE_TARGET_GROUP_ATTRIBUTES))
    };
    let health = async {
        spend(budget).await;
        client
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
            .map(|o| u32::try_from(o.target_health_descriptions().len()).unwrap_or(u32::MAX))
            .map_err(|e| classify(e, DESCRIBE_TARGET_HEALTH))
    };
    let (attributes, targets) = match req {
        Some(req) => {
            tokio::join!(
                req.call(DESCRIBE_TARGET_GROUP_ATTRIBUTES, attrs),
                req.call(DESCRIBE_TARGET_HEALTH, health)
            )
        }
        None => {
            let (a, h) = tokio::join!(attrs, health);
            (
                a.map_err(Unread::of(DESCRIBE_TARGET_GROUP_ATTRIBUTES)),
                h.map_err(Unread::of(DESCRIBE_TARGET_HEALTH)),
            )
        }
    };
    TargetGroupSnapshot {
        arn: arn.to_string(),
        name: tg.target_group_name().unwrap_or_default().to_string(),
        protocol: tg.protocol().map(|p| p.as_str().to_string()),
        protocol_version: tg.protocol_version().map(str::to_string),
        target_type: tg.target_type().map(|t| t.as_str().to_string()),
        target_control_port: tg.target_control_port(),
        weight: None,
        attributes,
        targets,
    }
}
