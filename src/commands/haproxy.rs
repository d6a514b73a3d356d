//! `wsaudit haproxy FILE [--domain D --path P]`: the HAProxy layer alone. With a domain and
//! path, the frontend → backend pair HAProxy routes that handshake to, judged; without, every
//! pair the configuration can route to, each judged on its own.

use super::audit::heartbeat_flag;
use super::nginx::single_layer_chain;
use super::{env, CommandError, Context};
use crate::cli::{GlobalArgs, HaproxyArgs, SchemeArg};
use crate::model::{Chain, Scheme, Target};
use crate::providers::haproxy::{check, pairs, read_config, route, Query};

fn scheme_of(flag: Option<SchemeArg>) -> Option<Scheme> {
    flag.map(|s| match s {
        SchemeArg::Ws => Scheme::Ws,
        SchemeArg::Wss => Scheme::Wss,
    })
}

pub fn run(global: &GlobalArgs, args: &HaproxyArgs) -> Result<u8, CommandError> {
    if let Some(p) = &args.path {
        super::nginx::request_path(p)?;
    }
    let mut ctx = Context::load(global)?;
    let cfg = read_config(&args.conf)?;
    if !check(&env::haproxy_bin(), &args.conf)? {
        ctx.info("no haproxy binary here: the file was not checked with `haproxy -c`");
    }
    let heartbeat = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;

    if let (Some(domain), Some(path)) = (&args.domain, &args.path) {
        let routed = route(
            &cfg,
            &Query {
                host: domain.clone(),
                path: path.clone(),
                scheme: scheme_of(args.scheme),
                port: args.port,
            },
        )?;
        ctx.info(&format!(
            "{domain}{path}: frontend {} → backend {}",
            routed.frontend,
            routed
                .backend
                .as_deref()
                .unwrap_or("(none: the frontend answers)")
        ));
        for n in &routed.notes {
            ctx.info(n);
        }
        let mut chain = single_layer_chain(routed.layer, domain, path, None);
        chain.target.scheme = routed.scheme;
        ctx.apply_heartbeat(&mut chain, heartbeat);
        let judged = ctx.judge(chain)?;
        return ctx.emit(&judged);
    }

    let all_routes = pairs(&cfg);
    let count = all_routes.len();
    // Only the routes that carry WebSockets are judged: an API or static backend has no
    // business with a WebSocket idle timeout.
    let listed: Vec<_> = all_routes
        .into_iter()
        .filter(|r| r.websocket.is_some())
        .collect();
    ctx.info(&format!(
        "{} of {count} frontend → backend routes in {} carry WebSockets",
        listed.len(),
        args.conf
    ));
    if global.verbose >= 1 {
        for r in &listed {
            ctx.info(&format!(
                "{}: {} ({})",
                r.layer.name,
                r.notes.join("; "),
                r.websocket.as_deref().unwrap_or_default()
            ));
        }
    }
    let none_found = listed.is_empty().then(|| {
        format!("no route in {} looks like a WebSocket endpoint (no condition tests the Upgrade header, and no path or backend name says ws, socket, cable, hub, live, …): nothing was judged; give --domain D --path P to judge the route your clients take", args.conf)
    });
    if let Some(n) = &none_found {
        ctx.info(n);
    }
    let chains: Vec<Chain> = listed
        .into_iter()
        .map(|r| {
            let mut chain = single_layer_chain(r.layer, "*", "/*", None);
            chain.target.scheme = scheme_of(args.scheme).unwrap_or(r.scheme);
            ctx.apply_heartbeat(&mut chain, heartbeat);
            chain
        })
        .collect();
    let judged = ctx.pack.evaluate_all(&chains, &ctx.config)?;
    let mut all = Chain::new(Target {
        domain: "*".into(),
        path: "/*".into(),
        scheme: scheme_of(args.scheme).unwrap_or(Scheme::Wss),
    });
    for chain in chains {
        all.heartbeat = chain.heartbeat;
        all.layers.extend(chain.layers);
    }
    ctx.emit_listing(all, judged, none_found.into_iter().collect())
}
