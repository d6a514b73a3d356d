//! Routing a host and path as an ingress controller does: Ingress rules (exact hosts before
//! wildcard hosts before rules without a host; the longest matching path, `Exact` before
//! `Prefix` on equal length; the Ingress's `defaultBackend` when no path matches), or an
//! HTTPRoute's hostnames and matches; then the backend Service, its port and what it runs.

use super::classes::{ingress_class, ClassChoice};
use super::error::K8sError;
use super::manifests::{Manifests, Object};
use super::yaml::Node;

/// A Service port as an Ingress or HTTPRoute names it.
#[derive(Debug, Clone)]
pub enum PortRef {
    Number(u64),
    Name(String),
}

/// The backend a request reaches, resolved as far as the manifests allow.
#[derive(Debug, Clone)]
pub struct BackendService<'a> {
    pub namespace: String,
    pub name: String,
    pub port: Option<PortRef>,
    /// Where the backend is named (`file:line`).
    pub at: String,
    pub service: Option<&'a Object>,
    /// The port entry of the Service the reference resolves to.
    pub port_node: Option<&'a Node>,
    /// Replicas of the workloads the Service selects, when they are in the manifests.
    pub replicas: Option<(u64, String)>,
}

impl BackendService<'_> {
    pub fn app_protocol(&self) -> Option<(&str, &Node)> {
        let n = self.port_node?.get("appProtocol")?;
        Some((n.scalar()?, n))
    }

    pub fn describe(&self) -> String {
        let port = match &self.port {
            Some(PortRef::Number(n)) => format!(":{n}"),
            Some(PortRef::Name(n)) => format!(":{n}"),
            None => String::new(),
        };
        let target = self
            .port_node
            .and_then(|p| p.get("targetPort"))
            .and_then(|t| t.scalar())
            .map(|t| format!(" → targetPort {t}"))
            .unwrap_or_default();
        format!("service/{}/{}{port}{target}", self.namespace, self.name)
    }
}

/// One Ingress path (or default backend) a request can take.
#[derive(Debug, Clone)]
pub struct IngressRoute<'a> {
    pub ingress: &'a Object,
    pub class: ClassChoice<'a>,
    /// The rule's host; None for a rule that takes every host.
    pub host: Option<String>,
    /// The path as written and its type; None for the default backend.
    pub path: Option<(String, String)>,
    /// Where the matched path (or default backend) is written.
    pub at: String,
    pub backend: BackendService<'a>,
    /// The host is listed under `spec.tls`: the controller terminates TLS for it.
    pub tls: bool,
}

impl IngressRoute<'_> {
    /// `ingress/web/chat host chat.example.com path /ws (Prefix)`.
    pub fn label(&self) -> String {
        let host = self.host.as_deref().unwrap_or("*");
        match &self.path {
            Some((p, t)) => format!("{} host {host} path {p} ({t})", self.ingress.reference()),
            None => format!("{} host {host} defaultBackend", self.ingress.reference()),
        }
    }
}

/// How well a rule's host matches the requested one: exact 2, wildcard 1, any host 0.
pub fn host_rank(rule_host: Option<&str>, host: &str) -> Option<u8> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match rule_host {
        None | Some("") => Some(0),
        Some(h) => {
            let h = h.to_ascii_lowercase();
            if let Some(suffix) = h.strip_prefix("*.") {
                // A wildcard covers exactly one DNS label (the Ingress spec).
                let label = host.strip_suffix(suffix)?.strip_suffix('.')?;
                (!label.is_empty() && !label.contains('.')).then_some(1)
            } else {
                (h == host).then_some(2)
            }
        }
    }
}

