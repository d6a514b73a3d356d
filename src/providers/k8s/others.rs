//! The controllers wsaudit recognises and routes but whose idle behaviour is
//! implementation-specific: F5 NGINX Ingress (WebSocket only for the Services listed in
//! `nginx.org/websocket-services`), Gateway API HTTPRoutes (whose `timeouts.request` and
//! `backendRequest` are request timeouts, not idle ones: GEP-1742), and any other IngressClass
//! controller. What the manifests do not say is `unknown`, with the reason.

use super::manifests::Manifests;
use super::route::{HttpRouteMatch, IngressRoute};
use super::{explicit_at, Notes};
use crate::model::{Layer, LayerKind, Provider, Seconds, Setting, WebsocketSupport};
use crate::providers::nginx::parse_nginx_time;

const F5_DOC: &str = "https://docs.nginx.com/nginx-ingress-controller/configuration/ingress-resources/advanced-configuration-with-annotations/";
const GEP_1742: &str = "https://gateway-api.sigs.k8s.io/geps/gep-1742/";
const GEP_1911: &str = "https://gateway-api.sigs.k8s.io/geps/gep-1911/";

/// An F5 NGINX Ingress route.
pub fn f5_layer(_m: &Manifests, r: &IngressRoute, notes: &mut Notes) -> Layer {
    let mut l = Layer::new(
        super::layer_id("f5-nginx-ingress", r),
        LayerKind::ReverseProxy,
        Provider::F5NginxIngress,
        format!("F5 NGINX Ingress {}", r.label()),
    );
    super::common(&mut l, r);
    l.proxies = Setting::default_documented(true, "every Ingress path is proxied", F5_DOC);
    let svc = &r.backend.name;
    match r.ingress.annotation("nginx.org/websocket-services") {
        Some((v, n)) => {
            let field = format!(
                "{} annotation nginx.org/websocket-services",
                r.ingress.reference()
            );
            let listed = v.split(',').any(|s| s.trim() == svc);
            // Not listed, the controller still proxies the request, without the upgrade
            // headers: what breaks is forwarding (WS101), not the controller refusing it.
            l.websocket = if listed {
                explicit_at(WebsocketSupport::Enabled, &r.ingress.file, n, &field)
            } else {
                Setting::unknown(format!("{field} does not list {svc}"))
            };
            l.forwards_upgrade = explicit_at(listed, &r.ingress.file, n, &field);
            l.upgrade_header = explicit_at(
                if listed { "websocket" } else { "" }.to_string(),
                &r.ingress.file,
                n,
                &field,
            );
            l.connection_header = explicit_at(
                if listed { "upgrade" } else { "" }.to_string(),
                &r.ingress.file,
                n,
                &field,
            );
            if !listed {
                notes.push(format!(
                    "{}:{}: {field} lists {v:?}, not the backend {svc}: the controller sends it no Upgrade or Connection header",
                    r.ingress.file, n.line
                ));
            }
        }
        None => {
            let why = format!(
                "{} has no nginx.org/websocket-services annotation: F5 NGINX Ingress forwards the WebSocket headers only to the Services listed there",
                r.ingress.reference()
            );
            l.websocket = Setting::unknown(&why);
            l.forwards_upgrade = Setting::default_documented(false, &why, F5_DOC);
            l.upgrade_header = Setting::default_documented(String::new(), &why, F5_DOC);
            l.connection_header = Setting::default_documented(String::new(), &why, F5_DOC);
        }
    }
    for (key, slot) in [
        ("nginx.org/proxy-read-timeout", &mut l.idle_timeout),
        ("nginx.org/proxy-send-timeout", &mut l.send_timeout),
    ] {
        *slot = match r.ingress.annotation(key) {
            Some((v, n)) => match parse_nginx_time(v.trim()) {
                Ok(s) => explicit_at(
                    s,
                    &r.ingress.file,
                    n,
                    &format!("{} annotation {key}", r.ingress.reference()),
                ),
                Err(e) => Setting::unknown(format!("{key} {v:?}: {e}")),
            },
            None => {
                Setting::default_documented(Seconds(60.0), format!("{key} defaults to 60s"), F5_DOC)
            }
        };
    }
    l
}

