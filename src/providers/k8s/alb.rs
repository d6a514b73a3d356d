//! An Ingress of the AWS Load Balancer Controller as the ALB it declares: the load balancer
//! attributes from `alb.ingress.kubernetes.io/load-balancer-attributes`, or from the class's
//! IngressClassParams `spec.loadBalancerAttributes` when it sets any (the annotation is then
//! ignored), the target group from `target-group-attributes` and `backend-protocol-version`
//! (on the Service too, where it takes precedence over the Ingress: the controller's
//! annotations guide), each value cited at its line; AWS's documented defaults otherwise.
//!
//! When the live ALB is read as well, the declared values are compared with it
//! (`declared_settings`) rather than added as a second load balancer.

use super::manifests::{Manifests, Object};
use super::route::IngressRoute;
use super::yaml::Node;
use super::{explicit_at, Notes};
use crate::model::{
    AccessLog, IdleResetBy, Layer, LayerKind, Provider, Seconds, Setting, Stickiness,
    WebsocketSupport,
};
use std::collections::BTreeMap;

pub const PREFIX: &str = "alb.ingress.kubernetes.io/";
const LB_ATTRS_DOC: &str = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html";
const TG_ATTRS_DOC: &str = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html";
const ANNOTATIONS_DOC: &str =
    "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/";

/// One attribute value and where it is written (file, node, what holds it).
#[derive(Debug, Clone)]
pub struct Attr<'a> {
    pub value: String,
    pub file: &'a str,
    pub node: &'a Node,
    pub field: String,
}

type Attrs<'a> = BTreeMap<String, Attr<'a>>;

/// `k1=v1,k2=v2` of a stringMap annotation.
fn string_map<'a>(obj: &'a Object, key: &str, into: &mut Attrs<'a>) {
    let Some((v, n)) = obj.annotation(key) else {
        return;
    };
    for pair in v.split(',') {
        if let Some((k, val)) = pair.split_once('=') {
            into.insert(
                k.trim().to_string(),
                Attr {
                    value: val.trim().to_string(),
                    file: &obj.file,
                    node: n,
                    field: format!("{} annotation {key} {}", obj.reference(), k.trim()),
                },
            );
        }
    }
}

/// The IngressClassParams the route's class names (`spec.parameters`).
fn class_params<'a>(m: &'a Manifests, r: &IngressRoute<'a>) -> Option<&'a Object> {
    let params = r.class.class?.node.at(&["spec", "parameters"])?;
    if params.get("kind").and_then(Node::scalar) != Some("IngressClassParams") {
        return None;
    }
    m.find("IngressClassParams", None, params.get("name")?.scalar()?)
}

/// The load balancer and target group attributes the manifests declare for the route.
pub struct Declared<'a> {
    pub lb: Attrs<'a>,
    pub tg: Attrs<'a>,
    pub protocol_version: Option<Attr<'a>>,
}

pub fn declared<'a>(m: &'a Manifests, r: &IngressRoute<'a>, notes: &mut Notes) -> Declared<'a> {
    let mut lb = Attrs::new();
    // IngressClassParams `loadBalancerAttributes`, when set, are the load balancer's
    // attributes; only without them does the Ingress annotation count (ingress_class.md,
    // spec.loadBalancerAttributes).
    let from_params = class_params(m, r)
        .map(|p| {
            (
                p,
                p.node
                    .at(&["spec", "loadBalancerAttributes"])
                    .map(Node::seq)
                    .unwrap_or(&[]),
            )
        })
        .filter(|(_, attrs)| !attrs.is_empty());
    match from_params {
        Some((p, attrs)) => {
            for a in attrs {
                let (Some(k), Some(v)) = (a.get("key").and_then(Node::scalar), a.get("value"))
                else {
                    continue;
                };
                lb.insert(
                    k.to_string(),
                    Attr {
                        value: v.scalar().unwrap_or("").to_string(),
                        file: &p.file,
                        node: v,
                        field: format!("{} spec.loadBalancerAttributes {k}", p.reference()),
                    },
                );
            }
            let key = format!("{PREFIX}load-balancer-attributes");
            if let Some((_, n)) = r.ingress.annotation(&key) {
                notes.push(format!(
                    "{}:{}: {} annotation {key} is ignored: {} ({}) sets spec.loadBalancerAttributes, which the controller applies instead",
                    r.ingress.file,
                    n.line,
                    r.ingress.reference(),
                    p.reference(),
                    p.at()
                ));
            }
        }
        None => string_map(
            r.ingress,
            &format!("{PREFIX}load-balancer-attributes"),
            &mut lb,
        ),
    }
    let mut tg = Attrs::new();
    string_map(
        r.ingress,
        &format!("{PREFIX}target-group-attributes"),
        &mut tg,
    );
    if let Some(svc) = r.backend.service {
        string_map(svc, &format!("{PREFIX}target-group-attributes"), &mut tg);
    }
    let version = |o: &'a Object| {
        let key = format!("{PREFIX}backend-protocol-version");
        o.annotation(&key).map(|(v, n)| Attr {
            value: v.to_string(),
            file: &o.file,
            node: n,
            field: format!("{} annotation {key}", o.reference()),
        })
    };
    let protocol_version = r
        .backend
        .service
        .and_then(version)
        .or_else(|| version(r.ingress));
    Declared {
        lb,
        tg,
        protocol_version,
    }
}

