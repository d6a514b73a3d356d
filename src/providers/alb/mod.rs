//! Application and Network Load Balancers (ELBv2), read through `aws-sdk-elasticloadbalancingv2`.
//!
//! One read: find the load balancer (ARN, name or DNS name), its attributes and listeners,
//! the listener a client reaches, the rule ALB would apply to the WebSocket handshake, the
//! target group(s) it forwards to with their attributes and registered targets. Only
//! `Describe*` calls are made. Independent calls run concurrently.
//!
//! Only the load balancer and its attributes (the idle timeout) are needed for a layer. Any
//! later call that fails is recorded as [`Unread`] in the part of the snapshot it would have
//! filled: the settings that depend on it become unknown, the layer keeps everything else,
//! and the reading carries one gap per failure.

mod rules;
mod translate;

pub use rules::{pick_rule, Condition, Forward, Rule, RulePriority, TargetGroupRef};

use crate::model::{Gap, Layer};
use crate::providers::aws::{classify, normalize_dns, AwsError};
use aws_sdk_elasticloadbalancingv2::types as t;
use aws_sdk_elasticloadbalancingv2::Client;
use futures_util::future::join_all;
use std::collections::BTreeMap;

const DESCRIBE_LISTENERS: &str = "elasticloadbalancing:DescribeListeners";
const DESCRIBE_LISTENER_ATTRIBUTES: &str = "elasticloadbalancing:DescribeListenerAttributes";
const DESCRIBE_RULES: &str = "elasticloadbalancing:DescribeRules";
const DESCRIBE_TARGET_GROUPS: &str = "elasticloadbalancing:DescribeTargetGroups";
const DESCRIBE_TARGET_GROUP_ATTRIBUTES: &str = "elasticloadbalancing:DescribeTargetGroupAttributes";
const DESCRIBE_TARGET_HEALTH: &str = "elasticloadbalancing:DescribeTargetHealth";

/// A call made after the load balancer was read that failed. It stands where its result
/// would have been, so what depends on it is unknown rather than defaulted: an unread
/// target-group attribute list must not read as "stickiness off by default".
#[derive(Debug, Clone, PartialEq)]
pub struct Unread {
    /// The IAM action of the call (the fault may not name it, e.g. a credentials fault).
    pub action: &'static str,
    pub error: AwsError,
}

impl Unread {
    fn of(action: &'static str) -> impl Fn(AwsError) -> Unread {
        move |error| Unread { action, error }
    }

    /// Why a setting built on this call is unknown, naming the call.
    pub fn reason(&self) -> String {
        match self.error.action() {
            Some(_) => self.error.to_string(),
            None => format!("{}: {}", self.action, self.error),
        }
    }
}

/// A part of the snapshot: read, or the call that failed to read it.
pub type Read<T> = Result<T, Unread>;

/// How the load balancer is named.
#[derive(Debug, Clone, PartialEq)]
pub enum AlbSelector {
    Arn(String),
    Name(String),
    /// Its `DNSName` (case-insensitive, `dualstack.` prefix and trailing dot tolerated).
    DnsName(String),
}

impl AlbSelector {
    /// `--alb NAME|ARN|DNS-NAME`.
    pub fn from_pin(pin: &str) -> Self {
        if pin.starts_with("arn:") {
            AlbSelector::Arn(pin.to_string())
        } else if crate::providers::aws::is_elb_dns(pin) {
            AlbSelector::DnsName(pin.to_string())
        } else {
            AlbSelector::Name(pin.to_string())
        }
    }
}

/// What to read and for which handshake.
#[derive(Debug, Clone)]
pub struct AlbRequest {
    pub selector: AlbSelector,
    /// The `Host` of the handshake as the load balancer sees it.
    pub host: String,
    pub path: String,
    /// The listener port the previous hop connects to, when known (CloudFront's origin port,
    /// 443 for `wss`, 80 for `ws`). Without a listener on it the most likely one is used.
    pub port: Option<u16>,
    pub page_size: Option<i32>,
    /// When `--timeout` runs out (and how long it was, for the message). Calls made after the
    /// load balancer and its attributes are read stop there and leave their part unread, so
    /// a slow DescribeTargetHealth does not cost the idle timeout already in hand.
    pub deadline: Option<(tokio::time::Instant, f64)>,
}

