//! `wsaudit logs FILE…|-|s3://…`: read access logs into log facts, put them on a chain (a
//! saved one, the nginx location that writes the log, or none), judge it with the WS8xx rules
//! and the rest of the pack, and optionally draw the SVG plot. `chain --logs` comes through
//! [`add_logs`] too.

use super::audit::heartbeat_flag;
use super::{env, CommandError, Context};
use crate::cli::{GlobalArgs, LogFormatArg, LogsArgs};
use crate::model::{load_chain, Chain, Gap, GapCode, Layer, Provider, Scheme, Seconds, Target};
use crate::providers::aws::{sdk_loader, AwsOptions};
use crate::providers::logs::{
    self, merge_logs, parse_iso8601, s3, LogError, LogKind, NginxFormat, ReadOptions, Source,
};
use crate::providers::nginx::{
    access_log_formats, format_for_file, named_log_format, read_config_on, route, websocket_layers,
    Config, Input, Query, VersionSource, COMBINED,
};
use crate::report;
use std::io::Read;
use std::sync::Arc;

pub fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<u8, CommandError> {
    let mut ctx = Context::load(global)?;
    let since = time_flag("--since", args.since.as_deref())?;
    let until = time_flag("--until", args.until.as_deref())?;
    let nginx_input = match (&args.nginx_conf, &args.nginx_dump) {
        (Some(c), _) => Some(Input::File(c.clone())),
        (None, Some(d)) => Some(Input::Dump(d.clone())),
        (None, None) => None,
    };
    let cfg = nginx_input
        .as_ref()
        .map(|i| read_config_on(i, env::nginx_read_threads()))
        .transpose()?;
    let mut chain = match (&args.chain, &cfg) {
        (Some(path), _) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| CommandError::io(&name, e))?;
            load_chain(&text, &name)?
        }
        _ => Chain::new(Target {
            domain: args.domain.clone().unwrap_or_default(),
            path: args.path.clone().unwrap_or_else(|| "/".into()),
            scheme: Scheme::Wss,
        }),
    };
    // The layers a lifetime peak may be matched to: with a configuration, the location nginx
    // picks for --domain/--path, else the WebSocket locations that write this log.
    let mut candidates: Vec<Layer> = Vec::new();
    let mut routed_log: Option<String> = None;
    if let Some(cfg) = &cfg {
        let version = VersionSource::detect(None, env::nginx_bin().as_deref())?;
        if let (Some(domain), Some(path)) = (&args.domain, &args.path) {
            let r = route(
                cfg,
                &Query {
                    host: domain.clone(),
                    path: path.clone(),
                    port: None,
                },
                &version,
            )?;
            chain.target.scheme = r.scheme;
            routed_log = r
                .layer
                .access_log
                .value
                .as_ref()
                .and_then(|a| a.destination.clone());
            candidates.push(r.layer);
        } else {
            let file = args.inputs.iter().find(|i| is_local(i)).cloned();
            candidates = websocket_layers(cfg, &version)?
                .into_iter()
                .filter(|l| {
                    let dest = l
                        .access_log
                        .value
                        .as_ref()
                        .and_then(|a| a.destination.clone());
                    match (&file, dest) {
                        (Some(f), Some(d)) => same_log(f, &d),
                        _ => false,
                    }
                })
                .collect();
        }
    }
    let (format, origin) = nginx_format(
        cfg.as_ref(),
        args.nginx_log_format.as_deref(),
        routed_log
            .as_deref()
            .or(args.inputs.iter().find(|i| is_local(i)).map(String::as_str)),
    )?;
    let opts = read_options(args.log_format, &format, origin)?;
    let runtime = runtime()?;
    let facts = read_logs_into(
        &ctx,
        &mut chain,
        &args.inputs,
        &opts,
        (since, until),
        &runtime,
    )?;
    if let Some(facts) = facts {
        // With a configuration and no saved chain: a single candidate is the chain; of several,
        // those whose timeout a peak sits at (the location that cuts).
        if args.chain.is_none() && !candidates.is_empty() {
            let tolerance = ctx.config.thresholds.explain_tolerance_s;
            let near =
                |v: Option<Seconds>, t: Seconds| v.is_some_and(|v| (v.0 - t.0).abs() <= tolerance);
            let keep: Vec<Layer> = if candidates.len() == 1 {
                candidates
            } else {
                candidates
                    .into_iter()
                    .filter(|l| {
                        facts.peaks.iter().any(|p| {
                            near(l.idle_timeout.value, p.at_s) || near(l.max_duration.value, p.at_s)
                        })
                    })
                    .collect()
            };
            chain.layers.extend(keep);
        }
        merge_into(&ctx, &mut chain, facts, &args.inputs);
    }
    fill_target(&mut chain);
    let flag = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;
    ctx.apply_heartbeat(&mut chain, flag);
    let mut judged = ctx.judge(chain)?;
    if let Some(path) = &args.plot {
        let logs = judged.report.chain.logs.as_ref();
        let svg = logs.map(report::plot::svg).unwrap_or_default();
        if svg.is_empty() {
            ctx.info("--plot: the logs hold no lifetimes or disconnects to draw");
        } else {
            std::fs::write(path, svg).map_err(|e| CommandError::io(path.display(), e))?;
            judged.report.plot = Some(path.display().to_string());
        }
    }
    ctx.emit(&judged)
}

