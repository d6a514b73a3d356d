//! Kubernetes manifests as layers: what `kubectl get ingress,svc,configmap,ingressclass -A -o
//! yaml` or a Helm render declares, routed as the controller routes a request, and turned
//! into the layer that controller is (ingress-nginx, the AWS Load Balancer Controller's ALB,
//! F5 NGINX Ingress, a Gateway API HTTPRoute). `manifests.rs` reads the files (`yaml.rs` keeps
//! every value's line), `classes.rs` decides the controller, `route.rs` picks the rule and the
//! backend Service, `ingress_nginx.rs`, `alb.rs` and `others.rs` build the layers, and
//! `generated.rs` reads ingress-nginx's generated nginx.conf through the nginx reader and
//! cross-checks it against the annotations.

mod alb;
mod classes;
mod error;
mod generated;
mod ingress_nginx;
mod lb_service;
mod manifests;
mod others;
mod route;
pub mod yaml;

pub use classes::Controller;
pub use error::K8sError;
pub use generated::{cross_check, fold_declared, generated_layer};
pub use manifests::{parse_manifests, read_manifests, read_text, Manifests, Object, KNOWN_KINDS};

use crate::model::{Layer, Origin, Setting, SourceLine};
use crate::providers::endpoint_words::websocket_word;
use route::{ingress_routes, names_host, pick, pick_http_route, IngressRoute};
use yaml::Node;

/// Notices a read or a route produced (skipped objects, snippets not applied).
pub type Notes = Vec<String>;

/// A value written at `n` of `file`, held by `field` (`ingress/web/chat annotation …`).
pub fn explicit_at<T>(value: T, file: &str, n: &Node, field: &str) -> Setting<T> {
    Setting {
        value: Some(value),
        origin: Origin::Explicit {
            locator: file.to_string(),
            line: Some(n.line),
            column: Some(n.col),
            field: Some(field.to_string()),
        },
    }
}

fn layer_id(prefix: &str, r: &IngressRoute) -> String {
    let host = r.host.as_deref().unwrap_or("*");
    let path = r
        .path
        .as_ref()
        .map(|(p, _)| p.as_str())
        .unwrap_or("(default)");
    format!(
        "{prefix}:{}/{}:{host}{path}",
        r.ingress.namespace, r.ingress.name
    )
}

/// What every Ingress layer carries: where it is written, what it is made of, the backends.
fn common(l: &mut Layer, r: &IngressRoute) {
    l.locator = Some(r.at.clone());
    l.defined_at = Some(SourceLine {
        file: r.ingress.file.clone(),
        line: r.ingress.line,
    });
    l.add_resource(
        "ingress",
        format!("{}/{}", r.ingress.namespace, r.ingress.name),
    );
    if let Some(class) = &r.class.name {
        l.add_resource("ingress_class", class);
    }
    l.add_resource("service", r.backend.describe());
    l.targets = match (&r.backend.replicas, r.backend.service) {
        (Some((n, at)), _) => Setting::explicit(*n as u32, at.clone(), None),
        (None, Some(s)) => Setting::unknown(format!(
            "the workloads {} selects are not in the manifests",
            s.reference()
        )),
        (None, None) => Setting::unknown(format!(
            "service/{}/{} is not in the manifests ({})",
            r.backend.namespace, r.backend.name, r.backend.at
        )),
    };
}

/// A request to route through the manifests.
#[derive(Debug, Clone)]
pub struct K8sQuery {
    pub host: String,
    pub path: String,
}

/// What routing one request found.
#[derive(Debug, Clone)]
pub struct K8sRouted {
    /// Outermost first (an ALB, or an ingress proxy).
    pub layers: Vec<Layer>,
    /// `ingress/web/chat host … path … → service/web/chat:80` and the class decision.
    pub how: Vec<String>,
    pub notes: Notes,
    /// The controller of the Ingress taken (None for an HTTPRoute).
    pub controller: Option<Controller>,
    /// The host is under the Ingress's `spec.tls` (clients dial `wss`).
    pub tls: bool,
}

fn layer_for(m: &Manifests, r: &IngressRoute, notes: &mut Notes) -> Layer {
    match &r.class.controller {
        Controller::IngressNginx => ingress_nginx::layer(m, r, notes),
        Controller::AwsAlb => alb::layer(m, r, notes),
        Controller::F5Nginx => others::f5_layer(m, r, notes),
        Controller::Other(_) | Controller::None => others::unmodelled_layer(r),
    }
}

