//! `wsaudit chain --domain D --path P`: discover the layers serving a WebSocket endpoint, read
//! them concurrently, and judge the chain like `audit` judges a saved one.

use super::audit::heartbeat_flag;
use super::{env, CommandError, Context};
use crate::cli::SchemeArg;
use crate::cli::{ChainArgs, GlobalArgs};
use crate::discover::{
    aws_task, caddy_task, cloudflare_task, discover, haproxy_task, k8s_task, mark_audited,
    nginx_task, other_routes, request_after_edge, request_behind_haproxy, request_for_proxies,
    AwsSource, ChainRequest, K8sSource, NginxSource, DEFAULT_NGINX_CONF,
};
use crate::model::{parse_duration, Gap, GapCode, Provider, Scheme, Seconds};
use crate::providers::aws::AwsOptions;
use crate::providers::cloudflare::ZonePin;
use crate::providers::nginx::Input;
use crate::providers::probe::{explains_cut, merge_probe, probe, ProbeOptions};
use std::time::Duration;

pub fn run(global: &GlobalArgs, args: &ChainArgs) -> Result<u8, CommandError> {
    let mut ctx = Context::load(global)?;
    let req = chain_request(args)?;
    let flag = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(format!("cannot start the async runtime: {e}")))?;
    ctx.info(&format!("reading the chain for {}{}", req.domain, req.path));
    let probe_opts = probe_options(&req, args)?;
    let cloudflare = env::cloudflare_client().map_err(|e| e.to_string());
    let pin = args.cloudflare_zone.as_deref().map(ZonePin::parse);
    let behind = Behind {
        nginx: nginx_source(args),
        haproxy: args.haproxy_conf.clone().map(|f| (f, env::haproxy_bin())),
        k8s: k8s_source(args),
        caddy: args
            .caddy_conf
            .as_deref()
            .map(|f| super::caddy::read_input(f).map(|i| (i.file, i.json, i.version))),
    };
    // The probe runs beside the providers: an idle hold of minutes should not wait for them.
    let ((found, routes), probed) = runtime.block_on(async {
        let probing = async {
            match &probe_opts {
                Some(o) => Some(probe(o).await),
                None => None,
            }
        };
        let reading = async {
            // The edge first: a Cloudflare record names the next hop (an ALB's DNS name, or a
            // host name Route 53 leads to one), which is where the AWS walk starts. Without
            // Cloudflare configured this step answers at once. The proxies behind (nginx,
            // HAProxy, Caddy) come last: an Origin Rule or pool origin may rewrite the Host
            // they select by, a load balancer's rule the host and path (ALB transforms), and
            // their configurations are read in milliseconds.
            let started = std::time::Instant::now();
            let edge = discover(&req, vec![cloudflare_task(&req, cloudflare, pin)]).await;
            let mut found = walk_behind(&req, &edge, &behind, None).await;
            // Every other target the domain's record sets send clients to is walked the same
            // way, at once, from the same edge.
            let others = other_routes(&req, &mut found);
            let routes = futures_util::future::join_all(
                others
                    .iter()
                    .map(|r| walk_behind(&req, &edge, &behind, Some(r.target.clone()))),
            )
            .await;
            found.elapsed = started.elapsed();
            (found, others.into_iter().zip(routes).collect::<Vec<_>>())
        };
        tokio::join!(reading, probing)
    });
    for t in &found.timings {
        ctx.debug(&format!("provider {} took {:?}", t.name, t.elapsed));
    }
    ctx.debug(&format!("chain read in {:?}", found.elapsed));
    let mut chain = found.chain;
    // The load balancer the manifests declare and the live one: one layer, and drift where
    // they differ.
    crate::providers::k8s::fold_declared(&mut chain);
    // Each route's chain names the choice it was walked for (the edge's own split is in every
    // clone of it; a route whose Route 53 read failed has none).
    let mut routes: Vec<crate::model::Chain> = routes
        .into_iter()
        .map(|(choice, d)| {
            let mut c = d.chain;
            c.route = Some(choice);
            c
        })
        .collect();
    match probed {
        None => {}
        Some(Ok(facts)) => {
            let tolerance = Seconds(ctx.config.thresholds.explain_tolerance_s);
            // The probe's connection took one of the routes: the one whose layers explain the
            // cut it measured (else the primary, as without routes). Judged on another route,
            // that cut would pass for an unseen hop.
            let took = std::iter::once(&chain)
                .chain(routes.iter())
                .position(|c| explains_cut(c, &facts, tolerance))
                .unwrap_or(0);
            let into = match took {
                0 => &mut chain,
                n => &mut routes[n - 1],
            };
            let via = into
                .route
                .as_ref()
                .filter(|_| took > 0)
                .map(|r| format!(" on the route {}", r.label()))
                .unwrap_or_default();
            let merged = merge_probe(into, facts, tolerance);
            if let Some(layer) = merged.explained_by {
                ctx.info(&format!("the measured idle cut matches {layer}{via}"));
            }
            if let (Some(layer), Some(cut)) = (merged.added_layer, merged.unexplained_cut_s) {
                ctx.info(&format!(
                    "no layer read explains the measured cut at {cut}: the chain gains `{layer}` for the hop that cut"
                ));
            }
        }
        Some(Err(e)) => chain.gaps.push(Gap {
            layer: "probe".into(),
            provider: Provider::Probe,
            reason: e.to_string(),
            code: GapCode::ProbeFailed,
        }),
    }
    if let Some(plan) = &args.terraform_plan {
        add_planned(&ctx, &mut chain, plan, args.tf_dir.as_deref())?;
    }
    if let Some(template) = &args.cloudformation {
        add_planned(&ctx, &mut chain, template, None)?;
    }
    if !args.logs.is_empty() {
        super::logs::chain_logs(&ctx, &mut chain, args, nginx_source(args).map(|n| n.input))?;
    }
    mark_audited(&mut chain, &mut routes);
    for r in &mut routes {
        crate::providers::k8s::fold_declared(r);
        ctx.apply_heartbeat(r, flag);
    }
    ctx.apply_heartbeat(&mut chain, flag);
    let mut judged = ctx.judge(chain)?;
    let judged_routes = ctx.judge_routes(routes)?;
    judged.report.add_routes(judged_routes);
    ctx.emit(&judged)
}

