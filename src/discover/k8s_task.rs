//! The Kubernetes task of `wsaudit chain` (and the reading `wsaudit k8s` shares): the layer
//! the manifests' controller is for the domain and path, and, with ingress-nginx's generated
//! nginx.conf, that layer as the controller runs it, cross-checked against the manifests.

use super::{ChainRequest, ProviderOutput, ProviderTask};
use crate::model::{Gap, GapCode, Notice, Provider};
use crate::providers::k8s::{
    cross_check, generated_layer, read_manifests, route, Controller, K8sQuery,
};
use crate::providers::nginx::Input;

/// Where the Kubernetes inputs come from.
#[derive(Debug, Clone, Default)]
pub struct K8sSource {
    /// `--k8s PATH`.
    pub manifests: Option<String>,
    /// `--ingress-nginx-conf FILE`.
    pub generated_conf: Option<String>,
    pub nginx_version: Option<String>,
    pub read_threads: usize,
}

pub fn k8s_task(req: &ChainRequest, source: K8sSource) -> ProviderTask {
    let req = req.clone();
    ProviderTask {
        name: "k8s",
        layers: vec![("ingress".into(), Provider::Kubernetes)],
        // Reading local files: CPU work of milliseconds, on the runtime's own thread.
        // The Host the controller selects by: what the outer layer sends, else the domain.
        run: Box::pin(async move { read_k8s(&req.selecting_host(), &req.path, &source) }),
    }
}

/// The layers, drift, gaps and notices for `host` and `path`.
pub fn read_k8s(host: &str, path: &str, source: &K8sSource) -> ProviderOutput {
    let mut out = ProviderOutput::default();
    let q = K8sQuery {
        host: host.to_string(),
        path: path.to_string(),
    };
    let gap = |reason: String, code: GapCode| Gap {
        layer: "ingress".into(),
        provider: Provider::Kubernetes,
        reason,
        code,
    };
    let generated = source.generated_conf.as_ref().map(|c| {
        let input = Input::File(c.clone());
        generated_layer(
            &input,
            &q,
            source.nginx_version.as_deref(),
            source.read_threads.max(1),
        )
        .map_err(|e| format!("--ingress-nginx-conf {c}: {e}"))
    });
    let Some(path_in) = &source.manifests else {
        match generated {
            Some(Ok(l)) => out.layers.push(l),
            Some(Err(e)) => out.gaps.push(gap(e, GapCode::UnreadableConfig)),
            None => {}
        }
        return out;
    };
    let manifests = match read_manifests(path_in) {
        Ok(m) => m,
        Err(e) => {
            out.gaps.push(gap(format!("--k8s: {e}"), e.gap_code()));
            if let Some(Ok(l)) = generated {
                out.layers.push(l);
            }
            return out;
        }
    };
    let notice = |message: String| Notice {
        layer: "ingress".into(),
        provider: Provider::Kubernetes,
        message,
    };
    out.notices
        .extend(manifests.notices.iter().cloned().map(notice));
    let routed = match route(&manifests, &q) {
        Ok(r) => r,
        Err(e) => {
            out.gaps.push(gap(e.to_string(), e.gap_code()));
            if let Some(Ok(l)) = generated {
                out.layers.push(l);
            }
            return out;
        }
    };
    out.notices.extend(routed.how.iter().cloned().map(notice));
    out.notices.extend(routed.notes.iter().cloned().map(notice));
    let mut layers = routed.layers;
    match (generated, &routed.controller) {
        (Some(Ok(mut running)), Some(Controller::IngressNginx)) => {
            // The generated file is what runs: it replaces the declared layer, keeping its id
            // and resources, and every declared value it lacks is drift.
            if let Some(declared) = layers.pop() {
                running.id = declared.id.clone();
                running.resources = declared.resources.clone();
                out.drift.extend(cross_check(&declared, &running));
            }
            layers.push(running);
        }
        (Some(Ok(_)), c) => out.notices.push(notice(format!(
            "--ingress-nginx-conf is not used: {host}{path} is served by {}, not ingress-nginx",
            c.as_ref()
                .map_or("a Gateway API implementation", |c| c.label())
        ))),
        (Some(Err(e)), _) => out.gaps.push(gap(e, GapCode::UnreadableConfig)),
        (None, _) => {}
    }
    out.layers.extend(layers);
    out
}