/// The layer the controller routes `q` to.
pub fn route(m: &Manifests, q: &K8sQuery) -> Result<K8sRouted, K8sError> {
    let (routes, mut notes) = ingress_routes(m);
    let http_route = pick_http_route(m, &q.host, &q.path);
    // A catch-all Ingress rule does not take a host an HTTPRoute names.
    let ingress =
        pick(&routes, &q.host, &q.path).filter(|r| http_route.is_none() || names_host(r, &q.host));
    if let Some(r) = ingress {
        let how = vec![
            format!("{} ({}) → {}", r.label(), r.at, r.backend.describe()),
            format!("controller {}: {}", r.class.controller.label(), r.class.how),
        ];
        if r.class.controller == Controller::None {
            notes.push(format!("{}: {}", r.ingress.at(), r.class.how));
        }
        let layer = layer_for(m, r, &mut notes);
        // The controller's own load balancer, in front of it, when the manifests show it.
        let front = match &r.class.controller {
            Controller::IngressNginx => lb_service::front_layer(m, &["ingress-nginx"], &mut notes),
            Controller::F5Nginx => lb_service::front_layer(m, &["nginx-ingress"], &mut notes),
            _ => None,
        };
        return Ok(K8sRouted {
            layers: front.into_iter().chain([layer]).collect(),
            how,
            notes,
            controller: Some(r.class.controller.clone()),
            tls: r.tls,
        });
    }
    if let Some(h) = http_route {
        let how = vec![format!(
            "{} {} ({}){}",
            h.route.reference(),
            h.matched,
            h.at,
            h.backend
                .as_ref()
                .map(|b| format!(" → {}", b.describe()))
                .unwrap_or_default()
        )];
        let layer = others::gateway_layer(&h, &mut notes);
        return Ok(K8sRouted {
            layers: vec![layer],
            how,
            notes,
            controller: None,
            tls: true,
        });
    }
    let ingresses = m.of_kind("Ingress").count();
    let http_routes = m.of_kind("HTTPRoute").count();
    let mut why = format!(
        "no Ingress rule or HTTPRoute takes {}{} ({ingresses} Ingress and {http_routes} HTTPRoute objects in {})",
        q.host,
        q.path,
        m.files.join(", ")
    );
    if !notes.is_empty() {
        why.push_str(&format!("; {}", notes.join("; ")));
    }
    Err(K8sError::NoRoute(why))
}

/// One route of the every-route listing.
#[derive(Debug, Clone)]
pub struct Listed {
    pub layer: Layer,
    pub tls: bool,
    /// Why it was taken for a WebSocket endpoint.
    pub why: String,
}

/// Every route that looks like a WebSocket endpoint: its path, Service or port name says
/// so (`/ws`, `chat-socket`), its port declares `appProtocol: kubernetes.io/ws`, F5's
/// `websocket-services` lists its Service, or one of `extra_paths` (wsaudit.toml's
/// `websocket_paths`) is its path.
pub fn websocket_routes(m: &Manifests, extra_paths: &[String]) -> (Vec<Listed>, Notes) {
    let (routes, mut notes) = ingress_routes(m);
    let mut out = Vec::new();
    for r in &routes {
        let path = r.path.as_ref().map(|(p, _)| p.as_str()).unwrap_or("/");
        let port_name = r
            .backend
            .port_node
            .and_then(|p| p.get("name"))
            .and_then(Node::scalar)
            .unwrap_or("");
        let why = if extra_paths.iter().any(|p| p == path) {
            Some(format!("its path {path} is in websocket_paths"))
        } else if let Some((p, _)) = r
            .backend
            .app_protocol()
            .filter(|(p, _)| p.starts_with("kubernetes.io/ws"))
        {
            Some(format!("its Service port declares appProtocol {p}"))
        } else if let Some(w) = websocket_word(path) {
            Some(format!("its path says {w:?}"))
        } else if let Some(w) =
            websocket_word(&r.backend.name).or_else(|| websocket_word(port_name))
        {
            Some(format!("its Service says {w:?}"))
        } else {
            r.ingress
                .annotation("nginx.org/websocket-services")
                .filter(|(v, _)| v.split(',').any(|s| s.trim() == r.backend.name))
                .map(|_| "nginx.org/websocket-services lists its Service".to_string())
        };
        if let Some(why) = why {
            let layer = layer_for(m, r, &mut notes);
            out.push(Listed {
                layer,
                tls: r.tls,
                why,
            });
        }
    }
    (out, notes)
}
