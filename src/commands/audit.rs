//! `wsaudit audit FILE`: re-judge a saved chain exactly like a live one.

use super::{CommandError, Context};
use crate::cli::{AuditArgs, GlobalArgs, HeartbeatFrom};
use crate::model::{load_chains, parse_duration, HeartbeatDirection};
use std::io::Read;

pub fn run(global: &GlobalArgs, args: &AuditArgs) -> Result<u8, CommandError> {
    let mut ctx = Context::load(global)?;
    let (text, name) = if args.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CommandError::io("<stdin>", e))?;
        (s, "<stdin>".to_string())
    } else {
        let name = args.file.display().to_string();
        let s = std::fs::read_to_string(&args.file).map_err(|e| CommandError::io(&name, e))?;
        (s, name)
    };
    let (mut chain, routes) = load_chains(&text, &name)?;
    let flag = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;
    ctx.apply_heartbeat(&mut chain, flag);
    ctx.debug(&format!(
        "{name}: {} layers, {} gaps, {} other routes",
        chain.layers.len(),
        chain.gaps.len(),
        routes.len()
    ));
    let mut judged = ctx.judge(chain)?;
    // A saved report's other routes are judged again too: dropping them would hide their
    // findings.
    let others = ctx.judge_routes(routes)?;
    judged.report.add_routes(others);
    ctx.emit(&judged)
}

/// `--heartbeat 25s --heartbeat-from server`, shared by every command that takes it.
pub fn heartbeat_flag(
    text: Option<&str>,
    from: HeartbeatFrom,
) -> Result<Option<(crate::model::Seconds, HeartbeatDirection)>, CommandError> {
    let Some(t) = text else { return Ok(None) };
    let interval =
        parse_duration(t).map_err(|m| CommandError::Usage(format!("--heartbeat: {m}")))?;
    let direction = match from {
        HeartbeatFrom::Server => HeartbeatDirection::ServerToClient,
        HeartbeatFrom::Client => HeartbeatDirection::ClientToServer,
        HeartbeatFrom::Both => HeartbeatDirection::Both,
    };
    Ok(Some((interval, direction)))
}
