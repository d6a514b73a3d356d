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
//!
//! This file decides which listener and rule the handshake meets; the SDK calls are in
//! `describe.rs`, what a read yields (free of SDK types) in `snapshot.rs`.

mod describe;
mod rules;
mod snapshot;
mod translate;

pub use rules::{
    apply_transforms, pick_rule, AuthAction, Condition, Forward, Rule, RulePriority,
    TargetGroupRef, Transform, TransformKind,
};
pub use snapshot::{
    AlbReading, AlbSnapshot, CleartextEntry, LbKind, ListenerSnapshot, LoadBalancerSnapshot, Read,
    TargetGroupSnapshot, Unread, CLEARTEXT_PORT,
};

use crate::providers::aws::AwsError;
use aws_sdk_elasticloadbalancingv2::types as t;
use aws_sdk_elasticloadbalancingv2::Client;
use describe::{
    default_rule, describe_rules, find_load_balancer, lb_attributes, listener_attributes,
    listeners, target_groups, DESCRIBE_LISTENERS, DESCRIBE_LISTENER_ATTRIBUTES, DESCRIBE_RULES,
};

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
    pub(super) async fn call<T>(
        &self,
        action: &'static str,
        fut: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Read<T> {
        self.within(action, async { fut.await.map_err(Unread::of(action)) })
            .await
    }

    /// `fut` (the call `action`) bounded by the request's deadline.
    pub(super) async fn within<T>(
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

/// The layer a snapshot describes, however it was made (a live read, or planned values from
/// infrastructure code): one translation for both, so they compare like with like.
pub fn layer_of(snapshot: &AlbSnapshot) -> crate::model::Layer {
    translate::to_layer(snapshot)
}

/// Reads one load balancer and translates it into a layer (`alb` or `nlb`). Fails only when
/// the load balancer or its attributes cannot be read; see the module note for the rest.
pub async fn read_alb(client: &Client, req: &AlbRequest) -> Result<AlbReading, AwsError> {
    let mut lb = find_load_balancer(client, &req.selector, req.page_size).await?;
    if lb.kind == LbKind::Gateway {
        return Err(AwsError::Unsupported(format!(
            "{} is a Gateway Load Balancer: it passes packets to inspection appliances over \
             GENEVE and answers no HTTP or TCP connection itself, so it is not a hop of the \
             WebSocket's path (pin the ALB or NLB the traffic reaches with --alb)",
            lb.name
        )));
    }
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
                // TCP_UDP listeners carry TCP flows too, with the TCP idle timeout.
                if lb.kind == LbKind::Network
                    && matches!(l.protocol.as_deref(), Some("TCP") | Some("TCP_UDP"))
                {
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
        request_host: req.host.clone(),
        request_path: req.path.clone(),
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
