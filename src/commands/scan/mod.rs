//! `wsaudit scan`: the scheduled compliance scan. Every API is read once into inventories (per
//! AWS account × region, per Cloudflare token, per nginx configuration); the targets are the
//! declared `[[target]]`s plus what the inventories route; each target's chain is resolved over
//! the inventories without further I/O, in the order `chain` reads a live one
//! (`discover::walk_inventories`), judged, and the scan reported as one document.

mod accounts;
mod progress;
mod targets;

use super::env;
use super::run_context::fail_on_severity;
use super::{CommandError, Context};
use crate::cli::{GlobalArgs, ScanArgs};
use crate::discover::{
    caddy_task, discover, haproxy_task, ready_task, request_behind_haproxy, request_for_proxies,
    resolve_nginx, walk_inventories, AwsInventory, ChainRequest, CloudflareInventory, Inventories,
    NginxInventory, NginxSource,
};
use crate::model::{parse_duration, Chain, NotConsulted, Provider, Scheme};
use crate::policy::{suppress_per_chain, Evaluation, Severity};
use crate::providers::aws::AwsOptions;
use crate::providers::calls::{CallCounter, RateBudget};
use crate::providers::cloudflare::ZonePin;
use crate::providers::nginx::Input;
use crate::report::scan::{ScanFinding, ScanReport, ScanTarget};
use crate::report::Report;
use futures_util::StreamExt;
use progress::Progress;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use targets::TargetSpec;

/// Two cores: a few inventory reads in flight keep both busy while the APIs answer.
const DEFAULT_CONCURRENCY: usize = 8;

