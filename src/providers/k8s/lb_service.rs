//! The load balancer in front of an in-cluster ingress controller: its `type: LoadBalancer`
//! Service, when the manifests hold it and its annotations say it is AWS's. An NLB
//! (`service.beta.kubernetes.io/aws-load-balancer-type: nlb` or `external`) idles TCP flows out
//! after 350 s unless `aws-load-balancer-listener-attributes.TCP-<port>` sets
//! `tcp.idle_timeout.seconds`; the Classic ELB the in-tree cloud provider makes otherwise
//! closes idle connections after 60 s unless `aws-load-balancer-connection-idle-timeout` says
//! more. This is the layer behind "I raised proxy-read-timeout and it still drops".

use super::manifests::{Manifests, Object};
use super::yaml::Node;
use super::{explicit_at, Notes};
use crate::model::{IdleResetBy, Layer, LayerKind, Provider, Seconds, Setting, WebsocketSupport};

const SVC_PREFIX: &str = "service.beta.kubernetes.io/";
const NLB_IDLE_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html";
const CLB_IDLE_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html";
const LBC_SERVICE_DOC: &str =
    "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/";

/// The controller's own Service: `type: LoadBalancer`, labelled as the controller's
/// (`app.kubernetes.io/name` of the controller, component `controller`) or named so.
fn controller_service<'a>(m: &'a Manifests, names: &[&str]) -> Option<&'a Object> {
    m.of_kind("Service").find(|s| {
        let lb = s.node.at(&["spec", "type"]).and_then(Node::scalar) == Some("LoadBalancer");
        let label = |k: &str| s.node.at(&["metadata", "labels", k]).and_then(Node::scalar);
        let ours = names.iter().any(|n| {
            label("app.kubernetes.io/name") == Some(n) || s.name == format!("{n}-controller")
        });
        lb && ours
    })
}

/// The load balancer layer in front of the controller named `names` (its Helm chart's
/// `app.kubernetes.io/name`), when the manifests show an AWS one.
pub fn front_layer(m: &Manifests, names: &[&str], notes: &mut Notes) -> Option<Layer> {
    let svc = controller_service(m, names)?;
    let ann = |k: &str| svc.annotation(&format!("{SVC_PREFIX}{k}"));
    let field = |k: &str| format!("{} annotation {SVC_PREFIX}{k}", svc.reference());
    let aws = svc
        .node
        .at(&["metadata", "annotations"])
        .map(Node::entries)
        .unwrap_or(&[])
        .iter()
        .any(|(k, _)| {
            k.scalar()
                .is_some_and(|k| k.starts_with("service.beta.kubernetes.io/aws-load-balancer-"))
        });
    if !aws {
        notes.push(format!(
            "{}: {} is type LoadBalancer without AWS load balancer annotations: the load balancer in front of the controller is not in the manifests and is not audited",
            svc.at(),
            svc.reference()
        ));
        return None;
    }
    let kind = ann("aws-load-balancer-type").map(|(v, _)| v.trim().to_string());
    let nlb = matches!(kind.as_deref(), Some("nlb" | "external" | "nlb-ip"));
    let mut l = if nlb {
        Layer::new(
            "nlb",
            LayerKind::LoadBalancer,
            Provider::Nlb,
            format!("NLB of {} (from the manifests)", svc.reference()),
        )
    } else {
        Layer::new(
            "clb",
            LayerKind::LoadBalancer,
            Provider::Other,
            format!("Classic ELB of {} (from the manifests)", svc.reference()),
        )
    };
    l.locator = Some(svc.at());
    l.add_resource("service", format!("{}/{}", svc.namespace, svc.name));
    l.forwards_upgrade = Setting::default_documented(
        true,
        "a TCP listener passes the handshake through untouched",
        if nlb { NLB_IDLE_DOC } else { CLB_IDLE_DOC },
    );
    l.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "TCP listeners carry WebSockets",
        if nlb { NLB_IDLE_DOC } else { CLB_IDLE_DOC },
    );
    l.idle_reset_by = Setting::default_documented(
        IdleResetBy::Either,
        "data in either direction resets the idle timeout",
        if nlb { NLB_IDLE_DOC } else { CLB_IDLE_DOC },
    );
    l.upstream_http_version = Setting::unknown("layer 4: the client's HTTP version passes through");
    if nlb {
        // `…listener-attributes.TCP-443: tcp.idle_timeout.seconds=…` (one annotation per port).
        let per_port = svc
            .node
            .at(&["metadata", "annotations"])
            .map(Node::entries)
            .unwrap_or(&[])
            .iter()
            .filter(|(k, _)| {
                k.scalar().is_some_and(|k| {
                    k.starts_with(&format!(
                        "{SVC_PREFIX}aws-load-balancer-listener-attributes."
                    ))
                })
            })
            .find_map(|(k, v)| {
                let text = v.scalar()?;
                let secs = text.split(',').find_map(|kv| {
                    let (a, b) = kv.split_once('=')?;
                    (a.trim() == "tcp.idle_timeout.seconds")
                        .then(|| b.trim().parse::<f64>().ok())?
                })?;
                Some((secs, v, k.scalar().unwrap_or("").to_string()))
            });
        l.idle_timeout = match per_port {
            Some((s, n, key)) => explicit_at(
                Seconds(s),
                &svc.file,
                n,
                &format!(
                    "{} annotation {key} tcp.idle_timeout.seconds",
                    svc.reference()
                ),
            ),
            None => Setting::default_documented(
                Seconds(350.0),
                "NLB TCP listener idle timeout 350 s (tcp.idle_timeout.seconds, 60-6000 s)",
                NLB_IDLE_DOC,
            ),
        };
        let tg = ann("aws-load-balancer-target-group-attributes");
        let drain = tg.and_then(|(v, n)| {
            v.split(',').find_map(|kv| {
                let (a, b) = kv.split_once('=')?;
                (a.trim() == "deregistration_delay.timeout_seconds")
                    .then(|| b.trim().parse::<f64>().ok().map(|s| (s, n)))?
            })
        });
        l.drain_timeout = match drain {
            Some((s, n)) => explicit_at(
                Seconds(s),
                &svc.file,
                n,
                &format!(
                    "{} deregistration_delay.timeout_seconds",
                    field("aws-load-balancer-target-group-attributes")
                ),
            ),
            None => Setting::default_documented(
                Seconds(300.0),
                "target group deregistration delay 300 s (deregistration_delay.timeout_seconds)",
                LBC_SERVICE_DOC,
            ),
        };
    } else {
        l.idle_timeout = match ann("aws-load-balancer-connection-idle-timeout") {
            Some((v, n)) => match v.trim().parse::<f64>() {
                Ok(s) => explicit_at(Seconds(s), &svc.file, n, &field("aws-load-balancer-connection-idle-timeout")),
                Err(_) => Setting::unknown(format!("{} {v:?} is not a number of seconds", field("aws-load-balancer-connection-idle-timeout"))),
            },
            None => Setting::default_documented(
                Seconds(60.0),
                "Classic ELB idle timeout 60 s (service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout)",
                CLB_IDLE_DOC,
            ),
        };
    }
    Some(l)
}