/// Whether `path` matches a rule path of `path_type`, and how long the match is.
pub fn path_match(rule: &str, path_type: &str, path: &str) -> Option<usize> {
    match path_type {
        "Exact" => (rule == path).then_some(rule.len()),
        // Prefix matches element by element: `/ws` takes `/ws` and `/ws/x`, not `/wsx`; a
        // trailing slash is ignored.
        "Prefix" => {
            let r = rule.trim_end_matches('/');
            if r.is_empty() {
                return Some(1);
            }
            let rest = path.strip_prefix(r)?;
            (rest.is_empty() || rest.starts_with('/')).then_some(r.len())
        }
        // The nginx-based controllers and the ALB controller treat it as a plain prefix
        // (an nginx prefix location; an ALB `path-pattern` of `/ws*`).
        _ => path.starts_with(rule).then_some(rule.len()),
    }
}

fn port_ref(n: &Node) -> Option<PortRef> {
    // networking.k8s.io/v1 `port: {number|name}`; v1beta1 `servicePort`.
    if let Some(num) = n.get("number").and_then(Node::as_u64) {
        return Some(PortRef::Number(num));
    }
    if let Some(name) = n.get("name").and_then(Node::scalar) {
        return Some(PortRef::Name(name.to_string()));
    }
    match n.as_u64() {
        Some(v) => Some(PortRef::Number(v)),
        None => n.scalar().map(|s| PortRef::Name(s.to_string())),
    }
}

/// The Service a backend names, its port, and the replicas behind it.
pub fn resolve_service<'a>(
    m: &'a Manifests,
    namespace: &str,
    name: &str,
    port: Option<PortRef>,
    at: String,
) -> BackendService<'a> {
    let service = m.find("Service", Some(namespace), name);
    let port_node = service.and_then(|s| {
        let ports = s.node.at(&["spec", "ports"])?.seq();
        ports.iter().find(|p| match &port {
            Some(PortRef::Number(n)) => p.get("port").and_then(Node::as_u64) == Some(*n),
            Some(PortRef::Name(n)) => p.get("name").and_then(Node::scalar) == Some(n.as_str()),
            None => true,
        })
    });
    let replicas = service.and_then(|s| replicas_behind(m, s));
    BackendService {
        namespace: namespace.to_string(),
        name: name.to_string(),
        port,
        at,
        service,
        port_node,
        replicas,
    }
}

/// Replicas of the Deployments and StatefulSets whose pod labels the Service's selector
/// matches (`spec.replicas`, 1 when unset), with where they are written.
fn replicas_behind(m: &Manifests, svc: &Object) -> Option<(u64, String)> {
    let selector = svc.node.at(&["spec", "selector"])?.entries();
    if selector.is_empty() {
        return None;
    }
    let mut total = 0;
    let mut at = Vec::new();
    for w in m
        .of_kind("Deployment")
        .chain(m.of_kind("StatefulSet"))
        .filter(|o| o.namespace == svc.namespace)
    {
        let Some(labels) = w.node.at(&["spec", "template", "metadata", "labels"]) else {
            continue;
        };
        let all = selector.iter().all(|(k, v)| {
            labels.get(k.scalar().unwrap_or("")).and_then(Node::scalar) == v.scalar()
        });
        if !all {
            continue;
        }
        let r = w.node.at(&["spec", "replicas"]);
        total += r.and_then(Node::as_u64).unwrap_or(1);
        at.push(format!(
            "{}:{} ({} spec.replicas{})",
            w.file,
            r.map_or(w.line, |n| n.line),
            w.reference(),
            if r.is_none() { ", unset: 1" } else { "" }
        ));
    }
    (!at.is_empty()).then(|| (total, at.join(", ")))
}