pub fn run(global: &GlobalArgs, args: &ScanArgs) -> Result<u8, CommandError> {
    let mut ctx = Context::load(global)?;
    let scan = ctx.config.scan.clone();
    let shard = targets::shard(
        args.shard.as_deref(),
        env::job_completion_index().as_deref(),
        args.shard_count,
    )
    .map_err(CommandError::Usage)?;
    let timeout = parse_duration(&args.timeout)
        .map_err(|m| CommandError::Usage(format!("--timeout: {m}")))?;
    if timeout.0 <= 0.0 {
        return Err(CommandError::Usage("--timeout must be above zero".into()));
    }
    let timeout = Duration::from_secs_f64(timeout.0);
    let concurrency = args
        .concurrency
        .or(scan.concurrency)
        .unwrap_or(DEFAULT_CONCURRENCY);
    if concurrency == 0 {
        return Err(CommandError::Usage(
            "--concurrency must be at least 1".into(),
        ));
    }
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;
    if scan.targets.is_empty() && scan.discover.is_empty() {
        return Err(CommandError::Usage(
            "nothing to scan: the settings declare no [[target]] and no [scan] discover \
             (see `wsaudit scan --help` and the README's \"Scheduled compliance scans\")"
                .into(),
        ));
    }
    let wants = |s: &str| scan.discover.iter().any(|d| d == s);
    if wants("nginx") && scan.nginx_confs.is_empty() {
        return Err(CommandError::Usage(
            "[scan] discover has \"nginx\" but no `nginx_conf` names the configuration to list"
                .into(),
        ));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(format!("cannot start the async runtime: {e}")))?;
    let started = Instant::now();
    let counter = CallCounter::new();
    let progress = Progress::new(!global.no_progress && !global.quiet);

    // 1. Inventories: every API read once.
    let aws_accounts = if scan.aws_accounts.is_empty() && env::aws_in_env() {
        vec![accounts::ambient_account()]
    } else {
        scan.aws_accounts.clone()
    };
    let cf_accounts = if scan.cloudflare_accounts.is_empty()
        && env::var(crate::providers::cloudflare::TOKEN_ENV).is_some_and(|t| !t.trim().is_empty())
    {
        vec![accounts::ambient_cloudflare()]
    } else {
        scan.cloudflare_accounts.clone()
    };
    progress.phase("inventory", (aws_accounts.len() + cf_accounts.len()) as u64);
    let read = runtime.block_on(read_inventories(
        &aws_accounts,
        &cf_accounts,
        &counter,
        timeout,
        concurrency,
        &progress,
    ));
    progress.finish();
    let unread = read.unread();
    for u in &unread {
        ctx.info(&format!("could not read: {u}"));
    }
    let (inventories, readable) = read.inventories();
    let mut nginx: BTreeMap<String, NginxInventory> = BTreeMap::new();
    let nginx_files = scan
        .nginx_confs
        .iter()
        .chain(scan.targets.iter().filter_map(|t| t.nginx_conf.as_ref()));
    for f in nginx_files {
        nginx
            .entry(f.clone())
            .or_insert_with(|| NginxInventory::read(&nginx_source(f)));
    }
    ctx.info(&format!(
        "inventory read in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        calls_line(&counter.per_service())
    ));

    // 2. Targets: declared, then discovered.
    let mut discovered = Vec::new();
    if let Some(aws) = &inventories.aws {
        discovered.extend(aws.routes().into_iter().filter(|r| {
            (wants("alb") && r.from.starts_with("alb"))
                || (wants("cloudfront") && r.from.starts_with("cloudfront"))
        }));
    }
    if let (true, Some(cf)) = (wants("cloudflare"), &inventories.cloudflare) {
        discovered.extend(cf.routes());
    }
    if wants("nginx") {
        for f in &scan.nginx_confs {
            if let Some(inv) = nginx.get(f) {
                discovered.extend(inv.routes(&ctx.config.websocket_paths));
            }
        }
    }
    let all = targets::plan(&scan.targets, &discovered, &ctx.config.websocket_paths);
    let total = all.len();
    let specs = match shard {
        Some((i, n)) => targets::of_shard(all, i, n),
        None => all,
    };
    // Inventories of nginx files that routes named at a `file:line` (a discovered location).
    for t in &specs {
        if let Some(f) = &t.nginx_conf {
            let file = nginx_file(f);
            nginx
                .entry(file.to_string())
                .or_insert_with(|| NginxInventory::read(&nginx_source(file)));
        }
    }
    let declared = specs.iter().filter(|t| t.source.kind == "declared").count();
    ctx.info(&format!(
        "{} targets ({declared} declared, {} discovered){}",
        specs.len(),
        specs.len() - declared,
        shard
            .map(|(i, n)| format!(", shard {}/{n} of {total}", i + 1))
            .unwrap_or_default()
    ));
    if args.list_targets {
        let mut text = String::new();
        for t in &specs {
            text.push_str(&format!("{}\t{}\t{}\n", t.id, t.source.kind, t.source.from));
        }
        ctx.write(&text)?;
        return Ok(0);
    }

    // 3. Each target's chain over the inventories.
    progress.phase("targets", specs.len() as u64);
    let chains = runtime.block_on(resolve_all(
        &specs,
        (&inventories, &readable),
        &nginx,
        timeout,
        concurrency,
    ));
    // A target whose DNS sends clients to several entry points is one scan target per entry
    // point, each with its own chain, findings and fingerprints: the one most clients get keeps
    // the target's id, the others are `ID via TARGET`.
    let mut flat_specs = Vec::new();
    let mut flat_chains: Vec<Chain> = Vec::new();
    for (cs, t) in chains.into_iter().zip(specs) {
        for (i, mut c) in cs.into_iter().enumerate() {
            let mut spec = t.clone();
            if let (true, Some(r)) = (i > 0, &c.route) {
                spec.id = format!("{} via {}", t.id, r.target);
            }
            // The target's own heartbeat stands where `chain`'s --heartbeat would.
            let declared = spec.heartbeat.as_ref().map(|h| (h.interval, h.direction));
            ctx.apply_heartbeat(&mut c, declared);
            flat_specs.push(spec);
            flat_chains.push(c);
        }
    }
    let (specs, chains) = (flat_specs, flat_chains);
    progress.set_total(chains.len() as u64);

    // 4. Judged, each on its own, then reported as one scan.
    let evaluations = ctx.pack.evaluate_each(
        &chains,
        &ctx.config,
        concurrency.min(crate::parallel::threads()),
        &|i| progress.step(!chains[i].gaps.is_empty() || chains[i].layers.is_empty()),
    )?;
    progress.finish();
    let (evaluations, notices) = suppress_per_chain(evaluations, &ctx.config);
    for n in &notices {
        ctx.info(n);
    }
    let fail_on = fail_on_severity(global.fail_on);
    let targets: Vec<ScanTarget> = specs
        .into_iter()
        .zip(chains)
        .zip(evaluations)
        .map(|((spec, chain), ev)| scan_target(spec, chain, ev, fail_on))
        .collect();
    let report = ScanReport::new(
        targets,
        baseline.as_ref(),
        fail_on,
        args.fail_on_new,
        counter.per_service(),
        shard.map(|(i, n)| format!("{}/{n}", i + 1)),
    );
    let mut report = report;
    report.set_unread(unread);
    let s = &report.scan.summary;
    ctx.info(&format!(
        "scanned {} targets in {:.1} s: {} findings ({} new, {} fixed), {} incomplete; API calls: {}",
        s.targets,
        started.elapsed().as_secs_f64(),
        s.findings,
        s.new,
        s.fixed,
        s.incomplete,
        calls_line(&report.scan.api_calls)
    ));
    for (op, n) in counter.per_operation() {
        ctx.debug(&format!("API {op}: {n}"));
    }
    ctx.emit_scan(&report)
}

