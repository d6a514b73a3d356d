//! The Caddy task of `wsaudit chain`: the `reverse_proxy` the handshake ends in, from the
//! JSON config the command read (a Caddyfile already adapted by `caddy adapt`).

use super::{ChainRequest, ProviderOutput, ProviderTask};
use crate::model::{Gap, GapCode, Provider};
use crate::providers::caddy::{route, CaddyError, CaddyVersion, Query};

/// What the command read for `--caddy-conf`: the file, its JSON, the local Caddy's version.
pub type CaddyConfig = Result<(String, String, Option<CaddyVersion>), CaddyError>;

pub fn caddy_task(req: &ChainRequest, input: Option<CaddyConfig>) -> ProviderTask {
    let req = req.clone();
    ProviderTask {
        name: "caddy",
        layers: vec![("caddy".into(), Provider::Caddy)],
        run: Box::pin(async move {
            let mut out = ProviderOutput::default();
            let Some(input) = input else {
                return out;
            };
            let routed = input.and_then(|(file, json, version)| {
                route(
                    &file,
                    &json,
                    &Query {
                        host: req.selecting_host(),
                        path: req.path.clone(),
                        // The scheme clients dial is the outer layer's; Caddy may sit behind it on
                        // plain HTTP: its first server is taken.
                        scheme: None,
                        version,
                    },
                )
            });
            match routed {
                Ok(r) => out.layers.push(r.layer),
                Err(e) => out.gaps.push(Gap {
                    layer: "caddy".into(),
                    provider: Provider::Caddy,
                    code: match e {
                        CaddyError::NoRoute { .. } => GapCode::NoRoute,
                        _ => GapCode::UnreadableConfig,
                    },
                    reason: e.to_string(),
                }),
            }
            out
        }),
    }
}