fn seconds(
    attrs: &Attrs,
    key: &str,
    default: f64,
    documented: &str,
    source: &str,
    notes: &mut Notes,
) -> Setting<Seconds> {
    match attrs.get(key) {
        Some(a) => match a.value.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => explicit_at(Seconds(n), a.file, a.node, &a.field),
            _ => {
                notes.push(format!(
                    "{}:{}: {} {:?} is not a number of seconds: the controller fails to reconcile the load balancer",
                    a.file, a.node.line, a.field, a.value
                ));
                Setting::unknown(format!("{} is {:?}", a.field, a.value))
            }
        },
        None => Setting::default_documented(Seconds(default), documented, source),
    }
}

fn flag<'m, 'a>(attrs: &'m Attrs<'a>, key: &str) -> Option<(bool, &'m Attr<'a>)> {
    attrs
        .get(key)
        .map(|a| (a.value.eq_ignore_ascii_case("true"), a))
}

/// The ALB layer the route's manifests declare.
pub fn layer(m: &Manifests, r: &IngressRoute, notes: &mut Notes) -> Layer {
    let d = declared(m, r, notes);
    let name = r
        .ingress
        .annotation(&format!("{PREFIX}load-balancer-name"))
        .map(|(v, _)| v.to_string())
        .or_else(|| {
            r.ingress
                .annotation(&format!("{PREFIX}group.name"))
                .map(|(v, _)| format!("group {v}"))
        })
        .unwrap_or_else(|| r.ingress.reference());
    let mut l = Layer::new(
        "alb",
        LayerKind::LoadBalancer,
        Provider::Alb,
        format!("ALB of {name} ({}, from the manifests)", r.label()),
    );
    super::common(&mut l, r);
    l.idle_timeout = seconds(
        &d.lb,
        "idle_timeout.timeout_seconds",
        60.0,
        "ALB idle timeout 60 s (idle_timeout.timeout_seconds, 1-4000 s)",
        LB_ATTRS_DOC,
        notes,
    );
    l.idle_reset_by = Setting::default_documented(
        IdleResetBy::Either,
        "any data byte in either direction resets the ALB idle timeout (HTTP/2 PING frames do not)",
        LB_ATTRS_DOC,
    );
    l.max_duration =
        Setting::unknown("AWS documents no maximum WebSocket connection duration for ALB");
    l.client_keepalive = seconds(
        &d.lb,
        "client_keep_alive.seconds",
        3600.0,
        "ALB HTTP client keepalive 3600 s (client_keep_alive.seconds)",
        LB_ATTRS_DOC,
        notes,
    );
    l.upstream_keepalive = l.idle_timeout.clone();
    l.websocket = Setting::default_documented(
        WebsocketSupport::Enabled,
        "ALB supports WebSockets natively on HTTP and HTTPS listeners",
        LB_ATTRS_DOC,
    );
    l.forwards_upgrade = Setting::default_documented(
        true,
        "ALB passes the HTTP/1.1 Upgrade handshake to the target",
        LB_ATTRS_DOC,
    );
    l.proxies = Setting::default_documented(
        true,
        "the Ingress path forwards to its target group",
        ANNOTATIONS_DOC,
    );
    l.client_protocols = match flag(&d.lb, "routing.http2.enabled") {
        Some((false, a)) => explicit_at(vec!["http1.1".to_string()], a.file, a.node, &a.field),
        Some((true, a)) => explicit_at(
            vec!["http1.1".into(), "h2".into()],
            a.file,
            a.node,
            &a.field,
        ),
        None => Setting::default_documented(
            vec!["http1.1".into(), "h2".into()],
            "HTTPS listeners accept HTTP/2 (routing.http2.enabled defaults to true)",
            LB_ATTRS_DOC,
        ),
    };
    l.access_log = match flag(&d.lb, "access_logs.s3.enabled") {
        Some((enabled, a)) => explicit_at(
            AccessLog {
                enabled,
                destination: d
                    .lb
                    .get("access_logs.s3.bucket")
                    .map(|b| format!("s3://{}", b.value)),
                fields: Vec::new(),
            },
            a.file,
            a.node,
            &a.field,
        ),
        None => Setting::default_documented(
            AccessLog {
                enabled: false,
                destination: None,
                fields: Vec::new(),
            },
            "ALB access logs are off by default (access_logs.s3.enabled)",
            LB_ATTRS_DOC,
        ),
    };
    l.upstream_http_version = match &d.protocol_version {
        Some(a) => explicit_at(
            match a.value.to_ascii_uppercase().as_str() {
                "HTTP1" => "1.1".to_string(),
                "HTTP2" => "2".to_string(),
                "GRPC" => "grpc".to_string(),
                other => other.to_ascii_lowercase(),
            },
            a.file,
            a.node,
            &a.field,
        ),
        None => Setting::default_documented(
            "1.1".to_string(),
            "backend-protocol-version defaults to HTTP1",
            ANNOTATIONS_DOC,
        ),
    };
    let backend_protocol = r.ingress.annotation(&format!("{PREFIX}backend-protocol"));
    l.tls_to_origin = match backend_protocol {
        Some((v, n)) => explicit_at(
            v.eq_ignore_ascii_case("HTTPS"),
            &r.ingress.file,
            n,
            &format!(
                "{} annotation {PREFIX}backend-protocol",
                r.ingress.reference()
            ),
        ),
        None => {
            Setting::default_documented(false, "backend-protocol defaults to HTTP", ANNOTATIONS_DOC)
        }
    };
    l.drain_timeout = seconds(
        &d.tg,
        "deregistration_delay.timeout_seconds",
        300.0,
        "target group deregistration delay 300 s (deregistration_delay.timeout_seconds)",
        TG_ATTRS_DOC,
        notes,
    );
    l.stickiness = match flag(&d.tg, "stickiness.enabled") {
        Some((true, a)) => {
            let kind =
                d.tg.get("stickiness.type")
                    .map(|t| t.value.to_ascii_lowercase());
            let ttl = |k: &str| {
                Some(Seconds(
                    d.tg.get(k)
                        .and_then(|v| v.value.parse().ok())
                        .unwrap_or(86400.0),
                ))
            };
            let v = match kind.as_deref() {
                Some("app_cookie") => Stickiness {
                    mode: "cookie".into(),
                    key: d
                        .tg
                        .get("stickiness.app_cookie.cookie_name")
                        .map(|c| c.value.clone()),
                    ttl_s: ttl("stickiness.app_cookie.duration_seconds"),
                },
                _ => Stickiness {
                    mode: "cookie".into(),
                    key: Some("AWSALB".into()),
                    ttl_s: ttl("stickiness.lb_cookie.duration_seconds"),
                },
            };
            explicit_at(v, a.file, a.node, &a.field)
        }
        Some((false, a)) => explicit_at(Stickiness::none(), a.file, a.node, &a.field),
        None => Setting::default_documented(
            Stickiness::none(),
            "target group stickiness is disabled by default (stickiness.enabled)",
            TG_ATTRS_DOC,
        ),
    };
    l.balancing = match d.tg.get("load_balancing.algorithm.type") {
        Some(a) => explicit_at(a.value.clone(), a.file, a.node, &a.field),
        None => Setting::default_documented(
            "round_robin".to_string(),
            "load_balancing.algorithm.type defaults to round_robin",
            TG_ATTRS_DOC,
        ),
    };
    l.buffering = Setting::default_documented(false, "ALB does not buffer responses", LB_ATTRS_DOC);
    l.cleartext_from_client = match r.ingress.annotation(&format!("{PREFIX}ssl-redirect")) {
        Some((_, n)) => explicit_at(
            "redirect".to_string(),
            &r.ingress.file,
            n,
            &format!("{} annotation {PREFIX}ssl-redirect", r.ingress.reference()),
        ),
        None => Setting::unknown("the listeners (alb.ingress.kubernetes.io/listen-ports) decide; not modelled from the manifests"),
    };
    l
}
