//! The configuration ingress-nginx actually runs: its generated nginx.conf (`kubectl
//! ingress-nginx conf`, or `cat /etc/nginx/nginx.conf` in the controller pod) read by the
//! nginx reader, so the layer is what the controller executes; and the two cross-checks of
//! declared against running values: an annotation that did not make it into the generated
//! configuration, and an ALB whose live attributes differ from the manifests'. Both become
//! `Drift` entries (the live value, the declared one, and where it is declared).

use super::K8sQuery;
use crate::model::{Chain, Drift, Layer, Origin, Provider};
use crate::providers::nginx::{read_config_on, route as nginx_route, Input, Query, VersionSource};

/// The settings the manifests declare and a running layer must show.
const COMPARED: &[&str] = &[
    "idle_timeout",
    "send_timeout",
    "upstream_http_version",
    "connection_header",
    "forwards_upgrade",
    "buffering",
    "client_keepalive",
    "drain_timeout",
    "stickiness",
    "tls_to_origin",
];

/// The generated nginx.conf's layer for the request, named as the ingress layer it replaces.
pub fn generated_layer(
    input: &Input,
    q: &K8sQuery,
    nginx_version: Option<&str>,
    threads: usize,
) -> Result<Layer, String> {
    let version = match nginx_version {
        Some(v) => VersionSource::detect(Some(v), None).map_err(|e| e.to_string())?,
        // The controller's nginx, not a local one, runs this file.
        None => VersionSource::Assumed,
    };
    let cfg = read_config_on(input, threads).map_err(|e| e.to_string())?;
    let routed = nginx_route(
        &cfg,
        &Query {
            host: q.host.clone(),
            path: q.path.clone(),
            port: None,
        },
        &version,
    )
    .map_err(|e| e.to_string())?;
    let mut l = routed.layer;
    l.provider = Provider::IngressNginx;
    l.name = format!("ingress-nginx generated nginx.conf {}", l.name);
    Ok(l)
}

fn explicit(o: &Origin) -> bool {
    matches!(o, Origin::Explicit { .. })
}

fn setting_json(l: &Layer, name: &str) -> Option<(serde_json::Value, Origin)> {
    let v = serde_json::to_value(l).ok()?;
    let s = v.get(name)?;
    let value = s.get("value")?.clone();
    let origin: Origin = serde_json::from_value(s.get("origin")?.clone()).ok()?;
    (!value.is_null()).then_some((value, origin))
}

fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => match (a.get("mode"), b.get("mode")) {
            // Stickiness: the mode is what the manifests decide; the key spelling differs.
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// The settings `declared` sets explicitly (an annotation, a ConfigMap key) whose value in
/// `running` is another, as drift on `running`.
pub fn cross_check(declared: &Layer, running: &Layer) -> Vec<Drift> {
    let mut out = Vec::new();
    for name in COMPARED {
        let Some((want, origin)) = setting_json(declared, name) else {
            continue;
        };
        if !explicit(&origin) {
            continue;
        }
        let Some((live, _)) = setting_json(running, name) else {
            continue;
        };
        if !same(&want, &live) {
            out.push(Drift {
                layer: running.id.clone(),
                setting: name.to_string(),
                live,
                planned: want,
                planned_origin: origin,
            });
        }
    }
    out
}

/// When the chain holds both a load balancer the manifests declare (an Ingress's ALB, the
/// controller Service's NLB) and the live one, the declared one is folded into drift on the
/// live layer (the live one is what clients reach); alone, the declared one stands in for the
/// one not read.
pub fn fold_declared(chain: &mut Chain) {
    for provider in [Provider::Alb, Provider::Nlb] {
        let is_live = |l: &Layer| l.locator.as_deref().is_some_and(|a| a.starts_with("arn:"));
        let declared = chain
            .layers
            .iter()
            .position(|l| l.provider == provider && !is_live(l));
        let live = chain
            .layers
            .iter()
            .position(|l| l.provider == provider && is_live(l));
        if let (Some(d), Some(l)) = (declared, live) {
            let declared = chain.layers.remove(d);
            let live = if l > d { l - 1 } else { l };
            let drift = cross_check(&declared, &chain.layers[live]);
            for role in ["ingress", "service"] {
                if let Some(id) = declared.resource(role) {
                    chain.layers[live].add_resource(role, id);
                }
            }
            chain.drift.extend(drift);
        }
    }
}