fn backend_of<'a>(
    m: &'a Manifests,
    ing: &'a Object,
    b: &'a Node,
) -> Result<BackendService<'a>, K8sError> {
    let at = format!("{}:{}", ing.file, b.line);
    if let Some(svc) = b.get("service") {
        let name = svc
            .get("name")
            .and_then(Node::scalar)
            .ok_or_else(|| K8sError::Invalid {
                at: at.clone(),
                message: format!("{}: backend.service without a name", ing.reference()),
            })?;
        let port = svc.get("port").and_then(port_ref);
        return Ok(resolve_service(m, &ing.namespace, name, port, at));
    }
    if let Some(name) = b.get("serviceName").and_then(Node::scalar) {
        let port = b.get("servicePort").and_then(port_ref);
        return Ok(resolve_service(m, &ing.namespace, name, port, at));
    }
    Err(K8sError::Invalid {
        at,
        message: format!(
            "{}: a backend that names no Service (a `resource` backend cannot carry a WebSocket)",
            ing.reference()
        ),
    })
}

fn tls_hosts(ing: &Object) -> Vec<String> {
    ing.spec()
        .and_then(|s| s.get("tls"))
        .map(Node::seq)
        .unwrap_or(&[])
        .iter()
        .flat_map(|t| t.get("hosts").map(Node::seq).unwrap_or(&[]))
        .filter_map(|h| h.scalar().map(str::to_ascii_lowercase))
        .collect()
}

/// Every route of every Ingress (rule paths and default backends), with the problems found
/// on the way (an Ingress that routes nothing) as notices.
pub fn ingress_routes(m: &Manifests) -> (Vec<IngressRoute<'_>>, Vec<String>) {
    let mut routes = Vec::new();
    let mut notices = Vec::new();
    for ing in m.of_kind("Ingress") {
        let class = ingress_class(m, ing);
        let tls = tls_hosts(ing);
        let spec = ing.spec();
        let rules = spec
            .and_then(|s| s.get("rules"))
            .map(Node::seq)
            .unwrap_or(&[]);
        let default = spec.and_then(|s| s.get("defaultBackend").or_else(|| s.get("backend")));
        if rules.is_empty() && default.is_none() {
            notices.push(format!(
                "{}: {} has no spec.rules and no spec.defaultBackend: it routes nothing",
                ing.at(),
                ing.reference()
            ));
            continue;
        }
        for rule in rules {
            let host = rule.get("host").and_then(Node::scalar).map(str::to_string);
            let is_tls = host
                .as_deref()
                .is_some_and(|h| tls.iter().any(|t| t == &h.to_ascii_lowercase()));
            let paths = rule.at(&["http", "paths"]).map(Node::seq).unwrap_or(&[]);
            if paths.is_empty() {
                notices.push(format!(
                    "{}:{}: {} rule for host {} has no http.paths: it routes nothing",
                    ing.file,
                    rule.line,
                    ing.reference(),
                    host.as_deref().unwrap_or("*")
                ));
            }
            for p in paths {
                let path = p
                    .get("path")
                    .and_then(Node::scalar)
                    .unwrap_or("/")
                    .to_string();
                let path_type = p
                    .get("pathType")
                    .and_then(Node::scalar)
                    .unwrap_or("ImplementationSpecific")
                    .to_string();
                let Some(b) = p.get("backend") else {
                    notices.push(format!(
                        "{}:{}: {} path {path} has no backend: skipped",
                        ing.file,
                        p.line,
                        ing.reference()
                    ));
                    continue;
                };
                match backend_of(m, ing, b) {
                    Ok(backend) => routes.push(IngressRoute {
                        ingress: ing,
                        class: class.clone(),
                        host: host.clone(),
                        path: Some((path, path_type)),
                        at: format!("{}:{}", ing.file, p.line),
                        backend,
                        tls: is_tls,
                    }),
                    Err(e) => notices.push(e.to_string()),
                }
            }
        }
        if let Some(b) = default {
            match backend_of(m, ing, b) {
                Ok(backend) => routes.push(IngressRoute {
                    ingress: ing,
                    class: class.clone(),
                    host: None,
                    path: None,
                    at: format!("{}:{}", ing.file, b.line),
                    backend,
                    tls: false,
                }),
                Err(e) => notices.push(e.to_string()),
            }
        }
    }
    (routes, notices)
}

