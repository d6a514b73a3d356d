//! `wsaudit caddy FILE --domain D --path P`, and the Caddy input `chain --caddy-conf` shares:
//! the JSON config as Caddy runs it. A Caddyfile is turned into JSON by `caddy adapt` (the
//! only faithful reading of a Caddyfile is Caddy's own), so it needs `caddy` on PATH; the
//! version whose defaults apply comes from `caddy version` when it runs.

use super::audit::heartbeat_flag;
use super::nginx::single_layer_chain;
use super::{env, CommandError, Context};
use crate::cli::{CaddyArgs, GlobalArgs, SchemeArg};
use crate::model::Scheme;
use crate::providers::caddy::{route, CaddyError, CaddyVersion, Query};
use std::process::Command;

/// The config as JSON text, and the local Caddy's version when one runs.
pub struct CaddyInput {
    pub file: String,
    pub json: String,
    pub version: Option<CaddyVersion>,
}

pub fn read_input(file: &str) -> Result<CaddyInput, CaddyError> {
    let text = std::fs::read_to_string(file).map_err(|e| CaddyError::Io {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let bin = env::caddy_bin();
    let version = Command::new(&bin)
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| CaddyVersion::parse(&String::from_utf8_lossy(&o.stdout)));
    if text.trim_start().starts_with('{') && !file.ends_with("Caddyfile") {
        return Ok(CaddyInput {
            file: file.to_string(),
            json: text,
            version,
        });
    }
    let out = Command::new(&bin)
        .args(["adapt", "--adapter", "caddyfile", "--config", file])
        .output()
        .map_err(|e| CaddyError::Invalid {
            file: file.to_string(),
            message: format!(
                "a Caddyfile is read through `caddy adapt`, and `{bin}` could not be run ({e}): install Caddy or give the JSON config (`caddy adapt --config {file}` prints it)"
            ),
        })?;
    if !out.status.success() {
        return Err(CaddyError::Invalid {
            file: file.to_string(),
            message: format!(
                "caddy adapt rejects it: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(CaddyInput {
        file: file.to_string(),
        json: String::from_utf8_lossy(&out.stdout).into_owned(),
        version,
    })
}

pub fn run(global: &GlobalArgs, args: &CaddyArgs) -> Result<u8, CommandError> {
    super::nginx::request_path(&args.path)?;
    let mut ctx = Context::load(global)?;
    let input = read_input(&args.conf)?;
    let heartbeat = heartbeat_flag(args.heartbeat.as_deref(), args.heartbeat_from)?;
    let routed = route(
        &input.file,
        &input.json,
        &Query {
            host: args.domain.clone(),
            path: args.path.clone(),
            scheme: args.scheme.map(|s| match s {
                SchemeArg::Ws => Scheme::Ws,
                SchemeArg::Wss => Scheme::Wss,
            }),
            version: input.version,
        },
    )?;
    ctx.info(&format!(
        "{}{}: server {}, {}",
        args.domain, args.path, routed.server, routed.handler
    ));
    let mut chain = single_layer_chain(routed.layer, &args.domain, &args.path, None);
    chain.target.scheme = routed.scheme;
    ctx.apply_heartbeat(&mut chain, heartbeat);
    let judged = ctx.judge(chain)?;
    ctx.emit(&judged)
}
