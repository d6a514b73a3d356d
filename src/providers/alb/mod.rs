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
//! `inventory.rs` holds what was read of a region and decides, without I/O, which listener and
//! rule the handshake meets; the SDK calls are in `describe.rs`, what a read yields (free of
//! SDK types) in `snapshot.rs`.

mod describe;
mod inventory;
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

pub use inventory::{
    fetch, find, read_region, resolve, selects, AlbNeed, LbEntry, ListenerEntry, RegionInventory,
    TargetGroupEntry,
};

use crate::providers::aws::AwsError;
use aws_sdk_elasticloadbalancingv2::Client;

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
///
/// The read is the inventory's: resolve over what is read so far, read what the resolution
/// names as missing, resolve again (a scan resolves the same way over a whole region).
pub async fn read_alb(client: &Client, req: &AlbRequest) -> Result<AlbReading, AwsError> {
    let region = client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let mut inv = RegionInventory::new(&region);
    // Each round reads at least one missing part; a handshake needs at most four rounds (the
    // load balancer, its listeners' rules and attributes, the target groups).
    for _ in 0..MAX_ROUNDS {
        match resolve(&inv, req) {
            Ok(result) => return result,
            Err(needs) => fetch(client, &mut inv, needs, req).await,
        }
    }
    resolve(&inv, req).unwrap_or_else(|needs| {
        Err(AwsError::Malformed {
            action: "the load balancer reads".into(),
            detail: format!(
                "the answers never completed the load balancer ({needs:?} still missing)"
            ),
        })
    })
}

/// More rounds than any resolution needs; a bound so a service answering inconsistently
/// cannot keep the read going.
const MAX_ROUNDS: usize = 8;
