//! What one read of a load balancer holds, free of SDK types: the load balancer, its
//! listeners, the rule and target groups the handshake reaches, and where a cleartext
//! handshake would land. A part that could not be read holds the call that failed instead.

use super::Rule;
use crate::model::{Gap, Layer};
use crate::providers::aws::AwsError;
use std::collections::BTreeMap;

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
    pub(super) fn of(action: &'static str) -> impl Fn(AwsError) -> Unread {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbKind {
    Application,
    Network,
    /// A Gateway Load Balancer: layer 3 (GENEVE to inspection appliances), never read as a
    /// layer of the chain (added after `Other`; a snapshot built elsewhere may use it).
    Gateway,
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
    /// `TargetControlPort`: set when the target optimizer is on (ALB), which does not carry
    /// WebSockets. Added with the target-kind checks; `None` elsewhere.
    pub target_control_port: Option<i32>,
    pub weight: Option<i32>,
    pub attributes: Read<BTreeMap<String, String>>,
    /// Registered targets (any health state).
    pub targets: Read<u32>,
}

/// Everything read, free of SDK types.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbSnapshot {
    pub lb: LoadBalancerSnapshot,
    /// The `Host` and path the rule was picked for (what the previous layer sends), which the
    /// rule's transforms rewrite. Added with transforms; empty when nothing was matched.
    pub request_host: String,
    pub request_path: String,
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
