//! `wsaudit k8s PATH [--domain D --path P] [--ingress-nginx-conf FILE]`: the Kubernetes
//! ingress layer alone. With a domain and path, the Ingress or HTTPRoute the controller routes
//! it to, judged; without, every route that looks like a WebSocket endpoint, each judged as its
//! own one-layer chain (as `wsaudit nginx` lists locations).

use super::audit::heartbeat_flag;
use super::nginx::single_layer_chain;
use super::{env, CommandError, Context};
use crate::cli::{GlobalArgs, K8sArgs, SchemeArg};
use crate::discover::{read_k8s, K8sSource};
use crate::model::{Chain, Scheme, Target};
use crate::providers::k8s::{read_manifests, websocket_routes};

fn scheme(flag: Option<SchemeArg>, tls: bool) -> Scheme {
    match flag {
        Some(SchemeArg::Ws) => Scheme::Ws,
        Some(SchemeArg::Wss) => Scheme::Wss,
        None if tls => Scheme::Wss,
        None => Scheme::Ws,
    }
}

pub fn run(global: &GlobalArgs, args: &K8sArgs) -> Result<u8, CommandError> {
    if let Some(p) = &args.path {
        super::nginx::request_path(p)?;
    }
    let mut ctx = Context::load(global)?;
    let heartbeat = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;

    if let (Some(domain), Some(path)) = (&args.domain, &args.path) {
        let source = K8sSource {
            manifests: Some(args.manifests.clone()),
            generated_conf: args.ingress_nginx_conf.clone(),
            nginx_version: args.nginx_version.clone(),
            read_threads: env::nginx_read_threads(),
        };
        let out = read_k8s(domain, path, &source);
        // Nothing could be read or routed: an input error, not an incomplete audit.
        if out.layers.is_empty() {
            let reasons: Vec<String> = out.gaps.iter().map(|g| g.reason.clone()).collect();
            return Err(CommandError::Usage(reasons.join("; ")));
        }
        let tls = out.layers.iter().all(|l| {
            l.cleartext_from_client.value.as_deref() != Some("allow")
                || l.provider == crate::model::Provider::GatewayApi
        });
        let mut chain = Chain::new(Target {
            domain: domain.clone(),
            path: path.clone(),
            scheme: scheme(args.scheme, tls),
        });
        chain.layers = out.layers;
        chain.gaps = out.gaps;
        chain.drift = out.drift;
        // Reported (and printed) with the policy's notices by `judge`.
        chain.notices = out.notices;
        ctx.apply_heartbeat(&mut chain, heartbeat);
        let judged = ctx.judge(chain)?;
        return ctx.emit(&judged);
    }

    let manifests = read_manifests(&args.manifests)?;
    for n in &manifests.notices {
        ctx.info(n);
    }
    let (listed, notes) = websocket_routes(&manifests, &ctx.config.websocket_paths);
    for n in &notes {
        ctx.info(n);
    }
    ctx.info(&format!(
        "{} WebSocket routes in {} files",
        listed.len(),
        manifests.files.len()
    ));
    if global.verbose >= 1 {
        for l in &listed {
            ctx.info(&format!("{}: {}", l.layer.name, l.why));
        }
    }
    let none_found = listed.is_empty().then(|| {
        "no Ingress route looks like a WebSocket endpoint (no path, Service or port name says ws, socket, cable, hub, live, …, no appProtocol kubernetes.io/ws): nothing was judged; give --domain D --path P to judge the route your clients dial".to_string()
    });
    let chains: Vec<Chain> = listed
        .into_iter()
        .map(|l| {
            let mut chain = single_layer_chain(l.layer, "*", "/*", None);
            chain.target.scheme = scheme(args.scheme, l.tls);
            ctx.apply_heartbeat(&mut chain, heartbeat);
            chain
        })
        .collect();
    let all_scheme = if !chains.is_empty() && chains.iter().all(|c| c.target.scheme == Scheme::Ws) {
        Scheme::Ws
    } else {
        Scheme::Wss
    };
    let judged = ctx.pack.evaluate_all(&chains, &ctx.config)?;
    let mut all = Chain::new(Target {
        domain: "*".into(),
        path: "/*".into(),
        scheme: all_scheme,
    });
    for chain in chains {
        all.heartbeat = chain.heartbeat;
        all.layers.extend(chain.layers);
    }
    let mut notices = manifests.notices;
    notices.extend(notes);
    notices.extend(none_found);
    ctx.emit_listing(all, judged, notices)
}