/// What the proxies behind the edge and AWS are read from, for each route walked.
struct Behind {
    nginx: Option<NginxSource>,
    haproxy: Option<(String, String)>,
    k8s: Option<K8sSource>,
    caddy: Option<crate::discover::CaddyConfig>,
}

/// The AWS layers behind the edge (following the pool origin or record set that sends clients
/// to `route_target`, else the preferred one), then the proxies behind them.
async fn walk_behind(
    req: &ChainRequest,
    edge: &crate::discover::Discovered,
    behind: &Behind,
    route_target: Option<String>,
) -> crate::discover::Discovered {
    let mut found = edge.clone();
    let mut routed = req.clone();
    routed.route_target = route_target;
    let next = request_after_edge(&routed, edge);
    let aws = discover(
        &next,
        vec![aws_task(
            &next,
            AwsSource::StandardChain,
            AwsOptions::default(),
        )],
    )
    .await;
    found.absorb(aws);
    let inner = request_for_proxies(req, &found);
    let mut inner_tasks = vec![
        nginx_task(
            &request_behind_haproxy(&inner, behind.haproxy.is_some()),
            behind.nginx.clone(),
        ),
        haproxy_task(&inner, behind.haproxy.clone()),
        caddy_task(&inner, behind.caddy.clone()),
    ];
    inner_tasks.extend(behind.k8s.clone().map(|k| k8s_task(&inner, k)));
    found.absorb(discover(&inner, inner_tasks).await);
    found
}