/// `chain --logs`: reads the logs (nginx lines in the format the chain's nginx configuration
/// gives them) and puts their facts on `chain`, peaks matched to its layers.
pub fn chain_logs(
    ctx: &Context,
    chain: &mut Chain,
    args: &crate::cli::ChainArgs,
    nginx: Option<Input>,
) -> Result<(), CommandError> {
    let cfg = nginx
        .as_ref()
        .map(|i| read_config_on(i, env::nginx_read_threads()))
        .transpose()?;
    let dest = chain
        .layers
        .iter()
        .find(|l| l.provider == Provider::Nginx)
        .and_then(|l| l.access_log.value.as_ref())
        .and_then(|a| a.destination.clone());
    let local = args.logs.iter().find(|i| is_local(i)).cloned();
    let (format, origin) = nginx_format(cfg.as_ref(), None, dest.as_deref().or(local.as_deref()))?;
    let opts = read_options(args.log_format, &format, origin)?;
    let runtime = runtime()?;
    if let Some(facts) = read_logs_into(ctx, chain, &args.logs, &opts, (None, None), &runtime)? {
        merge_into(ctx, chain, facts, &args.logs);
    }
    Ok(())
}

fn read_options(
    forced: Option<LogFormatArg>,
    format: &str,
    origin: Option<String>,
) -> Result<ReadOptions, CommandError> {
    Ok(ReadOptions {
        forced: forced.map(kind),
        nginx: Arc::new(NginxFormat::compile(format).map_err(|m| {
            CommandError::Usage(format!(
                "{}: the log_format cannot be parsed: {m}",
                origin.as_deref().unwrap_or("combined")
            ))
        })?),
        nginx_origin: origin,
        threads: env::log_threads(),
    })
}

fn merge_into(ctx: &Context, chain: &mut Chain, facts: crate::model::LogFacts, inputs: &[String]) {
    let m = merge_logs(
        chain,
        facts,
        Seconds(ctx.config.thresholds.explain_tolerance_s),
        &source_label(inputs),
    );
    report_merge(ctx, &m);
}

/// Reads `inputs` into log facts; S3 reads that fail become gaps on `chain`. None when no
/// source could be read.
fn read_logs_into(
    ctx: &Context,
    chain: &mut Chain,
    inputs: &[String],
    opts: &ReadOptions,
    (since, until): (Option<f64>, Option<f64>),
    runtime: &tokio::runtime::Runtime,
) -> Result<Option<crate::model::LogFacts>, CommandError> {
    let mut sources: Vec<Source> = Vec::new();
    let mut s3_client: Option<aws_sdk_s3::Client> = None;
    for input in inputs {
        if input == "-" {
            sources.push(logs::stdin_source());
            continue;
        }
        if input.starts_with("s3://") {
            let Some(url) = s3::S3Url::parse(input) else {
                return Err(CommandError::Usage(format!(
                    "{input}: expected s3://BUCKET/PREFIX"
                )));
            };
            let client = s3_client
                .get_or_insert_with(|| {
                    let sdk = runtime.block_on(sdk_loader(&AwsOptions::default()).load());
                    s3::client(&sdk)
                })
                .clone();
            match runtime.block_on(s3::list(&client, &url, since, until)) {
                Ok(listing) => {
                    ctx.info(&format!(
                        "{input}: {} object(s) to read{}{}",
                        listing.keys.len(),
                        if listing.skipped_by_time > 0 {
                            format!(", {} outside --since/--until", listing.skipped_by_time)
                        } else {
                            String::new()
                        },
                        if listing.without_time > 0 && (since.is_some() || until.is_some()) {
                            format!(
                                ", {} with no time in their key (read anyway)",
                                listing.without_time
                            )
                        } else {
                            String::new()
                        }
                    ));
                    for key in listing.keys {
                        let name = format!("s3://{}/{key}", url.bucket);
                        let client = client.clone();
                        let bucket = url.bucket.clone();
                        let handle = runtime.handle().clone();
                        let label = name.clone();
                        sources.push(Source {
                            name,
                            open: Box::new(move || {
                                let body = handle
                                    .block_on(s3::open(&client, &bucket, &key))
                                    .map_err(|err| LogError::Aws { name: label, err })?;
                                // Read on this (non-runtime) reader thread as the body
                                // arrives.
                                Ok(Box::new(tokio_util::io::SyncIoBridge::new_with_handle(
                                    body, handle,
                                )) as Box<dyn Read + Send>)
                            }),
                        });
                    }
                }
                Err(err) => chain.gaps.push(Gap {
                    layer: format!("logs:{input}"),
                    provider: Provider::Other,
                    reason: err.to_string(),
                    code: err.code(),
                }),
            }
            continue;
        }
        sources.push(logs::file_source(input));
    }
    if sources.is_empty() {
        if chain.gaps.is_empty() {
            chain.gaps.push(Gap {
                layer: "logs".into(),
                provider: Provider::Other,
                reason: "no log object matched (empty prefix or --since/--until)".into(),
                code: GapCode::NotFound,
            });
        }
        return Ok(None);
    }
    let read = logs::read_logs(sources, opts).map_err(|e| CommandError::Usage(e.to_string()))?;
    for (name, err) in &read.failed {
        chain.gaps.push(Gap {
            layer: format!("logs:{name}"),
            provider: Provider::Other,
            reason: err.to_string(),
            code: err.code(),
        });
    }
    let facts = read.facts;
    let n = facts.sources.len();
    ctx.info(&format!(
        "read {} line(s) from {n} source(s){}",
        facts.lines,
        if facts.malformed > 0 {
            format!(", {} malformed", facts.malformed)
        } else {
            String::new()
        }
    ));
    for s in &facts.malformed_samples {
        ctx.info(&format!("malformed: {s}"));
    }
    Ok((n > 0).then_some(facts))
}

