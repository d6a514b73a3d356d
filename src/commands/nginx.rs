//! `wsaudit nginx PATH [--domain D --path P]`: the nginx layer alone. With a domain and path,
//! the location nginx would pick, judged; without, every location that proxies WebSockets,
//! each judged on its own (cross-layer rules never compare two unrelated locations).
//! `wsaudit nginx parse PATH` prints the parse as crossplane's JSON.

use super::audit::heartbeat_flag;
use super::{env, CommandError, Context};
use crate::cli::{GlobalArgs, NginxAction, NginxArgs, SchemeArg};
use crate::model::{
    Chain, Heartbeat, HeartbeatDirection, HeartbeatSource, Layer, Scheme, Seconds, Target,
};
use crate::providers::nginx::{
    crossplane_payload, read_config_on, route, websocket_locations, Input, Query, VersionSource,
};

fn input(conf: Option<&str>, dump: Option<&str>) -> Result<Input, CommandError> {
    match (conf, dump) {
        (_, Some(d)) => Ok(Input::Dump(d.to_string())),
        (Some(c), None) => Ok(Input::File(c.to_string())),
        (None, None) => Err(CommandError::Usage(
            "give the nginx configuration PATH or --nginx-dump FILE".into(),
        )),
    }
}

pub fn run(global: &GlobalArgs, args: &NginxArgs) -> Result<u8, CommandError> {
    if let Some(NginxAction::Parse { conf, nginx_dump }) = &args.action {
        let cfg = read_config_on(
            &input(conf.as_deref(), nginx_dump.as_deref())?,
            env::nginx_read_threads(),
        )?;
        let ctx_free = crossplane_payload(&cfg) + "\n";
        return write_plain(global, &ctx_free);
    }
    if let Some(p) = &args.path {
        request_path(p)?;
    }
    let mut ctx = Context::load(global)?;
    let cfg = read_config_on(
        &input(args.conf.as_deref(), args.nginx_dump.as_deref())?,
        env::nginx_read_threads(),
    )?;
    let nginx_bin = env::nginx_bin();
    let version = VersionSource::detect(args.nginx_version.as_deref(), nginx_bin.as_deref())?;
    ctx.debug(&format!(
        "{} files read; {}",
        cfg.files.len(),
        version.describe()
    ));
    let heartbeat = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;

    if let (Some(domain), Some(path)) = (&args.domain, &args.path) {
        let routed = route(
            &cfg,
            &Query {
                host: domain.clone(),
                path: path.clone(),
                port: args.port,
            },
            &version,
        )?;
        ctx.info(&format!(
            "{domain}{path}: {} on {}, location {} ({})",
            routed.server_match,
            routed.socket,
            routed
                .location
                .as_deref()
                .unwrap_or("(none: nginx answers 404)"),
            routed.at
        ));
        for r in &routed.rewrites {
            ctx.info(r);
        }
        let mut chain = single_layer_chain(routed.layer, domain, path, None);
        chain.target.scheme = scheme(args.scheme, routed.scheme);
        ctx.apply_heartbeat(&mut chain, heartbeat);
        let judged = ctx.judge(chain)?;
        return ctx.emit(&judged);
    }

    let layers = websocket_locations(&cfg, &version, &ctx.config.websocket_paths)?;
    ctx.info(&format!(
        "{} WebSocket locations in {} files",
        layers.len(),
        cfg.files.len()
    ));
    // Which locations were taken for WebSocket endpoints, and why: with -v, since a tree of
    // thousands of servers would bury the report under them.
    if global.verbose >= 1 {
        for l in &layers {
            ctx.info(&format!("{} {}: {}", l.at, l.layer.name, l.why));
        }
    }
    // An empty listing is not a clean configuration: nothing was judged.
    let none_found = layers.is_empty().then(|| {
        "no location looks like a WebSocket endpoint (none that proxies forwards Upgrade, and no path or upstream name says ws, socket, cable, hub, live, …): nothing was judged; give --domain D --path P to judge the location your clients dial".to_string()
    });
    if let Some(n) = &none_found {
        ctx.info(n);
    }
    // The layers own what they need; the parsed tree (the size of the config) is not kept
    // while every location is judged.
    drop(cfg);
    // Each location is judged as its own one-layer chain; the report shows them together.
    let chains: Vec<Chain> = layers
        .into_iter()
        .map(|listed| {
            let mut chain = single_layer_chain(listed.layer, "*", "/*", None);
            chain.target.scheme = scheme(args.scheme, listed.scheme);
            ctx.apply_heartbeat(&mut chain, heartbeat);
            chain
        })
        .collect();
    // The merged report names one scheme: the flag's, else wss unless every location is
    // dialled over ws.
    let all_scheme = if chains.iter().all(|c| c.target.scheme == Scheme::Ws) && !chains.is_empty() {
        Scheme::Ws
    } else {
        Scheme::Wss
    };
    let judged = ctx.pack.evaluate_all(&chains, &ctx.config)?;
    let mut all = Chain::new(Target {
        domain: "*".into(),
        path: "/*".into(),
        scheme: scheme(args.scheme, all_scheme),
    });
    let mut merged_layers = Vec::with_capacity(chains.len());
    for chain in chains {
        all.heartbeat = chain.heartbeat;
        merged_layers.extend(chain.layers);
    }
    all.layers = merged_layers;
    ctx.emit_listing(all, judged, none_found.into_iter().collect())
}

/// The scheme clients dial: `--scheme`, else what the socket speaks.
fn scheme(flag: Option<SchemeArg>, socket: Scheme) -> Scheme {
    match flag {
        Some(SchemeArg::Ws) => Scheme::Ws,
        Some(SchemeArg::Wss) => Scheme::Wss,
        None => socket,
    }
}

/// A request path is what follows the host in the URL a client dials: `ws` alone would make
/// the target `wss://hostws`, a URL nobody dials, so it is refused with the fix.
pub(super) fn request_path(p: &str) -> Result<(), CommandError> {
    if p.starts_with('/') {
        return Ok(());
    }
    Err(CommandError::Usage(format!(
        "--path {p:?} must start with \"/\" (the path as the client sends it, e.g. --path /{p})"
    )))
}

/// A one-layer chain for judging an nginx layer on its own: the target is the server and
/// location the layer was built for, the heartbeat the one the user declared.
pub fn single_layer_chain(
    layer: Layer,
    domain: &str,
    path: &str,
    heartbeat: Option<Seconds>,
) -> Chain {
    let mut chain = Chain::new(Target {
        domain: domain.to_string(),
        path: path.to_string(),
        scheme: Scheme::Wss,
    });
    chain.heartbeat = heartbeat.map(|interval_s| Heartbeat {
        interval_s,
        direction: HeartbeatDirection::Both,
        source: HeartbeatSource::Declared,
    });
    chain.layers.push(layer);
    chain
}

fn write_plain(global: &GlobalArgs, text: &str) -> Result<u8, CommandError> {
    match &global.output {
        Some(p) => std::fs::write(p, text).map_err(|e| CommandError::io(p.display(), e))?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
    Ok(0)
}