impl AlbRequest {
    /// The call `action` bounded by the request's deadline, its failure recorded as that call's.
    async fn call<T>(
        &self,
        action: &'static str,
        fut: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Read<T> {
        self.within(action, async { fut.await.map_err(Unread::of(action)) })
            .await
    }

    /// `fut` (the call `action`) bounded by the request's deadline.
    async fn within<T>(
        &self,
        action: &'static str,
        fut: impl std::future::Future<Output = Read<T>>,
    ) -> Read<T> {
        let Some((at, seconds)) = self.deadline else {
            return fut.await;
        };
        tokio::time::timeout_at(at, fut).await.unwrap_or_else(|_| {
            Err(Unread {
                action,
                error: AwsError::CallDeadline {
                    action: action.to_string(),
                    seconds,
                },
            })
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbKind {
    Application,
    Network,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancerSnapshot {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub kind: LbKind,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerSnapshot {
    pub arn: String,
    pub port: Option<i32>,
    pub protocol: Option<String>,
    /// Listener attributes (read for NLB TCP listeners: `tcp.idle_timeout.seconds`; empty for
    /// the others).
    pub attributes: Read<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroupSnapshot {
    pub arn: String,
    pub name: String,
    pub protocol: Option<String>,
    /// `HTTP1`, `HTTP2`, `GRPC` (ALB only).
    pub protocol_version: Option<String>,
    pub target_type: Option<String>,
    pub weight: Option<i32>,
    pub attributes: Read<BTreeMap<String, String>>,
    /// Registered targets (any health state).
    pub targets: Read<u32>,
}

/// Everything read, free of SDK types.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbSnapshot {
    pub lb: LoadBalancerSnapshot,
    pub listeners: Read<Vec<ListenerSnapshot>>,
    /// The listener the handshake reaches (`None`: the load balancer has no listener).
    pub listener: Read<Option<ListenerSnapshot>>,
    /// The rule ALB applies to the handshake (the default rule included). Unread when the
    /// listener could not be read either.
    pub rule: Read<Option<Rule>>,
    /// Unread when the rule could not be read either.
    pub target_groups: Read<Vec<TargetGroupSnapshot>>,
    /// Where a cleartext (`ws://`) handshake for the same host and path lands.
    pub cleartext: Read<CleartextEntry>,
}

/// The port a `ws://` URL without an explicit port dials.
pub const CLEARTEXT_PORT: i32 = 80;

/// What a cleartext handshake meets: the handshake's own listener when it is an HTTP one
/// (a `ws` client, or CloudFront reaching an origin over HTTP), else whatever listens on
/// port 80.
#[derive(Debug, Clone, PartialEq)]
pub enum CleartextEntry {
    /// Nothing listens on the port: the load balancer refuses the TCP connection.
    NoListener { port: i32 },
    /// The port's listener expects TLS (`HTTPS`, `TLS`): a cleartext handshake cannot start.
    TlsListener(ListenerSnapshot),
    /// A plain listener (`HTTP`, `TCP`) and the rule it applies to the host and path.
    Plain {
        listener: ListenerSnapshot,
        rule: Rule,
    },
}

impl AlbSnapshot {
    /// `load_balancing.algorithm.type` of the first target group that receives traffic.
    pub fn algorithm(&self) -> Option<&str> {
        self.target_groups
            .as_ref()
            .ok()?
            .iter()
            .find(|t| t.weight != Some(0))
            .and_then(|t| {
                t.attributes
                    .as_ref()
                    .ok()?
                    .get("load_balancing.algorithm.type")
            })
            .map(String::as_str)
    }

    /// Every call that failed, once each: a fault that several parts inherit (an unread rule
    /// leaves the target groups unread too), or that hit several target groups alike, is one
    /// gap.
    pub fn failures(&self) -> Vec<&Unread> {
        let mut all: Vec<&Unread> = Vec::new();
        let listener_attrs = self
            .listener
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .and_then(|l| l.attributes.as_ref().err());
        let groups = self.target_groups.as_deref().unwrap_or_default();
        let found = [
            self.listeners.as_ref().err(),
            self.listener.as_ref().err(),
            listener_attrs,
            self.rule.as_ref().err(),
            self.cleartext.as_ref().err(),
            self.target_groups.as_ref().err(),
        ]
        .into_iter()
        .chain(
            groups
                .iter()
                .flat_map(|t| [t.attributes.as_ref().err(), t.targets.as_ref().err()]),
        )
        .flatten();
        for u in found {
            if !all.contains(&u) {
                all.push(u);
            }
        }
        all
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlbReading {
    pub layer: Layer,
    pub snapshot: AlbSnapshot,
    /// One per failed call after the load balancer was read, on the layer (`alb` or `nlb`).
    pub gaps: Vec<Gap>,
}

/// Reads one load balancer and translates it into a layer (`alb` or `nlb`). Fails only when
/// the load balancer or its attributes cannot be read; see the module note for the rest.
pub async fn read_alb(client: &Client, req: &AlbRequest) -> Result<AlbReading, AwsError> {
    let mut lb = find_load_balancer(client, &req.selector, req.page_size).await?;
    let (attributes, listeners) = tokio::join!(
        lb_attributes(client, &lb.arn),
        req.call(
            DESCRIBE_LISTENERS,
            listeners(client, &lb.arn, req.page_size)
        )
    );
    lb.attributes = attributes?;

    let (listener, rule) = match &listeners {
        Err(u) => (Err(u.clone()), Err(u.clone())),
        Ok(all) => match choose_listener(all, req.port) {
            None => (Ok(None), Ok(None)),
            Some((chosen, sdk_listener)) => {
                let mut l = chosen.clone();
                if lb.kind == LbKind::Network && l.protocol.as_deref() == Some("TCP") {
                    l.attributes = req
                        .call(
                            DESCRIBE_LISTENER_ATTRIBUTES,
                            listener_attributes(client, &l.arn),
                        )
                        .await;
                }
                let rule = req
                    .within(
                        DESCRIBE_RULES,
                        rule_for(client, lb.kind, &l, sdk_listener, req),
                    )
                    .await;
                (Ok(Some(l)), rule.map(Some))
            }
        },
    };

    let cleartext = async {
        match (&listener, &rule) {
            // An HTTP listener carries cleartext by definition. A TCP listener may carry TLS
            // for the backend to terminate, so it says nothing about `ws://` clients, who dial
            // port 80.
            (Ok(Some(l)), Ok(Some(r))) if l.protocol.as_deref() == Some("HTTP") => {
                Ok(CleartextEntry::Plain {
                    listener: l.clone(),
                    rule: r.clone(),
                })
            }
            (Ok(Some(l)), Err(u)) if l.protocol.as_deref() == Some("HTTP") => Err(u.clone()),
            _ => match &listeners {
                Ok(all) => {
                    req.within(DESCRIBE_RULES, cleartext_entry(client, lb.kind, all, req))
                        .await
                }
                Err(u) => Err(u.clone()),
            },
        }
    };
    let groups = async {
        match &rule {
            Ok(r) => match r.as_ref().and_then(|r| r.forward.as_ref()) {
                Some(f) => target_groups(client, f, req).await,
                None => Ok(Vec::new()),
            },
            Err(u) => Err(u.clone()),
        }
    };
    let (target_groups, cleartext) = tokio::join!(groups, cleartext);
    let snapshot = AlbSnapshot {
        lb,
        listeners: listeners.map(|all| all.into_iter().map(|l| l.0).collect()),
        listener,
        rule,
        target_groups,
        cleartext,
    };
    let layer = translate::to_layer(&snapshot);
    let gaps = snapshot
        .failures()
        .into_iter()
        .map(|u| u.error.to_gap(&layer.id, layer.provider))
        .collect();
    Ok(AlbReading {
        layer,
        snapshot,
        gaps,
    })
}

fn speaks_tls(l: &ListenerSnapshot) -> bool {
    matches!(l.protocol.as_deref(), Some("HTTPS") | Some("TLS"))
}

/// The rule a listener applies to the handshake. NLB listeners have no rules: their default
/// action applies to every connection.
async fn rule_for(
    client: &Client,
    kind: LbKind,
    l: &ListenerSnapshot,
    sdk_listener: &t::Listener,
    req: &AlbRequest,
) -> Read<Rule> {
    let default = || default_rule(&l.arn, sdk_listener.default_actions());
    if kind == LbKind::Network {
        return Ok(default());
    }
    let all = describe_rules(client, &l.arn, req.page_size)
        .await
        .map_err(Unread::of(DESCRIBE_RULES))?;
    // DescribeRules lists the default rule too; the listener's default actions stand in for it
    // if a response leaves it out.
    Ok(pick_rule(&all, &req.host, &req.path)
        .cloned()
        .unwrap_or_else(default))
}

/// Where a cleartext handshake lands when the handshake itself did not reach an HTTP listener:
/// the listener on port 80, if any.
async fn cleartext_entry(
    client: &Client,
    kind: LbKind,
    listeners: &[(ListenerSnapshot, t::Listener)],
    req: &AlbRequest,
) -> Read<CleartextEntry> {
    let Some((l, sdk_listener)) = listeners.iter().find(|l| l.0.port == Some(CLEARTEXT_PORT))
    else {
        return Ok(CleartextEntry::NoListener {
            port: CLEARTEXT_PORT,
        });
    };
    if speaks_tls(l) {
        return Ok(CleartextEntry::TlsListener(l.clone()));
    }
    let rule = rule_for(client, kind, l, sdk_listener, req).await?;
    Ok(CleartextEntry::Plain {
        listener: l.clone(),
        rule,
    })
}

/// The listener a client reaches: the given port, else 443/HTTPS, else 80, else the first.
fn choose_listener(
    listeners: &[(ListenerSnapshot, t::Listener)],
    port: Option<u16>,
) -> Option<&(ListenerSnapshot, t::Listener)> {
    let by_port = |p: i32| listeners.iter().find(|l| l.0.port == Some(p));
    port.and_then(|p| by_port(i32::from(p)))
        .or_else(|| by_port(443))
        .or_else(|| listeners.iter().find(|l| speaks_tls(&l.0)))
        .or_else(|| by_port(80))
        .or_else(|| listeners.first())
}

async fn find_load_balancer(
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
            let mut marker = None;
            loop {
                let out = client
                    .describe_load_balancers()
                    .set_marker(marker)
                    .set_page_size(page_size)
                    .send()
                    .await
                    .map_err(|e| classify(e, ACTION))?;
                let hit = out
                    .load_balancers()
                    .iter()
                    .find(|lb| lb.dns_name().is_some_and(|d| normalize_dns(d) == want))
                    .cloned();
                marker = out
                    .next_marker()
                    .filter(|m| !m.is_empty())
                    .map(str::to_string);
                if hit.is_some() || marker.is_none() {
                    break hit;
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
    let kind = match lb.r#type() {
        Some(t::LoadBalancerTypeEnum::Network) => LbKind::Network,
        Some(t::LoadBalancerTypeEnum::Application) | None => LbKind::Application,
        Some(_) => LbKind::Other,
    };
    Ok(LoadBalancerSnapshot {
        arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        kind,
        attributes: BTreeMap::new(),
    })
}

fn kv<'a>(
    pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or("").to_string())))
        .collect()
}

async fn lb_attributes(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = client
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| classify(e, "elasticloadbalancing:DescribeLoadBalancerAttributes"))?;
    Ok(kv(out.attributes().iter().map(|a| (a.key(), a.value()))))
}

async fn listener_attributes(
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

async fn listeners(
    client: &Client,
    lb_arn: &str,
    page_size: Option<i32>,
) -> Result<Vec<(ListenerSnapshot, t::Listener)>, AwsError> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let out = client
            .describe_listeners()
            .load_balancer_arn(lb_arn)
            .set_marker(marker)
            .set_page_size(page_size)
            .send()
            .await
            .map_err(|e| classify(e, DESCRIBE_LISTENERS))?;
        for l in out.listeners() {
            let snap = ListenerSnapshot {
                arn: l.listener_arn().unwrap_or_default().to_string(),
                port: l.port(),
                protocol: l.protocol().map(|p| p.as_str().to_string()),
                attributes: Ok(BTreeMap::new()),
            };
            all.push((snap, l.clone()));
        }
        marker = out
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

async fn describe_rules(
    client: &Client,
    listener_arn: &str,
    page_size: Option<i32>,
) -> Result<Vec<Rule>, AwsError> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let out = client
            .describe_rules()
            .listener_arn(listener_arn)
            .set_marker(marker)
            .set_page_size(page_size)
            .send()
            .await
            .map_err(|e| classify(e, DESCRIBE_RULES))?;
        all.extend(out.rules().iter().map(convert_rule));
        marker = out
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_string);
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
    }
}

/// A listener's default actions as its default rule, named by the listener's ARN.
fn default_rule(listener_arn: &str, actions: &[t::Action]) -> Rule {
    let term = terminal_action(actions);
    Rule {
        arn: listener_arn.to_string(),
        priority: RulePriority::Default,
        conditions: Vec::new(),
        action: term.action,
        forward: term.forward,
        redirect: term.redirect,
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
    // `Values` and `RegexValues` exclude each other; a condition uses one kind.
    match field {
        "host-header" => match c.host_header_config().map(|h| h.regex_values()) {
            Some(r) if !r.is_empty() => Condition::HostRegex(r.to_vec()),
            _ => Condition::Host(pick(c.host_header_config().map(|h| h.values()))),
        },
        "path-pattern" => match c.path_pattern_config().map(|p| p.regex_values()) {
            Some(r) if !r.is_empty() => Condition::PathRegex(r.to_vec()),
            _ => Condition::Path(pick(c.path_pattern_config().map(|p| p.values()))),
        },
        "http-request-method" => {
            Condition::Method(pick(c.http_request_method_config().map(|m| m.values())))
        }
        "http-header" => match c.http_header_config() {
            Some(h) if !h.regex_values().is_empty() => Condition::HeaderRegex {
                name: h.http_header_name().unwrap_or_default().to_string(),
                patterns: h.regex_values().to_vec(),
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
}

/// The action that ends the list (authentication actions come first) and its forward.
fn terminal_action(actions: &[t::Action]) -> Terminal {
    let mut sorted: Vec<&t::Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    let Some(last) = sorted.last() else {
        return Terminal {
            action: "none".into(),
            forward: None,
            redirect: None,
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

/// The forward's target groups. A group's attributes or targets that cannot be read are
/// [`Unread`] on that group alone; the groups themselves are needed for anything else.
async fn target_groups(
    client: &Client,
    f: &Forward,
    req: &AlbRequest,
) -> Read<Vec<TargetGroupSnapshot>> {
    let arns: Vec<String> = f.target_groups.iter().map(|t| t.arn.clone()).collect();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let out = req
        .call(DESCRIBE_TARGET_GROUPS, async {
            client
                .describe_target_groups()
                .set_target_group_arns(Some(arns))
                .send()
                .await
                .map_err(|e| classify(e, DESCRIBE_TARGET_GROUPS))
        })
        .await?;
    let details = join_all(out.target_groups().iter().map(|tg| async move {
        let arn = tg.target_group_arn().unwrap_or_default();
        let (attrs, health) = tokio::join!(
            req.call(DESCRIBE_TARGET_GROUP_ATTRIBUTES, async {
                client
                    .describe_target_group_attributes()
                    .target_group_arn(arn)
                    .send()
                    .await
                    .map(|o| kv(o.attributes().iter().map(|a| (a.key(), a.value()))))
                    .map_err(|e| classify(e, DESCRIBE_TARGET_GROUP_ATTRIBUTES))
            }),
            req.call(DESCRIBE_TARGET_HEALTH, async {
                client
                    .describe_target_health()
                    .target_group_arn(arn)
                    .send()
                    .await
                    .map(|o| {
                        u32::try_from(o.target_health_descriptions().len()).unwrap_or(u32::MAX)
                    })
                    .map_err(|e| classify(e, DESCRIBE_TARGET_HEALTH))
            })
        );
        TargetGroupSnapshot {
            arn: arn.to_string(),
            name: tg.target_group_name().unwrap_or_default().to_string(),
            protocol: tg.protocol().map(|p| p.as_str().to_string()),
            protocol_version: tg.protocol_version().map(str::to_string),
            target_type: tg.target_type().map(|t| t.as_str().to_string()),
            weight: f
                .target_groups
                .iter()
                .find(|r| r.arn == arn)
                .and_then(|r| r.weight),
            attributes: attrs,
            targets: health,
        }
    }))
    .await;
    Ok(details)
}