/// The route the controller picks for `host` and `path`.
pub fn pick<'r, 'a>(
    routes: &'r [IngressRoute<'a>],
    host: &str,
    path: &str,
) -> Option<&'r IngressRoute<'a>> {
    // The host tier first: a server for the exact host never falls back to wildcard or
    // host-less rules.
    let best_tier = routes
        .iter()
        .filter(|r| r.path.is_some())
        .filter_map(|r| host_rank(r.host.as_deref(), host))
        .max();
    let in_tier = |r: &&IngressRoute| {
        r.path.is_some() && best_tier.is_some() && host_rank(r.host.as_deref(), host) == best_tier
    };
    let by_path = routes
        .iter()
        .filter(in_tier)
        .filter_map(|r| {
            let (p, t) = r.path.as_ref()?;
            let len = path_match(p, t, path)?;
            Some(((len, t == "Exact"), r))
        })
        .max_by_key(|(k, _)| *k)
        .map(|(_, r)| r);
    by_path.or_else(|| {
        // No path matched: the default backend of an Ingress whose rules serve this host
        // (it takes the host's other paths), else that of an Ingress without rules (the
        // catch-all for every host).
        let serving: Vec<&IngressRoute> = routes
            .iter()
            .filter(|r| {
                r.path.is_some() && host_rank(r.host.as_deref(), host).is_some_and(|t| t > 0)
            })
            .collect();
        let defaults = || routes.iter().filter(|r| r.path.is_none());
        defaults()
            .find(|d| serving.iter().any(|s| std::ptr::eq(s.ingress, d.ingress)))
            .or_else(|| {
                defaults().find(|d| {
                    d.ingress
                        .spec()
                        .and_then(|s| s.get("rules"))
                        .is_none_or(|r| r.seq().is_empty())
                })
            })
    })
}

/// Whether the route was chosen for the host itself rather than as a catch-all.
pub fn names_host(r: &IngressRoute, host: &str) -> bool {
    r.path.is_some() && host_rank(r.host.as_deref(), host).is_some_and(|t| t > 0)
        || r.path.is_none()
            && r.ingress
                .spec()
                .and_then(|s| s.get("rules"))
                .is_some_and(|rules| !rules.seq().is_empty())
}

/// One HTTPRoute rule a request can take.
#[derive(Debug, Clone)]
pub struct HttpRouteMatch<'a> {
    pub route: &'a Object,
    pub rule: &'a Node,
    /// `PathPrefix /ws` as written.
    pub matched: String,
    pub at: String,
    pub backend: Option<BackendService<'a>>,
    /// `gatewayclass/x spec.controllerName …`, when the parent Gateway is in the manifests.
    pub implementation: Option<String>,
}

