//! `wsaudit chain --domain D --path P`: discover the layers serving a WebSocket endpoint, read
//! them concurrently, and judge the chain like `audit` judges a saved one.

use super::audit::heartbeat_flag;
use super::{CommandError, Context};
use crate::cli::{ChainArgs, GlobalArgs};
use crate::discover::{aws_task, discover, AwsSource, ChainRequest, ProviderTask};
use crate::model::{parse_duration, Scheme};
use crate::providers::aws::AwsOptions;
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
    let found = runtime.block_on(discover(&req, provider_tasks(&req)));
    for t in &found.timings {
        ctx.debug(&format!("provider {} took {:?}", t.name, t.elapsed));
    }
    ctx.debug(&format!("chain read in {:?}", found.elapsed));
    let mut chain = found.chain;
    ctx.apply_heartbeat(&mut chain, flag);
    let judged = ctx.judge(chain)?;
    ctx.emit(&judged)
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
        scheme: Scheme::Wss,
        heartbeat: None,
        alb: args.alb.clone(),
        cloudfront: args.cloudfront.clone(),
        regions: args.regions.clone(),
        timeout: Duration::from_secs_f64(timeout.0),
    })
}

/// One task per provider, run concurrently by `discover`. Extension point: the nginx,
/// Cloudflare and probe providers add their task here from their own flags.
pub fn provider_tasks(req: &ChainRequest) -> Vec<ProviderTask> {
    vec![aws_task(
        req,
        AwsSource::StandardChain,
        AwsOptions::default(),
    )]
}