fn report_merge(ctx: &Context, m: &logs::LogMerge) {
    for (t, layer) in &m.explained {
        if Some(layer) != m.added_layer.as_ref() {
            ctx.info(&format!("the lifetime peak at {t} matches {layer}"));
        }
    }
    if let (Some(t), Some(layer)) = (m.unexplained, &m.added_layer) {
        ctx.info(&format!(
            "no layer read explains the lifetime peak at {t}: the chain gains `{layer}` for the hop that cuts"
        ));
    }
}

/// The format nginx lines are parsed with, and where it was read.
pub fn nginx_format(
    cfg: Option<&Config>,
    name: Option<&str>,
    log_file: Option<&str>,
) -> Result<(String, Option<String>), CommandError> {
    let Some(cfg) = cfg else {
        return Ok((COMBINED.to_string(), None));
    };
    if let Some(name) = name {
        return named_log_format(cfg, name)
            .map(|(text, at)| (text, Some(at)))
            .ok_or_else(|| {
                CommandError::Usage(format!(
                    "--nginx-log-format {name}: the configuration defines no such log_format"
                ))
            });
    }
    let formats = access_log_formats(cfg);
    if formats.is_empty() {
        return Ok((
            COMBINED.to_string(),
            Some("built-in combined (no access_log in the configuration)".into()),
        ));
    }
    match format_for_file(&formats, log_file) {
        Some(f) => Ok((
            f.text.clone(),
            Some(format!("{} (access_log at {})", f.format_at, f.access_log_at)),
        )),
        None => Err(CommandError::Usage(format!(
            "the configuration writes access logs in several formats and none of its access_log paths is this file's: {}; name one with --nginx-log-format",
            formats
                .iter()
                .map(|f| format!("{} ({} at {})", f.name, f.path, f.access_log_at))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub fn kind(f: LogFormatArg) -> LogKind {
    match f {
        LogFormatArg::Nginx => LogKind::Nginx,
        LogFormatArg::Alb => LogKind::Alb,
        LogFormatArg::Cloudfront => LogKind::Cloudfront,
        LogFormatArg::Cloudflare => LogKind::Cloudflare,
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Usage(format!("cannot start the async runtime: {e}")))
}

fn is_local(input: &str) -> bool {
    input != "-" && !input.starts_with("s3://")
}

/// Whether a log file is the one an `access_log` writes: the same file name, up to
/// logrotate's `.1`, `.2.gz`.
fn same_log(file: &str, dest: &str) -> bool {
    fn base(p: &str) -> &str {
        let name = p.rsplit('/').next().unwrap_or(p).trim_end_matches(".gz");
        name.trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end_matches('.')
    }
    base(file) == base(dest)
}

fn source_label(inputs: &[String]) -> String {
    match inputs {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => "logs".into(),
    }
}

/// Without --domain/--path, the target is the logs' busiest host and path.
fn fill_target(chain: &mut Chain) {
    let Some(logs) = &chain.logs else { return };
    let Some(top) = logs.by_path.first() else {
        return;
    };
    if chain.target.domain.is_empty() {
        let key = top.key.as_str();
        let (host, path) = match key.find('/') {
            Some(i) => (&key[..i], &key[i..]),
            None => (key, "/"),
        };
        chain.target.domain = if host.is_empty() {
            "logs".into()
        } else {
            host.to_string()
        };
        if chain.target.path == "/" {
            chain.target.path = path.to_string();
        }
    }
}

/// `--since 2026-12-01` or `--since 2026-12-01T10:00:00Z`.
fn time_flag(flag: &str, text: Option<&str>) -> Result<Option<f64>, CommandError> {
    let Some(t) = text else { return Ok(None) };
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    parse_iso8601(&full).map(Some).ok_or_else(|| {
        CommandError::Usage(format!(
            "{flag} {t:?}: expected RFC 3339 (2026-12-01T10:00:00Z) or a date (2026-12-01)"
        ))
    })
}
