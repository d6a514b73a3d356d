//! The HAProxy task of `wsaudit chain`: the frontend → backend pair `--haproxy-conf` routes
//! the handshake to.

use super::{ChainRequest, ProviderOutput, ProviderTask};
use crate::model::{Gap, GapCode, Provider};
use crate::providers::haproxy::{check, read_config, route, HaproxyError, Query};

/// `conf`: the file, and the `haproxy` binary to check it with.
pub fn haproxy_task(req: &ChainRequest, conf: Option<(String, String)>) -> ProviderTask {
    let req = req.clone();
    ProviderTask {
        name: "haproxy",
        layers: vec![("haproxy".into(), Provider::Haproxy)],
        run: Box::pin(async move { read_haproxy(&req, conf) }),
    }
}

fn read_haproxy(req: &ChainRequest, conf: Option<(String, String)>) -> ProviderOutput {
    let mut out = ProviderOutput::default();
    // Not given: HAProxy is not assumed to be on the path (no conventional file is read).
    let Some((conf, bin)) = conf else {
        return out;
    };
    let gap = |e: HaproxyError| {
        let code = match e {
            HaproxyError::NoRoute { .. } => GapCode::NoRoute,
            _ => GapCode::UnreadableConfig,
        };
        Gap {
            layer: "haproxy".into(),
            provider: Provider::Haproxy,
            reason: e.to_string(),
            code,
        }
    };
    let routed = read_config(&conf).and_then(|cfg| {
        check(&bin, &conf)?;
        route(
            &cfg,
            &Query {
                // `hdr(host)` ACLs see the Host the outer layer sends.
                host: req.selecting_host(),
                path: req.path.clone(),
                scheme: None,
                // The port the outer layer connects to picks the frontend that binds it.
                port: req.port,
            },
        )
    });
    match routed {
        Ok(r) => out.layers.push(r.layer),
        Err(e) => out.gaps.push(gap(e)),
    }
    out
}