/// An Ingress of a controller wsaudit does not model.
pub fn unmodelled_layer(r: &IngressRoute) -> Layer {
    let mut l = Layer::new(
        super::layer_id("ingress", r),
        LayerKind::ReverseProxy,
        Provider::Kubernetes,
        format!("{} {}", r.class.controller.label(), r.label()),
    );
    super::common(&mut l, r);
    let why = format!(
        "{} is implemented by {} ({}), whose WebSocket and idle behaviour wsaudit does not model",
        r.ingress.reference(),
        r.class.controller.label(),
        r.class.how
    );
    l.idle_timeout = Setting::unknown(&why);
    l.websocket = Setting::unknown(&why);
    l.forwards_upgrade = Setting::unknown(&why);
    l
}

/// A Gateway API HTTPRoute rule as a layer.
pub fn gateway_layer(h: &HttpRouteMatch, notes: &mut Notes) -> Layer {
    let r = h.route;
    let mut l = Layer::new(
        format!("gateway-api:{}/{}", r.namespace, r.name),
        LayerKind::ReverseProxy,
        Provider::GatewayApi,
        format!("Gateway API {} {}", r.reference(), h.matched),
    );
    l.locator = Some(h.at.clone());
    l.add_resource("httproute", format!("{}/{}", r.namespace, r.name));
    if let Some(b) = &h.backend {
        l.add_resource("service", b.describe());
    }
    let implementation = h
        .implementation
        .clone()
        .unwrap_or_else(|| "the parent Gateway is not in the manifests".into());
    let mut why = format!(
        "the idle timeout of an upgraded connection is implementation-specific in Gateway API ({implementation}): not in the manifests"
    );
    for key in ["request", "backendRequest"] {
        if let Some(n) = h.rule.at(&["timeouts", key]) {
            why.push_str(&format!(
                "; timeouts.{key} {} at {}:{} is a request timeout (GEP-1742), not an idle timeout, and is not used as one",
                n.scalar().unwrap_or(""),
                r.file,
                n.line
            ));
        }
    }
    l.idle_timeout = Setting::unknown(&why);
    l.proxies = Setting::default_documented(
        true,
        "an HTTPRoute rule forwards to its backendRefs",
        GEP_1742,
    );
    // GEP-1911: `appProtocol: kubernetes.io/ws` asks for WebSocket to the backend; its absence
    // "does not imply the implementation should disable any features (eg. websocket upgrades)".
    match h.backend.as_ref().and_then(|b| b.app_protocol()) {
        Some((p, n)) if p == "kubernetes.io/ws" || p == "kubernetes.io/wss" => {
            let file = &h
                .backend
                .as_ref()
                .and_then(|b| b.service)
                .map(|s| s.file.clone())
                .unwrap_or_default();
            l.websocket = explicit_at(
                WebsocketSupport::Enabled,
                file,
                n,
                "Service port appProtocol",
            );
            l.tls_to_origin = explicit_at(p.ends_with("wss"), file, n, "Service port appProtocol");
        }
        _ => {
            l.websocket = Setting::unknown(format!(
                "no appProtocol kubernetes.io/ws on the backend port: whether the implementation upgrades is implementation-specific ({implementation}); see {GEP_1911}"
            ));
        }
    }
    if h.backend.is_none() {
        notes.push(format!(
            "{}: {} rule has no backendRefs: the Gateway answers 500",
            h.at,
            r.reference()
        ));
    }
    if let Some(b) = &h.backend {
        if let Some((n, at)) = &b.replicas {
            l.targets = Setting::explicit(*n as u32, at.clone(), None);
        }
    }
    l
}