/// `elasticloadbalancing 120, cloudfront 14, route53 9`.
fn calls_line(calls: &BTreeMap<String, u64>) -> String {
    if calls.is_empty() {
        return "none".into();
    }
    calls
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_baseline(path: &std::path::Path) -> Result<ScanReport, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| CommandError::io(path.display(), e))?;
    serde_json::from_str(&text).map_err(|e| CommandError::Io {
        path: format!("{}:{}:{}", path.display(), e.line(), e.column()),
        message: format!("not a wsaudit scan report (`wsaudit scan --format json`): {e}"),
    })
}

/// Accounts and tokens read at once, `concurrency` at a time; each account's regions share
/// one budget per region and its global APIs one more.
async fn read_inventories(
    aws_accounts: &[crate::policy::AwsAccount],
    cf_accounts: &[crate::policy::CloudflareAccount],
    counter: &CallCounter,
    timeout: Duration,
    concurrency: usize,
    progress: &Progress,
) -> Read {
    let opts = AwsOptions::default();
    let aws = futures_util::stream::iter(aws_accounts)
        .map(|a| {
            let opts = &opts;
            async move {
                // Credentials (an assumed role) share the account's deadline: an STS that
                // never answers is that account's fault, not a hung scan.
                let target =
                    match tokio::time::timeout(timeout, accounts::aws_account(a, opts, counter))
                        .await
                    {
                        Ok(t) => t,
                        Err(_) => accounts::AwsTarget {
                            label: accounts::label(a),
                            clients: Err(format!(
                                "its credentials did not resolve within {} s (--timeout; {})",
                                timeout.as_secs_f64(),
                                a.origin
                            )),
                            regions: a.regions.clone(),
                        },
                    };
                let inv = match &target.clients {
                    Err(reason) => AwsInventory::unreadable(&target.label, reason.clone()),
                    Ok(clients) => {
                        let budgets: BTreeMap<String, RateBudget> = target
                            .regions
                            .iter()
                            .map(|r| (r.clone(), RateBudget::elb()))
                            .collect();
                        let read = AwsInventory::read_account(
                            &target.label,
                            clients,
                            &target.regions,
                            opts,
                            |r| budgets.get(r).cloned().unwrap_or_else(RateBudget::elb),
                            RateBudget::global_aws(),
                        );
                        match tokio::time::timeout(timeout, read).await {
                            Ok(inv) => inv,
                            Err(_) => AwsInventory::unreadable(
                                &target.label,
                                format!(
                                    "reading the account did not finish within {} s (--timeout)",
                                    timeout.as_secs_f64()
                                ),
                            ),
                        }
                    }
                };
                progress.step(target.clients.is_err());
                inv
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let cf = futures_util::stream::iter(cf_accounts)
        .map(|a| async move {
            let target = accounts::cloudflare_account(a, env::var, counter);
            let inv = match &target.client {
                Err(reason) => CloudflareInventory::unreadable(&target.label, reason.clone()),
                Ok(client) => {
                    let read = CloudflareInventory::read_all(
                        &target.label,
                        client,
                        RateBudget::cloudflare(),
                    );
                    match tokio::time::timeout(timeout, read).await {
                        Ok(inv) => inv,
                        Err(_) => CloudflareInventory::unreadable(
                            &target.label,
                            format!(
                                "reading the zones did not finish within {} s (--timeout)",
                                timeout.as_secs_f64()
                            ),
                        ),
                    }
                }
            };
            progress.step(target.client.is_err());
            inv
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let (aws, cf) = tokio::join!(aws, cf);
    Read { aws, cf }
}

/// Every account's and token's inventory, as read.
struct Read {
    aws: Vec<AwsInventory>,
    cf: Vec<CloudflareInventory>,
}

impl Read {
    /// What could not be read, account by account and scope by scope: each is a gap on the
    /// targets it could serve, and the scan is incomplete for it even when no target
    /// happened to need it.
    fn unread(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.aws {
            out.extend(a.unreadable.iter().map(|e| e.to_string()));
            let scopes = a
                .regions
                .values()
                .flat_map(|r| r.listing.failures.iter())
                .chain(a.cloudfront.listing.failures.iter())
                .chain(a.route53.zone_scope.failures.iter());
            for e in scopes {
                let e = e.to_string();
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        for c in &self.cf {
            out.extend(c.unread());
        }
        out
    }

    /// All accounts as one (declared targets may live in any), and the readable ones only: an
    /// entry point discovered in an account is audited in it, so another account that could
    /// not be read is no gap on it (the scan lists that account as unread either way).
    fn inventories(self) -> (Inventories, Inventories) {
        let readable_aws: Vec<AwsInventory> = self
            .aws
            .iter()
            .filter(|a| a.unreadable.is_empty())
            .cloned()
            .collect();
        let merge_aws = |v: Vec<AwsInventory>| (!v.is_empty()).then(|| AwsInventory::merge(v));
        let cloudflare = (!self.cf.is_empty()).then(|| CloudflareInventory::merge(self.cf));
        (
            Inventories {
                aws: merge_aws(self.aws),
                cloudflare: cloudflare.clone(),
            },
            Inventories {
                aws: merge_aws(readable_aws),
                cloudflare,
            },
        )
    }
}

fn nginx_source(file: &str) -> NginxSource {
    NginxSource {
        input: Input::File(file.to_string()),
        version: None,
        nginx_bin: env::nginx_bin(),
        read_threads: env::nginx_read_threads(),
    }
}

/// A discovered location's `file:line` names the file.
fn nginx_file(f: &str) -> &str {
    match f.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => file,
        _ => f,
    }
}

fn request(t: &TargetSpec, timeout: Duration) -> ChainRequest {
    let mut req = ChainRequest::new(t.domain.clone(), t.path.clone());
    req.scheme = Scheme::Wss;
    req.alb = t.pins.alb.clone();
    req.cloudfront = t.pins.cloudfront.clone();
    req.timeout = timeout;
    req.aws_in_env = true;
    req
}

/// Every target's chain, `concurrency` at a time. The edge and AWS come from the inventories
/// (no I/O); the proxies behind from their files (nginx read once per file; HAProxy and Caddy
/// per target, as `chain` reads them).
async fn resolve_all(
    specs: &[TargetSpec],
    (all, readable): (&Inventories, &Inventories),
    nginx: &BTreeMap<String, NginxInventory>,
    timeout: Duration,
    concurrency: usize,
) -> Vec<Vec<Chain>> {
    futures_util::stream::iter(specs)
        .map(|t| async move {
            let req = request(t, timeout);
            let pin = t.pins.cloudflare_zone.as_deref().map(ZonePin::parse);
            let from_aws = t.source.kind == "discovered"
                && (t.source.from.starts_with("alb ") || t.source.from.starts_with("cloudfront "));
            let inv = if from_aws { readable } else { all };
            let mut found = resolve_one(t, &req, inv, pin.as_ref(), nginx).await;
            // Each other target the domain's record sets send clients to, as `chain` walks
            // them: over the same inventories, so at no extra API call.
            let others = crate::discover::other_routes(&req, &mut found);
            let mut chains = vec![found.chain];
            for choice in others {
                let mut r = req.clone();
                r.route_target = Some(choice.target.clone());
                let mut c = resolve_one(t, &r, inv, pin.as_ref(), nginx).await.chain;
                c.route = Some(choice);
                chains.push(c);
            }
            let (first, rest) = chains.split_at_mut(1);
            crate::discover::mark_audited(&mut first[0], rest);
            chains
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// One target's chain over the inventories, following `req`'s record set choice.
async fn resolve_one(
    t: &TargetSpec,
    req: &ChainRequest,
    inv: &Inventories,
    pin: Option<&ZonePin>,
    nginx: &BTreeMap<String, NginxInventory>,
) -> crate::discover::Discovered {
    let mut found = walk_inventories(req, inv, pin).await;
    let inner = request_for_proxies(req, &found);
    let mut tasks = Vec::new();
    match t
        .nginx_conf
        .as_deref()
        .map(nginx_file)
        .and_then(|f| nginx.get(f))
    {
        Some(n) => tasks.push(ready_task(
            "nginx",
            vec![("nginx".into(), Provider::Nginx)],
            resolve_nginx(n, &request_behind_haproxy(&inner, t.haproxy_conf.is_some())),
        )),
        None => found.chain.not_consulted.push(NotConsulted {
            provider: Provider::Nginx,
            reason: "the target names no nginx_conf and was not discovered in one".into(),
        }),
    }
    if let Some(f) = &t.haproxy_conf {
        tasks.push(haproxy_task(&inner, Some((f.clone(), env::haproxy_bin()))));
    }
    if let Some(f) = &t.caddy_conf {
        let input = super::caddy::read_input(f).map(|i| (i.file, i.json, i.version));
        tasks.push(caddy_task(&inner, Some(input)));
    }
    if !tasks.is_empty() {
        found.absorb(discover(&inner, tasks).await);
    }
    crate::providers::k8s::fold_declared(&mut found.chain);
    found
}

fn scan_target(
    spec: TargetSpec,
    chain: Chain,
    ev: Evaluation,
    fail_on: Option<Severity>,
) -> ScanTarget {
    let unresolved = chain.layers.is_empty().then(|| {
        let why: Vec<String> = chain
            .gaps
            .iter()
            .map(|g| format!("{}: {}", g.layer, g.reason))
            .chain(chain.not_consulted.iter().map(|n| n.reason.clone()))
            .collect();
        format!("no layer read serves it ({})", why.join("; "))
    });
    let findings: Vec<ScanFinding> = ev
        .findings
        .iter()
        .map(|f| ScanFinding {
            finding: f.clone(),
            fingerprint: String::new(),
            status: None,
            target: None,
        })
        .collect();
    let report = Report::new(
        chain.clone(),
        ev.findings,
        ev.suppressed,
        ev.notices,
        ev.rules_evaluated,
        fail_on,
    );
    ScanTarget {
        target: spec.id,
        source: spec.source,
        chain,
        findings,
        summary: report.summary,
        unresolved,
    }
}
