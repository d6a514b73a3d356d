//! `wsaudit probe URL`: the live facts, judged like a chain (WS105, WS502 read them).

use super::{CommandError, Context};
use crate::cli::{GlobalArgs, ProbeArgs};
use crate::model::parse_duration;
use crate::providers::probe::{self, parse_header, ProbeOptions, ProbeTarget};
use std::time::Duration;

pub fn run(global: &GlobalArgs, args: &ProbeArgs) -> Result<u8, CommandError> {
    let mut ctx = Context::load(global)?;
    let opts = options(args)?;
    let target = ProbeTarget::parse(&opts.url)?;
    match opts.idle {
        Some(max) => ctx.info(&format!(
            "probing {} and holding {} connection(s) idle for up to {} s",
            opts.url,
            opts.samples,
            max.as_secs_f64()
        )),
        None => ctx.info(&format!("probing {}", opts.url)),
    }
    let facts = probe::probe_blocking(&opts)?;
    let chain = probe::probe_chain(&target, facts);
    let judged = ctx.judge(chain)?;
    ctx.emit(&judged)
}

fn options(args: &ProbeArgs) -> Result<ProbeOptions, CommandError> {
    let mut o = ProbeOptions::new(args.url.clone());
    o.headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<_, _>>()?;
    o.origin = args.origin.clone();
    o.subprotocols = args.subprotocols.clone();
    o.insecure = args.insecure;
    o.ca_file = args.ca_file.clone();
    o.connect_timeout = duration("--connect-timeout", &args.connect_timeout)?;
    o.idle = args
        .idle
        .as_deref()
        .map(|t| duration("--idle", t))
        .transpose()?;
    o.samples = args.samples;
    o.client_ping = args
        .client_ping
        .as_deref()
        .map(|t| duration("--client-ping", t))
        .transpose()?;
    Ok(o)
}

fn duration(flag: &str, text: &str) -> Result<Duration, CommandError> {
    let s = parse_duration(text).map_err(|m| CommandError::Usage(format!("{flag}: {m}")))?;
    Duration::try_from_secs_f64(s.0)
        .map_err(|e| CommandError::Usage(format!("{flag}: {text}: {e}")))
}