/// `--terraform-plan`/`--cloudformation`: the planned chain for the same domain and path fills
/// in the layers nothing live read, and each live value that differs from its planned one is
/// drift.
fn add_planned(
    ctx: &Context,
    chain: &mut crate::model::Chain,
    file: &str,
    tf_dir: Option<&str>,
) -> Result<(), CommandError> {
    let inv = super::iac::read_inventory(ctx, file, tf_dir)?;
    let planned = crate::providers::iac::planned_chains(
        &inv,
        Some((&chain.target.domain, &chain.target.path)),
        chain.target.scheme,
    );
    let Some(p) = planned.first() else {
        ctx.info(&format!(
            "{file}: nothing in the code serves {}: no planned layer added",
            chain.target.domain
        ));
        return Ok(());
    };
    for n in &p.notes {
        ctx.info(n);
    }
    let before = chain.drift.len();
    crate::providers::iac::merge_planned(chain, &p.chain);
    ctx.info(&format!(
        "{file}: {} planned layers (from {}), {} settings drift from the code",
        p.chain.layers.len(),
        p.entry,
        chain.drift.len() - before
    ));
    Ok(())
}

/// The request the flags describe, validated (exit 2 on a bad value).
pub fn chain_request(args: &ChainArgs) -> Result<ChainRequest, CommandError> {
    let domain = args
        .domain
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if domain.is_empty()
        || domain
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '*'))
    {
        return Err(CommandError::Usage(format!(
            "--domain {:?}: expected a host name such as ws.example.com",
            args.domain
        )));
    }
    if !args.path.starts_with('/') {
        return Err(CommandError::Usage(format!(
            "--path {:?}: must start with /",
            args.path
        )));
    }
    let timeout = parse_duration(&args.timeout)
        .map_err(|m| CommandError::Usage(format!("--timeout: {m}")))?;
    if timeout.0 <= 0.0 {
        return Err(CommandError::Usage("--timeout must be above zero".into()));
    }
    Ok(ChainRequest {
        domain,
        path: args.path.clone(),
        scheme: match args.scheme {
            SchemeArg::Ws => Scheme::Ws,
            SchemeArg::Wss => Scheme::Wss,
        },
        heartbeat: None,
        alb: args.alb.clone(),
        cloudfront: args.cloudfront.clone(),
        via: None,
        host_header: None,
        route_target: None,
        port: None,
        regions: args.regions.clone(),
        timeout: Duration::from_secs_f64(timeout.0),
        aws_in_env: env::aws_in_env(),
    })
}

fn k8s_source(args: &ChainArgs) -> Option<K8sSource> {
    if args.k8s.is_none() && args.ingress_nginx_conf.is_none() {
        return None;
    }
    Some(K8sSource {
        manifests: args.k8s.clone(),
        generated_conf: args.ingress_nginx_conf.clone(),
        nginx_version: args.nginx_version.clone(),
        read_threads: env::nginx_read_threads(),
    })
}

fn nginx_source(args: &ChainArgs) -> Option<NginxSource> {
    if args.no_nginx {
        return None;
    }
    let input = match (&args.nginx_conf, &args.nginx_dump) {
        (Some(conf), _) => Input::File(conf.clone()),
        (None, Some(dump)) => Input::Dump(dump.clone()),
        (None, None) if std::path::Path::new(DEFAULT_NGINX_CONF).exists() => {
            Input::File(DEFAULT_NGINX_CONF.to_string())
        }
        (None, None) => return None,
    };
    Some(NginxSource {
        input,
        version: args.nginx_version.clone(),
        nginx_bin: env::nginx_bin(),
        read_threads: env::nginx_read_threads(),
    })
}

/// `--probe [--probe-idle MAX]`: the URL clients dial, probed like `wsaudit probe` does.
fn probe_options(
    req: &ChainRequest,
    args: &ChainArgs,
) -> Result<Option<ProbeOptions>, CommandError> {
    if !args.probe {
        return Ok(None);
    }
    let scheme = match req.scheme {
        Scheme::Ws => "ws",
        Scheme::Wss => "wss",
    };
    let url = args
        .probe_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}{}", req.domain, req.path));
    let mut o = ProbeOptions::new(url);
    if let Some(idle) = &args.probe_idle {
        let d =
            parse_duration(idle).map_err(|m| CommandError::Usage(format!("--probe-idle: {m}")))?;
        o.idle = Some(Duration::from_secs_f64(d.0));
    }
    Ok(Some(o))
}