/// The HTTPRoute rule for `host` and `path`: hostnames (exact before wildcard; none takes
/// every host), then the longest path match, `Exact` before `PathPrefix`.
pub fn pick_http_route<'a>(m: &'a Manifests, host: &str, path: &str) -> Option<HttpRouteMatch<'a>> {
    let mut best: Option<((u8, usize, bool), HttpRouteMatch<'a>)> = None;
    for r in m.of_kind("HTTPRoute") {
        let spec = r.spec()?;
        let names = spec.get("hostnames").map(Node::seq).unwrap_or(&[]);
        let tier = if names.is_empty() {
            Some(0)
        } else {
            names
                .iter()
                .filter_map(|h| host_rank(h.scalar(), host))
                .max()
        };
        let Some(tier) = tier else { continue };
        for rule in spec.get("rules").map(Node::seq).unwrap_or(&[]) {
            let matches = rule.get("matches").map(Node::seq).unwrap_or(&[]);
            let candidates: Vec<(String, String, u32)> = if matches.is_empty() {
                vec![("PathPrefix".into(), "/".into(), rule.line)]
            } else {
                matches
                    .iter()
                    .map(|mt| {
                        let p = mt.get("path");
                        (
                            p.and_then(|p| p.get("type"))
                                .and_then(Node::scalar)
                                .unwrap_or("PathPrefix")
                                .to_string(),
                            p.and_then(|p| p.get("value"))
                                .and_then(Node::scalar)
                                .unwrap_or("/")
                                .to_string(),
                            mt.line,
                        )
                    })
                    .collect()
            };
            for (t, v, line) in candidates {
                let len = match t.as_str() {
                    "Exact" => path_match(&v, "Exact", path),
                    "PathPrefix" => path_match(&v, "Prefix", path),
                    // RegularExpression is implementation-specific: not guessed.
                    _ => None,
                };
                let Some(len) = len else { continue };
                let key = (tier, len, t == "Exact");
                if best.as_ref().is_some_and(|(k, _)| *k >= key) {
                    continue;
                }
                let backend = rule
                    .get("backendRefs")
                    .map(Node::seq)
                    .unwrap_or(&[])
                    .first()
                    .and_then(|b| {
                        let name = b.get("name")?.scalar()?;
                        let ns = b
                            .get("namespace")
                            .and_then(Node::scalar)
                            .unwrap_or(&r.namespace);
                        let port = b.get("port").and_then(Node::as_u64).map(PortRef::Number);
                        Some(resolve_service(
                            m,
                            ns,
                            name,
                            port,
                            format!("{}:{}", r.file, b.line),
                        ))
                    });
                best = Some((
                    key,
                    HttpRouteMatch {
                        route: r,
                        rule,
                        matched: format!("{t} {v}"),
                        at: format!("{}:{line}", r.file),
                        backend,
                        implementation: implementation(m, r),
                    },
                ));
            }
        }
    }
    best.map(|(_, b)| b)
}

/// The GatewayClass controller behind an HTTPRoute's first parent Gateway.
fn implementation(m: &Manifests, r: &Object) -> Option<String> {
    let parent = r.node.at(&["spec", "parentRefs"])?.seq().first()?;
    let name = parent.get("name")?.scalar()?;
    let ns = parent
        .get("namespace")
        .and_then(Node::scalar)
        .unwrap_or(&r.namespace);
    let gw = m.find("Gateway", Some(ns), name)?;
    let class = gw.node.at(&["spec", "gatewayClassName"])?.scalar()?;
    let ctl = m
        .find("GatewayClass", None, class)
        .and_then(|c| c.node.at(&["spec", "controllerName"]))
        .and_then(Node::scalar);
    Some(match ctl {
        Some(c) => format!(
            "{} → gatewayclass/{class} spec.controllerName {c}",
            gw.reference()
        ),
        None => format!(
            "{} → gatewayclass/{class} (not in the manifests)",
            gw.reference()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_like_the_ingress_spec() {
        assert_eq!(host_rank(Some("a.example.com"), "A.example.com"), Some(2));
        assert_eq!(host_rank(Some("*.example.com"), "a.example.com"), Some(1));
        assert_eq!(host_rank(Some("*.example.com"), "a.b.example.com"), None);
        assert_eq!(host_rank(Some("*.example.com"), "example.com"), None);
        assert_eq!(host_rank(None, "x"), Some(0));
    }

    #[test]
    fn prefix_matches_by_element() {
        assert_eq!(path_match("/ws", "Prefix", "/ws/x"), Some(3));
        assert_eq!(path_match("/ws/", "Prefix", "/ws"), Some(3));
        assert_eq!(path_match("/ws", "Prefix", "/wsx"), None);
        assert_eq!(path_match("/", "Prefix", "/anything"), Some(1));
        assert_eq!(path_match("/ws", "Exact", "/ws/"), None);
        assert_eq!(path_match("/ws", "ImplementationSpecific", "/wsx"), Some(3));
    }
}
